/* Running completions: resolvd_dispatch, and the one place a reply becomes a done() call. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* Runs p's done with `status` and, on success, what `result` holds; then frees p. p must
 * already be out of the table, so that done may start or cancel other lookups. */
void rvd_complete(resolvd *r, pending *p, int status, const json_t *result) {
    (void)r;
    switch (p->kind) {
    case LOOKUP_ADDRINFO: {
        struct addrinfo *list = NULL;
        if (status == RESOLVD_NO_ERROR) list = rvd_addrinfo_from_json(result, &status);
        p->done.addrinfo(status, list, p->context);
        break;
    }
    case LOOKUP_HOSTENT:
        if (status == RESOLVD_NO_ERROR) rvd_with_hostent(result, p);
        else p->done.hostent(status, NULL, p->context);
        break;
    case LOOKUP_NAMEINFO:
        if (status == RESOLVD_NO_ERROR)
            p->done.nameinfo(status, json_string_value(json_object_get(result, "host")),
                             json_string_value(json_object_get(result, "service")), p->context);
        else p->done.nameinfo(status, NULL, NULL, p->context);
        break;
    case LOOKUP_QUERY:
        if (status == RESOLVD_NO_ERROR) rvd_with_records(result, p);
        else p->done.query(status, NULL, 0, p->context);
        break;
    }
    free(p);
}

/* Hands a reply to its pending lookup, if it has one; true when a completion ran. Consumes
 * the reply. A reply without an id is the daemon refusing the connection (a limit): its
 * status is what the pending lookups end with. */
bool rvd_deliver(resolvd *r, json_t *reply) {
    uint64_t id = rvd_reply_id(reply);
    pending *p = id ? rvd_pending_find(r, id) : NULL;
    if (!id) r->failure_status = rvd_reply_status(reply);
    if (p) {
        rvd_pending_remove(r, p);
        rvd_complete(r, p, rvd_reply_status(reply), json_object_get(reply, "result"));
    }
    json_decref(reply);
    return p != NULL;
}

/* Completes every pending lookup, oldest first, with `status`; how many. */
int rvd_fail_pending(resolvd *r, int status) {
    int run = 0;
    for (pending *p; (p = r->oldest); run++) {
        rvd_pending_remove(r, p);
        rvd_complete(r, p, status, NULL);
    }
    return run;
}

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int resolvd_dispatch(resolvd *r, int timeout_ms) {
    if (!r || timeout_ms < -1) {
        errno = EINVAL;
        return -1;
    }
    long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    int run = 0;
    for (;;) {
        for (json_t *reply; (reply = rvd_stash_take_first(r));) run += rvd_deliver(r, reply);
        for (json_t *reply; (reply = rvd_next_reply(r, false));) run += rvd_deliver(r, reply);
        if (r->failed) {
            run += rvd_fail_pending(r, r->failure_status);
            errno = ECONNRESET;
            return -1;
        }
        if (run > 0 || timeout_ms == 0 || r->pending_count == 0) return run;
        int wait = -1;
        if (timeout_ms > 0) {
            long long left = deadline - now_ms();
            if (left <= 0) return run;
            wait = (int)left;
        }
        if (rvd_poll_for_reply(r, wait) == 0) return run; /* the time is up */
    }
}
