# stau - a job orchestrator for cron.
#
#   make            build ./stau
#   make check      make layers, then build and run every test (man page, unit, end-to-end,
#                   sanitizers, valgrind, fuzzers)
#   make layers     check the rules of the layers below and the lengths of functions
#                   (scripts/check-layers.sh)
#   make demo       run the example pipeline in jobs/ and schedule.yaml
#   make bench      measure stau against make, ninja and the floors; about 5 minutes
#   make install    install a stripped stau, stau.1 and the bash completion under
#                   $(DESTDIR)$(PREFIX)
#
# Missing Debian packages are installed by scripts/need-deps.sh (as root) or named.
#
# CC, CFLAGS, CPPFLAGS, LDFLAGS, PREFIX and DESTDIR are honoured. Warnings are errors
# (-Werror) in `make check`, and so in CI (.ci/run), but not in a plain `make`: a newer
# compiler's new warning must not break someone's build. `make WERROR=1` asks for them
# anywhere; with WERROR=1 in your environment `make` and `make check` build the same objects.
# Objects are rebuilt when the compiler or its flags change (build/obj/.flags and siblings).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
CC ?= cc
CFLAGS ?= -O2 -g
ifneq ($(filter check,$(MAKECMDGOALS)),)
WERROR ?= 1
endif
WARN = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
	$(if $(filter 1 yes,$(WERROR)),-Werror)
# recursively expanded: evaluated after need-deps.sh has installed pkg-config and friends
PKG_CFLAGS = $(shell pkg-config --cflags sqlite3 yaml-0.1)
PKG_LIBS = $(shell pkg-config --libs sqlite3 yaml-0.1)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)

all: stau

# ---- Layers -----------------------------------------------------------------------------
# A module is a .c file at the top (named without .c) or a generated one. Each sits in one
# layer, ground floor first, and may call only modules of its own layer or of the layers
# below (docs/design.md, "Data flow"). A new module is one more word in one of these lists;
# a .c file that is in none of them stops the build.
LAYER0 := util msg json kvlist
LAYER1 := timeutil cron term yamldoc jobheader promtext
LAYER2 := proc slurm config config_job config_schedule graph workids
LAYER3 := project plan planwhy due cronline overlap schedcheck
LAYER4 := state_sql state state_runs state_fresh state_chunks state_entries state_health \
	state_views state_monitor state_prune exec exec_log exec_pyrun exec_pyfork_spawn exec_pyfork \
	exec_select pyrunner_gen exec_file state_slurm exec_slurm
LAYER5 := engine_health engine_chunk engine_runs engine failtext health metrics monitor why \
	sched runprogress usage view timeline rungraph engine_slurm simulate tickcache
LAYER6 := cmdopt cmdctx cmd_check cmd_graph cmd_init cmd_next cmd_run cmd_show cmd_logs \
	cmd_status cmd_tick cmd_retry cmd_cancel cmd_prune cmd_metrics cmd_why cmd_rerun cmd_submit \
	cmd_crontab cmd_complete cmd_simulate
LAYER7 := stau
LAYER_NUMBERS := 0 1 2 3 4 5 6 7
MODULES := $(foreach n,$(LAYER_NUMBERS),$(LAYER$(n)))
GENERATED := pyrunner_gen

# ---- What each program links ------------------------------------------------------------
# A program links the objects of the modules in its LINK_ list, not a library of everything.
# A test (or fuzz harness) names the module it tests first, then every module the linked
# objects call. Each name must sit in the first one's layer or below, so a call from a tested
# module to one above it cannot link (the way ninja's and redis's tests link what they test).
LINK_stau := $(MODULES)
LINK_test_json := json util
LINK_test_timeutil := timeutil util
LINK_test_cron := cron timeutil util
LINK_test_term := term msg util
LINK_test_jobheader := jobheader msg util
LINK_test_graph := graph msg util
LINK_test_project := project schedcheck config config_job config_schedule graph proc slurm \
	workids cron jobheader timeutil yamldoc json kvlist msg util
LINK_test_config := config_job config config_schedule slurm cron jobheader timeutil yamldoc \
	json kvlist msg util
LINK_test_due := due cron timeutil util
LINK_test_overlap := overlap workids proc kvlist json msg util
LINK_test_plan := plan planwhy graph proc workids json kvlist msg util
LINK_test_exec := exec exec_log exec_pyrun exec_pyfork exec_pyfork_spawn pyrunner_gen proc \
	util exec_slurm slurm timeutil exec_file
