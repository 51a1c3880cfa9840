/* The log stream: text and JSON records, UTF-8 rendering, rotation, write
 * failures, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logstream.h"

#define TIME_LEN 24 /* 2026-11-24T10:00:00.123Z */

typedef struct fixture {
    char dir[64];
    char path[256];
    char *text;   /* the file's content, once read */
    size_t len;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/pm-logstream-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/log", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx->text);
    free(fx);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = NULL;
    size_t cap = 0;
    FILE *mem = open_memstream(&text, &cap);
    assert_non_null(mem);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        assert_int_equal(fwrite(buf, 1, n, mem), n);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(fclose(mem), 0);
    *len = cap;
    return text;
}

static void read_log(fixture *fx)
{
    free(fx->text);
    fx->text = slurp(fx->path, &fx->len);
}

/* The n-th line (0-based) of the file, without its newline. */
static const char *nth_line(const fixture *fx, size_t n, size_t *len)
{
    const char *p = fx->text, *end = fx->text + fx->len;
    for (; n > 0; n--) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    assert_non_null(nl);
    *len = (size_t)(nl - p);
    return p;
}

static size_t count_lines(const fixture *fx)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->len; i++)
        n += fx->text[i] == '\n';
    if (fx->len > 0)
        assert_int_equal(fx->text[fx->len - 1], '\n');
    return n;
}

static void assert_timestamp(const char *p)
{
    regex_t re;
    assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
                                  "[0-6][0-9]\\.[0-9]{3}Z$", REG_EXTENDED | REG_NOSUB), 0);
    char t[TIME_LEN + 1];
    memcpy(t, p, TIME_LEN);
    t[TIME_LEN] = '\0';
    int r = regexec(&re, t, 0, NULL, 0);
    regfree(&re);
    if (r != 0)
        fail_msg("not a timestamp: %s", t);
}

/* Line n is "TIME " followed by exactly `rest` (rest_len bytes). */
static void assert_text_line_n(const fixture *fx, size_t n, const char *rest, size_t rest_len)
{
    size_t len;
    const char *line = nth_line(fx, n, &len);
    assert_true(len > TIME_LEN);
    assert_timestamp(line);
    assert_int_equal(line[TIME_LEN], ' ');
    if (len - TIME_LEN - 1 != rest_len || memcmp(line + TIME_LEN + 1, rest, rest_len) != 0)
        fail_msg("line %zu: got \"%.*s\", want \"%s\"", n, (int)len, line, rest);
}

static void assert_text_line(const fixture *fx, size_t n, const char *rest)
{
    assert_text_line_n(fx, n, rest, strlen(rest));
}

/* Line n is {"time":"TIME",<rest>} with `rest` exact; returns it parsed. */
static json_t *assert_json_line(const fixture *fx, size_t n, const char *rest)
{
    size_t len;
    const char *line = nth_line(fx, n, &len);
    static const char head[] = "{\"time\":\"";
    size_t hl = sizeof head - 1;
    assert_true(len > hl + TIME_LEN + 2);
    assert_memory_equal(line, head, hl);
    assert_timestamp(line + hl);
    const char *tail = line + hl + TIME_LEN;
    size_t tail_len = len - hl - TIME_LEN;
    if (rest && (tail_len != strlen(rest) + 3 || memcmp(tail, "\",", 2) != 0 ||
                 memcmp(tail + 2, rest, strlen(rest)) != 0 || tail[tail_len - 1] != '}'))
        fail_msg("line %zu: got %.*s, want ...,%s}", n, (int)len, line, rest);
    json_error_t error;
    json_t *obj = json_loadb(line, len, JSON_ALLOW_NUL, &error);
    if (!obj)
        fail_msg("line %zu is not JSON: %s", n, error.text);
    assert_true(json_is_object(obj));
    return obj;
}

/* The object's keys are exactly `keys`, in that order (NULL-terminated). */
static void assert_keys(json_t *obj, const char *const *keys)
{
    void *it = json_object_iter(obj);
    for (; *keys; keys++, it = json_object_iter_next(obj, it)) {
        assert_non_null(it);
        assert_string_equal(json_object_iter_key(it), *keys);
    }
    assert_null(it);
}

static pm_logstream *open_log(const fixture *fx, pm_log_format fmt)
{
    pm_logstream *log = NULL;
    assert_int_equal(pm_logstream_open(fx->path, fmt, &log), 0);
    assert_non_null(log);
    return log;
}

