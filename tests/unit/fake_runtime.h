/* A simulated runtime for the monitor's tests: a clock that moves only when
 * the test says so, timers fired in time order, a spawner that records its
 * calls, and exits that the test delivers.  No sleeping, no processes.
 * Spawns are through at once, unless defer_spawns is set: then each waits
 * for the test's fake_spawned or fake_spawn_fails, as the real runtime's
 * wait for its spawner thread. */
#ifndef FAKE_RUNTIME_H
#define FAKE_RUNTIME_H

#include "runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define FAKE_MAX 256

struct pm_timer {
    double at;
    pm_timer_cb cb;
    void *arg;
    bool live;
};

typedef struct fake_child {
    pid_t pid;
    const pm_child_cbs *cbs;
    void *arg;
    bool alive;
    bool pending; /* spawn asked for, its result not yet given */
    char argv0[64];
} fake_child;

/* A connect asked for, until the test says how it went (fake_connect_done). */
struct pm_connect {
    char target[128];
    char sent[256];   /* what was to be written once connected */
    bool unix_socket;
    pm_connect_cb cb;
    void *arg;
    bool live;
};

typedef struct fake_kill {
    pid_t pid;
    int sig;
    bool group;
    double at;
    bool leftover; /* through signal_leftovers */
} fake_kill;

typedef struct fake_runtime {
    pm_runtime base;
    double now;
    pm_timer *timers[FAKE_MAX];
    size_t ntimers;
    fake_child children[FAKE_MAX];
    size_t nchildren;
    fake_kill kills[FAKE_MAX];
    size_t nkills;
    int spawn_error; /* the next spawns fail with this, while nonzero */
    bool defer_spawns;
    void *forgotten[FAKE_MAX];
    size_t nforgotten;
    pid_t left_groups[FAKE_MAX]; /* groups whose leader exited, with members still alive */
    size_t nleft_groups;
    void *held; /* the last arg whose output was held, until it is released */
    pm_connect *connects[FAKE_MAX]; /* every connect asked for, in order */
    size_t nconnects;
} fake_runtime;

static double fake_now(pm_runtime *rt)
{
    return ((fake_runtime *)rt)->now;
}

static pm_timer *fake_timer_start(pm_runtime *rt, double delay, pm_timer_cb cb, void *arg)
{
    fake_runtime *f = (fake_runtime *)rt;
    if (f->ntimers == FAKE_MAX)
        return NULL;
    pm_timer *t = calloc(1, sizeof *t);
    *t = (pm_timer){f->now + delay, cb, arg, true};
    f->timers[f->ntimers++] = t;
    return t;
}

static void fake_timer_drop(fake_runtime *f, pm_timer *t)
{
    for (size_t i = 0; i < f->ntimers; i++) {
        if (f->timers[i] == t) {
            f->timers[i] = f->timers[--f->ntimers];
            free(t);
            return;
        }
    }
}

static void fake_timer_cancel(pm_runtime *rt, pm_timer *t)
{
    fake_timer_drop((fake_runtime *)rt, t);
}

static int fake_spawn(pm_runtime *rt, const pm_spec *spec, const pm_child_cbs *cbs, void *arg,
                      char *errmsg, size_t errlen)
{
    fake_runtime *f = (fake_runtime *)rt;
    if (f->spawn_error) {
        snprintf(errmsg, errlen, "cannot fork: %s", strerror(-f->spawn_error));
        return f->spawn_error;
    }
    fake_child *c = &f->children[f->nchildren];
    *c = (fake_child){.pid = (pid_t)(1000 + f->nchildren), .cbs = cbs, .arg = arg, .alive = true,
                      .pending = f->defer_spawns};
    snprintf(c->argv0, sizeof c->argv0, "%s", spec->argv[0]);
    f->nchildren++;
    if (!c->pending)
        cbs->started(arg, c->pid);
    return 0;
}

static int fake_kill_fn(pm_runtime *rt, pid_t pid, int sig, bool group)
{
    fake_runtime *f = (fake_runtime *)rt;
    f->kills[f->nkills++] = (fake_kill){pid, sig, group, f->now, false};
    return 0;
}

/* What is left of a group dies only of SIGKILL, or when the test says. */
static int fake_signal_leftovers(pm_runtime *rt, pid_t pgid, int sig)
{
    fake_runtime *f = (fake_runtime *)rt;
    for (size_t i = 0; i < f->nleft_groups; i++) {
        if (f->left_groups[i] != pgid)
            continue;
        if (sig != 0)
            f->kills[f->nkills++] = (fake_kill){pgid, sig, true, f->now, true};
        if (sig == SIGKILL)
            f->left_groups[i] = f->left_groups[--f->nleft_groups];
        return 0;
    }
    return -ESRCH;
}

