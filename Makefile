# SPDX-License-Identifier: Apache-2.0
# Stratum build. Layout (see docs/architecture.md):
#   src/<part>/*.c -> libstratum.a     src/cli/*.c -> stratum (thin wiring)
#   src/cli/edge/listen_main.c -> stratum-listen (the edge analyser alone)
#   tests/<part>/test_*.c -> one unit-test program per module
#   bench/*.c -> benchmark programs    fuzz/fuzz_*.c -> libFuzzer targets (clang)
# `make SAN=1` builds everything with ASan+UBSan into build-asan/.
# `make check` is the whole test command the README and .ci/run use.

SAN      ?= 0
BUILD    ?= $(if $(filter 1,$(SAN)),build-asan,build)
CC       ?= cc
PKG_CONFIG ?= pkg-config
# Libraries the library links; every module's dependencies are listed once here.
PKGS     := sqlite3 libsodium libmosquitto jansson sndfile kissfft-float alsa libmpdclient libcurl libmicrohttpd igraph link-grammar

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# CI (CI=true) and `make WERROR=1` turn every warning into an error.
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN     += -Werror
endif
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -MMD -MP $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS   += $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm -lpthread
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

CLI_SRC  := $(wildcard src/cli/*.c)
LIB_SRC  := $(filter-out $(CLI_SRC),$(wildcard src/*/*.c))
TEST_SRC := $(wildcard tests/*/test_*.c)
BENCH_SRC:= $(wildcard bench/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libstratum.a
BIN      := $(BUILD)/stratum
# The edge analyser for sensor boxes: `stratum listen` linked with only the
# libraries it uses, so its resident memory stays small.
EDGE_BIN := $(BUILD)/stratum-listen
EDGE_OBJ := $(BUILD)/src/cli/edge/listen_main.o $(BUILD)/src/cli/cmd_listen.o $(BUILD)/src/cli/cli.o
TESTS    := $(TEST_SRC:%.c=$(BUILD)/%)
BENCHES  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all tests benches web check test unit integration sanitize format format-check fuzz fuzz-smoke run clean
all: $(BIN) $(EDGE_BIN) tests benches web
tests: $(TESTS)
benches: $(BENCHES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(EDGE_BIN): $(EDGE_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $(EDGE_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIB) tests/st_test.h $(wildcard tests/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# The dashboard's static files: our page, plus uPlot from the npm registry
# (web/package-lock.json pins it; node_modules is never committed).
WEB_SRC := $(wildcard web/*.html web/*.js web/*.css web/*.svg)
WEB_VENDOR := uPlot.iife.min.js uPlot.min.css
web: $(WEB_SRC:web/%=$(BUILD)/web/%) $(WEB_VENDOR:%=$(BUILD)/web/vendor/%)
web/node_modules/uplot/dist/uPlot.iife.min.js: web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch $@
$(BUILD)/web/vendor/%: web/node_modules/uplot/dist/uPlot.iife.min.js
	@mkdir -p $(dir $@)
	cp web/node_modules/uplot/dist/$* $@
$(BUILD)/web/%: web/%
	@mkdir -p $(dir $@)
	cp $< $@

# The main job: the embedded simulated street, dashboard on localhost.
run: $(BIN) web
	$(BIN) run

# Unit tests and integration tests against the normal build.
test: all
	STRATUM_BUILD=$(BUILD) tests/run.sh

# The same suite under ASan+UBSan.
sanitize:
	$(MAKE) SAN=1 all
	STRATUM_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

FORMAT_FILES = $(wildcard include/stratum/*.h src/*/*.c src/*/*.h src/cli/edge/*.c tests/*/*.c tests/*/*.h tests/*.h bench/*.c bench/*.h fuzz/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files formatted"

# libFuzzer targets, built with clang, ASan and UBSan (scripts/fuzz runs them).
# The library is compiled once with coverage instrumentation and linked into each.
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined $(CPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
fuzz: $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libstratum.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^
$(FUZZ_BUILD)/%: fuzz/%.c $(FUZZ_BUILD)/libstratum.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libstratum.a $(LDLIBS)
# A short pass of every target (CI); scripts/fuzz runs a given number of executions.
fuzz-smoke: fuzz
	scripts/fuzz --runs 200000 --seconds 30

check:
	$(MAKE) format-check
	$(MAKE) test
	$(MAKE) sanitize
	$(MAKE) fuzz-smoke
	@echo "check: all stages passed"

clean:
	rm -rf build build-asan build-fuzz web/node_modules

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(EDGE_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
