/* The second pass, second part: each [program:x] becomes one pm_program
 * for each of its numprocs processes, under each [group:x] that lists it
 * (or under its own name), with [supervisord]'s environment under its own. */
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envlist.h"
#include "eventtypes.h"
#include "parse.h"
#include "spec.h"

/* Takes name and spec (on success only); group_name is copied. */
static bool add_program(loader *ld, pm_config *cfg, char *name, const char *group_name, pm_spec *spec,
                        const section *sec, const entry *name_entry)
{
    for (size_t i = 0; i < cfg->nprograms; i++) {
        if (strcmp(cfg->programs[i].name, name) == 0) {
            pm_cfg_fail_at(ld, name_entry->file, name_entry->line,
                           "duplicate program name '%s' (first at %s:%d)", name, cfg->programs[i].file,
                           cfg->programs[i].line);
            return false;
        }
    }
    char *file = strdup(sec->file), *group = strdup(group_name);
    if (!file || !group) {
        free(file);
        free(group);
        pm_cfg_fail_oom(ld);
        return false;
    }
    cfg->programs[cfg->nprograms++] = (pm_program){.name = name, .group_name = group, .spec = *spec,
                                                   .file = file, .line = sec->line};
    return true;
}

/* [supervisord]'s environment under the program's own: a key in both takes
 * the program's value (supervisord's env.update()).  NULL if both are empty. */
static char **merge_env(char *const *global, char *const *own, bool *oom)
{
    size_t n = 0, m = 0;
    while (global && global[n])
        n++;
    while (own && own[m])
        m++;
    if (n + m == 0)
        return NULL;
    char **env = calloc(n + m + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; env && i < n; i++) {
        size_t len = strcspn(global[i], "=");
        if (!pm_cfg_env_find(own, global[i], len) && !(env[k++] = strdup(global[i])))
            *oom = true;
    }
    for (size_t i = 0; env && i < m; i++)
        if (!(env[k++] = strdup(own[i])))
            *oom = true;
    if (!env || *oom) {
        *oom = true;
        pm_strv_free(env);
        return NULL;
    }
    return env;
}

/* The server a child reaches procmon at, as supervisord tells it: the
 * program's serverurl, unless AUTO; else the unix socket, else the inet
 * port.  NULL without one (and without failing). */
static char *server_url(loader *ld, const expansions *ex, const section *sec, const pm_config *cfg)
{
    const entry *e = pm_cfg_find_entry(sec, "serverurl");
    char *url = NULL;
    if (e && (!(url = pm_cfg_expand(ld, ex, sec, e)) || strcasecmp(url, "AUTO") != 0))
        return url;
    free(url);
    url = NULL;
    int r = 0;
    if (cfg->unix_http.set)
        r = asprintf(&url, "unix://%s", cfg->unix_http.file);
    else if (cfg->inet_http.set)
        r = asprintf(&url, "http://%s:%d", *cfg->inet_http.host ? cfg->inet_http.host : "localhost",
                     cfg->inet_http.port);
    if (r < 0) {
        url = NULL;
        pm_cfg_fail_oom(ld);
    }
    return url;
}

/* env with supervisord's variables in front, those it does not set
 * itself: SUPERVISOR_ENABLED, SUPERVISOR_PROCESS_NAME, SUPERVISOR_GROUP_NAME
 * and SUPERVISOR_SERVER_URL (with a server).  Takes env; false when out
 * of memory or the serverurl fails. */
static bool add_supervisor_env(loader *ld, const expansions *ex, const section *sec, const pm_config *cfg,
                               const char *group, const char *process, char ***env)
{
    char *url = server_url(ld, ex, sec, cfg);
    if (ld->failed)
        return false;
    const char *const values[][2] = {{"SUPERVISOR_ENABLED", "1"}, {"SUPERVISOR_PROCESS_NAME", process},
                                     {"SUPERVISOR_GROUP_NAME", group}, {"SUPERVISOR_SERVER_URL", url}};
    size_t n = 0, k = 0;
    while (*env && (*env)[n])
        n++;
    char **out = calloc(n + 5, sizeof *out);
    bool ok = out != NULL;
    for (size_t i = 0; ok && i < sizeof values / sizeof *values; i++) {
        if (!values[i][1] || pm_cfg_env_find(*env, values[i][0], strlen(values[i][0])))
            continue;
        ok = asprintf(&out[k], "%s=%s", values[i][0], values[i][1]) >= 0;
        k += ok;
    }
    free(url);
    if (!ok) {
        pm_strv_free(out);
        pm_cfg_fail_oom(ld);
        return false;
    }
    if (n)
        memcpy(out + k, *env, n * sizeof *out);
    free(*env);
    *env = out;
    return true;
}

