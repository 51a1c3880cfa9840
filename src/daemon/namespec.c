/* Finding processes by supervisord's names, and naming their states as it does. */
#include "namespec.h"

#include <stdio.h>
#include <string.h>

const char *pm_namespec_group(const pm_status *st, char *buf, size_t len)
{
    const pm_procdata *pd = st->user_data;
    if (pd && pd->group_name)
        return pd->group_name;
    const char *colon = strchr(st->name, ':');
    snprintf(buf, len, "%.*s", colon ? (int)(colon - st->name) : (int)strlen(st->name), st->name);
    return buf;
}

const char *pm_namespec_name(const pm_status *st, const char *group)
{
    size_t n = strlen(group);
    return strncmp(st->name, group, n) == 0 && st->name[n] == ':' ? st->name + n + 1 : st->name;
}

void pm_namespec_of(const pm_status *st, char *out, size_t len)
{
    char buf[256];
    const char *group = pm_namespec_group(st, buf, sizeof buf), *name = pm_namespec_name(st, group);
    if (strcmp(group, name) == 0)
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "%s:%s", group, name);
}

typedef struct lookup {
    const char *group;
    size_t group_len;
    const char *name; /* NULL: any member of the group */
    pm_status found;
    size_t count;
} lookup;

static void match(void *arg, const pm_status *st)
{
    lookup *l = arg;
    char buf[256];
    const char *group = pm_namespec_group(st, buf, sizeof buf);
    if (strlen(group) == l->group_len && strncmp(group, l->group, l->group_len) == 0 &&
        (!l->name || strcmp(pm_namespec_name(st, group), l->name) == 0) && l->count++ == 0)
        l->found = *st;
}

int pm_namespec_find(const pm_daemon *d, const char *spec, pm_status *st)
{
    /* split as supervisord's split_namespec */
    const char *colon = strchr(spec, ':');
    lookup l = {.group = spec, .group_len = colon ? (size_t)(colon - spec) : strlen(spec),
                .name = colon ? colon + 1 : spec};
    if (colon && (!colon[1] || strcmp(colon + 1, "*") == 0))
        l.name = NULL;
    if (l.name && pm_daemon_find(d, spec, st) == 0)
        return 0;
    pm_monitor_foreach(d->mon, match, &l);
    if (l.count == 0)
        return -1;
    if (l.name)
        *st = l.found;
    return l.name ? 0 : 1;
}

const char *pm_namespec_state(pm_state s)
{
    static const char *const names[] = {[PM_STATE_STOPPED] = "STOPPED", [PM_STATE_STARTING] = "STARTING",
                                        [PM_STATE_RUNNING] = "RUNNING", [PM_STATE_BACKOFF] = "BACKOFF",
                                        [PM_STATE_STOPPING] = "STOPPING", [PM_STATE_EXITED] = "EXITED",
                                        [PM_STATE_FATAL] = "FATAL"};
    return names[s];
}
