#!/usr/bin/env bats
# depends_on and bind_to with real processes: what waits for what, in which
# order things start and stop, and the config errors.  Order is told by the
# children's own --events records (monotonic times) or by the log's order,
# never by how long something took.

load daemon_helpers

# refute COMMAND...: fails when COMMAND succeeds (a bare `! COMMAND` fails
# no bats test but as its last line).
refute() {
    if "$@"; then
        echo "expected to fail: $*" >&2
        return 1
    fi
}

# The children's --events records, "start PID T", "notify PID T" and
# "exit PID T", all in one file.
eval "helpers_$(declare -f setup)"
setup() {
    helpers_setup
    EVENTS=$TMP/events
}

# event KIND PID: the time of PID's first KIND record (empty if none).
event() { awk -v k="$1" -v p="$2" '$1 == k && $2 == p { print $3; exit }' "$EVENTS" 2>/dev/null; }

# before KIND1 PID1 KIND2 PID2: PID1's KIND1 record came before PID2's KIND2.
before() {
    local a b
    a=$(event "$1" "$2")
    b=$(event "$3" "$4")
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then
        echo "expected '$1 $2' ($a) before '$3 $4' ($b):" >&2
        cat "$EVENTS" >&2 || true
        cat "$LOG" >&2 || true
        return 1
    fi
}

# The 1-based line number in $LOG of the first line holding TEXT after line
# AFTER (0 if not given).
log_line_of() { grep -nF -- "$1" "$LOG" | awk -F: -v after="${2:-0}" '$1 > after { print $1; exit }'; }

# log_order TEXT1 TEXT2 [AFTER]: the first TEXT1 after line AFTER comes before
# the first TEXT2 after it.
log_order() {
    local a b
    a=$(log_line_of "$1" "${3:-0}")
    b=$(log_line_of "$2" "${3:-0}")
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then
        echo "expected '$1' (line $a) before '$2' (line $b) in the log:" >&2
        cat "$LOG" >&2 || true
        return 1
    fi
}

# NAME's state and pid as its status line shows them: no Python, so that
# polling is cheap.  A process without a pid has an empty one.
state_of() { ctl status "$1" | awk '{ print $2 }'; }
pid_of() { ctl status "$1" | sed -nE 's/^[^ ]+ +[a-z]+ +pid ([0-9]+).*/\1/p'; }
# waiting_is NAME TEXT: NAME is held back, waiting for TEXT.
waiting_is() { ctl status "$1" | grep -qE "^$1 +starting  \(waiting for $2\)\$"; }

# A field of NAME's status object, as Python prints it (None, ['db'] ...).
field_of() {
    ctl status --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$2"
}

# A dependency that comes up only when the test says so: it waits for the
# file $TMP/go, then becomes the test child, which sends READY=1 after MS ms
# (same pid: the shell execs it).
gated_notify() {
    cat > "$TMP/gated.sh" <<EOF2
while [ ! -e "$TMP/go" ]; do sleep 0.02; done
exec "$CHILD" --events "$EVENTS" notify ${1:-0}
EOF2
    echo "/bin/sh $TMP/gated.sh"
}

@test "a dependent waits for its dependency's READY=1, shown as waiting for it" {
    config <<EOF2
[program:db]
command = $(gated_notify 400)
ready = notify
startsecs = 0
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = db
startsecs = 0
priority = 1
EOF2
    start_daemon
    expect_log "procmon: db: started, pid"
    # db cannot be ready before the test lets it: web is held back.
    run ctl status web
    [ "$status" -eq 3 ]
    [[ "$output" =~ ^web\ +starting\ \ \(waiting\ for\ db\)$ ]]
    run ctl status --json web
    [ "$status" -eq 3 ]
    python3 -c '
import json, sys
p = json.loads(sys.argv[1])[0]
assert p["state"] == "starting" and p["pid"] is None, p
assert p["waiting_for"] == ["db"] and p["depends_on"] == ["db"], p
' "$output"
    refute log_has "procmon: web: started"
    touch "$TMP/go"
    wait_for "$DEADLINE" state_is web running
    local db web
    db=$(started_pid db)
    web=$(started_pid web)
    before notify "$db" start "$web"
    log_order "procmon: db: ready after" "procmon: web: started"
}

