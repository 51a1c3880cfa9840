/* Creating one child process: its own session and process group, user,
 * groups, directory, umask, environment and stdio pipes, with any failure
 * between fork and exec reported back through a close-on-exec pipe. */
#ifndef PM_SPAWN_H
#define PM_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "procmon.h"

typedef struct pm_spawned {
    pid_t pid;
    int stdout_fd, stderr_fd; /* read ends of the child's stdout/stderr pipes: O_CLOEXEC|O_NONBLOCK */
    int report_fd;            /* read end of the failure-report pipe: O_CLOEXEC|O_NONBLOCK */
} pm_spawned;

/* Forks and execs spec->argv.  Returns 0, or a negative errno with a
 * one-line reason in errmsg (e.g. "unknown user 'bob'", "cannot fork:
 * Resource temporarily unavailable") and nothing left open or running.
 * -EINVAL for a spec that cannot work (no argv, unknown user or group,
 * an env entry without '='). */
int pm_spawn(const pm_spec *spec, pm_spawned *out, char *errmsg, size_t errlen);

/* Reads what the child reported on report_fd.  Returns 1 with a message
 * when the child failed between fork and exec ("cannot execute /usr/bin/nope:
 * No such file or directory", "cannot change directory to /x: ...", "cannot
 * set user to bob (uid 1000): Operation not permitted", ...), 0 when the exec
 * succeeded (EOF, nothing written), -EAGAIN when neither is known yet, or
 * another negative errno when the read fails.  Does not close the fd. */
int pm_spawn_read_report(int report_fd, const pm_spec *spec, char *msg, size_t msglen);

#endif
