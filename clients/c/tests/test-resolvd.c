/*
 * libresolvd's tests, against real resolvd daemons the caller starts:
 *   test-resolvd codes                          the result codes, one "code symbol" a line
 *   test-resolvd run ANSWERING SILENT SEED      every call's result codes and the races
 * ANSWERING is a daemon whose upstream answers (unbound with example.test); SILENT one whose
 * upstream never answers, so that its lookups stay in flight until cancelled. Prints each
 * failed check and, last, "N passed, N failed"; exits 1 on any failure.
 */
#include "resolvd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(condition, ...)                                                       \
    do {                                                                            \
        if (condition) passed++;                                                    \
        else {                                                                      \
            failed++;                                                               \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #condition); \
            fprintf(stderr, __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                    \
        }                                                                           \
    } while (0)

/* What a completion saw: how often it ran, with which status and first address. */
typedef struct outcome {
    int calls;
    int status;
    int family, socktype, protocol, port;
    char address[INET6_ADDRSTRLEN];
    char text[256];
    size_t count;
} outcome;

static void address_done(int status, struct addrinfo *result, void *context) {
    outcome *o = context;
    o->calls++;
    o->status = status;
    o->count = 0;
    for (struct addrinfo *a = result; a; a = a->ai_next) o->count++;
    if (result) {
        o->family = result->ai_family;
        o->socktype = result->ai_socktype;
        o->protocol = result->ai_protocol;
        const void *bytes = result->ai_family == AF_INET
                                ? (const void *)&((struct sockaddr_in *)result->ai_addr)->sin_addr
                                : (const void *)&((struct sockaddr_in6 *)result->ai_addr)->sin6_addr;
        o->port = ntohs(((struct sockaddr_in *)result->ai_addr)->sin_port);
        inet_ntop(result->ai_family, bytes, o->address, sizeof o->address);
        snprintf(o->text, sizeof o->text, "%s", result->ai_canonname ? result->ai_canonname : "");
    }
    if (status == RESOLVD_NO_ERROR) CHECK(result != NULL, "success without a list");
    else CHECK(result == NULL, "a failure with a list");
    resolvd_freeaddrinfo(result);
}

static void host_done(int status, const struct hostent *host, void *context) {
    outcome *o = context;
    o->calls++;
    o->status = status;
    o->count = 0;
    if (host) {
        o->family = host->h_addrtype;
        for (char **a = host->h_addr_list; *a; a++) o->count++;
        if (o->count) inet_ntop(host->h_addrtype, host->h_addr_list[0], o->address, sizeof o->address);
        snprintf(o->text, sizeof o->text, "%s", host->h_name);
    }
}

static void name_done(int status, const char *host, const char *service, void *context) {
    outcome *o = context;
    o->calls++;
    o->status = status;
    if (host) snprintf(o->text, sizeof o->text, "%s %s", host, service ? service : "");
}

static void records_done(int status, const resolvd_record *records, size_t count, void *context) {
    outcome *o = context;
    o->calls++;
    o->status = status;
    o->count = count;
    o->text[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t used = strlen(o->text);
        snprintf(o->text + used, sizeof o->text - used, "%s%s %s %s", i ? "|" : "", records[i].name, records[i].type,
                 records[i].data);
    }
}

/* Dispatches until o's completion ran (or the connection failed). */
static void wait_for(resolvd *r, const outcome *o) {
    while (o->calls == 0 && resolvd_dispatch(r, -1) >= 0) {}
}

static resolvd *open_or_die(const char *path) {
    int error = 0;
    resolvd *r = resolvd_open(path, &error);
    if (!r) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(error));
        exit(2);
    }
    return r;
}

static const struct addrinfo inet_stream = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };

/* resolvd_open: the path, $RESOLVD_SOCKET, and a path where nothing listens. */
static void test_open(const char *answering) {
    int error = 0;
    CHECK(resolvd_open("/nonexistent/resolvd.sock", &error) == NULL && error == ENOENT, "error %d", error);
    setenv("RESOLVD_SOCKET", answering, 1);
    resolvd *r = resolvd_open(NULL, &error);
    CHECK(r != NULL && error == 0, "open NULL with $RESOLVD_SOCKET: %d", error);
    CHECK(resolvd_fd(r) >= 0, "fd");
    CHECK(resolvd_dispatch(r, 0) == 0, "nothing to dispatch");
    CHECK(resolvd_dispatch(r, -1) == 0, "-1 with nothing pending returns at once");
    CHECK(resolvd_cancel_all(r, NULL) == RESOLVD_ERROR_NOT_FOUND, "cancel_all with nothing pending");
    resolvd_close(r);
    resolvd_close(NULL);
}

