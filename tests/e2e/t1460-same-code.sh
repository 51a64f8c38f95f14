#!/bin/sh
# Code-aware freshness. By default a result stays fresh for its max_lag whatever happens to
# its job's file (as in the Python Stau). With fresh_requires_same_code (on the dependency,
# or in the settings), a result computed by another version of the file is stale, so editing
# a job recomputes what it produced; a dependency's own false wins over the settings.
. "$(dirname "$0")/lib.sh"

mkproject code
sales() {
	job sales.sh "#!/bin/sh
# ---
# chunk_size: 2
# ---
echo \"sales \$STAU_WORK_IDS $1\" >>\"\$STAU_DIR/ran\""
}
forecast() {
	job forecast.sh "#!/bin/sh
# ---
# dependencies:
#   - job_type: sales
#     max_lag: 1h$1
# ---
echo \"forecast \$STAU_WORK_IDS\" >>\"\$STAU_DIR/ran\""
}
sales v1
forecast ""
run_stau -C "$P" run forecast --ids 1-2 --now 2026-03-02T10:00:00Z
check "the first run computes sales" "0|sales 1,2 v1
forecast 1,2" "$rc|$(cat "$P/ran")"

sales v2
: >"$P/ran"
run_stau -C "$P" run forecast --ids 1-2 --now 2026-03-02T10:10:00Z
check "off by default: an edited job's results stay fresh" "0|forecast 1,2" \
	"$rc|$(cat "$P/ran")"

forecast "
#     fresh_requires_same_code: true"
: >"$P/ran"
run_stau -C "$P" run forecast --ids 1-2 --now 2026-03-02T10:20:00Z
check "on the dependency: results of the old code are stale, and recomputed" \
	"0|sales 1,2 v2
forecast 1,2" "$rc|$(cat "$P/ran")"
: >"$P/ran"
run_stau -C "$P" run forecast --ids 1-2 --now 2026-03-02T10:30:00Z
check "results of the current code are fresh" "0|forecast 1,2" "$rc|$(cat "$P/ran")"

forecast ""
printf 'settings:\n  fresh_requires_same_code: true\n' >"$P/schedule.yaml"
sales v3
run_stau -C "$P" run forecast --ids 1-2 --dry-run --now 2026-03-02T10:40:00Z
case "$out" in
*"  sales 1/1  2 IDs: 1-2"*) ok "in the settings: the edited job's chunk is kept" ;;
*) not_ok "in the settings: the edited job's chunk is kept" "$out" ;;
esac
forecast "
#     fresh_requires_same_code: false"
run_stau -C "$P" run forecast --ids 1-2 --dry-run --now 2026-03-02T10:40:00Z
case "$out" in
*"fresh, not run:"*"  sales  2 IDs: 1-2"*) ok "a dependency's false wins over the settings" ;;
*) not_ok "a dependency's false wins over the settings" "$out" ;;
esac

done_testing
