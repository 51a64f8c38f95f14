#!/bin/sh
# stau init: scaffolds a valid project, prints the crontab line, and refuses a directory that
# is a project already; stau crontab prints the same line and changes nothing.
. "$(dirname "$0")/lib.sh"

run_stau init "$TMP/new"
check "init exits 0" 0 "$rc"
case $out in *"created schedule.yaml"*"created jobs/hello.py"*"* * * * * /"*" -C $TMP/new tick"*) ok "init says what it made and the crontab line";;
	*) not_ok "init says what it made and the crontab line" "$out";; esac
line=$(printf '%s\n' "$out" | grep '^\* \* \* \* \* ')
run_stau -C "$TMP/new" check
check "the new project validates" "ok: 1 job, 1 schedule entry" "$out"
check "its files are not writable by others" "-rw-r--r-- -rwxr-xr-x" \
	"$(ls -l "$TMP/new/schedule.yaml" | cut -c1-10) $(ls -l "$TMP/new/jobs/hello.py" | cut -c1-10)"

# init's line and crontab's are the same line
run_stau -C "$TMP/new" crontab
check "crontab exits 0" 0 "$rc"
check "crontab prints init's line" "$line" "$out"
check "crontab prints the line alone on stdout" 1 "$(printf '%s\n' "$out" | wc -l)"
case $out in "* * * * * /"*"stau -C $TMP/new tick") ok "the line names this stau by its path, and the project";;
	*) not_ok "the line names this stau by its path, and the project" "$out";; esac
before=$(cd "$TMP/new" && find . | sort)
(cd "$TMP/new" && "$STAU" crontab >/dev/null 2>&1)
check "crontab changes nothing (not even a database)" "$before" "$(cd "$TMP/new" && find . | sort)"

# a PATH whose python3 is not cron's gets a note on stderr, not in the line
mkdir "$TMP/venv"
printf '#!/bin/sh\n' >"$TMP/venv/python3"
chmod 755 "$TMP/venv/python3"
out=$(cd "$TMP/new" && PATH="$TMP/venv:$PATH" "$STAU" crontab 2>"$TMP/note")
check "with another python3 first in PATH the line is the same" "$line" "$out"
case $(cat "$TMP/note") in "stau: note: your PATH finds python3 as $TMP/venv/python3, but cron's PATH (/usr/bin:/bin) finds "*"set 'python: $TMP/venv/python3' in the settings of schedule.yaml")
	ok "and a note says which python3 cron would run" ;;
	*) not_ok "and a note says which python3 cron would run" "$(cat "$TMP/note")" ;; esac
echo "settings:
  python: $TMP/venv/python3" >"$TMP/new/schedule.yaml"
out=$(cd "$TMP/new" && PATH="$TMP/venv:$PATH" "$STAU" crontab 2>&1 >/dev/null)
check "no note once settings.python names the interpreter" "" "$out"

mkdir "$TMP/odd dir%"
run_stau init "$TMP/odd dir%"
case $out in *"* * * * * /"*" -C '$TMP/odd dir\\%' tick"*) ok "a path with a space and a % is quoted for the shell and for cron";;
	*) not_ok "a path with a space and a % is quoted for the shell and for cron" "$out";; esac

# a project already: nothing is written
echo "# edited" >>"$TMP/new/schedule.yaml"
rm "$TMP/new/jobs/hello.py"
run_stau init "$TMP/new"
check "init of a project exits 2" 2 "$rc"
check "and says why and what to use instead" "stau: '$TMP/new' is a stau project already (it has schedule.yaml and jobs/): init creates nothing in it; 'stau -C $TMP/new crontab' prints its crontab line" "$err"
check "a deleted example job is not made again" "no" "$([ -e "$TMP/new/jobs/hello.py" ] && echo yes || echo no)"
check "schedule.yaml is left as it was" "# edited" "$(tail -n 1 "$TMP/new/schedule.yaml")"
mkdir -p "$TMP/half/jobs"
run_stau init "$TMP/half"
check "jobs/ alone makes a project too" "2|stau: '$TMP/half' is a stau project already (it has jobs/): init creates nothing in it; 'stau -C $TMP/half crontab' prints its crontab line" "$rc|$err"
check "and nothing is added to it" "jobs" "$(ls "$TMP/half")"
mkdir "$TMP/other"
echo x >"$TMP/other/notes.txt"
run_stau init "$TMP/other"
check "a directory with other files is no project: init fills it" "0 jobs notes.txt schedule.yaml" "$rc $(ls "$TMP/other" | tr '\n' ' ' | sed 's/ $//')"

run_stau -C "$TMP/odd dir%/jobs" crontab
check "crontab outside a project: exit 2" 2 "$rc"
done_testing
