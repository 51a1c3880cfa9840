/* Creating one child process.
 *
 * The child is made with vfork(), i.e. clone(CLONE_VM | CLONE_VFORK): it
 * shares our memory instead of getting a copy of it (no page tables copied,
 * no copy-on-write faults), and we stay suspended until it has exec'd or
 * exited.  (glibc's posix_spawn gives such a child a stack of its own; we
 * use vfork, which AddressSanitizer intercepts and understands, so that the
 * sanitizer builds test this very code.)  Everything that can allocate,
 * block on a lookup or fail in an interesting way therefore happens in the
 * parent before vfork; between vfork and exec the child makes raw system
 * calls and async-signal-safe calls only, writes nothing of ours but its own
 * stack frames (and errno, which lands in our thread's TLS), and never calls
 * libc functions that keep state in userspace (glibc's setuid and friends
 * broadcast to all of *our* threads).  The child reports a failure as a
 * fixed {stage, errno} record on a close-on-exec pipe, which the parent
 * reads as soon as vfork returns: the exec or the child's exit closes the
 * pipe within moments, so the answer is known before pm_spawn returns and
 * no descriptor is left to watch. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define LOOKUP_BUF_MAX (1 << 20) /* getpwnam_r etc. buffer cap */
#define GROUPS_MAX 65536         /* the kernel's NGROUPS_MAX */

/* The 32-bit-id system calls where the plain ones take 16-bit ids (i386, arm). */
#ifdef SYS_setgroups32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETGID SYS_setgid32
#define SYS_SETUID SYS_setuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETGID SYS_setgid
#define SYS_SETUID SYS_setuid
#endif

/* Where the child failed; sent with errno as a report. */
enum {
    STAGE_SETSID = 1,
    STAGE_CHDIR,
    STAGE_SETGROUPS,
    STAGE_SETGID,
    STAGE_SETUID,
    STAGE_STDIO,
    STAGE_EXEC,
};

typedef struct report {
    int stage;
    int err;
} report;

/* The user and group the child takes, as resolved from the spec. */
typedef struct id_set {
    bool set_uid, set_gid;
    uid_t uid;
    gid_t gid;
    bool has_pw; /* pw is valid (a numeric user may have no entry) */
    struct passwd pw;
    char *pwbuf;
} id_set;

/* Everything the child needs, prepared by the parent. */
typedef struct plan {
    id_set ids;
    bool set_groups;
    gid_t *groups;
    int ngroups;
    char *path;       /* what to execve; NULL: nothing on PATH, report ENOENT */
    char **envp;
    char *user_env[3]; /* HOME=, USER=, LOGNAME= */
    int umask;         /* PM_UNSET: inherit */
} plan;

/* The descriptors the parent opens; -1 when not open. */
typedef struct fds {
    int input;        /* the child's stdin: /dev/null, or stdin_pipe's read end */
    int input_writer; /* stdin_pipe's write end, the parent's */
    int out[2], err[2], report[2];
    int ready[2];     /* spec->ready PM_READY_FD: the child's end goes to ready_fd */
    int ready_target; /* that descriptor, or -1 */
} fds;

/* ---- lookups (parent only) ---- */

/* A decimal id without sign or junk, below the "no id" value (id_t)-1. */
static bool parse_id(const char *s, unsigned long *id)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v >= (unsigned long)(uid_t)-1)
        return false;
    *id = v;
    return true;
}

/* A passwd entry by name (or by uid when name is NULL), growing *buf as
 * needed.  1 found, 0 not found, or a negative errno. */
static int passwd_get(const char *name, uid_t uid, struct passwd *pw, char **buf)
{
    for (size_t size = 1024; size <= LOOKUP_BUF_MAX; size *= 2) {
        char *b = realloc(*buf, size);
        if (!b)
            return -ENOMEM;
        *buf = b;
        struct passwd *res = NULL;
        int e = name ? getpwnam_r(name, pw, b, size, &res) : getpwuid_r(uid, pw, b, size, &res);
        if (e == ERANGE)
            continue;
        if (e == 0 || e == ENOENT || e == ESRCH) /* "not found" varies by NSS module */
            return res != NULL;
        return -e;
    }
    return -ERANGE;
}

