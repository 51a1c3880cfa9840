/* The control requests of doc/protocol.md, answered with the daemon's
 * monitor.  Above the daemon's core, which reaches it only through the
 * handler it is handed (pm_daemon_settings.handle_request). */
#ifndef PM_REQUESTS_H
#define PM_REQUESTS_H

#include "daemon.h"

/* A pm_request_handler (control.h); daemon is the pm_daemon. */
void pm_handle_request(void *daemon, pm_request *req, pm_cmd cmd, json_t *msg);

#endif
