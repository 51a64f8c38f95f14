#!/bin/sh
# t0250-nosbatch-state.sh - without sbatch on PATH a Slurm chunk fails saying so and nothing
# runs locally; with the database kept outside the project (--state, STAU_STATE), Slurm
# chunks run and are recorded there while their logs and status files stay in the project.
. "$(dirname "$0")/lib.sh"

mkproject nosbatch
recorder job_n.sh '# retries: 0'
# (only stau's PATH lacks sbatch: the test's own commands keep theirs)
PATH=/nonexistent "$STAU" -C "$P" run job_n >"$TMP/out" 2>"$TMP/err"
rc=$?
out=$(cat "$TMP/out")
err=$(cat "$TMP/err")
check "stau run exits 1" "1" "$rc"
check "it says that sbatch is missing and what to do" "yes" \
	"$(printf '%s\n' "$out$err" | grep -q "'sbatch' was not found in PATH.*executor: local" &&
		echo yes || echo "no: $out$err")"
check "nothing ran" "no" "$([ -e "$P/record" ] && echo yes || echo no)"
check "the chunk is FAILED, not retried" "FAILED|1" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, attempt FROM chunks")"

mkproject shared
recorder job_s.sh '# chunk_size: 1'
run_stau -C "$P" --state "$TMP/local-state" run job_s --ids 1-2
check "with --state: the run succeeds" "0" "$rc"
check "the database is outside the project" "no yes" \
	"$([ -e "$P/.stau/stau.db" ] && echo yes || echo no) $([ -e "$TMP/local-state/stau.db" ] &&
		echo yes || echo no)"
check "both chunks ran in Slurm and recorded there" "DONE
DONE" "$(run_state 1 "$TMP/local-state/stau.db"; sqlite3 "$TMP/local-state/stau.db" \
		"SELECT count(*) FROM chunk_slurm WHERE job_id > 0" | sed 's/^2$/DONE/')"
check "logs and status files in the project" "2 2" \
	"$(ls "$P"/.stau/logs/state-*/job_s/*.log | wc -l) $(ls "$P"/.stau/logs/state-*/job_s/*.status | wc -l)"
STAU_STATE=$TMP/local-state run_stau -C "$P" show 1 --json
check "STAU_STATE finds the same database" "0|2" \
	"$rc|$(printf '%s' "$out" | python3 -c 'import json, sys
print(sum(c["slurm_job"] is not None for c in json.load(sys.stdin)["chunk_list"]))')"

done_testing
