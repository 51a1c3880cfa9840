/* The log stream: text or JSON lines, buffered, written with write(2). */
#include "logstream.h"

#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_BUF_SIZE (256 * 1024) /* fewer, larger writes under heavy output */
#define TIME_BUF 48 /* a timestamp, even with a year past 9999 */
#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

struct pm_logstream {
    int fd;
    char *path;          /* NULL: standard output */
    pm_log_format fmt;
    bool failing;        /* a write failed and was reported; none succeeded since */
    long long maxbytes;  /* rotate the file beyond this (output.h's rule); 0: never */
    int backups;
    long long size;      /* bytes in the file, when rotating */
    bool rotate_failed;  /* reported; rotation is retried at the next reopen */
    bool rotatable;      /* a regular file */
    pm_log_sink sink;    /* standard output: lines go there, not to write(2) */
    void *sink_arg;
    bool debug;          /* pm_logstream_debug's lines are written */
    bool have_now;       /* now_text holds the time of this batch of output */
    bool have_sec;       /* now_text starts with the formatted time of `sec` */
    time_t sec;
    size_t sec_len;
    char now_text[TIME_BUF];
    size_t len;          /* bytes waiting in buf */
    char buf[LOG_BUF_SIZE];
};

/* ---- time ---- */

/* "2026-11-24T10:00:00": the part that changes once a second. */
static size_t format_seconds(char *buf, size_t len, time_t sec)
{
    struct tm tm;
    if (!gmtime_r(&sec, &tm))
        return 0;
    return strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* ".123Z": exactly 5 characters, no NUL. */
static void format_millis(char *p, long nsec)
{
    long ms = nsec / 1000000;
    if (ms < 0 || ms > 999)
        ms = 0;
    p[0] = '.';
    p[1] = (char)('0' + ms / 100);
    p[2] = (char)('0' + ms / 10 % 10);
    p[3] = (char)('0' + ms % 10);
    p[4] = 'Z';
}

size_t pm_log_format_time(char *buf, size_t len, const struct timespec *ts)
{
    size_t n = format_seconds(buf, len, ts->tv_sec);
    if (n == 0 || n + 6 > len)
        return 0;
    format_millis(buf + n, ts->tv_nsec);
    buf[n + 5] = '\0';
    return n + 5;
}

/* The current time, formatted, into out (TIME_BUF bytes, not
 * NUL-terminated).  Output lines that arrive together share one reading of
 * the clock (per line, reading and formatting it cost a quarter of the
 * daemon's time under heavy output): it is read again after each flush and
 * for every supervisor event, so a long loop iteration (a thousand spawns)
 * still shows how long it took.  gmtime only runs when the second changes. */
static size_t log_time(pm_logstream *log, char *out)
{
    if (!log->have_now) {
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
            ts = (struct timespec){0};
        if (!log->have_sec || ts.tv_sec != log->sec) {
            size_t n = format_seconds(log->now_text, TIME_BUF - 5, ts.tv_sec);
            if (n == 0) /* out of gmtime's range: still one parseable line */
                n = (size_t)snprintf(log->now_text, TIME_BUF - 5, "0000-00-00T00:00:00");
            log->sec_len = n;
            log->sec = ts.tv_sec;
            log->have_sec = true;
        }
        format_millis(log->now_text + log->sec_len, ts.tv_nsec);
        log->have_now = true;
    }
    memcpy(out, log->now_text, log->sec_len + 5);
    return log->sec_len + 5;
}

/* ---- writing ---- */

static void report_failure(pm_logstream *log, int err)
{
    if (log->failing)
        return;
    log->failing = true;
    /* Nowhere left to report a failure of stderr itself. */
    fprintf(stderr, "procmon: cannot write to %s: %s\n",
            log->path ? log->path : "standard output", strerror(err));
}

static int open_file(const char *path);

/* The same rule as output files: whole lines, never past maxbytes. */
static void rotate(pm_logstream *log)
{
    int r = pm_rotate_files(log->path, log->backups);
    int fd = r < 0 ? r : open_file(log->path);
    if (fd < 0) {
        /* Nowhere better to say so: the log itself, unrotated, goes on. */
        log->rotate_failed = true;
        fprintf(stderr, "procmon: cannot rotate %s: %s\n", log->path, strerror(-fd));
        return;
    }
    if (close(log->fd) < 0 && errno != EINTR)
        fprintf(stderr, "procmon: closing %s: %s\n", log->path, strerror(errno));
    log->fd = fd;
    log->size = 0;
}

/* Writes everything or, on failure, reports it and drops the rest. */
static void write_all(pm_logstream *log, const char *p, size_t n)
{
    if (log->sink) {
        log->sink(log->sink_arg, p, n);
        return;
    }
    while (n > 0) {
        size_t take = n;
        if (log->maxbytes > 0 && log->rotatable && !log->rotate_failed) {
            take = pm_rotation_take(p, n, log->size, log->maxbytes);
            if (take == 0) {
                rotate(log);
                continue;
            }
        }
        ssize_t w = write(log->fd, p, take);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) { /* 0 would loop forever: treat it as an I/O error */
            report_failure(log, w < 0 ? errno : EIO);
            return;
        }
        p += w;
        n -= (size_t)w;
        log->size += w;
    }
    log->failing = false;
}

