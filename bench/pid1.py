#!/usr/bin/python3
"""procmon as PID 1, side by side with tini, dumb-init and catatonit.

    bench/pid1.py [--procmon PATH] [--child PATH] [--repeat R] [--orphans N] [--output FILE]

Each init runs as PID 1 of a new PID namespace, as in a container:
`unshare --pid --fork --mount-proc INIT ...` (so the script must run as
root).  "PID 1" below is that init, seen from here by its host pid (the
child of the unshare process).

reap:   CMD is `child orphans N` (N orphans, each exiting at once, then it
        prints "orphaned N" and sleeps).  From launching unshare until the
        child printed "orphaned N" and the namespace holds PID 1 and the
        child alone, neither a zombie: every orphan has exited and PID 1 has
        reaped it (the namespace's own /proc, listed every 2 ms).
memory: CMD is `child sleep`; 1 s after it printed "ready": RSS and PSS of
        PID 1 alone (smaps_rollup).
stop:   10 sleeping children (procmon: 10 programs of a config; the others,
        which run one command: a shell starting 10 in the background and
        waiting); 1 s after all 10 printed "ready", SIGTERM to PID 1, until
        the unshare process exited (PID 1 exits only once every other
        process of its namespace is gone), and the exit status unshare
        passes on.

Each figure is the median of R runs (with the range); the inits take turns
within each run.  Writes the section "PID 1: ..." into --output
(bench/results.md), after what is there, replacing an earlier one.
"""
import argparse, os, re, shlex, shutil, signal, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True
import procs, report  # noqa: E402
from systems import package_version  # noqa: E402

INITS = ("procmon", "tini", "dumb-init", "catatonit")
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]
STOP_CHILDREN = 10
SETTLE = 1.0       # seconds between the last "ready" and a measurement
POLL = 0.002
LIMIT = 120.0
SECTION = "## PID 1: reaping, memory, stop (procmon, tini, dumb-init, catatonit)"
READY = re.compile(r"(^|\] )ready$")  # the child's line, bare or in procmon's log stream


class Failed(Exception):
    pass


class Run:
    """INIT ... as PID 1 of a new PID namespace, in a temporary folder, its
    standard output in the file `out` and its standard error in `err`."""

    def __init__(self, argv):
        self.dir = tempfile.mkdtemp(prefix="procmon-pid1-")
        self.out, self.err = os.path.join(self.dir, "out"), os.path.join(self.dir, "err")
        self.argv, self.init, self.pidfd = argv(self.dir), None, None
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.t0 = time.monotonic()
            self.proc = subprocess.Popen(UNSHARE + self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, start_new_session=True)

    def fail(self, what):
        try:
            with open(self.err, errors="replace") as f:
                last = [line.strip() for line in f if line.strip()][-1:]
        except OSError:
            last = []
        status = self.proc.poll()
        raise Failed(f"{shlex.join(self.argv[:3])} ...: {what}"
                     + (f" (unshare exited {status})" if status is not None else "")
                     + (f"; its last error: {last[0]}" if last else ""))

    def wait(self, cond, what, limit=LIMIT, poll=POLL):
        end = time.monotonic() + limit
        while not cond():
            if self.proc.poll() is not None:
                self.fail(f"exited before {what}")
            if time.monotonic() > end:
                self.fail(f"{what} not seen within {limit:.0f} s")
            time.sleep(poll)

    def find_init(self):
        """PID 1's host pid: the unshare process's child."""
        def found():
            kids = [p for p, (ppid, _) in procs.process_table().items() if ppid == self.proc.pid]
            self.init = kids[0] if kids else None
            return self.init is not None
        self.wait(found, "PID 1")
        self.pidfd = os.pidfd_open(self.init)
        return self.init

    def lines(self, path=None):
        with open(path or self.out, errors="replace") as f:
            return f.read().splitlines()

    def ns_proc(self):
        """The namespace's own /proc (unshare --mount-proc mounted it in the
        new mount namespace), seen through PID 1's root."""
        path = f"/proc/{self.init}/root/proc"
        if os.stat(path).st_dev == os.stat("/proc").st_dev:
            self.fail(f"{path} is not the new namespace's /proc")
        return path

    def signal(self, sig):
        signal.pidfd_send_signal(self.pidfd, sig)

    def close(self):
        """Whatever happened: SIGKILL to PID 1 (the kernel then kills all of
        its namespace) and to the unshare process group, then to anything
        left below this script."""
        if self.proc.poll() is None:
            if self.pidfd is not None:
                try:
                    self.signal(signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=LIMIT)
        if self.pidfd is not None:
            os.close(self.pidfd)
        procs.kill_descendants()
        shutil.rmtree(self.dir, ignore_errors=True)


