#!/bin/sh
# Work IDs, chunks and freshness (docs/design.md, "Work IDs, chunks and freshness") and Python main_func jobs (docs/design.md, "Starting a chunk"), checked through
# what the jobs themselves record.
. "$(dirname "$0")/lib.sh"

# --- Stau's worked example: IDs 1..6; A (chunks of 3) needs B (2) needs E (6) ---
mkproject ex
rec='echo "$STAU_JOB $STAU_CHUNK $STAU_WORK_IDS $STAU_KWARGS" >>"$STAU_DIR/out.txt"'
job job_A.sh "#!/bin/sh
# ---
# chunk_size: 3
# dependencies:
#   - job_type: job_B
#     max_lag: 60
#     custom_kwargs: {level: b, from_a: 1}
# ---
$rec"
job job_B.sh "#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - job_type: job_E
#     max_lag: 2h
#     custom_kwargs: {level: e}
# ---
$rec"
job job_E.sh "#!/bin/sh
# ---
# chunk_size: 6
# ---
$rec"
run_stau -C "$P" run job_A --ids 1-6 -j 1 --kw level=top --now 2026-06-01T12:00:00Z
check "the worked example succeeds" 0 "$rc"
check "chunks ran dependencies first, with their IDs, and deeper custom_kwargs winning" \
'job_E 1/1 1,2,3,4,5,6 {"level":"e","from_a":1}
job_B 1/3 1,2 {"level":"b","from_a":1}
job_B 2/3 3,4 {"level":"b","from_a":1}
job_B 3/3 5,6 {"level":"b","from_a":1}
job_A 1/2 1,2,3 {"level":"top"}
job_A 2/2 4,5,6 {"level":"top"}' "$(cat "$P/out.txt")"

: >"$P/out.txt"
run_stau -C "$P" run job_A --ids 1-6 -j 1 --kw level=top --now 2026-06-01T12:30:00Z
check "half an hour later only the master job runs: its dependencies are fresh" \
'job_A 1/2 1,2,3 {"level":"top"}
job_A 2/2 4,5,6 {"level":"top"}' "$(cat "$P/out.txt")"

: >"$P/out.txt"
run_stau -C "$P" run job_A --ids 5-8 -j 1 --now 2026-06-01T12:40:00Z
check "new IDs are stale: only the chunks holding them run below the master" \
'job_E 1/1 5,6,7,8 {"level":"e","from_a":1}
job_B 1/1 7,8 {"level":"b","from_a":1}
job_A 1/2 5,6,7 {}
job_A 2/2 8 {}' "$(cat "$P/out.txt")"

: >"$P/out.txt"
run_stau -C "$P" run job_A --ids 1-6 -j 1 --now 2026-06-01T13:05:00Z
check "past B's max_lag B runs again, E (2h) is still fresh" \
'job_B 1/3 1,2 {"level":"b","from_a":1}
job_B 2/3 3,4 {"level":"b","from_a":1}
job_B 3/3 5,6 {"level":"b","from_a":1}
job_A 1/2 1,2,3 {}
job_A 2/2 4,5,6 {}' "$(cat "$P/out.txt")"

: >"$P/out.txt"
run_stau -C "$P" run job_A --ids 1-6 -j 1 --force --now 2026-06-01T13:06:00Z
check "--force runs every dependency" 6 "$(wc -l <"$P/out.txt" | tr -d ' ')"

run_stau -C "$P" run job_A --ids 1-6 --dry-run --now 2026-06-01T13:10:00Z
case $out in *"job_A 1/2"*"3 IDs: 1-3"*"fresh, not run:"*"job_B"*"2 IDs: 1-2"*"finished 4m ago"*) ok "--dry-run shows the plan and the fresh chunks with their age";;
	*) not_ok "--dry-run shows the plan and the fresh chunks with their age" "$out";; esac

