#!/usr/bin/env bats
# [eventlistener:x]: supervisord's event listener protocol, with a
# listener that speaks it by hand (tests/cli/listeners/record.py) and one
# written with supervisord's own childutils.

load daemon_helpers

LISTENERS=$BATS_TEST_DIRNAME/listeners

# events: the recorded lines, without the serials and pids that vary.
events() { sed -E 's/ [0-9]+ (OK|FAIL) \|/ N \1 |/; s/pid:[0-9]+/pid:P/g; s/when:[0-9]+/when:T/' "$TMP/events"; }
recorded() { grep -qF -- "$1" "$TMP/events" 2>/dev/null; }

@test "a listener gets process state events in order, each OK'd once; a crash loop ends FATAL" {
    config <<EOF2
[eventlistener:watch]
command = python3 $LISTENERS/record.py $TMP/events
events = PROCESS_STATE
[program:crash]
command = $CHILD exit 3
startretries = 1
[program:job]
command = $CHILD exit 0
startsecs = 0
autorestart = false
EOF2
    start_daemon
    wait_for "$DEADLINE" recorded "PROCESS_STATE_FATAL watch"
    wait_for "$DEADLINE" recorded "PROCESS_STATE_EXITED watch"
    events
    # The listener's own start came before it ran, and waited in the buffer.
    events | grep -qxF "PROCESS_STATE_STARTING watch N OK | processname:watch groupname:watch from_state:STOPPED tries:0"
    events | grep -qxF "PROCESS_STATE_EXITED watch N OK | processname:job groupname:job from_state:RUNNING expected:1 pid:P"
    # crash: STARTING, BACKOFF (tries 1), STARTING again, FATAL, in that order.
    [ "$(events | grep 'processname:crash' | cut -d' ' -f1,8,9)" = "PROCESS_STATE_STARTING from_state:STOPPED tries:0
PROCESS_STATE_BACKOFF from_state:STARTING tries:1
PROCESS_STATE_STARTING from_state:BACKOFF tries:1
PROCESS_STATE_FATAL from_state:STARTING" ]
    # Pool serials count up by one from 0, as supervisord's.
    [ "$(cut -d' ' -f3 "$TMP/events" | tr '\n' ' ')" = "$(seq -s ' ' 0 "$(($(wc -l < "$TMP/events") - 1))") " ]
    # The protocol is not logged as the listener's output.
    ! log_has "[watch] READY"
}

@test "a rejected event is sent again; a full buffer drops the oldest, saying so; types not asked for are not sent" {
    config <<EOF2
[eventlistener:picky]
command = python3 $LISTENERS/record.py $TMP/events --fail PROCESS_STATE_RUNNING
events = PROCESS_STATE_RUNNING, PROCESS_GROUP_ADDED
buffer_size = 2
startsecs = 0
[program:a]
command = $CHILD sleep
startsecs = 0
[program:b]
command = $CHILD sleep
startsecs = 0
[program:c]
command = $CHILD sleep
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" log_has "pool picky event buffer overflowed, discarding event"
    wait_for "$DEADLINE" sh -c "grep -q 'RUNNING.* OK ' '$TMP/events' 2>/dev/null"
    events
    # The first RUNNING was refused, then came again and was taken.
    local first
    first=$(grep -m1 PROCESS_STATE_RUNNING "$TMP/events" | sed -E 's/.*\| //')
    grep -F "| $first" "$TMP/events" | grep -q " FAIL "
    grep -F "| $first" "$TMP/events" | grep -q " OK "
    log_has "picky: event was rejected"
    ! grep -q PROCESS_STATE_STARTING "$TMP/events"
}

@test "TICK_5 comes at each 5-second boundary, REMOTE_COMMUNICATION from XML-RPC, PROCESS_LOG with stdout_events_enabled" {
    config <<EOF2
[unix_http_server]
file = $TMP/sup.sock
[eventlistener:all]
command = python3 $LISTENERS/record.py $TMP/events
events = TICK_5, REMOTE_COMMUNICATION, PROCESS_LOG, SUPERVISOR_STATE_CHANGE
startsecs = 0
[program:talk]
command = sh -c 'sleep 1; echo said-this; echo and-that >&2; exec sleep 1000'
startsecs = 0
stdout_events_enabled = true
stderr_events_enabled = true
EOF2
    start_daemon
    wait_for "$DEADLINE" recorded "TICK_5"
    python3 - "$TMP/sup.sock" <<'PY'
import sys, xmlrpc.client
from unix_http import rpc
s = rpc(sys.argv[1])
assert s.supervisor.sendRemoteCommEvent("deploy", "v2 is out") is True
PY
    wait_for "$DEADLINE" recorded "REMOTE_COMMUNICATION"
    wait_for "$DEADLINE" recorded "PROCESS_LOG_STDERR"
    events
    events | grep -qxF "SUPERVISOR_STATE_CHANGE_RUNNING all N OK | "
    events | grep -qxF "REMOTE_COMMUNICATION all N OK | type:deploy\\nv2 is out"
    events | grep -qxF "PROCESS_LOG_STDOUT all N OK | processname:talk groupname:talk pid:P channel:stdout\\nsaid-this\\n"
    events | grep -qxF "PROCESS_LOG_STDERR all N OK | processname:talk groupname:talk pid:P channel:stderr\\nand-that\\n"
    # when: a multiple of 5, the boundary just passed
    local when
    when=$(grep -m1 TICK_5 "$TMP/events" | sed -E 's/.*when://')
    [ $((when % 5)) -eq 0 ]
    [ "$(date +%s)" -ge "$when" ]
}

@test "no listener for TICK: no timer wakes procmon for it" {
    config <<EOF2
[eventlistener:states]
command = python3 $LISTENERS/record.py $TMP/events
events = PROCESS_STATE
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" recorded "PROCESS_STATE_RUNNING states"
    # Once what the start set going (the state file, the listener's answer)
    # is done, its event loop sleeps: no wake-up over 6 s, where a TICK_5
    # timer would make at least one.
    wakeups() { awk '/voluntary_ctxt_switches/ && !/non/ {print $2}' "/proc/$PM_PID/status"; }
    settled() { local a; a=$(wakeups); sleep 1; [ "$(wakeups)" = "$a" ]; }
    wait_for "$DEADLINE" settled
    local before after
    before=$(wakeups)
    sleep 6
    after=$(wakeups)
    echo "wake-ups: $before -> $after"
    [ $((after - before)) -eq 0 ]
}

@test "supervisord's childutils listener stops everything when a program goes FATAL, through SUPERVISOR_SERVER_URL" {
    /usr/bin/python3 -c 'import supervisor.childutils' 2>/dev/null || skip "supervisor's Python package is not installed"
    config <<EOF2
[unix_http_server]
file = $TMP/sup.sock
[eventlistener:fatal]
command = /usr/bin/python3 $LISTENERS/fatal_shutdown.py $TMP/seen
events = PROCESS_STATE_FATAL, PROCESS_STATE_RUNNING
[program:web]
command = $CHILD sleep
startsecs = 0
[program:broken]
command = $CHILD exit 1
startretries = 2
startsecs = 1
EOF2
    start_daemon
    local st=0
    wait_for "$DEADLINE" not_alive "$PM_PID"
    wait "$PM_PID" || st=$?
    PM_PID=
    cat "$TMP/seen"
    [ "$st" -eq 0 ]
    grep -qx "PROCESS_STATE_FATAL broken STARTING" "$TMP/seen"
    grep -qx "PROCESS_STATE_RUNNING web STARTING" "$TMP/seen"
    log_has "shutdown asked for over XML-RPC"
}

@test "a listener that dies holding an event is restarted like any program, and gets that event again" {
    config <<EOF2
[eventlistener:once]
command = sh -c 'if [ -e $TMP/died ]; then exec python3 $LISTENERS/record.py $TMP/events; fi; echo READY; read header; touch $TMP/died; exit 1'
events = PROCESS_GROUP_ADDED
startsecs = 0
[program:a]
command = $CHILD sleep
EOF2
    start_daemon
    wait_for "$DEADLINE" recorded "PROCESS_GROUP_ADDED"
    events
    [ -e "$TMP/died" ]
    log_has "once: exited with status 1"
    # What the first run took and never answered came to the second.
    events | grep -qxF "PROCESS_GROUP_ADDED once N OK | groupname:once\\n"
    events | grep -qxF "PROCESS_GROUP_ADDED once N OK | groupname:a\\n"
}

@test "reload: a listener whose events changed is replaced by a listener that takes the new ones" {
    config <<EOF2
[eventlistener:watch]
command = python3 $LISTENERS/record.py $TMP/events
events = TICK_3600
startsecs = 0
[program:a]
command = $CHILD sleep
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is watch running
    sed -i 's/^events = TICK_3600$/events = PROCESS_STATE_STOPPED/' "$TMP/procmon.conf"
    run ctl reload
    [ "$status" -eq 0 ]
    [[ "$output" == *watch* ]] # changed
    wait_for "$DEADLINE" state_is watch running
    ctl stop a
    wait_for "$DEADLINE" recorded "PROCESS_STATE_STOPPED watch"
    events | grep -qxF "PROCESS_STATE_STOPPED watch N OK | processname:a groupname:a from_state:STOPPING pid:P"
    # its protocol is still not logged as output
    ! log_has "[watch] READY"
}
