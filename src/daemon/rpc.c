/* The XML-RPC methods: a call is read, looked up in the table, its
 * parameters checked against the method's signature, and answered now or,
 * for a start or stop that waits, when the monitor is done. */
#include "rpc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xmlrpc.h"

#define WAIT_POLL_MS 50 /* how often a start that waits looks for RUNNING, as supervisord */

typedef struct call call;

/* Where a call's result goes: the HTTP answer, or a multicall's slot.  It
 * takes value (a fault: an object with faultCode and faultString). */
typedef void (*finish_fn)(call *c, json_t *value, bool fault);

struct call {
    pm_daemon *d;
    const char *method;
    json_t *params;
    finish_fn finish;
    pm_http_request *req; /* the top call's; NULL once the request is gone */
    struct multicall *multi;
    size_t slot;
    char name[256];       /* the process a waiting start or stop is about */
    uv_timer_t *poll;     /* a waiting start's look for RUNNING */
};

typedef struct multicall {
    call *parent;
    json_t *results;
    size_t pending;
} multicall;

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

static void done(call *c, json_t *value)
{
    c->finish(c, value, false);
}

/* As supervisord's RPCError: "NAME" or "NAME: extra". */
static void fault(call *c, int code, const char *extra)
{
    char text[512];
    if (extra)
        snprintf(text, sizeof text, "%s: %s", fault_name(code), extra);
    else
        snprintf(text, sizeof text, "%s", fault_name(code));
    c->finish(c, json_pack("{siso}", "faultCode", code, "faultString",
                           json_stringn_nocheck(text, strlen(text))),
              true);
}

static void handle_free(uv_handle_t *h)
{
    free(h);
}

static void call_free(call *c)
{
    if (c->poll)
        uv_close((uv_handle_t *)c->poll, handle_free);
    json_decref(c->params);
    free(c);
}

/* The top call's end: the HTTP answer. */
static void answer_http(call *c, json_t *value, bool is_fault)
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
    ((call *)arg)->req = NULL;
}

/* ---- processes ---- */

/* The process `name`, as supervisord names it ("group:name", or "name"
 * where the group is the program): 0, or -1 after a BAD_NAME fault. */
static int find(call *c, const char *name, pm_status *st)
{
    if (pm_daemon_find(c->d, name, st) == 0)
        return 0;
    fault(c, PM_FAULT_BAD_NAME, name);
    return -1;
}

/* supervisord's state codes and names. */
static int state_code(pm_state s)
{
    static const int codes[] = {[PM_STATE_STOPPED] = 0, [PM_STATE_STARTING] = 10, [PM_STATE_RUNNING] = 20,
                                [PM_STATE_BACKOFF] = 30, [PM_STATE_STOPPING] = 40, [PM_STATE_EXITED] = 100,
                                [PM_STATE_FATAL] = 200};
    return codes[s];
}

static const char *state_name(pm_state s)
{
    static const char *const names[] = {[PM_STATE_STOPPED] = "STOPPED", [PM_STATE_STARTING] = "STARTING",
                                        [PM_STATE_RUNNING] = "RUNNING", [PM_STATE_BACKOFF] = "BACKOFF",
                                        [PM_STATE_STOPPING] = "STOPPING", [PM_STATE_EXITED] = "EXITED",
                                        [PM_STATE_FATAL] = "FATAL"};
    return names[s];
}

/* RUNNING_STATES in supervisord: a start is refused, a stop goes ahead. */
static bool is_running_state(pm_state s)
{
    return s == PM_STATE_RUNNING || s == PM_STATE_STARTING || s == PM_STATE_BACKOFF;
}

/* What supervisorctl prints after the state, as rpcinterface.py writes it. */
static void describe(const pm_status *st, const pm_procdata *pd, time_t now, const char *name, char *out,
                     size_t len)
{
    if (st->state == PM_STATE_RUNNING) {
        long up = pd && pd->last_start && now > pd->last_start ? (long)(now - pd->last_start) : 0;
        long days = up / 86400, rest = up % 86400;
        char d[32] = "";
        if (days)
            snprintf(d, sizeof d, "%ld day%s, ", days, days == 1 ? "" : "s");
        snprintf(out, len, "pid %d, uptime %s%ld:%02ld:%02ld", (int)st->pid, d, rest / 3600, rest / 60 % 60,
                 rest % 60);
    } else if (st->state == PM_STATE_FATAL || st->state == PM_STATE_BACKOFF) {
        if (pd && pd->spawn_error)
            snprintf(out, len, "%s", pd->spawn_error);
        else
            snprintf(out, len, "unknown error (try \"tail %s\")", name);
    } else if (st->state == PM_STATE_STOPPED || st->state == PM_STATE_EXITED) {
        struct tm tm;
        if (pd && pd->last_start && localtime_r(&pd->last_stop, &tm))
            strftime(out, len, "%b %d %I:%M %p", &tm);
        else
            snprintf(out, len, "Not started");
    } else {
        out[0] = '\0';
    }
}

