/* The `status` answer (doc/protocol.md), written as text.  With 1000
 * programs, building and dumping a jansson object per process took 12 ms a
 * request; here jansson only encodes each process's fixed part (name, argv,
 * cwd, user, group) once, and the changing numbers are printed. */
#ifndef PM_STATUSJSON_H
#define PM_STATUSJSON_H

#include "procmon.h"
#include "statusfmt.h"
#include "strbuild.h"

/* What is kept per process between requests; free with pm_status_text_free. */
typedef struct pm_status_text {
    char *name; /* "name":"...", */
    char *spec; /* "argv":[...],"cwd":...,"user":...,"group":... */
} pm_status_text;

/* Appends st's object to b, making *cache on first use: 0 or -ENOMEM.
 * dropped_bytes: output its targets could not take (daemon.h). */
int pm_status_json_append(pm_strbuf *b, const pm_monitor *mon, const pm_status *st,
                          pm_status_text *cache, unsigned long long dropped_bytes);
void pm_status_text_free(pm_status_text *cache);

/* The row `procmon status` prints for st (statusfmt.h): what
 * pm_status_row_from_json reads from st's object (numbers rounded to
 * milliseconds as there).  Its strings point into st or are static. */
void pm_status_row_from_status(const pm_monitor *mon, const pm_status *st, pm_status_row *row);

/* The "table" form of the answer (doc/protocol.md): appends
 * {"ok":true,"table":[LINE,...],"not_running":N} for the n processes, in
 * the order given: each LINE is the one pm_format_status_line makes, padded
 * to the widest name and state among them.  0, or -ENOMEM. */
int pm_status_table_append(pm_strbuf *b, const pm_monitor *mon, const pm_status *sts, size_t n);

/* Appends text as a JSON string, quotes included; bytes that are not UTF-8
 * appear as the text \xNN.  0, or -ENOMEM. */
int pm_json_string_append(pm_strbuf *b, const char *text, size_t len);

#endif
