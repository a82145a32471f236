/* Replies' results as C values: a getaddrinfo list, a hostent, DNS records. */
#include "internal.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int socktype_of(const char *name) {
    if (!name) return 0;
    if (!strcmp(name, "stream")) return SOCK_STREAM;
    if (!strcmp(name, "dgram")) return SOCK_DGRAM;
    if (!strcmp(name, "raw")) return SOCK_RAW;
    return 0;
}

static int protocol_of(const char *name) {
    if (!name) return 0;
    if (!strcmp(name, "tcp")) return IPPROTO_TCP;
    if (!strcmp(name, "udp")) return IPPROTO_UDP;
    return 0;
}

/* One node and its socket address in one allocation (resolvd_freeaddrinfo frees both). */
static struct addrinfo *node_from_json(const json_t *entry) {
    const char *family = json_string_value(json_object_get(entry, "family"));
    const char *text = json_string_value(json_object_get(entry, "address"));
    json_int_t port = json_integer_value(json_object_get(entry, "port"));
    if (!family || !text) return NULL;
    struct addrinfo *node = calloc(1, sizeof *node + sizeof(struct sockaddr_in6));
    if (!node) return NULL;
    node->ai_addr = (struct sockaddr *)(node + 1);
    node->ai_socktype = socktype_of(json_string_value(json_object_get(entry, "socktype")));
    node->ai_protocol = protocol_of(json_string_value(json_object_get(entry, "protocol")));
    if (!strcmp(family, "inet")) {
        struct sockaddr_in *in = (struct sockaddr_in *)node->ai_addr;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, text, &in->sin_addr) != 1) goto bad;
        node->ai_family = AF_INET;
        node->ai_addrlen = sizeof *in;
    } else if (!strcmp(family, "inet6")) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)node->ai_addr;
        char address[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
        snprintf(address, sizeof address, "%s", text);
        char *scope = strchr(address, '%');
        if (scope) {
            *scope++ = '\0';
            in6->sin6_scope_id = if_nametoindex(scope);
            if (!in6->sin6_scope_id) in6->sin6_scope_id = (uint32_t)strtoul(scope, NULL, 10);
        }
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, address, &in6->sin6_addr) != 1) goto bad;
        node->ai_family = AF_INET6;
        node->ai_addrlen = sizeof *in6;
    } else {
        goto bad;
    }
    return node;
bad:
    free(node);
    return NULL;
}