/* GetAddrInfoEx: 997 then one completion with each outcome the daemon gives; errors at once. */
static void test_getaddrinfo(resolvd *r) {
    outcome o = { 0 };
    uint64_t handle = 0;
    int started = resolvd_getaddrinfo_ex(r, "www.example.test", "80", &inet_stream, 0, address_done, &o, &handle);
    CHECK(started == RESOLVD_WSA_IO_PENDING && handle != 0, "started %d handle %llu", started, (unsigned long long)handle);
    CHECK(o.calls == 0, "a completion ran inside the call that started it");
    wait_for(r, &o);
    CHECK(o.calls == 1 && o.status == RESOLVD_NO_ERROR, "calls %d status %d", o.calls, o.status);
    CHECK(!strcmp(o.address, "192.0.2.10") && o.family == AF_INET && o.socktype == SOCK_STREAM &&
              o.protocol == IPPROTO_TCP && o.port == 80 && o.count == 1,
          "%s family %d socktype %d protocol %d port %d count %zu", o.address, o.family, o.socktype, o.protocol,
          o.port, o.count);
    CHECK(resolvd_getaddrinfo_ex_cancel(r, handle) == RESOLVD_WSA_INVALID_HANDLE, "cancel after the answer");
    CHECK(o.calls == 1, "a second completion");

    struct addrinfo canonical = { .ai_family = AF_INET6, .ai_flags = AI_CANONNAME };
    o = (outcome){ 0 };
    resolvd_getaddrinfo_ex(r, "alias.example.test", NULL, &canonical, 0, address_done, &o, NULL);
    wait_for(r, &o);
    CHECK(o.status == RESOLVD_NO_ERROR && !strcmp(o.address, "2001:db8::10") && !strcmp(o.text, "www.example.test") &&
              o.count == 3,
          "status %d %s canonical '%s' count %zu", o.status, o.address, o.text, o.count);

    static const struct { const char *name, *service; int family, status; } failures[] = {
        { "nxdomain.example.test", NULL, AF_UNSPEC, RESOLVD_WSAHOST_NOT_FOUND },
        { "v6only.example.test", NULL, AF_INET, RESOLVD_WSANO_DATA },
        { "www.example.test", "no-such-service", AF_UNSPEC, RESOLVD_WSATYPE_NOT_FOUND },
    };
    for (size_t i = 0; i < sizeof failures / sizeof *failures; i++) {
        struct addrinfo hints = { .ai_family = failures[i].family };
        o = (outcome){ 0 };
        int s = resolvd_getaddrinfo_ex(r, failures[i].name, failures[i].service, &hints, 0, address_done, &o, NULL);
        CHECK(s == RESOLVD_WSA_IO_PENDING, "%s started %d", failures[i].name, s);
        wait_for(r, &o);
        CHECK(o.calls == 1 && o.status == failures[i].status, "%s: %d %s, expected %s", failures[i].name, o.status,
              resolvd_strerror(o.status), resolvd_strerror(failures[i].status));
    }

    /* Errors at once: no handle, and no completion ever. */
    o = (outcome){ 0 };
    handle = 99;
    struct addrinfo unix_family = { .ai_family = AF_UNIX }, bad_type = { .ai_socktype = 99 },
                    passive = { .ai_flags = AI_PASSIVE };
    CHECK(resolvd_getaddrinfo_ex(r, NULL, NULL, NULL, 0, address_done, &o, &handle) == RESOLVD_WSAEINVAL && handle == 0,
          "NULL name");
    CHECK(resolvd_getaddrinfo_ex(r, "x.test", NULL, NULL, 0, NULL, &o, NULL) == RESOLVD_WSAEINVAL, "NULL done");
    CHECK(resolvd_getaddrinfo_ex(r, "x.test", NULL, &unix_family, 0, address_done, &o, NULL) == RESOLVD_WSAEAFNOSUPPORT,
          "AF_UNIX");
    CHECK(resolvd_getaddrinfo_ex(r, "x.test", NULL, &bad_type, 0, address_done, &o, NULL) == RESOLVD_WSAESOCKTNOSUPPORT,
          "socktype 99");
    CHECK(resolvd_getaddrinfo_ex(r, "x.test", NULL, &passive, 0, address_done, &o, NULL) == RESOLVD_WSAEINVAL,
          "AI_PASSIVE");
    CHECK(resolvd_getaddrinfo_ex(r, "x.test", NULL, NULL, -5, address_done, &o, NULL) == RESOLVD_WSAEINVAL,
          "negative timeout");
    CHECK(resolvd_dispatch(r, 0) == 0 && o.calls == 0 && resolvd_pending(r) == 0, "a refused call completed");
    CHECK(resolvd_getaddrinfo_ex_cancel(r, 0) == RESOLVD_WSA_INVALID_HANDLE, "handle 0");
    CHECK(resolvd_getaddrinfo_ex_cancel(r, UINT64_C(1) << 40) == RESOLVD_WSA_INVALID_HANDLE, "never issued");
}

