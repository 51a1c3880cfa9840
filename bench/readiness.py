#!/usr/bin/python3
"""procmon's readiness, dependencies and health checks, measured.

    bench/readiness.py [--procmon PATH] [--child PATH] [--repeat R] [--output FILE]

chain:  100 programs in 10 levels of 10; each program of a level depends on
        every program of the level before (depends_on), and each is ready by
        notify (sd_notify READY=1) DELAY ms after its start.  From launching
        `procmon run` to the last READY=1, against the sum of the children's
        own delays along the chain (10 x DELAY); and each hop: from the last
        READY=1 of a level to the first start of the next (the children's own
        monotonic records, so procmon's logging is not in the figure).
idle:   100 sleeping programs without health checks, 20 s: procmon's context
        switches and CPU (its wake-ups).
health: the same with `healthcheck = tcp:127.0.0.1:PORT` (a socket this
        script listens on) and with `healthcheck = exec:true`, every 10 s,
        for 60 s: procmon's CPU share (its checks' own processes not counted).

Each figure is the median of R runs (with the range).  Writes the section
"readiness, dependencies, health" into --output (bench/results.md), after
what is there, replacing an earlier one.
"""
import argparse, os, socket, statistics, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True
import procs, report  # noqa: E402

LEVELS, WIDTH, DELAY_MS = 10, 10, 50
IDLE_SECONDS, HEALTH_SECONDS, HEALTH_INTERVAL = 20.0, 60.0, 10
LIMIT = 60.0
SECTION = "## readiness, dependencies, health (procmon alone)"


def events(path):
    """[(what, pid, ns)] from a child's --events file."""
    try:
        with open(path) as f:
            return [(w, int(p), int(t)) for w, p, t in (line.split() for line in f if line.strip())]
    except FileNotFoundError:
        return []


def wait(cond, what, limit=LIMIT):
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            raise SystemExit(f"readiness: {what} not seen within {limit:.0f} s")
        time.sleep(0.02)


class Procmon:
    def __init__(self, args, programs):
        self.dir = tempfile.mkdtemp(prefix="procmon-bench-")
        self.sock = os.path.join(self.dir, "sock")
        conf = os.path.join(self.dir, "procmon.conf")
        with open(conf, "w") as f:
            f.write(f"[procmon]\nsocket = {self.sock}\nlog_file = {self.dir}/log\n")
            for name, keys in programs.items():
                f.write(f"\n[program:{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
        self.t0 = time.monotonic_ns()
        self.proc = subprocess.Popen([args.procmon, "run", "-c", conf], stdout=subprocess.DEVNULL)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=LIMIT)
        procs.kill_descendants()


def chain(args):
    ev = tempfile.mktemp(prefix="procmon-chain-events-")
    programs, level_of = {}, {}
    for lv in range(LEVELS):
        for i in range(WIDTH):
            name = f"l{lv}_{i}"
            keys = {"command": f"{args.child} --events {ev} notify {DELAY_MS}", "ready": "notify",
                    "startsecs": "0"}
            if lv:
                keys["depends_on"] = ", ".join(f"l{lv - 1}_{j}" for j in range(WIDTH))
            programs[name] = keys
    pm = Procmon(args, programs)
    try:
        wait(lambda: sum(1 for e in events(ev) if e[0] == "notify") == LEVELS * WIDTH, "the last READY=1")
        recs = events(ev)
        level = {}  # pid -> level, by the order of the starts
        starts = sorted((t, p) for w, p, t in recs if w == "start")
        for k, (_, p) in enumerate(starts):
            level[p] = k // WIDTH
        notify = {}
        for w, p, t in recs:
            if w == "notify":
                notify.setdefault(level[p], []).append(t)
        start = {}
        for t, p in starts:
            start.setdefault(level[p], []).append(t)
        hops = [(min(start[lv]) - max(notify[lv - 1])) / 1e6 for lv in range(1, LEVELS)]
        total = (max(notify[LEVELS - 1]) - pm.t0) / 1e6
    finally:
        pm.stop()
        os.unlink(ev) if os.path.exists(ev) else None
    return total, hops


