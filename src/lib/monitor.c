/* The core: the process table, the states, the restart rule and the kill
 * escalation.  It only decides; every effect goes through the runtime. */
#include "procmon.h"
#include "health.h"
#include "readiness.h"
#include "runtime.h"
#include "spec.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pm_waiter {
    pm_done_cb cb;
    void *arg;
    struct pm_waiter *next;
} pm_waiter;

/* A process group an earlier run left: its leader exited, members did not. */
typedef struct pm_leftover {
    pid_t pgid;
    bool stopping; /* the stop signal has been sent to it */
} pm_leftover;

#define LEFTOVER_POLL 0.1 /* seconds between looks at stopping leftovers */

typedef struct pm_proc {
    pm_monitor *mon;
    char *name;
    pm_spec spec;
    pm_state state;
    pid_t pid;
    bool spawning;       /* asked of the runtime, its result not yet in */
    bool ready;          /* this run is ready (see pm_ready_kind) */
    bool waiting;        /* starting, held back until its dependencies are met */
    bool bound_stop;     /* stopped because a dependency ended (bind_to): then it waits */
    bool visiting;       /* bring_up_dependencies is on it (a cycle ends there) */
    bool has_live_dependent; /* service_stop_progress's: it must wait for them */
    bool not_ready_stop; /* stopped for not being ready in time: a failed start */
    pm_timer *start_timer; /* starting: to running at the threshold, or the ready timeout */
    pm_readiness *readiness; /* trying its readiness, while starting */
    pm_health *health;   /* checking its health, from ready until it stops or ends */
    char *status_text;   /* its last STATUS=... */
    pid_t main_pid;      /* its last MAINPID=..., or 0 */
    const char *phase;   /* "reloading" after RELOADING=1, "stopping" after STOPPING=1,
                            until READY=1; or NULL */
    double started;      /* runtime clock at the last spawn (request, then exec) */
    double delay;        /* the next back-off delay */
    int instant_deaths;  /* in a row */
    unsigned starts;
    int exit_status, exit_signal;
    pm_timer *restart_timer;
    double restart_at;
    pm_timer *kill_timer;
    double kill_at;          /* when the kill timer fires */
    pm_leftover *left;       /* groups of earlier runs, still with members */
    size_t nleft, capleft;
    pm_timer *left_timer;    /* watching stopped leftovers go */
    double left_kill_at;     /* SIGKILL for what remains of them then */
    bool restart_after_exit; /* an administrative restart is under way */
    bool removed;            /* out of the table, forgotten once it has exited */
    pm_waiter *down_waiters; /* told when the process has exited */
    pm_waiter *up_waiters;   /* told when the process has been started again */
    struct pm_proc *next_dying;
    void *user_data;
} pm_proc;

struct pm_monitor {
    pm_runtime *rt;
    pm_options opts;
    pm_proc **procs; /* sorted by name */
    size_t count, cap;
    pm_proc *dying;  /* removed, waiting for their exit */
    size_t nwaiting; /* processes held back for their dependencies */
    size_t nbound;   /* processes with dependencies and bind_to */
    pm_timer *deps_timer; /* a look at the waiting ones on the next turn */
    bool running;
    bool stopping_service;
    pm_waiter *service_waiters;
    pm_event_cb event_cb;
    void *event_arg;
    bool batch_lines;
};

static int proc_spawn(pm_proc *p);
static int start_fresh(pm_proc *p);
static void proc_ended(pm_proc *p, pm_event *ev);
static void send_stop(pm_proc *p);
static void service_stop_progress(pm_monitor *mon);
static bool is_up(const pm_proc *p);
static void stop_watching_start(pm_proc *p);
static void dependencies_may_be_met(pm_monitor *mon);
static void stop_bound_dependents(const pm_proc *q);
static void fail_dependents_starts(const pm_proc *q);

/* ---- small helpers ---- */

const char *pm_state_name(pm_state state)
{
    switch (state) {
    case PM_STATE_STOPPED: return "stopped";
    case PM_STATE_STARTING: return "starting";
    case PM_STATE_RUNNING: return "running";
    case PM_STATE_BACKOFF: return "backoff";
    case PM_STATE_STOPPING: return "stopping";
    case PM_STATE_EXITED: return "exited";
    case PM_STATE_FATAL: return "fatal";
    }
    return "unknown";
}

const char *pm_dep_condition_name(pm_dep_condition condition)
{
    switch (condition) {
    case PM_DEP_READY: return "ready";
    case PM_DEP_STARTED: return "started";
    case PM_DEP_COMPLETED: return "completed";
    }
    return "unknown";
}

static double now(const pm_monitor *mon)
{
    return mon->rt->ops->now(mon->rt);
}

static double pick(double own, double global)
{
    return own >= 0 ? own : global;
}

static double threshold_of(const pm_proc *p) { return pick(p->spec.threshold, p->mon->opts.threshold); }
static double kill_time_of(const pm_proc *p) { return pick(p->spec.kill_time, p->mon->opts.kill_time); }
static double min_delay_of(const pm_proc *p) { return pick(p->spec.min_restart_delay, p->mon->opts.min_restart_delay); }
static double max_delay_of(const pm_proc *p) { return pick(p->spec.max_restart_delay, p->mon->opts.max_restart_delay); }

static void emit(pm_proc *p, pm_event *ev)
{
    pm_monitor *mon = p->mon;
    ev->name = p->name;
    ev->state = p->state;
    ev->user_data = p->user_data;
    if (mon->event_cb)
        mon->event_cb(mon->event_arg, ev);
    if (ev->type == PM_EVENT_EXIT)
        stop_bound_dependents(p);
    if (ev->state == PM_STATE_FATAL || ev->state == PM_STATE_EXITED)
        fail_dependents_starts(p);
    if (ev->type == PM_EVENT_START || ev->type == PM_EVENT_READY || ev->type == PM_EVENT_EXIT)
        dependencies_may_be_met(mon);
}

static pm_event event_of(pm_event_type type, pid_t pid)
{
    return (pm_event){.type = type, .pid = pid, .exit_status = -1, .restart_in = -1};
}

