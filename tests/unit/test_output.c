/* Output targets: the rotation rule to the byte, backups shifted, bounded
 * buffers that drop and count, descriptors that never block the caller and
 * whose shared flags stay as they were, reopen after a move, reading back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    char reports[16][256];
    int nreports;
} fixture;

static void on_report(void *arg, const pm_target *t, const char *message)
{
    (void)t;
    fixture *f = arg;
    if (f->nreports < 16)
        snprintf(f->reports[f->nreports++], sizeof f->reports[0], "%s", message);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/procmon-output-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/x.log", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "re");
    if (!fp)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void assert_file(const char *path, const char *want)
{
    char *got = slurp(path);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "we");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static void test_rotation_take(void **state)
{
    (void)state;
    const char *b = "aaaa\nbbbb\ncc\n"; /* lines of 5, 5 and 3 bytes */
    assert_int_equal(pm_rotation_take(b, 13, 0, 0), 13);   /* no limit */
    assert_int_equal(pm_rotation_take(b, 13, 0, 13), 13);  /* exactly the limit */
    assert_int_equal(pm_rotation_take(b, 13, 0, 12), 10);  /* the third line would pass it */
    assert_int_equal(pm_rotation_take(b, 13, 3, 10), 5);
    assert_int_equal(pm_rotation_take(b, 13, 6, 10), 0);   /* rotate first */
    assert_int_equal(pm_rotation_take(b, 13, 0, 2), 5);    /* too long for any file: alone */
    assert_int_equal(pm_rotation_take("abc", 3, 0, 3), 3); /* a last line without '\n' */
}

static void test_rotate_files(void **state)
{
    fixture *f = *state;
    char p1[160], p2[160], p3[160];
    snprintf(p1, sizeof p1, "%s.1", f->path);
    snprintf(p2, sizeof p2, "%s.2", f->path);
    snprintf(p3, sizeof p3, "%s.3", f->path);
    write_file(f->path, "new\n");
    write_file(p1, "older\n");
    write_file(p2, "oldest\n");
    assert_int_equal(pm_rotate_files(f->path, 2), 0);
    assert_file(f->path, NULL);
    assert_file(p1, "new\n");
    assert_file(p2, "older\n"); /* "oldest" dropped */
    assert_file(p3, NULL);
    write_file(f->path, "again\n");
    assert_int_equal(pm_rotate_files(f->path, 0), 0); /* no backups: started afresh */
    assert_file(f->path, NULL);
    assert_file(p1, "new\n");
    assert_int_equal(pm_rotate_files(f->path, 0), 0); /* nothing to remove is fine */
}

static pm_outputs *outputs(fixture *f)
{
    pm_outputs *o;
    assert_int_equal(pm_outputs_new(on_report, f, &o), 0);
    return o;
}

static void test_file_rotates_at_the_exact_limit(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    pm_output cfg = {.kind = PM_OUT_FILE, .path = f->path, .fd = -1, .maxbytes = 30, .backups = 2};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    assert_non_null(t);
    char line[32];
    for (int i = 1; i <= 10; i++) { /* 10 lines of 10 bytes */
        snprintf(line, sizeof line, "line %04d", i);
        assert_int_equal(pm_target_write_line(t, line, 9, 0), 0);
        if (i % 4 == 0)
            pm_outputs_flush(o, 0); /* flushes fall anywhere */
    }
    pm_outputs_flush(o, 0);
    char p1[160], p2[160], p3[160];
    snprintf(p1, sizeof p1, "%s.1", f->path);
    snprintf(p2, sizeof p2, "%s.2", f->path);
    snprintf(p3, sizeof p3, "%s.3", f->path);
    assert_file(f->path, "line 0010\n");
    assert_file(p1, "line 0007\nline 0008\nline 0009\n"); /* 30 bytes: full, not past */
    assert_file(p2, "line 0004\nline 0005\nline 0006\n");
    assert_file(p3, NULL); /* lines 1-3 were the oldest: dropped */
    /* A line longer than the limit gets a file of its own. */
    assert_int_equal(pm_target_write_line(t, "0123456789012345678901234567890123456789", 40, 0), 0);
    assert_int_equal(pm_target_write_line(t, "short", 5, 0), 0);
    pm_outputs_flush(o, 0);
    assert_file(f->path, "short\n");
    assert_file(p1, "0123456789012345678901234567890123456789\n");
    assert_file(p2, "line 0010\n");
    assert_int_equal(f->nreports, 0);
    pm_outputs_release(o, t);
    pm_outputs_free(o);
}

