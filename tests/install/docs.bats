#!/usr/bin/env bats
# The manual against the code, so that neither drifts from the other:
# procmon(1) has an entry for every command of `procmon --help`,
# procmon.conf(5) names every key the config reader accepts, libprocmon(3)
# documents every function, type, constant and field of include/procmon.h
# and its example is examples/embed.c, every page is installed and names
# the version, and mandoc has no warning about any page.  Each failure
# names what is missing.  ROOT is the checkout; the plain build is used.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PROCMON=$ROOT/build/plain/procmon

setup_file() {
    make -s -C "$ROOT" build/plain/procmon >"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
        cat "$BATS_FILE_TMPDIR/build.log" >&2
        return 1
    }
}

fail() {
    printf '%s\n' "$@" >&2
    return 1
}

need_mandoc() {
    command -v mandoc >/dev/null || fail "mandoc is missing (scripts/install-deps installs it)"
}

# The words of a page's source, one "KIND<TAB>SECTION<TAB>SUBSECTION<TAB>WORD"
# a line, with font escapes, quotes and \- \& \e \(xx undone.  KIND is
#   head  a word of a .SH or .SS heading;
#   tag1  the first word of a .TP item's tag;
#   tag   any word of a .TP item's tag;
#   font  a word of a line set with a font macro (.B, .I, .BR, .IR, ...);
#   call  a name followed by '(' on any line.
# Comments and plain text lines (such as those of .EX blocks) give no tag or
# font words.
roff_words() {
    perl -ne '
        chomp;
        next if /^\.\\"/;
        my $l = $_;
        $l =~ s/\\f(?:[BIRPC]|\(..|\[[^]]*\])//g;
        $l =~ s/\\\(..//g;
        $l =~ s/\\-/-/g;
        $l =~ s/\\&//g;
        $l =~ s/\\e/\\/g;
        $l =~ s/"//g;
        my @w = grep { length } split /[^A-Za-z0-9_-]+/, $l;
        if ($l =~ /^\.S([HS])\s*(.*)/) {
            if ($1 eq "H") { ($sh, $ss) = ($2, "") } else { $ss = $2 }
            $tag = 0;
            shift @w;
            print "head\t$sh\t$ss\t$_\n" for @w;
            next;
        }
        if ($l =~ /^\.TP\b/) { $tag = 1; next }
        my $macro = $l =~ /^\.([A-Za-z]+)/ ? $1 : "";
        shift @w if $macro ne "";
        print "call\t$sh\t$ss\t$1\n" while $l =~ /(\w+)\(/g;
        if ($tag) {
            $tag = 0;
            print "tag1\t$sh\t$ss\t$w[0]\n" if @w;
            print "tag\t$sh\t$ss\t$_\n" for @w;
        }
        print "font\t$sh\t$ss\t$_\n" for $macro =~ /^(B|I|BI|IB|BR|RB|IR|RI)$/ ? @w : ();
    ' "$1"
}

# The words a page shows in bold, one a line (mandoc's ASCII output marks
# bold with overstrike: c BS c).
bold_words() {
    mandoc -T ascii "$1" | perl -ne '
        while (/((?:(.)\x08\2)+)/g) {
            (my $w = $1) =~ s/.\x08//g;
            print "$_\n" for grep { length } split /[^A-Za-z0-9_-]+/, $w;
        }' | sort -u
}

# include/procmon.h without its comments.
header_text() {
    perl -0777 -pe 's{/\*.*?\*/}{ }gs' "$ROOT/include/procmon.h"
}

# The functions that include/procmon.h declares (as install.bats finds them).
header_functions() {
    grep -oE '^[a-z][a-z_ ]*[ *]pm_[a-z_]+\(' "$ROOT/include/procmon.h" | grep -oE 'pm_[a-z_]+\($' | tr -d '(' | sort
}

# Its type names: typedefs of structs, enums and function pointers.
header_types() {
    header_text | perl -0777 -ne '
        print "$1\n" while /\}\s*(pm_\w+)\s*;/g;
        print "$1\n" while /typedef\s+struct\s+\w+\s+(pm_\w+)\s*;/g;
        print "$1\n" while /typedef[^;{}]*\(\s*\*\s*(pm_\w+)\s*\)/g;' | sort -u
}

# Its constants: enum values and macros (not the include guard, nor the
# helper macros whose names end in _).
header_constants() {
    header_text | perl -0777 -ne '
        while (/typedef\s+enum\s*\{(.*?)\}/gs) {
            my $b = $1;
            print "$1\n" while $b =~ /\b(PM_\w+)\s*(?:=[^,]*)?(?:,|$)/g;
        }
        print "$1\n" while /^#define\s+(PM_\w*[A-Z0-9])\b/mg;' | sort -u
}

# Each struct's fields, "STRUCT<TAB>FIELD" a line.
header_fields() {
    header_text | perl -0777 -ne '
        while (/typedef\s+struct\s+(pm_\w+)\s*\{(.*?)\}\s*\1\s*;/gs) {
            my ($s, $b) = ($1, $2);
            for my $decl (split /;/, $b) {
                next unless $decl =~ /\S/;
                for my $d (split /,/, $decl) {
                    $d =~ s/\[[^]]*\]//g;
                    print "$s\t$1\n" if $d =~ /(\w+)\s*$/;
                }
            }
        }'
}

