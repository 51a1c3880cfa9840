/* Making the HTTP listeners' sockets. */
#include "listeners.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unixsock.h"

struct pm_listener {
    pm_httpd *httpd;
    char *path; /* the unix socket's, NULL for inet */
    dev_t dev;
    ino_t ino;
};

/* A name or a number, as check_owner in the config reader took it. */
static bool lookup_id(const char *s, bool group, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (*s && !*end && !errno) {
        *out = (unsigned)n;
        return true;
    }
    if (group) {
        struct group *g = getgrnam(s);
        return g && (*out = g->gr_gid, true);
    }
    struct passwd *p = getpwnam(s);
    return p && (*out = p->pw_uid, true);
}

/* chown's "user" or "user:group" (the user's own group when none is given). */
static int set_owner(const char *path, const char *owner, char *err, size_t errlen)
{
    char user[256];
    snprintf(user, sizeof user, "%s", owner);
    char *group = strchr(user, ':');
    if (group)
        *group++ = '\0';
    unsigned uid, gid = (unsigned)-1;
    if (!lookup_id(user, false, &uid) || (group && !lookup_id(group, true, &gid))) {
        snprintf(err, errlen, "[unix_http_server] chown: no such %s: %s", group ? "user or group" : "user", owner);
        return -ENOENT;
    }
    if (!group) {
        struct passwd *p = getpwuid(uid);
        if (p)
            gid = p->pw_gid;
    }
    if (chown(path, uid, gid) < 0) {
        int e = errno;
        snprintf(err, errlen, "[unix_http_server] cannot chown %s to %s: %s", path, owner, strerror(e));
        return -e;
    }
    return 0;
}

static int unix_socket(const pm_http_server *s, int *fd, char *err, size_t errlen)
{
    int r = pm_unix_listen(s->file, "the [unix_http_server] socket", fd, err, errlen);
    if (r == 0 && s->chown)
        r = set_owner(s->file, s->chown, err, errlen);
    if (r == 0 && chmod(s->file, (mode_t)s->chmod) < 0) {
        r = -errno;
        snprintf(err, errlen, "[unix_http_server] cannot chmod %s to %04o: %s", s->file, (unsigned)s->chmod,
                 strerror(-r));
    }
    if (r < 0 && *fd >= 0) {
        close(*fd);
        *fd = -1;
        unlink(s->file);
    }
    return r;
}

static int inet_socket(const pm_http_server *s, int *out, char *err, size_t errlen)
{
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE},
                    *ai = NULL;
    int g = getaddrinfo(*s->host ? s->host : NULL, port, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "[inet_http_server] cannot listen on %s:%d: %s", *s->host ? s->host : "*", s->port,
                 gai_strerror(g));
        return -EINVAL;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        int one = 1;
        if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            freeaddrinfo(ai);
            *out = fd;
            return 0;
        }
        e = errno;
        if (fd >= 0)
            close(fd);
    }
    freeaddrinfo(ai);
    snprintf(err, errlen, "[inet_http_server] cannot listen on %s:%d: %s", *s->host ? s->host : "*", s->port,
             strerror(e));
    return -e;
}

int pm_listener_start(uv_loop_t *loop, const pm_http_server *s, bool inet, pm_http_handler handler, void *arg,
                      pm_listener **out, char *err, size_t errlen)
{
    pm_listener *l = calloc(1, sizeof *l);
    if (!l || (!inet && !(l->path = strdup(s->file)))) {
        free(l);
        snprintf(err, errlen, "%s", strerror(ENOMEM));
        return -ENOMEM;
    }
    int fd = -1, r = inet ? inet_socket(s, &fd, err, errlen) : unix_socket(s, &fd, err, errlen);
    struct stat st;
    if (r == 0 && !inet && stat(l->path, &st) == 0) {
        l->dev = st.st_dev;
        l->ino = st.st_ino;
    }
    pm_httpd_config cfg = {fd, s->username, s->password, handler, arg};
    if (r == 0 && (r = pm_httpd_start(loop, &cfg, &l->httpd, err, errlen)) < 0 && l->path)
        unlink(l->path); /* its socket was made */
    if (r < 0) {
        free(l->path);
        free(l);
        return r;
    }
    *out = l;
    return 0;
}

void pm_listener_close(pm_listener *l)
{
    if (!l)
        return;
    pm_httpd_close(l->httpd);
    /* The file only if it is still ours, not a successor's. */
    struct stat st;
    if (l->path && stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
        unlink(l->path);
    free(l->path);
    free(l);
}
