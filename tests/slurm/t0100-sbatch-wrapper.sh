#!/bin/sh
# t0100-sbatch-wrapper.sh - stau's wrapper and sbatch command line against a real Slurm: a
# chunk's arguments and environment arrive untouched, its log keeps stau's header and mode,
# the status file tells the outcome, and squeue's answers read as expected.
. "$(dirname "$0")/lib.sh"

mkproject wrap
mkdir -p "$P/.stau/slurm" "$P/.stau/logs/job_a"
"$SLURM_TOOL" wrapper "$P/.stau/slurm/wrap.sh"
job job_a '#!/bin/sh
# ---
# executor: slurm
# slurm: {partition: debug, time: 5m, mem: 50M, cpus_per_task: 1, extra_args: [--requeue]}
# ---
for a in "$@"; do printf "arg [%s]\n" "$a"; done
printf "comma [%s]\n" "$T_COMMA"
printf "newline [%s]\n" "$T_NEWLINE"
printf "quotes [%s]\n" "$T_QUOTES"
printf "pwd [%s]\n" "$(pwd)"
printf "job [%s] name [%s]\n" "$SLURM_JOB_ID" "$SLURM_JOB_NAME"
exit "${EXIT:-0}"'

# submit JOB RUN CHUNK PROGRAM...: submits a chunk as stau would, with the log created first
# (mode 0600, with a header line); sets $id, or fails the test.
submit() {
	j=$1 run=$2 chunk=$3
	shift 3
	log=.stau/logs/$j/$run-$chunk-1.log
	mkdir -p "$P/.stau/logs/$j"
	(umask 077 && echo "==> stau header <==" >"$P/$log")
	id=$(cd "$P" && "$SLURM_TOOL" submit "jobs/$j" "$run" "$chunk" 1 "$P" "$log" \
		.stau/slurm/wrap.sh "$@" 2>"$TMP/sbatch.err" | "$SLURM_TOOL" parse-sbatch)
}

# ---- the command line ------------------------------------------------------------------------
argv=$(cd "$P" && "$SLURM_TOOL" sbatch-argv jobs/job_a 7 8 1 "$P" .stau/logs/job_a/7-8-1.log \
	.stau/slurm/wrap.sh jobs/job_a 'a b' | tr '\n' ' ')
check "sbatch argv from the job's slurm: map" \
	"sbatch --requeue --partition=debug --time=00:05:00 --mem=50M --cpus-per-task=1 --job-name=stau-7-8-1 --output=.stau/logs/job_a/7-8-1.log --open-mode=append --chdir=$P --export=ALL --parsable .stau/slurm/wrap.sh .stau/logs/job_a/7-8-1.status jobs/job_a a b " \
	"$argv"

# ---- a chunk that succeeds -------------------------------------------------------------------
nl='line one
line two'
T_COMMA='a,b,c' T_NEWLINE=$nl T_QUOTES="it's \"q\" \$HOME \`x\`" \
	submit job_a 7 8 jobs/job_a 'a b' '' '$HOME' 'x,y=z' '*'
done_id=$id
if [ -n "$id" ]; then ok "sbatch --parsable gives a job id ($id)"; else
	not_ok "sbatch --parsable gives a job id" "$(cat "$TMP/sbatch.err")"; fi
status=$P/.stau/logs/job_a/7-8-1.status
if wait_for_file "$status" 60; then ok "the wrapper writes the status file"; else
	not_ok "the wrapper writes the status file" "$(slurm_phase "$id")"; fi
check "status: exit 0 under the job's id" "exit 0 job $id restarts 0" \
	"$("$SLURM_TOOL" parse-status "$status")"
check "status file mode" "600" "$(stat -c %a "$status")"
check "no temporary status file left" "" "$(find "$P/.stau/logs/job_a" -name "*tmp*")"
wait_for_phase "$id" ENDED 30
check "squeue: ended, completed" "ENDED COMPLETED" "$(slurm_phase "$id")"
check "job name" "stau-7-8-1" "$(squeue -h -t all -j "$id,$id" -o %j)"
check "the log keeps stau's header and mode, and gets every argument and value untouched" \
	"==> stau header <==
arg [a b]
arg []
arg [\$HOME]
arg [x,y=z]
arg [*]
comma [a,b,c]
newline [line one
line two]
quotes [it's \"q\" \$HOME \`x\`]
pwd [$P]
job [$id] name [stau-7-8-1]
600" "$(cat "$P/.stau/logs/job_a/7-8-1.log"; stat -c %a "$P/.stau/logs/job_a/7-8-1.log")"

# ---- a chunk that fails, one whose program is missing -----------------------------------------
EXIT=3 submit job_a 7 9 jobs/job_a
failed=$id
submit job_a 7 10 jobs/no_such_job
missing=$id
wait_for_file "$P/.stau/logs/job_a/7-9-1.status" 60
check "a failing chunk: its exit status" "exit 3 job $failed restarts 0" \
	"$("$SLURM_TOOL" parse-status "$P/.stau/logs/job_a/7-9-1.status")"
wait_for_phase "$failed" ENDED 30
check "squeue: ended, failed" "ENDED FAILED" "$(slurm_phase "$failed")"
wait_for_file "$P/.stau/logs/job_a/7-10-1.status" 60
check "a missing program: 127" "exit 127 job $missing restarts 0" \
	"$("$SLURM_TOOL" parse-status "$P/.stau/logs/job_a/7-10-1.status")"

# ---- a chunk cancelled while it runs: no status file, Slurm says CANCELLED ---------------------
job job_slow '#!/bin/sh
# ---
# executor: slurm
# ---
echo started
sleep 300'
submit job_slow 7 11 jobs/job_slow
slow=$id
i=0
until grep -q started "$P/.stau/logs/job_slow/7-11-1.log" || [ "$i" -gt 600 ]; do
	i=$((i + 1))
	sleep 0.1
done
check "a slow chunk runs" "RUNNING RUNNING" "$(slurm_phase "$slow")"
scancel "$slow"
wait_for_phase "$slow" ENDED 60
check "scancel: squeue says CANCELLED" "ENDED CANCELLED" "$(slurm_phase "$slow")"
check "scancel: no status file" "no" \
	"$([ -e "$P/.stau/logs/job_slow/7-11-1.status" ] && echo yes || echo no)"

# ---- squeue's answers ------------------------------------------------------------------------
check "squeue: an unknown id is gone" "GONE -" "$(slurm_phase 99999999)"
check "squeue: several ids at once, unknown ones left out" \
	"$done_id ENDED COMPLETED
$failed ENDED FAILED
99999999 GONE -" \
	"$("$SLURM_TOOL" squeue "$done_id" "$failed" 99999999 |
		"$SLURM_TOOL" parse-squeue "$done_id" "$failed" 99999999)"

done_testing
