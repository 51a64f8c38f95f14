#!/bin/sh
# settings.on_failure: started without a shell exactly once per run that ends FAILED, by
# whichever stau process sees it end (a tick, `stau run`, or a later tick that recovers the
# run of a stau that was killed), never for a run that succeeded, with the run described in
# STAU_* variables; a hook that fails is said on stderr and changes neither the run nor the
# exit status; runs that failed while no hook was set are not alerted about later.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }
calls() { [ -e "$P/hooked" ] && wc -l <"$P/hooked" | tr -d ' ' || echo 0; }

mkproject hook
job features.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
case ",$STAU_WORK_IDS," in *,3,*) echo "store 3 has no data" >&2; exit 1;; esac'
job report.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
# ---'
job slow.sh '#!/bin/sh
# ---
# ---
echo started >"$STAU_DIR/started"
sleep 30'
# the hook: one line per call, and every variable it was given
cat >"$P/hook" <<'EOF'
#!/bin/sh
echo "$STAU_RUN_ID $STAU_JOB" >>"$STAU_DIR/hooked"
{
	echo "STAU_RUN_ID=$STAU_RUN_ID"
	echo "STAU_JOB=$STAU_JOB"
	echo "STAU_DIR=$STAU_DIR"
	echo "STAU_ENTRY=$STAU_ENTRY"
	echo "STAU_SCHEDULED_FOR=$STAU_SCHEDULED_FOR"
	echo "STAU_MESSAGE=$STAU_MESSAGE"
	echo "STAU_FAILED_CHUNKS=$STAU_FAILED_CHUNKS"
	echo "STAU_FAILED_LOGS=$STAU_FAILED_LOGS"
	echo "args=$*"
	echo "cwd=$(pwd)"
} >"$STAU_DIR/env-$STAU_RUN_ID"
EOF
chmod 0755 "$P/hook"
cat >"$P/schedule.yaml" <<'EOF'
settings:
  on_failure: [./hook, "two words", "$HOME"]
schedule:
  - id: nightly
    job: report
    cron: "0 3 * * *"
    work_ids: [1, 2, 3, 4]
EOF

# a tick whose run fails: the hook, once, with the run in its environment
run_stau -C "$P" tick --now 2026-06-01T03:00:05Z
check "the tick exits 1 for the failed run, as without a hook" 1 "$rc"
check "the hook was called once, for run 1 of report" "1 report" "$(cat "$P/hooked")"
check "its environment and arguments (no shell: \$HOME is a word)" "STAU_RUN_ID=1
STAU_JOB=report
STAU_DIR=$P
STAU_ENTRY=nightly
STAU_SCHEDULED_FOR=2026-06-01T03:00:00+00:00
STAU_MESSAGE=1 chunk failed, 1 canceled
STAU_FAILED_CHUNKS=features:2/2
STAU_FAILED_LOGS=$P/.stau/logs/features/1-2-1.log
args=two words \$HOME
cwd=$P" "$(cat "$P/env-1")"
check "the database records that it ran" "exit 0" \
	"$(db "SELECT hook_result FROM run_alerts WHERE run = 1")"

# later ticks, with and without work to do, do not call it again
run_stau -C "$P" tick --now 2026-06-01T03:10:00Z
run_stau -C "$P" run features --ids 1-2 --now 2026-06-01T03:15:00Z
check "a run that succeeds calls no hook" "0|1" "$rc|$(calls)"
run_stau -C "$P" tick --now 2026-06-01T03:20:00Z
check "and no tick calls it again" "0|1" "$rc|$(calls)"

# stau run of a run that fails calls it itself
run_stau -C "$P" run report --ids 3 --now 2026-06-01T03:30:00Z
check "stau run: exit 1, and the hook was called for run 3" "1|3 report" \
	"$rc|$(tail -n 1 "$P/hooked")"
check "a manual run has no entry nor fire time" "STAU_ENTRY=
STAU_SCHEDULED_FOR=" "$(grep '^STAU_ENTRY=\|^STAU_SCHEDULED' "$P/env-3")"

# a run that ends FAILED in a later tick, after its stau was killed
"$STAU" -C "$P" run slow --now 2026-06-01T04:00:00Z >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -e "$P/started" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$pid"
wait "$pid" 2>/dev/null
check "while its run is lost, no hook yet" 2 "$(calls)"
run_stau -C "$P" tick --now 2026-06-01T04:01:00Z
check "the tick that recovers it ends the run FAILED and calls the hook, once" \
	"FAILED|4 slow" "$(db "SELECT state FROM runs WHERE id = 4")|$(tail -n 1 "$P/hooked")"
check "with the lost chunk" "STAU_FAILED_CHUNKS=slow:1/1" "$(grep CHUNKS "$P/env-4")"
run_stau -C "$P" tick --now 2026-06-01T04:02:00Z
check "exactly once per failed run: 3 runs failed, 3 calls" "1 report
3 report
4 slow" "$(cat "$P/hooked")"

# a hook that fails: said, and nothing else changes
printf '#!/bin/sh\necho "no route to host" >&2\nexit 3\n' >"$P/hook"
run_stau -C "$P" run report --ids 3 --now 2026-06-01T05:00:00Z
check "a failing hook: the run's exit status stays 1" 1 "$rc"
check "the hook's failure is said on stderr" \
	"stau: on_failure of report run 5 failed: exit 3: no route to host" \
	"$(printf '%s\n' "$err" | grep on_failure)"
check "and recorded; the run is FAILED as it was" "exit 3: no route to host|FAILED" \
	"$(db "SELECT hook_result FROM run_alerts WHERE run = 5")|$(db "SELECT state FROM runs WHERE id = 5")"
run_stau -C "$P" tick --now 2026-06-01T05:10:00Z
check "a failed hook is not retried; the tick with nothing to do exits 0" "0|" \
	"$rc|$(printf '%s\n' "$err" | grep on_failure)"
rm "$P/hook"
run_stau -C "$P" tick --now 2026-06-02T03:00:05Z
check "a hook that cannot be started: the tick's status is the run's" \
	"1|stau: on_failure of report run 6 failed: cannot execute './hook': No such file or directory" \
	"$rc|$(printf '%s\n' "$err" | grep on_failure)"

# runs that failed while no hook was set are not alerted about once one is
mkproject later
job f.sh '#!/bin/sh
# ---
# ---
exit 1'
run_stau -C "$P" run f --now 2026-06-01T10:00:00Z
check "without on_failure a failed run is recorded as not configured" "not configured" \
	"$(db "SELECT hook_result FROM run_alerts")"
printf '#!/bin/sh\necho called >>"$STAU_DIR/hooked"\n' >"$P/hook"
chmod 0755 "$P/hook"
printf 'settings:\n  on_failure: [./hook]\n' >"$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-06-01T10:05:00Z
check "setting on_failure later does not alert about the old failure" "0|0" "$rc|$(calls)"

done_testing
