#!/bin/sh
# stau retry: exactly the failed and canceled chunks run again, with their work IDs, kwargs
# and attempt numbers; BROKEN marks are cleared; runs that cannot be retried exit 2.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z

# Jobs append "JOB IDS ATTEMPT KWARGS" to $STAU_DIR/order; d fails on IDs 3 and 4 until the
# file $STAU_DIR/fixed exists.
mkproject fail
job d.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_ATTEMPT $STAU_KWARGS" >>"$STAU_DIR/order"
[ "$STAU_WORK_IDS" != "3,4" ] || [ -e "$STAU_DIR/fixed" ] ||
	{ echo "no data for 3 and 4" >&2; exit 5; }'
job top.sh '#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - job_type: d
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_ATTEMPT $STAU_KWARGS" >>"$STAU_DIR/order"'

run_stau -C "$P" run top --ids 1-6 -j 1 --kw n=5 --now "$NOW"
check "the first run fails" 1 "$rc"
check "one chunk failed and its dependent was canceled" "d 1,2 1 {\"n\":5}
d 3,4 1 {\"n\":5}
d 5,6 1 {\"n\":5}
top 1,2 1 {\"n\":5}
top 5,6 1 {\"n\":5}" "$(cat "$P/order")"

: >"$P/order"
run_stau -C "$P" retry 1 -j 1 --now 2026-03-02T10:05:00Z
check "a retry that fails again exits 1" 1 "$rc"
check "only the failed chunk runs, as attempt 2 with its IDs and kwargs" "d 3,4 2 {\"n\":5}" \
	"$(cat "$P/order")"
check "the retry says what it runs, then each start and end" "retrying 2 chunks of top run 1
start d 2/3 (chunk 2, attempt 2)
failed d 2/3: exit 5 after 0.0s" "$(echo "$out" | sed 's/after [0-9.]*s$/after 0.0s/')"
check "failures on stderr, as stau run says them" \
	"stau: top run 1: d 2/3 (IDs 3-4) failed: exit 5 after 0.0s: no data for 3 and 4; canceled: top 2/3; log .stau/logs/d/1-2-2.log
stau: top run 1 failed: 1 chunk failed, 1 canceled" \
	"$(echo "$err" | sed 's/after [0-9.]*s;/after 0.0s;/')"

: >"$P/order"
touch "$P/fixed"
run_stau -C "$P" retry '#1' -j 1 --now 2026-03-02T10:10:00Z
check "a retry that succeeds exits 0" 0 "$rc"
check "the failed chunk, then the canceled one that depends on it" "d 3,4 3 {\"n\":5}
top 3,4 1 {\"n\":5}" "$(cat "$P/order")"
check "the retry ends with the run's result" "retrying 2 chunks of top run 1
start d 2/3 (chunk 2, attempt 3)
done d 2/3 in 0.0s
start top 2/3 (chunk 5, attempt 1)
done top 2/3 in 0.0s
top run 1 done: 2 chunks retried in 0.0s" "$(echo "$out" | sed 's/in [0-9.]*s$/in 0.0s/')"
check "nothing on stderr" "" "$err"
run_stau -C "$P" show 1
check "every chunk of the run is DONE, and the run too" "run 1 of top: DONE
1 DONE 1
2 DONE 3
3 DONE 1
4 DONE 1
5 DONE 1
6 DONE 1" "$(echo "$out" | awk 'NR == 1; /^ *[0-9]/ { print $1, $5, $6 }')"
check "each attempt kept its log" ".stau/logs/d/1-2-1.log
.stau/logs/d/1-2-2.log
.stau/logs/d/1-2-3.log" "$(cd "$P" && ls .stau/logs/d/1-2-*.log)"

# Runs that cannot be retried.
run_stau -C "$P" retry 1
check "a done run: exit 2" 2 "$rc"
check "a done run: said" "stau: run 1 is done: nothing to retry" "$err"
run_stau -C "$P" retry 7
check "an unknown run: exit 2" 2 "$rc"
check "an unknown run: said" "stau: no run 7; 'stau status JOB' lists runs" "$err"
run_stau -C "$P" retry abc
check "not a run id: exit 2" 2 "$rc"
check "not a run id: said" "stau: 'abc' is not a run id; 'stau status JOB' lists runs
see 'stau retry --help'" "$err"
run_stau -C "$P" retry
check "no run given: said" \
	"stau: which run? give its number, e.g. 'stau retry 42'; 'stau status JOB' lists runs
see 'stau retry --help'" "$err"
run_stau -C "$P" retry 1 --bogus
check "an unknown option: said" "stau: unknown option '--bogus'
see 'stau retry --help'" "$err"
mkproject empty
run_stau -C "$P" retry 1
check "no database yet: an unknown run, and no database made" \
	"2 stau: no run 1; 'stau status JOB' lists runs
no" "$rc $err
$([ -e "$P/.stau/stau.db" ] && echo yes || echo no)"

# A fatal exit marks a job BROKEN: a later run that needs it fails before it has chunks.
# retry clears the mark, and such a run is expanded again with its kwargs.
mkproject broken
job b.sh '#!/bin/sh
# ---
# fatal_exit_codes: [7]
# ---
echo "$STAU_JOB $STAU_ATTEMPT $STAU_KWARGS" >>"$STAU_DIR/order"
[ -e "$STAU_DIR/fixed" ] || { echo "credentials expired" >&2; exit 7; }'
job top.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: b
# ---
echo "$STAU_JOB $STAU_ATTEMPT $STAU_KWARGS" >>"$STAU_DIR/order"'
run_stau -C "$P" run top --now "$NOW"
run_stau -C "$P" run top --kw k=v --now 2026-03-02T10:01:00Z
check "a run needing a broken job fails at once" "1 stau: top run 2 failed: job 'b' is broken: \
exit 7 in run 1 (one of its fatal_exit_codes); see .stau/logs/b/1-1-1.log" "$rc $err"
touch "$P/fixed"
: >"$P/order"
run_stau -C "$P" retry 2 --now 2026-03-02T10:02:00Z
check "retry of a run that never had chunks exits 0" 0 "$rc"
check "it is expanded again and runs, BROKEN cleared" "top run 2 queued again
start b 1/1 (chunk 3, attempt 1)
done b 1/1 in 0.0s
start top 1/1 (chunk 4, attempt 1)
done top 1/1 in 0.0s
top run 2 done: 2 chunks retried in 0.0s" "$(echo "$out" | sed 's/in [0-9.]*s$/in 0.0s/')"
check "with the run's kwargs" "b 1 {\"k\":\"v\"}
top 1 {\"k\":\"v\"}" "$(cat "$P/order")"
run_stau -C "$P" status --now 2026-03-02T10:03:00Z
case "$out" in
*BROKEN*) not_ok "status shows no BROKEN mark any more" "$out" ;;
*) ok "status shows no BROKEN mark any more" ;;
esac

# The BROKEN mark also goes when the run that set it is retried.
mkproject broken2
job b.sh '#!/bin/sh
# ---
# fatal_exit_codes: [7]
# ---
echo "$STAU_JOB $STAU_ATTEMPT" >>"$STAU_DIR/order"
[ -e "$STAU_DIR/fixed" ] || exit 7'
run_stau -C "$P" run b --now "$NOW"
touch "$P/fixed"
run_stau -C "$P" retry 1 --now 2026-03-02T10:01:00Z
check "retry of the run whose chunk set the mark runs it again" "0 b 1
b 2" "$rc $(cat "$P/order")"

done_testing
