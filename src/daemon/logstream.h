/* The log stream (interface.md §3): every child line and every supervisor
 * event as one line, in text or JSON, on standard output or in a file.
 *
 * Output is buffered and written by pm_logstream_flush(), or earlier when
 * the buffer fills.  Output lines logged together (between two flushes,
 * with no supervisor event between them) carry one reading of the clock.
 * A write that fails drops its data: the failure is
 * reported once on stderr, and again only after a write has succeeded.
 */
#ifndef PM_LOGSTREAM_H
#define PM_LOGSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "procmon.h"

typedef enum { PM_LOG_TEXT, PM_LOG_JSON } pm_log_format;

typedef struct pm_logstream pm_logstream;

/* path NULL or "-": standard output; otherwise the file is created or
 * appended to.  0 or -errno. */
int pm_logstream_open(const char *path, pm_log_format fmt, pm_logstream **out);
/* One record (one line); PM_EVENT_LINES: one a line. */
void pm_logstream_event(pm_logstream *log, const pm_event *ev);
/* A supervisor-wide line: "TIME procmon: <text>". */
void pm_logstream_message(pm_logstream *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Debug lines ("TIME procmon: debug: <text>"; JSON "level": "debug")
 * are written only once this is on (--log-level debug, loglevel = debug). */
void pm_logstream_set_debug(pm_logstream *log, bool on);
void pm_logstream_debug(pm_logstream *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Where the buffered lines go instead of write(2) on standard output (the
 * daemon's non-blocking writer for descriptor 1, shared with programs whose
 * stdout_logfile is /dev/stdout); NULL: write(2) again.  Ignored for a file. */
typedef void (*pm_log_sink)(void *arg, const char *data, size_t len);
void pm_logstream_set_sink(pm_logstream *log, pm_log_sink sink, void *arg);
/* Rotates the file by size as output files do (output.h): maxbytes 0
 * never.  A no-op for standard output. */
void pm_logstream_set_rotation(pm_logstream *log, long long maxbytes, int backups);
/* Log rotation: flushes, then opens the path again.  A no-op for standard
 * output.  On failure the old file stays in use; 0 or -errno. */
int pm_logstream_reopen(pm_logstream *log);
/* Writes what is buffered; meant once per event-loop iteration. */
void pm_logstream_flush(pm_logstream *log);
/* Flushes, closes the file and frees; NULL is fine. */
void pm_logstream_close(pm_logstream *log);

/* ---- Exposed for tests ---- */

/* "2026-11-24T10:00:00.123Z" (UTC, milliseconds truncated), NUL-terminated.
 * Returns its length, or 0 if it does not fit in len bytes. */
size_t pm_log_format_time(char *buf, size_t len, const struct timespec *ts);
/* `data` as valid UTF-8: each byte that is not part of a valid sequence
 * becomes the 4 characters \xNN (uppercase hex).  Overlong forms,
 * surrogates and code points above U+10FFFF are invalid.  NUL bytes are
 * kept.  Returns a malloc'd string (NUL-terminated, *outlen bytes before
 * the terminator), or NULL when out of memory. */
char *pm_log_render_utf8(const char *data, size_t len, size_t *outlen);

#endif
