/* The real runtime on libuv: timers, our own spawn (on the spawner's
 * thread), output pipes split into lines, and one waitpid(-1) loop on
 * SIGCHLD with a pid table, so that an exit costs the same however many
 * children there are. */
#include "connect_uv.h"
#include "lines.h"
#include "notify_socket.h"
#include "runtime.h"
#include "spawn.h"
#include "spawner.h"
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#define READ_CHUNK (64 * 1024)
/* A pipe that (nearly) fills the read buffer belongs to a heavy writer, even
 * one whose writes are a little short of the buffer's size: it is grown
 * once to this size, so the writer blocks and wakes us 16 times less often.
 * Only then, since the kernel counts every pipe's size against the user's
 * pipe-user-pages-soft (a user over it gets tiny new pipes). */
#define HEAVY_PIPE_SIZE (1024 * 1024)
#define DRAIN_LIMIT (1024 * 1024) /* what is read at exit before reporting it */

typedef struct uv_runtime uv_runtime;

typedef struct child child;

typedef struct child_stream {
    uv_pipe_t pipe;
    child *owner;
    pm_lines lines;
    pm_stream which;
    bool open;
    bool grown;           /* HEAVY_PIPE_SIZE tried */
} child_stream;

struct child {
    uv_runtime *rt;
    pid_t pid;            /* 0 while it is being spawned */
    const pm_child_cbs *cbs;
    void *arg;            /* NULL once the monitor has forgotten it */
    pm_spawn_job job;     /* while it is being spawned */
    child_stream out, err;
    uv_pipe_t ready_pipe; /* spec.ready FD: what it writes to its ready_fd */
    bool ready_open;
    uv_pipe_t input;      /* spec.stdin_pipe: its stdin's writing end */
    bool input_open;
    bool held;            /* its output is not read for now */
    bool reaped;
    int open_handles;
    struct child *next_in_bucket;
    struct child *prev, *next; /* every child not yet freed */
};

struct pm_timer {
    uv_timer_t handle;
    pm_timer_cb cb;
    void *arg;
};

/* A child reaped before its spawn was handed back to us. */
typedef struct early_exit {
    pid_t pid;
    int status;
} early_exit;

/* A notification from a child (or its group: pid is the group's id) whose
 * spawn was not handed back yet: a child can send one before that, when
 * the loop is slow to hear from the spawner. */
typedef struct early_note {
    pid_t pid;
    char *text;
    size_t len;
} early_note;
#define EARLY_NOTES_MAX 64

struct uv_runtime {
    pm_runtime base;
    uv_loop_t *loop;
    uv_signal_t sigchld;
    pm_spawner *spawner;
    child **buckets; /* pid table: only children not yet reaped */
    size_t nbuckets, nchildren;
    child *all;
    early_exit *early; /* while the spawner is busy */
    size_t nearly, capearly;
    early_note notes[EARLY_NOTES_MAX]; /* while the spawner is busy */
    size_t nnotes;
    pm_notify_socket *notify; /* made at the first spawn with ready = notify */
    void (*on_stray)(void *arg, pid_t sender, unsigned long long dropped);
    void *on_stray_arg;
    void (*on_orphan)(void *arg, pid_t pid, int wait_status);
    void *on_orphan_arg;
    bool sigchld_closed, spawner_closed, notify_closed;
    char readbuf[READ_CHUNK];
};

static void child_release(child *c);
static void rt_maybe_free(uv_runtime *rt);

/* ---- clock and timers ---- */

static double rt_now(pm_runtime *base)
{
    (void)base;
    return (double)uv_hrtime() / 1e9;
}

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void timer_fired(uv_timer_t *h)
{
    pm_timer *t = h->data;
    pm_timer_cb cb = t->cb;
    void *arg = t->arg;
    uv_close((uv_handle_t *)h, timer_closed);
    cb(arg);
}

static pm_timer *rt_timer_start(pm_runtime *base, double delay, pm_timer_cb cb, void *arg)
{
    uv_runtime *rt = (uv_runtime *)base;
    pm_timer *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->cb = cb;
    t->arg = arg;
    uv_timer_init(rt->loop, &t->handle);
    t->handle.data = t;
    uv_update_time(rt->loop);
    /* Never before the delay: rounded up, and one more millisecond, since
     * libuv counts from its loop time, whole milliseconds truncated (up to
     * one behind the clock the monitor reads). */
    uint64_t ms = delay <= 0 ? 0 : (uint64_t)(delay * 1000 + 0.999) + 1;
    uv_timer_start(&t->handle, timer_fired, ms, 0);
    return t;
}

