/* Reading a log file, or a process's tail ring as if it were one. */
#include "logsource.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuild.h"

const char *pm_log_path(const pm_status *st, bool stderr_log)
{
    const pm_procdata *pd = st->user_data;
    if (!pd || (stderr_log && pd->redirect_stderr))
        return "";
    const pm_output *o = stderr_log ? &pd->err : &pd->out;
    return o->kind == PM_OUT_FILE && o->path ? o->path : "";
}

pm_log_source pm_log_source_of(const pm_status *st, int stream)
{
    const pm_procdata *pd = st->user_data;
    const char *path = pm_log_path(st, stream == PM_STDERR);
    if (*path)
        return (pm_log_source){.path = path, .stream = stream};
    return (pm_log_source){.ring = pd ? pd->ring : NULL, .stream = stream,
                           .size = pd ? (long long)pd->output_bytes[stream] : 0};
}

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

int pm_log_source_open(pm_log_source *src)
{
    if (src->path) {
        struct stat sb;
        if (stat(src->path, &sb) < 0)
            return -errno;
        src->size = sb.st_size;
        src->ino = sb.st_ino;
        return 0;
    }
    pm_strbuf b = {0};
    gather g = {&b, src->stream};
    if (src->ring)
        pm_ring_last(src->ring, pm_ring_count(src->ring), gather_line, &g);
    free(src->held);
    src->held = b.buf;
    src->held_len = b.len > (size_t)src->size ? (size_t)src->size : b.len;
    if (src->held_len < b.len) /* cannot be: the stream wrote at least what the ring holds */
        memmove(src->held, src->held + b.len - src->held_len, src->held_len);
    return 0;
}

char *pm_log_source_read(const pm_log_source *src, long long from, long long want, size_t *len)
{
    if (want > PM_LOG_READ_MAX)
        want = PM_LOG_READ_MAX;
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
    if (fd < 0) {
        int err = errno;
        free(out);
        errno = err;
        return NULL;
    }
    while (*len < (size_t)want) {
        ssize_t n = pread(fd, out + *len, (size_t)want - *len, from + (long long)*len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the file shrank, or failed: what was read is the answer */
        *len += (size_t)n;
    }
    close(fd);
    out[*len] = '\0';
    return out;
}

void pm_log_source_done(pm_log_source *src)
{
    free(src->held);
    src->held = NULL;
    src->held_len = 0;
}
