/* What procmon tells its service manager; see manager.h. */
#include "manager.h"

#include "sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pm_manager {
    pm_sdnotify *link;
    pm_logstream *log;
    const pm_monitor *mon;
    uv_timer_t *watchdog; /* NULL when no watchdog was asked for */
    bool dirty;           /* a process changed state since the last flush */
    bool ready_sent;      /* READY=1 since the start or the last RELOADING=1 */
    bool stopping;
    bool failing;         /* the last send failed, and was logged */
    char status[256];     /* the last STATUS= sent */
};

static void tell(pm_manager *m, const char *message)
{
    int r = pm_sdnotify_send(m->link, message);
    if (r < 0 && !m->failing)
        pm_logstream_message(m->log, "cannot notify the service manager: %s", strerror(-r));
    m->failing = r < 0;
}

static void watchdog_due(uv_timer_t *h)
{
    tell(h->data, "WATCHDOG=1");
}

int pm_manager_new(uv_loop_t *loop, pm_logstream *log, pm_manager **out, char *err, size_t errlen)
{
    *out = NULL;
    pm_sdnotify *link;
    int r = pm_sdnotify_open(&link, err, errlen);
    if (r < 0 || !link)
        return r;
    pm_manager *m = calloc(1, sizeof *m);
    uint64_t usec = pm_sdnotify_watchdog_usec(link);
    if (m && usec)
        m->watchdog = malloc(sizeof *m->watchdog);
    if (!m || (usec && !m->watchdog)) {
        snprintf(err, errlen, "cannot set up the service manager's notifications: %s", strerror(ENOMEM));
        free(m);
        pm_sdnotify_close(link);
        return -ENOMEM;
    }
    m->link = link;
    m->log = log;
    m->dirty = true;
    if (m->watchdog) {
        /* Half the period, as sd_watchdog_enabled(3) advises; at least 1 ms. */
        uint64_t ms = usec / 2000 ? usec / 2000 : 1;
        uv_timer_init(loop, m->watchdog);
        m->watchdog->data = m;
        uv_timer_start(m->watchdog, watchdog_due, ms, ms);
        tell(m, "WATCHDOG=1");
    }
    *out = m;
    return 0;
}

void pm_manager_watch(pm_manager *m, const pm_monitor *mon)
{
    if (m)
        m->mon = mon;
}

void pm_manager_changed(pm_manager *m)
{
    if (m)
        m->dirty = true;
}

void pm_manager_status_line(const size_t counts[PM_STATE_FATAL + 1], char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int s = PM_STATE_STOPPED; s <= PM_STATE_FATAL; s++) {
        if (!counts[s])
            continue;
        int n = snprintf(buf + used, len - used, "%s%zu %s", used ? ", " : "", counts[s],
                         pm_state_name((pm_state)s));
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, len, "no programs");
}

static void count(void *arg, const pm_status *st)
{
    ((size_t *)arg)[st->state]++;
}

void pm_manager_flush(pm_manager *m)
{
    if (!m || !m->dirty || !m->mon || m->stopping)
        return;
    m->dirty = false;
    size_t counts[PM_STATE_FATAL + 1] = {0};
    pm_monitor_foreach(m->mon, count, counts);
    char status[sizeof m->status], message[sizeof status + 32];
    pm_manager_status_line(counts, status, sizeof status);
    bool settled = !counts[PM_STATE_STARTING] && !counts[PM_STATE_BACKOFF] && !counts[PM_STATE_STOPPING];
    bool ready_now = settled && !m->ready_sent;
    if (!ready_now && strcmp(status, m->status) == 0)
        return;
    snprintf(message, sizeof message, "%sSTATUS=%s", ready_now ? "READY=1\n" : "", status);
    tell(m, message);
    memcpy(m->status, status, sizeof status);
    if (ready_now) {
        m->ready_sent = true;
        pm_logstream_message(m->log, "told the service manager: ready (%s)", status);
    }
}

void pm_manager_reloading(pm_manager *m)
{
    if (!m || m->stopping)
        return;
    /* systemd's Type=notify-reload wants the time of the request with it. */
    struct timespec ts;
    char message[64];
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        ts = (struct timespec){0};
    snprintf(message, sizeof message, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    tell(m, message);
    m->ready_sent = false;
    m->dirty = true;
}

void pm_manager_stopping(pm_manager *m)
{
    if (!m || m->stopping)
        return;
    m->stopping = true;
    tell(m, "STOPPING=1\nSTATUS=stopping every process");
}

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

void pm_manager_free(pm_manager *m)
{
    if (!m)
        return;
    if (m->watchdog)
        uv_close((uv_handle_t *)m->watchdog, timer_closed);
    pm_sdnotify_close(m->link);
    free(m);
}
