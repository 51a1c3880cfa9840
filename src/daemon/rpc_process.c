/* The XML-RPC methods about processes: their info and configuration, and
 * start, stop and signal of one, a group or all, as supervisord answers
 * them.  A process is named as supervisord names it: "group:name", or
 * "name" when the two are equal; "group:*" (or "group:") is its group. */
#include "rpc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "logsource.h"
#include "namespec.h"
#include "parse.h"

#define WAIT_POLL_MS 50 /* how often a start that waits looks for RUNNING, as supervisord */

/* ---- names ---- */

/* {name, group}, as in a group method's status structs. */
static json_t *who(const pm_status *st)
{
    char buf[256];
    const char *group = pm_namespec_group(st, buf, sizeof buf);
    return json_pack("{s:o,s:o}", "name", rpc_text(pm_namespec_name(st, group)), "group", rpc_text(group));
}

/* The process spec names: 0, 1 when it names a group, or -1 after a
 * BAD_NAME fault. */
static int find(rpc_call *c, const char *spec, pm_status *st)
{
    int r = pm_namespec_find(c->d, spec, st);
    if (r < 0)
        rpc_fault(c, PM_FAULT_BAD_NAME, spec);
    return r;
}

int rpc_find_process(rpc_call *c, const char *spec, pm_status *st)
{
    int r = find(c, spec, st);
    if (r == 1)
        rpc_fault(c, PM_FAULT_BAD_NAME, spec); /* a group where a process was asked for */
    return r == 0 ? 0 : -1;
}

/* ---- members: a group's, or all, in supervisord's order ---- */

typedef struct members {
    pm_status *list;
    size_t count;
    const char *group; /* NULL: every process */
    size_t group_len;
} members;

static void collect_member(void *arg, const pm_status *st)
{
    members *m = arg;
    char buf[256];
    const char *group = pm_namespec_group(st, buf, sizeof buf);
    if (!m->group || (strlen(group) == m->group_len && strncmp(group, m->group, m->group_len) == 0))
        m->list[m->count++] = *st;
}

/* Lower priority first, as supervisord sorts processes; then by name. */
static int by_priority(const void *a, const void *b)
{
    const pm_status *x = a, *y = b;
    if (x->spec->priority != y->spec->priority)
        return x->spec->priority < y->spec->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The members (group: "g" of length len, or NULL for all): 0, or -1 after
 * answering c when out of memory. */
static int members_of(rpc_call *c, const char *group, size_t len, members *m)
{
    *m = (members){calloc(pm_monitor_count(c->d->mon) + 1, sizeof *m->list), 0, group, len};
    if (!m->list) {
        rpc_done(c, NULL);
        return -1;
    }
    pm_monitor_foreach(c->d->mon, collect_member, m);
    qsort(m->list, m->count, sizeof *m->list, by_priority);
    return 0;
}

/* ---- info ---- */

/* supervisord's state codes and names. */
static int state_code(pm_state s)
{
    static const int codes[] = {[PM_STATE_STOPPED] = 0, [PM_STATE_STARTING] = 10, [PM_STATE_RUNNING] = 20,
                                [PM_STATE_BACKOFF] = 30, [PM_STATE_STOPPING] = 40, [PM_STATE_EXITED] = 100,
                                [PM_STATE_FATAL] = 200};
    return codes[s];
}


/* RUNNING_STATES in supervisord: a start is refused, a stop goes ahead. */
static bool is_running_state(pm_state s)
{
    return s == PM_STATE_RUNNING || s == PM_STATE_STARTING || s == PM_STATE_BACKOFF;
}

/* SIGNALLABLE_STATES: a process is there to take a signal. */
static bool is_signallable(pm_state s)
{
    return s == PM_STATE_RUNNING || s == PM_STATE_STARTING || s == PM_STATE_STOPPING;
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

static json_t *process_info(const pm_status *st)
{
    const pm_procdata *pd = st->user_data;
    char buf[256], desc[256];
    const char *group = pm_namespec_group(st, buf, sizeof buf), *name = pm_namespec_name(st, group);
    time_t now = time(NULL);
    describe(st, pd, now, name, desc, sizeof desc);
    const char *out_log = pm_log_path(st, false);
    return json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:i,s:s,s:o,s:i,s:o,s:o,s:o,s:i}", "name", rpc_text(name), "group",
                     rpc_text(group), "description", rpc_text(desc), "start",
                     (json_int_t)(pd ? pd->last_start : 0), "stop", (json_int_t)(pd ? pd->last_stop : 0), "now",
                     (json_int_t)now, "state", state_code(st->state), "statename", pm_namespec_state(st->state),
                     "spawnerr", rpc_text(pd && pd->spawn_error ? pd->spawn_error : ""), "exitstatus",
                     st->exit_signal ? -1 : st->exit_status < 0 ? 0 : st->exit_status, "logfile",
                     rpc_text(out_log), "stdout_logfile", rpc_text(out_log), "stderr_logfile",
                     rpc_text(pm_log_path(st, true)), "pid", (int)st->pid);
}

