#!/bin/sh
# stau run of a job with no work IDs: the run is canceled with "no work" and nothing runs, but
# nothing failed either, so stau run says so on stdout and exits 0; a run that a person
# cancels still exits 1.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z

# Jobs append their name to $STAU_DIR/ran, so what ran can be checked.
mkproject nowork
job dep.sh '#!/bin/sh
# ---
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'
job none.sh '#!/bin/sh
# ---
# select_work: "true"
# dependencies:
#   - job_type: dep
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'
python3 -c 'import sqlite3; c = sqlite3.connect("'"$P"'/units.db"); c.executescript("CREATE TABLE u (id INTEGER, on_ INTEGER); INSERT INTO u VALUES (7,0);"); c.commit()'
job fromdb.sh '#!/bin/sh
# ---
# select_work:
#   sqlite: units.db
#   query: SELECT id FROM u WHERE on_ = 1
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'

run_stau -C "$P" run none --now "$NOW"
check "a select_work that prints nothing: exit 0" 0 "$rc"
check "it says the run was canceled for no work, and why" \
	"none run 1 canceled: no work (select_work gave no IDs)" "$out"
check "nothing on stderr" "" "$err"
check "neither the job nor its dependency ran" "no" \
	"$([ -e "$P/ran" ] && echo yes || echo no)"
run_stau -C "$P" show 1
check "the run is recorded CANCELED with the message 'no work'" "run 1 of none: CANCELED
message:   no work" "$(echo "$out" | sed -n '1p; /^message:/p')"

run_stau -C "$P" run fromdb --now "$NOW"
check "a select_work query with no rows: exit 0 and the same line" \
	"0 fromdb run 2 canceled: no work (select_work gave no IDs)" "$rc $out$err"

: >"$TMP/empty"
run_stau -C "$P" run none --ids-file "$TMP/empty" --now "$NOW"
check "an empty --ids-file: exit 0, and the line says no IDs were given" \
	"0 none run 3 canceled: no work (no IDs given)" "$rc $out$err"

run_stau -q -C "$P" run none --now "$NOW"
check "-q: exit 0 and nothing said" "0 " "$rc $out$err"

# A run that a person cancels is not "no work": the job cancels its own run (from its own
# session, so that the SIGTERM sent to the job's process group spares the cancel).
mkproject canceled
job self.sh "#!/bin/sh
# ---
# ---
setsid '$STAU' -C \"\$STAU_DIR\" cancel \"\$STAU_RUN_ID\" >/dev/null
exit 7"
run_stau -C "$P" run self --now "$NOW"
check "a run canceled by a person: exit 1" 1 "$rc"
check "and the reason on stderr" "stau: self run 1 canceled: canceled by user" \
	"$(echo "$err" | tail -n 1)"
check "stdout ends with the killed chunk, not a 'no work' line" \
	"failed self 1/1: killed by signal TERM" "$(echo "$out" | tail -n 1 | sed 's/ after .*//')"

done_testing
