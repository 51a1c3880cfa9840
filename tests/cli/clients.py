#!/usr/bin/env python3
"""Abusive clients of procmon's control socket, for tests/cli/abuse.bats.

    clients.py SOCKET MODE [OPTIONS]

Every mode checks that the daemon keeps answering well-behaved clients
correctly and promptly while the others misbehave, prints one summary line,
and exits 1 (with the reason on stderr) when something is wrong.

Modes:
  concurrent   N clients connect, all wait until every one is connected,
               then each sends one status request and reads its answer
  nonreaders   N clients each ask for a large status and never read it,
               all held open while a prober keeps asking
  pipeline     one client pipelines status requests and never reads the
               answers (what the daemon holds for it must stay bounded)
  halfway      clients hang up half-way through a request, right after
               sending one, and half-way through reading a large answer
  garbage      malformed, ill-typed, binary and over-size requests mixed
               with good ones, on the same and on other connections
  vanished     while the daemon is stopped (SIGSTOP), clients ask for two
               large statuses each and hang up: it finds them all gone at
               once, and may not hold their answers meanwhile (peak RSS)
  edge         request lines just under and just over the 64 KiB limit
  probe        no abuse: status again and again, timed (for faults.bats);
               with --start, after asking the daemon to start programs
  startwave    no abuse: status from the moment the socket takes a
               connection until every process runs (a start-up wave)

How long an answer may take is not a fixed number of seconds: the modes
with a prober first time the status round trip of the same daemon at rest
(--idle-requests answers, one after another) and derive the limit from it
and from --target-ms and --factor (see latency_limit).  --scale multiplies
the deadlines that only catch a daemon that stopped answering (the tests
pass $DEADLINE / 30, so that a run under valgrind gets more time).

Only the standard library.
"""
import argparse
import json
import multiprocessing
import os
import resource
import signal
import socket
import statistics
import sys
import threading
import time

MAX_REQUEST = 64 * 1024  # the protocol's limit on a request line


def fail(msg):
    print(f"clients.py: {msg}", file=sys.stderr)
    sys.exit(1)


class Errors:
    """Failures seen by any thread; the first few are shown."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, msg):
        with self.lock:
            self.items.append(msg)

    def check(self, what):
        if self.items:
            shown = "\n  ".join(self.items[:10])
            fail(f"{what}: {len(self.items)} failures, the first:\n  {shown}")


def connect(path, timeout):
    """A connection, waiting while the daemon's listen backlog is full (a
    socket with a timeout is non-blocking inside: EAGAIN, not a wait)."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.002)


def read_line(s, limit=64 << 20):
    """One answer line (without the newline), or raise."""
    chunks = []
    total = 0
    while True:
        data = s.recv(1 << 16)
        if not data:
            raise EOFError("connection closed before the end of the answer")
        nl = data.find(b"\n")
        if nl >= 0:
            chunks.append(data[:nl])
            rest = data[nl + 1:]
            if rest:
                # Only one request is ever outstanding where this is used.
                raise ValueError(f"unexpected bytes after the answer: {rest[:80]!r}")
            return b"".join(chunks)
        chunks.append(data)
        total += len(data)
        if total > limit:
            raise ValueError("answer too long")


class LineReader:
    """Answers in order on one connection with several requests."""

    def __init__(self, s):
        self.s = s
        self.buf = b""

    def raw_line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(1 << 16)
            if not data:
                raise EOFError("connection closed before the end of the answer")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def line(self):
        return json.loads(self.raw_line())


def ask(path, request, timeout):
    s = connect(path, timeout)
    try:
        s.sendall(request)
        return json.loads(read_line(s))
    finally:
        s.close()


def check_status(answer, expect):
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        return f"status failed: {str(answer)[:200]}"
    procs = answer.get("processes")
    if not isinstance(procs, list) or (expect is not None and len(procs) != expect):
        return f"status listed {len(procs) if isinstance(procs, list) else procs!r} processes, want {expect}"
    for p in procs:
        if p.get("state") not in ("starting", "running", "backoff", "stopping", "stopped", "exited", "fatal"):
            return f"bad process entry: {str(p)[:200]}"
    return None


STATUS = b'{"cmd":"status"}\n'