static void test_same_path_is_one_target(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    pm_output cfg = {.kind = PM_OUT_FILE, .path = f->path, .fd = -1};
    pm_target *a = pm_outputs_acquire(o, &cfg, 0), *b = pm_outputs_acquire(o, &cfg, 0);
    assert_ptr_equal(a, b);
    pm_output autocfg = {.kind = PM_OUT_FILE, .automatic = true, .fd = -1};
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s/a-stdout---procmon-", f->dir);
    autocfg.path = prefix;
    pm_target *x = pm_outputs_acquire(o, &autocfg, 0), *y = pm_outputs_acquire(o, &autocfg, 0);
    assert_ptr_not_equal(x, y); /* AUTO files are never shared */
    assert_string_not_equal(pm_target_path(x), pm_target_path(y));
    assert_int_equal(strncmp(pm_target_path(x), prefix, strlen(prefix)), 0);
    pm_target_write_line(a, "from a", 6, 0);
    pm_target_write_line(b, "from b", 6, 0);
    pm_outputs_release(o, a);
    pm_outputs_release(o, b); /* the last one flushes and closes */
    assert_file(f->path, "from a\nfrom b\n");
    pm_outputs_release(o, x);
    pm_outputs_release(o, y);
    pm_outputs_free(o);
}

static void test_reopen_after_move(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    pm_output cfg = {.kind = PM_OUT_FILE, .path = f->path, .fd = -1};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    pm_target_write_line(t, "before", 6, 0);
    pm_outputs_flush(o, 0);
    char moved[160];
    snprintf(moved, sizeof moved, "%s.moved", f->path);
    assert_int_equal(rename(f->path, moved), 0);
    pm_target_write_line(t, "still old", 9, 0);
    pm_outputs_flush(o, 0);
    assert_int_equal(pm_outputs_reopen(o, 0), 0);
    pm_target_write_line(t, "after", 5, 0);
    pm_outputs_flush(o, 0);
    assert_file(moved, "before\nstill old\n");
    assert_file(f->path, "after\n");
    pm_outputs_release(o, t);
    pm_outputs_free(o);
}

static void test_failing_target_drops_and_counts(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    pm_output cfg = {.kind = PM_OUT_FILE, .path = "/dev/full", .fd = -1};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    char line[1000];
    memset(line, 'x', sizeof line);
    size_t kept = 0, dropped = 0;
    double now = 0;
    for (int i = 0; i < 2000; i++, now += 0.01) {
        size_t d = pm_target_write_line(t, line, sizeof line, now);
        assert_true(d == 0 || d == sizeof line + 1);
        *(d ? &dropped : &kept) += sizeof line + 1;
        pm_outputs_flush(o, now);
    }
    assert_true(kept <= PM_OUTPUT_MAX_PENDING); /* bounded */
    assert_true(kept > PM_OUTPUT_MAX_PENDING / 2);
    assert_int_equal(kept + dropped, 2000 * (sizeof line + 1));
    assert_true(pm_outputs_waiting(o));
    /* One report at once, then at most one every PM_OUTPUT_REPORT_EVERY. */
    assert_true(f->nreports >= 1 && f->nreports <= 1 + (int)(now / PM_OUTPUT_REPORT_EVERY) + 1);
    assert_non_null(strstr(f->reports[0], "/dev/full"));
    assert_non_null(strstr(f->reports[0], "No space left on device"));
    pm_outputs_release(o, t);
    pm_outputs_free(o);
}

static int fl(int fd)
{
    int v = fcntl(fd, F_GETFL);
    assert_true(v >= 0);
    return v;
}

/* A descriptor shared with others (here: a pipe nobody reads, and a
 * stream socket): writing never blocks, and its flags stay blocking. */
