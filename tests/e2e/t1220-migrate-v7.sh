#!/bin/sh
# Schema version 7 (docs/design.md, "State"): each entry's next fire time. A version 3
# database is migrated by the first command that opens it, keeping every entry as recorded;
# the first tick then stores the next fire times, and the entries fire as before.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject v3
job hello.sh '#!/bin/sh
# ---
# description: says when it fired
# ---
echo "$STAU_SCHEDULED_FOR" >>"$STAU_DIR/fired"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: noon
    job: hello
    cron: "0 12 * * *"
YAML
run_stau -C "$P" tick --now 2026-03-10T11:00:00Z
# the same database as version 3 wrote it: no next_fire, no index
back_to_v3 "$P/.stau/stau.db"
before=$(db "SELECT id, fingerprint, last_handled FROM entries")

run_stau -C "$P" status --now 2026-03-10T11:10:00Z
check "status reads a version 3 database" "0|" "$rc|$err"
check "which is now the current version, intact, its entry kept" "$SCHEMA_VERSION|ok|$before|" \
	"$(db "PRAGMA user_version")|$(db "PRAGMA integrity_check")|$(db "SELECT id, \
fingerprint, last_handled, next_fire FROM entries")"
run_stau -C "$P" tick --now 2026-03-10T11:30:00Z
check "the first tick stores the entry's next fire time" "0:1773144000" \
	"$rc:$(db "SELECT next_fire FROM entries")"
run_stau -C "$P" tick --now 2026-03-10T12:00:00Z
check "and the entry fires when it is due" "0:2026-03-10T12:00:00+00:00" "$rc:$(cat "$P/fired")"

done_testing
