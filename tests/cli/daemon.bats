#!/usr/bin/env bats
# `procmon run -c FILE` with the control socket and the control commands.

load daemon_helpers

two_sleepers() {
    config <<EOF2
[program:alpha]
command = $CHILD sleep
[program:beta]
command = $CHILD sleep
EOF2
}

@test "status lists every process, aligned, sorted by name; --json for programs" {
    two_sleepers
    start_daemon
    wait_for "$DEADLINE" state_is alpha running
    wait_for "$DEADLINE" state_is beta running
    run ctl status
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^alpha\ +running\ +pid\ [0-9]+,\ uptime\ [0-9]+:[0-5][0-9]:[0-5][0-9]$ ]]
    [[ "${lines[1]}" =~ ^beta\ +running\ +pid ]]
    run ctl status --json
    [ "$status" -eq 0 ]
    python3 -c '
import json, sys
ps = json.loads(sys.argv[1])
assert [p["name"] for p in ps] == ["alpha", "beta"], ps
for p in ps:
    assert p["state"] == "running" and p["pid"] > 0 and p["restarts"] == 0, p
    assert p["exit_status"] is None and p["restart_in"] is None and p["user"] is None, p
    assert p["argv"][1] == "sleep", p
' "$output"
}

@test "stop keeps a process down and returns once it has exited; start brings it back" {
    two_sleepers
    start_daemon
    expect_log "[alpha] ready"
    wait_for "$DEADLINE" state_is beta running
    local pid
    pid=$(pid_of alpha)
    run ctl stop alpha
    [ "$status" -eq 0 ]
    not_alive "$pid"
    state_is alpha stopped
    run ctl status alpha
    [ "$status" -eq 3 ]
    [[ "$output" =~ ^alpha\ +stopped ]]
    run ctl status beta
    [ "$status" -eq 0 ]
    # start answers once the process is started (spawned: its ready =
    # spawn); it is running once past its threshold.
    run ctl start alpha
    [ "$status" -eq 0 ]
    [[ "$(state_of alpha)" =~ ^(starting|running)$ ]]
    kill -0 "$(pid_of alpha)"
    wait_for "$DEADLINE" state_is alpha running
    run ctl start alpha
    [ "$status" -eq 0 ]
}

@test "restart of a young process is immediate and does not back off" {
    two_sleepers
    start_daemon
    expect_log "[alpha] ready"
    local pid
    pid=$(pid_of alpha)
    # Answered once the new process is started: not backing off, and not
    # counted as a failed start.
    run ctl restart alpha
    [ "$status" -eq 0 ]
    [[ "$(state_of alpha)" =~ ^(starting|running)$ ]]
    [ "$(pid_of alpha)" != "$pid" ]
    kill -0 "$(pid_of alpha)"
    not_alive "$pid"
    run ctl restart all
    [ "$status" -eq 0 ]
    [[ "$(state_of alpha)" =~ ^(starting|running)$ ]]
    [[ "$(state_of beta)" =~ ^(starting|running)$ ]]
    wait_for "$DEADLINE" state_is alpha running
    wait_for "$DEADLINE" state_is beta running
    ! log_has "restarting in"
}

@test "add starts at once; a duplicate is refused; remove forgets" {
    two_sleepers
    start_daemon
    # Answered once it is spawned; running once past its threshold.
    run ctl add gamma -- "$CHILD" sleep
    [ "$status" -eq 0 ]
    [[ "$(state_of gamma)" =~ ^(starting|running)$ ]]
    kill -0 "$(pid_of gamma)"
    wait_for "$DEADLINE" state_is gamma running
    run ctl add gamma -- "$CHILD" sleep
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: process already exists: gamma" ]
    run ctl add delta --user no-such-user-here -- "$CHILD" sleep
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: cannot add delta: unknown user 'no-such-user-here'" ]
    run ctl status delta
    [ "$status" -eq 1 ]
    run ctl add "a b" -- "$CHILD" sleep
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: bad process name 'a b': blanks, control characters, ':' and '/' are not allowed" ]
    local pid
    pid=$(pid_of gamma)
    run ctl remove gamma
    [ "$status" -eq 0 ]
    not_alive "$pid"
    run ctl status gamma
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: no such process: gamma" ]
}

