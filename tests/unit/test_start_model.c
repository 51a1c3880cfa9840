/* From started to running: readiness, the threshold, the ready timeout, and
 * what a failed start is, on the simulated clock. */
#include "monitor_fixture.h"

#include <string.h>

static pm_spec spec_ready(pm_ready_kind kind, const char *target)
{
    pm_spec spec = spec_true();
    spec.ready = kind;
    spec.ready_target = (char *)target;
    return spec;
}

static void test_running_once_past_the_threshold(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pm_status st = status(fx, "a");
    assert_int_equal(st.state, PM_STATE_STARTING);
    assert_true(st.ready); /* ready = spawn */
    assert_int_equal(last_event(fx, PM_EVENT_READY), -1); /* nothing to tell for spawn */
    fake_advance(&fx->rt, 1 - EPS);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    fake_advance(&fx->rt, EPS);
    assert_int_equal(status(fx, "a").state, PM_STATE_RUNNING);
    int i = last_event(fx, PM_EVENT_RUNNING);
    assert_true(i >= 0);
    assert_true(fx->events[i].runtime > 1 - EPS && fx->events[i].runtime < 1 + EPS);
}

/* autorestart decides only about a running process's death. */
static void test_a_failed_start_backs_off_whatever_autorestart_says(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_true();
    spec.autorestart = PM_AUTORESTART_NEVER;
    spec.start_retries = 1;
    add_spec(fx, "a", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0.5);
    fake_exit(&fx->rt, pid_of(fx, "a"), EXIT_CODE(0)); /* even an expected exit */
    assert_int_equal(status(fx, "a").state, PM_STATE_BACKOFF);
    fake_advance(&fx->rt, 1);
    live_and_die(fx, "a", 0.5); /* the second failed start: start_retries 1 is used up */
    assert_int_equal(status(fx, "a").state, PM_STATE_FATAL);
    assert_int_equal(fx->events[fx->nevents - 1].type, PM_EVENT_FATAL);

    /* A run past its threshold ends as autorestart says. */
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0);
    live_and_die(fx, "a", 2);
    assert_int_equal(status(fx, "a").state, PM_STATE_EXITED);
}

static void test_a_command_that_cannot_run_is_fatal_even_without_autorestart(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_true();
    spec.autorestart = PM_AUTORESTART_NEVER;
    spec.start_retries = 2;
    add_spec(fx, "a", &spec);
    fx->rt.spawn_error = -ENOENT;
    pm_monitor_start_service(fx->mon);
    assert_int_equal(status(fx, "a").state, PM_STATE_BACKOFF);
    fake_advance(&fx->rt, 1);
    assert_int_equal(status(fx, "a").state, PM_STATE_BACKOFF);
    fake_advance(&fx->rt, 2);
    assert_int_equal(status(fx, "a").state, PM_STATE_FATAL);
    assert_int_equal(last_event(fx, PM_EVENT_START), -1); /* never logged as started */
}

static void test_notify_ready_then_running_at_the_threshold(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_NOTIFY, NULL);
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_start_notify(fx->mon, "db", on_done, fx), 0);
    fake_advance(&fx->rt, 0.3);
    assert_false(status(fx, "db").ready);
    assert_int_equal(fx->done_calls, 0); /* a start answers once it is ready */
    fake_notify(&fx->rt, pid_of(fx, "db"), "STATUS=warming up\nMAINPID=1\nREADY=1\n");
    pm_status st = status(fx, "db");
    assert_true(st.ready);
    assert_string_equal(st.status_text, "warming up");
    assert_int_equal(st.state, PM_STATE_STARTING);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, 0);
    int i = last_event(fx, PM_EVENT_READY);
    assert_true(i >= 0);
    assert_string_equal(fx->events[i].message, "READY=1");
    assert_true(fx->events[i].runtime > 0.3 - EPS && fx->events[i].runtime < 0.3 + EPS);
    assert_int_equal(st.main_pid, 1);
    fake_notify(&fx->rt, pid_of(fx, "db"), "READY=1"); /* again: nothing new */
    assert_int_equal(last_event(fx, PM_EVENT_READY), i);
    fake_advance(&fx->rt, 0.7);
    assert_int_equal(status(fx, "db").state, PM_STATE_RUNNING);
    fake_notify(&fx->rt, pid_of(fx, "db"), "RELOADING=1");
    assert_string_equal(status(fx, "db").phase, "reloading");
    fake_notify(&fx->rt, pid_of(fx, "db"), "READY=1\nSTATUS=serving");
    assert_null(status(fx, "db").phase);
    assert_string_equal(status(fx, "db").status_text, "serving");
    assert_int_equal(last_event(fx, PM_EVENT_READY), i); /* not ready again: it was */
}