static void rt_timer_cancel(pm_runtime *base, pm_timer *t)
{
    (void)base;
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, timer_closed);
}

/* ---- the pid table ---- */

static size_t bucket_of(const uv_runtime *rt, pid_t pid)
{
    return (size_t)pid & (rt->nbuckets - 1);
}

static int table_grow(uv_runtime *rt)
{
    size_t n = rt->nbuckets ? rt->nbuckets * 2 : 256;
    child **buckets = calloc(n, sizeof *buckets);
    if (!buckets)
        return -ENOMEM;
    for (size_t i = 0; i < rt->nbuckets; i++) {
        for (child *c = rt->buckets[i], *next; c; c = next) {
            next = c->next_in_bucket;
            size_t b = (size_t)c->pid & (n - 1);
            c->next_in_bucket = buckets[b];
            buckets[b] = c;
        }
    }
    free(rt->buckets);
    rt->buckets = buckets;
    rt->nbuckets = n;
    return 0;
}

static void table_put(uv_runtime *rt, child *c)
{
    size_t b = bucket_of(rt, c->pid);
    c->next_in_bucket = rt->buckets[b];
    rt->buckets[b] = c;
    rt->nchildren++;
}

static child *table_find(const uv_runtime *rt, pid_t pid)
{
    if (!rt->nbuckets || pid <= 0)
        return NULL;
    for (child *c = rt->buckets[bucket_of(rt, pid)]; c; c = c->next_in_bucket)
        if (c->pid == pid)
            return c;
    return NULL;
}

static child *table_take(uv_runtime *rt, pid_t pid)
{
    if (!rt->nbuckets)
        return NULL;
    for (child **p = &rt->buckets[bucket_of(rt, pid)]; *p; p = &(*p)->next_in_bucket) {
        if ((*p)->pid == pid) {
            child *c = *p;
            *p = c->next_in_bucket;
            rt->nchildren--;
            return c;
        }
    }
    return NULL;
}

/* ---- output ---- */

/* The lines of one read go to the monitor together, in batches of up to
 * BATCH_LINES.  The batch lives on the stack of the read that fills it, so a
 * callback that reads another child's output has a batch of its own. */
#define BATCH_LINES 512

typedef struct batch {
    child_stream *s;
    uintptr_t from, to; /* the data read: lines inside it stay valid */
    size_t n;
    pm_line lines[BATCH_LINES];
} batch;

static void batch_init(batch *b, child_stream *s, const char *data, size_t len)
{
    b->s = s;
    b->from = (uintptr_t)data;
    b->to = (uintptr_t)data + len;
    b->n = 0;
}

static void batch_flush(batch *b)
{
    child *c = b->s->owner;
    if (b->n > 0 && c->arg)
        c->cbs->output(c->arg, b->s->which, b->lines, b->n);
    b->n = 0;
}

/* A line the splitter completed in its own buffer goes at once: that
 * buffer is reused for the next partial line. */
static void batch_line(void *arg, const char *line, size_t len)
{
    batch *b = arg;
    b->lines[b->n++] = (pm_line){line, len};
    if (b->n == BATCH_LINES || (uintptr_t)line < b->from || (uintptr_t)line >= b->to)
        batch_flush(b);
}

static void handle_closed(uv_handle_t *h)
{
    child *c = h->data;
    if (--c->open_handles == 0 && c->reaped)
        child_release(c);
}

static void stream_close(child_stream *s)
{
    if (!s->open)
        return;
    s->open = false;
    batch b;
    batch_init(&b, s, NULL, 0);
    pm_lines_finish(&s->lines, batch_line, &b);
    uv_close((uv_handle_t *)&s->pipe, handle_closed);
}