@test "stop and remove during back-off cancel the restart" {
    config <<EOF2
[procmon]
threshold = 30 ; far above any run here, however slowly: each exit is an instant death
min_restart_delay = 0.5
max_restart_delay = 0.5
[program:crash]
command = /bin/sh -c 'exit 1'
[program:crash2]
command = /bin/sh -c 'exit 1'
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is crash backoff
    run ctl stop crash
    [ "$status" -eq 0 ]
    state_is crash stopped
    wait_for "$DEADLINE" state_is crash2 backoff
    run ctl remove crash2
    [ "$status" -eq 0 ]
    local starts
    starts=$(log_count "procmon: crash: started")
    wait_for "$DEADLINE" log_count_at_least "procmon: crash2: removed" 0
    # A restart would have come after 0.5 s: watch well past it.
    local end=$((SECONDS + 2))
    while [ "$SECONDS" -lt "$end" ]; do
        [ "$(log_count "procmon: crash: started")" -eq "$starts" ]
        state_is crash stopped
        sleep 0.2
    done
    ! ctl status crash2 2>/dev/null
}

@test "unknown names are refused with exit 1 and nothing is done" {
    two_sleepers
    start_daemon
    expect_log "[alpha] ready"
    local pid
    pid=$(pid_of alpha)
    for cmd in start stop restart remove; do
        run ctl "$cmd" alpha nope
        [ "$status" -eq 1 ]
        [ "$output" = "procmon: no such process: nope" ]
    done
    [ "$(pid_of alpha)" = "$pid" ]
}

@test "signal reaches the process group" {
    config <<EOF2
[program:trap]
command = /bin/sh -c 'trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'
EOF2
    start_daemon
    expect_log "[trap] ready"
    run ctl signal HUP trap
    [ "$status" -eq 0 ]
    expect_log "[trap] got HUP"
    run ctl signal NOPE trap
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: signal: unknown signal 'NOPE' (see 'procmon help signal')" ]
}

@test "tail shows the last lines" {
    config <<EOF2
[program:count]
command = /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line \$i"; done; exec sleep 100'
EOF2
    start_daemon
    expect_log "[count] line 12"
    run ctl tail -n 3 count
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "line 10" ]
    [ "${lines[2]}" = "line 12" ]
    [ "${#lines[@]}" -eq 3 ]
    run ctl tail count
    [ "${#lines[@]}" -eq 10 ]
}

@test "shutdown stops everything, cancels restarts and returns once the daemon has exited" {
    config <<EOF2
[procmon]
threshold = 30 ; far above any run here, however slowly: each exit is an instant death
[program:alpha]
command = $CHILD sleep
[program:crash]
command = /bin/sh -c 'exit 1'
EOF2
    start_daemon
    expect_log "[alpha] ready"
    wait_for "$DEADLINE" state_is crash backoff
    local pid
    pid=$(pid_of alpha)
    run ctl shutdown
    [ "$status" -eq 0 ]
    not_alive "$pid"
    local st=0
    wait "$PM_PID" || st=$?
    PM_PID=
    [ "$st" -eq 0 ]
    [ ! -e "$SOCK" ]
}

@test "no daemon: exit 4 naming the socket; usage errors: exit 2" {
    run "$PROCMON" -s "$TMP/none.sock" status
    [ "$status" -eq 4 ]
    [[ "$output" == *"$TMP/none.sock"* ]]
    run "$PROCMON" -s "$TMP/none.sock" stop
    [ "$status" -eq 2 ]
    run "$PROCMON" -s "$TMP/none.sock" frobnicate
    [ "$status" -eq 2 ]
}

