/* [supervisord]'s settings for the supervisor process itself. */
#include "startup.h"

#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Raises the soft limit of res to at least min; the hard one too when it is
 * lower, which only root may do (supervisord's set_rlimits). */
static int raise_limit(int res, long long min, const char *key, const char *what, char *err,
                       size_t errlen)
{
    struct rlimit rl;
    if (min < 0)
        return 0;
    if (getrlimit(res, &rl) < 0) {
        snprintf(err, errlen, "cannot read the limit of %s: %s", what, strerror(errno));
        return -1;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)min)
        return 0;
    struct rlimit want = {.rlim_cur = (rlim_t)min, .rlim_max = rl.rlim_max};
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)min)
        want.rlim_max = (rlim_t)min;
    if (setrlimit(res, &want) < 0) {
        snprintf(err, errlen,
                 "%s = %lld in [supervisord], but the hard limit of %s is %llu (%s); "
                 "raise it, or lower %s",
                 key, min, what, (unsigned long long)rl.rlim_max, strerror(errno), key);
        return -1;
    }
    return 0;
}

/* Becomes cfg->user, as supervisord does: only root may switch, and
 * anyone may "switch" to the user it already is. */
static int switch_user(const char *user, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        unsigned long id = strtoul(user, &end, 10);
        if (*user && !*end)
            pw = getpwuid((uid_t)id);
    }
    if (!pw) {
        snprintf(err, errlen, "user = %s in [supervisord]: no such user", user);
        return -1;
    }
    if (pw->pw_uid == getuid() && pw->pw_uid == geteuid())
        return 0;
    if (geteuid() != 0) {
        snprintf(err, errlen, "user = %s in [supervisord]: only root can switch to another user", user);
        return -1;
    }
    /* groups first: after setuid there is no right to change them */
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
        snprintf(err, errlen, "user = %s in [supervisord]: cannot switch to it: %s", user, strerror(errno));
        return -1;
    }
    return 0;
}

/* Where procmon was before cfg->directory: empty if it did not move. */
static char start_folder[PATH_MAX];

const char *pm_startup_folder(void)
{
    return start_folder[0] ? start_folder : NULL;
}

int pm_startup_apply(const pm_config *cfg, char *err, size_t errlen)
{
    /* The limits before the user: once it is not root, no hard limit can rise. */
    if (raise_limit(RLIMIT_NOFILE, cfg->minfds, "minfds", "open files", err, errlen) < 0 ||
        raise_limit(RLIMIT_NPROC, cfg->minprocs, "minprocs", "processes", err, errlen) < 0)
        return -1;
    if (cfg->user && switch_user(cfg->user, err, errlen) < 0)
        return -1;
    if (cfg->umask >= 0)
        umask((mode_t)cfg->umask);
    /* A folder that is gone (or too long to name) cannot be read from: a
     * reload then takes relative paths from the new one. */
    if (cfg->directory && !getcwd(start_folder, sizeof start_folder))
        start_folder[0] = '\0';
    if (cfg->directory && chdir(cfg->directory) < 0) {
        snprintf(err, errlen, "directory = %s in [supervisord]: cannot change to it: %s", cfg->directory,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static void warn_cleanup(void *arg, const pm_target *t, const char *message)
{
    (void)arg, (void)t;
    fprintf(stderr, "procmon: warning: %s\n", message);
}

int pm_startup_on_ready(void *ready, char *err, size_t errlen)
{
    pm_startup_ready *r = ready;
    if (r->pidfile && pm_pidfile_write(r->pidfile, err, errlen) < 0)
        return -1;
    r->pid_written = r->pidfile != NULL;
    if (r->cfg->nocleanup || !r->cfg->auto_dir)
        return 0;
    int n = pm_output_clean_auto(r->cfg->auto_dir, r->cfg->identifier ? r->cfg->identifier : "procmon",
                                 warn_cleanup, NULL);
    if (n < 0)
        fprintf(stderr, "procmon: warning: cannot clear the old AUTO files from %s: %s\n", r->cfg->auto_dir,
                strerror(-n));
    return 0;
}

int pm_pidfile_write(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "pidfile %s: cannot create it: %s", path, strerror(errno));
        return -1;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    ssize_t w = write(fd, text, (size_t)n);
    int saved = errno;
    if (close(fd) < 0 && w == n) {
        w = -1;
        saved = errno;
    }
    if (w != n) {
        snprintf(err, errlen, "pidfile %s: cannot write it: %s", path, w < 0 ? strerror(saved) : "short write");
        unlink(path);
        return -1;
    }
    return 0;
}

void pm_pidfile_remove(const char *path)
{
    char text[32] = "";
    FILE *fp = fopen(path, "re");
    if (!fp)
        return; /* gone already */
    bool ours = fgets(text, sizeof text, fp) && strtol(text, NULL, 10) == (long)getpid();
    fclose(fp);
    if (ours && unlink(path) < 0 && errno != ENOENT)
        fprintf(stderr, "procmon: pidfile %s: cannot remove it: %s\n", path, strerror(errno));
}

char *pm_absolute_path(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char *cwd = get_current_dir_name(), *full = NULL;
    if (cwd && asprintf(&full, "%s/%s", cwd, path) < 0)
        full = NULL;
    free(cwd);
    return full;
}
