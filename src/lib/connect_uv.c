/* One-shot connects on libuv; see connect_uv.h. */
#include "connect_uv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pm_connect {
    uv_getaddrinfo_t lookup;
    uv_connect_t req;
    union {
        uv_handle_t handle;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } sock;
    bool have_sock;
    bool looking_up;
    bool connecting;
    bool cancelled;   /* nobody waits: freed once libuv is done with it */
    int result;
    pm_connect_cb cb;
    void *arg;
};

static void sock_closed(uv_handle_t *h)
{
    pm_connect *c = h->data;
    if (!c->cancelled)
        c->cb(c->arg, c->result);
    free(c);
}

/* The result, once the socket (if any) is closed; c is freed. */
static void finish(pm_connect *c, int result)
{
    c->result = result;
    if (c->have_sock) { /* sock_closed tells and frees */
        if (!uv_is_closing(&c->sock.handle))
            uv_close(&c->sock.handle, sock_closed);
        return;
    }
    if (!c->cancelled)
        c->cb(c->arg, result);
    free(c);
}

static void connected(uv_connect_t *req, int status)
{
    pm_connect *c = req->data;
    c->connecting = false;
    finish(c, status == UV_ECANCELED && c->cancelled ? -ECANCELED : status);
}

static void looked_up(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    pm_connect *c = req->data;
    c->looking_up = false;
    int r = status;
    if (r == 0 && c->cancelled)
        r = -ECANCELED;
    if (r == 0 && (r = uv_tcp_init(req->loop, &c->sock.tcp)) == 0) {
        c->have_sock = true;
        c->sock.handle.data = c;
        r = uv_tcp_connect(&c->req, &c->sock.tcp, res->ai_addr, connected);
        c->connecting = r == 0;
    }
    uv_freeaddrinfo(res);
    if (!c->connecting)
        finish(c, r <= -3000 && r > -3100 ? -EHOSTUNREACH : r); /* a lookup's UV_EAI_* */
}

pm_connect *pm_connect_uv_start(uv_loop_t *loop, const char *target, bool unix_socket,
                                pm_connect_cb cb, void *arg)
{
    pm_connect *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cb = cb;
    c->arg = arg;
    c->lookup.data = c->req.data = c;
    if (unix_socket) {
        if (uv_pipe_init(loop, &c->sock.pipe, 0) < 0) {
            free(c);
            return NULL;
        }
        c->have_sock = true;
        c->sock.handle.data = c;
        c->connecting = true;
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
        free(c);
        return NULL;
    }
    memcpy(host, target, hostlen);
    host[hostlen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->looking_up = true;
    if (uv_getaddrinfo(loop, &c->lookup, looked_up, host, colon + 1, &hints) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

void pm_connect_uv_cancel(pm_connect *c)
{
    c->cancelled = true;
    if (c->looking_up)
        uv_cancel((uv_req_t *)&c->lookup); /* looked_up then comes with UV_ECANCELED */
    else if (c->connecting && !uv_is_closing(&c->sock.handle))
        uv_close(&c->sock.handle, sock_closed); /* connected comes with UV_ECANCELED first */
}