static void check_never_blocks(fixture *f, int wfd, int rfd)
{
    int before = fl(wfd);
    assert_false(before & O_NONBLOCK);
    pm_outputs *o = outputs(f); /* after the descriptor exists: it is inherited */
    pm_output cfg = {.kind = PM_OUT_FD, .fd = wfd};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    assert_non_null(t);
    char line[4096];
    memset(line, 'y', sizeof line);
    size_t dropped = 0;
    for (int i = 0; i < 1024; i++) { /* 4 MiB: more than the pipe and the buffer hold */
        dropped += pm_target_write_line(t, line, sizeof line, 0);
        pm_outputs_flush(o, 0);
    }
    assert_true(dropped > 0);
    assert_int_equal(fl(wfd), before); /* the shared description is untouched */
    assert_true(f->nreports >= 1);
    assert_non_null(strstr(f->reports[0], "not taking output"));
    /* The reader catches up: writing resumes, and says so. */
    fcntl(rfd, F_SETFL, fl(rfd) | O_NONBLOCK);
    char sink[65536];
    for (int round = 0; round < 200 && pm_outputs_waiting(o); round++) {
        while (read(rfd, sink, sizeof sink) > 0)
            ;
        pm_outputs_flush(o, 100.0 + round * PM_OUTPUT_REPORT_EVERY);
    }
    assert_false(pm_outputs_waiting(o));
    assert_non_null(strstr(f->reports[f->nreports - 1], "works again"));
    pm_outputs_release(o, t);
    pm_outputs_free(o);
}

static void test_pipe_never_blocks(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    check_never_blocks(*state, p[1], p[0]);
    close(p[0]);
    close(p[1]);
}

