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
  probe        no abuse: status again and again, timed (for faults.bats)

Only the standard library.  --scale multiplies every time limit (the tests
pass $DEADLINE / 30, so that a run under valgrind gets more time).
"""
import argparse
import json
import os
import resource
import signal
import socket
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

    def line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(1 << 16)
            if not data:
                raise EOFError("connection closed before the end of the answer")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


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


class Prober(threading.Thread):
    """A well-behaved client asking for status again and again, each answer
    checked and timed, until stopped."""

    def __init__(self, path, expect, max_latency, errors):
        super().__init__(daemon=True)
        self.path, self.expect, self.max_latency, self.errors = path, expect, max_latency, errors
        self.stop = threading.Event()
        self.count = 0
        self.worst = 0.0
        self.first_restarts = self.last_restarts = None  # over all processes

    def run(self):
        # Half of the questions on one long-lived connection, half on new ones.
        keep = None
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                if self.count % 2:
                    answer = ask(self.path, STATUS, self.max_latency * 2)
                else:
                    if keep is None:
                        keep = connect(self.path, self.max_latency * 2)
                        reader = LineReader(keep)
                    keep.sendall(STATUS)
                    answer = reader.line()
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                self.errors.add(f"prober: {type(e).__name__}: {e}")
                keep = None
                time.sleep(0.05)
                continue
            took = time.monotonic() - t0
            self.worst = max(self.worst, took)
            self.count += 1
            if isinstance(answer.get("processes"), list):
                restarts = sum(p.get("restarts", 0) for p in answer["processes"])
                if self.first_restarts is None:
                    self.first_restarts = restarts
                self.last_restarts = restarts
            problem = check_status(answer, self.expect)
            if problem:
                self.errors.add(f"prober: {problem}")
            if took > self.max_latency:
                self.errors.add(f"prober: a status answer took {took:.2f}s (limit {self.max_latency:.1f}s)")
            time.sleep(0.01)
        if keep is not None:
            keep.close()

    def finish(self, errors_what):
        self.stop.set()
        self.join()
        if self.count == 0:
            self.errors.add("prober: no status answer at all")
        self.errors.check(errors_what)


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
    answer_bytes = len(json.dumps(ask(a.path, STATUS, a.timeout)))
    base = rss_kb(a.pid) if a.pid else 0
    hogs = []
    for i in range(a.clients):
        s = connect(a.path, a.timeout)
        s.sendall(STATUS)  # a large answer, never read
        hogs.append(s)
    prober = Prober(a.path, a.expect, a.max_latency, errors)
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
    print(f"nonreaders: {a.clients} clients never read a {answer_bytes / 1024:.0f} KB answer; "
          f"{prober.count} status answers meanwhile, slowest {prober.worst:.2f}s"
          + (f"; daemon RSS {base / 1024:.1f} MB, peak {peak / 1024:.1f} MB (limit {limit / 1024:.1f})"
             if a.pid else ""))
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
    prober = Prober(a.path, a.expect, a.max_latency, errors)
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
    prober.stop.set()
    prober.join()
    how = "then the daemon stopped taking them" if blocked else "all taken"
    print(f"pipeline: {sent} status requests sent unread ({how}); {prober.count} status answers "
          f"meanwhile, slowest {prober.worst:.2f}s; daemon RSS {base / 1024:.1f} MB, "
          f"peak {peak / 1024:.1f} MB (limit {limit / 1024:.1f})", flush=True)
    prober.finish("while one client pipelined requests without reading")
    if peak > limit:
        fail(f"the daemon grew from {base / 1024:.1f} to {peak / 1024:.1f} MB holding answers "
             f"nobody reads (limit {limit / 1024:.1f} MB)")


def mode_halfway(a):
    errors = Errors()
    prober = Prober(a.path, a.expect, a.max_latency, errors)
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
          f"({', '.join(f'{v} {k}' for k, v in counts.items())}); "
          f"{prober.count} status answers meanwhile, slowest {prober.worst:.2f}s")


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


def mode_garbage(a):
    errors = Errors()
    prober = Prober(a.path, a.expect, a.max_latency, errors)
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
          f"{stats['oversize']} over-size requests; {prober.count} status answers from another "
          f"client meanwhile, slowest {prober.worst:.2f}s")


def mode_probe(a):
    """A well-behaved client only: status again and again for --seconds
    (after --warm-restarts), each answer checked and timed.  With --pid, the
    daemon's RSS is read half-way and at the end, and may not grow by more
    than --rss-slack-mb in between."""
    errors = Errors()
    prober = Prober(a.path, a.expect, a.max_latency, errors)
    prober.start()
    # Warming up: the time (and the RSS) count from when the processes have
    # restarted --warm-restarts times in all.
    end = time.monotonic() + a.timeout
    while (prober.last_restarts or 0) < a.warm_restarts:
        if time.monotonic() > end:
            prober.finish("warming up")
            fail(f"fewer than {a.warm_restarts} restarts in {a.timeout:.0f}s")
        time.sleep(0.05)
    time.sleep(a.seconds / 2)
    first = rss_kb(a.pid) if a.pid else 0
    time.sleep(a.seconds / 2)
    last = rss_kb(a.pid) if a.pid else 0
    prober.finish("probing")
    restarts = (prober.last_restarts or 0) - (prober.first_restarts or 0)
    print(f"probe: {prober.count} status answers in {a.seconds:.0f}s, slowest {prober.worst:.2f}s; "
          f"{restarts} restarts between the first and the last"
          + (f"; daemon RSS {first / 1024:.1f} MB, then {last / 1024:.1f} MB" if a.pid else ""))
    if a.pid and last > first + a.rss_slack_mb * 1024:
        fail(f"the daemon grew from {first / 1024:.1f} to {last / 1024:.1f} MB")
    if restarts < a.min_restarts:
        fail(f"only {restarts} restarts while probing, want {a.min_restarts}")


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
                                    "edge", "probe"])
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--expect", type=int, help="how many processes status lists")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every time limit")
    p.add_argument("--max-latency", type=float, default=3.0, help="seconds a good client may wait")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--min-restarts", type=int, default=0, help="probe: how many restarts it must see")
    p.add_argument("--warm-restarts", type=int, default=0,
                   help="probe: restarts in all before the timed part begins")
    p.add_argument("--pid", type=int, help="the daemon's pid, to sample its RSS")
    p.add_argument("--rss-slack-mb", type=float, default=16,
                   help="growth of the daemon's RSS allowed beyond what it must hold")
    a = p.parse_args()
    a.max_latency *= a.scale
    a.timeout = 30 * a.scale
    {"concurrent": mode_concurrent, "nonreaders": mode_nonreaders, "pipeline": mode_pipeline,
     "halfway": mode_halfway, "garbage": mode_garbage, "vanished": mode_vanished, "edge": mode_edge,
     "probe": mode_probe}[a.mode](a)


if __name__ == "__main__":
    main()