static void test_ready_past_the_threshold_is_running_at_once(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_NOTIFY, NULL);
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 2);
    assert_int_equal(status(fx, "db").state, PM_STATE_STARTING); /* alive, not ready */
    fake_notify(&fx->rt, pid_of(fx, "db"), "READY=1");
    assert_int_equal(status(fx, "db").state, PM_STATE_RUNNING);
    assert_int_equal(last_event(fx, PM_EVENT_RUNNING), (int)fx->nevents - 1);
}

/* Past the threshold but never ready: still a failed start. */
static void test_death_before_ready_is_a_failed_start(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_NOTIFY, NULL);
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_start_notify(fx->mon, "db", on_done, fx), 0);
    live_and_die(fx, "db", 3);
    assert_int_equal(status(fx, "db").state, PM_STATE_BACKOFF);
    assert_true(status(fx, "db").restart_in > 1 - EPS && status(fx, "db").restart_in < 1 + EPS);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, -ECHILD);
}

static void test_not_ready_in_time_is_stopped_and_a_failed_start(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_NOTIFY, NULL);
    spec.ready_timeout = 5;
    spec.start_retries = 0;
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "db");
    fake_advance(&fx->rt, 5 - EPS);
    assert_int_equal(kills_of(fx, SIGTERM), 0);
    fake_advance(&fx->rt, EPS);
    int i = last_event(fx, PM_EVENT_NOT_READY);
    assert_true(i >= 0);
    assert_string_equal(fx->events[i].message, "not ready after 5s");
    assert_int_equal(kills_of(fx, SIGTERM), 1);
    assert_int_equal(status(fx, "db").state, PM_STATE_STOPPING);
    fake_notify(&fx->rt, pid, "READY=1"); /* too late */
    assert_false(status(fx, "db").ready);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(status(fx, "db").state, PM_STATE_FATAL); /* start_retries 0: the first one */
}

/* A stop of a process not yet ready is a stop, not a failed start. */
static void test_stop_while_not_ready_is_a_stop(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_NOTIFY, NULL);
    spec.ready_timeout = 5;
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "db");
    fake_advance(&fx->rt, 5); /* not ready: being stopped */
    assert_int_equal(pm_monitor_stop(fx->mon, "db", NULL, NULL), 0);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(status(fx, "db").state, PM_STATE_STOPPED);
    assert_int_equal(pm_monitor_start(fx->mon, "db"), 0);
    pid = pid_of(fx, "db");
    assert_int_equal(pm_monitor_stop(fx->mon, "db", NULL, NULL), 0);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(status(fx, "db").state, PM_STATE_STOPPED);
    assert_int_equal(fx->rt.ntimers, 0); /* no ready timeout left behind */
}

static void test_tcp_is_tried_every_interval_one_at_a_time(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_TCP, "127.0.0.1:5432");
    spec.ready_interval = 0.25;
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0);
    assert_int_equal(fx->rt.nconnects, 1);
    assert_string_equal(fx->rt.connects[0]->target, "127.0.0.1:5432");
    assert_false(fx->rt.connects[0]->unix_socket);
    fake_advance(&fx->rt, 1); /* the first try is still going: no second */
    assert_int_equal(fx->rt.nconnects, 1);
    assert_true(fake_connect_done(&fx->rt, -ECONNREFUSED));
    fake_advance(&fx->rt, 0.25 - EPS);
    assert_int_equal(fx->rt.nconnects, 1);
    fake_advance(&fx->rt, EPS);
    assert_int_equal(fx->rt.nconnects, 2);
    assert_true(fake_connect_done(&fx->rt, 0));
    assert_true(status(fx, "db").ready);
    assert_string_equal(fx->events[last_event(fx, PM_EVENT_READY)].message,
                        "tcp:127.0.0.1:5432: connected");
    assert_int_equal(status(fx, "db").state, PM_STATE_RUNNING); /* 1.25 s: past the threshold */
}

static void test_unix_tries_stop_with_the_process(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_UNIX, "/run/db.sock");
    spec.ready_timeout = 2;
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0);
    assert_true(fx->rt.connects[0]->unix_socket);
    assert_true(fake_connect_done(&fx->rt, -ENOENT));
    fake_advance(&fx->rt, 0.1);
    assert_int_equal(fx->rt.nconnects, 2);
    live_and_die(fx, "db", 0.1);
    assert_false(fx->rt.connects[1]->live); /* the try under way was cancelled */
    int i = last_event(fx, PM_EVENT_EXIT);
    assert_true(fx->events[i].restart_in > 1 - EPS); /* a failed start */
}

