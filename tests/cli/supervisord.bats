#!/usr/bin/env bats
# Bringing a supervisord.conf (interface contract §6): `procmon check-config`
# on the realistic files of tests/configs/, [include], [group:x] addressing
# with a running daemon, reload of included files, and what [supervisord]
# does to procmon at start-up.

load daemon_helpers

CONFIGS=$BATS_TEST_DIRNAME/../configs
DIFF=$BATS_TEST_DIRNAME/supervisord_diff.py

# The differential tests' helper stops what it started; if it was killed
# half-way, what it left behind is stopped here.
eval "helpers_$(declare -f teardown)"
teardown() {
    local d
    if [ -n "${SUP_PID:-}" ] && kill -0 "$SUP_PID" 2>/dev/null; then
        kill -TERM "$SUP_PID" 2>/dev/null || true
        wait_for 20 not_alive "$SUP_PID" || kill -KILL "$SUP_PID" 2>/dev/null || true
    fi
    for d in "$TMP"/diff/*/; do
        [ ! -d "$d" ] || python3 "$DIFF" --cleanup "$d" || true
    done
    helpers_teardown
}

# differential CONFIG [--report-commands]: runs CONFIG under supervisord and
# under procmon (tests/cli/supervisord_diff.py), in $TMP/diff/NAME; skips
# when supervisord is not installed.
differential() {
    # `make valgrind` runs procmon inside valgrind, whose own environment
    # (LD_PRELOAD, GLIBCXX_FORCE_NEW, ...) the children inherit.
    [ -z "${VALGRIND_LOGS:-}" ] || skip "under valgrind, procmon's environment is valgrind's: nothing to compare"
    local name
    name=$(basename "$(dirname "$1")")
    # A program runs as nobody: it reads and writes under $TMP.
    [ "$(id -u)" -ne 0 ] || chmod 755 "$TMP"
    run python3 "$DIFF" "$PROCMON" "$1" "$TMP/diff/$name" "${@:2}"
    [ "$status" -ne 77 ] || skip "supervisord (Debian's supervisor package) is not installed: $output"
    echo "$1: $output"
    [ "$status" -eq 0 ] || { echo "$1: $output" >&2; false; }
}

# Debian's layout of tests/configs/debian, moved under $TMP.
debian_layout() {
    local etc=$TMP/etc/supervisor f
    mkdir -p "$etc/conf.d" "$TMP/log/supervisor" "$TMP/run"
    for f in supervisord.conf conf.d/nginx.conf conf.d/php-fpm.conf conf.d/celery.conf conf.d/README; do
        sed -e "s#/etc/supervisor#$etc#g" -e "s#/var/log/supervisor#$TMP/log/supervisor#g" \
            -e "s#/var/run#$TMP/run#g" "$CONFIGS/debian/$f" > "$etc/$f"
    done
}

# check_config FILE: runs `procmon check-config -c FILE` into $output/$status.
check_config() { run "$PROCMON" check-config -c "$1"; }

# The block that check-config prints for program NAME.
program_block() {
    printf '%s\n' "$output" | awk -v want="program $1" '
        index($0, want "  (") == 1 { on = 1; next }
        on && /^$/ { exit }
        on { print }'
}

# field NAME KEY: the value check-config shows for KEY of program NAME.
field() { program_block "$1" | sed -n "s/^  $2 *//p"; }

# The program names check-config shows, in order.
program_names() { printf '%s\n' "$output" | sed -n 's/^program \([^ ]*\)  (.*/\1/p'; }

# The warnings check-config shows, without their "warning: FILE:" prefix.
warnings_of() { printf '%s\n' "$output" | sed -n "s|^warning: $1:||p"; }

@test "check-config: the Debian layout, /etc/supervisor/supervisord.conf with conf.d/*.conf" {
    # The files as the package installs them, moved under $TMP.
    local etc=$TMP/etc/supervisor
    debian_layout
    check_config "$etc/supervisord.conf"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    # conf.d in sorted order (celery, nginx, php-fpm); the group names its members.
    [ "$(program_names)" = "celery
web:nginx_00
web:php-fpm" ] || { echo "$output" >&2; false; }
    [ "$(field web:nginx_00 argv)" = "/usr/sbin/nginx -g 'daemon off;'" ]
    [ "$(field web:nginx_00 priority)" = "999" ]
    [ "$(field web:nginx_00 stdout)" = "$TMP/log/supervisor/nginx_stdout.log (rotated beyond 10485760 bytes, 10 backups)" ]
    [ "$(field web:php-fpm stdout)" = "/dev/fd/1" ]
    [ "$(field celery user)" = "nobody" ]
    [ "$(field celery directory)" = "/srv/app" ]
    [ "$(field celery priority)" = "1000" ]
    [ "$(field celery argv)" = "/srv/app/venv/bin/celery -A proj worker --loglevel=INFO" ]
    printf '%s\n' "$output" | grep -qx "log file $TMP/log/supervisor/supervisord.log"
    printf '%s\n' "$output" | grep -qx "pidfile $TMP/run/supervisord.pid"
    # procmon serves every section of it: no warning.
    printf '%s\n' "$output" | grep -qx "unix_http_server $TMP/run/supervisor.sock (mode 0700)"
    printf '%s\n' "$output" | grep -qx "warnings 0" || { echo "$output" >&2; false; }
}

@test "check-config: a container's file, output to the container's stdout and stderr" {
    check_config "$CONFIGS/container/supervisord.conf"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    [ "$(program_names)" = "nginx
php-fpm
cron" ]
    [ "$(field nginx argv)" = "nginx -g 'daemon off;'" ]
    [ "$(field nginx stdout)" = "/dev/fd/1" ]
    [ "$(field nginx stderr)" = "/dev/fd/2" ]
    [ "$(field php-fpm stderr)" = "with stdout (redirect_stderr)" ]
    [ "$(field cron stdout)" = "log stream" ]
    [ "$(field php-fpm priority)" = "5" ]
    printf '%s\n' "$output" | grep -qx "environment APP_ENV=production"
    printf '%s\n' "$output" | grep -qx "user root"
    printf '%s\n' "$output" | grep -qx "warnings 0"
}

@test "check-config: queue workers, numprocs=8 with process_name" {
    check_config "$CONFIGS/queue-worker/supervisord.conf"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    [ "$(program_names | head -8 | tr '\n' ' ')" = "laravel-worker_00 laravel-worker_01 laravel-worker_02 laravel-worker_03 laravel-worker_04 laravel-worker_05 laravel-worker_06 laravel-worker_07 " ]
    [ "$(program_names | sed -n 9p)" = "scheduler" ]
    [ "$(program_names | wc -l)" -eq 9 ]
    [ "$(field laravel-worker_03 user)" = "nobody" ]
    [ "$(field laravel-worker_03 stdout)" = "$(cd "$CONFIGS/queue-worker" && pwd)/worker.log (rotated beyond 52428800 bytes, 10 backups)" ]
    [ "$(field scheduler directory)" = "/" ]
    printf '%s\n' "$output" | grep -qx "warnings 0"
}

@test "check-config: every section and key of supervisord 4.2: one warning each for what procmon does not do" {
    local dir
    dir=$(cd "$CONFIGS/every-key" && pwd)
    check_config "$dir/supervisord.conf"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    [ "$(program_names)" = "cat_1
cat_2
theeventlistenername_00
theeventlistenername_01
theeventlistenername_02
theeventlistenername_03
theeventlistenername_04
foo:bar
foo:baz" ]
    [ "$(field theeventlistenername_00 events)" = "PROCESS_STATE_STOPPED PROCESS_STATE_EXITED PROCESS_STATE_STARTING PROCESS_STATE_STOPPING PROCESS_STATE_BACKOFF PROCESS_STATE_FATAL PROCESS_STATE_RUNNING PROCESS_STATE_UNKNOWN (buffer 10)" ]
    [ "$(field cat_1 argv)" = "/bin/cat value1" ]
    printf '%s\n' "$output" | grep -qx "identifier every-key"
    printf '%s\n' "$output" | grep -qx "minfds 64"
    printf '%s\n' "$output" | grep -qx "umask 022"
    printf '%s\n' "$output" | grep -qx "unix_http_server $dir/supervisor.sock (mode 0700, owner nobody:nogroup, with a password)"
    printf '%s\n' "$output" | grep -qx "inet_http_server 127.0.0.1:9001 (with a password)"
    [ "$(warnings_of "$dir/supervisord.conf")" = "25: silent in [supervisord] is not supported by procmon; ignored
32: strip_ansi in [supervisord] is not supported by procmon; ignored
63: stdout_capture_maxbytes in [program:cat] is not supported by procmon; ignored
65: stdout_syslog in [program:cat] is not supported by procmon; ignored
69: stderr_capture_maxbytes in [program:cat] is not supported by procmon; ignored
71: stderr_syslog in [program:cat] is not supported by procmon; ignored
84: [fcgi-program:fcgiprogramname] is not supported by procmon; ignored" ] || { echo "$output" >&2; false; }
    # The table in doc/supervisord-compat.md has a row for every key here.
    local doc=$BATS_TEST_DIRNAME/../../doc/supervisord-compat.md section key missing=
    while IFS= read -r line; do
        case $line in
        \[*\]) section=${line#[}; section=${section%%]*}; section=${section%%:*}
               grep -qF "[$section" "$doc" || missing="$missing [$section]" ;;
        *=*) key=${line%%=*}; key=${key%% *}
             grep -qF "\`$key\`" "$doc" || missing="$missing $section.$key" ;;
        esac
    done < "$dir/supervisord.conf"
    [ -z "$missing" ] || { echo "not in the compatibility table:$missing" >&2; false; }
}

@test "check-config: an error in an included file names it and its line; exit 2; nothing starts" {
    mkdir -p "$TMP/conf.d"
    printf '[program:ok]\ncommand=%s sleep\n' "$CHILD" > "$TMP/conf.d/a.conf"
    printf '[program:bad]\ncommand=%s sleep\nautostart = maybe\n' "$CHILD" > "$TMP/conf.d/b.conf"
    printf '[supervisord]\nnodaemon=true\n[include]\nfiles=conf.d/*.conf\n' > "$TMP/main.conf"
    check_config "$TMP/main.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: $TMP/conf.d/b.conf:3: bad value for autostart in [program:bad]: 'maybe' (expected true or false)" ]
    # run refuses it the same way, and starts nothing.
    run "$PROCMON" run -s "$TMP/sock" --log-file "$LOG" -c "$TMP/main.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: $TMP/conf.d/b.conf:3: bad value for autostart in [program:bad]: 'maybe' (expected true or false)" ]
    [ ! -e "$TMP/sock" ]
    # A cycle is an error at the include that closes it.
    printf '[program:bad]\ncommand=x\n[include]\nfiles = ../main.conf\n' > "$TMP/conf.d/b.conf"
    check_config "$TMP/main.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: $TMP/conf.d/b.conf:4: [include] files: $TMP/conf.d/../main.conf is already being read: an include cycle" ]
    # The global -c works too.
    printf '[program:bad]\ncommand=x\n' > "$TMP/conf.d/b.conf"
    run "$PROCMON" -c "$TMP/main.conf" check-config
    [ "$status" -eq 0 ]
    [[ "$output" == *"program bad  ($TMP/conf.d/b.conf:1)"* ]]
    # Usage.
    run "$PROCMON" check-config
    [ "$status" -eq 2 ]
    [[ "$output" == *"no config file"* ]]
    run "$PROCMON" check-config --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"usage: procmon check-config -c FILE"* ]]
    run "$PROCMON" --help
    [[ "$output" == *"check-config"* ]]
}