void rpc_get_process_info(rpc_call *c)
{
    pm_status st;
    if (rpc_params_are(c, "s") && rpc_find_process(c, rpc_param_str(c, 0), &st) == 0)
        rpc_done(c, process_info(&st));
}

static int by_group_and_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r = strcmp(json_string_value(json_object_get(x, "group")), json_string_value(json_object_get(y, "group")));
    return r ? r : strcmp(json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(y, "name")));
}

/* infos of every process, sorted by `order` */
static void answer_each(rpc_call *c, json_t *(*info)(const pm_daemon *d, const pm_status *st),
                        int (*order)(const void *, const void *))
{
    members m;
    if (members_of(c, NULL, 0, &m) < 0)
        return;
    json_t **items = calloc(m.count + 1, sizeof *items), *all = json_array();
    size_t n = 0;
    for (size_t i = 0; items && all && i < m.count; i++)
        if ((items[n] = info(c->d, &m.list[i])))
            n++;
    if (items)
        qsort(items, n, sizeof *items, order);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(all, items[i]);
    if (!items) { /* answered 500 */
        json_decref(all);
        all = NULL;
    }
    free(items);
    free(m.list);
    rpc_done(c, all);
}

static json_t *all_info_of(const pm_daemon *d, const pm_status *st)
{
    (void)d;
    return process_info(st);
}

/* In supervisord's order: by group, then by name. */
void rpc_get_all_process_info(rpc_call *c)
{
    if (rpc_params_are(c, ""))
        answer_each(c, all_info_of, by_group_and_name);
}

/* What supervisord's getAllConfigInfo tells of a process, where procmon
 * knows it; "none" where supervisord would say None. */
