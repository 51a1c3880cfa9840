"""Runs one supervisord.conf under supervisord itself (`supervisord -n`, in
the foreground) and then under `procmon run`, and compares what each child
saw: argv, environment, working directory, umask and ids, and the set of
process names.  Usage:

    supervisord_diff.py PROCMON CONFIG WORKDIR [--report-commands]
    supervisord_diff.py --cleanup WORKDIR

CONFIG's folder is copied to WORKDIR/conf (the paths that name the folder
rewritten to the copy) and every *.conf there is adjusted so that nothing
leaves WORKDIR: [supervisord] gets its logfile, pidfile and childlogdir under
WORKDIR and loses `user` (the supervisors stay who they are);
[unix_http_server] gets its socket under WORKDIR; [inet_http_server] is
dropped (no TCP port); [rpcinterface:x] keeps only its factory (supervisord
passes the other keys to it, and its own refuses them); a `directory` that does not exist is made under
WORKDIR/root; without root, `user` lines and socket `chown` are dropped.
With --report-commands each [program:x] command becomes
`python3 WORKDIR/report.py COMMAND...`, so the child is the reporter (see
tests/configs/differential/report.py) and its argv shows how COMMAND was
split.  The programs of tests/configs/differential run the reporter
themselves.

Both supervisors start with the same clean environment, folder
(WORKDIR/cwd) and umask (0026); each child writes WORKDIR/out/PID.json.
supervisord names a report by SUPERVISOR_GROUP_NAME/SUPERVISOR_PROCESS_NAME,
procmon by `status --json`.  Differences that doc/supervisord-compat.md
lists as deliberate are let through, each by a narrow rule (see `allowed`).

Exit 0 when they agree, 1 with the differences, 77 when supervisord is not
installed.  Every process started is stopped before exit (--cleanup kills
what a killed run left: the pids are in WORKDIR/pids and the reports)."""
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time

DEADLINE = float(os.environ.get("DIFF_DEADLINE", "60"))
UMASK = 0o026  # neither supervisord's default (022) nor any the corpus sets
HERE = os.path.dirname(os.path.abspath(__file__))
REPORTER = os.path.join(HERE, "..", "configs", "differential", "report.py")
ROOT = os.getuid() == 0


