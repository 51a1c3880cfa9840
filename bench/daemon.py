#!/usr/bin/env python3
"""procmon as a daemon with many programs: start-up, memory, status, shutdown.

    bench/daemon.py [--procmon PATH] [--child PATH] [--programs N] [--repeat R]
                    [--status-requests N] [--cli-requests N]

Each round writes a config file of N programs, [program:pNNNN] running
`child sleep`, starts `procmon run -s SOCK --log-file LOG -c FILE` in its own
process group and measures:

Start-up, from starting procmon (wall clock, against the log's millisecond
timestamps): to the last "started" line (every program forked), and to the
last "ready" line (every child has exec'd and written its first line, and
procmon has read it); and, on the monotonic clock, until all N "ready" lines
are in the log file (procmon buffers its log within a loop iteration, so
this includes the buffering and the benchmark's 2 ms polling).  Then one
status request must show all N running with the pids of the log.  A program
that exits or cannot start fails the benchmark with procmon's line about it,
for one "cannot create a pipe: Too many open files": procmon holds about
2N + 12 descriptors with N programs running, but 3N + 12 while it starts them
all in one go (each child's exec-report pipe stays open until the event loop
reads it), so RLIMIT_NOFILE 1024 lets 336 programs start, not 337.

Memory: RSS and PSS of the procmon process alone (its smaps_rollup, not its
children), once all N are ready and again after the status requests, with
its peak RSS (VmHWM) and its open file descriptors.

Status round trip: connect to the socket, send {"cmd":"status"}, read the
answer line (all N processes); and the same through the CLI,
`procmon -s SOCK status --json`, which includes its start-up.

Shutdown: from sending {"cmd":"shutdown"} until the answer, and until
procmon has exited and none of its children remains (each child is watched
through a pidfd opened before the request).

Figures over the rounds (status figures over every request of every round)
are printed as "median X, min Y, max Z".  Whatever happens, everything the
benchmark started is killed at the end: procmon's process group, then every
child it leaves behind (the benchmark is a child subreaper, so procmon's
orphans become its children rather than init's).
"""
import argparse, ctypes, json, os, re, resource, select, shutil, signal, socket, statistics
import subprocess, sys, tempfile, time
from datetime import datetime, timezone

PR_SET_CHILD_SUBREAPER = 36


class BenchError(Exception):
    pass


