/* A bounded in-memory ring of a process's recent output lines, for `tail`.
 *
 * Retention.  Each line costs its length plus 5 bytes (its header).  After
 * every push the ring holds the newest L lines, in order, where L is at
 * least min(min_lines, K) and K is the number of newest lines whose costs
 * add up to at most max_bytes (K >= 1: the newest line is always kept).
 * The lines held never cost more than max_bytes, except a single line,
 * which may cost up to max_bytes + 5.  Lines are dropped at the byte limit
 * one by one, so the limit is met exactly; beyond min_lines they are
 * dropped a whole chunk at a time, so the ring may hold somewhat more than
 * min_lines lines.
 *
 * Memory.  Nothing is allocated until the first line.  Lines are stored
 * back to back in chunks; a chunk holding several lines is at most C bytes,
 * where C is max_bytes/32 rounded down to a power of two and kept between
 * 1 KiB and 64 KiB (32 KiB for 1 MiB).  A line that would not fit a
 * normal chunk gets a chunk of its own, of its size.  pm_ring_bytes() stays
 * below max_bytes + 5 + max_bytes/16 + 4*C + a 64-byte header a chunk; a
 * ring that holds few lines holds chunks sized to them (a few short lines
 * cost one 256-byte chunk).  Chunks are reused (one spare is kept), so in
 * steady state pushing a line allocates nothing, unless lines longer than
 * C vary in length (each then gets a chunk of its own).
 *
 * Not thread-safe.  pm_ring_last()'s callback must not modify the ring.
 */
#ifndef PM_RING_H
#define PM_RING_H

#include <stddef.h>

#include "procmon.h"

typedef struct pm_ring pm_ring; /* opaque */

/* `line` is not NUL-terminated; it is only valid during the call. */
typedef void (*pm_ring_line_cb)(void *arg, int stream, const char *line, size_t len);

/* NULL on ENOMEM.  Allocates only the ring itself (no line storage).
 * max_bytes 0 keeps just the newest line, cut to nothing; min_lines 0 lets
 * the byte limit and chunk boundaries alone decide. */
pm_ring *pm_ring_new(size_t min_lines, size_t max_bytes);
/* NULL is allowed. */
void pm_ring_free(pm_ring *r);
/* Appends one line (bytes, no newline) with its stream (1 stdout, 2 stderr;
 * kept as one byte).  A line longer than max_bytes (or 1 GiB) is cut to
 * that.  Returns 0, or -ENOMEM: then the line is dropped and nothing else
 * changes. */
int pm_ring_push(pm_ring *r, int stream, const char *line, size_t len);
/* The same for each line, in order; -ENOMEM if any was dropped. */
int pm_ring_push_lines(pm_ring *r, int stream, const pm_line *lines, size_t n);
/* The number of lines held. */
size_t pm_ring_count(const pm_ring *r);
/* Calls cb for the last n lines held (or all if fewer), oldest first. */
void pm_ring_last(const pm_ring *r, size_t n, pm_ring_line_cb cb, void *arg);
/* Bytes of line storage held (chunks with their headers, and the spare);
 * 0 before the first line.  The fixed-size ring itself is not counted. */
size_t pm_ring_bytes(const pm_ring *r);

#endif
