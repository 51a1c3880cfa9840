/* The running supervisor: loop, signals, monitor, log stream, control
 * socket, reload and shutdown. */
#include "daemon.h"

#include "parse.h"
#include "recover.h"
#include "spec.h"
#include "statefile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#define TAIL_MIN_LINES 1000
#define TAIL_MAX_BYTES (1024 * 1024)

/* ---- events: the log stream, the tail rings, followers ---- */

static void keep_output(pm_daemon *d, const pm_event *ev)
{
    pm_procdata *pd = ev->user_data;
    if (!pd)
        return;
    if (!pd->ring && !(pd->ring = pm_ring_new(TAIL_MIN_LINES, TAIL_MAX_BYTES)))
        return;
    (void)pm_ring_push(pd->ring, ev->stream, ev->data, ev->len); /* ENOMEM: tail misses it */
    if (d->ctl && pm_control_has_followers(d->ctl)) {
        json_t *line = pm_tail_line_json(ev->stream, ev->data, ev->len);
        if (line) {
            pm_control_follow_line(d->ctl, ev->name, line);
            json_decref(line);
        }
    }
}

static void on_event(void *arg, const pm_event *ev)
{
    pm_daemon *d = arg;
    if (ev->type == PM_EVENT_FORGET) {
        pm_procdata *pd = ev->user_data;
        if (pd) {
            pm_ring_free(pd->ring);
            pm_status_text_free(&pd->status);
        }
        free(pd);
        return;
    }
    pm_logstream_event(d->log, ev);
    if (ev->type == PM_EVENT_OUTPUT)
        keep_output(d, ev);
    else if (ev->type == PM_EVENT_START || ev->type == PM_EVENT_EXIT)
        d->state_dirty = true;
}

int pm_daemon_add(pm_daemon *d, const char *name, const pm_spec *spec, bool from_config)
{
    pm_procdata *pd = calloc(1, sizeof *pd);
    if (!pd)
        return -ENOMEM;
    pd->from_config = from_config;
    int r = pm_monitor_add_with_data(d->mon, name, spec, pd);
    if (r < 0)
        free(pd);
    return r;
}

/* ---- shutdown ---- */

static void all_stopped(void *arg, int result)
{
    (void)result;
    pm_daemon *d = arg;
    pm_logstream_message(d->log, "every process has stopped; exiting");
    for (size_t i = 0; i < d->nshutdown_waiters; i++)
        pm_request_answer(d->shutdown_waiters[i], json_pack("{sb}", "ok", 1));
    d->nshutdown_waiters = 0;
    uv_stop(&d->loop);
}

void pm_daemon_shutdown(pm_daemon *d, pm_request *req)
{
    if (req) {
        pm_request **w = realloc(d->shutdown_waiters, (d->nshutdown_waiters + 1) * sizeof *w);
        if (!w) {
            pm_request_fail(req, "out of memory");
            return;
        }
        d->shutdown_waiters = w;
        d->shutdown_waiters[d->nshutdown_waiters++] = req;
    }
    if (d->stopping)
        return;
    d->stopping = true;
    pm_monitor_stop_service(d->mon, all_stopped, d);
}

/* ---- signals ---- */

static void on_signal(uv_signal_t *h, int signum)
{
    pm_daemon *d = h->data;
    char name[32];
    pm_signal_name(signum, name, sizeof name);
    switch (signum) {
    case SIGTERM:
    case SIGINT:
        pm_logstream_message(d->log, d->stopping ? "%s: already stopping" : "%s: stopping every process",
                             name);
        pm_daemon_shutdown(d, NULL);
        break;
    case SIGUSR2: {
        int r = pm_logstream_reopen(d->log);
        if (r < 0)
            pm_logstream_message(d->log, "cannot reopen the log file: %s", strerror(-r));
        break;
    }
    case SIGHUP:
        if (d->settings->config_path)
            pm_daemon_reload(d, NULL);
        else
            pm_logstream_message(d->log, "SIGHUP: no config file to reload");
        break;
    }
}

static int watch_signals(pm_daemon *d)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        uv_signal_t *h = &d->signals[d->nsignals];
        int r = uv_signal_init(&d->loop, h);
        if (r < 0)
            return r;
        d->nsignals++;
        h->data = d;
        if ((r = uv_signal_start(h, on_signal, sigs[i])) < 0)
            return r;
    }
    return 0;
}

/* ---- the loop ---- */

/* ---- the state file ---- */

typedef struct state_list {
    pm_state_entry *entries;
    size_t n;
} state_list;