static void stream_feed(child_stream *s, const char *data, size_t len)
{
    batch b;
    batch_init(&b, s, data, len);
    if (pm_lines_feed(&s->lines, data, len, batch_line, &b) < 0) {
        batch_flush(&b);
        batch_init(&b, s, NULL, 0);
        pm_lines_finish(&s->lines, batch_line, &b); /* out of memory: flush what we have */
    }
    batch_flush(&b);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    child *c = h->data;
    *buf = uv_buf_init(c->rt->readbuf, sizeof c->rt->readbuf);
}

/* Best effort: refused (EPERM over the user's limit), the pipe keeps its size. */
static void grow_pipe(child_stream *s)
{
    uv_os_fd_t fd;
    s->grown = true;
    if (uv_fileno((uv_handle_t *)&s->pipe, &fd) == 0)
        (void)fcntl(fd, F_SETPIPE_SZ, HEAVY_PIPE_SIZE);
}

static void read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    child *c = h->data;
    child_stream *s = (uv_pipe_t *)h == &c->out.pipe ? &c->out : &c->err;
    if (nread >= READ_CHUNK * 3 / 4 && !s->grown)
        grow_pipe(s);
    if (nread > 0)
        stream_feed(s, buf->base, (size_t)nread);
    else if (nread < 0) /* EOF, or an error that ends the stream just the same */
        stream_close(s);
}

/* Reads what is already in the pipe, so that a child's last words are
 * logged before its exit. */
static void stream_drain(child_stream *s, char *buf, size_t bufsize)
{
    if (!s->open)
        return;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&s->pipe, &fd) < 0)
        return;
    for (size_t total = 0; total < DRAIN_LIMIT;) {
        ssize_t n = read(fd, buf, bufsize);
        if (n > 0) {
            stream_feed(s, buf, (size_t)n);
            total += (size_t)n;
        } else if (n == 0) {
            stream_close(s);
            return;
        } else if (errno != EINTR) {
            return; /* EAGAIN: nothing more for now */
        }
    }
}

static int stream_open(child *c, child_stream *s, pm_stream which, int fd)
{
    s->which = which;
    s->owner = c;
    pm_lines_init(&s->lines, PM_LINES_DEFAULT_MAX);
    int r = uv_pipe_init(c->rt->loop, &s->pipe, 0);
    if (r < 0) {
        close(fd);
        return r;
    }
    s->pipe.data = c;
    c->open_handles++;
    s->open = true;
    if ((r = uv_pipe_open(&s->pipe, fd)) < 0) {
        close(fd);
        stream_close(s);
        return r;
    }
    if (!c->held && (r = uv_read_start((uv_stream_t *)&s->pipe, alloc_cb, read_cb)) < 0) {
        stream_close(s);
        return r;
    }
    return 0;
}

/* ---- stdin (spec.stdin_pipe) ---- */

static void input_close(child *c)
{
    if (!c->input_open)
        return;
    c->input_open = false;
    uv_close((uv_handle_t *)&c->input, handle_closed); /* queued writes are cancelled */
}

static void input_open(child *c, int fd)
{
    if (uv_pipe_init(c->rt->loop, &c->input, 0) < 0) {
        close(fd); /* then it has a stdin nobody writes to */
        return;
    }
    c->input.data = c;
    c->open_handles++;
    c->input_open = true;
    if (uv_pipe_open(&c->input, fd) < 0) {
        close(fd);
        input_close(c);
    }
}

typedef struct input_write {
    uv_write_t req;
    char data[];
} input_write;

static void input_written(uv_write_t *req, int status)
{
    child *c = req->handle->data;
    if (status < 0 && status != UV_ECANCELED)
        input_close(c); /* it closed its stdin, or is gone */
    free(req);
}

static int rt_write_input(pm_runtime *base, pid_t pid, const char *data, size_t len)
{
    child *c = table_find((uv_runtime *)base, pid);
    if (!c || !c->input_open)
        return -EPIPE;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->input) > PM_INPUT_QUEUE_MAX)
        return -EAGAIN;
    input_write *w = malloc(sizeof *w + (len ? len : 1));
    if (!w)
        return -ENOMEM;
    memcpy(w->data, data, len);
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
    int r = uv_write(&w->req, (uv_stream_t *)&c->input, &buf, 1, input_written);
    if (r < 0) {
        free(w);
        input_close(c);
        return -EPIPE;
    }
    return 0;
}

/* ---- readiness: the FD kind's pipe, and the notify socket ---- */

