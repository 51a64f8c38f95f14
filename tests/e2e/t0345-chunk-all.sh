#!/bin/sh
# chunk_size: all - one chunk over all the run's IDs (a report over every store), which waits
# for every chunk of its dependencies, whatever their chunk sizes.
. "$(dirname "$0")/lib.sh"

mkproject chunkall
job stores.sh '#!/bin/sh
# ---
# chunk_size: 4
# ---
echo "stores $STAU_WORK_IDS" >>"$STAU_DIR/ran"'
job report.sh '#!/bin/sh
# ---
# chunk_size: all
# dependencies:
#   - job_type: stores
#     max_lag: 0
# ---
echo "report $STAU_WORK_IDS $STAU_CHUNK" >>"$STAU_DIR/ran"'
run_stau -C "$P" run report --ids 1-10 -j 1
check "the report runs once, over all ten IDs, after the three chunks of stores" "0|stores 1,2,3,4
stores 5,6,7,8
stores 9,10
report 1,2,3,4,5,6,7,8,9,10 1/1" "$rc|$(cat "$P/ran")"
run_stau -C "$P" run report --ids 1-10 --dry-run
check "the plan says so" "0|3" "$rc|$(printf '%s\n' "$out" | grep -c '^  stores')"
job bad.sh '#!/bin/sh
# ---
# chunk_size: everything
# ---'
run_stau -C "$P" check
check "anything else is an error" "2|jobs/bad.sh:3:15: 'chunk_size' must be an integer >= 1 \
or 'all', got 'everything'
1 problem" "$rc|$out"
done_testing