# The keys the config reader accepts, "KEY<TAB>TABLE<TAB>FILE" a line: the
# string literals of every array named *_keys in src/config/*.[ch], and the
# first string of each {"key", setter} entry of every array named *_setters.
# Not the keys of the sections procmon accepts and ignores (the tables
# unix_keys, inet_keys, ctl_keys, listener_keys, fcgi_keys: they are
# supervisord's, listed in doc/supervisord-compat.md).
config_keys() {
    perl -0777 -ne '
        my $file = $ARGV =~ s{^.*/(src/config/)}{$1}r;
        while (/\b(\w+_keys)\s*\[\s*\]\s*=\s*\{(.*?)\}\s*;/gs) {
            my ($t, $b) = ($1, $2);
            next if $t =~ /^(unix|inet|ctl|listener|fcgi)_keys$/;
            $b =~ s{/\*.*?\*/}{}gs;
            print "$1\t$t\t$file\n" while $b =~ /"((?:[^"\\]|\\.)*)"/g;
        }
        while (/\b(\w+_setters)\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\}\s*;/gs) {
            my ($t, $b) = ($1, $2);
            $b =~ s{/\*.*?\*/}{}gs;
            print "$1\t$t\t$file\n" while $b =~ /\{\s*"((?:[^"\\]|\\.)*)"/g;
        }' "$ROOT"/src/config/*.[ch]
}