@test "groups: 'stop web:*' stops the group's members only; 'status web:nginx' shows one" {
    config <<EOF2
[group:web]
programs = nginx,php
[program:nginx]
command = $CHILD sleep
[program:php]
command = $CHILD sleep
[program:cron]
command = $CHILD sleep
EOF2
    start_daemon
    for name in web:nginx web:php cron; do
        wait_for "$DEADLINE" state_is "$name" running
    done
    run ctl status
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" =~ ^cron\ +running ]]
    [[ "${lines[1]}" =~ ^web:nginx\ +running ]]
    [[ "${lines[2]}" =~ ^web:php\ +running ]]
    run ctl status web:nginx
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" =~ ^web:nginx\ +running ]]

    run ctl stop 'web:*'
    [ "$status" -eq 0 ]
    state_is web:nginx stopped
    state_is web:php stopped
    state_is cron running
    run ctl status 'web:*'
    [ "$status" -eq 3 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^web:nginx\ +stopped ]]
    run ctl start web:
    [ "$status" -eq 0 ]
    wait_for "$DEADLINE" state_is web:nginx running
    wait_for "$DEADLINE" state_is web:php running
    run ctl restart web:php
    [ "$status" -eq 0 ]
    run ctl stop 'nope:*'
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: no such group: nope" ]
    # `add` still refuses ':' in a name: the group namespace is the file's.
    run ctl add web:extra -- "$CHILD" sleep
    [ "$status" -ne 0 ]
    [[ "$output" == *"':'"* ]]
    stop_procmon
}

