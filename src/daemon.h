/* The running supervisor: the loop, the monitor, the log stream, the control
 * socket, reload and shutdown.  requests.c answers the control requests. */
#ifndef PM_DAEMON_H
#define PM_DAEMON_H

#include "config.h"
#include "control.h"
#include "logstream.h"
#include "procmon.h"
#include "ring.h"
#include "statusjson.h"

typedef struct pm_daemon_settings {
    pm_options opts;
    const char *socket_path;   /* NULL: no control socket */
    const char *log_file;      /* NULL: standard output */
    pm_log_format log_format;
    const char *config_path;   /* NULL: nothing to reload */
    const char *state_path;    /* NULL: no state file (statefile.h) */
    const pm_program *programs;
    size_t nprograms;
} pm_daemon_settings;

/* What the daemon keeps beside each process (the monitor's user data). */
typedef struct pm_procdata {
    pm_ring *ring;    /* recent output for `tail`, made at the first line */
    bool from_config; /* reload manages it; `add`ed ones it leaves alone */
    pm_status_text status; /* its fixed part of the status answer */
    pid_t state_pid;             /* the pid whose start time is known: */
    unsigned long long state_start;
} pm_procdata;

typedef struct pm_daemon {
    uv_loop_t loop;
    pm_runtime *rt;
    pm_monitor *mon;
    pm_logstream *log;
    pm_control *ctl;
    const pm_daemon_settings *settings;
    uv_signal_t signals[4];
    size_t nsignals;
    uv_prepare_t flusher;
    bool state_dirty;   /* a process started or ended since the state file was written */
    bool state_failing; /* writing it failed, and was logged */
    bool stopping;
    pm_request **shutdown_waiters;
    size_t nshutdown_waiters;
} pm_daemon;

/* Runs until shutdown; returns the exit status. */
int pm_daemon_run(const pm_daemon_settings *settings);

/* Adds a process with its procdata; the monitor's errors. */
int pm_daemon_add(pm_daemon *d, const char *name, const pm_spec *spec, bool from_config);
/* Re-reads the config file and applies it; answers req (may be NULL). */
void pm_daemon_reload(pm_daemon *d, pm_request *req);
/* Stops everything and leaves the loop; answers req (may be NULL) once done. */
void pm_daemon_shutdown(pm_daemon *d, pm_request *req);

/* requests.c: answers one control request. */
void pm_daemon_handle_request(void *daemon, pm_request *req, pm_cmd cmd, json_t *msg);
/* {"stream":"stdout","line":"..."} for tail and its followers. */
json_t *pm_tail_line_json(int stream, const char *data, size_t len);

#endif
