#!/bin/sh
# t0270-requeue.sh - at least once: a job that Slurm requeues while it runs (as after a node
# failure) runs again under the same job id with SLURM_RESTART_COUNT 1; stau records its
# chunk once, from the run that finished, and the log keeps the output of both runs.
. "$(dirname "$0")/lib.sh"

mkproject requeue
job job_r.sh '#!/bin/sh
# ---
# executor: slurm
# ---
echo "run $SLURM_RESTART_COUNT $SLURM_JOB_ID $STAU_ATTEMPT" >>"$STAU_DIR/record"
echo "output of run $SLURM_RESTART_COUNT"
sleep 3'

"$STAU" -C "$P" run job_r >"$TMP/run.out" 2>&1 &
runner=$!
wait_for_file "$P/record" 60
id=$(cut -d' ' -f3 "$P/record")
scontrol requeue "$id"
# Slurm holds a requeued job back for a while; let it start again now
i=0
until scontrol update JobId="$id" StartTime=now 2>/dev/null || [ "$i" -gt 50 ]; do
	i=$((i + 1))
	sleep 0.2
done
wait "$runner"
check "stau run succeeds" "0" "$?"
check "the job ran twice under one Slurm job, stau's attempt 1 both times" "run 0 $id 1
run 1 $id 1" "$(cat "$P/record")"
check "the chunk is recorded once: DONE in attempt 1" "DONE|1" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, attempt FROM chunks")"
check "the log has the output of both runs" "output of run 0
output of run 1" "$(grep '^output' "$P/.stau/logs/job_r/1-1-1.log")"
done_testing
