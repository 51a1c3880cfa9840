/* The state file: written whole or not at all, read back, bad lines skipped;
 * a process's start time tells it from a later one with its pid. */
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

#include "statefile.h"

static char dir[] = "/tmp/procmon-statefile-XXXXXX";
static char path[64];

static int make_dir(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/state", dir);
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

static void write_text(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    pm_state_entry in[] = {{100, 12345, "web"}, {200, 0, "worker 1"}};
    size_t len;
    char *text = pm_state_format(in, 2, &len);
    assert_non_null(text);
    assert_int_equal(pm_state_write_text(path, text, len), 0);
    free(text);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left behind */
    pm_state_entry *out;
    size_t n;
    assert_int_equal(pm_state_read(path, &out, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].pid, 100);
    assert_true(out[0].start == 12345);
    assert_string_equal(out[0].name, "web");
    assert_int_equal(out[1].pid, 200);
    assert_string_equal(out[1].name, "worker 1");
    pm_state_entries_free(out, n);
}

static void test_bad_lines_skipped(void **state)
{
    (void)state;
    write_text("procmon-state 1\nnonsense\n1 5 init\n-3 5 neg\n42 7 ok\n43\n");
    pm_state_entry *out;
    size_t n;
    assert_int_equal(pm_state_read(path, &out, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].pid, 42);
    assert_string_equal(out[0].name, "ok");
    pm_state_entries_free(out, n);
}

static void test_other_header_trusted_for_nothing(void **state)
{
    (void)state;
    write_text("procmon-state 2\n42 7 ok\n");
    pm_state_entry *out;
    size_t n;
    assert_int_equal(pm_state_read(path, &out, &n), 0);
    assert_int_equal(n, 0);
    pm_state_entries_free(out, n);
    unlink(path);
    assert_int_equal(pm_state_read(path, &out, &n), -ENOENT);
}

static void test_start_time(void **state)
{
    (void)state;
    assert_true(pm_proc_starttime(getpid()) > 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_true(pm_proc_starttime(pid) == 0); /* gone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_lines_skipped),
        cmocka_unit_test(test_other_header_trusted_for_nothing),
        cmocka_unit_test(test_start_time),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
