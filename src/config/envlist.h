/* The `environment =` value of the config file: KEY="value",KEY2=value2. */
#ifndef PM_ENVLIST_H
#define PM_ENVLIST_H

#include <stddef.h>

/* Parses comma-separated KEY=VALUE items.  Blanks around items, keys, '='
 * and values are ignored; a value may be quoted, in whole or in parts, with
 * '...' (taken as it is) or "..." (where \" \\ \$ \` stand for the second
 * character), so that it can hold commas and blanks; unquoted, it may not
 * hold blanks (a forgotten comma is an error rather than a surprise).
 * Values may be empty; a key is a name: a letter or '_', then letters,
 * digits and '_'.  An empty item (",,", a trailing ',') is skipped.  A key
 * given twice keeps its first place and its last value.
 *
 * Returns 0 with *out a NULL-terminated array of "KEY=VALUE" strings (no
 * items: out[0] is NULL) to free with pm_strv_free; -EINVAL with the reason
 * in err ("'1X' is not a valid variable name"); -ENOMEM.  *out is NULL on
 * error. */
int pm_envlist_parse(const char *text, char ***out, char *err, size_t errlen);

#endif