LINK_test_proc := proc util
LINK_test_util := util
LINK_test_workids := workids proc util
LINK_test_state := state state_chunks state_entries state_fresh state_health state_prune \
	state_runs state_sql state_views proc workids util
LINK_test_engine := engine engine_chunk engine_health engine_runs exec_select exec_pyfork \
	exec_pyfork_spawn pyrunner_gen state engine_slurm exec_slurm state_slurm state_chunks \
	state_fresh state_health state_runs state_sql state_views plan project schedcheck config \
	config_job config_schedule graph proc slurm workids cron jobheader term timeutil yamldoc \
	json kvlist msg util
LINK_test_sched := sched tickcache engine engine_chunk engine_health engine_runs failtext \
	health metrics overlap exec_select exec_pyfork exec_pyfork_spawn engine_slurm exec_slurm \
	state_slurm monitor exec exec_log exec_pyrun pyrunner_gen state state_chunks state_entries \
	state_fresh state_health exec_file state_monitor state_prune state_runs state_sql \
	state_views due plan project config config_job schedcheck config_schedule graph proc slurm \
	workids cron jobheader promtext term timeutil yamldoc json kvlist msg util
LINK_test_runprogress := runprogress engine engine_chunk engine_health engine_runs failtext \
	exec_select exec_pyfork exec_pyfork_spawn engine_slurm exec_slurm state_slurm health metrics \
	monitor exec exec_log exec_pyrun pyrunner_gen state state_chunks state_entries state_fresh \
	exec_file state_health state_monitor state_runs state_sql state_views plan project config \
	config_job schedcheck config_schedule graph proc slurm workids cron jobheader promtext term \
	timeutil yamldoc json kvlist msg util
LINK_test_view := view usage state state_runs state_sql proc workids term timeutil json msg \
	util
LINK_test_cmdopt := cmdopt usage state_sql proc workids timeutil json kvlist msg util
LINK_test_cmdctx := cmdctx state state_sql project schedcheck config config_job \
	config_schedule graph proc slurm workids cron jobheader timeutil yamldoc json kvlist msg \
	util
LINK_test_cmd_status := cmd_status cmd_logs cmd_show cmdctx cmdopt health timeline usage view \
	state state_chunks state_entries state_fresh state_health state_monitor state_runs state_sql \
	state_slurm state_views plan project schedcheck config config_job config_schedule graph proc \
	slurm workids cron jobheader term timeutil yamldoc json kvlist msg util
LINK_fuzz_config := config_schedule config slurm cron jobheader timeutil yamldoc json kvlist \
	msg util
LINK_fuzz_cron := cron timeutil util
LINK_fuzz_jobheader := config_job config slurm jobheader timeutil yamldoc json kvlist msg \
	util
LINK_fuzz_ids := workids proc util
LINK_test_slurm := slurm timeutil util
LINK_test_monitor := monitor health metrics state state_chunks state_entries state_fresh \
	state_health state_monitor state_runs state_sql state_views project schedcheck config \
	config_job config_schedule graph proc slurm workids cron jobheader promtext timeutil yamldoc \
	json kvlist msg util
LINK_test_why := why state state_chunks state_fresh state_monitor state_runs state_sql plan \
	project schedcheck config config_job config_schedule graph proc slurm workids cron jobheader \
	term timeutil yamldoc json kvlist msg util
LINK_test_state_monitor := state_monitor state state_chunks state_entries state_fresh \
	state_runs state_sql state_views proc workids util
LINK_test_promtext := promtext util
LINK_test_exec_log := exec_log util
LINK_test_cronline := cronline proc util
LINK_test_failtext := failtext engine_health engine_runs exec_select exec_pyfork \
	exec_pyfork_spawn state state_chunks state_fresh state_health state_runs state_sql \
	state_views plan project schedcheck config config_job config_schedule graph proc slurm \
	workids cron jobheader term timeutil yamldoc json kvlist msg util pyrunner_gen
LINK_test_timeline := timeline state_sql proc workids term timeutil msg util
LINK_test_rungraph := rungraph usage view state state_runs state_sql proc workids term \
	timeutil json msg util
LINK_test_exec_pyfork := exec_pyfork exec_pyfork_spawn pyrunner_gen util
LINK_fuzz_slurm := slurm timeutil util


