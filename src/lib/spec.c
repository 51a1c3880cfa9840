/* Process specifications and monitor options: defaults, deep copies. */
#include "spec.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void pm_options_init(pm_options *opts)
{
    opts->threshold = 1;
    opts->kill_time = 5;
    opts->min_restart_delay = 1;
    opts->max_restart_delay = 3600;
}

void pm_spec_init(pm_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->umask = PM_UNSET;
    spec->threshold = PM_UNSET;
    spec->kill_time = PM_UNSET;
    spec->min_restart_delay = PM_UNSET;
    spec->max_restart_delay = PM_UNSET;
    spec->stop_signal = SIGTERM;
    spec->signal_group = true;
    spec->autostart = true;
    spec->autorestart = PM_AUTORESTART_ALWAYS;
    spec->start_retries = PM_UNSET;
    spec->priority = 999;
    spec->ready = PM_READY_SPAWN;
    spec->ready_fd = -1;
    spec->ready_interval = 0.1;
    spec->ready_timeout = 60;
    spec->health = PM_HEALTH_NONE;
    spec->health_interval = 10;
    spec->health_timeout = 5;
    spec->health_start_period = 0;
    spec->health_retries = 3;
    pm_spec_set_exitcode(spec, 0, true);
}

void pm_spec_set_exitcode(pm_spec *spec, int code, bool expected)
{
    if (code < 0 || code > 255)
        return;
    if (expected)
        spec->exitcodes[code / 8] |= (unsigned char)(1u << (code % 8));
    else
        spec->exitcodes[code / 8] &= (unsigned char)~(1u << (code % 8));
}

bool pm_spec_exitcode_expected(const pm_spec *spec, int code)
{
    return code >= 0 && code <= 255 && (spec->exitcodes[code / 8] & (1u << (code % 8)));
}

static char **strv_copy(char **strv)
{
    if (!strv)
        return NULL;
    size_t n = 0;
    while (strv[n])
        n++;
    char **copy = calloc(n + 1, sizeof *copy);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(copy[i] = strdup(strv[i]))) {
            pm_strv_free(copy);
            return NULL;
        }
    }
    return copy;
}

void pm_strv_free(char **strv)
{
    if (!strv)
        return;
    for (char **s = strv; *s; s++)
        free(*s);
    free(strv);
}

static int str_copy(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = strdup(src)))
        return -ENOMEM;
    return 0;
}

static pm_dependency *deps_copy(const pm_dependency *deps, size_t n)
{
    pm_dependency *copy = n ? calloc(n, sizeof *copy) : NULL;
    for (size_t i = 0; copy && i < n; i++) {
        copy[i].condition = deps[i].condition;
        if (!(copy[i].name = strdup(deps[i].name))) {
            while (i-- > 0)
                free(copy[i].name);
            free(copy);
            return NULL;
        }
    }
    return copy;
}

int pm_spec_copy(pm_spec *dst, const pm_spec *src)
{
    *dst = *src;
    dst->depends_on = deps_copy(src->depends_on, src->ndepends_on);
    if (!dst->depends_on)
        dst->ndepends_on = 0;
    dst->argv = strv_copy(src->argv);
    dst->env = strv_copy(src->env);
    int r = 0;
    r |= str_copy(&dst->user, src->user);
    r |= str_copy(&dst->group, src->group);
    r |= str_copy(&dst->cwd, src->cwd);
    r |= str_copy(&dst->ready_target, src->ready_target);
    r |= str_copy(&dst->health_target, src->health_target);
    if (r || !dst->argv || (src->env && !dst->env) || (src->ndepends_on && !dst->depends_on)) {
        pm_spec_free(dst);
        return -ENOMEM;
    }
    return 0;
}

void pm_spec_free(pm_spec *spec)
{
    pm_strv_free(spec->argv);
    pm_strv_free(spec->env);
    free(spec->user);
    free(spec->group);
    free(spec->cwd);
    free(spec->ready_target);
    free(spec->health_target);
    spec->health_target = NULL;
    for (size_t i = 0; i < spec->ndepends_on; i++)
        free(spec->depends_on[i].name);
    free(spec->depends_on);
    spec->depends_on = NULL;
    spec->ndepends_on = 0;
    spec->argv = spec->env = NULL;
    spec->user = spec->group = spec->cwd = spec->ready_target = NULL;
}

static bool str_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_equal(char **a, char **b)
{
    static char *const empty[] = {NULL};
    char *const *x = a ? a : empty, *const *y = b ? b : empty;
    for (; *x && *y; x++, y++)
        if (strcmp(*x, *y) != 0)
            return false;
    return !*x && !*y;
}

static bool deps_equal(const pm_spec *a, const pm_spec *b)
{
    if (a->ndepends_on != b->ndepends_on)
        return false;
    for (size_t i = 0; i < a->ndepends_on; i++)
        if (strcmp(a->depends_on[i].name, b->depends_on[i].name) != 0 ||
            a->depends_on[i].condition != b->depends_on[i].condition)
            return false;
    return true;
}

bool pm_spec_equal(const pm_spec *a, const pm_spec *b)
{
    return strv_equal(a->argv, b->argv) && strv_equal(a->env, b->env) &&
           a->clear_env == b->clear_env && str_equal(a->user, b->user) &&
           str_equal(a->group, b->group) && str_equal(a->cwd, b->cwd) && a->umask == b->umask &&
           a->threshold == b->threshold && a->kill_time == b->kill_time &&
           a->min_restart_delay == b->min_restart_delay &&
           a->max_restart_delay == b->max_restart_delay && a->stop_signal == b->stop_signal &&
           a->signal_group == b->signal_group && a->autostart == b->autostart &&
           a->autorestart == b->autorestart &&
           memcmp(a->exitcodes, b->exitcodes, sizeof a->exitcodes) == 0 &&
           a->start_retries == b->start_retries && a->priority == b->priority &&
           a->ready == b->ready && str_equal(a->ready_target, b->ready_target) &&
           a->ready_fd == b->ready_fd && a->ready_interval == b->ready_interval &&
           a->ready_timeout == b->ready_timeout && deps_equal(a, b) && a->bind_to == b->bind_to &&
           a->health == b->health && str_equal(a->health_target, b->health_target) &&
           a->health_interval == b->health_interval && a->health_timeout == b->health_timeout &&
           a->health_start_period == b->health_start_period &&
           a->health_retries == b->health_retries && a->stdin_pipe == b->stdin_pipe;
}

/* A name, or a number without an entry (containers run bare uids). */
static bool id_known(const char *text, bool user)
{
    if (user ? getpwnam(text) != NULL : getgrnam(text) != NULL)
        return true;
    char *end;
    long id = strtol(text, &end, 10);
    return end != text && !*end && id >= 0;
}

int pm_spec_check(const pm_spec *spec, char *err, size_t errlen)
{
    struct stat st;
    if (spec->user && !id_known(spec->user, true))
        snprintf(err, errlen, "unknown user '%s'", spec->user);
    else if (spec->group && !id_known(spec->group, false))
        snprintf(err, errlen, "unknown group '%s'", spec->group);
    else if (spec->cwd && (stat(spec->cwd, &st) < 0 || !S_ISDIR(st.st_mode)))
        snprintf(err, errlen, "not a directory: %s", spec->cwd);
    else
        return 0;
    return -EINVAL;
}
