#!/bin/sh
# stau tick: a run that waits for another run's chunks of its dependency runs in the same tick
# once they are done, not a minute later.
. "$(dirname "$0")/lib.sh"

mkproject w
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: every-minute
    job: stamp
    cron: "* * * * *"
    work_ids: [1, 2, 3]
  - id: every-two
    job: report
    cron: "*/2 * * * *"
YAML
job stamp.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "$STAU_JOB $STAU_WORK_IDS $STAU_SCHEDULED_FOR" >>"$STAU_DIR/out.txt"'
job report.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: stamp
#     max_lag: 0
# ---
echo "$STAU_JOB $STAU_SCHEDULED_FOR" >>"$STAU_DIR/out.txt"'

run_stau -C "$P" tick -j 1 --now 2026-05-04T10:00:20Z
check "the tick succeeds quietly" "0:" "$rc:$err"
check "both entries ran in the minute they were due, the dependent one after the other run" \
"stamp 1,2 2026-05-04T10:00:00+00:00
stamp 3 2026-05-04T10:00:00+00:00
stamp  2026-05-04T10:00:00+00:00
report 2026-05-04T10:00:00+00:00" "$(cat "$P/out.txt")"

: >"$P/out.txt"
run_stau -C "$P" tick -j 1 --now 2026-05-04T10:01:10Z
check "the next minute runs only the every-minute entry" \
"stamp 1,2 2026-05-04T10:01:00+00:00
stamp 3 2026-05-04T10:01:00+00:00" "$(cat "$P/out.txt")"
done_testing