/* Names, paths and messages as they are: a byte that is not UTF-8 is made
 * valid when the answer is written (xmlrpc.h), not a reason to fail. */
static json_t *text(const char *s)
{
    return json_stringn_nocheck(s, strlen(s));
}

static const char *log_path(const pm_output *o)
{
    return o->kind == PM_OUT_FILE && o->path ? o->path : "";
}

static json_t *process_info(const pm_status *st)
{
    const pm_procdata *pd = st->user_data;
    const char *colon = strchr(st->name, ':');
    char group[256];
    snprintf(group, sizeof group, "%.*s", colon ? (int)(colon - st->name) : (int)strlen(st->name), st->name);
    const char *name = colon ? colon + 1 : st->name;
    time_t now = time(NULL);
    char desc[256];
    describe(st, pd, now, name, desc, sizeof desc);
    const char *out_log = pd ? log_path(&pd->out) : "";
    const char *err_log = pd ? log_path(pd->redirect_stderr ? &pd->out : &pd->err) : "";
    return json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:i,s:s,s:o,s:i,s:o,s:o,s:o,s:i}", "name", text(name), "group",
                     text(group), "description", text(desc), "start", (json_int_t)(pd ? pd->last_start : 0),
                     "stop", (json_int_t)(pd ? pd->last_stop : 0), "now", (json_int_t)now, "state",
                     state_code(st->state), "statename", state_name(st->state), "spawnerr",
                     text(pd && pd->spawn_error ? pd->spawn_error : ""), "exitstatus",
                     st->exit_signal ? -1 : st->exit_status < 0 ? 0 : st->exit_status, "logfile", text(out_log),
                     "stdout_logfile", text(out_log), "stderr_logfile", text(err_log), "pid", (int)st->pid);
}

/* ---- parameters ---- */

/* Checks the parameters against `types` (s string, b boolean, i integer,
 * a array; after '|' optional ones): true, or false after an
 * INCORRECT_PARAMETERS fault. */
static bool params_are(call *c, const char *types)
{
    size_t n = json_array_size(c->params), i = 0;
    for (const char *t = types; *t && i < n; t++) {
        if (*t == '|')
            continue;
        json_t *p = json_array_get(c->params, i++);
        if (!((*t == 's' && json_is_string(p)) || (*t == 'b' && json_is_boolean(p)) ||
              (*t == 'i' && json_is_integer(p)) || (*t == 'a' && json_is_array(p)))) {
            i = SIZE_MAX;
            break;
        }
    }
    if (i == n && n >= strcspn(types, "|"))
        return true;
    fault(c, PM_FAULT_INCORRECT_PARAMETERS, NULL);
    return false;
}

static const char *param_str(call *c, size_t i)
{
    return json_string_value(json_array_get(c->params, i));
}

/* An optional boolean, true when absent (supervisord's wait=True). */
static bool param_wait(call *c, size_t i)
{
    json_t *p = json_array_get(c->params, i);
    return !p || json_is_true(p);
}

/* ---- the supervisor.* methods ---- */

static void api_version(call *c)
{
    if (params_are(c, ""))
        done(c, json_string("3.0"));
}

static void supervisor_version(call *c)
{
    if (params_are(c, ""))
        done(c, json_string(PM_VERSION));
}

static void identification(call *c)
{
    if (params_are(c, ""))
        done(c, json_string("supervisor"));
}

static void get_state(call *c)
{
    if (!params_are(c, ""))
        return;
    bool stopping = c->d->stopping;
    done(c, json_pack("{s:i,s:s}", "statecode", stopping ? -1 : 1, "statename", stopping ? "SHUTDOWN" : "RUNNING"));
}

/* The request a call belongs to: its own, or its multicall's. */
static pm_http_request *top_request(call *c)
{
    while (c->multi)
        c = c->multi->parent;
    return c->req;
}

