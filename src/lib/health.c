/* Checking a ready process's health; see health.h. */
#include "health.h"

#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct pm_health {
    pm_runtime *rt;
    const pm_spec *spec; /* the monitor's: it outlives this */
    double spawned_at;
    pm_health_cb cb;
    void *arg;
    pm_check *check;     /* the check under way */
    pm_timer *next;
    int failures;        /* -1 before the first result */
};

static pm_check_kind check_kind(pm_health_kind kind)
{
    return kind == PM_HEALTH_EXEC ? PM_CHECK_EXEC
           : kind == PM_HEALTH_UNIX ? PM_CHECK_UNIX
           : kind == PM_HEALTH_HTTP ? PM_CHECK_HTTP
                                    : PM_CHECK_TCP;
}

static void check_now(void *arg);

static void schedule(pm_health *h)
{
    h->next = h->rt->ops->timer_start(h->rt, h->spec->health_interval, check_now, h);
    /* Out of memory, checks end here: the process runs on unchecked. */
}

static void checked(void *arg, bool ok, const char *detail)
{
    pm_health *h = arg;
    h->check = NULL;
    bool counts = h->rt->ops->now(h->rt) - h->spawned_at >= h->spec->health_start_period;
    int before = h->failures;
    if (ok)
        h->failures = 0;
    else if (counts)
        h->failures = before > 0 ? before + 1 : 1;
    schedule(h); /* first: the callback may stop (and free) h */
    if ((ok && before != 0) || (!ok && counts))
        h->cb(h->arg, h->failures, detail);
}

static void check_now(void *arg)
{
    pm_health *h = arg;
    h->next = NULL;
    if (pm_check_start(h->rt, check_kind(h->spec->health), h->spec->health_target, h->spec,
                       h->spec->health_timeout, checked, h, &h->check) < 0)
        schedule(h); /* out of memory: try again at the next interval */
}

int pm_health_start(pm_runtime *rt, const pm_spec *spec, double spawned_at, pm_health_cb cb,
                    void *arg, pm_health **out)
{
    pm_health *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    *h = (pm_health){.rt = rt, .spec = spec, .spawned_at = spawned_at, .cb = cb, .arg = arg,
                     .failures = -1};
    schedule(h);
    if (!h->next) {
        free(h);
        return -ENOMEM;
    }
    *out = h;
    return 0;
}

int pm_health_failures(const pm_health *h)
{
    return h->failures;
}

void pm_health_stop(pm_health *h)
{
    if (!h)
        return;
    if (h->next)
        h->rt->ops->timer_cancel(h->rt, h->next);
    pm_check_cancel(h->check);
    free(h);
}

int pm_health_check_spec(const pm_spec *spec, char *err, size_t errlen)
{
    if (spec->health == PM_HEALTH_NONE)
        return 0;
    if (spec->health_retries < 1) {
        snprintf(err, errlen, "healthcheck_retries must be 1 or more");
        return -EINVAL;
    }
    return pm_check_target_ok(check_kind(spec->health), spec->health_target, err, errlen);
}
