/* Stopping what an earlier procmon left running.
 *
 * An entry is ours when its pid still runs with the start time recorded,
 * or when the pid has no live process any more but the group it led still
 * has members: the kernel does not hand out a pid that is still some
 * group's id, so such a group can only be the one our child made.  A pid
 * that now belongs to another process means the old group is empty; it is
 * left alone.  The leftovers are no children of ours, so their end is
 * watched by scanning /proc for live (not zombie) members of each group. */
#include "recover.h"

#include "statefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS (10 * 1000 * 1000)
#define KILL_WAIT 5.0 /* seconds to wait for SIGKILL to take effect */

typedef struct leftover {
    pid_t pgid;
    const char *name;
    bool alive;
    bool killed;     /* SIGKILL sent */
    double deadline; /* for the stop signal, then for SIGKILL */
} leftover;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* State (field 3) and process group (field 5) of a /proc entry. */
static bool proc_group(const char *pid, char *state, pid_t *pgrp)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    int g;
    if (!p || sscanf(p + 1, " %c %*d %d", state, &g) != 2)
        return false;
    *pgrp = g;
    return true;
}

/* Marks which groups still have a live member; returns how many do. */
static size_t scan(leftover *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        l[i].alive = false;
    DIR *d = opendir("/proc");
    if (!d) /* cannot tell: assume they live on, the deadline ends the wait */
        return n;
    struct dirent *e;
    while ((e = readdir(d))) {
        char state;
        pid_t pgrp;
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || !proc_group(e->d_name, &state, &pgrp) ||
            state == 'Z' || state == 'X')
            continue;
        for (size_t i = 0; i < n; i++)
            if (l[i].pgid == pgrp)
                l[i].alive = true;
    }
    closedir(d);
    size_t alive = 0;
    for (size_t i = 0; i < n; i++)
        alive += l[i].alive;
    return alive;
}

static const pm_program *program_named(const pm_program *programs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(programs[i].name, name) == 0)
            return &programs[i];
    return NULL;
}

/* Waits until no group has a live member: SIGKILL for a group past its
 * kill time, and giving up on one that outlives SIGKILL by KILL_WAIT. */
static void wait_gone(leftover *l, size_t n, pm_logstream *log)
{
    while (scan(l, n) > 0) {
        double t = now();
        bool waiting = false;
        for (size_t i = 0; i < n; i++) {
            if (!l[i].alive || t < l[i].deadline) {
                waiting |= l[i].alive;
                continue;
            }
            if (l[i].killed) {
                pm_logstream_message(log, "recovery: %s: process group %d survived SIGKILL", l[i].name,
                                     (int)l[i].pgid);
                l[i].pgid = 0; /* matches no process: no longer watched */
                continue;
            }
            pm_logstream_message(log, "recovery: %s: process group %d still running after its kill time; SIGKILL",
                                 l[i].name, (int)l[i].pgid);
            (void)kill(-l[i].pgid, SIGKILL);
            l[i].killed = true;
            l[i].deadline = t + KILL_WAIT;
            waiting = true;
        }
        if (!waiting)
            return;
        nanosleep(&(struct timespec){0, POLL_NS}, NULL);
    }
}

/* The entries that are still ours and alive. */
static size_t find_leftovers(const pm_state_entry *e, size_t n, leftover *l)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned long long start = pm_proc_starttime(e[i].pid);
        l[count] = (leftover){.pgid = e[i].pid, .name = e[i].name};
        if (start != 0 && (e[i].start == 0 || start != e[i].start))
            continue; /* the pid is another process's now (or cannot be told apart) */
        if (start == 0 && scan(&l[count], 1) == 0)
            continue; /* the leader and its whole group are gone */
        count++;
    }
    return count;
}

void pm_recover(const char *path, const pm_program *programs, size_t nprograms, double kill_time,
                pm_logstream *log)
{
    pm_state_entry *entries;
    size_t n;
    int r = pm_state_read(path, &entries, &n);
    if (r == -ENOENT)
        return;
    if (r < 0) {
        pm_logstream_message(log, "recovery: cannot read %s: %s", path, strerror(-r));
        return;
    }
    leftover *l = calloc(n ? n : 1, sizeof *l);
    size_t count = l ? find_leftovers(entries, n, l) : 0;
    if (!l)
        pm_logstream_message(log, "recovery: out of memory reading %s", path);
    double t0 = now();
    for (size_t i = 0; i < count; i++) {
        const pm_program *p = program_named(programs, nprograms, l[i].name);
        int sig = p ? p->spec.stop_signal : SIGTERM;
        l[i].deadline = t0 + (p && p->spec.kill_time >= 0 ? p->spec.kill_time : kill_time);
        pm_logstream_message(log, "recovery: %s: stopping process group %d, left running by an earlier procmon",
                             l[i].name, (int)l[i].pgid);
        if (kill(-l[i].pgid, sig) < 0 && errno == ESRCH)
            (void)kill(l[i].pgid, sig);
    }
    pm_logstream_flush(log); /* the wait can be long: say why now */
    wait_gone(l, count, log);
    if (count > 0)
        pm_logstream_message(log, "recovery: %zu process group%s from an earlier procmon stopped", count,
                             count == 1 ? "" : "s");
    free(l);
    pm_state_entries_free(entries, n);
    pm_logstream_flush(log);
    if (unlink(path) < 0 && errno != ENOENT)
        pm_logstream_message(log, "recovery: cannot remove %s: %s", path, strerror(errno));
}
