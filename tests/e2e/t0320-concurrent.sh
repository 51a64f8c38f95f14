#!/bin/sh
# Concurrent ticks: four `stau tick` processes on one project at the same time queue one run
# and share its chunks, every chunk running exactly once.
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:00:00Z

mkproject busy
job base.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
sleep 0.02
for id in $(tr "\n" " " <"$STAU_WORK_IDS_FILE"); do echo "base $id $PPID" >>"$STAU_DIR/ran"; done'
job top.sh '#!/bin/sh
# ---
# chunk_size: 5
# dependencies:
#   - job_type: base
# ---
sleep 0.02
for id in $(tr "\n" " " <"$STAU_WORK_IDS_FILE"); do echo "top $id $PPID" >>"$STAU_DIR/ran"; done'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  max_parallel: 8
schedule:
  - id: busy
    job: top
    cron: "0 12 * * *"
    work_ids: [1-300]
YAML
# work_ids must be integers: write them out
ids=$(seq -s ', ' 1 300)
sed -i "s/\[1-300\]/[$ids]/" "$P/schedule.yaml"

for n in 1 2 3 4; do
	"$STAU" -C "$P" tick -j 3 --now "$NOW" >"$TMP/out$n" 2>&1 &
done
wait
check "every tick was quiet" "" "$(cat "$TMP/out1" "$TMP/out2" "$TMP/out3" "$TMP/out4")"
check "every work ID of both jobs ran" "600" "$(cut -d' ' -f1,2 "$P/ran" | sort -u | wc -l)"
check "and ran exactly once" "600" "$(wc -l <"$P/ran")"
check "dependencies first: no top ID before its base chunk" "" \
	"$(awk '$1 == "base" { b[$2] = NR } $1 == "top" && !($2 in b) { print "early", $2 }' "$P/ran")"
parents=$(cut -d' ' -f3 "$P/ran" | sort -u | wc -l)
if [ "$parents" -ge 2 ]; then ok "the chunks were shared by $parents stau processes"; else
	not_ok "the chunks were shared by several stau processes" "only $parents"; fi
run_stau -C "$P" show 1 --json
case "$out" in
*'"state": "DONE"'*) ok "one run, DONE" ;;
*) not_ok "one run, DONE" "$out" ;;
esac
run_stau -C "$P" show 2
check "only one run was queued" "stau: no run 2; 'stau status JOB' lists runs" "$err"

done_testing
