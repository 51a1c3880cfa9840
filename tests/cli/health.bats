#!/usr/bin/env bats
# healthcheck with real processes and real servers: exec:, tcp:, unix:,
# http:// over TCP and over a unix socket, the restart after
# healthcheck_retries failures in a row, the start period, and the values
# refused.

load daemon_helpers

# refute COMMAND...: fails when COMMAND succeeds (a bare `! COMMAND` fails
# no bats test but as its last line).
refute() {
    if "$@"; then
        echo "expected to fail: $*" >&2
        return 1
    fi
}

# Servers the test starts beside procmon, stopped after it.
SERVERS=()
eval "helpers_$(declare -f teardown)"
teardown() {
    local pid
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    helpers_teardown
}

# NAME's state, pid and status line without Python, so that polling is cheap.
state_of() { ctl status "$1" | awk '{ print $2 }'; }
pid_of() { ctl status "$1" | sed -nE 's/^[^ ]+ +[a-z]+ +pid ([0-9]+).*/\1/p'; }
status_line() { ctl status "$1" || true; }
# status_matches NAME REGEX: NAME's status line matches the extended REGEX.
status_matches() { [[ "$(status_line "$1")" =~ $2 ]]; }

# The status object of NAME, checked by the Python expression EXPR on p.
json_check() {
    ctl status --json "$1" | python3 -c '
import json, sys
p = json.load(sys.stdin)[0]
assert eval(sys.argv[1]), p
' "$2"
}

# A TCP listener on a free port of 127.0.0.1 that accepts and closes every
# connection; its port in $PORT, its pid in $LISTENER.
tcp_listener() {
    python3 - "$TMP/port" <<'PY' &
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".new", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".new", sys.argv[1])
while True:
    c, _ = s.accept()
    c.close()
PY
    LISTENER=$!
    SERVERS+=("$LISTENER")
    wait_for "$DEADLINE" test -s "$TMP/port"
    PORT=$(cat "$TMP/port")
}

@test "exec: three failures in a row restart the process at once, never backing off" {
    # A long threshold: the process is starting throughout, so that a restart
    # taken for a failed start would back off for a minute, and be fatal.
    config <<EOF2
[program:web]
command = $CHILD sleep
startsecs = 60
startretries = 0
min_restart_delay = 60
max_restart_delay = 60
healthcheck = exec:test -e $TMP/flag
healthcheck_interval = 0.1
healthcheck_retries = 3
EOF2
    touch "$TMP/flag"
    start_daemon
    expect_log "procmon: web: healthy (exit status 0)"
    local pid
    pid=$(pid_of web)
    wait_for "$DEADLINE" status_matches web "^web +starting +pid $pid, for [0-9.]+s, healthy$"
    json_check web 'p["health"] == "healthy" and p["health_failures"] == 0 and p["health_retries"] == 3'
    # Every state seen from here on is kept, to be checked at the end.
    seen() { state_of web >> "$TMP/states"; "$@"; }
    rm "$TMP/flag"
    wait_for "$DEADLINE" seen log_has "procmon: web: health check failed (3/3): exit status 1; restarting"
    touch "$TMP/flag"
    wait_for "$DEADLINE" seen log_count_at_least "procmon: web: healthy (exit status 0)" 2
    local new
    new=$(pid_of web)
    [ -n "$new" ]
    [ "$new" != "$pid" ]
    not_alive "$pid"
    state_is web starting
    # The three failures, in order, then the stop and a start at once.
    local one two three stop exit start
    one=$(grep -nF "procmon: web: health check failed (1/3): exit status 1" "$LOG" | head -1 | cut -d: -f1)
    two=$(grep -nF "procmon: web: health check failed (2/3): exit status 1" "$LOG" | head -1 | cut -d: -f1)
    three=$(grep -nF "procmon: web: health check failed (3/3): exit status 1; restarting" "$LOG" | head -1 | cut -d: -f1)
    stop=$(grep -nF "procmon: web: stopping pid $pid with SIGTERM" "$LOG" | head -1 | cut -d: -f1)
    exit=$(grep -nE "procmon: web: killed by signal 15 \(SIGTERM\) after [0-9.]+s; restarting now$" "$LOG" | head -1 | cut -d: -f1)
    start=$(grep -nF "procmon: web: started, pid " "$LOG" | sed -n 2p | cut -d: -f1)
    [ -n "$one" ]
    [ -n "$two" ]
    [ -n "$three" ]
    [ -n "$stop" ]
    [ -n "$exit" ]
    [ -n "$start" ]
    [ "$one" -lt "$two" ]
    [ "$two" -lt "$three" ]
    [ "$three" -lt "$stop" ]
    [ "$stop" -lt "$exit" ]
    [ "$exit" -lt "$start" ]
    refute grep -E "procmon: web: .*(restarting in|giving up)" "$LOG"
    refute grep -vxE "starting|stopping" "$TMP/states"
}

