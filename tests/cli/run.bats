#!/usr/bin/env bats
# `procmon run -- COMMAND`: the real binary with real processes.

load helpers

@test "a child's stdout and stderr lines are logged with its name as a tag" {
    start_procmon --name hello -- /bin/sh -c 'echo "to stdout"; echo "to stderr" >&2; exec sleep 100'
    expect_log "[hello] to stdout"
    expect_log "[hello] to stderr"
    expect_log "procmon: hello: started, pid "
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z \[hello\] to stdout$' "$LOG"
}

@test "the name defaults to the command's basename" {
    start_procmon -- "$CHILD" sleep
    expect_log "[child] ready"
}

@test "a last line without a newline is logged when the pipe closes" {
    # The pipe closes while the process lives on...
    start_procmon --name p -- /bin/sh -c 'printf "no newline"; exec >&-; exec sleep 100'
    expect_log "[p] no newline"
    stop_procmon
    # ...or with the process, before its exit is logged.
    start_procmon --name q -- /bin/sh -c 'printf "last words"; exit 1'
    expect_log "procmon: q: exited with status 1"
    grep -A1 -F "[q] last words" "$LOG" | grep -qF "procmon: q: exited with status 1"
}

@test "instant deaths back off 0.2, 0.4, 0.8, 0.8 s" {
    # (A threshold far above the run, however slowly it goes: each exit is
    # an instant death.)
    start_procmon --threshold 30 --min-restart-delay 0.2 --max-restart-delay 0.8 --name crash -- /bin/sh -c 'exit 3'
    wait_for "$DEADLINE" log_count_at_least "procmon: crash: started" 5
    stop_procmon
    grep -qE "procmon: crash: exited with status 3 after [0-9.]+s; restarting in 0.2s" "$LOG"
    grep -q "restarting in 0.4s" "$LOG"
    grep -q "restarting in 0.8s" "$LOG"
    # Each delay, from an exit to the next start, is the one logged: not
    # shorter, and short of the next doubling (the cap holds), however late
    # a busy machine runs the timer.
    local -a exits=() starts=()
    while read -r line; do exits+=("$(line_seconds "$line")"); done < <(grep -F "procmon: crash: exited" "$LOG" | head -4)
    while read -r line; do starts+=("$(line_seconds "$line")"); done < <(grep -F "procmon: crash: started" "$LOG" | sed -n 2,5p)
    local expected=(0.2 0.4 0.8 0.8)
    for i in 0 1 2 3; do
        awk -v a="${exits[$i]}" -v b="${starts[$i]}" -v want="${expected[$i]}" \
            'BEGIN { gap = b - a; if (gap < want - 0.01 || gap >= 2 * want) { printf "gap %.3f, want %s\n", gap, want; exit 1 } }'
    done
}

@test "a run longer than the threshold restarts at once" {
    start_procmon --threshold 0.1 --name good -- /bin/sh -c 'sleep 0.3; exit 1'
    expect_log "restarting now"
    wait_for "$DEADLINE" log_count_at_least "procmon: good: started" 2
}

@test "SIGTERM stops the child and procmon exits 0" {
    start_procmon --name s -- "$CHILD" sleep
    expect_log "[s] ready"
    local pid
    pid=$(started_pid s)
    stop_procmon TERM
    not_alive "$pid"
    grep -q "procmon: s: stopping pid $pid with SIGTERM (SIGKILL in 5s)" "$LOG"
    grep -q "procmon: s: killed by signal 15 (SIGTERM) after .*; stopped" "$LOG"
}

@test "SIGINT stops the child and procmon exits 0" {
    start_procmon --name s -- "$CHILD" sleep
    expect_log "[s] ready"
    stop_procmon INT
    grep -q "procmon: s: killed by signal 15 (SIGTERM)" "$LOG"
}

@test "a child that ignores SIGTERM gets SIGKILL after the kill time" {
    start_procmon --kill-time 0.5 --name stubborn -- "$CHILD" ignore-term
    expect_log "[stubborn] ready"
    local pid
    pid=$(started_pid stubborn)
    stop_procmon TERM
    not_alive "$pid"
    grep -q "procmon: stubborn: pid $pid did not stop; sending SIGKILL" "$LOG"
    grep -q "procmon: stubborn: killed by signal 9 (SIGKILL)" "$LOG"
    local stop kill
    stop=$(line_seconds "$(grep -F "stopping pid" "$LOG")")
    kill=$(line_seconds "$(grep -F "sending SIGKILL" "$LOG")")
    # After the kill time, not after the default one (5 s): the upper bound
    # is what tells the two apart, not a guess at the machine's speed.
    awk -v a="$stop" -v b="$kill" 'BEGIN { exit !(b - a >= 0.49 && b - a < 5) }'
}

@test "grandchildren are stopped with the process group" {
    start_procmon --name family -- "$CHILD" grandchild "$TMP/grandchild.pid"
    expect_log "[family] ready"
    local grandchild
    grandchild=$(cat "$TMP/grandchild.pid")
    kill -0 "$grandchild"
    stop_procmon TERM
    wait_for "$DEADLINE" not_alive "$grandchild"
}

