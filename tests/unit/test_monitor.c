/* The monitor on a simulated clock and a fake spawner. */
#include "monitor_fixture.h"

/* ---- add, names ---- */

static void test_add_starts_only_while_running(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    assert_int_equal(spawns(fx), 0);
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPED);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(spawns(fx), 1);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    add(fx, "b");
    assert_int_equal(spawns(fx), 2);
    assert_int_equal(status(fx, "b").pid, fake_last_child(&fx->rt)->pid);

    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    spec.autostart = false;
    assert_int_equal(pm_monitor_add(fx->mon, "c", &spec), 0);
    assert_int_equal(spawns(fx), 2);
    assert_int_equal(status(fx, "c").state, PM_STATE_STOPPED);
}

static void test_duplicate_and_invalid_add(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), -EEXIST);
    assert_int_equal(pm_monitor_add(fx->mon, "", &spec), -EINVAL);
    spec.argv = NULL;
    assert_int_equal(pm_monitor_add(fx->mon, "b", &spec), -EINVAL);
    assert_int_equal(pm_monitor_count(fx->mon), 1);
}

static void test_unknown_names(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_status st;
    assert_int_equal(pm_monitor_remove(fx->mon, "x", NULL, NULL), -ENOENT);
    assert_int_equal(pm_monitor_stop(fx->mon, "x", NULL, NULL), -ENOENT);
    assert_int_equal(pm_monitor_start(fx->mon, "x"), -ENOENT);
    assert_int_equal(pm_monitor_restart(fx->mon, "x", NULL, NULL), -ENOENT);
    assert_int_equal(pm_monitor_signal(fx->mon, "x", SIGHUP), -ENOENT);
    assert_int_equal(pm_monitor_status(fx->mon, "x", &st), -ENOENT);
}

static void test_start_of_running_is_noop(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0);
    assert_int_equal(spawns(fx), 1);
    assert_int_equal(pid_of(fx, "a"), pid);
}

/* ---- the restart rule ---- */

static void test_instant_deaths_back_off_doubling_to_max(void **state)
{
    fixture *fx = *state;
    pm_options opts = {.threshold = 1, .kill_time = 5, .min_restart_delay = 1, .max_restart_delay = 8};
    pm_monitor_free(fx->mon);
    pm_monitor_new(&fx->rt.base, &opts, &fx->mon);
    pm_monitor_set_event_cb(fx->mon, record, fx);
    add(fx, "a");
    pm_monitor_start_service(fx->mon);

    double expected[] = {1, 2, 4, 8, 8, 8};
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        size_t before = spawns(fx);
        live_and_die(fx, "a", 0.5);
        pm_status st = status(fx, "a");
        assert_int_equal(st.state, PM_STATE_BACKOFF);
        assert_true(st.restart_in > expected[i] - EPS && st.restart_in < expected[i] + EPS);
        assert_true(fx->events[fx->nevents - 1].type == PM_EVENT_EXIT);
        assert_true(fx->events[fx->nevents - 1].restart_in == expected[i]);
        fake_advance(&fx->rt, expected[i] - EPS);
        assert_int_equal(spawns(fx), before);
        fake_advance(&fx->rt, EPS);
        assert_int_equal(spawns(fx), before + 1);
        assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    }
    assert_int_equal(status(fx, "a").restarts, 6);
    assert_int_equal(status(fx, "a").exit_status, 1);
}

static void test_good_run_restarts_at_once_and_resets(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "a", 0.1); /* restart in 1, next delay 2 */
    fake_advance(&fx->rt, 1);
    live_and_die(fx, "a", 0.1); /* restart in 2, next delay 4 */
    fake_advance(&fx->rt, 2);
    size_t before = spawns(fx);
    live_and_die(fx, "a", 1.0); /* exactly the threshold: not instant */
    assert_int_equal(spawns(fx), before + 1);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_true(fx->events[fx->nevents - 2].type == PM_EVENT_EXIT);
    assert_true(fx->events[fx->nevents - 2].restart_in == 0);
    live_and_die(fx, "a", 0.1); /* the ladder starts again at 1 */
    assert_true(status(fx, "a").restart_in > 1 - EPS && status(fx, "a").restart_in < 1 + EPS);
}

