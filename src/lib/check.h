/* One try of a check on a process: a connect to a TCP or unix socket, or
 * a command run as the process is run (its user, group, environment,
 * directory and umask) through /bin/sh -c.  The result comes on a later
 * turn of the loop, never before pm_check_start returns. */
#ifndef PM_CHECK_H
#define PM_CHECK_H

#include "runtime.h"

typedef struct pm_check pm_check;

/* ok, and one line saying what happened ("exit status 1", "connect:
 * Connection refused", "timed out after 5s", or the command's last line of
 * output).  Valid during the call only. */
typedef void (*pm_check_cb)(void *arg, bool ok, const char *detail);

/* kind is PM_READY_TCP, PM_READY_UNIX or PM_READY_EXEC; a try still going
 * after `timeout` seconds fails (a command is killed, with its group).
 * 0 and *out, or a negative errno (nothing will be called back). */
int pm_check_start(pm_runtime *rt, pm_ready_kind kind, const char *target, const pm_spec *as,
                   double timeout, pm_check_cb cb, void *arg, pm_check **out);
/* No callback comes any more; a command still running is killed. */
void pm_check_cancel(pm_check *c);

#endif
