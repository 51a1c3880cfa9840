/* The ring of recent output lines (see ring.h).
 *
 * Layout.  A doubly linked list of chunks, oldest first.  A chunk holds
 * records back to back, each [u32 len][u8 stream][len bytes], unaligned
 * (read and written with memcpy).  Only the oldest chunk has a dead prefix
 * (`head` > 0): lines are dropped from the front.  A chunk with no live line
 * left is unlinked, so every linked chunk holds at least one line, and the
 * newest one holds the newest line.
 *
 * Chunk sizes.  A new chunk for ordinary lines has the "target" size: an
 * eighth of the cost of the lines held, rounded up to a power of two, between CHUNK_MIN
 * and r->chunk_max, so a quiet ring stays small and a full one uses few
 * chunks.  A line longer than the target gets a chunk of its own (`cap` is
 * set to its cost, so nothing is appended after it).  When a chunk is left
 * with more than 1/32 of it unused (a line did not fit), it is shrunk with
 * realloc.
 *
 * Reuse.  A chunk that empties is kept as the spare if it is of ordinary
 * size and there is none yet, else freed.  A push that needs a new chunk
 * takes, in order: the spare; the oldest chunk, when this push is sure to
 * drop all of its lines anyway (decided before anything changes, so that
 * -ENOMEM still leaves the ring as it was); a new allocation.  In steady
 * state with lines of similar lengths one of the first two fits, so pushes
 * do not allocate; lines longer than r->chunk_max whose lengths vary, or
 * such lines alternating with short ones, cost an allocation each.
 */
#include "ring.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDR 5              /* u32 length, u8 stream */
#define CHUNK_MIN 256      /* smallest chunk */
#define CHUNK_MAX_LOW 1024 /* r->chunk_max is between these two */
#define CHUNK_MAX 65536
#define LINE_LIMIT ((size_t)1 << 30)

typedef struct chunk chunk;
struct chunk {
    chunk *prev, *next;
    size_t size;   /* bytes allocated for records */
    size_t cap;    /* bytes usable: size, or the line's cost for a lone line */
    size_t head;   /* offset of the oldest live record */
    size_t used;   /* end of the newest record */
    size_t newest; /* offset of the newest record */
    size_t nlines; /* live records */
    unsigned char data[];
};

struct pm_ring {
    chunk *first, *last, *spare;
    size_t count; /* live lines */
    size_t live;  /* their cost: lengths plus HDR each */
    size_t held;  /* what pm_ring_bytes() reports */
    size_t min_lines, max_bytes, line_max, chunk_max;
};

static size_t rec_len(const unsigned char *p)
{
    uint32_t n;
    memcpy(&n, p, sizeof n);
    return n;
}

pm_ring *pm_ring_new(size_t min_lines, size_t max_bytes)
{
    pm_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->min_lines = min_lines;
    r->max_bytes = max_bytes;
    r->line_max = max_bytes < LINE_LIMIT ? max_bytes : LINE_LIMIT;
    size_t c = CHUNK_MAX_LOW;
    while (c < CHUNK_MAX && c * 2 <= max_bytes / 32)
        c *= 2;
    r->chunk_max = c;
    return r;
}