/* A group's gid by name.  1 found, 0 not found, or a negative errno. */
static int group_get(const char *name, gid_t *gid)
{
    char *buf = NULL;
    int r = -ERANGE;
    for (size_t size = 1024; size <= LOOKUP_BUF_MAX; size *= 2) {
        char *b = realloc(buf, size);
        if (!b) {
            r = -ENOMEM;
            break;
        }
        buf = b;
        struct group gr, *res = NULL;
        int e = getgrnam_r(name, &gr, b, size, &res);
        if (e == ERANGE)
            continue;
        r = (e == 0 || e == ENOENT || e == ESRCH) ? res != NULL : -e;
        if (res)
            *gid = gr.gr_gid;
        break;
    }
    free(buf);
    return r;
}

/* spec->user: a name, else a number (which need not have an entry). */
static int user_resolve(const char *user, id_set *ids, char *errmsg, size_t errlen)
{
    unsigned long num;
    int r = passwd_get(user, 0, &ids->pw, &ids->pwbuf);
    if (r == 0 && parse_id(user, &num)) {
        ids->uid = (uid_t)num;
        r = passwd_get(NULL, ids->uid, &ids->pw, &ids->pwbuf);
        ids->has_pw = r == 1;
        if (r >= 0)
            r = 1;
    } else if (r == 1) {
        ids->has_pw = true;
        ids->uid = ids->pw.pw_uid;
    }
    if (r == 0)
        snprintf(errmsg, errlen, "unknown user '%s'", user);
    if (r < 0)
        snprintf(errmsg, errlen, "cannot look up user '%s': %s", user, strerror(-r));
    if (r <= 0)
        return r < 0 ? r : -EINVAL;
    ids->set_uid = true;
    ids->set_gid = true;
    /* A number without an entry gets its own number as group rather than
     * keeping ours, which may be root's. */
    ids->gid = ids->has_pw ? ids->pw.pw_gid : (gid_t)ids->uid;
    return 0;
}

/* spec->group: a name, else a number; overrides the user's group. */
static int group_resolve(const char *group, id_set *ids, char *errmsg, size_t errlen)
{
    unsigned long num;
    int r = group_get(group, &ids->gid);
    if (r == 0 && parse_id(group, &num)) {
        ids->gid = (gid_t)num;
        r = 1;
    }
    if (r == 0)
        snprintf(errmsg, errlen, "unknown group '%s'", group);
    if (r < 0)
        snprintf(errmsg, errlen, "cannot look up group '%s': %s", group, strerror(-r));
    if (r <= 0)
        return r < 0 ? r : -EINVAL;
    ids->set_gid = true;
    return 0;
}

static void ids_free(id_set *ids)
{
    free(ids->pwbuf);
    ids->pwbuf = NULL;
}

static int ids_resolve(const pm_spec *spec, id_set *ids, char *errmsg, size_t errlen)
{
    *ids = (id_set){0};
    int r = 0;
    if (spec->user)
        r = user_resolve(spec->user, ids, errmsg, errlen);
    if (r == 0 && spec->group)
        r = group_resolve(spec->group, ids, errmsg, errlen);
    if (r < 0)
        ids_free(ids);
    return r;
}

/* The supplementary groups: the user's memberships plus the chosen group,
 * or just the group when no user is named (dropping ours, maybe root's). */
static int groups_resolve(plan *p, char *errmsg, size_t errlen)
{
    const id_set *ids = &p->ids;
    int n = ids->has_pw ? 32 : 1;
    for (;;) {
        gid_t *g = realloc(p->groups, (size_t)n * sizeof *g);
        if (!g) {
            snprintf(errmsg, errlen, "cannot list the groups: %s", strerror(ENOMEM));
            return -ENOMEM;
        }
        p->groups = g;
        if (!ids->has_pw) {
            g[0] = ids->gid;
            p->ngroups = 1;
            return 0;
        }
        int want = n;
        if (getgrouplist(ids->pw.pw_name, ids->gid, g, &want) >= 0) {
            p->ngroups = want;
            return 0;
        }
        if (n >= GROUPS_MAX) {
            snprintf(errmsg, errlen, "user '%s' is in too many groups", ids->pw.pw_name);
            return -EINVAL;
        }
        n = want > n ? want : n * 2; /* glibc says how many; others may not */
    }
}

/* ---- the environment and the program's path (parent only) ---- */

