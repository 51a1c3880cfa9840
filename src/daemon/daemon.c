/* The running supervisor's core: loop, signals, monitor, log stream,
 * control socket, outputs and shutdown.  Requests and reload come from its
 * settings' callbacks (daemon.h). */
#include "daemon.h"

#include "events.h"
#include "exitpolicy.h"
#include "listeners.h"
#include "parse.h"
#include "recover.h"
#include "spec.h"
#include "statefile.h"
#include "statewriter.h"
#include "tailline.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAIL_MIN_LINES 1000
#define TAIL_MAX_BYTES (1024 * 1024)
#define EXIT_DRAIN_SECONDS 5.0 /* at exit, output targets that are behind get this long */
#define STATE_DELAY_MS 10     /* the state file waits this long after a start or an exit */

/* ---- events: the log stream, the tail rings, followers ---- */

static double loop_now(pm_daemon *d)
{
    return (double)uv_now(&d->loop) / 1000;
}

/* ---- holding a writer back ----
 *
 * A target whose reader is slower than a program writes (a pipe into a
 * container runtime, a slow disk) fills its buffer.  Rather than drop
 * lines, procmon stops reading that program's pipes until the target has
 * caught up, so the program waits in its write as it would writing there
 * itself.  But never for a target that fails or whose reader has stalled:
 * then lines are dropped and counted, and the program runs on. */

#define HOLD_ABOVE (PM_OUTPUT_MAX_PENDING / 2) /* bytes waiting: hold the writer */
#define RESUME_BELOW (PM_OUTPUT_MAX_PENDING / 4)

static void hold_for(pm_daemon *d, const pm_event *ev, pm_target *t)
{
    pm_procdata *pd = ev->user_data;
    /* One that is stopping is never held: it may be saying its last words. */
    if (!t || !pd || pd->held_for || ev->state == PM_STATE_STOPPING || pm_target_pending(t) <= HOLD_ABOVE)
        return;
    pm_target_flush(t, loop_now(d)); /* a file takes it all; a pipe tells how far behind it is */
    if (pm_target_pending(t) <= HOLD_ABOVE || pm_target_stalled(t, loop_now(d)))
        return;
    if (pm_monitor_hold_output(d->mon, ev->name, true) == 0) {
        pd->held_for = t;
        d->nheld++;
    }
}

/* A target whose reader has not taken everything wakes the loop as soon as
 * it can take more (its descriptor polled for writability), so a held
 * writer resumes without delay. */
typedef struct target_watch {
    pm_daemon *d;
    pm_target *t;
    uv_poll_t poll;
    struct target_watch *next;
} target_watch;

static void target_writable(uv_poll_t *h, int status, int events)
{
    (void)status; /* an error too: the write will say what it is */
    (void)events;
    target_watch *w = h->data;
    pm_target_ready(w->t, loop_now(w->d));
}

static void watch_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Without a watch (out of memory, a descriptor epoll refuses) the target is
 * still tried at every loop turn and by the retry timer. */
static void watch_target(void *arg, pm_target *t, int fd, bool on)
{
    pm_daemon *d = arg;
    if (!on) {
        for (target_watch **p = &d->watches; *p; p = &(*p)->next) {
            if ((*p)->t == t) {
                target_watch *w = *p;
                *p = w->next;
                uv_close((uv_handle_t *)&w->poll, watch_closed);
                return;
            }
        }
        return;
    }
    target_watch *w = calloc(1, sizeof *w);
    if (!w)
        return;
    if (uv_poll_init(&d->loop, &w->poll, fd) < 0) {
        free(w);
        return;
    }
    w->d = d;
    w->t = t;
    w->poll.data = w;
    if (uv_poll_start(&w->poll, UV_WRITABLE, target_writable) < 0) {
        uv_close((uv_handle_t *)&w->poll, watch_closed);
        return;
    }
    w->next = d->watches;
    d->watches = w;
}

static void release(pm_daemon *d, const pm_status *st)
{
    pm_procdata *pd = st->user_data;
    pd->held_for = NULL;
    d->nheld--;
    (void)pm_monitor_hold_output(d->mon, st->name, false);
}

static void release_if_caught_up(void *arg, const pm_status *st)
{
    pm_daemon *d = arg;
    pm_procdata *pd = st->user_data;
    if (pd && pd->held_for &&
        (pm_target_pending(pd->held_for) < RESUME_BELOW || pm_target_stalled(pd->held_for, loop_now(d))))
        release(d, st);
}

