# For faults.bats and abuse.bats: what the daemon holds, scaled deadlines,
# and processes a test must not leave behind.

# Every deadline and duration is scaled by DEADLINE / 30 (at least 1): `make
# valgrind` sets DEADLINE higher, since the daemon runs many times slower
# there.  (How long one answer may take is not one of them: clients.py
# derives that from the same daemon at rest.)
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

# clients.py against the daemon of start_daemon (--pid once it is started).
# PROCMON_SPEED_FACTOR: how much slower this build is than the plain one,
# which tests/run measures (tests/cli/speed_factor.py); 1 when unset.
clients() {
    python3 "$BATS_TEST_DIRNAME/clients.py" "$SOCK" "$@" --scale "$SCALE" \
        --factor "${PROCMON_SPEED_FACTOR:-1}" ${PM_PID:+--pid "$PM_PID"}
}

# Shows $output (clients.py's figures) in the test's output, each line a
# TAP comment, after PREFIX if given.
show_output() { sed "s/^/# ${1:+$1 }/" <<<"$output" >&3; }

# `make valgrind` runs procmon under memcheck (tests/valgrind/procmon).
under_valgrind() { [ -n "${VALGRIND_LOGS:-}" ]; }

# Skips the test unless N more processes fit under every limit there is:
# the kernel's pid_max and threads-max, the pids controller of each cgroup
# we are in, RLIMIT_NPROC (but for root), and memory (a MB each).
room_for_processes() {
    local want=$1 tasks free dir
    tasks=$(awk '{ split($4, a, "/"); print a[2] }' /proc/loadavg)
    free=$(($(cat /proc/sys/kernel/pid_max) - tasks))
    [ "$free" -ge "$want" ] || skip "room for $free more processes under kernel.pid_max, not $want"
    free=$(($(cat /proc/sys/kernel/threads-max) - tasks))
    [ "$free" -ge "$want" ] || skip "room for $free more processes under kernel.threads-max, not $want"
    for dir in $(sed -nE 's#^0::(.*)#/sys/fs/cgroup\1#p; s#^[0-9]+:pids:(.*)#/sys/fs/cgroup/pids\1#p' /proc/self/cgroup); do
        dir=${dir%/}
        while [ -d "$dir" ]; do
            if [ -r "$dir/pids.max" ] && [ "$(cat "$dir/pids.max")" != max ]; then
                free=$(($(cat "$dir/pids.max") - $(cat "$dir/pids.current")))
                [ "$free" -ge "$want" ] || skip "room for $free more processes in cgroup $dir, not $want"
            fi
            case $dir in /sys/fs/cgroup | /sys/fs/cgroup/pids) break ;; esac
            dir=${dir%/*}
        done
    done
    if [ "$(id -u)" -ne 0 ] && [ "$(ulimit -u)" != unlimited ]; then
        free=$(($(ulimit -u) - $(ps -o pid= -U "$(id -u)" | wc -l)))
        [ "$free" -ge "$want" ] || skip "room for $free more processes under ulimit -u, not $want"
    fi
    free=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
    [ "$free" -ge "$want" ] || skip "$free MB of memory available, not a MB for each of $want processes"
}

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
