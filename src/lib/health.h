/* Checking a ready process's health: one check every health_interval
 * (never two at once), each bounded by health_timeout; failures within
 * health_start_period of the spawn do not count.  It only counts: what a
 * run of failures leads to is the monitor's decision. */
#ifndef PM_HEALTH_H
#define PM_HEALTH_H

#include "runtime.h"

typedef struct pm_health pm_health;

/* A result worth telling: failures 0 when healthy for the first time in
 * this run or again after failures; else the failed checks in a row. */
typedef void (*pm_health_cb)(void *arg, int failures, const char *detail);

/* Starts checking (the first check one interval from now); spawned_at is
 * the runtime clock at the spawn.  0 and *out, or -ENOMEM. */
int pm_health_start(pm_runtime *rt, const pm_spec *spec, double spawned_at, pm_health_cb cb,
                    void *arg, pm_health **out);
/* 0 healthy, N failed in a row, -1 before the first result. */
int pm_health_failures(const pm_health *h);
/* Stops checking and frees it (NULL: nothing). */
void pm_health_stop(pm_health *h);
/* Checks a spec's health settings: 0, or -EINVAL with one line in err. */
int pm_health_check_spec(const pm_spec *spec, char *err, size_t errlen);

#endif
