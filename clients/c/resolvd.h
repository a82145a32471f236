/*
 * libresolvd: cancellable DNS lookups for C programs, over resolvd's protocol v1.
 *
 * One `resolvd` handle is one connection to the daemon; many lookups share it. It plugs into
 * any event loop: poll resolvd_fd() for reading and call resolvd_dispatch(), which reads the
 * replies and runs the completions on the caller's thread. The calls mirror Windows':
 * GetAddrInfoEx / GetAddrInfoExCancel, WSAAsyncGetHostByName / WSACancelAsyncRequest and
 * CancelIoEx(handle, NULL), with the same result codes (docs/error-codes.md).
 *
 * A completion runs only from resolvd_dispatch(), from resolvd_close(), or, for the lookups
 * it cancels, inside a cancel call that won; never from the call that started the lookup.
 * A handle is not thread-safe: use it from one thread at a time. Completions may start and
 * cancel lookups on the same handle, but must not call resolvd_close() on it.
 *
 * What it does not do: resolve by itself (no DNS, no hosts file: the daemon does), retry, or
 * reconnect. See resolvd(3).
 */
#ifndef RESOLVD_H
#define RESOLVD_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Declared here too: a strict -std=c11 build without POSIX feature macros has <netdb.h>
 * leave them out, and the prototypes must still name the same types. */
struct addrinfo;
struct hostent;
struct sockaddr;

