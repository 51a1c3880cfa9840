/* The ring of recent output lines, checked against a model that remembers
 * every line pushed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define HDR 5 /* what ring.h says a line costs on top of its length */
#define KIB ((size_t)1024)
#define MIB (KIB * KIB)

/* The documented bound of pm_ring_bytes(), with room for 128 chunk headers
 * (the tests here never hold more chunks than that). */
static size_t chunk_size(size_t max_bytes)
{
    size_t c = 1024;
    while (c < 64 * KIB && c * 2 <= max_bytes / 32)
        c *= 2;
    return c;
}

static size_t bound(size_t max_bytes)
{
    return max_bytes + HDR + max_bytes / 16 + 4 * chunk_size(max_bytes) + 128 * 64;
}

/* Line i of length len: bytes that depend on both, so that a line out of
 * place or cut wrongly shows. */
static unsigned char line_byte(size_t i, size_t j)
{
    return (unsigned char)((i * 131 + j * 7 + i / 251) % 251);
}

static char *line_buf; /* scratch for generated lines */
static size_t line_buf_size;

static const char *gen(size_t i, size_t len)
{
    if (len > line_buf_size) {
        free(line_buf);
        line_buf = malloc(len);
        assert_non_null(line_buf);
        line_buf_size = len;
    }
    for (size_t j = 0; j < len; j++)
        line_buf[j] = (char)line_byte(i, j);
    return line_buf;
}

/* Everything pushed so far, and the longest run of newest lines that the
 * byte limit allows. */
typedef struct model {
    pm_ring *r;
    size_t min_lines, max_bytes;
    size_t n, cap;
    size_t *len;        /* as kept: cut to max_bytes */
    unsigned char *stream;
    uint64_t *cost;     /* cost[i]: total cost of lines 0..i-1 */
    size_t win;         /* first line of that run */
} model;

static model *model_new(size_t min_lines, size_t max_bytes)
{
    model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->r = pm_ring_new(min_lines, max_bytes);
    assert_non_null(m->r);
    m->min_lines = min_lines;
    m->max_bytes = max_bytes;
    m->cost = calloc(1, sizeof *m->cost);
    assert_non_null(m->cost);
    return m;
}

static void model_free(model *m)
{
    pm_ring_free(m->r);
    free(m->len);
    free(m->stream);
    free(m->cost);
    free(m);
}

static uint64_t cost_of(const model *m, size_t from, size_t to)
{
    return m->cost[to] - m->cost[from];
}

/* The model's side of a push of line m->n; the ring's is the caller's. */
static void model_note(model *m, size_t len, int stream)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->len = realloc(m->len, m->cap * sizeof *m->len);
        m->stream = realloc(m->stream, m->cap);
        m->cost = realloc(m->cost, (m->cap + 1) * sizeof *m->cost);
        assert_true(m->len && m->stream && m->cost);
    }
    size_t i = m->n;
    size_t kept = len < m->max_bytes ? len : m->max_bytes;
    m->len[i] = kept;
    m->stream[i] = (unsigned char)stream;
    m->cost[i + 1] = m->cost[i] + kept + HDR;
    m->n++;
    while (m->win < m->n - 1 && cost_of(m, m->win, m->n) > m->max_bytes)
        m->win++;
}

static void model_push(model *m, size_t len, int stream)
{
    assert_int_equal(pm_ring_push(m->r, stream, gen(m->n, len), len), 0);
    model_note(m, len, stream);
}

/* Lines m->n.. with the given lengths, one stream, in one pm_ring_push_lines. */
static void model_push_lines(model *m, const size_t *lens, size_t k, int stream)
{
    pm_line *lines = calloc(k, sizeof *lines);
    assert_non_null(lines);
    for (size_t j = 0; j < k; j++) {
        char *copy = malloc(lens[j] + 1);
        assert_non_null(copy);
        memcpy(copy, gen(m->n + j, lens[j]), lens[j]);
        lines[j] = (pm_line){copy, lens[j]};
    }
    assert_int_equal(pm_ring_push_lines(m->r, stream, lines, k), 0);
    for (size_t j = 0; j < k; j++) {
        model_note(m, lens[j], stream);
        free((char *)lines[j].data);
    }
    free(lines);
}

/* Collects pm_ring_last() output and checks each line against the model:
 * they must be lines next, next+1, ... with their streams and bytes. */
typedef struct walk {
    const model *m;
    size_t next, seen;
} walk;

