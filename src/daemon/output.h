/* Per-program output targets (interface.md §6): a file or one of procmon's
 * descriptors, written with the child's bytes, one line at a time.
 *
 * One target per file path or descriptor, shared by every program that
 * names it, with one bounded buffer: whole lines go into the buffer, so two
 * programs' bytes never share a line.  The buffer is written by
 * pm_outputs_flush() (once per loop iteration) or when it fills.
 *
 * Nothing here blocks the loop or the child.  Files are written with plain
 * write(2) (a regular file never says EAGAIN); pipes, ttys and other
 * devices are written through a descriptor of our own, opened anew from
 * /proc/self/fd/N with O_NONBLOCK (a new open file description of the same
 * pipe or device, so procmon never changes the blocking mode that other
 * holders of the shared description rely on); sockets, which cannot be
 * opened that way, with send(MSG_DONTWAIT).  A target that fails or does not
 * take its bytes keeps at most PM_OUTPUT_MAX_PENDING bytes; lines that do
 * not fit are dropped and counted, and a failed target is retried every
 * PM_OUTPUT_RETRY seconds until it works again.
 *
 * Rotation (files named by path, maxbytes > 0): a line goes into the file
 * only if the file's size plus the line (with its '\n') stays within
 * maxbytes; otherwise the file is rotated first (x.log -> x.log.1 ... ->
 * x.log.N, the oldest dropped; with 0 backups x.log is started afresh), so
 * a file never holds more than maxbytes bytes, except a single line longer
 * than maxbytes, which then has a file to itself.
 */
#ifndef PM_OUTPUT_H
#define PM_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define PM_OUTPUT_MAX_PENDING (1024 * 1024) /* bytes a target buffers */
#define PM_OUTPUT_RETRY 0.25                /* seconds between retries of a failed target */
#define PM_OUTPUT_REPORT_EVERY 10.0         /* seconds between two reports of one target */
#define PM_OUTPUT_STALL 2.0                 /* seconds without progress: its reader has stalled */
#define PM_OUTPUT_PIPE_SIZE (1024 * 1024)   /* a pipe target that fills is grown to this */

typedef struct pm_outputs pm_outputs;
typedef struct pm_target pm_target;

/* A line for the log stream about target t, e.g. "output to /x: No space
 * left on device; 512 bytes dropped". */
typedef void (*pm_output_report_cb)(void *arg, const pm_target *t, const char *message);

/* Told when target t's descriptor fd said EAGAIN (on: wake the loop once
 * fd is writable, and call pm_target_ready), and when that wait is over
 * (off: it emptied, failed, or fd is about to be closed). */
typedef void (*pm_output_watch_cb)(void *arg, pm_target *t, int fd, bool on);
void pm_outputs_set_watch(pm_outputs *o, pm_output_watch_cb cb, void *arg);

/* Notes which descriptors procmon inherited: only those may be named by
 * /dev/fd/N (a later number may be one of procmon's own).  Call it before
 * opening anything.  0 or -ENOMEM. */
int pm_outputs_new(pm_output_report_cb report, void *arg, pm_outputs **out);
/* Flushes what it can, closes and frees every target; NULL is fine. */
void pm_outputs_free(pm_outputs *o);

/* The target for cfg (PM_OUT_FILE or PM_OUT_FD), shared with every other
 * user of the same path or descriptor (an AUTO file is never shared).  A
 * target that cannot be opened now is returned failing (reported) and
 * retried.  NULL only when out of memory.  `now`: monotonic seconds. */
pm_target *pm_outputs_acquire(pm_outputs *o, const pm_output *cfg, double now);
/* Drops one reference; the last one flushes and closes it. */
void pm_outputs_release(pm_outputs *o, pm_target *t);

/* Queues line + '\n'.  Returns the bytes dropped: 0, or len + 1 when the
 * target cannot take them. */
