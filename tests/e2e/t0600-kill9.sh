#!/bin/sh
# kill -9: a tick killed at varied moments of a run of 200 one-ID chunks, again and again,
# then recovered by later ticks. What stau promises (docs/design.md, "Exactly once"): a chunk left RUNNING by
# a dead stau is marked FAILED "runner lost" and retried; an outcome once recorded is never
# lost, so a recorded success is never run again. A chunk killed mid-run may or may not
# have written its line, so exactly-once means: each attempt of a chunk runs at most once
# (no "CHUNK ATTEMPT" line twice), every chunk ends DONE with its last attempt's line
# written, and a chunk ran more than once only when an earlier attempt was lost, which the
# attempt number then shows. The job's process group dies with its stau.
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:00:00Z

mkproject lost
job w.sh '#!/bin/sh
# ---
# chunk_size: 1
# retries: 20
# retry_delay: 1s
# ---
echo "$STAU_CHUNK_ID $STAU_ATTEMPT" >>"$STAU_DIR/out"'
ids=$(seq -s ', ' 1 200)
printf 'schedule:\n  - id: many\n    job: w\n    cron: "0 12 * * *"\n    work_ids: [%s]\n' \
	"$ids" >"$P/schedule.yaml"
: >"$P/out"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }
# 200 chunks make a long dump: dump only the list of logs and the output on a failure
dump_project() { ls "$1/.stau/logs"/*; cat "$1/out"; } 2>/dev/null | sed 's/^/#   /' | tail -n 60
lines() { wc -l <"$P/out"; }

# kill_after K MINUTE: starts a tick at 12:MINUTE and kills it with SIGKILL as soon as the
# output has K more lines (or the tick ended on its own: then nothing is killed).
kill_after() {
	start=$(lines)
	"$STAU" -C "$P" tick -j 4 --now "$(printf "2026-05-04T12:%02d:00Z" "$2")" >>"$TMP/ticks" 2>&1 &
	pid=$!
	i=0
	while [ "$(lines)" -lt $((start + $1)) ] && kill -0 "$pid" 2>/dev/null &&
		[ "$i" -lt 100000 ]; do
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
}

killed=0
minute=0
for k in 1 3 7 0 12 2 20 5 1 9 4 15; do
	kill_after "$k" "$minute"
	minute=$((minute + 1))
done
if [ "$killed" -ge 10 ]; then ok "$killed ticks were killed with SIGKILL mid-run"; else
	not_ok "at least 10 ticks were killed with SIGKILL mid-run" "only $killed"; fi

# recovery: later ticks, far enough apart for every retry delay
for minute in 30 40 50 59; do
	run_stau -C "$P" tick --now "2026-05-04T12:$minute:00Z"
done
check "nothing is left RUNNING or PENDING" "" \
	"$(db "SELECT id, state FROM chunks WHERE state NOT IN ('DONE') AND job = 'w'")"
check "every chunk is DONE" "200" "$(db "SELECT count(*) FROM chunks WHERE state = 'DONE'")"
check "the run is DONE" "DONE" "$(db "SELECT state FROM runs")"
check "no attempt of a chunk ran twice" "" "$(sort "$P/out" | uniq -d)"
check "each chunk's recorded last attempt wrote its line" "" \
	"$(db "SELECT id || ' ' || attempt FROM chunks" | sort >"$TMP/last"
	sort "$P/out" | comm -23 "$TMP/last" -)"
check "a chunk ran twice only after a lost attempt" "" \
	"$(cut -d' ' -f1 "$P/out" | sort | uniq -d | while read -r c; do
		a=$(db "SELECT attempt FROM chunks WHERE id = $c")
		[ "$a" -ge 2 ] || echo "chunk $c ran twice in attempt $a"
	done)"
retried=$(db "SELECT count(*) FROM chunks WHERE attempt > 1")
if [ "$retried" -ge 1 ]; then ok "$retried chunks were lost and retried"; else
	not_ok "some chunks were lost and retried" "none: the kills missed every chunk"; fi
# a claim killed before its log was opened leaves no log: at most one per attempt
n=$(ls "$P/.stau/logs/w" | wc -l)
max=$(db "SELECT sum(attempt) FROM chunks")
if [ "$n" -le "$max" ]; then ok "at most one log per attempt ($n for $max attempts)"; else
	not_ok "at most one log per attempt" "$n logs for $max attempts"; fi
check "each chunk's last attempt has its log" "" \
	"$(db "SELECT '1-' || id || '-' || attempt || '.log' FROM chunks" | while read -r f; do
		[ -f "$P/.stau/logs/w/$f" ] || echo "no $f"; done)"
check "the database is intact" "ok" "$(db "PRAGMA integrity_check")"

# a job that leaves a grandchild behind: neither may outlive the killed tick's recovery
mkproject orphan
cp "$(command -v sleep)" "$TMP/hold" # its path marks the job's processes
job slow.sh "#!/bin/sh
# ---
# ---
'$TMP/hold' 300
echo done"
"$STAU" -C "$P" run slow >"$TMP/run.out" 2>&1 &
pid=$!
i=0
while ! pgrep -f "$TMP/hold" >/dev/null && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 20000 ]; do
	i=$((i + 1))
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
run_stau -C "$P" tick
check "the lost chunk is FAILED 'runner lost'" "FAILED|runner lost" \
	"$(db "SELECT state, message FROM chunks")"
check "the tick that found it says so and exits 1, so that cron mails it" "1|stau: marked 1 chunk FAILED \
'runner lost': the stau process running it died; retried if the job allows, see 'stau \
status'" "$rc|$err"
check "no process of the job survives its stau and the recovery" "" \
	"$(pgrep -af "$TMP/hold")"
for p in $(pgrep -f "$TMP/hold"); do kill -9 "$p"; done
check "the database is intact" "ok" "$(db "PRAGMA integrity_check")"

done_testing
