/* Creating one child process: its own session and process group, user,
 * groups, directory, umask, environment and stdio pipes, with any failure
 * between fork and exec known before pm_spawn returns. */
#ifndef PM_SPAWN_H
#define PM_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "procmon.h"

typedef struct pm_spawned {
    pid_t pid;
    int stdout_fd, stderr_fd; /* read ends of the child's stdout/stderr pipes: O_CLOEXEC|O_NONBLOCK */
    int ready_fd;             /* spec->ready PM_READY_FD: the read end of the pipe at its
                                 ready_fd, the same way; else -1 */
    int stdin_fd;             /* spec->stdin_pipe: the write end of its stdin pipe,
                                 O_CLOEXEC|O_NONBLOCK; else -1 */
    bool exec_failed;         /* the child could not exec and has exited (127) */
    int exec_errno;           /* then why, as the child saw it */
} pm_spawned;

/* Forks and execs spec->argv.  Returns 0, or a negative errno with a
 * one-line reason in errmsg (e.g. "unknown user 'bob'", "cannot fork:
 * Resource temporarily unavailable") and nothing left open or running.
 * -EINVAL for a spec that cannot work (no argv, unknown user or group,
 * an env entry without '=').
 *
 * A child that fails between fork and exec still counts as started (it is
 * to be reaped like any other): then out->exec_failed is set and errmsg
 * says why ("cannot execute /usr/bin/nope: No such file or directory",
 * "cannot change directory to /x: ...", "cannot set user to bob (uid 1000):
 * Operation not permitted", ...). */
int pm_spawn(const pm_spec *spec, pm_spawned *out, char *errmsg, size_t errlen);

#endif
