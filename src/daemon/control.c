/* The control socket's transport: listen, check each peer, frame JSON lines,
 * bound what a client can make the daemon hold. */
#include "control.h"
#include "unixsock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct conn conn;

struct pm_request {
    conn *conn; /* NULL once the client has gone */
};

struct conn {
    uv_pipe_t pipe;
    pm_control *ctl;
    char *buf; /* a partial request line */
    size_t len, cap;
    pm_request *pending;
    char *follow; /* the name whose output it follows, or NULL */
    size_t dropped;
    bool closing;
    bool reading;
    bool processing; /* in conn_process: an answer given now must not recurse */
    conn *prev, *next;
};

struct pm_control {
    uv_pipe_t server;
    char *path;
    dev_t dev;
    ino_t ino;
    pm_request_handler handler;
    void *arg;
    conn *conns;
    size_t nfollowers;
};

typedef struct write_req {
    uv_write_t req;
    char data[];
} write_req;

static void conn_close(conn *c);
static void conn_process(conn *c);

/* ---- writing ---- */

/* Answers waiting for a client that does not read: past this, its next
 * request is not read until they drain, so that pipelining requests
 * without reading cannot make us hold answer after answer. */
#define ANSWER_BACKLOG_MAX (1024 * 1024)

static bool backlogged(conn *c)
{
    return uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > ANSWER_BACKLOG_MAX;
}

static void conn_read(conn *c, bool on);

static void write_done(uv_write_t *w, int status)
{
    conn *c = w->handle->data;
    free(w);
    if (status < 0) { /* the client is gone (we may not be reading to see it) */
        if (!c->closing)
            conn_close(c);
        return;
    }
    /* Drained enough: take the next request, buffered or still to read. */
    if (!c->closing && !c->pending && !c->reading && !c->processing && !backlogged(c)) {
        conn_process(c);
        /* Still backlogged: the next write's end takes the requests already
         * buffered; reading on here would leave them unanswered. */
        if (!c->pending && !c->closing && !backlogged(c))
            conn_read(c, true);
    }
}

static const char out_of_memory[] = "{\"ok\":false,\"error\":\"out of memory\"}\n";

/* Sends one answer line: text (n bytes, without the newline) and '\n'.
 * What the socket takes now is written at once and only the rest is copied
 * and queued; a client found gone here is closed before anything is copied
 * for it.  (A queued write that fails is reported only on the loop's next
 * turn: a burst of clients that hung up would otherwise each hold a copy of
 * their answers until then, hundreds of KB apiece.) */
static void conn_send_text(conn *c, const char *text, size_t n)
{
    if (c->closing)
        return;
    size_t done = 0;
    uv_buf_t now[2] = {uv_buf_init((char *)text, (unsigned)n), uv_buf_init("\n", 1)};
    int r = uv_try_write((uv_stream_t *)&c->pipe, now, 2); /* UV_EAGAIN while writes are queued */
    if (r >= 0)
        done = (size_t)r;
    else if (r != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    if (done == n + 1)
        return;
    write_req *w = malloc(sizeof *w + n + 1 - done);
    if (!w) {
        conn_close(c);
        return;
    }
    memcpy(w->data, text + done, n - done);
    w->data[n - done] = '\n';
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)(n + 1 - done));
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, write_done) < 0) {
        free(w);
        conn_close(c);
    }
}

static void conn_send(conn *c, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (c->closing) {
        free(text);
        return;
    }
    if (!text) { /* still an answer, if the socket takes it now */
        uv_buf_t buf = uv_buf_init((char *)out_of_memory, sizeof out_of_memory - 1);
        (void)uv_try_write((uv_stream_t *)&c->pipe, &buf, 1);
        return;
    }
    conn_send_text(c, text, strlen(text));
    free(text);
}

static json_t *error_answer(const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return json_pack("{sbss}", "ok", 0, "error", msg);
}