static void test_killed_by_signal_is_a_death_too(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 0.2);
    fake_exit(&fx->rt, pid_of(fx, "a"), KILLED_BY(SIGSEGV));
    pm_status st = status(fx, "a");
    assert_int_equal(st.state, PM_STATE_BACKOFF);
    assert_int_equal(st.exit_signal, SIGSEGV);
    assert_int_equal(st.exit_status, -1);
}

/* ---- stop and kill escalation ---- */

static void test_stop_escalates_to_sigkill_after_kill_time(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    assert_int_equal(pm_monitor_stop(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->rt.nkills, 1);
    assert_int_equal(fx->rt.kills[0].pid, pid);
    assert_int_equal(fx->rt.kills[0].sig, SIGTERM);
    assert_true(fx->rt.kills[0].group);
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPING);
    fake_advance(&fx->rt, 5 - EPS);
    assert_int_equal(kills_of(fx, SIGKILL), 0);
    fake_advance(&fx->rt, EPS);
    assert_int_equal(kills_of(fx, SIGKILL), 1);
    assert_int_equal(fx->rt.kills[1].pid, pid);
    assert_int_equal(fx->done_calls, 0); /* not until it has exited */
    fake_exit(&fx->rt, pid, KILLED_BY(SIGKILL));
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, 0);
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPED);
    fake_advance(&fx->rt, 10000); /* stays down */
    assert_int_equal(spawns(fx), 1);
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0);
    assert_int_equal(spawns(fx), 2);
}

static void test_exit_before_kill_time_cancels_sigkill(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    fake_advance(&fx->rt, 2);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    fake_advance(&fx->rt, 100);
    assert_int_equal(kills_of(fx, SIGKILL), 0);
    assert_int_equal(fx->rt.ntimers, 0);
}

static void test_stop_and_remove_during_backoff_cancel_restart(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    add(fx, "b");
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "a", 0.1);
    fake_exit(&fx->rt, pid_of(fx, "b"), EXIT_CODE(1));
    assert_int_equal(status(fx, "a").state, PM_STATE_BACKOFF);
    assert_int_equal(status(fx, "b").state, PM_STATE_BACKOFF);
    assert_int_equal(pm_monitor_stop(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPED);
    assert_int_equal(pm_monitor_remove(fx->mon, "b", NULL, NULL), 0);
    assert_int_equal(pm_monitor_count(fx->mon), 1);
    assert_int_equal(fx->rt.ntimers, 0);
    size_t before = spawns(fx);
    fake_advance(&fx->rt, 100);
    assert_int_equal(spawns(fx), before);
}

static void test_remove_running_stops_and_forgets(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    assert_int_equal(pm_monitor_remove(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->rt.kills[0].sig, SIGTERM);
    assert_int_equal(pm_monitor_count(fx->mon), 0);
    add(fx, "a"); /* the name is free at once; the new one starts */
    assert_int_equal(spawns(fx), 2);
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1);
    assert_true(fx->events[fx->nevents - 2].removed);
    assert_int_equal(fx->events[fx->nevents - 1].type, PM_EVENT_FORGET);
    assert_int_equal(fx->rt.nforgotten, 1);
    assert_int_equal(spawns(fx), 2); /* the removed one is not restarted */
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
}

/* ---- the service ---- */

static void test_stop_service_cancels_restarts_and_waits_for_last_exit(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    add(fx, "b");
    add(fx, "c");
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "c", 0.1); /* c waits in back-off */
    pid_t a = pid_of(fx, "a"), b = pid_of(fx, "b");
    pm_monitor_stop_service(fx->mon, on_done, fx);
    assert_false(pm_monitor_service_running(fx->mon));
    assert_int_equal(kills_of(fx, SIGTERM), 2);
    assert_int_equal(status(fx, "c").state, PM_STATE_STOPPED);
    fake_exit(&fx->rt, a, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 0);
    fake_advance(&fx->rt, 5); /* b ignores SIGTERM */
    assert_int_equal(kills_of(fx, SIGKILL), 1);
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, b, KILLED_BY(SIGKILL));
    assert_int_equal(fx->done_calls, 1);
    size_t before = spawns(fx);
    fake_advance(&fx->rt, 10000);
    assert_int_equal(spawns(fx), before);
}