static pm_event output(const char *data, size_t len, pm_stream stream)
{
    return (pm_event){.type = PM_EVENT_OUTPUT, .name = "web", .stream = stream,
                      .data = data, .len = len};
}

static pm_event exited(int status, double runtime, double restart_in, pm_state state)
{
    return (pm_event){.type = PM_EVENT_EXIT, .name = "web", .pid = 4242,
                      .exit_status = status, .runtime = runtime,
                      .restart_in = restart_in, .state = state};
}

static pm_event killed(int sig, double runtime, double restart_in, pm_state state)
{
    pm_event ev = exited(-1, runtime, restart_in, state);
    ev.exit_signal = sig;
    return ev;
}

/* ---- text ---- */

static void test_text_events(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_TEXT);
    static const char bytes[] = "GET / 200 \xff\r\t\0end";
    pm_event ev = output(bytes, sizeof bytes - 1, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = (pm_event){.type = PM_EVENT_START, .name = "web", .pid = 4242};
    pm_logstream_event(log, &ev);
    ev = (pm_event){.type = PM_EVENT_SPAWN_ERROR, .name = "web", .state = PM_STATE_BACKOFF,
                    .restart_in = 1,
                    .message = "cannot execute /usr/bin/nope: No such file or directory"};
    pm_logstream_event(log, &ev);
    ev = (pm_event){.type = PM_EVENT_STOP, .name = "web", .pid = 4242, .signal = SIGTERM,
                    .kill_time = 5};
    pm_logstream_event(log, &ev);
    ev = (pm_event){.type = PM_EVENT_STOP, .name = "web", .pid = 4242, .signal = SIGINT,
                    .kill_time = 0.5};
    pm_logstream_event(log, &ev);
    ev = (pm_event){.type = PM_EVENT_KILL, .name = "web", .pid = 4242, .signal = SIGKILL};
    pm_logstream_event(log, &ev);
    ev = (pm_event){.type = PM_EVENT_FATAL, .name = "web", .instant_deaths = 4};
    pm_logstream_event(log, &ev);
    pm_logstream_message(log, "procmon %s running, pid %d", "0.1.0", 17);
    ev = output("", 0, PM_STDERR);
    pm_logstream_event(log, &ev);
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 9);
    assert_text_line_n(fx, 0, "[web] GET / 200 \xff\r\t\0end", 6 + sizeof bytes - 1);
    assert_text_line(fx, 1, "procmon: web: started, pid 4242");
    assert_text_line(fx, 2, "procmon: web: cannot execute /usr/bin/nope: No such file or directory; restarting in 1s");
    assert_text_line(fx, 3, "procmon: web: stopping pid 4242 with SIGTERM (SIGKILL in 5s)");
    assert_text_line(fx, 4, "procmon: web: stopping pid 4242 with SIGINT (SIGKILL in 0.5s)");
    assert_text_line(fx, 5, "procmon: web: pid 4242 did not stop; sending SIGKILL");
    assert_text_line(fx, 6, "procmon: web: 4 failed starts in a row; giving up");
    assert_text_line(fx, 7, "procmon: procmon 0.1.0 running, pid 17");
    assert_text_line(fx, 8, "[web] ");
}

/* A spawn that failed inside procmon has no exit to follow it, so its own
 * line says what happens next; an exec failure leaves that to the exit. */
static void test_text_spawn_failure_tells_what_next(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_TEXT);
    pm_event ev = {.type = PM_EVENT_SPAWN_ERROR, .name = "web", .state = PM_STATE_BACKOFF,
                   .restart_in = 2, .message = "cannot fork: Resource temporarily unavailable"};
    pm_logstream_event(log, &ev);
    ev.state = PM_STATE_FATAL;
    ev.restart_in = -1;
    pm_logstream_event(log, &ev);
    pm_logstream_close(log);
    read_log(fx);
    assert_int_equal(count_lines(fx), 2);
    assert_text_line(fx, 0, "procmon: web: cannot fork: Resource temporarily unavailable; restarting in 2s");
    assert_text_line(fx, 1, "procmon: web: cannot fork: Resource temporarily unavailable; giving up");
}