@test "an exec failure is logged with the path and the error, then backs off" {
    start_procmon --threshold 30 --min-restart-delay 0.1 --name nope -- /nonexistent/nope
    expect_log "procmon: nope: cannot execute /nonexistent/nope: No such file or directory; restarting in 0.1s"
    expect_log "procmon: nope: cannot execute /nonexistent/nope: No such file or directory; restarting in 0.2s"
    # One line an attempt: never "started" first, no exit of a child that never ran.
    ! grep -E "nope: (started|exited)" "$LOG"
}

@test "a command that is not executable is an exec failure" {
    printf 'echo hi\n' > "$TMP/script"
    chmod 0644 "$TMP/script"
    start_procmon --name script -- "$TMP/script"
    expect_log "procmon: script: cannot execute $TMP/script: Permission denied"
}

@test "--env adds variables and --clear-env starts from nothing" {
    start_procmon --env GREETING=hello --name env1 -- /bin/sh -c 'echo "greeting=$GREETING home=$HOME"; exec sleep 100'
    expect_log "[env1] greeting=hello home=$HOME"
    stop_procmon
    : > "$LOG"
    start_procmon --clear-env --env ONLY=1 --name env2 -- /usr/bin/env
    expect_log "[env2] ONLY=1"
    stop_procmon
    [ "$(grep -c '\[env2\]' "$LOG")" -ge 1 ]
    ! grep '\[env2\]' "$LOG" | grep -v '\[env2\] ONLY=1$'
}

@test "--cwd sets the working directory" {
    start_procmon --cwd "$TMP" --name where -- /bin/sh -c 'pwd; exec sleep 100'
    expect_log "[where] $TMP"
}

@test "--user runs the child as that user with its groups" {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    start_procmon --user nobody --name who -- /bin/sh -c 'echo "uid=$(id -u) gid=$(id -g) user=$USER"; exec sleep 100'
    expect_log "[who] uid=$(id -u nobody) gid=$(id -g nobody) user=nobody"
}

@test "--log-format json writes one object per line" {
    "$PROCMON" run --log-format json --log-file "$LOG" --name j -- /bin/sh -c 'echo hi; exec sleep 100' &
    PM_PID=$!
    expect_log '"line":"hi"'
    stop_procmon
    python3 - "$LOG" <<'PY'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
assert any(r.get("event") == "start" and r.get("name") == "j" and r["pid"] > 0 for r in records), records
assert any(r.get("stream") == "stdout" and r.get("line") == "hi" for r in records), records
assert any(r.get("event") == "stop" and r.get("signal") == 15 for r in records), records
assert all(r["time"].endswith("Z") for r in records)
PY
}

@test "SIGUSR2 reopens the log file" {
    start_procmon --name rot -- /bin/sh -c 'while :; do echo tick; sleep 0.05; done'
    expect_log "[rot] tick"
    mv "$LOG" "$LOG.1"
    kill -USR2 "$PM_PID"
    expect_log "[rot] tick"
    stop_procmon
    [ -s "$LOG.1" ]
}

@test "usage errors exit 2 with one line and start nothing" {
    run "$PROCMON" run
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "procmon: no command given"* ]]

    run "$PROCMON" run --threshold soon -- /bin/true
    [ "$status" -eq 2 ]
    [[ "$output" == *"--threshold: not a number of seconds: 'soon'"* ]]

    run "$PROCMON" run --kill-time -1 -- /bin/true
    [ "$status" -eq 2 ]

    run "$PROCMON" run --bogus -- /bin/true
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown option '--bogus'"* ]]

    run "$PROCMON" run --log-format xml -- /bin/true
    [ "$status" -eq 2 ]

    run "$PROCMON" run --user no-such-user-here -- /bin/true
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown user 'no-such-user-here'"* ]]

    run "$PROCMON" run --cwd /nonexistent -- /bin/true
    [ "$status" -eq 2 ]

    run "$PROCMON" run --env NOEQUALS -- /bin/true
    [ "$status" -eq 2 ]

    run "$PROCMON" run --min-restart-delay 5 --max-restart-delay 1 -- /bin/true
    [ "$status" -eq 2 ]

    run "$PROCMON" frobnicate
    [ "$status" -eq 2 ]
}

@test "--help and --version" {
    run "$PROCMON" run --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"usage: procmon run"* ]]
    run "$PROCMON" --version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^procmon\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
    run "$PROCMON" --help
    [ "$status" -eq 0 ]
}

@test "decimal seconds are accepted" {
    # (A threshold far above the run, however slowly it goes: each exit is
    # an instant death.)
    start_procmon --threshold 29.75 --kill-time 0.5 --min-restart-delay 0.05 --max-restart-delay 0.1 --name d -- /bin/sh -c 'exit 1'
    expect_log "restarting in 0.05s"
    expect_log "restarting in 0.1s"
}
