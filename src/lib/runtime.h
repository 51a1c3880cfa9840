/* What the monitor needs from the world.  The monitor never calls the OS
 * itself: the real runtime (runtime_uv.c) acts on libuv, and the unit tests
 * drive a simulated one with a clock that moves only when they say so. */
#ifndef PM_RUNTIME_H
#define PM_RUNTIME_H

#include "procmon.h"

typedef struct pm_timer pm_timer;

#define PM_CONNECT_REPLY_MAX 1024
typedef void (*pm_timer_cb)(void *arg);

/* How a child reports back.  `arg` is what the monitor gave to spawn().
 * Exactly one of started and spawn_failed comes for each spawn; output and
 * exited only after started. */
typedef struct pm_child_cbs {
    /* The child has exec'd its program. */
    void (*started)(void *arg, pid_t pid);
    /* No child runs: it could not be created, or it failed before its exec
     * (the runtime reaps what is left of it).  err is a positive errno,
     * message one line ("cannot execute /x: No such file or directory"). */
    void (*spawn_failed)(void *arg, int err, const char *message);
    /* Lines of output, in order, read together; valid during the call only. */
    void (*output)(void *arg, pm_stream stream, const pm_line *lines, size_t n);
    /* The child ended; wait_status as from waitpid(). */
    void (*exited)(void *arg, int wait_status);
    /* spec.ready NOTIFY: a datagram it (or a process of its group) sent to
     * $NOTIFY_SOCKET, "KEY=VALUE" lines; FD: "READY=1" once it wrote a
     * newline to its descriptor.  May be NULL. */
    void (*notify)(void *arg, const char *text, size_t len);
} pm_child_cbs;

typedef struct pm_connect pm_connect;
/* 0 when the connect (and the exchange, if any) succeeded, else a
 * negative errno; reply: the first bytes answered (NULL without an
 * exchange), valid during the call only. */
typedef void (*pm_connect_cb)(void *arg, int result, const char *reply, size_t len);

struct pm_runtime_ops {
    /* Monotonic seconds. */
    double (*now)(pm_runtime *rt);
    /* A one-shot timer; it is freed after it fires or when cancelled.
     * NULL when out of memory. */
    pm_timer *(*timer_start)(pm_runtime *rt, double delay, pm_timer_cb cb, void *arg);
    void (*timer_cancel)(pm_runtime *rt, pm_timer *timer);
    /* Asks for a child.  0, and its fate comes through cbs (started or
     * spawn_failed), on a later turn of the loop or, from a runtime that
     * spawns at once, before spawn returns; or a negative errno with a
     * one-line reason in errmsg, and no callback will come.  The spec is
     * the caller's: the runtime copies what it keeps. */
    int (*spawn)(pm_runtime *rt, const pm_spec *spec, const pm_child_cbs *cbs, void *arg,
                 char *errmsg, size_t errlen);
    /* Sends sig to pid, or to its process group when group is set. */
    int (*kill)(pm_runtime *rt, pid_t pid, int sig, bool group);
    /* Sends sig (0: only asks) to what is left of the process group that
     * pgid led, once that leader has exited.  -ESRCH when the group is
     * empty, or when pgid is a live process again: a new process that may
     * lead a group of its own, never to be signalled for the old one. */
    int (*signal_leftovers)(pm_runtime *rt, pid_t pgid, int sig);
    /* Stops (hold) or resumes reading the output of the children started
     * with arg: a writer whose lines cannot be written yet waits in its
     * pipe.  After its exit, what it left in the pipe waits there too. */
    void (*hold_output)(pm_runtime *rt, void *arg, bool hold);
    /* No callback with this arg may come any more (its process is forgotten). */
    void (*forget)(pm_runtime *rt, void *arg);
    /* One connect to "HOST:PORT" (a name or address; unix_socket false) or
     * to the unix socket at target; with `send`, those bytes are written
     * and the answer read until its first line is in (or it ends, or
     * PM_CONNECT_REPLY_MAX bytes); then it is closed.  cb comes on a later
     * turn.  NULL when it cannot even be tried (out of memory). */
    pm_connect *(*connect)(pm_runtime *rt, const char *target, bool unix_socket, const char *send,
                           size_t send_len, pm_connect_cb cb, void *arg);
    /* cb will not come. */
    void (*connect_cancel)(pm_runtime *rt, pm_connect *c);
    void (*free)(pm_runtime *rt);
    /* Writes to the stdin pipe of pid (spec.stdin_pipe): 0 once queued,
     * -EPIPE without one (or once the child closed it), -EAGAIN while more
     * than PM_INPUT_QUEUE_MAX bytes wait.  NULL: no child has stdin. */
    int (*write_input)(pm_runtime *rt, pid_t pid, const char *data, size_t len);
};

#define PM_INPUT_QUEUE_MAX (1024 * 1024)

struct pm_runtime {
    const struct pm_runtime_ops *ops;
};

#endif
