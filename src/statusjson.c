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
    c->name = members(json_pack("{ss}", "name", st->name));
    c->spec = members(json_pack("{so so so so}", "argv", argv ? argv : json_array(),
                                "cwd", json_or_null(st->spec->cwd),
                                "user", json_or_null(st->spec->user),
                                "group", json_or_null(st->spec->group)));
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

/* ",\"key\":" then the number, or null when absent. */
static int put_int(pm_strbuf *b, const char *key, long long v, int present)
{
    char text[64];
    int n = present ? snprintf(text, sizeof text, ",\"%s\":%lld", key, v)
                    : snprintf(text, sizeof text, ",\"%s\":null", key);
    return pm_strbuf_add(b, text, (size_t)n);
}

static int put_seconds(pm_strbuf *b, const char *key, double v, int present)
{
    char text[64];
    int n = present ? snprintf(text, sizeof text, ",\"%s\":%.3f", key, v)
                    : snprintf(text, sizeof text, ",\"%s\":null", key);
    return pm_strbuf_add(b, text, (size_t)n);
}

int pm_status_json_append(pm_strbuf *b, const pm_status *st, pm_status_text *cache,
                          unsigned long long dropped_bytes)
{
    if (!cache->name && make_cache(st, cache) < 0)
        return -ENOMEM;
    const char *state = pm_state_name(st->state);
    int up = st->state == PM_STATE_RUNNING || st->state == PM_STATE_STOPPING;
    int r = pm_strbuf_add(b, "{", 1);
    r = r ? r : pm_strbuf_add(b, cache->name, strlen(cache->name));
    r = r ? r : pm_strbuf_add(b, ",\"state\":\"", 10);
    r = r ? r : pm_strbuf_add(b, state, strlen(state));
    r = r ? r : pm_strbuf_add(b, "\"", 1);
    r = r ? r : put_int(b, "pid", st->pid, up);
    r = r ? r : put_seconds(b, "uptime", st->uptime, up);
    r = r ? r : put_int(b, "restarts", st->restarts, 1);
    r = r ? r : put_int(b, "exit_status", st->exit_status, st->exit_status >= 0);
    r = r ? r : put_int(b, "exit_signal", st->exit_signal, st->exit_signal > 0);
    r = r ? r : put_seconds(b, "restart_in", st->restart_in, st->restart_in >= 0);
    r = r ? r : put_int(b, "dropped_bytes", (long long)dropped_bytes, 1);
    r = r ? r : pm_strbuf_add(b, ",", 1);
    r = r ? r : pm_strbuf_add(b, cache->spec, strlen(cache->spec));
    return r ? r : pm_strbuf_add(b, "}", 1);
}
