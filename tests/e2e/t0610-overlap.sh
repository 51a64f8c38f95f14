#!/bin/sh
# Overlapping ticks: twenty `stau tick` processes started at once on one project with two
# entries due. Every chunk runs exactly once, each tick exits 0 or 1 (a job failed), never 3
# (the database stayed locked), and the database is intact afterwards.
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:00:00Z
# hundreds of logs: on a failure show what ran, not every file
dump_project() { sort "$1/ran" | sed 's/^/#   /' | head -n 40; }

mkproject crowd
job base.sh '#!/bin/sh
# ---
# chunk_size: 3
# ---
for id in $(tr "\n" " " <"$STAU_WORK_IDS_FILE"); do echo "base $id $PPID" >>"$STAU_DIR/ran"; done'
job top.sh '#!/bin/sh
# ---
# chunk_size: 7
# dependencies:
#   - job_type: base
# ---
for id in $(tr "\n" " " <"$STAU_WORK_IDS_FILE"); do echo "top $id $PPID" >>"$STAU_DIR/ran"; done'
job solo.sh '#!/bin/sh
# ---
# chunk_size: 1
# max_parallel: 2
# ---
echo "solo $STAU_WORK_IDS $PPID" >>"$STAU_DIR/ran"
[ "$STAU_WORK_IDS" != 13 ]'
ids=$(seq -s ', ' 1 150)
cat >"$P/schedule.yaml" <<YAML
settings:
  max_parallel: 6
schedule:
  - id: graph
    job: top
    cron: "0 12 * * *"
    work_ids: [$ids]
  - id: solo
    job: solo
    every: 1h
    work_ids: [$(seq -s ', ' 1 40)]
YAML

pids=""
for n in $(seq 1 20); do
	"$STAU" -C "$P" tick -j 3 --now "$NOW" >"$TMP/out$n" 2>&1 &
	pids="$pids $!"
done
codes=""
for p in $pids; do
	wait "$p"
	codes="$codes $?"
done
bad=$(for c in $codes; do case $c in 0 | 1) ;; *) echo "exit $c" ;; esac; done)
check "every tick exits 0 or 1" "" "$bad"
case " $codes " in
*" 1 "*) ok "the tick that ran the failing chunk exits 1" ;;
*) not_ok "the tick that ran the failing chunk exits 1" "exits:$codes" ;;
esac
reports=$(cat "$TMP"/out*)
case "$reports" in
"stau: solo run 2: solo 13/40 (ID 13) failed: exit 1 after "*"s; log .stau/logs/solo/2-"*"-1.log")
	ok "the failure is reported once, by one tick" ;;
*) not_ok "the failure is reported once, by one tick" "$reports" ;;
esac
check "every work ID of every job ran" "340" "$(cut -d' ' -f1,2 "$P/ran" | sort -u | wc -l)"
check "and ran exactly once" "340" "$(wc -l <"$P/ran")"
check "dependencies first: no top ID before its base chunk" "" \
	"$(awk '$1 == "base" { b[$2] = NR } $1 == "top" && !($2 in b) { print "early", $2 }' "$P/ran")"
parents=$(cut -d' ' -f3 "$P/ran" | sort -u | wc -l)
if [ "$parents" -ge 2 ]; then ok "the chunks were shared by $parents stau processes"; else
	not_ok "the chunks were shared by several stau processes" "only $parents"; fi
db() { sqlite3 "$P/.stau/stau.db" "$1"; }
check "two runs were queued, one per entry" "1|top|DONE
2|solo|FAILED" "$(db "SELECT id, job, state FROM runs ORDER BY id")"
check "no chunk is left RUNNING or PENDING" "" \
	"$(db "SELECT id FROM chunks WHERE state IN ('RUNNING', 'PENDING')")"
check "the database is intact" "ok" "$(db "PRAGMA integrity_check")"

done_testing
