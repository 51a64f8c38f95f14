#!/bin/sh
# stau status that does not mislead: a job whose middle chunk failed is FAILED, with the
# share of its run's IDs that are fresh; a run whose stau was killed is LOST at once (read
# only: the database still says RUNNING until a tick recovers it); cycles, unknown
# dependencies and bad headers are BROKEN with the reason, and so is a job that needs one;
# entries show disabled, missed and skipped fire times with counts; 80 columns; --json.
. "$(dirname "$0")/lib.sh"

# pyjson EXPR: the value of a Python expression over d, the JSON document in $out.
pyjson() {
	printf '%s' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}
db() { sqlite3 "$P/.stau/stau.db" "$1"; }
wide() { printf '%s\n' "$out" | awk 'length($0) > 80'; }

# ---- a middle chunk that failed ----
mkproject mid
job report.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
#     max_lag: 1h
# ---'
job features.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
case ",$STAU_WORK_IDS," in *,3,*) echo "store 3 has no data" >&2; exit 1;; esac'
run_stau -C "$P" run report --ids 1-6 -j 1 --now 2026-06-01T10:00:00Z
check "the run fails" 1 "$rc"
check "features' last chunk (5-6) is DONE" "DONE" \
	"$(db "SELECT state FROM chunks WHERE job = 'features' ORDER BY id DESC LIMIT 1")"
run_stau -C "$P" status --now 2026-06-01T10:05:00Z
check "status exits 0" 0 "$rc"
check "features is FAILED, 4 of the run's 6 IDs fresh" "features #1 FAILED 4/6 IDs fresh" \
	"$(printf '%s\n' "$out" | awk '$1 == "features" {print $1, $2, $3, $7, $8, $9}')"
check "report (in groups of 2 IDs) is FAILED, 3-4 not computed" "report #1 FAILED 4/6 IDs fresh" \
	"$(printf '%s\n' "$out" | awk '$1 == "report" {print $1, $2, $3, $7, $8, $9}')"
run_stau -C "$P" status features --now 2026-06-01T10:05:00Z
check "status JOB: its result in the run" "last run:      #1 FAILED (as a dependency), finished 5m ago, took <1s
last success:  2026-06-01T10:00:00+00:00 (5m ago)
fresh IDs:     4/6 of run 1" "$(printf '%s\n' "$out" | sed -n '3,5p')"
run_stau -C "$P" status --json --now 2026-06-01T10:05:00Z
check "json: result, run, fresh IDs and counters of features" "FAILED 1 False 4/6 1 0" \
	"$(pyjson '(lambda j: "%s %d %s %d/%d %d %d" % (j["result"], j["result_run"], j["as_master"], j["fresh_ids"]["fresh"], j["fresh_ids"]["total"], j["failed_chunks"], j["failed_runs"]))(d["jobs"][0])')"
check "json: report failed as master" "FAILED True 1" \
	"$(pyjson '(lambda j: "%s %s %d" % (j["result"], j["as_master"], j["failed_runs"]))(d["jobs"][1])')"

# ---- a run whose stau is gone ----
mkproject lost
job slow.sh '#!/bin/sh
# ---
# ---
echo started >"$STAU_DIR/started"
sleep 30'
"$STAU" -C "$P" run slow --now 2026-06-01T10:00:00Z >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -e "$P/started" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$pid"
wait "$pid" 2>/dev/null
run_stau -C "$P" status --now 2026-06-01T10:01:00Z
check "a run whose stau was killed is LOST at once" "slow #1 LOST
  LOST: stau process $pid of run 1 is gone; the next tick recovers it" \
	"$(printf '%s\n' "$out" | grep -A1 '^slow ' | awk 'NR == 1 {print $1, $2, $3} NR == 2')"
check "status changed nothing: the chunk is still RUNNING" "RUNNING|ACTIVE" \
	"$(db "SELECT state FROM chunks")|$(db "SELECT state FROM runs")"
run_stau -C "$P" status slow --now 2026-06-01T10:01:00Z
check "status JOB: the run is LOST" " #1  manual   LOST" \
	"$(printf '%s\n' "$out" | grep '^ #1' | cut -c1-18)"
run_stau -C "$P" status --json --now 2026-06-01T10:01:00Z
check "json: LOST with the pid" "LOST $pid 1" \
	"$(pyjson '(lambda j: "%s %d %d" % (j["result"], j["lost_pid"], j["running_chunks"]))(d["jobs"][0])')"
