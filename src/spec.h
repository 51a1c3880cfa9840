/* Deep copies of process specifications (the monitor keeps its own). */
#ifndef PM_SPEC_H
#define PM_SPEC_H

#include "procmon.h"

/* 0, or -ENOMEM with nothing allocated. */
int pm_spec_copy(pm_spec *dst, const pm_spec *src);
void pm_spec_free(pm_spec *spec);
/* Frees a NULL-terminated array of strings and the strings. */
void pm_strv_free(char **strv);

#endif
