/* The bounded line splitter (see lines.h).
 *
 * A piece of `max` bytes is only cut once the byte after it is known not to
 * be '\n': otherwise a line of exactly `max` bytes, or one whose '\r' of a
 * "\r\n" falls just past `max`, would be followed by an empty piece.  After
 * a cut, `cut` remembers that a terminator with nothing before it ends a
 * line already emitted rather than an empty line.
 */
#include "lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MIN_CAP 256

void pm_lines_init(pm_lines *lines, size_t max)
{
    *lines = (pm_lines){.max = max ? max : PM_LINES_DEFAULT_MAX};
}

void pm_lines_free(pm_lines *lines)
{
    free(lines->buf);
    lines->buf = NULL;
    lines->len = lines->cap = 0;
    lines->cut = false;
}

/* A line's content ends at a '\n': drop the '\r' of a "\r\n", then emit it
 * in pieces of max. */
static void end_line(pm_lines *lines, const char *p, size_t n, pm_line_cb cb, void *arg)
{
    bool cut = lines->cut;
    lines->cut = false;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n == 0 && cut)
        return;
    for (; n > lines->max; p += lines->max, n -= lines->max)
        cb(arg, p, lines->max);
    cb(arg, p, n);
}

/* Makes room for `need` bytes (need <= max), doubling to limit reallocs. */
static int reserve(pm_lines *lines, size_t need)
{
    if (need <= lines->cap)
        return 0;
    size_t cap = lines->cap ? lines->cap : MIN_CAP;
    while (cap < need)
        cap *= 2;
    if (cap > lines->max)
        cap = lines->max;
    char *buf = realloc(lines->buf, cap);
    if (!buf)
        return -ENOMEM;
    lines->buf = buf;
    lines->cap = cap;
    return 0;
}

static int append(pm_lines *lines, const char *data, size_t n)
{
    if (reserve(lines, lines->len + n) < 0)
        return -ENOMEM;
    memcpy(lines->buf + lines->len, data, n);
    lines->len += n;
    return 0;
}

/* Nothing buffered: emit straight from `data`.  Returns the bytes consumed,
 * or -ENOMEM. */
static ssize_t feed_direct(pm_lines *lines, const char *data, size_t len, pm_line_cb cb, void *arg)
{
    const char *nl = memchr(data, '\n', len);
    if (nl) {
        end_line(lines, data, (size_t)(nl - data), cb, arg);
        return nl - data + 1;
    }
    /* No '\n' in data: any max bytes followed by another byte are a piece. */
    size_t off = 0;
    for (; len - off > lines->max; off += lines->max) {
        cb(arg, data + off, lines->max);
        lines->cut = true;
    }
    if (append(lines, data + off, len - off) < 0)
        return -ENOMEM;
    return (ssize_t)len;
}

/* A partial line is buffered: add to it up to the next '\n' or up to max.
 * Returns the bytes consumed (0 after cutting a piece), or -ENOMEM. */
static ssize_t feed_buffered(pm_lines *lines, const char *data, size_t len, pm_line_cb cb, void *arg)
{
    if (lines->len == lines->max && data[0] != '\n') {
        cb(arg, lines->buf, lines->len);
        lines->cut = true;
        lines->len = 0;
        return 0;
    }
    const char *nl = memchr(data, '\n', len);
    size_t seg = nl ? (size_t)(nl - data) : len;
    size_t room = lines->max - lines->len;
    size_t n = seg < room ? seg : room;
    if (append(lines, data, n) < 0)
        return -ENOMEM;
    if (!nl || n < seg)
        return (ssize_t)n;
    end_line(lines, lines->buf, lines->len, cb, arg);
    lines->len = 0;
    return (ssize_t)n + 1;
}

int pm_lines_feed(pm_lines *lines, const char *data, size_t len, pm_line_cb cb, void *arg)
{
    while (len > 0) {
        if (lines->len == 0 && !lines->cut) { /* the common case, without a call a line */
            const char *nl = memchr(data, '\n', len);
            size_t n = nl ? (size_t)(nl - data) : 0;
            if (nl && n <= lines->max) {
                cb(arg, data, n > 0 && data[n - 1] == '\r' ? n - 1 : n);
                data += n + 1;
                len -= n + 1;
                continue;
            }
        }
        ssize_t used = lines->len == 0 ? feed_direct(lines, data, len, cb, arg)
                                    : feed_buffered(lines, data, len, cb, arg);
        if (used < 0)
            return (int)used;
        data += used;
        len -= (size_t)used;
    }
    return 0;
}

void pm_lines_finish(pm_lines *lines, pm_line_cb cb, void *arg)
{
    if (lines->len > 0)
        cb(arg, lines->buf, lines->len);
    pm_lines_free(lines);
}
