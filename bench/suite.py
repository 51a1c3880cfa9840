#!/usr/bin/python3
"""procmon side by side with supervisord, s6, runit and Twisted's ProcessMonitor.

    bench/suite.py [--systems a,b] [--workloads x,y] [--repeat R]
                   [--output FILE] [--procmon PATH] [--child PATH]
                   [--target-bytes N]

Every workload runs on every system, R times (each run with a fresh
supervisor in a fresh temporary folder; the systems take turns within each
round, so a change in the machine's load spreads over all of them), and the
Markdown table goes to standard output and to --output (bench/results.md by
default for a full run; a run narrowed with --systems or --workloads only
writes a file when given --output). The workloads (see WORKLOADS): the
figures come from the children's --events records (monotonic clock) and from
/proc of the supervisor's own processes, never of the children.

The suite is a child subreaper and, whatever happens (an error, Ctrl-C,
SIGTERM), kills every process below it before it exits.
"""
import argparse, os, re, resource, shlex, shutil, signal, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
import procs, report  # noqa: E402
from systems import SYSTEMS, Failed  # noqa: E402

WORKLOADS = {
    "memory": "100 and 1000 sleeping children: time from launching the supervisor until all have "
              "started, then (2 s later) RSS and PSS summed over the supervisor's own processes",
    "idle": "100 sleeping children, from 2 s after all started, for 20 s: CPU and context switches "
            "of the supervisor's own processes",
    "restart": "one child that lives 1.2 s (longer than every system's threshold), about 20 cycles "
               "in all: from one child's exit to the next one's start",
    "log": "one child writing 2,000,000 lines of 100 bytes: time from launch until the last line is "
           "in the supervisor's log, the payload rate, and the CPU time of the supervisor's own "
           "processes (its loggers included)",
    "rotate": "one child writing {mb} of 100-byte lines into its own file, `stdout_logfile=DIR/x.log`, "
              "`stdout_logfile_maxbytes=10MB`, `stdout_logfile_backups=3` (procmon and supervisord, the "
              "same keys): time from launch until all of it is written, the payload rate, the CPU time "
              "of the supervisor, and what the kept files (x.log, x.log.1 to .3) hold",
    "stdout": "the same child with `stdout_logfile=/dev/stdout`, `stdout_logfile_maxbytes=0` (procmon and "
              "supervisord), the supervisor's standard output a pipe that `cat > FILE` reads, as a "
              "container runtime reads it: the same figures, and what FILE holds",
    "crash": "50 children that exit 1 at once, for 20 s from launch: CPU of the supervisor's own "
             "processes, and how many starts happened (each system's default back-off)",
    "shutdown": "100 sleeping children: from the stop request until the supervisor and every child "
                "are gone",
    "control": "1000 sleeping children: one status round trip from the command line",
}
SLEEP_FIRST = 2.0        # seconds between the last start and a measurement
IDLE_SECONDS = 20.0
CRASH_SECONDS = 20.0
CRASH_PROGRAMS = 50
RESTART_CYCLES = 20      # over all repeats together
LOG_BYTES, LOG_LINE = 200_000_000, 100
TARGET_BYTES = 200_000_000  # the rotate and stdout workloads' writer (--target-bytes)
TARGET_MAXBYTES, TARGET_BACKUPS = "10MB", 3
END = b"END-OF-OUTPUT\n"   # the writer's last line; its others are lowercase letters only
TARGET_ONLY = ("procmon", "supervisord")  # the systems with supervisord's output keys
STATUS_CALLS = 3         # per run of the control workload
START_LIMIT = 180.0      # seconds for any start-up or shutdown


class Events:
    """The children's --events file, read as it grows: (what, pid, ns)."""

    def __init__(self, path):
        self.path, self.records, self._f, self._pending = path, [], None, b""

    def read(self):
        if self._f is None:
            try:
                self._f = open(self.path, "rb")
            except FileNotFoundError:
                return self.records
        data = self._pending + self._f.read()
        lines = data.split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            what, pid, ns = line.split()
            self.records.append((what.decode(), int(pid), int(ns)))
        return self.records

    def starts(self):
        return [r for r in self.read() if r[0] == "start"]

    def close(self):
        if self._f:
            self._f.close()


