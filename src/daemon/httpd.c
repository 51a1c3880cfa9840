/* libmicrohttpd driven from the libuv loop, with basic authentication. */
#include "httpd.h"

#include <errno.h>
#include <microhttpd.h>
#include <nettle/sha1.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuild.h"

#define CONNECTION_LIMIT 256
#define IDLE_TIMEOUT_S 60 /* a connection silent this long is closed */

struct pm_httpd {
    struct MHD_Daemon *mhd;
    uv_poll_t poll;    /* on libmicrohttpd's epoll descriptor */
    uv_timer_t timer;  /* its next timeout */
    int open_handles;
    char *username, *password;
    pm_http_handler handler;
    void *arg;
    struct pm_http_request *waiting; /* suspended until answered, linked by next/prev */
};

struct pm_http_request {
    pm_httpd *h;
    struct MHD_Connection *conn;
    const char *method, *path; /* libmicrohttpd's, valid for the request */
    pm_strbuf body;
    bool too_big, handled;
    struct MHD_Response *response;
    unsigned status;
    void (*cancelled)(void *arg);
    void *cancelled_arg;
    void (*finished)(void *arg);
    void *finished_arg;
    pm_http_more_fn more; /* a streamed answer's */
    void *more_arg;
    struct pm_http_request *next, *prev; /* in h->waiting */
};

/* ---- authentication ---- */

/* Compares all of a and b whatever they hold, so that the time taken says
 * nothing of where they differ. */
static bool same_secret(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = na != nb;
    for (size_t i = 0; i < na; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (nb ? nb : 1)];
    return diff == 0;
}

static bool password_matches(const char *configured, const char *given)
{
    if (strncmp(configured, "{SHA}", 5) != 0)
        return same_secret(configured, given);
    struct sha1_ctx ctx;
    uint8_t digest[SHA1_DIGEST_SIZE];
    char hex[2 * SHA1_DIGEST_SIZE + 1];
    sha1_init(&ctx);
    sha1_update(&ctx, strlen(given), (const uint8_t *)given);
    sha1_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return same_secret(configured + 5, hex); /* supervisord writes the hex in lower case */
}

static bool authorized(pm_httpd *h, struct MHD_Connection *conn)
{
    if (!h->username)
        return true;
    char *password = NULL;
    char *user = MHD_basic_auth_get_username_password(conn, &password);
    bool ok = user && password && same_secret(h->username, user) &&
              password_matches(h->password, password);
    MHD_free(user);
    MHD_free(password);
    return ok;
}

/* ---- requests ---- */

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static void timer_now(pm_httpd *h);

