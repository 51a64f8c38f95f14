#!/bin/sh
# A tick with nothing due reads no file: it trusts the record of the last full tick (the stat
# of schedule.yaml, of jobs/ and of the zone files the entries use) and each entry's stored
# next fire time (docs/design.md, "The quiet tick"). That record must never serve what
# changed: an edit of schedule.yaml (even keeping its size and mtime), a file renamed over it,
# a touch, a zone file replaced, jobs and entries added and removed are all seen by the very
# next tick.
. "$(dirname "$0")/lib.sh"

fired() { if [ -f "$P/fired" ]; then tr '\n' ' ' <"$P/fired"; fi; }

mkproject cache
job hello.sh '#!/bin/sh
# ---
# description: says when it fired
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: daily
    job: hello
    cron: "0 13 * * *"
YAML

run_stau -C "$P" tick --now 2026-03-10T11:00:00Z
run_stau -C "$P" tick --now 2026-03-10T11:30:00Z
check "ticks with nothing due are silent and run nothing" "0:::" "$rc:$out:$err:$(fired)"

# same size, same mtime: only the change time tells
touch -r "$P/schedule.yaml" "$TMP/stamp"
sed 's/0 13/0 12/' "$P/schedule.yaml" >"$TMP/s"
cat "$TMP/s" >"$P/schedule.yaml"
touch -r "$TMP/stamp" "$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-03-10T12:00:00Z
check "an edit of schedule.yaml keeping size and mtime is seen by the next tick" \
	"0:2026-03-10T12:00:00+00:00 " "$rc:$(fired)"

sed 's/0 12/30 12/' "$P/schedule.yaml" >"$P/schedule.yaml.new"
mv "$P/schedule.yaml.new" "$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-03-10T12:15:00Z
run_stau -C "$P" tick --now 2026-03-10T12:30:00Z
check "a schedule.yaml renamed over the old one is seen by the next tick" \
	"0:2026-03-10T12:00:00+00:00 2026-03-10T12:30:00+00:00 " "$rc:$(fired)"

touch "$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-03-10T12:31:00Z
check "a touch without a change runs and says nothing" \
	"0:::2026-03-10T12:00:00+00:00 2026-03-10T12:30:00+00:00 " "$rc:$out:$err:$(fired)"
run_stau -C "$P" tick --now 2026-03-11T12:30:00Z
check "and the next fire time still comes" "0:2026-03-11T12:30:00+00:00" \
	"$rc:$(tail -n 1 "$P/fired")"

# ---- jobs and entries added and removed

cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: daily
    job: hello
    cron: "30 12 * * *"
  - id: hourly
    job: later
    cron: "0 * * * *"
YAML
run_stau -C "$P" tick --now 2026-03-11T13:00:00Z
check "an entry of a job that has no file yet is reported" \
	"stau: schedule.yaml:6:10: unknown job 'later': no file in jobs/ has that job type" "$err"
job later.sh '#!/bin/sh
# ---
# description: added after its entry
# ---
echo "later $STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
run_stau -C "$P" tick --now 2026-03-11T14:00:00Z
check "the job file added is seen by the next tick, which runs its entry" \
	"0::later 2026-03-11T14:00:00+00:00" "$rc:$err:$(tail -n 1 "$P/fired")"
run_stau -C "$P" tick --now 2026-03-11T14:30:00Z
check "a tick between two fire times runs nothing" "0::later 2026-03-11T14:00:00+00:00" \
	"$rc:$err:$(tail -n 1 "$P/fired")"

n=$(wc -l <"$P/fired")
mv "$P/jobs/later.sh" "$TMP/later.sh"
run_stau -C "$P" tick --now 2026-03-11T15:00:00Z
check "a job file removed is seen by the next tick: its entry runs no more" "$n" \
	"$(wc -l <"$P/fired")"
mv "$TMP/later.sh" "$P/jobs/later.sh"
run_stau -C "$P" tick --now 2026-03-11T16:00:00Z
check "put back, it is seen by the next tick" "0::later 2026-03-11T16:00:00+00:00" \
	"$rc:$err:$(tail -n 1 "$P/fired")"

cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: daily
    job: hello
    cron: "30 12 * * *"
YAML
n=$(wc -l <"$P/fired")
run_stau -C "$P" tick --now 2026-03-11T17:00:00Z
run_stau -C "$P" tick --now 2026-03-11T18:00:00Z
check "an entry removed runs no more" "0::$n" "$rc:$err:$(wc -l <"$P/fired")"

# ---- a job file that stops being a job in place, and is fixed in place

mkproject inplace
job x.sh '#!/bin/sh
# ---
# description: hourly
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
cp "$P/jobs/x.sh" "$TMP/x.sh"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: hourly
    job: x
    cron: "0 * * * *"
YAML
run_stau -C "$P" tick --now 2026-03-10T10:30:00Z
printf '#!/bin/sh\necho "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"\n' >"$P/jobs/x.sh"
run_stau -C "$P" tick --now 2026-03-10T11:00:00Z
check "the tick of a due entry whose job lost its header reports it" \
	"stau: schedule.yaml:3:10: unknown job 'x': no file in jobs/ has that job type:" \
	"$err:$(fired)"
run_stau -C "$P" tick --now 2026-03-10T11:01:00Z
check "once" "0::" "$rc:$err:$(fired)"
cat "$TMP/x.sh" >"$P/jobs/x.sh"
run_stau -C "$P" tick --now 2026-03-10T11:02:00Z
check "fixed in place, it is seen by the next tick; the fire time that came while the entry was \
disabled is not run" "0::" "$rc:$err:$(fired)"
run_stau -C "$P" tick --now 2026-03-10T12:00:00Z
check "and the entry fires again at its next time" "0::2026-03-10T12:00:00+00:00 " \
	"$rc:$err:$(fired)"

# ---- a zone file replaced (a tzdata update)

if [ -f /usr/share/zoneinfo/Etc/GMT+1 ]; then
	mkproject zone
	mkdir -p "$TMP/zi/Test"
	cp /usr/share/zoneinfo/Etc/GMT+1 "$TMP/zi/Test/Here" # UTC-1: 14:00 there is 15:00Z
	job hello.sh '#!/bin/sh
# ---
# description: says when it fired
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
	cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: two
    job: hello
    cron: "0 14 * * *"
    timezone: Test/Here
YAML
	TZDIR=$TMP/zi run_stau -C "$P" tick --now 2026-03-10T13:00:00Z
	check "an entry in a zone of TZDIR is recorded" "0::" "$rc:$err:$(fired)"
	cp /usr/share/zoneinfo/Etc/UTC "$TMP/zi/Test/Here.new"
	mv "$TMP/zi/Test/Here.new" "$TMP/zi/Test/Here"
	TZDIR=$TMP/zi run_stau -C "$P" tick --now 2026-03-10T14:00:00Z
	check "its zone file replaced moves its fire time, seen by the next tick" \
		"0::2026-03-10T14:00:00+00:00 " "$rc:$err:$(fired)"
else
	ok "# SKIP no /usr/share/zoneinfo/Etc/GMT+1"
	ok "# SKIP no /usr/share/zoneinfo/Etc/GMT+1"
fi

done_testing