/* Adds KEY=VALUE to envp, replacing an entry with the same key. */
static void env_put(char **envp, size_t *n, char *entry)
{
    size_t klen = strcspn(entry, "=");
    for (size_t i = 0; i < *n; i++) {
        if (strncmp(envp[i], entry, klen) == 0 && envp[i][klen] == '=') {
            envp[i] = entry;
            return;
        }
    }
    envp[(*n)++] = entry;
}

static char *concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

static int env_build(const pm_spec *spec, plan *p, char *errmsg, size_t errlen)
{
    size_t count = 0;
    for (char **e = spec->env; e && *e; e++, count++) {
        if (**e == '=' || !strchr(*e, '=')) {
            snprintf(errmsg, errlen, "bad environment entry '%s' (want KEY=VALUE)", *e);
            return -EINVAL;
        }
    }
    for (char **e = environ; !spec->clear_env && e && *e; e++)
        count++;
    if (p->ids.has_pw) {
        p->user_env[0] = concat("HOME=", p->ids.pw.pw_dir);
        p->user_env[1] = concat("USER=", p->ids.pw.pw_name);
        p->user_env[2] = concat("LOGNAME=", p->ids.pw.pw_name);
        count += 3;
    }
    p->envp = calloc(count + 1, sizeof *p->envp);
    if (!p->envp || (p->ids.has_pw && (!p->user_env[0] || !p->user_env[1] || !p->user_env[2]))) {
        snprintf(errmsg, errlen, "cannot build the environment: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    size_t n = 0;
    for (char **e = environ; !spec->clear_env && e && *e; e++)
        env_put(p->envp, &n, *e);
    for (int i = 0; i < 3 && p->ids.has_pw; i++)
        env_put(p->envp, &n, p->user_env[i]);
    for (char **e = spec->env; e && *e; e++)
        env_put(p->envp, &n, *e);
    return 0;
}

/* The PATH the child will see, else ours, else a usual one. */
static const char *path_var(const pm_spec *spec)
{
    const char *path = NULL;
    for (char **e = spec->env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    if (!path)
        path = getenv("PATH");
    return path ? path : DEFAULT_PATH;
}

/* The first executable regular file named `name` in an absolute PATH
 * directory; else the first non-executable one (so exec reports EACCES
 * like execvp); else NULL.  Relative entries are skipped: the child runs
 * in another directory than ours.  0, or -ENOMEM. */
static int path_search(const char *name, const char *pathvar, char **found)
{
    size_t nlen = strlen(name);
    char *fallback = NULL;
    *found = NULL;
    for (const char *dir = pathvar;; dir++) {
        size_t dlen = strcspn(dir, ":");
        if (dir[0] == '/') {
            char *cand = malloc(dlen + 1 + nlen + 1);
            if (!cand) {
                free(fallback);
                return -ENOMEM;
            }
            memcpy(cand, dir, dlen);
            cand[dlen] = '/';
            memcpy(cand + dlen + 1, name, nlen + 1);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
                if (st.st_mode & 0111) {
                    free(fallback);
                    *found = cand;
                    return 0;
                }
                if (!fallback) {
                    fallback = cand;
                    cand = NULL;
                }
            }
            free(cand);
        }
        dir += dlen;
        if (*dir == '\0')
            break;
    }
    *found = fallback;
    return 0;
}

/* argv[0] as given when it has a '/', else looked up on PATH. */
static int path_resolve(const pm_spec *spec, char **path)
{
    const char *name = spec->argv[0];
    if (strchr(name, '/')) {
        *path = strdup(name);
        return *path ? 0 : -ENOMEM;
    }
    return path_search(name, path_var(spec), path);
}

static void plan_free(plan *p)
{
    ids_free(&p->ids);
    free(p->groups);
    free(p->path);
    free(p->envp);
    for (int i = 0; i < 3; i++)
        free(p->user_env[i]);
}

static int plan_build(const pm_spec *spec, plan *p, char *errmsg, size_t errlen)
{
    *p = (plan){.umask = spec->umask};
    int r = ids_resolve(spec, &p->ids, errmsg, errlen);
    if (r < 0)
        return r;
    /* Only root may set groups; anyone else keeps theirs and fails on a
     * setgid/setuid it is not allowed, which the child reports. */
    p->set_groups = p->ids.set_gid && geteuid() == 0;
    if (p->set_groups && (r = groups_resolve(p, errmsg, errlen)) < 0)
        goto fail;
    if ((r = env_build(spec, p, errmsg, errlen)) < 0)
        goto fail;
    if ((r = path_resolve(spec, &p->path)) < 0) {
        snprintf(errmsg, errlen, "cannot look up %s: %s", spec->argv[0], strerror(-r));
        goto fail;
    }
    return 0;
fail:
    plan_free(p);
    return r;
}

/* ---- descriptors (parent only) ---- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void fds_close(fds *f)
{
    close_fd(&f->input);
    close_fd(&f->input_writer);
    for (int i = 0; i < 2; i++) {
        close_fd(&f->out[i]);
        close_fd(&f->err[i]);
        close_fd(&f->report[i]);
        close_fd(&f->ready[i]);
    }
}

/* A close-on-exec pipe whose read end does not block the event loop; the
 * write end stays blocking, as a child's stdout should be. */
static int pipe_open(int p[2])
{
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;
        close_fd(&p[0]);
        close_fd(&p[1]);
        return -e;
    }
    return 0;
}

/* Standard input that reads nothing: /dev/null, or where there is none (an
 * empty chroot, a container without /dev) a pipe whose writing end is
 * closed at once, which reads as end of file too. */
static int empty_input(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), p[2];
    if (fd >= 0 || (errno != ENOENT && errno != EACCES))
        return fd;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    close(p[1]);
    return p[0];
}