/* ---- what a dead child's group leaves ---- */

/* The child `name` dies with members of its group still alive. */
static pid_t die_leaving_group(fixture *fx, const char *name, double lived)
{
    pid_t pid = pid_of(fx, name);
    fx->rt.left_groups[fx->rt.nleft_groups++] = pid;
    live_and_die(fx, name, lived);
    return pid;
}

static size_t leftover_kills(fixture *fx, pid_t pgid, int sig)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->rt.nkills; i++)
        n += fx->rt.kills[i].leftover && fx->rt.kills[i].pid == pgid && fx->rt.kills[i].sig == sig;
    return n;
}

static void test_a_crash_leaves_the_group_alone_and_stop_ends_it(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t old = die_leaving_group(fx, "a", 10);
    fake_advance(&fx->rt, 0); /* restarted at once */
    assert_int_equal(spawns(fx), 2);
    assert_int_equal(leftover_kills(fx, old, SIGTERM), 0);
    pid_t now_running = pid_of(fx, "a");
    assert_int_equal(pm_monitor_stop(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(leftover_kills(fx, old, SIGTERM), 1);
    assert_int_equal(fx->events[fx->nevents - 1].type, PM_EVENT_STOP);
    assert_int_equal(fx->events[fx->nevents - 1].pid, old);
    fake_exit(&fx->rt, now_running, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1); /* the stop is the program's */
    fake_advance(&fx->rt, 5 - EPS); /* what is left ignores SIGTERM */
    assert_int_equal(leftover_kills(fx, old, SIGKILL), 0);
    fake_advance(&fx->rt, EPS);
    assert_int_equal(leftover_kills(fx, old, SIGKILL), 1);
    assert_int_equal(fx->rt.nleft_groups, 0);
    assert_int_equal(fx->rt.ntimers, 0); /* nothing more to watch */
}

static void test_shutdown_waits_for_what_is_left_then_ends(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_true();
    spec.autorestart = PM_AUTORESTART_NEVER;
    assert_int_equal(pm_monitor_add(fx->mon, "once", &spec), 0);
    pm_monitor_start_service(fx->mon);
    pid_t old = die_leaving_group(fx, "once", 10);
    assert_int_equal(status(fx, "once").state, PM_STATE_EXITED);
    pm_monitor_stop_service(fx->mon, on_done, fx);
    assert_int_equal(leftover_kills(fx, old, SIGTERM), 1);
    fake_advance(&fx->rt, 1);
    assert_int_equal(fx->done_calls, 0);
    fx->rt.nleft_groups = 0; /* SIGTERM took a while, but did it */
    fake_advance(&fx->rt, 0.1 + EPS);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(leftover_kills(fx, old, SIGKILL), 0);
}

static void test_the_group_of_a_stopped_child_gets_sigkill_after_its_kill_time(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    fake_advance(&fx->rt, 2);
    fx->rt.left_groups[fx->rt.nleft_groups++] = pid; /* its child ignores SIGTERM */
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(leftover_kills(fx, pid, SIGTERM), 0); /* it had it, with its leader */
    fake_advance(&fx->rt, 3 - EPS);
    assert_int_equal(leftover_kills(fx, pid, SIGKILL), 0);
    fake_advance(&fx->rt, 2 * EPS);
    assert_int_equal(leftover_kills(fx, pid, SIGKILL), 1);
}

static void test_a_removed_program_goes_with_the_last_of_its_leftovers(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t old = die_leaving_group(fx, "a", 0.1); /* waits in back-off */
    assert_int_equal(pm_monitor_remove(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(leftover_kills(fx, old, SIGTERM), 1);
    assert_int_equal(fx->rt.nforgotten, 0);
    fake_advance(&fx->rt, 5);
    assert_int_equal(leftover_kills(fx, old, SIGKILL), 1);
    assert_int_equal(fx->rt.nforgotten, 1);
    assert_int_equal(spawns(fx), 1);
}

static void test_no_group_signals_no_leftovers(void **state)
{
    fixture *fx = *state;
    pm_spec spec = spec_true();
    spec.signal_group = false;
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), 0);
    pm_monitor_start_service(fx->mon);
    pid_t old = die_leaving_group(fx, "a", 10);
    fake_advance(&fx->rt, 0);
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    fake_advance(&fx->rt, 100);
    assert_int_equal(leftover_kills(fx, old, SIGTERM) + leftover_kills(fx, old, SIGKILL), 0);
}

static void test_stop_service_with_nothing_running_completes_at_once(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_stop_service(fx->mon, on_done, fx);
    assert_int_equal(fx->done_calls, 1);
}

static void add_with_priority(fixture *fx, const char *name, int priority)
{
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    spec.priority = priority;
    assert_int_equal(pm_monitor_add(fx->mon, name, &spec), 0);
}

static void test_priority_orders_start_and_stop(void **state)
{
    fixture *fx = *state;
    add_with_priority(fx, "web", 300);
    add_with_priority(fx, "db", 100);
    add_with_priority(fx, "cache", 200);
    pm_monitor_start_service(fx->mon);
    assert_string_equal(fx->events[0].name, "db");
    assert_string_equal(fx->events[1].name, "cache");
    assert_string_equal(fx->events[2].name, "web");

    pm_monitor_stop_service(fx->mon, on_done, fx);
    assert_int_equal(fx->rt.nkills, 1);
    assert_int_equal(fx->rt.kills[0].pid, pid_of(fx, "web"));
    fake_exit(&fx->rt, pid_of(fx, "web"), KILLED_BY(SIGTERM));
    assert_int_equal(fx->rt.nkills, 2);
    assert_int_equal(fx->rt.kills[1].pid, pid_of(fx, "cache"));
    fake_exit(&fx->rt, pid_of(fx, "cache"), KILLED_BY(SIGTERM));
    assert_int_equal(fx->rt.kills[2].pid, pid_of(fx, "db"));
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, pid_of(fx, "db"), KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1);
}

static void test_restart_all_restarts_each_at_once(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    add(fx, "b");
    pm_monitor_start_service(fx->mon);
    pid_t a = pid_of(fx, "a"), b = pid_of(fx, "b");
    fake_advance(&fx->rt, 0.1); /* both are younger than the threshold */
    pm_monitor_restart_all(fx->mon);
    assert_int_equal(kills_of(fx, SIGTERM), 2);
    fake_exit(&fx->rt, a, KILLED_BY(SIGTERM));
    fake_exit(&fx->rt, b, KILLED_BY(SIGTERM));
    assert_int_equal(spawns(fx), 4);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_int_equal(status(fx, "b").state, PM_STATE_STARTING);
}

static void test_admin_restart_of_young_process_does_not_back_off(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "a", 0.1);
    fake_advance(&fx->rt, 1); /* restarted; the next delay would be 2 */
    pid_t pid = pid_of(fx, "a");
    fake_advance(&fx->rt, 0.1);
    assert_int_equal(pm_monitor_restart(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, 0);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_int_not_equal(pid_of(fx, "a"), pid);
    live_and_die(fx, "a", 0.1); /* the ladder was reset by the restart */
    assert_true(status(fx, "a").restart_in > 1 - EPS && status(fx, "a").restart_in < 1 + EPS);
}

static void test_start_during_backoff_starts_now_and_resets(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "a", 0.1);
    fake_advance(&fx->rt, 1);
    live_and_die(fx, "a", 0.1); /* waiting 2 s */
    size_t before = spawns(fx);
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0);
    assert_int_equal(spawns(fx), before + 1);
    assert_int_equal(fx->rt.ntimers, 1); /* only its threshold, to running */
    live_and_die(fx, "a", 0.1);
    assert_true(status(fx, "a").restart_in < 1 + EPS);
}

