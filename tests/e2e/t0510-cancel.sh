#!/bin/sh
# stau cancel: a queued run, and an active run whose running chunk gets SIGTERM from cancel
# and is recorded by the stau that started it; finished runs exit 2; a canceled run can be
# retried.
#
# No sleeping: the job `slow` tells the test it runs by writing to the FIFO $STAU_DIR/ready
# (which blocks until the test reads it) and then blocks reading the FIFO $STAU_DIR/go, which
# nobody writes, until it is killed. Its timeout ends it should cancel fail to.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z

mkproject cancel
job slow.sh '#!/bin/sh
# ---
# chunk_size: 1
# max_parallel: 1
# timeout: 20s
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_ATTEMPT" >>"$STAU_DIR/order"
if [ -e "$STAU_DIR/block" ]; then
	echo "$$" >"$STAU_DIR/ready"
	read x <"$STAU_DIR/go"
fi'
job after.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: slow
#     max_lag: 0
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_ATTEMPT" >>"$STAU_DIR/order"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: after-ten
    job: after
    cron: "0 10 * * *"
YAML
mkfifo "$P/ready" "$P/go"
touch "$P/block"

# Run 1: slow over 3 IDs, one at a time; its first chunk blocks.
"$STAU" -C "$P" run slow --ids 1-3 -j 1 --now "$NOW" >"$TMP/run.out" 2>"$TMP/run.err" &
run_pid=$!
read -r job_pid <"$P/ready"

# Run 2: the tick queues `after`, which waits while slow has open chunks in run 1; slow's
# max_parallel keeps the tick from starting run 1's next chunk.
run_stau -C "$P" tick --now 2026-03-02T10:00:30Z
check "the tick is quiet" "0 " "$rc $err"
run_stau -C "$P" show 2
check "run 2 is queued" "run 2 of after: QUEUED" "$(echo "$out" | head -n 1)"
run_stau -C "$P" prune --older-than 1s --now 2026-03-09T00:00:00Z
check "prune keeps runs that are queued or active, however old" \
	"pruned 0 runs, 0 chunks, 0 log files" "$out"

run_stau -C "$P" cancel 2 --now 2026-03-02T10:01:00Z
check "cancel of a queued run exits 0" 0 "$rc"
check "cancel of a queued run says so" "run 2 canceled before it started" "$out"
run_stau -C "$P" show 2
check "the queued run is CANCELED with the reason" "run 2 of after: CANCELED
message:   canceled by user" "$(echo "$out" | sed -n '1p; /^message:/p')"
run_stau -C "$P" cancel 2
check "cancel of a run that has ended exits 2" 2 "$rc"
check "and says why" "stau: run 2 has already ended (CANCELED): nothing to cancel" "$err"

run_stau -C "$P" cancel 1 --now 2026-03-02T10:02:00Z
check "cancel of an active run exits 0" 0 "$rc"
check "pending chunks canceled, SIGTERM to the running one" \
	"run 1 canceled: 2 pending chunks canceled, 1 running chunk sent SIGTERM" "$out"
wait "$run_pid"
check "the stau run of the canceled run exits 1" 1 "$?"
check "it saw its chunk killed and the run canceled" "stau: slow run 1: slow 1/3 (ID 1) failed: \
killed by signal TERM after 0.0s; log .stau/logs/slow/1-1-1.log
stau: slow run 1 canceled: canceled by user" \
	"$(sed 's/after [0-9.]*s;/after 0.0s;/' "$TMP/run.err")"
if kill -0 "$job_pid" 2>/dev/null; then not_ok "the job's process has ended"; kill "$job_pid"
else ok "the job's process has ended"; fi
run_stau -C "$P" show 1
check "the running chunk FAILED, the pending ones CANCELED" "run 1 of slow: CANCELED
1 FAILED SIGTERM
2 CANCELED canceled
3 CANCELED canceled" \
	"$(echo "$out" | awk 'NR == 1; /^ *[0-9]/ { print $1, $5, ($9 == "-" ? $11 : $9) }')"
check "only the first chunk ran" "slow 1 1" "$(cat "$P/order")"

# A canceled run can be retried: the killed chunk and the canceled ones run.
rm "$P/block"
: >"$P/order"
run_stau -C "$P" retry 1 -j 1 --now 2026-03-02T10:03:00Z
check "retry of the canceled run exits 0" 0 "$rc"
check "it runs the failed chunk again and the canceled ones for the first time" "slow 1 2
slow 2 1
slow 3 1" "$(cat "$P/order")"

run_stau -C "$P" cancel 9
check "an unknown run: exit 2 and said" "2 stau: no run 9; 'stau status JOB' lists runs" "$rc $err"
run_stau -C "$P" cancel 1 2
check "one run at a time" "stau: unexpected argument '2'
see 'stau cancel --help'" "$err"

done_testing
