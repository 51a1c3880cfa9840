/* depends_on and bind_to: start order, conditions, stop order, on the
 * simulated clock. */
#include "monitor_fixture.h"

#include <string.h>

static pm_spec spec_with(pm_dependency *deps, size_t n)
{
    pm_spec spec = spec_true();
    spec.depends_on = deps;
    spec.ndepends_on = n;
    return spec;
}

static pm_state state_of(fixture *fx, const char *name)
{
    return status(fx, name).state;
}

/* The order of the START events of these names, as indexes of events. */
static int start_event(fixture *fx, const char *name)
{
    for (size_t i = 0; i < fx->nevents; i++)
        if (fx->events[i].type == PM_EVENT_START && strcmp(fx->events[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void test_waits_until_its_dependency_is_ready(void **state)
{
    fixture *fx = *state;
    pm_spec db = spec_true();
    db.ready = PM_READY_NOTIFY;
    add_spec(fx, "db", &db);
    pm_dependency deps[] = {{"db", PM_DEP_READY}};
    pm_spec web = spec_with(deps, 1);
    add_spec(fx, "web", &web);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(spawns(fx), 1); /* db only */
    pm_status st = status(fx, "web");
    assert_int_equal(st.state, PM_STATE_STARTING);
    assert_true(st.waiting);
    assert_int_equal(st.pid, 0);
    assert_true(st.uptime < EPS);
    const char *names[4];
    assert_int_equal(pm_monitor_waiting_for(fx->mon, "web", names, 4), 1);
    assert_string_equal(names[0], "db");
    assert_int_equal(pm_monitor_signal(fx->mon, "web", SIGHUP), -ESRCH); /* nothing runs */
    fake_advance(&fx->rt, 0.5);
    assert_int_equal(spawns(fx), 1);
    assert_true(status(fx, "web").uptime > 0.5 - EPS); /* time spent starting, waiting */
    fake_notify(&fx->rt, pid_of(fx, "db"), "READY=1");
    assert_int_equal(spawns(fx), 1); /* on the loop's next turn */
    fake_advance(&fx->rt, 0);
    assert_int_equal(spawns(fx), 2);
    assert_false(status(fx, "web").waiting);
    assert_int_equal(pm_monitor_waiting_for(fx->mon, "web", names, 4), 0);
}

static void test_started_and_completed_conditions(void **state)
{
    fixture *fx = *state;
    pm_spec slow = spec_true();
    slow.ready = PM_READY_NOTIFY;
    add_spec(fx, "cache", &slow);
    pm_spec job = spec_true();
    job.autorestart = PM_AUTORESTART_NEVER;
    job.threshold = 0; /* a one-shot job: any run is a good one */
    add_spec(fx, "migrate", &job);
    pm_dependency deps[] = {{"cache", PM_DEP_STARTED}, {"migrate", PM_DEP_COMPLETED}};
    pm_spec web = spec_with(deps, 2);
    add_spec(fx, "web", &web);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0);
    assert_true(status(fx, "web").waiting); /* cache is started, migrate not completed */
    fake_advance(&fx->rt, 1);
    fake_exit(&fx->rt, pid_of(fx, "migrate"), EXIT_CODE(1)); /* not an expected exit */
    assert_int_equal(state_of(fx, "migrate"), PM_STATE_EXITED);
    assert_true(status(fx, "web").waiting);
    assert_int_equal(pm_monitor_start(fx->mon, "migrate"), 0);
    fake_advance(&fx->rt, 1);
    fake_exit(&fx->rt, pid_of(fx, "migrate"), EXIT_CODE(0));
    assert_false(status(fx, "web").waiting);
    assert_int_equal(state_of(fx, "web"), PM_STATE_STARTING);
    assert_true(pid_of(fx, "web") > 0);
}

/* A chain of five: each starts after the one before is ready; a stop of
 * the service stops them the other way round. */
static void test_a_chain_starts_in_order_and_stops_in_reverse(void **state)
{
    fixture *fx = *state;
    const char *names[] = {"a", "b", "c", "d", "e"};
    pm_dependency deps[5];
    for (size_t i = 0; i < 5; i++) {
        deps[i] = (pm_dependency){(char *)names[i > 0 ? i - 1 : 0], PM_DEP_READY};
        pm_spec spec = spec_with(&deps[i], i > 0);
        spec.ready = PM_READY_NOTIFY;
        add_spec(fx, names[i], &spec);
    }
    pm_monitor_start_service(fx->mon);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(spawns(fx), i + 1);
        fake_advance(&fx->rt, 0.1);
        fake_notify(&fx->rt, pid_of(fx, names[i]), "READY=1");
        fake_advance(&fx->rt, 0);
    }
    for (size_t i = 1; i < 5; i++)
        assert_true(start_event(fx, names[i - 1]) < start_event(fx, names[i]));
    pm_monitor_stop_service(fx->mon, on_done, fx);
    for (size_t i = 5; i-- > 0;) {
        assert_int_equal(fx->rt.kills[fx->rt.nkills - 1].pid, pid_of(fx, names[i]));
        assert_int_equal(fx->rt.nkills, 5 - i); /* one at a time */
        fake_exit(&fx->rt, pid_of(fx, names[i]), KILLED_BY(SIGTERM));
    }
    assert_int_equal(fx->done_calls, 1);
}

static void test_start_brings_up_dependencies_and_stop_leaves_them(void **state)
{
    fixture *fx = *state;
    pm_spec db = spec_true();
    db.autostart = false;
    add_spec(fx, "db", &db);
    pm_dependency deps[] = {{"db", PM_DEP_READY}};
    pm_spec web = spec_with(deps, 1);
    web.autostart = false;
    add_spec(fx, "web", &web);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(spawns(fx), 0);
    assert_int_equal(pm_monitor_start_notify(fx->mon, "web", on_done, fx), 0);
    assert_int_equal(spawns(fx), 2); /* db, ready at once here, then web */
    assert_true(start_event(fx, "db") < start_event(fx, "web"));
    assert_int_equal(fx->done_calls, 1); /* web is ready */
    assert_int_equal(pm_monitor_stop(fx->mon, "web", NULL, NULL), 0);
    fake_exit(&fx->rt, pid_of(fx, "web"), KILLED_BY(SIGTERM));
    assert_int_equal(state_of(fx, "web"), PM_STATE_STOPPED);
    assert_int_equal(state_of(fx, "db"), PM_STATE_STARTING); /* left alone */
}

static void test_a_dying_dependency_leaves_dependents_alone_unless_bound(void **state)
{
    fixture *fx = *state;
    add(fx, "db");
    pm_dependency deps[] = {{"db", PM_DEP_READY}};
    pm_spec free_one = spec_with(deps, 1);
    add_spec(fx, "reader", &free_one);
    pm_spec bound_one = spec_with(deps, 1);
    bound_one.bind_to = true;
    add_spec(fx, "writer", &bound_one);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 2);
    pid_t reader = pid_of(fx, "reader"), writer = pid_of(fx, "writer");
    assert_true(reader > 0 && writer > 0);
    fake_exit(&fx->rt, pid_of(fx, "db"), EXIT_CODE(1)); /* a good run: restarted at once */
    assert_int_equal(kills_of(fx, SIGTERM), 1);
    assert_int_equal(fx->rt.kills[0].pid, writer);
    fake_exit(&fx->rt, writer, KILLED_BY(SIGTERM));
    pm_status st = status(fx, "writer");
    assert_int_equal(st.state, PM_STATE_STARTING);
    assert_true(st.waiting || st.pid > 0); /* waiting, or db was ready again already */
    fake_advance(&fx->rt, 0);
    assert_true(pid_of(fx, "writer") > 0 && pid_of(fx, "writer") != writer);
    assert_int_equal(pid_of(fx, "reader"), reader);
}

static void test_a_start_fails_when_a_dependency_gives_up(void **state)
{
    fixture *fx = *state;
    pm_spec db = spec_true();
    db.autostart = false;
    db.start_retries = 0;
    add_spec(fx, "db", &db);
    pm_dependency deps[] = {{"db", PM_DEP_READY}};
    pm_spec web = spec_with(deps, 1);
    web.autostart = false;
    add_spec(fx, "web", &web);
    pm_monitor_start_service(fx->mon);
    fx->rt.spawn_error = -ENOENT; /* db cannot run */
    assert_int_equal(pm_monitor_start_notify(fx->mon, "web", on_done, fx), 0);
    assert_int_equal(state_of(fx, "db"), PM_STATE_FATAL);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, -ENOLINK);
    assert_true(status(fx, "web").waiting); /* still held back */
    fx->rt.spawn_error = 0;
    assert_int_equal(pm_monitor_start_notify(fx->mon, "web", on_done, fx), 0); /* brings db up again */
    fake_advance(&fx->rt, 0);
    assert_int_equal(fx->done_calls, 2);
    assert_int_equal(fx->done_result, 0);
    assert_int_equal(state_of(fx, "db"), PM_STATE_STARTING);
    assert_false(status(fx, "web").waiting);
}

