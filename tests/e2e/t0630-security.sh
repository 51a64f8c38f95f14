#!/bin/sh
# Security (docs/design.md, "Security"): stau never starts a file outside jobs/, refuses job files and
# schedule.yaml that other users can write, takes no hostile file name for a job, passes
# kwargs and IDs to jobs without a shell, opens select_work databases read-only, and keeps
# .stau/ private whatever the umask.
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:00:00Z
HDR='#!/bin/sh
# ---
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'

# --- a symbolic link leaving jobs/
mkproject links
printf '%s\n' "$HDR" >"$TMP/outside.sh"
chmod 0755 "$TMP/outside.sh"
ln -s "$TMP/outside.sh" "$P/jobs/evil.sh"
ln -s ../../outside.sh "$P/jobs/evil2.sh"
job good.sh "$HDR"
ln -s good.sh "$P/jobs/alias.sh"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: evil
    job: evil
    cron: "0 12 * * *"
YAML
run_stau -C "$P" check
check "check names each link that leaves jobs/" "2|jobs/evil.sh: symbolic link leads \
outside jobs/; stau only runs files in jobs/
jobs/evil2.sh: symbolic link leads outside jobs/; stau only runs files in jobs/
2 problems" "$rc|$out"
run_stau -C "$P" tick --now "$NOW"
check "a tick reports the links and disables the entry of the broken job" "0|stau: \
jobs/evil.sh: symbolic link leads outside jobs/; stau only runs files in jobs/
stau: jobs/evil2.sh: symbolic link leads outside jobs/; stau only runs files in jobs/||0" \
"$rc|$err|$(cat "$P/ran" 2>/dev/null)|$(sqlite3 "$P/.stau/stau.db" "SELECT count(*) FROM runs")"
run_stau -C "$P" run evil2
check "stau run refuses it too" "1|stau: evil2 run 1 failed: job 'evil2' is broken: symbolic \
link leads outside jobs/; stau only runs files in jobs/" "$rc|$err"
run_stau -C "$P" run alias
check "a link that stays inside jobs/ runs" "0|alias" "$rc|$(cat "$P/ran")"

# --- files other users can write
mkproject perms
job w.sh "$HDR"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: w
    job: w
    cron: "0 12 * * *"
YAML
chmod g+w "$P/jobs/w.sh"
run_stau -C "$P" check
check "a group-writable job file is refused with the fix" "2|jobs/w.sh: writable by group or \
others; run 'chmod go-w jobs/w.sh'
1 problem" "$rc|$out"
run_stau -C "$P" tick --now "$NOW"
check "a tick does not run it" "0|stau: jobs/w.sh: writable by group or others; run 'chmod \
go-w jobs/w.sh'|" "$rc|$err|$(cat "$P/ran" 2>/dev/null)"
chmod go-w "$P/jobs/w.sh"
chown nobody "$P/jobs/w.sh" 2>/dev/null && [ "$(id -u)" = 0 ] && {
	run_stau -C "$P" check
	check "a job file owned by another user is refused with the fix" "2|jobs/w.sh: owned by \
another user (uid $(id -u nobody)), who can change it; run 'chown $(id -un) jobs/w.sh'
1 problem" "$rc|$out"
	chown "$(id -u)" "$P/jobs/w.sh"
}
chmod o+w "$P/schedule.yaml"
run_stau -C "$P" check
check "a world-writable schedule.yaml is refused with the fix" "2|schedule.yaml: writable by \
group or others; run 'chmod go-w schedule.yaml'
1 problem" "$rc|$out"
run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
check "a tick reports it and schedules nothing from it" "0|stau: schedule.yaml: writable by \
group or others; run 'chmod go-w schedule.yaml'|" "$rc|$err|$(cat "$P/ran" 2>/dev/null)"
chmod go-w "$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-05-06T12:00:00Z
check "fixed, it runs again" "0|w" "$rc|$(cat "$P/ran")"

# --- hostile file names in jobs/
mkproject names
for n in 'a;rm -rf x.sh' 'with space.sh' '-rf.sh' '$(touch pwned).sh'; do
	job "$n" "$HDR"
