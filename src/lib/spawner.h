/* Spawning off the event loop's thread.  A spawn waits in vfork until the
 * child has exec'd (0.4-0.5 ms, several under the sanitizers), and a wave
 * of them would hold the loop for as long: the control socket, signals and
 * output would wait.  Jobs are queued to a thread that runs pm_spawn (a
 * vfork there suspends only that thread), and each finished job is handed
 * back on the loop's thread, in the order of the queue. */
#ifndef PM_SPAWNER_H
#define PM_SPAWNER_H

#include <stdbool.h>
#include <uv.h>

#include "procmon.h"
#include "spawn.h"

typedef struct pm_spawner pm_spawner;

typedef struct pm_spawn_job {
    pm_spec spec;        /* the job's own copy, read by the thread */
    int result;          /* pm_spawn's: 0, or a negative errno (nothing runs) */
    pm_spawned spawned;  /* when result is 0 */
    char errmsg[256];    /* pm_spawn's message */
    struct pm_spawn_job *next; /* the spawner's */
} pm_spawn_job;

/* Called on the loop's thread with each finished job, which is the
 * caller's again.  result -ECANCELED: never run (the spawner was closed). */
typedef void (*pm_spawner_done_cb)(void *arg, pm_spawn_job *job);

int pm_spawner_new(uv_loop_t *loop, pm_spawner_done_cb done, void *arg, pm_spawner **out);
/* Queues a job.  Should no thread be had (a process limit), the job is run
 * at once on the caller's thread instead, and handed back all the same. */
void pm_spawner_submit(pm_spawner *sp, pm_spawn_job *job);
/* Hands back the jobs finished so far, now. */
void pm_spawner_collect(pm_spawner *sp);
/* Whether a job has been taken up and not yet handed back: its child may
 * exist, and even have exited, before the caller knows its pid. */
bool pm_spawner_busy(pm_spawner *sp);
/* Waits for the job being run, hands back every job (those never run with
 * -ECANCELED), and frees the spawner once its handle has closed, then
 * calls closed(arg). */
void pm_spawner_close(pm_spawner *sp, void (*closed)(void *arg), void *arg);

#endif