static void test_socket_never_blocks(void **state)
{
    int s[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    check_never_blocks(*state, s[0], s[1]);
    close(s[0]);
    close(s[1]);
}

/* The lines of one read, one '\n' apart in memory, go in runs; a "\r\n"
 * gap, the pieces of a cut line and a line from elsewhere break a run,
 * and every line still ends with exactly one '\n'. */
static void test_write_lines_in_runs(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    pm_output cfg = {.kind = PM_OUT_FILE, .path = f->path, .fd = -1};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    assert_non_null(t);
    static const char read[] = "one\ntwo\r\nthree\nfour\nabcdefgh\nlast\n";
    const char *other = "elsewhere";
    const pm_line lines[] = {
        {read, 3},      {read + 4, 3},  {read + 9, 5}, {read + 15, 4}, /* one two three four */
        {read + 20, 4}, {read + 24, 4},                                /* abcd efgh: a cut line */
        {other, 9},     {read + 29, 4},                                /* elsewhere last */
    };
    assert_int_equal(pm_target_write_lines(t, lines, 8, 0), 0);
    pm_outputs_flush(o, 0);
    assert_file(f->path, "one\ntwo\nthree\nfour\nabcd\nefgh\nelsewhere\nlast\n");
    pm_outputs_release(o, t);
    pm_outputs_free(o);
}

/* A target that takes nothing keeps whole lines up to its limit and drops
 * the rest line by line, also when they come in runs. */
static void test_write_lines_drops_whole_lines(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    pm_output cfg = {.kind = PM_OUT_FILE, .path = "/dev/full", .fd = -1};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    enum { LINE = 100, PER_READ = 600 };
    static char read[PER_READ * LINE];
    pm_line lines[PER_READ];
    for (size_t i = 0; i < PER_READ; i++) {
        memset(read + i * LINE, 'a' + i % 26, LINE - 1);
        read[i * LINE + LINE - 1] = '\n';
        lines[i] = (pm_line){read + i * LINE, LINE - 1};
    }
    size_t dropped = 0, reads = 30; /* 1.8 MB: more than the target keeps */
    for (size_t r = 0; r < reads; r++)
        dropped += pm_target_write_lines(t, lines, PER_READ, r * 0.01);
    size_t total = reads * PER_READ * LINE;
    assert_true(dropped > 0 && dropped % LINE == 0);
    assert_true(total - dropped <= PM_OUTPUT_MAX_PENDING);
    assert_true(total - dropped > PM_OUTPUT_MAX_PENDING - LINE);
    pm_outputs_release(o, t);
    pm_outputs_free(o);
}

typedef struct watch_log {
    int fd;
    int ons, offs;
} watch_log;

static void on_watch(void *arg, pm_target *t, int fd, bool on)
{
    (void)t;
    watch_log *w = arg;
    w->fd = fd;
    *(on ? &w->ons : &w->offs) += 1;
}

/* A pipe that fills is watched until it has taken everything. */
static void test_watch_while_full(void **state)
{
    fixture *f = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pm_outputs *o = outputs(f);
    watch_log w = {.fd = -1};
    pm_outputs_set_watch(o, on_watch, &w);
    pm_output cfg = {.kind = PM_OUT_FD, .fd = p[1]};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    char line[4096];
    memset(line, 'z', sizeof line);
    for (int i = 0; i < 200 && w.ons == 0; i++) { /* until the pipe says EAGAIN */
        assert_int_equal(pm_target_write_line(t, line, sizeof line, 0), 0);
        pm_outputs_flush(o, 0);
    }
    assert_int_equal(w.ons, 1);
    assert_int_equal(w.offs, 0);
    assert_true(w.fd >= 0);
    struct pollfd pfd = {.fd = w.fd, .events = POLLOUT};
    fcntl(p[0], F_SETFL, fl(p[0]) | O_NONBLOCK);
    char sink[65536];
    for (int round = 0; round < 1000 && w.offs == 0; round++) {
        while (read(p[0], sink, sizeof sink) > 0)
            ;
        if (poll(&pfd, 1, 0) == 1) /* what the loop would wait for */
            pm_target_ready(t, 0); /* the same time as the EAGAIN: tried anyway */
    }
    assert_int_equal(w.ons, 1);
    assert_int_equal(w.offs, 1);
    assert_int_equal(pm_target_pending(t), 0);
    pm_outputs_release(o, t);
    pm_outputs_free(o);
    assert_int_equal(w.offs, 1); /* not told again at the close */
    close(p[0]);
    close(p[1]);
}

static void test_fd_not_inherited_is_refused(void **state)
{
    fixture *f = *state;
    pm_outputs *o = outputs(f);
    int p[2];
    assert_int_equal(pipe(p), 0); /* opened after: may be one of procmon's own */
    pm_output cfg = {.kind = PM_OUT_FD, .fd = p[1]};
    pm_target *t = pm_outputs_acquire(o, &cfg, 0);
    assert_int_equal(pm_target_write_line(t, "secret", 6, 0), 0);
    pm_outputs_flush(o, 0);
    char buf[16];
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    assert_int_equal(read(p[0], buf, sizeof buf), -1); /* nothing went there */
    assert_int_equal(errno, EAGAIN);
    assert_true(f->nreports >= 1);
    pm_outputs_release(o, t);
    pm_outputs_free(o);
    close(p[0]);
    close(p[1]);
}

static void collect(void *arg, const char *line, size_t len)
{
    char *out = arg;
    strncat(out, line, len);
    strcat(out, "|");
}

static void test_last_lines(void **state)
{
    fixture *f = *state;
    char got[256];
    write_file(f->path, "one\ntwo\nthree\n");
    got[0] = '\0';
    assert_int_equal(pm_file_last_lines(f->path, 2, 1 << 20, collect, got), 0);
    assert_string_equal(got, "two|three|");
    got[0] = '\0';
    assert_int_equal(pm_file_last_lines(f->path, 10, 1 << 20, collect, got), 0);
    assert_string_equal(got, "one|two|three|");
    got[0] = '\0'; /* only the last 9 bytes: "wo" is a cut line, left out */
    assert_int_equal(pm_file_last_lines(f->path, 10, 9, collect, got), 0);
    assert_string_equal(got, "three|");
    write_file(f->path, "no newline\nat the end");
    got[0] = '\0';
    assert_int_equal(pm_file_last_lines(f->path, 1, 1 << 20, collect, got), 0);
    assert_string_equal(got, "at the end|");
    write_file(f->path, "");
    got[0] = '\0';
    assert_int_equal(pm_file_last_lines(f->path, 5, 1 << 20, collect, got), 0);
    assert_string_equal(got, "");
    assert_int_equal(pm_file_last_lines("/nonexistent/x", 5, 1 << 20, collect, got), -ENOENT);
}

/* Old AUTO files: procmon's own names for its identifier, and nothing else. */
static void test_auto_names(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "web-stdout---procmon-aB3xY9.log", "web-stderr---procmon-000000.log",
        "web-stdout---procmon-aB3xY9.log.1", "web-stdout---procmon-aB3xY9.log.10",
        "g:web_00-stdout---procmon-zzzzzz.log", "a-b---c-stdout---procmon-Q1w2E3.log",
        "x-stdout---a_b-abcdef.log", /* identifier a/b */
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!pm_output_is_auto_name(yes[i], i == 6 ? "a/b" : "procmon"))
            fail_msg("not taken: %s", yes[i]);
    static const char *const no[] = {
        "web-stdout---procmon-aB3xY9.log.0", "web-stdout---procmon-aB3xY9.log.", "web-stdout---procmon-aB3xY.log",
        "web-stdout---procmon-aB3xY!.log", "web-stdout---procmon-aB3xY9.txt", "web-stdout---procmon-aB3xY9.log.gz",
        "web-stdin---procmon-aB3xY9.log", "-stdout---procmon-aB3xY9.log", "web-stdout---other-aB3xY9.log",
        "web-stdout---xprocmon-aB3xY9.log", "web-stdout--procmon-aB3xY9.log", "web-stdout---procmon-aB3xY9",
        "web.log", "procmon-aB3xY9.log", "", ".log", "aB3xY9.log",
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (pm_output_is_auto_name(no[i], "procmon"))
            fail_msg("taken: %s", no[i]);
    assert_false(pm_output_is_auto_name("web-stdout---procmon-aB3xY9.log", "web-1"));
}

static void test_clean_auto(void **state)
{
    fixture *f = *state;
    static const char *const gone[] = {"a-stdout---procmon-abcdef.log", "a-stdout---procmon-abcdef.log.3",
                                       "b-stderr---procmon-ZZZ999.log"};
    static const char *const kept[] = {"a-stdout---other-abcdef.log", "a.log", "a-stdout---procmon-abcdef.log.gz",
                                       "notes.txt"};
    char path[256];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, gone[i]);
        write_file(path, "old\n");
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, kept[i]);
        write_file(path, "keep\n");
    }
    /* a folder or a link with an AUTO name is not procmon's file */
    snprintf(path, sizeof path, "%s/d-stdout---procmon-abcdef.log", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/l-stdout---procmon-abcdef.log", f->dir);
    assert_int_equal(symlink("notes.txt", path), 0);
    assert_int_equal(pm_output_clean_auto(f->dir, "procmon", on_report, f), 3);
    struct stat st;
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, gone[i]);
        assert_int_equal(lstat(path, &st), -1);
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, kept[i]);
        assert_int_equal(lstat(path, &st), 0);
    }
    snprintf(path, sizeof path, "%s/d-stdout---procmon-abcdef.log", f->dir);
    assert_int_equal(lstat(path, &st), 0);
    snprintf(path, sizeof path, "%s/l-stdout---procmon-abcdef.log", f->dir);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(f->nreports, 0);
    assert_int_equal(pm_output_clean_auto(f->dir, "procmon", on_report, f), 0);
    snprintf(path, sizeof path, "%s/nonexistent", f->dir);
    assert_int_equal(pm_output_clean_auto(path, "procmon", on_report, f), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_take),
        cmocka_unit_test_setup_teardown(test_rotate_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_rotates_at_the_exact_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_path_is_one_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_target_drops_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_never_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_never_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_lines_in_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_lines_drops_whole_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_while_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fd_not_inherited_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_lines, setup, teardown),
        cmocka_unit_test(test_auto_names),
        cmocka_unit_test_setup_teardown(test_clean_auto, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
