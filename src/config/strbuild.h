/* Growing a string and a NULL-terminated string array, for the parsers that
 * build argv and environment lists. */
#ifndef PM_STRBUILD_H
#define PM_STRBUILD_H

#include <stddef.h>

typedef struct pm_strbuf {
    char *buf; /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
} pm_strbuf;

typedef struct pm_strvec {
    char **v; /* NULL-terminated once anything was added; NULL before */
    size_t n, cap;
} pm_strvec;

/* Appends n bytes: 0 or -ENOMEM. */
int pm_strbuf_add(pm_strbuf *b, const char *s, size_t n);
/* Moves b's string (an empty one if nothing was added) to the end of v and
 * empties b: 0 or -ENOMEM. */
int pm_strvec_take(pm_strvec *v, pm_strbuf *b);
/* Ends a parse that returned r: on success hands v's array to *out (an empty
 * array rather than NULL); on failure frees it, and names an out-of-memory
 * in err. */
int pm_strvec_finish(pm_strvec *v, int r, char ***out, char *err, size_t errlen);

#endif
