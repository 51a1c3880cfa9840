#!/usr/bin/env bats
# The folders of src/ are the parts of procmon, and arrows run one way:
# cli -> daemon -> config -> lib.  The build already compiles each part
# seeing only its own headers and those below it; this says so by name.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# Every quoted include of part $1 that is not its own header nor one of the
# parts it may see ($2...), as FILE: HEADER.
includes_outside() {
    local part=$1 f h allowed ok
    shift
    for f in "$ROOT"/src/"$part"/*.[ch]; do
        for h in $(sed -nE 's/^#include "([^"]+)".*/\1/p' "$f"); do
            ok=
            for allowed in "$part" "$@"; do
                [ -e "$ROOT/src/$allowed/$h" ] && ok=1
            done
            [ -e "$ROOT/include/$h" ] && ok=1
            [ -n "$ok" ] || echo "${f#"$ROOT"/}: $h"
        done
    done
}

@test "src/lib, libprocmon, includes nothing outside itself and include/" {
    run includes_outside lib
    [ -z "$output" ] || { echo "$output" >&2; return 1; }
}

@test "src/config sees only lib; src/daemon only config and lib" {
    run includes_outside config lib
    [ -z "$output" ] || { echo "$output" >&2; return 1; }
    run includes_outside daemon config lib
    [ -z "$output" ] || { echo "$output" >&2; return 1; }
}

@test "libprocmon.a holds src/lib and nothing else" {
    make -s -C "$ROOT" build/plain/libprocmon.a
    local want got
    want=$(cd "$ROOT/src/lib" && ls *.c | sed 's/\.c$/.o/' | sort)
    got=$(ar t "$ROOT/build/plain/libprocmon.a" | sort)
    [ "$want" = "$got" ]
}