static void fake_hold_output(pm_runtime *rt, void *arg, bool hold)
{
    fake_runtime *f = (fake_runtime *)rt;
    if (hold)
        f->held = arg;
    else if (f->held == arg)
        f->held = NULL;
}

static void fake_forget(pm_runtime *rt, void *arg)
{
    fake_runtime *f = (fake_runtime *)rt;
    f->forgotten[f->nforgotten++] = arg;
}

static pm_connect *fake_connect(pm_runtime *rt, const char *target, bool unix_socket,
                                const char *send, size_t send_len, pm_connect_cb cb, void *arg)
{
    fake_runtime *f = (fake_runtime *)rt;
    if (f->nconnects == FAKE_MAX)
        return NULL;
    pm_connect *c = calloc(1, sizeof *c);
    *c = (pm_connect){.unix_socket = unix_socket, .cb = cb, .arg = arg, .live = true};
    snprintf(c->target, sizeof c->target, "%s", target);
    snprintf(c->sent, sizeof c->sent, "%.*s", (int)(send ? send_len : 0), send ? send : "");
    f->connects[f->nconnects++] = c;
    return c;
}

static void fake_connect_cancel(pm_runtime *rt, pm_connect *c)
{
    (void)rt;
    c->live = false;
}

/* The last connect asked for, if still waited for, ends with result (and
 * reply, for one that sent something). */
static inline bool fake_connect_reply(fake_runtime *f, int result, const char *reply)
{
    pm_connect *c = f->nconnects ? f->connects[f->nconnects - 1] : NULL;
    if (!c || !c->live)
        return false;
    c->live = false;
    c->cb(c->arg, result, reply, reply ? strlen(reply) : 0);
    return true;
}

static inline bool fake_connect_done(fake_runtime *f, int result)
{
    return fake_connect_reply(f, result, NULL);
}

static void fake_free(pm_runtime *rt)
{
    fake_runtime *f = (fake_runtime *)rt;
    while (f->ntimers)
        fake_timer_drop(f, f->timers[0]);
    for (size_t i = 0; i < f->nconnects; i++)
        free(f->connects[i]);
    f->nconnects = 0;
}

static const struct pm_runtime_ops fake_ops = {
    fake_now, fake_timer_start, fake_timer_cancel, fake_spawn, fake_kill_fn, fake_signal_leftovers, fake_hold_output,
    fake_forget, fake_connect, fake_connect_cancel, fake_free, NULL /* write_input: no stdin pipes */
};

static inline void fake_init(fake_runtime *f)
{
    memset(f, 0, sizeof *f);
    f->base.ops = &fake_ops;
    f->now = 100; /* not zero, so a forgotten start time shows */
}

/* Moves the clock forward by dt, firing due timers in time order. */
static inline void fake_advance(fake_runtime *f, double dt)
{
    double end = f->now + dt;
    for (;;) {
        pm_timer *next = NULL;
        for (size_t i = 0; i < f->ntimers; i++)
            if (f->timers[i]->at <= end && (!next || f->timers[i]->at < next->at))
                next = f->timers[i];
        if (!next)
            break;
        f->now = next->at;
        pm_timer_cb cb = next->cb;
        void *arg = next->arg;
        fake_timer_drop(f, next);
        cb(arg);
    }
    f->now = end;
}

static inline fake_child *fake_child_of(fake_runtime *f, pid_t pid)
{
    for (size_t i = 0; i < f->nchildren; i++)
        if (f->children[i].pid == pid)
            return &f->children[i];
    return NULL;
}

static inline fake_child *fake_last_child(fake_runtime *f)
{
    return f->nchildren ? &f->children[f->nchildren - 1] : NULL;
}

/* A deferred spawn is through: the child runs. */
static inline void fake_spawned(fake_child *c)
{
    c->pending = false;
    c->cbs->started(c->arg, c->pid);
}

/* A deferred spawn failed (err an errno); nothing runs. */
static inline void fake_spawn_fails(fake_child *c, int err, const char *message)
{
    c->pending = false;
    c->alive = false;
    c->cbs->spawn_failed(c->arg, err, message);
}

/* The child's exit, then the loop's next turn: what is due at once runs
 * (a restart "at once" is a zero-delay timer, as in the real loop). */
static inline void fake_exit(fake_runtime *f, pid_t pid, int wait_status)
{
    fake_child *c = fake_child_of(f, pid);
    c->alive = false;
    c->cbs->exited(c->arg, wait_status);
    fake_advance(f, 0);
}

/* What the child sent to $NOTIFY_SOCKET (or wrote to its ready fd). */
static inline void fake_notify(fake_runtime *f, pid_t pid, const char *text)
{
    fake_child *c = fake_child_of(f, pid);
    c->cbs->notify(c->arg, text, strlen(text));
}

#define EXIT_CODE(code) ((code) << 8)
#define KILLED_BY(sig) (sig)

#endif