run_stau -C "$P" tick --now 2026-06-01T10:02:00Z
run_stau -C "$P" status --now 2026-06-01T10:02:00Z
check "after a tick recovered it: FAILED" "slow #1 FAILED" \
	"$(printf '%s\n' "$out" | awk '$1 == "slow" {print $1, $2, $3}')"

# ---- BROKEN ----
mkproject broken
job x.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: y
# ---'
job y.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: x
# ---'
job z.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: nope
# ---'
job h.sh '#!/bin/sh
# ---
# chunk_size: many
# ---'
job top.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: z
# ---'
job fine.sh '#!/bin/sh
# ---
# ---'
run_stau -C "$P" status --now 2026-06-01T10:00:00Z
check "status of a broken project exits 0" 0 "$rc"
check "every BROKEN job with its reason; fine is not" "h
  BROKEN: jobs/h.sh:3:15: 'chunk_size' must be an integer >= 1 or 'all', got 'many'
top
  BROKEN: needs 'z', which is BROKEN
x
  BROKEN: needs 'y', which is BROKEN
y
  BROKEN: jobs/y.sh:4:17: dependency cycle: x -> y -> x
z
  BROKEN: jobs/z.sh:4:17: unknown dependency 'nope': no file in jobs/ has that job type" \
	"$(printf '%s\n' "$out" | grep -v '^JOB \|^fine ' | sed 's/^\([a-z]*\)  .*never run.*/\1/')"
run_stau -C "$P" status --json --now 2026-06-01T10:00:00Z
check "json: broken reasons" "fine=None top=needs 'z', which is BROKEN" \
	"$(pyjson '" ".join("%s=%s" % (j["job"], j["broken"]) for j in d["jobs"] if j["job"] in ("fine", "top"))')"

# ---- entries: disabled, missed, skipped ----
mkproject entries
job w.sh '#!/bin/sh
# ---
# ---
[ -p "$STAU_DIR/fifo" ] && read -r line <"$STAU_DIR/fifo"
exit 0'
cat >"$P/schedule.yaml" <<'EOF'
schedule:
  - id: hourly
    job: w
    cron: "0 * * * *"
  - id: paused
    job: w
    every: 15m
    enabled: false
EOF
run_stau -C "$P" tick --now 2026-06-01T10:00:10Z
run_stau -C "$P" tick --now 2026-06-01T12:45:00Z
run_stau -C "$P" tick --now 2026-06-01T14:50:00Z
# a run at 15:00 that blocks, and a tick at 16:00 while it still runs: skipped
mkfifo "$P/fifo"
"$STAU" -C "$P" tick --now 2026-06-01T15:00:05Z >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(db "SELECT count(*) FROM chunks WHERE state = 'RUNNING'" 2>/dev/null)" != 1 ] &&
	[ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
run_stau -C "$P" tick --now 2026-06-01T16:00:05Z
echo go >"$P/fifo"
wait "$pid"
rm "$P/fifo"
run_stau -C "$P" status --now 2026-06-01T16:10:00Z
check "entry rows: next fire time or disabled, missed and skipped with counts" \
"ENTRY   JOB  SCHEDULE   NEXT
hourly  w    0 * * * *  2026-06-01T17:00:00+00:00
  missed 2 fire times, the latest 2026-06-01T14:00:00+00:00
  skipped 1 fire time, the latest 2026-06-01T16:00:00+00:00
paused  w    every 15m  disabled" "$(printf '%s\n' "$out" | sed -n '/^ENTRY/,$p')"
check "every line fits 80 columns" "" "$(wide)"
run_stau -C "$P" status w --now 2026-06-01T16:10:00Z
check "status JOB: missed and skipped per entry" \
"missed:        2 fire times, the latest 2026-06-01T14:00:00+00:00 (hourly)
skipped:       1 fire time, the latest 2026-06-01T16:00:00+00:00 (hourly)" \
	"$(printf '%s\n' "$out" | grep '^missed:\|^skipped:')"
run_stau -C "$P" status --json --now 2026-06-01T16:10:00Z
check "json: the entries' counts and latest times" \
	"hourly True 2 1 2026-06-01T14:00:00+00:00 2026-06-01T16:00:00+00:00|paused False 0 0 None None" \
	"$(pyjson '"|".join("%s %s %d %d %s %s" % (e["entry"], e["enabled"], e["missed"], e["skipped"], e["last_missed"], e["last_skipped"]) for e in d["jobs"][0]["schedule"])')"

done_testing