/* The lines go to their program's target, or to the log stream; a line
 * that the target cannot take counts against the program. */
static void route_output(pm_daemon *d, const pm_event *ev)
{
    pm_procdata *pd = ev->user_data;
    const pm_output *o = !pd ? NULL : ev->stream == PM_STDERR ? &pd->err : &pd->out;
    if (!o || o->kind == PM_OUT_LOG) {
        pm_logstream_event(d->log, ev);
        hold_for(d, ev, d->log_target);
        return;
    }
    if (o->kind == PM_OUT_NONE)
        return;
    pm_target *t = ev->stream == PM_STDERR ? pd->err_target : pd->out_target;
    if (t) {
        pd->dropped_bytes += pm_target_write_lines(t, ev->lines, ev->nlines, loop_now(d));
        hold_for(d, ev, t);
        return;
    }
    for (size_t i = 0; i < ev->nlines; i++)
        pd->dropped_bytes += ev->lines[i].len + 1;
}

static void keep_output(pm_daemon *d, const pm_event *ev)
{
    pm_procdata *pd = ev->user_data;
    if (!pd)
        return;
    if (!pd->ring && !(pd->ring = pm_ring_new(TAIL_MIN_LINES, TAIL_MAX_BYTES)))
        return;
    (void)pm_ring_push_lines(pd->ring, ev->stream, ev->lines, ev->nlines); /* ENOMEM: tail misses some */
    for (size_t i = 0; i < ev->nlines; i++)
        pd->output_bytes[ev->stream == PM_STDERR ? PM_STDERR : PM_STDOUT] += ev->lines[i].len + 1;
    if (!d->ctl || !pm_control_has_followers(d->ctl))
        return;
    for (size_t i = 0; i < ev->nlines; i++) {
        json_t *line = pm_tail_line_json(ev->stream, ev->lines[i].data, ev->lines[i].len);
        if (line) {
            pm_control_follow_line(d->ctl, ev->name, line);
            json_decref(line);
        }
    }
}

static void procdata_free(pm_daemon *d, pm_procdata *pd)
{
    if (!pd)
        return;
    if (pd->held_for)
        d->nheld--;
    pm_ring_free(pd->ring);
    pm_status_text_free(&pd->status);
    pm_outputs_release(d->outputs, pd->out_target);
    pm_outputs_release(d->outputs, pd->err_target);
    pm_listener_free(d->events, pd->listener);
    free(pd->group_name);
    free(pd->out.path);
    free(pd->err.path);
    free(pd->spawn_error);
    free(pd);
}

static void end_with(pm_daemon *d, int status, const char *why);

/* What supervisord's clients are told of a process: when it last started
 * and ended, and why its last start failed (supervisord's spawnerr). */
static void note_times(const pm_event *ev)
{
    pm_procdata *pd = ev->user_data;
    if (!pd)
        return;
    if (ev->type == PM_EVENT_START) {
        pd->last_start = time(NULL);
        free(pd->spawn_error);
        pd->spawn_error = NULL;
    } else if (ev->type == PM_EVENT_EXIT) {
        pd->last_stop = time(NULL);
        if ((ev->state == PM_STATE_BACKOFF || ev->state == PM_STATE_FATAL) && !pd->spawn_error)
            pd->spawn_error = strdup("Exited too quickly (process log may have details)"); /* as supervisord */
    } else if (ev->type == PM_EVENT_SPAWN_ERROR && ev->message) {
        free(pd->spawn_error);
        pd->spawn_error = strdup(ev->message); /* none without memory: said as "" */
    }
}

static void on_event(void *arg, const pm_event *ev)
{
    pm_daemon *d = arg;
    if (ev->type == PM_EVENT_FORGET) {
        procdata_free(d, ev->user_data);
        return;
    }
    if (ev->type == PM_EVENT_LINES) {
        pm_event lines = *ev;
        const pm_procdata *pd = ev->user_data;
        if (pd && pd->redirect_stderr) /* stderr is stdout for it, everywhere */
            lines.stream = PM_STDOUT;
        pm_events_output(d->events, &lines);
        if (pd && pd->listener && lines.stream == PM_STDOUT)
            return; /* a listener's stdout is its side of the protocol */
        route_output(d, &lines);
        keep_output(d, &lines);
        return;
    }
    pm_logstream_event(d->log, ev);
    pm_events_process(d->events, ev);
    if (ev->type == PM_EVENT_START || ev->type == PM_EVENT_EXIT)
        d->state_dirty = true;
    note_times(ev);
    pm_manager_changed(d->manager);
    d->ended_check = true;
    char why[512];
    int status = pm_exit_status_for_event(d->settings->exit_policy, ev, why, sizeof why);
    if (status >= 0 && d->stopping)
        d->exit_status = status; /* as tini: the child's status, whatever stopped it */
    else if (status >= 0)
        end_with(d, status, why);
}

