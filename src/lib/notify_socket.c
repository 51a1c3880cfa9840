/* The sd_notify socket; see notify_socket.h. */
#include "notify_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DATAGRAM_MAX 4096 /* sd_notify's messages are short; longer ones are cut */

struct pm_notify_socket {
    uv_poll_t poll;
    int fd;
    pm_notify_deliver_cb deliver;
    void *arg;
    unsigned long long dropped;
    void (*closed)(void *arg);
    void *closed_arg;
    char env[sizeof "NOTIFY_SOCKET=@" + sizeof ((struct sockaddr_un *)0)->sun_path];
};

/* One datagram; false when there is none left. */
static bool receive_one(pm_notify_socket *ns)
{
    char data[DATAGRAM_MAX];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct iovec iov = {data, sizeof data};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    ssize_t n = recvmsg(ns->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EINTR;
    const struct ucred *cred = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
            cred = (const struct ucred *)CMSG_DATA(c);
    if (!ns->deliver(ns->arg, cred && cred->pid > 0 ? cred->pid : 0, data, (size_t)n))
        ns->dropped++;
    /* Descriptors sent along (sd_notify_barrier's) are closed only now: a
     * sender that waits for that close is still there to be looked up. */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < nfd; i++)
                close(((int *)CMSG_DATA(c))[i]);
        }
    }
    return true;
}

static void readable(uv_poll_t *h, int status, int events)
{
    (void)events;
    pm_notify_socket *ns = h->data;
    if (status < 0)
        return;
    for (int i = 0; i < 64 && receive_one(ns); i++) /* then the loop's other work */
        ;
}

int pm_notify_socket_open(uv_loop_t *loop, pm_notify_deliver_cb deliver, void *arg,
                          pm_notify_socket **out, char *err, size_t errlen)
{
    pm_notify_socket *ns = calloc(1, sizeof *ns);
    if (!ns) {
        snprintf(err, errlen, "cannot make the notify socket: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    ns->deliver = deliver;
    ns->arg = arg;
    const char *stage = "create";
    int one = 1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    socklen_t len = sizeof(sa_family_t); /* autobind: the kernel picks an abstract name */
    ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ns->fd < 0)
        goto fail;
    stage = "set up";
    if (setsockopt(ns->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        goto fail;
    stage = "bind";
    if (bind(ns->fd, (struct sockaddr *)&addr, len) < 0)
        goto fail;
    len = sizeof addr;
    if (getsockname(ns->fd, (struct sockaddr *)&addr, &len) < 0)
        goto fail;
    size_t namelen = len - offsetof(struct sockaddr_un, sun_path);
    if (namelen < 2 || addr.sun_path[0] != '\0') {
        errno = EAFNOSUPPORT;
        goto fail;
    }
    snprintf(ns->env, sizeof ns->env, "NOTIFY_SOCKET=@%.*s", (int)(namelen - 1), addr.sun_path + 1);
    stage = "watch";
    int r = uv_poll_init(loop, &ns->poll, ns->fd);
    if (r < 0) {
        errno = -r;
        goto fail;
    }
    ns->poll.data = ns;
    if ((r = uv_poll_start(&ns->poll, UV_READABLE, readable)) < 0) {
        snprintf(err, errlen, "cannot watch the notify socket: %s", uv_strerror(r));
        pm_notify_socket_close(ns, NULL, NULL);
        return r;
    }
    *out = ns;
    return 0;
fail:;
    int e = errno;
    snprintf(err, errlen, "cannot %s the notify socket: %s", stage, strerror(e));
    if (ns->fd >= 0)
        close(ns->fd);
    free(ns);
    return -e;
}

const char *pm_notify_socket_env(const pm_notify_socket *ns)
{
    return ns->env;
}

unsigned long long pm_notify_socket_dropped(const pm_notify_socket *ns)
{
    return ns->dropped;
}

static void poll_closed(uv_handle_t *h)
{
    pm_notify_socket *ns = h->data;
    close(ns->fd);
    if (ns->closed)
        ns->closed(ns->closed_arg);
    free(ns);
}

void pm_notify_socket_close(pm_notify_socket *ns, void (*closed)(void *arg), void *arg)
{
    ns->closed = closed;
    ns->closed_arg = arg;
    uv_close((uv_handle_t *)&ns->poll, poll_closed);
}