done
run_stau -C "$P" check
check "hostile names are not job types, each reported" "2|\
jobs/\$(touch pwned).sh: '\$(touch pwned)' is not a valid job type: use letters, digits, \
'_', '.' and '-', starting with a letter, digit or '_'
jobs/-rf.sh: '-rf' is not a valid job type: use letters, digits, '_', '.' and '-', \
starting with a letter, digit or '_'
jobs/a;rm -rf x.sh: 'a;rm -rf x' is not a valid job type: use letters, digits, '_', '.' \
and '-', starting with a letter, digit or '_'
jobs/with space.sh: 'with space' is not a valid job type: use letters, digits, '_', '.' \
and '-', starting with a letter, digit or '_'
4 problems" "$rc|$out"
run_stau -C "$P" run -- -rf
check "stau run cannot start one" "2|stau: unknown job '-rf': no file in jobs/ has that \
job type; see 'stau status'" "$rc|$err"
run_stau -C "$P" run 'a;rm -rf x'
check "nor one with a shell command in its name" "2|stau: unknown job 'a;rm -rf x': no \
file in jobs/ has that job type; see 'stau status'" "$rc|$err"
check "nothing ran and no shell saw the names" "" "$(ls "$P" | grep -v '^jobs$\|^schedule')"

# --- kwargs and IDs reach the job verbatim
mkproject verbatim
job show.sh '#!/bin/sh
# ---
# command: ["/bin/sh", "{file}", "$(touch pwned)", ";", "x"]
# ---
printf "%s|" "$@" >"$STAU_DIR/seen"
printf "%s|%s\n" "$STAU_KWARGS" "$STAU_WORK_IDS" >>"$STAU_DIR/seen"'
kw='msg=$(touch pwned); `touch pwned2` "q" '"'s'"' & | > x *'
run_stau -C "$P" run show --kw "$kw" --ids 3,1 --kw 'k;ls=$HOME'
check "kwargs, IDs and command arguments reach the job as they were written" \
	"0|\$(touch pwned)|;|x|{\"msg\":\"\$(touch pwned); \`touch pwned2\` \
\\\"q\\\" 's' & | > x *\",\"k;ls\":\"\$HOME\"}|1,3" "$rc|$(cat "$P/seen")"
check "no shell ran them" "jobs schedule.yaml seen" "$(ls "$P" | tr '\n' ' ' | sed 's/ $//')"
run_stau -C "$P" run show --ids '1;touch pwned'
check "IDs are integers: anything else is refused" "2|stau: --ids column 1: '1;touch' is \
not an integer or a range like 1-100
see 'stau run --help'" "$rc|$err"

# --- select_work databases are opened read-only
mkproject readonly
mkdir "$P/data"
sqlite3 "$P/data/u.db" "CREATE TABLE u (id INTEGER); INSERT INTO u VALUES (1), (2);"
sum=$(cksum <"$P/data/u.db")
for q in 'DELETE FROM u RETURNING id' 'INSERT INTO u VALUES (9) RETURNING id' \
	'PRAGMA user_version = 5'; do
	job sel.sh "#!/bin/sh
# ---
# select_work:
#   sqlite: data/u.db
#   query: $q
# ---
echo ran >>\"\$STAU_DIR/ran\""
	run_stau -C "$P" run sel
	check "a select_work query that writes fails: $q" "1|stau: sel run \
$(sqlite3 "$P/.stau/stau.db" "SELECT max(id) FROM runs") failed: select_work query would \
change the database: it may only read, as in 'SELECT id FROM ...'" "$rc|$err"
done
check "the database is unchanged and the job never ran" "$sum|2|0|no" \
	"$(cksum <"$P/data/u.db")|$(sqlite3 "$P/data/u.db" "SELECT count(*) FROM u")|\
$(sqlite3 "$P/data/u.db" "PRAGMA user_version")|$([ -e "$P/ran" ] && echo yes || echo no)"
check "no journal or WAL was created beside it" "u.db" "$(ls "$P/data")"

# --- .stau/ is private whatever the umask
mkproject umask
job j.sh "$HDR"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: j
    job: j
    cron: "0 12 * * *"
YAML
(umask 000 && "$STAU" -C "$P" run j >/dev/null && "$STAU" -C "$P" tick --now "$NOW")
check "under umask 000: .stau/ and its directories 0700, the database, lock and logs 0600" \
	"700 .stau
600 .stau/lock
700 .stau/logs
700 .stau/logs/j
600 .stau/logs/j/1-1-1.log
600 .stau/logs/j/2-2-1.log
600 .stau/stau.db
600 .stau/stau.db-shm
600 .stau/stau.db-wal
700 .stau/work" "$(cd "$P" && find .stau -printf '%m %p\n' | LC_ALL=C sort -k2)"
chmod 777 "$P/.stau"
run_stau -C "$P" status
check "a .stau/ opened to others is made private again" "0|700" \
	"$rc|$(stat -c %a "$P/.stau")"

done_testing
