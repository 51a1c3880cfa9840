/* What procmon tells the service manager that started it (systemd's
 * Type=notify, or anything that sets $NOTIFY_SOCKET): READY=1 once every
 * program has settled (running, or given up, exited, stopped), STATUS=
 * with the count of each state, RELOADING=1 and READY=1 around a reload,
 * STOPPING=1 at shutdown, and WATCHDOG=1 at half the watchdog period
 * while the loop turns. */
#ifndef PM_MANAGER_H
#define PM_MANAGER_H

#include "logstream.h"
#include "procmon.h"

#include <uv.h>

typedef struct pm_manager pm_manager;

/* 0 with *out NULL when no manager listens ($NOTIFY_SOCKET unset); else
 * the manager's link, which takes $NOTIFY_SOCKET and $WATCHDOG_* out of
 * the environment.  -errno with one line in err. */
int pm_manager_new(uv_loop_t *loop, pm_logstream *log, pm_manager **out, char *err, size_t errlen);
/* The monitor whose processes it counts, once there is one. */
void pm_manager_watch(pm_manager *m, const pm_monitor *mon);
/* A process changed state: looked at again by pm_manager_flush. */
void pm_manager_changed(pm_manager *m);
/* Once a loop turn: READY=1 when everything has settled since the start
 * or the last reload, STATUS= when the counts changed. */
void pm_manager_flush(pm_manager *m);
void pm_manager_reloading(pm_manager *m);
void pm_manager_stopping(pm_manager *m);
/* Before the loop's last turn, which finishes closing its timer. */
void pm_manager_free(pm_manager *m);

/* "12 running, 1 backoff" (states in their enum's order, only those with
 * processes; "no programs" for none) into buf, for tests. */
void pm_manager_status_line(const size_t counts[PM_STATE_FATAL + 1], char *buf, size_t len);

#endif
