#!/usr/bin/env bats
# `procmon run -s SOCK -c FILE`: the real binary driven by a config file, the
# supervisord-style keys of a [program:x] section and the [procmon] settings.

load daemon_helpers

# Writes $TMP/NAME from standard input (scripts for the children).
write_script() { cat > "$TMP/$1"; }

# The 1-based line number in $LOG of the first line holding TEXT (after
# line AFTER, if given).
log_line_of() { grep -nF -- "$1" "$LOG" | awk -F: -v after="${2:-0}" '$1 > after { print $1; exit }'; }

# The [NAME] output lines in $LOG, without the timestamp and the tag.
output_of() { grep -F " [$1] " "$LOG" | sed "s/^[^ ]* \[$1\] //"; }

# True once the line TEXT is in $LOG as NAME's output or in FILE.
output_somewhere() {
    log_has "[$1] $2" || grep -qxF -- "$2" "$3" 2>/dev/null
}

@test "a typical supervisord.conf starts its programs and only warns, naming file and line" {
    mkdir -p "$TMP/conf.d" "$TMP/logs"
    config <<EOF2
; supervisor config file, as the Debian package ships it, with two programs

[unix_http_server]
file=$TMP/supervisor.sock   ; (the path to the socket file)
chmod=0700                       ; socket file mode (default 0700)

[supervisord]
logfile=$TMP/logs/supervisord.log ; (main log file;default \$CWD/supervisord.log)
pidfile=$TMP/supervisord.pid ; (supervisord pidfile;default supervisord.pid)
childlogdir=$TMP/logs            ; ('AUTO' child log dir, default \$TEMP)
nodaemon=true

; the below section must remain in the config file for RPC
; (supervisorctl/web interface) to work, additional interfaces may be
; added by defining them in separate rpcinterface: sections
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$TMP/supervisor.sock ; use a unix:// URL  for a unix socket

; The [include] section can just contain the "files" setting.  This
; setting can list multiple files (separated by whitespace or
; newlines).  It can also contain wildcards.
[include]
files = conf.d/*.conf

[program:web]
command=$CHILD sleep
directory=$TMP
autostart=true
autorestart=true
startsecs=1
stdout_logfile=$TMP/logs/web.log
redirect_stderr=true

[program:worker]
command=$CHILD sleep
autostart=true
autorestart=unexpected
stopwaitsecs=5
stdout_logfile=$TMP/logs/worker.out.log
stderr_logfile=$TMP/logs/worker.err.log
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is web running
    wait_for "$DEADLINE" state_is worker running
    # Whether or not procmon honours stdout_logfile yet, the output arrives.
    wait_for "$DEADLINE" output_somewhere web ready "$TMP/logs/web.log"
    wait_for "$DEADLINE" output_somewhere worker ready "$TMP/logs/worker.out.log"
    run ctl status
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^web\ +running\ +pid\ [0-9]+ ]]
    [[ "${lines[1]}" =~ ^worker\ +running\ +pid\ [0-9]+ ]]

    # stderr holds warnings only: one for each thing that procmon does not
    # support, each naming the file and a line that shows that thing.
    python3 - "$TMP/procmon.conf" "$TMP/stderr" <<'PY'
import re, sys
conf, err = sys.argv[1], sys.argv[2]
lines = open(conf).read().split("\n")
warnings = open(err).read().splitlines()
assert warnings, "no warnings at all"
assert len(set(warnings)) == len(warnings), "a warning is repeated:\n" + "\n".join(warnings)
# The section each line belongs to.
section, section_of = None, {}
for n, text in enumerate(lines, 1):
    m = re.match(r"\s*\[([^]]+)\]", text)
    if m:
        section = m.group(1)
    section_of[n] = section
warned_lines, warned_sections = set(), set()
for w in warnings:
    m = re.fullmatch(re.escape("procmon: warning: " + conf) + r":(\d+): (.+)", w)
    assert m, "not a warning naming %s:LINE: %r" % (conf, w)
    n, message = int(m.group(1)), m.group(2)
    assert 1 <= n <= len(lines), w
    assert n not in warned_lines, "two warnings for line %d:\n%s" % (n, "\n".join(warnings))
    warned_lines.add(n)
    text = lines[n - 1].strip()
    header = re.match(r"\[([^]]+)\]", text)
    if header:
        assert "[%s]" % header.group(1) in message, "line %d is %r, but the warning says %r" % (n, text, message)
    else:
        key = re.split(r"\s*[=:]", text, 1)[0]
        value = re.split(r"[=:]\s*", text, 1)[1].split(" ;")[0].strip()
        assert key in message or value in message, "line %d is %r, but the warning says %r" % (n, text, message)
    warned_sections.add(section_of[n])
# What procmon cannot honour is warned about, in its section...
for s in ("include",):
    assert s in warned_sections, "nothing warns about [%s]:\n%s" % (s, "\n".join(warnings))
# ...and what it knows is not: nodaemon (accepted silently) and the keys
# that procmon implements.
for n, text in enumerate(lines, 1):
    key = re.split(r"\s*[=:]", text.strip(), 1)[0]
    if key in ("nodaemon", "command", "directory", "autostart", "autorestart", "startsecs", "stopwaitsecs"):
        assert n not in warned_lines, "line %d (%s) is warned about" % (n, text)
PY

    # The status stays running: no restarts, procmon alive, past startsecs.
    local web worker end=$((SECONDS + 2))
    web=$(pid_of web)
    worker=$(pid_of worker)
    while [ "$SECONDS" -lt "$end" ]; do
        kill -0 "$PM_PID"
        [ "$(pid_of web)" = "$web" ]
        [ "$(pid_of worker)" = "$worker" ]
        sleep 0.2
    done
    run ctl status
    [ "$status" -eq 0 ]
    stop_procmon
}

@test "numprocs with process_name makes worker_00 .. worker_02, each running" {
    config <<EOF2
[program:worker]
command = $CHILD sleep
numprocs = 3
process_name = %(program_name)s_%(process_num)02d
EOF2
    start_daemon
    for n in 00 01 02; do
        wait_for "$DEADLINE" state_is "worker_$n" running
    done
    run ctl status
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" =~ ^worker_00\ +running\ +pid\ [0-9]+ ]]
    [[ "${lines[1]}" =~ ^worker_01\ +running\ +pid\ [0-9]+ ]]
    [[ "${lines[2]}" =~ ^worker_02\ +running\ +pid\ [0-9]+ ]]
    # Three different processes, each addressed by its own name.
    [ "$(for n in 00 01 02; do pid_of "worker_$n"; done | sort -u | wc -l)" -eq 3 ]
    run ctl stop worker_01
    [ "$status" -eq 0 ]
    state_is worker_01 stopped
    state_is worker_00 running
    state_is worker_02 running
    run ctl status worker_00 worker_02
    [ "$status" -eq 0 ]
}

@test "priority: lower starts first; on shutdown higher stops first, each tier after the last has exited" {
    # Traps TERM and takes 0.3 s to exit, so a tier that waits shows it.
    write_script slowstop.sh <<'EOF2'
trap 'sleep 0.3; echo "done"; exit 0' TERM
echo ready
while :; do sleep 0.1; done
EOF2
    # Neither the file's order nor the names' order is the priority order.
    config <<EOF2
[program:alpha]
command = /bin/sh $TMP/slowstop.sh
priority = 900
[program:mid1]
command = /bin/sh $TMP/slowstop.sh
priority = 500
[program:zeta]
command = /bin/sh $TMP/slowstop.sh
priority = 100
[program:mid2]
command = /bin/sh $TMP/slowstop.sh
priority = 500
EOF2
    start_daemon
    for name in alpha mid1 mid2 zeta; do
        expect_log "[$name] ready"
    done
    local zeta mid1 mid2 alpha
    zeta=$(log_line_of "procmon: zeta: started")
    mid1=$(log_line_of "procmon: mid1: started")
    mid2=$(log_line_of "procmon: mid2: started")
    alpha=$(log_line_of "procmon: alpha: started")
    [ "$zeta" -lt "$mid1" ] && [ "$zeta" -lt "$mid2" ]
    [ "$mid1" -lt "$alpha" ] && [ "$mid2" -lt "$alpha" ]

    run ctl shutdown
    [ "$status" -eq 0 ]
    local st=0
    wait "$PM_PID" || st=$?
    PM_PID=
    [ "$st" -eq 0 ]
    # The order of the stop signals: 900, then both 500s, then 100.
    local stops
    stops=$(grep -F "stopping pid" "$LOG" | sed -E 's/.*procmon: ([a-z0-9]+): stopping pid.*/\1/' | tr '\n' ' ')
    [[ "$stops" == "alpha mid1 mid2 zeta " || "$stops" == "alpha mid2 mid1 zeta " ]] || {
        echo "stop order: $stops" >&2
        cat "$LOG" >&2
        false
    }
    # Each tier is signalled only after the one before has exited.
    local alpha_exit mid1_exit mid2_exit
    alpha_exit=$(log_line_of "procmon: alpha: exited with status 0")
    mid1_exit=$(log_line_of "procmon: mid1: exited with status 0")
    mid2_exit=$(log_line_of "procmon: mid2: exited with status 0")
    [ "$alpha_exit" -lt "$(log_line_of "procmon: mid1: stopping pid")" ]
    [ "$alpha_exit" -lt "$(log_line_of "procmon: mid2: stopping pid")" ]
    [ "$mid1_exit" -lt "$(log_line_of "procmon: zeta: stopping pid")" ]
    [ "$mid2_exit" -lt "$(log_line_of "procmon: zeta: stopping pid")" ]
    # Both 500s stop together, not one after the other: each is signalled
    # before the other has exited (their traps take 0.3 s).
    [ "$(log_line_of "procmon: mid2: stopping pid")" -lt "$mid1_exit" ]
    [ "$(log_line_of "procmon: mid1: stopping pid")" -lt "$mid2_exit" ]
    # Each tier waits its 0.3 s.
    local t_alpha t_mid1 t_mid2 t_zeta
    t_alpha=$(line_seconds "$(grep -F "procmon: alpha: stopping pid" "$LOG")")
    t_mid1=$(line_seconds "$(grep -F "procmon: mid1: stopping pid" "$LOG")")
    t_mid2=$(line_seconds "$(grep -F "procmon: mid2: stopping pid" "$LOG")")
    t_zeta=$(line_seconds "$(grep -F "procmon: zeta: stopping pid" "$LOG")")
    awk -v a="$t_alpha" -v m1="$t_mid1" -v m2="$t_mid2" -v z="$t_zeta" 'BEGIN {
        m = m1 > m2 ? m1 : m2
        if (m - a < 0.29 || z - m < 0.29) { printf "gaps %.3f %.3f\n", m - a, z - m; exit 1 }
    }'
    # Every one finished its trap: nothing was cut short by the shutdown.
    for name in alpha mid1 mid2 zeta; do
        [ "$(log_count "[$name] done")" -eq 1 ]
    done
}