class Run:
    """One workload session of one system: its folder, its events, its results."""

    def __init__(self, suite, cls):
        self.suite = suite
        self.dir = tempfile.mkdtemp(dir=suite.tmp, prefix=cls.name + "-")
        self.system = cls(suite.procmon, self.dir)
        self.events = Events(os.path.join(self.dir, "events"))
        self.recorded = set()

    def child(self, *args):
        return [self.suite.child, "--events", self.events.path, *args]

    def launch(self, programs, log=False, output=None, pipe=False):
        self.system.configure(programs, log, output)
        self.t0 = time.monotonic_ns()
        self.system.start(pipe)

    def wait_starts(self, n, limit=START_LIMIT):
        """Wait until n children have started; their start records."""
        deadline = time.monotonic() + limit
        while len(starts := self.events.starts()) < n:
            self.system.check_alive()
            if time.monotonic() > deadline:
                raise Failed(f"{len(starts)} of {n} children started within {limit:.0f} s"
                             f"{self.system.output_tail()}")
            time.sleep(0.002)
        return starts

    def record(self, metric, values):
        self.suite.record(metric, self.system.name, values)
        self.recorded.add(metric)

    def close(self):
        self.events.close()
        self.system.cleanup()
        left = procs.kill_descendants()
        shutil.rmtree(self.dir, ignore_errors=True)
        if left:
            raise Failed(f"could not kill pids {left}")


# ---- the workloads; each takes a Run and records its figures ----

def sleepers(run, n, want):
    """memory (start-up, RSS, PSS), then idle, control or shutdown, on one
    supervisor with n sleeping children."""
    run.launch({f"p{i:04d}": run.child("sleep") for i in range(n)})
    starts = run.wait_starts(n)
    if "memory" in want:
        run.record(f"start{n}", (max(s[2] for s in starts) - run.t0) / 1e9)
    time.sleep(SLEEP_FIRST)
    own = run.system.own_pids()
    if "memory" in want:
        rss, pss = procs.memory_kib(own)
        run.record(f"rss{n}", rss / 1024)
        run.record(f"pss{n}", pss / 1024)
    if "idle" in want:
        cpu, switches, t = procs.cpu_seconds(own), procs.context_switches(own), time.monotonic()
        time.sleep(IDLE_SECONDS)
        if sorted(run.system.own_pids()) != sorted(own):
            raise Failed("its own processes changed while idle")
        secs = time.monotonic() - t
        run.record("idle_cpu", (procs.cpu_seconds(own) - cpu) / secs * 100)
        run.record("idle_cs", (procs.context_switches(own) - switches) / secs)
    if "control" in want:
        status(run)
    if "shutdown" in want:
        if len(run.events.starts()) != n:
            raise Failed("a child was restarted before the shutdown")
        fds = procs.watch(own + [s[1] for s in starts])
        t = time.monotonic()
        run.system.stop()
        left = procs.wait_pidfds(fds, t + START_LIMIT)
        if left:
            raise Failed(f"{left} processes still alive {START_LIMIT:.0f} s after the stop request")
        run.record("shutdown", (time.monotonic() - t) * 1000)


def status(run):
    command = run.system.status_command()
    if command is None:
        run.suite.not_applicable("status", run.system.name, "no control command")
        run.recorded.add("status")
        return
    argv, check = command
    times = []
    for _ in range(STATUS_CALLS):
        t = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True)
        times.append((time.monotonic() - t) * 1000)
        if error := check(r.stdout):
            raise Failed(f"{error} (exit status {r.returncode}) {r.stderr.strip()[:200]}")
    run.record("status", times)


def restart(run, cycles):
    run.launch({"lat": run.child("live", "1200")})
    run.wait_starts(cycles + 1, limit=cycles * 3 + 30)
    records = sorted(run.events.read(), key=lambda r: r[2])
    gaps, last_exit = [], None
    for what, _pid, ns in records:
        if what == "exit":
            last_exit = ns
        elif last_exit is not None:
            gaps.append((ns - last_exit) / 1e6)
            last_exit = None
    run.record("restart", gaps[:cycles])


