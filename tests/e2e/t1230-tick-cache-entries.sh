#!/bin/sh
# What a tick that reads few files (docs/design.md, "The quiet tick") decides must be what a
# full tick decides: a quiet tick prunes by the retention, and a job file broken in place
# disables its entries instead of failing a run at every fire time. And a disabled entry
# does not make every tick at its fire times read every job file. Cron's ticks come a
# minute after the last edit; here each tick that should use the record waits until the
# files' change times are out of the window a tick does not trust (settle).
. "$(dirname "$0")/lib.sh"

# settle: waits (bounded) until 50 ms have passed since the last write.
settle() {
	end=$(($(date +%s%N) + 50000000))
	i=0
	while [ "$(date +%s%N)" -lt "$end" ] && [ $i -lt 1000 ]; do i=$((i + 1)); done
}

# ---- retention on a quiet tick

mkproject prune
job yearly.sh '#!/bin/sh
# ---
# description: runs once a year
# ---
exit 0'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  retention: 1d
schedule:
  - {id: yearly, job: yearly, cron: "0 3 1 1 *"}
YAML
settle
run_stau -C "$P" tick --now 2026-01-01T03:00:10Z
run_stau -C "$P" tick --now 2026-01-01T03:01:00Z
run_stau -C "$P" status --now 2026-01-01T03:01:00Z
case "$out" in *"#1  DONE"*) ok "the yearly run is recorded" ;;
*) not_ok "the yearly run is recorded" "$out" ;; esac
run_stau -C "$P" tick --now 2026-01-03T03:00:00Z
check "a tick with nothing due is silent" "0::" "$rc:$out:$err"
run_stau -C "$P" status --now 2026-01-03T03:00:00Z
case "$out" in *"#1 "*) not_ok "it pruned the run past the retention" "$out" ;;
*) ok "it pruned the run past the retention" ;; esac
check "and its log" "" "$(ls "$P/.stau/logs/yearly")"

# ---- a job file broken in place

mkproject broken
for j in a c; do
	job $j.sh "#!/bin/sh
# ---
# description: job $j
# ---
echo $j \"\$STAU_SCHEDULED_FOR\" >>\"\$STAU_DIR/fired\""
done
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - {id: a, job: a, cron: "* * * * *"}
  - {id: c, job: c, cron: "* * * * *"}
YAML
settle
run_stau -C "$P" tick --now 2026-01-01T03:00:10Z
run_stau -C "$P" tick --now 2026-01-01T03:01:10Z
check "both entries run" "0:4" "$rc:$(wc -l <"$P/fired")"
sed 's/^# description: job c$/# chunk_size: many/' "$P/jobs/c.sh" >"$TMP/c.sh"
cat "$TMP/c.sh" >"$P/jobs/c.sh"
settle
run_stau -C "$P" tick --now 2026-01-01T03:02:10Z
check "the tick that reads the broken file says why, once, and fails nothing" \
	"0:stau: jobs/c.sh:3:15: 'chunk_size' must be an integer >= 1 or 'all', got 'many'" \
	"$rc:$err"
run_stau -C "$P" tick --now 2026-01-01T03:03:10Z
check "the next tick is silent" "0:" "$rc:$err"
check "entry a runs on, entry c does not" "a 2026-01-01T03:02:00+00:00
a 2026-01-01T03:03:00+00:00" "$(tail -n 2 "$P/fired")"
run_stau -C "$P" status --now 2026-01-01T03:03:10Z
case "$out" in *FAILED*) not_ok "no run failed" "$out" ;; *) ok "no run failed" ;; esac
case "$out" in *disabled*) ok "status shows entry c disabled" ;;
*) not_ok "status shows entry c disabled" "$out" ;; esac

# ---- an entry of an unknown job, and a bad entry: only what the entries due need is read

mkproject typo
job a.sh '#!/bin/sh
# ---
# description: job a
# ---
echo a "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
job other.sh '#!/bin/sh
# ---
# description: no entry runs it
# ---
exit 0'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - {id: eb, job: nosuch, cron: "* * * * *"}
  - {id: bad, job: a, cron: "61 * * * *"}
  - {id: a, job: a, cron: "0 4 * * *"}
YAML
settle
run_stau -C "$P" tick --now 2026-01-01T03:00:10Z
check "the full tick reports both entries" "0:2" "$rc:$(printf '%s\n' "$err" | grep -c schedule.yaml)"
sed 's/^# description: no entry runs it$/# chunk_size: many/' "$P/jobs/other.sh" >"$TMP/o.sh"
cat "$TMP/o.sh" >"$P/jobs/other.sh"
settle
run_stau -C "$P" tick --now 2026-01-01T03:01:10Z
said="$rc:$out:$err"
run_stau -C "$P" tick --now 2026-01-01T03:02:10Z
check "the ticks at the disabled entry's fire times do not read the other job files" \
	"0::|0::" "$said|$rc:$out:$err"
run_stau -C "$P" tick --now 2026-01-01T04:00:10Z
check "the good entry runs at its time" \
	"0::a 2026-01-01T04:00:00+00:00" "$rc:$err:$(cat "$P/fired")"

done_testing
