/* The XML-RPC plumbing: a call is read, looked up in the fixed table, and
 * answered now or, for a start or stop that waits, when the monitor is
 * done; multicalls and group methods fan out into parts that end on their
 * own.  The methods themselves are in rpc_supervisor.c, rpc_process.c and
 * rpc_logs.c. */
#include "rpc_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logtail.h"
#include "xmlrpc.h"

struct rpc_fanout {
    rpc_call *parent;
    json_t *results;
    size_t pending;
    bool statuses; /* a group method's: results are appended as status structs */
};

/* ---- results and faults ---- */

static const char *fault_name(int code)
{
    static const struct { int code; const char *name; } names[] = {
        {PM_FAULT_UNKNOWN_METHOD, "UNKNOWN_METHOD"}, {PM_FAULT_INCORRECT_PARAMETERS, "INCORRECT_PARAMETERS"},
        {PM_FAULT_BAD_ARGUMENTS, "BAD_ARGUMENTS"}, {PM_FAULT_SIGNATURE_UNSUPPORTED, "SIGNATURE_UNSUPPORTED"},
        {PM_FAULT_SHUTDOWN_STATE, "SHUTDOWN_STATE"}, {PM_FAULT_BAD_NAME, "BAD_NAME"},
        {PM_FAULT_BAD_SIGNAL, "BAD_SIGNAL"}, {PM_FAULT_NO_FILE, "NO_FILE"},
        {PM_FAULT_NOT_EXECUTABLE, "NOT_EXECUTABLE"}, {PM_FAULT_FAILED, "FAILED"},
        {PM_FAULT_ABNORMAL_TERMINATION, "ABNORMAL_TERMINATION"}, {PM_FAULT_SPAWN_ERROR, "SPAWN_ERROR"},
        {PM_FAULT_ALREADY_STARTED, "ALREADY_STARTED"}, {PM_FAULT_NOT_RUNNING, "NOT_RUNNING"},
        {PM_FAULT_SUCCESS, "SUCCESS"}, {PM_FAULT_ALREADY_ADDED, "ALREADY_ADDED"},
        {PM_FAULT_STILL_RUNNING, "STILL_RUNNING"}, {PM_FAULT_CANT_REREAD, "CANT_REREAD"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].code == code)
            return names[i].name;
    return "UNKNOWN";
}

void rpc_done(rpc_call *c, json_t *value)
{
    c->finish(c, value, false);
}

void rpc_fault(rpc_call *c, int code, const char *extra)
{
    char text[512];
    if (extra)
        snprintf(text, sizeof text, "%s: %s", fault_name(code), extra);
    else
        snprintf(text, sizeof text, "%s", fault_name(code));
    c->finish(c, json_pack("{siso}", "faultCode", code, "faultString", rpc_text(text)), true);
}

json_t *rpc_text(const char *s)
{
    return json_stringn_nocheck(s, strlen(s));
}

static void handle_free(uv_handle_t *h)
{
    free(h);
}

static void call_free(rpc_call *c)
{
    if (c->poll)
        uv_close((uv_handle_t *)c->poll, handle_free);
    json_decref(c->params);
    json_decref(c->who);
    free(c);
}

/* The top call's end: the HTTP answer. */
static void answer_http(rpc_call *c, json_t *value, bool is_fault)
{
    if (c->req) {
        size_t len = 0;
        char *doc = !value ? NULL : is_fault ? pm_xmlrpc_fault(value, &len) : pm_xmlrpc_response(value, &len);
        pm_http_answer(c->req, 200, "text/xml", doc, len);
    }
    json_decref(value);
    call_free(c);
}

static void request_cancelled(void *arg)
{
    ((rpc_call *)arg)->req = NULL;
}

pm_http_request *rpc_top_request(rpc_call *c)
{
    while (c->fanout)
        c = c->fanout->parent;
    return c->req;
}

/* ---- parameters ---- */

bool rpc_params_are(rpc_call *c, const char *types)
{
    size_t n = json_array_size(c->params), i = 0;
    for (const char *t = types; *t && i < n; t++) {
        if (*t == '|')
            continue;
        json_t *p = json_array_get(c->params, i++);
        if (!((*t == 's' && json_is_string(p)) || (*t == 'b' && json_is_boolean(p)) ||
              (*t == 'i' && json_is_integer(p)) || (*t == 'a' && json_is_array(p)) || *t == '.')) {
            i = SIZE_MAX;
            break;
        }
    }
    if (i == n && n >= strcspn(types, "|"))
        return true;
    rpc_fault(c, PM_FAULT_INCORRECT_PARAMETERS, NULL);
    return false;
}

