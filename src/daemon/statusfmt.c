/* `procmon status` for people; see statusfmt.h. */
#include "statusfmt.h"

#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double number_or(const json_t *v, double none)
{
    return json_is_number(v) ? json_number_value(v) : none;
}

int pm_status_row_from_json(const json_t *obj, pm_status_row *row)
{
    memset(row, 0, sizeof *row);
    row->pid = -1;
    row->uptime = -1;
    row->exit_status = -1;
    row->restart_in = -1;
    if (!json_is_object(obj))
        return -EINVAL;
    const json_t *name = json_object_get(obj, "name");
    const json_t *state = json_object_get(obj, "state");
    if (!json_is_string(name) || !json_is_string(state))
        return -EINVAL;
    row->name = json_string_value(name);
    row->state = json_string_value(state);
    const json_t *pid = json_object_get(obj, "pid");
    if (json_is_integer(pid) && json_integer_value(pid) > 0)
        row->pid = json_integer_value(pid);
    row->uptime = number_or(json_object_get(obj, "uptime"), -1);
    row->status_text = json_string_value(json_object_get(obj, "status_text"));
    row->phase = json_string_value(json_object_get(obj, "phase"));
    const json_t *failures = json_object_get(obj, "health_failures");
    if (json_is_integer(failures) && json_integer_value(failures) >= 0)
        pm_status_row_set_health(row, json_integer_value(failures),
                                 json_integer_value(json_object_get(obj, "health_retries")));
    const json_t *waiting = json_object_get(obj, "waiting_for");
    for (size_t i = 0; i < json_array_size(waiting); i++)
        if (json_is_string(json_array_get(waiting, i)))
            pm_status_row_add_waiting(row, json_string_value(json_array_get(waiting, i)));
    row->restart_in = number_or(json_object_get(obj, "restart_in"), -1);
    const json_t *status = json_object_get(obj, "exit_status");
    if (json_is_integer(status) && json_integer_value(status) >= 0 &&
        json_integer_value(status) <= 255)
        row->exit_status = (int)json_integer_value(status);
    /* A number, or a name such as "SIGKILL" / "KILL". */
    const json_t *sig = json_object_get(obj, "exit_signal");
    if (json_is_integer(sig) && json_integer_value(sig) > 0 && json_integer_value(sig) < 1024)
        row->exit_signal = (int)json_integer_value(sig);
    else if (json_is_string(sig) && *json_string_value(sig)) {
        row->exit_signal = pm_parse_signal(json_string_value(sig));
        if (!row->exit_signal)
            row->signal_text = json_string_value(sig);
    }
    return 0;
}

/* Text written by hand into buf[0..len): the status of a thousand
 * processes is formatted for every `status`, and snprintf was most of it.
 * What does not fit is cut, and the text is always NUL-terminated. */
typedef struct text {
    char *p, *end; /* end: the last byte, kept for the NUL */
} text;

static text text_at(char *buf, size_t len)
{
    return (text){buf, len ? buf + len - 1 : buf};
}

static void put(text *t, const char *s, size_t n)
{
    size_t room = (size_t)(t->end - t->p);
    if (n > room)
        n = room;
    memcpy(t->p, s, n);
    t->p += n;
}

static void put_str(text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void put_spaces(text *t, size_t n)
{
    size_t room = (size_t)(t->end - t->p);
    if (n > room)
        n = room;
    memset(t->p, ' ', n);
    t->p += n;
}

/* v in decimal, at least `digits` digits. */
static void put_number(text *t, unsigned long long v, int digits)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k < digits)
        d[k++] = '0';
    char r[24];
    for (int i = 0; i < k; i++)
        r[i] = d[k - 1 - i];
    put(t, r, (size_t)k);
}

static void text_end(text *t, size_t len)
{
    if (len)
        *t->p = '\0';
}

void pm_format_uptime(double seconds, char *buf, size_t len)
{
    if (!(seconds >= 0) || seconds > 1e15) /* NaN too */
        seconds = 0;
    unsigned long long total = (unsigned long long)seconds; /* rounds down */
    unsigned long long days = total / 86400;
    text t = text_at(buf, len);
    if (days) {
        put_number(&t, days, 1);
        put_str(&t, days == 1 ? " day, " : " days, ");
    }
    put_number(&t, total % 86400 / 3600, 1);
    put(&t, ":", 1);
    put_number(&t, total % 3600 / 60, 2);
    put(&t, ":", 1);
    put_number(&t, total % 60, 2);
    text_end(&t, len);
}

