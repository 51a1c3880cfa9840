/* The state file's own thread: it writes the latest text it was given,
 * and a uv_async_t brings the result back to the loop's thread. */
#include "statewriter.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "statefile.h"

struct pm_statewriter {
    uv_async_t wake_loop;
    const char *path;
    pm_statewriter_cb done;
    void *arg;
    bool has_thread;
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake_thread;
    bool quit;
    char *pending; /* the next text to write, NULL: none */
    size_t pending_len;
    int result;    /* of the last write, not yet reported */
    bool written;  /* a write has ended since the last report */
};

static void *thread_main(void *arg)
{
    pm_statewriter *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->pending && !w->quit)
            pthread_cond_wait(&w->wake_thread, &w->lock);
        if (w->quit)
            break;
        char *text = w->pending;
        size_t len = w->pending_len;
        w->pending = NULL;
        pthread_mutex_unlock(&w->lock);
        int r = pm_state_write_text(w->path, text, len);
        free(text);
        pthread_mutex_lock(&w->lock);
        w->result = r;
        w->written = true;
        (void)uv_async_send(&w->wake_loop); /* cannot fail on a live handle */
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void report(uv_async_t *h)
{
    pm_statewriter *w = h->data;
    pthread_mutex_lock(&w->lock);
    bool written = w->written;
    int r = w->result;
    w->written = false;
    pthread_mutex_unlock(&w->lock);
    if (written)
        w->done(w->arg, r);
}

/* With every signal blocked, so that they all go to the loop's thread. */
static bool thread_start(pm_statewriter *w)
{
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
        return false;
    bool ok = pthread_create(&w->thread, NULL, thread_main, w) == 0;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

int pm_statewriter_new(uv_loop_t *loop, const char *path, pm_statewriter_cb done, void *arg,
                       pm_statewriter **out)
{
    pm_statewriter *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->path = path;
    w->done = done;
    w->arg = arg;
    int e = pthread_mutex_init(&w->lock, NULL);
    if (e) {
        free(w);
        return -e;
    }
    if ((e = pthread_cond_init(&w->wake_thread, NULL))) {
        pthread_mutex_destroy(&w->lock);
        free(w);
        return -e;
    }
    int r = uv_async_init(loop, &w->wake_loop, report);
    if (r < 0) {
        pthread_cond_destroy(&w->wake_thread);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return r;
    }
    w->wake_loop.data = w;
    w->has_thread = thread_start(w);
    *out = w;
    return 0;
}

void pm_statewriter_submit(pm_statewriter *w, char *text, size_t len)
{
    if (!w->has_thread) {
        int r = pm_state_write_text(w->path, text, len);
        free(text);
        w->done(w->arg, r);
        return;
    }
    pthread_mutex_lock(&w->lock);
    free(w->pending);
    w->pending = text;
    w->pending_len = len;
    pthread_cond_signal(&w->wake_thread);
    pthread_mutex_unlock(&w->lock);
}

static void closed(uv_handle_t *h)
{
    pm_statewriter *w = h->data;
    free(w->pending); /* submitted after the thread had ended */
    pthread_cond_destroy(&w->wake_thread);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void pm_statewriter_close(pm_statewriter *w)
{
    if (!w)
        return;
    if (w->has_thread) {
        pthread_mutex_lock(&w->lock);
        w->quit = true;
        pthread_cond_signal(&w->wake_thread);
        pthread_mutex_unlock(&w->lock);
        (void)pthread_join(w->thread, NULL);
    }
    uv_close((uv_handle_t *)&w->wake_loop, closed);
}