static json_t *config_info_of(const pm_daemon *d, const pm_status *st)
{
    const pm_spec *s = st->spec;
    const pm_procdata *pd = st->user_data;
    const pm_options *opts = &d->settings->opts;
    char buf[256], command[4096] = "";
    const char *group = pm_namespec_group(st, buf, sizeof buf);
    size_t used = 0;
    for (char **a = s->argv; a && *a && used < sizeof command; a++)
        used += (size_t)snprintf(command + used, sizeof command - used, "%s%s", a == s->argv ? "" : " ", *a);
    json_t *exitcodes = json_array();
    for (int code = 0; exitcodes && code < 256; code++)
        if (pm_spec_exitcode_expected(s, code))
            json_array_append_new(exitcodes, json_integer(code));
    const char *out = pm_log_path(st, false), *err = pm_log_path(st, true);
    const pm_output none = {0}, *o = pd ? &pd->out : &none, *e = pd ? &pd->err : &none;
    json_t *info = json_object();
    struct { const char *key; json_t *value; } fields[] = {
        {"name", rpc_text(pm_namespec_name(st, group))},
        {"group", rpc_text(group)},
        {"inuse", json_true()},
        {"command", rpc_text(command)},
        {"directory", rpc_text(s->cwd ? s->cwd : "none")},
        {"uid", rpc_text(s->user ? s->user : "none")},
        {"autostart", json_boolean(s->autostart)},
        {"exitcodes", exitcodes},
        {"process_prio", json_integer(s->priority)},
        {"group_prio", json_integer(s->priority)},
        {"killasgroup", json_boolean(s->signal_group)},
        {"redirect_stderr", json_boolean(pd && pd->redirect_stderr)},
        {"startretries", json_integer(s->start_retries)},
        {"startsecs", json_integer((json_int_t)(s->threshold < 0 ? opts->threshold : s->threshold))},
        {"stopsignal", json_integer(s->stop_signal)},
        {"stopwaitsecs", json_integer((json_int_t)(s->kill_time < 0 ? opts->kill_time : s->kill_time))},
        {"stdout_logfile", rpc_text(*out ? out : "none")},
        {"stdout_logfile_maxbytes", json_integer(o->maxbytes)},
        {"stdout_logfile_backups", json_integer(o->backups)},
        {"stderr_logfile", rpc_text(*err ? err : "none")},
        {"stderr_logfile_maxbytes", json_integer(e->maxbytes)},
        {"stderr_logfile_backups", json_integer(e->backups)},
        {"stdout_capture_maxbytes", json_integer(0)},
        {"stderr_capture_maxbytes", json_integer(0)},
        {"stdout_events_enabled", json_false()},
        {"stderr_events_enabled", json_false()},
        {"stdout_syslog", json_false()},
        {"stderr_syslog", json_false()},
        {"serverurl", json_string("AUTO")},
    };
    bool ok = info != NULL;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (ok && fields[i].value) {
            ok = json_object_set_new(info, fields[i].key, fields[i].value) == 0;
        } else {
            json_decref(fields[i].value);
            ok = false;
        }
    }
    if (!ok) {
        json_decref(info);
        return NULL;
    }
    return info;
}

static int by_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(y, "name")));
}

/* In supervisord's order: by name. */
void rpc_get_all_config_info(rpc_call *c)
{
    if (rpc_params_are(c, ""))
        answer_each(c, config_info_of, by_name);
}

/* ---- start ---- */

/* A start that ended badly: as supervisord, a spawn error if the process
 * could not be spawned or died too quickly, else an abnormal termination. */
static void start_failed(rpc_call *c)
{
    pm_status st;
    bool spawnerr = pm_monitor_status(c->d->mon, c->name, &st) == 0 && st.user_data &&
                    ((const pm_procdata *)st.user_data)->spawn_error;
    rpc_fault(c, spawnerr ? PM_FAULT_SPAWN_ERROR : PM_FAULT_ABNORMAL_TERMINATION, rpc_param_str(c, 0));
}

/* A start that waits: after the monitor's word that it is up, until
 * RUNNING (past startsecs), as supervisord's onwait. */
static void look_for_running(uv_timer_t *t)
{
    rpc_call *c = t->data;
    pm_status st;
    if (pm_monitor_status(c->d->mon, c->name, &st) < 0)
        rpc_fault(c, PM_FAULT_BAD_NAME, rpc_param_str(c, 0));
    else if (st.state == PM_STATE_RUNNING)
        rpc_done(c, json_true());
    else if (st.state != PM_STATE_STARTING)
        start_failed(c);
    else
        return;
    uv_timer_stop(t);
}

static void started(void *arg, int result)
{
    rpc_call *c = arg;
    if (result == -ECHILD || result == -ETIMEDOUT || result == -ENOLINK) {
        start_failed(c); /* it ran, and ended or gave up before RUNNING */
        return;
    }
    if (result < 0) {
        rpc_fault(c, PM_FAULT_SPAWN_ERROR, rpc_param_str(c, 0));
        return;
    }
    if (!(c->poll = malloc(sizeof *c->poll))) {
        rpc_done(c, NULL);
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
static int check_command(rpc_call *c, const pm_spec *spec)
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
            rpc_fault(c, PM_FAULT_NO_FILE, why);
            return -1;
        }
    }
    struct stat sb;
    if (stat(found, &sb) < 0) {
        snprintf(why, sizeof why, "can't find command '%s'", found);
        rpc_fault(c, PM_FAULT_NO_FILE, why);
        return -1;
    }
    if (S_ISDIR(sb.st_mode) || access(found, X_OK) < 0) {
        snprintf(why, sizeof why, "command at '%s' is %s", found, S_ISDIR(sb.st_mode) ? "a directory" : "not executable");
        rpc_fault(c, PM_FAULT_NOT_EXECUTABLE, why);
        return -1;
    }
    return 0;
}