@test "reload adds, removes, restarts changed and leaves unchanged ones alone" {
    config <<EOF2
[program:same]
command = $CHILD sleep
[program:changed]
command = $CHILD sleep
[program:gone]
command = $CHILD sleep
EOF2
    start_daemon
    expect_log "[same] ready"
    expect_log "[changed] ready"
    local same changed gone
    same=$(pid_of same)
    changed=$(pid_of changed)
    gone=$(pid_of gone)
    config <<EOF2
[program:same]
command = $CHILD sleep
[program:changed]
command = $CHILD sleep
environment = NEW=1
[program:new]
command = $CHILD sleep
EOF2
    run ctl reload
    [ "$status" -eq 0 ]
    [[ "$output" == *"changed: changed"* && "$output" == *"new: added"* && "$output" == *"gone: removed"* ]]
    [[ "$output" != *"changed: added"* ]]
    [ "$(pid_of same)" = "$same" ]
    not_alive "$changed"
    wait_for "$DEADLINE" state_is changed running
    [ "$(pid_of changed)" != "$changed" ]
    not_alive "$gone"
    ! ctl status gone 2>/dev/null
    # The changed program's new process starts only once the old one is gone.
    local old_end new_start
    old_end=$(grep -n "procmon: changed: .*; removed" "$LOG" | head -1 | cut -d: -f1)
    new_start=$(grep -n "procmon: changed: started" "$LOG" | tail -1 | cut -d: -f1)
    [ -n "$old_end" ] && [ "$old_end" -lt "$new_start" ]
    ! grep -q "cannot add" "$LOG"
    wait_for "$DEADLINE" state_is new running

    echo "[program:broken" > "$TMP/procmon.conf"
    run ctl reload
    [ "$status" -eq 1 ]
    [[ "$output" == "procmon: $TMP/procmon.conf:1:"* ]]
    [ "$(pid_of same)" = "$same" ]
    state_is new running
}

@test "SIGHUP reloads the config file" {
    config <<EOF2
[program:alpha]
command = $CHILD sleep
EOF2
    start_daemon
    expect_log "[alpha] ready"
    config <<EOF2
[program:alpha]
command = $CHILD sleep
[program:beta]
command = $CHILD sleep
EOF2
    kill -HUP "$PM_PID"
    expect_log "[beta] ready"
}

@test "config errors name the file and line, exit 2 and start nothing" {
    config <<EOF2
[program:web]
comand = /bin/true
EOF2
    run "$PROCMON" run -s "$TMP/s.sock" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: $TMP/procmon.conf:2: unknown key 'comand' in [program:web]" ]
    [ ! -e "$TMP/s.sock" ]
}

@test "the socket is mode 0600; a second daemon is refused; a stale socket is replaced" {
    two_sleepers
    start_daemon
    [ "$(stat -c %a "$SOCK")" = 600 ]
    run "$PROCMON" run -s "$SOCK" -c "$TMP/procmon.conf"
    [ "$status" -eq 1 ]
    [[ "$output" == *"another procmon is already running on $SOCK"* ]]
    wait_for "$DEADLINE" state_is alpha running
    wait_for "$DEADLINE" state_is beta running
    local children
    children=$(ctl status --json | python3 -c 'import json,sys; print(" ".join(str(p["pid"]) for p in json.load(sys.stdin)))')
    # A daemon killed outright leaves its socket file behind.
    kill -KILL "$PM_PID"
    wait "$PM_PID" || true
    PM_PID=
    [ -S "$SOCK" ]
    kill $children
    : > "$LOG"
    start_daemon
    wait_for "$DEADLINE" state_is alpha running
    wait_for "$DEADLINE" state_is beta running
    run ctl status
    [ "$status" -eq 0 ]
}

@test "malformed and oversized requests get an error and the daemon keeps serving" {
    two_sleepers
    start_daemon
    python3 - "$SOCK" <<'PY'
import json, socket, sys
def ask(data):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    try:
        s.sendall(data)
    except BrokenPipeError:  # the daemon hung up on an oversized request
        pass
    f = s.makefile("rb")
    line = f.readline()
    s.close()
    return json.loads(line)
r = ask(b"this is not json\n")
assert r["ok"] is False and "malformed" in r["error"], r
r = ask(b'{"cmd":"frobnicate"}\n')
assert r["ok"] is False and "unknown command" in r["error"], r
r = ask(b'{"cmd":"status","names":' + b'"x"' * 100000 + b"\n")
assert r["ok"] is False, r
r = ask(b"x" * (200 * 1024))
assert r["ok"] is False and "too long" in r["error"], r
# Control characters from the request never reach an error raw: one line.
r = ask(b'{"cmd":"status","names":["a\\nb"]}\n')
assert r == {"ok": False, "error": "no such process: a\\x0Ab"}, r
r = ask(b'{"cmd":"sig\\nnal"}\n')
assert r == {"ok": False, "error": "unknown command: sig\\x0Anal"}, r
r = ask(b'{"cmd":"status",\n')
assert r["ok"] is False and "\n" not in r["error"], r
r = ask(b'{"cmd":"status"}\n')
assert r["ok"] is True and len(r["processes"]) == 2, r
PY
    wait_for "$DEADLINE" state_is alpha running
    wait_for "$DEADLINE" state_is beta running
    run ctl status
    [ "$status" -eq 0 ]
}

