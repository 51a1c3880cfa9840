#!/usr/bin/env bats
# `make install` into a DESTDIR, used as a user would: the shared library
# exports the public API and nothing else, examples/embed.c builds against
# it with pkg-config (shared and static) and runs, the completions know the
# commands and a running procmon's processes, and `make uninstall` leaves
# nothing behind.  ROOT is the checkout; the plain build is used.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DEADLINE=${DEADLINE:-30}

setup_file() {
    export DEST=$BATS_FILE_TMPDIR/root
    make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX=/usr >"$BATS_FILE_TMPDIR/install.log" 2>&1 || {
        cat "$BATS_FILE_TMPDIR/install.log" >&2
        return 1
    }
}

setup() {
    TMP=$(mktemp -d)
    export PKG_CONFIG_PATH=$DEST/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST
    PM_PID=
}

teardown() {
    [ -z "$PM_PID" ] || kill -TERM "$PM_PID" 2>/dev/null || true
    rm -rf "$TMP"
}

# The functions that include/procmon.h declares.
header_functions() {
    grep -oE '^[a-z][a-z_ ]*[ *]pm_[a-z_]+\(' "$ROOT/include/procmon.h" | grep -oE 'pm_[a-z_]+\($' | tr -d '(' | sort
}

@test "install puts every part where PREFIX says" {
    local f
    for f in bin/procmon lib/libprocmon.so.0 lib/libprocmon.so lib/libprocmon.a include/procmon.h \
        lib/pkgconfig/procmon.pc share/man/man1/procmon.1 share/man/man3/libprocmon.3 \
        share/man/man5/procmon.conf.5 share/man/man7/procmon-protocol.7 \
        share/bash-completion/completions/procmon \
        share/zsh/site-functions/_procmon share/procmon/logrotate.conf share/procmon/procmon.service \
        share/procmon/Dockerfile share/procmon/container.conf; do
        [ -e "$DEST/usr/$f" ] || { echo "missing: /usr/$f" >&2; return 1; }
    done
    # The unit starts the procmon installed with it.
    grep -qx "ExecStart=/usr/bin/procmon run -c /etc/procmon.conf -s /run/procmon.sock" "$DEST/usr/share/procmon/procmon.service"
    [ "$("$DEST/usr/bin/procmon" --version)" = "procmon $(pkg-config --modversion procmon)" ]
    [ "$(readlink "$DEST/usr/lib/libprocmon.so")" = libprocmon.so.0 ]
    readelf -d "$DEST/usr/lib/libprocmon.so.0" | grep -q 'SONAME.*\[libprocmon\.so\.0\]'
}

@test "the shared library exports the public API and nothing else" {
    local exported
    exported=$(nm -D --defined-only "$DEST/usr/lib/libprocmon.so.0" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort)
    [ -n "$exported" ]
    diff <(header_functions) <(echo "$exported")
    # And nothing that is not a function either.
    [ -z "$(nm -D --defined-only "$DEST/usr/lib/libprocmon.so.0" | awk '$2 != "T" && $2 != "A"')" ]
}

# The example's output: both children, the greeter's line, and the end.
embed_output_ok() {
    grep -qx "libprocmon $(pkg-config --modversion procmon) (built against $(pkg-config --modversion procmon))" <<<"$1"
    grep -qx "greeter: stdout: hello" <<<"$1"
    grep -qx "greeter: exited with status 3, now exited" <<<"$1"
    grep -qx "sleeper: killed by signal 15, now stopped" <<<"$1"
    grep -qx "all stopped (0)" <<<"$1"
}

@test "examples/embed.c builds with pkg-config against the shared library and runs" {
    cc -Wall -Wextra -Werror "$ROOT/examples/embed.c" $(pkg-config --cflags --libs procmon libuv) -o "$TMP/embed"
    LD_LIBRARY_PATH=$DEST/usr/lib ldd "$TMP/embed" | grep -q "libprocmon.so.0 => $DEST/usr/lib/libprocmon.so.0"
    run timeout "$DEADLINE" env LD_LIBRARY_PATH="$DEST/usr/lib" "$TMP/embed"
    echo "$output"
    [ "$status" -eq 0 ]
    embed_output_ok "$output"
}

@test "examples/embed.c builds against the static library and runs" {
    cc -Wall -Wextra -Werror "$ROOT/examples/embed.c" $(pkg-config --cflags procmon) \
        -Wl,-Bstatic $(pkg-config --libs-only-L --libs-only-l procmon) -Wl,-Bdynamic \
        $(pkg-config --static --libs procmon libuv) -o "$TMP/embed"
    ! ldd "$TMP/embed" | grep -q libprocmon
    run timeout "$DEADLINE" "$TMP/embed"
    echo "$output"
    [ "$status" -eq 0 ]
    embed_output_ok "$output"
}

# COMPREPLY for the words given, the last being the one completed.
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _procmon; printf "%s\n" "${COMPREPLY[@]}"' \
        - "$DEST/usr/share/bash-completion/completions/procmon" "$@"
}

@test "bash completion: every command, and the running procmon's process names" {
    local cmd words
    words=$(complete_words procmon "")
    for cmd in $("$DEST/usr/bin/procmon" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }'); do
        grep -qx "$cmd" <<<"$words" || { echo "not completed: $cmd" >&2; return 1; }
    done
    printf '[program:web]\ncommand = sleep 1000\n[program:worker]\ncommand = sleep 1000\n' >"$TMP/conf"
    "$DEST/usr/bin/procmon" run -s "$TMP/sock" --log-file "$TMP/log" -c "$TMP/conf" &
    PM_PID=$!
    local end=$((SECONDS + DEADLINE))
    until "$DEST/usr/bin/procmon" -s "$TMP/sock" status >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
    PATH=$DEST/usr/bin:$PATH
    words=$(complete_words procmon -s "$TMP/sock" stop "")
    grep -qx all <<<"$words"
    grep -qx web <<<"$words"
    grep -qx worker <<<"$words"
    [ "$(complete_words procmon -s "$TMP/sock" restart w)" = "$(printf 'web\nworker')" ]
    grep -qx TERM <<<"$(complete_words procmon -s "$TMP/sock" signal "")"
}

@test "zsh completion is valid zsh" {
    command -v zsh >/dev/null || skip "needs zsh (scripts/install-deps installs it)"
    zsh -n "$DEST/usr/share/zsh/site-functions/_procmon"
}

@test "make uninstall leaves nothing behind" {
    local dest=$TMP/root
    make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr >/dev/null
    [ -n "$(find "$dest" -type f)" ]
    make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr
    [ -z "$(find "$dest" -type f -o -type l)" ]
}
