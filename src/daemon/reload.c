/* Reload: re-read the config file and bring the running programs in line.
 * New programs are added and started, removed ones stopped and forgotten,
 * changed ones stopped and started with their new settings, unchanged ones
 * left alone.  A file that does not load changes nothing. */
#include "reload.h"

#include "spec.h"
#include "startup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct reload {
    pm_daemon *d;
    pm_request *req;
    size_t pending;
    json_t *answer;
} reload;

/* A changed program: its new spec, added once the old process is gone. */
typedef struct replacement {
    reload *rl;
    char *name;
    pm_spec spec;
    pm_program outputs; /* only group_name, the event settings, out, err and redirect_stderr
                           (strings owned) */
} replacement;

static void reload_release(reload *rl)
{
    if (--rl->pending > 0)
        return;
    if (rl->req)
        pm_request_answer(rl->req, rl->answer);
    else
        json_decref(rl->answer);
    free(rl);
}

static void removed_done(void *arg, int result)
{
    (void)result;
    reload_release(arg);
}

static void replaced_done(void *arg, int result)
{
    (void)result;
    replacement *rp = arg;
    int r = pm_daemon_add(rp->rl->d, rp->name, &rp->spec, true, &rp->outputs);
    if (r < 0)
        pm_logstream_message(rp->rl->d->log, "reload: cannot add %s again: %s", rp->name, strerror(-r));
    reload_release(rp->rl);
    pm_spec_free(&rp->spec);
    free(rp->outputs.group_name);
    free(rp->outputs.out.path);
    free(rp->outputs.err.path);
    free(rp->name);
    free(rp);
}

static const pm_program *find_program(const pm_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nprograms; i++)
        if (strcmp(cfg->programs[i].name, name) == 0)
            return &cfg->programs[i];
    return NULL;
}

typedef struct current {
    char **names;
    size_t count;
} current;

static void collect(void *arg, const pm_status *st)
{
    current *c = arg;
    const pm_procdata *pd = st->user_data;
    if (pd && pd->from_config)
        c->names[c->count++] = strdup(st->name);
}

/* A copy of p's group, event and output settings into rp; false when out
 * of memory. */
static bool copy_outputs(replacement *rp, const pm_program *p)
{
    rp->outputs.group_name = p->group_name ? strdup(p->group_name) : NULL;
    rp->outputs.listen_events = p->listen_events;
    rp->outputs.buffer_size = p->buffer_size;
    rp->outputs.log_events = p->log_events;
    rp->outputs.out = p->out;
    rp->outputs.err = p->err;
    rp->outputs.redirect_stderr = p->redirect_stderr;
    rp->outputs.out.path = p->out.path ? strdup(p->out.path) : NULL;
    rp->outputs.err.path = p->err.path ? strdup(p->err.path) : NULL;
    return (!p->group_name || rp->outputs.group_name) && (!p->out.path || rp->outputs.out.path) &&
           (!p->err.path || rp->outputs.err.path);
}

static void replace(reload *rl, const char *name, const pm_program *p)
{
    replacement *rp = calloc(1, sizeof *rp);
    if (!rp || !copy_outputs(rp, p) || !(rp->name = strdup(name)) || pm_spec_copy(&rp->spec, &p->spec) < 0) {
        if (rp) {
            free(rp->outputs.group_name);
            free(rp->name);
            free(rp->outputs.out.path);
            free(rp->outputs.err.path);
        }
        free(rp);
        pm_logstream_message(rl->d->log, "reload: out of memory replacing %s", name);
        return;
    }
    rp->rl = rl;
    rl->pending++;
    if (pm_monitor_remove(rl->d->mon, name, replaced_done, rp) < 0)
        replaced_done(rp, 0);
}

/* Applies cfg; fills the answer's added/removed/changed lists. */
static void apply(reload *rl, const pm_config *cfg)
{
    pm_daemon *d = rl->d;
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    /* The file's programs before any change: replacing one takes it out of
     * the table until its old process is gone. */
    current cur = {calloc(pm_monitor_count(d->mon) + 1, sizeof(char *)), 0};
    if (cur.names)
        pm_monitor_foreach(d->mon, collect, &cur);
    for (size_t i = 0; i < cfg->nprograms; i++) {
        const pm_program *p = &cfg->programs[i];
        pm_status st;
        if (pm_monitor_status(d->mon, p->name, &st) < 0) {
            int r = pm_daemon_add(d, p->name, &p->spec, true, p);
            if (r < 0)
                pm_logstream_message(d->log, "reload: cannot add %s: %s", p->name, strerror(-r));
            else
                json_array_append_new(added, json_string(p->name));
            continue;
        }
        const pm_procdata *pd = st.user_data;
        /* An `add`ed process that the file now names becomes the file's;
         * new output settings are a change like any other. */
        if ((pd && !pd->from_config) || !pm_spec_equal(st.spec, &p->spec) ||
            (pd && !pm_daemon_outputs_equal(pd, p))) {
            json_array_append_new(changed, json_string(p->name));
            replace(rl, p->name, p);
        }
    }
    for (size_t i = 0; i < cur.count; i++) {
        const char *name = cur.names[i];
        if (name && !find_program(cfg, name)) {
            json_array_append_new(removed, json_string(name));
            rl->pending++;
            if (pm_monitor_remove(d->mon, name, removed_done, rl) < 0)
                reload_release(rl);
        }
        free(cur.names[i]);
    }
    free(cur.names);
    rl->answer = json_pack("{sbsososo}", "ok", 1, "added", added, "removed", removed, "changed",
                           changed);
}

void pm_reload(pm_daemon *d, pm_request *req)
{
    const char *path = d->settings->config_path;
    if (!path) {
        if (req)
            pm_request_fail(req, "no config file to reload");
        return;
    }
    pm_manager_reloading(d->manager); /* READY=1 again once everything has settled */
    pm_config cfg;
    char err[512];
    /* Relative paths as `procmon run` read them, before [supervisord]
     * directory moved procmon elsewhere. */
    if (pm_config_load_in(path, pm_startup_folder(), &cfg, err, sizeof err) < 0) {
        pm_logstream_message(d->log, "reload failed, nothing changed: %s", err);
        if (req)
            pm_request_fail(req, "%s", err);
        return;
    }
    for (size_t i = 0; i < cfg.nwarnings; i++)
        pm_logstream_message(d->log, "%s", cfg.warnings[i]);
    reload *rl = calloc(1, sizeof *rl);
    if (!rl) {
        pm_config_free(&cfg);
        if (req)
            pm_request_fail(req, "out of memory");
        return;
    }
    rl->d = d;
    rl->req = req;
    rl->pending = 1; /* held until everything has been issued */
    apply(rl, &cfg);
    pm_config_free(&cfg);
    pm_logstream_message(d->log, "reloaded %s", path);
    reload_release(rl);
}
