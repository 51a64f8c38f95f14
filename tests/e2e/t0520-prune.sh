#!/bin/sh
# stau prune: finished runs older than --older-than (default: the schedule's retention) go,
# with their chunks and the logs of every attempt; newer runs stay; bad input exits 2.
. "$(dirname "$0")/lib.sh"

mkproject prune
job ok.sh '#!/bin/sh
# ---
# chunk_size: 1
# ---
echo "fine $STAU_WORK_IDS"'
job bad.sh '#!/bin/sh
# ---
# ---
echo "broken pipe" >&2
exit 1'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  retention: 30d
YAML

# run 1: two chunks, one log each; run 2: one chunk tried twice (two logs); run 3: newer.
run_stau -C "$P" run ok --ids 1,2 --now 2026-01-01T00:00:00Z
run_stau -C "$P" run bad --now 2026-01-10T00:00:00Z
run_stau -C "$P" retry 2 --now 2026-01-10T01:00:00Z
run_stau -C "$P" run ok --ids 3 --now 2026-02-20T00:00:00Z
check "five log files before pruning" ".stau/logs/bad/2-3-1.log
.stau/logs/bad/2-3-2.log
.stau/logs/ok/1-1-1.log
.stau/logs/ok/1-2-1.log
.stau/logs/ok/3-4-1.log" "$(cd "$P" && find .stau/logs -type f | sort)"

run_stau -C "$P" prune --now 2026-01-30T00:00:00Z
check "nothing is older than the retention yet" "0 pruned 0 runs, 0 chunks, 0 log files" \
	"$rc $out"

run_stau -C "$P" prune --now 2026-02-15T00:00:00Z
check "the retention of schedule.yaml: runs 1 and 2 go" 0 "$rc"
check "it says what it removed" "pruned 2 runs, 3 chunks, 4 log files" "$out"
check "their logs are gone, the newer run's stays" ".stau/logs/ok/3-4-1.log" \
	"$(cd "$P" && find .stau/logs -type f | sort)"
run_stau -C "$P" show 2
check "a pruned run is unknown" "stau: no run 2; 'stau status JOB' lists runs" "$err"
run_stau -C "$P" show 3
check "the newer run is still there" "run 3 of ok: DONE" "$(echo "$out" | head -n 1)"

run_stau -C "$P" prune --older-than 10d --now 2026-03-01T00:00:00Z
check "--older-than 10d keeps a run 9 days old" "pruned 0 runs, 0 chunks, 0 log files" "$out"
run_stau -C "$P" -q prune --older-than 1d12h --now 2026-03-01T00:00:00Z
check "--older-than 1d12h removes it; -q prints nothing" "0 " "$rc $out"
check "and its log" "" "$(cd "$P" && find .stau/logs -type f)"
run_stau -C "$P" show 3
check "the run is gone" "stau: no run 3; 'stau status JOB' lists runs" "$err"

run_stau -C "$P" prune --older-than 2x
check "a bad duration exits 2" 2 "$rc"
check "a bad duration is named" "stau: --older-than: bad duration '2x': unit must be s, m, h or d
see 'stau prune --help'" "$err"
run_stau -C "$P" prune --older-than
check "--older-than needs a value" "stau: option '--older-than' needs a value
see 'stau prune --help'" "$err"
run_stau -C "$P" prune 30d
check "a stray argument" "stau: unexpected argument '30d'
see 'stau prune --help'" "$err"

# A schedule with problems: its retention is unknown, so only --older-than prunes.
printf 'settings:\n  retention: 90d\n  retentoin: 1d\n' >"$P/schedule.yaml"
run_stau -C "$P" prune --now 2026-03-01T00:00:00Z
check "no guess at the retention of a broken schedule" "2 stau: schedule.yaml has problems, \
so its retention is not known; fix them (see 'stau check') or give --older-than" "$rc $err"
run_stau -C "$P" prune --older-than 1d --now 2026-03-01T00:00:00Z
check "--older-than still works" "0 pruned 0 runs, 0 chunks, 0 log files" "$rc $out"

mkproject fresh
run_stau -C "$P" prune
check "a project without a database: nothing to prune, and no database made" \
	"0 pruned 0 runs, 0 chunks, 0 log files no" \
	"$rc $out $([ -e "$P/.stau/stau.db" ] && echo yes || echo no)"

done_testing
