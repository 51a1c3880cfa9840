/* GET /logtail/NAME[/stdout|stderr] and /mainlogtail on the HTTP
 * listeners: what `supervisorctl tail -f` and `maintail -f` read.  As
 * supervisord's tail_f_producer, the answer starts with the log's last
 * 1024 bytes and goes on with what is added, looked for every 100 ms; a
 * file rotated is followed from its start, a file that shrank is said so.
 * A process's log without a file is followed in its tail ring. */
#include "logtail.h"

#include <stdlib.h>
#include <string.h>

#include "logsource.h"
#include "namespec.h"

#define HEAD_BYTES 1024
#define LOOK_EVERY_MS 100

static const char truncated[] = "==> File truncated <==\n";

typedef struct follower {
    pm_daemon *d;
    pm_http_request *req;
    char name[256]; /* the process's name in the monitor; "" for procmon's own log */
    int stream;
    long long pos;  /* the next byte to send, as the log source counts */
    ino_t ino;
    bool started;   /* pos is set */
    uv_timer_t timer;
} follower;

/* The log as it is now: 0, or -1 when the process is gone. */
static int look(follower *f, pm_log_source *src)
{
    if (!f->name[0]) {
        *src = (pm_log_source){.path = f->d->settings->log_file};
    } else {
        pm_status st;
        if (pm_monitor_status(f->d->mon, f->name, &st) < 0)
            return -1;
        *src = pm_log_source_of(&st, f->stream);
    }
    if (pm_log_source_open(src) < 0) /* no file yet: nothing yet */
        src->size = f->started ? f->pos : 0;
    return 0;
}

static ssize_t more(void *arg, char *buf, size_t max)
{
    follower *f = arg;
    pm_log_source src;
    if (look(f, &src) < 0)
        return -1; /* the process was removed: the answer ends */
    if (!f->started) {
        f->started = true;
        f->pos = src.size > HEAD_BYTES ? src.size - HEAD_BYTES : 0;
        f->ino = src.ino;
    }
    ssize_t n = 0;
    if (src.path && src.ino != f->ino) { /* rotated: the new file from its start */
        f->ino = src.ino;
        f->pos = 0;
    }
    if (src.size < f->pos) {
        f->pos = 0;
        n = (ssize_t)(sizeof truncated - 1 < max ? sizeof truncated - 1 : max);
        memcpy(buf, truncated, (size_t)n);
    } else if (src.size > f->pos) {
        if (!src.path && f->pos < src.size - (long long)src.held_len) /* gone from the ring */
            f->pos = src.size - (long long)src.held_len;
        size_t len = 0;
        char *data = pm_log_source_read(&src, f->pos, (long long)max, &len);
        if (data) {
            memcpy(buf, data, len);
            f->pos += (long long)len;
            n = (ssize_t)len;
        }
        free(data);
    }
    pm_log_source_done(&src);
    return n;
}

/* Wakes the answer when the log has changed. */
static void look_again(uv_timer_t *t)
{
    follower *f = t->data;
    pm_log_source src;
    if (look(f, &src) < 0 || src.size != f->pos || (src.path && src.ino != f->ino))
        pm_http_stream_wake(f->req);
    pm_log_source_done(&src);
}

static void follower_free(uv_handle_t *h)
{
    free(h->data);
}

static void answer_over(void *arg)
{
    follower *f = arg;
    uv_close((uv_handle_t *)&f->timer, follower_free);
}

static void not_found(pm_http_request *req)
{
    static const char text[] = "Not Found\n";
    pm_http_answer(req, 404, "text/plain", strdup(text), sizeof text - 1);
}

void pm_logtail_handle(pm_daemon *d, pm_http_request *req)
{
    const char *path = pm_http_path(req);
    follower *f = calloc(1, sizeof *f);
    if (!f) {
        pm_http_answer(req, 500, "text/plain", NULL, 0);
        return;
    }
    *f = (follower){.d = d, .req = req, .stream = PM_STDOUT};
    bool ok = true;
    if (strcmp(path, "/mainlogtail") == 0) {
        ok = d->settings->log_file != NULL;
    } else { /* /logtail/NAME or /logtail/NAME/CHANNEL */
        const char *name = path + strlen("/logtail/");
        const char *slash = strchr(name, '/');
        size_t len = slash ? (size_t)(slash - name) : strlen(name);
        char spec[256];
        pm_status st;
        if (slash && strcmp(slash + 1, "stderr") == 0)
            f->stream = PM_STDERR;
        else if (slash && strcmp(slash + 1, "stdout") != 0)
            ok = false;
        snprintf(spec, sizeof spec, "%.*s", (int)len, name);
        ok = ok && len < sizeof spec && pm_namespec_find(d, spec, &st) == 0;
        if (ok)
            snprintf(f->name, sizeof f->name, "%s", st.name);
    }
    if (!ok) {
        free(f);
        not_found(req);
        return;
    }
    uv_timer_init(&d->loop, &f->timer);
    f->timer.data = f;
    uv_timer_start(&f->timer, look_again, LOOK_EVERY_MS, LOOK_EVERY_MS);
    pm_http_on_done(req, answer_over, f);
    pm_http_answer_stream(req, 200, "text/plain;charset=utf-8", more, f);
}
