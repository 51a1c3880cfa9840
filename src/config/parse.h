/* Parsing the small values that options, config keys and commands share. */
#ifndef PM_PARSE_H
#define PM_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds with decimals ("0.25", "3600"): finite, not negative. */
bool pm_parse_seconds(const char *text, double *out);
/* A signal as "TERM", "SIGTERM" or "15" (case-insensitive); 0 if none. */
int pm_parse_signal(const char *text);
/* "SIGTERM" for 15; "signal 99" style text for unknown numbers, in buf. */
const char *pm_signal_name(int sig, char *buf, unsigned len);

/* Why a process name is not usable, or NULL if it is: empty, or holding a
 * blank, a control character, ':' or '/' (supervisord refuses blanks, ':'
 * and '/' too; they would break "group:name" addressing). */
const char *pm_name_problem(const char *name);

/* text for a one-line message: control characters shown as \xNN, cut to
 * fit buf (at least 8 bytes).  Returns buf. */
const char *pm_printable(const char *text, char *buf, unsigned len);

#endif