static void test_text_exits(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_TEXT);
    pm_event evs[] = {
        exited(1, 0.81, 1, PM_STATE_BACKOFF),
        killed(SIGKILL, 1.29, 0, PM_STATE_BACKOFF),
        exited(0, 12.345, 0.5, PM_STATE_BACKOFF),
        exited(0, 3, -1, PM_STATE_STOPPED),
        exited(2, 3, -1, PM_STATE_EXITED),
        killed(SIGSEGV, 0.004, -1, PM_STATE_FATAL),
        killed(SIGTERM, 60, -1, PM_STATE_STOPPED),
        killed(SIGRTMIN + 2, 1, 0, PM_STATE_BACKOFF),
    };
    evs[6].removed = true;
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        pm_logstream_event(log, &evs[i]);
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 8);
    assert_text_line(fx, 0, "procmon: web: exited with status 1 after 0.81s; restarting in 1s");
    assert_text_line(fx, 1, "procmon: web: killed by signal 9 (SIGKILL) after 1.29s; restarting now");
    assert_text_line(fx, 2, "procmon: web: exited with status 0 after 12.35s; restarting in 0.5s");
    assert_text_line(fx, 3, "procmon: web: exited with status 0 after 3.00s; stopped");
    assert_text_line(fx, 4, "procmon: web: exited with status 2 after 3.00s; not restarting");
    assert_text_line(fx, 5, "procmon: web: killed by signal 11 (SIGSEGV) after 0.00s; giving up");
    assert_text_line(fx, 6, "procmon: web: killed by signal 15 (SIGTERM) after 60.00s; removed");
    char want[128];
    snprintf(want, sizeof want, "procmon: web: killed by signal %d after 1.00s; restarting now",
             SIGRTMIN + 2);
    assert_text_line(fx, 7, want);
}

/* Lines bigger than the buffer, and enough lines to fill it many times. */
static void test_text_big_and_many(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_TEXT);
    size_t big_len = 200 * 1024;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, 'x', big_len);
    pm_event ev = output("small", 5, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = output(big, big_len, PM_STDOUT);
    pm_logstream_event(log, &ev);
    for (int i = 0; i < 10000; i++) {
        ev = output("0123456789", 10, PM_STDERR);
        pm_logstream_event(log, &ev);
    }
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 10002);
    assert_text_line(fx, 0, "[web] small");
    size_t len;
    const char *line = nth_line(fx, 1, &len);
    assert_int_equal(len, TIME_LEN + 7 + big_len);
    assert_memory_equal(line + TIME_LEN + 7, big, big_len);
    assert_text_line(fx, 10001, "[web] 0123456789");
    free(big);
}

/* The lines of one read: each its own record, in order, with one time,
 * also across a flush of the full buffer and for a name too long for the
 * prefix's own small buffer. */
static void test_lines_event(void **state)
{
    fixture *fx = *state;
    enum { MANY = 3000, LEN = 100 };
    static char text[MANY][LEN];
    static pm_line lines[MANY];
    for (size_t i = 0; i < MANY; i++) {
        snprintf(text[i], LEN, "line %zu", i);
        memset(text[i] + strlen(text[i]), 'x', LEN - strlen(text[i]));
        lines[i] = (pm_line){text[i], LEN};
    }
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    pm_log_format fmts[] = {PM_LOG_TEXT, PM_LOG_JSON};
    for (size_t f = 0; f < 2; f++) {
        assert_true(truncate(fx->path, 0) == 0 || f == 0);
        pm_logstream *log = open_log(fx, fmts[f]);
        pm_event ev = {.type = PM_EVENT_LINES, .name = "web", .stream = PM_STDERR,
                       .lines = lines, .nlines = MANY};
        pm_logstream_event(log, &ev);
        ev.name = name;
        ev.nlines = 2;
        pm_logstream_event(log, &ev);
        pm_logstream_close(log);

        read_log(fx);
        assert_int_equal(count_lines(fx), MANY + 2);
        size_t len0;
        const char *first = nth_line(fx, 0, &len0);
        for (size_t i = 0; i < MANY + 2; i++) {
            size_t len;
            const char *line = nth_line(fx, i, &len);
            const char *who = i < MANY ? "web" : name;
            const pm_line *want = &lines[i < MANY ? i : i - MANY];
            if (fmts[f] == PM_LOG_TEXT) {
                char *rest = malloc(strlen(who) + 3 + LEN + 1);
                assert_non_null(rest);
                int n = sprintf(rest, "[%s] %.*s", who, LEN, want->data);
                assert_text_line_n(fx, i, rest, (size_t)n);
                free(rest);
                if (i < MANY) /* one time for the lines of one read */
                    assert_memory_equal(line, first, TIME_LEN);
            } else {
                json_t *o = assert_json_line(fx, i, NULL);
                assert_string_equal(json_string_value(json_object_get(o, "name")), who);
                assert_string_equal(json_string_value(json_object_get(o, "stream")), "stderr");
                const char *got = json_string_value(json_object_get(o, "line"));
                assert_true(got && strlen(got) == LEN && memcmp(got, want->data, LEN) == 0);
                json_decref(o);
            }
        }
    }
}