size_t pm_target_write_line(pm_target *t, const char *line, size_t len, double now);
/* Queues each line + '\n', in order; the bytes dropped (lines that did not
 * fit, each whole). */
size_t pm_target_write_lines(pm_target *t, const pm_line *lines, size_t n, double now);
/* Queues bytes that already are whole lines (the log stream's).  Returns
 * the bytes dropped: 0 or len. */
size_t pm_target_write(pm_target *t, const char *data, size_t len, double now);
/* The file it writes (AUTO resolved), or NULL for a descriptor. */
const char *pm_target_path(const pm_target *t);
/* Bytes queued and not yet written. */
size_t pm_target_pending(const pm_target *t);
/* No byte written for PM_OUTPUT_STALL seconds while bytes wait (its reader
 * stalled, or it fails: a FIFO not yet opened by its reader, a full
 * disk): whoever holds a writer back for it would wait for nothing. */
bool pm_target_stalled(const pm_target *t, double now);
/* Writes what it can of one target now. */
void pm_target_flush(pm_target *t, double now);
/* Its watched descriptor is writable: writes what it can now. */
void pm_target_ready(pm_target *t, double now);

/* Writes what it can of every target. */
void pm_outputs_flush(pm_outputs *o, double now);
/* True while some target holds bytes it could not write or is failing: the
 * loop should come back within PM_OUTPUT_RETRY. */
bool pm_outputs_waiting(const pm_outputs *o);
/* At exit: writes what is pending, waiting up to `timeout` seconds in
 * poll(2) for targets that are not taking it (a failed one gets one more
 * try, not a wait). */
void pm_outputs_drain(pm_outputs *o, double timeout);
/* Empties a file target as supervisord's clearProcessLogs does: what is
 * pending is written, the file removed, and a new one started at its path
 * (its backups stay).  0, or -errno. */
int pm_target_clear(pm_target *t, double now);
/* Opens every file target's path again (after an external rotation);
 * failures are reported.  Returns the number of targets that failed. */
int pm_outputs_reopen(pm_outputs *o, double now);

/* True when `name` (a file name without its folder) is one of procmon's
 * AUTO files for `identifier` ("procmon" unless [supervisord] identifier):
 * NAME-stdout---IDENTIFIER-XXXXXX.log or NAME-stderr---..., XXXXXX six
 * letters or digits, or one of its backups (.log.N); a '/' in the identifier
 * is a '_' in the name, as config_keys.c writes it.  Narrower than supervisord's
 * own pattern, which takes any name holding ---IDENTIFIER- and .log. */
bool pm_output_is_auto_name(const char *name, const char *identifier);
/* supervisord's clear_autochildlogdir, at start-up: removes from folder `dir`
 * every regular file that pm_output_is_auto_name() takes (never a link or
 * anything else).  A file that cannot be removed is reported to cb (may be
 * NULL).  Returns the number removed, or -errno when dir cannot be read. */
int pm_output_clean_auto(const char *dir, const char *identifier, pm_output_report_cb cb, void *arg);

/* ---- shared with the log stream, exposed for tests ---- */

/* How many bytes at the start of buf (whole lines; the last one may lack
 * its '\n') can go into a file of `size` bytes without passing maxbytes
 * (<= 0: no limit).  0 means: rotate first.  Never 0 when size is 0. */
size_t pm_rotation_take(const char *buf, size_t len, long long size, long long maxbytes);
/* Shifts path.(backups-1) -> path.backups ... path -> path.1 (the oldest is
 * replaced); with backups 0, removes path.  0 or -errno. */
int pm_rotate_files(const char *path, int backups);
/* Calls cb for each of the last n lines of the regular file at path (at
 * most its last max_bytes bytes), oldest first.  0 or -errno. */
int pm_file_last_lines(const char *path, size_t n, size_t max_bytes,
                       void (*cb)(void *arg, const char *line, size_t len), void *arg);

#endif