int pm_daemon_find(const pm_daemon *d, const char *name, pm_status *st)
{
    if (pm_monitor_status(d->mon, name, st) == 0)
        return 0;
    const char *colon = strchr(name, ':');
    if (!colon || strlen(colon + 1) != (size_t)(colon - name) ||
        strncmp(name, colon + 1, (size_t)(colon - name)) != 0)
        return -1;
    return pm_monitor_status(d->mon, colon + 1, st);
}

/* A copy of one stream's settings, with its target. */
static int take_output(pm_daemon *d, const pm_output *from, pm_output *to, pm_target **target)
{
    *to = *from;
    to->path = NULL;
    if (from->path && !(to->path = strdup(from->path)))
        return -ENOMEM;
    if (from->kind == PM_OUT_FILE || from->kind == PM_OUT_FD)
        if (!(*target = pm_outputs_acquire(d->outputs, to, loop_now(d))))
            return -ENOMEM;
    return 0;
}

int pm_daemon_add(pm_daemon *d, const char *name, const pm_spec *spec, bool from_config,
                  const pm_program *outputs)
{
    pm_procdata *pd = calloc(1, sizeof *pd);
    if (!pd)
        return -ENOMEM;
    pd->from_config = from_config;
    int r = 0;
    if (outputs) {
        pd->redirect_stderr = outputs->redirect_stderr;
        if (outputs->group_name && !(pd->group_name = strdup(outputs->group_name)))
            r = -ENOMEM;
        pd->log_events = outputs->log_events;
        pd->listen_events = outputs->listen_events;
        pd->buffer_size = outputs->buffer_size;
        if (r == 0 && outputs->listen_events &&
            !(pd->listener = pm_listener_new(d->events, outputs->group_name ? outputs->group_name : name,
                                             outputs->listen_events, outputs->buffer_size)))
            r = -ENOMEM;
        if (r == 0)
            r = take_output(d, &outputs->out, &pd->out, &pd->out_target);
        if (r == 0)
            r = take_output(d, &outputs->err, &pd->err, &pd->err_target);
    }
    if (r == 0)
        r = pm_monitor_add_with_data(d->mon, name, spec, pd);
    if (r < 0)
        procdata_free(d, pd);
    return r;
}

static bool output_equal(const pm_output *a, const pm_output *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == PM_OUT_FD)
        return a->fd == b->fd;
    if (a->kind != PM_OUT_FILE)
        return true;
    return a->automatic == b->automatic && strcmp(a->path, b->path) == 0 &&
           a->maxbytes == b->maxbytes && a->backups == b->backups;
}

bool pm_daemon_outputs_equal(const pm_procdata *pd, const pm_program *p)
{
    return pd->redirect_stderr == p->redirect_stderr && output_equal(&pd->out, &p->out) &&
           output_equal(&pd->err, &p->err) && pd->log_events == p->log_events &&
           pd->listen_events == p->listen_events && pd->buffer_size == p->buffer_size;
}

int pm_daemon_reopen(pm_daemon *d, char *err, size_t errlen)
{
    int r = pm_logstream_reopen(d->log);
    if (r < 0) {
        snprintf(err, errlen, "cannot reopen the log file: %s", strerror(-r));
        pm_logstream_message(d->log, "%s", err);
    }
    int failed = pm_outputs_reopen(d->outputs, loop_now(d)); /* each failure is logged */
    if (r == 0 && failed > 0) {
        snprintf(err, errlen, "cannot reopen %d output file%s (see the log)", failed, failed > 1 ? "s" : "");
        r = -EIO;
    }
    if (r == 0)
        pm_logstream_message(d->log, "reopened the log and output files");
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
    pm_events_supervisor(d->events, false);
    pm_manager_stopping(d->manager);
    pm_monitor_stop_service(d->mon, all_stopped, d);
}