# Test helpers: objects of tests/ that tests link beside their modules (fake_exec.c: a fake
# executor for the tests that drive the engine). A test names its helpers in HELPERS_test_x;
# a helper names the modules it calls in its LINK_ list, and each of them must be in the LINK_
# list of every test that uses it, so that a helper cannot take a test above its layer.
TEST_HELPERS := fake_exec
LINK_fake_exec := util
HELPERS_test_engine := fake_exec
HELPERS_test_sched := fake_exec
HELPERS_test_runprogress := fake_exec

TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

# The layer of module $(1), and the modules of layers $(1) and below (layer numbers $(2)).
layer_of = $(strip $(foreach n,$(LAYER_NUMBERS),$(if $(filter $(1),$(LAYER$(n))),$(n))))
upto = $(if $(2),$(LAYER$(firstword $(2))) $(if $(filter $(1),$(firstword $(2))),,\
	$(call upto,$(1),$(wordlist 2,$(words $(2)),$(2)))))
# The names in LINK_$(1) above the layer of its first name.
above = $(filter-out $(call upto,$(call layer_of,$(firstword $(LINK_$(1)))),$(LAYER_NUMBERS)),\
	$(LINK_$(1)))

ifneq ($(MAKECMDGOALS),clean)
$(foreach m,$(filter-out $(MODULES),$(basename $(wildcard *.c))),\
	$(error $(m).c is in no layer: add '$(m)' to one of the LAYER lists in the Makefile))