@test "procmon(1) has an entry for every command of procmon --help" {
    local cmds entries cmd missing=
    cmds=$("$PROCMON" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }')
    [ -n "$cmds" ] || fail "found no commands in 'procmon --help' (under 'Commands:')"
    # A .TP item under COMMANDS whose tag begins with the command, or a
    # section of its own, PROCMON RUN.
    entries=$(roff_words "$ROOT/doc/procmon.1" | awk -F '\t' '
        $1 == "tag1" && $2 == "COMMANDS" { print $4 }
        $1 == "head" && $3 == "" && $2 ~ /^PROCMON [A-Z-]+$/ && $4 != "PROCMON" { print tolower($4) }')
    for cmd in $cmds; do
        grep -qxF -- "$cmd" <<<"$entries" || missing+=" $cmd"
    done
    [ -z "$missing" ] ||
        fail "doc/procmon.1 has no entry (a .TP item under COMMANDS, or a section PROCMON NAME) for these commands of 'procmon --help':$missing"
}

@test "procmon.conf(5) names every key the config reader accepts" {
    need_mandoc
    local keys bold key table file missing=
    keys=$(config_keys)
    # The tables are found where they were: else the split of src/config
    # moved or renamed them, and this test must learn where they are.
    for key in command autorestart stdout_logfile socket log_format logfile minfds loglevel serverurl files programs; do
        grep -q "^$key"$'\t' <<<"$keys" ||
            fail "no '$key' among the keys read from src/config/*.[ch]: the test reads the string literals of arrays named *_keys and *_setters there; have the tables moved?"
    done
    bold=$(bold_words "$ROOT/doc/procmon.conf.5")
    while IFS=$'\t' read -r key table file; do
        grep -qxF -- "$key" <<<"$bold" || missing+=$'\n'"  $key (in $table, $file)"
    done <<<"$keys"
    [ -z "$missing" ] ||
        fail "doc/procmon.conf.5 does not name (in bold) these keys that the config reader accepts:$missing"
}

@test "libprocmon(3) documents every function of include/procmon.h" {
    local words fn no_proto= no_entry=
    words=$(roff_words "$ROOT/doc/libprocmon.3")
    [ -n "$(header_functions)" ] || fail "found no functions in include/procmon.h"
    for fn in $(header_functions); do
        awk -F '\t' -v f="$fn" '$1 == "call" && $2 == "SYNOPSIS" && $4 == f { found = 1 } END { exit !found }' <<<"$words" ||
            no_proto+=" $fn"
        awk -F '\t' -v f="$fn" '$1 == "tag" && $4 == f { found = 1 } END { exit !found }' <<<"$words" ||
            no_entry+=" $fn"
    done
    [ -z "$no_proto$no_entry" ] || fail \
        ${no_proto:+"doc/libprocmon.3 has no prototype in its SYNOPSIS for:$no_proto"} \
        ${no_entry:+"doc/libprocmon.3 has no entry (a .TP item) for:$no_entry"}
}

@test "libprocmon(3) names every type, constant and field of include/procmon.h" {
    local words named name s f heads unnamed= fields=
    words=$(roff_words "$ROOT/doc/libprocmon.3")
    # Named in the text (bold or italic), or in a heading; not the SYNOPSIS.
    named=$(awk -F '\t' '$2 != "SYNOPSIS" && ($1 == "font" || $1 == "head") { print $4 }' <<<"$words" | sort -u)
    for name in $(header_types) $(header_constants); do
        grep -qxF -- "$name" <<<"$named" || unnamed+=" $name"
    done
    # Each field named in the text of the subsection whose heading names
    # its struct.
    while IFS=$'\t' read -r s f; do
        heads=$(awk -F '\t' -v s="$s" '$1 == "head" && $3 != "" && $4 == s { print $3 }' <<<"$words" | sort -u)
        [ -n "$heads" ] || { fields+=" $s.$f (no subsection names $s)"; continue; }
        awk -F '\t' -v f="$f" 'NR == FNR { h[$0] = 1; next } $1 == "font" && ($3 in h) && $4 == f { found = 1 } END { exit !found }' \
            <(echo "$heads") <(echo "$words") || fields+=" $s.$f"
    done < <(header_fields)
    [ -z "$unnamed$fields" ] || fail \
        ${unnamed:+"doc/libprocmon.3 does not name these types and constants of include/procmon.h:$unnamed"} \
        ${fields:+"doc/libprocmon.3 does not describe these fields in the subsection of their struct:$fields"}
}

@test "libprocmon(3)'s example is examples/embed.c" {
    local page=$ROOT/doc/libprocmon.3
    grep -qx '.\\" BEGIN examples/embed.c' "$page" && grep -qx '.\\" END examples/embed.c' "$page" ||
        fail "doc/libprocmon.3 has no block between '.\\\" BEGIN examples/embed.c' and '.\\\" END examples/embed.c'"
    sed -n '/^\.\\" BEGIN examples\/embed\.c$/,/^\.\\" END examples\/embed\.c$/p' "$page" |
        sed '1d;$d' | grep -vxE '\.(EX|EE|nf|fi)' |
        perl -pe 's/\\(e|-|&|\(aq|\(ga|\(ha|\(ti|\(dq)/{e => "\\", "-" => "-", "&" => "", "(aq" => "\x27", "(ga" => "`", "(ha" => "^", "(ti" => "~", "(dq" => "\""}->{$1}/ge' \
            >"$BATS_TEST_TMPDIR/example.c"
    diff -u "$ROOT/examples/embed.c" "$BATS_TEST_TMPDIR/example.c" >&2 ||
        fail "doc/libprocmon.3's EXAMPLES differ from examples/embed.c (the perl line in the comment above the block writes them again)"
}

@test "every page in doc/ is installed, and names the version of include/procmon.h" {
    local version pages page missing= wrong=
    version=$(sed -nE 's/^#define PM_VERSION_(MAJOR|MINOR|PATCH) ([0-9]+).*/\2/p' "$ROOT/include/procmon.h" | paste -sd.)
    pages=$(make -s -C "$ROOT" --no-print-directory --eval 'print-man-pages: ; @echo $(MAN_PAGES)' print-man-pages)
    for page in "$ROOT"/doc/*.[1-9]; do
        grep -qw -- "doc/${page##*/}" <<<"$pages" || missing+=" doc/${page##*/}"
        head -n 1 "$page" | grep -qE "^\.TH .*\"procmon $version\"" || wrong+=" doc/${page##*/}"
    done
    [ -z "$missing$wrong" ] || fail \
        ${missing:+"not in the Makefile's MAN_PAGES:$missing"} \
        ${wrong:+"their .TH does not say \"procmon $version\":$wrong"}
}

@test "mandoc -T lint -W warning finds nothing in any page" {
    need_mandoc
    local page out bad=
    for page in "$ROOT"/doc/*.[1-9]; do
        out=$(mandoc -T lint -W warning "$page" 2>&1) && [ -z "$out" ] || {
            echo "$out" >&2
            bad+=" doc/${page##*/}"
        }
    done
    [ -z "$bad" ] || fail "mandoc -T lint -W warning complains about:$bad"
}
