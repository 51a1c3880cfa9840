/* supervisord's events and their listeners.  Each [eventlistener:x] is a
 * pool of listener processes with a buffer of events waiting; an event of
 * a type a pool takes goes into its buffer (the oldest dropped, and
 * logged, when it is full) and to the first of its listeners that is
 * RUNNING and has said READY, as an envelope on its stdin.  The listener
 * answers on its stdout (RESULT, then OK or FAIL); a failed or
 * unanswered event (the listener died) is sent again.  Nothing is made
 * for a type no pool takes, and the TICK timer runs only while a pool
 * takes a TICK type. */
#ifndef PM_EVENTS_H
#define PM_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

typedef struct pm_events pm_events;
typedef struct pm_listener pm_listener;

/* 0 or -ENOMEM. */
int pm_events_new(pm_daemon *d, pm_events **out);
void pm_events_free(pm_events *e);

/* The listener state a listener process keeps (its procdata's), in the
 * pool `name` with the types and buffer_size given (the latest config's);
 * NULL when out of memory. */
pm_listener *pm_listener_new(pm_events *e, const char *pool, unsigned types, int buffer_size);
/* Its event, if it held one, goes back to its pool. */
void pm_listener_free(pm_events *e, pm_listener *l);

/* A monitor event about a process (not its lines): its state changes
 * become PROCESS_STATE events, and a listener's start and end reset it. */
void pm_events_process(pm_events *e, const pm_event *ev);
/* Lines of a process's output: a listener's stdout is its side of the
 * protocol; other processes' are PROCESS_LOG events when enabled. */
void pm_events_output(pm_events *e, const pm_event *ev);
/* SUPERVISOR_STATE_CHANGE_RUNNING or _STOPPING. */
void pm_events_supervisor(pm_events *e, bool running);
/* PROCESS_GROUP_ADDED or _REMOVED. */
void pm_events_group(pm_events *e, const char *group, bool added);
/* REMOTE_COMMUNICATION (sendRemoteCommEvent). */
void pm_events_remote(pm_events *e, const char *type, const char *data, size_t len);
/* Starts or stops the TICK timer as the pools now ask. */
void pm_events_update_ticks(pm_events *e);

#endif