@test "another user is refused" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
    command -v setpriv >/dev/null || skip "needs setpriv"
    two_sleepers
    start_daemon
    expect_log "[alpha] ready"
    local pid
    pid=$(pid_of alpha)
    # The socket's mode keeps others out...
    run setpriv --reuid=nobody --regid=nogroup --clear-groups "$PROCMON" -s "$SOCK" stop alpha
    [ "$status" -ne 0 ]
    # ...and where the mode would let them in, the daemon's own check does.
    chmod 0777 "$TMP" "$SOCK"
    run setpriv --reuid=nobody --regid=nogroup --clear-groups "$PROCMON" -s "$SOCK" stop alpha
    [ "$status" -eq 1 ]
    [[ "$output" == *"permission denied"* ]]
    [ "$(pid_of alpha)" = "$pid" ]
}

@test "a tail follower that never reads cannot make the daemon grow" {
    # The writer waits for the follower (autostart = false): every one of its
    # 100 MB passes while the follower is there, however fast or slowly the
    # test gets going.
    config <<EOF2
[program:loud]
command = $CHILD write 100000000 100
autostart = false
autorestart = false
; running from its spawn, however soon it is done: autorestart = false then
; leaves it exited (a failed start would be retried)
startsecs = 0
EOF2
    # Under AddressSanitizer, freed memory waits in a quarantine (256 MB by
    # default) before it is reused: keep it small so RSS means something.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4 start_daemon
    python3 - "$SOCK" "$PM_PID" "$((4 * DEADLINE))" <<'PY'
import json, socket, sys, time
sock_path, pid, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
def ask(req):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(limit)
    c.connect(sock_path)
    c.sendall(json.dumps(req).encode() + b"\n")
    answer = json.loads(c.makefile("rb").readline())
    c.close()
    assert answer["ok"], answer
    return answer
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)
s.sendall(b'{"cmd":"tail","name":"loud","follow":true,"lines":0}\n')
# Never read: the daemon must drop lines for this follower, not queue them.
# A round trip on another connection lets the daemon take the follower
# before the writer starts.
ask({"cmd": "status"})
ask({"cmd": "start", "names": ["loud"]})
def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
peak, end = 0, time.monotonic() + limit
while time.monotonic() < end:
    peak = max(peak, rss_mb())
    loud = ask({"cmd": "status", "names": ["loud"]})["processes"][0]
    if loud["state"] == "exited":
        break
    time.sleep(0.05)
else:
    sys.exit(f"the writer did not finish in {limit:.0f}s")
# It wrote all it had to (a writer cut off would not exit 0).
assert loud["exit_status"] == 0, loud
assert peak < 64, f"procmon grew to {peak:.1f} MB with a follower that does not read"
s.close()
PY
    run ctl status loud
    [ "$status" -eq 3 ]
    [[ "$output" =~ ^loud\ +exited ]]
}

@test "slow, silent and vanishing clients do not hold up anyone else" {
    # stubborn ignores SIGTERM: the stop takes its whole stopwaitsecs.
    config <<EOF2
[program:stubborn]
command = $CHILD ignore-term
stopwaitsecs = 5
[program:alpha]
command = $CHILD sleep
EOF2
    start_daemon
    # Both running (past their threshold) before the clients come.
    wait_for "$DEADLINE" state_is stubborn running
    wait_for "$DEADLINE" state_is alpha running
    python3 - "$SOCK" "$DEADLINE" <<'PY'
import json, socket, sys, time
path, deadline = sys.argv[1], float(sys.argv[2])
def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2 * deadline)          # a client held for good fails, not hangs
    s.connect(path)
    return s
silent = connect()                      # says nothing at all
slow = connect()
slow.sendall(b'{"cmd":"sta')            # half a request, the rest much later
gone = connect()
gone.sendall(b'{"cmd":"stop","names":["stubborn"]}\n')
gone.close()                            # leaves in the middle of a stop
quick = connect()
quick.sendall(b'{"cmd":"status","names":["alpha","stubborn"]}\n')
answer = json.loads(quick.makefile("rb").readline())
assert answer["ok"], answer
state = {p["name"]: p["state"] for p in answer["processes"]}
assert state["alpha"] == "running", answer
# Answered before the stop was done (the SIGKILL comes 5 s after the
# SIGTERM): not held up behind it, nor behind the silent and slow ones.
assert state["stubborn"] in ("running", "stopping"), \
    f"another client's answer was held up until the stop was done: {answer}"