/* An answer that is already on the socket when the cancel is made wins: 6, and the answer
 * is delivered by resolvd_dispatch afterwards. */
static void test_cancel_after_the_answer_came(resolvd *r) {
    outcome o = { 0 };
    uint64_t handle;
    resolvd_getaddrinfo_ex(r, "www.example.test", NULL, &inet_stream, 0, address_done, &o, &handle);
    struct pollfd descriptor = { .fd = resolvd_fd(r), .events = POLLIN };
    CHECK(poll(&descriptor, 1, -1) == 1, "poll");
    CHECK(resolvd_getaddrinfo_ex_cancel(r, handle) == RESOLVD_WSA_INVALID_HANDLE, "the answer came first");
    CHECK(o.calls == 0, "the lost cancel ran the completion");
    wait_for(r, &o);
    CHECK(o.calls == 1 && o.status == RESOLVD_NO_ERROR, "calls %d status %d", o.calls, o.status);
}

/* WSAAsyncGetHostByName and WSACancelAsyncRequest. */
static void test_gethostbyname(resolvd *r) {
    outcome o = { 0 };
    uint64_t handle = resolvd_async_gethostbyname(r, "multi.example.test", host_done, &o);
    CHECK(handle != 0 && o.calls == 0, "handle %llu calls %d", (unsigned long long)handle, o.calls);
    wait_for(r, &o);
    CHECK(o.calls == 1 && o.status == RESOLVD_NO_ERROR && o.family == AF_INET && o.count == 2 &&
              !strcmp(o.text, "multi.example.test"),
          "status %d family %d count %zu name %s", o.status, o.family, o.count, o.text);
    CHECK(resolvd_cancel_async_request(r, handle) == RESOLVD_WSAEALREADY, "finished");
    CHECK(resolvd_cancel_async_request(r, 0) == RESOLVD_WSAEINVAL, "handle 0");
    CHECK(resolvd_cancel_async_request(r, handle + 1000) == RESOLVD_WSAEINVAL, "never issued");
    CHECK(resolvd_async_gethostbyname(r, NULL, host_done, &o) == 0, "NULL name starts nothing");
    o = (outcome){ 0 };
    resolvd_async_gethostbyname(r, "nxdomain.example.test", host_done, &o);
    wait_for(r, &o);
    CHECK(o.status == RESOLVD_WSAHOST_NOT_FOUND, "status %d", o.status);
}

