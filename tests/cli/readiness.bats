#!/usr/bin/env bats
# The start model: a process is starting until it is ready (ready = notify,
# fd:N, tcp:, unix:, log:, exec:) and has lived startsecs, then running; a
# process not ready within ready_timeout is stopped; a failed start backs
# off whatever autorestart says and ends fatal after startretries.
#
# What a test waits for is held back by a gate file ($TMP/gate) that the
# test creates, not by a delay, wherever a delay would leave the outcome to
# the machine's speed.

load daemon_helpers

# Processes a test starts besides procmon (listeners), stopped after it.
eval "helpers_$(declare -f teardown)"
teardown() {
    local pid
    [ -z "$PM_PID" ] || kill -CONT "$PM_PID" 2>/dev/null || true # a test that paused it
    if [ -f "$TMP/background" ]; then
        while read -r pid; do
            kill -TERM "$pid" 2>/dev/null || true
        done < "$TMP/background"
    fi
    helpers_teardown
}

# background COMMAND...: runs it in the background, stopped at teardown.
background() {
    "$@" </dev/null >>"$TMP/background.out" 2>&1 3>&- &
    echo $! >> "$TMP/background"
}

# gated SCRIPT: a command line that waits for $TMP/gate, then runs the
# shell SCRIPT (whose exec keeps the program's pid); gated_by GATE SCRIPT
# waits for the file GATE.  A program that has something to tell procmon
# (READY=1, STATUS=) waits for its gate, which the test opens once procmon
# has logged its start: procmon cannot attribute what comes before (see the
# test of a READY=1 sent at once, below).
gated() { gated_by "$TMP/gate" "$@"; }
gated_by() {
    local gate=$1
    shift
    echo "/bin/sh -c 'while [ ! -e $gate ]; do sleep 0.02; done; $*'"
}
open_gate() { touch "$TMP/gate"; }

# NAME's state, from the plain status (quicker to poll than the JSON one
# through python).
state_now() { ctl status "$1" | awk -v name="$1" '$1 == name { print $2 }'; }
in_state() { [ "$(state_now "$1")" = "$2" ]; }
pid_now() { ctl status "$1" | sed -nE 's/^[^ ]+ +[a-z]+ +pid ([0-9]+).*/\1/p'; }

# NAME is starting and has been for at least SECONDS ("pid N, for 1.2s").
uptime_at_least() {
    at_least "$(ctl status "$1" | sed -nE 's/^[^ ]+ +starting +pid [0-9]+, for ([0-9.]+)s.*/\1/p')" "$2"
}

# The runtime that the log line holding TEXT reports ("... after 0.52s ...").
after_of() { grep -F -- "$1" "$LOG" | head -n 1 | sed -E 's/.* after ([0-9.]+)s.*/\1/'; }
# at_least A B: A >= B, as decimals.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }

# The log has no line holding TEXT (log_lacks), or matching the extended
# regular expression RE (lacks).  Functions, so that a failure fails the
# test: bash's errexit ignores a `! command` in the middle of one.
log_lacks() { ! grep -qF -- "$1" "$LOG"; }
lacks() { ! grep -qE -- "$1" "$LOG"; }

# The 1-based line number in $LOG of the first line holding TEXT.
line_of() { grep -nF -- "$1" "$LOG" | head -n 1 | cut -d: -f1; }