static void test_start_during_stop_starts_after_exit(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0);
    assert_int_equal(spawns(fx), 1);
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(spawns(fx), 2);
}

/* ---- failures ---- */

static void test_exec_failure_backs_off_like_instant_death(void **state)
{
    fixture *fx = *state;
    fx->rt.defer_spawns = true;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    fake_spawn_fails(fake_last_child(&fx->rt), ENOENT, "cannot execute /bin/true: No such file or directory");
    /* One event: never "started", no exit of a child that never ran. */
    assert_int_equal(fx->nevents, 1);
    assert_int_equal(fx->events[0].type, PM_EVENT_SPAWN_ERROR);
    assert_int_equal(fx->events[0].state, PM_STATE_BACKOFF);
    assert_int_equal(status(fx, "a").state, PM_STATE_BACKOFF);
    assert_int_equal(status(fx, "a").pid, 0);
    assert_true(status(fx, "a").restart_in > 1 - EPS);
}

/* ---- a spawn that takes a while: the state is "starting" meanwhile ---- */

static void test_starting_until_the_spawn_is_through(void **state)
{
    fixture *fx = *state;
    fx->rt.defer_spawns = true;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    assert_int_equal(spawns(fx), 1);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_int_equal(status(fx, "a").pid, 0);
    assert_int_equal(fx->nevents, 0);
    assert_int_equal(pm_monitor_signal(fx->mon, "a", SIGHUP), -ESRCH); /* no pid to signal */
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0);                /* nothing to do */
    assert_int_equal(spawns(fx), 1);
    fake_advance(&fx->rt, 0.5);
    assert_true(status(fx, "a").uptime > 0.5 - EPS); /* time spent starting */
    fake_spawned(fake_last_child(&fx->rt));
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_int_equal(status(fx, "a").pid, fake_last_child(&fx->rt)->pid);
    assert_true(status(fx, "a").uptime < EPS); /* a run counts from its start */
    assert_int_equal(fx->events[0].type, PM_EVENT_START);
}

