/* `procmon status` lines for people: uptime, alignment, each state's details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "statusfmt.h"

static pm_status_row row(const char *name, const char *state)
{
    return (pm_status_row){
        .name = name, .state = state, .pid = -1, .uptime = -1,
        .exit_status = -1, .exit_signal = 0, .restart_in = -1,
    };
}

static void assert_uptime(double seconds, const char *want)
{
    char buf[64];
    pm_format_uptime(seconds, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void assert_details(const pm_status_row *r, const char *want)
{
    char buf[256];
    pm_format_status_details(r, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void assert_line(const pm_status_row *r, size_t nw, size_t sw, const char *want)
{
    char *line = pm_format_status_line(r, nw, sw);
    assert_non_null(line);
    assert_string_equal(line, want);
    free(line);
}

static void test_uptime(void **state)
{
    (void)state;
    assert_uptime(0, "0:00:00");
    assert_uptime(0.99, "0:00:00");
    assert_uptime(62.1, "0:01:02");
    assert_uptime(3599, "0:59:59");
    assert_uptime(3600, "1:00:00");
    assert_uptime(86399.9, "23:59:59");
    assert_uptime(86400, "1 day, 0:00:00");
    assert_uptime(86400 + 5, "1 day, 0:00:05");
    assert_uptime(2 * 86400 + 3 * 3600 + 4 * 60 + 5, "2 days, 3:04:05");
    assert_uptime(400 * 86400.0, "400 days, 0:00:00");
    assert_uptime(-3, "0:00:00");
}

static void test_running(void **state)
{
    (void)state;
    pm_status_row r = row("web", "running");
    r.pid = 4242;
    r.uptime = 62.1;
    assert_details(&r, "pid 4242, uptime 0:01:02");
    assert_line(&r, 3, 7, "web  running  pid 4242, uptime 0:01:02");
    r.uptime = 2 * 86400 + 3 * 3600 + 4 * 60 + 5;
    assert_details(&r, "pid 4242, uptime 2 days, 3:04:05");
    r.uptime = -1; /* null */
    assert_details(&r, "pid 4242");
}

static void test_backoff(void **state)
{
    (void)state;
    pm_status_row r = row("db", "backoff");
    r.restart_in = 1.6;
    r.exit_status = 1;
    assert_line(&r, 2, 7, "db  backoff  restarting in 1.6s (exit status 1)");
    r.exit_status = -1;
    r.exit_signal = SIGKILL;
    assert_details(&r, "restarting in 1.6s (killed by SIGKILL)");
    r.exit_signal = 0;
    r.restart_in = 0.04;
    assert_details(&r, "restarting in 0.0s");
    r.restart_in = -1;
    assert_details(&r, "waiting to restart");
}

static void test_stopping(void **state)
{
    (void)state;
    pm_status_row r = row("web", "stopping");
    r.pid = 4242;
    assert_details(&r, "pid 4242, stopping");
    assert_line(&r, 3, 8, "web  stopping  pid 4242, stopping");
}

static void test_ended_states(void **state)
{
    (void)state;
    const char *states[] = {"stopped", "exited", "fatal"};
    for (size_t i = 0; i < 3; i++) {
        pm_status_row r = row("cron", states[i]);
        assert_details(&r, "");
        r.exit_status = 1;
        assert_details(&r, "exit status 1");
        r.exit_status = 0;
        assert_details(&r, "exit status 0");
        r.exit_status = -1;
        r.exit_signal = SIGTERM;
        assert_details(&r, "killed by SIGTERM");
        r.exit_signal = 99;
        assert_details(&r, "killed by signal 99");
    }
}

static void test_no_trailing_blanks(void **state)
{
    (void)state;
    pm_status_row r = row("cron", "stopped");
    assert_line(&r, 4, 7, "cron  stopped");
    /* Padded columns, still nothing after a state without details. */
    assert_line(&r, 10, 8, "cron        stopped");
}

static void test_alignment(void **state)
{
    (void)state;
    pm_status_row a = row("web", "running"), b = row("db", "backoff"), c = row("worker-1", "stopping");
    a.pid = 1;
    a.uptime = 1;
    b.restart_in = 2;
    c.pid = 3;
    assert_line(&a, 8, 8, "web       running   pid 1, uptime 0:00:01");
    assert_line(&b, 8, 8, "db        backoff   restarting in 2.0s");
    assert_line(&c, 8, 8, "worker-1  stopping  pid 3, stopping");
    /* Widths are counted in characters, not bytes. */
    pm_status_row u = row("caf\xc3\xa9", "stopped");
    assert_int_equal(pm_text_width(u.name), 4);
    assert_line(&u, 5, 7, "caf\xc3\xa9   stopped");
}

static void test_from_json(void **state)
{
    (void)state;
    json_error_t err;
    json_t *p = json_loads("{\"name\":\"web\",\"state\":\"running\",\"pid\":4242,\"uptime\":62.1,"
                           "\"restarts\":0,\"exit_status\":null,\"exit_signal\":null,"
                           "\"restart_in\":null,\"argv\":[\"x\"],\"cwd\":null,\"user\":null,"
                           "\"group\":null}", 0, &err);
    assert_non_null(p);
    pm_status_row r;
    assert_int_equal(pm_status_row_from_json(p, &r), 0);
    assert_string_equal(r.name, "web");
    assert_string_equal(r.state, "running");
    assert_int_equal(r.pid, 4242);
    assert_true(r.uptime > 62 && r.uptime < 62.2);
    assert_int_equal(r.exit_status, -1);
    assert_int_equal(r.exit_signal, 0);
    assert_true(r.restart_in < 0);
    json_decref(p);

    /* An integer uptime, and the exit signal as a number or as a name. */
    p = json_loads("{\"name\":\"a\",\"state\":\"exited\",\"uptime\":5,\"exit_signal\":9}", 0, &err);
    assert_int_equal(pm_status_row_from_json(p, &r), 0);
    assert_true(r.uptime == 5);
    assert_details(&r, "killed by SIGKILL");
    json_decref(p);
    p = json_loads("{\"name\":\"a\",\"state\":\"exited\",\"exit_signal\":\"SIGTERM\"}", 0, &err);
    assert_int_equal(pm_status_row_from_json(p, &r), 0);
    assert_details(&r, "killed by SIGTERM");
    json_decref(p);
    p = json_loads("{\"name\":\"a\",\"state\":\"exited\",\"exit_signal\":\"SIGWHAT\"}", 0, &err);
    assert_int_equal(pm_status_row_from_json(p, &r), 0);
    assert_details(&r, "killed by SIGWHAT");
    json_decref(p);
    p = json_loads("{\"name\":\"a\",\"state\":\"backoff\",\"exit_status\":3,\"restart_in\":0.8}",
                   0, &err);
    assert_int_equal(pm_status_row_from_json(p, &r), 0);
    assert_details(&r, "restarting in 0.8s (exit status 3)");
    json_decref(p);

    /* Not a process. */
    p = json_loads("{\"name\":\"a\"}", 0, &err);
    assert_int_equal(pm_status_row_from_json(p, &r), -22);
    json_decref(p);
    p = json_loads("[1]", 0, &err);
    assert_int_equal(pm_status_row_from_json(p, &r), -22);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uptime),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_stopping),
        cmocka_unit_test(test_ended_states),
        cmocka_unit_test(test_no_trailing_blanks),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_from_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