/* Until an answer comes (or a stream has more), the connection waits. */
static void suspend(pm_http_request *req)
{
    pm_httpd *h = req->h;
    req->next = h->waiting;
    if (h->waiting)
        h->waiting->prev = req;
    h->waiting = req;
    MHD_suspend_connection(req->conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    pm_httpd *h = cls;
    pm_http_request *req = *con_cls;
    if (!req) { /* the headers are in: the body comes in the next calls */
        if (!(req = calloc(1, sizeof *req)))
            return MHD_NO;
        req->h = h;
        req->conn = conn;
        req->method = method;
        req->path = url;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        if (req->body.len + *upload_size > PM_HTTP_MAX_BODY)
            req->too_big = true;
        else if (pm_strbuf_add(&req->body, upload, *upload_size) < 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (!authorized(h, conn)) {
        static const char text[] = "Unauthorized\n";
        struct MHD_Response *r =
            MHD_create_response_from_buffer(sizeof text - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        enum MHD_Result ok = MHD_queue_basic_auth_fail_response(conn, "procmon", r);
        MHD_destroy_response(r);
        return ok;
    }
    if (req->too_big)
        return queue(conn, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", "Request body too large\n");
    if (!req->handled) {
        req->handled = true;
        h->handler(h->arg, req);
        if (!req->response) { /* to be answered later */
            suspend(req);
            return MHD_YES;
        }
    }
    if (!req->response) /* the answer could not be made */
        return queue(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "No answer\n");
    return MHD_queue_response(conn, req->status, req->response);
}

/* A waiting request goes on: libmicrohttpd calls on_request (or a
 * stream's reader) again. */
static void resume(pm_http_request *req)
{
    pm_httpd *h = req->h;
    if (req->prev)
        req->prev->next = req->next;
    else
        h->waiting = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->next = req->prev = NULL;
    MHD_resume_connection(req->conn);
    timer_now(h);
}

static bool is_waiting(const pm_http_request *req)
{
    return req->prev || req->h->waiting == req;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    pm_http_request *req = *con_cls;
    if (!req)
        return;
    if (req->finished)
        req->finished(req->finished_arg);
    if (req->response)
        MHD_destroy_response(req->response);
    free(req->body.buf);
    free(req);
    *con_cls = NULL;
}

const char *pm_http_method(const pm_http_request *req)
{
    return req->method;
}

const char *pm_http_path(const pm_http_request *req)
{
    return req->path;
}

const char *pm_http_body(const pm_http_request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.buf ? req->body.buf : "";
}

void pm_http_answer(pm_http_request *req, unsigned status, const char *content_type, char *body,
                    size_t len)
{
    if (req->response)
        MHD_destroy_response(req->response);
    req->response = body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!req->response)
        free(body); /* answered 500 */
    else {
        req->status = status;
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    }
    if (is_waiting(req))
        resume(req);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    pm_http_request *req = cls;
    ssize_t n = req->more(req->more_arg, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n == 0) /* nothing yet: asked again once woken */
        suspend(req);
    return n;
}

void pm_http_answer_stream(pm_http_request *req, unsigned status, const char *content_type,
                           pm_http_more_fn more, void *arg)
{
    if (req->response)
        MHD_destroy_response(req->response);
    req->more = more;
    req->more_arg = arg;
    req->status = status;
    req->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, req, NULL);
    if (req->response) {
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        MHD_add_response_header(req->response, "X-Accel-Buffering", "no"); /* a proxy passes it on at once */
    }
    if (is_waiting(req))
        resume(req);
}

void pm_http_stream_wake(pm_http_request *req)
{
    if (req->more && is_waiting(req))
        resume(req);
}

void pm_http_on_cancel(pm_http_request *req, void (*cancelled)(void *arg), void *arg)
{
    req->cancelled = cancelled;
    req->cancelled_arg = arg;
}

void pm_http_on_done(pm_http_request *req, void (*finished)(void *arg), void *arg)
{
    req->finished = finished;
    req->finished_arg = arg;
}

/* ---- the loop ---- */

static void on_timer(uv_timer_t *t);

/* Lets libmicrohttpd do what is ready, then waits for its next timeout. */
static void run(pm_httpd *h)
{
    MHD_run(h->mhd);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
        uv_timer_start(&h->timer, on_timer, ms, 0);
    else
        uv_timer_stop(&h->timer);
}

static void on_timer(uv_timer_t *t)
{
    run(t->data);
}

/* Not from within libmicrohttpd's own calls: on the next loop turn. */
static void timer_now(pm_httpd *h)
{
    uv_timer_start(&h->timer, on_timer, 0, 0);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events; /* an error is libmicrohttpd's to find */
    run(p->data);
}

int pm_httpd_start(uv_loop_t *loop, const pm_httpd_config *cfg, pm_httpd **out, char *err,
                   size_t errlen)
{
    pm_httpd *h = calloc(1, sizeof *h);
    if (!h || (cfg->username && (!(h->username = strdup(cfg->username)) ||
                                 !(h->password = strdup(cfg->password ? cfg->password : ""))))) {
        if (h) {
            free(h->username);
            free(h);
        }
        close(cfg->listen_fd);
        snprintf(err, errlen, "%s", strerror(ENOMEM));
        return -ENOMEM;
    }
    h->handler = cfg->handler;
    h->arg = cfg->arg;
    h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, h,
                              MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    int r = info ? uv_poll_init(loop, &h->poll, info->epoll_fd) : -EINVAL;
    if (r < 0) {
        if (h->mhd)
            MHD_stop_daemon(h->mhd);
        else
            close(cfg->listen_fd);
        free(h->username);
        free(h->password);
        free(h);
        snprintf(err, errlen, "cannot start the HTTP server: %s", r == -EINVAL ? "libmicrohttpd refused" : uv_strerror(r));
        return r;
    }
    uv_timer_init(loop, &h->timer);
    h->poll.data = h->timer.data = h;
    h->open_handles = 2;
    uv_poll_start(&h->poll, UV_READABLE, on_poll);
    run(h);
    *out = h;
    return 0;
}

static void handle_closed(uv_handle_t *handle)
{
    pm_httpd *h = handle->data;
    if (--h->open_handles > 0)
        return;
    free(h->username);
    free(h->password);
    free(h);
}

void pm_httpd_close(pm_httpd *h)
{
    if (!h)
        return;
    /* libmicrohttpd must not be stopped with a connection suspended. */
    while (h->waiting) {
        pm_http_request *req = h->waiting;
        if (req->cancelled)
            req->cancelled(req->cancelled_arg);
        resume(req); /* no answer: dropped when the server stops */
    }
    uv_close((uv_handle_t *)&h->poll, handle_closed); /* before its descriptor goes */
    uv_close((uv_handle_t *)&h->timer, handle_closed);
    MHD_stop_daemon(h->mhd);
}