@test "autorestart=false leaves an exited process; autorestart=unexpected follows exitcodes" {
    # autorestart decides only about a process that was running: threshold
    # = 0 makes each one running from its spawn, so that each exit here is
    # a running process's, however quickly it comes, never a failed start
    # (which backs off whatever autorestart says).  unexpected lives a
    # little, so that its restarts at once are not a busy loop.
    config <<EOF2
[procmon]
threshold = 0
min_restart_delay = 0.1
max_restart_delay = 0.1
[program:once]
command = $CHILD exit 5
autorestart = false
[program:expected]
command = $CHILD exit 3
autorestart = unexpected
exitcodes = 0,3
[program:unexpected]
command = $CHILD live 100 1
autorestart = unexpected
exitcodes = 0,3
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is once exited
    wait_for "$DEADLINE" state_is expected exited
    expect_log "procmon: once: exited with status 5 after"
    grep -q "procmon: once: exited with status 5 after [0-9.]*s; not restarting" "$LOG"
    grep -q "procmon: expected: exited with status 3 after [0-9.]*s; not restarting" "$LOG"
    # exit 1 is not in exitcodes: restarted (at once: it was running), again and again.
    wait_for "$DEADLINE" log_count_at_least "procmon: unexpected: started" 3
    grep -q "procmon: unexpected: exited with status 1 after [0-9.]*s; restarting now" "$LOG"
    ! grep -q "procmon: unexpected: exited with status 1 after [0-9.]*s; restarting in" "$LOG"
    # Meanwhile the other two had every chance to restart, and did not.
    [ "$(log_count "procmon: once: started")" -eq 1 ]
    [ "$(log_count "procmon: expected: started")" -eq 1 ]
    state_is once exited
    state_is expected exited
    run ctl status once expected
    [ "$status" -eq 3 ]
    [[ "${lines[0]}" =~ ^expected\ +exited\ +exit\ status\ 3$ ]]
    [[ "${lines[1]}" =~ ^once\ +exited\ +exit\ status\ 5$ ]]
    # An exited process can be started again.
    run ctl start once
    [ "$status" -eq 0 ]
    wait_for "$DEADLINE" log_count_at_least "procmon: once: started" 2
}

