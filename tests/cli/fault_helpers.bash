# For faults.bats and abuse.bats: what the daemon holds, scaled time limits,
# and processes a test must not leave behind.

# Every time limit is scaled by DEADLINE / 30 (at least 1): `make valgrind`
# sets DEADLINE higher, since the daemon runs many times slower there.
SCALE=$((DEADLINE / 30))
[ "$SCALE" -ge 1 ] || SCALE=1

# How much the daemon's RSS may grow between two rounds of the same abuse
# (freed memory the allocator keeps; ASan's quarantine is kept small below).
# `make valgrind` raises it: memcheck holds freed blocks back on purpose.
RSS_SLACK_MB=${RSS_SLACK_MB:-4}

# Under AddressSanitizer freed memory waits in a quarantine (256 MB by
# default) before it is reused: keep it well below the slack, since a
# quarantine that is still filling between two rounds grows RSS by its size.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1

# The control command, given up on (exit 124) if the daemon does not answer
# in twice the deadline, so that a daemon that stops serving fails the test
# instead of hanging it.
ctl() { timeout $((2 * DEADLINE)) "$PROCMON" -s "$SOCK" "$@"; }

# clients.py against the daemon of start_daemon.
clients() {
    python3 "$BATS_TEST_DIRNAME/clients.py" "$SOCK" "$@" --scale "$SCALE" --pid "$PM_PID"
}

# `make valgrind` runs procmon under memcheck (tests/valgrind/procmon).
under_valgrind() { [ -n "${VALGRIND_LOGS:-}" ]; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }
fds_at_most() { [ "$(fd_count "$1")" -le "$2" ]; }

# Processes to kill in teardown (grandchildren a test may leave behind).
STRAYS=()
kill_strays() {
    local p
    for p in "${STRAYS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
}

teardown() {
    kill_strays
    if [ -n "$PM_PID" ] && kill -0 "$PM_PID" 2>/dev/null; then
        kill -TERM "$PM_PID" 2>/dev/null || true
        if ! wait_for $((10 * SCALE)) not_alive "$PM_PID"; then
            # Its children lead their own groups: take them down too.
            local c
            for c in $(pgrep -P "$PM_PID"); do kill -KILL -- "-$c" 2>/dev/null || true; done
            kill -KILL "$PM_PID" 2>/dev/null || true
        fi
    fi
    rm -rf "$TMP"
}
