#!/bin/sh
# stau status after ticks: scheduled runs with their fire times, and missed fire times.
. "$(dirname "$0")/lib.sh"

# pyjson EXPR: the value of a Python expression over d, the JSON document in $out.
pyjson() {
	printf '%s' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}

mkproject tk
job report.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: load
# ---'
job load.sh '#!/bin/sh
# ---
# ---
echo loaded'
cat >"$P/schedule.yaml" <<'EOF2'
schedule:
  - id: hourly
    job: report
    cron: "0 * * * *"
EOF2

# The first tick sees the entry for the first time and runs the fire time of its minute.
run_stau -C "$P" tick --now 2026-01-01T10:00:30Z
check "first tick exits 0" 0 "$rc"
# 12:00 is 45 minutes late at 12:45, past the default misfire_grace of 30m: missed, not run.
run_stau -C "$P" tick --now 2026-01-01T12:45:00Z
check "late tick exits 0" 0 "$rc"

run_stau -C "$P" status --now 2026-01-01T12:45:00Z
check "status exits 0" 0 "$rc"
row=$(printf '%s\n' "$out" | grep '^report ')
check "report row: run 1 is done, the next fire time in 15m" 1 \
	"$(printf '%s\n' "$row" | grep -c '^report  *#1  DONE  .*  in 15m$')"
check "entry row: next fire time, then the missed one" "hourly  report  0 * * * *  2026-01-01T13:00:00+00:00
  missed 1 fire time, the latest 2026-01-01T12:00:00+00:00" \
	"$(printf '%s\n' "$out" | grep -A1 '^hourly ')"

run_stau -C "$P" status report --now 2026-01-01T12:45:00Z
check "status JOB: the missed fire time" \
	"missed:        1 fire time, the latest 2026-01-01T12:00:00+00:00 (hourly)" \
	"$(printf '%s\n' "$out" | grep '^missed:')"
check "status JOB: the run and its entry" "#1 hourly DONE" \
	"$(printf '%s\n' "$out" | awk '$1 == "#1" {print $1, $2, $3}')"

run_stau -C "$P" status report --json --now 2026-01-01T12:45:00Z
check "json: missed" "2026-01-01T12:00:00+00:00" "$(pyjson 'd["last_missed"]')"
check "json: entry's last handled" "2026-01-01T12:00:00+00:00" \
	"$(pyjson 'd["schedule"][0]["last_handled"]')"
check "json: the run's trigger" "hourly 2026-01-01T10:00:00+00:00" \
	"$(pyjson 'd["runs"][0]["entry"] + " " + d["runs"][0]["scheduled_for"]')"

run_stau -C "$P" show 1
check "show: the trigger" "trigger:   hourly 2026-01-01T10:00:00+00:00" \
	"$(printf '%s\n' "$out" | grep '^trigger:')"
check "show: no work IDs" "work IDs:  none" "$(printf '%s\n' "$out" | grep '^work IDs:')"

done_testing
