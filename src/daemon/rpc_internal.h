/* What the XML-RPC method files share: a call and how it ends, its
 * parameters, and fan-outs (a multicall, or a method over a group's
 * processes) that end once every part has. */
#ifndef PM_RPC_INTERNAL_H
#define PM_RPC_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "rpc.h"

typedef struct rpc_call rpc_call;
typedef struct rpc_fanout rpc_fanout;

/* Where a call's result goes: the HTTP answer, or its fan-out.  It takes
 * value (a fault: an object with faultCode and faultString; NULL: out of
 * memory, answered 500). */
typedef void (*rpc_finish_fn)(rpc_call *c, json_t *value, bool fault);

struct rpc_call {
    pm_daemon *d;
    const char *method;
    json_t *params;
    rpc_finish_fn finish;
    pm_http_request *req; /* the top call's; NULL once the request is gone */
    rpc_fanout *fanout;   /* the multicall or group method it is part of */
    size_t slot;          /* its place in a multicall's results */
    json_t *who;          /* in a group method: {name, group} of its process */
    char name[256];       /* the process a waiting start or stop is about */
    uv_timer_t *poll;     /* a waiting start's look for RUNNING */
};

void rpc_done(rpc_call *c, json_t *value);
/* As supervisord's RPCError: "NAME" or "NAME: extra". */
void rpc_fault(rpc_call *c, int code, const char *extra);

/* Checks the parameters against `types` (s string, b boolean, i integer,
 * a array, . anything; after '|' optional ones): true, or false after an
 * INCORRECT_PARAMETERS fault. */
bool rpc_params_are(rpc_call *c, const char *types);
const char *rpc_param_str(const rpc_call *c, size_t i);
/* An optional boolean, true when absent (supervisord's wait=True). */
bool rpc_param_wait(const rpc_call *c, size_t i);
/* The HTTP request the call belongs to (its own, or its fan-out's). */
pm_http_request *rpc_top_request(rpc_call *c);
/* A string as it is: bytes that are not UTF-8 are made valid when the
 * answer is written (xmlrpc.h), not a reason to fail. */
json_t *rpc_text(const char *s);

/* A group method's fan-out: each part's result becomes
 * {name, group, status, description} (supervisord's make_allfunc), in the
 * order the parts end; the parent is answered with the array once all
 * have.  NULL after answering the parent when out of memory. */
rpc_fanout *rpc_fanout_new(rpc_call *parent);
/* A part about one process (who: {name, group}, taken), with params
 * (taken); NULL when out of memory, its result then missing. */
rpc_call *rpc_fanout_part(rpc_fanout *f, json_t *who, json_t *params);
/* No more parts: the parent is answered once those there are have ended. */
void rpc_fanout_close(rpc_fanout *f);

/* The process spec names, by procmon's name or supervisord's namespec
 * ("group:name"): 0, or -1 after a BAD_NAME fault (rpc_process.c). */
int rpc_find_process(rpc_call *c, const char *spec, pm_status *st);
/* A group method over every process, in priority order: one runs on each
 * as a part whose first parameter is its namespec (rpc_process.c). */
void rpc_run_on_all(rpc_call *c, void (*one)(rpc_call *part, const pm_status *st));

/* ---- the methods (rpc_supervisor.c, rpc_config.c, rpc_process.c, rpc_logs.c) ---- */

void rpc_api_version(rpc_call *c);
void rpc_supervisor_version(rpc_call *c);
void rpc_identification(rpc_call *c);
void rpc_get_state(rpc_call *c);
void rpc_get_pid(rpc_call *c);
void rpc_shutdown(rpc_call *c);
void rpc_send_remote_comm_event(rpc_call *c);
void rpc_reload_config(rpc_call *c);
void rpc_add_process_group(rpc_call *c);
void rpc_remove_process_group(rpc_call *c);

void rpc_get_process_info(rpc_call *c);
void rpc_get_all_process_info(rpc_call *c);
void rpc_get_all_config_info(rpc_call *c);
void rpc_start_process(rpc_call *c);
void rpc_start_process_group(rpc_call *c);
void rpc_start_all_processes(rpc_call *c);
void rpc_stop_process(rpc_call *c);
void rpc_stop_process_group(rpc_call *c);
void rpc_stop_all_processes(rpc_call *c);
void rpc_signal_process(rpc_call *c);
void rpc_signal_process_group(rpc_call *c);
void rpc_signal_all_processes(rpc_call *c);
void rpc_send_process_stdin(rpc_call *c);

void rpc_read_log(rpc_call *c);
void rpc_clear_log(rpc_call *c);
void rpc_read_process_stdout_log(rpc_call *c);
void rpc_read_process_stderr_log(rpc_call *c);
void rpc_tail_process_stdout_log(rpc_call *c);
void rpc_tail_process_stderr_log(rpc_call *c);
void rpc_clear_process_logs(rpc_call *c);
void rpc_clear_all_process_logs(rpc_call *c);

#endif