const char *rpc_param_str(const rpc_call *c, size_t i)
{
    return json_string_value(json_array_get(c->params, i));
}

bool rpc_param_wait(const rpc_call *c, size_t i)
{
    json_t *p = json_array_get(c->params, i);
    return !p || json_is_true(p);
}

/* ---- fan-outs ---- */

static void fanout_release(rpc_fanout *f)
{
    if (--f->pending > 0)
        return;
    rpc_call *parent = f->parent;
    json_t *results = f->results;
    free(f);
    rpc_done(parent, results);
}

static void fanout_finish(rpc_call *c, json_t *value, bool is_fault)
{
    rpc_fanout *f = c->fanout;
    if (!f->statuses) { /* a multicall's: [result], or the fault struct */
        json_array_set_new(f->results, c->slot, is_fault || !value ? value : json_pack("[o]", value));
    } else if (c->who) {
        json_t *code = is_fault ? json_object_get(value, "faultCode") : NULL;
        json_t *text = is_fault ? json_object_get(value, "faultString") : NULL;
        json_object_set_new(c->who, "status", code ? json_incref(code) : json_integer(PM_FAULT_SUCCESS));
        json_object_set_new(c->who, "description", text ? json_incref(text) : json_string("OK"));
        json_array_append(f->results, c->who);
        json_decref(value);
    } else {
        json_decref(value);
    }
    call_free(c);
    fanout_release(f);
}

static rpc_fanout *fanout_new(rpc_call *parent, bool statuses)
{
    rpc_fanout *f = calloc(1, sizeof *f);
    if (!f || !(f->results = json_array())) {
        free(f);
        rpc_done(parent, NULL);
        return NULL;
    }
    *f = (rpc_fanout){.parent = parent, .results = f->results, .pending = 1, .statuses = statuses};
    return f; /* pending: 1 until closed, so that it cannot end while parts are added */
}

rpc_fanout *rpc_fanout_new(rpc_call *parent)
{
    return fanout_new(parent, true);
}

rpc_call *rpc_fanout_part(rpc_fanout *f, json_t *who, json_t *params)
{
    rpc_call *part = calloc(1, sizeof *part);
    if (!part || !params) {
        free(part);
        json_decref(who);
        json_decref(params);
        return NULL;
    }
    rpc_call *parent = f->parent;
    *part = (rpc_call){.d = parent->d, .method = parent->method, .params = params, .finish = fanout_finish,
                       .fanout = f, .slot = json_array_size(f->results), .who = who};
    f->pending++;
    return part;
}

void rpc_fanout_close(rpc_fanout *f)
{
    fanout_release(f);
}

/* ---- the table, and the system.* methods that read it ---- */

typedef struct method {
    const char *name;
    void (*run)(rpc_call *c);
    const char *signature; /* return type, then the parameters' */
    const char *help;
} method;

static void list_methods(rpc_call *c);
static void method_help(rpc_call *c);
static void method_signature(rpc_call *c);
static void multicall(rpc_call *c);

