/* One try of a check: a connect, or a command run as the process is; see
 * check.h. */
#include "check.h"

#include "spec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define DETAIL_MAX 256

struct pm_check {
    pm_runtime *rt;
    pm_check_kind kind;
    pm_check_cb cb;
    void *arg;
    double timeout;
    pm_timer *timer;       /* the timeout; then, for a failure found at once, the report */
    pm_connect *connect;   /* TCP, UNIX: under way */
    pid_t pid;             /* EXEC: the command, once started */
    bool spawning;         /* EXEC: asked of the runtime, not yet started */
    bool cancelled;        /* EXEC: nobody waits; killed and freed once it has started */
    char detail[DETAIL_MAX]; /* EXEC: its last line of output */
};

static void check_free(pm_check *c)
{
    if (c->timer)
        c->rt->ops->timer_cancel(c->rt, c->timer);
    free(c);
}

/* The result, once; c is freed. */
static void finish(pm_check *c, bool ok, const char *detail)
{
    pm_check_cb cb = c->cb;
    void *arg = c->arg;
    char text[DETAIL_MAX];
    snprintf(text, sizeof text, "%s", detail);
    if (c->kind == PM_CHECK_EXEC && c->pid > 0 && !ok)
        c->rt->ops->kill(c->rt, c->pid, SIGKILL, true); /* no-op once it has exited */
    if (c->kind == PM_CHECK_EXEC)
        c->rt->ops->forget(c->rt, c);
    check_free(c);
    cb(arg, ok, text);
}

/* ---- a connect, or an HTTP GET ---- */

/* "HTTP/1.1 204 No Content": its status, or -1. */
static int http_status(const char *reply, size_t len)
{
    char line[64];
    size_t n = strcspn(reply, "\r\n");
    if (n > len)
        n = len;
    if (n >= sizeof line)
        n = sizeof line - 1;
    memcpy(line, reply, n);
    line[n] = '\0';
    int status;
    return sscanf(line, "HTTP/%*d.%*d %3d", &status) == 1 ? status : -1;
}

static void connected(void *arg, int result, const char *reply, size_t len)
{
    pm_check *c = arg;
    c->connect = NULL;
    char detail[DETAIL_MAX] = "connected";
    bool ok = result == 0;
    if (result < 0) {
        snprintf(detail, sizeof detail, "connect: %s", strerror(-result));
    } else if (c->kind == PM_CHECK_HTTP) {
        int status = http_status(reply ? reply : "", reply ? len : 0);
        ok = status >= 200 && status < 400;
        if (status < 0)
            snprintf(detail, sizeof detail, "not an HTTP answer");
        else
            snprintf(detail, sizeof detail, "HTTP %d", status);
    }
    finish(c, ok, detail);
}

/* An HTTP target's connect target, and its request.  false when it is not
 * a URL this can fetch. */
static bool http_request(const char *url, char *target, size_t tlen, bool *unix_socket, char *req,
                         size_t rlen)
{
    const char *rest = strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    if (!rest || !*rest)
        return false;
    const char *path = "/", *host = "localhost";
    size_t hostlen = strlen(host);
    if (strncmp(rest, "unix:", 5) == 0) { /* http://unix:/run/app.sock:/health */
        const char *sock = rest + 5, *end = strchr(sock, ':');
        size_t n = end ? (size_t)(end - sock) : strlen(sock);
        if (n == 0 || n >= tlen)
            return false;
        memcpy(target, sock, n);
        target[n] = '\0';
        if (end && end[1])
            path = end + 1;
        *unix_socket = true;
    } else {
        size_t n = strcspn(rest, "/");
        if (n == 0 || n + 4 >= tlen)
            return false;
        host = rest;
        hostlen = n;
        const char *bracket = memchr(rest, ']', n), *colon = memrchr(rest, ':', n);
        bool has_port = colon && (!bracket || colon > bracket);
        snprintf(target, tlen, "%.*s%s", (int)n, rest, has_port ? "" : ":80");
        if (rest[n])
            path = rest + n;
        *unix_socket = false;
    }
    int w = snprintf(req, rlen,
                     "GET %s HTTP/1.0\r\nHost: %.*s\r\nUser-Agent: procmon\r\n"
                     "Connection: close\r\n\r\n",
                     path, (int)hostlen, host);
    return w > 0 && (size_t)w < rlen;
}

/* ---- a command ---- */

static void command_started(void *arg, pid_t pid)
{
    pm_check *c = arg;
    c->spawning = false;
    c->pid = pid;
    if (c->cancelled) {
        c->rt->ops->kill(c->rt, pid, SIGKILL, true);
        c->rt->ops->forget(c->rt, c);
        check_free(c);
    }
}

static void command_failed(void *arg, int err, const char *message)
{
    pm_check *c = arg;
    (void)err;
    c->spawning = false;
    if (c->cancelled)
        check_free(c);
    else
        finish(c, false, message);
}

/* Keeps the last line, which is what a failing check usually says. */
static void command_output(void *arg, pm_stream stream, const pm_line *lines, size_t n)
{
    pm_check *c = arg;
    (void)stream;
    if (n == 0)
        return;
    size_t len = lines[n - 1].len < DETAIL_MAX ? lines[n - 1].len : DETAIL_MAX - 1;
    memcpy(c->detail, lines[n - 1].data, len);
    c->detail[len] = '\0';
}

