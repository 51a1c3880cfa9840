/* Growing a string and a NULL-terminated string array. */
#include "strbuild.h"

#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pm_strbuf_add(pm_strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *buf = realloc(b->buf, cap);
        if (!buf)
            return -ENOMEM;
        b->buf = buf;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return 0;
}

int pm_strvec_take(pm_strvec *v, pm_strbuf *b)
{
    if (v->n + 2 > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **arr = realloc(v->v, cap * sizeof *arr);
        if (!arr)
            return -ENOMEM;
        v->v = arr;
        v->cap = cap;
    }
    if (!b->buf && !(b->buf = strdup("")))
        return -ENOMEM;
    v->v[v->n++] = b->buf;
    v->v[v->n] = NULL;
    *b = (pm_strbuf){0};
    return 0;
}

int pm_strvec_finish(pm_strvec *v, int r, char ***out, char *err, size_t errlen)
{
    *out = NULL;
    if (r == 0 && !v->v && !(v->v = calloc(1, sizeof *v->v)))
        r = -ENOMEM;
    if (r < 0) {
        pm_strv_free(v->v);
        if (r == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        return r;
    }
    *out = v->v;
    return 0;
}
