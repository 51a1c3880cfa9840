/* The config file: INI sections -> monitor options and program specs, with
 * every error naming FILE:LINE.  The format is the common part of
 * supervisord's (interface contract §5, §6); see config_read.c for what inih does
 * with the text and what is not supported yet. */
#ifndef PM_CONFIG_H
#define PM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "procmon.h"

/* Where one of a program's output streams goes (contract §6). */
typedef enum {
    PM_OUT_LOG,  /* the log stream of §3: no *_logfile key */
    PM_OUT_NONE, /* NONE: dropped */
    PM_OUT_FILE, /* a file, AUTO already resolved under childlogdir */
    PM_OUT_FD,   /* one of procmon's descriptors: /dev/stdout 1, /dev/stderr 2, /dev/fd/N */
} pm_output_kind;

typedef struct pm_output {
    pm_output_kind kind;
    char *path;         /* PM_OUT_FILE; AUTO: the name's prefix, completed when it is created */
    bool automatic;     /* AUTO: the file gets a unique name when procmon creates it */
    int fd;             /* PM_OUT_FD */
    long long maxbytes; /* rotate beyond this size; 0: never */
    int backups;        /* rotated files kept: x.log.1 ... x.log.N */
} pm_output;

typedef struct pm_program {
    char *name;   /* final name: "group:name" in a [group:x] (bare "name" when
                   * the two are equal, as supervisord), else process_name expanded */
    char *group_name; /* supervisord's process group: the [group:x], or the [program:x]
                       * ([eventlistener:x]: its pool) */
    unsigned listen_events; /* [eventlistener:x]: the PM_EV_BIT()s of the types it takes
                               (eventtypes.h); 0 for a program */
    int buffer_size;        /* [eventlistener:x]: events its pool keeps waiting (10) */
    unsigned log_events;    /* PM_EV_BIT(PM_EV_PROCESS_LOG_STDOUT/STDERR): *_events_enabled */
    pm_spec spec; /* owned: freed by pm_config_free (pm_spec_free) */
    pm_output out, err; /* err unused when redirect_stderr */
    bool redirect_stderr;
    char *file;   /* where its section starts, for messages */
    int line;
    int depends_line; /* where its depends_on is, or its section's line */
} pm_program;

/* Which of pm_config.opts the file set, so that the command line can win. */
enum { PM_CFG_THRESHOLD = 1, PM_CFG_KILL_TIME = 2, PM_CFG_MIN_DELAY = 4, PM_CFG_MAX_DELAY = 8 };

/* [unix_http_server] or [inet_http_server]: where supervisord's clients
 * (supervisorctl, XML-RPC) reach procmon. */
typedef struct pm_http_server {
    bool set;             /* the section is in the file */
    char *file;           /* unix: the socket's path, absolute */
    int chmod;            /* unix: its mode (0700 unless set) */
    char *chown;          /* unix: "user" or "user:group"; NULL: procmon's own */
    char *host;           /* inet: "" for every interface */
    int port;             /* inet */
    char *username;       /* NULL: no authentication */
    char *password;       /* plain, or "{SHA}" and the hex SHA-1 of it */
} pm_http_server;

typedef struct pm_config {
    pm_options opts;      /* [procmon] values over pm_options_init defaults */
    unsigned opts_set;    /* PM_CFG_* bits */
    char *socket;         /* NULL if not set */
    char *log_file;       /* NULL if not set; "-" means standard output */
    int log_format;       /* -1 unset, else a pm_log_format: 0 text, 1 json */
    int log_debug;        /* -1 unset, 1: debug lines too ([procmon] log_level, loglevel) */
    long long log_maxbytes; /* -1 unset; rotate procmon's own log file beyond this; 0 never */
    int log_backups;      /* -1 unset */
    char *childlogdir;    /* NULL if not set: where AUTO output files go; absolute */
    char *auto_dir;       /* where they do go: childlogdir, else $TMPDIR, $TEMP,
                           * $TMP or /tmp (Python's tempfile.gettempdir()); absolute */
    bool nocleanup;       /* [supervisord] nocleanup: keep old AUTO files at start-up */
    /* [supervisord]'s other settings; run.c applies them at start-up. */
    char **environment;   /* "KEY=VALUE"s, NULL if none; already merged under
                           * each program's spec.env */
    int umask;            /* -1 unset */
    long long minfds, minprocs; /* -1 unset: raise the soft limits to these */
    char *pidfile;        /* NULL: none */
    char *directory;      /* NULL: stay */
    char *user;           /* NULL: stay; a name or uid */
    char *identifier;     /* NULL if not set */
    pm_http_server unix_http, inet_http;
    pm_program *programs; /* in file order (of each section's first header) */
    size_t nprograms;
    char **warnings;      /* "FILE:LINE: [unix_http_server] is not supported by procmon; ignored" */
    size_t nwarnings;
} pm_config;

/* Reads the file at `path`.  Returns 0 with *cfg filled (free it with
 * pm_config_free), or -1 with one line "FILE:LINE: message" (or "FILE:
 * message" when no line applies, e.g. "FILE: cannot read: No such file or
 * directory") in err, no "procmon: " prefix, and nothing allocated (*cfg is
 * left empty, so pm_config_free on it is harmless).
 *
 * Not thread-safe: inih's settings are process-wide variables, set for the
 * duration of the call and then restored. */
int pm_config_load(const char *path, pm_config *cfg, char *err, size_t errlen);
/* The same, with every relative path in the file (and `path` itself) taken
 * from folder `base` rather than the current one (NULL: the current one):
 * a reload reads the file as `procmon run` read it at start-up, before
 * [supervisord] directory moved it. */
int pm_config_load_in(const char *path, const char *base, pm_config *cfg, char *err, size_t errlen);
void pm_config_free(pm_config *cfg);
void pm_http_server_free(pm_http_server *s);

#endif
