#!/bin/sh
# settings.state_dir is the project's own database kept in another directory: a --now ahead
# of the clock is refused on it as on .stau/, `stau crontab` leaves it to the tick to read (no
# --state in the line), and a --state directory names its project before anything is opened.
. "$(dirname "$0")/lib.sh"

mkproject p
job a.sh '#!/bin/sh
# ---
# ---
echo ran'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  state_dir: st
schedule:
  - {id: e, job: a, cron: "* * * * *"}
YAML

run_stau -C "$P" tick --now 2099-01-01T00:00:00Z
case "$rc|$err" in
"2|stau: --now is "*" ahead of the clock"*) ok "a future --now is refused on settings.state_dir" ;;
*) not_ok "a future --now is refused on settings.state_dir" "$rc|$err" ;;
esac
check "and nothing was recorded" "" \
	"$([ -e "$P/st/stau.db" ] && sqlite3 "$P/st/stau.db" "SELECT id FROM runs")"
run_stau -C "$P" prune --older-than 1d --now 2099-01-01T00:00:00Z
check "prune refuses it too" "2" "$rc"
run_stau -C "$P" --state "$TMP/scratch" tick --now 2099-01-01T00:00:00Z
check "--state elsewhere still allows it" "0" "$rc"
out=$(STAU_STATE="$TMP/scratch2" "$STAU" -C "$P" tick --now 2099-01-01T00:00:00Z 2>&1)
check "and STAU_STATE" "0|" "$?|$out"

run_stau -C "$P" crontab
case $out in
*" -C $P tick") ok "crontab leaves settings.state_dir to the tick: no --state in the line" ;;
*) not_ok "crontab leaves settings.state_dir to the tick: no --state in the line" "$out" ;;
esac
run_stau -C "$P" --state "$TMP/scratch" crontab
case $out in
*" -C $P --state $TMP/scratch tick") ok "--state still goes into the line" ;;
*) not_ok "--state still goes into the line" "$out" ;;
esac

# DIR/project names the project whose database DIR holds: another project is refused before
# anything of the database is opened, and two projects that start on a new DIR at once
# cannot both have it
mkdir "$TMP/taken"
echo "/elsewhere/q" >"$TMP/taken/project"
run_stau -C "$P" --state "$TMP/taken" run a
check "a project refused on a directory that names another" "3" "$rc"
check "and no database was made there" "project" "$(ls "$TMP/taken")"
mkproject q
cp -r "$TMP/p/jobs" "$P/"
both=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	"$STAU" -C "$TMP/p" --state "$TMP/race$i" run a >/dev/null 2>&1 &
	"$STAU" -C "$TMP/q" --state "$TMP/race$i" run a >/dev/null 2>&1 &
	r1=0 r2=0
	wait %1 || r1=$?
	wait %2 || r2=$?
	[ "$r1$r2" = 00 ] && both="$both $i"
done
check "two projects starting on one new --state at once: never both accepted" "" "$both"

done_testing
