/* supervisord's XML-RPC interface, at /RPC2 on the HTTP listeners: the
 * supervisor.* and system.* methods that supervisorctl and the API's users
 * call, with supervisord's fault codes.  A method is found in a fixed
 * table, and nothing else is reachable.  A start or stop that waits for
 * its process answers when the monitor says so: the loop never waits. */
#ifndef PM_RPC_H
#define PM_RPC_H

#include "daemon.h"
#include "httpd.h"

/* supervisord's fault codes (xmlrpc.py's Faults). */
enum {
    PM_FAULT_UNKNOWN_METHOD = 1,
    PM_FAULT_INCORRECT_PARAMETERS = 2,
    PM_FAULT_BAD_ARGUMENTS = 3,
    PM_FAULT_SIGNATURE_UNSUPPORTED = 4,
    PM_FAULT_SHUTDOWN_STATE = 6,
    PM_FAULT_BAD_NAME = 10,
    PM_FAULT_BAD_SIGNAL = 11,
    PM_FAULT_NO_FILE = 20,
    PM_FAULT_NOT_EXECUTABLE = 21,
    PM_FAULT_FAILED = 30,
    PM_FAULT_ABNORMAL_TERMINATION = 40,
    PM_FAULT_SPAWN_ERROR = 50,
    PM_FAULT_ALREADY_STARTED = 60,
    PM_FAULT_NOT_RUNNING = 70,
    PM_FAULT_SUCCESS = 80,
    PM_FAULT_ALREADY_ADDED = 90,
    PM_FAULT_STILL_RUNNING = 91,
    PM_FAULT_CANT_REREAD = 92,
};

/* The HTTP listeners' handler (arg: the daemon). */
void pm_rpc_handle(void *daemon, pm_http_request *req);

#endif
