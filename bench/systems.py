"""One adapter per supervisor, all with the same interface (System).

Each writes its configuration for the given programs into a private
temporary folder, starts the supervisor in the foreground in its own process
group, names the supervisor's own processes (never the children), asks for a
graceful stop, and kills what it started. Apart from what a measurement
needs (a log file, room for 1000 programs, unlimited retries for supervisord),
every system runs with its defaults.
"""
import glob, json, os, shlex, shutil, signal, subprocess, time

import procs

HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN_PYTHON = "/usr/bin/python3"  # the one with Debian's python3-twisted


class Failed(Exception):
    """A system cannot do what the workload asks; the reason goes in its cell."""


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def run_script(argv):
    """A service's ./run for s6 and runit: sh execs the program."""
    return f"#!/bin/sh\nexec {shlex.join(argv)}\n"


def package_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout.strip() or "not installed"


class System:
    name = ""
    own = ()                 # comm of the supervisor's own processes
    binaries = ()            # needed on PATH
    log_marker = b"\n"       # counts one per child line in its log files

    def __init__(self, procmon, folder):
        self.procmon, self.dir = procmon, folder
        self.proc = self.out = self.cat = None

    @classmethod
    def missing(cls):
        """Why this system cannot run here, or None."""
        lost = [b for b in cls.binaries if not shutil.which(b)]
        return f"not installed ({', '.join(lost)}; run bench/install-others)" if lost else None

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def configure(self, programs, log=False, output=None):
        """programs: {name: argv}. log: the programs' output goes into this
        system's own log (log_paths()); otherwise wherever it goes by default.
        output: supervisord-style keys (stdout_logfile, ...) written as they
        are into every program's section, for the systems that read them
        (procmon and supervisord); the others refuse it."""
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def start(self, pipe=False):
        """The supervisor's standard output and error go to supervisor.out:
        straight into the file, or (pipe) into a pipe that a `cat > file`
        reads, as a container runtime reads a container's output."""
        self.out = open(self.path("supervisor.out"), "wb")
        stdout = self.out
        if pipe:
            self.cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=self.out)
            stdout = self.cat.stdin
        self.proc = subprocess.Popen(self.command(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=stdout, stderr=subprocess.STDOUT, process_group=0)
        if pipe:
            self.cat.stdin.close()  # the supervisor holds the only writing end

    def check_alive(self):
        if self.proc.poll() is not None:
            raise Failed(f"{self.name} exited with status {self.proc.returncode}{self.output_tail()}")

    def output_tail(self):
        try:
            with open(self.path("supervisor.out"), "rb") as f:
                f.seek(max(0, os.path.getsize(f.name) - 300))
                text = f.read().decode(errors="replace").strip()
        except OSError:
            return ""
        return f": {' '.join(text.split())}" if text else ""

    def own_pids(self):
        self.check_alive()
        return [p for p, comm in procs.descendants(self.proc.pid).items() if comm in self.own]

    def log_paths(self):
        raise NotImplementedError

    def stop(self):
        """The graceful stop request of the shutdown workload."""
        os.kill(self.proc.pid, signal.SIGTERM)

    def status_command(self):
        """(argv, checker of its output) for the control workload, or None."""
        return None

    def cleanup(self):
        """Kill the supervisor's group; the suite then kills every leftover."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if self.cat:
            # EOF once the supervisor's group is gone; the suite kills any leftover.
            try:
                self.cat.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.cat.kill()
                self.cat.wait()
        if self.out:
            self.out.close()


def no_output_keys(output):
    if output:
        raise Failed("has no supervisord-style output keys (" + ", ".join(output) + ")")


def expect(n, state, test):
    """A checker of status output: None if n lines pass test, else why not."""
    def check(text):
        found = sum(1 for line in text.splitlines() if test(line))
        return None if found == n else f"status shows {found} of {n} {state}"
    return check


class Procmon(System):
    name = "procmon"
    own = ("procmon",)
    log_marker = b" [w] "   # procmon's own lines read "procmon: ..."

    @classmethod
    def missing(cls):
        return None  # the suite checks its --procmon path

    @staticmethod
    def version(procmon):
        r = subprocess.run([procmon, "--version"], capture_output=True, text=True)
        return r.stdout.strip() or "unknown"

    def configure(self, programs, log=False, output=None):
        self.n = len(programs)
        text = f"[procmon]\nsocket = {self.path('procmon.sock')}\nlog_file = {self.path('procmon.log')}\n"
        for name, argv in programs.items():
            text += f"\n[program:{name}]\ncommand = {shlex.join(argv)}\n"
            text += "".join(f"{k} = {v}\n" for k, v in (output or {}).items())
        write(self.path("procmon.conf"), text)

    def command(self):
        return [self.procmon, "run", "-c", self.path("procmon.conf")]

    def log_paths(self):
        # procmon may rotate its log file by size (procmon.log.1, ...).
        return glob.glob(self.path("procmon.log")) + glob.glob(self.path("procmon.log.*"))

    def status_command(self):
        return ([self.procmon, "-s", self.path("procmon.sock"), "status"],
                expect(self.n, "running", lambda l: " running " in l))


class Supervisord(System):
    name = "supervisord"
    own = ("supervisord",)
    binaries = ("supervisord", "supervisorctl")

    @staticmethod
    def version(_procmon):
        return "supervisor " + package_version("supervisor")

    def configure(self, programs, log=False, output=None):
        self.n = len(programs)
        d = self.dir
        # Only locations (socket, own log, pid file, AUTO child logs) point
        # into the temporary folder; everything else is supervisord's default.
        text = (f"[unix_http_server]\nfile = {d}/supervisor.sock\n\n"
                f"[supervisord]\nlogfile = {d}/supervisord.log\npidfile = {d}/supervisord.pid\n"
                f"childlogdir = {d}\n\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                f"[supervisorctl]\nserverurl = unix://{d}/supervisor.sock\n")
        for name, argv in programs.items():
            text += (f"\n[program:{name}]\ncommand = {shlex.join(argv).replace('%', '%%')}\n"
                     "autorestart = true\nstartretries = 1000000\n")
            if output:
                text += "".join(f"{k} = {str(v).replace('%', '%%')}\n" for k, v in output.items())
            elif log:
                text += f"stdout_logfile = {d}/{name}.log\nstdout_logfile_maxbytes = 0\n"
        write(self.path("supervisord.conf"), text)
        self.logs = [f"{d}/{name}.log" for name in programs]

    def command(self):
        return ["supervisord", "-n", "-c", self.path("supervisord.conf")]

    def log_paths(self):
        return self.logs

    def status_command(self):
        return (["supervisorctl", "-c", self.path("supervisord.conf"), "status"],
                expect(self.n, "RUNNING", lambda l: " RUNNING " in l))


class S6(System):
    name = "s6"
    own = ("s6-svscan", "s6-supervise", "s6-log")
    binaries = ("s6-svscan", "s6-supervise", "s6-svstat", "s6-log")

    @staticmethod
    def version(_procmon):
        return "s6 " + package_version("s6")

    def configure(self, programs, log=False, output=None):
        no_output_keys(output)
        self.n = len(programs)
        self.services = len(programs) * (2 if log else 1)
        self.logdirs = []
        for name, argv in programs.items():
            write(self.path("scan", name, "run"), run_script(argv), 0o755)
            if log:
                # T: an ISO 8601 timestamp on each line; s: the largest
                # current file s6-log allows (256 MiB) and n: keep 1000
                # rotated ones, so nothing is deleted while it is counted.
                logdir = self.path("logs", name)
                os.makedirs(logdir)
                self.logdirs.append(logdir)
                write(self.path("scan", name, "log", "run"),
                      run_script(["s6-log", "n1000", "s268435455", "T", logdir]), 0o755)

    def command(self):
        # -c: room for more than the default 500 services, only when needed.
        extra = ["-c", str(self.services)] if self.services > 500 else []
        return ["s6-svscan", *extra, self.path("scan")]

    def log_paths(self):
        return [p for d in self.logdirs for p in glob.glob(f"{d}/current") + glob.glob(f"{d}/@*")]

    def stop(self):
        os.kill(self.proc.pid, signal.SIGTERM)  # the same as s6-svscanctl -t

    def status_command(self):
        # One s6-svstat per service: s6 has no command that lists them all.
        loop = 'for d in "$1"/*/; do s6-svstat "$d" || exit; done'
        return (["/bin/sh", "-c", loop, "sh", self.path("scan")],
                expect(self.n, "up", lambda l: l.startswith("up ")))


class Runit(System):
    name = "runit"
    own = ("runsvdir", "runsv", "svlogd")
    binaries = ("runsvdir", "runsv", "sv", "svlogd")

    @staticmethod
    def version(_procmon):
        return "runit " + package_version("runit")

    def configure(self, programs, log=False, output=None):
        no_output_keys(output)
        self.names = list(programs)
        self.logdirs = []
        for name, argv in programs.items():
            write(self.path("sv", name, "run"), run_script(argv), 0o755)
            if log:
                # -tt: a UTC timestamp on each line; config "s0": no
                # rotation (by default svlogd keeps only 10 files of 1 MB).
                logdir = self.path("logs", name)
                write(os.path.join(logdir, "config"), "s0\n")
                self.logdirs.append(logdir)
                write(self.path("sv", name, "log", "run"), run_script(["svlogd", "-tt", logdir]), 0o755)
        # runsvdir sleeps 1 s before scanning a folder modified within the
        # last second (so as not to see a half-made service): date it back,
        # as for any service folder that was not written just now.
        past = time.time() - 10
        os.utime(self.path("sv"), (past, past))

    def command(self):
        return ["runsvdir", self.path("sv")]

    def log_paths(self):
        return [p for d in self.logdirs for p in glob.glob(f"{d}/current") + glob.glob(f"{d}/@*")]

    def stop(self):
        # runsvdir(8): on SIGHUP it sends TERM to each runsv and exits; a
        # runsv on TERM stops its service (TERM, CONT) and exits.
        os.kill(self.proc.pid, signal.SIGHUP)

    def status_command(self):
        return (["sv", "status", *[self.path("sv", n) for n in self.names]],
                expect(len(self.names), "run", lambda l: l.startswith("run: ")))


class Twisted(System):
    name = "twisted"
    own = ("python3",)
    log_marker = b" [w] "   # its own lines: "[-] Received SIGTERM ...", "Main loop terminated."

    @classmethod
    def missing(cls):
        r = subprocess.run([DEBIAN_PYTHON, "-c", "import twisted.runner.procmon"], capture_output=True)
        return None if r.returncode == 0 else "not installed (python3-twisted; run bench/install-others)"

    @staticmethod
    def version(_procmon):
        py = subprocess.run([DEBIAN_PYTHON, "--version"], capture_output=True, text=True).stdout.strip()
        return f"Twisted {package_version('python3-twisted')} ({py})"

    def configure(self, programs, log=False, output=None):
        no_output_keys(output)
        write(self.path("programs.json"), json.dumps(programs))

    def command(self):
        return [DEBIAN_PYTHON, os.path.join(HERE, "twisted_monitor.py"),
                self.path("programs.json"), self.path("twisted.log")]

    def log_paths(self):
        return [self.path("twisted.log")]


SYSTEMS = {c.name: c for c in (Procmon, Supervisord, S6, Runit, Twisted)}
