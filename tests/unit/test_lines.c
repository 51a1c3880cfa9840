/* The bounded line splitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lines.h"

#define MAX_LINES 4096
#define TEXT_SIZE 65536

/* Every emitted line, kept as (offset, length) into one text buffer. */
typedef struct recorder {
    char text[TEXT_SIZE];
    size_t used;
    size_t off[MAX_LINES], len[MAX_LINES];
    size_t count;
    pm_lines *lines; /* checked on each line: the buffer stays within max */
} recorder;

static void record(void *arg, const char *line, size_t len)
{
    recorder *r = arg;
    assert_true(r->count < MAX_LINES);
    assert_true(r->used + len <= TEXT_SIZE);
    if (r->lines)
        assert_true(r->lines->cap <= r->lines->max);
    memcpy(r->text + r->used, line, len);
    r->off[r->count] = r->used;
    r->len[r->count] = len;
    r->used += len;
    r->count++;
}

static recorder *recorder_new(void)
{
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static void assert_line(const recorder *r, size_t i, const char *expected)
{
    assert_true(i < r->count);
    size_t n = strlen(expected);
    assert_int_equal(r->len[i], n);
    assert_memory_equal(r->text + r->off[i], expected, n);
}

static void assert_lines(const recorder *r, const char *const *expected, size_t n)
{
    assert_int_equal(r->count, n);
    for (size_t i = 0; i < n; i++)
        assert_line(r, i, expected[i]);
}

static void assert_same(const recorder *a, const recorder *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        assert_int_equal(a->len[i], b->len[i]);
        assert_memory_equal(a->text + a->off[i], b->text + b->off[i], a->len[i]);
    }
}

/* Feeds `data` in chunks of the given sizes (cycled), then finishes. */
static void split(recorder *r, size_t max, const char *data, size_t len,
                  const size_t *chunks, size_t nchunks)
{
    pm_lines lines;
    pm_lines_init(&lines, max);
    r->lines = &lines;
    for (size_t off = 0, i = 0; off < len; i++) {
        size_t n = chunks[i % nchunks];
        if (n > len - off)
            n = len - off;
        assert_int_equal(pm_lines_feed(&lines, data + off, n, record, r), 0);
        assert_true(lines.cap <= lines.max);
        off += n;
    }
    pm_lines_finish(&lines, record, r);
    assert_null(lines.buf);
    r->lines = NULL;
}

static void split_whole(recorder *r, size_t max, const char *data)
{
    size_t len = strlen(data);
    size_t chunk = len ? len : 1;
    split(r, max, data, len, &chunk, 1);
}

/* The definition, written the slow and obvious way. */
static void reference(recorder *r, size_t max, const char *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        bool end = i == len;
        if (!end && data[i] != '\n')
            continue;
        size_t n = i - start;
        if (end && n == 0)
            break;
        if (!end && n > 0 && data[i - 1] == '\r')
            n--;
        const char *p = data + start;
        for (; n > max; p += max, n -= max)
            record(r, p, max);
        record(r, p, n);
        start = i + 1;
    }
}

/* Every chunking of `data` gives the reference's lines. */
static void check_chunkings(size_t max, const char *data, size_t len)
{
    recorder *want = recorder_new(), *got = recorder_new();
    reference(want, max, data, len);
    for (size_t size = 1; size <= len; size++) {
        got->count = got->used = 0;
        split(got, max, data, len, &size, 1);
        assert_same(want, got);
    }
    static const size_t odd[] = {1, 3, 2, 7, 1, 1, 5};
    got->count = got->used = 0;
    split(got, max, data, len, odd, sizeof odd / sizeof odd[0]);
    assert_same(want, got);
    free(want);
    free(got);
}

static void test_lines_across_reads(void **state)
{
    (void)state;
    const char *in = "hello\nworld\nthis is a longer line\n\nlast\n";
    static const char *const want[] = {"hello", "world", "this is a longer line", "", "last"};
    recorder *r = recorder_new();
    split_whole(r, PM_LINES_DEFAULT_MAX, in);
    assert_lines(r, want, 5);
    free(r);
    check_chunkings(PM_LINES_DEFAULT_MAX, in, strlen(in));
}

static void test_final_partial_line(void **state)
{
    (void)state;
    static const char *const want[] = {"one", "two"};
    recorder *r = recorder_new();
    pm_lines lines;
    pm_lines_init(&lines, 0);
    assert_int_equal(pm_lines_feed(&lines, "one\ntw", 6, record, r), 0);
    assert_int_equal(r->count, 1);
    assert_int_equal(pm_lines_feed(&lines, "o", 1, record, r), 0);
    assert_int_equal(r->count, 1);
    pm_lines_finish(&lines, record, r);
    assert_lines(r, want, 2);
    assert_null(lines.buf);
    free(r);
}

static void test_no_line_at_finish_after_newline(void **state)
{
    (void)state;
    static const char *const want[] = {"a", "b"};
    recorder *r = recorder_new();
    split_whole(r, 0, "a\nb\n");
    assert_lines(r, want, 2);
    free(r);

    r = recorder_new();
    split_whole(r, 0, "");
    assert_int_equal(r->count, 0);
    free(r);
}

static void test_empty_lines(void **state)
{
    (void)state;
    static const char *const want[] = {"", "", "x", "", ""};
    recorder *r = recorder_new();
    split_whole(r, 0, "\n\nx\n\n\r\n");
    assert_lines(r, want, 5);
    free(r);
    check_chunkings(8, "\n\nx\n\n\r\n", 7);
}

