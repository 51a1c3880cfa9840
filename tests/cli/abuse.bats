#!/usr/bin/env bats
# The control socket under abuse, with the misbehaving clients of clients.py.
# daemon.bats already has one malformed and one over-size request at a time,
# silent, slow and vanishing clients, a tail follower that never reads and
# requests pipelined behind a slow one; here: many clients at once, clients
# that never read, that hang up half-way, and garbage mixed with good
# requests.  After each case the daemon still serves everyone, holds no more
# descriptors than before, and a third round of the same leaves its RSS
# where the first two did (RSS_SLACK_MB).

load daemon_helpers
load fault_helpers

# N sleepers with short status entries.
small_table() {
    local i
    for ((i = 0; i < $1; i++)); do
        printf '[program:p%d]\ncommand = %s sleep\n' "$i" "$CHILD"
    done | config
}

# 40 sleepers with 6 KB command lines: a status answer of about 250 KB,
# more than a socket's buffers hold.
large_table() {
    local pad
    pad=$(head -c 6000 /dev/zero | tr '\0' x)
    config <<EOF2
[program:p]
command = $CHILD sleep $pad
numprocs = 40
process_name = p%(process_num)d
EOF2
}

all_running() {
    ctl status --json | python3 -c '
import json, sys
ps = json.load(sys.stdin)
sys.exit(0 if len(ps) == int(sys.argv[1]) and all(p["state"] == "running" for p in ps) else 1)' "$1"
}

# rounds EXPECT ARGS...: clients.py ARGS three times.  After each round the
# daemon is alive, answers status with all EXPECT processes running, and is
# back to the descriptors it had before.  Its RSS after the third round must
# be no higher than after the first two, give or take RSS_SLACK_MB: memory
# that the allocator keeps after a round levels off, a leak does not.
rounds() {
    local expect=$1 fds0 rss before=0 round
    shift
    wait_for "$DEADLINE" all_running "$expect"
    fds0=$(fd_count "$PM_PID")
    for round in 1 2 3; do
        run clients "$@" --expect "$expect"
        show_output "round $round:"
        [ "$status" -eq 0 ]
        kill -0 "$PM_PID"
        if ! wait_for "$DEADLINE" fds_at_most "$PM_PID" "$fds0"; then
            echo "the daemon holds $(fd_count "$PM_PID") descriptors, $fds0 before:" >&2
            ls -l "/proc/$PM_PID/fd" >&2
            return 1
        fi
        all_running "$expect" # also lets the loop finish closing the connections
        rss=$(rss_kb "$PM_PID")
        echo "# round $round: then daemon RSS $((rss / 1024)) MB, $(fd_count "$PM_PID") descriptors" >&3
        if [ "$round" -lt 3 ]; then
            [ "$rss" -le "$before" ] || before=$rss
        elif [ "$rss" -gt $((before + RSS_SLACK_MB * 1024)) ]; then
            echo "RSS grew to $rss kB after the third round from at most $before kB after the others" >&2
            return 1
        fi
    done
}

@test "1000 concurrent clients each get their status answer" {
    ulimit -n 4096 2>/dev/null || skip "cannot raise the descriptor limit to 4096 (hard limit $(ulimit -Hn))"
    small_table 5
    start_daemon
    rounds 5 concurrent --clients 1000
}

@test "clients that never read a large answer do not hold up others or make the daemon grow" {
    large_table
    start_daemon
    rounds 40 nonreaders --clients 100 --seconds $((2 * SCALE)) --rss-slack-mb $((16 + RSS_SLACK_MB))
}

@test "a client that pipelines requests and never reads cannot make the daemon grow" {
    large_table
    start_daemon
    wait_for "$DEADLINE" all_running 40
    # 64 MB would hold 250 answers: far more than the socket's buffers.
    run clients pipeline --seconds $((5 * SCALE)) --rss-slack-mb $((64 + RSS_SLACK_MB)) --expect 40
    show_output
    [ "$status" -eq 0 ]
    all_running 40
}

@test "clients that hang up half-way through a request or an answer" {
    large_table
    start_daemon
    rounds 40 halfway --clients 400 --workers 8
}

@test "malformed, ill-typed, binary and over-size requests mixed with good ones from other clients" {
    small_table 5
    start_daemon
    rounds 5 garbage --clients 64 --workers 8
    # Nothing that was refused left a trace in the process table.
    ! ctl status x 2>/dev/null
}

@test "clients that asked and hung up, all found at once: their answers are not held" {
    large_table
    start_daemon
    wait_for "$DEADLINE" all_running 40
    # 100 clients, 2 answers of 250 KB each: 50 MB if each were copied and
    # kept until the loop's next turn.
    run clients vanished --clients 100 --expect 40 --rss-slack-mb $((8 + RSS_SLACK_MB))
    show_output
    [ "$status" -eq 0 ]
}

@test "a request line just over 64 KiB is refused like a longer one" {
    small_table 5
    start_daemon
    wait_for "$DEADLINE" all_running 5
    run clients edge --expect 5
    show_output
    [ "$status" -eq 0 ]
}
