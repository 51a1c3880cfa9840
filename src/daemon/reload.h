/* Reload: re-reads the config file and brings the running programs in line
 * with it.  Above the daemon's core, which reaches it only through the
 * callback it is handed (pm_daemon_settings.reload, for SIGHUP); the
 * `reload` request calls it from requests.c. */
#ifndef PM_RELOAD_H
#define PM_RELOAD_H

#include "daemon.h"

/* Re-reads the config file and applies it; answers req (may be NULL). */
void pm_reload(pm_daemon *d, pm_request *req);

#endif
