/* The XML-RPC methods about procmon itself: versions, identity, state,
 * pid and shutdown. */
#include "rpc_internal.h"

#include <unistd.h>

#include "events.h"

void rpc_api_version(rpc_call *c)
{
    if (rpc_params_are(c, ""))
        rpc_done(c, json_string("3.0"));
}

void rpc_supervisor_version(rpc_call *c)
{
    if (rpc_params_are(c, ""))
        rpc_done(c, json_string(PM_VERSION));
}

void rpc_identification(rpc_call *c)
{
    const char *id = c->d->settings->identifier;
    if (rpc_params_are(c, ""))
        rpc_done(c, rpc_text(id ? id : "supervisor"));
}

void rpc_get_state(rpc_call *c)
{
    if (!rpc_params_are(c, ""))
        return;
    bool stopping = c->d->stopping;
    rpc_done(c, json_pack("{s:i,s:s}", "statecode", stopping ? -1 : 1, "statename",
                          stopping ? "SHUTDOWN" : "RUNNING"));
}

void rpc_get_pid(rpc_call *c)
{
    if (rpc_params_are(c, ""))
        rpc_done(c, json_integer(getpid()));
}

static void shutdown_now(void *daemon)
{
    pm_logstream_message(((pm_daemon *)daemon)->log, "shutdown asked for over XML-RPC");
    pm_daemon_shutdown(daemon, NULL);
}

/* As supervisord: true at once, and procmon stops every program and exits
 * once the answer is out. */
void rpc_shutdown(rpc_call *c)
{
    if (!rpc_params_are(c, ""))
        return;
    if (c->d->stopping) {
        rpc_fault(c, PM_FAULT_SHUTDOWN_STATE, NULL);
        return;
    }
    pm_http_request *req = rpc_top_request(c);
    if (req)
        pm_http_on_done(req, shutdown_now, c->d);
    rpc_done(c, json_true());
}

/* REMOTE_COMMUNICATION to the listeners that take it. */
void rpc_send_remote_comm_event(rpc_call *c)
{
    if (!rpc_params_are(c, "ss"))
        return;
    json_t *data = json_array_get(c->params, 1);
    pm_events_remote(c->d->events, rpc_param_str(c, 0), json_string_value(data), json_string_length(data));
    rpc_done(c, json_true());
}