# --- select_work: a command, garbage, an empty answer, a read-only SQLite query ---
mkproject sw
job pick.sh '#!/bin/sh
# ---
# chunk_size: 2
# select_work: printf "3 1\n2,9\n"
# ---
echo "$STAU_CHUNK $STAU_WORK_IDS" >>"$STAU_DIR/out.txt"'
run_stau -C "$P" run pick -j 1
check "select_work IDs are sorted, de-duplicated and chunked" "1/2 1,2
2/2 3,9" "$(cat "$P/out.txt")"
job bad.sh '#!/bin/sh
# ---
# select_work: printf "1\n2\nthree\n"
# ---
true'
run_stau -C "$P" run bad
check "garbage from select_work fails the run" 1 "$rc"
case $err in *"line 3"*"three"*) ok "and names the line";; *) not_ok "and names the line" "$err";; esac
job none.sh '#!/bin/sh
# ---
# select_work: "true"
# ---
echo ran >>"$STAU_DIR/none.txt"'
run_stau -C "$P" run none
case "$rc:$out$err" in 0:*"none run 3 canceled: no work"*) ok "an empty select_work cancels the run with 'no work'";;
	*) not_ok "an empty select_work cancels the run with 'no work'" "$rc:$out$err";; esac
check "and runs nothing" "no" "$([ -e "$P/none.txt" ] && echo yes || echo no)"
python3 -c 'import sqlite3; c = sqlite3.connect("'"$P"'/units.db"); c.executescript("CREATE TABLE u (id INTEGER, on_ INTEGER); INSERT INTO u VALUES (7,1),(5,1),(6,0);"); c.commit()'
job fromdb.sh '#!/bin/sh
# ---
# select_work:
#   sqlite: units.db
#   query: SELECT id FROM u WHERE on_ = 1
# ---
echo "$STAU_WORK_IDS" >>"$STAU_DIR/db.txt"'
run_stau -C "$P" run fromdb
check "select_work reads a SQLite query" "5,7" "$(cat "$P/db.txt")"

# --- Python main_func: return, raise, syntax error, missing function ---
mkproject py
job ok.py '# ---
# main_func: main
# chunk_size: 2
# ---
import os
from helper import record


def main(work_ids=None, greeting="", **kwargs):
    record("%s %s %s" % (os.environ["STAU_CHUNK"], work_ids, greeting))'
job helper.py 'import os


def record(line):
    with open(os.path.join(os.environ["STAU_DIR"], "py.txt"), "a") as f:
        f.write(line + "\n")'
chmod 644 "$P/jobs/helper.py"
run_stau -C "$P" run ok --ids 1-3 --kw greeting=hi -j 1
check "main_func gets its IDs as integers and the kwargs" "0|1/2 [1, 2] hi
2/2 [3] hi" "$rc|$(cat "$P/py.txt")"

job raises.py '# ---
# main_func: main
# ---
def main(work_ids=None, **kwargs):
    raise ValueError("bad input data")'
run_stau -C "$P" run raises
check "an exception fails the chunk" 1 "$rc"
log=$(cat "$P"/.stau/logs/raises/*.log)
case $log in *"Traceback"*"ValueError: bad input data"*) ok "with the traceback in its log";; *) not_ok "with the traceback in its log" "$log";; esac
run_stau -C "$P" run raises
check "an exception is not fatal: the job runs again" 1 "$rc"
check "and has two runs' logs" 2 "$(ls "$P"/.stau/logs/raises | wc -l | tr -d ' ')"

job syntax.py '# ---
# main_func: main
# ---
def main(work_ids=None, **kwargs)
    pass'
run_stau -C "$P" run syntax
check "a syntax error fails the run" 1 "$rc"
case $(cat "$P"/.stau/logs/syntax/*.log) in *SyntaxError*) ok "with the SyntaxError in the log";; *) not_ok "with the SyntaxError in the log";; esac
run_stau -C "$P" status syntax
case $out in *BROKEN*) ok "and the job is BROKEN (runner exit 3)";; *) not_ok "and the job is BROKEN (runner exit 3)" "$out";; esac
run_stau -C "$P" run syntax
case "$rc:$err" in 1:*broken*) ok "a broken job is not started again";; *) not_ok "a broken job is not started again" "$rc:$err";; esac
check "so only the first attempt has a log" 1 "$(ls "$P"/.stau/logs/syntax | wc -l | tr -d ' ')"
job syntax.py '# ---
# main_func: main
# ---
def main(work_ids=None, **kwargs):
    pass'
run_stau -C "$P" run syntax
check "editing the file clears BROKEN" 0 "$rc"

job nofunc.py '# ---
# main_func: mian
# ---
def main(work_ids=None, **kwargs):
    pass'
run_stau -C "$P" run nofunc
check "a missing main_func fails" 1 "$rc"
case $(cat "$P"/.stau/logs/nofunc/*.log) in *"has no function 'mian'"*) ok "and the log names the function";; *) not_ok "and the log names the function";; esac
done_testing