static void conn_fail(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_fail(conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *answer = error_answer(fmt, ap);
    va_end(ap);
    if (answer)
        conn_send(c, answer);
}

/* A last word before hanging up: written now if the socket takes it, since
 * closing drops whatever is still queued. */
static void conn_refuse(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_refuse(conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *answer = error_answer(fmt, ap);
    va_end(ap);
    char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    if (text) {
        size_t n = strlen(text);
        uv_buf_t bufs[2] = {uv_buf_init(text, (unsigned)n), uv_buf_init("\n", 1)};
        (void)uv_try_write((uv_stream_t *)&c->pipe, bufs, 2);
        free(text);
    }
    conn_close(c);
}

/* ---- requests ---- */


static void request_finish(pm_request *req)
{
    conn *c = req->conn;
    free(req);
    if (!c)
        return;
    c->pending = NULL;
    if (!c->closing && !c->processing) {
        conn_process(c); /* the next request may already be buffered */
        if (!c->pending && !c->closing && !backlogged(c))
            conn_read(c, true);
    }
}

void pm_request_answer(pm_request *req, json_t *answer)
{
    if (req->conn)
        conn_send(req->conn, answer);
    else
        json_decref(answer);
    request_finish(req);
}

void pm_request_answer_text(pm_request *req, const char *text, size_t len)
{
    if (req->conn)
        conn_send_text(req->conn, text, len);
    request_finish(req);
}

void pm_request_fail(pm_request *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *answer = error_answer(fmt, ap);
    va_end(ap);
    pm_request_answer(req, answer);
}

void pm_request_answer_follow(pm_request *req, json_t *answer, const char *name)
{
    conn *c = req->conn;
    if (c && !c->follow && (c->follow = strdup(name)))
        c->ctl->nfollowers++;
    pm_request_answer(req, answer);
}

void pm_control_follow_line(pm_control *ctl, const char *name, json_t *line)
{
    for (conn *c = ctl->conns; c; c = c->next) {
        if (!c->follow || c->closing || strcmp(c->follow, name) != 0)
            continue;
        /* A follower that does not read cannot make us hold more. */
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > PM_CONTROL_MAX_BACKLOG) {
            c->dropped++;
            continue;
        }
        if (c->dropped) {
            conn_send(c, json_pack("{sI}", "dropped", (json_int_t)c->dropped));
            c->dropped = 0;
        }
        conn_send(c, json_pack("{sO}", "line", line));
    }
}

bool pm_control_has_followers(const pm_control *ctl)
{
    return ctl->nfollowers > 0;
}

/* ---- reading ---- */

static void refuse_too_long(conn *c)
{
    conn_refuse(c, "request too long (the limit is %d bytes)", PM_CONTROL_MAX_REQUEST);
}

/* Hands the next complete line to the handler, one request at a time. */
static void conn_process(conn *c)
{
    c->processing = true;
    while (!c->pending && !c->closing && !backlogged(c)) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (!nl)
            break;
        if (nl - c->buf > PM_CONTROL_MAX_REQUEST) {
            refuse_too_long(c);
            break;
        }
        *nl = '\0';
        size_t used = (size_t)(nl - c->buf) + 1;
        char err[512];
        pm_cmd cmd;
        json_t *msg;
        int r = pm_request_decode(c->buf, used - 1, &cmd, &msg, err, sizeof err);
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        if (r < 0) {
            conn_fail(c, "%s", err);
            continue;
        }
        pm_request *req = malloc(sizeof *req);
        if (!req) {
            json_decref(msg);
            conn_fail(c, "out of memory");
            continue;
        }
        req->conn = c;
        c->pending = req;
        c->ctl->handler(c->ctl->arg, req, cmd, msg);
        /* Requests behind this one wait in the socket, not in our memory. */
        if (c->pending && !c->closing)
            conn_read(c, false);
        json_decref(msg);
    }
    if (!c->closing && backlogged(c))
        conn_read(c, false); /* write_done reads on once the client catches up */
    c->processing = false;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *c = h->data;
    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        if (cap > PM_CONTROL_MAX_REQUEST + 4096)
            cap = PM_CONTROL_MAX_REQUEST + 4096;
        char *b = cap > c->cap ? realloc(c->buf, cap) : NULL;
        if (b) {
            c->buf = b;
            c->cap = cap;
        }
    }
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    conn *c = s->data;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)nread;
    if (!memchr(c->buf, '\n', c->len) && c->len > PM_CONTROL_MAX_REQUEST) {
        refuse_too_long(c);
        return;
    }
    conn_process(c);
}

