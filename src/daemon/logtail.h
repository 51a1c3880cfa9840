/* Following a log over HTTP, as supervisord's /logtail and /mainlogtail. */
#ifndef PM_LOGTAIL_H
#define PM_LOGTAIL_H

#include "daemon.h"

/* Answers GET /logtail/NAME[/stdout|stderr] or /mainlogtail with a stream
 * that goes on until the client leaves (404 for an unknown process or
 * channel, or /mainlogtail without a log file). */
void pm_logtail_handle(pm_daemon *d, pm_http_request *req);

#endif
