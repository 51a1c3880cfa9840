/* The `status` answer, as text around fragments encoded once by jansson. */
#include "statusjson.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *json_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* An object's members without its braces, so that more can follow. */
static char *members(json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(obj);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    memmove(text, text + 1, n - 2);
    text[n - 2] = '\0';
    return text;
}

static int make_cache(const pm_status *st, pm_status_text *c)
{
    json_t *argv = json_array();
    for (char **a = st->spec->argv; argv && *a; a++)
        json_array_append_new(argv, json_string(*a)); /* NULL for non-UTF-8: skipped */
    json_t *deps = json_array();
    for (size_t i = 0; deps && i < st->spec->ndepends_on; i++) {
        const pm_dependency *d = &st->spec->depends_on[i];
        json_array_append_new(deps, d->condition == PM_DEP_READY
                                        ? json_string(d->name)
                                        : json_sprintf("%s:%s", d->name, pm_dep_condition_name(d->condition)));
    }
    c->name = members(json_pack("{ss}", "name", st->name));
    bool checked = st->spec->health != PM_HEALTH_NONE;
    c->spec = members(json_pack("{so so so so so so}", "argv", argv ? argv : json_array(),
                                "cwd", json_or_null(st->spec->cwd),
                                "user", json_or_null(st->spec->user),
                                "group", json_or_null(st->spec->group),
                                "depends_on", deps ? deps : json_array(),
                                "health_retries",
                                checked ? json_integer(st->spec->health_retries) : json_null()));
    if (c->name && c->spec)
        return 0;
    pm_status_text_free(c);
    return -ENOMEM;
}

void pm_status_text_free(pm_status_text *cache)
{
    free(cache->name);
    free(cache->spec);
    cache->name = cache->spec = NULL;
}

/* ",\"key\":" then the number, or null when absent.  Written by hand:
 * snprintf was most of the time of a status request. */
static int put_int(pm_strbuf *b, const char *key, long long v, int present)
{
    char text[96];
    size_t klen = strlen(key), n = 0;
    if (klen > 64)
        return -EINVAL;
    text[n++] = ',';
    text[n++] = '"';
    memcpy(text + n, key, klen);
    n += klen;
    text[n++] = '"';
    text[n++] = ':';
    if (!present) {
        memcpy(text + n, "null", 4);
        return pm_strbuf_add(b, text, n + 4);
    }
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char digits[24];
    size_t d = sizeof digits;
    do
        digits[--d] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        text[n++] = '-';
    memcpy(text + n, digits + d, sizeof digits - d);
    return pm_strbuf_add(b, text, n + sizeof digits - d);
}

static int put_seconds(pm_strbuf *b, const char *key, double v, int present)
{
    if (!present)
        return put_int(b, key, 0, 0);
    char text[512]; /* any double */
    int n = snprintf(text, sizeof text, ",\"%s\":%.3f", key, v);
    return n > 0 && (size_t)n < sizeof text ? pm_strbuf_add(b, text, (size_t)n) : -EINVAL;
}

/* What it last sent as STATUS=..., or null. */
static int put_status_text(pm_strbuf *b, const char *status_text)
{
    if (!status_text)
        return pm_strbuf_add(b, ",\"status_text\":null", 19);
    int r = pm_strbuf_add(b, ",\"status_text\":", 15);
    return r ? r : pm_json_string_append(b, status_text, strlen(status_text));
}

/* The dependencies it is held back for: [] when it is not. */
static int put_waiting_for(pm_strbuf *b, const pm_monitor *mon, const pm_status *st)
{
    const char *names[PM_WAITING_SHOWN];
    int n = st->waiting ? pm_monitor_waiting_for(mon, st->name, names, PM_WAITING_SHOWN) : 0;
    int r = pm_strbuf_add(b, ",\"waiting_for\":[", 16);
    for (int i = 0; r == 0 && i < n && i < PM_WAITING_SHOWN; i++) {
        r = i ? pm_strbuf_add(b, ",", 1) : 0;
        r = r ? r : pm_json_string_append(b, names[i], strlen(names[i]));
    }
    return r ? r : pm_strbuf_add(b, "]", 1);
}

int pm_status_json_append(pm_strbuf *b, const pm_monitor *mon, const pm_status *st,
                          pm_status_text *cache, unsigned long long dropped_bytes)
{
    if (!cache->name && make_cache(st, cache) < 0)
        return -ENOMEM;
    const char *state = pm_state_name(st->state);
    int up = st->state == PM_STATE_STARTING || st->state == PM_STATE_RUNNING ||
             st->state == PM_STATE_STOPPING;
    int r = pm_strbuf_add(b, "{", 1);
    r = r ? r : pm_strbuf_add(b, cache->name, strlen(cache->name));
    r = r ? r : pm_strbuf_add(b, ",\"state\":\"", 10);
    r = r ? r : pm_strbuf_add(b, state, strlen(state));
    r = r ? r : pm_strbuf_add(b, "\"", 1);
    r = r ? r : put_int(b, "pid", st->pid, up && st->pid > 0);
    r = r ? r : put_seconds(b, "uptime", st->uptime, up);
    r = r ? r : put_int(b, "restarts", st->restarts, 1);
    r = r ? r : put_int(b, "exit_status", st->exit_status, st->exit_status >= 0);
    r = r ? r : put_int(b, "exit_signal", st->exit_signal, st->exit_signal > 0);
    r = r ? r : put_seconds(b, "restart_in", st->restart_in, st->restart_in >= 0);
    r = r ? r : put_int(b, "dropped_bytes", (long long)dropped_bytes, 1);
    r = r ? r : put_status_text(b, st->status_text);
    r = r ? r : put_int(b, "main_pid", st->main_pid, up && st->main_pid > 0);
    r = r ? r : pm_strbuf_add(b, ",\"phase\":", 9);
    if (r == 0)
        r = st->phase ? pm_json_string_append(b, st->phase, strlen(st->phase)) : pm_strbuf_add(b, "null", 4);
    r = r ? r : put_waiting_for(b, mon, st);
    const char *health = !st->health_checked        ? ",\"health\":null"
                         : st->health_failures == 0 ? ",\"health\":\"healthy\""
                                                    : ",\"health\":\"unhealthy\"";
    r = r ? r : pm_strbuf_add(b, health, strlen(health));
    r = r ? r : put_int(b, "health_failures", st->health_failures, st->health_checked);
    r = r ? r : pm_strbuf_add(b, ",", 1);
    r = r ? r : pm_strbuf_add(b, cache->spec, strlen(cache->spec));
    return r ? r : pm_strbuf_add(b, "}", 1);
}

