/* The sd_notify(3) sender; see sdnotify.h. */
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct pm_sdnotify {
    int fd;
    struct sockaddr_un addr;
    socklen_t addrlen;
    uint64_t watchdog_usec;
};

/* $WATCHDOG_USEC, when $WATCHDOG_PID is unset or names us. */
static uint64_t watchdog_from_env(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    char *end;
    if (!usec || !*usec)
        return 0;
    if (pid && *pid) {
        errno = 0;
        long p = strtol(pid, &end, 10);
        if (errno || *end || p != (long)getpid())
            return 0;
    }
    errno = 0;
    unsigned long long v = strtoull(usec, &end, 10);
    return errno || *end ? 0 : (uint64_t)v;
}

static void forget_env(void)
{
    (void)unsetenv("NOTIFY_SOCKET");
    (void)unsetenv("WATCHDOG_USEC");
    (void)unsetenv("WATCHDOG_PID");
}

int pm_sdnotify_open(pm_sdnotify **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) {
        forget_env();
        return 0;
    }
    pm_sdnotify *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "cannot use NOTIFY_SOCKET: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof n->addr.sun_path) {
        snprintf(err, errlen, "NOTIFY_SOCKET '%s': not a socket path or an @abstract name", path);
        free(n);
        return -EINVAL;
    }
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, path, len);
    if (path[0] == '@')
        n->addr.sun_path[0] = '\0';
    n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
    n->watchdog_usec = watchdog_from_env();
    if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot make a socket for NOTIFY_SOCKET: %s", strerror(e));
        free(n);
        return -e;
    }
    forget_env();
    *out = n;
    return 0;
}

int pm_sdnotify_send(pm_sdnotify *n, const char *message)
{
    ssize_t r;
    do
        r = sendto(n->fd, message, strlen(message), MSG_NOSIGNAL | MSG_DONTWAIT,
                   (const struct sockaddr *)&n->addr, n->addrlen);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

uint64_t pm_sdnotify_watchdog_usec(const pm_sdnotify *n)
{
    return n ? n->watchdog_usec : 0;
}

void pm_sdnotify_close(pm_sdnotify *n)
{
    if (!n)
        return;
    close(n->fd);
    free(n);
}
