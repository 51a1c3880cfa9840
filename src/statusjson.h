/* The `status` answer (doc/protocol.md), written as text.  With 1000
 * programs, building and dumping a jansson object per process took 12 ms a
 * request; here jansson only encodes each process's fixed part (name, argv,
 * cwd, user, group) once, and the changing numbers are printed. */
#ifndef PM_STATUSJSON_H
#define PM_STATUSJSON_H

#include "procmon.h"
#include "strbuild.h"

/* What is kept per process between requests; free with pm_status_text_free. */
typedef struct pm_status_text {
    char *name; /* "name":"...", */
    char *spec; /* "argv":[...],"cwd":...,"user":...,"group":... */
} pm_status_text;

/* Appends st's object to b, making *cache on first use: 0 or -ENOMEM.
 * dropped_bytes: output its targets could not take (daemon.h). */
int pm_status_json_append(pm_strbuf *b, const pm_status *st, pm_status_text *cache,
                          unsigned long long dropped_bytes);
void pm_status_text_free(pm_status_text *cache);

#endif