static int fds_open(const pm_spec *spec, fds *f, char *errmsg, size_t errlen)
{
    *f = (fds){-1, -1, {-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, -1};
    if (spec->stdin_pipe) {
        int in[2];
        if (pipe2(in, O_CLOEXEC) < 0 || fcntl(in[1], F_SETFL, O_NONBLOCK) < 0) {
            int e = errno;
            snprintf(errmsg, errlen, "cannot create a pipe: %s", strerror(e));
            fds_close(f);
            return -e;
        }
        f->input = in[0];
        f->input_writer = in[1];
    } else if ((f->input = empty_input()) < 0) {
        int e = errno;
        snprintf(errmsg, errlen, "cannot open /dev/null: %s", strerror(e));
        return -e;
    }
    if (spec->ready == PM_READY_FD)
        f->ready_target = spec->ready_fd;
    int r;
    if ((r = pipe_open(f->out)) < 0 || (r = pipe_open(f->err)) < 0 ||
        (r = pipe2(f->report, O_CLOEXEC) < 0 ? -errno : 0) < 0 ||
        (spec->ready == PM_READY_FD && (r = pipe_open(f->ready)) < 0)) {
        snprintf(errmsg, errlen, "cannot create a pipe: %s", strerror(-r));
        fds_close(f);
        return r;
    }
    return 0;
}

/* ---- the child, between vfork and exec ----
 *
 * It runs in our address space, on our stack below the frame that called
 * vfork, while we are suspended: async-signal-safe calls and raw system
 * calls only, no allocation, no writes to anything but its own frames, and
 * no return from the vforking function. */

static _Noreturn void child_fail(int report_fd, int stage, int err)
{
    report rep = {stage, err};
    while (write(report_fd, &rep, sizeof rep) < 0 && errno == EINTR)
        ;
    _exit(127);
}

/* Default dispositions first, then the empty mask, so that no signal
 * pending from the parent's blocked set reaches one of its handlers.  The
 * child has its own handler table (no CLONE_SIGHAND), so sigaction touches
 * only the child; the mask is set with the raw call, bypassing libc. */
static void child_reset_signals(void)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)sigaction(sig, &sa, NULL); /* EINVAL for libc's own: nothing to reset */
    sigset_t none;
    sigemptyset(&none);
    (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, (size_t)(_NSIG / 8));
}

/* A copy at 3 or above, so that dup2 onto 0-2 never clobbers another
 * source; needed when we were started with stdio closed. */
