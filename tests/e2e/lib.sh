# lib.sh - helpers for end-to-end tests of the real stau binary, sourced by each tNNNN-*.sh.
#
# Each test script runs in its own temporary directory ($TMP), builds projects there with
# `mkproject`, drives "$STAU", and reports TAP lines through `ok`/`not_ok`/`check`. On a
# failure the project tree and logs are printed to help whoever reads the CI output.
set -u
: "${STAU:?STAU must name the stau binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stau-e2e.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
export NO_COLOR=1 TZ=UTC
unset STAU_DIR
T_N=0
T_FAILED=0

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
not_ok() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1"
	shift; [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
	return 0
}

# check NAME EXPECTED ACTUAL: compare two strings, showing both on a difference.
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "expected:" "$2" "actual:" "$3"
		[ -n "${P:-}" ] && [ -d "$P" ] && dump_project "$P"
	fi
}

# run_stau ARGS...: runs stau, setting $out (stdout), $err (stderr) and $rc.
run_stau() {
	"$STAU" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# mkproject NAME: a new empty project directory with jobs/ and an empty schedule.yaml; sets $P.
mkproject() {
	P="$TMP/$1"
	mkdir -p "$P/jobs"
	: >"$P/schedule.yaml"
}

# job NAME CONTENT: writes jobs/NAME (mode 0755) in project $P.
job() {
	printf '%s\n' "$2" >"$P/jobs/$1"
	chmod 0755 "$P/jobs/$1"
}

dump_project() {
	echo "# --- project $1"
	(cd "$1" && find . -type f -not -path './.stau/stau.db*' | sort | while read -r f; do
		echo "# == $f"; sed 's/^/#    /' "$f" | head -n 40; done)
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

# The schema version this stau writes (state.h), for the migration tests.
SCHEMA_VERSION=7

# back_to_v3 DB: makes a database of this stau look as version 3 wrote it, dropping what
# versions 4 to 7 added (Slurm chunks, the file hash of an attempt, the code of a run, the
# entries' next fire times), so that a test can watch it migrate.
back_to_v3() {
	sqlite3 "$1" "DROP TRIGGER chunk_slurm_gone; DROP TABLE chunk_slurm;
		ALTER TABLE chunks DROP COLUMN file_hash;
		DROP TRIGGER run_code_deleted; DROP TABLE run_code;
		ALTER TABLE fresh DROP COLUMN code; ALTER TABLE job_types DROP COLUMN last_code;
		DROP INDEX entries_next_fire; ALTER TABLE entries DROP COLUMN next_fire;
		PRAGMA user_version = 3"
}