/* The program's own environment, expanded with [supervisord]'s and
 * procmon's (not its own, as supervisord does); NULL with *env NULL if it
 * sets none. */
static bool program_env(loader *ld, const expansions *ex, const section *sec, char ***env)
{
    *env = NULL;
    const entry *e = pm_cfg_find_entry(sec, "environment");
    if (!e)
        return true;
    expansions outer = *ex;
    outer.program_env = NULL;
    char *v = pm_cfg_expand(ld, &outer, sec, e);
    if (!v)
        return false;
    char why[256];
    int r = pm_envlist_parse(v, env, why, sizeof why);
    if (r == -ENOMEM)
        pm_cfg_fail_oom(ld);
    else if (r < 0)
        pm_cfg_fail_value(ld, sec, e, v, "%s", why);
    free(v);
    return r == 0;
}

/* What a [group:x] gives its members. */
typedef struct group_info {
    const char *name; /* NULL: the program is in no group */
    bool has_priority;
    int priority;
} group_info;

static void build_program(loader *ld, const section *sec, pm_config *cfg, const group_info *grp)
{
    char *program = pm_cfg_program_name(sec);
    if (!program) {
        pm_cfg_fail_oom(ld);
        return;
    }
    expansions ex = {.host = ld->host, .program = program, .group = grp->name,
                     .global_env = cfg->environment};
    long long numprocs = 1, start = 0;
    const entry *np = pm_cfg_find_entry(sec, "numprocs"), *ns = pm_cfg_find_entry(sec, "numprocs_start");
    const entry *pn = pm_cfg_find_entry(sec, "process_name");
    const entry default_pn = {.key = "process_name", .written = "process_name",
                              .value = "%(program_name)s", .file = sec->file,
                              .here = ld->sources[0]->here, .line = sec->line};
    if (!pm_cfg_find_entry(sec, "command"))
        pm_cfg_fail_at(ld, sec->file, sec->line, "[%s] has no command", sec->header);
    else if (pm_cfg_section_integer(ld, &ex, sec, "numprocs", 1, "expected a whole number, 1 or more",
                                    &numprocs) &&
             pm_cfg_section_integer(ld, &ex, sec, "numprocs_start", 0, "expected a whole number, 0 or more",
                                    &start) &&
             numprocs > 1 && !strstr(pn ? pn->value : default_pn.value, "%(process_num)"))
        pm_cfg_fail_at(ld, (pn ? pn : np)->file, (pn ? pn : np)->line,
                       "numprocs is %lld in [%s], so process_name needs %%(process_num)d to make names differ",
                       numprocs, sec->header);
    if (!ld->failed && start + numprocs - 1 > INT_MAX) /* so start > 0: ns is set */
        pm_cfg_fail_value(ld, sec, ns, ns->value, "numprocs_start + numprocs is too large");
    pm_program *programs = NULL;
    if (!ld->failed && !(programs = realloc(cfg->programs, (cfg->nprograms + (size_t)numprocs) * sizeof *programs)))
        pm_cfg_fail_oom(ld);
    if (programs)
        cfg->programs = programs;
    for (long long i = 0; i < numprocs && !ld->failed; i++) {
        ex.has_num = true;
        ex.process_num = start + i;
        ex.numprocs = numprocs;
        ex.program_env = NULL;
        const entry *name_entry = pn ? pn : &default_pn;
        char *name = pm_cfg_expand(ld, &ex, sec, name_entry);
        const char *why = name ? pm_name_problem(name) : NULL;
        if (why) {
            pm_cfg_fail_value(ld, sec, name_entry, name, "%s", why);
            free(name);
        }
        if (!name || why)
            break;
        /* A group's member is addressed as "group:name", as in supervisorctl,
         * except one named as its group: supervisord's make_namespec shows
         * it by its bare name ([group:web] programs=web: "web"). */
        char *full = name;
        if (grp->name && strcmp(grp->name, name) != 0 && asprintf(&full, "%s:%s", grp->name, name) < 0) {
            free(name);
            pm_cfg_fail_oom(ld);
            break;
        }
        size_t group_prefix = full != name ? strlen(grp->name) + 1 : 0; /* "group:" */
        if (full != name)
            free(name);
        char **own = NULL;
        progbuild b;
        pm_cfg_progbuild_init(&b);
        bool ok = program_env(ld, &ex, sec, &own);
        ex.program_env = own;
        ok = ok && pm_cfg_apply_keys(ld, &ex, sec, &b);
        bool oom = false;
        if (ok) {
            b.spec.env = merge_env(cfg->environment, own, &oom);
            if (oom)
                pm_cfg_fail_oom(ld);
            /* clear_environment: the child gets its environment lines only */
            ok = !oom && (b.spec.clear_env || add_supervisor_env(ld, &ex, sec, cfg, grp->name ? grp->name : program,
                                                                 full + group_prefix, &b.spec.env));
            if (grp->has_priority)
                b.spec.priority = grp->priority;
            /* As under supervisord, a pipe that sendProcessStdin writes to;
             * without a listener nothing could, and stdin stays /dev/null. */
            b.spec.stdin_pipe = cfg->unix_http.set || cfg->inet_http.set;
        }
        pm_strv_free(own);
        if (!ok || oom || !add_program(ld, cfg, full, grp->name ? grp->name : program, &b.spec, sec, name_entry)) {
            pm_spec_free(&b.spec);
            free(full);
        } else if (!pm_cfg_take_outputs(cfg, &cfg->programs[cfg->nprograms - 1], &b)) {
            pm_cfg_fail_oom(ld);
        } else {
            pm_program *p = &cfg->programs[cfg->nprograms - 1];
            const entry *deps = pm_cfg_find_entry(sec, "depends_on");
            p->depends_line = deps ? deps->line : sec->line;
            p->log_events = (b.stdout_events ? PM_EV_BIT(PM_EV_PROCESS_LOG_STDOUT) : 0) |
                            (b.stderr_events ? PM_EV_BIT(PM_EV_PROCESS_LOG_STDERR) : 0);
        }
        free(b.out.path);
        free(b.err.path);
    }
    free(program);
}