slow.sendall(b'tus"}\n')
answer = json.loads(slow.makefile("rb").readline())
assert answer["ok"] and len(answer["processes"]) == 2, answer
silent.close()
PY
    # The abandoned stop still runs to its end.
    wait_for "$DEADLINE" state_is stubborn stopped
    run ctl status alpha
    [ "$status" -eq 0 ]
}

@test "requests pipelined behind a slow one are all answered, in order" {
    # The answers here (about 380 bytes each since status has the start
    # model's fields) come to more than ANSWER_BACKLOG_MAX (1 MB) while the
    # client is still sending: the requests already in the connection's
    # buffer must still be answered once the backlog drains, though there
    # is nothing more to read.
    config <<EOF2
[program:stubborn]
command = $CHILD ignore-term
stopwaitsecs = 0.5
EOF2
    start_daemon
    expect_log "[stubborn] ready"
    python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
n = 3000  # about 90 KB behind a stop that takes half a second
s.sendall(b'{"cmd":"stop","names":["stubborn"]}\n' + b'{"cmd":"status"}\n' * n)
f = s.makefile("rb")
first = json.loads(f.readline())
assert first == {"ok": True}, first
for i in range(n):
    answer = json.loads(f.readline())
    assert answer["ok"] and answer["processes"][0]["state"] == "stopped", (i, answer)
PY
}

@test "status asks for the lines formatted (format table); the processes stay the default" {
    two_sleepers
    start_daemon
    expect_log "[beta] ready"
    wait_for "$DEADLINE" state_is alpha running
    ctl stop beta
    run ctl status
    [ "$status" -eq 3 ]
    python3 - "$SOCK" "${lines[1]}" <<'PY'
import json, re, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
def ask(req):
    s.sendall(json.dumps(req).encode() + b"\n")
    return json.loads(f.readline())
t = ask({"cmd": "status", "format": "table"})
assert set(t) == {"ok", "table", "not_running"} and t["ok"] and t["not_running"] == 1, t
assert re.fullmatch(r"alpha  running  pid \d+, uptime \d+:[0-5]\d:[0-5]\d", t["table"][0]), t
assert t["table"][1] == sys.argv[2] and t["table"][1].startswith("beta   stopped"), t
t = ask({"cmd": "status", "format": "table", "names": ["alpha"]})
assert len(t["table"]) == 1 and t["table"][0].startswith("alpha  running  pid "), t
assert t["not_running"] == 0, t
for req in ({"cmd": "status"}, {"cmd": "status", "format": "objects"}):
    p = ask(req)
    assert [x["name"] for x in p["processes"]] == ["alpha", "beta"], p
for bad in ("lines", 1, None):
    e = ask({"cmd": "status", "format": bad})
    assert e["ok"] is False and e["error"].startswith("unknown status format: "), e
assert ask({"cmd": "status", "format": "table"})["ok"]
PY
}

@test "status formats the processes itself when the daemon sends no table (an older procmon)" {
    python3 - "$TMP/old.sock" "$DEADLINE" <<'PY' &
import json, socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
srv.settimeout(float(sys.argv[2]))
c, _ = srv.accept()
req = json.loads(c.makefile("rb").readline())
assert req == {"cmd": "status", "format": "table"}, req
P = dict(pid=None, uptime=None, restarts=0, exit_status=None, exit_signal=None, restart_in=None,
         dropped_bytes=0, argv=["x"], cwd=None, user=None, group=None)
ps = [dict(P, name="db", state="backoff", exit_status=1, restart_in=1.6),
      dict(P, name="web", state="running", pid=4242, uptime=62.1)]
c.sendall(json.dumps({"ok": True, "processes": ps}).encode() + b"\n")
c.close()
PY
    local server=$!
    wait_for "$DEADLINE" test -S "$TMP/old.sock"
    run "$PROCMON" -s "$TMP/old.sock" status
    wait "$server"
    [ "$status" -eq 3 ]
    [ "${#lines[@]}" -eq 2 ]
    [ "${lines[0]}" = "db   backoff  restarting in 1.6s (exit status 1)" ]
    [ "${lines[1]}" = "web  running  pid 4242, uptime 0:01:02" ]
}