/* c's first parameter names st; the second says whether to wait. */
static void start_one(rpc_call *c, const pm_status *st)
{
    if (check_command(c, st->spec) < 0)
        return;
    if (is_running_state(st->state)) {
        rpc_fault(c, PM_FAULT_ALREADY_STARTED, rpc_param_str(c, 0));
        return;
    }
    snprintf(c->name, sizeof c->name, "%s", st->name);
    bool wait = rpc_param_wait(c, 1);
    int r = wait ? pm_monitor_start_notify(c->d->mon, st->name, started, c) : pm_monitor_start(c->d->mon, st->name);
    if (r < 0)
        rpc_fault(c, PM_FAULT_SPAWN_ERROR, rpc_param_str(c, 0));
    else if (!wait)
        rpc_done(c, json_true());
}

/* ---- stop ---- */

static void stopped(void *arg, int result)
{
    rpc_call *c = arg;
    if (result < 0)
        rpc_fault(c, PM_FAULT_FAILED, rpc_param_str(c, 0));
    else
        rpc_done(c, json_true());
}

static void stop_one(rpc_call *c, const pm_status *st)
{
    if (!is_running_state(st->state)) {
        rpc_fault(c, PM_FAULT_NOT_RUNNING, rpc_param_str(c, 0));
        return;
    }
    snprintf(c->name, sizeof c->name, "%s", st->name);
    bool wait = rpc_param_wait(c, 1);
    if (pm_monitor_stop(c->d->mon, st->name, wait ? stopped : NULL, wait ? c : NULL) < 0)
        rpc_fault(c, PM_FAULT_FAILED, rpc_param_str(c, 0));
    else if (!wait)
        rpc_done(c, json_true());
}

/* ---- signal ---- */

static void signal_one(rpc_call *c, const pm_status *st)
{
    const char *text = rpc_param_str(c, 1);
    int sig = pm_parse_signal(text);
    if (sig <= 0) {
        rpc_fault(c, PM_FAULT_BAD_SIGNAL, text);
        return;
    }
    if (!is_signallable(st->state)) {
        rpc_fault(c, PM_FAULT_NOT_RUNNING, rpc_param_str(c, 0));
        return;
    }
    int r = pm_monitor_signal(c->d->mon, st->name, sig);
    if (r < 0)
        rpc_fault(c, PM_FAULT_FAILED, strerror(-r));
    else
        rpc_done(c, json_true());
}

/* ---- one, a group, or all ---- */

typedef struct operation {
    const char *types;                            /* the method's parameters */
    void (*one)(rpc_call *c, const pm_status *st); /* on a process named by parameter 0 */
    bool (*wanted)(pm_state s);                   /* which members a group's call takes */
} operation;

static bool is_not_running_state(pm_state s)
{
    return !is_running_state(s);
}

static const operation start_op = {"s|b", start_one, is_not_running_state};
static const operation stop_op = {"s|b", stop_one, is_running_state};
static const operation signal_op = {"ss", signal_one, is_signallable};

/* The members (group: "g" of len, or NULL: all) that op wants, each a part
 * with c's parameters but its own namespec first. */
static void run_on_members(rpc_call *c, const operation *op, const char *group, size_t len)
{
    members m;
    if (members_of(c, group, len, &m) < 0)
        return;
    rpc_fanout *f = rpc_fanout_new(c);
    for (size_t i = 0; f && i < m.count; i++) {
        if (!op->wanted(m.list[i].state))
            continue;
        char spec[512];
        pm_namespec_of(&m.list[i], spec, sizeof spec);
        json_t *params = json_deep_copy(c->params);
        if (params)
            json_array_set_new(params, 0, rpc_text(spec));
        rpc_call *part = rpc_fanout_part(f, who(&m.list[i]), params);
        if (part)
            op->one(part, &m.list[i]);
    }
    if (f)
        rpc_fanout_close(f);
    free(m.list);
}

