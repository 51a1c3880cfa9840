#!/usr/bin/env bats
# procmon as a container's PID 1 and as a systemd service: orphans reaped,
# signals, the exit statuses a runtime sees, and what a service manager is
# told.  PID 1 is procmon in a PID namespace of its own (unshare --pid, as
# root; without --mount-proc, which cannot work in a chroot: /proc stays
# the machine's, where these tests look from).

load daemon_helpers
bats_require_minimum_version 1.5.0

fail() {
    echo "$*" >&2
    return 1
}

eval "helpers_$(declare -f teardown)"
teardown() {
    [ -z "${LISTENER:-}" ] || kill "$LISTENER" 2>/dev/null || true
    helpers_teardown
}

# The tests that need PID 1 say why they cannot run here.
need_pid_namespace() {
    [ "$(id -u)" = 0 ] || skip "a PID namespace needs root (unshare --pid)"
    unshare --pid --fork true 2>/dev/null ||
        skip "unshare cannot make a PID namespace here: $(unshare --pid --fork true 2>&1 | head -n1)"
}

# procmon as PID 1 of a new namespace; PM_PID is its pid out here.
start_pid1() {
    unshare --pid --fork "$PROCMON" run --log-file "$LOG" "$@" 2>"$TMP/stderr" &
    NS_PID=$!
    if ! wait_for "$DEADLINE" pid1_found; then
        cat "$TMP/stderr" >&2
        return 1
    fi
    expect_log "running, pid 1"
}
pid1_found() {
    local children
    children=$(cat /proc/"$NS_PID"/task/*/children 2>/dev/null) || return 1
    PM_PID=${children%% *}
    [ -n "$PM_PID" ]
}
# Waits for the namespace to end: its status (procmon's) in NS_STATUS.
wait_pid1() {
    NS_STATUS=0
    wait "$NS_PID" || NS_STATUS=$?
    PM_PID=
}

# How many zombies the process $1 has not reaped.
zombies_of() {
    local n=0 f line rest
    for f in /proc/[0-9]*/stat; do
        read -r line <"$f" 2>/dev/null || continue
        rest=${line##*) }
        set -- $rest
        [ "$1" = Z ] && [ "$2" = "$PARENT" ] && n=$((n + 1))
    done
    echo "$n"
}
no_zombies_of() { [ "$(PARENT=$1 zombies_of)" = 0 ]; }

# 10,000 orphans, each exiting at once: all reaped, each logged once at
# debug level, none taken for the program.  $1: how procmon is started.
reap_orphans() {
    "$1" --log-level debug --name o -- "$CHILD" orphans 10000
    # Ten thousand forks take a while under the sanitizers.
    wait_for $((4 * DEADLINE)) log_has "[o] orphaned 10000" || { tail -n 5 "$LOG" >&2; false; }
    wait_for "$DEADLINE" log_count_at_least "procmon: debug: reaped orphan " 10000 ||
        fail "$(log_count 'reaped orphan') of 10000 orphans reaped"
    no_zombies_of "$PM_PID" || fail "$(PARENT=$PM_PID zombies_of) zombies left"
    [ "$(log_count 'procmon: debug: reaped orphan ')" -eq 10000 ] ||
        fail "$(log_count 'reaped orphan') debug lines for 10000 orphans"
    [ "$(grep 'reaped orphan' "$LOG" | awk '{print $6}' | sort -u | wc -l)" -eq 10000 ]
    [ "$(log_count 'o: started, pid')" -eq 1 ]
    ! log_has "o: exited" || fail "an orphan's exit was taken for the program's"
}

@test "as a subreaper: 10,000 orphans are reaped, each logged once at debug level, none taken for a program" {
    reap_orphans start_procmon
    stop_procmon
    grep -q "o: killed by signal 15 (SIGTERM)" "$LOG"
}

@test "as PID 1: 10,000 orphans are reaped, each logged once at debug level, none taken for a program" {
    need_pid_namespace
    reap_orphans start_pid1
    kill -TERM "$PM_PID"
    wait_pid1
    [ "$NS_STATUS" -eq 0 ] || fail "procmon as PID 1 exited $NS_STATUS"
}

@test "without --log-level debug an orphan is reaped without a line" {
    start_procmon --name o -- "$CHILD" orphans 20
    expect_log "[o] orphaned 20"
    wait_for "$DEADLINE" no_zombies_of "$PM_PID"
    stop_procmon
    ! log_has "reaped orphan" || fail "a debug line without --log-level debug"
}

@test "as PID 1: a program that double-forks leaves no zombie, and its orphan is not taken for it" {
    need_pid_namespace
    cat >"$TMP/daemonize.sh" <<'EOF'
#!/bin/sh
# The classic daemon: the grandchild outlives its parent, then exits.
( sleep 0.3 & )
echo forked
exec "$@"
EOF
    chmod +x "$TMP/daemonize.sh"
    start_pid1 --log-level debug --name d -- "$TMP/daemonize.sh" "$CHILD" sleep
    expect_log "[d] forked"
    expect_log "procmon: debug: reaped orphan "
    wait_for "$DEADLINE" no_zombies_of "$PM_PID"
    [ "$(log_count 'd: started, pid')" -eq 1 ]
    ! log_has "d: exited" || fail "the orphan's exit was taken for the program's"
    kill -TERM "$PM_PID"
    wait_pid1
    [ "$NS_STATUS" -eq 0 ] || fail "procmon as PID 1 exited $NS_STATUS"
}

# A script that says which signals it got, twice in one process group.
signal_reporter() {
    cat >"$TMP/report.sh" <<'EOF'
#!/bin/sh
for s in HUP USR1 USR2 WINCH CONT; do trap "echo $1 got $s" $s; done
echo "$1 listening"
while :; do sleep 0.05; done
EOF
    chmod +x "$TMP/report.sh"
}

# Sends each forwarded signal to procmon and waits for both to report it.
expect_forwarded() {
    local s
    expect_log "[sig] leader listening"
    expect_log "[sig] member listening"
    for s in HUP USR1 USR2 WINCH CONT; do
        kill -"$s" "$PM_PID"
        expect_log "[sig] leader got $s"
        expect_log "[sig] member got $s"
    done
    ! log_has "reopened the log" || fail "SIGUSR2 was acted on, not passed on"
    ! log_has "no config file to reload" || fail "SIGHUP was acted on, not passed on"
}

@test "as PID 1: SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH and SIGCONT go to the program's process group" {
    need_pid_namespace
    signal_reporter
    start_pid1 --name sig -- /bin/sh -c "'$TMP/report.sh' member & exec '$TMP/report.sh' leader"
    expect_forwarded
    grep -q "procmon: SIGUSR1: passed on to sig" "$LOG"
    kill -TERM "$PM_PID"
    wait_pid1
    [ "$NS_STATUS" -eq 0 ]
}

@test "--forward-signals outside a container; without it SIGHUP and SIGUSR2 stay procmon's" {
    signal_reporter
    start_procmon --forward-signals --name sig -- /bin/sh -c "'$TMP/report.sh' member & exec '$TMP/report.sh' leader"
    expect_forwarded
    stop_procmon
    : >"$LOG"
    start_procmon --name sig -- /bin/sh -c "exec '$TMP/report.sh' leader"
    expect_log "[sig] leader listening"
    kill -HUP "$PM_PID"
    expect_log "SIGHUP: no config file to reload"
    kill -USR2 "$PM_PID"
    expect_log "reopened the log"
    stop_procmon
    ! log_has "leader got" || fail "a signal was passed on without --forward-signals"
}

@test "--forward-signals and --exit-with-child are refused with a config file" {
    printf '[program:a]\ncommand = %s sleep\n' "$CHILD" >"$TMP/procmon.conf"
    run "$PROCMON" run --forward-signals -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--forward-signals is for a single command"* ]]
    run "$PROCMON" run --exit-with-child -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--exit-with-child is for a single command"* ]]
}

@test "--exit-with-child exits with the child's status: 0, 3, 128+9, and 127 for a command that cannot run" {
    run "$PROCMON" run --exit-with-child -- "$CHILD" exit 0
    [ "$status" -eq 0 ]
    run "$PROCMON" run --exit-with-child -- "$CHILD" exit 3
    [ "$status" -eq 3 ]
    [[ "$output" == *"child ended: exiting with its status, 3 (--exit-with-child)"* ]]
    # Not run again in between: one start, and no back-off.
    [ "$(grep -c 'child: started' <<<"$output")" -eq 1 ]
    [[ "$output" != *"restarting in"* ]]
    run "$PROCMON" run --exit-with-child -- /bin/sh -c 'kill -9 $$'
    [ "$status" -eq 137 ]
    run -127 "$PROCMON" run --exit-with-child -- "$TMP/no-such-command"
    [ "$status" -eq 127 ]
}

@test "as PID 1: --exit-with-child exits with the child's status, and SIGTERM's when it is stopped" {
    need_pid_namespace
    start_pid1 --exit-with-child --name c -- "$CHILD" live 300 3
    wait_pid1
    [ "$NS_STATUS" -eq 3 ] || fail "exit status $NS_STATUS, expected 3"
    : >"$LOG"
    start_pid1 --exit-with-child --name c -- "$CHILD" sleep
    expect_log "[c] ready"
    kill -TERM "$PM_PID"
    wait_pid1
    [ "$NS_STATUS" -eq 143 ] || fail "exit status $NS_STATUS, expected 128+15"
}

@test "as PID 1: SIGTERM, SIGINT and SIGQUIT stop 50 programs within their kill time and procmon exits 0" {
    need_pid_namespace
    {
        for i in $(seq 1 25); do printf '[program:s%d]\ncommand = %s sleep\n' "$i" "$CHILD"; done
        # These ignore SIGTERM: they end at the kill time, all together.
        for i in $(seq 1 25); do printf '[program:i%d]\ncommand = %s ignore-term\nstopwaitsecs = 2\n' "$i" "$CHILD"; done
    } >"$TMP/procmon.conf"
    for sig in TERM INT QUIT; do
        : >"$LOG"
        start_pid1 -c "$TMP/procmon.conf" -s "$TMP/procmon.sock"
        wait_for "$DEADLINE" log_count_at_least "ready" 50
        kill -"$sig" "$PM_PID"
        wait_pid1
        [ "$NS_STATUS" -eq 0 ] || fail "SIG$sig: exit status $NS_STATUS"
        grep -q "procmon: SIG$sig: stopping every process" "$LOG"
        [ "$(log_count 'did not stop; sending SIGKILL')" -eq 25 ]
        [ "$(log_count 'killed by signal 15 (SIGTERM)')" -eq 25 ]
        # The kill times run side by side: the whole stop takes about one
        # (2 s), not 25 (a stop one program after another).
        local from to
        from=$(line_seconds "$(grep "stopping every process" "$LOG")")
        to=$(line_seconds "$(grep "every process has stopped" "$LOG")")
        awk -v a="$from" -v b="$to" 'BEGIN { exit !(b - a < 2 * 5) }' ||
            fail "SIG$sig: the stop took $(awk -v a="$from" -v b="$to" 'BEGIN { print b - a }') s with a kill time of 2 s"
    done
}

@test "--exit-on-fatal: once a program is fatal the others are stopped and procmon exits 1" {
    config <<EOF2
[program:good]
command = $CHILD sleep
[program:bad]
command = $TMP/no-such-command
startretries = 1
EOF2
    "$PROCMON" run --exit-on-fatal --min-restart-delay 0.1 --log-file "$LOG" -c "$TMP/procmon.conf" -s "$TMP/sock" &
    local pid=$! status=0
    wait_for "$DEADLINE" not_alive "$pid" || fail "procmon did not exit: $(cat "$LOG")"
    wait "$pid" || status=$?
    [ "$status" -eq 1 ] || fail "exit status $status"
    grep -q "procmon: bad is fatal: stopping every process and exiting with 1 (--exit-on-fatal)" "$LOG"
    grep -q "procmon: good: killed by signal 15 (SIGTERM)" "$LOG"
}

@test "--exit-when-all-exited: 0 once every program has ended as expected, 1 when one did not" {
    config <<EOF2
[program:one]
command = $CHILD exit 0
startsecs = 0
autorestart = false
[program:two]
command = $CHILD live 300 0
startsecs = 0
autorestart = false
EOF2
    run "$PROCMON" run --exit-when-all-exited -c "$TMP/procmon.conf" -s "$TMP/sock"
    [ "$status" -eq 0 ] || fail "exit status $status: $output"
    [[ "$output" == *"every process has ended: exiting with 0 (--exit-when-all-exited)"* ]]
    sed -i 's/live 300 0/live 300 4/' "$TMP/procmon.conf"
    run "$PROCMON" run --exit-when-all-exited -c "$TMP/procmon.conf" -s "$TMP/sock"
    [ "$status" -eq 1 ] || fail "exit status $status: $output"
    [[ "$output" == *"every process has ended, 1 of 2 not as expected: exiting with 1"* ]]
}

# ---- systemd: a listener on a datagram socket set as NOTIFY_SOCKET ----

start_listener() {
    NOTES=$TMP/notes
    python3 "$BATS_TEST_DIRNAME/notify_listener.py" "$TMP/notify.sock" "$NOTES" &
    LISTENER=$!
    wait_for "$DEADLINE" grep -q listening "$NOTES"
}
note_count_at_least() { [ "$(grep -cF -- "$1" "$NOTES")" -ge "$2" ]; }
note_has() { grep -qF -- "$1" "$NOTES"; }
expect_note() {
    wait_for "$DEADLINE" note_has "$1" || fail "expected a notification with: $1; got: $(cat "$NOTES")"
}

@test "systemd: READY=1 once every program is ready, with counts; STOPPING=1 at the end; nothing leaks to the programs" {
    start_listener
    config <<EOF2
[program:slow]
command = $CHILD notify 500
ready = notify
[program:quick]
command = /bin/sh -c 'echo "notify=\${NOTIFY_SOCKET:-unset} watchdog=\${WATCHDOG_USEC:-unset}"; exec $CHILD sleep'
[program:off]
command = $CHILD sleep
autostart = false
EOF2
    NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=60000000 start_daemon
    expect_note "READY=1"
    # The one datagram says what was running when it was sent.
    grep -q "READY=1|STATUS=1 stopped, 2 running$" "$NOTES" || fail "$(cat "$NOTES")"
    log_has "slow: running"
    expect_log "[quick] notify=unset watchdog=unset"
    ctl stop quick
    expect_note "STATUS=2 stopped, 1 running"
    [ "$(grep -c 'READY=1' "$NOTES")" -eq 1 ]
    kill -TERM "$PM_PID"
    expect_note "STOPPING=1"
    wait_for "$DEADLINE" not_alive "$PM_PID"
}

@test "systemd: RELOADING=1 with the time, then READY=1 once the reload has settled" {
    start_listener
    config <<EOF2
[program:a]
command = $CHILD sleep
EOF2
    NOTIFY_SOCKET=$TMP/notify.sock start_daemon
    expect_note "READY=1|STATUS=1 running"
    cat >>"$TMP/procmon.conf" <<EOF2
[program:b]
command = $CHILD notify 300
ready = notify
EOF2
    kill -HUP "$PM_PID"
    expect_note "RELOADING=1|MONOTONIC_USEC="
    wait_for "$DEADLINE" grep -q "READY=1|STATUS=2 running" "$NOTES" || fail "$(cat "$NOTES")"
    # In that order, and b was ready by then.
    [ "$(grep -n RELOADING "$NOTES" | cut -d: -f1)" -lt "$(grep -n 'READY=1|STATUS=2 running' "$NOTES" | cut -d: -f1)" ]
    log_has "b: running"
}

@test "systemd: WATCHDOG=1 at half of WATCHDOG_USEC, none when no watchdog is asked for" {
    start_listener
    config <<EOF2
[program:a]
command = $CHILD sleep
EOF2
    NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=1000000 start_daemon
    wait_for "$DEADLINE" note_count_at_least WATCHDOG=1 6 || fail "$(cat "$NOTES")"
    # Every 0.5 s: never faster than the half period, never as late as the
    # period itself (the manager would then kill procmon).
    grep 'WATCHDOG=1' "$NOTES" | awk 'NR > 1 { d = $1 - prev; if (d < 0.45 || d >= 1.0) { print "interval " d " s"; bad = 1 } } { prev = $1 } END { exit bad }' ||
        fail "WATCHDOG intervals off: $(cat "$NOTES")"
    kill -TERM "$PM_PID"
    wait_for "$DEADLINE" not_alive "$PM_PID"
    # Meant for another process: none, over the 5 periods that b lives.
    echo "0 listening" >"$NOTES"
    cat >>"$TMP/procmon.conf" <<EOF2
[program:b]
command = $CHILD live 1000
startsecs = 0
autorestart = false
EOF2
    NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 start_daemon
    expect_log "b: exited with status 0"
    note_has "READY=1"
    ! note_has "WATCHDOG=1" || fail "WATCHDOG=1 sent for another pid's watchdog"
}

# ---- the examples in contrib/, as the docs give them ----

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
json_event() { grep -F "\"name\":\"$1\"" "$LOG" 2>/dev/null | grep -qF "\"event\":\"$2\""; }

@test "contrib/Dockerfile's entrypoint with contrib/container.conf, as PID 1: JSON on standard output, a clean stop" {
    need_pid_namespace
    local args PORT
    # The ENTRYPOINT's words after "procmon", the config where the source tree has it.
    mapfile -t args < <(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("ENTRYPOINT "):
        words = json.loads(line[len("ENTRYPOINT "):])
assert words[0] == "procmon", words
for w in words[1:]:
    print(sys.argv[2] if w == "/etc/procmon.conf" else w)' "$ROOT/contrib/Dockerfile" "$ROOT/contrib/container.conf")
    [ "${args[0]}" = run ]
    PORT=$(free_port)
    export PORT
    unshare --pid --fork "$PROCMON" "${args[@]}" -s "$TMP/sock" >"$LOG" 2>"$TMP/stderr" &
    NS_PID=$!
    wait_for "$DEADLINE" pid1_found
    wait_for "$DEADLINE" json_event web running || fail "web not running: $(cat "$LOG" "$TMP/stderr")"
    wait_for "$DEADLINE" json_event worker running || fail "worker not running: $(cat "$LOG")"
    # The worker waited for the web server to take connections.
    [ "$(grep -n '"name":"web","event":"ready"' "$LOG" | cut -d: -f1)" -lt "$(grep -n '"name":"worker","event":"start"' "$LOG" | cut -d: -f1)" ]
    grep -qF '"name":"worker","event":"output","stream":"stdout","line":"worker: started"' "$LOG" ||
        grep -qF '"line":"worker: started"' "$LOG"
    kill -TERM "$PM_PID"
    wait_pid1
    [ "$NS_STATUS" -eq 0 ] || fail "exit status $NS_STATUS: $(cat "$LOG")"
    grep -qF "every process has stopped; exiting" "$LOG"
    # Every line on standard output was one JSON object.
    python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$LOG"
}

@test "contrib/procmon.service: its ExecStart tells a listener READY=1, its ExecReload reloads" {
    local unit=$ROOT/contrib/procmon.service start reload
    grep -qx "Type=notify" "$unit"
    grep -qx "KillMode=mixed" "$unit"
    if command -v systemd-analyze >/dev/null; then
        sed "s|@BINDIR@|$(dirname "$PROCMON")|" "$unit" >"$TMP/procmon.service"
        # (Not about the man pages or the config file, which are not installed here.)
        systemd-analyze verify "$TMP/procmon.service" 2>&1 | grep -v -e "procmon.conf" -e "Command 'man " |
            grep -i "procmon.service" && fail "systemd-analyze verify complains"
    fi
    start=$(sed -n 's/^ExecStart=//p' "$unit")
    reload=$(sed -n 's/^ExecReload=//p' "$unit")
    start=${start/@BINDIR@\/procmon/$PROCMON}
    start=${start/\/etc\/procmon.conf/$TMP/procmon.conf}
    start=${start/\/run\/procmon.sock/$TMP/procmon.sock}
    config <<EOF2
[program:a]
command = $CHILD sleep
EOF2
    start_listener
    NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=$(($(sed -n 's/^WatchdogSec=//p' "$unit") * 1000000)) \
        $start --log-file "$LOG" 2>"$TMP/stderr" &
    PM_PID=$!
    expect_note "READY=1|STATUS=1 running"
    expect_note "WATCHDOG=1"
    MAINPID=$PM_PID sh -c "$reload"
    expect_note "RELOADING=1"
    wait_for "$DEADLINE" note_count_at_least READY=1 2 || fail "$(cat "$NOTES")"
    expect_log "reloaded $TMP/procmon.conf"
}
