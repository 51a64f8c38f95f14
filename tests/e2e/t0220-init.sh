#!/bin/sh
# stau init: scaffolds a valid project, never overwrites, prints the crontab line.
. "$(dirname "$0")/lib.sh"

run_stau init "$TMP/new"
check "init exits 0" 0 "$rc"
case $out in *"created schedule.yaml"*"created jobs/hello.py"*"* * * * * "*" -C $TMP/new tick"*) ok "init says what it made and the crontab line";;
	*) not_ok "init says what it made and the crontab line" "$out";; esac
run_stau -C "$TMP/new" check
check "the new project validates" "ok: 1 job, 1 schedule entry" "$out"
check "its files are not writable by others" "-rw-r--r-- -rwxr-xr-x" \
	"$(ls -l "$TMP/new/schedule.yaml" | cut -c1-10) $(ls -l "$TMP/new/jobs/hello.py" | cut -c1-10)"

echo "# edited" >>"$TMP/new/schedule.yaml"
run_stau init "$TMP/new"
check "a second init keeps existing files" "kept existing schedule.yaml" "$(printf '%s\n' "$out" | head -n 1)"
check "and their content" "# edited" "$(tail -n 1 "$TMP/new/schedule.yaml")"
done_testing
