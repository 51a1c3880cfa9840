/* One try of a check on a process: a connect to a TCP or unix socket, an
 * HTTP GET, or a command run as the process is run (its user, group,
 * environment, directory and umask) through /bin/sh -c.  The result comes
 * on a later turn of the loop, never before pm_check_start returns. */
#ifndef PM_CHECK_H
#define PM_CHECK_H

#include "runtime.h"

typedef enum {
    PM_CHECK_TCP,  /* "HOST:PORT" */
    PM_CHECK_UNIX, /* a socket's path */
    PM_CHECK_EXEC, /* a command for /bin/sh -c */
    PM_CHECK_HTTP  /* "http://HOST[:PORT][/PATH]" or "http://unix:SOCKET:[/PATH]" (as nginx
                      writes it): a GET whose status is 2xx or 3xx */
} pm_check_kind;

typedef struct pm_check pm_check;

/* ok, and one line saying what happened ("exit status 1", "connect:
 * Connection refused", "HTTP 503", "timed out after 5s", or the command's
 * last line of output).  Valid during the call only. */
typedef void (*pm_check_cb)(void *arg, bool ok, const char *detail);

/* A try still going after `timeout` seconds fails (a command is killed,
 * with its group).  0 and *out, or a negative errno (nothing will be
 * called back). */
int pm_check_start(pm_runtime *rt, pm_check_kind kind, const char *target, const pm_spec *as,
                   double timeout, pm_check_cb cb, void *arg, pm_check **out);
/* No callback comes any more; a command still running is killed. */
void pm_check_cancel(pm_check *c);
/* Whether target can work for kind: 0, or -EINVAL with one line in err. */
int pm_check_target_ok(pm_check_kind kind, const char *target, char *err, size_t errlen);

#endif