static void test_getnameinfo_and_query(resolvd *r) {
    outcome o = { 0 };
    struct sockaddr_in www = { .sin_family = AF_INET, .sin_port = htons(80) };
    inet_pton(AF_INET, "192.0.2.10", &www.sin_addr);
    CHECK(resolvd_getnameinfo_ex(r, (struct sockaddr *)&www, sizeof www, 0, 0, name_done, &o, NULL) ==
              RESOLVD_WSA_IO_PENDING, "getnameinfo");
    wait_for(r, &o);
    CHECK(o.status == RESOLVD_NO_ERROR && !strcmp(o.text, "www.example.test http"), "%d '%s'", o.status, o.text);
    struct sockaddr unix_address = { .sa_family = AF_UNIX };
    CHECK(resolvd_getnameinfo_ex(r, &unix_address, sizeof unix_address, 0, 0, name_done, &o, NULL) ==
              RESOLVD_WSAEAFNOSUPPORT, "AF_UNIX");
    CHECK(resolvd_getnameinfo_ex(r, (struct sockaddr *)&www, sizeof www, 1 << 20, 0, name_done, &o, NULL) ==
              RESOLVD_WSAEINVAL, "unknown flag");

    o = (outcome){ 0 };
    resolvd_query(r, "mail.example.test", "MX", 0, records_done, &o, NULL);
    wait_for(r, &o);
    /* In the order the upstream sent them, which is not fixed. */
    CHECK(o.status == RESOLVD_NO_ERROR && o.count == 2 && strlen(o.text) == 81 &&
              strstr(o.text, "mail.example.test MX 10 mx1.example.test") &&
              strstr(o.text, "mail.example.test MX 20 mx2.example.test"),
          "%d '%s'", o.status, o.text);
    o = (outcome){ 0 };
    resolvd_query(r, "txt.example.test", "TXT", 0, records_done, &o, NULL);
    wait_for(r, &o);
    CHECK(o.status == RESOLVD_NO_ERROR && !strcmp(o.text, "txt.example.test TXT \"hello world\" \"second string\""),
          "%d '%s'", o.status, o.text);
    o = (outcome){ 0 };
    resolvd_query(r, "www.example.test", "BOGUS", 0, records_done, &o, NULL);
    wait_for(r, &o);
    CHECK(o.status == RESOLVD_WSAEINVAL, "unknown type: %d", o.status);
}

/* The blocking call: its answer, and no other lookup's completion inside it. */
static void test_blocking(resolvd *r) {
    outcome other = { 0 };
    resolvd_getaddrinfo_ex(r, "multi.example.test", NULL, &inet_stream, 0, address_done, &other, NULL);
    struct addrinfo *list = NULL;
    int status = resolvd_getaddrinfo(r, "www.example.test", "443", &inet_stream, 0, &list);
    CHECK(status == RESOLVD_NO_ERROR && list && list->ai_family == AF_INET, "status %d", status);
    resolvd_freeaddrinfo(list);
    CHECK(other.calls == 0, "another lookup completed inside the blocking call");
    CHECK(resolvd_getaddrinfo(r, "nxdomain.example.test", NULL, NULL, 0, &list) == RESOLVD_WSAHOST_NOT_FOUND &&
              list == NULL, "nxdomain");
    wait_for(r, &other);
    CHECK(other.calls == 1 && other.status == RESOLVD_NO_ERROR, "the other lookup: %d", other.status);
}

/* A cancel racing an answer, `rounds` times with random delays: exactly one completion,
 * and the cancel's code tells which won. Every name is new (the zone's wildcard), so each
 * answer comes from unbound, about as fast as the cancel's round trip — on a release or
 * debug daemon; one under ThreadSanitizer answers ~100 times slower, so while one side has
 * won no round yet the delays' range moves (×4 every 25 rounds while the answer never
 * wins, ÷4 while the cancel never does) until both sides win some. */
static void test_cancel_races(resolvd *r, unsigned seed, int rounds) {
    static outcome outcomes[500];
    int won = 0, lost = 0, max_spin = 20000;
    srand(seed);
    for (int i = 0; i < rounds; i++) {
        outcome *o = &outcomes[i];
        uint64_t handle;
        char name[64];
        snprintf(name, sizeof name, "race%d-%u.wild.example.test", i, seed);
        resolvd_getaddrinfo_ex(r, name, NULL, &inet_stream, 0, address_done, o, &handle);
        for (volatile int spin = rand() % max_spin; spin > 0; spin--) {}
        if (rand() % 4 == 0) resolvd_dispatch(r, 0);
        int calls_before = o->calls;
        int cancel = resolvd_getaddrinfo_ex_cancel(r, handle);
        if (cancel == RESOLVD_NO_ERROR) {
            won++;
            CHECK(o->calls == 1 && o->status == RESOLVD_WSA_E_CANCELLED, "won: calls %d status %d", o->calls, o->status);
        } else {
            lost++;
            CHECK(cancel == RESOLVD_WSA_INVALID_HANDLE, "cancel %d", cancel);
            CHECK(o->calls == calls_before, "a lost cancel ran a completion");
            wait_for(r, o);
            CHECK(o->calls == 1 && o->status == RESOLVD_NO_ERROR, "lost: calls %d status %d", o->calls, o->status);
        }
        if ((i + 1) % 25 == 0 && lost == 0 && max_spin < (1 << 28)) max_spin *= 4;
        if ((i + 1) % 25 == 0 && won == 0 && max_spin > 4) max_spin /= 4;
    }
    while (resolvd_pending(r) && resolvd_dispatch(r, -1) >= 0) {}
    int once = 0;
    for (int i = 0; i < rounds; i++) once += outcomes[i].calls == 1;
    CHECK(once == rounds, "%d of %d completed exactly once", once, rounds);
    printf("races: seed %u, %d rounds, cancel won %d, answer won %d\n", seed, rounds, won, lost);
    CHECK(won > 0 && lost > 0, "the cancel and the answer each won some rounds (random delays)");
}

