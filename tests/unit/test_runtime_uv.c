/* The real runtime's output path, with real children on a libuv loop: the
 * lines of a read reach the monitor together, in order, and a line finished
 * in the splitter's own buffer is passed on before anything after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "procmon.h"

#define DEADLINE_MS 30000
#define MAX_LINES 4096
#define MAX_BATCHES 4096

typedef struct seen {
    char *lines[MAX_LINES];
    size_t nlines;
    size_t batch_sizes[MAX_BATCHES];
    size_t nbatches;
    size_t exits;
    size_t want_exits;
    const char *flag; /* created once the line "one" has arrived */
    uv_loop_t *loop;
} seen;

static void on_event(void *arg, const pm_event *ev)
{
    seen *s = arg;
    if (ev->type == PM_EVENT_LINES) {
        assert_true(s->nbatches < MAX_BATCHES);
        s->batch_sizes[s->nbatches++] = ev->nlines;
        for (size_t i = 0; i < ev->nlines; i++) {
            assert_true(s->nlines < MAX_LINES);
            s->lines[s->nlines++] = strndup(ev->lines[i].data, ev->lines[i].len);
            if (s->flag && ev->lines[i].len == 3 && memcmp(ev->lines[i].data, "one", 3) == 0) {
                FILE *f = fopen(s->flag, "w");
                assert_non_null(f);
                fclose(f);
            }
        }
    } else if (ev->type == PM_EVENT_EXIT && ++s->exits == s->want_exits) {
        uv_stop(s->loop);
    }
}

static void timed_out(uv_timer_t *t)
{
    (void)t;
    fail_msg("the children did not exit within %d ms", DEADLINE_MS);
}

/* Stops the loop once we have no child left, reaped or not. */
static void stop_once_childless(uv_timer_t *t)
{
    siginfo_t info;
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
        uv_stop(t->loop);
}

/* Runs n programs p0, p1 ... of spec (autorestart off) on a loop of their
 * own, until the event callback stops the loop and then until the runtime
 * has reaped every child (none is left to wait for: ECHILD), so that none
 * is reaped by anyone else. */
static void run_programs(uv_loop_t *loop, pm_event_cb cb, void *arg, pm_spec *spec, size_t n)
{
    pm_runtime *rt;
    pm_monitor *mon;
    assert_int_equal(pm_runtime_uv_new(loop, &rt), 0);
    assert_int_equal(pm_monitor_new(rt, NULL, &mon), 0);
    pm_monitor_set_event_cb(mon, cb, arg);
    pm_monitor_batch_lines(mon, true);
    spec->autorestart = PM_AUTORESTART_NEVER;
    spec->threshold = 0; /* every run a good one: never retried as a failed start */
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%zu", i);
        assert_int_equal(pm_monitor_add(mon, name, spec), 0);
    }
    uv_timer_t deadline, poll;
    uv_timer_init(loop, &deadline);
    uv_timer_start(&deadline, timed_out, DEADLINE_MS, 0);
    pm_monitor_start_service(mon);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_timer_init(loop, &poll);
    uv_timer_start(&poll, stop_once_childless, 0, 10);
    uv_run(loop, UV_RUN_DEFAULT);

    uv_close((uv_handle_t *)&poll, NULL);
    uv_close((uv_handle_t *)&deadline, NULL);
    pm_monitor_free(mon);
    pm_runtime_free(rt);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

/* Runs `script` with sh until it exits; what it printed is in s. */
static void run_script(seen *s, const char *script, char **env)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    s->loop = &loop;
    s->want_exits = 1;
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    spec.env = env;
    run_programs(&loop, on_event, s, &spec, 1);
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i]);
}

