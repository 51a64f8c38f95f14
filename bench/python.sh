#!/bin/sh
# python.sh - Python chunks (docs/design.md, "Performance"): N chunks of a main_func job, two
# at a time, through stau's Python runner and through its peers, measured in the same run.
#
#   make && sh bench/python.sh
#
# Workloads, written by bench/pyjobs.py into $PYBENCH_DIR (default build/bench/python):
#   heavy       its import does 0.3 s of work (a 75 MB structure), standard library only
#   pandas_job  imports pandas; each call builds a small DataFrame (only where the
#               interpreter has pandas: Debian's python3-pandas installs for /usr/bin/python3)
# Rows, each the median of $PYBENCH_RUNS runs (default 5) with min and max, interleaved by
# bench/measure.c so that a busy spell of a shared machine falls on every row:
#   import           the interpreter's start and the import, nothing else
#   pool             a ProcessPoolExecutor(2) whose workers import once: the Python Stau's model
#   forkloop         import once, one os.fork() per chunk, two at a time: the floor
#   forkloop+freeze  the same after gc.freeze(), as the runner does
#   runner           stau's runner driven through exec_pyfork by bench/pydrive.c, with a log
#                    file and the STAU_* environment per chunk, as the engine does
#   stau             `stau run JOB --ids 1-N -j 2`: the whole of stau, chunks forked from
#                    the runner, every transition recorded in SQLite
# and, alone and $PYBENCH_ONESHOT_RUNS times (default 1, 0 skips it; it takes minutes):
#   python_fork: false  the same run with one interpreter per chunk
# Then one more runner run per workload prints where its time goes (PYDRIVE_STATS).
# The table goes to stdout and build/bench/python.md; progress goes to stderr.
# Knobs: PYBENCH_PYTHON (default /usr/bin/python3, else python3), PYBENCH_N (200),
# PYBENCH_RUNS, PYBENCH_ONESHOT_RUNS, PYBENCH_DIR, STAU (default ./stau), CC.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build/bench
WORK=${PYBENCH_DIR:-$OUT/python}
STAU=${STAU:-$ROOT/stau}
N=${PYBENCH_N:-200}
RUNS=${PYBENCH_RUNS:-5}
ONESHOT_RUNS=${PYBENCH_ONESHOT_RUNS:-${PYBENCH_TODAY_RUNS:-1}}
CC=${CC:-cc}
if [ -n "${PYBENCH_PYTHON:-}" ]; then PY=$PYBENCH_PYTHON
elif [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3
else PY=$(command -v python3)
fi
RESULTS=$OUT/python.md

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

build_tools() {
	[ -f build/libstau.a ] || die "no build/libstau.a: run 'make' first"
	mkdir -p "$OUT"
	flags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -O2"
	# shellcheck disable=SC2086 # $CC and $flags are word lists, as in make
	$CC $flags -o "$OUT/measure" bench/measure.c
	# shellcheck disable=SC2086
	$CC $flags -I. -o "$OUT/pydrive" bench/pydrive.c build/libstau.a \
		$(pkg-config --libs sqlite3 yaml-0.1)
}

# row LABEL MEDIAN MIN MAX FLOOR POOL: one table line, with the ratios to the fork loop and
# to the pool.
row() {
	awk -v l="$1" -v m="$2" -v lo="$3" -v hi="$4" -v f="$5" -v p="$6" 'BEGIN {
		printf "| %s | %.3f | %.3f | %.3f | %.2f | %.2f |\n", l, m, lo, hi, m / f, m / p }'
}

# measure_workload JOB: the interleaved rows of one workload.
measure_workload() {
	job=$1
	file=$WORK/jobs/$job.py
	logs=$WORK/logs/$job
	mkdir -p "$logs"
	say "$job: $RUNS interleaved runs of each row ($N chunks each)"
	"$OUT/measure" "$RUNS" \
		-- "$PY" bench/pypeers.py import "$file" "$N" \
		-- "$PY" bench/pypeers.py pool "$file" "$N" \
		-- "$PY" bench/pypeers.py forkloop "$file" "$N" \
		-- "$PY" bench/pypeers.py forkloop-freeze "$file" "$N" \
		-- "$OUT/pydrive" "$PY" "$WORK" "jobs/$job.py" "$N" "$logs" \
		-- env STAU_PYTHON="$PY" "$STAU" -C "$WORK" run "$job" --ids "1-$N" -j 2 \
		>"$OUT/py-$job.txt"
	set -- $(sed -n 3p "$OUT/py-$job.txt")
	floor=$1
	set -- $(sed -n 2p "$OUT/py-$job.txt")
	pool=$1
	i=0
	for label in import pool forkloop forkloop+freeze runner stau; do
		i=$((i + 1))
		set -- $(sed -n ${i}p "$OUT/py-$job.txt")
		row "$job: $label" "$1" "$2" "$3" "$floor" "$pool"
	done
	if [ "$ONESHOT_RUNS" -gt 0 ]; then
		say "$job: python_fork: false, $ONESHOT_RUNS run(s) of $N interpreters"
		set -- $(STAU_PYTHON=$PY "$OUT/measure" "$ONESHOT_RUNS" \
			-- "$STAU" -C "$WORK-oneshot" run "$job" --ids "1-$N" -j 2)
		row "$job: stau, python_fork: false" "$1" "$2" "$3" "$floor" "$pool"
	fi
}

stats() {
	for job in $JOBS; do
		PYDRIVE_STATS=1 "$OUT/pydrive" "$PY" "$WORK" "jobs/$job.py" "$N" \
			"$WORK/logs/$job" 2>&1 | sed "s/^pydrive:/- $job:/"
	done
}

[ -x "$STAU" ] || die "no stau binary at '$STAU': run 'make' first"
build_tools
"$PY" bench/pyjobs.py "$WORK"
"$PY" bench/pyjobs.py "$WORK-oneshot"
printf 'settings:\n  python_fork: false\n' >"$WORK-oneshot/schedule.yaml"
JOBS=heavy
if "$PY" -c "import pandas" 2>/dev/null; then
	JOBS="heavy pandas_job"
else
	say "$PY has no pandas: the pandas rows are left out (apt-get install python3-pandas)"
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "Python chunks: $N calls of main(work_ids=[i]), two at a time; $($PY -V 2>&1) ($PY)"
	echo
	echo "| workload: row | median s | min s | max s | ÷ forkloop | ÷ pool |"
	echo "|---|---|---|---|---|---|"
	for job in $JOBS; do
		measure_workload "$job"
	done
	echo
	echo "Where the runner's time goes (one more run each):"
	stats
	echo
	echo "Load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULTS"