# A listener for tcp: and unix: readiness: its socket is bound at once
# (a connect is refused) and listens only once $TMP/gate exists.
# listener tcp PORTFILE | listener unix PATH
listener() {
    background python3 -c '
import os, socket, sys, time
kind, where, gate = sys.argv[1:4]
if kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    with open(where + ".new", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(where + ".new", where)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(where)
while not os.path.exists(gate):
    time.sleep(0.02)
s.listen(16)
while True:
    s.accept()[0].close()
' "$1" "$2" "$TMP/gate"
}

# Sends each TEXT as one datagram to the NOTIFY_SOCKET of process PID, from
# a process procmon did not start; prints the sender's pid.
forge_notify() {
    python3 -c '
import os, socket, sys
env = open("/proc/%s/environ" % sys.argv[1], "rb").read().split(b"\0")
path = [e for e in env if e.startswith(b"NOTIFY_SOCKET=")][0][len(b"NOTIFY_SOCKET="):]
if path.startswith(b"@"):
    path = b"\0" + path[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for text in sys.argv[2:]:
    s.sendto(text.encode(), path)
print(os.getpid())
' "$@"
}

@test "notify: starting until READY=1, ready then, running once past startsecs; log: ready at its line" {
    config <<EOF2
[program:svc]
command = $(gated exec "$CHILD" notify 0)
ready = notify
[program:web]
command = $(gated "echo listening on 8080; exec $CHILD sleep")
ready = log:^listening on [0-9]+\$
[program:late]
command = $(gated_by "$TMP/late" exec "$CHILD" notify 0)
ready = notify
EOF2
    start_daemon
    expect_log "procmon: late: started, pid"
    touch "$TMP/late"
    expect_log "procmon: svc: started, pid"
    expect_log "procmon: web: started, pid"
    # Past startsecs (1 s) and not ready: still starting, nothing logged.
    wait_for "$DEADLINE" uptime_at_least svc 1.2
    wait_for "$DEADLINE" uptime_at_least web 1.2
    in_state svc starting
    in_state web starting
    run ctl status svc
    [ "$status" -eq 3 ]
    [[ "$output" =~ ^svc\ +starting\ +pid\ [0-9]+,\ for\ [0-9.]+s$ ]]
    log_lacks "svc: ready after"
    log_lacks "web: ready after"
    log_lacks "svc: running"
    open_gate
    expect_log "procmon: svc: ready after"
    expect_log "procmon: web: ready after"
    grep -qE "procmon: svc: ready after [0-9.]+s \(READY=1\)$" "$LOG"
    grep -qF "procmon: web: ready after $(after_of "web: ready after")s (log line matched '^listening on [0-9]+\$')" "$LOG"
    # Ready past its threshold: running at once, with the same pid.
    local pid
    pid=$(started_pid svc)
    expect_log "procmon: svc: running, pid $pid, after"
    wait_for "$DEADLINE" in_state svc running
    wait_for "$DEADLINE" in_state web running
    [ "$(pid_now svc)" = "$pid" ]
    [ "$(line_of "[web] listening on 8080")" -lt "$(line_of "web: ready after")" ]
    [ "$(log_count "started, pid")" -eq 3 ]

    # READY=1 as soon as procmon knows it started: ready then, running at
    # startsecs (1 s, to the millisecond of procmon's timers).
    expect_log "procmon: late: running, pid"
    at_least "$(after_of "late: running, pid")" 0.99
    [ "$(line_of "late: ready after")" -lt "$(line_of "late: running, pid")" ]
    in_state late running
}

@test "STATUS= text shows in status and status --json" {
    config <<EOF2
[program:svc]
command = $(gated exec "$CHILD" notify 0 '"STATUS=warming up the cache"')
ready = notify
startsecs = 0
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    open_gate
    wait_for "$DEADLINE" eval 'ctl status svc | grep -q "status: warming up the cache"'
    run ctl status svc
    [ "$status" -eq 3 ]
    [[ "$output" =~ ^svc\ +starting\ +pid\ [0-9]+,\ for\ [0-9.]+s,\ status:\ warming\ up\ the\ cache$ ]]
    run ctl status --json svc
    [ "$status" -eq 3 ]
    python3 -c '
import json, sys
p = json.loads(sys.argv[1])[0]
assert p["state"] == "starting" and p["status_text"] == "warming up the cache", p
' "$output"
    # A STATUS= is no READY=1.
    log_lacks "svc: ready after"
}

@test "never ready: not_ready after ready_timeout, stopped, retried, then fatal" {
    config <<EOF2
[program:mute]
command = $CHILD sleep
ready = notify
ready_timeout = 1
startretries = 1
[program:nocheck]
command = $CHILD sleep
ready = exec:false
ready_timeout = 1
startretries = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" in_state mute fatal
    local first second
    first=$(started_pid mute 1)
    second=$(started_pid mute 2)
    [ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ]
    grep -qxE ".* procmon: mute: not ready after 1s; stopping pid $first" "$LOG"
    grep -qxE ".* procmon: mute: stopping pid $first with SIGTERM \(SIGKILL in [0-9.]+s\)" "$LOG"
    grep -qxE ".* procmon: mute: killed by signal 15 \(SIGTERM\) after [0-9.]+s; restarting in 1s" "$LOG"
    grep -qxE ".* procmon: mute: not ready after 1s; stopping pid $second" "$LOG"
    grep -qxE ".* procmon: mute: killed by signal 15 \(SIGTERM\) after [0-9.]+s; giving up" "$LOG"
    log_has "procmon: mute: 2 failed starts in a row; giving up"
    [ "$(log_count "mute: started")" -eq 2 ]
    log_lacks "mute: ready after"
    log_lacks "mute: running"
    not_alive "$first"
    not_alive "$second"
    # An exec: check tells its last try.
    wait_for "$DEADLINE" in_state nocheck fatal
    grep -qxE ".* procmon: nocheck: not ready after 1s; last try: exit status 1; stopping pid $(started_pid nocheck)" "$LOG"
    expect_log "procmon: nocheck: 1 failed start in a row; giving up"
}

@test "notify: a READY=1 forged by another process is dropped and logged; the program stays starting" {
    config <<EOF2
[program:svc]
command = $CHILD sleep
ready = notify
startsecs = 0
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    local pid sender
    pid=$(started_pid svc)
    sender=$(forge_notify "$pid" READY=1)
    expect_log "procmon: notification from pid $sender dropped: not from a supervised process (1 dropped so far)"
    in_state svc starting
    log_lacks "svc: ready after"
    # Logged at the 1st, 2nd, 4th, 8th... drop.
    sender=$(forge_notify "$pid" READY=1 "STATUS=forged" READY=1)
    expect_log "procmon: notification from pid $sender dropped: not from a supervised process (4 dropped so far)"
    log_has "procmon: notification from pid $sender dropped: not from a supervised process (2 dropped so far)"
    log_lacks "(3 dropped so far)"
    in_state svc starting
    log_lacks "svc: ready after"
    [[ "$(ctl status svc)" != *status:* ]]
}

@test "notify: a READY=1 from a helper in the program's process group is accepted" {
    config <<EOF2
[program:svc]
command = $(gated "$CHILD" notify 0 "&" exec sleep 100)
ready = notify
startsecs = 0
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    open_gate
    expect_log "procmon: svc: ready after"
    grep -qE "procmon: svc: ready after [0-9.]+s \(READY=1\)$" "$LOG"
    wait_for "$DEADLINE" in_state svc running
    log_lacks "dropped"
    # The program itself is the shell turned sleep, not the helper.
    [ "$(tr '\0' ' ' < "/proc/$(pid_now svc)/cmdline")" = "sleep 100 " ]
}

@test "notify: a READY=1 sent as soon as the program runs counts, however late procmon hears of the spawn" {
    local i
    for i in $(seq 1 20); do
        printf '[program:p%d]\ncommand = %s notify 0\nready = notify\nready_timeout = 10\nstartsecs = 0\nautostart = false\n' "$i" "$CHILD"
    done > "$TMP/procmon.conf"
    start_daemon
    # A busy machine, where procmon is the one kept waiting: its threads
    # (the spawner too, started at the first spawn, and so the programs)
    # at the lowest priority, and two busy loops a CPU.
    local tid
    for tid in /proc/"$PM_PID"/task/*; do
        renice -n 19 -p "${tid##*/}" >/dev/null
    done
    for i in $(seq 1 $((2 * $(nproc)))); do
        background sh -c 'while :; do :; done'
    done
    run timeout $((4 * DEADLINE)) "$PROCMON" -s "$SOCK" start all
    [ "$status" -eq 0 ] || { echo "$output"; cat "$LOG"; false; } >&2
    # The answer can come before the log is written out: wait for its lines.
    wait_for "$DEADLINE" log_count_at_least "ready after" 20
    [ "$(log_count "ready after")" -eq 20 ]
    log_lacks "dropped"
}

# For the helper tests: the program runs as nobody when the tests run as
# root (so that systemd-notify cannot name its parent as the sender, which
# root may), and reads the gate in $TMP.
as_nobody() {
    if [ "$(id -u)" -eq 0 ]; then
        chmod 755 "$TMP"
        echo "user = nobody"
    fi
}

@test "notify: systemd-notify --ready in the program's script is accepted, even when procmon reads it late" {
    command -v systemd-notify >/dev/null || skip "systemd-notify is not installed"
    config <<EOF2
[program:svc]
command = $(gated 'systemd-notify --ready --status=serving; echo notified $?; exec sleep 100')
ready = notify
startsecs = 0
$(as_nobody)
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    local pid helper
    pid=$(started_pid svc)
    # procmon is paused while systemd-notify sends; it waits for procmon to
    # have read its message (sd_notify_barrier(3), systemd 246 and later).
    kill -STOP "$PM_PID"
    open_gate
    helper_waiting() {
        helper=$(pgrep -g "$pid" -x systemd-notify) &&
            [ "$(awk '{ print $3 }' "/proc/$helper/stat" 2>/dev/null)" = S ]
    }
    slept() { [ "$(tr '\0' ' ' < "/proc/$pid/cmdline")" = "sleep 100 " ]; }
    wait_for "$DEADLINE" eval 'helper_waiting || slept'
    kill -CONT "$PM_PID"
    expect_log "procmon: svc: ready after"
    grep -qE "procmon: svc: ready after [0-9.]+s \(READY=1\)$" "$LOG"
    expect_log "[svc] notified 0"
    wait_for "$DEADLINE" in_state svc running
    [[ "$(ctl status svc)" == *", status: serving" ]]
}

@test "fd:3: ready once the program writes a newline to its descriptor 3" {
    config <<EOF2
[program:svc]
command = $(gated exec "$CHILD" ready-fd 3 0)
ready = fd:3
startsecs = 0
[program:slow]
command = $CHILD ready-fd 3 300
ready = fd:3
startsecs = 0
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    wait_for "$DEADLINE" uptime_at_least svc 0.3
    in_state svc starting
    log_lacks "svc: ready after"
    open_gate
    expect_log "procmon: svc: ready after"
    wait_for "$DEADLINE" in_state svc running
    expect_log "procmon: slow: ready after"
    wait_for "$DEADLINE" in_state slow running
}

@test "tcp: ready once a connect to HOST:PORT succeeds, tried every ready_interval" {
    listener tcp "$TMP/port"
    wait_for "$DEADLINE" test -s "$TMP/port"
    local port
    port=$(cat "$TMP/port")
    config <<EOF2
[program:svc]
command = $CHILD sleep
ready = tcp:127.0.0.1:$port
ready_interval = 0.05
startsecs = 0
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    # Refused meanwhile, tried again and again.
    wait_for "$DEADLINE" uptime_at_least svc 0.3
    in_state svc starting
    log_lacks "svc: ready after"
    open_gate
    expect_log "procmon: svc: ready after"
    grep -qE "procmon: svc: ready after [0-9.]+s \(tcp:127\.0\.0\.1:$port: connected\)$" "$LOG"
    wait_for "$DEADLINE" in_state svc running
}

@test "unix: ready once a connect to the socket succeeds" {
    listener unix "$TMP/svc.sock"
    wait_for "$DEADLINE" test -S "$TMP/svc.sock"
    config <<EOF2
[program:svc]
command = $CHILD sleep
ready = unix:$TMP/svc.sock
startsecs = 0
[program:nosock]
command = $CHILD sleep
ready = unix:$TMP/nothing.sock
ready_timeout = 1
startretries = 0
EOF2
    start_daemon
    expect_log "procmon: svc: started, pid"
    wait_for "$DEADLINE" uptime_at_least svc 0.3
    in_state svc starting
    log_lacks "svc: ready after"
    open_gate
    expect_log "procmon: svc: ready after"
    grep -qE "procmon: svc: ready after [0-9.]+s \(unix:$TMP/svc\.sock: connected\)$" "$LOG"
    wait_for "$DEADLINE" in_state svc running
    # A socket that never comes: its last try says why.
    wait_for "$DEADLINE" in_state nosock fatal
    grep -qE "procmon: nosock: not ready after 1s; last try: connect: No such file or directory; stopping pid [0-9]+$" "$LOG"
}

@test "log: ready at the first line of output that matches, not before" {
    config <<EOF2
[program:svc]
command = /bin/sh -c 'echo booting; echo "not yet: server started" >&2; while [ ! -e $TMP/gate ]; do sleep 0.02; done; echo "server started on port 8080" >&2; echo after; exec sleep 100'
ready = log:^server started on port [0-9]+
startsecs = 0
EOF2
    start_daemon
    expect_log "[svc] booting"
    expect_log "[svc] not yet: server started"
    in_state svc starting
    log_lacks "svc: ready after"
    open_gate
    expect_log "procmon: svc: ready after"
    grep -qE "procmon: svc: ready after [0-9.]+s \(log line matched '\^server started on port \[0-9\]\+'\)$" "$LOG"
    [ "$(line_of "[svc] server started on port 8080")" -lt "$(line_of "svc: ready after")" ]
    [ "$(line_of "[svc] not yet")" -lt "$(line_of "[svc] server started on port")" ]
    wait_for "$DEADLINE" in_state svc running
    [ "$(log_count "svc: ready after")" -eq 1 ]
}

@test "exec: ready once the command exits 0, run as the program is: user, environment, directory" {
    mkdir "$TMP/work"
    local uid
    uid=$(id -u)
    local child=$CHILD
    if [ "$uid" -eq 0 ]; then
        uid=$(id -u nobody)
        # nobody may not reach the build folder (under /root on a fresh machine).
        cp "$CHILD" "$TMP/child"
        child=$TMP/child
    fi
    config <<EOF2
[program:svc]
command = $child sleep
directory = $TMP/work
environment = FLAG_NAME="flag"
ready = exec:test -e "\$FLAG_NAME" && test "\$(id -u)" = $uid
startsecs = 0
$(as_nobody)
EOF2
    cd "$TMP" # procmon's own directory
    start_daemon
    expect_log "procmon: svc: started, pid"
    wait_for "$DEADLINE" uptime_at_least svc 0.3
    in_state svc starting
    log_lacks "svc: ready after"
    touch "$TMP/flag" # in procmon's directory, not the program's: no use
    wait_for "$DEADLINE" uptime_at_least svc 0.6
    in_state svc starting
    touch "$TMP/work/flag"
    expect_log "procmon: svc: ready after"
    grep -qF "procmon: svc: ready after $(after_of "svc: ready after")s (exec:test -e \"\$FLAG_NAME\" && test \"\$(id -u)\" = $uid: exit status 0)" "$LOG"
    wait_for "$DEADLINE" in_state svc running
}

@test "a missing command with autorestart = false is a failed start: retried, then fatal, never started" {
    config <<EOF2
[program:ghost]
command = no-such-command-procmon-test
autorestart = false
startretries = 2
EOF2
    start_daemon
    wait_for "$DEADLINE" in_state ghost fatal
    expect_log "procmon: ghost: 3 failed starts in a row; giving up"
    [ "$(grep -cF "procmon: ghost: cannot execute" "$LOG")" -eq 3 ]
    grep -qE "procmon: ghost: cannot execute .*; restarting in 1s$" "$LOG"
    grep -qE "procmon: ghost: cannot execute .*; restarting in 2s$" "$LOG"
    grep -qE "procmon: ghost: cannot execute .*; giving up$" "$LOG"
    log_lacks "ghost: started"
    log_lacks "not restarting"
}

@test "an exit 0 at once with autorestart = false is a failed start (retried); with startsecs = 0 it has exited" {
    config <<EOF2
[program:quick]
command = $CHILD exit 0
autorestart = false
startretries = 1
[program:done]
command = $CHILD exit 0
autorestart = false
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" in_state quick fatal
    [ "$(log_count "quick: started")" -eq 2 ]
    grep -qE "procmon: quick: exited with status 0 after [0-9.]+s; restarting in 1s$" "$LOG"
    grep -qE "procmon: quick: exited with status 0 after [0-9.]+s; giving up$" "$LOG"
    expect_log "procmon: quick: 2 failed starts in a row; giving up"
    lacks "quick: .*not restarting"

    wait_for "$DEADLINE" in_state done exited
    grep -qE "procmon: done: exited with status 0 after [0-9.]+s; not restarting$" "$LOG"
    [ "$(log_count "done: started")" -eq 1 ]
    lacks "done: .*restarting in"
}

@test "start NAME of a notify program answers once it is ready; an error if it dies first" {
    config <<EOF2
[program:svc]
command = $(gated exec "$CHILD" notify 0)
ready = notify
autostart = false
startsecs = 0
[program:dies]
command = $CHILD live 300 3
ready = notify
autostart = false
startretries = 0
EOF2
    start_daemon
    in_state svc stopped
    # The program says READY=1 once it has been starting for 0.5 s.
    (
        wait_for "$DEADLINE" uptime_at_least svc 0.5
        open_gate
    ) 3>&- &
    echo $! >> "$TMP/background"
    local t0 t1 ready
    t0=$(date +%s.%N)
    run ctl start svc
    t1=$(date +%s.%N)
    [ "$status" -eq 0 ]
    # Ready when start answers (startsecs = 0: running then), which is
    # after those 0.5 s, and the ready line was logged between the request
    # and the answer.
    in_state svc running
    at_least "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 0.5
    expect_log "procmon: svc: ready after"
    ready=$(date -u -d "$(grep -F "procmon: svc: ready after" "$LOG" | cut -d' ' -f1)" +%s.%N)
    at_least "$ready" "$t0"
    at_least "$t1" "$ready"

    run ctl start dies
    [ "$status" -eq 1 ]
    [[ "$output" == "procmon: cannot start dies: "* ]]
    log_has "procmon: dies: exited with status 3"
    log_lacks "dies: ready after"
    in_state dies fatal
}

@test "running never comes before startsecs, to the millisecond" {
    {
        printf '[procmon]\nlog_format = json\n'
        local i
        for i in $(seq 1 100); do
            printf '[program:p%d]\ncommand = %s sleep\nstartsecs = 0.3\n' "$i" "$CHILD"
        done
    } > "$TMP/procmon.conf"
    start_daemon
    wait_for "$DEADLINE" log_count_at_least '"event":"running"' 100
    python3 - "$LOG" <<'PY'
import json, sys
early = [r for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "running" and r["runtime"] < 0.3]
assert not early, early
PY
}

@test "check-config refuses bad ready values with exit 2, naming file and line" {
    local value i=0
    for value in "fd:1" "fd:x" "tcp:nohost" "tcp:host:0" "unix:" "exec:" "log:(" "bogus" "notify now"; do
        i=$((i + 1))
        printf '[program:a]\ncommand = /bin/true\nready = %s\n' "$value" > "$TMP/bad$i.conf"
        run "$PROCMON" check-config -c "$TMP/bad$i.conf"
        echo "ready = $value: $status: $output"
        [ "$status" -eq 2 ]
        [[ "$output" == "procmon: $TMP/bad$i.conf:3: bad value for ready in [program:a]: '$value' ("*")" ]]
    done
    for value in "ready_interval = 0" "ready_interval = soon" "ready_timeout = -1"; do
        i=$((i + 1))
        printf '[program:a]\ncommand = /bin/true\nstartsecs = 1\n%s\n' "$value" > "$TMP/bad$i.conf"
        run "$PROCMON" check-config -c "$TMP/bad$i.conf"
        echo "$value: $status: $output"
        [ "$status" -eq 2 ]
        [[ "$output" == "procmon: $TMP/bad$i.conf:4: bad value for ${value%% *} in [program:a]:"* ]]
    done
    printf '[program:a]\ncommand = /bin/true\nready = tcp:localhost:80\n' > "$TMP/good.conf"
    run "$PROCMON" check-config -c "$TMP/good.conf"
    [ "$status" -eq 0 ]
}

@test "the JSON log carries ready, running and not_ready records" {
    config <<EOF2
[procmon]
log_format = json
[program:svc]
command = $(gated exec "$CHILD" notify 0)
ready = notify
[program:mute]
command = $CHILD sleep
ready = notify
ready_timeout = 1
startretries = 0
EOF2
    start_daemon
    expect_log '"name":"svc","event":"start"'
    open_gate
    expect_log '"event":"running"'
    expect_log '"event":"not_ready"'
    wait_for "$DEADLINE" in_state mute fatal
    python3 - "$LOG" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
def one(name, event):
    found = [r for r in records if r.get("name") == name and r.get("event") == event]
    assert len(found) == 1, (name, event, records)
    return found[0]
start = one("svc", "start")
ready = one("svc", "ready")
running = one("svc", "running")
assert ready["pid"] == start["pid"] == running["pid"], records
assert ready["message"] == "READY=1", ready
assert ready["runtime"] > 0 and running["runtime"] >= 0.99, (ready, running)
assert records.index(ready) < records.index(running), records
nr = one("mute", "not_ready")
assert nr["pid"] == one("mute", "start")["pid"], nr
assert nr["message"] == "not ready after 1s" and nr["runtime"] >= 0.99, nr
assert not [r for r in records if r.get("name") == "mute" and r.get("event") in ("ready", "running")], records
PY
}
