/* Health checks: when they run, what counts, and the restart they lead to,
 * on the simulated clock. */
#include "monitor_fixture.h"

#include <string.h>

static pm_spec spec_checked(pm_health_kind kind, const char *target)
{
    pm_spec spec = spec_true();
    spec.health = kind;
    spec.health_target = (char *)target;
    spec.health_interval = 10;
    spec.health_retries = 3;
    return spec;
}

static size_t health_events(fixture *fx)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->nevents; i++)
        n += fx->events[i].type == PM_EVENT_HEALTH;
    return n;
}

static void test_no_check_no_timer(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_true();
    spec.threshold = 0;
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), 0);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(status(fx, "a").state, PM_STATE_RUNNING);
    assert_int_equal(fx->rt.ntimers, 0); /* nothing wakes the loop for it */
    assert_false(status(fx, "a").health_checked);
}

static void test_failures_in_a_row_restart_it_without_back_off(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_checked(PM_HEALTH_TCP, "127.0.0.1:80");
    assert_int_equal(pm_monitor_add(fx->mon, "web", &spec), 0);
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "web");
    fake_advance(&fx->rt, 10 - EPS);
    assert_int_equal(fx->rt.nconnects, 0); /* the first check one interval after ready */
    fake_advance(&fx->rt, EPS);
    assert_int_equal(fx->rt.nconnects, 1);
    fake_connect_done(&fx->rt, 0);
    assert_true(status(fx, "web").health_checked);
    assert_int_equal(status(fx, "web").health_failures, 0);
    assert_string_equal(fx->events[last_event(fx, PM_EVENT_HEALTH)].message, "connected");
    for (int i = 1; i <= 3; i++) {
        fake_advance(&fx->rt, 10);
        assert_true(fake_connect_done(&fx->rt, -ECONNREFUSED));
        int e = last_event(fx, PM_EVENT_HEALTH);
        assert_int_equal(fx->events[e].type, PM_EVENT_HEALTH);
        assert_string_equal(fx->events[e].message, "connect: Connection refused");
        if (i < 3) {
            assert_int_equal(status(fx, "web").health_failures, i);
            assert_int_equal(kills_of(fx, SIGTERM), 0);
        }
    }
    assert_int_equal(kills_of(fx, SIGTERM), 1); /* the third: a restart */
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    pm_status st = status(fx, "web");
    assert_int_equal(st.state, PM_STATE_STARTING); /* at once: not a failed start */
    assert_int_not_equal(st.pid, pid);
    assert_false(st.health_checked); /* a new run */
}

static void test_recovery_is_told_once(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_checked(PM_HEALTH_UNIX, "/run/web.sock");
    assert_int_equal(pm_monitor_add(fx->mon, "web", &spec), 0);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 10);
    fake_connect_done(&fx->rt, -ENOENT);
    assert_int_equal(health_events(fx), 1);
    fake_advance(&fx->rt, 10);
    fake_connect_done(&fx->rt, 0);
    assert_int_equal(health_events(fx), 2); /* healthy again */
    fake_advance(&fx->rt, 10);
    fake_connect_done(&fx->rt, 0);
    assert_int_equal(health_events(fx), 2); /* still healthy: nothing to tell */
    assert_int_equal(status(fx, "web").health_failures, 0);
}

static void test_failures_in_the_start_period_do_not_count(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_checked(PM_HEALTH_TCP, "127.0.0.1:80");
    spec.health_interval = 1;
    spec.health_start_period = 2.5;
    assert_int_equal(pm_monitor_add(fx->mon, "web", &spec), 0);
    pm_monitor_start_service(fx->mon);
    for (int i = 0; i < 2; i++) {
        fake_advance(&fx->rt, 1);
        fake_connect_done(&fx->rt, -ECONNREFUSED);
    }
    assert_false(status(fx, "web").health_checked);
    assert_int_equal(health_events(fx), 0);
    fake_advance(&fx->rt, 1); /* 3 s: past the start period */
    fake_connect_done(&fx->rt, -ECONNREFUSED);
    assert_int_equal(status(fx, "web").health_failures, 1);
}

static void test_checks_never_overlap_and_time_out(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_checked(PM_HEALTH_EXEC, "curl -f localhost");
    spec.health_interval = 1;
    spec.health_timeout = 5;
    spec.health_retries = 1;
    assert_int_equal(pm_monitor_add(fx->mon, "web", &spec), 0);
    pm_monitor_start_service(fx->mon);
    pid_t web = pid_of(fx, "web");
    fake_advance(&fx->rt, 1);
    assert_int_equal(spawns(fx), 2);
    pid_t check = fake_last_child(&fx->rt)->pid;
    fake_advance(&fx->rt, 5 - EPS);
    assert_int_equal(spawns(fx), 2); /* the check is still going: no second one */
    fake_advance(&fx->rt, EPS);
    assert_string_equal(fx->events[last_event(fx, PM_EVENT_HEALTH)].message, "timed out after 5s");
    bool check_killed = false, web_stopped = false;
    for (size_t i = 0; i < fx->rt.nkills; i++) {
        check_killed |= fx->rt.kills[i].pid == check && fx->rt.kills[i].sig == SIGKILL;
        web_stopped |= fx->rt.kills[i].pid == web && fx->rt.kills[i].sig == SIGTERM;
    }
    assert_true(check_killed);
    assert_true(web_stopped); /* health_retries 1 */
}

static void test_http_status_decides(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_checked(PM_HEALTH_HTTP, "http://unix:/run/app.sock:/healthz");
    assert_int_equal(pm_monitor_add(fx->mon, "app", &spec), 0);
    pm_spec other = spec_checked(PM_HEALTH_HTTP, "http://localhost/");
    assert_int_equal(pm_monitor_add(fx->mon, "web", &other), 0);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 10);
    assert_int_equal(fx->rt.nconnects, 2);
    pm_connect *app = fx->rt.connects[0], *web = fx->rt.connects[1];
    assert_true(app->unix_socket);
    assert_string_equal(app->target, "/run/app.sock");
    assert_string_equal(app->sent, "GET /healthz HTTP/1.0\r\nHost: localhost\r\nUser-Agent: procmon\r\n"
                                   "Connection: close\r\n\r\n");
    assert_false(web->unix_socket);
    assert_string_equal(web->target, "localhost:80");
    /* the last connect is web's */
    assert_true(fake_connect_reply(&fx->rt, 0, "HTTP/1.1 503 Service Unavailable\r\n"));
    assert_int_equal(status(fx, "web").health_failures, 1);
    assert_string_equal(fx->events[last_event(fx, PM_EVENT_HEALTH)].message, "HTTP 503");
    app->live = false;
    app->cb(app->arg, 0, "HTTP/1.0 302 Found\r\n", 20);
    assert_true(status(fx, "app").health_checked);
    assert_int_equal(status(fx, "app").health_failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_no_check_no_timer),
        T(test_failures_in_a_row_restart_it_without_back_off),
        T(test_recovery_is_told_once),
        T(test_failures_in_the_start_period_do_not_count),
        T(test_checks_never_overlap_and_time_out),
        T(test_http_status_decides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