static int waiter_add(pm_waiter **list, pm_done_cb cb, void *arg)
{
    if (!cb)
        return 0;
    pm_waiter *w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    *w = (pm_waiter){cb, arg, NULL};
    while (*list) /* keep the order of the requests */
        list = &(*list)->next;
    *list = w;
    return 0;
}

/* Detaches the list first: a callback may add new waiters. */
static void waiters_finish(pm_waiter **list, int result)
{
    pm_waiter *w = *list;
    *list = NULL;
    while (w) {
        pm_waiter *next = w->next;
        w->cb(w->arg, result);
        free(w);
        w = next;
    }
}

static void cancel_timer(pm_monitor *mon, pm_timer **timer)
{
    if (*timer) {
        mon->rt->ops->timer_cancel(mon->rt, *timer);
        *timer = NULL;
    }
}

/* ---- the table ---- */

/* Index of name, or of where it would go (then *found is false). */
static size_t table_search(const pm_monitor *mon, const char *name, bool *found)
{
    size_t lo = 0, hi = mon->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(mon->procs[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static pm_proc *table_find(const pm_monitor *mon, const char *name)
{
    bool found;
    size_t i = table_search(mon, name, &found);
    return found ? mon->procs[i] : NULL;
}

static void table_take(pm_monitor *mon, pm_proc *p)
{
    bool found;
    size_t i = table_search(mon, p->name, &found);
    if (!found)
        return;
    memmove(&mon->procs[i], &mon->procs[i + 1], (mon->count - i - 1) * sizeof *mon->procs);
    mon->count--;
}

static void proc_free(pm_proc *p)
{
    pm_monitor *mon = p->mon;
    cancel_timer(mon, &p->restart_timer);
    cancel_timer(mon, &p->kill_timer);
    cancel_timer(mon, &p->left_timer);
    stop_watching_start(p);
    free(p->left);
    free(p->status_text);
    mon->rt->ops->forget(mon->rt, p);
    waiters_finish(&p->up_waiters, -ECANCELED);
    waiters_finish(&p->down_waiters, 0);
    pm_event ev = event_of(PM_EVENT_FORGET, 0);
    emit(p, &ev);
    pm_spec_free(&p->spec);
    free(p->name);
    free(p);
}

static void dying_take(pm_monitor *mon, pm_proc *p)
{
    for (pm_proc **d = &mon->dying; *d; d = &(*d)->next_dying) {
        if (*d == p) {
            *d = p->next_dying;
            return;
        }
    }
}

/* ---- what earlier runs left ----
 *
 * A child leads its own process group.  When it exits, members of the group
 * (its own children) may live on.  They are not the program any more, and a
 * crash leaves them alone, as the reference does; but a stop of the program
 * (stop, restart, remove, shutdown) ends them too, with the same stop
 * signal and SIGKILL after the same kill time. */

/* Keeps the groups that still have members. */
static void leftovers_prune(pm_proc *p)
{
    pm_runtime *rt = p->mon->rt;
    size_t kept = 0;
    for (size_t i = 0; i < p->nleft; i++)
        if (rt->ops->signal_leftovers(rt, p->left[i].pgid, 0) == 0)
            p->left[kept++] = p->left[i];
    p->nleft = kept;
}

/* The group that pgid led, if members remain and the program's signals go
 * to its group.  Out of memory, it lives on untracked, as it would have
 * without this. */
static void leftovers_add(pm_proc *p, pid_t pgid, bool stopping)
{
    pm_runtime *rt = p->mon->rt;
    if (!p->spec.signal_group || rt->ops->signal_leftovers(rt, pgid, 0) < 0)
        return;
    leftovers_prune(p);
    if (p->nleft == p->capleft) {
        size_t cap = p->capleft ? p->capleft * 2 : 4;
        pm_leftover *l = realloc(p->left, cap * sizeof *l);
        if (!l)
            return;
        p->left = l;
        p->capleft = cap;
    }
    p->left[p->nleft++] = (pm_leftover){pgid, stopping};
}

/* sig to every group, each one logged (SIGKILL to follow in kill_in); the
 * empty ones are dropped.  Only those not yet stopping, unless it is
 * SIGKILL. */
static void leftovers_signal(pm_proc *p, int sig, double kill_in)
{
    pm_monitor *mon = p->mon;
    size_t kept = 0;
    for (size_t i = 0; i < p->nleft; i++) {
        pm_leftover *l = &p->left[i];
        bool send = sig == SIGKILL || !l->stopping;
        if (mon->rt->ops->signal_leftovers(mon->rt, l->pgid, send ? sig : 0) < 0)
            continue;
        if (send) {
            pm_event ev = event_of(sig == SIGKILL ? PM_EVENT_KILL : PM_EVENT_STOP, l->pgid);
            ev.leftover = true;
            ev.signal = sig;
            ev.kill_time = kill_in;
            emit(p, &ev);
            l->stopping = true;
        }
        p->left[kept++] = *l;
    }
    p->nleft = sig == SIGKILL ? 0 : kept; /* nothing more to do for those */
}

/* Once the last leftover is gone: a removed process may go too, and a
 * shutdown may go on. */
static void leftovers_done(pm_proc *p)
{
    pm_monitor *mon = p->mon;
    if (p->removed && !is_up(p)) {
        dying_take(mon, p);
        proc_free(p);
    }
    service_stop_progress(mon);
}

static void left_timer_fired(void *arg);

/* The next look at stopping leftovers: they have no exit to wait for. */
static void leftovers_watch(pm_proc *p)
{
    pm_monitor *mon = p->mon;
    double wait = p->left_kill_at - now(mon);
    wait = wait < 0 ? 0 : wait > LEFTOVER_POLL ? LEFTOVER_POLL : wait;
    p->left_timer = mon->rt->ops->timer_start(mon->rt, wait, left_timer_fired, p);
    if (!p->left_timer) /* cannot wait: end them now rather than never */
        leftovers_signal(p, SIGKILL, 0);
}

static void left_timer_fired(void *arg)
{
    pm_proc *p = arg;
    p->left_timer = NULL;
    if (now(p->mon) >= p->left_kill_at)
        leftovers_signal(p, SIGKILL, 0);
    else
        leftovers_prune(p);
    if (p->nleft > 0)
        leftovers_watch(p);
    else
        leftovers_done(p);
}

/* The stop signal to the groups not yet stopping, then a watch until they
 * are gone, SIGKILL in kill_in (or at the earlier deadline being watched). */
static void leftovers_stop(pm_proc *p, double kill_in)
{
    double t = now(p->mon);
    if (p->left_timer && p->left_kill_at - t < kill_in)
        kill_in = p->left_kill_at - t;
    else
        p->left_kill_at = t + kill_in;
    leftovers_signal(p, p->spec.stop_signal, kill_in);
    if (p->nleft > 0 && !p->left_timer)
        leftovers_watch(p);
}

static bool leftovers_stopping(const pm_proc *p)
{
    return p->left_timer != NULL;
}

/* ---- the lifecycle ---- */

/* A process exists, or is being spawned (not one held back for its
 * dependencies: that one is starting, with nothing to stop yet). */
static bool is_up(const pm_proc *p)
{
    return (p->state == PM_STATE_STARTING && !p->waiting) || p->state == PM_STATE_RUNNING ||
           p->state == PM_STATE_STOPPING;
}

/* Up and not yet asked to stop. */
static bool is_live(const pm_proc *p)
{
    return (p->state == PM_STATE_STARTING && !p->waiting) || p->state == PM_STATE_RUNNING;
}

/* ---- dependencies ---- */

static bool dependency_met(const pm_monitor *mon, const pm_dependency *d)
{
    const pm_proc *q = table_find(mon, d->name);
    if (!q)
        return false;
    bool spawned = is_live(q) && !q->spawning;
    bool completed = q->state == PM_STATE_EXITED && q->exit_signal == 0 &&
                     pm_spec_exitcode_expected(&q->spec, q->exit_status);
    switch (d->condition) {
    case PM_DEP_READY:
        return spawned && q->ready;
    case PM_DEP_STARTED:
        return spawned || completed;
    case PM_DEP_COMPLETED:
        return completed;
    }
    return false;
}

static bool dependencies_met(const pm_proc *p)
{
    for (size_t i = 0; i < p->spec.ndepends_on; i++)
        if (!dependency_met(p->mon, &p->spec.depends_on[i]))
            return false;
    return true;
}

static void hold_back(pm_proc *p)
{
    p->state = PM_STATE_STARTING;
    if (!p->waiting) {
        p->waiting = true;
        p->mon->nwaiting++;
    }
}

static void stop_waiting(pm_proc *p)
{
    if (p->waiting) {
        p->waiting = false;
        p->mon->nwaiting--;
    }
}

static bool bound(const pm_proc *p)
{
    return p->spec.bind_to && p->spec.ndepends_on > 0;
}

/* The waiting ones whose dependencies are met start. */
static void dependencies_timer_fired(void *arg)
{
    pm_monitor *mon = arg;
    mon->deps_timer = NULL;
    for (size_t i = 0; i < mon->count && mon->nwaiting > 0; i++)
        if (mon->procs[i]->waiting && dependencies_met(mon->procs[i]))
            (void)proc_spawn(mon->procs[i]);
}

/* A process started, became ready or ended: the waiting ones are looked
 * at on the next turn of the loop, not from within this change. */
static void dependencies_may_be_met(pm_monitor *mon)
{
    if (mon->nwaiting == 0 || mon->deps_timer)
        return;
    mon->deps_timer = mon->rt->ops->timer_start(mon->rt, 0, dependencies_timer_fired, mon);
    if (!mon->deps_timer) /* cannot wait: look now rather than never */
        dependencies_timer_fired(mon);
}

/* q's process ended: its live dependents with bind_to are stopped, to
 * wait for it to meet their condition again. */
static void stop_bound_dependents(const pm_proc *q)
{
    pm_monitor *mon = q->mon;
    for (size_t i = 0; i < mon->count && mon->nbound > 0 && mon->running; i++) {
        pm_proc *p = mon->procs[i];
        for (size_t k = 0; bound(p) && is_live(p) && k < p->spec.ndepends_on; k++) {
            if (p->spec.depends_on[k].condition != PM_DEP_COMPLETED &&
                strcmp(p->spec.depends_on[k].name, q->name) == 0) {
                p->bound_stop = true;
                send_stop(p);
            }
        }
    }
}

/* An unmet dependency that will not change by itself: gone, fatal, or
 * ended and not to be restarted. */
static bool dependency_gave_up(const pm_monitor *mon, const pm_dependency *d)
{
    const pm_proc *q = table_find(mon, d->name);
    return !dependency_met(mon, d) &&
           (!q || q->state == PM_STATE_FATAL || q->state == PM_STATE_EXITED);
}

/* A `start` of a held-back process fails once a dependency it waits for
 * gave up (the process stays held back, until that one is met). */
static void fail_start_if_stuck(pm_proc *p)
{
    for (size_t k = 0; p->waiting && p->up_waiters && k < p->spec.ndepends_on; k++)
        if (dependency_gave_up(p->mon, &p->spec.depends_on[k]))
            waiters_finish(&p->up_waiters, -ENOLINK);
}

static void fail_dependents_starts(const pm_proc *q)
{
    pm_monitor *mon = q->mon;
    for (size_t i = 0; i < mon->count && mon->nwaiting > 0; i++)
        fail_start_if_stuck(mon->procs[i]);
}

/* Those of p's dependencies that are down are started (theirs first, as
 * they start); what is up, or coming back from back-off, is left alone. */
static void bring_up_dependencies(pm_proc *p)
{
    p->visiting = true;
    for (size_t i = 0; i < p->spec.ndepends_on; i++) {
        const pm_dependency *d = &p->spec.depends_on[i];
        pm_proc *q = table_find(p->mon, d->name);
        if (q && !q->visiting && !is_up(q) && !q->waiting && q->state != PM_STATE_BACKOFF &&
            !dependency_met(p->mon, d))
            (void)start_fresh(q);
    }
    p->visiting = false;
}

static void restart_timer_fired(void *arg)
{
    pm_proc *p = arg;
    p->restart_timer = NULL;
    (void)proc_spawn(p);
}

/* Back-off, or with no delay a restart on the loop's next turn (the
 * reference's callLater(0)): never a spawn from within the exit's own
 * callback, where children that die at once would keep the reaping going
 * and starve everything else.  Also, a spawn that failed synchronously
 * must not recurse through a zero minimum delay. */
static void schedule_restart(pm_proc *p, double delay, pm_event *ev)
{
    pm_monitor *mon = p->mon;
    if (delay < 0)
        delay = 0;
    p->restart_timer = mon->rt->ops->timer_start(mon->rt, delay, restart_timer_fired, p);
    if (!p->restart_timer) {
        p->state = PM_STATE_EXITED;
        emit(p, ev);
        pm_event err = event_of(PM_EVENT_SPAWN_ERROR, 0);
        err.message = "cannot schedule the restart: out of memory";
        emit(p, &err);
        return;
    }
    p->state = PM_STATE_BACKOFF;
    p->restart_at = now(mon) + delay;
    ev->restart_in = delay;
    emit(p, ev);
}

/* The reference's rule, plus autorestart and start_retries: a failed
 * start (the reference's instant death) backs off whatever autorestart
 * says; autorestart decides about a running process's death.  `ev` is the
 * exit (or spawn error) event, emitted here with the decision in it. */
static void decide_after_death(pm_proc *p, bool failed_start, pm_event *ev)
{
    if (!p->mon->running) { /* as the reference: no restart unless the service runs */
        p->state = PM_STATE_STOPPED;
        emit(p, ev);
        return;
    }
    double next;
    if (failed_start) {
        next = p->delay;
        p->delay = p->delay * 2 < max_delay_of(p) ? p->delay * 2 : max_delay_of(p);
        p->instant_deaths++;
    } else {
        next = 0;
        p->delay = min_delay_of(p);
        p->instant_deaths = 0;
    }
    bool expected = ev->type == PM_EVENT_EXIT && ev->exit_signal == 0 &&
                    pm_spec_exitcode_expected(&p->spec, ev->exit_status);
    if (!failed_start && (p->spec.autorestart == PM_AUTORESTART_NEVER ||
                          (p->spec.autorestart == PM_AUTORESTART_UNEXPECTED && expected))) {
        p->state = PM_STATE_EXITED;
        emit(p, ev);
        return;
    }
    if (p->spec.start_retries >= 0 && p->instant_deaths > p->spec.start_retries) {
        p->state = PM_STATE_FATAL;
        emit(p, ev);
        pm_event fatal = event_of(PM_EVENT_FATAL, 0);
        fatal.instant_deaths = p->instant_deaths;
        emit(p, &fatal);
        return;
    }
    schedule_restart(p, next, ev);
}

static void child_output(void *arg, pm_stream stream, const pm_line *lines, size_t n)
{
    pm_proc *p = arg;
    pm_event ev = event_of(p->mon->batch_lines ? PM_EVENT_LINES : PM_EVENT_OUTPUT, p->pid);
    ev.stream = stream;
    if (p->mon->batch_lines) {
        ev.lines = lines;
        ev.nlines = n;
        emit(p, &ev);
    } else {
        for (size_t i = 0; i < n; i++) {
            ev.data = lines[i].data;
            ev.len = lines[i].len;
            emit(p, &ev);
        }
    }
    /* After the lines themselves, so that the log shows the line, then
     * the readiness it brought. */
    for (size_t i = 0; i < n && p->readiness && p->spec.ready == PM_READY_LOG; i++)
        pm_readiness_line(p->readiness, lines[i].data, lines[i].len);
}

static void child_exited(void *arg, int wait_status)
{
    pm_proc *p = arg;
    pm_monitor *mon = p->mon;
    cancel_timer(mon, &p->kill_timer);
    stop_watching_start(p);

    pm_event ev = event_of(PM_EVENT_EXIT, p->pid);
    ev.runtime = now(mon) - p->started;
    if (WIFSIGNALED(wait_status)) {
        ev.exit_signal = WTERMSIG(wait_status);
    } else {
        ev.exit_status = WEXITSTATUS(wait_status);
    }
    p->exit_status = ev.exit_status;
    p->exit_signal = ev.exit_signal;
    /* What it leaves of its group: still to be ended if this exit ends a
     * stop (the stop signal went to the whole group); else kept for the
     * next stop. */
    bool stopped = p->state == PM_STATE_STOPPING;
    leftovers_add(p, p->pid, stopped);
    p->pid = 0;
    if (stopped || p->removed || !mon->running)
        leftovers_stop(p, p->kill_at > now(mon) ? p->kill_at - now(mon) : kill_time_of(p));
    proc_ended(p, &ev);
}

/* What follows the end of a run, or of a spawn that failed (ev is its exit
 * or spawn error event, emitted here with the decision in it).  p may be
 * freed. */
static void proc_ended(pm_proc *p, pm_event *ev)
{
    pm_monitor *mon = p->mon;
    if (p->removed) {
        p->state = PM_STATE_STOPPED;
        ev->removed = true;
        emit(p, ev);
        if (!leftovers_stopping(p)) { /* else it goes with the last of them */
            dying_take(mon, p);
            proc_free(p);
        }
        service_stop_progress(mon);
        return;
    }
    if (p->restart_after_exit && !mon->stopping_service) {
        /* An administrative restart never counts as a death. */
        p->restart_after_exit = false;
        p->delay = min_delay_of(p);
        p->instant_deaths = 0;
        waiters_finish(&p->down_waiters, 0); /* a stop that was overtaken: it did exit */
        schedule_restart(p, 0, ev);
        return;
    }
    p->restart_after_exit = false;
    if (p->bound_stop && p->state == PM_STATE_STOPPING && mon->running) {
        /* bind_to: it waits for its dependencies to be met again. */
        p->bound_stop = false;
        hold_back(p);
        ev->message = "waiting for its dependencies";
        emit(p, ev);
        waiters_finish(&p->down_waiters, 0);
        dependencies_may_be_met(mon);
        return;
    }
    p->bound_stop = false;
    bool not_ready = p->not_ready_stop;
    p->not_ready_stop = false;
    if ((p->state == PM_STATE_STOPPING && !not_ready) || !mon->running) {
        p->state = PM_STATE_STOPPED;
        emit(p, ev);
        waiters_finish(&p->down_waiters, 0);
        service_stop_progress(mon);
        return;
    }
    /* A run that was never ready, or not past its threshold, is a failed
     * start; with ready = spawn that is the reference's runtime < threshold. */
    bool failed_start = ev->type != PM_EVENT_EXIT || not_ready || !p->ready ||
                        ev->runtime < threshold_of(p);
    waiters_finish(&p->up_waiters, -ECHILD); /* it ended before it was ready */
    decide_after_death(p, failed_start, ev);
}

/* ---- from started to running ---- */

/* Everything watched while it runs: readiness, the threshold, health. */
static void stop_watching_start(pm_proc *p)
{
    cancel_timer(p->mon, &p->start_timer);
    pm_readiness_stop(p->readiness);
    p->readiness = NULL;
    pm_health_stop(p->health);
    p->health = NULL;
}

/* A health result: logged; health_retries failures in a row restart it
 * (an administrative restart: never a failed start). */
static void health_seen(void *arg, int failures, const char *detail)
{
    pm_proc *p = arg;
    pm_event ev = event_of(PM_EVENT_HEALTH, p->pid);
    ev.health_failures = failures;
    ev.health_retries = p->spec.health_retries;
    ev.message = detail;
    emit(p, &ev);
    if (failures < p->spec.health_retries || !is_live(p))
        return;
    p->restart_after_exit = true;
    send_stop(p);
}

static void become_running(pm_proc *p)
{
    p->state = PM_STATE_RUNNING;
    pm_event ev = event_of(PM_EVENT_RUNNING, p->pid);
    ev.runtime = now(p->mon) - p->started;
    emit(p, &ev);
}

/* Not ready in time: stopped, and its exit is a failed start. */
static void not_ready_in_time(pm_proc *p, const char *why)
{
    pm_event ev = event_of(PM_EVENT_NOT_READY, p->pid);
    ev.runtime = now(p->mon) - p->started;
    ev.message = why;
    emit(p, &ev);
    stop_watching_start(p);
    waiters_finish(&p->up_waiters, -ETIMEDOUT);
    if (p->state != PM_STATE_STARTING) /* a waiter stopped it */
        return;
    p->not_ready_stop = true;
    send_stop(p);
}

static void start_timer_fired(void *arg)
{
    pm_proc *p = arg;
    p->start_timer = NULL;
    if (p->ready) {
        become_running(p);
        return;
    }
    char why[300];
    const char *last = p->readiness ? pm_readiness_last(p->readiness) : "";
    snprintf(why, sizeof why, "not ready after %gs%s%s", p->spec.ready_timeout,
             *last ? "; last try: " : "", last);
    not_ready_in_time(p, why);
}

/* how: what showed it (NULL for PM_READY_SPAWN: nothing to tell). */
static void proc_became_ready(pm_proc *p, const char *how)
{
    pm_monitor *mon = p->mon;
    if (p->state != PM_STATE_STARTING || p->spawning || p->ready)
        return;
    stop_watching_start(p);
    p->ready = true;
    double runtime = now(mon) - p->started;
    if (how) {
        pm_event ev = event_of(PM_EVENT_READY, p->pid);
        ev.runtime = runtime;
        ev.message = how;
        emit(p, &ev);
    }
    if (p->spec.health != PM_HEALTH_NONE &&
        pm_health_start(mon->rt, &p->spec, p->started, health_seen, p, &p->health) < 0)
        p->health = NULL; /* out of memory: it runs unchecked rather than not at all */
    double left = threshold_of(p) - runtime;
    if (left > 0)
        p->start_timer = mon->rt->ops->timer_start(mon->rt, left, start_timer_fired, p);
    if (left <= 0 || !p->start_timer) /* cannot wait: running now rather than never */
        become_running(p);
    waiters_finish(&p->up_waiters, 0);
}

static void readiness_seen(void *arg, const char *how)
{
    proc_became_ready(arg, how);
}

/* Watches for readiness, with the ready timeout. */
static void watch_readiness(pm_proc *p)
{
    pm_monitor *mon = p->mon;
    char err[256] = "";
    p->start_timer = mon->rt->ops->timer_start(mon->rt, p->spec.ready_timeout, start_timer_fired, p);
    int r = p->start_timer ? 0 : -ENOMEM;
    if (r == 0 && p->spec.ready != PM_READY_NOTIFY && p->spec.ready != PM_READY_FD)
        r = pm_readiness_start(mon->rt, &p->spec, readiness_seen, p, &p->readiness, err, sizeof err);
    if (r < 0) /* it could never be seen ready */
        not_ready_in_time(p, *err ? err : "cannot watch its readiness: out of memory");
}

static void child_started(void *arg, pid_t pid)
{
    pm_proc *p = arg;
    p->spawning = false;
    p->pid = pid;
    p->started = now(p->mon);
    p->starts++;
    p->ready = false;
    free(p->status_text);
    p->status_text = NULL;
    p->main_pid = 0;
    p->phase = NULL;
    pm_event ev = event_of(PM_EVENT_START, pid);
    emit(p, &ev);
    if (p->state == PM_STATE_STOPPING) /* asked while it was being spawned */
        send_stop(p);
    else if (p->spec.ready == PM_READY_SPAWN)
        proc_became_ready(p, NULL);
    else
        watch_readiness(p);
}

static bool assignment_is(const char *text, size_t n, const char *what)
{
    return n == strlen(what) && memcmp(text, what, n) == 0;
}

/* What it sent to $NOTIFY_SOCKET (or "READY=1" for FD): sd_notify's
 * newline-separated assignments.  READY=1 ends a reload as under systemd;
 * MAINPID is kept for status (the stop signal goes to the process group,
 * where a daemon's forked main process is). */
static void child_notify(void *arg, const char *text, size_t len)
{
    pm_proc *p = arg;
    bool ready = false;
    for (const char *end = text + len; text < end;) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
        if (assignment_is(text, n, "READY=1")) {
            ready = true;
            p->phase = NULL;
        } else if (assignment_is(text, n, "RELOADING=1")) {
            p->phase = "reloading";
        } else if (assignment_is(text, n, "STOPPING=1")) {
            p->phase = "stopping";
        } else if (n > 8 && n < 20 && memcmp(text, "MAINPID=", 8) == 0) {
            char digits[16];
            memcpy(digits, text + 8, n - 8);
            digits[n - 8] = '\0';
            long pid = strtol(digits, NULL, 10);
            p->main_pid = pid > 0 && pid <= INT32_MAX ? (pid_t)pid : 0;
        } else if (n >= 7 && memcmp(text, "STATUS=", 7) == 0) {
            char *status = strndup(text + 7, n - 7);
            if (status) {
                free(p->status_text);
                p->status_text = status;
            }
        }
        text += n + 1;
    }
    if (ready)
        proc_became_ready(p, "READY=1");
}

/* Counts as an instant death: backs off like one. */
static void child_spawn_failed(void *arg, int err, const char *message)
{
    pm_proc *p = arg;
    pm_monitor *mon = p->mon;
    p->spawning = false;
    if (!p->restart_after_exit)
        waiters_finish(&p->up_waiters, -err);
    if (p->state == PM_STATE_STOPPING || p->removed || !mon->running)
        leftovers_stop(p, kill_time_of(p)); /* as its exit would have */
    pm_event ev = event_of(PM_EVENT_SPAWN_ERROR, 0);
    ev.message = message;
    proc_ended(p, &ev);
}

static const pm_child_cbs child_cbs = {child_started, child_spawn_failed, child_output, child_exited,
                                       child_notify};

/* The result comes through child_started or child_spawn_failed, maybe
 * before this returns.  A negative errno when the runtime refused at once
 * (that failure has been handled as a spawn error). */
static int proc_spawn(pm_proc *p)
{
    pm_monitor *mon = p->mon;
    char errmsg[256] = "";
    p->started = now(mon);
    if (!dependencies_met(p)) {
        hold_back(p);
        fail_start_if_stuck(p);
        return 0;
    }
    stop_waiting(p);
    p->state = PM_STATE_STARTING;
    p->spawning = true;
    int r = mon->rt->ops->spawn(mon->rt, &p->spec, &child_cbs, p, errmsg, sizeof errmsg);
    if (r < 0)
        child_spawn_failed(p, -r, errmsg);
    return r;
}

static void kill_timer_fired(void *arg)
{
    pm_proc *p = arg;
    pm_monitor *mon = p->mon;
    p->kill_timer = NULL;
    pm_event ev = event_of(PM_EVENT_KILL, p->pid);
    ev.signal = SIGKILL;
    emit(p, &ev);
    mon->rt->ops->kill(mon->rt, p->pid, SIGKILL, p->spec.signal_group);
}

/* Stop signal now, SIGKILL after the kill time unless it exits first.
 * A process being spawned gets them once it has started. */
static void send_stop(pm_proc *p)
{
    pm_monitor *mon = p->mon;
    p->state = PM_STATE_STOPPING;
    stop_watching_start(p);
    if (p->spawning)
        return;
    pm_event ev = event_of(PM_EVENT_STOP, p->pid);
    ev.signal = p->spec.stop_signal;
    ev.kill_time = kill_time_of(p);
    emit(p, &ev);
    mon->rt->ops->kill(mon->rt, p->pid, p->spec.stop_signal, p->spec.signal_group);
    /* Its output is read again if an embedder held it back: a process that
     * says its last words as it stops must not wait on a full pipe. */
    mon->rt->ops->hold_output(mon->rt, p, false);
    if (!p->kill_timer) {
        p->kill_at = now(mon) + ev.kill_time;
        p->kill_timer = mon->rt->ops->timer_start(mon->rt, ev.kill_time, kill_timer_fired, p);
    }
    if (!p->kill_timer) /* cannot wait: escalate now rather than never */
        kill_timer_fired(p);
    leftovers_stop(p, ev.kill_time);
}

/* A fresh start: the back-off ladder begins again, and what it depends
 * on is brought up. */
static int start_fresh(pm_proc *p)
{
    cancel_timer(p->mon, &p->restart_timer);
    p->delay = min_delay_of(p);
    p->instant_deaths = 0;
    bring_up_dependencies(p);
    return proc_spawn(p);
}

/* ---- the public operations ---- */

int pm_monitor_new(pm_runtime *runtime, const pm_options *opts, pm_monitor **out)
{
    pm_monitor *mon = calloc(1, sizeof *mon);
    if (!mon)
        return -ENOMEM;
    mon->rt = runtime;
    if (opts)
        mon->opts = *opts;
    else
        pm_options_init(&mon->opts);
    *out = mon;
    return 0;
}

void pm_monitor_free(pm_monitor *mon)
{
    if (!mon)
        return;
    for (size_t i = 0; i < mon->count; i++)
        proc_free(mon->procs[i]);
    while (mon->dying) {
        pm_proc *p = mon->dying;
        mon->dying = p->next_dying;
        proc_free(p);
    }
    waiters_finish(&mon->service_waiters, -ECANCELED);
    cancel_timer(mon, &mon->deps_timer);
    free(mon->procs);
    free(mon);
}

void pm_monitor_set_event_cb(pm_monitor *mon, pm_event_cb cb, void *arg)
{
    mon->event_cb = cb;
    mon->event_arg = arg;
}

void pm_monitor_batch_lines(pm_monitor *mon, bool on)
{
    mon->batch_lines = on;
}

const pm_options *pm_monitor_options(const pm_monitor *mon)
{
    return &mon->opts;
}

int pm_monitor_add(pm_monitor *mon, const char *name, const pm_spec *spec)
{
    return pm_monitor_add_with_data(mon, name, spec, NULL);
}

int pm_monitor_add_with_data(pm_monitor *mon, const char *name, const pm_spec *spec, void *user_data)
{
    char why[256];
    if (!name || !*name || !spec->argv || !spec->argv[0] ||
        pm_readiness_check_spec(spec, why, sizeof why) < 0 ||
        pm_health_check_spec(spec, why, sizeof why) < 0)
        return -EINVAL;
    bool found;
    size_t at = table_search(mon, name, &found);
    if (found)
        return -EEXIST;
    if (mon->count == mon->cap) {
        size_t cap = mon->cap ? mon->cap * 2 : 16;
        pm_proc **procs = realloc(mon->procs, cap * sizeof *procs);
        if (!procs)
            return -ENOMEM;
        mon->procs = procs;
        mon->cap = cap;
    }
    pm_proc *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name)) || pm_spec_copy(&p->spec, spec) < 0) {
        if (p)
            free(p->name);
        free(p);
        return -ENOMEM;
    }
    p->mon = mon;
    p->user_data = user_data;
    p->state = PM_STATE_STOPPED;
    p->exit_status = -1;
    p->delay = min_delay_of(p);
    memmove(&mon->procs[at + 1], &mon->procs[at], (mon->count - at) * sizeof *mon->procs);
    mon->procs[at] = p;
    mon->count++;
    mon->nbound += bound(p);
    if (mon->running && p->spec.autostart)
        (void)start_fresh(p); /* a failure backs off like an instant death */
    dependencies_may_be_met(mon); /* it may be what another waits for */
    return 0;
}

