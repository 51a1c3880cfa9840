/* KEY="value",KEY2=value2 lists, as supervisord's `environment =` takes them. */
#include "envlist.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

typedef struct text {
    char *buf;
    size_t len, cap;
} text;

typedef struct envlist {
    char **v;
    size_t n, cap;
} envlist;

static int text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 32;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *buf = realloc(t->buf, cap);
        if (!buf)
            return -ENOMEM;
        t->buf = buf;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return 0;
}

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
static int list_set(envlist *l, text *t, size_t keylen)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strncmp(l->v[i], t->buf, keylen + 1) == 0) {
            free(l->v[i]);
            l->v[i] = t->buf;
            *t = (text){0};
            return 0;
        }
    }
    if (l->n + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = t->buf;
    l->v[l->n] = NULL;
    *t = (text){0};
    return 0;
}

/* The value starting at *pp, appended to t; leaves *pp on the ',' or the end. */
static int value(const char **pp, text *t, const char *key, int keylen, char *err, size_t errlen)
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
            r = text_add(t, p + 1, (size_t)(close - p - 1));
            p = close + 1;
        } else if (*p == '"') {
            for (p++; *p != '"' && r == 0; p++) {
                if (!*p)
                    return fail(err, errlen, "unterminated double quote in the value of %.*s", keylen, key);
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                    p++;
                r = text_add(t, p, 1);
            }
            if (r == 0)
                p++;
        } else {
            r = text_add(t, p++, 1);
        }
    }
    *pp = p;
    return r;
}

static int parse(const char *p, envlist *l, text *t, char *err, size_t errlen)
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
        if ((r = text_add(t, key, (size_t)keylen)) < 0 || (r = text_add(t, "=", 1)) < 0 ||
            (r = value(&p, t, key, keylen, err, errlen)) < 0 || (r = list_set(l, t, (size_t)keylen)) < 0)
            return r;
    }
}

int pm_envlist_parse(const char *text_, char ***out, char *err, size_t errlen)
{
    envlist l = {0};
    text t = {0};
    *out = NULL;
    int r = parse(text_, &l, &t, err, errlen);
    free(t.buf);
    if (r == 0 && !l.v && !(l.v = calloc(1, sizeof *l.v)))
        r = -ENOMEM;
    if (r < 0) {
        pm_strv_free(l.v);
        if (r == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        return r;
    }
    *out = l.v;
    return 0;
}
