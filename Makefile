# procmon: `make run` shows it on the bundled example, `make check` runs every
# test twice, once plain and once under AddressSanitizer and UBSan.

CC      ?= cc
PKGS    := libuv jansson inih expat libmicrohttpd nettle
SAN     ?= 0

ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     := -O1
else
BUILD   := build/plain
SANFLAGS :=
OPT     := -O2
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -g $(OPT) $(SANFLAGS) -pthread -Iinclude $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS  += $(PKG_LIBS)

# The parts, each in its folder (README.md, Layout).  Arrows run one way:
# cli -> daemon -> config -> lib, and each part is compiled seeing only its
# own headers and those of the parts below it, so an include against the
# arrows does not build.  libprocmon is src/lib alone; the daemon and the
# config reader are the program's (an internal archive the tests link too).
PARTS := lib config daemon cli
INC_lib    := -Isrc/lib
INC_config := $(INC_lib) -Isrc/config
INC_daemon := $(INC_config) -Isrc/daemon
INC_cli    := $(INC_daemon) -Isrc/cli
$(foreach part,$(PARTS),$(eval SRC_$(part) := $(wildcard src/$(part)/*.c)))
$(foreach part,$(PARTS),$(eval OBJ_$(part) := $(SRC_$(part):src/%.c=$(BUILD)/obj/%.o)))
HEADERS := $(wildcard include/*.h src/*/*.h)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN := $(BUILD)/tests/child

.PHONY: all deps run check check-install test unit cli bench bench-readiness bench-pid1 bench-xmlrpc clean fuzz fuzz-smoke static
all: $(BUILD)/procmon

deps:
	@scripts/install-deps

define part_rule
$(BUILD)/obj/$(1)/%.o: src/$(1)/%.c $(HEADERS) | $(BUILD)/obj/$(1)
	$$(CC) $$(CFLAGS) $(INC_$(1)) -c -o $$@ $$<
$(BUILD)/obj/$(1):
	mkdir -p $$@
endef
$(foreach part,$(PARTS),$(eval $(call part_rule,$(part))))

$(BUILD)/libprocmon.a: $(OBJ_lib)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libprocmon-internal.a: $(OBJ_config) $(OBJ_daemon)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/procmon: $(OBJ_cli) $(BUILD)/libprocmon-internal.a $(BUILD)/libprocmon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/*.h $(BUILD)/libprocmon-internal.a $(BUILD)/libprocmon.a | $(BUILD)/tests
	$(CC) $(CFLAGS) $(INC_cli) $(LDFLAGS) -o $@ $< $(BUILD)/libprocmon-internal.a $(BUILD)/libprocmon.a $(LDLIBS) -lcmocka

$(BUILD)/tests/child: tests/child.c | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/tests:
	mkdir -p $@

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

cli: $(BUILD)/procmon $(HELPER_BIN)
	PROCMON=$(CURDIR)/$(BUILD)/procmon CHILD=$(CURDIR)/$(HELPER_BIN) bats tests/cli

# Both, with one closing count.
test: $(UNIT_BIN) $(BUILD)/procmon $(HELPER_BIN)
	tests/run $(BUILD)

# Every test, plain and under the sanitizers, then the installed files.
check: deps
	$(MAKE) test SAN=0
	$(MAKE) test SAN=1
	$(MAKE) check-install

# make install into a temporary DESTDIR, used as a user would.
check-install: deps
	bats tests/install

# A static procmon for containers and empty chroots: it needs no shared
# library at run time.  glibc cannot look user and group names up from a
# static binary without its NSS modules at run time (the linker says so):
# there, give numeric ids (user = 1000).
static: build/static/procmon

# It has no HTTP listener (src/daemon/static/httpd_none.c says why).
STATIC_OBJ := $(OBJ_cli) $(filter-out $(BUILD)/obj/daemon/httpd.o,$(OBJ_config) $(OBJ_daemon)) \
              $(BUILD)/obj/daemon/static/httpd_none.o
build/static/procmon: $(STATIC_OBJ) $(BUILD)/libprocmon.a
	@[ "$(SAN)" = 0 ] || { echo "make static: not with SAN=1" >&2; exit 2; }
	@mkdir -p $(@D)
	$(CC) -pthread -static -o $@ $^ $$(pkg-config --static --libs libuv-static jansson inih expat)

$(BUILD)/obj/daemon/static/httpd_none.o: src/daemon/static/httpd_none.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INC_daemon) -c -o $@ $<

run: deps $(BUILD)/procmon
	$(BUILD)/procmon run --min-restart-delay 0.5 --max-restart-delay 4 --name demo -- examples/demo.sh

bench: deps $(BUILD)/procmon
	bench/run

# procmon's readiness, dependencies and health checks (procmon alone; a
# section of bench/results.md).
bench-readiness: deps build/plain/procmon build/plain/tests/child
	bench/readiness.py

# supervisorctl and XML-RPC against procmon and supervisord, with 1000
# programs (a section of bench/results.md).
bench-xmlrpc: deps build/plain/procmon build/plain/tests/child
	bench/install-others
	bench/rpc_clients.py

# procmon as PID 1 of a PID namespace against tini, dumb-init and catatonit:
# reaping orphans, memory, stop (root; a section of bench/results.md).
bench-pid1: deps build/plain/procmon build/plain/tests/child
	bench/install-others
	bench/pid1.py

clean:
	rm -rf build

# ---- The shared library, and installing ----
# `make install` (and `make uninstall`) honour PREFIX (/usr/local) and
# DESTDIR, and the usual *DIR variables; they use the plain build.  The
# shared library exports the functions of include/procmon.h alone
# (src/lib/libprocmon.map), under the soname libprocmon.so.MAJOR.
VERSION := $(shell sed -nE 's/^\#define PM_VERSION_(MAJOR|MINOR|PATCH) ([0-9]+).*/\2/p' include/procmon.h | paste -sd.)
SONAME  := libprocmon.so.$(firstword $(subst ., ,$(VERSION)))
SHLIB   := $(BUILD)/libprocmon.so.$(VERSION)
OBJ_pic := $(SRC_lib:src/%.c=$(BUILD)/pic/%.o)
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
CONTRIBDIR ?= $(DATADIR)/procmon
MAN_PAGES  := doc/procmon.1 doc/libprocmon.3 doc/procmon.conf.5 doc/procmon-protocol.7
CONTRIB    := contrib/logrotate.conf contrib/container.conf contrib/Dockerfile
# What install puts where, relative to DESTDIR: uninstall removes these.
INSTALLED  := $(BINDIR)/procmon $(LIBDIR)/libprocmon.so.$(VERSION) $(LIBDIR)/$(SONAME) \
              $(LIBDIR)/libprocmon.so $(LIBDIR)/libprocmon.a $(LIBDIR)/pkgconfig/procmon.pc \
              $(INCLUDEDIR)/procmon.h $(BASHCOMPDIR)/procmon $(ZSHCOMPDIR)/_procmon \
              $(foreach m,$(MAN_PAGES),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
              $(addprefix $(CONTRIBDIR)/,$(notdir $(CONTRIB)) procmon.service)

$(BUILD)/pic/lib/%.o: src/lib/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC $(INC_lib) -c -o $@ $<

$(SHLIB): $(OBJ_pic) src/lib/libprocmon.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/lib/libprocmon.map \
	    -Wl,--no-undefined -o $@ $(OBJ_pic) $$(pkg-config --libs libuv)

.PHONY: install uninstall shlib
shlib: $(SHLIB)

install: $(BUILD)/procmon $(BUILD)/libprocmon.a $(SHLIB)
	@[ "$(SAN)" = 0 ] || { echo "make install: not with SAN=1" >&2; exit 2; }
	install -d $(sort $(dir $(addprefix $(DESTDIR),$(INSTALLED))))
	install -m 755 $(BUILD)/procmon $(DESTDIR)$(BINDIR)/procmon
	install -m 644 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sfn libprocmon.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libprocmon.so
	install -m 644 $(BUILD)/libprocmon.a $(DESTDIR)$(LIBDIR)/
	install -m 644 include/procmon.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    src/lib/procmon.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/procmon.pc
	$(foreach m,$(MAN_PAGES),install -m 644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/ &&) true
	install -m 644 contrib/completions/procmon.bash $(DESTDIR)$(BASHCOMPDIR)/procmon
	install -m 644 contrib/completions/_procmon $(DESTDIR)$(ZSHCOMPDIR)/_procmon
	install -m 644 $(CONTRIB) $(DESTDIR)$(CONTRIBDIR)/
	sed 's|@BINDIR@|$(BINDIR)|' contrib/procmon.service > $(DESTDIR)$(CONTRIBDIR)/procmon.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(CONTRIBDIR) 2>/dev/null

# ---- Fuzzing with libFuzzer (clang; Debian: clang, libclang-rt-dev) ----
# `make fuzz` runs each target for FUZZ_SECONDS (default 60), one after the
# other; `make fuzz-smoke` runs them all at once for 5 s, as `make check`
# does first.  Each starts from a temporary copy of fuzz/corpus/<target>, so
# the repository's corpus stays as it is; a crashing input is written to
# build/fuzz/crash-* (run build/fuzz/fuzz_<target> FILE to replay it).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_CFLAGS  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -std=c17 -D_GNU_SOURCE -Iinclude $(INC_cli) -g -O1 -Wall -Wextra
FUZZ_TARGETS := config lines shellwords request xmlrpc
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SRC_config     := $(filter-out src/config/checkconfig.c src/config/sockpath.c,$(SRC_config)) src/lib/spec.c \
                       src/lib/readiness.c src/lib/health.c src/lib/check.c
FUZZ_SRC_lines      := src/lib/lines.c
FUZZ_SRC_shellwords := src/config/shellwords.c src/config/envlist.c src/lib/spec.c src/config/strbuild.c
FUZZ_SRC_request    := src/daemon/request_decode.c src/config/parse.c
FUZZ_SRC_xmlrpc     := src/daemon/xmlrpc.c src/config/parse.c src/config/strbuild.c src/lib/spec.c

$(FUZZ_DIR):
	mkdir -p $@

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_SRC_$*) $(PKG_LIBS) -lm

# fuzz_run SECONDS PARALLEL: runs every target, its output in
# build/fuzz/fuzz_<target>.log (shown as it goes unless PARALLEL, and its
# end shown on failure).
define fuzz_run
	@set -u; fail=0; pids=""; tmps=""; \
	for t in $(FUZZ_TARGETS); do \
	    tmp=$$(mktemp -d) && cp fuzz/corpus/$$t/* "$$tmp"/ && tmps="$$tmps $$tmp" || exit 1; \
	    echo "== fuzz_$$t: $(1) s"; \
	    run="$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(1) -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ $$tmp"; \
	    if [ "$(2)" = 1 ]; then \
	        $$run >$(FUZZ_DIR)/fuzz_$$t.log 2>&1 & pids="$$pids $$!:$$t"; \
	    else \
	        $$run 2>&1 | tee $(FUZZ_DIR)/fuzz_$$t.log | grep -E '^#[0-9]+.*(pulse|DONE)|ERROR|SUMMARY'; \
	        grep -q '^Done [0-9]* runs' $(FUZZ_DIR)/fuzz_$$t.log || { echo "== fuzz_$$t FAILED:"; tail -n 60 $(FUZZ_DIR)/fuzz_$$t.log; fail=1; }; \
	    fi; \
	done; \
	for p in $$pids; do \
	    t=$${p#*:}; \
	    if wait $${p%%:*}; then echo "== fuzz_$$t: $$(grep '^Done' $(FUZZ_DIR)/fuzz_$$t.log)"; \
	    else echo "== fuzz_$$t FAILED:"; tail -n 60 $(FUZZ_DIR)/fuzz_$$t.log; fail=1; fi; \
	done; \
	rm -rf $$tmps; \
	exit $$fail
endef

fuzz: deps
	$(MAKE) $(FUZZ_BIN)
	$(call fuzz_run,$(FUZZ_SECONDS),0)

fuzz-smoke: deps
	$(MAKE) $(FUZZ_BIN)
	$(call fuzz_run,5,1)

check: fuzz-smoke

# ---- The command-line tests under valgrind (memcheck) ----
# `make valgrind` runs tests/cli against the plain build with $PROCMON set
# to tests/valgrind/procmon, which runs procmon under memcheck (the programs
# it starts are not valgrinded), then daemon.bats with the control commands
# under memcheck too; it fails if a test fails or memcheck reports anything
# (build/valgrind/logs).  See tests/valgrind/run.
.PHONY: valgrind
valgrind: deps
	$(MAKE) SAN=0 build/plain/procmon build/plain/tests/child
	tests/valgrind/run build/plain

# ---- The Debian package ----
# `make check-package` builds the packages of debian/ (procmon, libprocmon0,
# libprocmon-dev) from a copy of the tree under build/package/, runs lintian
# on them (an error fails), installs them into a fresh Debian 12 chroot,
# uses them there and purges them; see scripts/check-package.  Root (or
# sudo) and Debian's archive; the output is also in
# build/package/check-package.log.
.PHONY: check-package
check-package:
	scripts/check-package