int pm_monitor_remove(pm_monitor *mon, const char *name, pm_done_cb done, void *arg)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    table_take(mon, p);
    mon->nbound -= bound(p);
    stop_waiting(p);
    if (p->state == PM_STATE_STARTING && !p->spawning && !p->pid)
        p->state = PM_STATE_STOPPED; /* it was waiting: nothing ran */
    p->removed = true;
    p->restart_after_exit = false;
    waiters_finish(&p->up_waiters, -ECANCELED);
    if (!is_up(p)) {
        leftovers_stop(p, kill_time_of(p));
        if (leftovers_stopping(p)) { /* it goes with the last of them */
            cancel_timer(mon, &p->restart_timer);
            p->state = PM_STATE_STOPPED;
            p->next_dying = mon->dying;
            mon->dying = p;
        } else {
            proc_free(p);
        }
        if (done)
            done(arg, 0);
        return 0;
    }
    /* Keep it until it has exited, so its exit is still seen and logged;
     * the name is free for a new process at once. */
    p->next_dying = mon->dying;
    mon->dying = p;
    if (waiter_add(&p->down_waiters, done, arg) < 0)
        done(arg, -ENOMEM);
    if (is_live(p))
        send_stop(p);
    return 0;
}

int pm_monitor_start(pm_monitor *mon, const char *name)
{
    return pm_monitor_start_notify(mon, name, NULL, NULL);
}