def sleepers(args, extra):
    ev = tempfile.mktemp(prefix="procmon-sleep-events-")
    programs = {f"p{i:03d}": dict({"command": f"{args.child} --events {ev} sleep"}, **extra) for i in range(100)}
    pm = Procmon(args, programs)
    wait(lambda: sum(1 for e in events(ev) if e[0] == "start") == 100, "100 starts")
    time.sleep(2)
    return pm, ev


def idle(args):
    pm, ev = sleepers(args, {})
    try:
        own = [pm.proc.pid]
        cs, cpu, t = procs.context_switches(own), procs.cpu_seconds(own), time.monotonic()
        time.sleep(IDLE_SECONDS)
        secs = time.monotonic() - t
        return (procs.context_switches(own) - cs) / secs, (procs.cpu_seconds(own) - cpu) / secs * 100
    finally:
        pm.stop()
        os.unlink(ev)


def health(args, kind):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    check = f"tcp:127.0.0.1:{port}" if kind == "tcp" else "exec:true"
    pm, ev = sleepers(args, {"healthcheck": check, "healthcheck_interval": str(HEALTH_INTERVAL)})
    try:
        own = [pm.proc.pid]
        cpu, t = procs.cpu_seconds(own), time.monotonic()
        end = t + HEALTH_SECONDS
        while time.monotonic() < end:  # take the checks' connections, as a server would
            listener.settimeout(max(0.01, end - time.monotonic()))
            try:
                listener.accept()[0].close()
            except OSError:
                pass
        secs = time.monotonic() - t
        return (procs.cpu_seconds(own) - cpu) / secs * 100
    finally:
        pm.stop()
        listener.close()
        os.unlink(ev)


def fmt(values, unit=""):
    values = sorted(values)
    med = statistics.median(values)
    return f"{med:.3g}{unit} ({values[0]:.3g}–{values[-1]:.3g})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--procmon", default="build/plain/procmon")
    ap.add_argument("--child", default="build/plain/tests/child")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--output", default="bench/results.md")
    args = ap.parse_args()
    args.procmon, args.child = os.path.abspath(args.procmon), os.path.abspath(args.child)
    procs.become_subreaper()
    load = os.getloadavg()[0]
    t = time.monotonic()
    totals, hops, idles, idle_cpu, tcp_cpu, exec_cpu = [], [], [], [], [], []
    for _ in range(args.repeat):
        total, h = chain(args)
        totals.append(total)
        hops.extend(h)
        cs, cpu = idle(args)
        idles.append(cs)
        idle_cpu.append(cpu)
        tcp_cpu.append(health(args, "tcp"))
        exec_cpu.append(health(args, "exec"))
    own = LEVELS * DELAY_MS
    lines = [
        SECTION, "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average (1 min) at the start "
        f"{load:.2f}, at the end {os.getloadavg()[0]:.2f}; `bench/readiness.py --repeat {args.repeat}` "
        f"({(time.monotonic() - t) / 60:.1f} minutes)",
        "",
        "| measurement | procmon |",
        "|---|---|",
        f"| chain of {LEVELS} levels x {WIDTH} programs, each ready by notify {DELAY_MS} ms after its start: "
        f"launch → last READY=1 (ms; the children's own delays sum to {own}) | {fmt(totals)} |",
        f"| the same, over the children's delays, per level (ms) | "
        f"{fmt([(x - own) / LEVELS for x in totals])} |",
        f"| one hop: a level's last READY=1 → the next level's first start (ms, all hops of all runs) | "
        f"{fmt(hops)} |",
        f"| 100 sleeping programs, no health checks: context switches of procmon (per s) | {fmt(idles)} |",
        f"| the same: CPU of procmon (% of a core) | {fmt(idle_cpu)} |",
        f"| 100 programs, `healthcheck = tcp:…` every {HEALTH_INTERVAL} s: CPU of procmon (% of a core) | "
        f"{fmt(tcp_cpu)} |",
        f"| 100 programs, `healthcheck = exec:true` every {HEALTH_INTERVAL} s: CPU of procmon (% of a core; "
        f"the checks' own processes not counted) | {fmt(exec_cpu)} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    report.replace_section(args.output, SECTION, text)


if __name__ == "__main__":
    main()
