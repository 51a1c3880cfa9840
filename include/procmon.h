/* libprocmon: start, monitor and restart named child processes.
 *
 * A monitor keeps a table of named processes and applies one restart rule:
 * a process that lived less than `threshold` seconds died "instantly" and is
 * restarted after a delay that doubles each time (min_restart_delay up to
 * max_restart_delay); one that lived longer is restarted at once and its
 * delay goes back to the minimum.  Stopping sends the stop signal to the
 * process group and SIGKILL `kill_time` seconds later unless it exited.
 *
 * Every function that can fail returns 0 or a negative errno value
 * (-EEXIST for a duplicate name, -ENOENT for an unknown one).
 * The monitor decides; a runtime acts (clock, timers, spawn, signals).
 * pm_runtime_uv_new() gives the real one, on a libuv loop.
 */
#ifndef PROCMON_H
#define PROCMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The version this header belongs to; pm_version() tells the one linked. */
#define PM_VERSION_MAJOR 0
#define PM_VERSION_MINOR 1
#define PM_VERSION_PATCH 0
#define PM_VERSION_TEXT_(a, b, c) #a "." #b "." #c
#define PM_VERSION_TEXT(a, b, c) PM_VERSION_TEXT_(a, b, c)
#define PM_VERSION PM_VERSION_TEXT(PM_VERSION_MAJOR, PM_VERSION_MINOR, PM_VERSION_PATCH)

/* "MAJOR.MINOR.PATCH" of the library linked at run time. */
const char *pm_version(void);

typedef struct pm_monitor pm_monitor;
typedef struct pm_runtime pm_runtime;
struct uv_loop_s;

/* ---- Options of the whole monitor (seconds, decimals allowed) ---- */

typedef struct pm_options {
    double threshold;         /* a shorter run is an instant death (1) */
    double kill_time;         /* SIGKILL this long after the stop signal (5) */
    double min_restart_delay; /* first back-off delay (1) */
    double max_restart_delay; /* back-off cap (3600) */
} pm_options;

void pm_options_init(pm_options *opts);

/* ---- One process's specification ---- */

typedef enum {
    PM_AUTORESTART_ALWAYS,     /* restart whatever the exit */
    PM_AUTORESTART_UNEXPECTED, /* only when the exit code is not in exitcodes */
    PM_AUTORESTART_NEVER
} pm_autorestart;

#define PM_UNSET (-1) /* a numeric field that takes the monitor's value or inherits */

/* How a running process's health is checked, every health_interval. */
typedef enum {
    PM_HEALTH_NONE,
    PM_HEALTH_EXEC, /* `/bin/sh -c health_target` exits 0, run as the process is */
    PM_HEALTH_TCP,  /* a connect to "HOST:PORT" succeeds */
    PM_HEALTH_UNIX, /* a connect to the socket at health_target succeeds */
    PM_HEALTH_HTTP  /* a GET of "http://HOST[:PORT][/PATH]" or "http://unix:SOCKET:[/PATH]"
                       answers 2xx or 3xx */
} pm_health_kind;

/* What a dependency must have done before its dependent starts. */
typedef enum {
    PM_DEP_READY,    /* it is ready (see pm_ready_kind) */
    PM_DEP_STARTED,  /* it has been spawned */
    PM_DEP_COMPLETED /* it has exited with an expected exit code, and is not to be restarted */
} pm_dep_condition;

typedef struct pm_dependency {
    char *name;
    pm_dep_condition condition;
} pm_dependency;

/* When a started process is ready (see PM_STATE_STARTING). */
typedef enum {
    PM_READY_SPAWN,  /* once spawned */
    PM_READY_NOTIFY, /* once it sends READY=1 to $NOTIFY_SOCKET, as under systemd */
    PM_READY_FD,     /* once it writes a newline to its descriptor ready_fd, as under s6 */
    PM_READY_TCP,    /* once a connect to ready_target, "HOST:PORT", succeeds */
    PM_READY_UNIX,   /* once a connect to the socket at ready_target succeeds */
    PM_READY_EXEC,   /* once `/bin/sh -c ready_target` exits 0, run as the process is */
    PM_READY_LOG     /* once a line of its output matches ready_target (POSIX extended regex) */
} pm_ready_kind;

