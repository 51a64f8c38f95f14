#!/bin/sh
# stau why JOB --id N: the run that last computed the ID and when; for each job that needs
# JOB, fresh or stale and why (computed too long ago for its max_lag, never computed, max_lag
# 0, allow_missing_work_ids); what the next due entry would do with the ID; --json.
. "$(dirname "$0")/lib.sh"

# pyjson EXPR: the value of a Python expression over d, the JSON document in $out.
pyjson() {
	printf '%s' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}

mkproject why
job features.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
case ",$STAU_WORK_IDS," in *,3,*) echo "store 3 has no data" >&2; exit 1;; esac'
job report.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
#     max_lag: 1h
# ---'
job weekly.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
#     max_lag: 1d
# ---'
job summary.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
#     max_lag: 1h
#     allow_missing_work_ids: true
# ---'
job alerts.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
#     max_lag: 0
# ---'
cat >"$P/schedule.yaml" <<'EOF'
schedule:
  - id: nightly
    job: report
    cron: "0 3 * * *"
    work_ids: [1, 2, 3, 4, 5]
  - id: often
    job: weekly
    every: 15m
    work_ids: [1, 2]
EOF

run_stau -C "$P" why features --id 1 --now 2026-06-01T09:00:00Z
check "before any run: never computed, stale for every job that needs it" "features, work ID 1
computed:      never
needed by:     alerts (max_lag 0s): stale, max_lag 0: always stale
               report (max_lag 1h): stale, never computed
               summary (max_lag 1h, allow_missing_work_ids): stale, features never succeeded (allow_missing_work_ids)
               weekly (max_lag 1d): stale, never computed
next:          entry 'often' (weekly) at 2026-06-01T09:15:00+00:00 would compute it: features is stale for 1 then" "$out"
check "why exits 0 and does not create the database" "0|no" \
	"$rc|$([ -e "$P/.stau/stau.db" ] && echo yes || echo no)"

# features computes 1-2 and fails on 3-4 at 10:00
run_stau -C "$P" run report --ids 1-4 -j 1 --now 2026-06-01T10:00:00Z
check "the run fails on 3" 1 "$rc"

run_stau -C "$P" why features --id 1 --now 2026-06-01T10:30:00Z
check "a fresh ID: who computed it, fresh for each job that needs it" "features, work ID 1
computed:      2026-06-01T10:00:00+00:00 (30m ago) by run 1, chunk 1/2
needed by:     alerts (max_lag 0s): stale, max_lag 0: always stale
               report (max_lag 1h): fresh, computed 30m ago <= max_lag 1h
               summary (max_lag 1h, allow_missing_work_ids): fresh, features succeeded 30m ago <= max_lag 1h (allow_missing_work_ids: any IDs)
               weekly (max_lag 1d): fresh, computed 30m ago <= max_lag 1d
next:          entry 'often' (weekly) at 2026-06-01T10:45:00+00:00 would not compute it: features is fresh for 1 then: its result is kept" "$out"

run_stau -C "$P" why features --id 1 --now 2026-06-01T12:00:00Z
check "a stale ID: computed longer ago than max_lag" \
"               report (max_lag 1h): stale, computed 2h ago > max_lag 1h
               summary (max_lag 1h, allow_missing_work_ids): stale, features succeeded 2h ago > max_lag 1h (allow_missing_work_ids: any IDs)
               weekly (max_lag 1d): fresh, computed 2h ago <= max_lag 1d" \
	"$(printf '%s\n' "$out" | sed -n '4,6p')"

run_stau -C "$P" why features --id 3 --now 2026-06-01T10:30:00Z
check "an ID whose chunk failed: never computed; allow_missing_work_ids finds it fresh" \
"computed:      never (features last succeeded 30m ago, with other work IDs or none)
needed by:     alerts (max_lag 0s): stale, max_lag 0: always stale
               report (max_lag 1h): stale, never computed
               summary (max_lag 1h, allow_missing_work_ids): fresh, features succeeded 30m ago <= max_lag 1h (allow_missing_work_ids: any IDs)
               weekly (max_lag 1d): stale, never computed
next:          entry 'often' (weekly) at 2026-06-01T10:45:00+00:00 would not take the ID: its work_ids do not hold 3" \
	"$(printf '%s\n' "$out" | sed -n '2,$p')"

run_stau -C "$P" why report --id 1 --now 2026-06-01T10:30:00Z
check "a master job: computed by its own run; the next entry that runs it" \
"computed:      2026-06-01T10:00:00+00:00 (30m ago) by run 1, chunk 1/2
needed by:     no job (nothing depends on report)
next:          entry 'nightly' (report) at 2026-06-02T03:00:00+00:00 would compute it: report is the entry's own job" \
	"$(printf '%s\n' "$out" | sed -n '2,$p')"

# without the entry 'often', the next is nightly at 03:00, when 1 is stale for report
sed -i 's/^    every: 15m$/    every: 15m\n    enabled: false/' "$P/schedule.yaml"
run_stau -C "$P" why features --id 1 --now 2026-06-01T10:30:00Z
check "the next entry would compute an ID that is stale at its fire time" \
	"next:          entry 'nightly' (report) at 2026-06-02T03:00:00+00:00 would compute it: features is stale for 1 then" \
	"$(printf '%s\n' "$out" | tail -n 1)"

run_stau -C "$P" why features --id 1 --json --now 2026-06-01T10:30:00Z
check "json: the computing run and chunk" "2026-06-01T10:00:00+00:00 1 1" \
	"$(pyjson '"%s %d %d" % (d["computed"], d["run"], d["chunk"])')"
check "json: fresh for each job that needs it" \
	"alerts:False:0 report:True:3600 summary:True:3600 weekly:True:86400" \
	"$(pyjson '" ".join("%s:%s:%d" % (n["job"], n["fresh"], n["max_lag_seconds"]) for n in d["needed_by"])')"
check "json: the next entry" "nightly report 2026-06-02T03:00:00+00:00 True True" \
	"$(pyjson '" ".join(str(d["next"][k]) for k in ("entry", "job", "at", "has_id", "computes"))')"
run_stau -C "$P" why features --id 3 --json --now 2026-06-01T10:30:00Z
check "json: never computed" "None None None" \
	"$(pyjson '"%s %s %s" % (d["computed"], d["run"], d["chunk"])')"

run_stau -C "$P" why nope --id 1
check "an unknown job exits 2" "2|stau: unknown job 'nope'; 'stau status' lists the jobs" \
	"$rc|$(printf '%s\n' "$err" | head -n 1)"
run_stau -C "$P" why features
check "no --id exits 2" "2|stau: which work ID? give it with --id N" \
	"$rc|$(printf '%s\n' "$err" | head -n 1)"
run_stau -C "$P" why features --id x
check "a bad --id exits 2" "2|stau: --id: 'x' is not a work ID (an integer)" \
	"$rc|$(printf '%s\n' "$err" | head -n 1)"

done_testing
