/* Deep copies of process specifications (the monitor keeps its own). */
#ifndef PM_SPEC_H
#define PM_SPEC_H

#include "procmon.h"

/* 0, or -ENOMEM with nothing allocated. */
int pm_spec_copy(pm_spec *dst, const pm_spec *src);
void pm_spec_free(pm_spec *spec);
/* The user, group and working directory exist: 0, or -EINVAL with one
 * line in err, so that a typo is refused rather than backing off forever. */
int pm_spec_check(const pm_spec *spec, char *err, size_t errlen);
/* Frees a NULL-terminated array of strings and the strings. */
void pm_strv_free(char **strv);
/* Whether two specs ask for the same process: every field, strings and
 * string arrays by value (a NULL env and an empty one are the same: nothing
 * to add).  Reload uses it to tell changed programs from unchanged ones, so
 * a field added to pm_spec must be added here too. */
bool pm_spec_equal(const pm_spec *a, const pm_spec *b);

#endif
