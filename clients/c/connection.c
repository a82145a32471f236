/* The connection: opening and closing it, writing request lines, reading reply lines. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/resolvd/resolvd.sock"
#define READ_CHUNK 65536

resolvd *resolvd_open(const char *socket_path, int *error) {
    int ignored;
    if (!error) error = &ignored;
    if (!socket_path) socket_path = getenv("RESOLVD_SOCKET");
    if (!socket_path || !*socket_path) socket_path = DEFAULT_SOCKET;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof address.sun_path) {
        *error = errno = ENAMETOOLONG;
        return NULL;
    }
    strcpy(address.sun_path, socket_path);
    resolvd *r = calloc(1, sizeof *r);
    if (!r) {
        *error = errno = ENOMEM;
        return NULL;
    }
    r->failure_status = RESOLVD_ERROR_OPERATION_ABORTED;
    r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&address, sizeof address) < 0) {
        *error = errno;
        if (r->fd >= 0) close(r->fd);
        free(r);
        errno = *error;
        return NULL;
    }
    /* Non-blocking after the connect: writes that would block read replies meanwhile. */
    int flags = fcntl(r->fd, F_GETFL);
    if (flags < 0 || fcntl(r->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        *error = errno;
        close(r->fd);
        free(r);
        errno = *error;
        return NULL;
    }
    *error = 0;
    return r;
}

int resolvd_fd(const resolvd *r) { return r ? r->fd : -1; }

void resolvd_close(resolvd *r) {
    if (!r) return;
    close(r->fd);
    r->failed = true;
    rvd_fail_pending(r, RESOLVD_ERROR_OPERATION_ABORTED);
    for (json_t *reply; (reply = rvd_stash_take_first(r));) json_decref(reply);
    free(r->buckets);
    free(r->input);
    free(r);
}

static void mark_failed(resolvd *r) {
    if (!r->failed) shutdown(r->fd, SHUT_RDWR);
    r->failed = true;
}

/* Reads what the socket has without blocking. 1: read something; 0: nothing there; -1: the
 * connection ended (end of file or an error; r->failed is set). */
static int read_available(resolvd *r) {
    int got = 0;
    for (;;) {
        if (r->input_capacity - r->input_length < READ_CHUNK) {
            size_t capacity = r->input_capacity ? r->input_capacity * 2 : READ_CHUNK * 2;
            char *input = realloc(r->input, capacity);
            if (!input) {
                mark_failed(r);
                return -1;
            }
            r->input = input;
            r->input_capacity = capacity;
        }
        ssize_t n = read(r->fd, r->input + r->input_length, r->input_capacity - r->input_length);
        if (n > 0) {
            r->input_length += (size_t)n;
            got = 1;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return got;
        mark_failed(r);
        return got ? 1 : -1;
    }
}

/* Waits until the socket is readable (or writable, when `writing`); -1 ms waits forever. */
static int wait_ready(resolvd *r, bool writing, int timeout_ms) {
    struct pollfd descriptor = { .fd = r->fd, .events = POLLIN | (writing ? POLLOUT : 0) };
    int n;
    do n = poll(&descriptor, 1, timeout_ms); while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : descriptor.revents;
}

/* Writes `request` (consumed; NULL is a failed allocation) as the next id's line: that id, or
 * 0 when it could not be sent. */
uint64_t rvd_send_request(resolvd *r, json_t *request) {
    uint64_t id = r->last_id + 1;
    char *line = NULL;
    if (request && !r->failed && json_object_set_new(request, "id", json_integer((json_int_t)id)) == 0)
        line = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    if (!line) return 0;
    size_t length = strlen(line);
    line[length] = '\n'; /* json_dumps' terminator becomes the line's end */
    r->last_id = id;
    size_t sent = 0;
    while (sent < length + 1) {
        ssize_t n = send(r->fd, line + sent, length + 1 - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The daemon stops reading while our replies wait unread: read them meanwhile. */
            int ready = wait_ready(r, true, -1);
            if (ready < 0 || ((ready & POLLIN) && read_available(r) < 0 && sent < length + 1)) {
                mark_failed(r);
                break;
            }
        } else {
            mark_failed(r);
            break;
        }
    }
    free(line);
    return r->failed ? 0 : id;
}

uint64_t rvd_reply_id(const json_t *reply) {
    json_t *id = json_object_get(reply, "id");
    return json_is_integer(id) && json_integer_value(id) > 0 ? (uint64_t)json_integer_value(id) : 0;
}

int rvd_reply_status(const json_t *reply) {
    json_t *status = json_object_get(reply, "status");
    return json_is_integer(status) ? (int)json_integer_value(status) : RESOLVD_WSAEINVAL;
}

/* The next complete reply line already read, parsed; NULL when none is there. */
static json_t *buffered_reply(resolvd *r) {
    for (;;) {
        char *end = r->input_length ? memchr(r->input, '\n', r->input_length) : NULL;
        if (!end) return NULL;
        size_t length = (size_t)(end - r->input);
        json_t *reply = length ? json_loadb(r->input, length, 0, NULL) : NULL;
        r->input_length -= length + 1;
        memmove(r->input, end + 1, r->input_length);
        if (json_is_object(reply) && json_object_get(reply, "status")) return reply;
        json_decref(reply); /* a blank line, or a monitor event: not a reply */
    }
}

/* The next reply from the socket (not the stash). wait: block until one comes. NULL when
 * none is there (or the connection ended: r->failed). */
json_t *rvd_next_reply(resolvd *r, bool wait) {
    for (;;) {
        json_t *reply = buffered_reply(r);
        if (reply || r->failed) return reply;
        int got = read_available(r);
        if (got > 0) continue;
        if (got < 0 || !wait) return NULL;
        if (wait_ready(r, false, -1) < 0) {
            mark_failed(r);
            return NULL;
        }
    }
}

/* Reads until the reply to `id` comes; every other reply is stashed for resolvd_dispatch.
 * NULL when the connection ended first. */
json_t *rvd_wait_for_reply(resolvd *r, uint64_t id) {
    for (json_t *reply; (reply = rvd_next_reply(r, true));) {
        uint64_t got = rvd_reply_id(reply);
        if (got == id) return reply;
        rvd_stash_push(r, got, reply);
    }
    return NULL;
}

int rvd_poll_for_reply(resolvd *r, int timeout_ms) {
    int ready = wait_ready(r, false, timeout_ms);
    if (ready < 0) mark_failed(r);
    return ready;
}