@test "startretries=2: after 3 failed starts the process is fatal; start brings it back" {
    config <<EOF2
[procmon]
threshold = 30 ; far above any run here, however slowly: each exit is an instant death
min_restart_delay = 0.05
max_restart_delay = 0.1
[program:crash]
command = $CHILD live 300 1
startretries = 2
[program:fine]
command = $CHILD sleep
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is crash fatal
    expect_log "procmon: crash: 3 failed starts in a row; giving up"
    [ "$(log_count "procmon: crash: started")" -eq 3 ]
    grep -q "procmon: crash: exited with status 1 after [0-9.]*s; restarting in 0.05s" "$LOG"
    grep -q "procmon: crash: exited with status 1 after [0-9.]*s; restarting in 0.1s" "$LOG"
    grep -q "procmon: crash: exited with status 1 after [0-9.]*s; giving up" "$LOG"
    # fine is running once past its threshold (the default 1 s).
    wait_for "$DEADLINE" state_is fine running
    run ctl status
    [ "$status" -eq 3 ]
    [[ "${lines[0]}" =~ ^crash\ +fatal\ +exit\ status\ 1$ ]]
    [[ "${lines[1]}" =~ ^fine\ +running ]]
    run ctl status fine
    [ "$status" -eq 0 ]
    # start resets the count: three more tries, then fatal again.
    run ctl start crash
    [ "$status" -eq 0 ]
    [ "$(log_count "procmon: crash: started")" -ge 4 ]
    wait_for "$DEADLINE" log_count_at_least "3 failed starts in a row; giving up" 2
    [ "$(log_count "procmon: crash: started")" -eq 6 ]
    state_is crash fatal
}

