#!/bin/sh
# stau tick with nothing to do reads no file while schedule.yaml and jobs/ are as the last full
# tick left them: it must still run what falls due, see every edited file once it loads the
# jobs (even with its size and mtime kept) and report a broken file once per version.
. "$(dirname "$0")/lib.sh"

mkproject quiet
job daily.sh '#!/bin/sh
# ---
# description: runs at noon
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
job other.sh '#!/bin/sh
# ---
# description: never scheduled
# ---
true'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: noon
    job: daily
    cron: "0 12 * * *"
YAML

run_stau -C "$P" tick --now 2026-03-10T11:50:00Z
check "the first tick loads everything and is quiet" "0::" "$rc:$out:$err"
run_stau -C "$P" tick --now 2026-03-10T11:59:00Z
check "a tick with nothing due is quiet" "0::" "$rc:$out:$err"
run_stau -C "$P" tick --now 2026-03-10T12:00:00Z
check "the entry runs when it falls due, the job files unchanged" \
	"0:::2026-03-10T12:00:00+00:00" "$rc:$out:$err:$(cat "$P/fired")"
run_stau -C "$P" tick --now 2026-03-10T12:01:00Z
check "the minute after, nothing runs again" "0:::1" "$rc:$out:$err:$(wc -l <"$P/fired")"

job other.sh '#!/bin/sh
# ---
# descripton: a typo
# ---
true'
run_stau -C "$P" tick --now 2026-03-10T12:02:00Z
check "a tick with nothing due reads no job file: nothing said yet" "0::" "$rc:$out:$err"

cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: noon
    job: daily
    cron: "*/5 * * * *"
YAML
run_stau -C "$P" tick --now 2026-03-10T12:05:00Z
broken="stau: jobs/other.sh:3:3: unknown key 'descripton' (did you mean 'description'?)"
check "an edited schedule is read: its new trigger fires" \
	"2026-03-10T12:05:00+00:00" "$(tail -n 1 "$P/fired")"
check "the tick that loads the jobs reports the job file broken between ticks" "$broken" "$err"
run_stau -C "$P" tick --now 2026-03-10T12:10:00Z
check "and only once" "0:::2026-03-10T12:10:00+00:00" "$rc:$out:$err:$(tail -n 1 "$P/fired")"

# the job of an entry due is read by the tick that runs it, afresh: an edit is seen, and a
# problem reported once per version, even when the edit keeps size and mtime
job daily.sh '#!/bin/sh
# ---
# descripton: runs every five minutes
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
run_stau -C "$P" tick --now 2026-03-10T12:15:00Z
check "the tick that needs a job reports it broken" \
	"stau: jobs/daily.sh:3:3: unknown key 'descripton' (did you mean 'description'?)" \
	"$(echo "$err" | grep '^stau: jobs/daily')"
touch -r "$P/jobs/daily.sh" "$TMP/stamp"
sed 's/descripton/descriptin/' "$P/jobs/daily.sh" >"$TMP/daily"
cat "$TMP/daily" >"$P/jobs/daily.sh"
touch -r "$TMP/stamp" "$P/jobs/daily.sh"
run_stau -C "$P" tick --now 2026-03-10T12:20:00Z
check "an edit keeping size and mtime is a new version, reported" \
	"stau: jobs/daily.sh:3:3: unknown key 'descriptin' (did you mean 'description'?)" \
	"$(echo "$err" | grep '^stau: jobs/daily')"

done_testing
