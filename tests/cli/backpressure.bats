#!/usr/bin/env bats
# A target slower than its writer holds the writer back instead of dropping
# lines; a target that stalls or fails never holds anyone.

load daemon_helpers

loud_lines() { [ "$(grep -c ' \[loud\] ' "$LOG")" -eq "$1" ]; }

dropped_of() {
    ctl status --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["dropped_bytes"])'
}

# Starts procmon with its standard output read by slow_reader.py ARGS.
# procmon starts only once the reader is reading: a reader still starting up
# on a busy machine would be taken for one that stalled (no progress for 2 s).
# Meanwhile the FIFO is held open here (for reading and writing: no open
# waits), and closed once procmon has its end, so that the reader sees the
# end of the stream when procmon is gone.
start_behind_reader() {
    mkfifo "$TMP/stdout"
    exec 8<>"$TMP/stdout"
    python3 "$BATS_TEST_DIRNAME/slow_reader.py" "$TMP/out" --ready "$TMP/reading" "$@" < "$TMP/stdout" 8<&- &
    READER=$!
    wait_for "$DEADLINE" test -e "$TMP/reading"
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$LOG" -c "$TMP/procmon.conf" > "$TMP/stdout" 2>"$TMP/stderr" 8<&- &
    PM_PID=$!
    wait_for_daemon
    exec 8<&-
}

teardown() {
    if [ -n "$PM_PID" ] && kill -0 "$PM_PID" 2>/dev/null; then
        kill -TERM "$PM_PID" 2>/dev/null || true
        wait_for 30 not_alive "$PM_PID" || kill -KILL "$PM_PID" 2>/dev/null || true
    fi
    [ -z "${READER:-}" ] || kill "$READER" 2>/dev/null || true
    exec 8<&-
    rm -rf "$TMP"
}

# 8 MB of 100-byte lines: far more than the target's buffer and the pipe.
# The writer is running from its spawn (startsecs = 0), however soon it is
# done: autorestart = false then leaves it exited after one run (a failed
# start would be retried, and write it all again).
writer_to_stdout() {
    config <<EOF2
[program:loud]
command = $CHILD write 8000000 100
stdout_logfile = /dev/stdout
stdout_logfile_maxbytes = 0
autorestart = false
startsecs = 0
EOF2
}

@test "a slow reader of /dev/stdout: the writer waits, and not one line is lost" {
    writer_to_stdout
    start_behind_reader --pause 0.005
    wait_for "$DEADLINE" state_is loud exited
    [ "$(dropped_of loud)" -eq 0 ]
    run ctl shutdown
    [ "$status" -eq 0 ]
    wait "$READER"
    READER=
    [ "$(wc -c < "$TMP/out")" -eq 8000000 ]
    # Every line whole and in order: the child writes blocks of 655 lines,
    # line i of a block 99 times the letter 'a' + i % 26.
    python3 - "$TMP/out" <<'PY'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
assert len(lines) == 80000, len(lines)
for k, l in enumerate(lines):
    assert l == bytes([97 + k % 655 % 26]) * 99, (k, l[:20])
PY
}

@test "a reader of /dev/stdout that stalls: the writer runs on, lines are dropped and counted" {
    writer_to_stdout
    start_behind_reader --stall-after 65536
    # Held at most until the target is seen stalled, then free to finish.
    wait_for "$DEADLINE" state_is loud exited
    local dropped
    dropped=$(dropped_of loud)
    [ "$dropped" -gt 0 ]
    expect_log "procmon: output to /dev/fd/1: not taking output (its reader is not reading)"
}

@test "a slow reader of the log: the programs' lines wait, none is lost" {
    # One run only, however soon it is done (see writer_to_stdout).
    config <<EOF2
[program:loud]
command = $CHILD write 8000000 100
autorestart = false
startsecs = 0
EOF2
    mkfifo "$TMP/logpipe"
    # Open for reading from the start (this descriptor never reads; 3 is
    # bats's own), so that procmon never finds the FIFO without a reader;
    # and procmon starts once the reader is reading (see start_behind_reader).
    exec 8<>"$TMP/logpipe"
    python3 "$BATS_TEST_DIRNAME/slow_reader.py" "$LOG" --pause 0.005 --ready "$TMP/reading" < "$TMP/logpipe" &
    READER=$!
    wait_for "$DEADLINE" test -e "$TMP/reading"
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$TMP/logpipe" -c "$TMP/procmon.conf" 2>"$TMP/stderr" &
    PM_PID=$!
    wait_for "$DEADLINE" log_has "loud: exited with status 0"
    # What it left in its pipe while held is read after its exit.
    wait_for "$DEADLINE" loud_lines 80000
    [ "$(dropped_of loud)" -eq 0 ]
    ! grep -q "dropped" "$TMP/stderr"
}
