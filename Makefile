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
           -g $(OPT) $(SANFLAGS) -Iinclude -Isrc $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS)

# The command-line program's own files; everything else in src/ is libprocmon.
APP_SRC := src/main.c src/run.c src/cli.c
LIB_SRC := $(filter-out $(APP_SRC),$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
APP_OBJ := $(APP_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN := $(BUILD)/tests/child

.PHONY: all deps run check test unit cli bench clean
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