def rss_kb(pid, field="VmRSS:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            fail(f"need {want} descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Lateness:
    """How late a process that only sleeps wakes up on this machine while
    the test runs: the worst so far, in seconds.  It sleeps and wakes as
    the daemon does, in the same scheduling group, in a process of its own
    (a thread would wait for Python's lock).  A daemon whose loop stalls
    does not make it late; a machine whose cores are all taken (hundreds of
    children spawning and exiting at once) does, and holds up the daemon's
    answers and the prober's reading of them just as much."""

    PERIOD = 0.005

    def __init__(self, ctx):
        self._worst = ctx.Value("d", 0.0, lock=False)  # one writer
        self._stop = ctx.Event()
        self._proc = ctx.Process(target=self._run, daemon=True)
        self._proc.start()

    def _run(self):
        while not self._stop.is_set():
            t0 = time.monotonic()
            time.sleep(self.PERIOD)
            late = time.monotonic() - t0 - self.PERIOD
            if late > self._worst.value:
                self._worst.value = late

    @property
    def worst(self):
        return self._worst.value

    def finish(self):
        self._stop.set()
        self._proc.join()


class Prober:
    """A well-behaved client asking for status again and again, each answer
    checked and timed (from the request to the end of the answer line: our
    own parsing of it is not the daemon's time), until finished.  It asks
    from a process of its own, so that our other threads (the misbehaving
    clients) cannot hold it up: they would hold Python's lock, and their
    wait would be taken for the daemon's.  What it finds comes back here
    through a pipe."""

    def __init__(self, path, expect, errors, timeout):
        self.path, self.expect, self.errors, self.timeout = path, expect, errors, timeout
        self.took = []  # every answer's time, in seconds
        self.first_restarts = self.last_restarts = None  # over all processes
        self.first_running = self.last_running = None  # how many are running
        self.keep = self.reader = None
        self.fresh = False

    @property
    def count(self):
        return len(self.took)

    @property
    def worst(self):
        return max(self.took, default=0.0)

    def ask_once(self):
        """One status, on the long-lived connection and on a new one in
        turn: (the answer, the seconds it took)."""
        self.fresh = not self.fresh
        t0 = time.monotonic()
        if self.fresh:
            s = connect(self.path, self.timeout)
            try:
                s.sendall(STATUS)
                line = read_line(s)
            finally:
                s.close()
        else:
            if self.keep is None:
                self.keep = connect(self.path, self.timeout)
                self.reader = LineReader(self.keep)
            try:
                self.keep.sendall(STATUS)
                line = self.reader.raw_line()
            except Exception:
                self.close()
                raise
        took = time.monotonic() - t0
        answer = json.loads(line)
        problem = check_status(answer, self.expect)
        if problem:
            raise ValueError(problem)
        return answer, took

    def close(self):
        if self.keep is not None:
            self.keep.close()
        self.keep = self.reader = None

    def start(self):
        ctx = multiprocessing.get_context("fork")
        self.lateness = Lateness(ctx)
        self.stop = ctx.Event()
        self.results, out = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=self.ask_until_stopped, args=(out,), daemon=True)
        self.proc.start()
        out.close()
        self.collector = threading.Thread(target=self.collect, daemon=True)
        self.collector.start()

    def ask_until_stopped(self, out):
        """The prober's own process."""
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                answer, took = self.ask_once()
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                out.send(("error", f"prober: {type(e).__name__} after {time.monotonic() - t0:.1f}s: {e}"))
                time.sleep(0.05)
                continue
            procs = answer["processes"]
            out.send(("answer", took, sum(p.get("restarts", 0) for p in procs),
                      sum(p["state"] == "running" for p in procs)))
            time.sleep(0.01)
        self.close()

    def collect(self):
        while True:
            try:
                msg = self.results.recv()
            except EOFError:  # the prober's process has ended
                return
            if msg[0] == "error":
                self.errors.add(msg[1])
                continue
            _, took, restarts, running = msg
            if self.first_restarts is None:
                self.first_restarts, self.first_running = restarts, running
            self.last_restarts, self.last_running = restarts, running
            self.took.append(took)

    def finish(self, errors_what):
        self.stop.set()
        self.proc.join()
        self.collector.join()
        self.lateness.finish()
        if self.count == 0:
            self.errors.add("prober: no status answer at all")
        self.errors.check(errors_what)


# ---- how long an answer may take ----

