/* The XML-RPC methods that read and clear logs: procmon's own log file,
 * and each process's stdout and stderr, as supervisord's readFile and
 * tailFile read them.  A process whose output has no file of its own is
 * read from its tail ring, as if that were the end of a file as long as
 * everything it has written. */
#include "rpc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuild.h"

#define READ_MAX (4 << 20) /* the most bytes one answer carries: a client reads on from the offset */

/* Where a log is read from: a file, or a process's tail ring. */
typedef struct log_source {
    const char *path;       /* NULL: the ring */
    const pm_ring *ring;
    int stream;
    long long size;         /* the file's size, or the bytes the stream has written */
    char *held;             /* the ring's lines of the stream, the last `held_len` bytes of size */
    size_t held_len;
} log_source;

typedef struct gather {
    pm_strbuf *b;
    int stream;
} gather;

static void gather_line(void *arg, int stream, const char *line, size_t len)
{
    gather *g = arg;
    if (stream == g->stream && pm_strbuf_add(g->b, line, len) == 0)
        (void)pm_strbuf_add(g->b, "\n", 1);
}

/* 0, or -errno. */
static int source_open(log_source *src)
{
    if (src->path) {
        struct stat sb;
        if (stat(src->path, &sb) < 0)
            return -errno;
        src->size = sb.st_size;
        return 0;
    }
    pm_strbuf b = {0};
    gather g = {&b, src->stream};
    if (src->ring)
        pm_ring_last(src->ring, pm_ring_count(src->ring), gather_line, &g);
    src->held = b.buf;
    src->held_len = b.len > (size_t)src->size ? (size_t)src->size : b.len;
    if (src->held_len < b.len) /* cannot be: the stream wrote at least what the ring holds */
        memmove(src->held, src->held + b.len - src->held_len, src->held_len);
    return 0;
}

/* up to want bytes from `from` (clamped to READ_MAX); what the ring no
 * longer holds is skipped.  NULL when out of memory or the file fails
 * (errno then set). */