/* In flight at a silent upstream: the cancels win, run the completion first, then say 6. */
static void test_cancels_in_flight(resolvd *r) {
    outcome o = { 0 };
    uint64_t handle;
    resolvd_getaddrinfo_ex(r, "held.example.test", NULL, NULL, 0, address_done, &o, &handle);
    CHECK(resolvd_dispatch(r, 100) == 0 && o.calls == 0, "nothing answers a silent upstream");
    CHECK(resolvd_getaddrinfo_ex_cancel(r, handle) == RESOLVD_NO_ERROR, "the cancel won");
    CHECK(o.calls == 1 && o.status == RESOLVD_WSA_E_CANCELLED, "calls %d status %d", o.calls, o.status);
    CHECK(resolvd_getaddrinfo_ex_cancel(r, handle) == RESOLVD_WSA_INVALID_HANDLE, "cancelled twice");

    o = (outcome){ 0 };
    handle = resolvd_async_gethostbyname(r, "held2.example.test", host_done, &o);
    CHECK(resolvd_cancel_async_request(r, handle) == RESOLVD_NO_ERROR, "cancel_async_request won");
    CHECK(o.calls == 1 && o.status == RESOLVD_WSA_E_CANCELLED, "calls %d status %d", o.calls, o.status);
    CHECK(resolvd_cancel_async_request(r, handle) == RESOLVD_WSAEALREADY, "finished");

    o = (outcome){ 0 };
    resolvd_getaddrinfo_ex(r, "held3.example.test", NULL, NULL, 200, address_done, &o, NULL);
    wait_for(r, &o);
    CHECK(o.calls == 1 && o.status == RESOLVD_WSAETIMEDOUT, "timeout_ms: %d", o.status);

    outcome several[5] = { 0 };
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "all%d.example.test", i);
        resolvd_getaddrinfo_ex(r, name, NULL, NULL, 0, address_done, &several[i], NULL);
    }
    unsigned cancelled = 0;
    CHECK(resolvd_cancel_all(r, &cancelled) == RESOLVD_NO_ERROR && cancelled == 5, "cancel_all: %u", cancelled);
    for (int i = 0; i < 5; i++)
        CHECK(several[i].calls == 1 && several[i].status == RESOLVD_ERROR_OPERATION_ABORTED, "%d: calls %d status %d",
              i, several[i].calls, several[i].status);
    CHECK(resolvd_cancel_all(r, &cancelled) == RESOLVD_ERROR_NOT_FOUND && cancelled == 0, "nothing left");
}

/* Completions that call the library: one that starts a lookup and makes a blocking call,
 * run from resolvd_dispatch; one that cancels another lookup, run from resolvd_cancel_all. */
typedef struct reentry {
    resolvd *r;
    outcome own, started;
    uint64_t other;
    int blocking, cancel;
} reentry;

static void reentering_done(int status, struct addrinfo *result, void *context) {
    reentry *e = context;
    e->own.calls++;
    e->own.status = status;
    resolvd_freeaddrinfo(result);
    if (e->other) {
        e->cancel = resolvd_getaddrinfo_ex_cancel(e->r, e->other);
        return;
    }
    resolvd_getaddrinfo_ex(e->r, "multi.example.test", NULL, &inet_stream, 0, address_done, &e->started, NULL);
    struct addrinfo *list = NULL;
    e->blocking = resolvd_getaddrinfo(e->r, "www.example.test", NULL, &inet_stream, 0, &list);
    resolvd_freeaddrinfo(list);
}

