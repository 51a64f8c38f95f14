#!/bin/sh
# Schema version 5 (docs/design.md, "State"): a version 3 database gets the column that records
# the content hash of the job file each attempt ran, keeping everything recorded; chunks that
# ran before have none, later ones record theirs.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject v3
job a.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "a $STAU_WORK_IDS" >>"$STAU_DIR/ran"'
mkdir -m 0700 "$P/.stau"
sqlite3 "$P/.stau/stau.db" <"$(dirname "$0")/data/state-v3.sql"
db "PRAGMA user_version = 3"
chmod 0600 "$P/.stau/stau.db"
before=$(db "SELECT id, job, state, ids FROM chunks ORDER BY id")

run_stau -C "$P" status
check "status reads a version 3 database" "0|" "$rc|$err"
check "which is now the current version, intact, every chunk kept" "$SCHEMA_VERSION|ok|$before" \
	"$(db "PRAGMA user_version")|$(db "PRAGMA integrity_check")|$(db "SELECT id, job, state, \
ids FROM chunks ORDER BY id")"
check "the chunks that ran before record no file hash" "" \
	"$(db "SELECT id FROM chunks WHERE file_hash IS NOT NULL")"
run_stau -C "$P" run a --ids 1-4 -j 1 --now 2026-05-04T11:00:00Z
check "a run on the migrated database succeeds" "0" "$rc"
check "its chunks record the hash of the file they ran" "3|fnv1a64:
4|fnv1a64:" "$(db "SELECT id, substr(file_hash, 1, 8) FROM chunks WHERE id > 2 ORDER BY id")"

done_testing
