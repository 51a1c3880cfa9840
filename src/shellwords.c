/* POSIX shell word splitting, without expansions. */
#include "shellwords.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

typedef struct word {
    char *buf;
    size_t len, cap;
} word;

typedef struct wordlist {
    char **v;
    size_t n, cap;
} wordlist;

static int word_add(word *w, char c)
{
    if (w->len + 2 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        char *buf = realloc(w->buf, cap);
        if (!buf)
            return -ENOMEM;
        w->buf = buf;
        w->cap = cap;
    }
    w->buf[w->len++] = c;
    w->buf[w->len] = '\0';
    return 0;
}

/* Moves the word into the list (an empty word too: it came from quotes). */
static int list_add(wordlist *l, word *w)
{
    if (l->n + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (!w->buf && !(w->buf = strdup("")))
        return -ENOMEM;
    l->v[l->n++] = w->buf;
    l->v[l->n] = NULL;
    *w = (word){0};
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static int fail(char *err, size_t errlen, const char *reason)
{
    snprintf(err, errlen, "%s", reason);
    return -EINVAL;
}

/* The double-quoted part starting after the opening quote at *pp; leaves
 * *pp on the closing quote. */
static int double_quoted(const char **pp, word *w, char *err, size_t errlen)
{
    const char *p = *pp;
    for (;; p++) {
        if (!*p)
            return fail(err, errlen, "unterminated double quote");
        if (*p == '"')
            break;
        if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
            p++;
            if (*p == '\n')
                continue;
        }
        if (word_add(w, *p) < 0)
            return -ENOMEM;
    }
    *pp = p;
    return 0;
}

static int split(const char *text, wordlist *list, word *w, char *err, size_t errlen)
{
    bool in_word = false;
    for (const char *p = text; *p; p++) {
        int r = 0;
        if (is_blank(*p)) {
            if (in_word && (r = list_add(list, w)) < 0)
                return r;
            in_word = false;
            continue;
        }
        if (*p == '\\') {
            if (!p[1])
                return fail(err, errlen, "backslash at the end");
            if (p[1] == '\n') { /* a line continuation: nothing */
                p++;
                continue;
            }
            r = word_add(w, *++p);
        } else if (*p == '\'') {
            const char *close = strchr(p + 1, '\'');
            if (!close)
                return fail(err, errlen, "unterminated single quote");
            for (p++; p < close && r == 0; p++)
                r = word_add(w, *p);
            p = close;
        } else if (*p == '"') {
            p++;
            r = double_quoted(&p, w, err, errlen);
        } else {
            r = word_add(w, *p);
        }
        if (r < 0)
            return r;
        in_word = true;
    }
    return in_word ? list_add(list, w) : 0;
}

int pm_shellwords_split(const char *text, char ***out, char *err, size_t errlen)
{
    wordlist list = {0};
    word w = {0};
    *out = NULL;
    int r = split(text, &list, &w, err, errlen);
    free(w.buf);
    if (r == 0 && !list.v && !(list.v = calloc(1, sizeof *list.v)))
        r = -ENOMEM;
    if (r < 0) {
        pm_strv_free(list.v);
        if (r == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        return r;
    }
    *out = list.v;
    return 0;
}