int pm_monitor_start_notify(pm_monitor *mon, const char *name, pm_done_cb done, void *arg)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    if (p->state == PM_STATE_RUNNING || (p->state == PM_STATE_STARTING && p->ready)) {
        if (done)
            done(arg, 0);
        return 0;
    }
    if (waiter_add(&p->up_waiters, done, arg) < 0)
        return -ENOMEM;
    if (p->waiting)
        bring_up_dependencies(p); /* those that went down since */
    if (p->state == PM_STATE_STARTING)
        return 0;
    if (p->state == PM_STATE_STOPPING) {
        p->restart_after_exit = true; /* lift the hold: start once it is down */
        return 0;
    }
    int r = start_fresh(p);
    return done ? 0 : r; /* a waiter has heard how it went */
}

int pm_monitor_stop(pm_monitor *mon, const char *name, pm_done_cb done, void *arg)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    if (p->waiting) { /* nothing runs yet */
        stop_waiting(p);
        p->state = PM_STATE_STOPPED;
        waiters_finish(&p->up_waiters, -ECANCELED);
    }
    switch (p->state) {
    case PM_STATE_STARTING:
        waiters_finish(&p->up_waiters, -ECANCELED); /* the stop takes over */
        /* fall through */
    case PM_STATE_RUNNING:
        send_stop(p);
        break;
    case PM_STATE_STOPPING:
        p->restart_after_exit = false;
        p->not_ready_stop = false; /* its end is this stop's, not a failed start */
        p->bound_stop = false;
        waiters_finish(&p->up_waiters, -ECANCELED);
        break;
    case PM_STATE_BACKOFF:
        cancel_timer(mon, &p->restart_timer);
        p->state = PM_STATE_STOPPED;
        /* fall through */
    default:
        leftovers_stop(p, kill_time_of(p));
        if (done)
            done(arg, 0);
        return 0;
    }
    if (waiter_add(&p->down_waiters, done, arg) < 0)
        return -ENOMEM;
    return 0;
}

