#!/bin/sh
# t0240-scancel.sh - a Slurm chunk whose job is cancelled from outside stau (scancel, as a
# node failure would end it) leaves no status file: it is lost, and its retry policy runs it
# again as a new Slurm job.
. "$(dirname "$0")/lib.sh"

mkproject scancel
job job_s.sh '#!/bin/sh
# ---
# executor: slurm
# retries: 1
# retry_delay: 1s
# ---
echo "$STAU_ATTEMPT $SLURM_JOB_ID" >>"$STAU_DIR/record"
[ "$STAU_ATTEMPT" = 1 ] && sleep 300
exit 0'

"$STAU" -C "$P" run job_s >"$TMP/run.out" 2>&1 &
runner=$!
wait_for_file "$P/record" 60
first=$(cut -d' ' -f2 "$P/record")
scancel "$first"
wait "$runner"
check "stau run ends well: the retry succeeded" "0" "$?"
check "lost, then retried" "yes" \
	"$(grep -q "lost: Slurm.* $first" "$TMP/run.out" && echo yes || echo "no: $(cat "$TMP/run.out")")"
check "two attempts, two Slurm jobs" "2 2" \
	"$(wc -l <"$P/record" | tr -d ' ') $(cut -d' ' -f2 "$P/record" | sort -u | wc -l)"
check "recorded DONE in attempt 2" "DONE|2" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, attempt FROM chunks WHERE id = 1")"

done_testing
