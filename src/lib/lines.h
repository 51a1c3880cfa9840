/* A bounded line splitter: one per output stream of a child.
 *
 * Lines end at '\n'.  A "\r\n" terminator counts as the line end: the '\r'
 * right before a '\n' is dropped (also when the two arrive in separate
 * reads); a '\r' anywhere else is kept.  Empty lines are emitted (len 0).
 * A line longer than `max` is emitted in pieces of exactly `max` bytes, then
 * the remainder; a line of exactly `max` bytes is one piece.  A last line
 * without a terminator is emitted by pm_lines_finish(), as is (a final '\r'
 * is kept there, since no '\n' follows it).
 *
 * Memory: the buffer is allocated only once a partial line has to be kept,
 * grows with it and never beyond `max` bytes.  Complete lines found in the
 * data passed to pm_lines_feed() while nothing is buffered are emitted
 * straight from that data, without copying.
 */
#ifndef PM_LINES_H
#define PM_LINES_H

#include <stdbool.h>
#include <stddef.h>

#define PM_LINES_DEFAULT_MAX (64 * 1024)

/* `line` is not NUL-terminated and excludes its terminator; it is only valid
 * during the call. */
typedef void (*pm_line_cb)(void *arg, const char *line, size_t len);

typedef struct pm_lines {
    char *buf;          /* the partial line so far; NULL until needed */
    size_t len, cap, max;
    bool cut;           /* the current line was already emitted in part */
} pm_lines;

/* Allocates nothing; max 0 means PM_LINES_DEFAULT_MAX. */
void pm_lines_init(pm_lines *lines, size_t max);
/* Emits every line completed by `data`.  0, or -ENOMEM when the buffer
 * could not grow: the lines before that point were emitted, the partial
 * line buffered so far is kept and the rest of `data` is dropped. */
int pm_lines_feed(pm_lines *lines, const char *data, size_t len, pm_line_cb cb, void *arg);
/* End of the stream: emits the partial line, if any, and frees the buffer.
 * The splitter can then be fed again, as a new stream. */
void pm_lines_finish(pm_lines *lines, pm_line_cb cb, void *arg);
/* Frees the buffer, dropping any partial line. */
void pm_lines_free(pm_lines *lines);

#endif
