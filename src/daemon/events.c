/* supervisord's event listener protocol: pools, their buffers, the
 * envelopes sent and the answers read, as supervisord's EventListenerPool
 * and PEventListenerDispatcher behave. */
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventtypes.h"
#include "namespec.h"
#include "strbuild.h"

#define TICK_EVERY 5 /* seconds: the shortest TICK period, and the timer's */

typedef struct sv_event {
    int refs;
    pm_sv_event type;
    unsigned long serial;
    char *payload;
    size_t len;
} sv_event;

typedef struct queued {
    sv_event *ev;
    unsigned long pool_serial;
} queued;

typedef struct pool {
    char *name;
    unsigned types;
    size_t buffer_size;
    queued *buffer; /* oldest first */
    size_t count;
    unsigned long serial;
    struct pool *next;
} pool;

enum { ACKNOWLEDGED, READY, BUSY, UNKNOWN }; /* supervisord's EventListenerStates */

struct pm_listener {
    pool *pool;
    int state;
    queued event; /* BUSY: the one it was sent */
    pm_strbuf in; /* what it wrote, not yet understood */
    long long result_len; /* BUSY: the RESULT's length once its line is in; -1 before */
};

struct pm_events {
    pm_daemon *d;
    pool *pools;
    unsigned long serial;
    uv_timer_t tick;
    bool ticking;
    long last_tick[3]; /* the TICK_5, _60 and _3600 slices last seen */
};

static const char *const state_names[] = {"ACKNOWLEDGED", "READY", "BUSY", "UNKNOWN"};

/* ---- events ---- */

static void event_release(sv_event *ev)
{
    if (ev && --ev->refs == 0) {
        free(ev->payload);
        free(ev);
    }
}

/* Into the pool's buffer, at its end or (sent again) its head; when full
 * the oldest goes, as supervisord's _acceptEvent. */
static void accept_event(pm_events *e, pool *p, queued q, bool head)
{
    if (p->count >= p->buffer_size) {
        queued old = p->buffer[0];
        pm_logstream_message(e->d->log, "pool %s event buffer overflowed, discarding event %lu", p->name,
                             old.ev->serial);
        memmove(p->buffer, p->buffer + 1, (p->count - 1) * sizeof *p->buffer);
        p->count--;
        event_release(old.ev);
    }
    if (head) {
        memmove(p->buffer + 1, p->buffer, p->count * sizeof *p->buffer);
        p->buffer[0] = q;
    } else {
        p->buffer[p->count] = q;
    }
    p->count++;
}

typedef struct candidate {
    pool *p;
    pm_status found;
    bool any;
} candidate;

static void find_ready(void *arg, const pm_status *st)
{
    candidate *c = arg;
    const pm_procdata *pd = st->user_data;
    if (!c->any && pd && pd->listener && pd->listener->pool == c->p && pd->listener->state == READY &&
        st->state == PM_STATE_RUNNING) {
        c->found = *st;
        c->any = true;
    }
}

/* UTF-8 characters, as supervisord's len() of the payload counts them,
 * and Python listeners read them. */
