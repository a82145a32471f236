/* The cancel calls (GetAddrInfoExCancel, WSACancelAsyncRequest, CancelIoEx) and the blocking
 * call: each waits for its own reply, keeping every other reply for resolvd_dispatch. */
#include "internal.h"

#include <stdlib.h>

/* Asks the daemon to cancel `handle` with `op`: the daemon's status, after running the
 * lookup's 10111 completion when the cancel won. `too_late` when the connection broke. */
static int cancel_one(resolvd *r, const char *op, uint64_t handle, int too_late) {
    uint64_t id = rvd_send_request(r, json_pack("{s:s,s:I}", "op", op, "handle", (json_int_t)handle));
    json_t *reply = id ? rvd_wait_for_reply(r, id) : NULL;
    if (!reply) return too_late;
    int status = rvd_reply_status(reply);
    json_decref(reply);
    if (status == RESOLVD_NO_ERROR) {
        /* The lookup's 10111 reply came first and is in the stash. */
        json_t *cancelled = rvd_stash_take(r, handle);
        pending *p = rvd_pending_find(r, handle);
        if (p) {
            rvd_pending_remove(r, p);
            rvd_complete(r, p, RESOLVD_WSA_E_CANCELLED, NULL);
        }
        json_decref(cancelled);
    }
    return status;
}

int resolvd_getaddrinfo_ex_cancel(resolvd *r, uint64_t handle) {
    /* Not pending, or its answer already read: the lookup finished, the daemon would say 6. */
    if (!r || !rvd_pending_find(r, handle) || rvd_stash_holds(r, handle)) return RESOLVD_WSA_INVALID_HANDLE;
    return cancel_one(r, "cancel", handle, RESOLVD_WSA_INVALID_HANDLE);
}

int resolvd_cancel_async_request(resolvd *r, uint64_t handle) {
    if (!r || handle == 0 || handle > r->last_id) return RESOLVD_WSAEINVAL;
    if (!rvd_pending_find(r, handle) || rvd_stash_holds(r, handle)) return RESOLVD_WSAEALREADY;
    return cancel_one(r, "cancel_async_request", handle, RESOLVD_WSAEALREADY);
}

int resolvd_cancel_all(resolvd *r, unsigned *cancelled) {
    if (cancelled) *cancelled = 0;
    if (!r) return RESOLVD_WSAEINVAL;
    if (r->pending_count == 0) return RESOLVD_ERROR_NOT_FOUND;
    uint64_t id = rvd_send_request(r, json_pack("{s:s}", "op", "cancel_all"));
    json_t *reply = id ? rvd_wait_for_reply(r, id) : NULL;
    if (!reply) return RESOLVD_ERROR_NOT_FOUND; /* the connection broke: dispatch ends them */
    int status = rvd_reply_status(reply);
    if (status == RESOLVD_NO_ERROR && cancelled)
        *cancelled = (unsigned)json_integer_value(json_object_get(json_object_get(reply, "result"), "cancelled"));
    json_decref(reply);
    if (status != RESOLVD_NO_ERROR) return status;
    /* Each cancelled lookup's 995 reply came before this one: run them now, in order (one at
     * a time from the stash, which a completion may add to); an answer that came before the
     * cancel stays for resolvd_dispatch. */
    for (json_t *aborted; (aborted = rvd_stash_take_status(r, RESOLVD_ERROR_OPERATION_ABORTED));)
        rvd_deliver(r, aborted);
    return status;
}

struct outcome {
    int status;
    struct addrinfo *result;
};

static void keep(int status, struct addrinfo *result, void *context) {
    struct outcome *outcome = context;
    outcome->status = status;
    outcome->result = result;
}

int resolvd_getaddrinfo(resolvd *r, const char *name, const char *service, const struct addrinfo *hints,
                        int timeout_ms, struct addrinfo **result) {
    struct outcome outcome = { RESOLVD_ERROR_OPERATION_ABORTED, NULL };
    uint64_t handle;
    if (result) *result = NULL;
    if (!result) return RESOLVD_WSAEINVAL;
    int status = resolvd_getaddrinfo_ex(r, name, service, hints, timeout_ms, keep, &outcome, &handle);
    if (status != RESOLVD_WSA_IO_PENDING) return status;
    json_t *reply = rvd_wait_for_reply(r, handle);
    pending *p;
    if (reply) {
        rvd_deliver(r, reply);
    } else if ((p = rvd_pending_find(r, handle))) { /* the connection ended first */
        rvd_pending_remove(r, p);
        rvd_complete(r, p, r->failure_status, NULL);
    }
    *result = outcome.result;
    return outcome.status;
}
