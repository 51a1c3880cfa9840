/* A log to read from as supervisord reads its log files: procmon's own
 * log file, or a process's stdout or stderr.  A process whose output has
 * no file of its own is read from its tail ring, as if that were the end
 * of a file as long as everything the stream has written: offsets count
 * every byte, and what the ring no longer holds reads as nothing. */
#ifndef PM_LOGSOURCE_H
#define PM_LOGSOURCE_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"

#define PM_LOG_READ_MAX (4 << 20) /* the most bytes one read returns */

typedef struct pm_log_source {
    const char *path;       /* a file, or NULL: the ring */
    const pm_ring *ring;
    int stream;             /* PM_STDOUT or PM_STDERR, for the ring */
    long long size;         /* the file's size, or the bytes the stream has written */
    ino_t ino;              /* the file's, to notice a rotation */
    char *held;             /* the ring's lines of the stream: the last held_len bytes of size */
    size_t held_len;
} pm_log_source;

/* The file st's stdout (or stderr) is logged to; "" if none. */
const char *pm_log_path(const pm_status *st, bool stderr_log);
/* st's stream: its file, or its tail ring. */
pm_log_source pm_log_source_of(const pm_status *st, int stream);
/* Looks at the log as it is now (size, and the ring's lines): 0, or -errno
 * when the file is not there. */
int pm_log_source_open(pm_log_source *src);
/* Up to want bytes from `from` (at most PM_LOG_READ_MAX), NUL-terminated,
 * *len of them; NULL when out of memory or the file fails (errno set). */
char *pm_log_source_read(const pm_log_source *src, long long from, long long want, size_t *len);
/* Frees what open held. */
void pm_log_source_done(pm_log_source *src);

#endif