def find_supervisord():
    for cand in ("/usr/bin/supervisord", shutil.which("supervisord")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


# ---- cleaning up ----

def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie of ours counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_gone(pids, limit):
    end = time.monotonic() + limit
    while any(alive(p) for p in pids):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def cleanup(workdir):
    """Kills whatever this helper started under WORKDIR that still runs:
    the supervisors in WORKDIR/pids, then the reporters whose reports are
    there (each checked by its command line, so a reused pid is spared)."""
    sups = []
    try:
        with open(os.path.join(workdir, "pids")) as f:
            for line in f:
                pid, _, what = line.strip().partition(" ")
                if pid and alive(int(pid)) and os.path.basename(what) in cmdline(int(pid)):
                    sups.append(int(pid))
    except OSError:
        pass
    for pid in sups:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    if not wait_gone(sups, 20):
        for pid in sups:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        wait_gone(sups, 5)
    children = []
    for report in glob.glob(os.path.join(workdir, "out*", "*.json")):
        pid = int(os.path.basename(report).split(".")[0])
        if alive(pid) and "report.py" in cmdline(pid):
            children.append(pid)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    wait_gone(children, 5)


# ---- the copy of the config ----

SECTION = re.compile(r"^\[([^\]]+)\]")
KEY = re.compile(r"^([^\s=:;#][^=:]*?)\s*[=:]\s?(.*)$")


def transform(text, workdir, report_commands, main):
    """One file, adjusted as the module's doc says.  Returns the new text
    and the keys [supervisord] sets in it."""
    out, section, dropping, seen = [], None, False, set()
    lines = text.splitlines()

    def supervisord_own():
        return ["logfile = %s/supervisord.log" % workdir,
                "pidfile = %s/supervisord.pid" % workdir,
                "childlogdir = %s/childlog" % workdir]

    for line in lines:
        m = SECTION.match(line)
        if m:
            section, dropping = m.group(1), False
            if section == "inet_http_server":
                dropping = True
                section = None
                continue
            out.append(line)
            if section == "supervisord":
                out.extend(supervisord_own())
            continue
        if section is None and dropping:
            continue
        if line[:1] in (" ", "\t"):  # a continuation, or an indented comment
            if not dropping:
                out.append(line)
            continue
        dropping = False
        m = KEY.match(line)
        if not m or section is None:
            out.append(line)
            continue
        key, value = m.group(1).strip().lower(), m.group(2)
        if section == "supervisord":
            seen.add(key)
            if key in ("logfile", "pidfile", "childlogdir", "user"):
                dropping = True
                continue
        elif section == "unix_http_server":
            if key == "file":
                line = "file = %s/supervisor.sock" % workdir
            elif key == "chown" and not ROOT:
                dropping = True
                continue
        elif section.startswith("rpcinterface:"):
            if key != "supervisor.rpcinterface_factory":
                dropping = True  # supervisord passes it to the factory, which may refuse it
                continue
        elif section.startswith("program:"):
            if key == "user" and not ROOT:
                dropping = True
                continue
            if key == "directory":
                path = value.split(";")[0].strip()
                if path.startswith("/") and "%(" not in path and not os.path.isdir(path):
                    os.makedirs(workdir + "/root" + path, exist_ok=True)
                    line = "directory = %s/root%s" % (workdir, path)
            if key == "command" and report_commands:
                line = "%s = python3 %s/report.py %s" % (m.group(1), workdir, value)
        out.append(line)
    if main and "supervisord" not in [SECTION.match(l).group(1) for l in lines if SECTION.match(l)]:
        out.append("[supervisord]")
        out.extend(supervisord_own())
    return "\n".join(out) + "\n", seen


def prepare(config, workdir, report_commands):
    src = os.path.dirname(os.path.abspath(config))
    conf = os.path.join(workdir, "conf")
    shutil.copytree(src, conf, symlinks=False)
    shutil.copy(REPORTER, os.path.join(workdir, "report.py"))
    for d, mode in (("out", 0o1777), ("cwd", 0o755), ("childlog", 0o755), ("tmp", 0o1777)):
        os.makedirs(os.path.join(workdir, d), exist_ok=True)
        os.chmod(os.path.join(workdir, d), mode)
    os.chmod(workdir, 0o755)
    main = os.path.join(conf, os.path.basename(config))
    global_keys = set()
    for path in glob.glob(os.path.join(conf, "**", "*.conf"), recursive=True):
        with open(path, encoding="utf-8") as f:
            text = f.read().replace(src + "/", conf + "/")
        text, seen = transform(text, workdir, report_commands, path == main)
        global_keys |= seen
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return main, global_keys


# ---- running ----

def clean_env(workdir):
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir,
        "LANG": "C.UTF-8",
        "TMPDIR": os.path.join(workdir, "tmp"),
        "DIFF_OUT": os.path.join(workdir, "out"),
        "DIFF_OUTSIDE": "50% from outside",
    }


def reports(workdir):
    got = {}
    for path in glob.glob(os.path.join(workdir, "out", "*.json")):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        got[r["pid"]] = r
    return got


def start(argv, workdir, env, log, what):
    logf = open(os.path.join(workdir, log), "wb")
    proc = subprocess.Popen(argv, cwd=os.path.join(workdir, "cwd"), env=env, stdin=subprocess.DEVNULL,
                            stdout=logf, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: os.umask(UMASK))
    logf.close()
    with open(os.path.join(workdir, "pids"), "a") as f:
        f.write("%d %s\n" % (proc.pid, what))
    return proc


def wait_reports(proc, workdir, count):
    end = time.monotonic() + DEADLINE
    while len(reports(workdir)) < count:
        if proc.poll() is not None or time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def stop(proc, workdir):
    """SIGTERM, then the reporters must be gone too; SIGKILL past the
    deadline.  Returns the supervisor's exit status (None if killed)."""
    status = None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    left = [p for p in reports(workdir) if alive(p)]
    if not wait_gone(left, 10):
        cleanup(workdir)
    return status


