#!/usr/bin/env bats
# Per-program output targets (stdout_logfile and friends): files, procmon's
# own descriptors, AUTO, NONE, rotation, reopen, and targets that fail or
# stop reading without stalling the child or the daemon.

load daemon_helpers

# `status --json` field FIELD of NAME.
field_of() {
    ctl status --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$2"
}
dropped_of() { field_of "$1" dropped_bytes; }
dropped_above() { [ "$(dropped_of "$1")" -gt "$2" ]; }
file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
file_has() { grep -qxF -- "$2" "$1" 2>/dev/null; }
file_size_above() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]; }

# Starts the daemon with procmon's standard output in $TMP/stdout.
start_daemon_stdout() {
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$LOG" -c "$TMP/procmon.conf" >"$TMP/stdout" 2>"$TMP/stderr" 3>&- &
    PM_PID=$!
    wait_for_daemon
}

teardown() {
    if [ -n "${READER_PID:-}" ]; then kill "$READER_PID" 2>/dev/null || true; fi
    if [ -n "$PM_PID" ] && kill -0 "$PM_PID" 2>/dev/null; then
        kill -TERM "$PM_PID" 2>/dev/null || true
        wait_for 10 not_alive "$PM_PID" || kill -KILL "$PM_PID" 2>/dev/null || true
    fi
    if [ -n "${MNT:-}" ]; then umount "$MNT" 2>/dev/null || true; fi
    rm -rf "$TMP"
}

@test "two programs on /dev/stdout at full speed: every line whole, none shared" {
    config <<EOF
[program:a]
command = sh -c 'yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -n 100000; exec sleep 1000'
stdout_logfile = /dev/stdout
[program:b]
command = sh -c 'yes bbbbbbbbbbbbbbbbbbbbbbbbbbb | head -n 100000; exec sleep 1000'
stdout_logfile = /dev/stdout
EOF
    start_daemon_stdout
    lines() { [ "$(wc -l < "$TMP/stdout")" -ge 200000 ]; }
    wait_for "$DEADLINE" lines
    ctl shutdown
    PM_PID=
    run sh -c "sort '$TMP/stdout' | uniq -c"
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^\ *100000\ a{78}$ ]]
    [[ "${lines[1]}" =~ ^\ *100000\ b{27}$ ]]
    ! log_has "[a]"          # not in the log stream as well
}

@test "a file rotates at the exact byte limit, backups shift and the oldest is dropped" {
    config <<EOF
[program:r]
command = sh -c 'i=1; while [ \$i -le 10 ]; do printf "line %%04d\n" \$i; i=\$((i+1)); done; exec sleep 1000'
stdout_logfile = $TMP/r.log
stdout_logfile_maxbytes = 30
stdout_logfile_backups = 2
EOF
    start_daemon
    wait_for "$DEADLINE" file_is "$TMP/r.log" "line 0010"
    [ "$(cat "$TMP/r.log.1")" = "$(printf 'line 0007\nline 0008\nline 0009')" ]
    [ "$(stat -c %s "$TMP/r.log.1")" -eq 30 ]
    [ "$(cat "$TMP/r.log.2")" = "$(printf 'line 0004\nline 0005\nline 0006')" ]
    [ ! -e "$TMP/r.log.3" ]
    ! log_has "[r] line"
    # tail asks for more than memory holds? memory holds all 10 here
    run ctl tail -n 3 r
    [ "$output" = "$(printf 'line 0008\nline 0009\nline 0010')" ]
}

@test "reopen after an external mv writes to a new file" {
    config <<EOF
[program:m]
command = sh -c 'trap "echo after" USR1; echo before; while true; do sleep 0.05; done'
stdout_logfile = $TMP/m.log
EOF
    start_daemon
    wait_for "$DEADLINE" file_is "$TMP/m.log" before
    mv "$TMP/m.log" "$TMP/m.log.old"
    ctl reopen
    [ -e "$TMP/m.log" ]
    ctl signal USR1 m
    wait_for "$DEADLINE" file_is "$TMP/m.log" after
    [ "$(cat "$TMP/m.log.old")" = before ]
    expect_log "reopened the log and output files"
    # SIGUSR2 does the same.
    mv "$TMP/m.log" "$TMP/m.log.older"
    kill -USR2 "$PM_PID"
    wait_for "$DEADLINE" test -e "$TMP/m.log"
    ctl signal USR1 m
    wait_for "$DEADLINE" file_is "$TMP/m.log" after
}