#define WAIT_HELP "; with wait (the default), answers once "
static const method methods[] = {
    {"supervisor.addProcessGroup", rpc_add_process_group, "boolean string",
     "Adds the group name as reloadConfig last read it, and starts its autostart processes."},
    {"supervisor.clearAllProcessLogs", rpc_clear_all_process_logs, "array",
     "Empties every process's log files: a status struct for each."},
    {"supervisor.clearLog", rpc_clear_log, "boolean", "Empties procmon's own log file."},
    {"supervisor.clearProcessLog", rpc_clear_process_logs, "boolean string", "As clearProcessLogs."},
    {"supervisor.clearProcessLogs", rpc_clear_process_logs, "boolean string",
     "Empties the log files of the process name."},
    {"supervisor.getAPIVersion", rpc_api_version, "string", "The version of the RPC API: 3.0."},
    {"supervisor.getAllConfigInfo", rpc_get_all_config_info, "array", "Each process's configuration."},
    {"supervisor.getAllProcessInfo", rpc_get_all_process_info, "array", "Info about every process."},
    {"supervisor.getIdentification", rpc_identification, "string", "The identifier of [supervisord]."},
    {"supervisor.getPID", rpc_get_pid, "int", "procmon's pid."},
    {"supervisor.getProcessInfo", rpc_get_process_info, "struct string", "Info about the process name."},
    {"supervisor.getState", rpc_get_state, "struct", "procmon's state: RUNNING, or SHUTDOWN once it stops."},
    {"supervisor.getSupervisorVersion", rpc_supervisor_version, "string", "procmon's version."},
    {"supervisor.getVersion", rpc_api_version, "string", "The version of the RPC API: 3.0."},
    {"supervisor.readLog", rpc_read_log, "string int int",
     "length bytes of procmon's log file from offset (negative: from the end)."},
    {"supervisor.readMainLog", rpc_read_log, "string int int", "As readLog."},
    {"supervisor.readProcessLog", rpc_read_process_stdout_log, "string string int int",
     "As readProcessStdoutLog."},
    {"supervisor.readProcessStderrLog", rpc_read_process_stderr_log, "string string int int",
     "length bytes of the process name's stderr log from offset (negative: from the end)."},
    {"supervisor.readProcessStdoutLog", rpc_read_process_stdout_log, "string string int int",
     "length bytes of the process name's stdout log from offset (negative: from the end)."},
    {"supervisor.reloadConfig", rpc_reload_config, "array",
     "Reads the config file again: [[added, changed, removed]] group names; nothing changes yet."},
    {"supervisor.removeProcessGroup", rpc_remove_process_group, "boolean string",
     "Forgets the group name, whose processes must all be stopped."},
    {"supervisor.sendProcessStdin", rpc_send_process_stdin, "boolean string string",
     "Writes chars to the stdin of the process name."},
    {"supervisor.sendRemoteCommEvent", rpc_send_remote_comm_event, "boolean string string",
     "Sends a REMOTE_COMMUNICATION event of type with data to the listeners that take it."},
    {"supervisor.shutdown", rpc_shutdown, "boolean", "Stops every process, then procmon; answers true at once."},
    {"supervisor.signalAllProcesses", rpc_signal_all_processes, "array string",
     "Sends signal (a name or number) to every running process: a status struct for each."},
    {"supervisor.signalProcess", rpc_signal_process, "boolean string string",
     "Sends signal (a name or number) to the process name."},
    {"supervisor.signalProcessGroup", rpc_signal_process_group, "array string string",
     "Sends signal to each running process of the group name: a status struct for each."},
    {"supervisor.startAllProcesses", rpc_start_all_processes, "array boolean",
     "Starts every process not running" WAIT_HELP "each is RUNNING: a status struct for each."},
    {"supervisor.startProcess", rpc_start_process, "boolean string boolean",
     "Starts the process name" WAIT_HELP "it is RUNNING."},
    {"supervisor.startProcessGroup", rpc_start_process_group, "array string boolean",
     "Starts each process of the group name not running" WAIT_HELP "each is RUNNING."},
    {"supervisor.stopAllProcesses", rpc_stop_all_processes, "array boolean",
     "Stops every running process" WAIT_HELP "each has stopped: a status struct for each."},
    {"supervisor.stopProcess", rpc_stop_process, "boolean string boolean",
     "Stops the process name" WAIT_HELP "it has stopped."},
    {"supervisor.stopProcessGroup", rpc_stop_process_group, "array string boolean",
     "Stops each running process of the group name" WAIT_HELP "each has stopped."},
    {"supervisor.tailProcessLog", rpc_tail_process_stdout_log, "array string int int",
     "As tailProcessStdoutLog."},
    {"supervisor.tailProcessStderrLog", rpc_tail_process_stderr_log, "array string int int",
     "[bytes, offset, overflow]: up to length bytes of the end of the process name's stderr log."},
    {"supervisor.tailProcessStdoutLog", rpc_tail_process_stdout_log, "array string int int",
     "[bytes, offset, overflow]: up to length bytes of the end of the process name's stdout log."},
    {"system.listMethods", list_methods, "array", "The methods' names."},
    {"system.methodHelp", method_help, "string string", "A method's help."},
    {"system.methodSignature", method_signature, "array string", "A method's signature."},
    {"system.multicall", multicall, "array array",
     "Runs each {methodName, params} in turn: [result] or a fault struct for each."},
};

static const method *method_find(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}

