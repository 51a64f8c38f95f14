#!/bin/sh
# stau status: every job before and after runs, one job's runs, --json, BROKEN marks, zones,
# 80 columns.
. "$(dirname "$0")/lib.sh"

# pyjson EXPR: the value of a Python expression over d, the JSON document in $out.
pyjson() {
	printf '%s' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}

mkproject s
job pipeline.sh '#!/bin/sh
# ---
# description: the nightly pipeline
# dependencies:
#   - job_type: extract
# ---'
job extract.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "extract $STAU_WORK_IDS"
case ",$STAU_WORK_IDS," in *,3,*) echo "cannot handle 3" >&2; exit 4;; esac'
cat >"$P/schedule.yaml" <<'EOF'
settings:
  timezone: Europe/Copenhagen
schedule:
  - id: hourly
    job: pipeline
    cron: "0 * * * *"
EOF

# Before any run: every job, never run; the next fire time crosses the spring-forward gap.
run_stau -C "$P" status --now 2026-03-29T00:30:00Z
check "status before any run exits 0" 0 "$rc"
check "status before any run" \
'JOB       RUN  RESULT     FINISHED  DURATION  FRESH  NEXT
extract     -  never run  -         -         -      -
pipeline    -  never run  -         -         -      in 30m

ENTRY   JOB       SCHEDULE   NEXT
hourly  pipeline  0 * * * *  2026-03-29T03:00:00+02:00' "$out"
check "status says nothing on stderr" "" "$err"
if [ -e "$P/.stau/stau.db" ]; then not_ok "status does not create the database"
else ok "status does not create the database"; fi

run_stau -C "$P" status --json --now 2026-03-29T00:30:00Z
check "json: no database yet" "False" "$(pyjson 'd["database"]')"
check "json: jobs in order" "['extract', 'pipeline']" "$(pyjson '[j["job"] for j in d["jobs"]]')"
check "json: never run" "None None" "$(pyjson '"%s %s" % (d["jobs"][1]["last_run"], d["jobs"][1]["last_chunk"])')"
check "json: next fire time in UTC" "2026-03-29T01:00:00+00:00" "$(pyjson 'd["jobs"][1]["next"]')"
check "json: the entry" "hourly 0 * * * * Europe/Copenhagen True" \
	"$(pyjson '" ".join(str(d["jobs"][1]["schedule"][0][k]) for k in ("entry", "trigger", "timezone", "enabled"))')"

run_stau -C "$P" status nope
check "unknown job exits 2" 2 "$rc"
check "unknown job is named" "stau: unknown job 'nope'; 'stau status' lists the jobs
see 'stau status --help'" "$err"

run_stau -C "$P" status --now yesterday
check "bad --now exits 2" 2 "$rc"

# Two manual runs: the first succeeds, the second fails on work ID 3.
run_stau -C "$P" run pipeline --ids 1-2
check "run 1 succeeds" 0 "$rc"
run_stau -C "$P" run pipeline --ids 1-4
check "run 2 fails" 1 "$rc"

run_stau -C "$P" status
check "status after runs exits 0" 0 "$rc"
check "pipeline row: run 2 failed, 2 of its 4 IDs fresh" "pipeline #2 FAILED 2/4 IDs fresh" \
	"$(printf '%s\n' "$out" | awk '$1 == "pipeline" {print $1, $2, $3, $7, $8, $9}')"
check "extract row: its chunk for 3-4 failed" "extract #2 FAILED 2/4 IDs fresh" \
	"$(printf '%s\n' "$out" | awk '$1 == "extract" {print $1, $2, $3, $7, $8, $9}')"
check "every line fits 80 columns" "" "$(printf '%s\n' "$out" | awk 'length($0) > 80')"

run_stau -C "$P" status --json
check "json: the database exists" "True" "$(pyjson 'd["database"]')"
check "json: last run of pipeline" "2 FAILED manual" \
	"$(pyjson '" ".join(str(d["jobs"][1]["last_run"][k]) for k in ("id", "state")) + " " + ("manual" if d["jobs"][1]["last_run"]["entry"] is None else "entry")')"
check "json: chunk counts of the last run" "1 0 0" \
	"$(pyjson '"%d %d %d" % tuple(d["jobs"][1]["last_run"]["chunks"][k] for k in ("failed", "running", "pending"))')"
check "json: extract's last chunk" "FAILED 4 2/2 run 2" \
	"$(pyjson '"%s %s %d/%d run %d" % (d["jobs"][0]["last_chunk"]["state"], d["jobs"][0]["last_chunk"]["exit_code"], d["jobs"][0]["last_chunk"]["index"], d["jobs"][0]["last_chunk"]["count"], d["jobs"][0]["last_chunk"]["run"])')"
check "json: extract succeeded before" "True" "$(pyjson 'd["jobs"][0]["last_success"] is not None')"

run_stau -C "$P" status pipeline
check "status JOB exits 0" 0 "$rc"
check "status JOB: header" "pipeline - the nightly pipeline
schedule:      hourly (0 * * * *)" "$(printf '%s\n' "$out" | head -n 2)"
check "status JOB: runs, newest first" "#2 manual FAILED
#1 manual DONE" "$(printf '%s\n' "$out" | awk '/^ *#[0-9]/ {print $1, $2, $3}')"
check "status JOB: chunks of run 1" "1" \
	"$(printf '%s\n' "$out" | grep -c '^ *#1 .* \([0-9]*\)/\1 done *$')"

run_stau -C "$P" status pipeline -n 1 --json
check "json: one run with -n 1" "[2]" "$(pyjson '[r["id"] for r in d["runs"]]')"

run_stau -C "$P" status extract
check "status of a dependency-only job" "last run:      #2 FAILED (as a dependency)" \
	"$(printf '%s\n' "$out" | grep '^last run:' | cut -d, -f1)"
check "status of a dependency-only job: no runs of its own" \
	"no runs of extract itself yet; 'stau run extract' starts one" "$(printf '%s\n' "$out" | tail -n 1)"

# A header that does not validate is BROKEN, with the reason.
job bad.sh '#!/bin/sh
# ---
# chunk_size: x
# ---'
run_stau -C "$P" status
check "broken job row, the reason under it" "bad - never run - - - -
  BROKEN: jobs/bad.sh:3:15: 'chunk_size' must be an integer >= 1 or 'all', got 'x'" \
	"$(printf '%s\n' "$out" | grep -A1 '^bad ' | awk 'NR == 1 {$1 = $1} {print}')"
run_stau -C "$P" status bad --json
check "json: broken reason" "jobs/bad.sh:3:15" "$(pyjson 'd["broken"][:16]')"

# A fatal exit makes the job BROKEN for its current content; editing the file clears it.
mkproject fatal
job top.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: dep
# ---'
job dep.sh '#!/bin/sh
# ---
# fatal_exit_codes: [5]
# ---
exit 5'
run_stau -C "$P" run top
check "a fatal exit fails the run" 1 "$rc"
run_stau -C "$P" status
check "fatal exit: BROKEN with the reason" "BROKEN: exit 5 in run 1" \
	"$(printf '%s\n' "$out" | grep -A1 '^dep ' | grep -o 'BROKEN: exit 5 in run 1')"
check "and the job that needs it is BROKEN too" "  BROKEN: needs 'dep', which is BROKEN" \
	"$(printf '%s\n' "$out" | grep -A1 '^top ' | tail -n 1)"
echo '# fixed' >>"$P/jobs/dep.sh"
run_stau -C "$P" status
check "an edited file is no longer BROKEN" 0 "$(printf '%s\n' "$out" | grep -c BROKEN)"

done_testing
