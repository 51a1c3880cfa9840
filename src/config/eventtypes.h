/* supervisord's event types, for [eventlistener:x] events and the events
 * procmon sends its listeners.  A listener that names an abstract type
 * (EVENT, PROCESS_STATE, TICK ...) gets every type under it. */
#ifndef PM_EVENTTYPES_H
#define PM_EVENTTYPES_H

typedef enum {
    PM_EV_PROCESS_STATE_STOPPED,
    PM_EV_PROCESS_STATE_EXITED,
    PM_EV_PROCESS_STATE_STARTING,
    PM_EV_PROCESS_STATE_STOPPING,
    PM_EV_PROCESS_STATE_BACKOFF,
    PM_EV_PROCESS_STATE_FATAL,
    PM_EV_PROCESS_STATE_RUNNING,
    PM_EV_PROCESS_STATE_UNKNOWN,
    PM_EV_PROCESS_COMMUNICATION_STDOUT,
    PM_EV_PROCESS_COMMUNICATION_STDERR,
    PM_EV_PROCESS_LOG_STDOUT,
    PM_EV_PROCESS_LOG_STDERR,
    PM_EV_REMOTE_COMMUNICATION,
    PM_EV_SUPERVISOR_STATE_CHANGE_RUNNING,
    PM_EV_SUPERVISOR_STATE_CHANGE_STOPPING,
    PM_EV_TICK_5,
    PM_EV_TICK_60,
    PM_EV_TICK_3600,
    PM_EV_PROCESS_GROUP_ADDED,
    PM_EV_PROCESS_GROUP_REMOVED,
    PM_EV_COUNT
} pm_sv_event;

#define PM_EV_BIT(t) (1u << (t))

/* The types `name` stands for (itself, or all under an abstract one); 0
 * for a name supervisord does not know. */
unsigned pm_sv_events_named(const char *name);
/* A concrete type's name, as the envelope's eventname. */
const char *pm_sv_event_name(pm_sv_event t);

#endif
