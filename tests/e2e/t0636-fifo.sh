#!/bin/sh
# A schedule.yaml that is a FIFO (or any file that is not a regular file) is refused with a
# message, never read: reading a FIFO would block every tick behind it.
. "$(dirname "$0")/lib.sh"

mkproject fifo
rm "$P/schedule.yaml"
mkfifo "$P/schedule.yaml"
job a.sh '#!/bin/sh
echo ran >>"$STAU_DIR/ran"'
for cmd in check "tick --now 2026-03-02T10:00:00Z"; do
	timeout 20 "$STAU" -C "$P" $cmd >"$TMP/out" 2>"$TMP/err"
	rc=$?
	case $rc in 124) not_ok "${cmd%% *} does not block on a FIFO" "killed after 20 s" ;;
	*) ok "${cmd%% *} does not block on a FIFO" ;; esac
	case $(cat "$TMP/out" "$TMP/err") in
	*"schedule.yaml: cannot read: not a regular file"*) ok "${cmd%% *} says schedule.yaml is no file" ;;
	*) not_ok "${cmd%% *} says schedule.yaml is no file" "$(cat "$TMP/out" "$TMP/err")" ;;
	esac
done
check "nothing ran" "" "$(cat "$P/ran" 2>/dev/null)"
done_testing
