#!/usr/bin/env bats
# supervisord's own client against procmon: Debian's supervisorctl, and
# Python's xmlrpc.client, over [unix_http_server] and [inet_http_server].
# Where supervisord is installed, the same commands run against it on the
# same file, and what supervisorctl prints and exits with must agree.

load daemon_helpers

eval "helpers_$(declare -f teardown)"
teardown() {
    if [ -n "${SUP_PID:-}" ] && kill -0 "$SUP_PID" 2>/dev/null; then
        kill -TERM "$SUP_PID" 2>/dev/null || true
        wait_for 20 not_alive "$SUP_PID" || kill -KILL "$SUP_PID" 2>/dev/null || true
    fi
    helpers_teardown
}

need_supervisorctl() {
    command -v supervisorctl >/dev/null || skip "supervisorctl (Debian's supervisor package) is not installed"
}

# programs DIR [EXTRA]: a supervisord.conf in DIR whose socket is in DIR:
# web and g:a run, g:b waits to be started, crash dies at once.
programs() {
    mkdir -p "$1"
    { supervisord_head "$1"; cat; } > "$1/supervisord.conf" <<EOF2
[program:web]
command = $CHILD sleep
startsecs = 0
[program:crash]
command = $CHILD exit 1
startretries = 1
[group:g]
programs = a,b
[program:a]
command = $CHILD sleep
startsecs = 0
[program:b]
command = $CHILD sleep
startsecs = 0
autostart = false
${2:-}
EOF2
}

# sctl DIR ARGS...: supervisorctl on DIR's file; "STATUS: OUTPUT" with pids,
# uptimes and dates made alike.
sctl() {
    local dir=$1 out st=0
    shift
    out=$(supervisorctl -c "$dir/supervisord.conf" "$@" 2>&1) || st=$?
    printf '%s: %s\n' "$st" "$out" | sed -E -e 's/pid [0-9]+, uptime [0-9:]+/pid P, uptime U/g' \
        -e 's/[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2} [AP]M/DATE/g' -e 's/ +/ /g'
}

# sctl_sorted DIR ARGS...: sctl with the output's lines sorted, for the
# group commands, whose results come in the order the processes finish.
sctl_sorted() {
    local dir=$1 out st=0
    shift
    out=$(supervisorctl -c "$dir/supervisord.conf" "$@" 2>&1 | sort) || st=$?
    printf '%s: %s\n' "$st" "$out"
}

# same_under_supervisord OURS: run_all against supervisord -n on the same
# programs, whose output must be OURS line by line (skipped without
# supervisord).
same_under_supervisord() {
    local supervisord
    supervisord=$(command -v supervisord) || skip "supervisord is not installed: procmon checked alone"
    programs "$TMP/sup"
    "$supervisord" -n -c "$TMP/sup/supervisord.conf" >"$TMP/sup/out" 2>&1 3>&- &
    SUP_PID=$!
    wait_for "$DEADLINE" settled "$TMP/sup"
    run_all "$TMP/sup" > "$TMP/theirs"
    diff -u "$TMP/theirs" "$1"
}

# The states supervisorctl shows settled: crash FATAL, the others as started.
settled() { sctl "$1" status | grep -q "crash FATAL"; }

@test "supervisorctl drives procmon as it drives supervisord: status, start, stop, restart, errors, exit statuses" {
    need_supervisorctl
    programs "$TMP/pm"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    wait_for "$DEADLINE" settled "$TMP/pm"
    local ours=$TMP/ours
    run_all() {
        local dir=$1
        sctl "$dir" status
        sctl "$dir" start g:b
        sctl "$dir" start web
        sctl "$dir" start nosuch
        sctl "$dir" stop web
        sctl "$dir" stop web
        sctl "$dir" restart g:a
        sctl "$dir" status web g:b
        sctl "$dir" status nosuch
        sctl "$dir" status 'g:*'
        sctl "$dir" pid g:a | sed -E 's/^0: [0-9]+$/0: PID/'
        sctl "$dir" pid nosuch
        sctl "$dir" version | sed -E 's/^0: [0-9.]+$/0: VERSION/'
        sctl "$dir" signal CONT web
        sctl "$dir" signal FOO g:a
        sctl "$dir" signal CONT 'g:*'
        sctl_sorted "$dir" stop all
        sctl_sorted "$dir" start g:
        sctl_sorted "$dir" start all
        sctl "$dir" stop nosuch:x
        sctl "$dir" avail
        wait_for "$DEADLINE" settled "$dir" # crash FATAL again, not restarted by all
        sctl_sorted "$dir" restart all
    }
    run_all "$TMP/pm" > "$ours"
    cat "$ours"
    # What supervisorctl shows of procmon, whatever supervisord does.
    grep -qx "0: g:b: started" "$ours"
    grep -qx "1: nosuch: ERROR (no such process)" "$ours"
    grep -qx "0: web: stopped" "$ours"
    grep -qx "0: web: ERROR (not running)" "$ours"
    grep -qx "3: crash FATAL Exited too quickly (process log may have details)" "$ours"
    grep -qx "g:a RUNNING pid P, uptime U" "$ours"
    grep -qx "0: g:a: signalled" "$ours"
    grep -qx "g:b: signalled" "$ours"
    grep -qx "1: g:a: ERROR (bad signal name)" "$ours"
    # procmon agrees: restart all left web and g:b running.
    run ctl status web g:b
    [[ "$output" == *"g:b"*"running"*"web"*"running"* ]]
    same_under_supervisord "$ours"
}