void pm_ring_free(pm_ring *r)
{
    if (!r)
        return;
    for (chunk *c = r->first, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(r->spare);
    free(r);
}

size_t pm_ring_count(const pm_ring *r)
{
    return r->count;
}

size_t pm_ring_bytes(const pm_ring *r)
{
    return r->held;
}

static void chunk_free(pm_ring *r, chunk *c)
{
    r->held -= sizeof *c + c->size;
    free(c);
}

/* Unlinks the oldest chunk, forgetting the lines it still holds. */
static chunk *unlink_first(pm_ring *r)
{
    chunk *c = r->first;
    r->first = c->next;
    if (r->first)
        r->first->prev = NULL;
    else
        r->last = NULL;
    r->count -= c->nlines;
    r->live -= c->used - c->head;
    c->next = NULL;
    return c;
}

/* An unlinked chunk: keep it as the spare or free it. */
static void release(pm_ring *r, chunk *c)
{
    if (!r->spare && c->size <= r->chunk_max)
        r->spare = c;
    else
        chunk_free(r, c);
}

/* The size of a new chunk for ordinary lines. */
static size_t target(const pm_ring *r, size_t rec)
{
    size_t want = (r->live + rec) / 8, t = CHUNK_MIN;
    while (t < want && t < r->chunk_max)
        t *= 2;
    return t;
}

/* Whether c may take a record of `rec` bytes as a new chunk. */
static bool usable(const pm_ring *r, const chunk *c, size_t rec, size_t t)
{
    if (c->size < rec)
        return false;
    if (rec <= t) /* ordinary: about the target size, never above the max */
        return c->size >= t / 2 && c->size <= r->chunk_max;
    return c->size - rec <= c->size / 32; /* a lone line: little waste */
}

/* Whether a push of `rec` bytes that opens a new chunk will drop every line
 * of the oldest chunk in trim(): by min_lines (the other lines and the new
 * one are enough), or by bytes (even after all but its newest line went,
 * the ring would still be over the limit). */
static bool first_goes(const pm_ring *r, size_t rec)
{
    const chunk *c = r->first;
    if (!c)
        return false;
    if (r->count + 1 - c->nlines >= r->min_lines)
        return true;
    return r->live - (c->used - c->head) + (c->used - c->newest) + rec > r->max_bytes;
}

/* An empty, unlinked chunk for a record of `rec` bytes, or NULL on ENOMEM
 * (then nothing changed). */
static chunk *acquire(pm_ring *r, size_t rec)
{
    size_t t = target(r, rec);
    chunk *c;
    if (r->spare && usable(r, r->spare, rec, t)) {
        c = r->spare;
        r->spare = NULL;
    } else if (first_goes(r, rec) && usable(r, r->first, rec, t)) {
        c = unlink_first(r);
    } else {
        size_t size = rec <= t ? t : rec;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        r->held += sizeof *c + size;
        c->size = size;
        if (r->spare && rec <= t) { /* not fit for ordinary lines: stale */
            chunk_free(r, r->spare);
            r->spare = NULL;
        }
    }
    c->prev = c->next = NULL;
    c->cap = rec <= t ? c->size : rec;
    c->head = c->used = c->newest = c->nlines = 0;
    return c;
}

/* The newest chunk is about to be followed by another: give back its
 * unused end if that is more than 1/32 of it. */
static void leave(pm_ring *r)
{
    chunk *c = r->last;
    if (!c || c->size - c->used <= c->size / 32)
        return;
    size_t old = c->size, used = c->used;
    chunk *n = realloc(c, sizeof *n + used);
    if (!n)
        return; /* keeps the old block: only the bound suffers */
    n->size = n->cap = used;
    r->held -= old - used;
    if (n->prev)
        n->prev->next = n;
    else
        r->first = n;
    r->last = n;
}

/* Enforces the limits after a push; never drops the newest line. */
static void trim(pm_ring *r)
{
    while (r->count > 1 && r->live > r->max_bytes) {
        chunk *c = r->first;
        size_t rec = HDR + rec_len(c->data + c->head);
        c->head += rec;
        c->nlines--;
        r->count--;
        r->live -= rec;
        if (c->nlines == 0) /* not the newest chunk: count was > 1 */
            release(r, unlink_first(r));
    }
    while (r->first != r->last && r->count - r->first->nlines >= r->min_lines)
        release(r, unlink_first(r));
}

/* Appends a record to the newest chunk, which has room for it. */
__attribute__((always_inline)) static inline void append(pm_ring *r, chunk *c, int stream, const char *line, size_t len)
{
    unsigned char *p = c->data + c->used;
    uint32_t n32 = (uint32_t)len;
    memcpy(p, &n32, sizeof n32);
    p[4] = (unsigned char)stream;
    if (len)
        memcpy(p + HDR, line, len);
    c->newest = c->used;
    c->used += HDR + len;
    c->nlines++;
    r->count++;
    r->live += HDR + len;
    trim(r);
}

int pm_ring_push(pm_ring *r, int stream, const char *line, size_t len)
{
    if (len > r->line_max)
        len = r->line_max;
    size_t rec = HDR + len;
    chunk *c = r->last;
    if (!c || c->cap - c->used < rec) {
        chunk *n = acquire(r, rec);
        if (!n)
            return -ENOMEM;
        leave(r);
        n->prev = r->last;
        if (r->last)
            r->last->next = n;
        else
            r->first = n;
        r->last = c = n;
    }
    append(r, c, stream, line, len);
    return 0;
}

int pm_ring_push_lines(pm_ring *r, int stream, const pm_line *lines, size_t n)
{
    int err = 0;
    for (size_t i = 0; i < n; i++) {
        chunk *c = r->last;
        size_t len = lines[i].len;
        if (c && len <= r->line_max && c->cap - c->used >= HDR + len) /* the common case */
            append(r, c, stream, lines[i].data, len);
        else if (pm_ring_push(r, stream, lines[i].data, len) < 0)
            err = -ENOMEM;
    }
    return err;
}

void pm_ring_last(const pm_ring *r, size_t n, pm_ring_line_cb cb, void *arg)
{
    if (n > r->count)
        n = r->count;
    if (n == 0)
        return;
    /* Back from the newest chunk to the one holding the first line wanted. */
    const chunk *c = r->last;
    size_t seen = c->nlines;
    while (seen < n) {
        c = c->prev;
        seen += c->nlines;
    }
    size_t off = c->head;
    for (size_t skip = seen - n; skip > 0; skip--)
        off += HDR + rec_len(c->data + off);
    for (;;) {
        while (off < c->used) {
            size_t len = rec_len(c->data + off);
            cb(arg, c->data[off + 4], (const char *)c->data + off + HDR, len);
            off += HDR + len;
        }
        c = c->next;
        if (!c)
            break;
        off = c->head;
    }
}
