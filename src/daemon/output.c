/* Per-program output targets: shared, bounded, never blocking.  See output.h. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define INHERIT_SCAN 1024 /* descriptors checked at start-up for /dev/fd/N */
#define KEEP_BUFFER (64 * 1024) /* an idle target keeps at most this much buffer */

typedef enum {
    HOW_FILE,   /* a regular file we opened by path: rotation applies */
    HOW_PLAIN,  /* write(2): a regular file behind /dev/fd/N, or our own O_NONBLOCK description */
    HOW_STREAM, /* send(MSG_DONTWAIT) on a stream socket */
    HOW_DGRAM,  /* the same, one line a message */
} write_how;

struct pm_target {
    pm_outputs *owner;
    pm_target *next;
    unsigned refs;
    pm_output cfg;  /* path: as configured (an AUTO prefix) */
    char *path;     /* the file written (AUTO completed), or NULL */
    char name[64];  /* "/dev/fd/N" for messages */
    int fd;         /* -1: not open */
    bool own_fd;    /* ours to close */
    write_how how;
    long long size; /* HOW_FILE: bytes in the file */
    char *buf;
    size_t off, len, cap; /* pending bytes: buf[off..len) */
    int error;       /* the last failure (errno), 0 when working */
    double retry_at; /* failing: not tried again before this */
    double rotate_retry_at; /* a rotation failed: the limit is ignored until then */
    bool reported;   /* a failure or drop was reported; the recovery will be too */
    double report_at; /* no report before this */
    unsigned long long dropped; /* since the last report */
    double progress_at; /* bytes were last written, or began to wait */
    bool pipe_grown;    /* a pipe that said EAGAIN was offered more room */
    bool full;          /* said EAGAIN at full_at: not tried again at that same time */
    double full_at;
    bool watched;       /* the watch callback was told to wait for fd */
};

struct pm_outputs {
    pm_output_report_cb report;
    void *arg;
    pm_output_watch_cb watch;
    void *watch_arg;
    pm_target *targets;
    int *inherited; /* descriptors open at start-up */
    size_t ninherited;
};

/* ---- reports ---- */

static const char *target_name(const pm_target *t)
{
    return t->path ? t->path : t->cfg.path ? t->cfg.path : t->name;
}

__attribute__((format(printf, 2, 3)))
static void report(pm_target *t, const char *fmt, ...)
{
    char msg[PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t->owner->report)
        t->owner->report(t->owner->arg, t, msg);
}

static const char *why(int err)
{
    return err == EAGAIN ? "not taking output (its reader is not reading)" : strerror(err);
}

/* A failure or drop: reported at once, then at most every REPORT_EVERY. */
static void note_trouble(pm_target *t, double now)
{
    if (now < t->report_at)
        return;
    if (t->dropped)
        report(t, "output to %s: %s; %llu bytes dropped", target_name(t), why(t->error ? t->error : EAGAIN),
               t->dropped);
    else
        report(t, "output to %s: %s; keeping up to %d bytes until it works again", target_name(t),
               why(t->error), PM_OUTPUT_MAX_PENDING);
    t->dropped = 0;
    t->reported = true;
    t->report_at = now + PM_OUTPUT_REPORT_EVERY;
}

static void fail(pm_target *t, int err, double now)
{
    t->error = err;
    t->retry_at = now + PM_OUTPUT_RETRY;
    note_trouble(t, now);
}

static void note_working(pm_target *t)
{
    t->error = 0;
    if (!t->reported)
        return;
    if (t->dropped)
        report(t, "output to %s works again; %llu bytes dropped", target_name(t), t->dropped);
    else
        report(t, "output to %s works again", target_name(t));
    t->dropped = 0;
    t->reported = false; /* report_at stays: a flapping target is reported every REPORT_EVERY at most */
}

/* ---- opening ---- */

static int open_path(const char *path, int extra)
{
    int fd;
    /* O_NONBLOCK: a FIFO without a reader must not block the open. */
    do
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | extra, 0644);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

/* AUTO: PREFIX + 6 random characters + ".log", created exclusively, so no
 * two programs or runs ever share one. */
static int open_auto(pm_target *t)
{
    char *tmpl;
    if (asprintf(&tmpl, "%sXXXXXX.log", t->cfg.path) < 0)
        return -ENOMEM;
    int fd = mkostemps(tmpl, 4, O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        free(tmpl);
        return -err;
    }
    free(t->path);
    t->path = tmpl;
    return fd;
}

