#!/bin/sh
# Schema version 3 (docs/design.md, "State"): a version 2 database is migrated by the first
# command that opens it, keeping everything recorded; the counters of monitoring start from
# what is recorded (a fire time missed before is not counted again, a run that failed before
# gets no on_failure hook), and count what happens from then on.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject v2
job b.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
case ",$STAU_WORK_IDS," in *,3,*) echo "bad 3" >&2; exit 1;; esac'
job a.sh '#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - job_type: b
#     max_lag: 60
# ---'
cat >"$P/schedule.yaml" <<'EOF'
settings:
  on_failure: [./hook]
schedule:
  - id: hourly
    job: a
    cron: "0 * * * *"
    work_ids: [1, 2]
EOF
printf '#!/bin/sh\necho "$STAU_RUN_ID" >>"$STAU_DIR/hooked"\n' >"$P/hook"
chmod 0755 "$P/hook"
mkdir -m 0700 "$P/.stau"
sqlite3 "$P/.stau/stau.db" <"$(dirname "$0")/data/state-v2.sql"
db "PRAGMA user_version = 2"
chmod 0600 "$P/.stau/stau.db"
before=$(db "SELECT id, job, state, ids FROM chunks ORDER BY id")

run_stau -C "$P" status --now 2026-05-04T11:55:00Z
check "status reads a version 2 database" "0|" "$rc|$err"
check "which is now the current version, intact, every chunk kept" "$SCHEMA_VERSION|ok|$before" \
	"$(db "PRAGMA user_version")|$(db "PRAGMA integrity_check")|$(db "SELECT id, job, state, \
ids FROM chunks ORDER BY id")"
check "with the tables and triggers of version 3" "counters entry_stats job_stats run_alerts
chunk_failed chunk_slurm_gone entry_inserted entry_updated run_added run_changed run_deleted run_failed run_failed_new" \
	"$(db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = \
'table' AND name IN ('job_stats', 'entry_stats', 'run_alerts', 'counters') ORDER BY name)")
$(db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = \
'trigger' AND name != 'run_code_deleted' ORDER BY name)")"
check "tasks are indexed by job type" "tasks_job" \
	"$(db "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tasks' AND \
name NOT LIKE 'sqlite_%'")"
check "the missed fire time recorded before is not counted" "hourly|0|0|1777892400" \
	"$(db "SELECT entry, missed, skipped, seen_missed FROM entry_stats")"
check "the run that failed before has no hook to run" "" "$(db "SELECT * FROM run_alerts")"

# from now on: a tick that misses 12:00 and one that runs 13:00 (IDs 1-2, which succeed);
# then a run by hand that fails
run_stau -C "$P" tick --now 2026-05-04T12:45:00Z
run_stau -C "$P" tick --now 2026-05-04T13:00:05Z
check "the tick on the migrated database runs the entry" "0|DONE" \
	"$rc|$(db "SELECT state FROM runs WHERE id = 3")"
check "a fire time missed now (12:00) counts" "1|1777896000" \
	"$(db "SELECT missed, seen_missed FROM entry_stats WHERE entry = 'hourly'")"
run_stau -C "$P" run a --ids 3-4 --now 2026-05-04T13:10:00Z
check "a run that fails now: counted, and its hook runs once" "1|4|a|0|1|b|1|0|4|exit 0" \
	"$rc|$(cat "$P/hooked")|$(db "SELECT job, failed_chunks, failed_runs FROM job_stats \
ORDER BY job" | tr '\n' '|')$(db "SELECT run, hook_result FROM run_alerts")"
run_stau -C "$P" metrics --now 2026-05-04T13:10:00Z
check "metrics show the counters" "1 1" \
	"$(printf '%s\n' "$out" | awk '$1 == "stau_job_failed_chunks_total{job=\"b\"}" ||
	$1 == "stau_entry_missed_fires_total{entry=\"hourly\",job=\"a\"}" {printf "%s ", $2}' |
	sed 's/ $//')"

done_testing
