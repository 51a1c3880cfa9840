"""Compares what `procmon check-config` makes of a config file with what
supervisord's own parser (supervisor.options, 4.2) makes of it: the same
processes, each with the same argv and environment.  Usage:
    supervisord_oracle.py PROCMON FILE
Exit 0 when they agree, 1 with the differences, 77 when supervisor cannot
be imported."""
import os
import shlex
import subprocess
import sys

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-supervisor
try:
    from supervisor.options import ServerOptions
except Exception:  # not installed, or for another Python
    sys.exit(77)

procmon, path = sys.argv[1], sys.argv[2]

options = ServerOptions()
options.configfile = path
options.here = os.path.dirname(os.path.abspath(path))
section = options.read_config(path)
theirs = {}
for group in section.process_group_configs:
    for proc in group.process_configs:
        kind = type(proc).__name__
        if kind not in ("ProcessConfig", "EventListenerConfig"):  # FastCGI: not run by procmon
            continue
        name = proc.name if group.name == proc.name else "%s:%s" % (group.name, proc.name)
        theirs[name] = (shlex.split(proc.command), dict(proc.environment or {}))

out = subprocess.run([procmon, "check-config", "-c", path], capture_output=True, text=True)
if out.returncode != 0:
    print("procmon check-config failed:", out.stderr, end="")
    sys.exit(1)
ours, current = {}, None
for line in out.stdout.splitlines():
    if line.startswith("program "):
        current = line.split()[1]
        ours[current] = [None, {}]
    elif current and line.startswith("  argv "):
        ours[current][0] = shlex.split(line[len("  argv "):].strip())
    elif current and line.startswith("  env "):
        key, _, value = line[len("  env "):].strip().partition("=")
        # supervisord adds its SUPERVISOR_* variables when it spawns, so its
        # parser has none; the differential runs compare them in the children.
        if not key.startswith("SUPERVISOR_"):
            ours[current][1][key] = value

# supervisord names each process of a program outside [group:x] as
# "program:process" when they differ (numprocs); procmon keeps "process".
mapped = {}
for name, value in theirs.items():
    group, _, proc = name.partition(":")
    if proc and name not in ours and proc in ours:
        name = proc
    mapped[name] = value

problems = []
for name in sorted(set(mapped) | set(ours)):
    if name not in ours:
        problems.append("procmon does not run %s" % name)
    elif name not in mapped:
        problems.append("supervisord does not run %s" % name)
    else:
        if ours[name][0] != mapped[name][0]:
            problems.append("%s: argv %r, supervisord's %r" % (name, ours[name][0], mapped[name][0]))
        if ours[name][1] != mapped[name][1]:
            problems.append("%s: environment %r, supervisord's %r" % (name, ours[name][1], mapped[name][1]))
print("\n".join(problems) if problems else "%d processes agree" % len(ours))
sys.exit(1 if problems else 0)