static void shutdown_now(void *daemon)
{
    pm_logstream_message(((pm_daemon *)daemon)->log, "shutdown asked for over XML-RPC");
    pm_daemon_shutdown(daemon, NULL);
}

/* As supervisord: true at once, and procmon stops every program and exits
 * once the answer is out. */
static void shutdown_method(call *c)
{
    if (!params_are(c, ""))
        return;
    if (c->d->stopping) {
        fault(c, PM_FAULT_SHUTDOWN_STATE, NULL);
        return;
    }
    pm_http_request *req = top_request(c);
    if (req)
        pm_http_on_done(req, shutdown_now, c->d);
    done(c, json_true());
}

static void get_pid(call *c)
{
    if (params_are(c, ""))
        done(c, json_integer(getpid()));
}

static void get_process_info(call *c)
{
    pm_status st;
    if (params_are(c, "s") && find(c, param_str(c, 0), &st) == 0)
        done(c, process_info(&st));
}

typedef struct info_list {
    json_t **items;
    size_t n;
} info_list;

static void collect_info(void *arg, const pm_status *st)
{
    info_list *l = arg;
    json_t *info = process_info(st);
    if (info)
        l->items[l->n++] = info;
}

static int by_group_and_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r = strcmp(json_string_value(json_object_get(x, "group")), json_string_value(json_object_get(y, "group")));
    return r ? r : strcmp(json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(y, "name")));
}

/* In supervisord's order: by group, then by name. */
static void get_all_process_info(call *c)
{
    if (!params_are(c, ""))
        return;
    info_list l = {calloc(pm_monitor_count(c->d->mon) + 1, sizeof *l.items), 0};
    json_t *all = json_array();
    if (l.items && all) {
        pm_monitor_foreach(c->d->mon, collect_info, &l);
        qsort(l.items, l.n, sizeof *l.items, by_group_and_name);
    }
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(all, l.items[i]);
    if (!l.items) { /* answered 500 */
        json_decref(all);
        all = NULL;
    }
    free(l.items);
    done(c, all);
}

/* A start that waits: after the monitor's word that it is up, until
 * RUNNING (past startsecs), as supervisord's onwait. */
/* A start that ended badly: as supervisord, a spawn error if the process
 * could not be spawned or died too quickly, else an abnormal termination. */
static void start_failed(call *c)
{
    pm_status st;
    bool spawnerr = pm_monitor_status(c->d->mon, c->name, &st) == 0 && st.user_data &&
                    ((const pm_procdata *)st.user_data)->spawn_error;
    fault(c, spawnerr ? PM_FAULT_SPAWN_ERROR : PM_FAULT_ABNORMAL_TERMINATION, c->name);
}

static void look_for_running(uv_timer_t *t)
{
    call *c = t->data;
    pm_status st;
    if (pm_monitor_status(c->d->mon, c->name, &st) < 0)
        fault(c, PM_FAULT_BAD_NAME, c->name);
    else if (st.state == PM_STATE_RUNNING)
        done(c, json_true());
    else if (st.state != PM_STATE_STARTING)
        start_failed(c);
    else
        return;
    uv_timer_stop(t);
}

static void started(void *arg, int result)
{
    call *c = arg;
    if (result == -ECHILD || result == -ETIMEDOUT || result == -ENOLINK) {
        start_failed(c); /* it ran, and ended or gave up before RUNNING */
        return;
    }
    if (result < 0) {
        fault(c, PM_FAULT_SPAWN_ERROR, c->name);
        return;
    }
    if (!(c->poll = malloc(sizeof *c->poll))) {
        done(c, NULL);
        return;
    }
    uv_timer_init(&c->d->loop, c->poll);
    c->poll->data = c;
    uv_timer_start(c->poll, look_for_running, 0, WAIT_POLL_MS);
}