static void test_bad_readiness_or_health_settings_are_refused(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_true();
    spec.ready = PM_READY_TCP;
    spec.ready_target = "no port";
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), -EINVAL);
    spec = spec_true();
    spec.health = PM_HEALTH_HTTP;
    spec.health_target = "https://tls.example/";
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), -EINVAL);
    spec.health_target = "http://localhost:8080/";
    spec.health_retries = 0;
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), -EINVAL);
    assert_int_equal(pm_monitor_count(fx->mon), 0);
}

static void test_stop_and_shutdown_of_a_waiting_process(void **state)
{
    fixture *fx = *state;
    pm_spec db = spec_true();
    db.ready = PM_READY_NOTIFY;
    add_spec(fx, "db", &db);
    pm_dependency deps[] = {{"db", PM_DEP_READY}};
    pm_spec web = spec_with(deps, 1);
    add_spec(fx, "web", &web);
    add_spec(fx, "api", &web);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_stop(fx->mon, "web", on_done, fx), 0);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(state_of(fx, "web"), PM_STATE_STOPPED);
    assert_int_equal(fx->rt.nkills, 0);
    pm_monitor_stop_service(fx->mon, on_done, fx);
    assert_int_equal(state_of(fx, "api"), PM_STATE_STOPPED);
    fake_exit(&fx->rt, pid_of(fx, "db"), KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 2);
    assert_int_equal(spawns(fx), 1);
    assert_int_equal(pm_monitor_remove(fx->mon, "api", NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_waits_until_its_dependency_is_ready),
        T(test_started_and_completed_conditions),
        T(test_a_chain_starts_in_order_and_stops_in_reverse),
        T(test_start_brings_up_dependencies_and_stop_leaves_them),
        T(test_a_dying_dependency_leaves_dependents_alone_unless_bound),
        T(test_a_start_fails_when_a_dependency_gives_up),
        T(test_bad_readiness_or_health_settings_are_refused),
        T(test_stop_and_shutdown_of_a_waiting_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