typedef struct pm_spec {
    char **argv;      /* NULL-terminated; argv[0] without '/' is looked up on PATH */
    char **env;       /* NULL-terminated KEY=VALUE additions, or NULL */
    bool clear_env;   /* the child gets only `env` */
    char *user;       /* name or number; also sets its group and groups; NULL: inherit */
    char *group;      /* name or number; NULL: the user's, or inherit */
    char *cwd;        /* NULL: inherit */
    int umask;        /* PM_UNSET: inherit */
    double threshold, kill_time, min_restart_delay, max_restart_delay; /* PM_UNSET: monitor's */
    int stop_signal;  /* SIGTERM by default */
    bool signal_group; /* signal the whole process group (true) */
    bool autostart;   /* start with the service (true) */
    pm_autorestart autorestart;
    unsigned char exitcodes[32]; /* bit set of the expected exit codes (just 0) */
    int start_retries; /* PM_UNSET: forever; N: fatal after N+1 instant deaths in a row */
    int priority;      /* lower starts first and stops last (999) */
    pm_ready_kind ready; /* PM_READY_SPAWN */
    char *ready_target;  /* TCP, UNIX, EXEC, LOG: what to try or match */
    int ready_fd;        /* FD: the child's descriptor (3..1023) */
    double ready_interval; /* TCP, UNIX, EXEC: seconds between tries (0.1) */
    double ready_timeout;  /* not ready this long after the spawn: stopped, a failed start (60) */
    pm_dependency *depends_on; /* started only once each of these meets its condition */
    size_t ndepends_on;
    bool bind_to;      /* stopped when a dependency's process ends, started again once it
                          meets its condition again */
    pm_health_kind health; /* PM_HEALTH_NONE */
    char *health_target;
    double health_interval;     /* between checks, from when it is ready (10) */
    double health_timeout;      /* a check still going this long fails (5) */
    double health_start_period; /* failures this soon after the spawn do not count (0) */
    int health_retries;         /* this many failed checks in a row: restarted (3) */
    bool stdin_pipe;   /* its stdin is a pipe pm_monitor_write_input writes to (false:
                          /dev/null) */
} pm_spec;

/* Defaults everywhere; argv must then be set. */
void pm_spec_init(pm_spec *spec);
void pm_spec_set_exitcode(pm_spec *spec, int code, bool expected);
bool pm_spec_exitcode_expected(const pm_spec *spec, int code);

/* ---- States and events ---- */

/* A process is starting from the spawn request until it is ready and has
 * lived its threshold; then running.  A death while starting, or a spawn
 * that failed, is a failed start: it backs off (the reference's instant
 * death) whatever autorestart says, and start_retries of them in a row
 * (plus one) make it fatal.  autorestart decides about the deaths of
 * running processes only. */
typedef enum {
    PM_STATE_STOPPED,  /* held down, or never started */
    PM_STATE_STARTING, /* spawned or being spawned, not yet ready and past its threshold */
    PM_STATE_RUNNING,
    PM_STATE_BACKOFF,  /* waiting to restart */
    PM_STATE_STOPPING, /* stop signal sent */
    PM_STATE_EXITED,   /* ended, not to be restarted under its autorestart */
    PM_STATE_FATAL     /* gave up after start_retries */
} pm_state;

const char *pm_state_name(pm_state state);
/* "ready", "started", "completed". */
const char *pm_dep_condition_name(pm_dep_condition condition);

typedef enum { PM_STDOUT = 1, PM_STDERR = 2 } pm_stream;

/* One line of output: its bytes, not NUL-terminated, without the newline. */
typedef struct pm_line {
    const char *data;
    size_t len;
} pm_line;

typedef enum {
    PM_EVENT_START,       /* pid */
    PM_EVENT_EXIT,        /* pid, exit_status or exit_signal, runtime, state, restart_in */
    PM_EVENT_SPAWN_ERROR, /* message; the attempt then counts as an instant death */
    PM_EVENT_STOP,        /* pid, signal: the stop signal was sent */
    PM_EVENT_KILL,        /* pid: SIGKILL after the kill time */
    PM_EVENT_FATAL,       /* instant_deaths: gave up */
    PM_EVENT_OUTPUT,      /* stream, data, len: one line without its newline */
    PM_EVENT_FORGET,      /* the process is gone from the monitor: free its user_data */
    PM_EVENT_LINES,       /* stream, lines, nlines: lines read together, in order
                             (instead of OUTPUT, after pm_monitor_batch_lines) */
    PM_EVENT_READY,       /* pid, runtime, message (how, e.g. "READY=1"): ready, when
                             spec.ready is not PM_READY_SPAWN */
    PM_EVENT_RUNNING,     /* pid, runtime: ready and past its threshold */
    PM_EVENT_NOT_READY,   /* pid, runtime, message: not ready within ready_timeout;
                             a stop follows, and its exit is a failed start */
    PM_EVENT_HEALTH       /* pid, health_failures, message (what the check said): healthy
                             (0: its first good check, or one after failures) or a failed
                             check (N in a row); at spec.health_retries a restart follows,
                             which never counts as a failed start */
} pm_event_type;