def log_throughput(run):
    """The writer's last line is END-OF-OUTPUT; then it sleeps (so no system
    restarts it), whose first line is "ready". The end is seen by looking
    for END-OF-OUTPUT near the end of each log file that grew (every 2 ms):
    reading the whole log while it is written would take CPU from the system
    measured, on a machine with as few cores as this. Only afterwards the
    log is counted: exactly LOG_BYTES/LOG_LINE + 2 lines."""
    child = shlex.quote(run.suite.child)
    script = f"{child} write {LOG_BYTES} {LOG_LINE} && echo {END.decode().strip()} && exec {child} sleep"
    run.launch({"w": ["/bin/sh", "-c", script]}, log=True)
    want = LOG_BYTES // LOG_LINE + 2
    sizes = {}

    def end_written():
        for path in run.system.log_paths():
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                continue
            if sizes.get(path) != size:
                sizes[path] = size
                if has_end_near_its_end(path):
                    return True
        return False

    deadline = time.monotonic() + 600
    while not end_written():
        run.system.check_alive()
        if time.monotonic() > deadline:
            raise Failed(f"{END.decode().strip()} not in the log after 600 s")
        time.sleep(0.002)
    secs = (time.monotonic_ns() - run.t0) / 1e9
    cpu = procs.cpu_seconds(run.system.own_pids())
    counter = LogCounter(run.system.log_marker)
    try:
        limit = time.monotonic() + 10
        while counter.count(run.system.log_paths()) < want and time.monotonic() < limit:
            time.sleep(0.05)  # the sleeper's "ready" may come a little later
        if counter.lines != want:
            raise Failed(f"{counter.lines} lines in the log, not {want}")
    finally:
        counter.close()
    run.record("log_time", secs)
    run.record("log_rate", LOG_BYTES / 1e6 / secs)
    run.record("log_cpu", cpu)


class LogCounter:
    """Counts the child's lines in a set of log files as they grow, following
    each file by its inode, so a rotated (renamed) file is read to its end."""

    def __init__(self, marker):
        self.marker, self.files, self.lines = marker, {}, 0

    def count(self, paths):
        for path in paths:
            try:
                inode = os.stat(path).st_ino
                if inode not in self.files:
                    self.files[inode] = [open(path, "rb"), b""]
            except FileNotFoundError:
                continue
        for entry in self.files.values():
            while data := entry[0].read(1 << 24):
                data = entry[1] + data
                end = data.rfind(b"\n") + 1
                entry[1] = data[end:]
                self.lines += data.count(self.marker, 0, end)
        return self.lines

    def close(self):
        for f, _ in self.files.values():
            f.close()


# ---- output targets: a rotated per-program file, and /dev/stdout ----
#
# The writer is `sh -c 'child write N 100 && echo END-OF-OUTPUT && exec child
# sleep >/dev/null'`: N bytes of 100-byte lines (99 times one lowercase
# letter, then \n), then, from the same shell on the same pipe, one last line
# END-OF-OUTPUT, then a sleeper that writes nothing more (so no system
# restarts it). How the end is known: both supervisors write a program's
# output in the order they read it, so when END-OF-OUTPUT is at the end of
# x.log (or of x.log.1, if the write that carried it rotated the file), or
# in the last 64 KiB of the stdout file (where only the supervisor's own
# messages may follow it), every byte before it has been written: the child
# has exited (its exit is in the events file before the shell echoes) and
# the supervisor has flushed all of it. Counting bytes instead would not do:
# with 3 backups of 10 MB most of the 200 MB is deleted by rotation, and a
# supervisor may drop lines (procmon's 1 MiB per target when a pipe's reader
# is slow). The end is seen by polling every 2 ms, so it is late by up to
# that. Only after the time and CPU are taken, the files are read whole and
# compared with the writer's exact bytes (target_stream: the same pattern as
# tests/child.c's write mode).

_streams = {}


def target_stream(total):
    """The writer's exact output: tests/child.c writes a 65,500-byte block of
    655 lines (line i is 99 times 'a' + i % 26, then \n) again and again,
    the last time cut to what is left; then the shell's END line."""
    if total not in _streams:
        block = b"".join(bytes([97 + i % 26]) * (LOG_LINE - 1) + b"\n"
                         for i in range((1 << 16) // LOG_LINE))
        whole, rest = divmod(total, len(block))
        _streams.clear()
        _streams[total] = block * whole + block[:rest] + END
    return _streams[total]


def writer(run):
    write = shlex.join(run.child("write", str(run.suite.target_bytes), str(LOG_LINE)))
    sleep = shlex.join(run.child("sleep"))
    return ["/bin/sh", "-c", f"{write} && echo {END.decode().strip()} && exec {sleep} >/dev/null"]


def ends_with_end(path):
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < len(END):
                return False
            f.seek(size - len(END))
            return f.read() == END
    except FileNotFoundError:
        return False


def has_end_near_its_end(path, tail=1 << 16):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - tail))
            return END in f.read()
    except FileNotFoundError:
        return False