static void check_line(void *arg, int stream, const char *line, size_t len)
{
    walk *w = arg;
    const model *m = w->m;
    size_t i = w->next++;
    w->seen++;
    assert_true(i < m->n);
    assert_int_equal(stream, m->stream[i]);
    assert_int_equal(len, m->len[i]);
    for (size_t j = 0; j < len; j++)
        if ((unsigned char)line[j] != line_byte(i, j))
            fail_msg("line %zu byte %zu differs", i, j);
}

/* last(n) yields exactly the newest min(n, count) lines, oldest first. */
static void check_last(const model *m, size_t n)
{
    size_t count = pm_ring_count(m->r);
    size_t want = n < count ? n : count;
    walk w = {.m = m, .next = m->n - want};
    pm_ring_last(m->r, n, check_line, &w);
    assert_int_equal(w.seen, want);
    assert_int_equal(w.next, m->n);
}

/* The promises of ring.h after a push. */
static void check_limits(const model *m)
{
    size_t count = pm_ring_count(m->r);
    size_t k = m->n - m->win; /* newest lines within max_bytes, at least 1 */
    size_t need = k < m->min_lines ? k : m->min_lines;
    assert_true(count >= 1);
    assert_true(count <= m->n);
    if (count < need)
        fail_msg("%zu lines kept, %zu promised", count, need);
    uint64_t held = cost_of(m, m->n - count, m->n);
    if (count > 1 && held > m->max_bytes)
        fail_msg("%zu lines cost %llu > %zu", count, (unsigned long long)held, m->max_bytes);
    if (pm_ring_bytes(m->r) > bound(m->max_bytes))
        fail_msg("%zu bytes held, bound %zu", pm_ring_bytes(m->r), bound(m->max_bytes));
}

static void check_all(const model *m)
{
    check_limits(m);
    check_last(m, SIZE_MAX);
}

/* ---- tests ---- */

static void count_line(void *arg, int stream, const char *line, size_t len)
{
    (void)stream, (void)line, (void)len;
    ++*(size_t *)arg;
}

static void test_empty(void **state)
{
    (void)state;
    pm_ring *r = pm_ring_new(1000, MIB);
    assert_non_null(r);
    assert_int_equal(pm_ring_bytes(r), 0);
    assert_int_equal(pm_ring_count(r), 0);
    size_t calls = 0;
    pm_ring_last(r, 10, count_line, &calls);
    pm_ring_last(r, 0, count_line, &calls);
    pm_ring_last(r, SIZE_MAX, count_line, &calls);
    assert_int_equal(calls, 0);
    pm_ring_free(r);
    pm_ring_free(NULL);
}

typedef struct seen_lines {
    size_t n;
    int stream[16];
    char text[16][32];
} seen_lines;

static void keep_line(void *arg, int stream, const char *line, size_t len)
{
    seen_lines *s = arg;
    assert_true(s->n < 16 && len < 32);
    s->stream[s->n] = stream;
    memcpy(s->text[s->n], line, len);
    s->text[s->n][len] = '\0';
    s->n++;
}

static void test_order_and_streams(void **state)
{
    (void)state;
    pm_ring *r = pm_ring_new(1000, MIB);
    assert_non_null(r);
    assert_int_equal(pm_ring_push(r, 1, "one", 3), 0);
    assert_int_equal(pm_ring_push(r, 2, "two", 3), 0);
    assert_int_equal(pm_ring_push(r, 1, "three", 5), 0);
    assert_int_equal(pm_ring_push(r, 2, NULL, 0), 0);
    assert_int_equal(pm_ring_count(r), 4);
    assert_true(pm_ring_bytes(r) > 0);
    seen_lines s = {0};
    pm_ring_last(r, SIZE_MAX, keep_line, &s);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.text[0], "one");
    assert_string_equal(s.text[1], "two");
    assert_string_equal(s.text[2], "three");
    assert_string_equal(s.text[3], "");
    assert_int_equal(s.stream[0], 1);
    assert_int_equal(s.stream[1], 2);
    assert_int_equal(s.stream[2], 1);
    assert_int_equal(s.stream[3], 2);
    pm_ring_free(r);
}

static void test_last_n(void **state)
{
    (void)state;
    model *m = model_new(1000, MIB);
    for (size_t i = 0; i < 10; i++)
        model_push(m, 5 + i, 1 + (int)(i % 2));
    assert_int_equal(pm_ring_count(m->r), 10);
    for (size_t n = 0; n <= 12; n++)
        check_last(m, n);
    check_last(m, SIZE_MAX);
    model_free(m);
}