$(foreach m,$(filter-out $(basename $(wildcard *.c)) $(GENERATED),$(MODULES)),\
	$(error the Makefile's layers name '$(m)', but there is no $(m).c))
$(foreach m,$(MODULES),$(if $(word 2,$(call layer_of,$(m))),\
	$(error '$(m)' is in layers $(call layer_of,$(m)): keep it in one)))
$(foreach p,$(TESTS) $(FUZZERS),$(if $(LINK_$(p)),,\
	$(error tests/$(p).c: list what it links in LINK_$(p) in the Makefile, its module first)))
$(foreach p,$(TESTS) $(FUZZERS),$(foreach m,$(filter-out $(MODULES),$(LINK_$(p))),\
	$(error LINK_$(p) names '$(m)', which is no module of the layers)))
$(foreach p,$(TESTS) $(FUZZERS),$(if $(call above,$(p)),$(error LINK_$(p) names \
	$(call above,$(p)), above the layer of '$(firstword $(LINK_$(p)))' (layer \
	$(call layer_of,$(firstword $(LINK_$(p))))): link only the tested module and those below)))
$(foreach h,$(filter-out $(TEST_HELPERS) test_%,$(basename $(notdir $(wildcard tests/*.c)))),\
	$(error tests/$(h).c is no test (test_*.c) and no helper: add '$(h)' to TEST_HELPERS))
$(foreach p,$(TESTS),$(foreach h,$(HELPERS_$(p)),$(if $(filter $(h),$(TEST_HELPERS)),,\
	$(error HELPERS_$(p) names '$(h)', which is not in TEST_HELPERS))))
$(foreach p,$(TESTS),$(foreach h,$(HELPERS_$(p)),$(foreach m,$(filter-out $(LINK_$(p)),\
	$(LINK_$(h))),$(error tests/$(h).c calls '$(m)', which LINK_$(p) does not link))))
endif

# ---- One set of rules, three builds -----------------------------------------------------
# normal: ./stau, build/obj/ and build/tests/, with $(CC) and $(CFLAGS);
# asan:   build/asan/: AddressSanitizer and UndefinedBehaviorSanitizer (stau, tests);
# fuzz:   build/fuzz/: clang's libFuzzer harnesses of tests/fuzz/ (with both sanitizers).
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CC = clang
FUZZ_TIME ?= 600
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all

normal_DIR := build
normal_STAU := stau
normal_CC = $(CC)
normal_CFLAGS = $(CFLAGS)
normal_NEEDS := build/.deps-build
asan_DIR := build/asan
asan_STAU := build/asan/stau
asan_CC = $(CC)
asan_CFLAGS = -O1 -g $(SAN)
asan_NEEDS := build/.deps-build
fuzz_DIR := build/fuzz
fuzz_CC = $(FUZZ_CC)
fuzz_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)
fuzz_NEEDS := build/.deps-test

# What the kinds of program add when they are compiled and linked.
stau_FLAGS =
stau_LIBS = $(PKG_LIBS)
test_FLAGS = -I. $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP
test_LIBS = $(PKG_LIBS) $(CMOCKA_LIBS)
fuzz_FLAGS = -fsanitize=fuzzer -I. $(PKG_CFLAGS) -MMD -MP
fuzz_LIBS = $(PKG_LIBS)

# The objects of modules $(2) in build $(1); the objects of the helpers of test $(2).
objs = $(patsubst %,$($(1)_DIR)/obj/%.o,$(2))
helper_objs = $(patsubst %,$($(1)_DIR)/tests/%.o,$(HELPERS_$(2)))
# FILE $(1) holds TEXT $(2) afterwards, and is written (so newer) only when it held other text.
differ = $(subst x$(1)x,,x$(2)x)$(subst x$(2)x,,x$(1)x)
remember = $(if $(call differ,$(file <$(1)),$(2)),$(shell mkdir -p $(dir $(1)))$(file >$(1),$(2)))

# $(call variant,BUILD): the objects of every module in build BUILD.
define variant
$($(1)_DIR)/obj/%.o: %.c $($(1)_DIR)/.flags | $($(1)_NEEDS)
	@mkdir -p $$(@D)
	$$($(1)_CC) $$(WARN) $$($(1)_CFLAGS) $$(CPPFLAGS) $$(PKG_CFLAGS) -MMD -MP -c -o $$@ $$<
$($(1)_DIR)/obj/pyrunner_gen.o: build/gen/pyrunner.c $($(1)_DIR)/.flags | $($(1)_NEEDS)
	@mkdir -p $$(@D)
	$$($(1)_CC) $$(WARN) $$($(1)_CFLAGS) $$(CPPFLAGS) -c -o $$@ $$<
$($(1)_DIR)/tests/%.o: tests/%.c $($(1)_DIR)/.flags | build/.deps-test
	@mkdir -p $$(@D)
	$$($(1)_CC) $$(WARN) $$($(1)_CFLAGS) $$(test_FLAGS) $$(CPPFLAGS) -c -o $$@ $$<
$($(1)_DIR)/.flags: FORCE
	$$(call remember,$$@,$$($(1)_CC) $$(WARN) $$($(1)_CFLAGS) $$(CPPFLAGS) $$(LDFLAGS))
endef

# $(call program,BUILD,KIND,TARGET,SOURCE,NAME): TARGET links SOURCE (a test or a harness,
# compiled on the way; none for stau) with the objects of LINK_NAME from build BUILD, and
# those of its HELPERS_NAME.
define program
$(3): $(4) $(call objs,$(1),$(LINK_$(5))) $(call helper_objs,$(1),$(5)) $($(1)_DIR)/.flags \
		| $(if $(4),build/.deps-test)
	@mkdir -p $$(@D)
	$$($(1)_CC) $$(WARN) $$($(1)_CFLAGS) $$($(2)_FLAGS) $$(CPPFLAGS) $$(LDFLAGS) -o $$@ \
		$$(filter %.c %.o,$$^) $$($(2)_LIBS)
endef

$(foreach b,normal asan fuzz,$(eval $(call variant,$(b))))
$(foreach b,normal asan,$(eval $(call program,$(b),stau,$($(b)_STAU),,stau)))
$(foreach b,normal asan,$(foreach t,$(TESTS),\
	$(eval $(call program,$(b),test,$($(b)_DIR)/tests/$(t),tests/$(t).c,$(t)))))
$(foreach f,$(FUZZERS),$(eval $(call program,fuzz,fuzz,build/fuzz/$(f),tests/fuzz/$(f).c,$(f))))

UNIT_TESTS := $(TESTS:%=build/tests/%)
ASAN_TESTS := $(TESTS:%=build/asan/tests/%)
FUZZ_BINS := $(FUZZERS:%=build/fuzz/%)

build/.deps-build:
	@scripts/need-deps.sh build
	@mkdir -p build && touch $@
build/.deps-test: | build/.deps-build
	@scripts/need-deps.sh test
	@touch $@

build/gen/pyrunner.c: pyrunner.py scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh pyrunner_py < pyrunner.py > $@

# Every module but main() in one archive, for programs outside the build (bench/expand.sh).
build/libstau.a: $(call objs,normal,$(filter-out stau,$(MODULES)))
	rm -f $@ && ar rcs $@ $^

# ---- Tests ------------------------------------------------------------------------------
# The rules of the layers and the function-length profile (scripts/check-layers.sh, `make
# layers`) are the first step of `make check`; `make check CHECK_LAYERS=no` skips them.
CHECK_LAYERS ?= yes
check: $(if $(filter yes,$(CHECK_LAYERS)),layers) man unit e2e unit-asan e2e-asan \
	unit-valgrind e2e-valgrind fuzz-short

layers: $(call objs,normal,$(MODULES))
	@scripts/check-layers.sh build/obj $(foreach n,$(LAYER_NUMBERS),"$(LAYER$(n))")

# The man page renders without a groff warning (scripts/check-man.sh).
man: | build/.deps-test
	@scripts/check-man.sh stau.1

unit: $(UNIT_TESTS)
	@scripts/run-units.sh $(UNIT_TESTS)
unit-asan: $(ASAN_TESTS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/run-units.sh $(ASAN_TESTS)
unit-valgrind: $(UNIT_TESTS)
	@VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		scripts/run-units.sh $(UNIT_TESTS)
e2e: stau | build/.deps-test
	@STAU=$(CURDIR)/stau tests/e2e/run.sh
e2e-asan: build/asan/stau | build/.deps-test
	@E2E_NAME=e2e-asan STAU=$(CURDIR)/build/asan/stau ASAN_OPTIONS=detect_leaks=1 tests/e2e/run.sh
# stau under valgrind: in `make check` the scripts that drive the engine (runs, overlapping
# ticks, Python chunks, retries, cancel, kill -9, a migration), about a minute; every
# script with `make e2e-valgrind-all` (about 20 minutes: each tick replayed is a valgrind start).
VALGRIND_E2E = t0300 t0320 t0340 t0500 t0510 t0540 t0600 t0650 t1300 t1310 t1320
e2e-valgrind: stau | build/.deps-test
	@E2E_NAME=e2e-valgrind STAU=$(CURDIR)/tests/e2e/valgrind-stau STAU_REAL=$(CURDIR)/stau \
		tests/e2e/run.sh $(VALGRIND_E2E)
e2e-valgrind-all: stau | build/.deps-test
	@E2E_NAME=e2e-valgrind STAU=$(CURDIR)/tests/e2e/valgrind-stau STAU_REAL=$(CURDIR)/stau \
		tests/e2e/run.sh

# The Slurm tests (tests/slurm/t*.sh) against a real single-node Slurm on localhost, which
# tests/slurm/cluster.sh brings up (installing Debian's packages when run as root) and takes
# down again, whether the tests pass or not. Not part of `make check`: .ci/run runs it after.
check-slurm: stau build/libstau.a | build/.deps-test
	@tests/slurm/cluster.sh up
	@STAU=$(CURDIR)/stau tests/slurm/run.sh; rc=$$?; tests/slurm/cluster.sh down; exit $$rc

# libFuzzer harnesses, one per parser (tests/fuzz/fuzz_*.c), built with clang.
# `make check` runs each for a few seconds; `make fuzz FUZZ_TIME=600` for the long runs.
fuzz-short: $(FUZZ_BINS)
	@FUZZ_TIME=5 scripts/run-fuzzers.sh $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@FUZZ_TIME=$(FUZZ_TIME) scripts/run-fuzzers.sh $(FUZZ_BINS)

# ---- The rest ---------------------------------------------------------------------------
demo: stau
	@scripts/demo.sh

# Prints two tables and writes them to build/bench/results.md and build/bench/python.md
# (bench/run.sh and bench/python.sh say how).
bench: stau build/libstau.a
	@sh bench/run.sh
	@sh bench/python.sh

install: stau
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -s -m 0755 stau $(DESTDIR)$(BINDIR)/stau
	$(INSTALL) -m 0644 stau.1 $(DESTDIR)$(MANDIR)/man1/stau.1
	$(INSTALL) -m 0644 completion/stau.bash $(DESTDIR)$(BASHCOMPDIR)/stau

clean:
	rm -rf build stau

FORCE:
.PHONY: all check check-slurm layers man unit unit-asan unit-valgrind e2e e2e-asan e2e-valgrind \
	e2e-valgrind-all fuzz fuzz-short demo bench install clean FORCE
-include $(wildcard build/obj/*.d build/tests/*.d build/asan/obj/*.d build/asan/tests/*.d \
	build/fuzz/obj/*.d build/fuzz/*.d)