@test "a chain of five starts in order and stops in reverse order" {
    # Priorities against the chain: without dependencies e would start first
    # and stop last.
    local n prio=500 conf=
    for n in a b c d e; do
        conf+="[program:$n]
command = $CHILD --events $EVENTS notify 100
ready = notify
startsecs = 0
priority = $prio
"
        case $n in b) conf+="depends_on = a"$'\n' ;; c) conf+="depends_on = b"$'\n' ;;
            d) conf+="depends_on = c"$'\n' ;; e) conf+="depends_on = d"$'\n' ;; esac
        prio=$((prio - 100))
    done
    config <<<"$conf"
    start_daemon
    wait_for "$DEADLINE" state_is e running
    for n in a b c d; do state_is "$n" running; done
    before notify "$(started_pid a)" start "$(started_pid b)"
    before notify "$(started_pid b)" start "$(started_pid c)"
    before notify "$(started_pid c)" start "$(started_pid d)"
    before notify "$(started_pid d)" start "$(started_pid e)"
    stop_procmon TERM
    # Each one is sent its stop signal only after its dependent has exited.
    log_order "procmon: e: stopping pid" "procmon: d: stopping pid"
    log_order "procmon: e: killed by signal 15" "procmon: d: stopping pid"
    log_order "procmon: d: killed by signal 15" "procmon: c: stopping pid"
    log_order "procmon: c: killed by signal 15" "procmon: b: stopping pid"
    log_order "procmon: b: killed by signal 15" "procmon: a: stopping pid"
    log_order "procmon: a: killed by signal 15" "procmon: every process has stopped; exiting"
}

@test "completed: the dependent starts after the one-shot job exited 0; an exit 1 holds it back" {
    config <<EOF2
[program:job]
command = $CHILD --events $EVENTS live 200 0
autorestart = false
startsecs = 0
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = job:completed
startsecs = 0
priority = 1
[program:bad]
command = $CHILD --events $EVENTS live 200 1
autorestart = false
startsecs = 0
[program:held]
command = $CHILD --events $EVENTS sleep
depends_on = bad:completed
startsecs = 0
priority = 1
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is web running
    state_is job exited
    before exit "$(started_pid job)" start "$(started_pid web)"
    [ "$(log_count "procmon: job: started")" -eq 1 ]
    wait_for "$DEADLINE" state_is bad exited
    ctl status bad | grep -qE '^bad +exited +exit status 1$' 
    # One status answer after another: the loop has turned since bad's exit,
    # and would have spawned held by now had its dependency been met.
    run ctl status held
    [ "$status" -eq 3 ]
    [[ "$output" =~ ^held\ +starting\ \ \(waiting\ for\ bad\)$ ]]
    # A start of it runs bad again, which exits 1 again: the start fails.
    run ctl start held
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: cannot start held: a dependency it waits for gave up" ]
    waiting_is held bad
    refute log_has "procmon: held: started"
}

@test "started: the dependent starts once its dependency is spawned, before it is ready" {
    # web has the lower priority: without the dependency it would start first.
    config <<EOF2
[program:db]
command = $(gated_notify 0)
ready = notify
startsecs = 0
priority = 900
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = db:started
startsecs = 0
priority = 100
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is web running
    # db cannot be ready before the test lets it.
    state_is db starting
    [ -n "$(pid_of db)" ]
    log_order "procmon: db: started, pid" "procmon: web: started, pid"
    [ "$(field_of web depends_on)" = "['db:started']" ]
    touch "$TMP/go"
    wait_for "$DEADLINE" state_is db running
    before start "$(started_pid web)" notify "$(started_pid db)"
}

@test "bind_to: a bound dependent is stopped when its dependency dies and comes back after it" {
    config <<EOF2
[program:db]
command = $CHILD --events $EVENTS notify 300
ready = notify
startsecs = 0
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = db
bind_to = true
startsecs = 0
[program:worker]
command = $CHILD --events $EVENTS sleep
depends_on = db
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is web running
    wait_for "$DEADLINE" state_is worker running
    local db web worker
    db=$(pid_of db)
    web=$(pid_of web)
    worker=$(pid_of worker)
    kill -KILL "$db"
    expect_log "procmon: web: killed by signal 15 (SIGTERM) after"
    grep -q "procmon: web: killed by signal 15 (SIGTERM) after [0-9.]*s; waiting for its dependencies$" "$LOG"
    not_alive "$web"
    wait_for "$DEADLINE" log_count_at_least "procmon: web: started, pid" 2
    wait_for "$DEADLINE" state_is web running
    local db2 web2
    db2=$(started_pid db 2)
    web2=$(started_pid web 2)
    [ "$db2" != "$db" ]
    [ "$web2" != "$web" ]
    [ "$(pid_of web)" = "$web2" ]
    before notify "$db2" start "$web2"
    # The unbound dependent was left alone.
    [ "$(pid_of worker)" = "$worker" ]
    kill -0 "$worker"
    [ "$(log_count "procmon: worker: started")" -eq 1 ]
    refute log_has "procmon: worker: stopping"
}

