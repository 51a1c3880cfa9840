/* KEY="value",KEY2=value2 lists, as supervisord's `environment =` takes them. */
#include "envlist.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuild.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blanks(const char *p)
{
    while (is_blank(*p))
        p++;
    return p;
}

static bool name_start(char c) { return c == '_' || isalpha((unsigned char)c); }
static bool name_char(char c) { return c == '_' || isalnum((unsigned char)c); }

static int fail(char *err, size_t errlen, const char *fmt, int len, const char *s)
{
    snprintf(err, errlen, fmt, len, s);
    return -EINVAL;
}

/* Adds "KEY=VALUE" (t holds it), replacing an earlier value of the same key. */
static int list_set(pm_strvec *l, pm_strbuf *t, size_t keylen)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strncmp(l->v[i], t->buf, keylen + 1) == 0) {
            free(l->v[i]);
            l->v[i] = t->buf;
            *t = (pm_strbuf){0};
            return 0;
        }
    }
    return pm_strvec_take(l, t);
}

/* The value starting at *pp, appended to t; leaves *pp on the ',' or the end. */
static int value(const char **pp, pm_strbuf *t, const char *key, int keylen, char *err, size_t errlen)
{
    const char *p = *pp;
    int r = 0;
    while (r == 0 && *p && *p != ',') {
        if (is_blank(*p)) {
            const char *next = skip_blanks(p);
            if (*next && *next != ',')
                return fail(err, errlen, "a blank in the value of %.*s: quote the value, or separate items with ','",
                            keylen, key);
            p = next;
        } else if (*p == '\'') {
            const char *close = strchr(p + 1, '\'');
            if (!close)
                return fail(err, errlen, "unterminated single quote in the value of %.*s", keylen, key);
            r = pm_strbuf_add(t, p + 1, (size_t)(close - p - 1));
            p = close + 1;
        } else if (*p == '"') {
            for (p++; *p != '"' && r == 0; p++) {
                if (!*p)
                    return fail(err, errlen, "unterminated double quote in the value of %.*s", keylen, key);
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                    p++;
                r = pm_strbuf_add(t, p, 1);
            }
            if (r == 0)
                p++;
        } else {
            r = pm_strbuf_add(t, p++, 1);
        }
    }
    *pp = p;
    return r;
}

static int parse(const char *p, pm_strvec *l, pm_strbuf *t, char *err, size_t errlen)
{
    for (;;) {
        p = skip_blanks(p);
        if (!*p)
            return 0;
        if (*p == ',') {
            p++;
            continue;
        }
        const char *key = p;
        while (*p && *p != '=' && *p != ',' && !is_blank(*p))
            p++;
        int keylen = (int)(p - key);
        bool valid = name_start(key[0]);
        for (int i = 1; valid && i < keylen; i++)
            valid = name_char(key[i]);
        if (!valid)
            return fail(err, errlen, "'%.*s' is not a valid variable name", keylen, key);
        p = skip_blanks(p);
        if (*p != '=')
            return fail(err, errlen, "no '=' after %.*s", keylen, key);
        p = skip_blanks(p + 1);
        int r;
        if ((r = pm_strbuf_add(t, key, (size_t)keylen)) < 0 || (r = pm_strbuf_add(t, "=", 1)) < 0 ||
            (r = value(&p, t, key, keylen, err, errlen)) < 0 || (r = list_set(l, t, (size_t)keylen)) < 0)
            return r;
    }
}

int pm_envlist_parse(const char *text, char ***out, char *err, size_t errlen)
{
    pm_strvec l = {0};
    pm_strbuf t = {0};
    int r = parse(text, &l, &t, err, errlen);
    free(t.buf);
    return pm_strvec_finish(&l, r, out, err, errlen);
}