static void ready_close(child *c)
{
    if (!c->ready_open)
        return;
    c->ready_open = false;
    uv_close((uv_handle_t *)&c->ready_pipe, handle_closed);
}

/* A newline means ready (s6's notification-fd); the pipe is done then. */
static void ready_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    child *c = h->data;
    if (nread > 0 && memchr(buf->base, '\n', (size_t)nread)) {
        if (c->arg && c->cbs->notify)
            c->cbs->notify(c->arg, "READY=1", 7);
        ready_close(c);
    } else if (nread < 0) {
        ready_close(c);
    }
}

static void ready_open(child *c, int fd)
{
    if (uv_pipe_init(c->rt->loop, &c->ready_pipe, 0) < 0) {
        close(fd); /* never ready then: its ready timeout tells */
        return;
    }
    c->ready_pipe.data = c;
    c->open_handles++;
    c->ready_open = true;
    if (uv_pipe_open(&c->ready_pipe, fd) < 0) {
        close(fd);
        ready_close(c);
    } else if (uv_read_start((uv_stream_t *)&c->ready_pipe, alloc_cb, ready_read) < 0) {
        ready_close(c);
    }
}

/* The child that sent it, or whose process group the sender is in (a
 * helper such as systemd-notify): each child leads its own.  *group: the
 * sender's group. */
static child *notify_sender(uv_runtime *rt, pid_t sender, pid_t *group)
{
    child *c = table_find(rt, sender);
    *group = sender > 0 ? getpgid(sender) : -1;
    if (!c && *group > 0)
        c = table_find(rt, *group);
    return c;
}

static void notify_stray(uv_runtime *rt, pid_t sender)
{
    if (rt->on_stray) /* counted first: this one is among them */
        rt->on_stray(rt->on_stray_arg, sender, pm_notify_socket_dropped(rt->notify) + 1);
}

static bool notify_deliver(void *arg, pid_t sender, const char *text, size_t len)
{
    uv_runtime *rt = arg;
    pid_t group;
    child *c = notify_sender(rt, sender, &group);
    if (!c && pm_spawner_busy(rt->spawner)) {
        pm_spawner_collect(rt->spawner); /* its spawn may be done, not yet handed back */
        c = notify_sender(rt, sender, &group);
    }
    if (c && c->arg && c->cbs->notify) {
        c->cbs->notify(c->arg, text, len);
        return true;
    }
    if (!c && group > 0 && pm_spawner_busy(rt->spawner) && rt->nnotes < EARLY_NOTES_MAX) {
        char *copy = malloc(len ? len : 1);
        if (copy) { /* told once its spawn is handed back */
            memcpy(copy, text, len);
            rt->notes[rt->nnotes++] = (early_note){group, copy, len};
            return true;
        }
    }
    notify_stray(rt, sender);
    return false;
}

/* The notifications kept for c, now that its spawn is handed back. */
static void early_notes_deliver(uv_runtime *rt, child *c)
{
    for (size_t i = 0; i < rt->nnotes;) {
        early_note n = rt->notes[i];
        if (n.pid != c->pid) {
            i++;
            continue;
        }
        rt->notes[i] = rt->notes[--rt->nnotes];
        if (c->arg && c->cbs->notify)
            c->cbs->notify(c->arg, n.text, n.len);
        free(n.text);
    }
}

/* Once the spawner is idle, a kept notification nobody claimed was a stray. */
static void early_notes_forget(uv_runtime *rt)
{
    while (rt->nnotes > 0 && !pm_spawner_busy(rt->spawner)) {
        early_note n = rt->notes[--rt->nnotes];
        free(n.text);
        notify_stray(rt, n.pid);
    }
}

/* NOTIFY_SOCKET in the job's own copy of the environment. */
static int notify_env_add(uv_runtime *rt, pm_spec *spec, char *errmsg, size_t errlen)
{
    int r;
    if (!rt->notify && (r = pm_notify_socket_open(rt->loop, notify_deliver, rt, &rt->notify,
                                                  errmsg, errlen)) < 0)
        return r;
    rt->notify_closed = false;
    size_t n = 0;
    while (spec->env && spec->env[n])
        n++;
    char **env = realloc(spec->env, (n + 2) * sizeof *env);
    if (!env)
        return -ENOMEM;
    spec->env = env;
    if (!(env[n] = strdup(pm_notify_socket_env(rt->notify))))
        return -ENOMEM;
    env[n + 1] = NULL;
    return 0;
}

