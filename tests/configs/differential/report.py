"""The child that tests/cli/supervisord_diff.py runs under supervisord and
under procmon: it writes what it was started with (argv as exec'd, the
environment, the working directory, the umask, its ids) to
$DIFF_OUT/PID.json, then waits for the signal that stops it."""
import json
import os
import signal
import sys

with open("/proc/self/status") as f:
    umask = next(line.split()[1] for line in f if line.startswith("Umask:"))
report = {
    "pid": os.getpid(),
    "argv": sys.orig_argv,
    "env": dict(os.environ),
    "cwd": os.getcwd(),
    "umask": umask,
    "uid": os.getuid(),
    "gid": os.getgid(),
    "groups": sorted(os.getgroups()),
}
out = os.path.join(os.environ["DIFF_OUT"], "%d.json" % os.getpid())
with open(out + ".tmp", "w") as f:
    json.dump(report, f)
os.rename(out + ".tmp", out)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(sig, signal.SIG_DFL)
while True:
    signal.pause()
