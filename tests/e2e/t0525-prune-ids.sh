#!/bin/sh
# stau prune never lets a run id come back: after the newest runs are pruned the next run gets
# a new id, and an entry whose last run was pruned is not held back by an unrelated run.
. "$(dirname "$0")/lib.sh"

mkproject p
job a.sh '#!/bin/sh
# ---
# ---
echo "a $STAU_SCHEDULED_FOR" >>"$STAU_DIR/ran"'
job b.sh '#!/bin/sh
# ---
# ---
echo "b" >>"$STAU_DIR/ran"'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  retention: 1d
schedule:
  - {id: e, job: a, cron: "0 3 * * *"}
YAML

run_stau -C "$P" tick --now 2026-03-02T03:00:00Z
check "the entry's first run is run 1" "0 1" "$rc $(sqlite3 "$P/.stau/stau.db" "SELECT last_run FROM entries WHERE id = 'e'")"
run_stau -C "$P" run b --now 2026-03-02T03:10:00Z
run_stau -C "$P" prune --older-than 1m --now 2026-03-02T04:00:00Z
check "both runs are pruned" "0 pruned 2 runs, 2 chunks, 2 log files" "$rc $out"
check "the entry no longer names a pruned run" "" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT last_run FROM entries WHERE id = 'e'")"
run_stau -C "$P" submit b --now 2026-03-02T05:00:00Z
check "the next run gets a new id, not a pruned one" "0 3" "$rc $out"
run_stau -C "$P" prune --older-than 1m --now 2026-03-02T06:00:00Z
run_stau -C "$P" submit b --now 2026-03-02T06:00:00Z
check "a run queued (not pruned) keeps the ids going" "0 4" "$rc $out"

# the entry's next fire time: run 3 (b) is still queued, which is no run of the entry's
run_stau -C "$P" tick --now 2026-03-03T03:00:00Z
check "the entry runs at its next fire time" "0 2026-03-03T03:00:00+00:00" \
	"$rc $(grep '^a' "$P/ran" | tail -n 1 | cut -d' ' -f2)"
check "nothing was skipped" "" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT last_skipped FROM entries WHERE id = 'e'")"

done_testing
