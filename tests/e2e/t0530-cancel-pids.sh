#!/bin/sh
# stau cancel signals only process groups that still belong to the chunk: never a pid whose
# recorded owner is gone (or is another process now), nor one that is not the owner's child,
# nor one that names another chunk, nor one that does not lead its own process group.
#
# The test plays the owner: it records itself (or pid 1) as the owner of RUNNING chunks and
# its own background processes as their children, straight in the database. Each process
# says it is ready through its own FIFO and then blocks opening the FIFO go; at the end the
# test opens go once, which lets every survivor read end-of-file and exit with status 1. A
# process killed by SIGTERM exits with 143 instead.
. "$(dirname "$0")/lib.sh"

# The start time of process $1 (field 22 of /proc/PID/stat; the name may hold spaces).
start_time() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

mkproject pids
job ok.sh '#!/bin/sh
# ---
# chunk_size: 1
# ---
true'
run_stau -C "$P" run ok --ids 1-5 --now 2026-03-02T10:00:00Z
mkfifo "$P/go" "$P/r1" "$P/r2" "$P/r3" "$P/r4" "$P/r5"

# blocker READY_FIFO: tells the test it runs, then blocks until the end.
blocker='echo ready >"$0"; read x <"$1"'
STAU_CHUNK_ID=1 setsid sh -c "$blocker" "$P/r1" "$P/go" &
p1=$!
STAU_CHUNK_ID=99 setsid sh -c "$blocker" "$P/r2" "$P/go" &
p2=$!
STAU_CHUNK_ID=3 setsid sh -c "$blocker" "$P/r3" "$P/go" &
p3=$!
STAU_CHUNK_ID=4 setsid sh -c "$blocker" "$P/r4" "$P/go" &
p4=$!
STAU_CHUNK_ID=5 sh -c "$blocker" "$P/r5" "$P/go" &
p5=$!
for n in 1 2 3 4 5; do read -r _ <"$P/r$n"; done

me=$$
my_start=$(start_time $$)
init_start=$(start_time 1)
sqlite3 "$P/.stau/stau.db" <<SQL
UPDATE runs SET state = 'ACTIVE', finished = NULL WHERE id = 1;
UPDATE chunks SET state = 'RUNNING', finished = NULL, owner_pid = $me, owner_start = $my_start;
UPDATE chunks SET child_pid = $p1 WHERE id = 1;
UPDATE chunks SET child_pid = $p2 WHERE id = 2;
UPDATE chunks SET child_pid = $p3, owner_pid = 1, owner_start = $init_start WHERE id = 3;
UPDATE chunks SET child_pid = $p4, owner_start = 1 WHERE id = 4;
UPDATE chunks SET child_pid = $p5 WHERE id = 5;
SQL

run_stau -C "$P" cancel 1 --now 2026-03-02T10:05:00Z
check "cancel exits 0" 0 "$rc"
check "one running chunk was signalled" \
	"run 1 canceled: 0 pending chunks canceled, 1 running chunk sent SIGTERM" "$out"

exec 3<>"$P/go"
exec 3>&-
wait "$p1"; s1=$?
wait "$p2"; s2=$?
wait "$p3"; s3=$?
wait "$p4"; s4=$?
wait "$p5"; s5=$?
check "the owner's child, leading its group, with the chunk's id: SIGTERM" 143 "$s1"
check "a process naming another chunk: left alone" 1 "$s2"
check "a process that is not the owner's child: left alone" 1 "$s3"
check "a process whose owner has another start time: left alone" 1 "$s4"
check "a process that does not lead its own group: left alone" 1 "$s5"

run_stau -C "$P" show 1
check "the chunk of the owner that is gone was recorded as lost" "run 1 of ok: CANCELED
1 RUNNING
2 RUNNING
3 RUNNING
4 FAILED runner lost
5 RUNNING" "$(echo "$out" | awk 'NR == 1; /^ *[0-9]/ {
	printf "%s %s", $1, $5; if ($5 == "FAILED") printf " %s %s", $(NF - 1), $NF; print "" }')"

done_testing