def wait_for_end(run, done):
    """Poll until done(): (the end, the supervisor's CPU then, its CPU when the
    writer's start was first seen, the writer's start), monotonic ns."""
    # procmon and supervisord are one process each: read its /proc/PID/stat
    # straight away (own_pids() walks all of /proc, 0.2 s on a busy machine),
    # and check afterwards that it was the only one.
    pids = [run.system.proc.pid]
    deadline = time.monotonic() + 600
    cpu0 = None
    while not done():
        if cpu0 is None and run.events.starts():
            cpu0 = procs.cpu_seconds(pids)
        run.system.check_alive()
        if time.monotonic() > deadline:
            raise Failed(f"{END.decode().strip()} not written within 600 s{run.system.output_tail()}")
        time.sleep(0.002)
    end = time.monotonic_ns()
    cpu = procs.cpu_seconds(pids)
    if (own := run.system.own_pids()) != pids:
        raise Failed(f"its own processes are {own}, not {pids}")
    records = run.events.read()
    starts = [r for r in records if r[0] == "start"]
    exits = [r for r in records if r[0] == "exit"]
    if len(starts) < 1 or len(exits) != 1 or exits[0][1] != starts[0][1]:
        raise Failed(f"the writer did not start and exit once: {records}")
    return end, cpu, cpu if cpu0 is None else cpu0, starts[0][2]


def record_target(run, prefix, end, cpu, cpu0, writer_start):
    """The rate is over the writer's time (its start → all written), so that
    supervisord's start-up (about a second of Python) does not hide the
    output path; launch → all written has it. The CPU is the supervisor's
    total, and its part from when the writer's start was seen (2 ms polls,
    1/100 s ticks)."""
    writer = (end - writer_start) / 1e9
    run.record(f"{prefix}_time", (end - run.t0) / 1e9)
    run.record(f"{prefix}_writer", writer)
    run.record(f"{prefix}_rate", run.suite.target_bytes / 1e6 / writer)
    run.record(f"{prefix}_cpu", cpu)
    run.record(f"{prefix}_wcpu", cpu - cpu0)


def common_suffix(a, b):
    """How many bytes a and b share at their ends."""
    n, step = 0, 1 << 20
    limit = min(len(a), len(b))
    while n < limit:
        k = min(step, limit - n)
        if a[len(a) - n - k:len(a) - n] == b[len(b) - n - k:len(b) - n]:
            n += k
        elif k == 1:
            break
        else:
            step = max(1, k // 2)
    return n


def rotated_file(run):
    log = run.system.path("x.log")
    output = {"stdout_logfile": log, "stdout_logfile_maxbytes": TARGET_MAXBYTES,
              "stdout_logfile_backups": TARGET_BACKUPS}
    run.launch({"x": writer(run)}, output=output)
    # The write that carries END may rotate x.log (supervisord rotates after
    # a write that takes the file to maxbytes): then END ends x.log.1.
    record_target(run, "rot", *wait_for_end(run, lambda: ends_with_end(log) or ends_with_end(log + ".1")))

    # What the kept files hold, oldest first: together they must be the
    # writer's last bytes, in order (rot_wrong counts the bytes before the
    # first difference from the end; 0: all of them are right). A line is
    # split when a file ends inside it (its rest starts the next file), or
    # when the oldest kept file starts inside one (its head was deleted).
    names = [f"{log}.{i}" for i in range(TARGET_BACKUPS, 0, -1)] + [log]
    if os.path.exists(f"{log}.{TARGET_BACKUPS + 1}"):
        raise Failed(f"more than {TARGET_BACKUPS} backups kept")
    parts = []
    for name in names:
        try:
            with open(name, "rb") as f:
                parts.append((os.path.basename(name), f.read()))
        except FileNotFoundError:
            pass
    kept = b"".join(p for _, p in parts)
    stream = target_stream(run.suite.target_bytes)
    wrong = len(kept) - common_suffix(kept, stream)
    first = len(stream) - len(kept)  # where the oldest kept file starts in the stream
    split = sum(1 for _, p in parts[:-1] if p and not p.endswith(b"\n"))
    if not wrong and first > 0 and stream[first - 1:first] != b"\n":
        split += 1
    run.record("rot_split", split)
    run.record("rot_wrong", wrong)
    sizes = ", ".join(f"{n} {len(p)}" for n, p in parts)
    progress(f"  kept: {sizes}; {split} lines split, {wrong} bytes out of place", run.suite.started)


MESSAGE = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^\n]*\n")
CHILD_LINES = {bytes([c]) * (LOG_LINE - 1) for c in range(97, 123)}