def command(init, args, cmd, group=False):
    """INIT's argv to run cmd as PID 1; group: forward signals to cmd's
    process group (tini and catatonit -g; dumb-init does by default)."""
    if init == "procmon":
        return [args.procmon, "run", "--exit-with-child", "--", *cmd]
    if init == "dumb-init":
        return [args.bin[init], *cmd]
    return [args.bin[init], *(["-g"] if group else []), "--", *cmd]


def stat(nsproc, pid):
    """(state, ppid) of a process of the namespace, or None if it is gone."""
    try:
        with open(f"{nsproc}/{pid}/stat") as f:
            rest = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return rest[0], int(rest[1])


def reap(args, init):
    n = args.orphans
    run = Run(lambda _: command(init, args, [args.child, "orphans", str(n)]))
    try:
        run.find_init()
        want = f"orphaned {n}"
        run.wait(lambda: any(line.endswith(want) for line in run.lines()), f'"{want}"')
        nsproc = run.ns_proc()

        def reaped():  # PID 1 and the child alone, neither a zombie
            try:
                pids = [e for e in os.listdir(nsproc) if e.isdigit()]
            except OSError:  # PID 1 is gone: wait() says so
                return False
            if len(pids) != 2 or "1" not in pids:
                return False
            init, other = stat(nsproc, 1), stat(nsproc, next(p for p in pids if p != "1"))
            return bool(init and other) and init[0] != "Z" and other[0] != "Z" and other[1] == 1
        run.wait(reaped, f"all {n} orphans reaped")
        return time.monotonic() - run.t0
    finally:
        run.close()


def memory(args, init):
    run = Run(lambda _: command(init, args, [args.child, "sleep"]))
    try:
        pid = run.find_init()
        run.wait(lambda: any(READY.search(line) for line in run.lines()), '"ready"', poll=0.01)
        time.sleep(SETTLE)
        rss, pss = procs.memory_kib([pid])
        return rss / 1024, pss / 1024
    finally:
        run.close()


def stop(args, init):
    if init == "procmon":
        def argv(d):
            conf = os.path.join(d, "procmon.conf")
            with open(conf, "w") as f:
                for i in range(STOP_CHILDREN):
                    f.write(f"[program:p{i}]\ncommand = {args.child} sleep\n\n")
            return [args.procmon, "run", "-c", conf, "-s", os.path.join(d, "sock"),
                    "--log-file", os.path.join(d, "log")]
    else:
        script = (f"for i in {' '.join(str(i) for i in range(1, STOP_CHILDREN + 1))}; "
                  f"do {shlex.quote(args.child)} sleep & done; wait")

        def argv(_):
            return command(init, args, ["/bin/sh", "-c", script], group=True)
    run = Run(argv)
    try:
        run.find_init()
        where = os.path.join(run.dir, "log") if init == "procmon" else run.out

        def all_ready():
            try:
                return sum(1 for line in run.lines(where) if READY.search(line)) == STOP_CHILDREN
            except FileNotFoundError:
                return False
        run.wait(all_ready, f'{STOP_CHILDREN} "ready"', poll=0.01)
        time.sleep(SETTLE)
        t = time.monotonic()
        run.signal(signal.SIGTERM)
        try:
            status = run.proc.wait(timeout=LIMIT)
        except subprocess.TimeoutExpired:
            run.fail(f"still running {LIMIT:.0f} s after SIGTERM")
        ms = (time.monotonic() - t) * 1000
        return ms, (f"signal {-status}" if status < 0 else str(status))
    finally:
        run.close()


def versions(args):
    r = subprocess.run([args.procmon, "--version"], capture_output=True, text=True)
    out = [f"procmon: {r.stdout.strip() or 'unknown'}"]
    out += [f"{i}: {i} {package_version(i)}" for i in INITS[1:]]
    out.append(f"unshare: util-linux {package_version('util-linux')}")
    return "; ".join(out)


