/* The real runtime's output path, with real children on a libuv loop: the
 * lines of a read reach the monitor together, in order, and a line finished
 * in the splitter's own buffer is passed on before anything after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Runs `script` with sh until it exits; what it printed is in s. */
static void run_script(seen *s, const char *script, char **env)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    s->loop = &loop;
    s->want_exits = 1;
    pm_runtime *rt;
    pm_monitor *mon;
    assert_int_equal(pm_runtime_uv_new(&loop, &rt), 0);
    pm_options opts;
    pm_options_init(&opts);
    assert_int_equal(pm_monitor_new(rt, &opts, &mon), 0);
    pm_monitor_set_event_cb(mon, on_event, s);
    pm_monitor_batch_lines(mon, true);

    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    spec.env = env;
    spec.autorestart = PM_AUTORESTART_NEVER;
    assert_int_equal(pm_monitor_add(mon, "p", &spec), 0);
    uv_timer_t deadline;
    uv_timer_init(&loop, &deadline);
    uv_timer_start(&deadline, timed_out, DEADLINE_MS, 0);
    pm_monitor_start_service(mon);
    uv_run(&loop, UV_RUN_DEFAULT);

    uv_close((uv_handle_t *)&deadline, NULL);
    pm_monitor_free(mon);
    pm_runtime_free(rt);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_line_split_across_reads),
        cmocka_unit_test(test_many_lines_in_one_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