static size_t characters(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Sends the pool's oldest events to its ready listeners while there are both. */
static void dispatch(pm_events *e, pool *p)
{
    while (p->count > 0) {
        candidate c = {.p = p};
        pm_monitor_foreach(e->d->mon, find_ready, &c);
        if (!c.any)
            return;
        queued q = p->buffer[0];
        const char *server = e->d->settings->identifier ? e->d->settings->identifier : "supervisor";
        char *envelope = NULL;
        int n = asprintf(&envelope, "ver:3.0 server:%s serial:%lu pool:%s poolserial:%lu eventname:%s len:%zu\n%s",
                         server, q.ev->serial, p->name, q.pool_serial, pm_sv_event_name(q.ev->type),
                         characters(q.ev->payload, q.ev->len), q.ev->payload);
        pm_listener *l = ((pm_procdata *)c.found.user_data)->listener;
        if (n < 0)
            return; /* out of memory: tried again at the next event or READY */
        int r = pm_monitor_write_input(e->d->mon, c.found.name, envelope, (size_t)n);
        free(envelope);
        if (r < 0) { /* its stdin is gone: it is on its way out */
            l->state = UNKNOWN;
            continue;
        }
        memmove(p->buffer, p->buffer + 1, (p->count - 1) * sizeof *p->buffer);
        p->count--;
        l->state = BUSY;
        l->event = q;
        l->result_len = -1;
    }
}

/* A new event of `type` for every pool that takes it. */
static void emit(pm_events *e, pm_sv_event type, const char *fmt, ...)
{
    bool wanted = false;
    for (pool *p = e->pools; p; p = p->next)
        wanted |= (p->types & PM_EV_BIT(type)) != 0;
    if (!wanted)
        return;
    sv_event *ev = calloc(1, sizeof *ev);
    va_list ap;
    va_start(ap, fmt);
    int n = ev ? vasprintf(&ev->payload, fmt, ap) : -1;
    va_end(ap);
    if (n < 0) {
        free(ev);
        pm_logstream_message(e->d->log, "out of memory: a %s event is lost", pm_sv_event_name(type));
        return;
    }
    ev->refs = 1;
    ev->type = type;
    ev->serial = e->serial++; /* from 0, as supervisord's serials */
    ev->len = (size_t)n;
    for (pool *p = e->pools; p; p = p->next) {
        if (!(p->types & PM_EV_BIT(type)))
            continue;
        ev->refs++;
        accept_event(e, p, (queued){ev, p->serial++}, false);
        dispatch(e, p);
    }
    event_release(ev);
}

/* ---- pools and listeners ---- */

static pool *pool_named(pm_events *e, const char *name)
{
    for (pool *p = e->pools; p; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

pm_listener *pm_listener_new(pm_events *e, const char *name, unsigned types, int buffer_size)
{
    pool *p = pool_named(e, name);
    if (!p) {
        if (!(p = calloc(1, sizeof *p)) || !(p->name = strdup(name))) {
            free(p);
            return NULL;
        }
        p->next = e->pools;
        e->pools = p;
    }
    size_t size = buffer_size > 0 ? (size_t)buffer_size : 1;
    if (size != p->buffer_size) { /* a new pool, or reloaded with another size */
        while (p->count > size) {
            event_release(p->buffer[0].ev);
            memmove(p->buffer, p->buffer + 1, --p->count * sizeof *p->buffer);
        }
        queued *b = realloc(p->buffer, size * sizeof *b);
        if (!b)
            return NULL;
        p->buffer = b;
        p->buffer_size = size;
    }
    p->types = types;
    pm_listener *l = calloc(1, sizeof *l);
    if (l)
        *l = (pm_listener){.pool = p, .state = ACKNOWLEDGED, .result_len = -1};
    pm_events_update_ticks(e);
    return l;
}

/* Its event (if it had one) goes back to the head of its pool's buffer. */
static void give_back(pm_events *e, pm_listener *l)
{
    if (!l->event.ev)
        return;
    accept_event(e, l->pool, l->event, true);
    l->event = (queued){0};
}

void pm_listener_free(pm_events *e, pm_listener *l)
{
    if (!l)
        return;
    give_back(e, l);
    free(l->in.buf);
    free(l);
}

/* supervisord's _change_listener_state, with its warning for UNKNOWN. */
static void change(pm_events *e, const char *name, pm_listener *l, int state)
{
    if (state == UNKNOWN && l->state != UNKNOWN)
        pm_logstream_message(e->d->log,
                             "%s: has entered the UNKNOWN state and will no longer receive events, this "
                             "usually indicates the process violated the eventlistener protocol",
                             name);
    else
        pm_logstream_debug(e->d->log, "%s: %s -> %s", name, state_names[l->state], state_names[state]);
    l->state = state;
}

static void consume(pm_listener *l, size_t n)
{
    memmove(l->in.buf, l->in.buf + n, l->in.len - n);
    l->in.len -= n;
}

/* The answer so far, as supervisord's handle_listener_state_change reads it. */
static void understand(pm_events *e, const char *name, pm_listener *l)
{
    static const char ready[] = "READY\n", result[] = "RESULT ";
    while (l->in.len > 0) {
        if (l->state == UNKNOWN) {
            l->in.len = 0;
        } else if (l->state == ACKNOWLEDGED) {
            if (l->in.len < sizeof ready - 1)
                return;
            if (memcmp(l->in.buf, ready, sizeof ready - 1) == 0) {
                change(e, name, l, READY);
                consume(l, sizeof ready - 1);
                dispatch(e, l->pool);
            } else {
                change(e, name, l, UNKNOWN);
            }
        } else if (l->state == READY) { /* it said something out of turn */
            change(e, name, l, UNKNOWN);
        } else if (l->result_len < 0) { /* BUSY: the RESULT line first */
            char *nl = memchr(l->in.buf, '\n', l->in.len);
            if (!nl)
                return;
            *nl = '\0';
            char *end;
            long long len = strncmp(l->in.buf, result, sizeof result - 1) == 0
                                ? strtoll(l->in.buf + sizeof result - 1, &end, 10) : -1;
            if (len < 0 || end == l->in.buf + sizeof result - 1 || *end) {
                pm_logstream_message(e->d->log, "%s: bad result line: '%s'", name, l->in.buf);
                change(e, name, l, UNKNOWN);
                give_back(e, l);
                dispatch(e, l->pool);
                continue;
            }
            l->result_len = len;
            consume(l, (size_t)(nl - l->in.buf) + 1);
        } else { /* BUSY: then that many bytes */
            if (l->in.len < (size_t)l->result_len)
                return;
            bool ok = l->result_len == 2 && memcmp(l->in.buf, "OK", 2) == 0; /* supervisord's default_handler */
            consume(l, (size_t)l->result_len);
            l->result_len = -1;
            if (ok) {
                pm_logstream_debug(e->d->log, "%s: event was processed", name);
                event_release(l->event.ev);
                l->event = (queued){0};
            } else {
                pm_logstream_message(e->d->log, "%s: event was rejected", name);
                give_back(e, l);
            }
            change(e, name, l, ACKNOWLEDGED);
        }
    }
}

/* ---- what the daemon tells ---- */

int pm_events_new(pm_daemon *d, pm_events **out)
{
    pm_events *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->d = d;
    uv_timer_init(&d->loop, &e->tick);
    e->tick.data = e;
    *out = e;
    return 0;
}

static void events_free(uv_handle_t *h)
{
    free(h->data);
}

void pm_events_free(pm_events *e)
{
    if (!e)
        return;
    for (pool *p = e->pools, *next; p; p = next) {
        next = p->next;
        for (size_t i = 0; i < p->count; i++)
            event_release(p->buffer[i].ev);
        free(p->buffer);
        free(p->name);
        free(p);
    }
    uv_close((uv_handle_t *)&e->tick, events_free);
}

static void state_event(pm_events *e, const pm_event *ev, pm_procdata *pd, pm_state from)
{
    static const pm_sv_event types[] = {
        [PM_STATE_STOPPED] = PM_EV_PROCESS_STATE_STOPPED, [PM_STATE_STARTING] = PM_EV_PROCESS_STATE_STARTING,
        [PM_STATE_RUNNING] = PM_EV_PROCESS_STATE_RUNNING, [PM_STATE_BACKOFF] = PM_EV_PROCESS_STATE_BACKOFF,
        [PM_STATE_STOPPING] = PM_EV_PROCESS_STATE_STOPPING, [PM_STATE_EXITED] = PM_EV_PROCESS_STATE_EXITED,
        [PM_STATE_FATAL] = PM_EV_PROCESS_STATE_FATAL};
    pm_status st;
    char buf[256];
    if (pm_monitor_status(e->d->mon, ev->name, &st) < 0)
        return;
    const char *group = pm_namespec_group(&st, buf, sizeof buf);
    const char *name = pm_namespec_name(&st, group);
    char head[600];
    snprintf(head, sizeof head, "processname:%s groupname:%s from_state:%s", name, group, pm_namespec_state(from));
    switch (ev->state) {
    case PM_STATE_STARTING:
    case PM_STATE_BACKOFF:
        emit(e, types[ev->state], "%s tries:%d", head, pd->backoff);
        break;
    case PM_STATE_EXITED:
        emit(e, types[ev->state], "%s expected:%d pid:%d", head,
             !ev->exit_signal && pm_spec_exitcode_expected(st.spec, ev->exit_status), (int)ev->pid);
        break;
    case PM_STATE_FATAL:
        emit(e, types[ev->state], "%s", head);
        break;
    default:
        emit(e, types[ev->state], "%s pid:%d", head, (int)ev->pid);
    }
}

void pm_events_process(pm_events *e, const pm_event *ev)
{
    pm_procdata *pd = ev->user_data;
    if (!e || !pd)
        return;
    if (pd->listener && ev->type == PM_EVENT_START) { /* a new run speaks from the start */
        pd->listener->in.len = 0;
        pd->listener->result_len = -1;
        pd->listener->state = ACKNOWLEDGED;
    } else if (pd->listener && ev->type == PM_EVENT_EXIT) {
        give_back(e, pd->listener); /* as supervisord's finish(): sent again */
    }
    if (ev->state == pd->sv_state)
        return;
    pm_state from = pd->sv_state;
    pd->sv_state = ev->state;
    if (ev->state == PM_STATE_BACKOFF) /* supervisord's backoff count, told as tries */
        pd->backoff++;
    state_event(e, ev, pd, from);
    if (ev->state == PM_STATE_RUNNING || ev->state == PM_STATE_FATAL)
        pd->backoff = 0;
    if (pd->listener && ev->state == PM_STATE_RUNNING)
        dispatch(e, pd->listener->pool); /* only now can it be sent events */
    if (pd->listener && ev->type == PM_EVENT_EXIT)
        dispatch(e, pd->listener->pool); /* to another, if one is ready */
}

void pm_events_output(pm_events *e, const pm_event *ev)
{
    pm_procdata *pd = ev->user_data;
    if (!e || !pd)
        return;
    if (pd->listener && ev->stream == PM_STDOUT) {
        for (size_t i = 0; i < ev->nlines; i++)
            if (pm_strbuf_add(&pd->listener->in, ev->lines[i].data, ev->lines[i].len) < 0 ||
                pm_strbuf_add(&pd->listener->in, "\n", 1) < 0)
                pd->listener->state = UNKNOWN; /* out of memory: its answers are lost */
        understand(e, ev->name, pd->listener);
        return;
    }
    pm_sv_event type = ev->stream == PM_STDERR ? PM_EV_PROCESS_LOG_STDERR : PM_EV_PROCESS_LOG_STDOUT;
    if (!(pd->log_events & PM_EV_BIT(type)))
        return;
    pm_strbuf data = {0};
    for (size_t i = 0; i < ev->nlines; i++)
        if (pm_strbuf_add(&data, ev->lines[i].data, ev->lines[i].len) < 0 || pm_strbuf_add(&data, "\n", 1) < 0)
            break;
    pm_status st;
    char buf[256];
    if (data.buf && pm_monitor_status(e->d->mon, ev->name, &st) == 0) {
        const char *group = pm_namespec_group(&st, buf, sizeof buf);
        emit(e, type, "processname:%s groupname:%s pid:%d channel:%s\n%s", pm_namespec_name(&st, group), group,
             (int)st.pid, ev->stream == PM_STDERR ? "stderr" : "stdout", data.buf);
    }
    free(data.buf);
}

void pm_events_supervisor(pm_events *e, bool running)
{
    if (e)
        emit(e, running ? PM_EV_SUPERVISOR_STATE_CHANGE_RUNNING : PM_EV_SUPERVISOR_STATE_CHANGE_STOPPING, "%s", "");
}

void pm_events_group(pm_events *e, const char *group, bool added)
{
    if (e)
        emit(e, added ? PM_EV_PROCESS_GROUP_ADDED : PM_EV_PROCESS_GROUP_REMOVED, "groupname:%s\n", group);
}

void pm_events_remote(pm_events *e, const char *type, const char *data, size_t len)
{
    if (e)
        emit(e, PM_EV_REMOTE_COMMUNICATION, "type:%s\n%.*s", type, (int)len, data);
}

/* ---- TICK_5, TICK_60, TICK_3600 ---- */

static const int periods[] = {5, 60, 3600};

/* Each period's slice of the wall clock, as supervisord's timeslice(). */
static void tick(uv_timer_t *t)
{
    pm_events *e = t->data;
    time_t now = time(NULL);
    for (size_t i = 0; i < 3; i++) {
        long slice = (long)(now - now % periods[i]);
        if (e->last_tick[i] && slice != e->last_tick[i])
            emit(e, (pm_sv_event)(PM_EV_TICK_5 + i), "when:%ld", slice);
        e->last_tick[i] = slice;
    }
    /* next at the next 5-second boundary, a little after it */
    uv_timer_start(&e->tick, tick, (uint64_t)(TICK_EVERY - now % TICK_EVERY) * 1000 + 10, 0);
}

void pm_events_update_ticks(pm_events *e)
{
    unsigned ticks = PM_EV_BIT(PM_EV_TICK_5) | PM_EV_BIT(PM_EV_TICK_60) | PM_EV_BIT(PM_EV_TICK_3600);
    bool wanted = false;
    for (pool *p = e->pools; p; p = p->next)
        wanted |= (p->types & ticks) != 0;
    if (wanted && !e->ticking) {
        e->ticking = true;
        memset(e->last_tick, 0, sizeof e->last_tick);
        tick(&e->tick); /* notes the slices now, and sends nothing yet */
    } else if (!wanted && e->ticking) {
        e->ticking = false;
        uv_timer_stop(&e->tick);
    }
}
