/* The monitor's tests' common fixture: a monitor on the fake runtime whose
 * events are recorded, and helpers to add, look at and end processes. */
#ifndef MONITOR_FIXTURE_H
#define MONITOR_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "fake_runtime.h"

#define EPS 0.001

typedef struct recorded {
    pm_event_type type;
    char name[32];
    pm_state state;
    double restart_in;
    bool removed;
    pid_t pid;
    pm_stream stream; /* OUTPUT, LINES */
    size_t len;       /* OUTPUT */
    size_t nlines;    /* LINES */
    double runtime;
    char message[160];
} recorded;

typedef struct fixture {
    fake_runtime rt;
    pm_monitor *mon;
    recorded events[512];
    size_t nevents;
    int done_calls;
    int done_result;
} fixture;

static inline void record(void *arg, const pm_event *ev)
{
    fixture *fx = arg;
    recorded *r = &fx->events[fx->nevents++ % 512];
    *r = (recorded){ev->type, "", ev->state, ev->restart_in, ev->removed, ev->pid,
                    ev->stream, ev->len, ev->nlines, ev->runtime, ""};
    snprintf(r->name, sizeof r->name, "%s", ev->name);
    snprintf(r->message, sizeof r->message, "%s", ev->message ? ev->message : "");
}

static inline void on_done(void *arg, int result)
{
    fixture *fx = arg;
    fx->done_calls++;
    fx->done_result = result;
}

static inline int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fake_init(&fx->rt);
    pm_options opts;
    pm_options_init(&opts);
    assert_int_equal(pm_monitor_new(&fx->rt.base, &opts, &fx->mon), 0);
    pm_monitor_set_event_cb(fx->mon, record, fx);
    *state = fx;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *fx = *state;
    pm_monitor_free(fx->mon);
    fake_free(&fx->rt.base);
    free(fx);
    return 0;
}

static char *argv_true[] = {"/bin/true", NULL};

/* The defaults, running /bin/true. */
static inline pm_spec spec_true(void)
{
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    return spec;
}

static inline void add(fixture *fx, const char *name)
{
    pm_spec spec = spec_true();
    assert_int_equal(pm_monitor_add(fx->mon, name, &spec), 0);
}

static inline pm_status status(fixture *fx, const char *name)
{
    pm_status st;
    assert_int_equal(pm_monitor_status(fx->mon, name, &st), 0);
    return st;
}

static inline size_t spawns(fixture *fx)
{
    return fx->rt.nchildren;
}

static inline pid_t pid_of(fixture *fx, const char *name)
{
    return status(fx, name).pid;
}

/* Lets the process live `lived` seconds, then ends it with exit code 1. */
static inline void live_and_die(fixture *fx, const char *name, double lived)
{
    fake_advance(&fx->rt, lived);
    fake_exit(&fx->rt, pid_of(fx, name), EXIT_CODE(1));
}

static inline size_t kills_of(fixture *fx, int sig)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->rt.nkills; i++)
        n += fx->rt.kills[i].sig == sig;
    return n;
}

static inline void add_spec(fixture *fx, const char *name, const pm_spec *spec)
{
    assert_int_equal(pm_monitor_add(fx->mon, name, spec), 0);
}

/* The index of the last event of that type, or -1. */
static inline int last_event(fixture *fx, pm_event_type type)
{
    for (size_t i = fx->nevents; i-- > 0;)
        if (fx->events[i].type == type)
            return (int)i;
    return -1;
}

#endif