def preflight(args):
    if os.geteuid() != 0:
        raise SystemExit("pid1: must run as root (each init runs as PID 1 of a new PID namespace "
                         "through `unshare --pid --fork --mount-proc`)")
    for path in (args.procmon, args.child):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"pid1: {path} missing (make build/plain/procmon build/plain/tests/child)")
    args.bin = {}
    for init in INITS[1:]:
        args.bin[init] = shutil.which(init)
        if not args.bin[init]:
            raise SystemExit(f"pid1: {init} not found in PATH (bench/install-others installs it)")
    try:
        r = subprocess.run(UNSHARE + ["true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SystemExit(f"pid1: `{' '.join(UNSHARE)} true` failed: {e}")
    if r.returncode != 0:
        why = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise SystemExit(f"pid1: `{' '.join(UNSHARE)} true` failed: {why}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--procmon", default=os.path.join(here, "../build/plain/procmon"))
    ap.add_argument("--child", default=os.path.join(here, "../build/plain/tests/child"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--output", default=os.path.join(here, "results.md"))
    ap.add_argument("--orphans", type=int, default=10000)
    args = ap.parse_args()
    if args.repeat < 1 or args.orphans < 1:
        ap.error("--repeat and --orphans must be at least 1")
    args.procmon, args.child = os.path.abspath(args.procmon), os.path.abspath(args.child)
    preflight(args)

    def interrupted(signum, _frame):
        raise SystemExit(f"pid1: {signal.Signals(signum).name}")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    procs.become_subreaper()
    load = os.getloadavg()[0]
    t = time.monotonic()
    got = {i: {"reap": [], "rss": [], "pss": [], "stop": [], "status": []} for i in INITS}
    try:
        for _ in range(args.repeat):
            for init in INITS:
                got[init]["reap"].append(reap(args, init))
                rss, pss = memory(args, init)
                got[init]["rss"].append(rss)
                got[init]["pss"].append(pss)
                ms, status = stop(args, init)
                got[init]["stop"].append(ms)
                got[init]["status"].append(status)
    except Failed as e:
        raise SystemExit(f"pid1: {e}")
    finally:
        procs.kill_descendants()

    rows = [("reap", f"launch → {args.orphans:,} orphans reaped (s, lower is better)"),
            ("rss", "RSS of PID 1, one sleeping child (MiB, lower is better)"),
            ("pss", "PSS of PID 1, one sleeping child (MiB, lower is better)"),
            ("stop", f"SIGTERM → exit, {STOP_CHILDREN} children (ms, lower is better)")]
    others = INITS[1:]
    head = ["measurement", *INITS] + [f"procmon / {o}" for o in others]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label in rows:
        cells = [report.cell(got[i][key]) for i in INITS]
        ratios = [report.ratio(got["procmon"][key], got[o][key], "lower") for o in others]
        table.append("| " + " | ".join([label, *cells, *ratios]) + " |")
    table.append("| " + " | ".join(
        [f"exit status after SIGTERM, {STOP_CHILDREN} children (unshare's, which is PID 1's)",
         *(", ".join(sorted(set(got[i]["status"]))) for i in INITS), *("—" for _ in others)]) + " |")
    n, k, settle = args.orphans, STOP_CHILDREN, f"{SETTLE:g} s"
    notes = [
        f"How each init runs: as PID 1 of a new PID namespace, `unshare --pid --fork --mount-proc INIT ...`,",
        "its standard output a file (`child` is procmon's test helper, build/plain/tests/child):",
        "",
        "- **procmon**: `procmon run --exit-with-child -- CMD` (its log stream on standard output); for",
        f"  the stop row `procmon run -c FILE -s DIR/sock --log-file DIR/log`, FILE holding {k}",
        "  `[program:pN]` sections with `command = child sleep` and nothing else.",
        "- **tini**: `tini -- CMD` (as PID 1 it needs no `-s`); for the stop row `tini -g -- CMD`.",
        "- **dumb-init**: `dumb-init CMD` (it forwards signals to CMD's process group by default).",
        "- **catatonit**: `catatonit -- CMD`; for the stop row `catatonit -g -- CMD`.",
        "",
        f"reap: CMD is `child orphans {n}` (it forks the orphans through short-lived middle processes,",
        f"100 each, then prints `orphaned {n}`); the time runs from launching unshare until that line is",
        "out and the namespace's own /proc (listed every 2 ms) holds PID 1 and the child alone, neither a",
        "zombie: every orphan has exited and been reaped. memory: CMD is `child sleep`; RSS and PSS of",
        f"PID 1 alone (`/proc/PID/smaps_rollup`), {settle} after the child printed ready. stop: procmon",
        f"runs the {k} children itself; tini, dumb-init and catatonit run one command, so there CMD is",
        f"`/bin/sh -c 'for i in 1 … {k}; do child sleep & done; wait'`, and as sh does not pass SIGTERM",
        "on to its children, tini and catatonit get `-g` (signals to the process group of CMD: the shell",
        "and its children), as dumb-init does by default. Each of the three exits once the shell has, and",
        f"the kernel kills what is left of its namespace. SIGTERM goes to PID 1 (its host pid) {settle}",
        f"after all {k} printed ready; the time runs until unshare exited (PID 1 is gone only once every",
        "other process of its namespace is); the exit status is unshare's, which passes PID 1's on (128 +",
        "N: PID 1 passing on its command's death by signal N). Each cell: median (min–max) over the",
        "runs; a ratio is procmon's median divided by the other init's.",
    ]
    lines = [
        SECTION, "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average (1 min) at the start "
        f"{load:.2f}, at the end {os.getloadavg()[0]:.2f}; `bench/pid1.py --repeat {args.repeat}"
        f"{'' if n == 10000 else f' --orphans {n}'}` ({(time.monotonic() - t) / 60:.1f} minutes)",
        f"- versions: {versions(args)}",
        "",
        *table,
        "",
        *notes,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    report.replace_section(args.output, SECTION, text)


if __name__ == "__main__":
    main()