/* A few short lines cost one small chunk. */
static void test_few_lines_cost_little(void **state)
{
    (void)state;
    model *m = model_new(1000, MIB);
    for (size_t i = 0; i < 3; i++)
        model_push(m, 40, 1);
    assert_true(pm_ring_bytes(m->r) <= 256 + 64);
    check_all(m);
    model_free(m);
}

/* Line lengths for a run: fixed, or drawn by a small generator. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

enum shape { FIXED, UNIFORM, MIXED, ALTERNATE };

static size_t draw(enum shape shape, size_t a, size_t b, size_t i)
{
    switch (shape) {
    case FIXED:
        return a;
    case UNIFORM: /* a..b */
        return a + rng() % (b - a + 1);
    case MIXED: /* mostly short, now and then up to b */
        return rng() % 8 ? rng() % (a + 1) : rng() % (b + 1);
    case ALTERNATE: /* a, b, a, b, ... */
        return i % 2 ? b : a;
    }
    return 0;
}

typedef struct run {
    size_t min_lines, max_bytes;
    enum shape shape;
    size_t a, b, pushes;
} run;

static void do_run(const run *c)
{
    model *m = model_new(c->min_lines, c->max_bytes);
    for (size_t i = 0; i < c->pushes; i++) {
        model_push(m, draw(c->shape, c->a, c->b, i), 1 + (int)(rng() % 2));
        check_limits(m);
        check_last(m, 3);
        if (i % 997 == 0)
            check_last(m, SIZE_MAX);
    }
    check_all(m);
    model_free(m);
}

/* The same lines pushed a read at a time: the promises hold after each. */
static void do_run_in_reads(const run *c)
{
    model *m = model_new(c->min_lines, c->max_bytes);
    size_t lens[700];
    for (size_t i = 0; i < c->pushes;) {
        size_t k = 1 + rng() % 700;
        if (k > c->pushes - i)
            k = c->pushes - i;
        for (size_t j = 0; j < k; j++)
            lens[j] = draw(c->shape, c->a, c->b, i + j);
        model_push_lines(m, lens, k, 1 + (int)(rng() % 2));
        i += k;
        check_limits(m);
        check_last(m, 3);
    }
    check_all(m);
    model_free(m);
}

static void test_limits_far_exceeded(void **state)
{
    (void)state;
    static const run runs[] = {
        {10, 1000, UNIFORM, 0, 300, 20000},
        {SIZE_MAX, 4096, UNIFORM, 0, 100, 20000},  /* bytes alone decide */
        {5, SIZE_MAX / 2, UNIFORM, 0, 100, 20000}, /* lines alone decide */
        {0, 65536, UNIFORM, 0, 2000, 5000},
        {1, 65536, MIXED, 100, 60000, 5000},
        {50, 100000, ALTERNATE, 0, 30000, 3000},   /* tiny, huge, tiny, ... */
        {1000, MIB, ALTERNATE, 3, 40000, 3000},
        {1000, MIB, ALTERNATE, 40000, 3, 3000},
        {100, 10000, FIXED, 9995, 0, 1000},        /* exactly the limit */
        {0, 0, UNIFORM, 0, 10, 1000},              /* lines cut to nothing */
    };
    rng_state = 88172645463325252u;
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        do_run(&runs[i]);
        do_run_in_reads(&runs[i]);
    }
}

static void test_empty_lines(void **state)
{
    (void)state;
    model *m = model_new(5, 100);
    for (size_t i = 0; i < 1000; i++) {
        model_push(m, 0, 1);
        check_all(m);
    }
    assert_true(pm_ring_count(m->r) >= 5);
    assert_true(pm_ring_count(m->r) <= 100 / HDR);
    model_free(m);

    /* By bytes alone: exactly as many as fit. */
    m = model_new(SIZE_MAX, 100);
    for (size_t i = 0; i < 1000; i++)
        model_push(m, 0, 2);
    assert_int_equal(pm_ring_count(m->r), 100 / HDR);
    check_all(m);
    model_free(m);
}

static void test_long_line_cut(void **state)
{
    (void)state;
    model *m = model_new(10, 100);
    model_push(m, 250, 2);
    assert_int_equal(pm_ring_count(m->r), 1);
    assert_int_equal(m->len[0], 100); /* check_last compares with this */
    check_all(m);
    /* It and a new line do not fit together: only the new one stays. */
    model_push(m, 10, 1);
    assert_int_equal(pm_ring_count(m->r), 1);
    check_all(m);
    for (size_t i = 0; i < 5; i++)
        model_push(m, 10, 1);
    assert_int_equal(pm_ring_count(m->r), 6); /* 6 * 15 <= 100 < 7 * 15 */
    check_all(m);
    model_push(m, 100, 1); /* exactly max_bytes: kept alone, uncut */
    assert_int_equal(pm_ring_count(m->r), 1);
    assert_int_equal(m->len[m->n - 1], 100);
    check_all(m);
    model_free(m);
}