/* An exit policy (exitpolicy.h) ends procmon: everything stops first. */
static void end_with(pm_daemon *d, int status, const char *why)
{
    pm_logstream_message(d->log, "%s", why);
    d->exit_status = status;
    pm_daemon_shutdown(d, NULL);
}

/* ---- signals ---- */

/* The single-command form's program gets SIGHUP, SIGUSR1, SIGUSR2,
 * SIGWINCH and SIGCONT (--forward-signals): what a program in a terminal
 * or a container expects.  SIGTERM, SIGINT and SIGQUIT stay procmon's:
 * they stop it gracefully. */
static void forward_signal(pm_daemon *d, int signum, const char *name)
{
    const pm_program *p = &d->settings->programs[0];
    int r = pm_monitor_signal(d->mon, p->name, signum);
    if (r < 0 && r != -ESRCH)
        pm_logstream_message(d->log, "%s: cannot pass it on to %s: %s", name, p->name, strerror(-r));
    else if (signum != SIGWINCH) /* a terminal's resizes would flood the log */
        pm_logstream_message(d->log, "%s: %s %s", name, r == 0 ? "passed on to" : "not passed on: not running:",
                             p->name);
}

static void on_signal(uv_signal_t *h, int signum)
{
    pm_daemon *d = h->data;
    char name[32];
    pm_signal_name(signum, name, sizeof name);
    if (d->settings->forward_signals && signum != SIGTERM && signum != SIGINT && signum != SIGQUIT) {
        forward_signal(d, signum, name);
        return;
    }
    switch (signum) {
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
        pm_logstream_message(d->log, d->stopping ? "%s: already stopping" : "%s: stopping every process",
                             name);
        pm_daemon_shutdown(d, NULL);
        break;
    case SIGUSR2: {
        char err[256];
        (void)pm_daemon_reopen(d, err, sizeof err); /* it logs its failures */
        break;
    }
    case SIGHUP:
        if (d->settings->config_path)
            d->settings->reload(d, NULL);
        else
            pm_logstream_message(d->log, "SIGHUP: no config file to reload");
        break;
    }
}

static int watch_signal(pm_daemon *d, int signum)
{
    uv_signal_t *h = &d->signals[d->nsignals];
    int r = uv_signal_init(&d->loop, h);
    if (r < 0)
        return r;
    d->nsignals++;
    h->data = d;
    return uv_signal_start(h, on_signal, signum);
}

/* As PID 1 the kernel gives procmon no default action for any signal:
 * what is not watched here is ignored there. */
static int watch_signals(pm_daemon *d)
{
    static const int own[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2};
    static const int forwarded_only[] = {SIGUSR1, SIGWINCH, SIGCONT};
    int r = 0;
    for (size_t i = 0; i < sizeof own / sizeof *own && r == 0; i++)
        r = watch_signal(d, own[i]);
    size_t nforwarded = d->settings->forward_signals ? sizeof forwarded_only / sizeof *forwarded_only : 0;
    for (size_t i = 0; i < nforwarded && r == 0; i++)
        r = watch_signal(d, forwarded_only[i]);
    return r;
}

/* ---- the state file ---- */

typedef struct state_list {
    pm_state_entry *entries;
    size_t n;
    const pm_monitor *mon;
    pid_t *groups; /* the leftovers' ids, in one array */
    size_t ngroups;
} state_list;

static void count_entries(void *arg, const pm_status *st)
{
    state_list *l = arg;
    l->n += (st->pid > 0) + st->leftovers;
    l->ngroups += st->leftovers;
}

/* A group an earlier run left has no start time to check: recovery knows
 * it by its leader being gone while members remain. */
static void collect_leftovers(state_list *l, const pm_status *st)
{
    pid_t *ids = l->groups + l->ngroups;
    int n = pm_monitor_leftovers(l->mon, st->name, ids, st->leftovers);
    for (int i = 0; i < n && (size_t)i < st->leftovers; i++)
        l->entries[l->n++] = (pm_state_entry){ids[i], 0, (char *)st->name};
    l->ngroups += st->leftovers;
}

