/* One-shot connects on libuv; see connect_uv.h. */
#include "connect_uv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pm_connect {
    uv_getaddrinfo_t lookup;
    uv_connect_t req;
    uv_write_t write;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } sock;
    bool have_sock;
    bool looking_up;
    bool cancelled;   /* nobody waits: freed once libuv is done with it */
    bool done;        /* the result is known; the socket is closing */
    int result;
    pm_connect_cb cb;
    void *arg;
    char *send;       /* what to write once connected, or NULL */
    size_t send_len;
    char reply[PM_CONNECT_REPLY_MAX];
    size_t reply_len;
};

static void connect_free(pm_connect *c)
{
    free(c->send);
    free(c);
}

static void sock_closed(uv_handle_t *h)
{
    pm_connect *c = h->data;
    if (!c->cancelled)
        c->cb(c->arg, c->result, c->send ? c->reply : NULL, c->reply_len);
    connect_free(c);
}

/* The result, once the socket (if any) is closed; c is freed then. */
static void finish(pm_connect *c, int result)
{
    if (c->done)
        return;
    c->done = true;
    c->result = result;
    if (c->have_sock) { /* sock_closed tells and frees */
        if (!uv_is_closing(&c->sock.handle))
            uv_close(&c->sock.handle, sock_closed);
        return;
    }
    if (!c->cancelled)
        c->cb(c->arg, result, NULL, 0);
    connect_free(c);
}

static void alloc_reply(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    pm_connect *c = h->data;
    *buf = uv_buf_init(c->reply + c->reply_len, (unsigned)(sizeof c->reply - c->reply_len));
}

static void replied(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    pm_connect *c = s->data;
    if (nread > 0)
        c->reply_len += (size_t)nread;
    if (nread < 0)
        finish(c, c->reply_len > 0 || nread == UV_EOF ? 0 : (int)nread);
    else if (c->reply_len == sizeof c->reply || memchr(c->reply, '\n', c->reply_len))
        finish(c, 0); /* the first line is all that is read */
}

static void written(uv_write_t *req, int status)
{
    pm_connect *c = req->data;
    int r = status;
    if (r == 0)
        r = uv_read_start(&c->sock.stream, alloc_reply, replied);
    if (r < 0)
        finish(c, r);
}

static void connected(uv_connect_t *req, int status)
{
    pm_connect *c = req->data;
    if (status < 0 || !c->send) {
        finish(c, status == UV_ECANCELED && c->cancelled ? -ECANCELED : status);
        return;
    }
    uv_buf_t buf = uv_buf_init(c->send, (unsigned)c->send_len);
    int r = uv_write(&c->write, &c->sock.stream, &buf, 1, written);
    if (r < 0)
        finish(c, r);
}

static void looked_up(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    pm_connect *c = req->data;
    c->looking_up = false;
    int r = status;
    if (r == 0 && c->cancelled)
        r = -ECANCELED;
    bool connecting = false;
    if (r == 0 && (r = uv_tcp_init(req->loop, &c->sock.tcp)) == 0) {
        c->have_sock = true;
        c->sock.handle.data = c;
        r = uv_tcp_connect(&c->req, &c->sock.tcp, res->ai_addr, connected);
        connecting = r == 0;
    }
    uv_freeaddrinfo(res);
    if (!connecting)
        finish(c, r <= -3000 && r > -3100 ? -EHOSTUNREACH : r); /* a lookup's UV_EAI_* */
}

pm_connect *pm_connect_uv_start(uv_loop_t *loop, const char *target, bool unix_socket,
                                const char *send, size_t send_len, pm_connect_cb cb, void *arg)
{
    pm_connect *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cb = cb;
    c->arg = arg;
    c->lookup.data = c->req.data = c->write.data = c;
    if (send && (!(c->send = malloc(send_len ? send_len : 1)) || !memcpy(c->send, send, send_len))) {
        connect_free(c);
        return NULL;
    }
    c->send_len = send_len;
    if (unix_socket) {
        if (uv_pipe_init(loop, &c->sock.pipe, 0) < 0) {
            connect_free(c);
            return NULL;
        }
        c->have_sock = true;
        c->sock.handle.data = c;
        uv_pipe_connect(&c->req, &c->sock.pipe, target, connected); /* errors come to connected */
        return c;
    }
    /* "HOST:PORT", the port after the last colon; "[::1]:80" too. */
    const char *colon = strrchr(target, ':');
    size_t hostlen = colon ? (size_t)(colon - target) : strlen(target);
    char host[256];
    if (hostlen >= 2 && target[0] == '[' && target[hostlen - 1] == ']') {
        target++;
        hostlen -= 2;
    }
    if (!colon || hostlen >= sizeof host) {
        connect_free(c);
        return NULL;
    }
    memcpy(host, target, hostlen);
    host[hostlen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->looking_up = true;
    if (uv_getaddrinfo(loop, &c->lookup, looked_up, host, colon + 1, &hints) < 0) {
        connect_free(c);
        return NULL;
    }
    return c;
}

void pm_connect_uv_cancel(pm_connect *c)
{
    c->cancelled = true;
    if (c->looking_up) {
        uv_cancel((uv_req_t *)&c->lookup); /* looked_up comes, with UV_ECANCELED or not, and frees */
        return;
    }
    if (c->have_sock && !c->done) { /* a pending connect, write or read ends first */
        c->done = true;
        uv_close(&c->sock.handle, sock_closed);
    }
}
