/* One line of a process's output as `tail` sends it: the same object for
 * the lines of its answer (requests.c) and those sent to its followers
 * (daemon.c), so it lives apart from both. */
#ifndef PM_TAILLINE_H
#define PM_TAILLINE_H

#include <jansson.h>
#include <stddef.h>

/* {"stream":"stdout","line":"..."}, the line as valid UTF-8; NULL when out
 * of memory. */
json_t *pm_tail_line_json(int stream, const char *data, size_t len);

#endif