int pm_monitor_restart(pm_monitor *mon, const char *name, pm_done_cb done, void *arg)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    if (waiter_add(&p->up_waiters, done, arg) < 0)
        return -ENOMEM;
    if (!is_up(p)) {
        leftovers_stop(p, kill_time_of(p)); /* as a stop would */
        (void)start_fresh(p); /* the waiter hears how it went */
        return 0;
    }
    p->restart_after_exit = true;
    if (is_live(p))
        send_stop(p);
    return 0;
}

int pm_monitor_ready(pm_monitor *mon, const char *name, pid_t pid)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    if (!is_live(p) || p->spawning || p->pid != pid)
        return -ESRCH;
    if (p->ready)
        return -EALREADY;
    proc_became_ready(p, "pm_monitor_ready");
    return 0;
}

int pm_monitor_signal(pm_monitor *mon, const char *name, int sig)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    if (!is_up(p) || p->spawning)
        return -ESRCH;
    return mon->rt->ops->kill(mon->rt, p->pid, sig, p->spec.signal_group);
}

int pm_monitor_write_input(pm_monitor *mon, const char *name, const char *data, size_t len)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    if (!is_up(p) || p->spawning)
        return -ESRCH;
    if (!p->spec.stdin_pipe || !mon->rt->ops->write_input)
        return -EPIPE;
    return mon->rt->ops->write_input(mon->rt, p->pid, data, len);
}