@test "supervisorctl start waits for RUNNING (startsecs) and says why a start failed" {
    need_supervisorctl
    programs "$TMP/pm" "[program:slow]
command = $CHILD sleep
startsecs = 1
autostart = false
[program:ghost]
command = no-such-command-procmon-test
autostart = false
startretries = 0"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    wait_for "$DEADLINE" settled "$TMP/pm"
    run sctl "$TMP/pm" start slow
    [ "$output" = "0: slow: started" ]
    state_is slow running
    # As supervisord, which looks for the command before it spawns.
    run sctl "$TMP/pm" start ghost
    [ "$output" = "1: ghost: ERROR (no such file)" ]
    state_is ghost stopped
    run sctl "$TMP/pm" start crash
    [ "$output" = "7: crash: ERROR (spawn error)" ]
}

@test "username and password: supervisorctl with them gets in, without or wrong is refused; the socket has its mode and owner" {
    need_supervisorctl
    programs "$TMP/pm"
    sed -i "s|^file = .*|&\nchmod = 0760\nusername = ops\npassword = {SHA}$(printf secret | sha1sum | cut -d' ' -f1)|" \
        "$TMP/pm/supervisord.conf"
    [ "$(id -u)" -ne 0 ] || sed -i "s|^chmod = 0760|&\nchown = nobody:nogroup|" "$TMP/pm/supervisord.conf"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    local sock=$TMP/pm/supervisor.sock
    [ "$(stat -c %a "$sock")" = "760" ]
    [ "$(id -u)" -ne 0 ] || [ "$(stat -c %U:%G "$sock")" = "nobody:nogroup" ]
    run supervisorctl -c "$TMP/pm/supervisord.conf" status web
    [ "$status" -ne 0 ]
    [[ "$output" == *"Server requires authentication"* ]]
    run supervisorctl -c "$TMP/pm/supervisord.conf" -u ops -p wrong status web
    [[ "$output" == *"Server requires authentication"* ]]
    wait_for "$DEADLINE" sh -c "supervisorctl -c '$TMP/pm/supervisord.conf' -u ops -p secret status web | grep -q RUNNING"
}

# A free TCP port on the loopback address.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