/* startProcess, stopProcess, signalProcess: "g:*" is the group's call. */
static void run_named(rpc_call *c, const operation *op)
{
    pm_status st;
    if (!rpc_params_are(c, op->types))
        return;
    const char *spec = rpc_param_str(c, 0);
    int r = find(c, spec, &st);
    if (r == 0)
        op->one(c, &st);
    else if (r == 1)
        run_on_members(c, op, spec, strcspn(spec, ":"));
}

/* startProcessGroup, stopProcessGroup, signalProcessGroup. */
static void run_group(rpc_call *c, const operation *op)
{
    if (!rpc_params_are(c, op->types))
        return;
    const char *group = rpc_param_str(c, 0);
    char spec[512];
    pm_status st;
    snprintf(spec, sizeof spec, "%s:*", group);
    if (strchr(group, ':') || pm_namespec_find(c->d, spec, &st) != 1)
        rpc_fault(c, PM_FAULT_BAD_NAME, group);
    else
        run_on_members(c, op, group, strlen(group));
}

/* startAllProcesses, stopAllProcesses ([wait]), signalAllProcesses (signal):
 * the parts take a namespec in front of these parameters. */
static void run_all(rpc_call *c, const operation *op)
{
    if (!rpc_params_are(c, op->types + 1)) /* the same less the name */
        return;
    json_t *params = json_array();
    if (!params || json_array_append_new(params, json_null()) < 0 || json_array_extend(params, c->params) < 0) {
        json_decref(params);
        rpc_done(c, NULL);
        return;
    }
    json_decref(c->params);
    c->params = params;
    run_on_members(c, op, NULL, 0);
}

void rpc_start_process(rpc_call *c) { run_named(c, &start_op); }
void rpc_start_process_group(rpc_call *c) { run_group(c, &start_op); }
void rpc_start_all_processes(rpc_call *c) { run_all(c, &start_op); }
void rpc_stop_process(rpc_call *c) { run_named(c, &stop_op); }
void rpc_stop_process_group(rpc_call *c) { run_group(c, &stop_op); }
void rpc_stop_all_processes(rpc_call *c) { run_all(c, &stop_op); }
void rpc_signal_process(rpc_call *c) { run_named(c, &signal_op); }
void rpc_signal_process_group(rpc_call *c) { run_group(c, &signal_op); }
void rpc_signal_all_processes(rpc_call *c) { run_all(c, &signal_op); }

static bool any_state(pm_state s)
{
    (void)s;
    return true;
}

void rpc_run_on_all(rpc_call *c, void (*one)(rpc_call *part, const pm_status *st))
{
    const operation op = {"s", one, any_state};
    run_all(c, &op);
}

/* As supervisord: NOT_RUNNING without a process, NO_FILE when its stdin is
 * closed (or it has none: no HTTP listener was configured). */
void rpc_send_process_stdin(rpc_call *c)
{
    pm_status st;
    if (!rpc_params_are(c, "ss") || rpc_find_process(c, rpc_param_str(c, 0), &st) < 0)
        return;
    json_t *chars = json_array_get(c->params, 1);
    int r = st.state == PM_STATE_STOPPING
                ? -ESRCH /* supervisord's "killing" */
                : pm_monitor_write_input(c->d->mon, st.name, json_string_value(chars), json_string_length(chars));
    if (r == -ESRCH)
        rpc_fault(c, PM_FAULT_NOT_RUNNING, rpc_param_str(c, 0));
    else if (r == -EPIPE)
        rpc_fault(c, PM_FAULT_NO_FILE, rpc_param_str(c, 0));
    else if (r < 0)
        rpc_fault(c, PM_FAULT_FAILED, r == -EAGAIN ? "a megabyte sent earlier still waits to be read" : strerror(-r));
    else
        rpc_done(c, json_true());
}
