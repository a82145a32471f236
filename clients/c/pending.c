/* The pending lookups (a hash table by id plus a list in id order) and the stash of replies
 * read ahead. Nothing here talks to the socket or runs a completion. */
#include "internal.h"

#include <stdlib.h>

static size_t bucket_of(const resolvd *r, uint64_t id) {
    return (size_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 32) & (r->bucket_count - 1);
}

static bool grow(resolvd *r) {
    size_t count = r->bucket_count ? r->bucket_count * 2 : 64;
    pending **buckets = calloc(count, sizeof *buckets);
    if (!buckets) return false;
    free(r->buckets);
    r->buckets = buckets;
    r->bucket_count = count;
    for (pending *p = r->oldest; p; p = p->newer) {
        size_t b = bucket_of(r, p->id);
        p->bucket_next = r->buckets[b];
        r->buckets[b] = p;
    }
    return true;
}

pending *rvd_pending_add(resolvd *r, uint64_t id, enum lookup_kind kind, void *context) {
    if (r->pending_count >= r->bucket_count && !grow(r)) return NULL;
    pending *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id = id;
    p->kind = kind;
    p->context = context;
    size_t b = bucket_of(r, id);
    p->bucket_next = r->buckets[b];
    r->buckets[b] = p;
    p->older = r->newest;
    if (r->newest) r->newest->newer = p; else r->oldest = p;
    r->newest = p;
    r->pending_count++;
    return p;
}

pending *rvd_pending_find(const resolvd *r, uint64_t id) {
    if (!r->bucket_count) return NULL;
    for (pending *p = r->buckets[bucket_of(r, id)]; p; p = p->bucket_next)
        if (p->id == id) return p;
    return NULL;
}

/* Unlinks p; the caller frees it after its completion ran. */
void rvd_pending_remove(resolvd *r, pending *p) {
    pending **link = &r->buckets[bucket_of(r, p->id)];
    while (*link != p) link = &(*link)->bucket_next;
    *link = p->bucket_next;
    if (p->older) p->older->newer = p->newer; else r->oldest = p->newer;
    if (p->newer) p->newer->older = p->older; else r->newest = p->older;
    r->pending_count--;
}

size_t resolvd_pending(const resolvd *r) { return r ? r->pending_count : 0; }

void rvd_stash_push(resolvd *r, uint64_t id, json_t *reply) {
    stashed_reply *s = malloc(sizeof *s);
    if (!s) { /* out of memory: the reply is lost; its lookup ends when the connection does */
        json_decref(reply);
        return;
    }
    *s = (stashed_reply){ .id = id, .json = reply };
    if (r->stash_tail) r->stash_tail->next = s; else r->stash_head = s;
    r->stash_tail = s;
}

static json_t *unlink_stashed(resolvd *r, stashed_reply **link, stashed_reply *previous) {
    stashed_reply *s = *link;
    *link = s->next;
    if (r->stash_tail == s) r->stash_tail = previous;
    json_t *reply = s->json;
    free(s);
    return reply;
}

json_t *rvd_stash_take(resolvd *r, uint64_t id) {
    stashed_reply *previous = NULL;
    for (stashed_reply **link = &r->stash_head; *link; previous = *link, link = &(*link)->next)
        if ((*link)->id == id) return unlink_stashed(r, link, previous);
    return NULL;
}

json_t *rvd_stash_take_status(resolvd *r, int status) {
    stashed_reply *previous = NULL;
    for (stashed_reply **link = &r->stash_head; *link; previous = *link, link = &(*link)->next)
        if (rvd_reply_status((*link)->json) == status) return unlink_stashed(r, link, previous);
    return NULL;
}

json_t *rvd_stash_take_first(resolvd *r) {
    return r->stash_head ? unlink_stashed(r, &r->stash_head, NULL) : NULL;
}

bool rvd_stash_holds(const resolvd *r, uint64_t id) {
    for (const stashed_reply *s = r->stash_head; s; s = s->next)
        if (s->id == id) return true;
    return false;
}