struct addrinfo *rvd_addrinfo_from_json(const json_t *result, int *status) {
    struct addrinfo *head = NULL, **tail = &head;
    size_t index;
    json_t *entry;
    json_array_foreach(json_object_get(result, "addresses"), index, entry) {
        struct addrinfo *node = node_from_json(entry);
        if (!node) {
            resolvd_freeaddrinfo(head);
            *status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
            return NULL;
        }
        *tail = node;
        tail = &node->ai_next;
    }
    const char *canonical = json_string_value(json_object_get(result, "canonical_name"));
    if (head && canonical && !(head->ai_canonname = strdup(canonical))) {
        resolvd_freeaddrinfo(head);
        *status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    if (!head) *status = RESOLVD_WSANO_DATA;
    return head;
}

void resolvd_freeaddrinfo(struct addrinfo *result) {
    while (result) {
        struct addrinfo *next = result->ai_next;
        free(result->ai_canonname);
        free(result);
        result = next;
    }
}

/* Builds the hostent on the stack and the heap, runs done with it, frees it. */
void rvd_with_hostent(const json_t *result, pending *p) {
    json_t *aliases = json_object_get(result, "aliases");
    json_t *addresses = json_object_get(result, "addresses");
    const char *family = json_string_value(json_object_get(result, "family"));
    int af = family && !strcmp(family, "inet6") ? AF_INET6 : AF_INET;
    int length = af == AF_INET6 ? 16 : 4;
    size_t alias_count = json_array_size(aliases), address_count = json_array_size(addresses);
    char **alias_list = calloc(alias_count + 1, sizeof *alias_list);
    char **address_list = calloc(address_count + 1, sizeof *address_list);
    unsigned char *bytes = calloc(address_count + 1, (size_t)length);
    int status = RESOLVD_NO_ERROR;
    if (!alias_list || !address_list || !bytes) status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    for (size_t i = 0; status == RESOLVD_NO_ERROR && i < alias_count; i++)
        alias_list[i] = (char *)json_string_value(json_array_get(aliases, i));
    size_t filled = 0;
    for (size_t i = 0; status == RESOLVD_NO_ERROR && i < address_count; i++) {
        const char *text = json_string_value(json_array_get(addresses, i));
        if (text && inet_pton(af, text, bytes + filled * (size_t)length) == 1) {
            address_list[filled] = (char *)bytes + filled * (size_t)length;
            filled++;
        }
    }
    struct hostent host = {
        .h_name = (char *)json_string_value(json_object_get(result, "name")),
        .h_aliases = alias_list, .h_addrtype = af, .h_length = length, .h_addr_list = address_list,
    };
    p->done.hostent(status, status == RESOLVD_NO_ERROR ? &host : NULL, p->context);
    free(alias_list);
    free(address_list);
    free(bytes);
}

/* "quoted" with \" and \\ escaped, as a master file writes a character string. */
static void append_quoted(FILE *out, const char *string) {
    fputc('"', out);
    for (const char *c = string ? string : ""; *c; c++) {
        if (*c == '"' || *c == '\\') fputc('\\', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

static json_int_t integer(const json_t *record, const char *key) {
    return json_integer_value(json_object_get(record, key));
}

static const char *string(const json_t *record, const char *key) {
    const char *value = json_string_value(json_object_get(record, key));
    return value ? value : "";
}

/* The record's data in presentation form; NULL without memory. The caller frees it. */
static char *presentation(const json_t *record) {
    const char *type = string(record, "type");
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) return NULL;
    if (!strcmp(type, "A") || !strcmp(type, "AAAA")) {
        fputs(string(record, "address"), out);
    } else if (!strcmp(type, "CNAME") || !strcmp(type, "NS") || !strcmp(type, "PTR")) {
        fputs(string(record, "target"), out);
    } else if (!strcmp(type, "MX")) {
        fprintf(out, "%lld %s", (long long)integer(record, "preference"), string(record, "exchange"));
    } else if (!strcmp(type, "SRV")) {
        fprintf(out, "%lld %lld %lld %s", (long long)integer(record, "priority"), (long long)integer(record, "weight"),
                (long long)integer(record, "port"), string(record, "target"));
    } else if (!strcmp(type, "TXT")) {
        size_t index;
        json_t *piece;
        json_array_foreach(json_object_get(record, "strings"), index, piece) {
            if (index) fputc(' ', out);
            append_quoted(out, json_string_value(piece));
        }
    } else if (!strcmp(type, "SOA")) {
        fprintf(out, "%s %s %lld %lld %lld %lld %lld", string(record, "mname"), string(record, "rname"),
                (long long)integer(record, "serial"), (long long)integer(record, "refresh"),
                (long long)integer(record, "retry"), (long long)integer(record, "expire"),
                (long long)integer(record, "minimum"));
    } else if (!strcmp(type, "CAA")) {
        fprintf(out, "%d %s ", json_is_true(json_object_get(record, "critical")) ? 128 : 0, string(record, "tag"));
        append_quoted(out, string(record, "value"));
    } else if (!strcmp(type, "NAPTR")) {
        fprintf(out, "%lld %lld ", (long long)integer(record, "order"), (long long)integer(record, "preference"));
        append_quoted(out, string(record, "flags"));
        fputc(' ', out);
        append_quoted(out, string(record, "service"));
        fputc(' ', out);
        append_quoted(out, string(record, "regexp"));
        fprintf(out, " %s", string(record, "replacement"));
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void rvd_with_records(const json_t *result, pending *p) {
    json_t *list = json_object_get(result, "records");
    size_t count = json_array_size(list);
    resolvd_record *records = calloc(count + 1, sizeof *records);
    int status = records ? RESOLVD_NO_ERROR : RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    for (size_t i = 0; status == RESOLVD_NO_ERROR && i < count; i++) {
        const json_t *record = json_array_get(list, i);
        records[i] = (resolvd_record){ .name = string(record, "name"), .type = string(record, "type"),
                                       .ttl = (uint32_t)integer(record, "ttl"), .data = presentation(record) };
        if (!records[i].data) status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    }
    p->done.query(status, status == RESOLVD_NO_ERROR ? records : NULL, status == RESOLVD_NO_ERROR ? count : 0,
                  p->context);
    for (size_t i = 0; records && i < count; i++) free((char *)records[i].data);
    free(records);
}