static void test_start_notify_tells_once_the_spawn_is_through(void **state)
{
    fixture *fx = *state;
    fx->rt.defer_spawns = true;
    add(fx, "a");
    assert_int_equal(pm_monitor_start_notify(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(pm_monitor_start_notify(fx->mon, "a", on_done, fx), 0); /* a second asker */
    assert_int_equal(fx->done_calls, 0);
    fake_spawned(fake_last_child(&fx->rt));
    assert_int_equal(fx->done_calls, 2);
    assert_int_equal(fx->done_result, 0);
    assert_int_equal(pm_monitor_start_notify(fx->mon, "a", on_done, fx), 0); /* running: at once */
    assert_int_equal(fx->done_calls, 3);
    assert_int_equal(pm_monitor_start_notify(fx->mon, "nope", on_done, fx), -ENOENT);
    assert_int_equal(fx->done_calls, 3);

    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    fake_exit(&fx->rt, pid_of(fx, "a"), KILLED_BY(SIGTERM));
    assert_int_equal(pm_monitor_start_notify(fx->mon, "a", on_done, fx), 0);
    fake_spawn_fails(fake_last_child(&fx->rt), ENOENT, "cannot execute /bin/true: No such file or directory");
    assert_int_equal(fx->done_calls, 4);
    assert_int_equal(fx->done_result, -ENOENT);
}

/* A stop asked while the spawn is under way is carried out once it is
 * through: the process never runs on unsupervised. */
static void test_stop_while_starting_waits_for_the_pid(void **state)
{
    fixture *fx = *state;
    fx->rt.defer_spawns = true;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_stop(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPING);
    assert_int_equal(fx->rt.nkills, 0);
    fake_child *c = fake_last_child(&fx->rt);
    fake_spawned(c);
    assert_int_equal(fx->rt.nkills, 1);
    assert_int_equal(fx->rt.kills[0].pid, c->pid);
    assert_int_equal(fx->rt.kills[0].sig, SIGTERM);
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, c->pid, KILLED_BY(SIGTERM));
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPED);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(spawns(fx), 1);

    /* The same, when the spawn fails: nothing to signal, stopped at once. */
    pm_monitor_start(fx->mon, "a");
    assert_int_equal(pm_monitor_stop(fx->mon, "a", on_done, fx), 0);
    fake_spawn_fails(fake_last_child(&fx->rt), EAGAIN, "cannot fork: Resource temporarily unavailable");
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPED);
    assert_int_equal(fx->done_calls, 2);
    assert_int_equal(fx->rt.nkills, 1);
    fake_advance(&fx->rt, 10);
    assert_int_equal(spawns(fx), 2); /* no restart */
}