/* ---- children ---- */

static void child_release(child *c)
{
    uv_runtime *rt = c->rt;
    if (c->prev)
        c->prev->next = c->next;
    else
        rt->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pm_lines_free(&c->out.lines);
    pm_lines_free(&c->err.lines);
    free(c);
    rt_maybe_free(rt);
}

/* Stops or resumes reading both of the child's pipes. */
static void child_hold(child *c, bool hold)
{
    c->held = hold;
    child_stream *streams[] = {&c->out, &c->err};
    for (size_t i = 0; i < 2; i++) {
        child_stream *s = streams[i];
        if (!s->open)
            continue;
        int r = hold ? uv_read_stop((uv_stream_t *)&s->pipe)
                     : uv_read_start((uv_stream_t *)&s->pipe, alloc_cb, read_cb);
        if (r < 0) /* cannot read it any more: that is its end */
            stream_close(s);
    }
}

static void child_reaped(child *c, int wait_status)
{
    /* The child is gone: what it wrote is all there is. */
    if (!c->held) { /* else what it left waits in its pipes, read once released */
        stream_drain(&c->out, c->rt->readbuf, sizeof c->rt->readbuf);
        stream_drain(&c->err, c->rt->readbuf, sizeof c->rt->readbuf);
    }
    c->reaped = true;
    ready_close(c);
    input_close(c);
    if (c->arg)
        c->cbs->exited(c->arg, wait_status);
    if (c->open_handles == 0)
        child_release(c);
}

/* ---- exits that come before their spawn is handed back ----
 *
 * The spawner's thread forks; we reap.  A child can exit, and be reaped
 * here, before the job that made it is handed back with its pid: such an
 * exit is kept until then.  A pid we do not know while the spawner is not
 * busy is an orphan (we are PID 1 or a subreaper), and so is any kept one
 * still unclaimed once it is no longer busy. */

static void early_keep(uv_runtime *rt, pid_t pid, int status)
{
    if (rt->nearly == rt->capearly) {
        size_t cap = rt->capearly ? rt->capearly * 2 : 16;
        early_exit *e = realloc(rt->early, cap * sizeof *e);
        if (!e)
            return; /* its child would be taken for one that runs on: as if never reaped */
        rt->early = e;
        rt->capearly = cap;
    }
    rt->early[rt->nearly++] = (early_exit){pid, status};
}

/* true with its status if pid's exit was kept. */
static bool early_take(uv_runtime *rt, pid_t pid, int *status)
{
    for (size_t i = 0; i < rt->nearly; i++) {
        if (rt->early[i].pid == pid) {
            *status = rt->early[i].status;
            rt->early[i] = rt->early[--rt->nearly];
            return true;
        }
    }
    return false;
}

static void orphan_reaped(uv_runtime *rt, pid_t pid, int status)
{
    if (rt->on_orphan)
        rt->on_orphan(rt->on_orphan_arg, pid, status);
}

static void early_forget_orphans(uv_runtime *rt)
{
    if (rt->nearly == 0 || pm_spawner_busy(rt->spawner))
        return;
    for (size_t i = 0; i < rt->nearly; i++)
        orphan_reaped(rt, rt->early[i].pid, rt->early[i].status);
    rt->nearly = 0;
}

static void on_sigchld(uv_signal_t *h, int signum)
{
    (void)signum;
    uv_runtime *rt = h->data;
    pm_spawner_collect(rt->spawner); /* the pids of what is finished first */
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR)
                continue;
            break; /* 0: none left that has exited; ECHILD: no children */
        }
        child *c = table_take(rt, pid);
        if (c)
            child_reaped(c, st);
        else if (pm_spawner_busy(rt->spawner))
            early_keep(rt, pid, st);
        else
            orphan_reaped(rt, pid, st); /* we are PID 1 or a subreaper */
    }
    early_forget_orphans(rt);
}

/* ---- spawning ---- */

static void child_link(uv_runtime *rt, child *c)
{
    c->next = rt->all;
    if (rt->all)
        rt->all->prev = c;
    rt->all = c;
}