#ifdef __cplusplus
extern "C" {
#endif

/* The result codes: the Windows ones, as resolvd reports them (docs/error-codes.md). */
enum {
    RESOLVD_NO_ERROR = 0,
    RESOLVD_WSA_INVALID_HANDLE = 6,
    RESOLVD_WSA_NOT_ENOUGH_MEMORY = 8,
    RESOLVD_ERROR_OPERATION_ABORTED = 995,
    RESOLVD_WSA_IO_PENDING = 997,
    RESOLVD_ERROR_NOT_FOUND = 1168,
    RESOLVD_WSAEACCES = 10013,
    RESOLVD_WSAEINVAL = 10022,
    RESOLVD_WSAEALREADY = 10037,
    RESOLVD_WSAESOCKTNOSUPPORT = 10044,
    RESOLVD_WSAEAFNOSUPPORT = 10047,
    RESOLVD_WSAENOBUFS = 10055,
    RESOLVD_WSAETIMEDOUT = 10060,
    RESOLVD_WSATYPE_NOT_FOUND = 10109,
    RESOLVD_WSA_E_CANCELLED = 10111,
    RESOLVD_WSAHOST_NOT_FOUND = 11001,
    RESOLVD_WSATRY_AGAIN = 11002,
    RESOLVD_WSANO_RECOVERY = 11003,
    RESOLVD_WSANO_DATA = 11004
};

/* The Windows symbol of a result code ("WSA_E_CANCELLED"); "UNKNOWN" for any other number. */
const char *resolvd_strerror(int code);

typedef struct resolvd resolvd;

/* Connects to resolvd. socket_path NULL: $RESOLVD_SOCKET, else /run/resolvd/resolvd.sock.
 * NULL on failure, with *error (if not NULL) set to an errno value (ENOENT, ECONNREFUSED,
 * EACCES, ENAMETOOLONG, ENOMEM). */
resolvd *resolvd_open(const char *socket_path, int *error);

/* Closes the connection (the daemon aborts its lookups). Every pending lookup completes with
 * 995 ERROR_OPERATION_ABORTED before it returns. NULL is ignored. */
void resolvd_close(resolvd *r);

/* The descriptor to poll for reading (POLLIN); it stays the same until resolvd_close. */
int resolvd_fd(const resolvd *r);

/* Reads the replies that have come and runs their completions on this thread.
 * timeout_ms 0: do not wait; > 0: wait at most that long for the first completion;
 * -1: wait until at least one completion ran (returns 0 at once when nothing is pending).
 * Returns the number of completions run, or -1 (errno set) when the connection failed: its
 * pending lookups have then completed with 995, or with the status of the daemon's refusal. */
int resolvd_dispatch(resolvd *r, int timeout_ms);

/* How many lookups are pending (their completion has not run yet). */
size_t resolvd_pending(const resolvd *r);

/* --- GetAddrInfoEx ---------------------------------------------------------------------- */

/* Starts getaddrinfo(name, service, hints). Returns 997 WSA_IO_PENDING when started, with
 * *handle (if not NULL) set: done then runs exactly once, later. Any other return is an
 * error at once (10022 bad argument, 10047 family, 10044 socket type, 8 memory, 995 the
 * connection failed) and done never runs. hints: ai_family AF_UNSPEC/AF_INET/AF_INET6,
 * ai_socktype 0/SOCK_STREAM/SOCK_DGRAM/SOCK_RAW, ai_protocol 0/IPPROTO_TCP/IPPROTO_UDP,
 * ai_flags AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_ADDRCONFIG, AI_V4MAPPED,
 * AI_ALL. timeout_ms 0: no deadline of its own (the daemon's tries bound it), else
 * 10060 WSAETIMEDOUT at the deadline. done gets status 0 with a list the caller owns and
 * frees with resolvd_freeaddrinfo, or a failure with result NULL. */
int resolvd_getaddrinfo_ex(resolvd *r, const char *name, const char *service, const struct addrinfo *hints,
                           int timeout_ms, void (*done)(int status, struct addrinfo *result, void *context),
                           void *context, uint64_t *handle);

/* GetAddrInfoExCancel: 0 when the cancel won (the lookup's done has already run with 10111
 * WSA_E_CANCELLED when this returns); 6 WSA_INVALID_HANDLE for a finished, never issued or
 * unknown handle (a lookup that finished first keeps its answer: its done runs from
 * resolvd_dispatch). Works on a lookup of any kind. */
int resolvd_getaddrinfo_ex_cancel(resolvd *r, uint64_t handle);

/* Frees a list given to a getaddrinfo completion (NULL is ignored). Not glibc's freeaddrinfo. */
void resolvd_freeaddrinfo(struct addrinfo *result);

/* The blocking convenience call for simple programs: the status (0 with *result set, to be
 * freed with resolvd_freeaddrinfo). Other lookups' completions do not run inside it. */
int resolvd_getaddrinfo(resolvd *r, const char *name, const char *service, const struct addrinfo *hints,
                        int timeout_ms, struct addrinfo **result);

/* --- WSAAsyncGetHostByName ------------------------------------------------------------- */

/* Starts gethostbyname(name) for IPv4. Returns the handle, or 0 when it could not start (no
 * completion). host is valid only while done runs (NULL on failure). */
uint64_t resolvd_async_gethostbyname(resolvd *r, const char *name,
                                     void (*done)(int status, const struct hostent *host, void *context),
                                     void *context);

/* WSACancelAsyncRequest: 0 (done has run with 10111 when it returns), 10037 WSAEALREADY for
 * a finished lookup, 10022 WSAEINVAL for a handle never issued (0 included). */
int resolvd_cancel_async_request(resolvd *r, uint64_t handle);

/* CancelIoEx(handle, NULL): 0 with *cancelled (if not NULL) the count, each cancelled
 * lookup's done having run with 995 first; 1168 ERROR_NOT_FOUND when nothing was pending. */
int resolvd_cancel_all(resolvd *r, unsigned *cancelled);

/* --- getnameinfo and record queries ------------------------------------------------------ */

/* Starts getnameinfo on an AF_INET or AF_INET6 address with NI_NAMEREQD, NI_NUMERICHOST,
 * NI_NUMERICSERV, NI_NOFQDN, NI_DGRAM flags. Returns and completes like
 * resolvd_getaddrinfo_ex; host and service are valid only while done runs. */
int resolvd_getnameinfo_ex(resolvd *r, const struct sockaddr *address, socklen_t length, int flags, int timeout_ms,
                           void (*done)(int status, const char *host, const char *service, void *context),
                           void *context, uint64_t *handle);

/* One DNS record of a query's answer: its owner name, type ("MX"), TTL and data in master
 * file presentation form ("10 mx1.example.test"). */
typedef struct resolvd_record {
    const char *name;
    const char *type;
    uint32_t ttl;
    const char *data;
} resolvd_record;

/* Starts a query for name's records of type ("A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA",
 * "SRV", "TXT", "CAA", "NAPTR"). Returns and completes like resolvd_getaddrinfo_ex; records
 * are valid only while done runs. */
int resolvd_query(resolvd *r, const char *name, const char *type, int timeout_ms,
                  void (*done)(int status, const resolvd_record *records, size_t count, void *context),
                  void *context, uint64_t *handle);

#ifdef __cplusplus
}
#endif

#endif
