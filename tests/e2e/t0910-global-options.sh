#!/bin/sh
# Global options (-C DIR, -q, -v, --no-color, --version) are taken before the command or
# among its words, up to a "--"; the value of a command's own option is never taken for one.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-02T10:00:00Z

mkproject globals
job hello.sh '#!/bin/sh
# ---
# description: says hello
# ---
echo hello'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: hourly
    job: hello
    cron: "0 * * * *"
YAML
cd "$TMP" || exit 1

# -C after the command, in both forms
run_stau tick --now "$NOW" -C "$P"
check "tick -C DIR after the command: exit 0, quiet" "0||" "$rc|$out|$err"
run_stau show 1 -C "$P"
check "show RUN -C DIR" "0|run 1 of hello: DONE" "$rc|$(printf '%s\n' "$out" | head -n 1)"
run_stau logs "-C$P" 1
check "logs -CDIR RUN" "0|1" "$rc|$(printf '%s\n' "$out" | grep -cx hello)"

# -v and -q after the command
run_stau tick --now 2026-03-02T11:00:00Z -C "$P" -v
check "tick -v after the command shows progress" "0|stau: hello run 2 chunk 1/1 started \
(attempt 1)" "$rc|$(printf '%s\n' "$err" | head -n 1)"
run_stau tick -q -C "$P" --now 2026-03-02T12:00:00Z
check "tick -q after the command: quiet" "0||" "$rc|$out|$err"
run_stau -C "$P" run hello --now "$NOW"
check "run prints its progress" "0|3" "$rc|$(printf '%s\n' "$out" | wc -l)"
run_stau -C "$P" run hello -q --now "$NOW"
check "run JOB -q prints nothing" "0||" "$rc|$out|$err"
run_stau run hello -C "$P" -v --now "$NOW"
check "run JOB -v after the command" "0|hello run 6 done" \
	"$rc|$(printf '%s\n' "$out" | tail -n 1 | cut -d: -f1)"
run_stau -v run hello -C "$P" -qv --now "$NOW"
check "-qv after the command: -q, then -v, as before it" "0|3" \
	"$rc|$(printf '%s\n' "$out" | wc -l)"

# --no-color after the command, in a terminal
if script -qec "true" /dev/null >/dev/null 2>&1; then
	esc=$(printf '\033')
	colored=$(env -u NO_COLOR script -qec "'$STAU' -C '$P' status --now $NOW" /dev/null |
		grep -c "$esc")
	plain=$(env -u NO_COLOR script -qec "'$STAU' status --no-color -C '$P' --now $NOW" \
		/dev/null | grep -c "$esc")
	check "status --no-color in a terminal: no colour" "yes|0" \
		"$([ "$colored" -gt 0 ] && echo yes || echo no)|$plain"
else
	ok "# SKIP script(1) cannot give stau a terminal here"
fi
run_stau status --no-color -C "$P" --now "$NOW"
status_after=$out
run_stau --no-color -C "$P" status --now "$NOW"
check "status --no-color prints what stau --no-color status prints" "0|$status_after" \
	"$rc|$out"

# --version after the command
run_stau status --version
check "status --version prints the version" "0|stau " "$rc|$(printf '%s' "$out" | cut -c1-5)"

# values and "--" are left to the command
run_stau -C "$P" run hello --kw -v
check "the value of --kw is not taken for -v" "2|stau: --kw: '-v' is not KEY=VALUE" \
	"$rc|$(printf '%s\n' "$err" | head -n 1)"
run_stau -C "$P" status -- -q
check "after '--', -q is the command's argument" "2|stau: unknown job '-q'; 'stau status' \
lists the jobs" "$rc|$(printf '%s\n' "$err" | head -n 1)"
run_stau status -C
check "-C without a value" "2|stau: option '-C' needs a value
see 'stau status --help'" "$rc|$err"
run_stau tick -C "$TMP/nowhere"
check "-C of no directory after the command" "2|stau: cannot use '$TMP/nowhere' (from -C) as \
the project directory: No such file or directory" "$rc|$err"

# --state DIR and STAU_STATE: the database elsewhere, the logs still in the project
mkproject elsewhere
job a.sh '#!/bin/sh
# ---
# ---
echo ran'
run_stau -C "$P" run a --state "$TMP/db"
check "run --state: the database in DIR, nothing of it in .stau/" "0|lock project stau.db|logs work" \
	"$rc|$(ls "$TMP/db" | grep -v -- '-wal\|-shm' | tr '\n' ' ' | sed 's/ $//')|\
$(ls "$P/.stau" | tr '\n' ' ' | sed 's/ $//')"
check "the database is private" "700 600" "$(stat -c %a "$TMP/db") $(stat -c %a "$TMP/db/stau.db")"
out=$(cd "$TMP" && STAU_STATE=db "$STAU" -C "$P" status | awk '$1 == "a" {print $2, $3}')
check "STAU_STATE, relative to where stau starts, reads the same database" "#1 DONE" "$out"
run_stau --state "$TMP/db" -C "$P" show 1
check "--state before the command" "0" "$rc"
run_stau -C "$P" show 1
check "without it, the project's own database has no such run" "2|stau: no run 1; 'stau status \
JOB' lists runs" "$rc|$err"

run_stau -C "$P" --state "$TMP/db" crontab
case $out in
*" -C $P --state $TMP/db tick") ok "crontab keeps --state: cron's environment has no STAU_STATE" ;;
*) not_ok "crontab keeps --state: cron's environment has no STAU_STATE" "$out" ;;
esac
out=$(cd "$TMP" && STAU_STATE=db "$STAU" -C "$P" crontab 2>/dev/null)
case $out in
*" -C $P --state $TMP/db tick") ok "crontab turns STAU_STATE into an absolute --state" ;;
*) not_ok "crontab turns STAU_STATE into an absolute --state" "$out" ;;
esac

mkdir "$TMP/other"
cp -r "$P/jobs" "$TMP/other/"
run_stau -C "$TMP/other" --state "$TMP/db" run a
check "another project refused on a database that is not its own" "3|stau: '$TMP/db' holds \
the database of the project $P, not of $TMP/other: give each project its own --state \
directory (if the project moved, write its new path in $TMP/db/project)" "$rc|$err"
check "the first project's database kept its runs" "#1 DONE" \
	"$("$STAU" -C "$P" --state "$TMP/db" status | awk '$1 == "a" {print $2, $3}')"

# a replay on a scratch state (--state) never touches the real runs' logs: its run 1 is not
# the project's run 1, and pruning it removes only its own logs
mkproject replay
job r.sh '#!/bin/sh
# ---
# ---
echo "real or replay: $STAU_RUN_ID $1"'
run_stau -C "$P" run r
real=$(cat "$P/.stau/logs/r/1-1-1.log")
run_stau -C "$P" --state "$TMP/scratch" run r --now 2026-01-01T00:00:00Z
check "the replay's run 1 ran" "0" "$rc"
check "the real run 1's log is untouched" "$real" "$(cat "$P/.stau/logs/r/1-1-1.log")"
run_stau -C "$P" --state "$TMP/scratch" logs 1
check "logs of the replay's run 1 are its own" "0|1" "$rc|$(printf '%s\n' "$out" | grep -c 'stau: r run 1')"
run_stau -C "$P" --state "$TMP/scratch" prune --older-than 0s --now 2026-01-02T00:00:00Z
check "pruning the replay keeps the real log" "0|$real" "$rc|$(cat "$P/.stau/logs/r/1-1-1.log")"

done_testing