static void test_shutdown_while_starting_waits_for_the_spawn(void **state)
{
    fixture *fx = *state;
    fx->rt.defer_spawns = true;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pm_monitor_stop_service(fx->mon, on_done, fx);
    assert_int_equal(fx->done_calls, 0); /* a child may be on its way */
    fake_child *c = fake_last_child(&fx->rt);
    fake_spawned(c);
    assert_int_equal(kills_of(fx, SIGTERM), 1);
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, c->pid, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1);
}

static void test_restart_and_remove_while_starting(void **state)
{
    fixture *fx = *state;
    fx->rt.defer_spawns = true;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_restart(fx->mon, "a", on_done, fx), 0);
    fake_child *c = fake_last_child(&fx->rt);
    fake_spawned(c); /* the first run: stopped at once for the restart */
    assert_int_equal(kills_of(fx, SIGTERM), 1);
    assert_int_equal(fx->done_calls, 0);
    fake_exit(&fx->rt, c->pid, KILLED_BY(SIGTERM));
    assert_int_equal(spawns(fx), 2);
    assert_int_equal(fx->done_calls, 0);
    fake_spawned(fake_last_child(&fx->rt));
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, 0);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_int_equal(status(fx, "a").restarts, 1);

    /* Removed while starting: kept until its child has come and gone. */
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    fake_exit(&fx->rt, pid_of(fx, "a"), KILLED_BY(SIGTERM));
    pm_monitor_start(fx->mon, "a");
    c = fake_last_child(&fx->rt);
    assert_int_equal(pm_monitor_remove(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->rt.nforgotten, 0);
    fake_spawned(c);
    assert_int_equal(kills_of(fx, SIGTERM), 3);
    fake_exit(&fx->rt, c->pid, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 2);
    assert_int_equal(fx->rt.nforgotten, 1);
    assert_int_equal(fx->events[fx->nevents - 1].type, PM_EVENT_FORGET);
}

static void test_spawn_failure_backs_off(void **state)
{
    fixture *fx = *state;
    pm_options opts = {.threshold = 1, .kill_time = 5, .min_restart_delay = 0, .max_restart_delay = 0};
    pm_monitor_free(fx->mon);
    pm_monitor_new(&fx->rt.base, &opts, &fx->mon);
    add(fx, "a");
    fx->rt.spawn_error = -EAGAIN;
    pm_monitor_start_service(fx->mon); /* zero delay: must not recurse */
    assert_int_equal(status(fx, "a").state, PM_STATE_BACKOFF);
    fx->rt.spawn_error = 0;
    fake_advance(&fx->rt, 0);
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
    assert_int_equal(pm_monitor_restart(fx->mon, "a", NULL, NULL), 0);
    fx->rt.spawn_error = -EAGAIN;
    assert_int_equal(pm_monitor_start(fx->mon, "nope"), -ENOENT);
}

/* ---- done callbacks: each runs exactly once, and shutdown always ends ---- */

static void test_restart_whose_spawn_fails_reports_once(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    fx->rt.spawn_error = -EMFILE;
    assert_int_equal(pm_monitor_restart(fx->mon, "a", on_done, fx), 0);
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(fx->done_result, -EMFILE);
}

static void test_stop_overtaken_by_start_still_reports(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    pid_t pid = pid_of(fx, "a");
    pm_monitor_stop(fx->mon, "a", on_done, fx);
    pm_monitor_start(fx->mon, "a");
    fake_exit(&fx->rt, pid, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1); /* the stop: it did exit */
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
}

typedef struct chained {
    fixture *fx;
    const char *next;
} chained;

/* A caller that goes on to the next process when told the first is done,
 * as a batch over priority tiers does. */
static void restart_next(void *arg, int result)
{
    (void)result;
    chained *c = arg;
    pm_monitor_restart(c->fx->mon, c->next, NULL, NULL);
}