static void test_crlf(void **state)
{
    (void)state;
    static const char *const want[] = {"GET /", "Host: x", ""};
    const char *in = "GET /\r\nHost: x\r\n\r\n";
    recorder *r = recorder_new();
    split_whole(r, 0, in);
    assert_lines(r, want, 3);
    free(r);
    check_chunkings(PM_LINES_DEFAULT_MAX, in, strlen(in));

    /* '\r' ends one read, '\n' starts the next. */
    r = recorder_new();
    pm_lines lines;
    pm_lines_init(&lines, 0);
    assert_int_equal(pm_lines_feed(&lines, "ab\r", 3, record, r), 0);
    assert_int_equal(r->count, 0);
    assert_int_equal(pm_lines_feed(&lines, "\ncd\r", 4, record, r), 0);
    assert_int_equal(pm_lines_feed(&lines, "\n", 1, record, r), 0);
    pm_lines_finish(&lines, record, r);
    static const char *const want2[] = {"ab", "cd"};
    assert_lines(r, want2, 2);
    free(r);
}

static void test_lone_cr_kept(void **state)
{
    (void)state;
    static const char *const want[] = {"a\rb", "c\r\rd", "\r", "end\r"};
    const char *in = "a\rb\nc\r\rd\n\r\r\nend\r";
    recorder *r = recorder_new();
    split_whole(r, 0, in);
    assert_lines(r, want, 4);
    free(r);
    check_chunkings(PM_LINES_DEFAULT_MAX, in, strlen(in));
}

static void test_long_line_pieces(void **state)
{
    (void)state;
    static const char *const want[] = {"abcd", "efgh", "ij", "klmn", "o"};
    const char *in = "abcdefghij\nklmno";
    recorder *r = recorder_new();
    split_whole(r, 4, in);
    assert_lines(r, want, 5);
    free(r);
    check_chunkings(4, in, strlen(in));

    /* Pieces of a line with "\r\n", and '\r' that are not terminators. */
    const char *crs = "abcd\r\nabc\r\nabcde\r\nab\r\rx\nabcdefgh\r\n\r\rab\r\r\r\n";
    check_chunkings(4, crs, strlen(crs));
    check_chunkings(1, crs, strlen(crs));
    check_chunkings(3, crs, strlen(crs));
}

static void test_exactly_max(void **state)
{
    (void)state;
    static const char *const want[] = {"abcd", "efgh", "", "ijkl"};
    const char *in = "abcd\nefgh\r\n\nijkl";
    recorder *r = recorder_new();
    split_whole(r, 4, in);
    assert_lines(r, want, 4);
    free(r);
    check_chunkings(4, in, strlen(in));

    /* Twice max: two pieces, no empty third one. */
    static const char *const want2[] = {"abcd", "efgh", "x"};
    r = recorder_new();
    split_whole(r, 4, "abcdefgh\nx\n");
    assert_lines(r, want2, 3);
    free(r);
}

static void test_memory_bounded(void **state)
{
    (void)state;
    enum { MAX = 1000 };
    static char big[10 * MAX + 7];
    memset(big, 'z', sizeof big);
    recorder *r = recorder_new();
    pm_lines lines;
    pm_lines_init(&lines, MAX);
    r->lines = &lines;
    for (size_t i = 0; i < sizeof big; i += 13) {
        size_t n = sizeof big - i < 13 ? sizeof big - i : 13;
        assert_int_equal(pm_lines_feed(&lines, big + i, n, record, r), 0);
        assert_true(lines.cap <= MAX);
        assert_true(lines.len <= MAX);
    }
    assert_int_equal(r->count, 10);
    pm_lines_finish(&lines, record, r);
    assert_int_equal(r->count, 11);
    assert_int_equal(r->len[10], 7);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(r->len[i], MAX);
    free(r);
}

static void test_silent_stream_allocates_nothing(void **state)
{
    (void)state;
    recorder *r = recorder_new();
    pm_lines lines;
    pm_lines_init(&lines, 0);
    assert_int_equal(lines.max, PM_LINES_DEFAULT_MAX);
    assert_null(lines.buf);
    assert_int_equal(lines.cap, 0);
    assert_int_equal(pm_lines_feed(&lines, "", 0, record, r), 0);
    assert_null(lines.buf);
    /* Whole lines in one read are not copied either. */
    assert_int_equal(pm_lines_feed(&lines, "a\nb\n", 4, record, r), 0);
    assert_null(lines.buf);
    pm_lines_finish(&lines, record, r);
    assert_int_equal(r->count, 2);
    pm_lines_free(&lines);
    free(r);
}

static void test_random_against_reference(void **state)
{
    (void)state;
    static const char alphabet[] = "ab\r\n";
    uint32_t seed = 12345;
    char in[64];
    for (int round = 0; round < 300; round++) {
        size_t len = 0;
        for (; len < sizeof in; len++) {
            seed = seed * 1103515245u + 12345u;
            in[len] = alphabet[(seed >> 16) % 4];
        }
        check_chunkings(1 + (size_t)round % 6, in, (size_t)round % sizeof in + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_across_reads),
        cmocka_unit_test(test_final_partial_line),
        cmocka_unit_test(test_no_line_at_finish_after_newline),
        cmocka_unit_test(test_empty_lines),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_lone_cr_kept),
        cmocka_unit_test(test_long_line_pieces),
        cmocka_unit_test(test_exactly_max),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_silent_stream_allocates_nothing),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