static void test_completions_that_call_the_library(resolvd *answering, resolvd *silent) {
    reentry e = { .r = answering };
    resolvd_getaddrinfo_ex(answering, "www.example.test", NULL, &inet_stream, 0, reentering_done, &e, NULL);
    wait_for(answering, &e.own);
    CHECK(e.own.calls == 1 && e.blocking == RESOLVD_NO_ERROR, "calls %d blocking %d", e.own.calls, e.blocking);
    wait_for(answering, &e.started);
    CHECK(e.started.calls == 1 && e.started.status == RESOLVD_NO_ERROR, "the lookup started in a completion: %d",
          e.started.status);

    reentry first = { .r = silent };
    outcome second = { 0 };
    resolvd_getaddrinfo_ex(silent, "reentry1.example.test", NULL, NULL, 0, reentering_done, &first, NULL);
    resolvd_getaddrinfo_ex(silent, "reentry2.example.test", NULL, NULL, 0, address_done, &second, &first.other);
    unsigned cancelled = 0;
    CHECK(resolvd_cancel_all(silent, &cancelled) == RESOLVD_NO_ERROR && cancelled == 2, "cancelled %u", cancelled);
    CHECK(first.own.calls == 1 && first.own.status == RESOLVD_ERROR_OPERATION_ABORTED, "first: %d %d", first.own.calls,
          first.own.status);
    CHECK(first.cancel == RESOLVD_WSA_INVALID_HANDLE, "the second was already aborted: %d", first.cancel);
    CHECK(second.calls == 1 && second.status == RESOLVD_ERROR_OPERATION_ABORTED, "second: %d %d", second.calls,
          second.status);
    CHECK(resolvd_pending(silent) == 0, "pending %zu", resolvd_pending(silent));
}

/* resolvd_close with 1,000 lookups in flight: each completes once, with 995. */
static void test_close_with_pending(const char *silent) {
    enum { COUNT = 1000 };
    static outcome outcomes[COUNT];
    resolvd *r = open_or_die(silent);
    for (int i = 0; i < COUNT; i++) {
        char name[64];
        snprintf(name, sizeof name, "pending%d.example.test", i);
        int s = i % 2 ? resolvd_getaddrinfo_ex(r, name, NULL, NULL, 0, address_done, &outcomes[i], NULL)
                      : (resolvd_async_gethostbyname(r, name, host_done, &outcomes[i]) ? RESOLVD_WSA_IO_PENDING : -1);
        CHECK(s == RESOLVD_WSA_IO_PENDING, "lookup %d: %d", i, s);
    }
    CHECK(resolvd_dispatch(r, 0) == 0 && resolvd_pending(r) == COUNT, "pending %zu", resolvd_pending(r));
    resolvd_close(r);
    int aborted = 0;
    for (int i = 0; i < COUNT; i++)
        aborted += outcomes[i].calls == 1 && outcomes[i].status == RESOLVD_ERROR_OPERATION_ABORTED;
    CHECK(aborted == COUNT, "%d of %d completed once with 995", aborted, COUNT);
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "codes")) {
        for (int code = 0; code < 20000; code++)
            if (strcmp(resolvd_strerror(code), "UNKNOWN")) printf("%d %s\n", code, resolvd_strerror(code));
        return 0;
    }
    if (argc != 5 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: %s codes | run ANSWERING_SOCKET SILENT_SOCKET SEED\n", argv[0]);
        return 2;
    }
    unsigned seed = (unsigned)strtoul(argv[4], NULL, 10);
    test_open(argv[2]);
    resolvd *answering = open_or_die(argv[2]);
    test_getaddrinfo(answering);
    test_cancel_after_the_answer_came(answering);
    test_gethostbyname(answering);
    test_getnameinfo_and_query(answering);
    test_blocking(answering);
    test_cancel_races(answering, seed, 300);
    resolvd *silent = open_or_die(argv[3]);
    test_cancels_in_flight(silent);
    test_completions_that_call_the_library(answering, silent);
    resolvd_close(answering);
    resolvd_close(silent);
    test_close_with_pending(argv[3]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
