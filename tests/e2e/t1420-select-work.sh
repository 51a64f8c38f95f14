#!/bin/sh
# select_work sees the run's kwargs, in each of its three forms: a command gets them in
# STAU_KWARGS, a SQLite query binds its named parameters from them (one without a kwarg
# fails the run, naming it), and {python: FUNC} calls FUNC(**kwargs) of the job file. A
# select_work past its timeout is killed with its process group and fails its run, while the
# other entries of the tick run; and nothing of a select_work outlives a stau killed with -9.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:05Z
mkproject sel
mkdir "$P/data"
sqlite3 "$P/data/stores.db" "CREATE TABLE stores (id INTEGER, region TEXT);
INSERT INTO stores VALUES (1, 'eu'), (2, 'eu'), (3, 'us'), (4, 'us'), (5, 'us');"
cat >"$P/ids.py" <<'PY'
import json, os
print({"eu": "1 2", "us": "3,4,5"}[json.loads(os.environ["STAU_KWARGS"])["region"]])
PY
RAN='echo "$STAU_JOB $STAU_WORK_IDS $STAU_KWARGS" >>"$STAU_DIR/ran"'
job bycmd.sh "#!/bin/sh
# ---
# select_work: python3 ids.py
# ---
$RAN"
job byquery.sh "#!/bin/sh
# ---
# select_work:
#   sqlite: data/stores.db
#   query: SELECT id FROM stores WHERE region = :region
# ---
$RAN"
job bypy.py '#!/usr/bin/env python3
# ---
# main_func: main
# select_work: {python: stores}
# ---
import os

def stores(region, **_):
    return {"eu": [2, 1], "us": range(3, 6)}[region]

def main(work_ids, region):
    with open(os.path.join(os.environ["STAU_DIR"], "ran"), "a") as f:
        f.write("bypy %s %s\n" % (",".join(map(str, work_ids)), region))'
job ok.sh "#!/bin/sh
# ---
# ---
$RAN"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - {id: cmd-eu, job: bycmd, cron: "0 10 * * *", kwargs: {region: eu}}
  - {id: cmd-us, job: bycmd, cron: "0 10 * * *", kwargs: {region: us}}
  - {id: sql-eu, job: byquery, cron: "0 10 * * *", kwargs: {region: eu}}
  - {id: sql-us, job: byquery, cron: "0 10 * * *", kwargs: {region: us}}
  - {id: sql-none, job: byquery, cron: "0 10 * * *", kwargs: {zone: us}}
  - {id: py-eu, job: bypy, cron: "0 10 * * *", kwargs: {region: eu}}
  - {id: py-us, job: bypy, cron: "0 10 * * *", kwargs: {region: us}}
YAML
run_stau -C "$P" tick --now "$NOW"
check "the tick exits 1: one run failed" "1" "$rc"
check "each form selected the IDs of its kwargs" 'bycmd 1,2 {"region":"eu"}
bycmd 3,4,5 {"region":"us"}
bypy 1,2 eu
bypy 3,4,5 us
byquery 1,2 {"region":"eu"}
byquery 3,4,5 {"region":"us"}' "$(LC_ALL=C sort "$P/ran")"
check "a query parameter without a kwarg fails its run, naming it" "stau: byquery run 5 of \
entry 'sql-none' failed: select_work query parameter ':region' has no kwarg 'region': give it \
in the schedule entry's kwargs or with --kw region=VALUE" "$err"
: >"$P/ran"
run_stau -C "$P" run byquery --kw region=us
check "stau run --kw reaches the query too" "0|byquery 3,4,5 {\"region\":\"us\"}" \
	"$rc|$(cat "$P/ran")"

job slow.py '#!/usr/bin/env python3
# ---
# main_func: main
# select_work: {python: slow, timeout: 1s}
# ---
import time

def slow(**_):
    time.sleep(600)

def main(work_ids):
    pass'
run_stau -C "$P" run slow
check "a Python select_work past its limit fails the run" "1|stau: slow run 9 failed: \
select_work python 'slow' timed out after 1s; it was killed with its process group (the \
job's select_work timeout)" "$rc|$(printf '%s\n' "$err" | grep -v '^ *$' | tail -n 1)"

# --- a select_work that hangs
mkproject hang
job hangs.sh '#!/bin/sh
# ---
# select_work: {command: sleep 6011, timeout: 2s}
# ---
echo never >>"$STAU_DIR/ran"'
job ok.sh "#!/bin/sh
# ---
# ---
$RAN"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - {id: hangs, job: hangs, cron: "* * * * *"}
  - {id: ok, job: ok, cron: "* * * * *"}
YAML
t0=$(date +%s)
run_stau -C "$P" tick --now "$NOW"
t1=$(date +%s)
check "the hanging select_work is killed at its limit and fails its run" "1|stau: hangs run 1 \
of entry 'hangs' failed: select_work command 'sleep 6011' timed out after 2s; it was killed \
with its process group (the job's select_work timeout)" "$rc|$err"
check "the other entry of the tick ran" "ok  {}" "$(cat "$P/ran")"
if [ $((t1 - t0)) -lt 10 ]; then ok "the tick took about the limit ($((t1 - t0))s)"; else
	not_ok "the tick took about the limit" "$((t1 - t0))s"; fi
n=0 # what the kill ended may take a moment to leave the process table
while [ -n "$(pgrep -f 'sleep 6011')" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
check "nothing of it is left" "" "$(pgrep -f 'sleep 6011')"

# --- kill -9 of stau while select_work runs
sed -i 's/sleep 6011, timeout: 2s/sleep 6012, timeout: 10m/' "$P/jobs/hangs.sh"
"$STAU" -C "$P" tick --now 2026-03-02T10:01:05Z >/dev/null 2>&1 &
pid=$!
n=0
while [ -z "$(pgrep -f 'sleep 6012')" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
check "the select_work runs" "yes" "$([ -n "$(pgrep -f 'sleep 6012')" ] && echo yes)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
n=0
while [ -n "$(pgrep -f 'sleep 6012')" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
check "it dies with its stau" "" "$(pgrep -f 'sleep 6012')"

done_testing