def tail(workdir, log):
    try:
        with open(os.path.join(workdir, log), errors="replace") as f:
            return "".join(f.readlines()[-30:])
    except OSError:
        return ""


def main():
    if sys.argv[1] == "--cleanup":
        cleanup(sys.argv[2])
        return 0
    supervisord = find_supervisord()
    if not supervisord:
        print("supervisord is not installed")
        return 77
    procmon, config, workdir = sys.argv[1:4]
    procmon = os.path.abspath(procmon)
    report_commands = "--report-commands" in sys.argv[4:]
    os.makedirs(workdir, exist_ok=True)
    workdir = os.path.realpath(workdir)
    main_conf, global_keys = prepare(config, workdir, report_commands)
    env = clean_env(workdir)

    # supervisord's own parser: what it will run, and what the rules need.
    sys.path.append("/usr/lib/python3/dist-packages")
    from supervisor.options import ServerOptions
    os.environ.clear()
    os.environ.update(env)
    options = ServerOptions()
    options.configfile = main_conf
    options.here = os.path.dirname(main_conf)
    section = options.read_config(main_conf)
    explicit_groups = set()
    configs = {}  # supervisord's name -> ProcessConfig
    listeners = set()  # the event listeners' names, which both run
    for path in glob.glob(os.path.join(workdir, "conf", "**", "*.conf"), recursive=True):
        with open(path, encoding="utf-8") as f:
            explicit_groups |= set(re.findall(r"^\[group:([^\]]+)\]", f.read(), re.M))
    for group in section.process_group_configs:
        for proc in group.process_configs:
            # Programs only: a listener run by the reporter would not speak the
            # protocol (eventlisteners.bats tests listeners), and FastCGI is not run.
            if type(proc).__name__ == "ProcessConfig":
                configs[name_of(group.name, proc.name, explicit_groups)] = proc
            elif type(proc).__name__ == "EventListenerConfig":
                listeners.add(name_of(group.name, proc.name, explicit_groups))
    expected = sum(1 for c in configs.values() if c.autostart)

    problems = []
    runs = {}
    try:
        for who in ("supervisord", "procmon"):
            if who == "supervisord":
                proc = start([supervisord, "-n", "-c", main_conf], workdir, env, "supervisord.out", supervisord)
            else:
                sock = os.path.join(workdir, "procmon.sock")
                proc = start([procmon, "run", "-s", sock, "--log-file", os.path.join(workdir, "procmon.log"),
                              "-c", main_conf], workdir, env, "procmon.out", procmon)
            complete = wait_reports(proc, workdir, expected)
            exited = proc.poll() is not None
            got = reports(workdir)
            names = {}
            if who == "supervisord":
                for pid, r in got.items():
                    e = r["env"]
                    names[name_of(e.get("SUPERVISOR_GROUP_NAME"), e.get("SUPERVISOR_PROCESS_NAME"),
                                  explicit_groups)] = r
                listed = set(configs)
            else:
                status = procmon_status(procmon, sock, env)
                listed = {s["name"] for s in status} - listeners
                by_pid = {s.get("pid"): s["name"] for s in status if s.get("pid")}
                for pid, r in got.items():
                    names[by_pid.get(pid, "(pid %d, not in status)" % pid)] = r
            exit_status = stop(proc, workdir)
            if not complete:
                problems.append("%s: %d of %d processes reported (%s); its output:\n%s%s" % (
                    who, len(got), expected,
                    "it exited %r" % exit_status if exited else "in %gs" % DEADLINE, tail(workdir, who + ".out"),
                    tail(workdir, "procmon.log") if who == "procmon" else ""))
            if who == "procmon" and exit_status != 0:
                problems.append("procmon exited %r; its output:\n%s" % (exit_status, tail(workdir, "procmon.out")))
            runs[who] = (names, listed)
            os.rename(os.path.join(workdir, "out"), os.path.join(workdir, "out." + who))
            os.makedirs(os.path.join(workdir, "out"))
            os.chmod(os.path.join(workdir, "out"), 0o1777)
    finally:
        cleanup(workdir)

    theirs, their_list = runs["supervisord"]
    ours, our_list = runs["procmon"]
    if our_list != their_list:
        problems.append("procmon's programs %s, supervisord's %s" % (sorted(our_list), sorted(their_list)))
    for name in sorted(set(theirs) | set(ours)):
        if name not in ours:
            problems.append("%s: run by supervisord, not by procmon" % name)
            continue
        if name not in theirs:
            problems.append("%s: run by procmon, not by supervisord" % name)
            continue
        problems += compare(name, ours[name], theirs[name], configs.get(name), section, global_keys, env, workdir)
    print("\n".join(problems) if problems else "%d processes agree" % len(ours))
    if LET_THROUGH:
        print("documented differences let through: %s" % ", ".join(sorted(LET_THROUGH)))
    return 1 if problems else 0