/* ---- JSON ---- */

static void test_json_output(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_JSON);
    pm_event ev = output("GET / 200", 9, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = output("bad \xff byte \"q\" \\", 16, PM_STDERR);
    pm_logstream_event(log, &ev);
    ev = output("a\0b\xf0\x9f\x98\x80", 7, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = output(NULL, 0, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = output("x", 1, PM_STDOUT);
    ev.name = "bad\xc0name";
    pm_logstream_event(log, &ev);
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 5);
    static const char *const keys[] = {"time", "name", "stream", "line", NULL};
    json_t *o = assert_json_line(fx, 0, "\"name\":\"web\",\"stream\":\"stdout\",\"line\":\"GET / 200\"");
    assert_keys(o, keys);
    json_decref(o);

    o = assert_json_line(fx, 1, "\"name\":\"web\",\"stream\":\"stderr\","
                                "\"line\":\"bad \\\\xFF byte \\\"q\\\" \\\\\"");
    assert_string_equal(json_string_value(json_object_get(o, "line")), "bad \\xFF byte \"q\" \\");
    json_decref(o);

    o = assert_json_line(fx, 2, "\"name\":\"web\",\"stream\":\"stdout\","
                                "\"line\":\"a\\u0000b\xf0\x9f\x98\x80\"");
    json_t *line = json_object_get(o, "line");
    assert_int_equal(json_string_length(line), 7);
    assert_memory_equal(json_string_value(line), "a\0b\xf0\x9f\x98\x80", 7);
    json_decref(o);

    json_decref(assert_json_line(fx, 3, "\"name\":\"web\",\"stream\":\"stdout\",\"line\":\"\""));
    json_decref(assert_json_line(fx, 4, "\"name\":\"bad\\\\xC0name\",\"stream\":\"stdout\",\"line\":\"x\""));
}

static void test_json_events(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_JSON);
    pm_event evs[] = {
        {.type = PM_EVENT_START, .name = "web", .pid = 4242},
        exited(1, 0.81, 1, PM_STATE_BACKOFF),
        killed(SIGKILL, 1.2999999, 0, PM_STATE_BACKOFF),
        exited(0, 2, -1, PM_STATE_STOPPED),
        exited(3, 0.1 + 0.2, 0.25, PM_STATE_BACKOFF),
        {.type = PM_EVENT_SPAWN_ERROR, .name = "web", .message = "cannot execute /x\xff: nope",
         .state = PM_STATE_FATAL, .restart_in = -1},
        {.type = PM_EVENT_STOP, .name = "web", .pid = 4242, .signal = SIGTERM, .kill_time = 5},
        {.type = PM_EVENT_STOP, .name = "web", .pid = 4242, .signal = SIGRTMIN, .kill_time = 1.5},
        {.type = PM_EVENT_KILL, .name = "web", .pid = 4242, .signal = SIGKILL},
        {.type = PM_EVENT_FATAL, .name = "web", .instant_deaths = 4},
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        pm_logstream_event(log, &evs[i]);
    pm_logstream_message(log, "every process has stopped; %s", "exiting");
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 11);
    json_t *o = assert_json_line(fx, 0, "\"name\":\"web\",\"event\":\"start\",\"pid\":4242");
    static const char *const start_keys[] = {"time", "name", "event", "pid", NULL};
    assert_keys(o, start_keys);
    json_decref(o);

    o = assert_json_line(fx, 1, "\"name\":\"web\",\"event\":\"exit\",\"pid\":4242,\"status\":1,"
                                "\"runtime\":0.81,\"restart_in\":1,\"state\":\"backoff\"");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 1);
    assert_true(json_number_value(json_object_get(o, "runtime")) == 0.81);
    json_decref(o);

    o = assert_json_line(fx, 2, "\"name\":\"web\",\"event\":\"exit\",\"pid\":4242,\"signal\":9,"
                                "\"signal_name\":\"SIGKILL\",\"runtime\":1.3,\"restart_in\":0,"
                                "\"state\":\"backoff\"");
    static const char *const kill_keys[] = {"time", "name", "event", "pid", "signal", "signal_name",
                                            "runtime", "restart_in", "state", NULL};
    assert_keys(o, kill_keys);
    json_decref(o);

    o = assert_json_line(fx, 3, "\"name\":\"web\",\"event\":\"exit\",\"pid\":4242,\"status\":0,"
                                "\"runtime\":2,\"restart_in\":null,\"state\":\"stopped\"");
    assert_true(json_is_null(json_object_get(o, "restart_in")));
    json_decref(o);

    json_decref(assert_json_line(fx, 4, "\"name\":\"web\",\"event\":\"exit\",\"pid\":4242,"
                                        "\"status\":3,\"runtime\":0.3,\"restart_in\":0.25,"
                                        "\"state\":\"backoff\""));
    o = assert_json_line(fx, 5, "\"name\":\"web\",\"event\":\"spawn_error\","
                                "\"message\":\"cannot execute /x\\\\xFF: nope\",\"restart_in\":null,\"state\":\"fatal\"");
    static const char *const err_keys[] = {"time", "name", "event", "message", "restart_in", "state", NULL};
    assert_keys(o, err_keys);
    json_decref(o);

    json_decref(assert_json_line(fx, 6, "\"name\":\"web\",\"event\":\"stop\",\"pid\":4242,"
                                        "\"signal\":15,\"signal_name\":\"SIGTERM\",\"kill_time\":5"));
    o = assert_json_line(fx, 7, NULL);
    assert_int_equal(json_integer_value(json_object_get(o, "signal")), SIGRTMIN);
    assert_true(json_is_null(json_object_get(o, "signal_name")));
    assert_true(json_number_value(json_object_get(o, "kill_time")) == 1.5);
    json_decref(o);

    json_decref(assert_json_line(fx, 8, "\"name\":\"web\",\"event\":\"kill\",\"pid\":4242"));
    json_decref(assert_json_line(fx, 9, "\"name\":\"web\",\"event\":\"fatal\",\"instant_deaths\":4"));
    json_decref(assert_json_line(fx, 10, "\"event\":\"message\","
                                         "\"message\":\"every process has stopped; exiting\""));
}