def spread(values, fmt=".3f"):
    return (f"median {statistics.median(values):{fmt}}, min {min(values):{fmt}}, "
            f"max {max(values):{fmt}}")


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise BenchError(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


def my_children():
    """Pids whose parent is this process (procmon's orphans end up here)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            found.append(int(entry))
    return found


def proc_memory(pid):
    """RSS and PSS of this one process in KiB, its peak RSS, its open fds."""
    mem = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                mem[key] = int(rest.split()[0])
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                mem["VmHWM"] = int(line.split()[1])
    mem["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return mem


class Daemon:
    """One procmon with N programs, and everything needed to clean it up."""

    STAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ")
    STARTED = re.compile(rb"procmon: (p\d+): started, pid (\d+)$")
    READY = re.compile(rb"\[(p\d+)\] ready$")
    TROUBLE = re.compile(rb"procmon: p\d+: ")  # anything but "started" during start-up

    def __init__(self, procmon, child, programs, tmp):
        self.procmon, self.programs, self.tmp = procmon, programs, tmp
        self.sock = os.path.join(tmp, "sock")
        self.log = os.path.join(tmp, "log")
        self.conf = os.path.join(tmp, "procmon.ini")
        self.errors = os.path.join(tmp, "stderr")
        with open(self.conf, "w") as f:
            f.write("[procmon]\n")
            for i in range(programs):
                f.write(f"\n[program:p{i:04d}]\ncommand = {child} sleep\n")
        self.proc = None
        self.pids = {}      # name -> pid, from the log's "started" lines
        self.ready = set()
        self.last_started = self.last_ready = None  # log timestamps, seconds since the epoch
        self._pending = b""
        self._logf = None

    def start(self):
        with open(self.errors, "wb") as err:
            self.wall0, self.t0 = time.time(), time.monotonic()
            self.proc = subprocess.Popen(
                [self.procmon, "run", "-s", self.sock, "--log-file", self.log, "-c", self.conf],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err, process_group=0)

    def stderr_tail(self):
        try:
            with open(self.errors, "rb") as f:
                text = f.read()[-2000:].decode(errors="replace").strip()
        except OSError:
            return ""
        return f"; procmon's output: {text}" if text else ""

    def log_tail(self):
        try:
            with open(self.log, "rb") as f:
                f.seek(max(0, os.path.getsize(self.log) - 1500))
                return f.read().decode(errors="replace")
        except OSError:
            return "(no log)"

    def read_log(self):
        """Take in the log lines written since the last call."""
        if self._logf is None:
            try:
                self._logf = open(self.log, "rb")
            except FileNotFoundError:
                return
        data = self._pending + self._logf.read()
        lines = data.split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            if m := self.STARTED.search(line):
                self.pids[m[1].decode()] = int(m[2])
                self.last_started = stamp(self.STAMP.match(line))
            elif m := self.READY.search(line):
                self.ready.add(m[1].decode())
                self.last_ready = stamp(self.STAMP.match(line))
            elif self.TROUBLE.search(line):
                raise BenchError(f"{len(self.pids)} programs started, then: "
                                 f"{line.decode(errors='replace')}")

    def wait_until_up(self, limit):
        """Seconds from procmon's start: to the log's timestamps of the last
        "started" and the last "ready" line, and until all N "ready" lines are
        in the log file (procmon buffers its log within a loop iteration)."""
        end = self.t0 + limit
        while True:
            self.read_log()
            now = time.monotonic()
            if len(self.ready) == self.programs:
                return (self.last_started - self.wall0, self.last_ready - self.wall0,
                        now - self.t0)
            if self.proc.poll() is not None:
                raise BenchError(f"procmon exited with status {self.proc.returncode} during start-up "
                                 f"({len(self.pids)} started, {len(self.ready)} ready)"
                                 f"{self.stderr_tail()}; log ends:\n{self.log_tail()}")
            if now > end:
                raise BenchError(f"timed out after {limit}s: {len(self.pids)} of {self.programs} "
                                 f"started, {len(self.ready)} ready{self.stderr_tail()}")
            time.sleep(0.002)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.sock)
        return s

    def request(self, obj):
        """One request on a new connection; the answer line (bytes) and seconds."""
        t = time.monotonic()
        with self.connect() as s:
            s.sendall(json.dumps(obj).encode() + b"\n")
            answer = read_line(s)
        return answer, time.monotonic() - t

    def check_status(self, answer):
        reply = json.loads(answer)
        if not reply.get("ok"):
            raise BenchError(f"status failed: {answer[:300]!r}")
        self.check_rows(reply["processes"])

    def check_rows(self, rows):
        if len(rows) != self.programs:
            raise BenchError(f"status lists {len(rows)} processes, not {self.programs}")
        for p in rows:
            if p["state"] != "running" or p["pid"] != self.pids.get(p["name"]):
                raise BenchError(f"status: {p['name']} is {p['state']}, pid {p['pid']}, "
                                 f"log says pid {self.pids.get(p['name'])}")

    def shutdown(self, limit):
        """Seconds from the request to its answer, and until procmon and its children are gone.

        procmon and each child are watched through a pidfd, opened before the
        request: it becomes readable when the process exits."""
        watched = [os.pidfd_open(self.proc.pid)]
        try:
            for pid in self.pids.values():
                try:
                    watched.append(os.pidfd_open(pid))
                except ProcessLookupError:
                    raise BenchError(f"child {pid} is gone before the shutdown")
            poller = select.poll()
            for fd in watched:
                poller.register(fd, select.POLLIN)
            left = len(watched)
            with self.connect() as s:
                s.settimeout(limit)
                t = time.monotonic()
                s.sendall(b'{"cmd":"shutdown"}\n')
                answer = read_line(s)
                t_answer = time.monotonic() - t
                if json.loads(answer) != {"ok": True}:
                    raise BenchError(f"shutdown answered {answer!r}")
                while left:
                    ready = poller.poll(max(0.0, limit - (time.monotonic() - t)) * 1000)
                    if not ready:
                        raise BenchError(f"{left} processes (procmon or its children) still alive "
                                         f"{limit}s after the shutdown request")
                    for fd, _ in ready:
                        poller.unregister(fd)
                        left -= 1
                t_gone = time.monotonic() - t
        finally:
            for fd in watched:
                os.close(fd)
        status = self.proc.wait()
        if status != 0:
            raise BenchError(f"procmon exited with status {status} after the shutdown{self.stderr_tail()}")
        return t_answer, t_gone

    def cleanup(self):
        """Kill procmon's group, then every orphan it left us; reap them all."""
        if self._logf:
            self._logf.close()
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        # procmon's children lead their own sessions, so the group kill does
        # not reach them; being a subreaper, we inherited them.
        deadline = time.monotonic() + 10
        while (orphans := my_children()) and time.monotonic() < deadline:
            for pid in orphans:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        if orphans:
            print(f"bench: could not clean up pids {orphans}", file=sys.stderr)


def stamp(m):
    """A log timestamp (UTC, milliseconds) as seconds since the epoch."""
    if not m:
        raise BenchError("a log line without a timestamp")
    t = datetime.strptime(m[1].decode(), "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=timezone.utc).timestamp()


def read_line(s):
    chunks = []
    while True:
        data = s.recv(1 << 20)
        if not data:
            raise BenchError("the daemon closed the connection without answering")
        chunks.append(data)
        if b"\n" in data:
            line = b"".join(chunks)
            return line[:line.index(b"\n")]


def one_round(a, tmp, totals):
    d = Daemon(a.procmon, a.child, a.programs, tmp)
    try:
        d.start()
        t_started, t_ready, t_seen = d.wait_until_up(a.timeout)
        answer, _ = d.request({"cmd": "status"})
        d.check_status(answer)
        totals["started"].append(t_started)
        totals["ready"].append(t_ready)
        totals["seen"].append(t_seen)
        totals["mem_up"].append(proc_memory(d.proc.pid))

        for _ in range(a.status_requests):
            answer, secs = d.request({"cmd": "status"})
            totals["status"].append(secs * 1000)
        d.check_status(answer)
        totals["status_bytes"] = len(answer) + 1

        cli = [a.procmon, "-s", d.sock, "status", "--json"]
        for _ in range(a.cli_requests):
            t = time.monotonic()
            r = subprocess.run(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            totals["cli"].append((time.monotonic() - t) * 1000)
            if r.returncode != 0:
                raise BenchError(f"{' '.join(cli)} exited with status {r.returncode}: "
                                 f"{r.stderr.decode(errors='replace').strip()}")
        d.check_rows(json.loads(r.stdout))
        totals["mem_after"].append(proc_memory(d.proc.pid))

        t_answer, t_gone = d.shutdown(a.timeout)
        totals["shutdown_answer"].append(t_answer * 1000)
        totals["shutdown"].append(t_gone * 1000)
    finally:
        d.cleanup()
        for name in os.listdir(tmp):
            path = os.path.join(tmp, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--procmon", default=os.path.join(here, "../build/plain/procmon"))
    ap.add_argument("--child", default=os.path.join(here, "../build/plain/tests/child"))
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds, each with its own procmon")
    ap.add_argument("--status-requests", type=int, default=50)
    ap.add_argument("--cli-requests", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=120, help="seconds for start-up and for shutdown")
    a = ap.parse_args()
    a.procmon, a.child = os.path.abspath(a.procmon), os.path.abspath(a.child)
    if a.programs < 1 or a.programs > 10000:
        ap.error("--programs: 1 to 10000")

    # SIGTERM (or a hangup) must still clean up.
    def interrupted(signum, _frame):
        raise SystemExit(f"bench: {signal.Signals(signum).name}")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    totals = {k: [] for k in ("started", "ready", "seen", "mem_up", "mem_after", "status", "cli",
                              "shutdown_answer", "shutdown")}
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        become_subreaper()
        with tempfile.TemporaryDirectory(prefix="procmon-bench-") as tmp:
            for _ in range(a.repeat):
                one_round(a, tmp, totals)
    except BenchError as e:
        sys.exit(f"bench: daemon with {a.programs} programs: {e}")

    n, r = a.programs, a.repeat

    def mem(key, which):
        return spread([m[key] / 1024 for m in totals[which]], ".2f")

    print(f"daemon start-up, {n} programs, {r} round{'s' if r != 1 else ''}, "
          f"until the last started (log timestamp): s {spread(totals['started'])}")
    print(f"daemon start-up, {n} programs, until the last child's first line (log timestamp): "
          f"s {spread(totals['ready'])}")
    print(f"daemon start-up, {n} programs, until every child's first line is in the log file: "
          f"s {spread(totals['seen'])}")
    print(f"procmon memory, {n} programs running: RSS MiB {mem('Rss', 'mem_up')}; "
          f"PSS MiB {mem('Pss', 'mem_up')}")
    print(f"procmon memory after the status requests: RSS MiB {mem('Rss', 'mem_after')}; "
          f"PSS MiB {mem('Pss', 'mem_after')}; peak RSS MiB {mem('VmHWM', 'mem_after')}")
    print(f"procmon open fds, {n} programs: {spread([m['fds'] for m in totals['mem_up']], '.0f')} "
          f"(RLIMIT_NOFILE {soft})")
    print(f"status round trip over the socket, {n} processes, {totals['status_bytes']}-byte answer, "
          f"{len(totals['status'])} requests: ms {spread(totals['status'])}")
    print(f"status --json through the CLI, {n} processes, {len(totals['cli'])} runs: "
          f"ms {spread(totals['cli'])}")
    print(f"shutdown, {n} programs, request to answer: ms {spread(totals['shutdown_answer'])}")
    print(f"shutdown, {n} programs, request until procmon and every child are gone: "
          f"ms {spread(totals['shutdown'])}")


if __name__ == "__main__":
    main()