static bool inherited(const pm_outputs *o, int fd)
{
    for (size_t i = 0; i < o->ninherited; i++)
        if (o->inherited[i] == fd)
            return true;
    return false;
}

/* A descriptor target: how to write to it without blocking the loop or
 * changing a description that others share.  0 or -errno. */
static int open_fd(pm_target *t)
{
    int n = t->cfg.fd;
    struct stat st;
    if (!inherited(t->owner, n))
        return -EBADF;
    if (fstat(n, &st) < 0)
        return -errno;
    if (S_ISREG(st.st_mode)) {
        /* Never EAGAIN; and reopening would get an offset of its own. */
        t->fd = n, t->how = HOW_PLAIN, t->own_fd = false;
        return 0;
    }
    if (S_ISSOCK(st.st_mode)) {
        /* /proc/self/fd/N cannot open a socket: MSG_DONTWAIT makes each
         * send non-blocking without touching the shared flags. */
        int type;
        socklen_t len = sizeof type;
        if (getsockopt(n, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
            return -errno;
        t->fd = n, t->how = type == SOCK_STREAM ? HOW_STREAM : HOW_DGRAM, t->own_fd = false;
        return 0;
    }
    /* A pipe, a tty or another device: a new open file description of the
     * same object, non-blocking for us alone.  ENXIO: a pipe nobody reads. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", n);
    int fd;
    do
        fd = open(proc, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
        t->fd = fd, t->how = HOW_PLAIN, t->own_fd = true;
        return 0;
    }
    int err = errno;
    int fl = fcntl(n, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) { /* already non-blocking for everyone */
        t->fd = n, t->how = HOW_PLAIN, t->own_fd = false;
        return 0;
    }
    return -err;
}

static void set_watch(pm_target *t, bool on)
{
    if (t->watched == on || !t->owner->watch)
        return;
    t->watched = on;
    t->owner->watch(t->owner->watch_arg, t, t->fd, on);
}

static void close_target_fd(pm_target *t)
{
    set_watch(t, false);
    if (t->fd >= 0 && t->own_fd && close(t->fd) < 0 && errno != EINTR)
        report(t, "output to %s: closing: %s", target_name(t), strerror(errno));
    t->fd = -1;
}

/* Opens the target's file or descriptor; 0 or -errno (then it stays closed). */
static int target_open(pm_target *t)
{
    if (t->cfg.kind == PM_OUT_FD)
        return open_fd(t);
    int fd = t->cfg.automatic && !t->path ? open_auto(t) : open_path(t->path, 0);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    t->fd = fd;
    t->own_fd = true;
    t->how = S_ISREG(st.st_mode) ? HOW_FILE : HOW_PLAIN;
    t->size = st.st_size;
    return 0;
}

/* ---- writing ---- */

static ssize_t write_some(pm_target *t, const char *p, size_t n)
{
    switch (t->how) {
    case HOW_STREAM:
        return send(t->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    case HOW_DGRAM: { /* one line a datagram */
        const char *nl = memchr(p, '\n', n);
        return send(t->fd, p, nl ? (size_t)(nl - p) + 1 : n, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    default:
        return write(t->fd, p, n);
    }
}

/* Writes to a new file at the target's path from now on: 0, or -errno
 * with the old one still in use. */
static int start_new_file(pm_target *t)
{
    int fd = open_path(t->path, 0);
    if (fd < 0)
        return fd;
    close_target_fd(t);
    t->fd = fd;
    t->own_fd = true;
    t->size = 0;
    return 0;
}

/* Rotates the file: 0, or -errno with the old file still in use. */
static int rotate(pm_target *t)
{
    int r = pm_rotate_files(t->path, t->cfg.backups);
    return r < 0 ? r : start_new_file(t);
}

int pm_target_clear(pm_target *t, double now)
{
    if (t->cfg.kind != PM_OUT_FILE || !t->path)
        return 0; /* an AUTO file not made yet holds nothing */
    pm_target_flush(t, now);
    if (unlink(t->path) < 0 && errno != ENOENT)
        return -errno;
    t->error = 0;
    return start_new_file(t);
}

/* A pipe its reader empties more slowly than we fill it: a larger pipe
 * (as for the children's pipes) takes bursts without waiting.  Best
 * effort; the pipe is shared, and growing it only lets it hold more. */
static void grow_pipe(pm_target *t)
{
    struct stat st;
    if (t->pipe_grown || t->how != HOW_PLAIN)
        return;
    t->pipe_grown = true;
    if (fstat(t->fd, &st) == 0 && S_ISFIFO(st.st_mode))
        (void)fcntl(t->fd, F_SETPIPE_SZ, PM_OUTPUT_PIPE_SIZE);
}

void pm_target_flush(pm_target *t, double now)
{
    if (t->error && now < t->retry_at)
        return;
    /* A reader that took nothing a moment ago will not have now: one try a
     * loop turn, not one a line while lines are dropped. */
    if (t->full && now == t->full_at)
        return;
    if (t->fd < 0) {
        int r = target_open(t);
        if (r < 0) {
            fail(t, -r, now);
            return;
        }
    }
    bool wrote = false, failed = false;
    while (t->off < t->len && !failed) {
        const char *p = t->buf + t->off;
        size_t n = t->len - t->off;
        if (t->how == HOW_FILE && t->cfg.maxbytes > 0 && now >= t->rotate_retry_at) {
            n = pm_rotation_take(p, n, t->size, t->cfg.maxbytes);
            if (n == 0) {
                int r = rotate(t);
                if (r < 0) { /* keep writing the old file rather than lose lines */
                    report(t, "cannot rotate %s: %s", t->path, strerror(-r));
                    t->rotate_retry_at = now + PM_OUTPUT_REPORT_EVERY;
                }
                continue;
            }
        }
        ssize_t w = write_some(t, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            t->full = true;
            t->full_at = now;
            grow_pipe(t);
            set_watch(t, true);
            break; /* full for now: the buffer holds the rest */
        }
        if (w <= 0) {
            fail(t, w < 0 ? errno : EIO, now);
            failed = true;
            break;
        }
        t->off += (size_t)w;
        t->size += w;
        t->progress_at = now;
        t->full = false;
        wrote = true;
    }
    if (t->off == t->len || failed)
        set_watch(t, false);
    if (t->off == t->len) {
        t->off = t->len = 0;
        if (t->cap > KEEP_BUFFER) { /* a burst is over: give its memory back */
            free(t->buf);
            t->buf = NULL;
            t->cap = 0;
        }
    }
    if (wrote && !failed)
        note_working(t);
}

void pm_target_ready(pm_target *t, double now)
{
    t->full = false;
    pm_target_flush(t, now);
}

/* Room for n more bytes, writing or compacting first; false if it cannot be had. */
static bool make_room(pm_target *t, size_t n, double now)
{
    if (t->cap - t->len >= n)
        return true;
    if (t->len + n - t->off > PM_OUTPUT_MAX_PENDING)
        pm_target_flush(t, now);
    if (t->off > 0) {
        memmove(t->buf, t->buf + t->off, t->len - t->off);
        t->len -= t->off;
        t->off = 0;
    }
    if (t->cap - t->len >= n)
        return true;
    if (t->len + n > PM_OUTPUT_MAX_PENDING && t->len > 0)
        return false; /* an empty buffer takes any one line */
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + n)
        cap *= 2;
    if (cap > PM_OUTPUT_MAX_PENDING && t->len + n <= PM_OUTPUT_MAX_PENDING)
        cap = PM_OUTPUT_MAX_PENDING;
    char *buf = realloc(t->buf, cap);
    if (!buf)
        return false;
    t->buf = buf;
    t->cap = cap;
    return true;
}

/* Queues bytes + '\n'; make_room has made room for them. */
static void append_line(pm_target *t, const char *bytes, size_t len, double now)
{
    if (t->off == t->len)
        t->progress_at = now; /* the wait for these bytes starts now */
    if (len > 0)
        memcpy(t->buf + t->len, bytes, len);
    t->buf[t->len + len] = '\n';
    t->len += len + 1;
}

size_t pm_target_write_line(pm_target *t, const char *line, size_t len, double now)
{
    if (!make_room(t, len + 1, now)) {
        t->dropped += len + 1;
        note_trouble(t, now);
        return len + 1;
    }
    append_line(t, line, len, now);
    return 0;
}

size_t pm_target_write_lines(pm_target *t, const pm_line *lines, size_t n, double now)
{
    size_t dropped = 0;
    bool by_run = true;
    for (size_t i = 0; i < n;) {
        /* Lines that follow each other in memory, one '\n' apart (as the
         * lines of one read do), go in one copy. */
        size_t j = i + 1, len = lines[i].len;
        if (by_run && lines[i].data) {
            const char *end = lines[i].data + len;
            while (j < n && lines[j].data == end + 1 && *end == '\n') {
                end = lines[j].data + lines[j].len;
                j++;
            }
            len = (size_t)(end - lines[i].data);
        }
        if (j - i > 1 && make_room(t, len + 1, now)) {
            append_line(t, lines[i].data, len, now); /* the run, its last '\n' added */
            i = j;
            continue;
        }
        by_run = j - i == 1; /* a run that did not fit: the rest one by one, as many as fit */
        dropped += pm_target_write_line(t, lines[i].data, lines[i].len, now);
        i++;
    }
    return dropped;
}

size_t pm_target_write(pm_target *t, const char *data, size_t len, double now)
{
    if (len == 0)
        return 0;
    if (!make_room(t, len, now)) {
        t->dropped += len;
        note_trouble(t, now);
        return len;
    }
    if (t->off == t->len)
        t->progress_at = now;
    memcpy(t->buf + t->len, data, len);
    t->len += len;
    return 0;
}

size_t pm_target_pending(const pm_target *t)
{
    return t->len - t->off;
}

bool pm_target_stalled(const pm_target *t, double now)
{
    return t->len > t->off && now - t->progress_at >= PM_OUTPUT_STALL;
}

const char *pm_target_path(const pm_target *t)
{
    return t->cfg.kind == PM_OUT_FILE ? t->path : NULL;
}

/* ---- the set ---- */

int pm_outputs_new(pm_output_report_cb report_cb, void *arg, pm_outputs **out)
{
    pm_outputs *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->report = report_cb;
    o->arg = arg;
    for (int fd = 0; fd < INHERIT_SCAN; fd++) {
        if (fcntl(fd, F_GETFD) < 0)
            continue; /* EBADF: not open */
        int *v = realloc(o->inherited, (o->ninherited + 1) * sizeof *v);
        if (!v) {
            free(o->inherited);
            free(o);
            return -ENOMEM;
        }
        o->inherited = v;
        o->inherited[o->ninherited++] = fd;
    }
    *out = o;
    return 0;
}

static void target_free(pm_target *t)
{
    t->report_at = HUGE_VAL; /* one report below, not one a failure */
    pm_target_flush(t, 1e300); /* a last try, whatever the retry time */
    t->dropped += t->len - t->off; /* what it still holds is lost */
    if (t->dropped) {
        t->report_at = 0;
        note_trouble(t, 1e300);
    }
    close_target_fd(t);
    free(t->cfg.path);
    free(t->path);
    free(t->buf);
    free(t);
}

void pm_outputs_set_watch(pm_outputs *o, pm_output_watch_cb cb, void *arg)
{
    o->watch = cb;
    o->watch_arg = arg;
}

void pm_outputs_free(pm_outputs *o)
{
    if (!o)
        return;
    for (pm_target *t = o->targets, *next; t; t = next) {
        next = t->next;
        target_free(t);
    }
    free(o->inherited);
    free(o);
}

static bool same_target(const pm_target *t, const pm_output *cfg)
{
    if (t->cfg.kind != cfg->kind || cfg->automatic || t->cfg.automatic)
        return false;
    return cfg->kind == PM_OUT_FD ? t->cfg.fd == cfg->fd : strcmp(t->cfg.path, cfg->path) == 0;
}

pm_target *pm_outputs_acquire(pm_outputs *o, const pm_output *cfg, double now)
{
    for (pm_target *t = o->targets; t; t = t->next) {
        if (same_target(t, cfg)) {
            t->refs++;
            return t;
        }
    }
    pm_target *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->owner = o;
    t->refs = 1;
    t->cfg = *cfg;
    t->fd = -1;
    t->cfg.path = cfg->path ? strdup(cfg->path) : NULL;
    t->path = cfg->path && !cfg->automatic ? strdup(cfg->path) : NULL;
    if (cfg->path && (!t->cfg.path || (!cfg->automatic && !t->path))) {
        free(t->cfg.path);
        free(t->path);
        free(t);
        return NULL;
    }
    snprintf(t->name, sizeof t->name, "/dev/fd/%d", cfg->fd);
    t->next = o->targets;
    o->targets = t;
    int r = target_open(t);
    if (r < 0)
        fail(t, -r, now);
    return t;
}

void pm_outputs_release(pm_outputs *o, pm_target *t)
{
    if (!t || --t->refs > 0)
        return;
    for (pm_target **p = &o->targets; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    target_free(t);
}

void pm_outputs_flush(pm_outputs *o, double now)
{
    for (pm_target *t = o->targets; t; t = t->next) {
        if (t->len > t->off || (t->fd < 0 && now >= t->retry_at))
            pm_target_flush(t, now);
        if (t->dropped && now >= t->report_at)
            note_trouble(t, now);
    }
}

bool pm_outputs_waiting(const pm_outputs *o)
{
    for (const pm_target *t = o->targets; t; t = t->next)
        if (t->len > t->off || t->fd < 0 || t->dropped)
            return true;
    return false;
}

static double monotonic(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pm_outputs_drain(pm_outputs *o, double timeout)
{
    double end = monotonic() + timeout;
    for (;;) {
        struct pollfd fds[64];
        nfds_t n = 0;
        for (pm_target *t = o->targets; t; t = t->next) {
            if (t->len == t->off)
                continue;
            t->retry_at = 0; /* one more try for a failed one */
            pm_target_flush(t, monotonic());
            if (t->len > t->off && !t->error && t->fd >= 0 && n < sizeof fds / sizeof *fds)
                fds[n++] = (struct pollfd){.fd = t->fd, .events = POLLOUT};
        }
        double left = end - monotonic();
        if (n == 0 || left <= 0)
            return;
        /* poll(2) leaves the descriptors' flags alone, shared or not. */
        if (poll(fds, n, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            return;
    }
}

int pm_outputs_reopen(pm_outputs *o, double now)
{
    int failed = 0;
    for (pm_target *t = o->targets; t; t = t->next) {
        if (t->cfg.kind != PM_OUT_FILE)
            continue;
        t->error = 0; /* try at once */
        pm_target_flush(t, now);
        if (t->cfg.automatic && !t->path)
            continue; /* never created: the next flush creates it */
        int old = t->fd;
        bool own = t->own_fd;
        t->fd = -1;
        int r = target_open(t);
        if (r < 0) {
            t->fd = old; /* keep writing the old file */
            t->own_fd = own;
            report(t, "cannot reopen %s: %s", target_name(t), strerror(-r));
            failed++;
            continue;
        }
        if (old >= 0 && own && close(old) < 0 && errno != EINTR)
            report(t, "output to %s: closing: %s", target_name(t), strerror(errno));
    }
    return failed;
}

/* ---- rotation and reading back ---- */

size_t pm_rotation_take(const char *buf, size_t len, long long size, long long maxbytes)
{
    if (maxbytes <= 0 || size + (long long)len <= maxbytes) /* it all fits */
        return len;
    size_t take = 0;
    while (take < len) {
        const char *nl = memchr(buf + take, '\n', len - take);
        size_t line = nl ? (size_t)(nl - (buf + take)) + 1 : len - take;
        if (size + (long long)(take + line) > maxbytes) {
            if (size == 0 && take == 0)
                return line; /* longer than maxbytes: a file of its own */
            break;
        }
        take += line;
    }
    return take;
}

int pm_rotate_files(const char *path, int backups)
{
    if (backups <= 0)
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
    size_t n = strlen(path) + 16;
    char *from = malloc(n), *to = malloc(n);
    int r = from && to ? 0 : -ENOMEM;
    for (int i = backups - 1; r == 0 && i >= 0; i--) {
        if (i == 0)
            snprintf(from, n, "%s", path);
        else
            snprintf(from, n, "%s.%d", path, i);
        snprintf(to, n, "%s.%d", path, i + 1);
        if (rename(from, to) < 0 && errno != ENOENT) /* a gap in the backups is fine */
            r = -errno;
    }
    free(from);
    free(to);
    return r;
}

int pm_file_last_lines(const char *path, size_t n, size_t max_bytes,
                       void (*cb)(void *arg, const char *line, size_t len), void *arg)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    struct stat st;
    int err = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (err) {
        close(fd);
        return -err;
    }
    size_t want = (size_t)st.st_size < max_bytes ? (size_t)st.st_size : max_bytes;
    off_t from = st.st_size - (off_t)want;
    char *buf = malloc(want ? want : 1);
    size_t got = 0;
    int r = buf ? 0 : -ENOMEM;
    while (r == 0 && got < want) {
        ssize_t k = pread(fd, buf + got, want - got, from + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            r = -errno;
        else if (k == 0)
            break; /* truncated meanwhile */
        else
            got += (size_t)k;
    }
    close(fd);
    if (r == 0 && got > 0) {
        size_t end = buf[got - 1] == '\n' ? got - 1 : got;
        /* Walk back to the start of the n-th line from the end; a first
         * line cut by max_bytes is left out. */
        size_t first = end, pos = end, count = 0;
        while (count < n) {
            const char *nl = pos > 0 ? memrchr(buf, '\n', pos) : NULL;
            if (!nl) {
                if (from == 0) {
                    first = 0;
                    count++;
                }
                break;
            }
            first = (size_t)(nl - buf) + 1;
            pos = (size_t)(nl - buf);
            count++;
        }
        for (size_t p = first; count > 0; count--) {
            const char *nl = memchr(buf + p, '\n', end - p);
            size_t e = nl ? (size_t)(nl - buf) : end;
            cb(arg, buf + p, e - p);
            p = e + 1;
        }
    }
    free(buf);
    return r;
}

/* ---- old AUTO files ---- */

/* s ends with suffix (of length n): s's length without it, or -1. */
static ptrdiff_t cut_suffix(const char *s, ptrdiff_t len, const char *suffix, size_t n)
{
    return len >= (ptrdiff_t)n && memcmp(s + len - (ptrdiff_t)n, suffix, n) == 0 ? len - (ptrdiff_t)n : -1;
}

bool pm_output_is_auto_name(const char *name, const char *identifier)
{
    ptrdiff_t len = (ptrdiff_t)strlen(name);
    /* ".log", or a rotated ".log.N" */
    ptrdiff_t digits = len;
    while (digits > 0 && name[digits - 1] >= '0' && name[digits - 1] <= '9')
        digits--;
    if (digits < len && digits > 0 && name[digits - 1] == '.' && name[digits] != '0')
        len = digits - 1;
    if ((len = cut_suffix(name, len, ".log", 4)) < 7)
        return false;
    /* "-XXXXXX": mkostemps's six letters or digits */
    for (ptrdiff_t i = len - 6; i < len; i++)
        if (!(name[i] >= 'a' && name[i] <= 'z') && !(name[i] >= 'A' && name[i] <= 'Z') &&
            !(name[i] >= '0' && name[i] <= '9'))
            return false;
    len -= 6;
    if ((len = cut_suffix(name, len, "-", 1)) < 0)
        return false;
    /* "---IDENTIFIER", with '/' written as '_' (config_keys.c's auto_prefix) */
    size_t n = strlen(identifier);
    if (len < (ptrdiff_t)n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (name[len - (ptrdiff_t)n + (ptrdiff_t)i] != (identifier[i] == '/' ? '_' : identifier[i]))
            return false;
    len -= (ptrdiff_t)n;
    ptrdiff_t out = cut_suffix(name, len, "-stdout---", 10), err = cut_suffix(name, len, "-stderr---", 10);
    /* and a program's name before it */
    return out > 0 || err > 0;
}

int pm_output_clean_auto(const char *dir, const char *identifier, pm_output_report_cb cb, void *arg)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int removed = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        struct stat st;
        if (!pm_output_is_auto_name(de->d_name, identifier) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
            errno = 0;
            continue; /* only procmon's own files: never a link or anything else */
        }
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
        else if (errno != ENOENT && cb) {
            char message[PATH_MAX + 128];
            snprintf(message, sizeof message, "cannot remove the old AUTO file %s/%s: %s", dir, de->d_name,
                     strerror(errno));
            cb(arg, NULL, message);
        }
        errno = 0;
    }
    int r = errno ? -errno : removed;
    closedir(d);
    return r;
}