void pm_monitor_restart_all(pm_monitor *mon)
{
    for (size_t i = 0; i < mon->count; i++)
        (void)pm_monitor_restart(mon, mon->procs[i]->name, NULL, NULL);
}

static bool startable(const pm_proc *p)
{
    return p->spec.autostart && !is_up(p) && !p->waiting && p->state != PM_STATE_BACKOFF;
}

void pm_monitor_start_service(pm_monitor *mon)
{
    mon->running = true;
    mon->stopping_service = false;
    /* One pass per priority tier, lowest first: tiers are few, and this
     * needs no allocation. */
    bool first = true;
    int done_tier = 0;
    for (;;) {
        bool found = false;
        int tier = 0;
        for (size_t i = 0; i < mon->count; i++) {
            int prio = mon->procs[i]->spec.priority;
            if (startable(mon->procs[i]) && (first || prio > done_tier) && (!found || prio < tier)) {
                tier = prio;
                found = true;
            }
        }
        if (!found)
            return;
        for (size_t i = 0; i < mon->count; i++)
            if (startable(mon->procs[i]) && mon->procs[i]->spec.priority == tier)
                (void)start_fresh(mon->procs[i]);
        first = false;
        done_tier = tier;
    }
}

/* Marks what a live process depends on: it stops after its dependents. */
static void mark_live_dependencies(pm_monitor *mon)
{
    for (size_t i = 0; i < mon->count; i++)
        mon->procs[i]->has_live_dependent = false;
    for (size_t i = 0; i < mon->count; i++) {
        pm_proc *p = mon->procs[i];
        for (size_t k = 0; is_live(p) && k < p->spec.ndepends_on; k++) {
            pm_proc *q = table_find(mon, p->spec.depends_on[k].name);
            if (q)
                q->has_live_dependent = true;
        }
    }
}

