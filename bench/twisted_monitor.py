#!/usr/bin/python3
"""Twisted's ProcessMonitor (procmon's ancestor) running the programs of a
JSON file, for the side-by-side benchmarks in this folder.

    /usr/bin/python3 bench/twisted_monitor.py PROGRAMS.json LOGFILE

PROGRAMS.json is {"name": [argv...], ...}. Everything is left at Twisted's
defaults (threshold 1 s, back-off 1 s doubling up to 3600 s, kill time 5 s)
except that each program inherits this process's environment, as under the
other supervisors. The children's lines go through Twisted's logger into
LOGFILE, one timestamped line each (textFileLogObserver). SIGTERM or SIGINT
stops the reactor, which first stops the monitor (SIGTERM to each program).
It needs Debian's python3-twisted, hence Debian's /usr/bin/python3.
"""
import json, os, sys

from twisted.internet import reactor
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.runner.procmon import ProcessMonitor


def main():
    programs_file, log_file = sys.argv[1:]
    with open(programs_file) as f:
        programs = json.load(f)
    log = open(log_file, "a")
    globalLogBeginner.beginLoggingTo([textFileLogObserver(log)], redirectStandardIO=False)
    monitor = ProcessMonitor()
    for name, argv in programs.items():
        monitor.addProcess(name, argv, env=dict(os.environ))
    reactor.callWhenRunning(monitor.startService)
    reactor.addSystemEventTrigger("before", "shutdown", monitor.stopService)
    reactor.run()


if __name__ == "__main__":
    main()