static void test_json_big_line(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_JSON);
    size_t big_len = 100 * 1024;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, 'y', big_len);
    pm_event ev = output("first", 5, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = output(big, big_len, PM_STDOUT);
    pm_logstream_event(log, &ev);
    ev = output("last", 4, PM_STDOUT);
    pm_logstream_event(log, &ev);
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 3);
    json_decref(assert_json_line(fx, 0, "\"name\":\"web\",\"stream\":\"stdout\",\"line\":\"first\""));
    json_t *o = assert_json_line(fx, 1, NULL);
    json_t *line = json_object_get(o, "line");
    assert_int_equal(json_string_length(line), big_len);
    assert_memory_equal(json_string_value(line), big, big_len);
    json_decref(o);
    json_decref(assert_json_line(fx, 2, "\"name\":\"web\",\"stream\":\"stdout\",\"line\":\"last\""));
    free(big);
}

/* ---- UTF-8 rendering ---- */

static void assert_render(const char *in, size_t len, const char *want)
{
    size_t n = 12345;
    char *out = pm_log_render_utf8(in, len, &n);
    assert_non_null(out);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    free(out);
}

static void test_render_utf8(void **state)
{
    (void)state;
    assert_render("", 0, "");
    assert_render("plain", 5, "plain");
    assert_render("\xff", 1, "\\xFF");
    assert_render("a\xfe\xff" "b", 4, "a\\xFE\\xFFb");
    assert_render("caf\xc3\xa9", 5, "caf\xc3\xa9");
    assert_render("\xe2\x82\xac", 3, "\xe2\x82\xac");             /* € */
    assert_render("ok\xe2\x82", 4, "ok\\xE2\\x82");                /* truncated at the end */
    assert_render("\xe2\x82x", 3, "\\xE2\\x82x");                  /* cut by an ASCII byte */
    assert_render("\xc0\x80", 2, "\\xC0\\x80");                    /* overlong NUL */
    assert_render("\xe0\x80\xaf", 3, "\\xE0\\x80\\xAF");           /* overlong '/' */
    assert_render("\xf0\x80\x80\xaf", 4, "\\xF0\\x80\\x80\\xAF");  /* overlong '/' */
    assert_render("\xed\xa0\x80", 3, "\\xED\\xA0\\x80");           /* surrogate U+D800 */
    assert_render("\xed\x9f\xbf", 3, "\xed\x9f\xbf");              /* U+D7FF is fine */
    assert_render("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");      /* 😀 */
    assert_render("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");      /* U+10FFFF */
    assert_render("\xf4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80");  /* above U+10FFFF */
    assert_render("\xf5\x80\x80\x80", 4, "\\xF5\\x80\\x80\\x80");
    assert_render("\x80" "a", 2, "\\x80a");                        /* lone continuation */

    size_t n;
    char *out = pm_log_render_utf8("a\0b", 3, &n);
    assert_non_null(out);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "a\0b", 4);
    free(out);
}

