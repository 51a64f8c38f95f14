#!/bin/sh
# State errors (docs/design.md, "State"): a database that cannot be opened or written, one locked past
# the busy timeout, or one newer than this stau exit 3 with a message naming it, and leave
# what was recorded intact. The full disk is a small tmpfs mounted on .stau/ (as root).
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:00:00Z
db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject broken
job j.sh '#!/bin/sh
# ---
# ---
echo "$STAU_RUN_ID" >>"$STAU_DIR/ran"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: j
    job: j
    cron: "0 12 * * *"
YAML

# --- .stau/stau.db is a directory, .stau is a file
mkdir -p "$P/.stau/stau.db"
run_stau -C "$P" tick --now "$NOW"
check "a database that cannot be opened: exit 3 naming it" \
	"3|stau: cannot open '$P/.stau/stau.db': unable to open database file" "$rc|$err"
run_stau -C "$P" run j
check "stau run too, and no job ran" "3|stau: cannot open '$P/.stau/stau.db': unable to \
open database file|no" "$rc|$err|$([ -e "$P/ran" ] && echo yes || echo no)"
rm -r "$P/.stau"
: >"$P/.stau"
run_stau -C "$P" tick --now "$NOW"
check "a .stau that is a file: exit 3 naming the path" \
	"3|stau: cannot open '$P/.stau/lock': Not a directory" "$rc|$err"
rm "$P/.stau"

# --- a full file system
mkdir "$P/.stau"
if mount -t tmpfs -o size=1m,mode=0700 tmpfs "$P/.stau" 2>"$TMP/mount.err"; then
	trap 'umount "$P/.stau" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
	run_stau -C "$P" tick --now "$NOW"
	check "a first tick runs on the small file system" "0|1" "$rc|$(cat "$P/ran")"
	dd if=/dev/zero of="$P/.stau/fill" bs=4k 2>/dev/null
	run_stau -C "$P" run j
	check "with the disk full, stau run exits 3 naming the database" \
		"3|stau: cannot write '.stau/stau.db': database or disk is full" "$rc|$err"
	run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
	check "and so does a tick, which starts nothing" \
		"3|stau: cannot write '.stau/stau.db': database or disk is full|1" \
		"$rc|$err|$(cat "$P/ran")"
	rm "$P/.stau/fill"
	check "what was recorded is intact" "ok|1|DONE" \
		"$(db "PRAGMA integrity_check")|$(db "SELECT id, state FROM runs")"
	# a job that fills the disk itself: stau cannot record its end and exits 3; the next
	# tick finds the chunk lost
	job fill.sh '#!/bin/sh
# ---
# ---
dd if=/dev/zero of="$STAU_DIR/.stau/fill" bs=4k 2>/dev/null
echo filled'
	run_stau -C "$P" run fill
	check "a job that fills the disk: its stau exits 3" \
		"3|stau: cannot write '.stau/stau.db': database or disk is full" "$rc|$err"
	rm "$P/.stau/fill"
	run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
	check "the next tick marks its chunk lost, says so and exits 1" "1|stau: marked 1 chunk FAILED \
'runner lost': the stau process running it died; retried if the job allows, see 'stau \
status'" "$rc|$err"
	check "the database is intact, every run accounted for" "ok|1|j|DONE
2|fill|FAILED
3|j|DONE" "$(db "PRAGMA integrity_check")|$(db "SELECT id, job, state FROM runs")"
	umount "$P/.stau"
else
	not_ok "mount a small tmpfs on .stau/ to fill it" "$(cat "$TMP/mount.err")"
fi
rm -rf "$P/.stau" "$P/ran"

# --- locked past the busy timeout
run_stau -C "$P" tick --now "$NOW"
check "a tick records run 1" "0|1" "$rc|$(cat "$P/ran")"
mkfifo "$TMP/release"
(printf 'BEGIN EXCLUSIVE;\n.print locked\n'; cat "$TMP/release"; printf 'COMMIT;\n') |
	sqlite3 "$P/.stau/stau.db" >"$TMP/locked" &
locker=$!
i=0
while ! grep -q locked "$TMP/locked" && [ "$i" -lt 100000 ]; do i=$((i + 1)); done
export STAU_BUSY_TIMEOUT_MS=200
run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
check "a tick on a database locked past the timeout exits 3" "3|stau: '.stau/stau.db' \
stayed locked for more than 200 ms by another stau process; try again later" "$rc|$err"
run_stau -C "$P" run j
check "stau run too, and starts nothing" "3|stau: '.stau/stau.db' stayed locked for more \
than 200 ms by another stau process; try again later|1" "$rc|$err|$(cat "$P/ran")"
echo >"$TMP/release"
wait "$locker"
unset STAU_BUSY_TIMEOUT_MS
run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
check "released, the next tick runs what was due" "0|1
2" "$rc|$(cat "$P/ran")"

# --- a newer schema
v=$(db "PRAGMA user_version")
db "PRAGMA user_version = 99"
run_stau -C "$P" tick --now 2026-05-06T12:00:00Z
check "a database newer than this stau: exit 3 saying so" "3|stau: .stau/stau.db is schema \
version 99, newer than this stau ($v); upgrade stau" "$rc|$err"
run_stau -C "$P" run j
check "stau run too" "3|stau: .stau/stau.db is schema version 99, newer than this stau \
($v); upgrade stau" "$rc|$err"
check "it is left as it was" "99|ok|1|DONE
2|DONE|1
2" "$(db "PRAGMA user_version")|$(db "PRAGMA integrity_check")|$(db "SELECT id, state FROM \
runs")|$(cat "$P/ran")"

done_testing