@test "a full filesystem: the child runs on, the daemon serves, bytes are counted, writing resumes" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
    MNT=$TMP/mnt
    mkdir "$MNT"
    mount -t tmpfs -o size=2m tmpfs "$MNT" || { MNT=; skip "cannot mount a tmpfs here"; }
    dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true   # fills it: ENOSPC ends dd
    # A burst of 3 MB (more than the 1 MiB a target keeps), then a line
    # every 50 ms, so that freed space does not fill up again at once.
    config <<EOF
[program:f]
command = sh -c 'yes ffffffffffffffffffffffffffffffffffffffff | head -c 3000000; while true; do echo slow; sleep 0.05; done'
stdout_logfile = $MNT/f.log
stdout_logfile_maxbytes = 0
EOF
    start_daemon
    wait_for "$DEADLINE" dropped_above f 0
    expect_log "output to $MNT/f.log: No space left on device"
    pid=$(pid_of f)
    first=$(dropped_of f)
    wait_for "$DEADLINE" dropped_above f "$first"   # still counting
    [ "$(state_of f)" = running ]
    [ "$(pid_of f)" = "$pid" ]                       # never stalled or restarted
    size=$(stat -c %s "$MNT/f.log")
    rm "$MNT/filler"
    wait_for "$DEADLINE" file_size_above "$MNT/f.log" $((size + 1000000))
    expect_log "output to $MNT/f.log works again"
    wait_for "$DEADLINE" file_has "$MNT/f.log" slow
    [ "$(state_of f)" = running ]
}

@test "/dev/full as a target: the output is dropped and counted, the child runs on" {
    config <<EOF
[program:full]
command = sh -c 'yes 0123456789012345678901234567890123456789'
stdout_logfile = /dev/full
EOF
    local t0=$SECONDS
    start_daemon
    wait_for "$DEADLINE" dropped_above full 1000000
    expect_log "output to /dev/full: No space left on device"
    [ "$(state_of full)" = running ]
    # The events are rate-limited, at most one every 10 s: not one per line
    # (nor more for a test that took longer).
    [ "$(log_count "output to /dev/full")" -le $((2 + (SECONDS - t0) / 10)) ]
}

@test "a descriptor target that is a pipe nobody reads: status stays prompt" {
    mkfifo "$TMP/fifo"
    sleep 1000 <"$TMP/fifo" &
    READER_PID=$!
    config <<EOF
[program:w]
command = sh -c 'yes wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww'
stdout_logfile = /dev/fd/5
[program:quiet]
command = sleep 1000
EOF
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$LOG" -c "$TMP/procmon.conf" 5>"$TMP/fifo" 2>"$TMP/stderr" 3>&- &
    PM_PID=$!
    wait_for_daemon
    wait_for "$DEADLINE" dropped_above w 10000000
    expect_log "output to /dev/fd/5: not taking output"
    # Answers keep coming while w floods a pipe that never drains (a loop
    # blocked in write(2) would answer none: the deadline is generous, as
    # a loaded machine is slow, not stuck).
    for i in 1 2 3 4 5; do
        [ "$(timeout "$DEADLINE" "$PROCMON" -s "$SOCK" status --json quiet |
             python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])')" = running ]
    done
    # The pipe's shared description was left blocking for the other holders.
    flags=$(awk '/^flags/ { print $2 }' "/proc/$PM_PID/fdinfo/5")
    [ $(( 0$flags & 04000 )) -eq 0 ]
    ctl shutdown
    PM_PID=
}