@test "[inet_http_server] on the loopback address, and XML-RPC from Python: methods, faults, multicall" {
    local port
    port=$(free_port)
    config <<EOF2
[inet_http_server]
port = 127.0.0.1:$port
[program:web]
command = $CHILD sleep
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is web running
    run python3 - "$port" <<'PY'
import sys, xmlrpc.client
s = xmlrpc.client.ServerProxy("http://127.0.0.1:%s/RPC2" % sys.argv[1])
assert s.supervisor.getAPIVersion() == "3.0"
assert s.supervisor.getState() == {"statecode": 1, "statename": "RUNNING"}
info = s.supervisor.getProcessInfo("web")
assert info["statename"] == "RUNNING" and info["state"] == 20 and info["group"] == "web", info
assert info["description"].startswith("pid %d, uptime 0:00:" % info["pid"]), info
assert set(info) == {"name", "group", "description", "start", "stop", "now", "state", "statename",
                     "spawnerr", "exitstatus", "logfile", "stdout_logfile", "stderr_logfile", "pid"}, info
for call, code in ((lambda: s.supervisor.nosuch(), 1), (lambda: s.supervisor.getProcessInfo("x"), 10),
                   (lambda: s.supervisor.getProcessInfo(), 2), (lambda: s.supervisor.startProcess("web"), 60),
                   (lambda: s.system.methodHelp("x"), 4)):
    try:
        call()
        raise SystemExit("no fault, %d expected" % code)
    except xmlrpc.client.Fault as f:
        assert f.faultCode == code, (f.faultCode, f.faultString, code)
# Only what the table holds: a private attribute is an unknown method too.
try:
    s.supervisor._update("x")
    raise SystemExit("a private method answered")
except xmlrpc.client.Fault as f:
    assert f.faultCode == 1, f
assert "supervisor.getAllProcessInfo" in s.system.listMethods()
r = s.system.multicall([{"methodName": "supervisor.getPID", "params": []},
                        {"methodName": "supervisor.getProcessInfo", "params": ["nope"]},
                        {"methodName": "system.multicall", "params": [[]]}])
assert isinstance(r[0][0], int) and r[1]["faultCode"] == 10 and r[2]["faultCode"] == 2, r
assert s.supervisor.stopProcess("web") is True
print("ok")
PY
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" = "ok" ]
    state_is web stopped
    # Not XML-RPC: answered, and the daemon goes on.
    run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/RPC2"
    [ "$output" = "405" ] || [ "$status" -eq 127 ]
    run python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$port/RPC2', data=b'<!DOCTYPE x [<!ENTITY a \"b\">]><methodCall/>'))"
    [[ "$output" == *"HTTP Error 400"* ]]
    run ctl status web
    [ "$status" -eq 3 ] # answered: web is not running
}

@test "an [inet_http_server] that anyone could reach without a password is refused at start, naming file and line" {
    config <<EOF2
[program:web]
command = $CHILD sleep

[inet_http_server]
port = *:9001
EOF2
    run "$PROCMON" run -s "$TMP/procmon.sock" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: $TMP/procmon.conf:4: [inet_http_server] listens on *:9001 without a password, and anyone who reaches it controls every program: set username and password, or port = 127.0.0.1:9001" ]
    [ ! -e "$TMP/procmon.sock" ]
}

@test "supervisorctl shutdown stops every program and procmon, which removes its sockets" {
    need_supervisorctl
    programs "$TMP/pm"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    wait_for "$DEADLINE" settled "$TMP/pm"
    run sctl "$TMP/pm" shutdown
    [ "$output" = "0: Shut down" ]
    local st=0
    wait "$PM_PID" || st=$?
    PM_PID=
    [ "$st" -eq 0 ]
    log_has "shutdown asked for over XML-RPC"
    log_has "every process has stopped; exiting"
    [ ! -e "$TMP/pm/supervisor.sock" ]
    [ ! -e "$SOCK" ]
}

@test "logs over XML-RPC: supervisorctl tail, clear and maintail; read and tail methods, from a file or from the tail ring" {
    need_supervisorctl
    programs "$TMP/pm" "[program:talk]
command = sh -c 'echo out-line; echo err-line >&2; exec sleep 1000'
startsecs = 0
stdout_logfile = $TMP/pm/talk.out
stderr_logfile = $TMP/pm/talk.err
[program:ring]
command = sh -c 'echo ring-line; exec sleep 1000'
startsecs = 0"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    wait_for "$DEADLINE" settled "$TMP/pm"
    wait_for "$DEADLINE" grep -q out-line "$TMP/pm/talk.out"
    wait_for "$DEADLINE" sh -c "supervisorctl -c '$TMP/pm/supervisord.conf' tail ring | grep -qx ring-line"
    run sctl "$TMP/pm" tail talk
    [ "$output" = "0: out-line" ]
    run sctl "$TMP/pm" tail talk stderr
    [ "$output" = "0: err-line" ]
    run sctl "$TMP/pm" maintail
    [[ "$output" == *"talk: started"* ]]
    run sctl "$TMP/pm" clear talk
    [ "$output" = "0: talk: cleared" ]
    [ ! -s "$TMP/pm/talk.out" ] && [ ! -s "$TMP/pm/talk.err" ]
    run sctl "$TMP/pm" clear ring
    run sctl "$TMP/pm" tail ring
    [ "$output" = "0: " ]
    run python3 - "$TMP/pm/supervisor.sock" <<'PY'
import sys, xmlrpc.client
from unix_http import rpc
s = rpc(sys.argv[1])
def fault(call, code):
    try:
        call()
    except xmlrpc.client.Fault as f:
        assert f.faultCode == code, (f.faultCode, f.faultString, code)
        return f.faultString
    raise SystemExit("no fault, %d expected" % code)
# supervisord's readFile: from an offset, a length, or the last bytes.
main = s.supervisor.readLog(0, 0)
assert "talk: started" in main, main
assert s.supervisor.readLog(0, 5) == main[:5]
assert s.supervisor.readLog(-10, 0) == main[-10:]
fault(lambda: s.supervisor.readLog(-1, 5), 3)
# The ring counts what the process wrote: an offset at its end tails nothing.
data, offset, overflow = s.supervisor.tailProcessStdoutLog("ring", 0, 100)
assert (data, offset, overflow) == ("", len("ring-line\n"), False), (data, offset, overflow)
assert s.supervisor.tailProcessStdoutLog("talk", 0, 100) == ["", 0, False]
fault(lambda: s.supervisor.readProcessStdoutLog("nope", 0, 0), 10)
fault(lambda: s.supervisor.readLog(0, -1), 3)
r = s.supervisor.clearAllProcessLogs()
assert sorted(x["name"] for x in r) == ["a", "b", "crash", "ring", "talk", "web"], r
assert all(x["status"] == 80 and x["description"] == "OK" for x in r), r
conf = {c["name"]: c for c in s.supervisor.getAllConfigInfo()}
assert conf["talk"]["stdout_logfile"].endswith("talk.out") and conf["a"]["group"] == "g", conf
assert conf["b"]["autostart"] is False and conf["crash"]["startretries"] == 1, conf
# Group methods: one status struct a process; a bad signal per process.
r = s.supervisor.signalProcessGroup("g", "NOPE")
assert [(x["name"], x["status"]) for x in r] == [("a", 11)], r
fault(lambda: s.supervisor.stopProcessGroup("nosuch"), 10)
r = s.supervisor.stopProcessGroup("g", False)
assert [(x["name"], x["group"], x["status"]) for x in r] == [("a", "g", 80)], r
r = s.supervisor.startAllProcesses()
assert sorted(x["name"] for x in r if x["status"] == 80) == ["a", "b"], r
print("ok")
PY
    echo "$output"
    [ "$output" = "ok" ]
}

# edit_programs DIR: web gone, g's a changed, new added.
edit_programs() {
    python3 - "$1/supervisord.conf" <<'PY'
import re, sys
path = sys.argv[1]
s = open(path).read()
s = re.sub(r"\[program:web\]\n[^[]*", "", s)
s = s.replace("[program:a]\ncommand = ", "[program:a]\nstartretries = 2\ncommand = ")
s += "\n[program:new]\ncommand = %s sleep\nstartsecs = 0\n" % re.search(r"command = (\S+) sleep", s).group(1)
open(path, "w").write(s)
PY
}

@test "supervisorctl reread, update, add and remove change groups as under supervisord" {
    need_supervisorctl
    programs "$TMP/pm"
    ln -s "$TMP/pm/supervisord.conf" "$TMP/procmon.conf" # the file edited is the one procmon reads
    start_daemon
    wait_for "$DEADLINE" settled "$TMP/pm"
    run_all() {
        local dir=$1
        sctl "$dir" reread
        edit_programs "$dir"
        sctl "$dir" reread
        sctl "$dir" update
        sctl "$dir" update
        sctl "$dir" status
        sctl "$dir" remove g
        sctl_sorted "$dir" stop 'g:*'
        sctl "$dir" remove g
        sctl "$dir" add g
        sctl "$dir" add g
        sctl "$dir" add nosuch
        sctl "$dir" remove nosuch
    }
    local ours=$TMP/ours
    run_all "$TMP/pm" > "$ours"
    cat "$ours"
    grep -qx "0: g: changed" "$ours"
    grep -qx "new: available" "$ours"
    grep -qx "web: disappeared" "$ours"
    grep -qx "new: added process group" "$ours"
    grep -qx "1: ERROR: process/group still running: g" "$ours"
    # procmon agrees: web is gone, new runs, g:a runs with its new setting.
    wait_for "$DEADLINE" state_is new running
    run ctl status web
    [ "$status" -ne 0 ]
    wait_for "$DEADLINE" state_is g:a running
    same_under_supervisord "$ours"
}

@test "tail -f over HTTP: /logtail streams what a program writes after the client came, from a file or the tail ring; /mainlogtail; unknown names 404" {
    programs "$TMP/pm" "[program:count]
command = sh -c 'i=0; while :; do i=\$((i+1)); echo line-\$i; sleep 0.2; done'
startsecs = 0
stdout_logfile = $TMP/pm/count.out
[program:ringcount]
command = sh -c 'i=0; while :; do i=\$((i+1)); echo ring-\$i; sleep 0.2; done'
startsecs = 0"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    wait_for "$DEADLINE" settled "$TMP/pm"
    run python3 - "$TMP/pm/supervisor.sock" <<'PY'
import re, sys, time
from unix_http import Connection
Conn = lambda host, timeout: Connection(sys.argv[1], timeout)
def follow(path, word, more=3):
    """The numbers of `word` lines read from path until `more` lines after the first whole one."""
    c = Conn("localhost", timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    assert r.status == 200, (path, r.status)
    seen, buf, deadline = [], b"", time.time() + 30
    while len(seen) < more + 1 and time.time() < deadline:
        buf += r.read1(4096)
        *lines, buf = buf.split(b"\n")
        seen += [int(m.group(1)) for m in (re.fullmatch(rb"%s-(\d+)" % word, l) for l in lines) if m]
    c.close()
    return seen
for path, word in (("/logtail/count", b"line"), ("/logtail/ringcount/stdout", b"ring")):
    seen = follow(path, word)
    # in order, one after another, and lines written after the request
    assert len(seen) >= 4 and seen == list(range(seen[0], seen[0] + len(seen))), (path, seen)
main = Conn("localhost", timeout=30)
main.request("GET", "/mainlogtail")
r = main.getresponse()
assert r.status == 200 and b"procmon" in r.read1(4096), r.status
main.close()
for path in ("/logtail/nosuch", "/logtail/count/nochannel"):
    c = Conn("localhost", timeout=30)
    c.request("GET", path)
    assert c.getresponse().status == 404, path
print("ok")
PY
    echo "$output"
    [ "$output" = "ok" ]
    # The daemon goes on answering once the followers have gone.
    run ctl status count
    [ "$status" -eq 0 ]
    command -v supervisorctl >/dev/null || skip "supervisorctl (Debian's supervisor package) is not installed"
    # supervisorctl's own tail -f, followed for a few lines and stopped.
    run timeout 3 supervisorctl -c "$TMP/pm/supervisord.conf" tail -f count
    echo "$output"
    [ "${lines[0]}" = "==> Press Ctrl-C to exit <==" ]
    [ "$(printf '%s\n' "$output" | grep -c '^line-[0-9]*$')" -ge 5 ]
}

@test "sendProcessStdin writes to a program's stdin pipe; faults as supervisord's; without a listener stdin stays /dev/null" {
    programs "$TMP/pm" "[program:echo]
command = sh -c 'while read line; do echo got:\$line; done; echo stdin-closed; exec sleep 1000'
startsecs = 0"
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    wait_for "$DEADLINE" state_is echo running
    run python3 - "$TMP/pm/supervisor.sock" <<'PY'
import sys, time, xmlrpc.client
from unix_http import rpc
s = rpc(sys.argv[1])
assert s.supervisor.sendProcessStdin("echo", "one\ntwo\n") is True
deadline = time.time() + 30
while time.time() < deadline and "got:two" not in s.supervisor.readProcessStdoutLog("echo", 0, 0):
    time.sleep(0.05)
assert s.supervisor.readProcessStdoutLog("echo", 0, 0) == "got:one\ngot:two\n"
for args, code in ((("g:b", "x"), 70), (("nosuch", "x"), 10), (("echo",), 2)):
    try:
        s.supervisor.sendProcessStdin(*args)
        raise SystemExit("no fault for %r" % (args,))
    except xmlrpc.client.Fault as f:
        assert f.faultCode == code, (args, f)
print("ok")
PY
    echo "$output"
    [ "$output" = "ok" ]
    # No listener: nothing could write, so stdin reads as end of file at once.
    "$PROCMON" -s "$SOCK" shutdown >/dev/null || true
    wait_for "$DEADLINE" not_alive "$PM_PID"
    config <<EOF2
[program:echo]
command = sh -c 'while read line; do echo got:\$line; done; echo stdin-closed; exec sleep 1000'
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" log_has "[echo] stdin-closed"
}