static void list_methods(rpc_call *c)
{
    if (!rpc_params_are(c, ""))
        return;
    json_t *names = json_array();
    for (size_t i = 0; names && i < sizeof methods / sizeof *methods; i++)
        json_array_append_new(names, json_string(methods[i].name));
    rpc_done(c, names);
}

static void method_help(rpc_call *c)
{
    if (!rpc_params_are(c, "s"))
        return;
    const method *m = method_find(rpc_param_str(c, 0));
    if (m)
        rpc_done(c, json_string(m->help));
    else
        rpc_fault(c, PM_FAULT_SIGNATURE_UNSUPPORTED, NULL);
}

static void method_signature(rpc_call *c)
{
    if (!rpc_params_are(c, "s"))
        return;
    const method *m = method_find(rpc_param_str(c, 0));
    if (!m) {
        rpc_fault(c, PM_FAULT_SIGNATURE_UNSUPPORTED, NULL);
        return;
    }
    json_t *types = json_array();
    for (const char *t = m->signature; types && *t;) {
        size_t len = strcspn(t, " ");
        json_array_append_new(types, json_stringn(t, len));
        t += len + (t[len] == ' ');
    }
    rpc_done(c, json_pack("[o]", types));
}

static void dispatch(rpc_call *c)
{
    const method *m = method_find(c->method);
    if (m)
        m->run(c);
    else
        rpc_fault(c, PM_FAULT_UNKNOWN_METHOD, NULL);
}

/* system.multicall: each call's result in its own slot, in order. */
static void multicall(rpc_call *c)
{
    if (!rpc_params_are(c, "a"))
        return;
    json_t *calls = json_array_get(c->params, 0);
    size_t n = json_array_size(calls);
    rpc_fanout *f = fanout_new(c, false);
    if (!f)
        return;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(f->results, json_null());
    for (size_t i = 0; i < n; i++) {
        json_t *one = json_array_get(calls, i);
        const char *name = json_string_value(json_object_get(one, "methodName"));
        json_t *params = json_object_get(one, "params");
        rpc_call *part = rpc_fanout_part(f, NULL, json_is_array(params) ? json_incref(params) : json_array());
        if (!part) {
            json_array_set_new(f->results, i, NULL);
            continue;
        }
        part->slot = i;
        part->method = name ? name : "";
        if (!name || !json_is_array(params))
            rpc_fault(part, PM_FAULT_INCORRECT_PARAMETERS, NULL);
        else if (strcmp(name, "system.multicall") == 0)
            rpc_fault(part, PM_FAULT_INCORRECT_PARAMETERS, "Recursive system.multicall forbidden");
        else
            dispatch(part);
    }
    rpc_fanout_close(f);
}

/* ---- HTTP ---- */

static void answer_text(pm_http_request *req, unsigned status, const char *text)
{
    pm_http_answer(req, status, "text/plain", strdup(text), strlen(text));
}

void pm_rpc_handle(void *daemon, pm_http_request *req)
{
    const char *path = pm_http_path(req);
    if ((strncmp(path, "/logtail/", 9) == 0 || strcmp(path, "/mainlogtail") == 0) &&
        strcmp(pm_http_method(req), "GET") == 0) {
        pm_logtail_handle(daemon, req);
        return;
    }
    if (strcmp(path, "/RPC2") != 0) {
        answer_text(req, 404, "Not Found\n");
        return;
    }
    if (strcmp(pm_http_method(req), "POST") != 0) {
        answer_text(req, 405, "POST an XML-RPC call to /RPC2\n");
        return;
    }
    size_t len;
    const char *body = pm_http_body(req, &len);
    char *name, err[256];
    json_t *params;
    if (pm_xmlrpc_parse_call(body, len, &name, &params, err, sizeof err) < 0) {
        char text[300];
        snprintf(text, sizeof text, "not an XML-RPC call: %s\n", err);
        answer_text(req, 400, text);
        return;
    }
    rpc_call *c = calloc(1, sizeof *c);
    if (!c) {
        free(name);
        json_decref(params);
        pm_http_answer(req, 500, "text/plain", NULL, 0);
        return;
    }
    *c = (rpc_call){.d = daemon, .method = name, .params = params, .finish = answer_http, .req = req};
    pm_http_on_cancel(req, request_cancelled, c);
    dispatch(c);
    free(name); /* no method keeps it past its first call */
}