static void collect_running(void *arg, const pm_status *st)
{
    state_list *l = arg;
    pm_procdata *pd = st->user_data;
    collect_leftovers(l, st);
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

static void state_written(void *arg, int r)
{
    pm_daemon *d = arg;
    if (r < 0 && !d->state_failing)
        pm_logstream_message(d->log, "cannot write the state file %s: %s", d->settings->state_path,
                             strerror(-r));
    d->state_failing = r < 0;
}

/* After a start or an exit, once STATE_DELAY_MS has passed: a restart does
 * not wait for the file system, and a burst of starts writes it once. */
static void write_state(pm_daemon *d)
{
    d->state_dirty = false;
    state_list l = {.mon = d->mon};
    pm_monitor_foreach(d->mon, count_entries, &l);
    l.entries = calloc(l.n + 1, sizeof *l.entries);
    l.groups = calloc(l.ngroups + 1, sizeof *l.groups);
    l.n = l.ngroups = 0;
    char *text = NULL;
    size_t len = 0;
    if (l.entries && l.groups) {
        pm_monitor_foreach(d->mon, collect_running, &l);
        text = pm_state_format(l.entries, l.n, &len);
    }
    free(l.entries);
    free(l.groups);
    if (text)
        pm_statewriter_submit(d->state_writer, text, len);
    else
        state_written(d, -ENOMEM);
}

/* ---- the loop ---- */

static void output_retry(uv_timer_t *h)
{
    (void)h; /* before_poll does the work in this iteration */
}

static void state_due(uv_timer_t *h)
{
    write_state(h->data);
}

static void before_poll(uv_prepare_t *h)
{
    pm_daemon *d = h->data;
    if (d->state_dirty && d->state_writer && !uv_is_active((uv_handle_t *)&d->state_timer))
        uv_timer_start(&d->state_timer, state_due, STATE_DELAY_MS, 0);
    if (d->ended_check && !d->stopping) {
        char why[512];
        int status = pm_exit_status_when_all_exited(d->settings->exit_policy, d->mon, why, sizeof why);
        if (status >= 0)
            end_with(d, status, why);
    }
    d->ended_check = false;
    pm_manager_flush(d->manager);
    pm_logstream_flush(d->log); /* first: on standard output it goes through a target */
    if (d->outputs) {
        pm_outputs_flush(d->outputs, loop_now(d));
        if (d->nheld)
            pm_monitor_foreach(d->mon, release_if_caught_up, d);
        /* A target that is behind or failing is tried again soon, even if
         * nothing else wakes the loop (one that is only behind also wakes
         * it when it can take more: watch_target). */
        if (!pm_outputs_waiting(d->outputs))
            uv_timer_stop(&d->output_retry);
        else if (!uv_is_active((uv_handle_t *)&d->output_retry))
            uv_timer_start(&d->output_retry, output_retry, (uint64_t)(PM_OUTPUT_RETRY * 1000), 0);
    }
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
/* Logged at the 1st, 2nd, 4th, 8th ... one, so that a process that keeps
 * sending cannot flood the log. */
static void stray_notify(void *arg, pid_t sender, unsigned long long dropped)
{
    pm_daemon *d = arg;
    if ((dropped & (dropped - 1)) == 0)
        pm_logstream_message(d->log, "notification from pid %d dropped: not from a supervised "
                                     "process (%llu dropped so far)", (int)sender, dropped);
}

/* Once, at debug level: an orphan is reaped whatever the log says. */
static void orphan_reaped(void *arg, pid_t pid, int wait_status)
{
    pm_daemon *d = arg;
    if (WIFSIGNALED(wait_status)) {
        char name[32];
        pm_signal_name(WTERMSIG(wait_status), name, sizeof name);
        pm_logstream_debug(d->log, "reaped orphan %d, killed by %s", (int)pid, name);
    } else {
        pm_logstream_debug(d->log, "reaped orphan %d, exit status %d", (int)pid, WEXITSTATUS(wait_status));
    }
}

/* As supervisord at start: PROCESS_GROUP_ADDED for each group (in the
 * file's order), for listeners to take once they run. */
static void announce_groups(pm_daemon *d)
{
    const pm_daemon_settings *s = d->settings;
    for (size_t i = 0; i < s->nprograms; i++) {
        const char *group = s->programs[i].group_name ? s->programs[i].group_name : s->programs[i].name;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = s->programs[j].group_name && strcmp(s->programs[j].group_name, group) == 0;
        if (!seen)
            pm_events_group(d->events, group, true);
    }
}

static int daemon_setup(pm_daemon *d)
{
    const pm_daemon_settings *s = d->settings;
    char err[512];
    int r;
    /* First: the programs must not inherit NOTIFY_SOCKET. */
    if ((r = pm_manager_new(&d->loop, d->log, &d->manager, err, sizeof err)) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        return r;
    }
    if ((r = watch_signals(d)) < 0) {
        fprintf(stderr, "procmon: cannot watch signals: %s\n", strerror(-r));
        return r;
    }
    uv_prepare_init(&d->loop, &d->flusher);
    uv_timer_init(&d->loop, &d->output_retry);
    uv_timer_init(&d->loop, &d->state_timer);
    d->state_timer.data = d;
    d->flusher.data = d;
    uv_prepare_start(&d->flusher, before_poll);
    if (s->socket_path &&
        (r = pm_control_listen(&d->loop, s->socket_path, s->handle_request, d, &d->ctl, err,
                               sizeof err)) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        return r;
    }
    const pm_http_server *http[2] = {s->unix_http, s->inet_http};
    for (int i = 0; i < 2; i++) {
        if (http[i] && http[i]->set &&
            (r = pm_listener_start(&d->loop, http[i], i == 1, s->handle_http, d, &d->http[i], err, sizeof err)) < 0) {
            fprintf(stderr, "procmon: %s\n", err);
            return r;
        }
    }
    if (s->on_ready && s->on_ready(s->on_ready_arg, err, sizeof err) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        return -1;
    }
    /* Orphaned grandchildren come to us to be reaped, not to init. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        pm_logstream_message(d->log, "cannot become a child subreaper: %s", strerror(errno));
    if (s->state_path) {
        pm_recover(s->state_path, s->programs, s->nprograms, s->opts.kill_time, d->log);
        if ((r = pm_statewriter_new(&d->loop, s->state_path, state_written, d, &d->state_writer)) < 0) {
            fprintf(stderr, "procmon: cannot set up the state file: %s\n", strerror(-r));
            return r;
        }
    }
    if ((r = pm_runtime_uv_new(&d->loop, &d->rt)) < 0 ||
        (r = pm_monitor_new(d->rt, &s->opts, &d->mon)) < 0) {
        fprintf(stderr, "procmon: cannot set up the supervisor: %s\n", strerror(-r));
        return r;
    }
    if ((r = pm_events_new(d, &d->events)) < 0) {
        fprintf(stderr, "procmon: cannot set up the event listeners: %s\n", strerror(-r));
        return r;
    }
    pm_monitor_set_event_cb(d->mon, on_event, d);
    pm_monitor_batch_lines(d->mon, true);
    pm_runtime_uv_on_stray_notify(d->rt, stray_notify, d);
    pm_runtime_uv_on_orphan(d->rt, orphan_reaped, d);
    pm_manager_watch(d->manager, d->mon);
    for (size_t i = 0; i < s->nprograms; i++) {
        const pm_program *p = &s->programs[i];
        if ((r = pm_daemon_add(d, p->name, &p->spec, s->config_path != NULL, p)) < 0) {
            fprintf(stderr, "procmon: cannot add %s: %s\n", p->name, strerror(-r));
            return r;
        }
    }
    announce_groups(d);
    return 0;
}

static void report_output(void *arg, const pm_target *t, const char *message)
{
    pm_daemon *d = arg;
    if (t == d->log_target) /* the log cannot say it: standard error does */
        fprintf(stderr, "procmon: %s\n", message);
    else
        pm_logstream_message(d->log, "%s", message);
}

static void log_sink(void *arg, const char *data, size_t len)
{
    pm_daemon *d = arg;
    (void)pm_target_write(d->log_target, data, len, loop_now(d)); /* drops are reported by the target */
}

/* Where the log stream goes when it is not a regular file: through the
 * same writer as the programs' output targets, never blocking the loop.  A
 * pipe or FIFO whose reader stalls costs dropped (counted, reported)
 * lines; standard output shares one buffer with the programs whose
 * stdout_logfile is /dev/stdout, so a log line never lands inside a
 * child's.  False: a regular file, written by the log stream itself. */
static bool log_target_of(const char *f, pm_output *cfg)
{
    struct stat st;
    if (!f || strcmp(f, "-") == 0 || strcmp(f, "/dev/stdout") == 0 || strcmp(f, "/dev/stderr") == 0) {
        *cfg = (pm_output){.kind = PM_OUT_FD, .fd = f && strcmp(f, "/dev/stderr") == 0 ? STDERR_FILENO : STDOUT_FILENO};
        return true;
    }
    if (stat(f, &st) == 0 && !S_ISREG(st.st_mode)) {
        *cfg = (pm_output){.kind = PM_OUT_FILE, .path = (char *)f};
        return true;
    }
    return false;
}

static void log_to_target(pm_daemon *d, const pm_output *cfg)
{
    if ((d->log_target = pm_outputs_acquire(d->outputs, cfg, loop_now(d))))
        pm_logstream_set_sink(d->log, log_sink, d);
}

/* At exit, once the programs' targets are released (their last failures
 * still logged through the log's target): the log stream writes for itself
 * again. */
static void log_from_target(pm_daemon *d)
{
    if (!d->log_target)
        return;
    pm_logstream_flush(d->log);
    pm_logstream_set_sink(d->log, NULL, NULL);
    pm_outputs_release(d->outputs, d->log_target);
    d->log_target = NULL;
}

int pm_daemon_run(const pm_daemon_settings *settings)
{
    pm_daemon d = {.settings = settings, .exit_status = -1, .ended_check = true};
    /* First, so that /dev/fd/N can only name what procmon inherited. */
    int r = pm_outputs_new(report_output, &d, &d.outputs);
    if (r < 0) {
        fprintf(stderr, "procmon: cannot set up the output targets: %s\n", strerror(-r));
        return 1;
    }
    pm_outputs_set_watch(d.outputs, watch_target, &d);
    pm_output log_target;
    bool through_target = log_target_of(settings->log_file, &log_target);
    r = pm_logstream_open(through_target ? NULL : settings->log_file, settings->log_format, &d.log);
    if (r < 0) {
        fprintf(stderr, "procmon: cannot open the log file %s: %s\n", settings->log_file,
                strerror(-r));
        pm_outputs_free(d.outputs);
        return 1;
    }
    pm_logstream_set_rotation(d.log, settings->log_maxbytes, settings->log_backups);
    pm_logstream_set_debug(d.log, settings->log_debug);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if ((r = uv_loop_init(&d.loop)) < 0) {
        fprintf(stderr, "procmon: cannot set up the event loop: %s\n", strerror(-r));
        pm_logstream_close(d.log);
        pm_outputs_free(d.outputs);
        return 1;
    }
    if (through_target)
        log_to_target(&d, &log_target);
    if ((r = daemon_setup(&d)) == 0) {
        pm_logstream_message(d.log, "procmon %s running, pid %d%s%s", PM_VERSION, (int)getpid(),
                             settings->socket_path ? ", control socket " : "",
                             settings->socket_path ? settings->socket_path : "");
        pm_monitor_start_service(d.mon);
        pm_events_supervisor(d.events, true);
        uv_run(&d.loop, UV_RUN_DEFAULT);
    }
    pm_control_close(d.ctl);
    pm_listener_close(d.http[0]);
    pm_listener_close(d.http[1]);
    pm_statewriter_close(d.state_writer); /* no write is on its way after this */
    /* A clean end leaves nothing running: nothing for a successor to stop. */
    if (r == 0 && settings->state_path && unlink(settings->state_path) < 0 && errno != ENOENT)
        pm_logstream_message(d.log, "cannot remove the state file %s: %s", settings->state_path,
                             strerror(errno));
    /* What is still buffered gets a few seconds. */
    pm_logstream_flush(d.log);
    pm_outputs_drain(d.outputs, EXIT_DRAIN_SECONDS);
    pm_monitor_free(d.mon); /* releases the programs' targets and listeners */
    pm_events_free(d.events);
    pm_runtime_free(d.rt);
    log_from_target(&d);
    pm_outputs_free(d.outputs); /* last writes, whatever the retry time */
    d.outputs = NULL;
    pm_manager_free(d.manager);
    uv_walk(&d.loop, close_handle, NULL);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&d.loop) < 0)
        fprintf(stderr, "procmon: the event loop did not close cleanly\n");
    free(d.shutdown_waiters);
    if (d.reread)
        pm_config_free(d.reread);
    free(d.reread);
    pm_logstream_close(d.log);
    return r < 0 ? 1 : d.exit_status >= 0 ? d.exit_status : 0;
}
