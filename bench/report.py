"""The suite's Markdown: a header about the machine, then one table per
workload, measurements as rows and systems as columns, with procmon's ratio
to each other system."""
import os, platform, statistics, subprocess, time

# key, workload, session, label, unit, which way is better (None: neither)
METRICS = [
    ("start100", "memory", "100", "start-up, 100 children: launch → all started", "s", "lower"),
    ("rss100", "memory", "100", "RSS, 100 children", "MiB", "lower"),
    ("pss100", "memory", "100", "PSS, 100 children", "MiB", "lower"),
    ("start1000", "memory", "1000", "start-up, 1000 children: launch → all started", "s", "lower"),
    ("rss1000", "memory", "1000", "RSS, 1000 children", "MiB", "lower"),
    ("pss1000", "memory", "1000", "PSS, 1000 children", "MiB", "lower"),
    ("idle_cpu", "idle", "100", "CPU, 100 idle children", "% of a core", "lower"),
    ("idle_cs", "idle", "100", "context switches, 100 idle children", "per s", "lower"),
    ("restart", "restart", "restart", "exit → next start", "ms", "lower"),
    ("log_time", "log", "log", "launch → 2,000,000 lines in the log", "s", "lower"),
    ("log_rate", "log", "log", "payload rate", "MB/s", "higher"),
    ("log_cpu", "log", "log", "CPU time of the supervisor (loggers included)", "s", "lower"),
    ("rot_time", "rotate", "rotate", "launch → all written", "s", "lower"),
    ("rot_writer", "rotate", "rotate", "writer's start → all written", "s", "lower"),
    ("rot_rate", "rotate", "rotate", "payload rate over the writer's time", "MB/s", "higher"),
    ("rot_cpu", "rotate", "rotate", "CPU time of the supervisor, from launch", "s", "lower"),
    ("rot_wcpu", "rotate", "rotate", "CPU time of the supervisor, from the writer's start", "s", "lower"),
    ("rot_split", "rotate", "rotate", "lines split between two files, in the kept files³", "", "lower"),
    ("rot_wrong", "rotate", "rotate", "kept bytes not the writer's last bytes in order³", "", "lower"),
    ("out_time", "stdout", "stdout", "launch → all written", "s", "lower"),
    ("out_writer", "stdout", "stdout", "writer's start → all written", "s", "lower"),
    ("out_rate", "stdout", "stdout", "payload rate over the writer's time", "MB/s", "higher"),
    ("out_cpu", "stdout", "stdout", "CPU time of the supervisor, from launch", "s", "lower"),
    ("out_wcpu", "stdout", "stdout", "CPU time of the supervisor, from the writer's start", "s", "lower"),
    ("out_lost", "stdout", "stdout", "child lines missing or not whole⁴", "", "lower"),
    ("out_mixed", "stdout", "stdout", "child lines with a supervisor message inside⁴", "", "lower"),
    ("crash_cpu", "crash", "crash", "CPU over the 20 s", "% of a core", "lower"),
    ("crash_starts", "crash", "crash", "starts in 20 s (default back-off)", "", None),
    ("shutdown", "shutdown", "100", "stop request → supervisor and 100 children gone", "ms", "lower"),
    ("status", "control", "1000", "status of 1000 programs, round trip", "ms", "lower"),
]
BASELINES = {
    "memory": [("spawn", "spawn loop⁵")],
    "shutdown": [("kill", "kill loop⁵")],
    "restart": [("spawn", "spawn floor¹")],
    "log": [("file", "child > file²"), ("cat", "child \\| cat > file²")],
    "rotate": [("file", "child > file²")],
    "stdout": [("cat", "child \\| cat > file²")],
}
NOTES = """\
How each system runs (everything else at its defaults):

- **procmon**: `procmon run -c FILE`, with `socket =` and `log_file =` in the
  temporary folder (its log has a timestamp and the name on every line; if
  it rotates that file by size, every rotated file is counted too).
- **supervisord**: `supervisord -n -c FILE`, its own `unix_http_server`
  socket, log, pid file and `childlogdir` in the temporary folder; each
  program `autorestart=true`, `startretries=1000000`; for the log workload
  `stdout_logfile=FILE`, `stdout_logfile_maxbytes=0` (supervisord has no
  timestamps for a program's output). Otherwise its defaults: `startsecs=1`,
  AUTO log files for each program's stdout and stderr, `loglevel=info`.
- **s6**: `s6-svscan [-c N] SCANDIR` (`-c` only above its default of 500
  services), a service directory per program whose `run` is
  `#!/bin/sh` + `exec PROGRAM`; for the log workload a `log/run` with
  `s6-log n1000 s268435455 T LOGDIR` (ISO 8601 timestamps, the largest
  `current` file s6-log allows; every file of the logdir is counted).
  Stopped with SIGTERM to s6-svscan (the same as `s6-svscanctl -t`).
- **runit**: `runsvdir SVDIR`, `run` scripts as for s6; for the log
  workload a `log/run` with `svlogd -tt LOGDIR` and `s0` in its `config`
  (no rotation; its read buffer stays at the default 1024 bytes). Stopped
  with SIGHUP to runsvdir (runsvdir(8): it sends TERM to every runsv, and
  each runsv stops its service and exits).
- **twisted**: `bench/twisted_monitor.py`: `ProcessMonitor` at its
  defaults under Debian's `/usr/bin/python3`, children's lines through a
  `textFileLogObserver` (timestamped) into a file; stopped with SIGTERM.
  It has no control interface.

The supervisor's own processes, whose memory and CPU are counted: procmon,
supervisord and the twisted python process alone; s6-svscan with every
s6-supervise (and s6-log); runsvdir with every runsv (and svlogd). Never the
children, and never the `sh` that s6's and runit's `run` scripts exec into
the child. CPU is utime + stime from `/proc/PID/stat`, in clock ticks
(1/100 s: over 20 s, 0.05 % of a core); memory is from
`/proc/PID/smaps_rollup`; context switches are the voluntary and
involuntary ones of `/proc/PID/status`. Times of starts and exits are the
children's own records on the monotonic clock. Each cell: median (min–max)
over the runs; the restart and status figures over every cycle or call of
every run. A ratio is procmon's median divided by the other system's.

For log, the writer's last line is END-OF-OUTPUT: the end is when that line
is near the end of a log file that grew (looked for every 2 ms), and all the
lines are counted only afterwards, so that no reader takes CPU from the
system measured while it works.

For rotate and stdout (procmon and supervisord only: the others have no
such keys) the program is `sh -c 'child write N 100 && echo END-OF-OUTPUT &&
exec child sleep >/dev/null'`, and "all written" is when END-OF-OUTPUT ends
x.log (or x.log.1) or appears in the stdout file: both supervisors write a
program's output in order, so everything before it is written then, and the
child has exited. The files are checked only after the time and CPU are
taken. Sizes such as 10MB are 1024-based for both.

¹ posix_spawn from the suite's Python to the child's first instruction, the
floor under any restart latency. ² The same writer without any supervisor,
straight into a file, and through `cat` into a file, in the same run.
³ x.log.3, x.log.2, x.log.1 and x.log read in that order must be the last
bytes the program wrote: the second row counts the kept bytes before the first
difference, from the end (0: all are right); a line is split when a file ends
inside it, or when the oldest kept file starts inside one. procmon rotates
before a line that would not fit, supervisord after the write that reached the
limit, whatever it held. ⁴ The file less the supervisor's own messages (lines
starting with a date: supervisord -n logs to its standard output too; procmon's
log stream goes to its `log_file`) must be the program's bytes exactly; if not,
the first row is how many of its lines are not found whole. A message that
does not start right after a `\\n` sits inside one of the program's lines.
⁵ The same sleeping children started by a bare `posix_spawn` loop in the
suite's Python, no supervisor: from the first spawn to the last child's first
instruction, the floor under any start-up (only the start-up rows); and
stopped by a bare loop of SIGTERM, from the first signal until all are gone,
the floor under any shutdown.
"""


