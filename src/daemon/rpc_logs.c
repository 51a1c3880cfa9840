/* The XML-RPC methods that read and clear logs: procmon's own log file,
 * and each process's stdout and stderr (logsource.h), as supervisord's
 * readFile and tailFile read them. */
#include "rpc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logsource.h"

/* supervisord's readFile: a negative offset is that many bytes from the
 * end (length must then be 0); length 0 reads to the end. */
static void answer_read(rpc_call *c, const pm_log_source *src, long long offset, long long length)
{
    if ((offset < 0 && length != 0) || length < 0) {
        rpc_fault(c, PM_FAULT_BAD_ARGUMENTS, NULL);
        return;
    }
    long long from = offset < 0 ? src->size + offset : offset;
    long long want = offset < 0 ? -offset : length ? length : src->size - offset;
    size_t len;
    char *data = pm_log_source_read(src, from, want, &len);
    if (!data && errno != ENOMEM) {
        rpc_fault(c, PM_FAULT_FAILED, NULL);
        return;
    }
    rpc_done(c, data ? json_stringn_nocheck(data, len) : NULL);
    free(data);
}

/* supervisord's tailFile: [bytes, the log's size, whether bytes were
 * skipped]. */
static void answer_tail(rpc_call *c, const pm_log_source *src, long long offset, long long length)
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
    char *data = pm_log_source_read(src, offset, length, &len);
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
    pm_log_source src = {.path = c->d->settings->log_file};
    if (!src.path || pm_log_source_open(&src) < 0)
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

static void read_process_log(rpc_call *c, int stream)
{
    pm_status st;
    if (!rpc_params_are(c, "sii") || rpc_find_process(c, rpc_param_str(c, 0), &st) < 0)
        return;
    pm_log_source src = pm_log_source_of(&st, stream);
    if (pm_log_source_open(&src) < 0)
        rpc_fault(c, PM_FAULT_NO_FILE, src.path);
    else
        answer_read(c, &src, int_param(c, 1), int_param(c, 2));
    pm_log_source_done(&src);
}

static void tail_process_log(rpc_call *c, int stream)
{
    pm_status st;
    if (!rpc_params_are(c, "sii") || rpc_find_process(c, rpc_param_str(c, 0), &st) < 0)
        return;
    pm_log_source src = pm_log_source_of(&st, stream);
    if (pm_log_source_open(&src) < 0)
        rpc_done(c, json_pack("[s,i,b]", "", 0, false)); /* as supervisord, for a file not there */
    else
        answer_tail(c, &src, int_param(c, 1), int_param(c, 2));
    pm_log_source_done(&src);
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