/* Lines the size of a chunk, or of a chunk's room, or one more or less,
 * among short ones. */
static void test_chunk_sized_lines(void **state)
{
    (void)state;
    static const size_t sizes[] = {
        256 - HDR, 256, 257, 1, 0, 512 - HDR, 512, 1024, 3,
        32 * KIB - HDR, 32 * KIB, 32 * KIB + 1, 2, 64 * KIB - HDR, 64 * KIB,
        64 * KIB + 1, 0, 100, 256 - HDR, 128 * KIB,
    };
    static const size_t limits[] = {MIB, 8 * KIB, 64 * KIB, 4 * MIB};
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        for (size_t min_lines = 1; min_lines <= 1000; min_lines *= 1000) {
            model *m = model_new(min_lines, limits[l]);
            for (size_t round = 0; round < 5; round++)
                for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
                    model_push(m, sizes[i], 1);
                    check_all(m);
                }
            model_free(m);
        }
    }
}

static void test_interleaved(void **state)
{
    (void)state;
    rng_state = 2463534242u;
    model *m = model_new(20, 2000);
    for (size_t i = 0; i < 5000; i++) {
        model_push(m, rng() % 120, 1 + (int)(i % 2));
        check_last(m, 1);
        check_last(m, 3);
        check_last(m, rng() % 40);
        check_limits(m);
    }
    model_free(m);
}

/* procmon's defaults: 1000 lines, 1 MiB. */
static void test_defaults_100_byte_lines(void **state)
{
    (void)state;
    model *m = model_new(1000, MIB);
    for (size_t i = 0; i < 200000; i++) {
        model_push(m, 100, 1);
        check_limits(m);
    }
    assert_true(pm_ring_count(m->r) >= 1000);
    check_all(m);
    /* 1000 lines need about 103 KiB: the chunks follow that, not 1 MiB. */
    assert_true(pm_ring_bytes(m->r) <= 192 * KIB);
    model_free(m);
}

static void test_defaults_10_byte_lines(void **state)
{
    (void)state;
    model *m = model_new(1000, MIB);
    for (size_t i = 0; i < 200000; i++) {
        model_push(m, 10, 2);
        check_limits(m);
    }
    assert_true(pm_ring_count(m->r) >= 1000);
    check_all(m);
    assert_true(pm_ring_bytes(m->r) <= 32 * KIB);
    model_free(m);
}

static void test_defaults_100_kib_lines(void **state)
{
    (void)state;
    model *m = model_new(1000, MIB);
    for (size_t i = 0; i < 100; i++) {
        model_push(m, 100 * KIB, 1 + (int)(i % 2));
        check_all(m);
    }
    /* As many of the newest as fit in 1 MiB: 10 of 100 KiB + 5. */
    assert_int_equal(pm_ring_count(m->r), 10);
    assert_true(pm_ring_bytes(m->r) <= MIB + 64 * KIB);
    model_free(m);
}

/* Random limits and line lengths, checked after every push. */
static void test_random_against_model(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15u;
    for (size_t round = 0; round < 40; round++) {
        run c = {
            .min_lines = rng() % 3 ? rng() % 300 : SIZE_MAX,
            .max_bytes = rng() % 4 ? rng() % 100000 : rng() % 2000,
            .shape = (enum shape)(rng() % 4),
            .pushes = 2000,
        };
        c.a = rng() % 200;
        c.b = c.a + rng() % (c.max_bytes + 500);
        do_run(&c);
        do_run_in_reads(&c);
    }
}

static int teardown(void **state)
{
    (void)state;
    free(line_buf);
    line_buf = NULL;
    line_buf_size = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_order_and_streams),
        cmocka_unit_test(test_last_n),
        cmocka_unit_test(test_few_lines_cost_little),
        cmocka_unit_test(test_limits_far_exceeded),
        cmocka_unit_test(test_empty_lines),
        cmocka_unit_test(test_long_line_cut),
        cmocka_unit_test(test_chunk_sized_lines),
        cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_defaults_100_byte_lines),
        cmocka_unit_test(test_defaults_10_byte_lines),
        cmocka_unit_test(test_defaults_100_kib_lines),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