typedef struct pm_event {
    pm_event_type type;
    const char *name;
    pid_t pid;
    int exit_status;   /* -1 when killed by a signal */
    int exit_signal;   /* 0 when it exited */
    double runtime;    /* seconds the process lived */
    pm_state state;    /* the state after this event */
    double restart_in; /* seconds until the restart; < 0: none */
    bool removed;      /* EXIT: the process was removed and is forgotten */
    int signal;        /* STOP, KILL */
    bool leftover;     /* STOP, KILL: to what is left of an earlier run's
                          process group, whose id is pid (its leader is gone) */
    double kill_time;  /* STOP: SIGKILL follows after this long */
    const char *message; /* SPAWN_ERROR: e.g. "cannot execute /x: No such file or directory";
                            READY, NOT_READY: what was seen or last tried;
                            EXIT: "waiting for its dependencies" (bind_to) */
    int instant_deaths;  /* FATAL */
    int health_failures; /* HEALTH */
    int health_retries;  /* HEALTH: the spec's: at this many failures it is restarted */
    pm_stream stream;    /* OUTPUT */
    const char *data;    /* OUTPUT: the line's bytes, not NUL-terminated */
    size_t len;
    const pm_line *lines; /* LINES: valid only during the callback */
    size_t nlines;
    void *user_data;     /* what pm_monitor_set_user_data attached */
} pm_event;

typedef void (*pm_event_cb)(void *arg, const pm_event *event);

/* Called once an operation has finished: result 0, or a negative errno
 * (-ECANCELED when a later operation took over the process). */
typedef void (*pm_done_cb)(void *arg, int result);

/* ---- The monitor ---- */

int pm_monitor_new(pm_runtime *runtime, const pm_options *opts, pm_monitor **out);
/* Forgets every process without signalling it; the runtime stays the caller's. */
void pm_monitor_free(pm_monitor *mon);
void pm_monitor_set_event_cb(pm_monitor *mon, pm_event_cb cb, void *arg);
/* on: the lines of one read come as one PM_EVENT_LINES event rather than
 * one PM_EVENT_OUTPUT each (a heavy writer's thousands of lines a read cost
 * one call, not one each).  Off by default. */
void pm_monitor_batch_lines(pm_monitor *mon, bool on);
const pm_options *pm_monitor_options(const pm_monitor *mon);

/* Registers a process (the spec is copied) and starts it at once if the
 * service runs and spec->autostart is set.  -EEXIST, or -EINVAL (also for
 * readiness or health settings that cannot work: a bad target, regex or
 * descriptor, health_retries below 1). */
int pm_monitor_add(pm_monitor *mon, const char *name, const pm_spec *spec);
/* The same, with the caller's data attached before the process can start. */
int pm_monitor_add_with_data(pm_monitor *mon, const char *name, const pm_spec *spec, void *user_data);
/* Stops the process, cancels any pending restart and forgets it; `done`
 * (may be NULL) runs once it is gone. */
int pm_monitor_remove(pm_monitor *mon, const char *name, pm_done_cb done, void *arg);
/* Starts a stopped, exited or fatal process, or one waiting in back-off
 * (cancelling the wait and resetting the delay).  Running or starting:
 * nothing to do.  The spawn itself finishes later (see pm_runtime). */
int pm_monitor_start(pm_monitor *mon, const char *name);
/* The same; `done` (may be NULL) runs once the process is ready (0), or
 * with a negative errno: its spawn failed (e.g. -ENOENT for a missing
 * command), it ended before it was ready (-ECHILD), it was not ready in
 * time (-ETIMEDOUT), or a dependency it waits for gave up (-ENOLINK: fatal,
 * or exited and not to be restarted). */
int pm_monitor_start_notify(pm_monitor *mon, const char *name, pm_done_cb done, void *arg);
/* Stop signal, SIGKILL after the kill time; the process then stays down
 * until started.  `done` runs once it has exited. */
int pm_monitor_stop(pm_monitor *mon, const char *name, pm_done_cb done, void *arg);
/* Stop, then start at once; never counts as an instant death.  `done` runs
 * once the new process is started. */
int pm_monitor_restart(pm_monitor *mon, const char *name, pm_done_cb done, void *arg);
/* Tells that the run of name whose pid is `pid` is ready (for an embedder's
 * own kind of readiness; the runtime reports the others).  -ENOENT for an
 * unknown name, -ESRCH when that run is over or pid is not its pid,
 * -EALREADY when it was ready already. */
