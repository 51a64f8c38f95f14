#!/bin/sh
# `stau run --dry-run` explains itself: for a three-level graph with mixed freshness, each
# dependency chunk kept or dropped is shown with the edge it came through, its max_lag, and
# why ("IDs 3-4 last computed 3h10m ago > max_lag 1h", "never computed"); a unique copy says
# which parent owns it.
. "$(dirname "$0")/lib.sh"

T0=2026-03-02T12:00:00Z
mkproject why
job sales.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
exit 0'
job forecast.sh '#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - {job_type: sales, max_lag: 1h}
# ---
exit 0'
job report.sh '#!/bin/sh
# ---
# chunk_size: 5
# dependencies:
#   - {job_type: forecast, max_lag: 30m}
#   - {job_type: sales, max_lag: 0, unique: true}
# ---
exit 0'
run_stau -C "$P" run sales --ids 3-4 --now 2026-03-02T08:50:00Z
run_stau -C "$P" run sales --ids 1-2 --now 2026-03-02T11:50:00Z
check "the history is made" "0" "$rc"
run_stau -C "$P" run report --ids 1-5 --dry-run --now "$T0"
check "the plan, each dependency chunk with its edge and why" "0|plan for report: 9 chunks, 1 dependency chunk fresh
  sales 1/5  2 IDs: 1-2
      via report -> sales, max_lag 0, a unique copy for report: max_lag 0: always recomputed
  sales 2/5  2 IDs: 3-4
      via report -> sales, max_lag 0, a unique copy for report: max_lag 0: always recomputed
  sales 3/5  1 ID: 5
      via report -> sales, max_lag 0, a unique copy for report: max_lag 0: always recomputed
  sales 4/5  2 IDs: 3-4
      via forecast -> sales, max_lag 1h: IDs 3-4 last computed 3h10m ago > max_lag 1h
  sales 5/5  1 ID: 5
      via forecast -> sales, max_lag 1h: ID 5 never computed
  forecast 1/3  2 IDs: 1-2
      via report -> forecast, max_lag 30m: IDs 1-2 never computed
  forecast 2/3  2 IDs: 3-4
      via report -> forecast, max_lag 30m: IDs 3-4 never computed
  forecast 3/3  1 ID: 5
      via report -> forecast, max_lag 30m: ID 5 never computed
  report 1/1  5 IDs: 1-5
fresh, not run:
  sales  2 IDs: 1-2  finished 10m ago
      via forecast -> sales, max_lag 1h: fresh: each ID computed within max_lag" "$rc|$out"

done_testing
