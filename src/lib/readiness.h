/* Watching a started process become ready, for the kinds the monitor
 * tries itself: TCP, UNIX and EXEC (one try at a time, every
 * ready_interval, each try bounded by the interval's time left before the
 * ready timeout) and LOG (its output lines, matched as they come).  NOTIFY
 * and FD are the runtime's: they come through pm_child_cbs.notify. */
#ifndef PM_READINESS_H
#define PM_READINESS_H

#include "runtime.h"

typedef struct pm_readiness pm_readiness;

/* Runs once, when the process is ready; `how` says what was seen. */
typedef void (*pm_ready_cb)(void *arg, const char *how);

/* 0 and *out, trying at once; -ENOMEM, or -EINVAL with one line in err
 * for a target that cannot work (a regex that does not compile, a TCP
 * target without a port). */
int pm_readiness_start(pm_runtime *rt, const pm_spec *spec, pm_ready_cb cb, void *arg,
                       pm_readiness **out, char *err, size_t errlen);
/* LOG: one line of the process's output, without its newline. */
void pm_readiness_line(pm_readiness *r, const char *data, size_t len);
/* What the last try said ("connect: Connection refused", "exit status 1"),
 * or "" before the first one has finished. */
const char *pm_readiness_last(const pm_readiness *r);
/* Stops trying and frees it (NULL: nothing). */
void pm_readiness_stop(pm_readiness *r);
/* Checks a spec's readiness settings: 0, or -EINVAL with one line in err. */
int pm_readiness_check_spec(const pm_spec *spec, char *err, size_t errlen);

#endif
