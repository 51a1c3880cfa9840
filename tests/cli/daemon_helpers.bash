# For the daemon tests: a config file, a socket in the test's own directory,
# and the control command pointed at it.

load helpers

# Writes $TMP/procmon.conf from standard input.
config() { cat > "$TMP/procmon.conf"; }

start_daemon() {
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$LOG" -c "$TMP/procmon.conf" "$@" 2>"$TMP/stderr" &
    PM_PID=$!
    wait_for_daemon
}

# True once the daemon on $SOCK answers a status (0, or 3: some process is
# not running); 4 is no daemon there yet, or a killed one's stale socket.
# Given up on after twice the deadline, so that a daemon that accepts and
# never answers fails the test instead of hanging it.
answering() {
    local st=0
    timeout $((2 * DEADLINE)) "$PROCMON" -s "$SOCK" status >/dev/null 2>&1 || st=$?
    [ "$st" -eq 0 ] || [ "$st" -eq 3 ]
}
answering_or_gone() { answering || not_alive "$PM_PID"; }

# Waits until the daemon started as $PM_PID answers on $SOCK; fails at once,
# showing its standard error, if it exits first.  (Not a line of the log:
# the log's rotation can move that line away before it is looked for.)
wait_for_daemon() {
    if ! wait_for "$DEADLINE" answering_or_gone || not_alive "$PM_PID"; then
        echo "the daemon (pid $PM_PID) does not answer on $SOCK:" >&2
        cat "$TMP/stderr" >&2
        return 1
    fi
}

ctl() { "$PROCMON" -s "$SOCK" "$@"; }

# The state of NAME as `status --json` reports it.
state_of() {
    ctl status --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])'
}
pid_of() {
    ctl status --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])'
}
state_is() { [ "$(state_of "$1")" = "$2" ]; }

# supervisord_head DIR: what a supervisord.conf needs for supervisord, and
# for supervisorctl to reach it (or procmon) on a socket in DIR.
supervisord_head() {
    cat <<EOF2
[unix_http_server]
file = $1/supervisor.sock
[supervisord]
logfile = $1/supervisord.log
pidfile = $1/supervisord.pid
childlogdir = $1
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl = unix://$1/supervisor.sock
EOF2
}