static void test_stop_service_ends_even_if_a_waiter_restarts_another(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    add(fx, "z");
    pm_monitor_start_service(fx->mon);
    pid_t a = pid_of(fx, "a"), z = pid_of(fx, "z");
    chained c = {fx, "a"};
    pm_monitor_restart(fx->mon, "z", restart_next, &c); /* z stopping, to be restarted */
    pm_monitor_stop_service(fx->mon, on_done, fx);    /* cancels z's restart: a is restarted */
    fake_exit(&fx->rt, z, KILLED_BY(SIGTERM));
    fake_exit(&fx->rt, a, KILLED_BY(SIGTERM));
    assert_int_equal(fx->done_calls, 1);
    assert_int_equal(spawns(fx), 2); /* nothing was started during the shutdown */
    assert_int_equal(status(fx, "a").state, PM_STATE_STOPPED);
    assert_int_equal(status(fx, "z").state, PM_STATE_STOPPED);
}

/* ---- per-process settings ---- */

static void test_per_process_overrides(void **state)
{
    fixture *fx = *state;
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    spec.threshold = 10;
    spec.min_restart_delay = 3;
    spec.max_restart_delay = 5;
    spec.kill_time = 0.5;
    spec.stop_signal = SIGINT;
    spec.signal_group = false;
    assert_int_equal(pm_monitor_add(fx->mon, "a", &spec), 0);
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "a", 5); /* instant under its own threshold */
    assert_true(status(fx, "a").restart_in > 3 - EPS && status(fx, "a").restart_in < 3 + EPS);
    fake_advance(&fx->rt, 3);
    live_and_die(fx, "a", 5);
    assert_true(status(fx, "a").restart_in > 5 - EPS && status(fx, "a").restart_in < 5 + EPS); /* capped */
    fake_advance(&fx->rt, 5);
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    assert_int_equal(fx->rt.kills[0].sig, SIGINT);
    assert_false(fx->rt.kills[0].group);
    fake_advance(&fx->rt, 0.5);
    assert_int_equal(kills_of(fx, SIGKILL), 1);
}

static void test_autorestart_policies(void **state)
{
    fixture *fx = *state;
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    spec.autorestart = PM_AUTORESTART_UNEXPECTED;
    pm_spec_set_exitcode(&spec, 3, true);
    pm_monitor_add(fx->mon, "u", &spec);
    spec.autorestart = PM_AUTORESTART_NEVER;
    pm_monitor_add(fx->mon, "n", &spec);
    pm_monitor_start_service(fx->mon);
    fake_advance(&fx->rt, 2);
    fake_exit(&fx->rt, pid_of(fx, "u"), EXIT_CODE(3)); /* expected */
    assert_int_equal(status(fx, "u").state, PM_STATE_EXITED);
    fake_exit(&fx->rt, pid_of(fx, "n"), EXIT_CODE(1));
    assert_int_equal(status(fx, "n").state, PM_STATE_EXITED);
    pm_monitor_start(fx->mon, "u");
    fake_advance(&fx->rt, 2);
    fake_exit(&fx->rt, pid_of(fx, "u"), EXIT_CODE(1)); /* unexpected */
    assert_int_equal(status(fx, "u").state, PM_STATE_STARTING);
    fake_exit(&fx->rt, pid_of(fx, "u"), KILLED_BY(SIGTERM)); /* a signal is unexpected */
    assert_int_equal(status(fx, "u").state, PM_STATE_BACKOFF);
}

static void test_start_retries_give_up_into_fatal(void **state)
{
    fixture *fx = *state;
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv_true;
    spec.start_retries = 2;
    pm_monitor_add(fx->mon, "a", &spec);
    pm_monitor_start_service(fx->mon);
    live_and_die(fx, "a", 0.1);
    fake_advance(&fx->rt, 1);
    live_and_die(fx, "a", 0.1);
    fake_advance(&fx->rt, 2);
    live_and_die(fx, "a", 0.1); /* the third instant death in a row */
    assert_int_equal(status(fx, "a").state, PM_STATE_FATAL);
    assert_int_equal(fx->events[fx->nevents - 1].type, PM_EVENT_FATAL);
    size_t before = spawns(fx);
    fake_advance(&fx->rt, 10000);
    assert_int_equal(spawns(fx), before);
    assert_int_equal(pm_monitor_start(fx->mon, "a"), 0); /* start lifts it */
    assert_int_equal(status(fx, "a").state, PM_STATE_STARTING);
}

