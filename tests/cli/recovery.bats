#!/usr/bin/env bats
# Crash recovery (the state file) and reaping orphans as a child subreaper.

load daemon_helpers

# Live (not zombie) processes whose command line is exactly ARGS.
count_running() {
    local n=0 pid
    for pid in $(pgrep -f -x -- "$*"); do
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] || n=$((n + 1))
    done
    echo "$n"
}
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
really_gone() { [ ! -e "/proc/$1" ]; }

one_sleeper() {
    config <<EOF2
[program:calm]
command = $CHILD sleep
EOF2
}

three_programs() {
    config <<EOF2
[program:calm]
command = $CHILD sleep $TMP/calm
[program:stubborn]
command = $CHILD ignore-term $TMP/stubborn
stopwaitsecs = 1
[program:parent]
command = $CHILD grandchild $TMP/grandchild
EOF2
}

@test "after procmon is killed with SIGKILL, the next one stops what it left and nothing runs twice" {
    three_programs
    start_daemon
    expect_log "[calm] ready"
    expect_log "[stubborn] ready"
    expect_log "[parent] ready"
    old_calm=$(pid_of calm)
    old_stubborn=$(pid_of stubborn)
    for pid in "$old_calm" "$old_stubborn" "$(pid_of parent)"; do
        wait_for "$DEADLINE" grep -q "^$pid [0-9]* " "$SOCK.state"
    done
    old_grandchild=$(cat "$TMP/grandchild")
    kill -KILL "$PM_PID"
    wait "$PM_PID" || true
    # Left behind and still running, as after a real crash.
    kill -0 "$old_calm" && kill -0 "$old_stubborn" && kill -0 "$old_grandchild"

    start_daemon
    expect_log "recovery: stubborn: process group $old_stubborn still running after its kill time; SIGKILL"
    expect_log "recovery: 3 process groups from an earlier procmon stopped"
    wait_for "$DEADLINE" gone "$old_calm"
    wait_for "$DEADLINE" gone "$old_stubborn"
    wait_for "$DEADLINE" gone "$old_grandchild"
    wait_for "$DEADLINE" state_is calm running
    wait_for "$DEADLINE" state_is stubborn running
    [ "$(count_running "$CHILD" sleep "$TMP/calm")" -eq 1 ]
    [ "$(count_running "$CHILD" ignore-term "$TMP/stubborn")" -eq 1 ]
    [ "$(pid_of calm)" != "$old_calm" ]
}

@test "what a dead child left of its group is in the state file, and the next procmon stops it" {
    config <<EOF2
[procmon]
threshold = 0.1
[program:parent]
command = $CHILD grandchild $TMP/grandchild
EOF2
    start_daemon
    expect_log "[parent] ready"
    local leader orphan
    leader=$(pid_of parent)
    orphan=$(cat "$TMP/grandchild")
    kill -KILL "$leader"
    wait_for "$DEADLINE" log_count_at_least "[parent] ready" 2
    # The group is recorded without a start time: its leader is gone.
    wait_for "$DEADLINE" grep -q "^$leader 0 parent$" "$SOCK.state"
    kill -KILL "$PM_PID"
    wait "$PM_PID" || true
    kill -0 "$orphan"

    start_daemon
    expect_log "recovery: parent: stopping process group $leader, left running by an earlier procmon"
    wait_for "$DEADLINE" gone "$orphan"
    expect_log "[parent] ready"
}

@test "a pid in the state file that now belongs to another process is left alone" {
    sleep 300 &
    stranger=$!
    # Its pid, with a start time that is not its own.
    printf 'procmon-state 1\n%d 1 calm\n' "$stranger" > "$TMP/procmon.sock.state"
    one_sleeper
    start_daemon
    expect_log "[calm] ready"
    kill -0 "$stranger"
    run log_has "recovery:"
    [ "$status" -ne 0 ]
    kill "$stranger"
}

@test "a clean shutdown removes the state file" {
    one_sleeper
    start_daemon
    expect_log "[calm] ready"
    wait_for "$DEADLINE" grep -q "^$(pid_of calm) [0-9]* calm$" "$SOCK.state"
    ctl shutdown
    wait "$PM_PID"
    PM_PID=
    [ ! -e "$SOCK.state" ]
}

@test "an orphaned grandchild is adopted by procmon and reaped when it exits" {
    config <<EOF2
[program:parent]
command = $CHILD grandchild $TMP/grandchild
autorestart = false
EOF2
    start_daemon
    expect_log "[parent] ready"
    # Running (past its threshold) when it is killed: autorestart = false
    # then leaves it down (a failed start would be retried).
    wait_for "$DEADLINE" state_is parent running
    grandchild=$(cat "$TMP/grandchild")
    kill -KILL "$(pid_of parent)"
    expect_log "parent: killed by signal 9"
    wait_for "$DEADLINE" state_is parent exited
    # The orphan's new parent is procmon, not init.
    [ "$(awk '/^PPid:/ {print $2}' "/proc/$grandchild/status")" -eq "$PM_PID" ]
    kill -TERM "$grandchild"
    wait_for "$DEADLINE" really_gone "$grandchild"
}