int pm_monitor_ready(pm_monitor *mon, const char *name, pid_t pid);
/* Sends `sig` to the running process (its group when signal_group). -ESRCH if not running. */
int pm_monitor_signal(pm_monitor *mon, const char *name, int sig);
/* Writes data to the running process's stdin (spec.stdin_pipe), without
 * waiting: -ESRCH if not running, -EPIPE if it has no stdin pipe or closed
 * it, -EAGAIN while a megabyte written earlier still waits for it. */
int pm_monitor_write_input(pm_monitor *mon, const char *name, const char *data, size_t len);
/* Restarts every process. */
void pm_monitor_restart_all(pm_monitor *mon);
/* Marks the service running and starts every autostart process, lowest priority first. */
void pm_monitor_start_service(pm_monitor *mon);
/* Marks the service stopped, cancels every pending restart and stops every
 * process, highest priority first, each tier once the one before has exited.
 * `done` runs once the last process has exited. */
void pm_monitor_stop_service(pm_monitor *mon, pm_done_cb done, void *arg);
bool pm_monitor_service_running(const pm_monitor *mon);

typedef struct pm_status {
    const char *name;
    pm_state state;
    pid_t pid;          /* 0 when not running */
    double uptime;      /* seconds since the start (starting: spent starting so far) */
    bool ready;         /* this run is ready */
    bool waiting;       /* starting, held back until its dependencies are met */
    const char *status_text; /* the last STATUS=... it sent (notify), or NULL */
    pid_t main_pid;     /* the last MAINPID=... it sent, or 0 */
    const char *phase;  /* "reloading" (RELOADING=1) or "stopping" (STOPPING=1) until its
                           next READY=1; else NULL */
    bool health_checked; /* a health check has finished in this run */
    int health_failures; /* then: 0 healthy, N failed checks in a row */
    unsigned restarts;  /* starts after the first */
    int exit_status;    /* last exit: -1 if none or killed */
    int exit_signal;    /* last exit: 0 if none or exited */
    double restart_in;  /* BACKOFF: seconds until the restart; else -1 */
    size_t leftovers;   /* process groups earlier runs left (their leader gone) */
    const pm_spec *spec;
    void *user_data;
} pm_status;

int pm_monitor_status(const pm_monitor *mon, const char *name, pm_status *out);
/* Stops (hold) or resumes reading the process's output, for an embedder
 * whose destination for it is full: the process then waits in its write,
 * and after its exit what it left waits in the pipe.  A stop (stop,
 * restart, remove, shutdown) ends the hold, so that the process can say
 * its last words and exit.  -ENOENT for an unknown name. */
int pm_monitor_hold_output(pm_monitor *mon, const char *name, bool hold);
/* The ids of up to max of the groups that name's earlier runs left; how
 * many there are, or -ENOENT. */
int pm_monitor_leftovers(const pm_monitor *mon, const char *name, pid_t *out, size_t max);
/* The names (the spec's strings) of up to max of the dependencies that a
 * waiting process waits for; how many there are (0 when it does not
 * wait), or -ENOENT. */
int pm_monitor_waiting_for(const pm_monitor *mon, const char *name, const char **out, size_t max);
/* Attaches the caller's data to a process; events about it carry it. */
int pm_monitor_set_user_data(pm_monitor *mon, const char *name, void *data);
size_t pm_monitor_count(const pm_monitor *mon);
/* Calls `cb` for each process, in no particular order. */
void pm_monitor_foreach(const pm_monitor *mon, void (*cb)(void *arg, const pm_status *st), void *arg);

/* ---- The real runtime, on a libuv loop ---- */

/* Reaps children on SIGCHLD, reads their output; the loop stays the caller's.
 * Children are spawned by a thread of its own, so that the loop goes on
 * while they are created: a spawn's result comes on a later turn. */
int pm_runtime_uv_new(struct uv_loop_s *loop, pm_runtime **out);
/* Closes its handles; run the loop once more to let them finish closing. */
void pm_runtime_free(pm_runtime *rt);
/* cb(arg, sender, dropped) for each datagram on the notify socket that no
 * supervised process sent (neither a child nor a member of a child's
 * process group, by the kernel's credentials), which is dropped; dropped
 * counts them all so far.  Only for a runtime from pm_runtime_uv_new. */
void pm_runtime_uv_on_stray_notify(pm_runtime *rt,
                                   void (*cb)(void *arg, pid_t sender, unsigned long long dropped),
                                   void *arg);
/* cb(arg, pid, wait_status) for each process reaped that was not one of
 * the monitor's: an orphan re-parented to this process (PID 1, or a child
 * subreaper).  It is reaped in any case; this only tells.  Only for a
 * runtime from pm_runtime_uv_new. */
void pm_runtime_uv_on_orphan(pm_runtime *rt, void (*cb)(void *arg, pid_t pid, int wait_status),
                             void *arg);

#endif
