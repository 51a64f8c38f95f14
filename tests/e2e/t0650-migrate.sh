#!/bin/sh
# Schema migrations (docs/design.md, "State"): a database of an older schema is migrated forward by the first
# command that opens it, keeping everything recorded, and the engine goes on with it.
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:30:00Z
db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject v1
job b.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "b $STAU_WORK_IDS" >>"$STAU_DIR/ran"'
job a.sh '#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - job_type: b
#     max_lag: 60
# ---
echo "a $STAU_WORK_IDS" >>"$STAU_DIR/ran"'
mkdir -m 0700 "$P/.stau"
sqlite3 "$P/.stau/stau.db" <"$(dirname "$0")/data/state-v1.sql"
db "PRAGMA user_version = 1"
chmod 0600 "$P/.stau/stau.db"

run_stau -C "$P" status --json
check "status reads a version 1 database" "0|" "$rc|$err"
check "which is now the current version, intact, with every chunk kept" "$SCHEMA_VERSION|ok|1|b|DONE|1-2
2|b|DONE|3-4
3|a|DONE|1-2
4|a|DONE|3-4" "$(db "PRAGMA user_version")|$(db "PRAGMA integrity_check")|$(db "SELECT id, \
job, state, ids FROM chunks ORDER BY id")"
check "its indexes are those of version 2 on" "chunks_pending
chunks_ready
chunks_run
chunks_running" "$(db "SELECT name FROM sqlite_schema WHERE type = 'index' AND \
tbl_name = 'chunks' ORDER BY name")"

# b is fresh for 1-4 (60 minutes of max_lag) and not for 5-6
run_stau -C "$P" -q run a --ids 1-6 -j 1 --now "$NOW"
check "a run on the migrated database runs what is stale, after its dependency" "0|b 5,6
a 1,2
a 3,4
a 5,6" "$rc|$(cat "$P/ran")"
check "and records it after the old chunks" "5|b|5-6|DONE
6|a|1-2|DONE
7|a|3-4|DONE
8|a|5-6|DONE" "$(db "SELECT id, job, ids, state FROM chunks WHERE run = 2 ORDER BY id")"

done_testing
