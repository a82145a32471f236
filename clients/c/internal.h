/* libresolvd's insides: the connection, its pending lookups and the replies read ahead.
 * Every function shared between the files is named rvd_*: the static archive exports them,
 * and a short common name (complete, deliver) could clash with a program's own. */
#ifndef RESOLVD_INTERNAL_H
#define RESOLVD_INTERNAL_H

#include "resolvd.h"

#include <jansson.h>
#include <stdbool.h>

/* What a pending lookup hands its reply to. */
enum lookup_kind { LOOKUP_ADDRINFO, LOOKUP_HOSTENT, LOOKUP_NAMEINFO, LOOKUP_QUERY };

typedef struct pending {
    uint64_t id;
    enum lookup_kind kind;
    union {
        void (*addrinfo)(int, struct addrinfo *, void *);
        void (*hostent)(int, const struct hostent *, void *);
        void (*nameinfo)(int, const char *, const char *, void *);
        void (*query)(int, const resolvd_record *, size_t, void *);
    } done;
    void *context;
    struct pending *bucket_next;      /* the id's hash chain */
    struct pending *older, *newer;    /* every pending lookup, in id order */
} pending;

/* A reply read while waiting for another one (a cancel's, a blocking call's): kept, in
 * arrival order, for resolvd_dispatch, so that no other completion runs inside those calls. */
typedef struct stashed_reply {
    uint64_t id;
    json_t *json;
    struct stashed_reply *next;
} stashed_reply;

struct resolvd {
    int fd;
    uint64_t last_id;            /* the highest request id sent: ids are strictly increasing */
    char *input;                 /* bytes read, not yet cut into lines */
    size_t input_length, input_capacity;
    pending **buckets;           /* id -> pending lookup; bucket_count is a power of two */
    size_t bucket_count, pending_count;
    pending *oldest, *newest;
    stashed_reply *stash_head, *stash_tail;
    bool failed;                 /* the connection broke: no new lookups; pending ones end */
    int failure_status;          /* what they end with: 995, or the daemon's refusal */
};

/* connection.c */
uint64_t rvd_send_request(resolvd *r, json_t *request);
json_t *rvd_next_reply(resolvd *r, bool wait);
json_t *rvd_wait_for_reply(resolvd *r, uint64_t id);
uint64_t rvd_reply_id(const json_t *reply);
int rvd_reply_status(const json_t *reply);
int rvd_poll_for_reply(resolvd *r, int timeout_ms);

/* pending.c */
pending *rvd_pending_add(resolvd *r, uint64_t id, enum lookup_kind kind, void *context);
pending *rvd_pending_find(const resolvd *r, uint64_t id);
void rvd_pending_remove(resolvd *r, pending *p);
void rvd_stash_push(resolvd *r, uint64_t id, json_t *reply);
json_t *rvd_stash_take(resolvd *r, uint64_t id);
json_t *rvd_stash_take_first(resolvd *r);
json_t *rvd_stash_take_status(resolvd *r, int status);
bool rvd_stash_holds(const resolvd *r, uint64_t id);

/* completion.c */
void rvd_complete(resolvd *r, pending *p, int status, const json_t *result);
bool rvd_deliver(resolvd *r, json_t *reply);
int rvd_fail_pending(resolvd *r, int status);

/* results.c */
struct addrinfo *rvd_addrinfo_from_json(const json_t *result, int *status);
void rvd_with_hostent(const json_t *result, pending *p);
void rvd_with_records(const json_t *result, pending *p);

#endif