def dev_stdout(run):
    output = {"stdout_logfile": "/dev/stdout", "stdout_logfile_maxbytes": 0}
    run.launch({"x": writer(run)}, output=output, pipe=True)
    out = run.system.path("supervisor.out")
    record_target(run, "out", *wait_for_end(run, lambda: has_end_near_its_end(out)))

    # The file holds the writer's bytes and the supervisor's own messages
    # (supervisord -n logs to its standard output too; procmon's log stream
    # goes to its log_file here). Each message starts with a date; one that
    # does not follow a \n sits inside a child's line (out_mixed). With the
    # messages taken out, the rest must be the writer's bytes exactly; if not,
    # out_lost is how many of its lines are not there whole.
    time.sleep(0.1)  # a message right after END, if any, is in the file
    with open(out, "rb") as f:
        data = f.read()
    mixed, pieces, at = 0, [], 0
    for m in MESSAGE.finditer(data):
        if m.start() > 0 and data[m.start() - 1] != 0x0A:
            mixed += 1
        pieces.append(data[at:m.start()])
        at = m.end()
    pieces.append(data[at:])
    rest = b"".join(pieces)
    stream = target_stream(run.suite.target_bytes)
    lost = 0
    if rest != stream:
        lost = run.suite.target_bytes // LOG_LINE - sum(1 for l in rest.split(b"\n") if l in CHILD_LINES)
        progress(f"  {len(rest)} bytes besides the supervisor's messages, "
                 f"{len(stream)} written; lines lost: {lost}", run.suite.started)
    run.record("out_lost", lost)
    run.record("out_mixed", mixed)


def crash_storm(run):
    run.launch({f"c{i:02d}": run.child("exit", "1") for i in range(CRASH_PROGRAMS)})
    end = run.t0 + int(CRASH_SECONDS * 1e9)
    while (now := time.monotonic_ns()) < end:
        run.system.check_alive()
        time.sleep(min(0.5, (end - now) / 1e9))
    cpu = procs.cpu_seconds(run.system.own_pids())
    run.record("crash_cpu", cpu / CRASH_SECONDS * 100)
    run.record("crash_starts", sum(1 for r in run.events.starts() if r[2] <= end))


# ---- baselines, without any supervisor ----

def log_baselines(suite, total=LOG_BYTES, prefix="log", kinds=("file", "cat"), time_key="time"):
    out = os.path.join(suite.tmp, "baseline")
    for name, tail in (("file", ""), ("cat", " | cat")):
        if name not in kinds:
            continue
        cmd = f"'{suite.child}' write {total} {LOG_LINE}{tail} > '{out}'"
        t = time.monotonic()
        subprocess.run(["/bin/sh", "-c", cmd], check=True)
        secs = time.monotonic() - t
        if os.path.getsize(out) != total:
            raise Failed(f"baseline {name}: wrong size")
        os.unlink(out)
        suite.record(f"{prefix}_{time_key}", name, secs)
        suite.record(f"{prefix}_rate", name, total / 1e6 / secs)


def spawn_floor(suite, count):
    """From posix_spawn in this script to the child's first instruction: the
    floor under any restart latency."""
    events = os.path.join(suite.tmp, "spawn-events")
    for _ in range(count):
        t = time.monotonic_ns()
        pid = os.posix_spawn(suite.child, [suite.child, "--events", events, "exit", "0"], os.environ)
        os.waitpid(pid, 0)
        with open(events) as f:
            start = int(f.readline().split()[2])
        os.unlink(events)
        suite.record("restart", "spawn", (start - t) / 1e6)


