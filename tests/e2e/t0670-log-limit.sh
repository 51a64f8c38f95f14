#!/bin/sh
# log_limit (docs/design.md, "Starting a chunk"): a chunk's log cannot fill the disk. Past
# the limit (default 100M; settings or job header) the log keeps its beginning and its end,
# a line says how much was cut, and the chunk goes on to its own outcome. A bad size is
# reported at its file, line and column.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject big
# 200 MB of 100-byte lines between a first and a last line
job big.sh '#!/bin/sh
# ---
# log_limit: 1M
# ---
echo "first line"
yes "$(printf %099d 7)" | head -c 200000000
echo "last line"'
run_stau -C "$P" run big
log=$P/.stau/logs/big/1-1-1.log
check "a job that writes 200 MB under log_limit 1M is DONE" "0|DONE|0" \
	"$rc|$(db "SELECT state, exit_code FROM chunks")"
size=$(wc -c <"$log")
if [ "$size" -gt 1000000 ] && [ "$size" -le $((1048576 + 64)) ]; then
	ok "its log is about 1 MB ($size bytes)"; else
	not_ok "its log is about 1 MB" "$size bytes"; fi
kb=$(du -k "$log" | cut -f1)
if [ "$kb" -le 1100 ]; then ok "and takes about 1 MB on disk ($kb KB)"; else
	not_ok "and takes about 1 MB on disk" "$kb KB"; fi
check "it keeps its first lines" "stau: big run 1 chunk 1 (1/1) attempt 1: ./jobs/big.sh
first line" "$(head -n 2 "$log")"
check "and its last lines" "last line
[exited with status 0]" "$(tail -n 2 "$log")"
cut=$(grep -c '^\[stau: [0-9]* bytes cut here to keep the log within log_limit 1M\]$' "$log")
check "one line says how much was cut" "1" "$cut"
kept=$(grep -c '^0\{98\}7$' "$log")
n=$(sed -n 's/^\[stau: \([0-9]*\) bytes cut.*/\1/p' "$log")
check "what was cut and what was kept add up to what the job wrote" "200000021" \
	"$((n + kept * 100 + 11 + 10))"
check "every line kept is whole" "" "$(sed '1,2d;$d' "$log" | sed '$d' |
	grep -v -e '^0\{98\}7$' -e '^\[stau: [0-9]* bytes cut here')"

# the settings' limit, and a header's that overrides it
mkproject settings
printf 'settings:\n  log_limit: 64K\n' >"$P/schedule.yaml"
job chatty.sh '#!/bin/sh
# ---
# ---
seq 1 100000'
job quiet.sh '#!/bin/sh
# ---
# log_limit: 2M
# ---
seq 1 100000'
run_stau -C "$P" run chatty
log=$P/.stau/logs/chatty/1-1-1.log
size=$(wc -c <"$log")
if [ "$size" -le $((65536 + 64)) ]; then ok "settings.log_limit applies ($size bytes)"; else
	not_ok "settings.log_limit applies" "$size bytes"; fi
check "the cut line names the limit" "1" \
	"$(grep -c 'bytes cut here to keep the log within log_limit 64K\]$' "$log")"
run_stau -C "$P" run quiet
log=$P/.stau/logs/quiet/2-2-1.log
check "a header's log_limit overrides it" "0" "$(grep -c 'bytes cut' "$log")"
check "a log under its limit is whole" "100000" "$(grep -c '^[0-9]*$' "$log")"

# bad sizes, where they are
mkproject bad
printf 'settings:\n  log_limit: 10 MB per run\n' >"$P/schedule.yaml"
job tiny.sh '#!/bin/sh
# ---
# log_limit: 100
# ---
true'
job half.sh '#!/bin/sh
# ---
# log_limit: 1.5M
# ---
true'
run_stau -C "$P" check
room="a log needs room for its beginning, its end and the line that says what was cut"
want="must be a size of at least 1K such as '500K', '100M' or '1G' (K, M and G are powers of 1024)"
check "stau check names each bad log_limit at its line and column" "2
jobs/half.sh:3:14: 'log_limit' $want, got '1.5M'
jobs/tiny.sh:3:14: 'log_limit' $want, got '100' ($room)
schedule.yaml:2:14: 'log_limit' $want, got '10 MB per run'" \
	"$rc
$(printf '%s\n' "$out" "$err" | grep log_limit | sed 's/^stau: //' | sort)"

done_testing