def metrics_of(workloads, session):
    return [m[0] for m in METRICS if m[1] in workloads and m[2] == session]


def num(v):
    if v == 0:
        return "0"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def cell(values):
    med = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return num(med)
    return f"{num(med)} ({num(min(values))}–{num(max(values))})"


def ratio(mine, theirs, better):
    if not mine or not theirs:
        return "—"
    a, b = statistics.median(mine), statistics.median(theirs)
    if b == 0:
        return "both 0" if a == 0 else "—"
    r = a / b
    if better is None or r == 1:
        return f"{num(r)}×"
    good = r < 1 if better == "lower" else r > 1
    return f"{num(r)}× ({'better' if good else 'worse'})"


def lookup(suite, key, column):
    """(values, or None and the text for the cell)."""
    if reason := suite.failures.get(key, {}).get(column):
        return None, f"failed: {reason}"
    if reason := suite.na.get(key, {}).get(column):
        return None, f"n/a ({reason})"
    values = suite.values.get(key, {}).get(column)
    return (values, cell(values)) if values else (None, "—")


def machine(load_at_start):
    def first(path, prefix):
        try:
            with open(path) as f:
                return next((l.split(":", 1)[1].strip() for l in f if l.startswith(prefix)), "?")
        except OSError:
            return "?"
    distro = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            distro = next((l.split("=", 1)[1].strip().strip('"') for l in f
                           if l.startswith("PRETTY_NAME=")), "?")
    mem = int(first("/proc/meminfo", "MemTotal").split()[0]) / 1024 / 1024
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (f"`nproc` {nproc}, {first('/proc/cpuinfo', 'model name')}, {mem:.1f} GiB memory, "
            f"{distro}, kernel {platform.release()}; load average (1 min) at the start "
            f"{load_at_start:.2f}, at the end {os.getloadavg()[0]:.2f}")


