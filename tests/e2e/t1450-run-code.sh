#!/bin/sh
# A run records the code it ran: the content hash of each job file (`stau show` prints it,
# --json too) and, in a git repository, the commit with "-dirty" when tracked files differ.
# A version 3 database is migrated to the current version by the first command that
# opens it, keeping everything recorded.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z
db() { sqlite3 "$P/.stau/stau.db" "$1"; }
mkproject code
job b.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
exit 0'
job a.sh '#!/bin/sh
# ---
# dependencies:
#   - {job_type: b, max_lag: 0}
# ---
exit 0'
hash_of() { python3 -c 'import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 1099511628211) % (1 << 64)
print("fnv1a64:%016x" % h)' "$1"; }
run_stau -C "$P" run a --ids 1-4 --now "$NOW"
check "the run ran" "0" "$rc"
run_stau -C "$P" show 1
check "show prints the hash of each job file it ran" "code:      a $(hash_of "$P/jobs/a.sh")
           b $(hash_of "$P/jobs/b.sh")" "$(printf '%s\n' "$out" | grep -A1 '^code:')"
run_stau -C "$P" show 1 --json
check "and --json" "{'a': '$(hash_of "$P/jobs/a.sh")', 'b': '$(hash_of "$P/jobs/b.sh")'}" \
	"$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"

if command -v git >/dev/null 2>&1; then
	(cd "$P" && git init -q && git add jobs && git -c user.name=t -c user.email=t@example.org \
		commit -q -m init)
	commit=$(cd "$P" && git rev-parse HEAD)
	run_stau -C "$P" run a --ids 1-4 --now "$NOW"
	run_stau -C "$P" show 2
	check "in a clean work tree: the commit" "git:       $commit" \
		"$(printf '%s\n' "$out" | grep '^git:')"
	echo '# changed' >>"$P/jobs/b.sh"
	run_stau -C "$P" run a --ids 1-4 --now "$NOW"
	run_stau -C "$P" show 3
	check "with a tracked file changed: the commit, dirty" "git:       $commit-dirty" \
		"$(printf '%s\n' "$out" | grep '^git:')"
	check "and the new hash of the changed file" "           b $(hash_of "$P/jobs/b.sh")" \
		"$(printf '%s\n' "$out" | grep '^           b ')"
fi

# --- a version 3 database
before=$(db "SELECT id, job, state, ids FROM chunks ORDER BY id")
back_to_v3 "$P/.stau/stau.db"
run_stau -C "$P" status
check "a version 3 database is migrated, every chunk kept" "0|$SCHEMA_VERSION|$before" \
	"$rc|$(db "PRAGMA user_version")|$(db "SELECT id, job, state, ids FROM chunks ORDER BY id")"
run_stau -C "$P" run a --ids 1-4 --now "$NOW"
check "and runs record their code again" "2" \
	"$(db "SELECT count(*) FROM run_code WHERE run = (SELECT max(id) FROM runs)")"

done_testing
