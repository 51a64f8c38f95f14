#!/bin/sh
# stau tick: a replayed day of ticks, outages shorter and longer than misfire_grace, quiet
# success, one stderr line per failed chunk, retries across ticks, dependency order, a
# broken schedule reported once while queued work still runs.
. "$(dirname "$0")/lib.sh"

DAY=1767225600 # 2026-01-01T00:00:00Z

# ticks FROM COUNT: one tick a minute from epoch FROM; stops at the first that is not quiet.
ticks() {
	i=0
	while [ "$i" -lt "$2" ]; do
		"$STAU" -C "$P" tick --now "@$(($1 + i * 60))" >"$TMP/tout" 2>&1 || { echo "# tick $i: exit $?"; cat "$TMP/tout"; break; }
		[ -s "$TMP/tout" ] && break
		i=$((i + 1))
	done
	ticked=$i
}

mkproject day
job hello.sh '#!/bin/sh
# ---
# description: says hello
# ---
echo "$STAU_SCHEDULED_FOR $STAU_KWARGS" >>"$STAU_DIR/fired"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: say-hello
    job: hello
    cron: "*/20 * * * *"
    kwargs:
      final_message: Thanks for trying stau!
YAML
ticks "$DAY" 1440
check "1440 ticks, each quiet and exiting 0" "1440" "$ticked"
check "72 runs in a day" "72" "$(wc -l <"$P/fired")"
check "the first run is for midnight, with the entry's kwargs" \
	'2026-01-01T00:00:00+00:00 {"final_message":"Thanks for trying stau!"}' "$(head -n 1 "$P/fired")"
check "the last run is for 23:40" '2026-01-01T23:40:00+00:00' "$(tail -n 1 "$P/fired" | cut -d' ' -f1)"
check "no fire time twice" "72" "$(cut -d' ' -f1 "$P/fired" | sort -u | wc -l)"

# Outages: misfire_grace 5m with an hourly entry.
mkproject outage
job hourly.sh '#!/bin/sh
# ---
# description: hourly
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  misfire_grace: 5m
schedule:
  - id: hourly
    job: hourly
    cron: "0 * * * *"
YAML
ticks "$DAY" 60                        # 00:00 .. 00:59
ticks $((DAY + 67 * 60)) 53            # down 01:00 .. 01:06, back 01:07 .. 01:59
ticks $((DAY + 124 * 60)) 1            # down 02:00 .. 02:03, back 02:04
check "a fire time older than misfire_grace is missed; a younger one still runs" \
	"2026-01-01T00:00:00+00:00
2026-01-01T02:00:00+00:00" "$(cat "$P/fired")"
run_stau -C "$P" status --json --now "@$((DAY + 124 * 60))"
case "$out" in
*'"last_missed": "2026-01-01T01:00:00+00:00"'*) ok "status shows the missed fire time" ;;
*'01:00:00'*) ok "status shows the missed fire time" ;;
*) not_ok "status shows the missed fire time" "$out" ;;
esac

# Quiet on success, one line per failed chunk, retries across ticks.
mkproject failing
job flaky.sh '#!/bin/sh
# ---
# chunk_size: 1
# retries: 1
# retry_delay: 30s
# ---
echo "$STAU_WORK_IDS attempt $STAU_ATTEMPT" >>"$STAU_DIR/tries"
[ "$STAU_WORK_IDS" != 2 ]'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: flaky
    job: flaky
    cron: "0 * * * *"
    work_ids: [1, 2, 3]
YAML
run_stau -C "$P" tick -j 1 --now "@$DAY"
check "a failure that will be retried is not reported" "0:" "$rc:$err$out"
run_stau -C "$P" tick --now "@$((DAY + 60))"
check "the last failure exits 1" 1 "$rc"
check "one line on stderr per failed chunk, naming its run, IDs and log" \
	"stau: flaky run 1: flaky 2/3 (ID 2) failed: exit 1 after 0.0s; log .stau/logs/flaky/1-2-2.log" \
	"$(echo "$err" | sed 's/after [0-9.]*s/after 0.0s/')"
check "nothing on stdout" "" "$out"
check "each chunk tried as its policy says" "1 attempt 1
2 attempt 1
3 attempt 1
2 attempt 2" "$(cat "$P/tries")"
run_stau -C "$P" tick --now "@$((DAY + 120))"
check "the next tick is quiet again" "0:" "$rc:$err$out"
run_stau -C "$P" -v tick --now "@$((DAY + 3600))"
check "-v shows progress" "stau: flaky run 2 chunk 1/3 started (attempt 1)" \
	"$(echo "$err" | head -n 1)"

# Dependencies through tick, and a broken schedule reported once.
mkproject deps
job base.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"'
job top.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: base
# ---
echo "$STAU_JOB $STAU_WORK_IDS" >>"$STAU_DIR/order"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: top
    job: top
    every: 1h
    work_ids: [1, 2, 3]
YAML
run_stau -C "$P" tick -j 1 --now "@$DAY"
check "dependencies before dependents (top: one chunk per group of base's size)" "0:base 1,2
base 3
top 1,2
top 3" "$rc:$(cat "$P/order")"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: top
    job: top
    every: 1h
    wrok_ids: [1]
YAML
run_stau -C "$P" run top --ids 7
check "stau run works with a broken schedule" "0" "$rc"
run_stau -C "$P" tick --now "@$((DAY + 3600))"
check "a broken schedule is reported" "0:stau: schedule.yaml:5:5: unknown key 'wrok_ids' (did you mean 'work_ids'?)" "$rc:$err"
run_stau -C "$P" tick --now "@$((DAY + 3660))"
check "once per version of the file" "0:" "$rc:$err"
check "and nothing new is scheduled meanwhile" "6" "$(wc -l <"$P/order")"

done_testing