# The longest an answer may take (latency_limit):
#
#   (max(target x factor, TIMES_MEDIAN x idle median) + requests ahead)
#       x CPU slowdown + TIMES_WORST x max(idle worst, wake-up lateness)
#
# - target x factor: the project's target for the plain build (--target-ms:
#   50 ms for the longest answer while hundreds of programs start or
#   restart at once) times how much slower this build is than the plain
#   one at the same work (--factor: tests/run measures it with
#   tests/cli/speed_factor.py);
# - TIMES_MEDIAN idle medians: on a machine slower than the one the target
#   was set on, everything takes longer, the answer at rest too.  Twenty is
#   room for the daemon's bookkeeping between two answers; a loop that
#   waits out a whole spawn wave, a stalled log or a client that does not
#   read takes hundreds;
# - requests ahead: what other clients' requests that may come first cost
#   at rest (the abuse modes);
# - CPU slowdown: how much longer CPU-bound work takes on this machine now
#   than its CPU time, measured at rest: a busy machine shares its cores.
#   (Not while the test's own processes run: the target is set for the
#   plain build with those running, so their share is in it already);
# - TIMES_WORST idle worsts: on a loaded machine the scheduler alone can
#   hold an answer as long as the worst one at rest, and more than once
#   (the daemon waking for the request, and the prober for the answer);
# - or as many wake-up latenesses, where they are longer: how late a
#   process that only sleeps woke up while the answers were timed
#   (Lateness).  Hundreds of children spawning and exiting at once can
#   take both cores for tens of milliseconds, and each of them (in a
#   session of its own, so a scheduling group of its own) gets the same
#   share as the daemon.  A daemon whose own loop stalls does not make the
#   sleeper late, so that is still caught.
# The idle figures come from the same daemon, with the same process table,
# under the same load, just before (or, for a start-up wave, just after):
# a slow or busy machine and a slow build raise them together.
TIMES_MEDIAN = 20
TIMES_WORST = 3


def cpu_slowdown():
    """How much longer work that needs the CPU takes on this machine now
    than its CPU time: the median of a few spins of 20 ms of CPU time."""
    spins = []
    for _ in range(7):
        wall, cpu = time.monotonic(), time.process_time()
        while time.process_time() - cpu < 0.02:
            pass
        spins.append((time.monotonic() - wall) / 0.02)
    return max(1.0, statistics.median(spins))


class Idle:
    def __init__(self, took):
        took = sorted(took)
        self.n, self.median, self.worst = len(took), statistics.median(took), took[-1]
        self.slowdown = cpu_slowdown()

    def __str__(self):
        return (f"idle status round trip: median {self.median * 1e3:.2f} ms, "
                f"worst {self.worst * 1e3:.2f} ms of {self.n}; CPU-bound work takes "
                f"{self.slowdown:.2f} x its CPU time")


def measure_idle(a):
    """The status round trip of the daemon at rest, asked as the prober asks."""
    p = Prober(a.path, a.expect, None, a.wave_timeout)
    try:
        return Idle([p.ask_once()[1] for _ in range(a.idle_requests)])
    except Exception as e:  # noqa: BLE001
        fail(f"timing the daemon at rest: {type(e).__name__}: {e}")
    finally:
        p.close()


def latency_limit(idle, a, lateness, queued=0, each=None):
    """(seconds, how they were reached).  lateness: the worst wake-up
    lateness during the timed part (Lateness).  queued: requests of other
    clients that may be ahead of an answer, each costing `each` seconds (an
    idle median unless measured otherwise)."""
    each = idle.median if each is None else each
    target, relative = a.target_ms / 1e3 * a.factor, TIMES_MEDIAN * idle.median
    noise, ahead = TIMES_WORST * max(idle.worst, lateness), queued * each
    limit = (max(target, relative) + ahead) * idle.slowdown + noise
    work = (f"max(target {a.target_ms:g} ms x factor {a.factor:.2f} = {target * 1e3:.1f} ms, "
            f"{TIMES_MEDIAN} x idle median {idle.median * 1e3:.2f} ms = {relative * 1e3:.1f} ms)")
    if queued:
        work = f"({work} + {queued} requests ahead x {each * 1e3:.2f} ms = {ahead * 1e3:.1f} ms)"
    how = (f"{limit * 1e3:.1f} ms = {work} x CPU slowdown {idle.slowdown:.2f} "
           f"+ {TIMES_WORST} x max(idle worst {idle.worst * 1e3:.2f} ms, wake-up lateness "
           f"{lateness * 1e3:.2f} ms) = {noise * 1e3:.1f} ms")
    return limit, how


def check_latency(prober, idle, a, during, queued=0, each=None):
    """Prints the prober's figures and the limit (a line that starts with
    the mode's name); fails, saying which figure missed and by how much, if
    an answer took longer than the limit."""
    limit, how = latency_limit(idle, a, prober.lateness.worst, queued, each)
    took = prober.took
    over = [t for t in took if t > limit]
    print(f"{a.mode}: {len(took)} status answers {during}, slowest {prober.worst * 1e3:.1f} ms, "
          f"median {statistics.median(took) * 1e3:.2f} ms; {idle}; limit {how}", flush=True)
    if over:
        fail(f"the slowest status answer {during} took {prober.worst * 1e3:.1f} ms, "
             f"{prober.worst / limit:.1f} x the limit of {how}; {len(over)} of {len(took)} answers "
             f"over it (median {statistics.median(took) * 1e3:.2f} ms); {idle}")


