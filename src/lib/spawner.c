/* Spawning off the event loop's thread: a queue, one thread that runs
 * pm_spawn for each job, and a uv_async_t that wakes the loop to take the
 * finished ones back.  The thread is started at the first job, so that a
 * runtime that never spawns has none. */
#include "spawner.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

/* A FIFO of jobs, linked through job->next. */
typedef struct job_list {
    pm_spawn_job *head, *tail;
} job_list;

struct pm_spawner {
    uv_async_t wake_loop;
    pm_spawner_done_cb done;
    void *arg;
    void (*closed)(void *arg);
    void *closed_arg;
    pthread_mutex_t lock;     /* guards everything below */
    pthread_cond_t wake_thread;
    bool has_thread, quit;
    pthread_t thread;
    job_list queued;          /* not yet taken up */
    job_list finished;        /* run, not yet handed back */
    size_t taken;             /* taken up and not yet handed back */
};

static void list_push(job_list *l, pm_spawn_job *job)
{
    job->next = NULL;
    if (l->tail)
        l->tail->next = job;
    else
        l->head = job;
    l->tail = job;
}

static pm_spawn_job *list_take_all(job_list *l)
{
    pm_spawn_job *head = l->head;
    l->head = l->tail = NULL;
    return head;
}

static void job_run(pm_spawn_job *job)
{
    job->result = pm_spawn(&job->spec, &job->spawned, job->errmsg, sizeof job->errmsg);
}

static void *thread_main(void *arg)
{
    pm_spawner *sp = arg;
    pthread_mutex_lock(&sp->lock);
    for (;;) {
        while (!sp->queued.head && !sp->quit)
            pthread_cond_wait(&sp->wake_thread, &sp->lock);
        if (sp->quit)
            break;
        pm_spawn_job *job = sp->queued.head;
        sp->queued.head = job->next;
        if (!sp->queued.head)
            sp->queued.tail = NULL;
        sp->taken++;
        pthread_mutex_unlock(&sp->lock);
        job_run(job);
        pthread_mutex_lock(&sp->lock);
        list_push(&sp->finished, job);
        (void)uv_async_send(&sp->wake_loop); /* cannot fail on a live handle */
    }
    pthread_mutex_unlock(&sp->lock);
    return NULL;
}

/* With every signal blocked, so that they all go to the loop's thread. */
static bool thread_start(pm_spawner *sp)
{
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
        return false;
    bool ok = pthread_create(&sp->thread, NULL, thread_main, sp) == 0;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

void pm_spawner_collect(pm_spawner *sp)
{
    pthread_mutex_lock(&sp->lock);
    pm_spawn_job *job = list_take_all(&sp->finished);
    pthread_mutex_unlock(&sp->lock);
    while (job) {
        pm_spawn_job *next = job->next;
        sp->done(sp->arg, job);
        /* Only now: until the caller knows the pid, its exit is not a stranger's. */
        pthread_mutex_lock(&sp->lock);
        sp->taken--;
        pthread_mutex_unlock(&sp->lock);
        job = next;
    }
}

static void woken(uv_async_t *h)
{
    pm_spawner_collect(h->data);
}

int pm_spawner_new(uv_loop_t *loop, pm_spawner_done_cb done, void *arg, pm_spawner **out)
{
    pm_spawner *sp = calloc(1, sizeof *sp);
    if (!sp)
        return -ENOMEM;
    sp->done = done;
    sp->arg = arg;
    int e = pthread_mutex_init(&sp->lock, NULL);
    if (e) {
        free(sp);
        return -e;
    }
    if ((e = pthread_cond_init(&sp->wake_thread, NULL))) {
        pthread_mutex_destroy(&sp->lock);
        free(sp);
        return -e;
    }
    int r = uv_async_init(loop, &sp->wake_loop, woken);
    if (r < 0) {
        pthread_cond_destroy(&sp->wake_thread);
        pthread_mutex_destroy(&sp->lock);
        free(sp);
        return r;
    }
    sp->wake_loop.data = sp;
    *out = sp;
    return 0;
}

void pm_spawner_submit(pm_spawner *sp, pm_spawn_job *job)
{
    pthread_mutex_lock(&sp->lock);
    if (!sp->has_thread)
        sp->has_thread = thread_start(sp); /* tried again at the next job */
    if (sp->has_thread) {
        list_push(&sp->queued, job);
        pthread_cond_signal(&sp->wake_thread);
        pthread_mutex_unlock(&sp->lock);
        return;
    }
    sp->taken++;
    pthread_mutex_unlock(&sp->lock);
    job_run(job);
    pthread_mutex_lock(&sp->lock);
    list_push(&sp->finished, job);
    pthread_mutex_unlock(&sp->lock);
    (void)uv_async_send(&sp->wake_loop);
}

bool pm_spawner_busy(pm_spawner *sp)
{
    pthread_mutex_lock(&sp->lock);
    bool busy = sp->taken > 0;
    pthread_mutex_unlock(&sp->lock);
    return busy;
}

static void handle_closed(uv_handle_t *h)
{
    pm_spawner *sp = h->data;
    void (*closed)(void *) = sp->closed;
    void *arg = sp->closed_arg;
    pthread_cond_destroy(&sp->wake_thread);
    pthread_mutex_destroy(&sp->lock);
    free(sp);
    if (closed)
        closed(arg);
}

void pm_spawner_close(pm_spawner *sp, void (*closed)(void *arg), void *arg)
{
    pthread_mutex_lock(&sp->lock);
    sp->quit = true;
    pthread_cond_signal(&sp->wake_thread);
    bool joined = sp->has_thread;
    pthread_mutex_unlock(&sp->lock);
    if (joined)
        (void)pthread_join(sp->thread, NULL);
    pm_spawner_collect(sp);
    for (pm_spawn_job *job = list_take_all(&sp->queued), *next; job; job = next) {
        next = job->next;
        job->result = -ECANCELED;
        sp->done(sp->arg, job);
    }
    sp->closed = closed;
    sp->closed_arg = arg;
    uv_close((uv_handle_t *)&sp->wake_loop, handle_closed);
}
