#!/bin/sh
# t0220-timeout-cancel.sh - a Slurm chunk past its job's timeout is cancelled with scancel
# and recorded "timed out" (the job no longer runs afterwards); `stau cancel` of a run
# cancels its running Slurm chunk's job and records the chunk at once.
. "$(dirname "$0")/lib.sh"

mkproject timeout
job job_t.sh '#!/bin/sh
# ---
# executor: slurm
# timeout: 3s
# ---
echo "$SLURM_JOB_ID" >"$STAU_DIR/job_t.id"
sleep 300'

start=$(date +%s)
run_stau -C "$P" run job_t
took=$(($(date +%s) - start))
check "stau run exits 1: timed out" "1|yes" \
	"$rc|$(printf '%s\n' "$out$err" | grep -q 'timed out after 3s' && echo yes || echo no)"
check "within a few seconds of the timeout, not the job's 300" "yes" \
	"$([ "$took" -lt 30 ] && echo yes || echo "no: $took s")"
check "recorded FAILED, timed out" "FAILED|timed out after 3s" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, message FROM chunks WHERE id = 1")"
id=$(cat "$P/job_t.id")
i=0
while active "$id" && [ "$i" -lt 60 ]; do i=$((i + 1)); sleep 0.5; done
check "its Slurm job is gone from the queue" "gone" "$(active "$id" && echo running || echo gone)"

# stau cancel of a running Slurm chunk
mkproject cancel
job job_c.sh '#!/bin/sh
# ---
# executor: slurm
# retries: 2
# ---
echo "$SLURM_JOB_ID" >"$STAU_DIR/job_c.id"
sleep 300'
"$STAU" -C "$P" run job_c >"$TMP/run.out" 2>&1 &
runner=$!
wait_for_file "$P/job_c.id" 60
id=$(cat "$P/job_c.id")
check "the chunk runs in Slurm" "running" "$(active "$id" && echo running || echo gone)"
run_stau -C "$P" cancel 1
check "stau cancel says it cancelled the Slurm job" "0|run 1 canceled: 0 pending chunks canceled, 1 Slurm job cancelled" "$rc|$out"
wait "$runner"
check "the stau run that waited ends, the run canceled" "1|CANCELED" "$?|$(run_state 1)"
i=0
while active "$id" && [ "$i" -lt 60 ]; do i=$((i + 1)); sleep 0.5; done
check "its Slurm job is cancelled" "gone" "$(active "$id" && echo running || echo gone)"
check "the chunk is recorded FAILED as canceled, not retried" \
	"FAILED|1|canceled: scancel of Slurm job $id" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, attempt, message FROM chunks WHERE id = 1")"
run_stau -C "$P" tick
check "a later tick changes nothing" "0|FAILED|1" \
	"$rc|$(sqlite3 "$P/.stau/stau.db" "SELECT state, attempt FROM chunks WHERE id = 1")"

# stau run interrupted (SIGINT, as Ctrl-C): its Slurm chunks are cancelled with it
rm -f "$P/job_c.id"
"$STAU" -C "$P" run job_c >"$TMP/run.out" 2>&1 &
runner=$!
wait_for_file "$P/job_c.id" 60
id=$(cat "$P/job_c.id")
kill -INT "$runner"
wait "$runner"
check "the interrupted stau run exits 1" "1" "$?"
i=0
while active "$id" && [ "$i" -lt 60 ]; do i=$((i + 1)); sleep 0.5; done
check "its Slurm job is cancelled" "gone" "$(active "$id" && echo running || echo gone)"
check "the chunk is recorded FAILED, not retried" \
	"FAILED|1|canceled: scancel of Slurm job $id (stau was stopped)" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, attempt, message FROM chunks WHERE run = 2")"

done_testing
