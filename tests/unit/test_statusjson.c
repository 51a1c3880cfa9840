/* The status answer's objects: every field, null where it does not apply,
 * strings escaped, and the cached part reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "statusjson.h"

static json_t *encode(const pm_status *st, pm_status_text *cache, unsigned long long dropped)
{
    pm_strbuf b = {0};
    assert_int_equal(pm_status_json_append(&b, NULL, st, cache, dropped), 0);
    json_error_t err;
    json_t *obj = json_loadb(b.buf, b.len, 0, &err);
    if (!obj)
        fail_msg("not JSON: %s: %s", err.text, b.buf);
    free(b.buf);
    return obj;
}

static void test_running(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sh", "-c", "echo \"a\\b\"\ttab", NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    spec.cwd = "/srv/\"www\"";
    spec.user = "www-data";
    pm_status st = {.name = "web", .state = PM_STATE_RUNNING, .pid = 4242, .uptime = 62.125,
                    .restarts = 3, .exit_status = 1, .exit_signal = 0, .restart_in = -1, .spec = &spec,
                    .status_text = "serving \"all\"\n", .health_checked = true, .main_pid = 4243, .phase = "reloading",
                    .health_failures = 2};
    pm_status_text cache = {0};
    json_t *obj = encode(&st, &cache, 5000000000ULL);
    json_t *want = json_pack("{ss ss si sf si si sn sn sI ss si ss s[] ss si s[sss] ss ss sn s[] sn}", "name", "web", "state", "running",
                             "pid", 4242, "uptime", 62.125, "restarts", 3, "exit_status", 1,
                             "exit_signal", "restart_in", "dropped_bytes", (json_int_t)5000000000LL,
                             "status_text", "serving \"all\"\n", "main_pid", 4243,
                             "phase", "reloading", "waiting_for", "health", "unhealthy",
                             "health_failures", 2, "argv", "/bin/sh", "-c",
                             "echo \"a\\b\"\ttab", "cwd", "/srv/\"www\"", "user", "www-data", "group",
                             "depends_on", "health_retries");
    assert_true(json_equal(obj, want));
    json_decref(obj);
    json_decref(want);
    pm_status_text_free(&cache);
}

static void test_backoff_then_cached(void **state)
{
    (void)state;
    char *argv[] = {"worker", NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    pm_status st = {.name = "w_01", .state = PM_STATE_BACKOFF, .pid = 0, .uptime = 0, .restarts = 7,
                    .exit_status = -1, .exit_signal = 9, .restart_in = 4.5, .spec = &spec};
    pm_status_text cache = {0};
    json_t *obj = encode(&st, &cache, 0);
    json_t *want = json_pack("{ss ss sn sn si sn si sf si sn sn sn s[] sn sn s[s] sn sn sn s[] sn}", "name", "w_01", "state", "backoff",
                             "pid", "uptime", "restarts", 7, "exit_status", "exit_signal", 9,
                             "restart_in", 4.5, "dropped_bytes", 0, "status_text", "main_pid", "phase", "waiting_for", "health",
                             "health_failures", "argv", "worker", "cwd", "user", "group", "depends_on",
                             "health_retries");
    assert_true(json_equal(obj, want));
    json_decref(obj);
    /* The second time the fixed part comes from the cache, the rest is new. */
    assert_non_null(cache.name);
    st.state = PM_STATE_RUNNING;
    st.pid = 77;
    st.uptime = 1.5;
    st.exit_signal = 0;
    st.restart_in = -1;
    obj = encode(&st, &cache, 0);
    json_object_set_new(want, "state", json_string("running"));
    json_object_set_new(want, "pid", json_integer(77));
    json_object_set_new(want, "uptime", json_real(1.5));
    json_object_set_new(want, "exit_signal", json_null());
    json_object_set_new(want, "restart_in", json_null());
    assert_true(json_equal(obj, want));
    json_decref(obj);
    json_decref(want);
    pm_status_text_free(&cache);
}

