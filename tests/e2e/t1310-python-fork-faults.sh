#!/bin/sh
# Forked Python chunks under the executor's faults (docs/design.md, "The Python runner"): a
# timeout kills the chunk's process group; `stau cancel` reaches a running chunk; kill -9 of
# stau leaves neither the runner nor a chunk alive, and the next tick recovers the chunks as
# lost and kills what they forked, in their group or out of it.
. "$(dirname "$0")/lib.sh"

NOW=2026-06-01T12:00:00Z
ln -s "$(python3 -c "import sys; print(sys.executable)")" "$TMP/py3" # its path marks the runner and the forked chunks
cp "$(command -v sleep)" "$TMP/hold"     # and this the programs they start
alive() { pgrep -f "$TMP/(py3|hold)"; }
# what stays in the chunk's group (the program started with setsid, "hold 301", leaves it)
in_group() { pgrep -f "$TMP/(py3|hold 300)"; }
# gone_within MS [WHAT]: succeeds once nothing of WHAT (alive) is, polling for at most MS ms.
gone_within() {
	end=$(($(date +%s%3N) + $1))
	while ${2:-alive} >/dev/null; do
		[ "$(date +%s%3N)" -lt "$end" ] || return 1
	done
}
db() { sqlite3 "$P/.stau/stau.db" "$1"; }
# wait_lines FILE N: until FILE has N lines (or stau, $pid, ended), polling at most 30 s.
wait_lines() {
	end=$(($(date +%s) + 30))
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && kill -0 "$pid" 2>/dev/null &&
		[ "$(date +%s)" -lt "$end" ]; do :; done
}
settings() { printf 'settings:\n  python: %s\n' "$TMP/py3" >"$P/schedule.yaml"; }
# A chunk that starts a program in its group, one out of it (setsid), forks itself once,
# says it runs, and then waits for a long time.
body='import os, subprocess, sys, time
HOLD = os.environ["HOLD"]

def main(work_ids):
    subprocess.Popen([HOLD, "300"])
    subprocess.Popen([HOLD, "301"], start_new_session=True)
    if os.fork() == 0:
        time.sleep(300)
        os._exit(0)
    with open(os.path.join(os.environ["STAU_DIR"], "started"), "a") as f:
        f.write("%d %d\n" % (os.getpid(), os.getppid()))
    time.sleep(300)'
export HOLD="$TMP/hold"

# ---- a timeout ----
mkproject timeout
settings
job slow.py "# ---
# main_func: main
# timeout: 1s
# ---
$body"
STAU_KILL_GRACE_MS=300 run_stau -C "$P" run slow --now "$NOW"
check "a chunk past its timeout fails" "1" "$rc"
case $err in *"timed out after 1s"*) ok "it timed out";; *) not_ok "it timed out" "$err";; esac
if gone_within 3000 in_group; then ok "the runner, the chunk and its group are gone after the run"
else not_ok "the runner, the chunk and its group are gone after the run" "$(in_group)"; fi
for p in $(alive); do kill -9 "$p"; done

# ---- stau cancel ----
mkproject cancel
settings
job slow.py "# ---
# main_func: main
# ---
$body"
"$STAU" -C "$P" run slow --now "$NOW" >"$TMP/run.out" 2>"$TMP/run.err" &
pid=$!
wait_lines "$P/started" 1
run_stau -C "$P" cancel 1 --now "$NOW"
check "cancel reaches the running Python chunk" \
	"0|run 1 canceled: 0 pending chunks canceled, 1 running chunk sent SIGTERM" "$rc|$out"
wait "$pid"
check "the stau run of the canceled run exits 1" 1 "$?"
check "the chunk is FAILED" "FAILED" "$(db "SELECT state FROM chunks")"
case $(cat "$TMP/run.err") in *"killed by signal TERM"*) ok "killed by the SIGTERM of cancel";;
	*) not_ok "killed by the SIGTERM of cancel" "$(cat "$TMP/run.err")";; esac
if gone_within 3000 in_group; then ok "nothing of the canceled chunk's group is alive"; else
	not_ok "nothing of the canceled chunk's group is alive" "$(in_group)"; fi
for p in $(alive); do kill -9 "$p"; done

# ---- kill -9 of stau ----
mkproject lost
settings
job slow.py "# ---
# chunk_size: 1
# main_func: main
# ---
$body"
"$STAU" -C "$P" run slow --ids 1-2 -j 2 --now "$NOW" >"$TMP/run.out" 2>&1 &
pid=$!
wait_lines "$P/started" 2
check "two chunks run, forked from one runner" 1 "$(cut -d' ' -f2 "$P/started" | sort -u | wc -l)"
runner=$(cut -d' ' -f2 "$P/started" | head -n 1)
kill -9 "$pid"
wait "$pid" 2>/dev/null
end=$(($(date +%s) + 5))
while kill -0 "$runner" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do :; done
if kill -0 "$runner" 2>/dev/null; then not_ok "the runner died with its stau"; else
	ok "the runner died with its stau"; fi
run_stau -C "$P" tick
check "the next tick recovers both chunks as lost and exits 1" "1" "$rc"
check "both chunks are FAILED 'runner lost'" "FAILED|runner lost
FAILED|runner lost" "$(db "SELECT state, message FROM chunks")"
if gone_within 3000; then ok "nothing of the lost chunks is alive, in their groups or not"; else
	not_ok "nothing of the lost chunks is alive, in their groups or not" "$(alive)"; fi

for p in $(alive); do kill -9 "$p"; done
done_testing