/* The PATH the program's command is looked up on: its own, else procmon's. */
static const char *path_of(const pm_spec *spec)
{
    for (char **e = spec->env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    const char *p = spec->clear_env ? NULL : getenv("PATH");
    return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

/* As supervisord before it spawns: a command that cannot be found is a
 * NO_FILE fault, one that cannot be executed NOT_EXECUTABLE.  0 or -1. */
static int check_command(call *c, const pm_spec *spec)
{
    const char *cmd = spec->argv && spec->argv[0] ? spec->argv[0] : "";
    char found[4096], why[4200];
    if (strchr(cmd, '/')) {
        snprintf(found, sizeof found, "%s", cmd);
    } else {
        found[0] = '\0';
        for (const char *dir = path_of(spec); *dir && !found[0];) {
            size_t len = strcspn(dir, ":");
            snprintf(found, sizeof found, "%.*s/%s", (int)len, dir, cmd);
            if (access(found, F_OK) < 0)
                found[0] = '\0';
            dir += len + (dir[len] == ':');
        }
        if (!found[0]) {
            snprintf(why, sizeof why, "can't find command '%s'", cmd);
            fault(c, PM_FAULT_NO_FILE, why);
            return -1;
        }
    }
    struct stat sb;
    if (stat(found, &sb) < 0) {
        snprintf(why, sizeof why, "can't find command '%s'", found);
        fault(c, PM_FAULT_NO_FILE, why);
        return -1;
    }
    if (S_ISDIR(sb.st_mode) || access(found, X_OK) < 0) {
        snprintf(why, sizeof why, "command at '%s' is %s", found, S_ISDIR(sb.st_mode) ? "a directory" : "not executable");
        fault(c, PM_FAULT_NOT_EXECUTABLE, why);
        return -1;
    }
    return 0;
}

static void start_process(call *c)
{
    pm_status st;
    if (!params_are(c, "s|b") || find(c, param_str(c, 0), &st) < 0 || check_command(c, st.spec) < 0)
        return;
    if (is_running_state(st.state)) {
        fault(c, PM_FAULT_ALREADY_STARTED, param_str(c, 0));
        return;
    }
    snprintf(c->name, sizeof c->name, "%s", st.name);
    int r = param_wait(c, 1) ? pm_monitor_start_notify(c->d->mon, st.name, started, c)
                             : pm_monitor_start(c->d->mon, st.name);
    if (r < 0)
        fault(c, PM_FAULT_SPAWN_ERROR, param_str(c, 0));
    else if (!param_wait(c, 1))
        done(c, json_true());
}

static void stopped(void *arg, int result)
{
    call *c = arg;
    if (result < 0)
        fault(c, PM_FAULT_FAILED, c->name);
    else
        done(c, json_true());
}

static void stop_process(call *c)
{
    pm_status st;
    if (!params_are(c, "s|b") || find(c, param_str(c, 0), &st) < 0)
        return;
    if (!is_running_state(st.state)) {
        fault(c, PM_FAULT_NOT_RUNNING, param_str(c, 0));
        return;
    }
    snprintf(c->name, sizeof c->name, "%s", st.name);
    bool wait = param_wait(c, 1);
    if (pm_monitor_stop(c->d->mon, st.name, wait ? stopped : NULL, wait ? c : NULL) < 0)
        fault(c, PM_FAULT_FAILED, param_str(c, 0));
    else if (!wait)
        done(c, json_true());
}

/* ---- the table, and the system.* methods that read it ---- */

typedef struct method {
    const char *name;
    void (*run)(call *c);
    const char *signature; /* return type, then the parameters' */
    const char *help;
} method;

static void list_methods(call *c);
static void method_help(call *c);
static void method_signature(call *c);
static void multicall_run(call *c);

static const method methods[] = {
    {"supervisor.getAPIVersion", api_version, "string", "The version of the RPC API: 3.0."},
    {"supervisor.getAllProcessInfo", get_all_process_info, "array", "Info about every process."},
    {"supervisor.getIdentification", identification, "string", "The identifying string: supervisor."},
    {"supervisor.getPID", get_pid, "int", "procmon's pid."},
    {"supervisor.getProcessInfo", get_process_info, "struct string", "Info about the process name."},
    {"supervisor.getState", get_state, "struct", "procmon's state: RUNNING, or SHUTDOWN once it stops."},
    {"supervisor.getSupervisorVersion", supervisor_version, "string", "procmon's version."},
    {"supervisor.getVersion", api_version, "string", "The version of the RPC API: 3.0."},
    {"supervisor.shutdown", shutdown_method, "boolean",
     "Stops every process, then procmon; answers true at once."},
    {"supervisor.startProcess", start_process, "boolean string boolean",
     "Starts the process name; with wait (the default), answers once it is RUNNING."},
    {"supervisor.stopProcess", stop_process, "boolean string boolean",
     "Stops the process name; with wait (the default), answers once it has stopped."},
    {"system.listMethods", list_methods, "array", "The methods' names."},
    {"system.methodHelp", method_help, "string string", "A method's help."},
    {"system.methodSignature", method_signature, "array string", "A method's signature."},
    {"system.multicall", multicall_run, "array array",
     "Runs each {methodName, params} in turn: [result] or a fault struct for each."},
};

static const method *method_find(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}

static void list_methods(call *c)
{
    if (!params_are(c, ""))
        return;
    json_t *names = json_array();
    for (size_t i = 0; names && i < sizeof methods / sizeof *methods; i++)
        json_array_append_new(names, json_string(methods[i].name));
    done(c, names);
}

static void method_help(call *c)
{
    if (!params_are(c, "s"))
        return;
    const method *m = method_find(param_str(c, 0));
    if (m)
        done(c, json_string(m->help));
    else
        fault(c, PM_FAULT_SIGNATURE_UNSUPPORTED, NULL);
}

static void method_signature(call *c)
{
    if (!params_are(c, "s"))
        return;
    const method *m = method_find(param_str(c, 0));
    if (!m) {
        fault(c, PM_FAULT_SIGNATURE_UNSUPPORTED, NULL);
        return;
    }
    json_t *types = json_array();
    for (const char *t = m->signature; types && *t;) {
        size_t len = strcspn(t, " ");
        json_array_append_new(types, json_stringn(t, len));
        t += len + (t[len] == ' ');
    }
    done(c, json_pack("[o]", types));
}

static void dispatch(call *c)
{
    const method *m = method_find(c->method);
    if (m)
        m->run(c);
    else
        fault(c, PM_FAULT_UNKNOWN_METHOD, NULL);
}

/* ---- system.multicall ---- */

static void multicall_end(multicall *mc)
{
    call *parent = mc->parent;
    json_t *results = mc->results;
    free(mc);
    done(parent, results);
}

static void multicall_finish(call *c, json_t *value, bool is_fault)
{
    multicall *mc = c->multi;
    json_array_set_new(mc->results, c->slot, is_fault || !value ? value : json_pack("[o]", value));
    call_free(c);
    if (--mc->pending == 0)
        multicall_end(mc);
}

static void multicall_run(call *c)
{
    if (!params_are(c, "a"))
        return;
    json_t *calls = json_array_get(c->params, 0);
    size_t n = json_array_size(calls);
    multicall *mc = calloc(1, sizeof *mc);
    if (!mc || !(mc->results = json_array())) {
        free(mc);
        done(c, NULL);
        return;
    }
    mc->parent = c;
    mc->pending = n + 1; /* and one for this loop, so that it ends after it */
    for (size_t i = 0; i < n; i++)
        json_array_append_new(mc->results, json_null());
    for (size_t i = 0; i < n; i++) {
        call *sub = calloc(1, sizeof *sub);
        if (!sub) {
            json_array_set_new(mc->results, i, NULL);
            mc->pending--;
            continue;
        }
        json_t *one = json_array_get(calls, i);
        const char *name = json_string_value(json_object_get(one, "methodName"));
        json_t *params = json_object_get(one, "params");
        *sub = (call){.d = c->d, .method = name ? name : "", .finish = multicall_finish, .multi = mc, .slot = i};
        sub->params = json_is_array(params) ? json_incref(params) : json_array();
        if (!name || !json_is_array(params))
            fault(sub, PM_FAULT_INCORRECT_PARAMETERS, NULL);
        else if (strcmp(name, "system.multicall") == 0)
            fault(sub, PM_FAULT_INCORRECT_PARAMETERS, "Recursive system.multicall forbidden");
        else
            dispatch(sub);
    }
    if (--mc->pending == 0)
        multicall_end(mc);
}

/* ---- HTTP ---- */

static void answer_text(pm_http_request *req, unsigned status, const char *text)
{
    pm_http_answer(req, status, "text/plain", strdup(text), strlen(text));
}

void pm_rpc_handle(void *daemon, pm_http_request *req)
{
    if (strcmp(pm_http_path(req), "/RPC2") != 0) {
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
    call *c = calloc(1, sizeof *c);
    if (!c) {
        free(name);
        json_decref(params);
        pm_http_answer(req, 500, "text/plain", NULL, 0);
        return;
    }
    *c = (call){.d = daemon, .method = name, .params = params, .finish = answer_http, .req = req};
    pm_http_on_cancel(req, request_cancelled, c);
    dispatch(c);
    free(name); /* no method keeps it past its first call */
}