static void test_a_stop_ends_a_hold_on_output(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_hold_output(fx->mon, "a", true), 0);
    assert_non_null(fx->rt.held);
    assert_int_equal(pm_monitor_hold_output(fx->mon, "nope", true), -ENOENT);
    pm_monitor_stop(fx->mon, "a", NULL, NULL);
    assert_null(fx->rt.held); /* its last words are read */
}

static void test_signal_reaches_running_process_only(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    assert_int_equal(pm_monitor_signal(fx->mon, "a", SIGHUP), -ESRCH);
    pm_monitor_start_service(fx->mon);
    assert_int_equal(pm_monitor_signal(fx->mon, "a", SIGHUP), 0);
    assert_int_equal(fx->rt.kills[0].sig, SIGHUP);
    assert_int_equal(fx->rt.kills[0].pid, pid_of(fx, "a"));
}

/* ---- output ---- */

static void test_output_lines_one_by_one_or_together(void **state)
{
    fixture *fx = *state;
    add(fx, "a");
    pm_monitor_start_service(fx->mon);
    fake_child *c = fake_last_child(&fx->rt);
    const pm_line lines[] = {{"one", 3}, {"", 0}, {"three", 5}};
    size_t before = fx->nevents;
    c->cbs->output(c->arg, PM_STDERR, lines, 3);
    assert_int_equal(fx->nevents - before, 3); /* by default, an event a line */
    for (size_t i = 0; i < 3; i++) {
        const recorded *r = &fx->events[before + i];
        assert_int_equal(r->type, PM_EVENT_OUTPUT);
        assert_int_equal(r->stream, PM_STDERR);
        assert_int_equal(r->len, lines[i].len);
        assert_string_equal(r->name, "a");
    }
    pm_monitor_batch_lines(fx->mon, true);
    before = fx->nevents;
    c->cbs->output(c->arg, PM_STDOUT, lines, 3);
    assert_int_equal(fx->nevents - before, 1);
    assert_int_equal(fx->events[before].type, PM_EVENT_LINES);
    assert_int_equal(fx->events[before].stream, PM_STDOUT);
    assert_int_equal(fx->events[before].nlines, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_add_starts_only_while_running),
        T(test_starting_until_the_spawn_is_through),
        T(test_start_notify_tells_once_the_spawn_is_through),
        T(test_stop_while_starting_waits_for_the_pid),
        T(test_shutdown_while_starting_waits_for_the_spawn),
        T(test_restart_and_remove_while_starting),
        T(test_duplicate_and_invalid_add),
        T(test_unknown_names),
        T(test_start_of_running_is_noop),
        T(test_instant_deaths_back_off_doubling_to_max),
        T(test_good_run_restarts_at_once_and_resets),
        T(test_killed_by_signal_is_a_death_too),
        T(test_stop_escalates_to_sigkill_after_kill_time),
        T(test_exit_before_kill_time_cancels_sigkill),
        T(test_stop_and_remove_during_backoff_cancel_restart),
        T(test_remove_running_stops_and_forgets),
        T(test_stop_service_cancels_restarts_and_waits_for_last_exit),
        T(test_a_crash_leaves_the_group_alone_and_stop_ends_it),
        T(test_shutdown_waits_for_what_is_left_then_ends),
        T(test_the_group_of_a_stopped_child_gets_sigkill_after_its_kill_time),
        T(test_a_removed_program_goes_with_the_last_of_its_leftovers),
        T(test_no_group_signals_no_leftovers),
        T(test_stop_service_with_nothing_running_completes_at_once),
        T(test_priority_orders_start_and_stop),
        T(test_restart_all_restarts_each_at_once),
        T(test_admin_restart_of_young_process_does_not_back_off),
        T(test_start_during_backoff_starts_now_and_resets),
        T(test_start_during_stop_starts_after_exit),
        T(test_exec_failure_backs_off_like_instant_death),
        T(test_spawn_failure_backs_off),
        T(test_restart_whose_spawn_fails_reports_once),
        T(test_stop_overtaken_by_start_still_reports),
        T(test_stop_service_ends_even_if_a_waiter_restarts_another),
        T(test_per_process_overrides),
        T(test_autorestart_policies),
        T(test_start_retries_give_up_into_fatal),
        T(test_a_stop_ends_a_hold_on_output),
        T(test_output_lines_one_by_one_or_together),
        T(test_signal_reaches_running_process_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
