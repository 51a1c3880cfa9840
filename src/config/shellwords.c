/* POSIX shell word splitting, without expansions. */
#include "shellwords.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuild.h"

static int word_add(pm_strbuf *w, char c)
{
    return pm_strbuf_add(w, &c, 1);
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
static int double_quoted(const char **pp, pm_strbuf *w, char *err, size_t errlen)
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

static int split(const char *text, pm_strvec *list, pm_strbuf *w, char *err, size_t errlen)
{
    bool in_word = false;
    for (const char *p = text; *p; p++) {
        int r = 0;
        if (is_blank(*p)) {
            if (in_word && (r = pm_strvec_take(list, w)) < 0)
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
    return in_word ? pm_strvec_take(list, w) : 0;
}

int pm_shellwords_split(const char *text, char ***out, char *err, size_t errlen)
{
    pm_strvec list = {0};
    pm_strbuf w = {0};
    int r = split(text, &list, &w, err, errlen);
    free(w.buf);
    return pm_strvec_finish(&list, r, out, err, errlen);
}
