/* Binding procmon's unix sockets. */
#include "unixsock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Is a procmon answering on path?  Then it must not be replaced. */
static bool socket_is_live(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool live = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EAGAIN;
    close(fd);
    return live;
}

int pm_unix_listen(const char *path, const char *what, int *out, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "socket path too long: %s", path);
        return -ENAMETOOLONG;
    }
    strcpy(addr.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a socket", path);
            return -EEXIST;
        }
        if (socket_is_live(path)) {
            snprintf(err, errlen, "another procmon is already running on %s", path);
            return -EADDRINUSE;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            int e = errno;
            snprintf(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(e));
            return -e;
        }
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create %s: %s", what, strerror(e));
        return -e;
    }
    /* Created 0600 from the start: no moment where others could connect. */
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    int e = errno;
    umask(old);
    if (r < 0 || listen(fd, 128) < 0) {
        e = r < 0 ? e : errno;
        snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(e));
        close(fd);
        return -e;
    }
    *out = fd;
    return 0;
}