/* ---- the "table" form ---- */

/* As the answer's "%.3f" then read back. */
static double milliseconds(double v)
{
    return v >= 0 && v < 1e12 ? (double)(long long)(v * 1000 + 0.5) / 1000 : v;
}

void pm_status_row_from_status(const pm_monitor *mon, const pm_status *st, pm_status_row *row)
{
    int up = st->state == PM_STATE_STARTING || st->state == PM_STATE_RUNNING ||
             st->state == PM_STATE_STOPPING;
    *row = (pm_status_row){
        .name = st->name, .state = pm_state_name(st->state), .pid = -1, .uptime = -1,
        .exit_status = -1, .exit_signal = 0, .signal_text = NULL, .restart_in = -1,
    };
    if (up && st->pid > 0)
        row->pid = st->pid;
    if (up)
        row->uptime = milliseconds(st->uptime);
    if (st->exit_status >= 0 && st->exit_status <= 255)
        row->exit_status = st->exit_status;
    if (st->exit_signal > 0 && st->exit_signal < 1024)
        row->exit_signal = st->exit_signal;
    if (st->restart_in >= 0)
        row->restart_in = milliseconds(st->restart_in);
    row->status_text = st->status_text;
    row->phase = st->phase;
    if (st->health_checked)
        pm_status_row_set_health(row, st->health_failures, st->spec->health_retries);
    const char *names[PM_WAITING_SHOWN];
    int n = st->waiting ? pm_monitor_waiting_for(mon, st->name, names, PM_WAITING_SHOWN) : 0;
    for (int i = 0; i < n && i < PM_WAITING_SHOWN; i++)
        pm_status_row_add_waiting(row, names[i]);
}

/* The length of the valid UTF-8 sequence at p (at most left bytes), or 0. */
static size_t utf8_length(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else
        return 0;
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

int pm_json_string_append(pm_strbuf *b, const char *text, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)text;
    int r = pm_strbuf_add(b, "\"", 1);
    size_t i = 0, run = 0; /* p[run, i) is to be copied as it is */
    while (r == 0 && i < len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { /* most bytes */
            i++;
            continue;
        }
        size_t n = c >= 0x80 ? utf8_length(p + i, len - i) : 0;
        if (n) {
            i += n;
            continue;
        }
        char esc[8];
        size_t elen;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        } else { /* not UTF-8: the text \xNN, its backslash escaped */
            memcpy(esc, "\\\\x", 3);
            esc[3] = "0123456789ABCDEF"[c >> 4];
            esc[4] = "0123456789ABCDEF"[c & 15];
            elen = 5;
        }
        r = pm_strbuf_add(b, text + run, i - run);
        r = r ? r : pm_strbuf_add(b, esc, elen);
        run = ++i;
    }
    r = r ? r : pm_strbuf_add(b, text + run, len - run);
    return r ? r : pm_strbuf_add(b, "\"", 1);
}

int pm_status_table_append(pm_strbuf *b, const pm_monitor *mon, const pm_status *sts, size_t n)
{
    pm_status_row *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        return -ENOMEM;
    size_t name_width = 0, state_width = 0, not_running = 0;
    for (size_t i = 0; i < n; i++) {
        pm_status_row_from_status(mon, &sts[i], &rows[i]);
        size_t w = pm_text_width(rows[i].name);
        name_width = w > name_width ? w : name_width;
        w = pm_text_width(rows[i].state);
        state_width = w > state_width ? w : state_width;
        not_running += sts[i].state != PM_STATE_RUNNING;
    }
    static const char head[] = "{\"ok\":true,\"table\":[";
    int r = pm_strbuf_add(b, head, sizeof head - 1);
    for (size_t i = 0; r == 0 && i < n; i++) {
        char *line = pm_format_status_line(&rows[i], name_width, state_width);
        r = line ? 0 : -ENOMEM;
        r = r || i == 0 ? r : pm_strbuf_add(b, ",", 1);
        r = r ? r : pm_json_string_append(b, line, strlen(line));
        free(line);
    }
    free(rows);
    char tail[64];
    int len = snprintf(tail, sizeof tail, "],\"not_running\":%zu}", not_running);
    return r ? r : pm_strbuf_add(b, tail, (size_t)len);
}