@test "tcp: healthy while the port answers, unhealthy (1/3) and restarted once it is closed" {
    tcp_listener
    config <<EOF2
[program:web]
command = $CHILD sleep
startsecs = 0
healthcheck = tcp:127.0.0.1:$PORT
healthcheck_interval = 0.5
EOF2
    start_daemon
    expect_log "procmon: web: healthy (connected)"
    wait_for "$DEADLINE" status_matches web "^web +running +pid [0-9]+, uptime [0-9:]+, healthy$"
    json_check web 'p["health"] == "healthy" and p["health_failures"] == 0 and p["health_retries"] == 3'
    local pid
    pid=$(pid_of web)
    kill "$LISTENER"
    wait "$LISTENER" || true
    expect_log "procmon: web: health check failed (1/3): connect: Connection refused"
    # The count goes round (1/3, 2/3, a restart, 1/3 ...), each for half a
    # second: each is seen.
    wait_for "$DEADLINE" status_matches web ", unhealthy \(1/3\)$"
    wait_for "$DEADLINE" status_matches web ", unhealthy \(2/3\)$"
    expect_log "procmon: web: health check failed (3/3): connect: Connection refused; restarting"
    wait_for "$DEADLINE" log_count_at_least "procmon: web: started, pid" 2
    not_alive "$pid"
    json_unhealthy() {
        ctl status --json web | python3 -c '
import json, sys
p = json.load(sys.stdin)[0]
sys.exit(not (p["health"] == "unhealthy" and p["health_failures"] in (1, 2, 3)))'
    }
    wait_for "$DEADLINE" json_unhealthy
}

@test "http: a 200 is healthy, a 404 is not" {
    mkdir "$TMP/www"
    echo ok > "$TMP/www/ok.txt"
    python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$TMP/www" > "$TMP/http.out" 2>/dev/null &
    SERVERS+=($!)
    wait_for "$DEADLINE" grep -q "port [0-9]" "$TMP/http.out"
    local port
    port=$(sed -nE 's/.* port ([0-9]+) .*/\1/p' "$TMP/http.out" | head -1)
    config <<EOF2
[program:ok]
command = $CHILD sleep
startsecs = 0
healthcheck = http://127.0.0.1:$port/ok.txt
healthcheck_interval = 0.1
[program:root]
command = $CHILD sleep
startsecs = 0
healthcheck = http://127.0.0.1:$port
healthcheck_interval = 0.1
[program:missing]
command = $CHILD sleep
startsecs = 0
healthcheck = http://127.0.0.1:$port/missing.txt
healthcheck_interval = 0.1
healthcheck_retries = 50
EOF2
    start_daemon
    expect_log "procmon: ok: healthy (HTTP 200)"
    expect_log "procmon: root: healthy (HTTP 200)"
    expect_log "procmon: missing: health check failed (1/50): HTTP 404"
    wait_for "$DEADLINE" status_matches ok ", healthy$"
    wait_for "$DEADLINE" status_matches missing ", unhealthy \([0-9]+/50\)$"
    json_check missing 'p["health"] == "unhealthy" and p["health_failures"] >= 1 and p["health_retries"] == 50'
    refute log_has "procmon: missing: healthy"
    refute log_has "procmon: ok: health check failed"
}

@test "http over a unix socket (http://unix:PATH:/path), and unix:" {
    python3 - "$TMP/app.sock" <<'PY' &
import http.server, os, socketserver, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *args):
        pass
socketserver.UnixStreamServer(sys.argv[1], Handler).serve_forever()
PY
    SERVERS+=($!)
    wait_for "$DEADLINE" test -S "$TMP/app.sock"
    config <<EOF2
[program:good]
command = $CHILD sleep
startsecs = 0
healthcheck = http://unix:$TMP/app.sock:/health
healthcheck_interval = 0.1
[program:bad]
command = $CHILD sleep
startsecs = 0
healthcheck = http://unix:$TMP/app.sock:/other
healthcheck_interval = 0.1
healthcheck_retries = 50
[program:plain]
command = $CHILD sleep
startsecs = 0
healthcheck = unix:$TMP/app.sock
healthcheck_interval = 0.1
[program:nobody]
command = $CHILD sleep
startsecs = 0
healthcheck = unix:$TMP/none.sock
healthcheck_interval = 0.1
healthcheck_retries = 50
EOF2
    start_daemon
    expect_log "procmon: good: healthy (HTTP 200)"
    expect_log "procmon: bad: health check failed (1/50): HTTP 503"
    expect_log "procmon: plain: healthy (connected)"
    expect_log "procmon: nobody: health check failed (1/50): connect: No such file or directory"
    wait_for "$DEADLINE" status_matches good ", healthy$"
    wait_for "$DEADLINE" status_matches bad ", unhealthy \([0-9]+/50\)$"
    refute log_has "procmon: good: health check failed"
    refute log_has "procmon: bad: healthy"
}

