# For the daemon tests: a config file, a socket in the test's own directory,
# and the control command pointed at it.

load helpers

# Writes $TMP/procmon.conf from standard input.
config() { cat > "$TMP/procmon.conf"; }

start_daemon() {
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$LOG" -c "$TMP/procmon.conf" "$@" 2>"$TMP/stderr" &
    PM_PID=$!
    # The log says so once the socket listens (a killed daemon's stale file
    # would be there before).
    wait_for "$DEADLINE" log_has ", control socket $SOCK" || { cat "$TMP/stderr" >&2; return 1; }
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
