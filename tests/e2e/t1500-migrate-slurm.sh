#!/bin/sh
# Schema version 4 (docs/design.md, "State"): a version 3 database gets the table of chunks
# sent to Slurm from the first command that opens it, everything recorded kept; local chunks
# show as local.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject v3
job a.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---'
run_stau -C "$P" run a --ids 1-4
check "a run recorded" "0" "$rc"
# back to version 3: what later versions added is dropped
back_to_v3 "$P/.stau/stau.db"
before=$(db "SELECT id, job, state, ids FROM chunks ORDER BY id")

run_stau -C "$P" show 1 --json
check "show reads a version 3 database" "0|" "$rc|$err"
check "which is now the current version, intact, every chunk kept" "$SCHEMA_VERSION|ok|$before" \
	"$(db "PRAGMA user_version")|$(db "PRAGMA integrity_check")|$(db "SELECT id, job, state, \
ids FROM chunks ORDER BY id")"
check "with the table and trigger of version 4" "chunk_slurm|chunk_slurm_gone" \
	"$(db "SELECT name FROM sqlite_schema WHERE name = 'chunk_slurm'")|$(db "SELECT name \
FROM sqlite_schema WHERE type = 'trigger' AND name = 'chunk_slurm_gone'")"
check "its chunks ran here" "local local" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys
print(" ".join(c["executor"] for c in json.load(sys.stdin)["chunk_list"]))')"
run_stau -C "$P" run a --ids 5-6
check "and it goes on recording" "0|DONE" "$rc|$(db "SELECT state FROM runs WHERE id = 2")"
done_testing
