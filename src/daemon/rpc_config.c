/* supervisorctl's reread and update: reloadConfig reads the config file
 * again and tells which groups it adds, changes or removes, and keeps
 * that reading; addProcessGroup and removeProcessGroup then bring one
 * group at a time in line, as supervisord does.  (procmon's own `reload`
 * does all of it at once: reload.c.) */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "namespec.h"
#include "spec.h"
#include "startup.h"

/* ---- the groups running, and the groups of the file ---- */

typedef struct group_scan {
    const char *group;  /* the one looked for, or NULL */
    bool from_config;   /* only processes the file made */
    pm_status *found;   /* its members (room for every process), or NULL */
    size_t count;
    json_t *names;      /* with group NULL: every group's name, once */
} group_scan;

static bool listed(const json_t *names, const char *name)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
        if (strcmp(json_string_value(n), name) == 0)
            return true;
    return false;
}

static void scan_one(void *arg, const pm_status *st)
{
    group_scan *s = arg;
    const pm_procdata *pd = st->user_data;
    char buf[256];
    const char *group = pm_namespec_group(st, buf, sizeof buf);
    if (s->from_config && !(pd && pd->from_config))
        return;
    if (!s->group) {
        if (!listed(s->names, group))
            json_array_append_new(s->names, rpc_text(group));
        return;
    }
    if (strcmp(group, s->group) != 0)
        return;
    if (s->found)
        s->found[s->count] = *st;
    s->count++;
}

static size_t members_running(pm_daemon *d, const char *group, bool from_config, pm_status *found)
{
    group_scan s = {.group = group, .from_config = from_config, .found = found};
    pm_monitor_foreach(d->mon, scan_one, &s);
    return s.count;
}

static bool in_file(const pm_config *cfg, const char *group)
{
    for (size_t i = 0; i < cfg->nprograms; i++)
        if (strcmp(cfg->programs[i].group_name, group) == 0)
            return true;
    return false;
}

/* Whether the file's group differs from the one running: another member,
 * or a member's settings or outputs. */
static bool group_changed(pm_daemon *d, const pm_config *cfg, const char *group)
{
    size_t in_cfg = 0;
    for (size_t i = 0; i < cfg->nprograms; i++) {
        const pm_program *p = &cfg->programs[i];
        if (strcmp(p->group_name, group) != 0)
            continue;
        in_cfg++;
        pm_status st;
        if (pm_monitor_status(d->mon, p->name, &st) < 0 || !st.user_data ||
            !((const pm_procdata *)st.user_data)->from_config || !pm_spec_equal(st.spec, &p->spec) ||
            !pm_daemon_outputs_equal(st.user_data, p))
            return true;
    }
    return in_cfg != members_running(d, group, true, NULL);
}

/* ---- reloadConfig ---- */

void rpc_reload_config(rpc_call *c)
{
    if (!rpc_params_are(c, ""))
        return;
    pm_daemon *d = c->d;
    const char *path = d->settings->config_path;
    pm_config *cfg = calloc(1, sizeof *cfg);
    char err[512] = "no config file";
    if (!cfg || !path || pm_config_load_in(path, pm_startup_folder(), cfg, err, sizeof err) < 0) {
        free(cfg);
        rpc_fault(c, PM_FAULT_CANT_REREAD, err);
        return;
    }
    if (d->reread)
        pm_config_free(d->reread);
    free(d->reread);
    d->reread = cfg;
    json_t *added = json_array(), *changed = json_array(), *removed = json_array();
    group_scan running = {.from_config = true, .names = json_array()};
    pm_monitor_foreach(d->mon, scan_one, &running);
    size_t i;
    json_t *name;
    json_array_foreach(running.names, i, name) {
        const char *group = json_string_value(name);
        if (!in_file(cfg, group))
            json_array_append(removed, name);
        else if (group_changed(d, cfg, group))
            json_array_append(changed, name);
    }
    for (size_t k = 0; k < cfg->nprograms; k++) {
        const char *group = cfg->programs[k].group_name;
        if (!listed(added, group) && members_running(d, group, true, NULL) == 0)
            json_array_append_new(added, rpc_text(group));
    }
    json_decref(running.names);
    rpc_done(c, json_pack("[[o,o,o]]", added, changed, removed));
}

/* ---- addProcessGroup, removeProcessGroup ---- */

void rpc_add_process_group(rpc_call *c)
{
    if (!rpc_params_are(c, "s"))
        return;
    pm_daemon *d = c->d;
    const char *group = rpc_param_str(c, 0);
    if (members_running(d, group, false, NULL) > 0) {
        rpc_fault(c, PM_FAULT_ALREADY_ADDED, group);
        return;
    }
    if (!d->reread || !in_file(d->reread, group)) {
        rpc_fault(c, PM_FAULT_BAD_NAME, group);
        return;
    }
    for (size_t i = 0; i < d->reread->nprograms; i++) {
        const pm_program *p = &d->reread->programs[i];
        if (strcmp(p->group_name, group) != 0)
            continue;
        int r = pm_daemon_add(d, p->name, &p->spec, true, p); /* autostart ones start */
        if (r < 0) {
            pm_logstream_message(d->log, "addProcessGroup %s: cannot add %s: %s", group, p->name, strerror(-r));
            rpc_fault(c, PM_FAULT_FAILED, p->name);
            return;
        }
    }
    pm_logstream_message(d->log, "added process group %s (XML-RPC)", group);
    pm_events_group(d->events, group, true);
    rpc_done(c, json_true());
}

typedef struct removal {
    rpc_call *c;
    size_t pending;
} removal;

static void removed_one(void *arg, int result)
{
    (void)result;
    removal *rm = arg;
    if (--rm->pending > 0)
        return;
    rpc_done(rm->c, json_true());
    free(rm);
}

/* STOPPED_STATES in supervisord: only a process in one may be removed. */
static bool is_stopped_state(pm_state s)
{
    return s == PM_STATE_STOPPED || s == PM_STATE_EXITED || s == PM_STATE_FATAL;
}

void rpc_remove_process_group(rpc_call *c)
{
    if (!rpc_params_are(c, "s"))
        return;
    pm_daemon *d = c->d;
    const char *group = rpc_param_str(c, 0);
    pm_status *members = calloc(pm_monitor_count(d->mon) + 1, sizeof *members);
    removal *rm = calloc(1, sizeof *rm);
    size_t n = members ? members_running(d, group, false, members) : 0;
    if (!members || !rm) {
        rpc_done(c, NULL);
    } else if (n == 0) {
        rpc_fault(c, PM_FAULT_BAD_NAME, group);
    } else {
        bool stopped = true;
        for (size_t i = 0; i < n; i++)
            stopped &= is_stopped_state(members[i].state);
        if (!stopped) {
            rpc_fault(c, PM_FAULT_STILL_RUNNING, group);
        } else {
            pm_logstream_message(d->log, "removing process group %s (XML-RPC)", group);
            pm_events_group(d->events, group, false);
            removal *held = rm;
            rm = NULL;
            *held = (removal){c, n + 1}; /* and one until all are asked */
            for (size_t i = 0; i < n; i++)
                if (pm_monitor_remove(d->mon, members[i].name, removed_one, held) < 0)
                    held->pending--;
            removed_one(held, 0);
        }
    }
    free(rm);
    free(members);
}