@test "reload picks up a changed included file and a new conf.d file" {
    mkdir -p "$TMP/conf.d"
    printf '[program:a]\ncommand=%s sleep\n' "$CHILD" > "$TMP/conf.d/a.conf"
    printf '[program:b]\ncommand=%s sleep\n' "$CHILD" > "$TMP/conf.d/b.conf"
    config <<EOF2
[include]
files = conf.d/*.conf
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is a running
    wait_for "$DEADLINE" state_is b running
    local a b
    a=$(pid_of a)
    b=$(pid_of b)
    # a changes, c is new, b stays as it is.
    printf '[program:a]\ncommand=%s sleep\nstopsignal=INT\n' "$CHILD" > "$TMP/conf.d/a.conf"
    printf '[program:c]\ncommand=%s sleep\n' "$CHILD" > "$TMP/conf.d/c.conf"
    run ctl reload
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    wait_for "$DEADLINE" state_is c running
    wait_for "$DEADLINE" state_is a running
    [ "$(pid_of a)" != "$a" ]
    [ "$(pid_of b)" = "$b" ]
    # A file that stops loading changes nothing, and says where.
    printf '[program:c]\ncommand=%s sleep\nbogus=1\n' "$CHILD" > "$TMP/conf.d/c.conf"
    run ctl reload
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: $TMP/conf.d/c.conf:3: unknown key 'bogus' in [program:c]" ]
    state_is c running
    stop_procmon
}

@test "[supervisord]: environment, umask, directory and pidfile at start-up; pidfile removed at exit" {
    mkdir "$TMP/home"
    config <<EOF2
[supervisord]
environment = GLOBAL="from [supervisord]",SHARED=global
umask = 077
directory = $TMP/home
pidfile = $TMP/procmon.pid
minfds = 64
user = $(id -un)
identifier = test

[program:env]
command = /bin/sh -c 'echo "\$GLOBAL|\$SHARED|%(ENV_GLOBAL)s"; umask; pwd; sleep 1000'
environment = SHARED=own
EOF2
    start_daemon
    wait_for "$DEADLINE" state_is env running
    [ "$(cat "$TMP/procmon.pid")" = "$PM_PID" ]
    wait_for "$DEADLINE" log_has "[env] $(cd "$TMP/home" && pwd -P)"
    log_has "[env] from [supervisord]|own|from [supervisord]"
    log_has "[env] 0077"
    stop_procmon
    [ ! -e "$TMP/procmon.pid" ]
}

@test "[supervisord]: a user procmon cannot become, or a hard limit too low, stops it before anything starts" {
    # As root, the test runs procmon as nobody, who can do neither.
    local as=()
    if [ "$(id -u)" -eq 0 ]; then
        command -v setpriv >/dev/null || skip "setpriv is needed to run procmon as nobody"
        as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
        chmod 777 "$TMP" # nobody writes its socket and log here
    fi
    local other=root
    [ "$(id -u)" -ne 0 ] || other=daemon
    config <<EOF2
[supervisord]
user = $other
[program:a]
command = $CHILD sleep
EOF2
    run "${as[@]}" "$PROCMON" run -s "$TMP/sock" --log-file "$TMP/log" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [ "$output" = "procmon: user = $other in [supervisord]: only root can switch to another user" ]
    [ ! -e "$TMP/sock" ]
    [ ! -e "$TMP/log" ]
    config <<EOF2
[supervisord]
minfds = 4096
[program:a]
command = $CHILD sleep
EOF2
    run bash -c 'ulimit -Sn 256 && ulimit -Hn 256 && exec "$@"' - "${as[@]}" "$PROCMON" run -s "$TMP/sock" \
        --log-file "$TMP/log" -c "$TMP/procmon.conf"
    [ "$status" -eq 2 ]
    [[ "$output" == "procmon: minfds = 4096 in [supervisord], but the hard limit of open files is 256 "* ]]
    [ ! -e "$TMP/sock" ]
    # A soft limit under a high enough hard one is raised.
    config <<EOF2
[supervisord]
minfds = 200
[program:a]
command = /bin/sh -c 'ulimit -Sn; sleep 1000'
EOF2
    SOCK=$TMP/sock
    bash -c 'ulimit -Sn 100 && exec "$@"' - "${as[@]}" "$PROCMON" run -s "$SOCK" --log-file "$TMP/log" \
        -c "$TMP/procmon.conf" 2>"$TMP/stderr" &
    PM_PID=$!
    LOG=$TMP/log
    expect_log "[a] 200"
    stop_procmon
}

@test "[supervisord] user: procmon run as root becomes that user before it starts anything" {
    [ "$(id -u)" -eq 0 ] || skip "only root can switch users"
    chmod 777 "$TMP" # nobody writes its socket, log and pid file here
    config <<EOF2
[supervisord]
user = nobody
pidfile = $TMP/procmon.pid
[program:who]
command = /bin/sh -c 'id -u; sleep 1000'
EOF2
    chmod 644 "$TMP/procmon.conf"
    start_daemon
    expect_log "[who] $(id -u nobody)"
    [ "$(stat -c %U "$SOCK")" = nobody ]
    [ "$(stat -c %U "$TMP/procmon.pid")" = nobody ]
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$PM_PID/status")" = "$(id -u nobody)" ]
    stop_procmon
}

@test "supervisord's own parser, where installed, makes the same processes of every file of tests/configs" {
    python3 "$BATS_TEST_DIRNAME/supervisord_oracle.py" "$PROCMON" "$CONFIGS/container/supervisord.conf" ||
        [ $? -ne 77 ] || skip "supervisor (python3-supervisor) is not installed"
    local f
    debian_layout
    for f in "$TMP/etc/supervisor/supervisord.conf" "$CONFIGS"/{container,queue-worker,every-key,dialect,differential}/supervisord.conf; do
        # differential's %(ENV_DIFF_OUTSIDE)s, as supervisord_diff.py sets it
        run env DIFF_OUTSIDE='50% from outside' python3 "$BATS_TEST_DIRNAME/supervisord_oracle.py" "$PROCMON" "$f"
        [ "$status" -eq 0 ] || { echo "$f: $output" >&2; false; }
    done
}

@test "differential: supervisord -n and procmon run give tests/configs/differential's children the same argv, environment, directory and umask" {
    # environment quoting and %(ENV_X)s, [supervisord] environment,
    # directory, umask, numprocs with %(process_num)02d, a command on PATH
    # (supervisord's and the program's own), inline comments and quoted
    # semicolons, [include] of conf.d/*.conf, [group:x], user =.
    differential "$CONFIGS/differential/supervisord.conf"
}

@test "differential: every file of tests/configs, its commands run by a reporter, under supervisord -n and procmon run" {
    debian_layout
    local f
    for f in "$TMP/etc/supervisor/supervisord.conf" "$CONFIGS"/{container,queue-worker,every-key,dialect}/supervisord.conf; do
        differential "$f" --report-commands
    done
}

# failed_starts DIR: a supervisord.conf in DIR with the failed-start cases,
# all with autorestart = false: a command that does not exist, a program
# that exits 0 at once (10 s before its startsecs: a supervisord slowed by a
# loaded machine still sees the exit first), and the same with startsecs =
# 0; with what supervisord needs to answer supervisorctl from DIR.
failed_starts() {
    mkdir -p "$1"
    { supervisord_head "$1"; cat; } > "$1/supervisord.conf" <<EOF2
[program:ghost]
command = no-such-command-procmon-test
autorestart = false
startretries = 2
[program:quick]
command = $CHILD exit 0
autorestart = false
startretries = 1
startsecs = 10
[program:done]
command = $CHILD exit 0
autorestart = false
startsecs = 0
EOF2
}

# "NAME STATE" a line, sorted, lower case, once every program is in a state
# it stays in (fatal, exited); nothing while one is not.
settled() {
    awk '{ print $1, tolower($2) }' | sort |
        awk '$2 !~ /^(fatal|exited)$/ { bad = 1 } { out = out $0 "\n" } END { if (!bad) printf "%s", out }'
}
supervisord_settled() { supervisorctl -c "$TMP/sup/supervisord.conf" status 2>/dev/null | settled; }
procmon_settled() { ctl status 2>/dev/null | settled; }
both_settled() { [ -n "$(supervisord_settled)" ] && [ -n "$(procmon_settled)" ]; }

@test "failed starts with autorestart = false end as under supervisord -n: a missing command FATAL, an exit before startsecs FATAL, with startsecs = 0 EXITED" {
    local supervisord
    supervisord=$(command -v supervisord) || skip "supervisord (Debian's supervisor package) is not installed"
    failed_starts "$TMP/sup"
    failed_starts "$TMP/pm"
    "$supervisord" -n -c "$TMP/sup/supervisord.conf" >"$TMP/sup/out" 2>&1 3>&- &
    SUP_PID=$!
    config < "$TMP/pm/supervisord.conf"
    start_daemon
    local theirs ours
    wait_for "$DEADLINE" both_settled || { cat "$TMP/sup/supervisord.log" "$LOG" >&2; false; }
    theirs=$(supervisord_settled)
    ours=$(procmon_settled)
    echo "supervisord: $theirs"
    echo "procmon: $ours"
    [ "$ours" = "$theirs" ]
    [ "$ours" = "done exited
ghost fatal
quick fatal" ]
    # As many tries each: startretries + 1 for a failed start, one for the
    # program that ran.
    local sup_log=$TMP/sup/supervisord.log
    [ "$(grep -c "spawnerr: can't find command 'no-such-command-procmon-test'" "$sup_log")" -eq 3 ]
    [ "$(grep -cF "procmon: ghost: cannot execute" "$LOG")" -eq 3 ]
    [ "$(grep -c "spawned: 'quick'" "$sup_log")" -eq 2 ]
    [ "$(grep -cF "procmon: quick: started" "$LOG")" -eq 2 ]
    [ "$(grep -c "spawned: 'done'" "$sup_log")" -eq 1 ]
    [ "$(grep -cF "procmon: done: started" "$LOG")" -eq 1 ]
    # procmon never calls a spawn that failed a start.
    ! grep -qF "procmon: ghost: started" "$LOG" || false
}

@test "check-config: supervisord's dialect, corner by corner" {
    local dir
    dir=$(cd "$CONFIGS/dialect" && pwd)
    check_config "$dir/supervisord.conf"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    [ "$(program_names)" = "café
cont
g:env
g:w-8
g:w-9
g:w-10" ]
    [ "$(field café argv)" = "/bin/echo 'daemon off;' 'a#b' 'c;d' ';' kept" ]
    [ "$(field café env | tr '\n' ' ')" = "SUPERVISOR_ENABLED=1 SUPERVISOR_PROCESS_NAME=café SUPERVISOR_GROUP_NAME=café PCT=50% SHARED=own FROM_GLOBAL=global " ]
    [ "$(field cont argv)" = "/bin/echo first second" ]
    [ "$(field cont priority)" = "8" ]
    [ "$(field g:env argv)" = "/bin/echo mine 50% $HOME $dir env '%(x)s'" ]
    [ "$(field g:w-10 argv)" = "/bin/echo g w 010/3 $dir/conf.d" ]
    printf '%s\n' "$output" | grep -qx "warnings 0"
}

@test "logfile_maxbytes never rotates a log file that is a device or a FIFO (as /dev/null)" {
    mkfifo "$TMP/fifo"
    cat "$TMP/fifo" > "$TMP/log" &
    local reader=$!
    config <<EOF2
[supervisord]
logfile_maxbytes = 1KB
[program:chatty]
command = $CHILD write 20000 100
autorestart = false
; running from its spawn, however soon it is done: one run, which
; autorestart = false leaves exited (a failed start would be retried)
startsecs = 0
EOF2
    SOCK=$TMP/procmon.sock
    "$PROCMON" run -s "$SOCK" --log-file "$TMP/fifo" -c "$TMP/procmon.conf" 2>"$TMP/stderr" &
    PM_PID=$!
    LOG=$TMP/log
    expect_log "chatty: exited with status 0"
    stop_procmon
    wait "$reader"
    [ -p "$TMP/fifo" ]
    [ ! -e "$TMP/fifo.1" ]
    [ "$(grep -c '\[chatty\]' "$TMP/log")" -eq 200 ]
}
