#!/bin/sh
# t0200-pipeline.sh - a pipeline of Slurm chunks run by `stau run`: each chunk is its own
# batch job under its own SLURM_JOB_ID, with its work IDs, its attempt and restart count, in
# dependency order; show, status and their JSON name the jobs; the chunk's log and IDs file
# are beside each other in the project.
. "$(dirname "$0")/lib.sh"

mkproject pipeline
recorder job_b.sh '# chunk_size: 2'
job job_a.sh '#!/bin/sh
# ---
# executor: slurm
# slurm: {time: 5m}
# chunk_size: 10
# dependencies:
#   - job_type: job_b
# ---
# every chunk of job_b has recorded before any chunk of job_a starts
n=$(grep -c "^job_b " "$STAU_DIR/record")
echo "job_a $STAU_CHUNK_ID $SLURM_JOB_ID $STAU_ATTEMPT $SLURM_RESTART_COUNT $STAU_WORK_IDS after $n" >>"$STAU_DIR/record"
echo "ids file: $(tr "\n" " " <"$STAU_WORK_IDS_FILE")"'

run_stau -C "$P" run job_a --ids 1-5
check "the run succeeds" "0" "$rc"
check "it says each chunk started and ended" "3 3" \
	"$(printf '%s\n' "$out" | grep -c '^start job_b') $(printf '%s\n' "$out" | grep -c '^done job_b')"
check "run DONE" "DONE" "$(run_state 1)"

# what the jobs recorded: chunk, Slurm job, attempt, restarts, IDs
rec=$(sort -k2n "$P/record" | cut -d' ' -f1,2,4,5,6,7,8)
check "every chunk ran once, with its IDs, attempt 1, restart count 0, job_a after job_b" \
	"job_b 1 1 0 1,2
job_b 2 1 0 3,4
job_b 3 1 0 5
job_a 4 1 0 1,2,3,4,5 after 3" "$rec"
jobs_recorded=$(sort -k2n "$P/record" | awk '{print $2, $3}')
check "each chunk under the Slurm job stau recorded for it" "$(slurm_jobs 1)" "$jobs_recorded"
check "four different Slurm jobs" "4" \
	"$(awk '{print $3}' "$P/record" | sort -u | grep -c '^[0-9][0-9]*$')"
check "squeue knows them by stau's names" "stau-1-1-1 stau-1-2-1 stau-1-3-1 stau-1-4-1" \
	"$(squeue -h -t all -j "$(awk '{print $3}' "$P/record" | paste -sd, -)" -o %j | sort |
		paste -sd' ' -)"

run_stau -C "$P" show 1
check "show has a SLURM column" "SLURM" "$(printf '%s\n' "$out" | grep -o 'SLURM' | head -1)"
a_job=$(awk '$1 == "job_a" {print $3}' "$P/record")
check "show names job_a's Slurm job" "yes" \
	"$(printf '%s\n' "$out" | grep -q " job_a .* $a_job  *\.stau/logs/job_a/1-4-1.log" && echo yes || echo no)"
run_stau -C "$P" status --json
check "status --json: executor and last chunk's Slurm job" "slurm $a_job" \
	"$(printf '%s' "$out" | python3 -c 'import json, sys
j = [x for x in json.load(sys.stdin)["jobs"] if x["job"] == "job_a"][0]
print(j["executor"], j["last_chunk"]["slurm_job"])')"
check "the log of a chunk has stau's header and the job's output, mode 0600" \
	"stau: job_a run 1 chunk 4 (1/1) attempt 1: ./jobs/job_a.sh
ids file: 1 2 3 4 5 
600" "$(grep -v 'work ID' "$P/.stau/logs/job_a/1-4-1.log"; stat -c %a "$P/.stau/logs/job_a/1-4-1.log")"
check "the status file beside it" "stau-slurm-status 1
exit 0
job $a_job" "$(head -3 "$P/.stau/logs/job_a/1-4-1.status")"
check "the wrapper is in the project, executable by its owner only" "700" \
	"$(stat -c %a "$P/.stau/slurm/wrap.sh")"

done_testing
