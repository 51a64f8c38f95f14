# stau - a job orchestrator for cron.
#
#   make            build ./stau
#   make check      build and run every test (unit, end-to-end, sanitizers, valgrind)
#   make demo       run the example pipeline in jobs/ and schedule.yaml
#   make bench      measure stau against make, ninja and the floors (SPEC §13); about 5 minutes
#   make install    install stau and stau.1 under $(DESTDIR)$(PREFIX)
#
# Missing Debian packages are installed by scripts/need-deps.sh (as root) or named.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g
WARN = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
# recursively expanded: evaluated after need-deps.sh has installed pkg-config and friends
PKG_CFLAGS = $(shell pkg-config --cflags sqlite3 yaml-0.1)
PKG_LIBS = $(shell pkg-config --libs sqlite3 yaml-0.1)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)

SRCS := $(filter-out stau.c, $(wildcard *.c))
GEN := build/gen/pyrunner.c
OBJS := $(SRCS:%.c=build/obj/%.o) build/obj/pyrunner_gen.o
TESTS := $(patsubst tests/%.c, build/tests/%, $(wildcard tests/test_*.c))
ASAN_OBJS := $(SRCS:%.c=build/asan/%.o) build/asan/pyrunner_gen.o
ASAN_TESTS := $(patsubst tests/%.c, build/asan/tests/%, $(wildcard tests/test_*.c))
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

all: stau

build/.deps-build:
	@scripts/need-deps.sh build
	@mkdir -p build && touch $@
build/.deps-test: | build/.deps-build
	@scripts/need-deps.sh test
	@touch $@

build/gen/pyrunner.c: pyrunner.py scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh pyrunner_py < pyrunner.py > $@

build/obj/pyrunner_gen.o: build/gen/pyrunner.c | build/.deps-build
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -c -o $@ $<
build/obj/%.o: %.c | build/.deps-build
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<
build/libstau.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^
stau: build/obj/stau.o build/libstau.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/tests/%: tests/%.c build/libstau.a | build/.deps-test
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -I. $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP -o $@ $< build/libstau.a $(PKG_LIBS) $(CMOCKA_LIBS)

# The same code built with AddressSanitizer and UndefinedBehaviorSanitizer.
build/asan/pyrunner_gen.o: build/gen/pyrunner.c | build/.deps-build
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) -c -o $@ $<
build/asan/%.o: %.c | build/.deps-build
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<
build/asan/libstau.a: $(ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^
build/asan/stau: build/asan/stau.o build/asan/libstau.a
	$(CC) -g $(SAN) -o $@ $^ $(PKG_LIBS)
build/asan/tests/%: tests/%.c build/asan/libstau.a | build/.deps-test
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) -I. $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< build/asan/libstau.a $(PKG_LIBS) $(CMOCKA_LIBS)

check: unit e2e unit-asan e2e-asan unit-valgrind e2e-valgrind fuzz-short

unit: $(TESTS)
	@scripts/run-units.sh $(TESTS)
unit-asan: $(ASAN_TESTS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/run-units.sh $(ASAN_TESTS)
unit-valgrind: $(TESTS)
	@VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		scripts/run-units.sh $(TESTS)
e2e: stau | build/.deps-test
	@STAU=$(CURDIR)/stau tests/e2e/run.sh
e2e-asan: build/asan/stau | build/.deps-test
	@STAU=$(CURDIR)/build/asan/stau ASAN_OPTIONS=detect_leaks=1 tests/e2e/run.sh
# stau under valgrind: in `make check` the scripts that drive the engine (runs, overlapping
# ticks, Python chunks, retries, cancel, kill -9, a migration), about a minute; every
# script with `make e2e-valgrind-all` (about 20 minutes: each tick replayed is a valgrind start).
VALGRIND_E2E = t0300 t0320 t0340 t0500 t0510 t0600 t0650
e2e-valgrind: stau | build/.deps-test
	@E2E_NAME=e2e-valgrind STAU=$(CURDIR)/tests/e2e/valgrind-stau STAU_REAL=$(CURDIR)/stau \
		tests/e2e/run.sh $(VALGRIND_E2E)
e2e-valgrind-all: stau | build/.deps-test
	@E2E_NAME=e2e-valgrind STAU=$(CURDIR)/tests/e2e/valgrind-stau STAU_REAL=$(CURDIR)/stau \
		tests/e2e/run.sh

# libFuzzer harnesses, one per parser (tests/fuzz/fuzz_*.c), built with clang.
# `make check` runs each for a few seconds; `make fuzz FUZZ_TIME=600` for the long runs.
FUZZ_CC = clang
FUZZ_TIME ?= 600
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZERS := $(patsubst tests/fuzz/%.c, build/fuzz/%, $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS := $(SRCS:%.c=build/fuzz/%.o) build/fuzz/pyrunner_gen.o
build/fuzz/pyrunner_gen.o: build/gen/pyrunner.c | build/.deps-test
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<
build/fuzz/%.o: %.c | build/.deps-test
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<
build/fuzz/libstau.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libstau.a
	$(FUZZ_CC) $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -I. $(PKG_CFLAGS) -o $@ $< build/fuzz/libstau.a $(PKG_LIBS)
fuzz-short: $(FUZZERS)
	@FUZZ_TIME=5 scripts/run-fuzzers.sh $(FUZZERS)
fuzz: $(FUZZERS)
	@FUZZ_TIME=$(FUZZ_TIME) scripts/run-fuzzers.sh $(FUZZERS)

demo: stau
	@scripts/demo.sh

# SPEC §13: prints one table and writes it to build/bench/results.md (bench/run.sh says how).
bench: stau
	@sh bench/run.sh

install: stau
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 stau $(DESTDIR)$(BINDIR)/stau
	install -m 0644 stau.1 $(DESTDIR)$(MANDIR)/man1/stau.1

clean:
	rm -rf build stau

.PHONY: all check unit unit-asan unit-valgrind e2e e2e-asan e2e-valgrind e2e-valgrind-all fuzz fuzz-short demo bench install clean
-include $(wildcard build/obj/*.d build/asan/*.d build/tests/*.d build/fuzz/*.d)