void pm_logstream_flush(pm_logstream *log)
{
    log->have_now = false;
    if (log->len == 0)
        return;
    write_all(log, log->buf, log->len);
    log->len = 0;
}

/* Frees room for n bytes; false if n can never fit in the buffer. */
static bool make_room(pm_logstream *log, size_t n)
{
    if (n > sizeof log->buf - log->len)
        pm_logstream_flush(log);
    return n <= sizeof log->buf;
}

static void put(pm_logstream *log, const char *p, size_t n)
{
    if (n == 0) /* p may be NULL */
        return;
    if (make_room(log, n)) {
        memcpy(log->buf + log->len, p, n);
        log->len += n;
    } else {
        write_all(log, p, n);
    }
}

static void put_str(pm_logstream *log, const char *s)
{
    put(log, s, strlen(s));
}

/* ---- opening and closing ---- */

static int open_file(const char *path)
{
    int fd;
    do
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int pm_logstream_open(const char *path, pm_log_format fmt, pm_logstream **out)
{
    pm_logstream *log = calloc(1, sizeof *log);
    if (!log)
        return -ENOMEM;
    log->fmt = fmt;
    log->fd = STDOUT_FILENO;
    if (path && strcmp(path, "-") != 0) {
        log->path = strdup(path);
        int fd = log->path ? open_file(path) : -ENOMEM;
        if (fd < 0) {
            free(log->path);
            free(log);
            return fd;
        }
        log->fd = fd;
    }
    *out = log;
    return 0;
}

/* Closes a file of ours; a failure may mean lost data, so it is reported. */
static void close_file(pm_logstream *log, int fd)
{
    if (close(fd) < 0 && errno != EINTR)
        report_failure(log, errno);
}

/* The file's size, where rotation needs it.  Only a regular file is
 * rotated: renaming /dev/null or a FIFO would move the node itself. */
static void measure(pm_logstream *log)
{
    struct stat st;
    bool regular = fstat(log->fd, &st) == 0 && S_ISREG(st.st_mode);
    log->size = regular ? st.st_size : 0;
    log->rotatable = regular;
}

void pm_logstream_set_sink(pm_logstream *log, pm_log_sink sink, void *arg)
{
    if (log->path)
        return;
    pm_logstream_flush(log); /* what came before goes the old way */
    log->sink = sink;
    log->sink_arg = arg;
}

void pm_logstream_set_rotation(pm_logstream *log, long long maxbytes, int backups)
{
    if (!log->path)
        return; /* standard output is not ours to rotate */
    log->maxbytes = maxbytes;
    log->backups = backups;
    measure(log);
}

int pm_logstream_reopen(pm_logstream *log)
{
    if (!log->path)
        return 0;
    pm_logstream_flush(log);
    int fd = open_file(log->path);
    if (fd < 0)
        return fd;
    close_file(log, log->fd);
    log->fd = fd;
    log->rotate_failed = false;
    measure(log);
    return 0;
}

void pm_logstream_close(pm_logstream *log)
{
    if (!log)
        return;
    pm_logstream_flush(log);
    if (log->path)
        close_file(log, log->fd);
    free(log->path);
    free(log);
}

/* ---- UTF-8 ---- */

/* The length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need;
    if (p[0] < 0x80)
        return 1;
    if (p[0] < 0xC2) /* a continuation byte, or overlong C0/C1 */
        return 0;
    if (p[0] < 0xE0) {
        need = 2;
    } else if (p[0] < 0xF0) {
        need = 3;
        if (p[0] == 0xE0)
            lo = 0xA0; /* overlong */
        else if (p[0] == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (p[0] < 0xF5) {
        need = 4;
        if (p[0] == 0xF0)
            lo = 0x90; /* overlong */
        else if (p[0] == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return need;
}

/* The length of the longest valid prefix. */
static size_t utf8_valid(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* ASCII: the common case */
            i++;
            continue;
        }
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}

char *pm_log_render_utf8(const char *data, size_t len, size_t *outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    if (len > (SIZE_MAX - 1) / 4)
        return NULL;
    char *out = malloc(len * 4 + 1); /* each byte at worst as \xNN */
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)data;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (n > 0) {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        } else { /* an invalid byte, alone: resynchronize on the next one */
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 0xF];
            i++;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ---- JSON ---- */

/* A JSON string of arbitrary bytes (NULL when out of memory). */
static json_t *json_bytes(const char *data, size_t len)
{
    if (len == 0)
        return json_string("");
    if (utf8_valid(data, len) == len) /* already checked: skip jansson's check */
        return json_stringn_nocheck(data, len);
    size_t n;
    char *text = pm_log_render_utf8(data, len, &n);
    if (!text)
        return NULL;
    json_t *s = json_stringn_nocheck(text, n);
    free(text);
    return s;
}

static json_t *json_text(const char *s)
{
    return s ? json_bytes(s, strlen(s)) : json_string("");
}

/* Seconds rounded to milliseconds, so that they print short (0.81); whole
 * numbers as integers (1, not 1.0). */
static json_t *json_seconds(double v)
{
    if (!(v > -1e12 && v < 1e12)) { /* huge or NaN: no rounding */
        json_t *r = json_real(v);
        return r ? r : json_null();
    }
    long long ms = (long long)(v < 0 ? v * 1000 - 0.5 : v * 1000 + 0.5);
    if (ms % 1000 == 0)
        return json_integer(ms / 1000);
    return json_real((double)ms / 1000);
}

/* An object starting with "time" (and "name" if given); NULL when out of memory. */
static json_t *json_record(pm_logstream *log, const char *name)
{
    char t[TIME_BUF];
    size_t tn = log_time(log, t);
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    int err = json_object_set_new(obj, "time", json_stringn_nocheck(t, tn));
    if (name)
        err |= json_object_set_new(obj, "name", json_text(name));
    if (err) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Writes the object as one line and releases it; err != 0 (a field could
 * not be set) drops it. */
static void put_json(pm_logstream *log, json_t *obj, int err)
{
    if (!obj)
        return;
    if (err) {
        json_decref(obj);
        return;
    }
    /* Dump straight into the buffer; only oversized records go through malloc. */
    size_t room = sizeof log->buf - log->len;
    size_t n = json_dumpb(obj, log->buf + log->len, room, JSON_FLAGS);
    if (n > 0 && n >= room && make_room(log, n + 1)) {
        room = sizeof log->buf - log->len;
        n = json_dumpb(obj, log->buf + log->len, room, JSON_FLAGS);
    }
    if (n > 0 && n < room) {
        log->len += n;
        log->buf[log->len++] = '\n';
    } else if (n > 0) {
        char *s = json_dumps(obj, JSON_FLAGS);
        if (s) {
            put_str(log, s);
            put(log, "\n", 1);
            free(s);
        }
    }
    json_decref(obj);
}

/* ---- signals and formatting ---- */

/* "SIGKILL", or NULL for a signal without a name (real-time ones). */
static const char *signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    if (!abbrev)
        return NULL;
    snprintf(buf, len, "SIG%s", abbrev);
    return buf;
}

static json_t *json_signal_name(int sig)
{
    char buf[32];
    const char *name = signal_name(sig, buf, sizeof buf);
    return name ? json_string(name) : json_null();
}

/* printf into `small`, or into a malloc'd string if it does not fit; NULL
 * on error.  The caller frees a result other than `small`. */
static char *vformat(char *small, size_t size, size_t *len, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, size, fmt, ap);
    char *text = small;
    if (n >= 0 && (size_t)n >= size) {
        text = malloc((size_t)n + 1);
        if (text) {
            vsnprintf(text, (size_t)n + 1, fmt, again);
        } else { /* out of memory: keep the truncated text */
            text = small;
            n = (int)size - 1;
        }
    }
    va_end(again);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return text;
}

/* "TIME procmon: <text>\n" */
static void __attribute__((format(printf, 2, 0)))
text_vline(pm_logstream *log, const char *fmt, va_list ap)
{
    char t[TIME_BUF], small[512];
    size_t tn = log_time(log, t), n;
    char *text = vformat(small, sizeof small, &n, fmt, ap);
    if (!text)
        return;
    put(log, t, tn);
    put(log, " procmon: ", 10);
    put(log, text, n);
    put(log, "\n", 1);
    if (text != small)
        free(text);
}

static void __attribute__((format(printf, 2, 3)))
text_line(pm_logstream *log, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vline(log, fmt, ap);
    va_end(ap);
}

/* ---- text records ---- */

/* "TIME [name] ", the head of each output line, in `small` (PREFIX_SMALL
 * bytes) or, for a very long name, malloc'd; NULL when out of memory. */
#define PREFIX_SMALL 256
static char *output_prefix(pm_logstream *log, const char *name, char *small, size_t *len)
{
    char t[TIME_BUF];
    size_t tn = log_time(log, t), nn = strlen(name);
    *len = tn + 2 + nn + 2;
    char *p = *len <= PREFIX_SMALL ? small : malloc(*len);
    if (!p)
        return NULL;
    memcpy(p, t, tn);
    memcpy(p + tn, " [", 2);
    memcpy(p + tn + 2, name, nn);
    memcpy(p + tn + 2 + nn, "] ", 2);
    return p;
}

/* The hot path: two memcpy a line. */
static void text_output_line(pm_logstream *log, const char *prefix, size_t pn, const char *data, size_t len)
{
    size_t total = pn + len + 1;
    if (make_room(log, total)) {
        char *p = log->buf + log->len;
        memcpy(p, prefix, pn);
        if (len > 0) /* data may be NULL */
            memcpy(p + pn, data, len);
        p[total - 1] = '\n';
        log->len += total;
        return;
    }
    put(log, prefix, pn); /* longer than the whole buffer */
    put(log, data, len);
    put(log, "\n", 1);
}

/* One OUTPUT event's line, or the lines of one read, which carry the time
 * they were read. */
static void text_output(pm_logstream *log, const pm_event *ev)
{
    char small[PREFIX_SMALL];
    size_t pn;
    char *prefix = output_prefix(log, ev->name, small, &pn);
    if (!prefix)
        return;
    if (ev->type == PM_EVENT_OUTPUT)
        text_output_line(log, prefix, pn, ev->data, ev->len);
    else
        for (size_t i = 0; i < ev->nlines; i++)
            text_output_line(log, prefix, pn, ev->lines[i].data, ev->lines[i].len);
    if (prefix != small)
        free(prefix);
}

/* What follows the ';' of an exit line. */
static void exit_tail(const pm_event *ev, char *buf, size_t len)
{
    const char *s = NULL;
    if (ev->restart_in > 0)
        snprintf(buf, len, "restarting in %gs", ev->restart_in);
    else if (ev->restart_in == 0)
        s = "restarting now";
    else if (ev->removed)
        s = "removed";
    else if (ev->type == PM_EVENT_EXIT && ev->message) /* waiting for its dependencies */
        s = ev->message;
    else if (ev->state == PM_STATE_STOPPED)
        s = "stopped";
    else if (ev->state == PM_STATE_EXITED)
        s = "not restarting";
    else if (ev->state == PM_STATE_FATAL)
        s = "giving up";
    else
        s = pm_state_name(ev->state);
    if (s)
        snprintf(buf, len, "%s", s);
}

static void text_exit(pm_logstream *log, const pm_event *ev)
{
    char tail[64], how[64], sig[32];
    exit_tail(ev, tail, sizeof tail);
    if (ev->exit_signal == 0)
        snprintf(how, sizeof how, "exited with status %d", ev->exit_status);
    else if (signal_name(ev->exit_signal, sig, sizeof sig))
        snprintf(how, sizeof how, "killed by signal %d (%s)", ev->exit_signal, sig);
    else
        snprintf(how, sizeof how, "killed by signal %d", ev->exit_signal);
    text_line(log, "%s: %s after %.2fs; %s", ev->name, how, ev->runtime, tail);
}

static void text_stop(pm_logstream *log, const pm_event *ev)
{
    char sig[32];
    if (!signal_name(ev->signal, sig, sizeof sig))
        snprintf(sig, sizeof sig, "signal %d", ev->signal);
    text_line(log, "%s: stopping %s %d with %s (SIGKILL in %gs)", ev->name,
              ev->leftover ? "what is left of process group" : "pid", (int)ev->pid, sig, ev->kill_time);
}

/* A spawn that failed has no exit: it tells what comes next itself. */
static void text_spawn_error(pm_logstream *log, const pm_event *ev)
{
    const char *message = ev->message ? ev->message : "cannot start";
    char tail[64];
    exit_tail(ev, tail, sizeof tail);
    text_line(log, "%s: %s; %s", ev->name, message, tail);
}

static void text_health(pm_logstream *log, const pm_event *ev)
{
    if (ev->health_failures == 0)
        text_line(log, "%s: healthy (%s)", ev->name, ev->message);
    else
        text_line(log, "%s: health check failed (%d/%d): %s%s", ev->name, ev->health_failures,
                  ev->health_retries, ev->message,
                  ev->health_failures >= ev->health_retries ? "; restarting" : "");
}

static void text_event(pm_logstream *log, const pm_event *ev)
{
    switch (ev->type) {
    case PM_EVENT_OUTPUT:
    case PM_EVENT_LINES:
        text_output(log, ev);
        return;
    case PM_EVENT_START:
        text_line(log, "%s: started, pid %d", ev->name, (int)ev->pid);
        return;
    case PM_EVENT_EXIT:
        text_exit(log, ev);
        return;
    case PM_EVENT_SPAWN_ERROR:
        text_spawn_error(log, ev);
        return;
    case PM_EVENT_STOP:
        text_stop(log, ev);
        return;
    case PM_EVENT_KILL:
        text_line(log, "%s: %s %d did not stop; sending SIGKILL", ev->name,
                  ev->leftover ? "what is left of process group" : "pid", (int)ev->pid);
        return;
    case PM_EVENT_FATAL:
        text_line(log, "%s: %d failed start%s in a row; giving up", ev->name, ev->instant_deaths,
                  ev->instant_deaths == 1 ? "" : "s");
        return;
    case PM_EVENT_READY:
        text_line(log, "%s: ready after %.2fs (%s)", ev->name, ev->runtime, ev->message);
        return;
    case PM_EVENT_RUNNING:
        text_line(log, "%s: running, pid %d, after %.2fs", ev->name, (int)ev->pid, ev->runtime);
        return;
    case PM_EVENT_NOT_READY:
        text_line(log, "%s: %s; stopping pid %d", ev->name, ev->message, (int)ev->pid);
        return;
    case PM_EVENT_HEALTH:
        text_health(log, ev);
        return;
    case PM_EVENT_FORGET: /* bookkeeping, not a record */
        return;
    }
}

/* ---- JSON records ---- */

static int json_exit_fields(json_t *obj, const pm_event *ev)
{
    int err = 0;
    if (ev->exit_signal == 0) {
        err |= json_object_set_new(obj, "status", json_integer(ev->exit_status));
    } else {
        err |= json_object_set_new(obj, "signal", json_integer(ev->exit_signal));
        err |= json_object_set_new(obj, "signal_name", json_signal_name(ev->exit_signal));
    }
    err |= json_object_set_new(obj, "runtime", json_seconds(ev->runtime));
    err |= json_object_set_new(obj, "restart_in",
                               ev->restart_in < 0 ? json_null() : json_seconds(ev->restart_in));
    err |= json_object_set_new(obj, "state", json_string(pm_state_name(ev->state)));
    if (ev->message) /* waiting for its dependencies */
        err |= json_object_set_new(obj, "message", json_text(ev->message));
    return err;
}

static int json_event_fields(json_t *obj, const pm_event *ev)
{
    static const char *const names[] = {
        [PM_EVENT_START] = "start", [PM_EVENT_EXIT] = "exit",
        [PM_EVENT_SPAWN_ERROR] = "spawn_error", [PM_EVENT_STOP] = "stop",
        [PM_EVENT_KILL] = "kill", [PM_EVENT_FATAL] = "fatal",
        [PM_EVENT_READY] = "ready", [PM_EVENT_RUNNING] = "running",
        [PM_EVENT_NOT_READY] = "not_ready", [PM_EVENT_HEALTH] = "health",
    };
    int err = json_object_set_new(obj, "event", json_string(names[ev->type]));
    if (ev->type != PM_EVENT_SPAWN_ERROR && ev->type != PM_EVENT_FATAL)
        err |= json_object_set_new(obj, "pid", json_integer(ev->pid));
    if (ev->leftover) /* pid is the id of a group whose leader is gone */
        err |= json_object_set_new(obj, "leftover", json_true());
    switch (ev->type) {
    case PM_EVENT_EXIT:
        return err | json_exit_fields(obj, ev);
    case PM_EVENT_SPAWN_ERROR:
        err |= json_object_set_new(obj, "message", json_text(ev->message));
        err |= json_object_set_new(obj, "restart_in",
                                   ev->restart_in < 0 ? json_null() : json_seconds(ev->restart_in));
        return err | json_object_set_new(obj, "state", json_string(pm_state_name(ev->state)));
    case PM_EVENT_STOP:
        err |= json_object_set_new(obj, "signal", json_integer(ev->signal));
        err |= json_object_set_new(obj, "signal_name", json_signal_name(ev->signal));
        return err | json_object_set_new(obj, "kill_time", json_seconds(ev->kill_time));
    case PM_EVENT_FATAL:
        return err | json_object_set_new(obj, "instant_deaths", json_integer(ev->instant_deaths));
    case PM_EVENT_HEALTH:
        err |= json_object_set_new(obj, "failures", json_integer(ev->health_failures));
        err |= json_object_set_new(obj, "retries", json_integer(ev->health_retries));
        return err | json_object_set_new(obj, "message", json_text(ev->message));
    case PM_EVENT_READY:
    case PM_EVENT_NOT_READY:
        err |= json_object_set_new(obj, "message", json_text(ev->message));
        /* fall through */
    case PM_EVENT_RUNNING:
        return err | json_object_set_new(obj, "runtime", json_seconds(ev->runtime));
    default:
        return err;
    }
}

static void json_event(pm_logstream *log, const pm_event *ev)
{
    json_t *obj = json_record(log, ev->name);
    if (!obj)
        return;
    int err;
    if (ev->type == PM_EVENT_OUTPUT) {
        err = json_object_set_new(obj, "stream",
                                  json_string(ev->stream == PM_STDERR ? "stderr" : "stdout"));
        err |= json_object_set_new(obj, "line", json_bytes(ev->data, ev->len));
    } else {
        err = json_event_fields(obj, ev);
    }
    put_json(log, obj, err);
}

/* ---- public ---- */

/* One record a line, as if each were its own OUTPUT event. */
static void json_lines(pm_logstream *log, const pm_event *ev)
{
    pm_event line = *ev;
    line.type = PM_EVENT_OUTPUT;
    for (size_t i = 0; i < ev->nlines; i++) {
        line.data = ev->lines[i].data;
        line.len = ev->lines[i].len;
        json_event(log, &line);
    }
}

void pm_logstream_event(pm_logstream *log, const pm_event *ev)
{
    if ((unsigned)ev->type > PM_EVENT_HEALTH || ev->type == PM_EVENT_FORGET)
        return;
    if (ev->type != PM_EVENT_OUTPUT && ev->type != PM_EVENT_LINES)
        log->have_now = false;
    if (log->fmt == PM_LOG_TEXT)
        text_event(log, ev);
    else if (ev->type == PM_EVENT_LINES)
        json_lines(log, ev);
    else
        json_event(log, ev);
}

/* One supervisor line; level NULL for an ordinary one. */
static void vmessage(pm_logstream *log, const char *level, const char *fmt, va_list ap)
{
    log->have_now = false;
    char small[512];
    size_t n;
    char *text = vformat(small, sizeof small, &n, fmt, ap);
    if (!text)
        return;
    if (log->fmt == PM_LOG_TEXT) {
        text_line(log, "%s%s%.*s", level ? level : "", level ? ": " : "", (int)n, text);
    } else {
        json_t *obj = json_record(log, NULL);
        int err = json_object_set_new(obj, "event", json_string("message"));
        if (level)
            err |= json_object_set_new(obj, "level", json_string(level));
        err |= json_object_set_new(obj, "message", json_bytes(text, n));
        put_json(log, obj, err);
    }
    if (text != small)
        free(text);
}

void pm_logstream_message(pm_logstream *log, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(log, NULL, fmt, ap);
    va_end(ap);
}

void pm_logstream_set_debug(pm_logstream *log, bool on)
{
    log->debug = on;
}

void pm_logstream_debug(pm_logstream *log, const char *fmt, ...)
{
    if (!log->debug)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmessage(log, "debug", fmt, ap);
    va_end(ap);
}
