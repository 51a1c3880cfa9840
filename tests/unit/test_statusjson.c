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
    assert_int_equal(pm_status_json_append(&b, st, cache, dropped), 0);
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
                    .restarts = 3, .exit_status = 1, .exit_signal = 0, .restart_in = -1, .spec = &spec};
    pm_status_text cache = {0};
    json_t *obj = encode(&st, &cache, 5000000000ULL);
    json_t *want = json_pack("{ss ss si sf si si sn sn sI s[sss] ss ss sn}", "name", "web", "state", "running",
                             "pid", 4242, "uptime", 62.125, "restarts", 3, "exit_status", 1,
                             "exit_signal", "restart_in", "dropped_bytes", (json_int_t)5000000000LL, "argv", "/bin/sh", "-c", "echo \"a\\b\"\ttab",
                             "cwd", "/srv/\"www\"", "user", "www-data", "group");
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
    json_t *want = json_pack("{ss ss sn sn si sn si sf si s[s] sn sn sn}", "name", "w_01", "state", "backoff",
                             "pid", "uptime", "restarts", 7, "exit_status", "exit_signal", 9,
                             "restart_in", 4.5, "dropped_bytes", 0, "argv", "worker", "cwd", "user", "group");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_backoff_then_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
