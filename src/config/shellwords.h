/* Splitting a command into words the way a POSIX shell would, without any
 * expansion: what `command =` in the config file means. */
#ifndef PM_SHELLWORDS_H
#define PM_SHELLWORDS_H

#include <stddef.h>

/* Splits `text` at unquoted blanks (space, tab, newline):
 *   'single quotes'  keep everything up to the next ' as it is;
 *   "double quotes"  keep everything, except that a backslash before
 *                    " \ $ ` stands for that character and one before a
 *                    newline removes both;
 *   \c outside quotes stands for c (and backslash-newline for nothing).
 * Adjacent parts join into one word ('a'"b"c is abc), and '' or "" on its
 * own is an empty word.  $, `, ~, *, ;, |, & and # have no special meaning.
 *
 * Returns 0 with *out a NULL-terminated array (no words: out[0] is NULL) to
 * free with pm_strv_free; -EINVAL with the reason in err ("unterminated
 * double quote", "backslash at the end"); -ENOMEM.  *out is NULL on error. */
int pm_shellwords_split(const char *text, char ***out, char *err, size_t errlen);

#endif