def bare_sleepers(suite, n, starts=True, stop=False):
    """n sleeping children started by a bare posix_spawn loop in this script,
    no supervisor. starts: from the first spawn to the last child's first
    instruction, the floor under any start-up of n children. stop: from the
    first SIGTERM of a kill loop until all are gone, the floor under any
    shutdown."""
    events = os.path.join(suite.tmp, "spawn-loop-events")
    devnull = os.open(os.devnull, os.O_WRONLY)
    pids = []
    try:
        t = time.monotonic_ns()
        for _ in range(n):
            pids.append(os.posix_spawn(suite.child, [suite.child, "--events", events, "sleep"],
                                       os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)]))
        deadline = time.monotonic() + START_LIMIT
        while True:
            with open(events) as f:
                started = [int(line.split()[2]) for line in f if line.startswith("start ")]
            if len(started) == n:
                break
            if time.monotonic() > deadline:
                raise Failed(f"spawn loop: {len(started)} of {n} children started")
            time.sleep(0.005)
        if starts:
            suite.record(f"start{n}", "spawn", (max(started) - t) / 1e9)
        if stop:
            fds = procs.watch(pids)
            t = time.monotonic()
            for pid in pids:
                os.kill(pid, signal.SIGTERM)
            if procs.wait_pidfds(fds, t + START_LIMIT):
                raise Failed("kill loop: children still alive")
            suite.record("shutdown", "kill", (time.monotonic() - t) * 1000)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        for pid in pids:
            os.waitpid(pid, 0)
        os.close(devnull)
        if os.path.exists(events):
            os.unlink(events)


class Suite:
    def __init__(self, a):
        self.procmon, self.child, self.repeat = a.procmon, a.child, a.repeat
        self.target_bytes = a.target_bytes
        self.values, self.failures, self.na = {}, {}, {}
        self.tmp = None
        self.load_at_start = os.getloadavg()[0]  # other work on the machine skews every figure

    def record(self, metric, column, values):
        if not isinstance(values, list):
            values = [values]
        self.values.setdefault(metric, {}).setdefault(column, []).extend(values)

    def fail(self, metric, column, reason):
        self.failures.setdefault(metric, {}).setdefault(column, reason)

    def not_applicable(self, metric, column, reason):
        self.na.setdefault(metric, {})[column] = reason