/* A spawn handed back by the spawner, on the loop's thread. */
static void spawn_done(void *arg, pm_spawn_job *job)
{
    uv_runtime *rt = arg;
    child *c = (child *)((char *)job - offsetof(child, job));
    pm_spawned *s = &job->spawned;
    pm_spec_free(&job->spec); /* the thread is done with it */
    if (job->result < 0) { /* nothing runs */
        if (c->arg)
            c->cbs->spawn_failed(c->arg, -job->result, job->errmsg);
        c->reaped = true;
        child_release(c);
        return;
    }
    c->pid = s->pid;
    if (rt->nchildren >= rt->nbuckets)
        (void)table_grow(rt); /* else the chains grow longer: slower, not wrong */
    table_put(rt, c);
    if (s->exec_failed) {
        /* What is left of it is reaped without a word: the monitor hears
         * of the failure now, and nothing of the child after. */
        close(s->stdout_fd);
        close(s->stderr_fd);
        if (s->ready_fd >= 0)
            close(s->ready_fd);
        if (s->stdin_fd >= 0)
            close(s->stdin_fd);
        if (c->arg)
            c->cbs->spawn_failed(c->arg, s->exec_errno, job->errmsg);
        c->arg = NULL;
    } else {
        /* A handle that cannot be set up loses that output, not the
         * child: it is supervised all the same. */
        (void)stream_open(c, &c->out, PM_STDOUT, s->stdout_fd);
        (void)stream_open(c, &c->err, PM_STDERR, s->stderr_fd);
        if (s->ready_fd >= 0)
            ready_open(c, s->ready_fd);
        if (s->stdin_fd >= 0)
            input_open(c, s->stdin_fd);
        if (c->arg)
            c->cbs->started(c->arg, c->pid);
        early_notes_deliver(rt, c);
    }
    int status;
    if (early_take(rt, c->pid, &status)) {
        table_take(rt, c->pid);
        child_reaped(c, status);
    }
    early_forget_orphans(rt);
    early_notes_forget(rt);
}

