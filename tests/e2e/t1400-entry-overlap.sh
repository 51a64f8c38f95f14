#!/bin/sh
# Overlap is judged per entry. A replayed day with three entries of one job whose fire times
# share minutes (every 15 minutes, hourly, daily at 03:00, each with its own kwargs): every
# entry runs each time it fires. A fourth entry with the hourly entry's work (the same kwargs
# in another order) shares its runs: that work runs once per hour, not twice.
. "$(dirname "$0")/lib.sh"

mkproject day
job work.sh '#!/bin/sh
# ---
# description: writes down when it ran and with which kwargs
# ---
echo "$STAU_SCHEDULED_FOR $STAU_KWARGS" >>"$STAU_DIR/ran"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - {id: quarter, job: work, cron: "*/15 * * * *", kwargs: {mode: quarter}}
  - {id: hourly, job: work, cron: "0 * * * *", kwargs: {mode: hourly, n: 1}}
  - {id: daily, job: work, cron: "0 3 * * *", kwargs: {mode: daily}}
  - {id: hourly-too, job: work, cron: "0 * * * *", kwargs: {n: 1, mode: hourly}}
YAML

t=$("$STAU" next '*/15 * * * *' --from 2026-03-01T23:59:00Z -n 96 | tr '\n' ' ')
bad=""
for at in $t; do
	"$STAU" -C "$P" tick --now "$at" >"$TMP/out" 2>&1 || bad="$bad $at"
done
check "every tick of the day exits 0" "" "$bad"
count() { grep -c "\"mode\":\"$1\"" "$P/ran"; }
check "the quarter-hourly entry ran at each of its 96 fire times" "96" "$(count quarter)"
check "the hourly entry ran at each of its 24 fire times" "24" "$(count hourly)"
check "the daily entry ran at 03:00 although two other entries of its job fired then" \
	"2026-03-02T03:00:00+00:00" "$(grep daily "$P/ran" | cut -d' ' -f1)"
db() { sqlite3 "$P/.stau/stau.db" "$1"; }
check "no fire time was skipped" "0" "$(db "SELECT count(*) FROM entries WHERE last_skipped IS NOT NULL")"
check "the entry with identical work shares the hourly entry's runs" \
	"$(db "SELECT last_run FROM entries WHERE id = 'hourly'")" \
	"$(db "SELECT last_run FROM entries WHERE id = 'hourly-too'")"
check "121 runs in all" "121" "$(db "SELECT count(*) FROM runs WHERE state = 'DONE'")"
run_stau -C "$P" status
case "$out" in
*skipped*) not_ok "status shows no skipped fire time" "$out" ;;
*) ok "status shows no skipped fire time" ;;
esac

done_testing
