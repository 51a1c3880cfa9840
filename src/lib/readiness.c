/* Watching a started process become ready; see readiness.h. */
#include "readiness.h"

#include "check.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pm_readiness {
    pm_runtime *rt;
    const pm_spec *spec; /* the monitor's: it outlives this */
    pm_ready_cb cb;
    void *arg;
    regex_t re;          /* LOG */
    bool have_re;
    pm_check *check;     /* the try under way */
    pm_timer *next_try;
    char last[256];
};

static void try_now(void *arg);

static pm_check_kind check_kind(pm_ready_kind kind)
{
    return kind == PM_READY_EXEC ? PM_CHECK_EXEC : kind == PM_READY_UNIX ? PM_CHECK_UNIX : PM_CHECK_TCP;
}

static void tried(void *arg, bool ok, const char *detail)
{
    pm_readiness *r = arg;
    r->check = NULL;
    snprintf(r->last, sizeof r->last, "%s", detail);
    if (ok) {
        char how[300];
        snprintf(how, sizeof how, "%s:%s: %s",
                 r->spec->ready == PM_READY_EXEC ? "exec" : r->spec->ready == PM_READY_TCP ? "tcp" : "unix",
                 r->spec->ready_target, detail);
        r->cb(r->arg, how); /* may free r */
        return;
    }
    r->next_try = r->rt->ops->timer_start(r->rt, r->spec->ready_interval, try_now, r);
    if (!r->next_try) /* cannot wait: the ready timeout ends it */
        snprintf(r->last, sizeof r->last, "cannot try again: out of memory");
}

/* One try at a time; a try may take until the ready timeout, which ends
 * the watch anyway. */
static void try_now(void *arg)
{
    pm_readiness *r = arg;
    r->next_try = NULL;
    int e = pm_check_start(r->rt, check_kind(r->spec->ready), r->spec->ready_target, r->spec,
                           r->spec->ready_timeout, tried, r, &r->check);
    if (e < 0)
        tried(r, false, "cannot try: out of memory");
}

int pm_readiness_check_spec(const pm_spec *spec, char *err, size_t errlen)
{
    const char *t = spec->ready_target;
    switch (spec->ready) {
    case PM_READY_SPAWN:
    case PM_READY_NOTIFY:
        return 0;
    case PM_READY_FD:
        if (spec->ready_fd >= 3 && spec->ready_fd <= 1023)
            return 0;
        snprintf(err, errlen, "ready descriptor %d is not between 3 and 1023", spec->ready_fd);
        return -EINVAL;
    case PM_READY_TCP:
    case PM_READY_UNIX:
    case PM_READY_EXEC:
        return pm_check_target_ok(check_kind(spec->ready), t, err, errlen);
    case PM_READY_LOG: {
        regex_t re;
        int e = regcomp(&re, t ? t : "", REG_EXTENDED | REG_NOSUB);
        if (e == 0) {
            regfree(&re);
            return 0;
        }
        char why[128];
        regerror(e, &re, why, sizeof why);
        snprintf(err, errlen, "bad regular expression '%s': %s", t ? t : "", why);
        return -EINVAL;
    }
    }
    snprintf(err, errlen, "unknown kind of readiness");
    return -EINVAL;
}

int pm_readiness_start(pm_runtime *rt, const pm_spec *spec, pm_ready_cb cb, void *arg,
                       pm_readiness **out, char *err, size_t errlen)
{
    if (pm_readiness_check_spec(spec, err, errlen) < 0)
        return -EINVAL;
    pm_readiness *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    *r = (pm_readiness){.rt = rt, .spec = spec, .cb = cb, .arg = arg};
    if (spec->ready == PM_READY_LOG) {
        if (regcomp(&r->re, spec->ready_target, REG_EXTENDED | REG_NOSUB) != 0) {
            free(r);
            return -ENOMEM; /* it compiled just above */
        }
        r->have_re = true;
    } else if (!(r->next_try = rt->ops->timer_start(rt, 0, try_now, r))) {
        free(r);
        return -ENOMEM;
    }
    *out = r;
    return 0;
}

void pm_readiness_line(pm_readiness *r, const char *data, size_t len)
{
    if (!r->have_re)
        return;
    regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)len};
    if (regexec(&r->re, data, 1, &m, REG_STARTEND) != 0)
        return;
    char how[300];
    snprintf(how, sizeof how, "log line matched '%s'", r->spec->ready_target);
    r->cb(r->arg, how); /* may free r */
}

const char *pm_readiness_last(const pm_readiness *r)
{
    return r->last;
}

void pm_readiness_stop(pm_readiness *r)
{
    if (!r)
        return;
    if (r->next_try)
        r->rt->ops->timer_cancel(r->rt, r->next_try);
    pm_check_cancel(r->check);
    if (r->have_re)
        regfree(&r->re);
    free(r);
}
