#!/bin/sh
# Timeouts (docs/design.md, "Starting a chunk"): at `timeout` the job's process group gets SIGTERM, and SIGKILL a
# grace later (10 s; STAU_KILL_GRACE_MS shortens it here). A job that dies on SIGTERM ends
# at once; one that traps it and goes on is killed with its children. Either is FAILED
# "timed out after 1s", nothing of it survives, and its retries wait for retry_delay.
. "$(dirname "$0")/lib.sh"

export STAU_KILL_GRACE_MS=1500
mkproject slow
cp "$(command -v sleep)" "$TMP/hold" # its path marks the jobs' processes
job stubborn.sh "#!/bin/sh
# ---
# timeout: 1s
# ---
trap 'echo TERM >>\"\$STAU_DIR/stubborn.trap\"' TERM
'$TMP/hold' 300 &
while :; do '$TMP/hold' 0.05; done"
job meek.sh "#!/bin/sh
# ---
# timeout: 1s
# retries: 1
# retry_delay: 5m
# ---
echo \"attempt \$STAU_ATTEMPT\" >>\"\$STAU_DIR/meek.ran\"
'$TMP/hold' 300 &
'$TMP/hold' 300"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: stubborn
    job: stubborn
    cron: "0 12 * * *"
  - id: meek
    job: meek
    cron: "0 12 * * *"
YAML
db() { sqlite3 "$P/.stau/stau.db" "$1"; }

run_stau -C "$P" tick -j 2 --now 2026-05-04T12:00:00Z
check "the tick exits 1" "1" "$rc"
check "the final timeout is reported, not the one that will be retried" \
	"stau: stubborn run 1: stubborn 1/1 failed: timed out after 1s; log .stau/logs/stubborn/1-1-1.log" \
	"$err"
check "both timed out; the stubborn one ended by SIGKILL, the meek one by SIGTERM" \
	"1|stubborn|FAILED|timed out after 1s|9
2|meek|PENDING|timed out after 1s|15" \
	"$(db "SELECT id, job, state, message, signal FROM chunks ORDER BY id")"
check "the stubborn job saw SIGTERM and went on" "TERM" "$(cat "$P/stubborn.trap")"
d=$(db "SELECT duration_ms FROM chunks WHERE job = 'stubborn'")
if [ "$d" -ge 2500 ] && [ "$d" -lt 9000 ]; then ok "SIGKILL came the grace after SIGTERM"; else
	not_ok "SIGKILL came the grace after SIGTERM" "after ${d} ms, expected 2500 to 9000"; fi
d=$(db "SELECT duration_ms FROM chunks WHERE job = 'meek'")
if [ "$d" -ge 1000 ] && [ "$d" -lt 2500 ]; then ok "the meek job ended at SIGTERM, no grace"; else
	not_ok "the meek job ended at SIGTERM, no grace" "after ${d} ms, expected 1000 to 2500"; fi
check "no process of either job survives" "" "$(pgrep -af "$TMP/hold")"

run_stau -C "$P" tick -j 2 --now 2026-05-04T12:04:00Z
check "before its retry_delay the meek job is not retried" "0|attempt 1" \
	"$rc|$(cat "$P/meek.ran")"
run_stau -C "$P" tick -j 2 --now 2026-05-04T12:06:00Z
check "after it, it is retried, times out again and is FAILED" \
	"1|stau: meek run 2: meek 1/1 failed: timed out after 1s; log .stau/logs/meek/2-2-2.log" \
	"$rc|$err"
check "the retry ran as attempt 2" "attempt 1
attempt 2" "$(cat "$P/meek.ran")"
check "both runs are FAILED" "1|FAILED
2|FAILED" "$(db "SELECT id, state FROM runs ORDER BY id")"
check "no process of either job survives" "" "$(pgrep -af "$TMP/hold")"
for p in $(pgrep -f "$TMP/hold"); do kill -9 "$p"; done

done_testing