static void test_not_ready_tells_the_last_try(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_TCP, "localhost:80");
    spec.ready_timeout = 1;
    add_spec(fx, "web", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0);
    fake_connect_done(&fx->rt, -ECONNREFUSED);
    fake_advance(&fx->rt, 1);
    assert_string_equal(fx->events[last_event(fx, PM_EVENT_NOT_READY)].message,
                        "not ready after 1s; last try: connect: Connection refused");
}

static void test_exec_is_run_as_the_process_until_it_exits_0(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_EXEC, "pg_isready");
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0);
    assert_int_equal(spawns(fx), 2);
    fake_child *check = fake_last_child(&fx->rt);
    assert_string_equal(check->argv0, "/bin/sh");
    fake_exit(&fx->rt, check->pid, EXIT_CODE(2));
    assert_false(status(fx, "db").ready);
    fake_advance(&fx->rt, 0.1);
    assert_int_equal(spawns(fx), 3);
    fake_exit(&fx->rt, fake_last_child(&fx->rt)->pid, EXIT_CODE(0));
    assert_true(status(fx, "db").ready);
    fake_advance(&fx->rt, 10);
    assert_int_equal(spawns(fx), 3); /* no tries once ready */
}

static void test_exec_still_running_at_the_timeout_is_killed(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_EXEC, "sleep 100");
    spec.ready_timeout = 3;
    add_spec(fx, "db", &spec);
    pm_monitor_start_service(fx->mon);
    pid_t db = pid_of(fx, "db");
    fake_advance(&fx->rt, 0);
    pid_t check = fake_last_child(&fx->rt)->pid;
    fake_advance(&fx->rt, 3);
    bool check_killed = false, db_stopped = false;
    for (size_t i = 0; i < fx->rt.nkills; i++) {
        check_killed |= fx->rt.kills[i].pid == check && fx->rt.kills[i].sig == SIGKILL;
        db_stopped |= fx->rt.kills[i].pid == db && fx->rt.kills[i].sig == SIGTERM;
    }
    assert_true(check_killed);
    assert_true(db_stopped);
}

static void test_log_line_that_matches(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_LOG, "listening on [0-9]+$");
    add_spec(fx, "web", &spec);
    pm_monitor_start_service(fx->mon);
    fake_child *c = fake_last_child(&fx->rt);
    const pm_line no[] = {{"listening on port", 17}, {"listening on 80 soon", 20}};
    c->cbs->output(c->arg, PM_STDOUT, no, 2);
    assert_false(status(fx, "web").ready);
    const pm_line yes[] = {{"x", 1}, {"listening on 8080", 17}, {"after", 5}};
    c->cbs->output(c->arg, PM_STDERR, yes, 3);
    assert_true(status(fx, "web").ready);
    int i = last_event(fx, PM_EVENT_READY);
    assert_true(i > last_event(fx, PM_EVENT_OUTPUT)); /* after the lines themselves */
}

static void test_an_embedder_says_when_ready(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_ready(PM_READY_FD, NULL); /* any kind but spawn */
    spec.ready_fd = 3;
    add_spec(fx, "a", &spec);
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    assert_int_equal(pm_monitor_ready(fx->mon, "nope", pid), -ENOENT);
    assert_int_equal(pm_monitor_ready(fx->mon, "a", pid + 1), -ESRCH);
    assert_int_equal(pm_monitor_ready(fx->mon, "a", pid), 0);
    assert_int_equal(pm_monitor_ready(fx->mon, "a", pid), -EALREADY);
    assert_true(status(fx, "a").ready);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_running_once_past_the_threshold),
        T(test_a_failed_start_backs_off_whatever_autorestart_says),
        T(test_a_command_that_cannot_run_is_fatal_even_without_autorestart),
        T(test_notify_ready_then_running_at_the_threshold),
        T(test_ready_past_the_threshold_is_running_at_once),
        T(test_death_before_ready_is_a_failed_start),
        T(test_not_ready_in_time_is_stopped_and_a_failed_start),
        T(test_stop_while_not_ready_is_a_stop),
        T(test_tcp_is_tried_every_interval_one_at_a_time),
        T(test_unix_tries_stop_with_the_process),
        T(test_not_ready_tells_the_last_try),
        T(test_exec_is_run_as_the_process_until_it_exits_0),
        T(test_exec_still_running_at_the_timeout_is_killed),
        T(test_log_line_that_matches),
        T(test_an_embedder_says_when_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