# ---- modes ----

def mode_concurrent(a):
    n = a.clients
    raise_fd_limit(n + 64)
    threading.stack_size(256 * 1024)
    errors = Errors()
    barrier = threading.Barrier(n + 1)
    latencies = [None] * n

    def client(i):
        try:
            s = connect(a.path, a.timeout)
        except Exception as e:  # noqa: BLE001
            errors.add(f"client {i}: connect: {e}")
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            s.close()
            return
        t0 = time.monotonic()
        try:
            s.sendall(STATUS)
            answer = json.loads(read_line(s))
            problem = check_status(answer, a.expect)
            if problem:
                errors.add(f"client {i}: {problem}")
            latencies[i] = time.monotonic() - t0
        except Exception as e:  # noqa: BLE001
            errors.add(f"client {i}: {type(e).__name__}: {e}")
        finally:
            s.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=a.timeout)
    except threading.BrokenBarrierError:
        errors.check("connecting")
        fail(f"not all {n} clients could connect within {a.timeout:.0f}s")
    connected = time.monotonic() - t0
    for t in threads:
        t.join(a.timeout)
        if t.is_alive():
            errors.add("a client is still waiting for its answer")
            break
    errors.check(f"{n} concurrent clients")
    answered = [x for x in latencies if x is not None]
    if len(answered) != n:
        fail(f"only {len(answered)} of {n} clients were answered")
    print(f"concurrent: {n} clients connected in {connected:.2f}s, all answered, "
          f"slowest {max(answered):.2f}s, total {time.monotonic() - t0:.2f}s")


def mode_nonreaders(a):
    """Each non-reader is owed one answer, which the daemon may hold; with
    --pid, its RSS must stay under what it had plus those answers (twice
    over, for the allocator) plus --rss-slack-mb."""
    errors = Errors()
    raise_fd_limit(a.clients + 64)
    idle = measure_idle(a)
    answer_bytes = len(json.dumps(ask(a.path, STATUS, a.timeout)))
    base = rss_kb(a.pid) if a.pid else 0
    hogs = []
    for i in range(a.clients):
        s = connect(a.path, a.timeout)
        s.sendall(STATUS)  # a large answer, never read
        hogs.append(s)
    prober = Prober(a.path, a.expect, errors, a.wave_timeout)
    prober.start()
    peak = 0
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        if a.pid:
            peak = max(peak, rss_kb(a.pid))
        time.sleep(0.05)
    prober.finish(f"while {a.clients} clients did not read")
    for s in hogs:
        s.close()
    limit = base + 2 * a.clients * answer_bytes / 1024 + a.rss_slack_mb * 1024
    print(f"nonreaders: {a.clients} clients never read a {answer_bytes / 1024:.0f} KB answer"
          + (f"; daemon RSS {base / 1024:.1f} MB, peak {peak / 1024:.1f} MB (limit {limit / 1024:.1f})"
             if a.pid else ""), flush=True)
    # The non-readers' requests came first: the daemon makes each of their
    # answers, as large as the prober's, before it may come to the prober's.
    check_latency(prober, idle, a, f"while {a.clients} clients did not read", queued=a.clients)
    if a.pid and peak > limit:
        fail(f"the daemon grew to {peak / 1024:.1f} MB (limit {limit / 1024:.1f} MB)")


