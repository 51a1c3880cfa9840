"""The container pattern, with supervisord's own client library: when a
program goes FATAL, shut supervisord (here procmon) down through
SUPERVISOR_SERVER_URL.  Also writes what childutils parsed to argv[1]."""
import os
import sys

from supervisor import childutils

out = open(sys.argv[1], "a")
rpc = childutils.getRPCInterface(os.environ)
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    pheaders, _ = childutils.eventdata(payload + "\n")
    out.write("%s %s %s\n" % (headers["eventname"], pheaders.get("processname"), pheaders.get("from_state")))
    out.flush()
    if headers["eventname"] == "PROCESS_STATE_FATAL":
        rpc.supervisor.shutdown()
    childutils.listener.ok(sys.stdout)
