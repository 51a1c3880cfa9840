/* Processes and their states as supervisord names them: each belongs to a group (its
 * [group:x], or its [program:x]) and is "group:name" there, or "name"
 * when the two are equal; "group:*" (or "group:") names the group. */
#ifndef PM_NAMESPEC_H
#define PM_NAMESPEC_H

#include <stddef.h>

#include "daemon.h"

/* st's group (made up in buf from its name for one `procmon add` made). */
const char *pm_namespec_group(const pm_status *st, char *buf, size_t len);
/* Its name within that group. */
const char *pm_namespec_name(const pm_status *st, const char *group);
/* supervisord's make_namespec: "group:name", or "name". */
void pm_namespec_of(const pm_status *st, char *out, size_t len);
/* supervisord's name of a state: "RUNNING", "BACKOFF" ... */
const char *pm_namespec_state(pm_state s);
/* What spec names, by supervisord's namespec or procmon's own name: 0
 * with the process in st, 1 for a group that has processes (st untouched),
 * or -1 for nothing. */
int pm_namespec_find(const pm_daemon *d, const char *spec, pm_status *st);

#endif
