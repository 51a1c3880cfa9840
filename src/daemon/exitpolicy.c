/* When procmon ends on its own; see exitpolicy.h. */
#include "exitpolicy.h"

#include <stdio.h>

int pm_exit_status_for_event(unsigned policy, const pm_event *ev, char *why, size_t len)
{
    if ((policy & PM_EXIT_WITH_CHILD) && ev->type == PM_EVENT_EXIT) {
        /* As a shell and tini report it: 128+N for a death by signal N. */
        int status = ev->exit_signal ? 128 + ev->exit_signal : ev->exit_status;
        snprintf(why, len, "%s ended: exiting with its status, %d (--exit-with-child)", ev->name, status);
        return status;
    }
    if ((policy & PM_EXIT_WITH_CHILD) && ev->type == PM_EVENT_SPAWN_ERROR) {
        snprintf(why, len, "%s could not be run: exiting with 127 (--exit-with-child)", ev->name);
        return 127; /* as env(1) and the shells, for a command that cannot run */
    }
    if ((policy & PM_EXIT_ON_FATAL) && ev->type == PM_EVENT_FATAL) {
        snprintf(why, len, "%s is fatal: stopping every process and exiting with 1 (--exit-on-fatal)",
                 ev->name);
        return 1;
    }
    return -1;
}

typedef struct tally {
    size_t active, failed, total;
} tally;

static void tally_one(void *arg, const pm_status *st)
{
    tally *t = arg;
    t->total++;
    switch (st->state) {
    case PM_STATE_STOPPED:
        break;
    case PM_STATE_EXITED:
        if (st->exit_signal || !pm_spec_exitcode_expected(st->spec, st->exit_status))
            t->failed++;
        break;
    case PM_STATE_FATAL:
        t->failed++;
        break;
    default: /* starting, running, backoff, stopping */
        t->active++;
    }
}

int pm_exit_status_when_all_exited(unsigned policy, const pm_monitor *mon, char *why, size_t len)
{
    if (!(policy & PM_EXIT_ALL_EXITED))
        return -1;
    tally t = {0};
    pm_monitor_foreach(mon, tally_one, &t);
    if (t.active)
        return -1;
    if (t.failed)
        snprintf(why, len, "every process has ended, %zu of %zu not as expected: exiting with 1 "
                 "(--exit-when-all-exited)", t.failed, t.total);
    else
        snprintf(why, len, "every process has ended: exiting with 0 (--exit-when-all-exited)");
    return t.failed ? 1 : 0;
}