static int child_fd_above_stdio(int fd)
{
    return fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* Moves the input and the pipes onto 0, 1, 2; dup2 clears close-on-exec
 * on the copy, so these three, and no other of ours, survive the exec. */
static int child_stdio(const fds *f)
{
    int in = child_fd_above_stdio(f->input);
    int out = child_fd_above_stdio(f->out[1]);
    int err = child_fd_above_stdio(f->err[1]);
    int ready = f->ready_target < 0 ? 0 : child_fd_above_stdio(f->ready[1]);
    if (in < 0 || out < 0 || err < 0 || ready < 0)
        return -1;
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        return -1;
    if (f->ready_target < 0)
        return 0;
    /* The readiness pipe at its descriptor; dup2 onto itself would leave
     * close-on-exec set. */
    if (ready == f->ready_target)
        return fcntl(ready, F_SETFD, 0);
    return dup2(ready, f->ready_target) < 0 ? -1 : 0;
}

/* The child's whole life after vfork.  Groups and ids are set with the raw system
 * calls: glibc's wrappers would run their all-threads "setxid" broadcast
 * over our threads.  The raw setgid/setuid have the same semantics as the
 * wrappers (root: real, effective and saved; others: effective only). */
__attribute__((noinline)) static _Noreturn void child_run(const pm_spec *spec, const plan *p, const fds *f)
{
    int rep = child_fd_above_stdio(f->report[1]);
    if (rep == f->ready_target) /* keep the report out of the readiness pipe's way */
        rep = fcntl(rep, F_DUPFD_CLOEXEC, f->ready_target + 1);
    if (rep < 0)
        child_fail(f->report[1], STAGE_STDIO, errno);
    child_reset_signals();
    /* Our own session and process group, so the group can be signalled. */
    if (setsid() < 0)
        child_fail(rep, STAGE_SETSID, errno);
    if (p->umask != PM_UNSET)
        umask((mode_t)p->umask & 0777);
    if (spec->cwd && chdir(spec->cwd) < 0)
        child_fail(rep, STAGE_CHDIR, errno);
    if (p->set_groups && syscall(SYS_SETGROUPS, (size_t)p->ngroups, p->groups) < 0)
        child_fail(rep, STAGE_SETGROUPS, errno);
    if (p->ids.set_gid && syscall(SYS_SETGID, p->ids.gid) < 0)
        child_fail(rep, STAGE_SETGID, errno);
    if (p->ids.set_uid && syscall(SYS_SETUID, p->ids.uid) < 0)
        child_fail(rep, STAGE_SETUID, errno);
    if (child_stdio(f) < 0)
        child_fail(rep, STAGE_STDIO, errno);
    if (!p->path)
        child_fail(rep, STAGE_EXEC, ENOENT);
    execve(p->path, spec->argv, p->envp);
    child_fail(rep, STAGE_EXEC, errno);
}

/* ---- the parent ---- */

/* Signals stay blocked across vfork so that none runs one of our handlers
 * in the child (on our memory) before it resets them.  We are suspended
 * until the child has exec'd or exited. */
static pid_t vfork_child(const pm_spec *spec, const plan *p, const fds *f, char *errmsg, size_t errlen)
{
    sigset_t all, old;
    sigfillset(&all);
    int e = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (e) {
        snprintf(errmsg, errlen, "cannot block signals: %s", strerror(e));
        return -e;
    }
    pid_t pid = vfork();
    if (pid == 0)
        child_run(spec, p, f); /* never returns: the child must not leave this frame */
    e = errno; /* read at once: the child may have written it */
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL); /* cannot fail with a valid set */
    if (pid < 0) {
        snprintf(errmsg, errlen, "cannot fork: %s", strerror(e));
        return -e;
    }
    return pid;
}

/* ---- turning a report into a sentence ---- */

static void describe_exec(const pm_spec *spec, int err, char *msg, size_t msglen)
{
    char *path = NULL;
    (void)path_resolve(spec, &path); /* the same lookup as at spawn */
    const char *shown = path ? path : spec->argv[0];
    struct stat st;
    /* ENOENT for a file that exists: its #! interpreter or ELF loader is missing. */
    if (err == ENOENT && shown[0] == '/' && stat(shown, &st) == 0)
        snprintf(msg, msglen, "cannot execute %s: bad interpreter: %s", shown, strerror(err));
    else if (err == EACCES && stat(shown, &st) == 0 && S_ISDIR(st.st_mode)) /* execve says only EACCES */
        snprintf(msg, msglen, "cannot execute %s: %s", shown, strerror(EISDIR));
    else
        snprintf(msg, msglen, "cannot execute %s: %s", shown, strerror(err));
    free(path);
}

