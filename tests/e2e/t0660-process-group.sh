#!/bin/sh
# A chunk is its process group (docs/design.md, "Starting a chunk"): when the job's main
# process exits, what it left in its group gets SIGTERM at once and SIGKILL 2 s later, and
# the chunk's outcome is its main process's, recorded without waiting for them; nothing
# writes to the log after that. A chunk found lost (its stau got kill -9) has its group and
# what escaped it on purpose (setsid, a double fork) killed by the tick that recovers it,
# and that tick exits 1.
. "$(dirname "$0")/lib.sh"

cp "$(command -v sleep)" "$TMP/hold" # its path marks the jobs' processes
alive() { pgrep -f "$TMP/hold"; }
# gone_within MS: succeeds once no process of the jobs is alive, polling for at most MS ms.
gone_within() {
	end=$(($(date +%s%3N) + $1))
	while alive >/dev/null; do
		[ "$(date +%s%3N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject bg
job five.sh "#!/bin/sh
# ---
# ---
for i in 1 2 3 4 5; do '$TMP/hold' 100 & done
echo started five"
job stubborn.sh "#!/bin/sh
# ---
# ---
(trap '' TERM; : >\"\$STAU_DIR/trapped\"; while :; do echo still here; '$TMP/hold' 0.05; done) &
while [ ! -e \"\$STAU_DIR/trapped\" ]; do :; done
echo started stubborn"

t0=$(date +%s%3N)
run_stau -C "$P" run five
t1=$(date +%s%3N)
check "a job that leaves five processes behind is DONE" "0|DONE|0" \
	"$rc|$(db "SELECT state, exit_code FROM chunks")"
if gone_within 10000; then ok "the five are gone, long before their 100 s"; else
	not_ok "the five are gone, long before their 100 s" "$(alive)"; fi
if [ $((t1 - t0)) -lt 30000 ]; then ok "stau did not wait for them"; else
	not_ok "stau did not wait for them" "stau run took $((t1 - t0)) ms"; fi
check "the log says they were sent SIGTERM, before the outcome" "started five
[stau: SIGTERM to the processes it left in its process group]
[exited with status 0]" "$(sed 1d "$P/.stau/logs/five/1-1-1.log")"

t0=$(date +%s%3N)
run_stau -C "$P" run stubborn
t1=$(date +%s%3N)
log=$P/.stau/logs/stubborn/2-2-1.log
check "a job whose leftover ignores SIGTERM is DONE" "0|DONE" \
	"$rc|$(db "SELECT state FROM chunks WHERE job = 'stubborn'")"
d=$(db "SELECT duration_ms FROM chunks WHERE job = 'stubborn'")
if [ "$d" -lt 1500 ]; then ok "its outcome did not wait for the grace"; else
	not_ok "its outcome did not wait for the grace" "duration $d ms"; fi
check "nothing of it is alive when stau has exited" "" "$(alive)"
if [ $((t1 - t0)) -ge 1500 ] && [ $((t1 - t0)) -lt 8000 ]; then
	ok "stau gave the leftover its grace before SIGKILL"; else
	not_ok "stau gave the leftover its grace before SIGKILL" "stau run took $((t1 - t0)) ms"; fi
check "the log ends with the SIGKILL" \
	"[stau: SIGKILL to the processes it left in its process group]" "$(tail -n 1 "$log")"
size=$(wc -c <"$log")
"$TMP/hold" 0.3
check "nothing writes to the log after the grace" "$size" "$(wc -c <"$log")"
n=$(grep -c '^still here$' "$log")
if [ "$n" -ge 10 ]; then ok "the leftover wrote to the log during the grace ($n lines)"; else
	not_ok "the leftover wrote to the log during the grace" "$n lines"; fi

# ---- a lost chunk ----
mkproject lost
job lost.sh "#!/bin/sh
# ---
# ---
'$TMP/hold' 300 &
setsid '$TMP/hold' 300 &
setsid sh -c \"'$TMP/hold' 300 & exit 0\" &
echo started >\"\$STAU_DIR/started\"
'$TMP/hold' 300"
"$STAU" -C "$P" run lost >"$TMP/run.out" 2>&1 &
pid=$!
i=0
while [ "$(alive | wc -l)" -lt 4 ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100000 ]; do
	i=$((i + 1))
done
check "the job started four processes, two of them out of its group" "4" "$(alive | wc -l)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
run_stau -C "$P" tick
check "the tick that recovers the chunk says so and exits 1" "1|stau: marked 1 chunk FAILED \
'runner lost': the stau process running it died; retried if the job allows, see 'stau \
status'" "$rc|$err"
check "the chunk is FAILED 'runner lost'" "FAILED|runner lost" \
	"$(db "SELECT state, message FROM chunks")"
if gone_within 10000; then ok "nothing of the lost chunk is alive, in its group or not"; else
	not_ok "nothing of the lost chunk is alive, in its group or not" "$(alive)"; fi
run_stau -C "$P" tick
check "the next tick has nothing to recover and exits 0" "0|" "$rc|$err"

for p in $(alive); do kill -9 "$p"; done
done_testing