@test "environment with quoted commas and quotes, clear_environment, directory, umask" {
    mkdir "$TMP/work"
    # Each program prints and exits at once: threshold = 0 makes each run a
    # running one, which autorestart = false leaves exited (a failed start
    # would be retried, printing again).
    config <<EOF2
[procmon]
threshold = 0
[program:envp]
command = /usr/bin/env
environment = A="x,y",B="it's",C='say "hi"',D=plain
clear_environment = true
autorestart = false
[program:added]
command = /bin/sh -c 'echo "A=\$A HOME=\$HOME"'
environment = A="1, 2"
autorestart = false
[program:where]
command = /bin/pwd
directory = $TMP/work
autorestart = false
[program:mask]
command = /bin/sh -c umask
umask = 027
autorestart = false
EOF2
    start_daemon
    for name in envp added where mask; do
        wait_for "$DEADLINE" state_is "$name" exited
    done
    # Exactly the four variables, nothing inherited.
    [ "$(output_of envp | sort)" = "A=x,y
B=it's
C=say \"hi\"
D=plain" ] || { cat "$LOG" >&2; false; }
    # Without clear_environment, the variables are added to procmon's own.
    [ "$(output_of added)" = "A=1, 2 HOME=$HOME" ]
    [ "$(output_of where)" = "$(cd "$TMP/work" && pwd -P)" ]
    [[ "$(output_of mask)" =~ ^0?027$ ]]
    run ctl status --json where
    [ "$status" -eq 3 ]
    python3 -c '
import json, sys
p = json.loads(sys.argv[1])[0]
assert p["cwd"] == sys.argv[2], p
assert p["argv"] == ["/bin/pwd"], p
' "$output" "$TMP/work"
}

@test "user=nobody runs the child as nobody with its groups" {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    id nobody >/dev/null 2>&1 || skip "no user nobody"
    config <<EOF2
[program:who]
command = /usr/bin/id
user = nobody
autorestart = false
; id exits at once: running from its spawn, so that autorestart = false
; leaves it exited rather than retried as a failed start
startsecs = 0
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is who exited
    [ "$(output_of who)" = "$(id nobody)" ] || { cat "$LOG" >&2; false; }
    run ctl status --json who
    python3 -c '
import json, sys
p = json.loads(sys.argv[1])[0]
assert p["user"] == "nobody", p
' "$output"
}

@test "tail -f follows new lines; tail -n 1000 after 2000 lines gives the last 1000" {
    write_script more.sh <<'EOF2'
i=0
trap 'i=$((i + 1)); echo "more $i"' HUP
echo ready
# The HUP kills sleep too: keep the shell's "Hangup" out of the output.
while :; do sleep 0.05; done 2>/dev/null
EOF2
    config <<EOF2
[program:chatty]
command = /bin/sh $TMP/more.sh
[program:count]
command = /bin/sh -c 'seq 1 2000; exec sleep 1000'
EOF2
    start_daemon
    expect_log "[chatty] ready"
    # Not through ctl: $! must be procmon itself, not a subshell.
    "$PROCMON" -s "$SOCK" tail -f chatty > "$TMP/follow" 2> "$TMP/follow.err" 3>&- &
    local follower=$!
    wait_for "$DEADLINE" grep -qxF ready "$TMP/follow"
    run ctl signal HUP chatty
    [ "$status" -eq 0 ]
    wait_for "$DEADLINE" grep -qxF "more 1" "$TMP/follow"
    run ctl signal HUP chatty
    wait_for "$DEADLINE" grep -qxF "more 2" "$TMP/follow"
    [ "$(cat "$TMP/follow")" = "ready
more 1
more 2" ]
    kill -0 "$follower"
    # SIGINT ends a follower with 0.
    kill -INT "$follower"
    wait_for "$DEADLINE" not_alive "$follower" || { kill -KILL "$follower"; false; }
    local st=0
    wait "$follower" || st=$?
    [ "$st" -eq 0 ] || { cat "$TMP/follow.err" >&2; false; }
    # The daemon carries on without it.
    run ctl signal HUP chatty
    expect_log "[chatty] more 3"
    wait_for "$DEADLINE" state_is count running
    run ctl status
    [ "$status" -eq 0 ]

    expect_log "[count] 2000"
    run ctl tail -n 1000 count
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1000 ]
    [ "${lines[0]}" = 1001 ]
    [ "${lines[999]}" = 2000 ]
    [ "$(printf '%s\n' "${lines[@]}")" = "$(seq 1001 2000)" ]
}

@test "[procmon] settings apply, and the command line wins over them" {
    config <<EOF2
[procmon]
threshold = 30
min_restart_delay = 0.3
max_restart_delay = 10
[program:short]
command = $CHILD live 1200 1
EOF2
    # A run of 1.2 s (and more on a slow machine) is an instant death under
    # threshold = 30, not under the default 1 or 0.5.
    start_daemon
    expect_log "procmon: short: exited with status 1 after "
    grep -qE "procmon: short: exited with status 1 after [0-9.]+s; restarting in 0.3s" "$LOG" || {
        cat "$LOG" >&2
        false
    }
    stop_procmon
    : > "$LOG"
    start_daemon --min-restart-delay 0.2
    expect_log "procmon: short: exited with status 1 after "
    grep -qE "procmon: short: exited with status 1 after [0-9.]+s; restarting in 0.2s" "$LOG"
    stop_procmon
    : > "$LOG"
    start_daemon --threshold 0.5
    expect_log "procmon: short: exited with status 1 after "
    grep -qE "procmon: short: exited with status 1 after [0-9.]+s; restarting now" "$LOG"
}

@test "stop all stops everything and status exits 3; start all starts everything" {
    config <<EOF2
[program:alpha]
command = $CHILD sleep
[program:beta]
command = $CHILD sleep
[program:lazy]
command = $CHILD sleep
autostart = false
EOF2
    start_daemon
    expect_log "[alpha] ready"
    expect_log "[beta] ready"
    state_is lazy stopped
    run ctl status
    [ "$status" -eq 3 ]
    [[ "${lines[2]}" =~ ^lazy\ +stopped$ ]]
    local alpha beta
    alpha=$(pid_of alpha)
    beta=$(pid_of beta)
    run ctl stop all
    [ "$status" -eq 0 ]
    not_alive "$alpha"
    not_alive "$beta"
    run ctl status
    [ "$status" -eq 3 ]
    [ "${#lines[@]}" -eq 3 ]
    # A stopped process that ran tells how it ended; one that never ran does not.
    [[ "${lines[0]}" =~ ^alpha\ +stopped\ +killed\ by\ SIGTERM$ ]]
    [[ "${lines[1]}" =~ ^beta\ +stopped\ +killed\ by\ SIGTERM$ ]]
    [[ "${lines[2]}" =~ ^lazy\ +stopped$ ]]
    run ctl start all
    [ "$status" -eq 0 ]
    # Started (start answers once each is spawned), running past the threshold.
    for name in alpha beta lazy; do
        [[ "$(state_of "$name")" =~ ^(starting|running)$ ]]
        wait_for "$DEADLINE" state_is "$name" running
    done
    run ctl status
    [ "$status" -eq 0 ]
    [ "$(pid_of alpha)" != "$alpha" ]
}

@test "stop all and start all follow priority, as startup and shutdown do" {
    write_script slowstop.sh <<'EOF2'
trap 'sleep 0.3; echo "done"; exit 0' TERM
echo ready
while :; do sleep 0.1; done
EOF2
    config <<EOF2
[program:alpha]
command = /bin/sh $TMP/slowstop.sh
priority = 900
[program:zeta]
command = /bin/sh $TMP/slowstop.sh
priority = 100
EOF2
    start_daemon
    expect_log "[alpha] ready"
    expect_log "[zeta] ready"
    local from
    from=$(wc -l < "$LOG")
    run ctl stop all
    [ "$status" -eq 0 ]
    # 900 stops first; 100 only once 900 has exited.
    local alpha_exit zeta_stop
    alpha_exit=$(log_line_of "procmon: alpha: exited with status 0" "$from")
    zeta_stop=$(log_line_of "procmon: zeta: stopping pid" "$from")
    [ -n "$alpha_exit" ] && [ -n "$zeta_stop" ]
    [ "$alpha_exit" -lt "$zeta_stop" ] || { cat "$LOG" >&2; false; }
    from=$(wc -l < "$LOG")
    run ctl start all
    [ "$status" -eq 0 ]
    # 100 starts first.
    [ "$(log_line_of "procmon: zeta: started" "$from")" -lt "$(log_line_of "procmon: alpha: started" "$from")" ] || {
        cat "$LOG" >&2
        false
    }
}

@test "stopwaitsecs: SIGKILL after it, and stop returns once gone; stopsignal=INT is sent" {
    write_script trapint.sh <<'EOF2'
trap 'echo "got INT"; exit 0' INT
echo ready
while :; do sleep 0.05; done
EOF2
    config <<EOF2
[program:stubborn]
command = $CHILD ignore-term
stopwaitsecs = 0.5
[program:polite]
command = /bin/sh $TMP/trapint.sh
stopsignal = INT
EOF2
    start_daemon
    expect_log "[stubborn] ready"
    expect_log "[polite] ready"
    local pid
    pid=$(pid_of stubborn)
    local before=$SECONDS
    run ctl stop stubborn
    [ "$status" -eq 0 ]
    not_alive "$pid"
    state_is stubborn stopped
    grep -q "procmon: stubborn: stopping pid $pid with SIGTERM (SIGKILL in 0.5s)" "$LOG"
    grep -q "procmon: stubborn: pid $pid did not stop; sending SIGKILL" "$LOG"
    grep -q "procmon: stubborn: killed by signal 9 (SIGKILL) after .*; stopped" "$LOG"
    local stop kill
    stop=$(line_seconds "$(grep -F "procmon: stubborn: stopping pid" "$LOG")")
    kill=$(line_seconds "$(grep -F "sending SIGKILL" "$LOG")")
    # After stopwaitsecs, not after the default kill time (5 s): the upper
    # bound is what tells the two apart, not a guess at the machine's speed.
    awk -v a="$stop" -v b="$kill" 'BEGIN { exit !(b - a >= 0.49 && b - a < 5) }'

    pid=$(pid_of polite)
    run ctl stop polite
    [ "$status" -eq 0 ]
    not_alive "$pid"
    grep -q "procmon: polite: stopping pid $pid with SIGINT (SIGKILL in 5s)" "$LOG"
    expect_log "[polite] got INT"
    grep -q "procmon: polite: exited with status 0 after .*; stopped" "$LOG"
    ! grep -q "procmon: polite: pid $pid did not stop" "$LOG"
}

@test "a group's member named as its group is shown bare, as supervisorctl shows it; g:*, g:g still name it" {
    config <<EOF2
[group:web]
programs = web,php
[group:cron]
programs = cron
[program:web]
command = $CHILD sleep
[program:php]
command = $CHILD sleep
[program:cron]
command = $CHILD sleep
EOF2
    start_daemon
    for name in web web:php cron; do
        wait_for "$DEADLINE" state_is "$name" running
    done
    run ctl status
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" =~ ^cron\ +running ]]
    [[ "${lines[1]}" =~ ^web\ +running ]]
    [[ "${lines[2]}" =~ ^web:php\ +running ]]
    # supervisord's split_namespec: "web:web" is group web's process web.
    run ctl status web:web
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" =~ ^web\ +running ]]
    run ctl tail web:web
    [ "$status" -eq 0 ]
    run ctl stop 'web:*'
    [ "$status" -eq 0 ]
    state_is web stopped
    state_is web:php stopped
    state_is cron running
    run ctl stop cron:
    [ "$status" -eq 0 ]
    state_is cron stopped
    run ctl start web:web cron
    [ "$status" -eq 0 ]
    wait_for "$DEADLINE" state_is web running
    wait_for "$DEADLINE" state_is cron running
    state_is web:php stopped
    run ctl status web:nope
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: no such process: web:nope" ]
}

@test "a second procmon refused on the same socket leaves the first one's pidfile and AUTO files alone" {
    mkdir "$TMP/logs"
    config <<EOF2
[supervisord]
pidfile = $TMP/procmon.pid
childlogdir = $TMP/logs
[program:a]
command = $CHILD sleep
stdout_logfile = AUTO
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is a running
    [ "$(cat "$TMP/procmon.pid")" = "$PM_PID" ]
    local file
    file=$(ls "$TMP"/logs/a-stdout---procmon-??????.log)
    [ -f "$file" ]
    run "$PROCMON" run -s "$SOCK" --log-file "$TMP/second.log" -c "$TMP/procmon.conf"
    [ "$status" -eq 1 ]
    [[ "$output" == *"$SOCK"* ]]
    [ "$(cat "$TMP/procmon.pid")" = "$PM_PID" ]
    [ -f "$file" ]
    state_is a running
    run ctl shutdown
    [ "$status" -eq 0 ]
    wait_for "$DEADLINE" not_alive "$PM_PID"
    [ ! -e "$TMP/procmon.pid" ]
}

@test "reload reads relative paths from where procmon started, though [supervisord] directory moved it" {
    mkdir -p "$TMP/start/logs" "$TMP/start/clogs" "$TMP/elsewhere/work"
    config <<EOF2
[supervisord]
directory = $TMP/elsewhere
childlogdir = clogs
logfile = logs/procmon.log
[program:a]
command = $CHILD sleep
directory = work
stdout_logfile = logs/a.log
[program:b]
command = $CHILD sleep
stdout_logfile = AUTO
EOF2
    cd "$TMP/start"
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" -c ../procmon.conf 2>"$TMP/stderr" &
    PM_PID=$!
    LOG=$TMP/start/logs/procmon.log
    wait_for_daemon
    wait_for "$DEADLINE" state_is a running
    wait_for "$DEADLINE" state_is b running
    [ "$(ctl status --json a | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["cwd"])')" = work ]
    [ "$(readlink "/proc/$(pid_of a)/cwd")" = "$TMP/elsewhere/work" ]
    wait_for "$DEADLINE" grep -qx ready "$TMP/start/logs/a.log"
    ls "$TMP"/start/clogs/b-stdout---procmon-??????.log
    local a b
    a=$(pid_of a)
    b=$(pid_of b)
    # Nothing changed: the same paths, read from the same folder.
    run ctl reload
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    [ -z "$output" ]
    [ "$(pid_of a)" = "$a" ]
    [ "$(pid_of b)" = "$b" ]
    [ ! -e "$TMP/elsewhere/logs" ]
    run ctl shutdown
    [ "$status" -eq 0 ]
}