def name_of(group, proc, explicit_groups):
    """The name procmon gives the process that supervisord calls
    group:proc: supervisorctl's name, except that a program in no
    [group:x] keeps its plain process name (documented)."""
    if group is None or group == proc or group not in explicit_groups:
        return proc
    return "%s:%s" % (group, proc)


def procmon_status(procmon, sock, env):
    end = time.monotonic() + DEADLINE
    while True:
        out = subprocess.run([procmon, "-s", sock, "status", "--json"], env=env, capture_output=True, text=True)
        try:
            return json.loads(out.stdout)
        except ValueError:
            if time.monotonic() > end:
                return []
            time.sleep(0.05)


LET_THROUGH = set()  # the documented differences that compare() let through


def compare(name, ours, theirs, config, section, global_keys, env, workdir):
    problems = []
    for key in ("argv", "uid", "gid", "groups"):
        if ours[key] != theirs[key]:
            problems.append("%s: %s %r, supervisord's %r" % (name, key, ours[key], theirs[key]))
    own_dir = config is not None and config.directory is not None
    own_umask = config is not None and config.umask is not None
    cwd = os.path.join(workdir, "cwd")
    # [supervisord] directory: supervisord changes to it only when it
    # daemonizes; procmon always does.
    cwd_allowed = ("directory" in global_keys and not own_dir and theirs["cwd"] == cwd
                   and ours["cwd"] == os.path.realpath(section.directory))
    if ours["cwd"] != theirs["cwd"] and cwd_allowed:
        LET_THROUGH.add("[supervisord] directory")
    elif ours["cwd"] != theirs["cwd"]:
        problems.append("%s: directory %r, supervisord's %r" % (name, ours["cwd"], theirs["cwd"]))
    if ours["umask"] == theirs["umask"]:
        pass
    elif ("umask" in global_keys and not own_umask and int(theirs["umask"], 8) == UMASK
            and int(ours["umask"], 8) == section.umask):
        # [supervisord] umask: likewise applied by supervisord only when it
        # daemonizes; procmon always applies it.
        LET_THROUGH.add("[supervisord] umask")
    else:
        problems.append("%s: umask %s, supervisord's %s" % (name, ours["umask"], theirs["umask"]))
    user_env = {}
    if ours["uid"] != os.getuid():
        pw = pwd.getpwuid(ours["uid"])
        user_env = {"HOME": pw.pw_dir, "USER": pw.pw_name, "LOGNAME": pw.pw_name}
    keys = set(ours["env"]) | set(theirs["env"])
    for key in sorted(keys):
        a, b = ours["env"].get(key), theirs["env"].get(key)
        if a == b:
            continue
        if key in user_env and a == user_env[key] and b == env.get(key):
            LET_THROUGH.add("HOME, USER, LOGNAME with user =")
            continue  # user =: procmon sets HOME, USER and LOGNAME; supervisord 4.2 does not
        if key == "PWD" and cwd_allowed and a == ours["cwd"] and b == theirs["cwd"]:
            continue  # a shell's PWD follows the directory it started in (see above)
        problems.append("%s: environment %s=%r, supervisord's %r" % (name, key, a, b))
    return problems


if __name__ == "__main__":
    sys.exit(main())