@test "failures within healthcheck_start_period do not count" {
    # Each try of the check adds a line to tries, and fails.
    config <<EOF2
[program:web]
command = $CHILD sleep
startsecs = 0
healthcheck = exec:echo try >> $TMP/tries; exit 1
healthcheck_interval = 0.1
healthcheck_start_period = 1.5
healthcheck_retries = 50
EOF2
    start_daemon
    expect_log "procmon: web: health check failed (1/50): exit status 1"
    # Checks ran during the period, and were neither logged nor counted.
    [ "$(wc -l < "$TMP/tries")" -ge 2 ]
    local started failed
    started=$(line_seconds "$(grep -F "procmon: web: started, pid" "$LOG" | head -1)")
    failed=$(line_seconds "$(grep -F "procmon: web: health check failed" "$LOG" | head -1)")
    # The period counts from the spawn, a little before the started line:
    # well above the 0.1 s a check counted at once would take.
    awk -v s="$started" -v f="$failed" 'BEGIN { if (f < s) f += 86400; exit !(f - s >= 1.0) }'
    refute log_has "procmon: web: healthy"
}

@test "a check that does not answer in healthcheck_timeout fails" {
    config <<EOF2
[program:web]
command = $CHILD sleep
startsecs = 0
healthcheck = exec:sleep 60
healthcheck_interval = 0.1
healthcheck_timeout = 0.2
healthcheck_retries = 50
EOF2
    start_daemon
    expect_log "procmon: web: health check failed (1/50): timed out after 0.2s"
    expect_log "procmon: web: health check failed (2/50): timed out after 0.2s"
}

@test "a program without a healthcheck shows no health" {
    config <<EOF2
[program:plain]
command = $CHILD sleep
startsecs = 0
[program:checked]
command = $CHILD sleep
startsecs = 0
healthcheck = exec:true
healthcheck_interval = 0.1
EOF2
    start_daemon
    expect_log "procmon: checked: healthy (exit status 0)"
    wait_for "$DEADLINE" status_matches checked ", healthy$"
    status_matches plain "^plain +running +pid [0-9]+, uptime [0-9]+:[0-5][0-9]:[0-5][0-9]$"
    json_check plain 'p["health"] is None and p["health_failures"] is None and p["health_retries"] is None'
    json_check checked 'p["health"] == "healthy" and p["health_retries"] == 3'
    refute log_has "procmon: plain: health"
}

@test "check-config refuses health values that cannot work and shows a good one" {
    local line message
    while IFS='|' read -r line message; do
        printf '[program:web]\ncommand = %s sleep\n%s\n' "$CHILD" "$line" > "$TMP/procmon.conf"
        run "$PROCMON" check-config -c "$TMP/procmon.conf" </dev/null
        [ "$status" -eq 2 ]
        [ "$output" = "procmon: $TMP/procmon.conf:3: $message" ]
        run timeout "$DEADLINE" "$PROCMON" run -s "$TMP/s.sock" --log-file "$LOG" -c "$TMP/procmon.conf" </dev/null
        [ "$status" -eq 2 ]
        [ ! -e "$TMP/s.sock" ]
    done <<'EOF2'
healthcheck = https://x/|bad value for healthcheck in [program:web]: 'https://x/' (expected exec:COMMAND, tcp:HOST:PORT, unix:PATH or http://URL)
healthcheck = tcp:nohost|bad value for healthcheck in [program:web]: 'tcp:nohost' ('nohost' is not HOST:PORT)
healthcheck_retries = 0|bad value for healthcheck_retries in [program:web]: '0' (expected a whole number, 1 or more)
EOF2
    config <<EOF2
[program:web]
command = $CHILD sleep
healthcheck = http://unix:$TMP/app.sock:/health
healthcheck_interval = 0.5
healthcheck_timeout = 2
healthcheck_retries = 4
healthcheck_start_period = 3
EOF2
    run "$PROCMON" check-config -c "$TMP/procmon.conf"
    [ "$status" -eq 0 ]
    [[ "$output" == *"
  health     http://unix:$TMP/app.sock:/health (every 0.5s, timeout 2s, 4 retries, start period 3s)
"* ]]
}
