# Shared by the command-line tests: start procmon in the background, poll
# for conditions with a generous deadline, and clean up after each test.

: "${PROCMON:?set PROCMON to the procmon binary}"
: "${CHILD:?set CHILD to the test child program}"
DEADLINE=${DEADLINE:-30}
# The tests' Python helpers (unix_http.py ...) import from here.
export PYTHONPATH="$BATS_TEST_DIRNAME${PYTHONPATH:+:$PYTHONPATH}"

setup() {
    TMP=$(mktemp -d)
    LOG=$TMP/log
    PM_PID=
}

teardown() {
    if [ -n "$PM_PID" ] && kill -0 "$PM_PID" 2>/dev/null; then
        kill -TERM "$PM_PID" 2>/dev/null || true
        wait_for 10 not_alive "$PM_PID" || kill -KILL "$PM_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}

# wait_for SECONDS COMMAND...: true as soon as COMMAND succeeds.
wait_for() {
    local limit=$1
    shift
    local end=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}

not_alive() { ! kill -0 "$1" 2>/dev/null; }
log_has() { grep -qF -- "$1" "$LOG" 2>/dev/null; }
log_count() { grep -cF -- "$1" "$LOG" 2>/dev/null || true; }
log_count_at_least() { [ "$(log_count "$1")" -ge "$2" ]; }

# Starts procmon with the given arguments after `run`, logging to $LOG.
start_procmon() {
    "$PROCMON" run --log-file "$LOG" "$@" 2>"$TMP/stderr" &
    PM_PID=$!
}

# Waits for the log to show LINE, or fails showing the log.
expect_log() {
    if ! wait_for "$DEADLINE" log_has "$1"; then
        echo "expected in the log: $1" >&2
        cat "$LOG" >&2 || true
        return 1
    fi
}

# Stops procmon with a signal and checks that it exits 0.
stop_procmon() {
    kill -"${1:-TERM}" "$PM_PID"
    local status=0
    wait "$PM_PID" || status=$?
    PM_PID=
    [ "$status" -eq 0 ] || { echo "procmon exited $status" >&2; cat "$LOG" >&2; return 1; }
}

# The pid procmon logged for the Nth start of NAME (1-based).
started_pid() {
    grep -F "procmon: $1: started, pid " "$LOG" | sed -n "${2:-1}p" | sed 's/.*pid //'
}

# Seconds since midnight of a log line's timestamp.
line_seconds() {
    echo "$1" | sed -E 's/^[0-9-]+T([0-9]+):([0-9]+):([0-9.]+)Z.*/\1 \2 \3/' |
        awk '{ printf "%.3f\n", $1 * 3600 + $2 * 60 + $3 }'
}
