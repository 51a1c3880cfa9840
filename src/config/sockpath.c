/* Where the control socket lives; see sockpath.h. */
#include "sockpath.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- the rules ---- */

static int put(char *out, size_t outlen, const char *path)
{
    size_t n = strlen(path);
    if (n > PM_SOCKET_PATH_MAX || n >= outlen)
        return -ENAMETOOLONG;
    memcpy(out, path, n + 1);
    return 0;
}

int pm_socket_path(const char *explicit_path, const char *config_socket, char *out, size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    if (explicit_path)
        return *explicit_path ? put(out, outlen, explicit_path) : -EINVAL;
    const char *env = getenv("PROCMON_SOCKET");
    if (env && *env)
        return put(out, outlen, env);
    if (config_socket && *config_socket) /* an empty value counts as unset */
        return put(out, outlen, config_socket);
    uid_t uid = geteuid();
    if (uid == 0)
        return put(out, outlen, "/run/procmon.sock");
    char buf[PM_SOCKET_PATH_MAX + 2];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/') {
        size_t n = strlen(xdg);
        while (n > 1 && xdg[n - 1] == '/')
            n--;
        if (n > PM_SOCKET_PATH_MAX)
            return -ENAMETOOLONG;
        int len = snprintf(buf, sizeof buf, "%.*s/procmon.sock", (int)n, xdg);
        if (len < 0 || (size_t)len >= sizeof buf)
            return -ENAMETOOLONG;
        return put(out, outlen, buf);
    }
    snprintf(buf, sizeof buf, "/tmp/procmon-%lu/procmon.sock", (unsigned long)uid);
    return put(out, outlen, buf);
}

/* ---- the private directory of the /tmp default ---- */

/* The default directory for this user, when path is the default socket in
 * it; NULL otherwise. */
static const char *private_dir(const char *path, char *dir, size_t dirlen)
{
    snprintf(dir, dirlen, "/tmp/procmon-%lu", (unsigned long)geteuid());
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0 || path[n] != '/' || strchr(path + n + 1, '/'))
        return NULL;
    return dir;
}

static int check_dir(const char *dir, bool create, char *err, size_t errlen)
{
    if (create) {
        if (mkdir(dir, 0700) == 0) {
            /* The umask may have taken bits away; the mode must be exact. */
            if (chmod(dir, 0700) < 0) {
                int e = errno;
                snprintf(err, errlen, "cannot set the mode of %s: %s", dir, strerror(e));
                return -e;
            }
            return 0;
        }
        if (errno != EEXIST) {
            int e = errno;
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(e));
            return -e;
        }
    }
    struct stat st;
    if (lstat(dir, &st) < 0) {
        int e = errno;
        if (e == ENOENT && !create)
            return 0;
        snprintf(err, errlen, "cannot examine %s: %s", dir, strerror(e));
        return -e;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory; refusing to use it", dir);
        return -ENOTDIR;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
        snprintf(err, errlen, "%s is not private (owner uid %lu, mode %04o); refusing to use it",
                 dir, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

int pm_socket_dir_prepare(const char *path, char *err, size_t errlen)
{
    char buf[64];
    const char *dir = private_dir(path, buf, sizeof buf);
    if (errlen)
        err[0] = '\0';
    return dir ? check_dir(dir, true, err, errlen) : 0;
}

int pm_socket_dir_check(const char *path, char *err, size_t errlen)
{
    char buf[64];
    const char *dir = private_dir(path, buf, sizeof buf);
    if (errlen)
        err[0] = '\0';
    return dir ? check_dir(dir, false, err, errlen) : 0;
}