static void test_a_line_split_across_reads(void **state)
{
    (void)state;
    char dir[] = "/tmp/pm-runtime-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char flag[64], env_flag[80];
    snprintf(flag, sizeof flag, "%s/flag", dir);
    snprintf(env_flag, sizeof env_flag, "FLAG=%s", flag);
    char *env[] = {env_flag, NULL};
    seen s = {.flag = flag};
    /* "two" is cut by a wait that the first batch ends: its rest comes in
     * a second read, with "three" and a last line without a newline. */
    run_script(&s,
               "printf 'one\\ntw'; while [ ! -e \"$FLAG\" ]; do sleep 0.01; done; "
               "printf 'o\\nthree\\nfour'",
               env);
    const char *want[] = {"one", "two", "three", "four"};
    assert_int_equal(s.nlines, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(s.lines[i], want[i]);
    /* "two" was finished in the splitter's buffer: a batch of its own. */
    assert_int_equal(s.nbatches, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(s.batch_sizes[i], 1);
    seen_free(&s);
    unlink(flag);
    rmdir(dir);
}

static void test_many_lines_in_one_read(void **state)
{
    (void)state;
    seen s = {0};
    run_script(&s, "seq 1 3000", NULL);
    assert_int_equal(s.nlines, 3000);
    for (size_t i = 0; i < 3000; i++) {
        char want[16];
        snprintf(want, sizeof want, "%zu", i + 1);
        assert_string_equal(s.lines[i], want);
    }
    /* Together: fewer batches than lines, none over the batch size. */
    assert_true(s.nbatches < 100);
    for (size_t i = 0; i < s.nbatches; i++)
        assert_true(s.batch_sizes[i] >= 1 && s.batch_sizes[i] <= 512);
    seen_free(&s);
}

/* ---- spawns: on the spawner's thread, handed back in the loop ---- */

#define WAVE 300

typedef struct wave {
    int starts[WAVE], exits[WAVE], spawn_errors[WAVE];
    int exit_before_start; /* an exit or error told out of order */
    size_t ended, want;
    char message[256];
    uv_loop_t *loop;
} wave;

static int index_of(const pm_event *ev)
{
    int i = atoi(ev->name + 1);
    assert_true(i >= 0 && i < WAVE);
    return i;
}

static void on_wave_event(void *arg, const pm_event *ev)
{
    wave *w = arg;
    switch (ev->type) {
    case PM_EVENT_START:
        w->starts[index_of(ev)]++;
        assert_true(ev->pid > 0);
        return;
    case PM_EVENT_EXIT:
        w->exit_before_start += w->starts[index_of(ev)] == 0;
        w->exits[index_of(ev)]++;
        break;
    case PM_EVENT_SPAWN_ERROR:
        w->spawn_errors[index_of(ev)]++;
        snprintf(w->message, sizeof w->message, "%s", ev->message);
        break;
    default:
        return;
    }
    if (++w->ended == w->want)
        uv_stop(w->loop);
}

/* Starts n programs running argv, and runs the loop until each has exited
 * or failed to spawn. */
static void run_wave(wave *w, char **argv, size_t n)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    w->loop = &loop;
    w->want = n;
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    run_programs(&loop, on_wave_event, w, &spec, n);
}

/* Children that exit at once are often reaped before their spawn is handed
 * back: each exit must still reach its program, after its start. */
static void test_a_wave_of_children_that_exit_at_once(void **state)
{
    (void)state;
    wave *w = calloc(1, sizeof *w);
    assert_non_null(w);
    char *argv[] = {"/bin/true", NULL};
    run_wave(w, argv, WAVE);
    for (size_t i = 0; i < WAVE; i++) {
        assert_int_equal(w->starts[i], 1);
        assert_int_equal(w->exits[i], 1);
    }
    assert_int_equal(w->exit_before_start, 0);
    free(w);
}

/* A command that cannot be executed: one spawn error, never a start or an
 * exit, and what is left of the child is reaped. */
static void test_exec_failure_is_one_spawn_error(void **state)
{
    (void)state;
    wave *w = calloc(1, sizeof *w);
    assert_non_null(w);
    char *argv[] = {"/nonexistent/procmon-test", NULL};
    run_wave(w, argv, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(w->spawn_errors[i], 1);
        assert_int_equal(w->starts[i], 0);
        assert_int_equal(w->exits[i], 0);
    }
    assert_string_equal(w->message, "cannot execute /nonexistent/procmon-test: No such file or directory");
    free(w); /* and run_wave saw the runtime reap what was left of them */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_line_split_across_reads),
        cmocka_unit_test(test_many_lines_in_one_read),
        cmocka_unit_test(test_a_wave_of_children_that_exit_at_once),
        cmocka_unit_test(test_exec_failure_is_one_spawn_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