/* The [group:x] that lists program `name`, from the n-th on, or NULL. */
static const section *group_of(loader *ld, const char *name, size_t *from, const entry **at)
{
    for (; *from < ld->nsecs && !ld->failed; (*from)++) {
        const section *sec = &ld->secs[*from];
        const entry *e = sec->kind == SEC_GROUP ? pm_cfg_find_entry(sec, "programs") : NULL;
        if (!e)
            continue;
        expansions ex = {.host = ld->host};
        char *v = pm_cfg_expand(ld, &ex, sec, e);
        bool member = false;
        for (char *save = NULL, *p = v ? strtok_r(v, ",", &save) : NULL; p && !member;
             p = strtok_r(NULL, ",", &save)) {
            const char *b = pm_cfg_skip_blanks(p);
            size_t len = strlen(b);
            while (len && isspace((unsigned char)b[len - 1]))
                len--;
            member = len == strlen(name) && strncmp(b, name, len) == 0;
        }
        free(v);
        if (member) {
            *at = e;
            return sec;
        }
    }
    return NULL;
}

/* Every [group:x] names programs that exist and has a valid priority. */
static void check_groups(loader *ld)
{
    for (size_t i = 0; i < ld->nsecs && !ld->failed; i++) {
        const section *sec = &ld->secs[i];
        if (sec->kind != SEC_GROUP)
            continue;
        const entry *e = pm_cfg_find_entry(sec, "programs");
        if (!e) {
            pm_cfg_fail_at(ld, sec->file, sec->line, "[%s] has no programs", sec->header);
            return;
        }
        long long n;
        if (!pm_cfg_section_integer(ld, &(expansions){.host = ld->host}, sec, "priority", INT_MIN,
                                    "expected a whole number", &n))
            return;
        expansions ex = {.host = ld->host};
        char *v = pm_cfg_expand(ld, &ex, sec, e);
        for (char *save = NULL, *p = v ? strtok_r(v, ",", &save) : NULL; p && !ld->failed;
             p = strtok_r(NULL, ",", &save)) {
            char *b = (char *)pm_cfg_skip_blanks(p);
            size_t len = strlen(b);
            while (len && isspace((unsigned char)b[len - 1]))
                b[--len] = '\0';
            bool found = false;
            for (size_t j = 0; j < ld->nsecs && !found; j++) {
                const section *ps = &ld->secs[j];
                if (ps->kind != SEC_PROGRAM && strncmp(ps->header, "fcgi-program:", 13) != 0)
                    continue;
                char *pname = pm_cfg_program_name(ps);
                found = pname && strcmp(pname, b) == 0;
                free(pname);
            }
            if (!found)
                pm_cfg_fail_value(ld, sec, e, e->value, "no [program:%s]", b);
        }
        free(v);
    }
}

