# procmon: `make run` shows it on the bundled example, `make check` runs every
# test twice, once plain and once under AddressSanitizer and UBSan.

CC      ?= cc
PKGS    := libuv jansson inih
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
           -g $(OPT) $(SANFLAGS) -pthread -Iinclude -Isrc $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS  += $(PKG_LIBS)

# The command-line program's own files; everything else in src/ is libprocmon.
APP_SRC := src/main.c src/run.c src/cli.c
LIB_SRC := $(filter-out $(APP_SRC),$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
APP_OBJ := $(APP_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN := $(BUILD)/tests/child

.PHONY: all deps run check test unit cli bench clean fuzz fuzz-smoke
all: $(BUILD)/procmon

deps:
	@scripts/install-deps

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h src/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libprocmon.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/procmon: $(APP_OBJ) $(BUILD)/libprocmon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/*.h $(BUILD)/libprocmon.a | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libprocmon.a $(LDLIBS) -lcmocka

$(BUILD)/tests/child: tests/child.c | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

cli: $(BUILD)/procmon $(HELPER_BIN)
	PROCMON=$(CURDIR)/$(BUILD)/procmon CHILD=$(CURDIR)/$(HELPER_BIN) bats tests/cli

# Both, with one closing count.
test: $(UNIT_BIN) $(BUILD)/procmon $(HELPER_BIN)
	tests/run $(BUILD)

# Every test, plain and under the sanitizers.
check: deps
	$(MAKE) test SAN=0
	$(MAKE) test SAN=1

run: deps $(BUILD)/procmon
	$(BUILD)/procmon run --min-restart-delay 0.5 --max-restart-delay 4 --name demo -- examples/demo.sh

bench: deps $(BUILD)/procmon
	bench/run

clean:
	rm -rf build

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
                -fno-omit-frame-pointer -std=c17 -D_GNU_SOURCE -Iinclude -Isrc -g -O1 -Wall -Wextra
FUZZ_TARGETS := config lines shellwords request
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SRC_config     := src/config.c src/envlist.c src/parse.c src/shellwords.c src/spec.c src/strbuild.c
FUZZ_SRC_lines      := src/lines.c
FUZZ_SRC_shellwords := src/shellwords.c src/envlist.c src/spec.c src/strbuild.c
FUZZ_SRC_request    := src/request_decode.c src/parse.c

$(FUZZ_DIR):
	mkdir -p $@

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(wildcard include/*.h src/*.h) | $(FUZZ_DIR)
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
