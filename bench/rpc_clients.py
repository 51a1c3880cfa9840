#!/usr/bin/python3
"""supervisord's clients against procmon and supervisord, side by side.

    bench/rpc_clients.py [--procmon PATH] [--child PATH] [--programs N] [--repeat R] [--output FILE]

The same supervisord.conf (N sleeping programs, a [unix_http_server]) run
by `procmon run` and by `supervisord -n`, one after the other, then:

status:   `supervisorctl status` of all N, the whole command (Python's own
          start-up is in both figures alike).
call:     supervisor.getAllProcessInfo() from Python's xmlrpc.client over
          the unix socket, the round trip alone.
clients:  the supervisor's RSS with 100 idle HTTP connections open, half on
          its unix socket and half on its [inet_http_server] (127.0.0.1),
          against its RSS before they came.

Each figure is the median of R tries (with the range).  Writes the section
"supervisorctl and XML-RPC" into --output (bench/results.md), replacing an
earlier one.
"""
import argparse, http.client, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
import xmlrpc.client

sys.dont_write_bytecode = True
import procs, report  # noqa: E402

SECTION = "## supervisorctl and XML-RPC (procmon against supervisord)"
CLIENTS = 100
LIMIT = 120.0


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=LIMIT)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(LIMIT)
        self.sock.connect(self.path)


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def make_connection(self, host):
        return UnixConnection(self.path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(d, n, child, port):
    with open(os.path.join(d, "supervisord.conf"), "w") as f:
        f.write(f"[unix_http_server]\nfile = {d}/http.sock\n[inet_http_server]\nport = 127.0.0.1:{port}\n"
                f"[supervisord]\nlogfile = {d}/supervisord.log\n"
                f"pidfile = {d}/supervisord.pid\nchildlogdir = {d}\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                f"[supervisorctl]\nserverurl = unix://{d}/http.sock\n")
        for i in range(n):
            f.write(f"[program:p{i:04d}]\ncommand = {child} sleep\nstartsecs = 0\n"
                    "stdout_logfile = NONE\nstderr_logfile = NONE\n")


def start(who, d, args):
    conf = os.path.join(d, "supervisord.conf")
    if who == "procmon":
        cmd = [args.procmon, "run", "-s", os.path.join(d, "procmon.sock"), "--log-file",
               os.path.join(d, "procmon.log"), "-c", conf]
    else:
        cmd = [shutil.which("supervisord"), "-n", "-c", conf]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def all_running(proxy, n):
    try:
        infos = proxy.supervisor.getAllProcessInfo()
    except (OSError, xmlrpc.client.Error):
        return False
    return len(infos) == n and all(i["statename"] == "RUNNING" for i in infos)


def fmt(values, unit=""):
    values = sorted(values)
    return f"{statistics.median(values):.3g}{unit} ({values[0]:.3g}–{values[-1]:.3g})"


def measure(who, args):
    d = tempfile.mkdtemp(prefix="procmon-bench-xmlrpc-")
    port = free_port()
    write_config(d, args.programs, args.child, port)
    proc = start(who, d, args)
    proxy = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=UnixTransport(f"{d}/http.sock"))
    try:
        end = time.monotonic() + LIMIT
        while not all_running(proxy, args.programs):
            if time.monotonic() > end or proc.poll() is not None:
                raise SystemExit(f"xmlrpc: {who} did not run {args.programs} programs within {LIMIT:.0f} s")
            time.sleep(0.2)
        status, calls = [], []
        for _ in range(args.repeat):
            t = time.monotonic()
            out = subprocess.run(["supervisorctl", "-c", f"{d}/supervisord.conf", "status"],
                                 capture_output=True, text=True)
            status.append(time.monotonic() - t)
            if out.stdout.count("RUNNING") != args.programs:
                raise SystemExit(f"xmlrpc: supervisorctl status of {who} shows "
                                 f"{out.stdout.count('RUNNING')} of {args.programs} running")
            t = time.monotonic()
            proxy.supervisor.getAllProcessInfo()
            calls.append(time.monotonic() - t)
        pid = proc.pid
        before = procs.memory_kib([pid])[0]
        conns = []
        for i in range(CLIENTS):
            s = socket.socket(socket.AF_UNIX) if i % 2 else socket.socket()
            s.connect(f"{d}/http.sock" if i % 2 else ("127.0.0.1", port))
            s.sendall(b"GET /RPC2 HTTP/1.1\r\nHost: x\r\n")  # a request begun and never finished
            conns.append(s)
        time.sleep(1.0)  # let the supervisor take them all
        after = procs.memory_kib([pid])[0]
        for s in conns:
            s.close()
        answers = all_running(proxy, args.programs)  # it still answers
        return {"status": status, "call": calls, "rss_before": before / 1024, "rss_after": after / 1024,
                "answers": answers}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        procs.kill_descendants()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--procmon", default="build/plain/procmon")
    ap.add_argument("--child", default="build/plain/tests/child")
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--output", default="bench/results.md")
    args = ap.parse_args()
    args.procmon, args.child = os.path.abspath(args.procmon), os.path.abspath(args.child)
    if not shutil.which("supervisord") or not shutil.which("supervisorctl"):
        raise SystemExit("xmlrpc: supervisord and supervisorctl are needed (Debian's supervisor package)")
    procs.become_subreaper()
    load = os.getloadavg()[0]
    t = time.monotonic()
    got = {who: measure(who, args) for who in ("procmon", "supervisord")}
    pm, sv = got["procmon"], got["supervisord"]
    med = statistics.median

    def row(what, key, unit, scale=1.0):
        a, b = [x * scale for x in pm[key]], [x * scale for x in sv[key]]
        return f"| {what} | {fmt(a)} | {fmt(b)} | {med(a) / med(b):.3g}× |"

    lines = [
        SECTION, "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {report.machine(load)}; "
        f"`bench/rpc_clients.py --programs {args.programs} --repeat {args.repeat}` "
        f"({(time.monotonic() - t) / 60:.1f} minutes)",
        "",
        "| measurement (lower is better) | procmon | supervisord | procmon / supervisord |",
        "|---|---|---|---|",
        row(f"`supervisorctl status` of {args.programs} programs, the whole command (ms)", "status", "", 1000),
        row(f"supervisor.getAllProcessInfo() of {args.programs} programs, the round trip (ms)", "call", "", 1000),
        f"| RSS before and with {CLIENTS} HTTP connections open on both listeners (MiB) | {pm['rss_before']:.3g} → "
        f"{pm['rss_after']:.3g} | {sv['rss_before']:.3g} → {sv['rss_after']:.3g} | "
        f"{pm['rss_after'] / sv['rss_after']:.3g}× |",
        "",
        f"Both answered every call with the connections open: procmon {'yes' if pm['answers'] else 'NO'}, "
        f"supervisord {'yes' if sv['answers'] else 'NO'}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    report.replace_section(args.output, SECTION, text)


if __name__ == "__main__":
    main()