def mode_pipeline(a):
    """Requests keep coming, answers are never read.  A daemon that stops
    reading a client whose answers pile up makes our send block (the
    socket's buffers fill); one that reads on queues every answer.  We stop
    as soon as the daemon's RSS passes its start plus --rss-slack-mb."""
    if not a.pid:
        fail("pipeline needs --pid")
    errors = Errors()
    idle = measure_idle(a)
    answer_bytes = len(json.dumps(ask(a.path, STATUS, a.timeout)))
    prober = Prober(a.path, a.expect, errors, a.wave_timeout)
    prober.start()
    base = rss_kb(a.pid)
    limit = base + a.rss_slack_mb * 1024
    s = connect(a.path, a.timeout)
    s.settimeout(2 * a.scale)
    batch = STATUS * 100
    sent = 0
    peak = 0
    blocked = False
    end = time.monotonic() + a.seconds
    while time.monotonic() < end and sent < a.requests and peak <= limit:
        try:
            s.sendall(batch)
        except socket.timeout:
            blocked = True
            break
        sent += 100
        peak = max(peak, rss_kb(a.pid))
    t = time.monotonic() + 1
    while time.monotonic() < t and peak <= limit:
        peak = max(peak, rss_kb(a.pid))
        time.sleep(0.05)
    s.close()
    prober.finish("while one client pipelined requests without reading")
    how = "then the daemon stopped taking them" if blocked else "all taken"
    print(f"pipeline: {sent} status requests sent unread ({how}); daemon RSS {base / 1024:.1f} MB, "
          f"peak {peak / 1024:.1f} MB (limit {limit / 1024:.1f})", flush=True)
    # In one go the daemon answers the pipeliner until 1 MiB of its answers
    # wait (and the socket's buffer holds some more): an answer to someone
    # else may wait for those.
    check_latency(prober, idle, a, "while one client pipelined", queued=2 + (2 << 20) // answer_bytes)
    if peak > limit:
        fail(f"the daemon grew from {base / 1024:.1f} to {peak / 1024:.1f} MB holding answers "
             f"nobody reads (limit {limit / 1024:.1f} MB)")


def mode_halfway(a):
    errors = Errors()
    idle = measure_idle(a)
    prober = Prober(a.path, a.expect, errors, a.wave_timeout)
    prober.start()
    counts = {"half request": 0, "gone after asking": 0, "half answer": 0, "gone with requests queued": 0}
    lock = threading.Lock()

    def half_request(i):
        s = connect(a.path, a.timeout)
        s.sendall(b'{"cmd":"status","na'[: 1 + i % 18])
        s.close()
        return "half request"

    def gone_after_asking(i):
        s = connect(a.path, a.timeout)
        s.sendall(STATUS)
        s.close()
        return "gone after asking"

    def half_answer(i):
        s = connect(a.path, a.timeout)
        s.sendall(STATUS)
        got = 0
        want = 1 + (i * 7919) % 100000  # somewhere in the first 100 KB
        while got < want:
            data = s.recv(min(65536, want - got))
            if not data or b"\n" in data:
                break  # the whole answer was shorter
            got += len(data)
        s.close()  # with the rest of the answer unread
        return "half answer"

    def queued_then_gone(i):
        # Two requests and half a third; gone after the first bytes.
        s = connect(a.path, a.timeout)
        s.sendall(STATUS + STATUS + b'{"cmd":"stat')
        s.recv(10)
        s.close()
        return "gone with requests queued"

    kinds = [half_request, gone_after_asking, half_answer, queued_then_gone]

    def worker(w):
        for i in range(w, a.clients, a.workers):
            try:
                k = kinds[i % len(kinds)](i)
                with lock:
                    counts[k] += 1
            except Exception as e:  # noqa: BLE001
                errors.add(f"misbehaving client {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    prober.finish("while clients hung up half-way")
    print(f"halfway: {sum(counts.values())} clients hung up early "
          f"({', '.join(f'{v} {k}' for k, v in counts.items())})", flush=True)
    # Each worker has at most two requests in the daemon at a time.
    check_latency(prober, idle, a, "while clients hung up half-way", queued=2 * a.workers)


# Requests that must be refused on a connection that stays open, and words
# of which the error must contain one (None: any error).
BAD = [
    (b"this is not json\n", "malformed"),
    (b"{\"cmd\":\"status\"\n", "malformed"),
    (b"{\"cmd\":\"status\"}}\n", "malformed"),
    (b"[1,2,3]\n", ("not a JSON object", "malformed")),
    (b"42\n", ("not a JSON object", "malformed")),
    (b"\"status\"\n", ("not a JSON object", "malformed")),
    (b"null\n", ("not a JSON object", "malformed")),
    (b"\n", "malformed"),
    (b"{}\n", "cmd"),
    (b"{\"cmd\":5}\n", "cmd"),
    (b"{\"cmd\":\"frobnicate\"}\n", "unknown command"),
    (b"{\"cmd\":\"status\",\"names\":\"p0\"}\n", "names"),
    (b"{\"cmd\":\"status\",\"names\":[1,2]}\n", "names"),
    (b"{\"cmd\":\"status\",\"names\":[\"nope\"]}\n", "no such process"),
    (b"{\"cmd\":\"stop\"}\n", None),
    (b"{\"cmd\":\"stop\",\"names\":[\"nope\"]}\n", "no such process"),
    (b"{\"cmd\":\"signal\",\"names\":[\"p0\"],\"signal\":\"NOPE\"}\n", "unknown signal"),
    (b"{\"cmd\":\"tail\",\"name\":42}\n", None),
    (b"{\"cmd\":\"tail\",\"name\":\"p0\",\"lines\":-5}\n", None),
    (b"{\"cmd\":\"add\",\"name\":\"x\",\"argv\":\"notalist\"}\n", None),
    (b"{\"cmd\":\"add\",\"name\":\"x\",\"argv\":[1]}\n", None),
    (b"{\"cmd\":\"add\",\"name\":\"\",\"argv\":[\"/bin/true\"]}\n", None),
    (b"{\"cmd\":\"status\",\"cmd\":\"status\"}\n", "malformed"),  # a duplicate key
    (b"{\"cmd\":\"st\xff\xfeatus\"}\n", "malformed"),  # not UTF-8
    (b"{\"cmd\":\"sta\x00tus\"}\n", "malformed"),  # a NUL byte
    (b"{\"cmd\":\"sta\\u0000tus\"}\n", "malformed"),  # an escaped one
    (b"\x00\x01\x02\x03\n", "malformed"),
    (b"[" * 60000 + b"\n", "malformed"),  # deeper than the parser goes
    (b"{\"cmd\":\"status\",\"n\":" + b"1" * 60000 + b"}\n", "malformed"),  # too big a number
    (b"{\"cmd\":\"status\",\"names\":[" + b"\"nope\"," * 9000 + b"\"p0\"]}\n", "no such process"),
]


def costliest_bad(a):
    """The longest the daemon takes at rest to refuse one of BAD."""
    s = connect(a.path, a.timeout)
    r = LineReader(s)
    worst = 0.0
    try:
        for req, _ in BAD:
            t0 = time.monotonic()
            s.sendall(req)
            r.raw_line()
            worst = max(worst, time.monotonic() - t0)
    finally:
        s.close()
    return worst


def mode_garbage(a):
    errors = Errors()
    idle = measure_idle(a)
    each = max(idle.median, costliest_bad(a))
    prober = Prober(a.path, a.expect, errors, a.wave_timeout)
    prober.start()
    stats = {"bad": 0, "good": 0, "oversize": 0}
    lock = threading.Lock()

    def same_connection(i):
        """Bad requests, each followed by a good one, on one connection."""
        s = connect(a.path, a.timeout)
        r = LineReader(s)
        try:
            for j in range(len(BAD)):
                req, want = BAD[(i + j) % len(BAD)]
                together = (i + j) % 3 == 0  # the good one in the same write
                s.sendall(req + STATUS if together else req)
                answer = r.line()
                if answer.get("ok") is not False or not isinstance(answer.get("error"), str):
                    errors.add(f"{req[:60]!r}: answered {str(answer)[:200]}")
                elif want and not any(w in answer["error"] for w in ((want,) if isinstance(want, str) else want)):
                    errors.add(f"{req[:60]!r}: error {answer['error']!r} does not say {want!r}")
                elif "\n" in answer["error"]:
                    errors.add(f"{req[:60]!r}: a multi-line error")
                if not together:
                    s.sendall(STATUS)
                problem = check_status(r.line(), a.expect)
                if problem:
                    errors.add(f"status after {req[:60]!r}: {problem}")
            with lock:
                stats["bad"] += len(BAD)
                stats["good"] += len(BAD)
        finally:
            s.close()

    def oversize(i):
        """A line past the limit: an error, then the daemon hangs up."""
        s = connect(a.path, a.timeout)
        try:
            # Well past the limit; just past it is tested on its own.
            body = b"x" * (80000 + (i % 3) * 60000)
            if i % 2:
                body = b'{"cmd":"status","pad":"' + body + b'"}\n'
            try:
                s.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # it hung up before taking it all
            try:
                line = read_line(s)
            except ConnectionResetError:
                line = b""
            if line:  # the answer may be lost to the reset when the daemon closes
                answer = json.loads(line)
                if answer.get("ok") is not False or "too long" not in answer.get("error", ""):
                    errors.add(f"over-size request answered {str(answer)[:200]}")
            try:
                s.sendall(STATUS)
                more = s.recv(100)
            except (BrokenPipeError, ConnectionResetError):
                more = b""
            if more:
                errors.add(f"the daemon still answered after an over-size request: {more[:100]!r}")
            with lock:
                stats["oversize"] += 1
        finally:
            s.close()

    def worker(w):
        for i in range(w, a.clients, a.workers):
            try:
                (oversize if i % 4 == 3 else same_connection)(i)
            except Exception as e:  # noqa: BLE001
                errors.add(f"client {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    prober.finish("while other clients sent garbage")
    print(f"garbage: {stats['bad']} bad and {stats['good']} good requests on shared connections, "
          f"{stats['oversize']} over-size requests", flush=True)
    # Each worker has at most two requests in the daemon at a time, each at
    # worst the costliest bad one.
    check_latency(prober, idle, a, "while other clients sent garbage", queued=2 * a.workers, each=each)


def start_in_background(a, names, errors):
    """Asks the daemon to start NAMES, on a connection of its own (the
    answer comes once all have been started); it is checked when the
    prober finishes."""
    def run():
        try:
            answer = ask(a.path, json.dumps({"cmd": "start", "names": names}).encode() + b"\n", a.wave_timeout)
            if answer.get("ok") is not True:
                errors.add(f"start {' '.join(names)}: {str(answer)[:200]}")
        except Exception as e:  # noqa: BLE001
            errors.add(f"start {' '.join(names)}: {type(e).__name__}: {e}")
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def wait_until(a, prober, what, done, progress, idle=None, during=None):
    """Waits until done() is true, for as long as progress() keeps changing
    (the deadline counts from its last change: hundreds of spawns take as
    long as this machine takes).  With idle and during (as check_latency),
    an answer over the limit ends the wait and the test at once, and so
    does a wait given up on, with the answers so far held to the limit
    first: a daemon too slow to answer is reported as such, not as a wait
    that ran out."""
    def over_limit():
        return idle is not None and prober.worst > latency_limit(idle, a, prober.lateness.worst)[0]

    last, end = progress(), time.monotonic() + a.timeout
    while not done():
        if progress() != last:
            last, end = progress(), time.monotonic() + a.timeout
        if over_limit():
            time.sleep(Lateness.PERIOD * 10)  # a late wake-up at the same time may not be counted yet
        if over_limit() or time.monotonic() > end:
            prober.finish(what)
            if idle and prober.count:
                check_latency(prober, idle, a, during)
            fail(f"{what}: nothing moved for {a.timeout:.0f}s ({prober.count} status answers, "
                 f"slowest {prober.worst * 1e3:.1f} ms; {prober.last_restarts} restarts in all, "
                 f"{prober.last_running} running)")
        time.sleep(0.05)


def mode_probe(a):
    """A well-behaved client only: status again and again, each answer
    checked and timed against the limit from the same daemon at rest just
    before (with --start, the processes to start once that is measured).
    The timed part counts from when the processes have restarted
    --warm-restarts times in all, and lasts --seconds and until they have
    restarted --min-restarts times more (however slowly this machine
    spawns).  With --pid, the daemon's RSS is read half-way and at the end,
    and may not grow by more than --rss-slack-mb in between."""
    errors = Errors()
    idle = measure_idle(a)
    during = "during the probe" + (" (from the start)" if a.start else "")
    prober = Prober(a.path, a.expect, errors, a.wave_timeout)
    prober.start()
    starter = start_in_background(a, a.start, errors) if a.start else None

    def restarts():
        return prober.last_restarts or 0

    wait_until(a, prober, f"warming up to {a.warm_restarts} restarts", lambda: restarts() >= a.warm_restarts,
               restarts, idle, during)
    base, t0 = restarts(), time.monotonic()

    def part(share):
        return lambda: time.monotonic() - t0 >= a.seconds * share and restarts() - base >= a.min_restarts * share

    wait_until(a, prober, "the first half of probing", part(0.5), restarts, idle, during)
    first = rss_kb(a.pid) if a.pid else 0
    wait_until(a, prober, "probing", part(1), restarts, idle, during)
    last = rss_kb(a.pid) if a.pid else 0
    if starter:
        starter.join(a.wave_timeout)
    prober.finish("probing")
    print(f"probe: {restarts() - base} restarts in the {time.monotonic() - t0:.1f} s timed part"
          + (f"; daemon RSS {first / 1024:.1f} MB, then {last / 1024:.1f} MB" if a.pid else ""), flush=True)
    check_latency(prober, idle, a, during)
    if a.pid and last > first + a.rss_slack_mb * 1024:
        fail(f"the daemon grew from {first / 1024:.1f} to {last / 1024:.1f} MB")


def mode_startwave(a):
    """Asks for status from the moment the socket takes a connection (the
    daemon is started after this has begun: --ready-file says so) until
    every one of --expect processes is running, each answer timed; then
    measures the same daemon at rest and holds every answer to the limit
    derived from it."""
    if a.ready_file:
        open(a.ready_file, "w").close()
    end = time.monotonic() + a.timeout
    while True:
        try:
            connect(a.path, a.timeout).close()
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > end:
                fail(f"the socket took no connection in {a.timeout:.0f}s")
            time.sleep(0.001)
    errors = Errors()
    prober = Prober(a.path, a.expect, errors, a.wave_timeout)
    prober.start()
    wait_until(a, prober, f"starting {a.expect} processes", lambda: prober.last_running == a.expect,
               lambda: prober.last_running)
    prober.finish(f"while {a.expect} processes started")
    idle = measure_idle(a)
    print(f"startwave: the first answer found {prober.first_running} of {a.expect} running", flush=True)
    check_latency(prober, idle, a, f"while {a.expect} processes started")
    if prober.first_running == a.expect:
        fail("every process was running at the first answer, itself within the limit: "
             "the wave was over before the socket took a request, and nothing was measured")


def mode_vanished(a):
    """A backlog of clients that asked and hung up, all found at once: each
    answer is written as it is made, or dropped for a client that is gone;
    none is copied and kept until the loop's next turn.  The daemon's peak
    RSS (VmHWM, reset first where the kernel allows) may grow by at most
    --rss-slack-mb."""
    if not a.pid:
        fail("vanished needs --pid")
    try:
        with open(f"/proc/{a.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass
    base = rss_kb(a.pid, "VmHWM:")
    os.kill(a.pid, signal.SIGSTOP)
    try:
        socks = []
        for _ in range(a.clients):  # within the daemon's listen backlog
            s = connect(a.path, a.timeout)
            s.sendall(STATUS * 2)
            socks.append(s)
        for s in socks:
            s.close()
    finally:
        os.kill(a.pid, signal.SIGCONT)
    problem = check_status(ask(a.path, STATUS, a.timeout), a.expect)
    if problem:
        fail(f"after the vanished clients: {problem}")
    peak = rss_kb(a.pid, "VmHWM:")
    print(f"vanished: {a.clients} clients asked twice and hung up while the daemon was stopped; "
          f"its peak RSS {base / 1024:.1f} MB before, {peak / 1024:.1f} MB after", flush=True)
    if peak > base + a.rss_slack_mb * 1024:
        fail(f"the daemon's peak RSS grew from {base / 1024:.1f} to {peak / 1024:.1f} MB "
             f"for clients that were gone (limit +{a.rss_slack_mb} MB)")


def mode_edge(a):
    """Requests just under and just over the 64 KiB limit on a line, each
    sent in one write with its newline: under is answered, over is refused
    with "too long" and the connection closed."""
    def padded(size):
        head = b'{"cmd":"status","pad":"'
        tail = b'"}\n'
        return head + b"x" * (size - len(head) - len(tail)) + tail

    results = []
    for size in (MAX_REQUEST - 100, MAX_REQUEST + 100, MAX_REQUEST + 3000):
        s = connect(a.path, a.timeout)
        try:
            try:
                s.sendall(padded(size))
                answer = json.loads(read_line(s))
            except (BrokenPipeError, ConnectionResetError, EOFError) as e:
                answer = {"ok": False, "error": f"(connection: {e})"}
            over = size > MAX_REQUEST
            if over and (answer.get("ok") is not False or "too long" not in answer.get("error", "")):
                fail(f"a {size}-byte request line (over the {MAX_REQUEST}-byte limit) was "
                     f"answered {str(answer)[:120]}")
            if not over:
                problem = check_status(answer, a.expect)
                if problem:
                    fail(f"a {size}-byte request line (under the limit): {problem}")
            results.append(f"{size}: {'refused' if over else 'answered'}")
        finally:
            s.close()
    print("edge: " + ", ".join(results))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path")
    p.add_argument("mode", choices=["concurrent", "nonreaders", "pipeline", "halfway", "garbage", "vanished",
                                    "edge", "probe", "startwave"])
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--expect", type=int, help="how many processes status lists")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies the deadlines")
    p.add_argument("--target-ms", type=float, default=50,
                   help="the longest a status answer may take on the plain build (see latency_limit)")
    p.add_argument("--factor", type=float, default=1.0,
                   help="how much slower this build is than the plain one (tests/run measures it)")
    p.add_argument("--idle-requests", type=int, default=300, help="status answers timed at rest")
    p.add_argument("--start", nargs="+", metavar="NAME", help="probe: start these once timed at rest")
    p.add_argument("--ready-file", help="startwave: created once it is about to connect")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--min-restarts", type=int, default=0, help="probe: how many restarts it must see")
    p.add_argument("--warm-restarts", type=int, default=0,
                   help="probe: restarts in all before the timed part begins")
    p.add_argument("--pid", type=int, help="the daemon's pid, to sample its RSS")
    p.add_argument("--rss-slack-mb", type=float, default=16,
                   help="growth of the daemon's RSS allowed beyond what it must hold")
    a = p.parse_args()
    # A deadline for one event, or for any progress.
    a.timeout = 30 * a.scale
    # For one answer (and the start of all processes), which may wait for a
    # whole spawn wave: a loaded machine running the sanitizer build spawns
    # only a few a second.
    a.wave_timeout = 4 * a.timeout
    {"concurrent": mode_concurrent, "nonreaders": mode_nonreaders, "pipeline": mode_pipeline,
     "halfway": mode_halfway, "garbage": mode_garbage, "vanished": mode_vanished, "edge": mode_edge,
     "probe": mode_probe, "startwave": mode_startwave}[a.mode](a)


if __name__ == "__main__":
    main()