static bool stoppable_now(const pm_proc *p)
{
    return is_live(p) && !p->has_live_dependent;
}

/* Stops the next tier once nothing is stopping any more: of the processes
 * that no live process depends on, those of the highest priority.  Reports
 * completion once nothing is up. */
static void service_stop_progress(pm_monitor *mon)
{
    if (!mon->stopping_service)
        return;
    if (mon->dying)
        return;
    for (size_t i = 0; i < mon->count; i++)
        if (mon->procs[i]->state == PM_STATE_STOPPING || leftovers_stopping(mon->procs[i]))
            return;
    mark_live_dependencies(mon);
    bool any_running = false;
    int tier = 0;
    for (size_t i = 0; i < mon->count; i++) {
        pm_proc *p = mon->procs[i];
        if (stoppable_now(p) && (!any_running || p->spec.priority > tier)) {
            tier = p->spec.priority;
            any_running = true;
        }
    }
    if (!any_running) {
        mon->stopping_service = false;
        waiters_finish(&mon->service_waiters, 0);
        return;
    }
    for (size_t i = 0; i < mon->count; i++) {
        pm_proc *p = mon->procs[i];
        if (stoppable_now(p) && p->spec.priority == tier)
            send_stop(p);
    }
}

void pm_monitor_stop_service(pm_monitor *mon, pm_done_cb done, void *arg)
{
    mon->running = false;
    mon->stopping_service = true;
    /* Settle every process first: the waiters told below may call back in. */
    for (size_t i = 0; i < mon->count; i++) {
        pm_proc *p = mon->procs[i];
        p->restart_after_exit = false;
        if (p->state == PM_STATE_BACKOFF) {
            cancel_timer(mon, &p->restart_timer);
            p->state = PM_STATE_STOPPED;
        }
        if (p->waiting) {
            stop_waiting(p);
            p->state = PM_STATE_STOPPED;
        }
        if (!is_up(p))
            leftovers_stop(p, kill_time_of(p));
    }
    for (size_t i = 0; i < mon->count; i++)
        waiters_finish(&mon->procs[i]->up_waiters, -ECANCELED);
    if (waiter_add(&mon->service_waiters, done, arg) < 0)
        done(arg, -ENOMEM);
    service_stop_progress(mon);
}

