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

done_testing