static void conn_read(conn *c, bool on)
{
    if (on == c->reading)
        return;
    int r = on ? uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb)
               : uv_read_stop((uv_stream_t *)&c->pipe);
    if (r < 0)
        conn_close(c);
    else
        c->reading = on;
}

/* ---- connections ---- */

static void conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    free(c->buf);
    free(c->follow);
    free(c);
}

static void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->pending) {
        c->pending->conn = NULL; /* its answer, when it comes, goes nowhere */
        c->pending = NULL;
    }
    if (c->follow)
        c->ctl->nfollowers--;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->ctl->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    /* uv_close lets queued writes fail; a shutdown would wait for them, but a
     * peer that never reads must not keep us waiting. */
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

/* Root and the daemon's own user only. */
static bool peer_allowed(uv_pipe_t *pipe, uid_t *uid)
{
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (uv_fileno((uv_handle_t *)pipe, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    *uid = cred.uid;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void on_connection(uv_stream_t *server, int status)
{
    pm_control *ctl = server->data;
    if (status < 0)
        return;
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return; /* the client stays in the backlog; it is retried on the next one */
    c->ctl = ctl;
    uv_pipe_init(server->loop, &c->pipe, 0);
    c->pipe.data = c;
    c->next = ctl->conns;
    if (ctl->conns)
        ctl->conns->prev = c;
    ctl->conns = c;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        conn_close(c);
        return;
    }
    uid_t uid = (uid_t)-1;
    if (!peer_allowed(&c->pipe, &uid)) {
        conn_refuse(c, "permission denied: uid %d may not control this procmon", (int)uid);
        return;
    }
    conn_read(c, true);
}

/* ---- the listening socket ---- */

int pm_control_listen(uv_loop_t *loop, const char *path, pm_request_handler handler, void *arg,
                      pm_control **out, char *err, size_t errlen)
{
    pm_control *ctl = calloc(1, sizeof *ctl);
    if (!ctl || !(ctl->path = strdup(path))) {
        free(ctl);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int fd = -1, r = pm_unix_listen(path, "the control socket", &fd, err, errlen);
    if (r < 0) {
        free(ctl->path);
        free(ctl);
        return r;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && stat(path, &st) == 0) {
        ctl->dev = st.st_dev;
        ctl->ino = st.st_ino;
    }
    ctl->handler = handler;
    ctl->arg = arg;
    uv_pipe_init(loop, &ctl->server, 0);
    ctl->server.data = ctl;
    if ((r = uv_pipe_open(&ctl->server, fd)) < 0)
        close(fd); /* not the handle's yet */
    if (r < 0 || (r = uv_listen((uv_stream_t *)&ctl->server, 128, on_connection)) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, uv_strerror(r));
        pm_control_close(ctl);
        return r;
    }
    *out = ctl;
    return 0;
}

static void server_closed(uv_handle_t *h)
{
    pm_control *ctl = h->data;
    free(ctl->path);
    free(ctl);
}

void pm_control_close(pm_control *ctl)
{
    if (!ctl)
        return;
    while (ctl->conns)
        conn_close(ctl->conns);
    /* Remove the file only if it is still ours, not a successor's. */
    struct stat st;
    if (stat(ctl->path, &st) == 0 && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
        unlink(ctl->path);
    uv_close((uv_handle_t *)&ctl->server, server_closed);
}
