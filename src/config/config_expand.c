/* %(name)s in a value, formatted as Python's %-formatting formats it
 * (supervisord expands values with it): what each name stands for in a
 * section is in an `expansions`. */
#include "config_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
    char *buf;
    size_t len, cap;
    bool oom;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *buf = realloc(t->buf, cap);
        if (!buf) {
            t->oom = true;
            return;
        }
        t->buf = buf;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_pad(text *t, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        text_add(t, &c, 1);
}

const char *pm_cfg_env_find(char *const *env, const char *name, size_t len)
{
    for (; env && *env; env++)
        if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

static const char *env_lookup(const expansions *ex, const char *name, size_t len)
{
    const char *v = pm_cfg_env_find(ex->program_env, name, len);
    if (!v)
        v = pm_cfg_env_find(ex->global_env, name, len);
    if (!v) {
        char *var = strndup(name, len);
        v = var ? getenv(var) : NULL;
        free(var);
    }
    return v;
}

typedef struct expansion_spec {
    char flags[8];
    int width, precision; /* -1: none */
    char conversion;      /* 's' or 'd' */
} expansion_spec;

/* Python's %-formatting of a number (which supervisord uses): sign, zero
 * padding and precision as in C. */
static void format_number(text *t, long long v, const expansion_spec *fs)
{
    char digits[32];
    unsigned long long mag = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    size_t nd = (size_t)snprintf(digits, sizeof digits, "%llu", mag);
    size_t zeros = fs->precision > (int)nd ? (size_t)fs->precision - nd : 0;
    char sign = v < 0 ? '-' : strchr(fs->flags, '+') ? '+' : strchr(fs->flags, ' ') ? ' ' : 0;
    size_t body = (sign ? 1 : 0) + zeros + nd;
    size_t pad = fs->width > (int)body ? (size_t)fs->width - body : 0;
    bool left = strchr(fs->flags, '-');
    bool zero_pad = !left && strchr(fs->flags, '0') && fs->precision < 0;
    if (!left && !zero_pad)
        text_pad(t, ' ', pad);
    if (sign)
        text_add(t, &sign, 1);
    text_pad(t, '0', zero_pad ? pad + zeros : zeros);
    text_add(t, digits, nd);
    if (left)
        text_pad(t, ' ', pad);
}

static void format_string(text *t, const char *s, const expansion_spec *fs)
{
    size_t n = strlen(s);
    if (fs->precision >= 0 && (size_t)fs->precision < n)
        n = (size_t)fs->precision;
    size_t pad = fs->width > (int)n ? (size_t)fs->width - n : 0;
    bool left = strchr(fs->flags, '-');
    if (!left)
        text_pad(t, ' ', pad);
    text_add(t, s, n);
    if (left)
        text_pad(t, ' ', pad);
}

/* A width or precision; anything over 4096 reads as 4097 (too large). */
static const char *parse_count(const char *p, int *out)
{
    int n = 0;
    for (; isdigit((unsigned char)*p); p++)
        if (n <= 4096)
            n = n * 10 + (*p - '0');
    *out = n > 4096 ? 4097 : n;
    return p;
}

/* Reads flags, width, precision, length and conversion after "%(name)". */
static const char *parse_expansion_spec(const char *p, expansion_spec *fs)
{
    size_t nf = 0;
    *fs = (expansion_spec){.width = -1, .precision = -1};
    while (*p && strchr("-+ #0", *p)) {
        if (nf + 1 < sizeof fs->flags && !strchr(fs->flags, *p))
            fs->flags[nf++] = *p;
        p++;
    }
    if (isdigit((unsigned char)*p))
        p = parse_count(p, &fs->width);
    if (*p == '.')
        p = parse_count(p + 1, &fs->precision);
    if (*p && strchr("hlL", *p)) /* Python accepts and ignores a length */
        p++;
    fs->conversion = *p == 'i' ? 'd' : *p;
    return p;
}

char *pm_cfg_expand(loader *ld, const expansions *ex, const section *sec, const entry *e)
{
    static const char *const program_names =
        "ENV_*, group_name, here, host_node_name, numprocs, process_num, program_name";
    text t = {0};
    text_add(&t, "", 0);
    for (const char *p = e->value; *p && !ld->failed; p++) {
        if (*p != '%') {
            const char *next = strchr(p, '%');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            text_add(&t, p, n);
            p += n - 1;
            continue;
        }
        if (p[1] == '%') {
            text_add(&t, "%", 1);
            p++;
            continue;
        }
        if (p[1] != '(') {
            pm_cfg_fail_value(ld, sec, e, e->value, "a '%%' must begin %%(name)s, or be doubled: %%%%");
            break;
        }
        const char *name = p + 2, *close = strchr(name, ')');
        if (!close) {
            pm_cfg_fail_value(ld, sec, e, e->value, "'%%(' without ')'");
            break;
        }
        int nlen = (int)(close - name);
        expansion_spec fs;
        const char *conv = parse_expansion_spec(close + 1, &fs);
        if (fs.conversion != 's' && fs.conversion != 'd') {
            pm_cfg_fail_value(ld, sec, e, e->value,
                              "%%(%.*s) must be followed by s or d, with an optional width", nlen, name);
            break;
        }
        if (fs.width > 4096 || fs.precision > 4096) {
            pm_cfg_fail_value(ld, sec, e, e->value, "the width of %%(%.*s) is too large", nlen, name);
            break;
        }
        const char *str = NULL;
        long long num = 0;
        bool is_num = false;
#define IS(s) (nlen == (int)strlen(s) && strncmp(name, s, (size_t)nlen) == 0)
        if (IS("here"))
            str = e->here;
        else if (IS("host_node_name"))
            str = ex->host;
        else if (ex->program && IS("program_name"))
            str = ex->program;
        else if (ex->program && IS("group_name"))
            str = ex->group ? ex->group : ex->program;
        else if (ex->has_num && IS("process_num"))
            num = ex->process_num, is_num = true;
        else if (ex->has_num && IS("numprocs"))
            num = ex->numprocs, is_num = true;
        else if (nlen > 4 && strncmp(name, "ENV_", 4) == 0) {
            str = env_lookup(ex, name + 4, (size_t)nlen - 4);
            if (!str) {
                pm_cfg_fail_value(ld, sec, e, e->value, "%.*s is not in the environment", nlen - 4, name + 4);
                break;
            }
        } else {
            pm_cfg_fail_value(ld, sec, e, e->value, "unknown expansion %%(%.*s); known here: %s", nlen, name,
                              ex->program ? program_names : "ENV_*, here, host_node_name");
            break;
        }
#undef IS
        if (fs.conversion == 'd' && !is_num) {
            pm_cfg_fail_value(ld, sec, e, e->value, "%%(%.*s) is not a number: use %%(%.*s)s", nlen, name,
                              nlen, name);
            break;
        }
        if (is_num && fs.conversion == 'd') {
            format_number(&t, num, &fs);
        } else if (is_num) {
            char digits[32];
            snprintf(digits, sizeof digits, "%lld", num);
            format_string(&t, digits, &fs);
        } else {
            format_string(&t, str, &fs);
        }
        p = conv;
    }
    if (t.oom)
        pm_cfg_fail_oom(ld);
    if (ld->failed) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
