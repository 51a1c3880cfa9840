/* `procmon status` for people: one aligned line a process.
 *
 *     web   running  pid 4242, uptime 0:01:02
 *     db    backoff  restarting in 1.6s (exit status 1)
 *     cron  stopped
 *
 * NAME is padded to the longest name shown, STATE to the longest state
 * shown, two spaces between columns, no trailing blanks.  Details by state:
 *   running   pid 4242, uptime 0:01:02 (uptime as H:MM:SS, "2 days, 3:04:05")
 *   starting  pid 4242, for 0.4s (the seconds spent starting)
 *             either, then ", status: TEXT" when it sent STATUS=TEXT, and
 *             ", reloading" or ", stopping" when it said RELOADING=1 or STOPPING=1
 *   starting  (waiting for db, cache): held back for its dependencies
 *   running and starting end with ", healthy" or ", unhealthy (2/3)" when checked
 *   backoff   restarting in 1.6s (exit status 1) / (killed by SIGKILL)
 *   stopping  pid 4242, stopping
 *   others    the last exit when there was one: exit status 1, killed by SIGTERM
 */
#ifndef PM_STATUSFMT_H
#define PM_STATUSFMT_H

#include <jansson.h>
#include <stddef.h>

typedef struct pm_status_row {
    const char *name;
    const char *state;
    long long pid;          /* -1: none */
    double uptime;          /* seconds; negative: none */
    int exit_status;        /* -1: none */
    int exit_signal;        /* 0: none */
    const char *signal_text; /* the daemon's text when it named the signal, or NULL */
    double restart_in;      /* seconds; negative: none */
    const char *status_text; /* what it sent as STATUS=..., or NULL */
    const char *phase;       /* "reloading" or "stopping", as it said (notify), or NULL */
    char waiting_for[160];  /* "db, cache": the dependencies it is held back for, or "" */
    char health[32];        /* "healthy", "unhealthy (2/3)", or "" when unchecked */
} pm_status_row;

/* row->health from a count of failed checks in a row and the retries. */
void pm_status_row_set_health(pm_status_row *row, long long failures, long long retries);

/* At most this many of the dependencies a process waits for are shown. */
#define PM_WAITING_SHOWN 16

/* Adds a name to row->waiting_for (what does not fit is cut). */
void pm_status_row_add_waiting(pm_status_row *row, const char *name);

/* Fills row from one object of the status answer; its strings point into
 * obj.  -EINVAL when obj is not an object or lacks a string name or state. */
int pm_status_row_from_json(const json_t *obj, pm_status_row *row);

/* "0:01:02", "1 day, 0:00:05", "2 days, 3:04:05" (seconds rounded down). */
void pm_format_uptime(double seconds, char *buf, size_t len);

/* The details column alone ("" when there are none). */
void pm_format_status_details(const pm_status_row *row, char *buf, size_t len);

/* Display width used for alignment: UTF-8 code points. */
size_t pm_text_width(const char *s);

/* The whole line without its newline, malloc'd; NULL when out of memory.
 * name_width and state_width are the widths to pad to (see pm_text_width). */
char *pm_format_status_line(const pm_status_row *row, size_t name_width, size_t state_width);

#endif
