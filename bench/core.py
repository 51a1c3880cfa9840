#!/usr/bin/env python3
"""procmon's core figures: restart latency and log throughput.

    bench/core.py [--procmon PATH] [--child PATH] [--restarts N] [--megabytes MB] [--repeat N]

Restart latency: a child that outlives the threshold exits again and again;
the time from one child's exit (recorded by the child just before it exits)
to the next child's start (recorded first thing after exec), median over the
cycles.

Log throughput: one child writes MB megabytes of 100-byte lines; the time
from procmon's start until the child's exit is logged (procmon logs the exit
only after the child's last line), the payload rate, and procmon's own CPU
seconds.  Baselines on the same machine in the same run: the child writing
straight into a file, and the child piped through `cat` into a file.
"""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def wait_until(cond, limit, what):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.005)
    sys.exit(f"bench: timed out waiting for {what}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def restart_latency(procmon, child, restarts, tmp):
    events = os.path.join(tmp, "events")
    log = os.path.join(tmp, "latency.log")
    proc = subprocess.Popen([procmon, "run", "--threshold", "0.05", "--log-file", log, "--name", "lat",
                             "--", child, "--events", events, "live", "100"])

    def starts():
        try:
            with open(events) as f:
                return sum(1 for l in f if l.startswith("start"))
        except FileNotFoundError:
            return 0
    wait_until(lambda: starts() > restarts, 60 + restarts, f"{restarts} restarts")
    stop(proc)
    last_exit, gaps = None, []
    with open(events) as f:
        for line in f:
            what, _pid, ns = line.split()
            if what == "exit":
                last_exit = int(ns)
            elif last_exit is not None:
                gaps.append((int(ns) - last_exit) / 1e6)
                last_exit = None
    return gaps[:restarts]


def spawn_baseline(child, count, tmp):
    """The floor under any restart latency: from asking for a process to the
    child's first instruction, here with posix_spawn from this script."""
    events = os.path.join(tmp, "spawn-events")
    gaps = []
    for _ in range(count):
        t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        pid = os.posix_spawn(child, [child, "--events", events, "exit", "0"], os.environ)
        os.waitpid(pid, 0)
        with open(events) as f:
            start = int(f.readline().split()[2])
        os.unlink(events)
        gaps.append((start - t0) / 1e6)
    return gaps


def throughput(procmon, child, megabytes, tmp):
    total = megabytes * 1000 * 1000
    log = os.path.join(tmp, "throughput.log")
    t0 = time.monotonic()
    proc = subprocess.Popen([procmon, "run", "--log-file", log, "--name", "w",
                             "--", child, "write", str(total), "100"])
    done = "procmon: w: exited with status 0"

    def finished():
        try:
            with open(log, "rb") as f:
                f.seek(max(0, os.path.getsize(log) - 4096))
                return done.encode() in f.read()
        except FileNotFoundError:
            return False
    wait_until(finished, 600, "the writer's exit in the log")
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(proc.pid)
    stop(proc)
    lines = 0
    with open(log, "rb") as f:
        for line in f:
            lines += b" [w] " in line
    os.unlink(log)
    return elapsed, cpu, lines


def baseline(child, megabytes, tmp, through_cat):
    total = megabytes * 1000 * 1000
    out = os.path.join(tmp, "baseline")
    cmd = f"'{child}' write {total} 100" + (" | cat" if through_cat else "") + f" > '{out}'"
    t0 = time.monotonic()
    subprocess.run(["/bin/sh", "-c", cmd], check=True)
    elapsed = time.monotonic() - t0
    os.unlink(out)
    return elapsed


def spread(values):
    return f"median {statistics.median(values):.3f}, min {min(values):.3f}, max {max(values):.3f}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--procmon", default=os.path.join(here, "../build/plain/procmon"))
    ap.add_argument("--child", default=os.path.join(here, "../build/plain/tests/child"))
    ap.add_argument("--restarts", type=int, default=30)
    ap.add_argument("--megabytes", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gaps = restart_latency(a.procmon, a.child, a.restarts, tmp)
        print(f"restart latency, exit to next start, {len(gaps)} restarts: ms {spread(gaps)}")
        floor = spawn_baseline(a.child, a.restarts, tmp)
        print(f"baseline, spawn to the child's start (posix_spawn from Python): ms {spread(floor)}")
        runs = [throughput(a.procmon, a.child, a.megabytes, tmp) for _ in range(a.repeat)]
        secs = [r[0] for r in runs]
        rates = [a.megabytes / s for s in secs]
        print(f"log throughput, {a.megabytes} MB of 100-byte lines, {runs[0][2]} lines logged: "
              f"s {spread(secs)}; MB/s {spread(rates)}; procmon CPU s {spread([r[1] for r in runs])}")
        direct = [baseline(a.child, a.megabytes, tmp, False) for _ in range(a.repeat)]
        piped = [baseline(a.child, a.megabytes, tmp, True) for _ in range(a.repeat)]
        print(f"baseline, child straight into a file: MB/s {spread([a.megabytes / s for s in direct])}")
        print(f"baseline, child | cat into a file: MB/s {spread([a.megabytes / s for s in piped])}")
        print(f"procmon / (child | cat): {statistics.median(rates) / (a.megabytes / statistics.median(piped)):.2f}")


if __name__ == "__main__":
    main()
