/* Process specifications and monitor options: defaults, deep copies. */
#include "spec.h"

#include <errno.h>
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

int pm_spec_copy(pm_spec *dst, const pm_spec *src)
{
    *dst = *src;
    dst->argv = strv_copy(src->argv);
    dst->env = strv_copy(src->env);
    int r = 0;
    r |= str_copy(&dst->user, src->user);
    r |= str_copy(&dst->group, src->group);
    r |= str_copy(&dst->cwd, src->cwd);
    if (r || !dst->argv || (src->env && !dst->env)) {
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
    spec->argv = spec->env = NULL;
    spec->user = spec->group = spec->cwd = NULL;
}