def sessions(want, repeat):
    """[(label, metrics, function of a Run[, the systems it runs on])] for the
    wanted workloads; the other systems get n/a."""
    plan = []
    small = [w for w in ("memory", "idle", "shutdown") if w in want]
    if small:
        metrics = report.metrics_of(small, "100")
        plan.append(("100 sleepers", metrics, lambda run: sleepers(run, 100, small)))
    big = [w for w in ("memory", "control") if w in want]
    if big:
        metrics = report.metrics_of(big, "1000")
        plan.append(("1000 sleepers", metrics, lambda run: sleepers(run, 1000, big)))
    if "restart" in want:
        cycles = -(-RESTART_CYCLES // repeat)
        plan.append(("restart", ["restart"], lambda run: restart(run, cycles)))
    if "log" in want:
        plan.append(("log", ["log_time", "log_rate", "log_cpu"], log_throughput))
    if "rotate" in want:
        plan.append(("rotated file", report.metrics_of(["rotate"], "rotate"), rotated_file,
                     TARGET_ONLY))
    if "stdout" in want:
        plan.append(("/dev/stdout", report.metrics_of(["stdout"], "stdout"), dev_stdout,
                     TARGET_ONLY))
    if "crash" in want:
        plan.append(("crash storm", ["crash_cpu", "crash_starts"], crash_storm))
    return plan


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--systems", default=",".join(SYSTEMS), help=f"of {','.join(SYSTEMS)}")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"of {','.join(WORKLOADS)}")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--output", help="the Markdown file (default: bench/results.md for a full run)")
    ap.add_argument("--procmon", default=os.path.join(here, "../build/plain/procmon"))
    ap.add_argument("--child", default=os.path.join(here, "../build/plain/tests/child"))
    ap.add_argument("--target-bytes", type=int, default=TARGET_BYTES,
                    help=f"what the rotate and stdout workloads' child writes (default {TARGET_BYTES})")
    a = ap.parse_args()
    systems = a.systems.split(",")
    want = a.workloads.split(",")
    for name, known in (("system", SYSTEMS), ("workload", WORKLOADS)):
        for x in (systems if name == "system" else want):
            if x not in known:
                ap.error(f"unknown {name} {x!r}; known: {', '.join(known)}")
    if a.repeat < 1:
        ap.error("--repeat must be at least 1")
    if a.target_bytes < LOG_LINE or a.target_bytes % LOG_LINE:
        ap.error(f"--target-bytes must be a multiple of {LOG_LINE}")
    full = a.target_bytes == TARGET_BYTES  # a smaller test run never writes results.md
    mb = f"{a.target_bytes / 1e6:g} MB ({a.target_bytes // LOG_LINE:,} lines)"
    for w in ("rotate", "stdout"):
        WORKLOADS[w] = WORKLOADS[w].replace("{mb}", mb)
    full = set(systems) == set(SYSTEMS) and set(want) == set(WORKLOADS) and full
    output = a.output or (os.path.join(here, "results.md") if full else None)
    a.procmon, a.child = os.path.abspath(a.procmon), os.path.abspath(a.child)
    for path in (a.procmon, a.child):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} missing (make build/plain/procmon build/plain/tests/child)")

    def interrupted(signum, _frame):
        raise SystemExit(f"bench: {signal.Signals(signum).name}")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    # 1000 programs need more descriptors than a common soft limit of 1024
    # (procmon about 3 per program while starting them): use the hard limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    suite = Suite(a)
    classes = [SYSTEMS[s] for s in systems]
    started = suite.started = time.monotonic()
    procs.become_subreaper()
    try:
        with tempfile.TemporaryDirectory(prefix="procmon-bench-") as suite.tmp:
            # A private copy of the child: a test elsewhere on the machine that
            # kills its children by command line (tests/cli/daemon.bats runs
            # pkill -f "$CHILD sleep") must not kill ours.
            suite.child = os.path.join(suite.tmp, "child")
            shutil.copy2(a.child, suite.child)
            if "restart" in want:
                spawn_floor(suite, RESTART_CYCLES)
            for _ in range(a.repeat if "memory" in want or "shutdown" in want else 0):
                bare_sleepers(suite, 100, "memory" in want, "shutdown" in want)
                if "memory" in want:
                    bare_sleepers(suite, 1000)
            for rnd in range(a.repeat):
                for label, metrics, work, *only in sessions(want, a.repeat):
                    for cls in classes:
                        if only and cls.name not in only[0]:
                            for m in metrics:
                                suite.not_applicable(m, cls.name, "no supervisord-style output keys")
                            continue
                        if reason := cls.missing():
                            for m in metrics:
                                suite.fail(m, cls.name, reason)
                            continue
                        progress(f"round {rnd + 1}/{a.repeat}, {label}, {cls.name}", started)
                        run = Run(suite, cls)
                        try:
                            work(run)
                        except Failed as e:
                            reason = str(e)
                        except Exception as e:  # a bug or a surprise: the cell says which
                            reason = f"{type(e).__name__}: {e}"
                        else:
                            reason = None
                        finally:
                            try:
                                run.close()
                            except Failed as e:
                                reason = reason or str(e)
                        if reason:
                            progress(f"  failed: {reason}", started)
                            for m in metrics:
                                if m not in run.recorded:
                                    suite.fail(m, cls.name, reason)
                if "log" in want:
                    progress(f"round {rnd + 1}/{a.repeat}, log baselines", started)
                    log_baselines(suite)
                if "rotate" in want:
                    log_baselines(suite, a.target_bytes, "rot", ("file",), "writer")
                if "stdout" in want:
                    log_baselines(suite, a.target_bytes, "out", ("cat",), "writer")
    except KeyboardInterrupt:
        sys.exit("bench: interrupted")
    finally:
        left = procs.kill_descendants()
        if left:
            print(f"bench: could not kill pids {left}", file=sys.stderr)
    elapsed = time.monotonic() - started
    text = report.markdown(suite, systems, want, WORKLOADS, elapsed, sys.argv[1:],
                           {c.name: c.version(a.procmon) for c in classes})
    print(text)
    if output:
        with open(output, "w") as f:
            f.write(text)
        print(f"bench: written to {output}", file=sys.stderr)


def progress(text, started):
    print(f"[{time.monotonic() - started:6.0f} s] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
