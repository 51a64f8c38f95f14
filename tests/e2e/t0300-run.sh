#!/bin/sh
# stau run: dependency order, chunks and environment, plain progress, failures and their
# cascade, exit codes, --kw, --ids-file, --dry-run, errors that name the fix.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z

# Jobs append "JOB IDS" to $STAU_DIR/order, so the order they ran in can be checked.
mkproject chain
job c.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"'
job b.sh '#!/bin/sh
# ---
# chunk_size: 4
# dependencies:
#   - job_type: c
#     max_lag: 60
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"'
job a.sh '#!/bin/sh
# ---
# chunk_size: 4
# dependencies:
#   - job_type: b
#     max_lag: 60
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"
echo "chunk $STAU_CHUNK attempt $STAU_ATTEMPT kwargs $STAU_KWARGS"
echo "ids file: $(tr "\n" " " <"$STAU_WORK_IDS_FILE")"
echo "scheduled for: [$STAU_SCHEDULED_FOR] dir: $STAU_DIR"
pwd'

run_stau -C "$P" run a --ids 1-8 -j 1 --now "$NOW" --kw n=5 --kw name=007 --kw flag=true
check "a run that succeeds exits 0" 0 "$rc"
check "dependencies run first, each chunk once" "c 1,2
c 3,4
c 5,6
c 7,8
b 1,2,3,4
b 5,6,7,8
a 1,2,3,4
a 5,6,7,8" "$(cat "$P/order")"
# -j 1: each end is stored with the claim of the next chunk, and told before that start
check "plain progress: one line per chunk start and end, then the run" "start c 1/4 (chunk 1, attempt 1)
done c 1/4 in 0.0s
start c 2/4 (chunk 2, attempt 1)
done c 2/4 in 0.0s
start c 3/4 (chunk 3, attempt 1)
done c 3/4 in 0.0s
start c 4/4 (chunk 4, attempt 1)
done c 4/4 in 0.0s
start b 1/2 (chunk 5, attempt 1)
done b 1/2 in 0.0s
start b 2/2 (chunk 6, attempt 1)
done b 2/2 in 0.0s
start a 1/2 (chunk 7, attempt 1)
done a 1/2 in 0.0s
start a 2/2 (chunk 8, attempt 1)
done a 2/2 in 0.0s
a run 1 done: 8 chunks in 0.0s" "$(echo "$out" | sed 's/in [0-9.]*s$/in 0.0s/')"
check "nothing on stderr" "" "$err"
log="$P/.stau/logs/a/1-8-1.log"
check "the log: header, IDs, output, environment, trailer" "stau: a run 1 chunk 8 (2/2) attempt 1: ./jobs/a.sh
stau: 4 work IDs: 5-8
chunk 2/2 attempt 1 kwargs {\"n\":5,\"name\":\"007\",\"flag\":true}
ids file: 5 6 7 8 
scheduled for: [] dir: $P
$P
[exited with status 0]" "$(cat "$log")"
check "logs are private" "600" "$(stat -c %a "$log")"
check "the IDs files are gone" "" "$(ls "$P/.stau/work")"

: >"$P/order"
run_stau -C "$P" run a --ids 1-8 -j 1 --now 2026-03-02T10:30:00Z
check "fresh dependencies are not run again" "a 1,2,3,4
a 5,6,7,8" "$(cat "$P/order")"

printf '3\n1, 2\n' >"$TMP/ids"
: >"$P/order"
run_stau -C "$P" run a --ids-file "$TMP/ids" --force -j 1 --now 2026-03-02T10:31:00Z
check "--ids-file and --force" "c 1,2
c 3
b 1,2,3
a 1,2,3" "$(cat "$P/order")"

# half a minute past the minute: the ages stay the same for runs that took up to 30 s
run_stau -C "$P" run a --ids 1-8 --dry-run --now 2026-03-02T10:40:30Z
check "--dry-run exits 0" 0 "$rc"
check "--dry-run prints the chunks and the fresh ones left out" "plan for a: 2 chunks, 2 dependency chunks fresh
  a 1/2  4 IDs: 1-4
  a 2/2  4 IDs: 5-8
fresh, not run:
  b  4 IDs: 1-4  finished 9m ago
      via a -> b, max_lag 1h: fresh: each ID computed within max_lag
  b  4 IDs: 5-8  finished 40m ago
      via a -> b, max_lag 1h: fresh: each ID computed within max_lag" "$out"
run_stau -C "$P" show 4
check "--dry-run records nothing" "stau: no run 4; 'stau status JOB' lists runs" "$err"

# A failure cancels what depends on it and nothing else.
mkproject fail
job d.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"
[ "$STAU_WORK_IDS" != "3,4" ] || { echo "no data for 3 and 4" >&2; exit 5; }'
job top.sh '#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - job_type: d
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"'
run_stau -C "$P" run top --ids 1-6 -j 1 --now "$NOW"
check "a failed run exits 1" 1 "$rc"
check "independent chunks run on; the dependent is canceled" "d 1,2
d 3,4
d 5,6
top 1,2
top 5,6" "$(cat "$P/order")"
check "stderr: the failed chunk with its run, IDs, last output line, canceled dependents and log, then the run" \
	"stau: top run 1: d 2/3 (IDs 3-4) failed: exit 5 after 0.0s: no data for 3 and 4; canceled: top 2/3; log .stau/logs/d/1-2-1.log
stau: top run 1 failed: 1 chunk failed, 1 canceled" "$(echo "$err" | sed 's/after [0-9.]*s/after 0.0s/')"
check "the log keeps the job's stderr" "no data for 3 and 4" "$(sed -n 3p "$P/.stau/logs/d/1-2-1.log")"

# Errors that name the fix.
mkproject errors
job ok.sh '#!/bin/sh
# ---
# description: fine
# ---
true'
job noexec.sh '#!/bin/sh
# ---
# description: not executable
# ---
true'
chmod 644 "$P/jobs/noexec.sh"
run_stau -C "$P" run okk
check "an unknown job exits 2" 2 "$rc"
check "an unknown job gets a suggestion" "stau: unknown job 'okk' (did you mean 'ok'?)" "$err"
run_stau -C "$P" run ok --kw novalue
check "a bad --kw exits 2" 2 "$rc"
check "a bad --kw names the option" "stau: --kw: 'novalue' is not KEY=VALUE
see 'stau run --help'" "$err"
run_stau -C "$P" run ok --ids 1-x
check "bad --ids exit 2" 2 "$rc"
run_stau -C "$P" run noexec --now "$NOW"
check "a job file that is not executable fails the run" 1 "$rc"
check "and says how to fix it" "stau: noexec run 1: noexec 1/1 failed: 'jobs/noexec.sh' is not executable: run 'chmod +x jobs/noexec.sh', or give it a 'command' or a 'main_func'; log .stau/logs/noexec/1-1-1.log
stau: noexec run 1 failed: 1 chunk failed" "$err"

done_testing