/* Builds the program of `sec`: once for each group that lists it, or once
 * under its own name if none does (supervisord's homogeneous group). */
static void build_programs_of(loader *ld, const section *sec, pm_config *cfg)
{
    char *name = pm_cfg_program_name(sec);
    if (!name) {
        pm_cfg_fail_oom(ld);
        return;
    }
    bool grouped = false;
    const entry *at;
    for (size_t from = 0; !ld->failed; from++) {
        const section *g = group_of(ld, name, &from, &at);
        if (!g)
            break;
        grouped = true;
        char *gname = pm_cfg_program_name(g);
        group_info info = {.name = gname};
        long long prio;
        if (!gname) {
            pm_cfg_fail_oom(ld);
        } else if (pm_cfg_find_entry(g, "priority") &&
                   pm_cfg_section_integer(ld, &(expansions){.host = ld->host}, g, "priority", INT_MIN,
                                          "expected a whole number", &prio)) {
            info.has_priority = true;
            info.priority = (int)prio;
        }
        if (!ld->failed)
            build_program(ld, sec, cfg, &info);
        free(gname);
    }
    if (!grouped && !ld->failed)
        build_program(ld, sec, cfg, &(group_info){0});
    free(name);
}

/* ---- dependencies: every name known, no cycle ---- */

static const pm_program *program_named(const pm_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nprograms; i++)
        if (strcmp(cfg->programs[i].name, name) == 0)
            return &cfg->programs[i];
    return NULL;
}

enum { UNSEEN, ON_PATH, DONE };

/* Depth first from p; path holds the programs from the start to p.  On a
 * cycle, fails naming it whole: "web -> api -> web". */
static void dependency_walk(loader *ld, const pm_config *cfg, size_t p, unsigned char *mark,
                            size_t *path, size_t depth)
{
    mark[p] = ON_PATH;
    path[depth] = p;
    const pm_spec *s = &cfg->programs[p].spec;
    for (size_t k = 0; k < s->ndepends_on && !ld->failed; k++) {
        size_t q = (size_t)(program_named(cfg, s->depends_on[k].name) - cfg->programs);
        if (mark[q] == DONE)
            continue;
        if (mark[q] == UNSEEN) {
            dependency_walk(ld, cfg, q, mark, path, depth + 1);
            continue;
        }
        size_t from = depth;
        while (path[from] != q)
            from--;
        size_t len = 1;
        for (size_t i = from; i <= depth; i++)
            len += strlen(cfg->programs[path[i]].name) + 4;
        char *text = malloc(len + strlen(cfg->programs[q].name));
        if (!text) {
            pm_cfg_fail_oom(ld);
            return;
        }
        text[0] = '\0';
        for (size_t i = from; i <= depth; i++)
            strcat(strcat(text, cfg->programs[path[i]].name), " -> ");
        strcat(text, cfg->programs[q].name);
        const pm_program *at = &cfg->programs[q];
        pm_cfg_fail_at(ld, at->file, at->depends_line, "dependency cycle: %s", text);
        free(text);
    }
    mark[p] = DONE;
}

