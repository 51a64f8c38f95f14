#!/bin/sh
# `stau simulate` shows what real ticks would do, running nothing: over a day with the night
# clocks go forward and over the night they go back, its "run" lines are the runs that real
# ticks queue (replayed on a copy of the state with --state), and the project's database is
# byte-identical afterwards. A command that records state refuses a --now more than a minute
# ahead of the clock on the project's own state, and accepts it with --state.
. "$(dirname "$0")/lib.sh"

mkproject sim
job w.sh '#!/bin/sh
# ---
# ---
exit 0'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  timezone: Europe/Copenhagen
schedule:
  - {id: night, job: w, cron: "30 2 * * *"}
  - {id: hourly, job: w, cron: "0 * * * *", kwargs: {a: 1}}
  - {id: quarter, job: w, cron: "*/15 * * * *"}
  - {id: same, job: w, cron: "0 */6 * * *", kwargs: {a: 1}}
  - {id: ghost, job: nope, cron: "0 3 * * *"}
YAML
run_stau -C "$P" tick --now 2026-03-28T21:00:00Z
sums() { cat "$P/.stau/stau.db" "$P/.stau/stau.db-wal" 2>/dev/null | cksum; }
before=$(sums)

# simulate's run lines as "ENTRY EPOCH", sorted
runs_of() {
	grep '  run: queue a run' | while read -r when entry _; do
		echo "$entry $(date -u -d "$when" +%s)"; done | sort
}
# what real ticks every 15 minutes queue, on a copy of the state
real_runs() {
	rm -rf "$TMP/real"; mkdir "$TMP/real"; cp "$P/.stau/stau.db"* "$TMP/real/"
	first=$(sqlite3 "$TMP/real/stau.db" "SELECT coalesce(max(id), 0) FROM runs")
	t=$1
	while [ "$t" -le "$2" ]; do
		"$STAU" -C "$P" tick --state "$TMP/real" --now "@$t" >/dev/null 2>&1
		t=$((t + 900))
	done
	sqlite3 "$TMP/real/stau.db" "SELECT entry, fire_time FROM runs WHERE id > $first" |
		tr '|' ' ' | sort
}

from=$(date -u -d 2026-03-28T22:00:00Z +%s)
to=$(date -u -d 2026-03-29T22:00:00Z +%s)
run_stau -C "$P" simulate --from "@$from" --to "@$to" --every 15m
check "simulate exits 0 and says nothing on stderr" "0|" "$rc|$err"
sim=$(printf '%s\n' "$out" | runs_of)
check "over the spring-forward day, simulate's runs are the real ticks' runs" \
	"$(real_runs "$from" "$to")" "$sim"
check "the 02:30 entry fires once, at 03:00 CEST (the skipped hour)" \
	"2026-03-29T03:00:00+02:00  night    run: queue a run of w" \
	"$(printf '%s\n' "$out" | grep '  night ')"
check "identical work due together is one run (00, 06, 12, 18 and 00 local)" "5" \
	"$(printf '%s\n' "$out" | grep -c "same     run: shares the run of entry 'hourly'")"
case "$out" in
*"2026-03-29T03:00:00+02:00  ghost    disabled: schedule.yaml:8:22: unknown job 'nope'"*)
	ok "a disabled entry is shown with why" ;;
*) not_ok "a disabled entry is shown with why" "$out" ;;
esac

from=$(date -u -d 2026-10-24T22:00:00Z +%s)
to=$(date -u -d 2026-10-25T04:00:00Z +%s)
run_stau -C "$P" simulate --from "@$from" --to "@$to" --every 15m
sim=$(printf '%s\n' "$out" | runs_of)
check "over the fall-back night too" "$(real_runs "$from" "$to")" "$sim"
check "the hourly entry fires twice at 02:00, once per real hour" \
	"2026-10-25T02:00:00+02:00
2026-10-25T02:00:00+01:00" \
	"$(printf '%s\n' "$out" | grep '  hourly ' | cut -d' ' -f1 | grep T02:00)"
check "the project's database is byte-identical" "$before" "$(sums)"

run_stau -C "$P" simulate --from 2026-03-29T00:00:00Z
check "simulate needs both ends" "2|stau: give the span: --from TIME --to TIME
see 'stau simulate --help'" "$rc|$err"

run_stau -C "$P" tick --now 2099-01-01T00:00:00Z
case "$rc|$err" in
"2|stau: --now is "*" ahead of the clock: what 'tick' records there would stay in this \
project's state"*"use 'stau simulate --from T1 --to T2'"*) ok "a future --now is refused" ;;
*) not_ok "a future --now is refused" "$rc|$err" ;;
esac
check "and recorded nothing" "$before" "$(sums)"
for cmd in "run w" "submit w" "prune" "retry 1" "rerun 1" "cancel 1"; do
	# shellcheck disable=SC2086
	run_stau -C "$P" $cmd --now 2099-01-01T00:00:00Z
	check "stau $cmd refuses it too" "2" "$rc"
done
run_stau -C "$P" tick --state "$TMP/scratch" --now 2099-01-01T00:00:00Z
check "with --state elsewhere it is allowed" "0" "$rc"
run_stau -C "$P" tick --now "$(date -u -d '+30 seconds' +%Y-%m-%dT%H:%M:%SZ)"
check "a few seconds ahead is allowed" "0" "$rc"

# catch-ups before --from are marked; an entry whose trigger cannot be used is listed once
mkproject marks
job a.sh '#!/bin/sh
# ---
# description: hourly
# ---'
printf 'schedule:\n  - id: hourly\n    job: a\n    cron: "0 * * * *"\n  - id: bad\n    job: a\n    cron: "0 25 * * *"\n' >"$P/schedule.yaml"
run_stau -C "$P" --state "$TMP/marks" tick --now 2026-03-01T09:00:00Z
run_stau -C "$P" --state "$TMP/marks" simulate --from 2026-03-01T11:30:00Z --to 2026-03-01T12:01:00Z
check "simulate marks the catch-up and lists the entry that never fires" \
"-                          bad     disabled, never fires: schedule.yaml:7:11: bad cron expression '0 25 * * *': hour: '25' is out of range 0-23
2026-03-01T11:00:00+00:00  hourly  run: queue a run of a (before --from: caught up by the first tick)
2026-03-01T12:00:00+00:00  hourly  run: queue a run of a" "$out"

done_testing
