/* When procmon ends on its own, and with what status: `procmon run
 * --exit-with-child`, `--exit-on-fatal` and `--exit-when-all-exited`.
 * Without any of them it runs until it is told to stop. */
#ifndef PM_EXITPOLICY_H
#define PM_EXITPOLICY_H

#include "procmon.h"

#include <stddef.h>

enum {
    PM_EXIT_WITH_CHILD = 1, /* the one program's exit ends procmon, with its status */
    PM_EXIT_ON_FATAL = 2,   /* a program gave up: stop the rest, exit 1 */
    PM_EXIT_ALL_EXITED = 4, /* nothing runs or will run again: exit 0, or 1 if one failed */
};

/* The status a program's end makes procmon exit with under `policy`, with
 * why in `why`; -1 when procmon goes on. */
int pm_exit_status_for_event(unsigned policy, const pm_event *ev, char *why, size_t len);
/* Under PM_EXIT_ALL_EXITED: once no process runs, starts, stops or waits
 * to restart, 0 when every one that ended ended as expected (an expected
 * exit code, not fatal), else 1; -1 while something may still run. */
int pm_exit_status_when_all_exited(unsigned policy, const pm_monitor *mon, char *why, size_t len);

#endif