@test "start brings up a stopped dependency first; stop leaves it; stop all stops the dependent first" {
    # Priorities against the dependency: without it web would start first and
    # stop last.
    config <<EOF2
[program:db]
command = $CHILD --events $EVENTS notify 200
ready = notify
startsecs = 0
autostart = false
priority = 900
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = db
startsecs = 0
autostart = false
priority = 100
EOF2
    start_daemon
    state_is db stopped
    state_is web stopped
    run ctl start web
    [ "$status" -eq 0 ]
    state_is db running
    state_is web running
    local db
    db=$(pid_of db)
    before notify "$db" start "$(pid_of web)"
    run ctl stop web
    [ "$status" -eq 0 ]
    state_is web stopped
    state_is db running
    [ "$(pid_of db)" = "$db" ]
    # A dependency that is up is not started again.
    run ctl start web
    [ "$status" -eq 0 ]
    [ "$(pid_of db)" = "$db" ]
    [ "$(log_count "procmon: db: started")" -eq 1 ]
    local mark
    mark=$(wc -l < "$LOG")
    run ctl stop all
    [ "$status" -eq 0 ]
    state_is db stopped
    state_is web stopped
    log_order "procmon: web: killed by signal 15" "procmon: db: stopping pid" "$mark"
}

@test "a cycle and an unknown name are refused by check-config and run; check-config shows the dependencies" {
    config <<EOF2
[program:db]
command = $CHILD --events $EVENTS sleep
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = api
[program:api]
command = $CHILD --events $EVENTS sleep
depends_on = db, web:started
EOF2
    local cycle="procmon: $TMP/procmon.conf:5: dependency cycle: web -> api -> web"
    run "$PROCMON" check-config -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "$cycle" ]
    # Bounded: a run that took the file would go on supervising.
    run timeout "$DEADLINE" "$PROCMON" run -s "$TMP/s.sock" --log-file "$LOG" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "$cycle" ]
    [ ! -e "$TMP/s.sock" ]
    [ ! -e "$EVENTS" ]

    config <<EOF2
[program:web]
command = $CHILD --events $EVENTS sleep
depends_on = db:completed
EOF2
    local unknown="procmon: $TMP/procmon.conf:3: web depends on 'db', which is not a program"
    run "$PROCMON" check-config -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "$unknown" ]
    run timeout "$DEADLINE" "$PROCMON" run -s "$TMP/s.sock" --log-file "$LOG" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "$unknown" ]
    [ ! -e "$TMP/s.sock" ]
    [ ! -e "$EVENTS" ]

    config <<EOF2
[program:db]
command = $CHILD sleep
[program:job]
command = $CHILD exit 0
[program:cache]
command = $CHILD sleep
[program:web]
command = $CHILD sleep
depends_on = db, job:completed, cache:started
[program:api]
command = $CHILD sleep
depends_on = db:ready
bind_to = true
EOF2
    run "$PROCMON" check-config -c "$TMP/procmon.conf"
    [ "$status" -eq 0 ]
    # The block of each program, its depends on lines in the order written.
    local web api
    web=$(sed -n '/^program web /,/^$/p' <<<"$output" | grep 'depends on')
    api=$(sed -n '/^program api /,/^$/p' <<<"$output" | grep 'depends on')
    [ "$web" = "  depends on db (ready)
  depends on job (completed)
  depends on cache (started)" ]
    [ "$api" = "  depends on db (ready), bound" ]
    [ "$(grep -c 'depends on' <<<"$output")" -eq 4 ]
}

@test "reload: a new depends_on restarts the program, which waits for the new dependency" {
    config <<EOF2
[program:db]
command = $(gated_notify 0)
ready = notify
startsecs = 0
[program:web]
command = $CHILD --events $EVENTS sleep
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is web running
    local web db
    web=$(pid_of web)
    db=$(pid_of db)
    config <<EOF2
[program:db]
command = $(gated_notify 0)
ready = notify
startsecs = 0
[program:web]
command = $CHILD --events $EVENTS sleep
startsecs = 0
depends_on = db
EOF2
    run ctl reload
    [ "$status" -eq 0 ]
    [ "$output" = "web: changed" ]
    wait_for "$DEADLINE" not_alive "$web"
    # db cannot be ready before the test lets it: web is held back.
    wait_for "$DEADLINE" waiting_is web db
    [ "$(field_of web depends_on)" = "['db']" ]
    [ "$(pid_of db)" = "$db" ]
    touch "$TMP/go"
    wait_for "$DEADLINE" state_is web running
    local web2
    web2=$(started_pid web 2)
    [ -n "$web2" ]
    [ "$web2" != "$web" ]
    [ "$(pid_of web)" = "$web2" ]
    before notify "$db" start "$web2"
}