bool pm_monitor_service_running(const pm_monitor *mon)
{
    return mon->running;
}

static void status_of(const pm_proc *p, pm_status *st)
{
    double t = now(p->mon);
    int health = p->health ? pm_health_failures(p->health) : -1;
    *st = (pm_status){
        .name = p->name,
        .state = p->state,
        .pid = p->pid,
        .uptime = is_up(p) || p->waiting ? t - p->started : 0,
        .ready = is_live(p) && !p->spawning && p->ready,
        .waiting = p->waiting,
        .status_text = p->status_text,
        .main_pid = p->main_pid,
        .phase = p->phase,
        .health_checked = health >= 0,
        .health_failures = health > 0 ? health : 0,
        .restarts = p->starts ? p->starts - 1 : 0,
        .exit_status = p->exit_status,
        .exit_signal = p->exit_signal,
        .restart_in = p->state == PM_STATE_BACKOFF ? p->restart_at - t : -1,
        .leftovers = p->nleft,
        .spec = &p->spec,
        .user_data = p->user_data,
    };
    if (p->state == PM_STATE_BACKOFF && st->restart_in < 0)
        st->restart_in = 0;
}

int pm_monitor_status(const pm_monitor *mon, const char *name, pm_status *out)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    status_of(p, out);
    return 0;
}

int pm_monitor_hold_output(pm_monitor *mon, const char *name, bool hold)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    mon->rt->ops->hold_output(mon->rt, p, hold);
    return 0;
}

int pm_monitor_waiting_for(const pm_monitor *mon, const char *name, const char **out, size_t max)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    int n = 0;
    for (size_t i = 0; p->waiting && i < p->spec.ndepends_on; i++) {
        if (dependency_met(mon, &p->spec.depends_on[i]))
            continue;
        if ((size_t)n < max)
            out[n] = p->spec.depends_on[i].name;
        n++;
    }
    return n;
}

int pm_monitor_leftovers(const pm_monitor *mon, const char *name, pid_t *out, size_t max)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    for (size_t i = 0; i < p->nleft && i < max; i++)
        out[i] = p->left[i].pgid;
    return (int)p->nleft;
}

int pm_monitor_set_user_data(pm_monitor *mon, const char *name, void *data)
{
    pm_proc *p = table_find(mon, name);
    if (!p)
        return -ENOENT;
    p->user_data = data;
    return 0;
}

size_t pm_monitor_count(const pm_monitor *mon)
{
    return mon->count;
}

void pm_monitor_foreach(const pm_monitor *mon, void (*cb)(void *arg, const pm_status *st), void *arg)
{
    for (size_t i = 0; i < mon->count; i++) {
        pm_status st;
        status_of(mon->procs[i], &st);
        cb(arg, &st);
    }
}
