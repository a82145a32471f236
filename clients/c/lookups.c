/* Starting lookups: the requests of the GetAddrInfoEx and WSAAsyncGetXByY families. */
#include "internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#define MAX_TIMEOUT_MS 3600000

const char *resolvd_strerror(int code) {
    switch (code) {
    case RESOLVD_NO_ERROR: return "NO_ERROR";
    case RESOLVD_WSA_INVALID_HANDLE: return "WSA_INVALID_HANDLE";
    case RESOLVD_WSA_NOT_ENOUGH_MEMORY: return "WSA_NOT_ENOUGH_MEMORY";
    case RESOLVD_ERROR_OPERATION_ABORTED: return "ERROR_OPERATION_ABORTED";
    case RESOLVD_WSA_IO_PENDING: return "WSA_IO_PENDING";
    case RESOLVD_ERROR_NOT_FOUND: return "ERROR_NOT_FOUND";
    case RESOLVD_WSAEACCES: return "WSAEACCES";
    case RESOLVD_WSAEINVAL: return "WSAEINVAL";
    case RESOLVD_WSAEALREADY: return "WSAEALREADY";
    case RESOLVD_WSAESOCKTNOSUPPORT: return "WSAESOCKTNOSUPPORT";
    case RESOLVD_WSAEAFNOSUPPORT: return "WSAEAFNOSUPPORT";
    case RESOLVD_WSAENOBUFS: return "WSAENOBUFS";
    case RESOLVD_WSAETIMEDOUT: return "WSAETIMEDOUT";
    case RESOLVD_WSATYPE_NOT_FOUND: return "WSATYPE_NOT_FOUND";
    case RESOLVD_WSA_E_CANCELLED: return "WSA_E_CANCELLED";
    case RESOLVD_WSAHOST_NOT_FOUND: return "WSAHOST_NOT_FOUND";
    case RESOLVD_WSATRY_AGAIN: return "WSATRY_AGAIN";
    case RESOLVD_WSANO_RECOVERY: return "WSANO_RECOVERY";
    case RESOLVD_WSANO_DATA: return "WSANO_DATA";
    default: return "UNKNOWN";
    }
}

/* Sends `request` (consumed) and enters the lookup as pending: 997, or an error at once. */
static int start(resolvd *r, json_t *request, int timeout_ms, enum lookup_kind kind, pending **entered,
                 void *context, uint64_t *handle) {
    int status = RESOLVD_WSA_IO_PENDING;
    if (!request) status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    else if (timeout_ms < 0 || timeout_ms > MAX_TIMEOUT_MS) status = RESOLVD_WSAEINVAL;
    else if (timeout_ms > 0 && json_object_set_new(request, "timeout_ms", json_integer(timeout_ms)) < 0)
        status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    else if (r->failed) status = r->failure_status;
    /* Entered before it is sent: a reply read while the request is written finds it. */
    pending *p = status == RESOLVD_WSA_IO_PENDING ? rvd_pending_add(r, r->last_id + 1, kind, context) : NULL;
    if (status == RESOLVD_WSA_IO_PENDING && !p) status = RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    if (!p) {
        json_decref(request);
    } else if (!rvd_send_request(r, request)) {
        rvd_pending_remove(r, p);
        free(p);
        p = NULL;
        status = r->failed ? r->failure_status : RESOLVD_WSA_NOT_ENOUGH_MEMORY;
    }
    *entered = p;
    if (handle) *handle = p ? p->id : 0;
    return status;
}

static const struct { int flag; const char *name; } address_flags[] = {
    { AI_CANONNAME, "canonname" }, { AI_NUMERICHOST, "numerichost" }, { AI_NUMERICSERV, "numericserv" },
    { AI_ADDRCONFIG, "addrconfig" }, { AI_V4MAPPED, "v4mapped" }, { AI_ALL, "all" },
};

/* The hints as request parameters; 0, or the code for hints resolvd cannot take. */
static int add_hints(json_t *request, const struct addrinfo *hints) {
    if (!hints) return 0;
    switch (hints->ai_family) {
    case AF_UNSPEC: break;
    case AF_INET: json_object_set_new(request, "family", json_string("inet")); break;
    case AF_INET6: json_object_set_new(request, "family", json_string("inet6")); break;
    default: return RESOLVD_WSAEAFNOSUPPORT;
    }
    switch (hints->ai_socktype) {
    case 0: break;
    case SOCK_STREAM: json_object_set_new(request, "socktype", json_string("stream")); break;
    case SOCK_DGRAM: json_object_set_new(request, "socktype", json_string("dgram")); break;
    case SOCK_RAW: json_object_set_new(request, "socktype", json_string("raw")); break;
    default: return RESOLVD_WSAESOCKTNOSUPPORT;
    }
    switch (hints->ai_protocol) {
    case 0: break;
    case IPPROTO_TCP: json_object_set_new(request, "protocol", json_string("tcp")); break;
    case IPPROTO_UDP: json_object_set_new(request, "protocol", json_string("udp")); break;
    default: return RESOLVD_WSAEINVAL;
    }
    int rest = hints->ai_flags;
    json_t *flags = json_array();
    for (size_t i = 0; i < sizeof address_flags / sizeof *address_flags; i++) {
        if (!(rest & address_flags[i].flag)) continue;
        json_array_append_new(flags, json_string(address_flags[i].name));
        rest &= ~address_flags[i].flag;
    }
    json_object_set_new(request, "flags", flags);
    return rest ? RESOLVD_WSAEINVAL : 0; /* AI_PASSIVE and unknown flags */
}