/* The ids are looked up again: the report carries only stage and errno. */
static void describe_ids(const pm_spec *spec, int stage, int err, char *msg, size_t msglen)
{
    id_set ids;
    char ignored[128];
    bool known = ids_resolve(spec, &ids, ignored, sizeof ignored) == 0;
    const char *e = strerror(err);
    if (stage == STAGE_SETGROUPS)
        snprintf(msg, msglen, "cannot set supplementary groups: %s", e);
    else if (stage == STAGE_SETUID && known)
        snprintf(msg, msglen, "cannot set user to %s (uid %lu): %s", spec->user,
                 (unsigned long)ids.uid, e);
    else if (stage == STAGE_SETUID)
        snprintf(msg, msglen, "cannot set user to %s: %s", spec->user, e);
    else if (spec->group && known)
        snprintf(msg, msglen, "cannot set group to %s (gid %lu): %s", spec->group,
                 (unsigned long)ids.gid, e);
    else if (known)
        snprintf(msg, msglen, "cannot set group to gid %lu of user %s: %s",
                 (unsigned long)ids.gid, spec->user, e);
    else
        snprintf(msg, msglen, "cannot set group: %s", e);
    if (known)
        ids_free(&ids);
}

static void describe(const pm_spec *spec, const report *rep, char *msg, size_t msglen)
{
    const char *e = strerror(rep->err);
    switch (rep->stage) {
    case STAGE_SETSID:
        snprintf(msg, msglen, "cannot start a new session: %s", e);
        break;
    case STAGE_CHDIR:
        snprintf(msg, msglen, "cannot change directory to %s: %s", spec->cwd, e);
        break;
    case STAGE_SETGROUPS:
    case STAGE_SETGID:
    case STAGE_SETUID:
        describe_ids(spec, rep->stage, rep->err, msg, msglen);
        break;
    case STAGE_STDIO:
        snprintf(msg, msglen, "cannot set up standard input and output: %s", e);
        break;
    case STAGE_EXEC:
        describe_exec(spec, rep->err, msg, msglen);
        break;
    default:
        snprintf(msg, msglen, "failed before exec (stage %d): %s", rep->stage, e);
        break;
    }
}

/* Waits for the child's report: 0 once its exec has closed the pipe, else
 * the child's errno with the sentence in msg. */
static int read_report(int fd, const pm_spec *spec, char *msg, size_t msglen)
{
    report rep;
    ssize_t n;
    do
        n = read(fd, &rep, sizeof rep);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    /* The child writes one record smaller than PIPE_BUF: all or nothing. */
    if (n == (ssize_t)sizeof rep && rep.err > 0) {
        describe(spec, &rep, msg, msglen);
        return rep.err;
    }
    int err = n < 0 ? errno : EIO;
    snprintf(msg, msglen, "cannot read the child's report: %s", strerror(err));
    return err;
}

int pm_spawn(const pm_spec *spec, pm_spawned *out, char *errmsg, size_t errlen)
{
    *out = (pm_spawned){.pid = -1, .stdout_fd = -1, .stderr_fd = -1, .ready_fd = -1, .stdin_fd = -1};
    if (!spec->argv || !spec->argv[0]) {
        snprintf(errmsg, errlen, "no command to run");
        return -EINVAL;
    }
    plan p;
    int r = plan_build(spec, &p, errmsg, errlen);
    if (r < 0)
        return r;
    fds f;
    if ((r = fds_open(spec, &f, errmsg, errlen)) < 0) {
        plan_free(&p);
        return r;
    }
    pid_t pid = vfork_child(spec, &p, &f, errmsg, errlen);
    plan_free(&p);
    if (pid < 0) {
        fds_close(&f);
        return pid;
    }
    close_fd(&f.report[1]); /* else the read below would wait for ourselves */
    int err = read_report(f.report[0], spec, errmsg, errlen);
    *out = (pm_spawned){pid, f.out[0], f.err[0], f.ready[0], f.input_writer, err != 0, err};
    f.out[0] = f.err[0] = f.ready[0] = f.input_writer = -1;
    fds_close(&f); /* the child's ends: EOF then comes when the child is done */
    return 0;
}
