#!/usr/bin/env bats
# `make static`: a procmon that needs no shared library, run in an empty
# chroot holding only itself and a config (as in a FROM scratch image).

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

fail() {
    echo "$*" >&2
    return 1
}

setup() {
    TMP=$(mktemp -d)
}

teardown() {
    rm -rf "$TMP"
}

@test "make static links no shared library" {
    make -s -C "$ROOT" static >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log" >&2; false; }
    ! readelf -d "$ROOT/build/static/procmon" | grep -q NEEDED || fail "it needs a shared library"
    ! readelf -l "$ROOT/build/static/procmon" | grep -q "program interpreter" || fail "it needs a dynamic loader"
}

@test "the static binary runs in an empty chroot with only itself and a config" {
    [ "$(id -u)" = 0 ] || skip "chroot needs root"
    make -s -C "$ROOT" static >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log" >&2; false; }
    local root=$TMP/root
    mkdir -p "$root"
    cp "$ROOT/build/static/procmon" "$root/procmon"
    # Its one program is procmon itself, the only program there; no /dev,
    # no /proc, no /tmp, no /etc.  (The log goes to a file: standard output
    # as a pipe is written through /proc/self/fd, which is not there.)
    printf '[program:itself]\ncommand = /procmon --version\nstartsecs = 0\nautorestart = false\n' >"$root/procmon.conf"
    run chroot "$root" /procmon run --exit-when-all-exited -c /procmon.conf -s /procmon.sock --log-file /procmon.log
    echo "$output"
    cat "$root/procmon.log"
    [ "$status" -eq 0 ]
    grep -q "\[itself\] procmon " "$root/procmon.log"
    grep -q "itself: exited with status 0" "$root/procmon.log"
    [ "$(ls "$root")" = "procmon
procmon.conf
procmon.log" ]
}

@test "the static binary has no HTTP listener, and says so rather than start without it" {
    make -s -C "$ROOT" static >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log" >&2; false; }
    printf '[unix_http_server]\nfile = %s/http.sock\n[program:a]\ncommand = /bin/sleep 100\n' "$TMP" > "$TMP/c.conf"
    run "$ROOT/build/static/procmon" run -s "$TMP/pm.sock" -c "$TMP/c.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "procmon: this procmon is the static build, which has no HTTP server: [unix_http_server] and [inet_http_server] need the packaged procmon" ]
    [ ! -e "$TMP/http.sock" ]
    ! pgrep -f "^/bin/sleep 100$" || fail "a program was started"
}