int resolvd_getaddrinfo_ex(resolvd *r, const char *name, const char *service, const struct addrinfo *hints,
                           int timeout_ms, void (*done)(int status, struct addrinfo *result, void *context),
                           void *context, uint64_t *handle) {
    if (handle) *handle = 0;
    if (!r || !name || !done) return RESOLVD_WSAEINVAL;
    json_t *request = json_pack("{s:s,s:s}", "op", "getaddrinfo", "name", name);
    if (request && service && json_object_set_new(request, "service", json_string(service)) < 0) {
        json_decref(request);
        request = NULL;
    }
    int refused = request ? add_hints(request, hints) : 0;
    if (refused) {
        json_decref(request);
        return refused;
    }
    pending *p;
    int status = start(r, request, timeout_ms, LOOKUP_ADDRINFO, &p, context, handle);
    if (p) p->done.addrinfo = done;
    return status;
}

uint64_t resolvd_async_gethostbyname(resolvd *r, const char *name,
                                     void (*done)(int status, const struct hostent *host, void *context),
                                     void *context) {
    if (!r || !name || !done) return 0;
    pending *p;
    uint64_t handle;
    start(r, json_pack("{s:s,s:s}", "op", "gethostbyname", "name", name), 0, LOOKUP_HOSTENT, &p, context,
          &handle);
    if (p) p->done.hostent = done;
    return handle;
}

static const struct { int flag; const char *name; } name_flags[] = {
    { NI_NAMEREQD, "namereqd" }, { NI_NUMERICHOST, "numerichost" }, { NI_NUMERICSERV, "numericserv" },
    { NI_NOFQDN, "nofqdn" }, { NI_DGRAM, "dgram" },
};

int resolvd_getnameinfo_ex(resolvd *r, const struct sockaddr *address, socklen_t length, int flags, int timeout_ms,
                           void (*done)(int status, const char *host, const char *service, void *context),
                           void *context, uint64_t *handle) {
    if (handle) *handle = 0;
    if (!r || !address || !done) return RESOLVD_WSAEINVAL;
    char text[INET6_ADDRSTRLEN];
    unsigned port;
    if (address->sa_family == AF_INET && length >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)address;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        port = ntohs(in->sin_port);
    } else if (address->sa_family == AF_INET6 && length >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        port = ntohs(in6->sin6_port);
    } else {
        return address->sa_family == AF_INET || address->sa_family == AF_INET6 ? RESOLVD_WSAEINVAL
                                                                                : RESOLVD_WSAEAFNOSUPPORT;
    }
    json_t *request = json_pack("{s:s,s:s,s:I}", "op", "getnameinfo", "address", text, "port", (json_int_t)port);
    json_t *list = json_array();
    int rest = flags;
    for (size_t i = 0; i < sizeof name_flags / sizeof *name_flags; i++) {
        if (!(rest & name_flags[i].flag)) continue;
        json_array_append_new(list, json_string(name_flags[i].name));
        rest &= ~name_flags[i].flag;
    }
    if (request) json_object_set_new(request, "flags", list); else json_decref(list);
    if (rest) {
        json_decref(request);
        return RESOLVD_WSAEINVAL;
    }
    pending *p;
    int status = start(r, request, timeout_ms, LOOKUP_NAMEINFO, &p, context, handle);
    if (p) p->done.nameinfo = done;
    return status;
}

int resolvd_query(resolvd *r, const char *name, const char *type, int timeout_ms,
                  void (*done)(int status, const resolvd_record *records, size_t count, void *context),
                  void *context, uint64_t *handle) {
    if (handle) *handle = 0;
    if (!r || !name || !type || !done) return RESOLVD_WSAEINVAL;
    pending *p;
    int status = start(r, json_pack("{s:s,s:s,s:s}", "op", "query", "name", name, "type", type), timeout_ms,
                       LOOKUP_QUERY, &p, context, handle);
    if (p) p->done.query = done;
    return status;
}
