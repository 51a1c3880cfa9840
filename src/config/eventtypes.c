/* supervisord's event type names (its events.EventTypes). */
#include "eventtypes.h"

#include <string.h>

static const char *const names[PM_EV_COUNT] = {
    [PM_EV_PROCESS_STATE_STOPPED] = "PROCESS_STATE_STOPPED",
    [PM_EV_PROCESS_STATE_EXITED] = "PROCESS_STATE_EXITED",
    [PM_EV_PROCESS_STATE_STARTING] = "PROCESS_STATE_STARTING",
    [PM_EV_PROCESS_STATE_STOPPING] = "PROCESS_STATE_STOPPING",
    [PM_EV_PROCESS_STATE_BACKOFF] = "PROCESS_STATE_BACKOFF",
    [PM_EV_PROCESS_STATE_FATAL] = "PROCESS_STATE_FATAL",
    [PM_EV_PROCESS_STATE_RUNNING] = "PROCESS_STATE_RUNNING",
    [PM_EV_PROCESS_STATE_UNKNOWN] = "PROCESS_STATE_UNKNOWN",
    [PM_EV_PROCESS_COMMUNICATION_STDOUT] = "PROCESS_COMMUNICATION_STDOUT",
    [PM_EV_PROCESS_COMMUNICATION_STDERR] = "PROCESS_COMMUNICATION_STDERR",
    [PM_EV_PROCESS_LOG_STDOUT] = "PROCESS_LOG_STDOUT",
    [PM_EV_PROCESS_LOG_STDERR] = "PROCESS_LOG_STDERR",
    [PM_EV_REMOTE_COMMUNICATION] = "REMOTE_COMMUNICATION",
    [PM_EV_SUPERVISOR_STATE_CHANGE_RUNNING] = "SUPERVISOR_STATE_CHANGE_RUNNING",
    [PM_EV_SUPERVISOR_STATE_CHANGE_STOPPING] = "SUPERVISOR_STATE_CHANGE_STOPPING",
    [PM_EV_TICK_5] = "TICK_5",
    [PM_EV_TICK_60] = "TICK_60",
    [PM_EV_TICK_3600] = "TICK_3600",
    [PM_EV_PROCESS_GROUP_ADDED] = "PROCESS_GROUP_ADDED",
    [PM_EV_PROCESS_GROUP_REMOVED] = "PROCESS_GROUP_REMOVED",
};

/* The abstract types, by the prefix their members' names share. */
static const struct {
    const char *name, *prefix;
} abstract[] = {
    {"EVENT", ""},
    {"PROCESS_STATE", "PROCESS_STATE_"},
    {"PROCESS_COMMUNICATION", "PROCESS_COMMUNICATION_"},
    {"PROCESS_LOG", "PROCESS_LOG_"},
    {"SUPERVISOR_STATE_CHANGE", "SUPERVISOR_STATE_CHANGE_"},
    {"TICK", "TICK_"},
    {"PROCESS_GROUP", "PROCESS_GROUP_"},
};

unsigned pm_sv_events_named(const char *name)
{
    const char *prefix = NULL;
    for (size_t i = 0; i < sizeof abstract / sizeof *abstract; i++)
        if (strcmp(abstract[i].name, name) == 0)
            prefix = abstract[i].prefix;
    unsigned bits = 0;
    for (int t = 0; t < PM_EV_COUNT; t++)
        if (prefix ? strncmp(names[t], prefix, strlen(prefix)) == 0 : strcmp(names[t], name) == 0)
            bits |= PM_EV_BIT(t);
    return bits;
}

const char *pm_sv_event_name(pm_sv_event t)
{
    return names[t];
}