/* ---- rotation ---- */

static void test_reopen_after_rename(void **state)
{
    fixture *fx = *state;
    pm_logstream *log = open_log(fx, PM_LOG_TEXT);
    pm_logstream_message(log, "before");
    pm_logstream_flush(log);
    char old[300];
    snprintf(old, sizeof old, "%s.1", fx->path);
    assert_int_equal(rename(fx->path, old), 0);
    pm_logstream_message(log, "still old"); /* buffered: flushed to the old file */
    assert_int_equal(pm_logstream_reopen(log), 0);
    pm_logstream_message(log, "after");
    pm_logstream_close(log);

    read_log(fx);
    assert_int_equal(count_lines(fx), 1);
    assert_text_line(fx, 0, "procmon: after");
    struct stat st;
    assert_int_equal(stat(fx->path, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0644 & ~mask);

    free(fx->text);
    fx->text = slurp(old, &fx->len);
    assert_int_equal(count_lines(fx), 2);
    assert_text_line(fx, 0, "procmon: before");
    assert_text_line(fx, 1, "procmon: still old");
}

static void test_reopen_failure_keeps_old_file(void **state)
{
    fixture *fx = *state;
    char sub[96], moved[96];
    snprintf(sub, sizeof sub, "%s/sub", fx->dir);
    snprintf(moved, sizeof moved, "%s/moved", fx->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(fx->path, sizeof fx->path, "%s/log", sub);
    pm_logstream *log = open_log(fx, PM_LOG_TEXT);
    assert_int_equal(rename(sub, moved), 0);
    assert_int_equal(pm_logstream_reopen(log), -ENOENT);
    pm_logstream_message(log, "kept");
    pm_logstream_close(log);

    snprintf(fx->path, sizeof fx->path, "%s/log", moved);
    read_log(fx);
    assert_int_equal(count_lines(fx), 1);
    assert_text_line(fx, 0, "procmon: kept");
}

static void test_open_failure_and_stdout(void **state)
{
    (void)state;
    pm_logstream *log = NULL;
    assert_int_equal(pm_logstream_open("/nonexistent-dir/x/log", PM_LOG_TEXT, &log), -ENOENT);
    assert_null(log);
    assert_int_equal(pm_logstream_open("-", PM_LOG_TEXT, &log), 0);
    assert_int_equal(pm_logstream_reopen(log), 0); /* nothing to do for stdout */
    pm_logstream_close(log);
    assert_int_equal(pm_logstream_open(NULL, PM_LOG_JSON, &log), 0);
    pm_logstream_close(log);
    pm_logstream_close(NULL);
}

/* ---- write failures ---- */

/* Runs with stderr (and, if out_fd >= 0, stdout) redirected; returns stderr's text. */
typedef struct redirect {
    int saved_out, saved_err;
    char path[160];
} redirect;

static void redirect_begin(redirect *r, const fixture *fx)
{
    snprintf(r->path, sizeof r->path, "%s/stderr", fx->dir);
    int fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    fflush(stdout);
    r->saved_out = dup(STDOUT_FILENO);
    r->saved_err = dup(STDERR_FILENO);
    assert_true(r->saved_out >= 0 && r->saved_err >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    assert_int_equal(close(fd), 0);
}

static void stdout_to(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_true(dup2(fd, STDOUT_FILENO) >= 0);
    assert_int_equal(close(fd), 0);
}

static char *redirect_end(redirect *r, size_t *len)
{
    assert_true(dup2(r->saved_out, STDOUT_FILENO) >= 0);
    assert_true(dup2(r->saved_err, STDERR_FILENO) >= 0);
    assert_int_equal(close(r->saved_out), 0);
    assert_int_equal(close(r->saved_err), 0);
    return slurp(r->path, len);
}

static void test_dev_full_reported_once(void **state)
{
    fixture *fx = *state;
    redirect r;
    redirect_begin(&r, fx);
    pm_logstream *log = NULL;
    int rc = pm_logstream_open("/dev/full", PM_LOG_TEXT, &log);
    if (rc == 0) {
        for (int i = 0; i < 3; i++) {
            pm_event ev = output("line", 4, PM_STDOUT);
            pm_logstream_event(log, &ev);
            pm_logstream_message(log, "hello %d", i);
            pm_logstream_flush(log);
        }
        pm_logstream_close(log);
    }
    size_t len;
    char *err = redirect_end(&r, &len);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "procmon: cannot write to /dev/full: No space left on device\n");
    free(err);
}

/* Standard output failing, then working, then failing: two reports. */
static void test_failure_reported_again_after_success(void **state)
{
    fixture *fx = *state;
    char out[160];
    snprintf(out, sizeof out, "%s/stdout", fx->dir);
    redirect r;
    redirect_begin(&r, fx);
    pm_logstream *log = NULL;
    int rc = pm_logstream_open(NULL, PM_LOG_TEXT, &log);
    if (rc == 0) {
        stdout_to("/dev/full");
        pm_logstream_message(log, "lost 1");
        pm_logstream_flush(log);
        pm_logstream_message(log, "lost 2");
        pm_logstream_flush(log);
        stdout_to(out);
        pm_logstream_message(log, "written");
        pm_logstream_flush(log);
        stdout_to("/dev/full");
        pm_logstream_message(log, "lost 3");
        pm_logstream_close(log);
    }
    size_t len;
    char *err = redirect_end(&r, &len);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "procmon: cannot write to standard output: No space left on device\n"
                             "procmon: cannot write to standard output: No space left on device\n");
    free(err);

    snprintf(fx->path, sizeof fx->path, "%s", out);
    read_log(fx);
    assert_int_equal(count_lines(fx), 1);
    assert_text_line(fx, 0, "procmon: written");
}

/* ---- time ---- */

static void test_format_time(void **state)
{
    (void)state;
    char buf[64];
    struct timespec ts = {.tv_sec = 1795514400, .tv_nsec = 123456789};
    assert_int_equal(pm_log_format_time(buf, sizeof buf, &ts), TIME_LEN);
    assert_string_equal(buf, "2026-11-24T10:00:00.123Z");
    ts = (struct timespec){.tv_sec = 0, .tv_nsec = 999999999};
    assert_int_equal(pm_log_format_time(buf, sizeof buf, &ts), TIME_LEN);
    assert_string_equal(buf, "1970-01-01T00:00:00.999Z");
    ts = (struct timespec){.tv_sec = 951782400 + 86399, .tv_nsec = 1000000}; /* 2000-02-29 */
    assert_int_equal(pm_log_format_time(buf, sizeof buf, &ts), TIME_LEN);
    assert_string_equal(buf, "2000-02-29T23:59:59.001Z");
    assert_int_equal(pm_log_format_time(buf, TIME_LEN + 1, &ts), TIME_LEN);
    assert_int_equal(pm_log_format_time(buf, TIME_LEN, &ts), 0); /* no room for the NUL */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_spawn_failure_tells_what_next, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_big_and_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_big_line, setup, teardown),
        cmocka_unit_test(test_render_utf8),
        cmocka_unit_test_setup_teardown(test_reopen_after_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_failure_keeps_old_file, setup, teardown),
        cmocka_unit_test(test_open_failure_and_stdout),
        cmocka_unit_test_setup_teardown(test_dev_full_reported_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_reported_again_after_success, setup, teardown),
        cmocka_unit_test(test_format_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