static int rt_spawn(pm_runtime *base, const pm_spec *spec, const pm_child_cbs *cbs, void *arg,
                    char *errmsg, size_t errlen)
{
    uv_runtime *rt = (uv_runtime *)base;
    child *c = calloc(1, sizeof *c);
    if (!c || pm_spec_copy(&c->job.spec, spec) < 0) {
        free(c);
        snprintf(errmsg, errlen, "cannot start: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    int r = spec->ready == PM_READY_NOTIFY ? notify_env_add(rt, &c->job.spec, errmsg, errlen) : 0;
    if (r < 0) {
        if (r == -ENOMEM)
            snprintf(errmsg, errlen, "cannot start: %s", strerror(ENOMEM));
        pm_spec_free(&c->job.spec);
        free(c);
        return r;
    }
    c->rt = rt;
    c->cbs = cbs;
    c->arg = arg;
    child_link(rt, c);
    pm_spawner_submit(rt->spawner, &c->job);
    return 0;
}

static int rt_kill(pm_runtime *base, pid_t pid, int sig, bool group)
{
    (void)base;
    if (pid <= 0)
        return -ESRCH;
    /* The group may not exist yet (the child has not called setsid) or any
     * more (the leader is gone): then the process itself. */
    if (group && kill(-pid, sig) == 0)
        return 0;
    return kill(pid, sig) == 0 ? 0 : -errno;
}

static int rt_signal_leftovers(pm_runtime *base, pid_t pgid, int sig)
{
    (void)base;
    if (pgid <= 0 || kill(pgid, 0) == 0 || errno != ESRCH)
        return -ESRCH;
    return kill(-pgid, sig) == 0 ? 0 : -errno;
}

static void rt_hold_output(pm_runtime *base, void *arg, bool hold)
{
    uv_runtime *rt = (uv_runtime *)base;
    for (child *c = rt->all; c; c = c->next)
        if (c->arg == arg && c->held != hold)
            child_hold(c, hold);
}

static pm_connect *rt_connect(pm_runtime *base, const char *target, bool unix_socket,
                              const char *send, size_t send_len, pm_connect_cb cb, void *arg)
{
    return pm_connect_uv_start(((uv_runtime *)base)->loop, target, unix_socket, send, send_len, cb,
                               arg);
}

static void rt_connect_cancel(pm_runtime *base, pm_connect *c)
{
    (void)base;
    pm_connect_uv_cancel(c);
}

static void rt_forget(pm_runtime *base, void *arg)
{
    uv_runtime *rt = (uv_runtime *)base;
    for (child *c = rt->all; c; c = c->next) {
        if (c->arg != arg)
            continue;
        c->arg = NULL;
        if (c->held) /* nobody will release it: read on, into nowhere */
            child_hold(c, false);
    }
}

/* The runtime goes once its own handle and every child's are closed. */
static void rt_maybe_free(uv_runtime *rt)
{
    if (rt->sigchld_closed && rt->spawner_closed && rt->notify_closed && !rt->all) {
        free(rt->buckets);
        free(rt->early);
        for (size_t i = 0; i < rt->nnotes; i++)
            free(rt->notes[i].text);
        free(rt);
    }
}

static void sigchld_closed(uv_handle_t *h)
{
    uv_runtime *rt = h->data;
    rt->sigchld_closed = true;
    rt_maybe_free(rt);
}

static void notify_closed(void *arg)
{
    uv_runtime *rt = arg;
    rt->notify_closed = true;
    rt_maybe_free(rt);
}

static void spawner_closed(void *arg)
{
    uv_runtime *rt = arg;
    rt->spawner_closed = true;
    rt_maybe_free(rt);
}

static void rt_free(pm_runtime *base)
{
    uv_runtime *rt = (uv_runtime *)base;
    for (child *c = rt->all; c; c = c->next)
        c->arg = NULL;
    /* Every spawn asked for is handed back (as nobody's child) first. */
    pm_spawner_close(rt->spawner, spawner_closed, rt);
    for (child *c = rt->all, *next; c; c = next) {
        next = c->next;
        c->arg = NULL;
        c->reaped = true; /* nobody waits for it any more */
        bool idle = c->open_handles == 0;
        stream_close(&c->out);
        stream_close(&c->err);
        ready_close(c);
        input_close(c);
        if (idle)
            child_release(c);
    }
    if (rt->notify)
        pm_notify_socket_close(rt->notify, notify_closed, rt);
    uv_close((uv_handle_t *)&rt->sigchld, sigchld_closed);
}

static const struct pm_runtime_ops uv_ops = {
    rt_now, rt_timer_start, rt_timer_cancel, rt_spawn, rt_kill, rt_signal_leftovers, rt_hold_output, rt_forget,
    rt_connect, rt_connect_cancel, rt_free, rt_write_input,
};

int pm_runtime_uv_new(struct uv_loop_s *loop, pm_runtime **out)
{
    uv_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return -ENOMEM;
    rt->base.ops = &uv_ops;
    rt->loop = loop;
    rt->notify_closed = true; /* until it is made */
    int r = table_grow(rt);
    if (r < 0 || (r = pm_spawner_new(loop, spawn_done, rt, &rt->spawner)) < 0) {
        free(rt->buckets);
        free(rt);
        return r;
    }
    if ((r = uv_signal_init(loop, &rt->sigchld)) < 0) {
        rt->sigchld_closed = true;
        pm_spawner_close(rt->spawner, spawner_closed, rt);
        return r;
    }
    rt->sigchld.data = rt;
    if ((r = uv_signal_start(&rt->sigchld, on_sigchld, SIGCHLD)) < 0) {
        pm_spawner_close(rt->spawner, spawner_closed, rt);
        uv_close((uv_handle_t *)&rt->sigchld, sigchld_closed);
        return r;
    }
    *out = &rt->base;
    return 0;
}

void pm_runtime_uv_on_stray_notify(pm_runtime *base,
                                   void (*cb)(void *arg, pid_t sender, unsigned long long dropped),
                                   void *arg)
{
    uv_runtime *rt = (uv_runtime *)base;
    rt->on_stray = cb;
    rt->on_stray_arg = arg;
}

void pm_runtime_uv_on_orphan(pm_runtime *base, void (*cb)(void *arg, pid_t pid, int wait_status),
                             void *arg)
{
    uv_runtime *rt = (uv_runtime *)base;
    rt->on_orphan = cb;
    rt->on_orphan_arg = arg;
}

void pm_runtime_free(pm_runtime *rt)
{
    if (rt)
        rt->ops->free(rt);
}
