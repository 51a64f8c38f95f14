#!/bin/sh
# stau submit queues a run and returns at once, printing its id, and the next tick runs it;
# stau rerun starts a new run with a run's job, work IDs and kwargs (done or failed runs,
# --force for stale dependencies), and refuses runs that have not ended.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z

# Jobs append "JOB IDS KWARGS" to $STAU_DIR/order; d fails on ID 3 until $STAU_DIR/fixed
# exists; d is fresh for a day.
mkproject p
job d.sh '#!/bin/sh
# ---
# chunk_size: 2
# select_work: cat ids
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_KWARGS" >>"$STAU_DIR/order"
case ",$STAU_WORK_IDS," in *,3,*) [ -e "$STAU_DIR/fixed" ] || { echo "KeyError: 3" >&2; exit 1; } ;; esac'
job top.sh '#!/bin/sh
# ---
# chunk_size: 2
# select_work: cat ids
# dependencies:
#   - job_type: d
#     max_lag: 1d
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_KWARGS" >>"$STAU_DIR/order"'
echo "1 2" >"$P/ids"

# ---- submit ----
run_stau -C "$P" submit top --ids 1-2 --kw region=north --now "$NOW"
check "submit exits 0" 0 "$rc"
check "submit prints the run id alone" 1 "$out"
check "submit says nothing else" "" "$err"
check "nothing has run yet" "no" "$([ -e "$P/order" ] && echo yes || echo no)"
run_stau -C "$P" show 1
check "the run is queued" "run 1 of top: QUEUED" "$(echo "$out" | head -n 1)"
run_stau -C "$P" -v submit top --now "$NOW"
check "a second submit gets the next id" 2 "$out"
check "with -v it says what comes next" "stau: top run 2 queued: the next 'stau tick' runs it" "$err"
echo "7" >"$P/ids"
run_stau -C "$P" show 2 --json
case $out in *'"work_ids": "1-2"'*) ok "without --ids the IDs are select_work's at submit time" ;;
	*) not_ok "without --ids the IDs are select_work's at submit time" "$out" ;; esac

run_stau -C "$P" tick -j 1 --now 2026-03-02T10:00:30Z
check "the next tick runs both runs" 0 "$rc"
check "in order, with their IDs and kwargs; the second reuses d as fresh" \
	'd 1,2 {"region":"north"}
top 1,2 {"region":"north"}
top 1,2 {}' "$(cat "$P/order")"
run_stau -C "$P" show 1
check "the submitted run is done" "run 1 of top: DONE" "$(echo "$out" | head -n 1)"

run_stau -C "$P" submit nosuch
check "an unknown job: exit 2" 2 "$rc"
check "an unknown job: said" "stau: unknown job 'nosuch': no file in jobs/ has that job type; see 'stau status'" "$err"
run_stau -C "$P" submit
check "no job: exit 2" 2 "$rc"
run_stau -C "$P" submit top --ids x
check "bad IDs: exit 2" 2 "$rc"

mkproject fresh
job a.sh '#!/bin/sh
# ---
# select_work: ./no-such-command
# ---
true'
run_stau -C "$P" submit a
check "a select_work that fails: exit 1" 1 "$rc"
check "the run id is printed all the same" 1 "$out"
case $err in "stau: a run 1 failed: "*) ok "and the failure is said" ;;
	*) not_ok "and the failure is said" "$err" ;; esac
run_stau -C "$P" show 1
check "the run is recorded FAILED" "run 1 of a: FAILED" "$(echo "$out" | head -n 1)"
mkproject nodb
run_stau -C "$P" submit nosuch
check "a mistyped job creates no database" "no" "$([ -e "$P/.stau" ] && echo yes || echo no)"

# ---- rerun ----
P=$TMP/p
: >"$P/order"
run_stau -C "$P" rerun 1 -j 1 --now 2026-03-02T10:05:00Z
check "a rerun of a done run exits 0" 0 "$rc"
check "its job's chunks run again with the same IDs and kwargs; d is fresh" \
	'top 1,2 {"region":"north"}' "$(cat "$P/order")"
check "it says which run it reruns, then the progress" "top run 3: a rerun of run 1
start top 1/1 (chunk 4, attempt 1)
done top 1/1 in 0.0s
top run 3 done: 1 chunk in 0.0s" "$(echo "$out" | sed 's/in [0-9.]*s$/in 0.0s/')"
run_stau -C "$P" show 3 --json
case $out in *'"entry": null'*'"work_ids": "1-2"'*) ok "the rerun is a manual run with RUN's IDs" ;;
	*) not_ok "the rerun is a manual run with RUN's IDs" "$out" ;; esac

: >"$P/order"
run_stau -C "$P" rerun 1 --force -j 1 --now 2026-03-02T10:06:00Z
check "--force: the fresh dependency runs too" 'd 1,2 {"region":"north"}
top 1,2 {"region":"north"}' "$(cat "$P/order")"

: >"$P/order"
run_stau -C "$P" run top --ids 1-4 -j 1 --now 2026-03-02T10:10:00Z
check "a run that fails" 1 "$rc"
: >"$P/order"
run_stau -C "$P" rerun 5 -j 1 --now 2026-03-02T10:11:00Z
check "a rerun of a failed run that fails again exits 1" 1 "$rc"
check "it ran the stale dependency again, not the fresh one" 'd 3,4 {}
top 1,2 {}' "$(cat "$P/order")"
touch "$P/fixed"
: >"$P/order"
run_stau -C "$P" rerun 6 -j 1 --now 2026-03-02T10:12:00Z
check "a rerun of it once fixed exits 0" 0 "$rc"
check "every chunk of its job runs" 'd 3,4 {}
top 1,2 {}
top 3,4 {}' "$(cat "$P/order")"

run_stau -C "$P" submit top --ids 9 --now 2026-03-02T10:13:00Z
run_stau -C "$P" rerun "$out"
check "a queued run: exit 2" 2 "$rc"
check "a queued run: said" "stau: run 8 is still queued: rerun it once it has ended, or 'stau cancel 8' first" "$err"
run_stau -C "$P" rerun 99
check "an unknown run: exit 2" 2 "$rc"
check "an unknown run: said" "stau: no run 99; 'stau status JOB' lists runs" "$err"
run_stau -C "$P" rerun
check "no run: exit 2" 2 "$rc"
run_stau -C "$TMP/nodb" rerun 1
check "no database: exit 2, and none is created" "2 no" "$rc $([ -e "$TMP/nodb/.stau" ] && echo yes || echo no)"

# -j above max_parallel is said once, and is no error.
mkproject cap
job a.sh '#!/bin/sh
# ---
# description: does nothing
# ---
true'
printf 'settings:\n  max_parallel: 2\n' >"$P/schedule.yaml"
run_stau -C "$P" run a -j 3 --now "$NOW"
check "run -j 3 over max_parallel 2: said once, exit 0" "0 stau: -j 3 is above max_parallel (2 in schedule.yaml): at most 2 chunks run at once" "$rc $err"
run_stau -C "$P" rerun 1 -j 5 --now "$NOW"
check "rerun -j 5: said once" "0 stau: -j 5 is above max_parallel (2 in schedule.yaml): at most 2 chunks run at once" "$rc $err"
run_stau -C "$P" tick -j 4 --now "$NOW"
check "tick -j 4: said once" "0 stau: -j 4 is above max_parallel (2 in schedule.yaml): at most 2 chunks run at once" "$rc $err"
run_stau -C "$P" tick -j 2 --now "$NOW"
check "-j at max_parallel: nothing said" "0 " "$rc $err"

done_testing