@test "AUTO: one file a program under childlogdir, never the same name" {
    mkdir "$TMP/logs"
    config <<EOF
[procmon]
childlogdir = $TMP/logs
[program:one]
command = sh -c 'echo from-one; exec sleep 1000'
stdout_logfile = AUTO
[program:two]
command = sh -c 'echo from-two; echo err-two >&2; exec sleep 1000'
stdout_logfile = AUTO
stderr_logfile = AUTO
EOF
    start_daemon
    one() { grep -lxF from-one "$TMP"/logs/one-stdout---procmon-*.log >/dev/null 2>&1; }
    two() { grep -lxF from-two "$TMP"/logs/two-stdout---procmon-*.log >/dev/null 2>&1 &&
            grep -lxF err-two "$TMP"/logs/two-stderr---procmon-*.log >/dev/null 2>&1; }
    wait_for "$DEADLINE" one
    wait_for "$DEADLINE" two
    [ "$(ls "$TMP/logs" | wc -l)" -eq 3 ]
    # A second daemon's files get names of their own (and the first one's
    # are cleared away at its start, as supervisord does).
    local old
    old=$(ls "$TMP/logs")
    ctl shutdown
    PM_PID=
    : > "$LOG" # what follows is the second daemon's
    start_daemon
    wait_for "$DEADLINE" log_has "two: started"
    wait_for "$DEADLINE" one
    wait_for "$DEADLINE" two
    [ "$(ls "$TMP/logs" | wc -l)" -eq 3 ]
    [ -z "$(comm -12 <(echo "$old") <(ls "$TMP/logs"))" ]
}

@test "AUTO: procmon's own old AUTO files are removed at start-up, nothing else; nocleanup=true keeps them" {
    mkdir "$TMP/logs"
    local f
    # An earlier run's files (a rotated one too), and others that only look alike.
    for f in one-stdout---procmon-aB3dE6.log one-stdout---procmon-aB3dE6.log.2 \
             old:g_00-stderr---procmon-000000.log; do
        echo old > "$TMP/logs/$f"
    done
    local kept=(one-stdout---other-aB3dE6.log one-stdout---procmon-aB3dE6.log.gz
                one-stdout---procmon-aB.log app.log notes.txt)
    for f in "${kept[@]}"; do echo keep > "$TMP/logs/$f"; done
    ln -s notes.txt "$TMP/logs/link-stdout---procmon-aB3dE6.log"
    config <<EOF
[supervisord]
childlogdir = $TMP/logs
[program:one]
command = sh -c 'echo from-one; exec sleep 1000'
stdout_logfile = AUTO
EOF
    start_daemon
    one() { grep -lxF from-one "$TMP"/logs/one-stdout---procmon-*.log >/dev/null 2>&1; }
    wait_for "$DEADLINE" one
    [ ! -e "$TMP/logs/one-stdout---procmon-aB3dE6.log" ]
    [ ! -e "$TMP/logs/one-stdout---procmon-aB3dE6.log.2" ]
    [ ! -e "$TMP/logs/old:g_00-stderr---procmon-000000.log" ]
    for f in "${kept[@]}"; do [ "$(cat "$TMP/logs/$f")" = keep ]; done
    [ -L "$TMP/logs/link-stdout---procmon-aB3dE6.log" ]
    [ "$(ls "$TMP"/logs/one-stdout---procmon-??????.log | wc -l)" -eq 1 ]
    ctl shutdown
    PM_PID=
    # nocleanup = true: the earlier files stay.
    local before
    before=$(ls "$TMP/logs" | wc -l)
    config <<EOF
[supervisord]
childlogdir = $TMP/logs
nocleanup = true
[program:one]
command = sh -c 'echo from-one; exec sleep 1000'
stdout_logfile = AUTO
EOF
    start_daemon
    count() { [ "$(ls "$TMP"/logs/one-stdout---procmon-??????.log | wc -l)" -eq 2 ]; }
    wait_for "$DEADLINE" count
    [ "$(ls "$TMP/logs" | wc -l)" -eq $((before + 1)) ]
    ! grep -q 'warning' "$TMP/stderr"
}