static char *source_read(const log_source *src, long long from, long long want, size_t *len)
{
    if (want > READ_MAX)
        want = READ_MAX;
    if (from < 0)
        from = 0;
    if (from > src->size || want < 0)
        want = 0;
    else if (from + want > src->size)
        want = src->size - from;
    char *out = malloc((size_t)want + 1);
    if (!out)
        return NULL;
    *len = 0;
    if (!src->path) {
        long long held_from = src->size - (long long)src->held_len;
        long long start = from > held_from ? from : held_from, end = from + want;
        if (end > start) {
            memcpy(out, src->held + (start - held_from), (size_t)(end - start));
            *len = (size_t)(end - start);
        }
        out[*len] = '\0';
        return out;
    }
    int fd = open(src->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd >= 0 && *len < (size_t)want) {
        ssize_t n = pread(fd, out + *len, (size_t)want - *len, from + (long long)*len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    int err = errno;
    if (fd < 0) {
        free(out);
        errno = err;
        return NULL;
    }
    close(fd);
    out[*len] = '\0';
    return out;
}

/* supervisord's readFile: a negative offset is that many bytes from the
 * end (length must then be 0); length 0 reads to the end. */
static void answer_read(rpc_call *c, const log_source *src, long long offset, long long length)
{
    if ((offset < 0 && length != 0) || length < 0) {
        rpc_fault(c, PM_FAULT_BAD_ARGUMENTS, NULL);
        return;
    }
    long long from = offset < 0 ? src->size + offset : offset;
    long long want = offset < 0 ? -offset : length ? length : src->size - offset;
    size_t len;
    char *data = source_read(src, from, want, &len);
    if (!data && errno != ENOMEM) {
        rpc_fault(c, PM_FAULT_FAILED, NULL);
        return;
    }
    rpc_done(c, data ? json_stringn_nocheck(data, len) : NULL);
    free(data);
}

/* supervisord's tailFile: [bytes, the log's size, whether bytes were
 * skipped]. */
static void answer_tail(rpc_call *c, const log_source *src, long long offset, long long length)
{
    long long size = src->size;
    bool overflow = false;
    if (size > offset + length) {
        overflow = true;
        offset = size - 1;
    }
    if (offset + length > size) {
        if (offset > size - 1)
            length = 0;
        offset = size - length;
    }
    size_t len = 0;
    char *data = source_read(src, offset, length, &len);
    if (!data && errno == ENOMEM) {
        rpc_done(c, NULL);
        return;
    }
    rpc_done(c, json_pack("[o,I,b]", json_stringn_nocheck(data ? data : "", len), (json_int_t)size, overflow));
    free(data);
}

static long long int_param(const rpc_call *c, size_t i)
{
    return json_integer_value(json_array_get(c->params, i));
}

/* ---- procmon's own log ---- */

void rpc_read_log(rpc_call *c)
{
    if (!rpc_params_are(c, "ii"))
        return;
    log_source src = {.path = c->d->settings->log_file};
    if (!src.path || source_open(&src) < 0)
        rpc_fault(c, PM_FAULT_NO_FILE, src.path ? src.path : "None");
    else
        answer_read(c, &src, int_param(c, 0), int_param(c, 1));
}

/* As supervisord: the file removed and a new one begun. */
void rpc_clear_log(rpc_call *c)
{
    if (!rpc_params_are(c, ""))
        return;
    const char *path = c->d->settings->log_file;
    struct stat sb;
    if (!path || stat(path, &sb) < 0) {
        rpc_fault(c, PM_FAULT_NO_FILE, NULL);
        return;
    }
    if (unlink(path) < 0 || pm_logstream_reopen(c->d->log) < 0) {
        rpc_fault(c, PM_FAULT_FAILED, NULL);
        return;
    }
    pm_logstream_message(c->d->log, "log file cleared over XML-RPC");
    rpc_done(c, json_true());
}

/* ---- a process's logs ---- */

/* The log of st's stream: its file, or its tail ring. */
static log_source source_of(const pm_status *st, int stream)
{
    const pm_procdata *pd = st->user_data;
    const char *path = rpc_log_path(st, stream == PM_STDERR);
    if (*path)
        return (log_source){.path = path, .stream = stream};
    return (log_source){.ring = pd ? pd->ring : NULL, .stream = stream,
                        .size = pd ? (long long)pd->output_bytes[stream] : 0};
}

static void read_process_log(rpc_call *c, int stream)
{
    pm_status st;
    if (!rpc_params_are(c, "sii") || rpc_find_process(c, rpc_param_str(c, 0), &st) < 0)
        return;
    log_source src = source_of(&st, stream);
    if (source_open(&src) < 0)
        rpc_fault(c, PM_FAULT_NO_FILE, src.path);
    else
        answer_read(c, &src, int_param(c, 1), int_param(c, 2));
    free(src.held);
}

static void tail_process_log(rpc_call *c, int stream)
{
    pm_status st;
    if (!rpc_params_are(c, "sii") || rpc_find_process(c, rpc_param_str(c, 0), &st) < 0)
        return;
    log_source src = source_of(&st, stream);
    if (source_open(&src) < 0)
        rpc_done(c, json_pack("[s,i,b]", "", 0, false)); /* as supervisord, for a file not there */
    else
        answer_tail(c, &src, int_param(c, 1), int_param(c, 2));
    free(src.held);
}

void rpc_read_process_stdout_log(rpc_call *c) { read_process_log(c, PM_STDOUT); }
void rpc_read_process_stderr_log(rpc_call *c) { read_process_log(c, PM_STDERR); }
void rpc_tail_process_stdout_log(rpc_call *c) { tail_process_log(c, PM_STDOUT); }
void rpc_tail_process_stderr_log(rpc_call *c) { tail_process_log(c, PM_STDERR); }

/* Its files emptied, and its tail ring (counting on from where it was). */
static void clear_one(rpc_call *c, const pm_status *st)
{
    pm_procdata *pd = st->user_data;
    double now = uv_now(&c->d->loop) / 1000.0;
    int r = 0;
    if (pd && pd->out_target)
        r = pm_target_clear(pd->out_target, now);
    if (r == 0 && pd && pd->err_target)
        r = pm_target_clear(pd->err_target, now);
    if (r < 0) {
        rpc_fault(c, PM_FAULT_FAILED, rpc_param_str(c, 0));
        return;
    }
    if (pd) {
        pm_ring_free(pd->ring);
        pd->ring = NULL; /* made again at the next line */
    }
    rpc_done(c, json_true());
}

void rpc_clear_process_logs(rpc_call *c)
{
    pm_status st;
    if (rpc_params_are(c, "s") && rpc_find_process(c, rpc_param_str(c, 0), &st) == 0)
        clear_one(c, &st);
}

void rpc_clear_all_process_logs(rpc_call *c)
{
    rpc_run_on_all(c, clear_one);
}