def markdown(suite, systems, want, workloads, elapsed, args, versions):
    others = [s for s in systems if s != "procmon"]
    out = ["# procmon side by side", "",
           f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
           f"- machine: {machine(suite.load_at_start)}",
           "- versions: " + "; ".join(f"{s}: {versions[s]}" for s in systems),
           f"- command: `bench/suite.py{''.join(' ' + a for a in args)}` "
           f"({suite.repeat} run{'s' if suite.repeat > 1 else ''} of each workload on each system; "
           f"{elapsed / 60:.1f} minutes in all)",
           "", "Each ratio column is procmon's median divided by that system's; "
           "each row says whether lower or higher is better.", ""]
    for w in workloads:
        if w not in want:
            continue
        rows = [m for m in METRICS if m[1] == w]
        base = BASELINES.get(w, [])
        head = (["measurement"] + systems + [label for _, label in base]
                + [f"procmon / {o}" for o in others if "procmon" in systems])
        out += [f"## {w}", "", workloads[w] + ".", "",
                "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for key, _, _, label, unit, better in rows:
            way = {"lower": ", lower is better", "higher": ", higher is better"}.get(better, "")
            line = [f"{label} ({unit}{way})" if unit else f"{label}{way.replace(', ', ' (', 1) + ')' if way else ''}"]
            got = {}
            for s in systems:
                got[s], text = lookup(suite, key, s)
                line.append(text)
            for col, _ in base:
                line.append(lookup(suite, key, col)[1])
            if "procmon" in systems:
                line += [ratio(got["procmon"], got[o], better) for o in others]
            out.append("| " + " | ".join(line) + " |")
        out.append("")
    out.append(NOTES)
    return "\n".join(out)


def replace_section(path, section, text):
    """Writes text as the section titled `section` of the Markdown file at
    path: in place of an earlier one with that title, else at the end."""
    old = open(path).read() if os.path.exists(path) else ""
    if section in old:
        head, _, rest = old.partition(section)
        old = head + (rest[rest.find("\n## ") + 1:] if "\n## " in rest else "")
    with open(path, "w") as f:
        f.write(old.rstrip("\n") + "\n\n" + text if old.strip() else text)