@test "NONE drops the stream; the other one still goes to the log" {
    config <<EOF
[program:n]
command = sh -c 'echo secret-out; echo shown-err >&2; exec sleep 1000'
stdout_logfile = NONE
EOF
    start_daemon
    expect_log "[n] shown-err"
    ! log_has "secret-out"
    [ "$(dropped_of n)" -eq 0 ]   # not a failure
}

@test "redirect_stderr sends stderr where stdout goes" {
    config <<EOF
[program:r]
command = sh -c 'echo to-out; echo to-err >&2; exec sleep 1000'
stdout_logfile = $TMP/r.log
stderr_logfile = $TMP/never.log
redirect_stderr = true
EOF
    start_daemon
    wait_for "$DEADLINE" file_has "$TMP/r.log" to-err
    file_has "$TMP/r.log" to-out
    [ ! -e "$TMP/never.log" ]
    ! log_has "to-err"
}

@test "tail reads the file when memory holds fewer lines than asked" {
    for i in 1 2 3 4 5; do echo "old $i"; done > "$TMP/t.log"
    config <<EOF
[program:t]
command = sh -c 'echo new; exec sleep 1000'
stdout_logfile = $TMP/t.log
EOF
    start_daemon
    wait_for "$DEADLINE" file_has "$TMP/t.log" new
    run ctl tail -n 3 t
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'old 4\nold 5\nnew')" ]
    run ctl tail -n 1 t      # memory has it
    [ "$output" = new ]
}

@test "a reload counts a change of output settings as a change" {
    config <<EOF
[program:a]
command = sleep 1000
stdout_logfile = $TMP/a.log
[program:b]
command = sleep 1000
EOF
    start_daemon
    wait_for "$DEADLINE" log_has "b: started"
    config <<EOF
[program:a]
command = sleep 1000
stdout_logfile = $TMP/a.log
stdout_logfile_maxbytes = 1KB
[program:b]
command = sleep 1000
EOF
    run ctl reload
    [ "$status" -eq 0 ]
    [ "$output" = "a: changed" ]
}

@test "bad output values are config errors naming file and line" {
    config <<EOF
[program:a]
command = sleep 1
stdout_logfile_maxbytes = 12XB
EOF
    run "$PROCMON" run -s "$TMP/s" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [[ "$output" == *"procmon.conf:3: bad value for stdout_logfile_maxbytes in [program:a]: '12XB'"* ]]
    config <<EOF
[program:a]
command = sleep 1
stdout_logfile = /nonexistent-procmon/x.log
EOF
    run "$PROCMON" run -s "$TMP/s" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [[ "$output" == *"procmon.conf:3: bad value for stdout_logfile"*"no folder /nonexistent-procmon"* ]]
}

@test "procmon's own log file rotates by logfile_maxbytes and logfile_backups" {
    config <<EOF2
[procmon]
logfile_maxbytes = 2KB
logfile_backups = 2
[program:chatty]
command = sh -c 'i=0; while [ \$i -lt 300 ]; do echo "chatty line \$i"; i=\$((i+1)); done; echo done-chatty; exec sleep 1000'
EOF2
    # Not start_daemon: the line it waits for may be rotated away at once.
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$LOG" -c "$TMP/procmon.conf" 2>"$TMP/stderr" 3>&- &
    PM_PID=$!
    rotated() { grep -qF "[chatty] done-chatty" "$LOG" "$LOG.1" "$LOG.2" 2>/dev/null; }
    wait_for "$DEADLINE" rotated
    [ -e "$LOG.2" ]
    [ ! -e "$LOG.3" ]
    for f in "$LOG" "$LOG.1" "$LOG.2"; do
        [ "$(stat -c %s "$f")" -le 2048 ]
        [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]   # whole lines only
    done
    [ "$(stat -c %s "$LOG.1")" -gt $((2048 - 60)) ]   # filled to within a line of the limit
}