static void check_dependencies(loader *ld, const pm_config *cfg)
{
    for (size_t i = 0; i < cfg->nprograms && !ld->failed; i++) {
        const pm_program *p = &cfg->programs[i];
        for (size_t k = 0; k < p->spec.ndepends_on && !ld->failed; k++)
            if (!program_named(cfg, p->spec.depends_on[k].name))
                pm_cfg_fail_at(ld, p->file, p->depends_line,
                               "%s depends on '%s', which is not a program", p->name,
                               p->spec.depends_on[k].name);
    }
    unsigned char *mark = calloc(cfg->nprograms + 1, 1);
    size_t *path = calloc(cfg->nprograms + 1, sizeof *path);
    if (!ld->failed && (!mark || !path))
        pm_cfg_fail_oom(ld);
    for (size_t i = 0; i < cfg->nprograms && !ld->failed; i++)
        if (mark[i] == UNSEEN)
            dependency_walk(ld, cfg, i, mark, path, 0);
    free(mark);
    free(path);
}

/* ---- [eventlistener:x]: a program whose stdout speaks the protocol ---- */

#define DEFAULT_RESULT_HANDLER "supervisor.dispatchers:default_handler"

/* Its events line: the types named, each known (supervisord's error). */
static unsigned listener_events(loader *ld, const section *sec)
{
    const entry *e = pm_cfg_find_entry(sec, "events");
    if (!e) {
        pm_cfg_fail_at(ld, sec->file, sec->line, "[%s] section requires an \"events\" line", sec->header);
        return 0;
    }
    char *v = pm_cfg_expand(ld, &(expansions){.host = ld->host}, sec, e);
    unsigned bits = 0;
    for (char *save = NULL, *p = v ? strtok_r(v, ",", &save) : NULL; p && !ld->failed;
         p = strtok_r(NULL, ",", &save)) {
        char *name = (char *)pm_cfg_skip_blanks(p);
        size_t len = strlen(name);
        while (len && isspace((unsigned char)name[len - 1]))
            name[--len] = '\0';
        unsigned these = pm_sv_events_named(name);
        if (!these)
            pm_cfg_fail_value(ld, sec, e, e->value, "unknown event type %s", name);
        bits |= these;
    }
    if (v && !bits && !ld->failed)
        pm_cfg_fail_value(ld, sec, e, e->value, "names no event type");
    free(v);
    return bits;
}

static void build_listener(loader *ld, const section *sec, pm_config *cfg)
{
    unsigned events = listener_events(ld, sec);
    long long buffer_size = 10;
    const entry *rh = pm_cfg_find_entry(sec, "result_handler");
    if (ld->failed || !pm_cfg_section_integer(ld, &(expansions){.host = ld->host}, sec, "buffer_size", 1,
                                              "expected a whole number, 1 or more", &buffer_size))
        return;
    if (rh && strcmp(rh->value, DEFAULT_RESULT_HANDLER) != 0) {
        pm_cfg_fail_value(ld, sec, rh, rh->value,
                          "procmon has supervisord's default handler only (" DEFAULT_RESULT_HANDLER ")");
        return;
    }
    size_t first = cfg->nprograms;
    build_program(ld, sec, cfg, &(group_info){0});
    for (size_t i = first; i < cfg->nprograms && !ld->failed; i++) {
        pm_program *p = &cfg->programs[i];
        if (p->redirect_stderr) {
            const entry *e = pm_cfg_find_entry(sec, "redirect_stderr");
            pm_cfg_fail_value(ld, sec, e, e->value, "a listener's stdout is the event protocol, so its stderr cannot join it");
            return;
        }
        p->listen_events = events;
        p->buffer_size = (int)buffer_size;
        p->spec.stdin_pipe = true; /* where its events go */
        if (!pm_cfg_find_entry(sec, "priority"))
            p->spec.priority = -1; /* supervisord's: listeners start first and stop last */
    }
}

void pm_cfg_build_programs(loader *ld, pm_config *cfg)
{
    if (!ld->failed)
        check_groups(ld);
    for (size_t i = 0; i < ld->nsecs && !ld->failed; i++) {
        if (ld->secs[i].kind == SEC_PROGRAM)
            build_programs_of(ld, &ld->secs[i], cfg);
        else if (ld->secs[i].kind == SEC_LISTENER)
            build_listener(ld, &ld->secs[i], cfg);
    }
    if (!ld->failed)
        check_dependencies(ld, cfg);
}
