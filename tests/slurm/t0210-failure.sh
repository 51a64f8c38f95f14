#!/bin/sh
# t0210-failure.sh - a Slurm chunk that fails: its exit status is recorded from the status
# file, its retry policy applies (each attempt its own Slurm job), its dependents are
# canceled, and stau says so and exits 1; a fatal exit code makes the job BROKEN.
. "$(dirname "$0")/lib.sh"

mkproject failure
job job_f.sh '#!/bin/sh
# ---
# executor: slurm
# retries: 1
# retry_delay: 1s
# ---
echo "attempt $STAU_ATTEMPT job $SLURM_JOB_ID" >>"$STAU_DIR/record"
echo "oops on attempt $STAU_ATTEMPT" >&2
exit 4'
job job_g.sh '#!/bin/sh
# ---
# executor: slurm
# dependencies:
#   - job_type: job_f
# ---
echo ran >>"$STAU_DIR/record"'

run_stau -C "$P" run job_g
check "stau run exits 1" "1" "$rc"
check "it says the first attempt will be retried and the second failed" "yes yes" \
	"$(printf '%s\n' "$err$out" | grep -q 'retry job_f 1/1: exit 4' && echo yes || echo no) $(
		printf '%s\n' "$err$out" | grep -q 'failed job_f 1/1: exit 4' && echo yes || echo no)"
check "two attempts, each a Slurm job of its own" "2 2" \
	"$(grep -c '^attempt' "$P/record") $(awk '{print $4}' "$P/record" | sort -u | wc -l)"
check "the dependent never ran" "0" "$(grep -c '^ran' "$P/record")"
check "recorded: FAILED exit 4 attempt 2, dependent CANCELED" "FAILED|4|2
CANCELED||0" "$(sqlite3 "$P/.stau/stau.db" "SELECT state, exit_code, attempt FROM chunks ORDER BY id")"
check "the failure's last lines are kept" "oops on attempt 2" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT tail FROM chunks WHERE id = 1" | grep oops)"
check "run FAILED" "FAILED" "$(run_state 1)"
check "each attempt has its log" "oops on attempt 1
oops on attempt 2" "$(cat "$P/.stau/logs/job_f/1-1-1.log" "$P/.stau/logs/job_f/1-1-2.log" | grep oops)"

# a fatal exit code: the job is BROKEN, not retried
job job_x.sh '#!/bin/sh
# ---
# executor: slurm
# retries: 3
# fatal_exit_codes: [7]
# ---
exit 7'
run_stau -C "$P" run job_x
check "a fatal exit: not retried, the job BROKEN" "1|1|yes" \
	"$rc|$(sqlite3 "$P/.stau/stau.db" "SELECT attempt FROM chunks WHERE job = 'job_x'")|$(
		printf '%s\n' "$err$out" | grep -q 'broken' && echo yes || echo no)"

done_testing