static void collect_running(void *arg, const pm_status *st)
{
    state_list *l = arg;
    pm_procdata *pd = st->user_data;
    if (st->pid <= 0)
        return;
    unsigned long long start = 0;
    if (pd) {
        if (pd->state_pid != st->pid) {
            pd->state_pid = st->pid;
            pd->state_start = pm_proc_starttime(st->pid);
        }
        start = pd->state_start;
    }
    l->entries[l->n++] = (pm_state_entry){st->pid, start, (char *)st->name};
}

/* Once per loop iteration at most, and only after a start or an exit. */
static void write_state(pm_daemon *d)
{
    d->state_dirty = false;
    state_list l = {calloc(pm_monitor_count(d->mon) + 1, sizeof *l.entries), 0};
    int r = -ENOMEM;
    if (l.entries) {
        pm_monitor_foreach(d->mon, collect_running, &l);
        r = pm_state_write(d->settings->state_path, l.entries, l.n);
        free(l.entries);
    }
    if (r < 0 && !d->state_failing)
        pm_logstream_message(d->log, "cannot write the state file %s: %s", d->settings->state_path,
                             strerror(-r));
    d->state_failing = r < 0;
}

/* ---- the loop ---- */

static void before_poll(uv_prepare_t *h)
{
    pm_daemon *d = h->data;
    if (d->state_dirty && d->settings->state_path)
        write_state(d);
    pm_logstream_flush(d->log);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Many children need many descriptors: take what the hard limit allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Everything that can fail before the first child starts; one line on
 * stderr and a negative errno when it does. */
static int daemon_setup(pm_daemon *d)
{
    const pm_daemon_settings *s = d->settings;
    char err[512];
    int r;
    if ((r = watch_signals(d)) < 0) {
        fprintf(stderr, "procmon: cannot watch signals: %s\n", strerror(-r));
        return r;
    }
    uv_prepare_init(&d->loop, &d->flusher);
    d->flusher.data = d;
    uv_prepare_start(&d->flusher, before_poll);
    if (s->socket_path &&
        (r = pm_control_listen(&d->loop, s->socket_path, pm_daemon_handle_request, d, &d->ctl, err,
                               sizeof err)) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        return r;
    }
    /* Orphaned grandchildren come to us to be reaped, not to init. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        pm_logstream_message(d->log, "cannot become a child subreaper: %s", strerror(errno));
    if (s->state_path)
        pm_recover(s->state_path, s, d->log);
    if ((r = pm_runtime_uv_new(&d->loop, &d->rt)) < 0 ||
        (r = pm_monitor_new(d->rt, &s->opts, &d->mon)) < 0) {
        fprintf(stderr, "procmon: cannot set up the supervisor: %s\n", strerror(-r));
        return r;
    }
    pm_monitor_set_event_cb(d->mon, on_event, d);
    for (size_t i = 0; i < s->nprograms; i++) {
        const pm_program *p = &s->programs[i];
        if ((r = pm_daemon_add(d, p->name, &p->spec, s->config_path != NULL)) < 0) {
            fprintf(stderr, "procmon: cannot add %s: %s\n", p->name, strerror(-r));
            return r;
        }
    }
    return 0;
}

int pm_daemon_run(const pm_daemon_settings *settings)
{
    pm_daemon d = {.settings = settings};
    int r = pm_logstream_open(settings->log_file, settings->log_format, &d.log);
    if (r < 0) {
        fprintf(stderr, "procmon: cannot open the log file %s: %s\n", settings->log_file,
                strerror(-r));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if ((r = uv_loop_init(&d.loop)) < 0) {
        fprintf(stderr, "procmon: cannot set up the event loop: %s\n", strerror(-r));
        pm_logstream_close(d.log);
        return 1;
    }
    if ((r = daemon_setup(&d)) == 0) {
        pm_logstream_message(d.log, "procmon %s running, pid %d%s%s", PM_VERSION, (int)getpid(),
                             settings->socket_path ? ", control socket " : "",
                             settings->socket_path ? settings->socket_path : "");
        pm_monitor_start_service(d.mon);
        uv_run(&d.loop, UV_RUN_DEFAULT);
    }
    pm_control_close(d.ctl);
    pm_monitor_free(d.mon);
    pm_runtime_free(d.rt);
    uv_walk(&d.loop, close_handle, NULL);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&d.loop) < 0)
        fprintf(stderr, "procmon: the event loop did not close cleanly\n");
    free(d.shutdown_waiters);
    /* A clean end leaves nothing running: nothing for a successor to stop. */
    if (r == 0 && settings->state_path && unlink(settings->state_path) < 0 && errno != ENOENT)
        pm_logstream_message(d.log, "cannot remove the state file %s: %s", settings->state_path,
                             strerror(errno));
    pm_logstream_close(d.log);
    return r < 0 ? 1 : 0;
}
