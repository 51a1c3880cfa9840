/* The running supervisor's core: the loop, the monitor, the log stream, the
 * control socket, the outputs and shutdown.  Request handling (requests.h)
 * and reload (reload.h) sit above it and use this header; the core reaches
 * them only through the callbacks in its settings, so that the calls
 * between these files run one way. */
#ifndef PM_DAEMON_H
#define PM_DAEMON_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "control.h"
#include "httpd.h"
#include "logstream.h"
#include "manager.h"
#include "output.h"
#include "procmon.h"
#include "ring.h"
#include "statusjson.h"

/* procmon's own log file, as supervisord's logfile_maxbytes and
 * logfile_backups, when the config file does not say. */
#define PM_LOG_DEFAULT_MAXBYTES (50LL << 20)
#define PM_LOG_DEFAULT_BACKUPS 10

typedef struct pm_daemon pm_daemon;

typedef struct pm_daemon_settings {
    pm_options opts;
    const char *socket_path;   /* NULL: no control socket */
    const char *log_file;      /* NULL: standard output */
    long long log_maxbytes;    /* rotate the log file beyond this; 0: never */
    int log_backups;           /* rotated log files kept */
    pm_log_format log_format;
    const char *config_path;   /* NULL: nothing to reload */
    const char *state_path;    /* NULL: no state file (statefile.h) */
    const pm_program *programs;
    size_t nprograms;
    /* NULL, or called once the control socket is bound (no other procmon
     * answers on it) and before anything starts: 0 to go on, or -1 with one
     * line in err to exit 1.  `procmon run -c` writes its pidfile here. */
    int (*on_ready)(void *arg, char *err, size_t errlen);
    void *on_ready_arg;
    /* Answers the control socket's requests (pm_handle_request); required
     * with socket_path. */
    pm_request_handler handle_request;
    /* What SIGHUP calls (pm_reload); required with config_path. */
    void (*reload)(pm_daemon *d, pm_request *req);
    unsigned exit_policy;  /* PM_EXIT_* (exitpolicy.h): when procmon ends on its own */
    bool forward_signals;  /* SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT go to the one
                              program's process group rather than to procmon */
    bool log_debug;        /* write debug lines (orphans reaped) */
    /* [unix_http_server], [inet_http_server] (NULL or not set: none), and
     * what answers their requests (pm_rpc_handle). */
    const pm_http_server *unix_http, *inet_http;
    pm_http_handler handle_http;
    const char *identifier; /* [supervisord] identifier (NULL: "supervisor"), for XML-RPC */
} pm_daemon_settings;

/* What the daemon keeps beside each process (the monitor's user data). */
typedef struct pm_procdata {
    pm_ring *ring;    /* recent output for `tail`, made at the first line */
    unsigned long long output_bytes[3]; /* [PM_STDOUT], [PM_STDERR]: lines' bytes and newlines seen */
    bool from_config; /* reload manages it; `add`ed ones it leaves alone */
    pm_status_text status; /* its fixed part of the status answer */
    pid_t state_pid;             /* the pid whose start time is known: */
    unsigned long long state_start;
    char *group_name;            /* supervisord's process group (NULL: as its name says) */
    pm_output out, err;          /* its output settings (paths owned), for reload and tail */
    bool redirect_stderr;
    pm_target *out_target, *err_target; /* PM_OUT_FILE, PM_OUT_FD: where the lines go */
    unsigned long long dropped_bytes;   /* bytes its targets could not take */
    pm_target *held_for;         /* its output is not read until this target catches up */
    time_t last_start, last_stop; /* wall-clock times of its last start and exit, 0: none */
    char *spawn_error;           /* why its last spawn failed, until it next starts */
    struct pm_listener *listener; /* an [eventlistener:x]'s protocol state (events.h), or NULL */
    unsigned log_events;         /* the PROCESS_LOG event types its output makes */
    unsigned listen_events;      /* a listener's: the types it takes, and its pool's buffer */
    int buffer_size;
    pm_state sv_state;           /* its state as last told to event listeners */
    int backoff;                 /* failed starts in a row, told as PROCESS_STATE tries */
} pm_procdata;

struct pm_daemon {
    uv_loop_t loop;
    pm_runtime *rt;
    pm_monitor *mon;
    pm_logstream *log;
    pm_control *ctl;
    pm_outputs *outputs;
    pm_target *log_target;   /* descriptor 1, when the log stream goes there */
    uv_timer_t output_retry; /* brings the loop back while a target is behind */
    uv_timer_t state_timer;  /* the state file is written when it fires */
    struct pm_statewriter *state_writer; /* NULL: no state file */
    struct pm_listener *http[2]; /* [unix_http_server], [inet_http_server]; NULL: none */
    struct target_watch *watches; /* targets waiting to be writable */
    size_t nheld;            /* programs held back for a target */
    const pm_daemon_settings *settings;
    pm_manager *manager;     /* NULL unless a service manager listens (NOTIFY_SOCKET) */
    int exit_status;         /* >= 0: an exit policy ended procmon with this */
    bool ended_check;        /* a process changed state: see whether all have ended */
    uv_signal_t signals[9];
    size_t nsignals;
    uv_prepare_t flusher;
    bool state_dirty;   /* a process started or ended since the state file was written */
    bool state_failing; /* writing it failed, and was logged */
    bool stopping;
    pm_request **shutdown_waiters;
    size_t nshutdown_waiters;
    pm_config *reread; /* the config file as XML-RPC's reloadConfig last read it, or NULL */
    struct pm_events *events; /* supervisord's events and listeners (events.h) */
};

/* Runs until shutdown; returns the exit status. */
int pm_daemon_run(const pm_daemon_settings *settings);

/* Adds a process with its procdata; its output goes where `outputs` says
 * (NULL: the log stream).  The monitor's errors. */
int pm_daemon_add(pm_daemon *d, const char *name, const pm_spec *spec, bool from_config,
                  const pm_program *outputs);
/* The process `name`, as supervisord's split_namespec has it: "g:g" is
 * the process "g".  0 or -1. */
int pm_daemon_find(const pm_daemon *d, const char *name, pm_status *st);
/* Reopens the log file and every output file (SIGUSR2, `reopen`); 0 or the
 * first error, already logged. */
int pm_daemon_reopen(pm_daemon *d, char *err, size_t errlen);
/* True when both describe the same output and event settings (reload). */
bool pm_daemon_outputs_equal(const pm_procdata *pd, const pm_program *p);
/* Stops everything and leaves the loop; answers req (may be NULL) once done. */
void pm_daemon_shutdown(pm_daemon *d, pm_request *req);

#endif