static void command_exited(void *arg, int wait_status)
{
    pm_check *c = arg;
    c->pid = 0;
    char detail[DETAIL_MAX * 2];
    if (WIFSIGNALED(wait_status))
        snprintf(detail, sizeof detail, "killed by signal %d", WTERMSIG(wait_status));
    else
        snprintf(detail, sizeof detail, "exit status %d", WEXITSTATUS(wait_status));
    if (c->detail[0]) {
        size_t n = strlen(detail);
        snprintf(detail + n, sizeof detail - n, ": %s", c->detail);
    }
    finish(c, WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0, detail);
}

static const pm_child_cbs command_cbs = {command_started, command_failed, command_output,
                                         command_exited, NULL};

/* The process's spec with the check's command as its argv. */
static int command_spawn(pm_check *c, const char *command, const pm_spec *as, char *err, size_t errlen)
{
    pm_spec spec = *as;
    char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};
    spec.argv = argv;
    spec.ready = PM_READY_SPAWN;
    spec.ready_fd = -1;
    c->spawning = true;
    int r = c->rt->ops->spawn(c->rt, &spec, &command_cbs, c, err, errlen);
    if (r < 0)
        c->spawning = false;
    return r;
}

/* ---- either ---- */

static void timed_out(void *arg)
{
    pm_check *c = arg;
    c->timer = NULL;
    if (c->connect)
        c->rt->ops->connect_cancel(c->rt, c->connect);
    c->connect = NULL;
    char detail[64];
    snprintf(detail, sizeof detail, "timed out after %gs", c->timeout);
    if (c->kind == PM_CHECK_EXEC && c->spawning) { /* killed once it has started */
        pm_check_cb cb = c->cb;
        void *arg2 = c->arg;
        c->cancelled = true;
        cb(arg2, false, detail);
        return;
    }
    finish(c, false, detail);
}

/* A failure known at once is still told on a later turn. */
static void report_failure(void *arg)
{
    pm_check *c = arg;
    c->timer = NULL;
    finish(c, false, c->detail);
}

int pm_check_start(pm_runtime *rt, pm_check_kind kind, const char *target, const pm_spec *as,
                   double timeout, pm_check_cb cb, void *arg, pm_check **out)
{
    pm_check *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    *c = (pm_check){.rt = rt, .kind = kind, .cb = cb, .arg = arg, .timeout = timeout};
    char err[DETAIL_MAX] = "";
    char to[512], req[1024];
    bool unix_socket = kind == PM_CHECK_UNIX;
    int r = 0;
    if (kind == PM_CHECK_EXEC)
        r = command_spawn(c, target, as, err, sizeof err);
    else if (kind == PM_CHECK_HTTP && !http_request(target, to, sizeof to, &unix_socket, req, sizeof req))
        r = -EINVAL;
    else if (!(c->connect = rt->ops->connect(rt, kind == PM_CHECK_HTTP ? to : target, unix_socket,
                                             kind == PM_CHECK_HTTP ? req : NULL,
                                             kind == PM_CHECK_HTTP ? strlen(req) : 0, connected, c)))
        r = -ENOMEM;
    if (r == -EINVAL) {
        free(c);
        return r;
    }
    if (r == -ENOMEM) {
        free(c);
        return r;
    }
    if (r < 0) { /* e.g. cannot fork: this try failed */
        snprintf(c->detail, sizeof c->detail, "%s", err);
        c->timer = rt->ops->timer_start(rt, 0, report_failure, c);
    } else {
        c->timer = rt->ops->timer_start(rt, timeout, timed_out, c);
    }
    if (!c->timer) {
        c->cb = NULL;
        pm_check_cancel(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

void pm_check_cancel(pm_check *c)
{
    if (!c)
        return;
    if (c->connect)
        c->rt->ops->connect_cancel(c->rt, c->connect);
    c->connect = NULL;
    if (c->kind == PM_CHECK_EXEC && c->spawning) { /* killed and freed once it has started */
        if (c->timer)
            c->rt->ops->timer_cancel(c->rt, c->timer);
        c->timer = NULL;
        c->cancelled = true;
        return;
    }
    if (c->kind == PM_CHECK_EXEC) {
        if (c->pid > 0)
            c->rt->ops->kill(c->rt, c->pid, SIGKILL, true);
        c->rt->ops->forget(c->rt, c);
    }
    check_free(c);
}

static bool tcp_target_ok(const char *t)
{
    const char *colon = t ? strrchr(t, ':') : NULL;
    if (!colon || colon == t)
        return false;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return end != colon + 1 && !*end && port > 0 && port <= 65535;
}

int pm_check_target_ok(pm_check_kind kind, const char *target, char *err, size_t errlen)
{
    const char *t = target ? target : "";
    char to[512], req[1024];
    bool unix_socket;
    switch (kind) {
    case PM_CHECK_TCP:
        if (tcp_target_ok(t))
            return 0;
        snprintf(err, errlen, "'%s' is not HOST:PORT", t);
        return -EINVAL;
    case PM_CHECK_UNIX:
    case PM_CHECK_EXEC:
        if (*t)
            return 0;
        snprintf(err, errlen, "%s", kind == PM_CHECK_UNIX ? "unix: needs a socket path" : "exec: needs a command");
        return -EINVAL;
    case PM_CHECK_HTTP:
        if (http_request(t, to, sizeof to, &unix_socket, req, sizeof req) && (unix_socket || tcp_target_ok(to)))
            return 0;
        snprintf(err, errlen, "'%s' is not http://HOST[:PORT][/PATH] or http://unix:SOCKET:[/PATH]", t);
        return -EINVAL;
    }
    snprintf(err, errlen, "unknown kind of check");
    return -EINVAL;
}