static void test_big_numbers(void **state)
{
    (void)state;
    char *argv[] = {"x", NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    pm_status st = {.name = "n", .state = PM_STATE_EXITED, .restarts = 4294967295u,
                    .exit_status = 0, .exit_signal = 0, .restart_in = -1, .spec = &spec};
    pm_status_text cache = {0};
    json_t *obj = encode(&st, &cache, 9223372036854775807ULL);
    assert_int_equal(json_integer_value(json_object_get(obj, "restarts")), 4294967295LL);
    assert_int_equal(json_integer_value(json_object_get(obj, "exit_status")), 0);
    assert_true(json_is_null(json_object_get(obj, "pid")));
    assert_true(json_integer_value(json_object_get(obj, "dropped_bytes")) == 9223372036854775807LL);
    json_decref(obj);
    pm_status_text_free(&cache);
}

/* The "table" form must show what a client formatting "processes" would. */
static void assert_same_row(const pm_status *st)
{
    pm_status_text cache = {0};
    json_t *obj = encode(st, &cache, 0);
    pm_status_row want, got;
    assert_int_equal(pm_status_row_from_json(obj, &want), 0);
    pm_status_row_from_status(NULL, st, &got);
    assert_string_equal(got.name, want.name);
    assert_string_equal(got.state, want.state);
    assert_int_equal(got.pid, want.pid);
    assert_true(got.uptime == want.uptime);
    assert_int_equal(got.exit_status, want.exit_status);
    assert_int_equal(got.exit_signal, want.exit_signal);
    assert_null(got.signal_text);
    assert_true(got.restart_in == want.restart_in);
    char a[256], b[256];
    pm_format_status_details(&got, a, sizeof a);
    pm_format_status_details(&want, b, sizeof b);
    assert_string_equal(a, b);
    json_decref(obj);
    pm_status_text_free(&cache);
}

static void test_row_from_status(void **state)
{
    (void)state;
    char *argv[] = {"x", NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    const pm_status cases[] = {
        {.name = "a", .state = PM_STATE_RUNNING, .pid = 42, .uptime = 62.9996, .exit_status = 1,
         .restart_in = -1, .spec = &spec},
        {.name = "b", .state = PM_STATE_STOPPING, .pid = 43, .uptime = 0.0004, .exit_status = -1,
         .restart_in = -1, .spec = &spec},
        {.name = "c", .state = PM_STATE_BACKOFF, .exit_status = -1, .exit_signal = 9,
         .restart_in = 1.04951, .spec = &spec},
        {.name = "d", .state = PM_STATE_BACKOFF, .exit_status = 3, .restart_in = 0, .spec = &spec},
        {.name = "e", .state = PM_STATE_EXITED, .exit_status = 0, .restart_in = -1, .spec = &spec},
        {.name = "f", .state = PM_STATE_FATAL, .exit_status = -1, .exit_signal = 15,
         .restart_in = -1, .spec = &spec},
        {.name = "g", .state = PM_STATE_STOPPED, .exit_status = -1, .restart_in = -1, .spec = &spec},
        {.name = "h:w_01", .state = PM_STATE_RUNNING, .pid = 7, .uptime = 200000.5,
         .exit_status = -1, .restart_in = -1, .spec = &spec},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_same_row(&cases[i]);
}

static json_t *table_of(const pm_status *sts, size_t n)
{
    pm_strbuf b = {0};
    assert_int_equal(pm_status_table_append(&b, NULL, sts, n), 0);
    json_error_t err;
    json_t *obj = json_loadb(b.buf, b.len, 0, &err);
    if (!obj)
        fail_msg("not JSON: %s: %s", err.text, b.buf);
    free(b.buf);
    assert_true(json_is_true(json_object_get(obj, "ok")));
    assert_int_equal(json_object_size(obj), 3);
    return obj;
}

static void test_table(void **state)
{
    (void)state;
    char *argv[] = {"x", NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    const pm_status sts[] = {
        {.name = "cron", .state = PM_STATE_STOPPED, .exit_status = -1, .restart_in = -1, .spec = &spec},
        {.name = "db", .state = PM_STATE_BACKOFF, .exit_status = 1, .restart_in = 1.6, .spec = &spec},
        {.name = "web\u00e9", .state = PM_STATE_RUNNING, .pid = 4242, .uptime = 62.1,
         .exit_status = -1, .restart_in = -1, .spec = &spec},
    };
    json_t *obj = table_of(sts, 3);
    json_t *table = json_object_get(obj, "table");
    assert_int_equal(json_array_size(table), 3);
    /* names padded by characters, not bytes */
    assert_string_equal(json_string_value(json_array_get(table, 0)), "cron  stopped");
    assert_string_equal(json_string_value(json_array_get(table, 1)),
                        "db    backoff  restarting in 1.6s (exit status 1)");
    assert_string_equal(json_string_value(json_array_get(table, 2)),
                        "web\u00e9  running  pid 4242, uptime 0:01:02");
    assert_int_equal(json_integer_value(json_object_get(obj, "not_running")), 2);
    json_decref(obj);

    obj = table_of(sts + 2, 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(obj, "table"), 0)),
                        "web\u00e9  running  pid 4242, uptime 0:01:02");
    assert_int_equal(json_integer_value(json_object_get(obj, "not_running")), 0);
    json_decref(obj);

    obj = table_of(sts, 0);
    assert_int_equal(json_array_size(json_object_get(obj, "table")), 0);
    assert_int_equal(json_integer_value(json_object_get(obj, "not_running")), 0);
    json_decref(obj);
}

static void assert_json_string(const char *text, size_t len, const char *want)
{
    pm_strbuf b = {0};
    assert_int_equal(pm_json_string_append(&b, text, len), 0);
    json_error_t err;
    json_t *v = json_loadb(b.buf, b.len, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("not JSON: %s: %s", err.text, b.buf);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
    json_decref(v);
    free(b.buf);
}

static void test_json_string(void **state)
{
    (void)state;
    assert_json_string("", 0, "");
    assert_json_string("plain", 5, "plain");
    assert_json_string("q\"b\\t\tn\n\x01\x1f\x7f", 11, "q\"b\\t\tn\n\x01\x1f\x7f");
    assert_json_string("\u00e9\u20ac\U0001F600", 9, "\u00e9\u20ac\U0001F600");
    /* not UTF-8: a stray continuation byte, a cut sequence, an overlong
     * form, a surrogate, past U+10FFFF, 0xff */
    assert_json_string("a\x80" "b", 3, "a\\x80b");
    assert_json_string("\xc3", 1, "\\xC3");
    assert_json_string("\xe2\x82", 2, "\\xE2\\x82");
    assert_json_string("\xc0\xaf", 2, "\\xC0\\xAF");
    assert_json_string("\xed\xa0\x80", 3, "\\xED\\xA0\\x80");
    assert_json_string("\xf4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80");
    assert_json_string("\xff!", 2, "\\xFF!");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_backoff_then_cached),
        cmocka_unit_test(test_big_numbers),
        cmocka_unit_test(test_row_from_status),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_json_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