/* "exit status 1", "killed by SIGKILL", or "" when there was no exit. */
static void format_exit(const pm_status_row *row, char *buf, size_t len)
{
    char name[32];
    if (row->exit_signal > 0)
        snprintf(buf, len, "killed by %s", pm_signal_name(row->exit_signal, name, sizeof name));
    else if (row->signal_text)
        snprintf(buf, len, "killed by %s", row->signal_text);
    else if (row->exit_status >= 0)
        snprintf(buf, len, "exit status %d", row->exit_status);
    else if (len)
        buf[0] = '\0';
}

void pm_status_row_set_health(pm_status_row *row, long long failures, long long retries)
{
    if (failures == 0)
        snprintf(row->health, sizeof row->health, "healthy");
    else
        snprintf(row->health, sizeof row->health, "unhealthy (%lld/%lld)", failures, retries);
}

void pm_status_row_add_waiting(pm_status_row *row, const char *name)
{
    size_t used = strlen(row->waiting_for);
    snprintf(row->waiting_for + used, sizeof row->waiting_for - used, "%s%s", used ? ", " : "", name);
}

void pm_format_status_details(const pm_status_row *row, char *buf, size_t len)
{
    char exit_text[96];
    char uptime[64];
    const char *state = row->state ? row->state : "";
    if (len)
        buf[0] = '\0';
    if (row->waiting_for[0]) {
        snprintf(buf, len, "(waiting for %s)", row->waiting_for);
        return;
    }
    if (strcmp(state, "running") == 0 || strcmp(state, "starting") == 0) {
        bool running = state[0] == 'r';
        text t = text_at(buf, len);
        if (row->pid >= 0) {
            put_str(&t, "pid ");
            put_number(&t, (unsigned long long)row->pid, 1);
        }
        if (row->uptime >= 0) {
            if (running)
                pm_format_uptime(row->uptime, uptime, sizeof uptime);
            else
                snprintf(uptime, sizeof uptime, "%.1fs", row->uptime > 1e9 ? 1e9 : row->uptime);
            put_str(&t, row->pid >= 0 ? ", " : "");
            put_str(&t, running ? "uptime " : "for ");
            put_str(&t, uptime);
        }
        if (row->status_text) {
            put_str(&t, t.p > buf ? ", status: " : "status: ");
            put_str(&t, row->status_text);
        }
        if (row->phase) {
            put_str(&t, t.p > buf ? ", " : "");
            put_str(&t, row->phase);
        }
        if (row->health[0]) {
            put_str(&t, t.p > buf ? ", " : "");
            put_str(&t, row->health);
        }
        text_end(&t, len);
        return;
    }
    format_exit(row, exit_text, sizeof exit_text);
    if (strcmp(state, "backoff") == 0) {
        char wait[64];
        if (row->restart_in >= 0)
            snprintf(wait, sizeof wait, "restarting in %.1fs",
                     row->restart_in > 1e9 ? 1e9 : row->restart_in);
        else
            snprintf(wait, sizeof wait, "waiting to restart");
        if (*exit_text)
            snprintf(buf, len, "%s (%s)", wait, exit_text);
        else
            snprintf(buf, len, "%s", wait);
    } else if (strcmp(state, "stopping") == 0) {
        if (row->pid >= 0)
            snprintf(buf, len, "pid %lld, stopping", row->pid);
    } else {
        snprintf(buf, len, "%s", exit_text);
    }
}

size_t pm_text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

char *pm_format_status_line(const pm_status_row *row, size_t name_width, size_t state_width)
{
    const char *name = row->name ? row->name : "";
    const char *state = row->state ? row->state : "";
    char details[256];
    pm_format_status_details(row, details, sizeof details);
    size_t nw = pm_text_width(name), sw = pm_text_width(state);
    size_t name_pad = name_width > nw ? name_width - nw : 0;
    size_t state_pad = state_width > sw ? state_width - sw : 0;
    size_t len = strlen(name) + name_pad + 2 + strlen(state) + state_pad + 2 + strlen(details) + 1;
    char *line = malloc(len);
    if (!line)
        return NULL;
    text t = text_at(line, len);
    put_str(&t, name);
    put_spaces(&t, name_pad);
    put(&t, "  ", 2);
    put_str(&t, state);
    if (*details) {
        put_spaces(&t, state_pad);
        put(&t, "  ", 2);
        put_str(&t, details);
    }
    text_end(&t, len);
    return line;
}
