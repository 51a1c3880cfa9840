/* Creating child processes, for real: every test starts actual programs,
 * polls their pipes with a generous deadline and reaps them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

#define DEADLINE_MS 10000
#define OUT_SIZE 65536

/* What a finished child left behind. */
typedef struct result {
    char out[OUT_SIZE], err[OUT_SIZE];
    size_t out_len, err_len;
    bool exec_failed; /* pm_spawn's verdict: failed before exec */
    char message[512];
    int status;       /* from waitpid */
} result;

/* A spec with nothing set but argv: not pm_spec_init, which lives in monitor.c. */
static pm_spec spec_for(char **argv)
{
    pm_spec s;
    memset(&s, 0, sizeof s);
    s.argv = argv;
    s.umask = PM_UNSET;
    return s;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends what is readable; closes the fd at EOF. */
static void drain(int *fd, char *buf, size_t *len)
{
    for (;;) {
        ssize_t n = read(*fd, buf + *len, OUT_SIZE - 1 - *len);
        if (n > 0) {
            *len += (size_t)n;
            buf[*len] = '\0';
            assert_true(*len < OUT_SIZE - 1);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        assert_true(n == 0);
        close(*fd);
        *fd = -1;
        return;
    }
}

/* Reaps pid within the deadline; else SIGKILLs its group, so that a
 * failing test does not hang or leave a child behind. */
static int reap(pid_t pid)
{
    long end = now_ms() + DEADLINE_MS;
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    if (r == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("child %d did not exit", (int)pid);
    }
    assert_int_equal(r, pid);
    return status;
}

/* Collects output until both pipes are at EOF, then reaps. */
static void finish(pm_spawned *s, result *res)
{
    long end = now_ms() + DEADLINE_MS;
    while (s->stdout_fd >= 0 || s->stderr_fd >= 0) {
        struct pollfd p[2] = {{.fd = s->stdout_fd, .events = POLLIN},
                              {.fd = s->stderr_fd, .events = POLLIN}};
        long left = end - now_ms();
        assert_true(left > 0);
        assert_true(poll(p, 2, (int)left) >= 0 || errno == EINTR);
        if (s->stdout_fd >= 0)
            drain(&s->stdout_fd, res->out, &res->out_len);
        if (s->stderr_fd >= 0)
            drain(&s->stderr_fd, res->err, &res->err_len);
    }
    res->exec_failed = s->exec_failed;
    res->status = reap(s->pid);
}

static result *run(const pm_spec *spec)
{
    result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    pm_spawned s;
    int r = pm_spawn(spec, &s, res->message, sizeof res->message);
    if (r < 0)
        fail_msg("pm_spawn: %d %s", r, res->message);
    finish(&s, res);
    return res;
}

/* Runs argv and expects it to have failed before exec with `message`. */
static void assert_spawn_fails(const pm_spec *spec, const char *message)
{
    result *res = run(spec);
    assert_true(res->exec_failed);
    assert_string_equal(res->message, message);
    assert_true(WIFEXITED(res->status));
    assert_int_equal(WEXITSTATUS(res->status), 127);
    assert_int_equal(res->out_len, 0);
    free(res);
}

/* Runs argv and expects it to have exec'd, exited 0 and printed `out`. */
static void assert_output(const pm_spec *spec, const char *out)
{
    result *res = run(spec);
    assert_false(res->exec_failed);
    assert_string_equal(res->out, out);
    assert_true(WIFEXITED(res->status));
    assert_int_equal(WEXITSTATUS(res->status), 0);
    free(res);
}

/* The environment a child printed with env -0 holds `entry` exactly n times. */
static int env_count(const result *res, const char *entry)
{
    int n = 0;
    for (size_t i = 0; i < res->out_len; i += strlen(res->out + i) + 1)
        n += strcmp(res->out + i, entry) == 0;
    return n;
}

/* A fresh directory for files the tests create; removed by the caller. */
static char *temp_dir(void)
{
    char *dir = strdup("/tmp/pm-test-spawn-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static char *write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0); /* past our umask */
    assert_int_equal(close(fd), 0);
    return path;
}

static void remove_file(char *path)
{
    assert_int_equal(unlink(path), 0);
    free(path);
}

static int open_fd_count(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the one opendir holds */
}

/* ---- output and the report ---- */

static void test_output_on_right_fds(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2", NULL};
    pm_spec spec = spec_for(argv);
    result *res = run(&spec);
    assert_false(res->exec_failed);
    assert_string_equal(res->out, "out\n");
    assert_string_equal(res->err, "err\n");
    assert_true(WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0);
    free(res);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* The parent keeps two descriptors per child, the output pipes, and no other. */
static void test_parent_fds_flags(void **state)
{
    (void)state;
    char *argv[] = {"/bin/true", NULL};
    pm_spec spec = spec_for(argv);
    pm_spawned s;
    char errmsg[256];
    int before = open_fds();
    assert_int_equal(pm_spawn(&spec, &s, errmsg, sizeof errmsg), 0);
    assert_int_equal(open_fds(), before + 2);
    int fds[] = {s.stdout_fd, s.stderr_fd};
    for (int i = 0; i < 2; i++) {
        assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
        assert_true(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
    }
    result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    finish(&s, res);
    assert_false(res->exec_failed);
    free(res);
}

/* pm_spawn blocks signals around fork and must give ours back. */
static void test_parent_mask_kept(void **state)
{
    (void)state;
    sigset_t usr1, saved, after;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    assert_int_equal(sigprocmask(SIG_SETMASK, &usr1, &saved), 0);
    char *argv[] = {"/bin/true", NULL};
    pm_spec spec = spec_for(argv);
    assert_output(&spec, "");
    assert_int_equal(sigprocmask(SIG_SETMASK, &saved, &after), 0);
    for (int sig = 1; sig < NSIG; sig++)
        assert_int_equal(sigismember(&after, sig), sig == SIGUSR1);
}

/* ---- exec failures ---- */

static void test_exec_missing_file(void **state)
{
    (void)state;
    char *argv[] = {"/nonexistent/x", NULL};
    pm_spec spec = spec_for(argv);
    assert_spawn_fails(&spec, "cannot execute /nonexistent/x: No such file or directory");
}

static void test_exec_no_permission(void **state)
{
    (void)state;
    char *dir = temp_dir();
    char *path = write_file(dir, "noexec", "#!/bin/sh\necho hi\n", 0644);
    char *argv[] = {path, NULL};
    pm_spec spec = spec_for(argv);
    char expected[512];
    snprintf(expected, sizeof expected, "cannot execute %s: Permission denied", path);
    assert_spawn_fails(&spec, expected);
    remove_file(path);
    rmdir(dir);
    free(dir);
}

static void test_exec_directory(void **state)
{
    (void)state;
    char *argv[] = {"/tmp", NULL};
    pm_spec spec = spec_for(argv);
    assert_spawn_fails(&spec, "cannot execute /tmp: Is a directory");
}

static void test_exec_bad_interpreter(void **state)
{
    (void)state;
    char *dir = temp_dir();
    char *path = write_file(dir, "script", "#!/nonexistent/interpreter\n", 0755);
    char *argv[] = {path, NULL};
    pm_spec spec = spec_for(argv);
    char expected[512];
    snprintf(expected, sizeof expected,
             "cannot execute %s: bad interpreter: No such file or directory", path);
    assert_spawn_fails(&spec, expected);
    remove_file(path);
    rmdir(dir);
    free(dir);
}

static void test_exec_not_on_path(void **state)
{
    (void)state;
    char *argv[] = {"pm-no-such-command-here", NULL};
    pm_spec spec = spec_for(argv);
    assert_spawn_fails(&spec, "cannot execute pm-no-such-command-here: No such file or directory");
}

static void test_bad_cwd(void **state)
{
    (void)state;
    char *argv[] = {"/bin/true", NULL};
    pm_spec spec = spec_for(argv);
    spec.cwd = "/nonexistent/dir";
    assert_spawn_fails(&spec, "cannot change directory to /nonexistent/dir: No such file or directory");
}

static void test_cwd(void **state)
{
    (void)state;
    char *argv[] = {"/bin/pwd", NULL};
    pm_spec spec = spec_for(argv);
    spec.cwd = "/usr";
    assert_output(&spec, "/usr\n");
}

static void test_no_command(void **state)
{
    (void)state;
    char *argv[] = {NULL};
    pm_spec spec = spec_for(argv);
    pm_spawned s;
    char errmsg[256];
    assert_int_equal(pm_spawn(&spec, &s, errmsg, sizeof errmsg), -EINVAL);
    assert_int_equal(s.pid, -1);
}

/* ---- environment and PATH ---- */

static void test_env_addition(void **state)
{
    (void)state;
    assert_int_equal(setenv("PM_TEST_INHERITED", "yes", 1), 0);
    char *argv[] = {"/usr/bin/env", "-0", NULL};
    char *env[] = {"PM_TEST_ADDED=1", NULL};
    pm_spec spec = spec_for(argv);
    spec.env = env;
    result *res = run(&spec);
    assert_false(res->exec_failed);
    assert_int_equal(env_count(res, "PM_TEST_ADDED=1"), 1);
    assert_int_equal(env_count(res, "PM_TEST_INHERITED=yes"), 1);
    free(res);
    unsetenv("PM_TEST_INHERITED");
}

static void test_env_override(void **state)
{
    (void)state;
    assert_int_equal(setenv("PM_TEST_VAR", "inherited", 1), 0);
    char *argv[] = {"/usr/bin/env", "-0", NULL};
    char *env[] = {"PM_TEST_VAR=first", "PM_TEST_VAR=override", NULL};
    pm_spec spec = spec_for(argv);
    spec.env = env;
    result *res = run(&spec);
    assert_false(res->exec_failed);
    assert_int_equal(env_count(res, "PM_TEST_VAR=override"), 1);
    assert_int_equal(env_count(res, "PM_TEST_VAR=inherited"), 0);
    assert_int_equal(env_count(res, "PM_TEST_VAR=first"), 0);
    free(res);
    unsetenv("PM_TEST_VAR");
}

static void test_clear_env(void **state)
{
    (void)state;
    char *argv[] = {"env", NULL}; /* found on our PATH: the child has none */
    char *env[] = {"A=1", "B=two words", NULL};
    pm_spec spec = spec_for(argv);
    spec.env = env;
    spec.clear_env = true;
    assert_output(&spec, "A=1\nB=two words\n");
}

static void test_bad_env_entry(void **state)
{
    (void)state;
    char *argv[] = {"/bin/true", NULL};
    char *env[] = {"NOEQUALS", NULL};
    pm_spec spec = spec_for(argv);
    spec.env = env;
    pm_spawned s;
    char errmsg[256];
    assert_int_equal(pm_spawn(&spec, &s, errmsg, sizeof errmsg), -EINVAL);
    assert_string_equal(errmsg, "bad environment entry 'NOEQUALS' (want KEY=VALUE)");
}

static void test_path_lookup(void **state)
{
    (void)state;
    char *argv[] = {"sh", "-c", "echo found", NULL};
    pm_spec spec = spec_for(argv);
    assert_output(&spec, "found\n");
}

/* The child's own PATH is searched, not ours, and the first executable wins. */
static void test_path_from_child_env(void **state)
{
    (void)state;
    char *dir1 = temp_dir(), *dir2 = temp_dir();
    char *noexec = write_file(dir1, "pm-test-cmd", "#!/bin/sh\necho wrong\n", 0644);
    char *script = write_file(dir2, "pm-test-cmd", "#!/bin/sh\necho \"$PATH\"\n", 0755);
    char pathvar[256];
    snprintf(pathvar, sizeof pathvar, "PATH=relative:%s::%s", dir1, dir2);
    char *argv[] = {"pm-test-cmd", NULL};
    char *env[] = {pathvar, NULL};
    pm_spec spec = spec_for(argv);
    spec.env = env;
    char expected[300];
    snprintf(expected, sizeof expected, "%s\n", pathvar + 5);
    assert_output(&spec, expected);
    remove_file(noexec);
    remove_file(script);
    rmdir(dir1);
    rmdir(dir2);
    free(dir1);
    free(dir2);
}

/* Only a non-executable match: exec it, so that the child reports EACCES. */
static void test_path_only_noexec(void **state)
{
    (void)state;
    char *dir = temp_dir();
    char *noexec = write_file(dir, "pm-test-cmd", "#!/bin/sh\n", 0644);
    char pathvar[256];
    snprintf(pathvar, sizeof pathvar, "PATH=%s", dir);
    char *argv[] = {"pm-test-cmd", NULL};
    char *env[] = {pathvar, NULL};
    pm_spec spec = spec_for(argv);
    spec.env = env;
    char expected[512];
    snprintf(expected, sizeof expected, "cannot execute %s: Permission denied", noexec);
    assert_spawn_fails(&spec, expected);
    remove_file(noexec);
    rmdir(dir);
    free(dir);
}

/* ---- umask, process group, descriptors, signals ---- */

static void test_umask(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sh", "-c", "umask", NULL};
    pm_spec spec = spec_for(argv);
    spec.umask = 027;
    assert_output(&spec, "0027\n");
}

/* Starts `sleep 30` and waits until it has exec'd. */
static pm_spawned start_sleeper(pm_spec *spec, char **argv)
{
    *spec = spec_for(argv);
    pm_spawned s;
    char errmsg[256];
    assert_int_equal(pm_spawn(spec, &s, errmsg, sizeof errmsg), 0);
    assert_false(s.exec_failed);
    return s;
}

/* Kills the sleeper's whole group and reaps it. */
static void stop_sleeper(pm_spawned *s)
{
    assert_int_equal(kill(-s->pid, SIGTERM), 0);
    int status = reap(s->pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    close(s->stdout_fd);
    close(s->stderr_fd);
}

static void test_own_process_group(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sleep", "30", NULL};
    pm_spec spec;
    pm_spawned s = start_sleeper(&spec, argv);
    assert_int_equal(getpgid(s.pid), s.pid);
    assert_int_equal(getsid(s.pid), s.pid);
    stop_sleeper(&s);
}

static bool fd_is_inherited(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    return flags >= 0 && !(flags & FD_CLOEXEC);
}

/* The child lists its own fds once its loader is done with its libraries
 * (`ls -ln` shows "N -> target").  It has 0, 1, 2, whatever this test process
 * itself passes on (fds without close-on-exec from whoever started us), and
 * the one ls opens to list the directory: nothing else. */
static void test_no_extra_fds(void **state)
{
    (void)state;
    char *argv[] = {"/bin/ls", "-ln", "/proc/self/fd/", NULL};
    pm_spec spec = spec_for(argv);
    result *res = run(&spec);
    assert_false(res->exec_failed);
    const char *want[3] = {"/dev/null", "pipe:", "pipe:"};
    int stdio = 0, extra = 0;
    for (char *line = strtok(res->out, "\n"); line; line = strtok(NULL, "\n")) {
        char *arrow = strstr(line, " -> ");
        if (!arrow)
            continue; /* "total 0" */
        char *num = arrow;
        while (num > line && num[-1] != ' ')
            num--;
        int fd = atoi(num);
        if (fd <= 2) {
            assert_true(strncmp(arrow + 4, want[fd], strlen(want[fd])) == 0);
            stdio++;
        } else if (!fd_is_inherited(fd)) {
            extra++;
        }
    }
    assert_int_equal(stdio, 3);
    if (extra != 1)
        fail_msg("%d fds besides stdio and ls's own:\n%s", extra - 1, res->out);
    free(res);
}

/* Reads a hex mask line ("SigIgn:\t0000...") from /proc/<pid>/status. */
static unsigned long long status_mask(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    unsigned long long v = ~0ULL;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtoull(line + strlen(key), NULL, 16);
    fclose(f);
    return v;
}

static void test_signals_reset(void **state)
{
    (void)state;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigemptyset(&ign.sa_mask);
    assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
    sigset_t usr1, old_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old_mask), 0);

    char *argv[] = {"/bin/sleep", "30", NULL};
    pm_spec spec;
    pm_spawned s = start_sleeper(&spec, argv);
    /* Signals 32 and 33 are glibc's own: sigaction() refuses them, so their
     * inherited disposition (make ignores them) cannot be reset. */
    const unsigned long long glibc_own = 3ULL << 31;
    assert_true((status_mask(s.pid, "SigIgn:") & ~glibc_own) == 0);
    assert_true(status_mask(s.pid, "SigBlk:") == 0);
    stop_sleeper(&s);

    /* And in practice: head's early exit kills yes with SIGPIPE. */
    char *argv2[] = {"/bin/sh", "-c", "yes | head -1", NULL};
    pm_spec spec2 = spec_for(argv2);
    assert_output(&spec2, "y\n");

    assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
    assert_int_equal(sigaction(SIGPIPE, &old_pipe, NULL), 0);
}

/* Started with stdin, stdout and stderr closed, our pipes land on 0-2;
 * the child must still get them in the right places.  Runs in a forked
 * helper, which reports the child's output on a pipe. */
static void test_parent_with_closed_stdio(void **state)
{
    (void)state;
    int res_pipe[2];
    assert_int_equal(pipe2(res_pipe, O_CLOEXEC), 0);
    assert_true(res_pipe[1] > 2);
    pid_t helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        close(0);
        close(1);
        close(2);
        char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; cat", NULL};
        pm_spec spec = spec_for(argv);
        pm_spawned s;
        char errmsg[256];
        if (pm_spawn(&spec, &s, errmsg, sizeof errmsg) < 0)
            _exit(2);
        char out[64] = "", err[64] = "";
        ssize_t n1 = 0, n2 = 0;
        int status;
        if (waitpid(s.pid, &status, 0) != s.pid)
            _exit(3);
        n1 = read(s.stdout_fd, out, sizeof out - 1);
        n2 = read(s.stderr_fd, err, sizeof err - 1);
        char line[160];
        int len = snprintf(line, sizeof line, "%zd:%s|%zd:%s|%d", n1, out, n2, err, status);
        _exit(write(res_pipe[1], line, (size_t)len) == len ? 0 : 4);
    }
    close(res_pipe[1]);
    char line[160];
    size_t len = 0;
    for (ssize_t n; (n = read(res_pipe[0], line + len, sizeof line - 1 - len)) > 0;)
        len += (size_t)n;
    line[len] = '\0';
    close(res_pipe[0]);
    int status;
    assert_int_equal(waitpid(helper, &status, 0), helper);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(line, "4:out\n|4:err\n|0"); /* cat read /dev/null: EOF at once */
}

/* ---- user and group (root only) ---- */

static bool skip_unless_root(void)
{
    if (geteuid() == 0)
        return false;
    skip();
    return true;
}

/* Gives this (root) test process a supplementary group that no child
 * started with a user or group may keep; the teardown puts ours back. */
typedef struct saved_groups {
    int n;
    gid_t list[];
} saved_groups;

static int with_extra_group(void **state)
{
    if (geteuid() != 0)
        return 0;
    int n = getgroups(0, NULL);
    saved_groups *saved = n < 0 ? NULL : malloc(sizeof *saved + (size_t)(n + 1) * sizeof(gid_t));
    if (!saved || (saved->n = getgroups(n, saved->list)) < 0) {
        free(saved);
        return -1;
    }
    *state = saved;
    gid_t extra = 4321;
    return setgroups(1, &extra);
}

static int without_extra_group(void **state)
{
    saved_groups *saved = *state;
    if (!saved)
        return 0;
    int r = setgroups((size_t)saved->n, saved->list);
    free(saved);
    return r;
}

static void test_user_nobody(void **state)
{
    (void)state;
    if (skip_unless_root())
        return;
    struct passwd *pw = getpwnam("nobody");
    assert_non_null(pw);
    gid_t groups[64];
    int n = 64;
    assert_true(getgrouplist("nobody", pw->pw_gid, groups, &n) >= 0);
    char expected[512];
    int len = snprintf(expected, sizeof expected, "%lu\n%lu\n%s %s %s\n", (unsigned long)pw->pw_uid,
                       (unsigned long)pw->pw_gid, pw->pw_dir, "nobody", "nobody");
    /* id -G prints the effective group first, then the others in order. */
    for (int i = 0; i < n; i++) {
        if (groups[i] == pw->pw_gid)
            continue;
        len += snprintf(expected + len, sizeof expected - (size_t)len, "%lu ", (unsigned long)groups[i]);
    }
    char *argv[] = {"/bin/sh", "-c",
                    "id -u; id -g; echo \"$HOME $USER $LOGNAME\"; "
                    "for g in $(id -G); do [ \"$g\" = \"$(id -g)\" ] || printf '%s ' \"$g\"; done",
                    NULL};
    pm_spec spec = spec_for(argv);
    spec.user = "nobody";
    assert_output(&spec, expected);
}

static void test_user_env_overridden(void **state)
{
    (void)state;
    if (skip_unless_root())
        return;
    char *argv[] = {"/bin/sh", "-c", "echo \"$HOME $USER\"", NULL};
    char *env[] = {"HOME=/elsewhere", NULL};
    pm_spec spec = spec_for(argv);
    spec.user = "nobody";
    spec.env = env;
    assert_output(&spec, "/elsewhere nobody\n");
}

static void test_group_by_number(void **state)
{
    (void)state;
    if (skip_unless_root())
        return;
    char *argv[] = {"/bin/sh", "-c", "id -u; id -g; id -G", NULL};
    pm_spec spec = spec_for(argv);
    spec.group = "4242";
    assert_output(&spec, "0\n4242\n4242\n"); /* root's own groups are dropped */
    spec.user = "nobody";
    assert_output(&spec, "65534\n4242\n4242\n");
}

static void test_user_by_number(void **state)
{
    (void)state;
    if (skip_unless_root())
        return;
    char *argv[] = {"/bin/sh", "-c", "id -u; id -g; id -G", NULL};
    pm_spec spec = spec_for(argv);
    spec.user = "54321"; /* no passwd entry: its own number as group */
    assert_output(&spec, "54321\n54321\n54321\n");
}

static void test_unknown_user(void **state)
{
    (void)state;
    if (skip_unless_root())
        return;
    int before = open_fd_count("/proc/self/fd");
    char *argv[] = {"/bin/true", NULL};
    pm_spec spec = spec_for(argv);
    spec.user = "pm-no-such-user";
    pm_spawned s;
    char errmsg[256];
    assert_int_equal(pm_spawn(&spec, &s, errmsg, sizeof errmsg), -EINVAL);
    assert_string_equal(errmsg, "unknown user 'pm-no-such-user'");
    assert_int_equal(s.pid, -1);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* nothing was forked */
    assert_int_equal(errno, ECHILD);
    assert_int_equal(open_fd_count("/proc/self/fd"), before);

    spec.user = NULL;
    spec.group = "pm-no-such-group";
    assert_int_equal(pm_spawn(&spec, &s, errmsg, sizeof errmsg), -EINVAL);
    assert_string_equal(errmsg, "unknown group 'pm-no-such-group'");
}

/* As nobody, switching to root fails in the child; the report names it.
 * Runs in a forked helper that drops to nobody and sends the messages back. */
static void test_setuid_denied(void **state)
{
    (void)state;
    if (skip_unless_root())
        return;
    int res_pipe[2];
    assert_int_equal(pipe2(res_pipe, O_CLOEXEC), 0);
    pid_t helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
            _exit(2);
        char *argv[] = {"/bin/true", NULL};
        pm_spec spec = spec_for(argv);
        spec.user = "root";
        char msgs[1024] = "";
        for (int i = 0; i < 2; i++) {
            spec.group = i ? "nogroup" : NULL; /* nobody's own group: setgid works */
            pm_spawned s;
            char msg[512];
            if (pm_spawn(&spec, &s, msg, sizeof msg) < 0)
                _exit(3);
            if (!s.exec_failed)
                _exit(4);
            if (waitpid(s.pid, NULL, 0) != s.pid)
                _exit(5);
            strcat(msgs, msg);
            strcat(msgs, "|");
        }
        size_t len = strlen(msgs);
        _exit(write(res_pipe[1], msgs, len) == (ssize_t)len ? 0 : 6);
    }
    close(res_pipe[1]);
    char msgs[1024];
    size_t len = 0;
    for (ssize_t n; (n = read(res_pipe[0], msgs + len, sizeof msgs - 1 - len)) > 0;)
        len += (size_t)n;
    msgs[len] = '\0';
    close(res_pipe[0]);
    int status;
    assert_int_equal(waitpid(helper, &status, 0), helper);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(msgs, "cannot set group to gid 0 of user root: Operation not permitted|"
                              "cannot set user to root (uid 0): Operation not permitted|");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_on_right_fds),
        cmocka_unit_test(test_parent_fds_flags),
        cmocka_unit_test(test_parent_mask_kept),
        cmocka_unit_test(test_exec_missing_file),
        cmocka_unit_test(test_exec_no_permission),
        cmocka_unit_test(test_exec_directory),
        cmocka_unit_test(test_exec_bad_interpreter),
        cmocka_unit_test(test_exec_not_on_path),
        cmocka_unit_test(test_bad_cwd),
        cmocka_unit_test(test_cwd),
        cmocka_unit_test(test_no_command),
        cmocka_unit_test(test_env_addition),
        cmocka_unit_test(test_env_override),
        cmocka_unit_test(test_clear_env),
        cmocka_unit_test(test_bad_env_entry),
        cmocka_unit_test(test_path_lookup),
        cmocka_unit_test(test_path_from_child_env),
        cmocka_unit_test(test_path_only_noexec),
        cmocka_unit_test(test_umask),
        cmocka_unit_test(test_own_process_group),
        cmocka_unit_test(test_no_extra_fds),
        cmocka_unit_test(test_signals_reset),
        cmocka_unit_test(test_parent_with_closed_stdio),
        cmocka_unit_test_setup_teardown(test_user_nobody, with_extra_group, without_extra_group),
        cmocka_unit_test(test_user_env_overridden),
        cmocka_unit_test_setup_teardown(test_group_by_number, with_extra_group, without_extra_group),
        cmocka_unit_test_setup_teardown(test_user_by_number, with_extra_group, without_extra_group),
        cmocka_unit_test(test_unknown_user),
        cmocka_unit_test(test_setuid_denied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
