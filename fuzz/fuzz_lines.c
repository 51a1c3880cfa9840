/* libFuzzer target: the line splitter.  The first bytes of the input choose
 * `max` and the chunk sizes; the rest is the stream.  The emitted pieces,
 * joined back by the rules of src/lib/lines.h, must give the stream again, and
 * no piece may be longer than `max`. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct out {
    char *buf;
    size_t len, cap, max;
    size_t pieces;
} out;

static void add(out *o, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 64;
        while (cap < o->len + n)
            cap *= 2;
        o->buf = realloc(o->buf, cap);
        if (!o->buf)
            abort();
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

/* Each piece's place and length in the joined text, so that the check below
 * compares the cuts as well as the bytes. */
typedef struct piece {
    size_t off, len;
} piece;

typedef struct rec {
    out text;
    piece *v;
    size_t n, cap, max;
} rec;

static void on_line(void *arg, const char *line, size_t len)
{
    rec *r = arg;
    if (len > r->max) {
        fprintf(stderr, "piece of %zu bytes, max %zu\n", len, r->max);
        abort();
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v)
            abort();
    }
    r->v[r->n++] = (piece){r->text.len, len};
    add(&r->text, line, len);
}

/* The pieces the rules of src/lib/lines.h promise for `s`. */
static void expect(const char *s, size_t n, size_t max, rec *e)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        size_t len = end - i;
        if (nl && len > 0 && s[end - 1] == '\r')
            len--;
        /* an empty line is one empty piece; a longer one is cut into
         * pieces of exactly max, then the rest (none when the length is a
         * multiple of max) */
        size_t p = i, left = len;
        if (left == 0) {
            on_line(e, s + p, 0);
        } else {
            while (left > 0) {
                size_t k = left > max ? max : left;
                on_line(e, s + p, k);
                p += k;
                left -= k;
            }
        }
        i = nl ? end + 1 : n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* max: 1..64, or the default when the byte is 0 */
    size_t max = data[0] ? (size_t)(data[0] % 64) + 1 : PM_LINES_DEFAULT_MAX;
    uint8_t sizes = data[1];
    data += 2;
    size -= 2;
    /* chunk sizes: cycle through the next few bytes (as many as `sizes & 7`,
     * at least 1), each 1..32 bytes */
    size_t nsz = (size_t)(sizes & 7) + 1;
    if (nsz > size)
        nsz = size;
    const uint8_t *szv = data;
    const char *s = (const char *)data + nsz;
    size_t n = size - nsz;

    rec got = {.max = max}, want = {.max = max};
    pm_lines lines;
    pm_lines_init(&lines, max == PM_LINES_DEFAULT_MAX ? 0 : max);
    size_t i = 0, k = 0;
    while (i < n) {
        size_t c = nsz ? (size_t)(szv[k++ % nsz] % 32) + 1 : n;
        if (c > n - i)
            c = n - i;
        if (pm_lines_feed(&lines, s + i, c, on_line, &got) != 0)
            abort();
        i += c;
    }
    pm_lines_finish(&lines, on_line, &got);
    pm_lines_free(&lines);

    expect(s, n, max, &want);
    bool same = got.n == want.n && got.text.len == want.text.len &&
                (got.text.len == 0 || memcmp(got.text.buf, want.text.buf, got.text.len) == 0);
    for (size_t j = 0; same && j < got.n; j++)
        same = got.v[j].len == want.v[j].len;
    if (!same) {
        fprintf(stderr, "max %zu: got %zu pieces (%zu bytes), want %zu (%zu bytes)\n", max,
                got.n, got.text.len, want.n, want.text.len);
        for (size_t j = 0; j < got.n || j < want.n; j++)
            fprintf(stderr, "  %zu: got %zd want %zd\n", j,
                    j < got.n ? (ssize_t)got.v[j].len : -1,
                    j < want.n ? (ssize_t)want.v[j].len : -1);
        abort();
    }
    free(got.text.buf);
    free(got.v);
    free(want.text.buf);
    free(want.v);
    return 0;
}
