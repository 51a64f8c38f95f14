#!/bin/sh
# tick.sh - what `stau tick` costs as a project grows (docs/design.md, "Performance").
#
#   sh bench/tick.sh [N...]     after make; N defaults to $BENCH_TICK_SIZES ("1000 10000")
#
# `make bench` runs it through bench/run.sh (its helpers are used here: measure, fmt_fig, the
# table). For each size it generates a project of N Python jobs in chains of five and one
# yearly entry per job (bench/gen.c `tick`), and times four ticks, each interleaved with the
# floor (bench/floor.c: open the database, run one query) in the same bench/measure call:
#   nothing due          a tick at a minute when no entry fires, the files as last seen;
#   one job file edited  the same, right after one job file was edited as editors save (a
#                        new file with a line more, renamed over the old one; made before each
#                        timed tick, untimed);
#   a run open           the same while `stau run hold` keeps a chunk running (a sleep);
#   first tick           the first tick of a new copy of the project (copied before each
#                        timed tick, untimed): it parses every file and records every entry.
# The figures of a row come from one measure call, its floor's too (a tick right after the
# edited one would pay for taking jobs/'s new times into the record).
# Each stau run is checked: every entry recorded by a first tick, no run queued by the others.
# Alone, it prints its own table (build/bench/tick.md); under run.sh it adds its rows to
# run.sh's table.
set -eu
TICK_LOADED=1
if [ -z "${BENCH_RUN_SH:-}" ]; then
	TICK_ALONE=1
	BENCH_LIB=1
	# shellcheck source=bench/run.sh
	. "$(dirname "$0")/run.sh"
fi

# tick_row LABEL RUNS FIG FLOOR TARGET_TEXT
tick_row() {
	row "$1" "$2" "$(fmt_fig "$3")" "floor.c: open + 1 query" "$(fmt_fig "$4")" \
		"$(ratio "$3" "$4")" "" "$5"
	say "$1: stau $(fmt_fig "$3"), floor $(fmt_fig "$4")"
}

# twice_floor FIG FLOOR: the verdict on "≤ 2× the floor".
twice_floor() {
	verdict "$(awk -v a="$(median_of "$1")" -v b="$(median_of "$2")" 'BEGIN { print a / b }')" \
		2 "≤ 2× floor:"
}

# hold_open DIR: starts `stau run hold` in DIR and waits until its chunk runs; sets hold_pid.
hold_open() {
	"$STAU" -C "$1" -q run hold >/dev/null 2>&1 &
	hold_pid=$!
	i=0
	while [ "$(sql "$1/.stau/stau.db" "SELECT count(*) FROM chunks WHERE state = 'RUNNING'")" != 1 ]; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || die "the run of 'hold' did not start"
		sleep 0.05
	done
}

hold_close() {
	kill -TERM "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
}

bench_tick() {
	n=$1 tmpl=$WORK/tick-$n-new dir=$WORK/tick-$n
	runs=$RUNS first_runs=$RUNS
	[ "$n" -lt 10000 ] || first_runs=$SLOW_RUNS
	rm -rf "$tmpl" "$dir"
	"$OUT/gen" tick "$n" "$tmpl"
	cp -a "$tmpl" "$dir"
	db=$dir/.stau/stau.db
	"$STAU" -C "$dir" tick --now "$FIRST_NOW" >/dev/null
	expect "entries recorded by the first tick" "$n" "$(sql "$db")"

	# the first tick of a new copy, reached through a link that each setup moves to the copy
	copy="d=\$(mktemp -d '$WORK/tick-$n-first.XXXXXX') && cp -a '$tmpl/.' \"\$d\" &&
		ln -sfn \"\$d\" '$WORK/tick-$n-first'"
	measure "$first_runs" -- [ sh -c "$copy" ] "$STAU" -C "$WORK/tick-$n-first" tick \
		--now "$FIRST_NOW" -- "$OUT/floor" "$db"
	first=$fig1 first_floor=$fig2
	expect "entries recorded by a first tick" "$n" "$(sql "$WORK/tick-$n-first/.stau/stau.db")"

	# saved as editors save: a new file renamed over the old one
	f=$dir/jobs/j00001.py
	edit="cp -p '$f' '$f.new' && echo '# edited' >>'$f.new' && mv '$f.new' '$f'"
	peak_rss "$STAU" -C "$dir" tick --now "$TICK_NOW"
	measure "$runs" -- "$STAU" -C "$dir" tick --now "$TICK_NOW" -- "$OUT/floor" "$db"
	quiet=$fig1 floor=$fig2
	# apart: the tick after the edited one takes the new state of jobs/ into its record once
	measure "$runs" -- [ sh -c "$edit" ] "$STAU" -C "$dir" tick --now "$TICK_NOW" \
		-- "$OUT/floor" "$db"
	edited=$fig1 edit_floor=$fig2
	expect "runs queued by ticks with nothing due" "0" "$(sql "$db" "SELECT count(*) FROM runs")"

	hold_open "$dir"
	measure "$runs" -- "$STAU" -C "$dir" tick --now "$TICK_NOW" -- "$OUT/floor" "$db"
	open=$fig1 open_floor=$fig2
	hold_close
	expect "runs queued by ticks while a run was open" "1" \
		"$(sql "$db" "SELECT count(*) FROM runs")"

	t_open="" t_edit="" t_first=""
	if [ "$n" -ge 10000 ]; then
		t_open=$(verdict "$(median_of "$open")" 0.030 "≤ 30 ms:")
		t_edit=$(verdict "$(median_of "$edited")" 0.030 "≤ 30 ms:")
		t_first=$(verdict "$(median_of "$first")" 1 "≤ 1 s:")
	fi
	row "tick, nothing due, $n jobs + entries" "$runs" "$(fmt_fig "$quiet")" \
		"floor.c: open + 1 query" "$(fmt_fig "$floor")" "$(ratio "$quiet" "$floor")" \
		"$(fmt_mb "$rss_kb")" "$(twice_floor "$quiet" "$floor")"
	say "tick $n, nothing due: stau $(fmt_fig "$quiet"), floor $(fmt_fig "$floor")"
	tick_row "tick after one job file was edited, $n jobs" "$runs" "$edited" "$edit_floor" \
		"$t_edit"
	tick_row "tick with a run open (a chunk running), $n jobs" "$runs" "$open" "$open_floor" \
		"$t_open"
	tick_row "first tick of a new project, $n jobs + entries" "$first_runs" "$first" \
		"$first_floor" "$t_first"
}

tick_main() {
	TABLE=$OUT/tick.md
	LOAD_BEFORE=$(load)
	need_tools
	build_tools
	mkdir -p "$WORK"
	table_head
	sizes=${BENCH_TICK_SIZES:-1000 10000}
	[ $# -eq 0 ] || sizes="$*"
	for n in $sizes; do
		bench_tick "$n"
	done
	echo >>"$TABLE"
	echo "Load average after: $(load)." >>"$TABLE"
	cat "$TABLE"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"/tick-*
}

if [ -n "${TICK_ALONE:-}" ]; then
	tick_main "$@"
fi
