#!/bin/sh
# Ctrl-C (SIGINT) or SIGTERM while `stau run` waits out a retry_delay ends the wait at once:
# stau exits 1 (the run did not succeed), the run is recorded canceled as "interrupted", and the retry never starts.
. "$(dirname "$0")/lib.sh"

for sig in INT TERM; do
	mkproject "wait-$sig"
	job flaky.sh '#!/bin/sh
# ---
# retries: 2
# retry_delay: 1h
# ---
echo "attempt $STAU_ATTEMPT" >>"$STAU_DIR/attempts"
exit 1'
	"$STAU" -C "$P" run flaky --ids 1 --now 2026-03-02T10:00:00Z >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# bounded wait for the first attempt to be recorded as failed (stau then sleeps)
	i=0
	until grep -q "^retry flaky" "$TMP/out"; do
		i=$((i + 1))
		[ $i -lt 300 ] || break
		sleep 0.1
	done
	kill -s "$sig" "$pid"
	# a stau that ignored the signal would sleep for an hour: give it 20 s, then end it
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		not_ok "SIG$sig ends the retry wait" "stau still sleeping after 20 s"
	else
		ok "SIG$sig ends the retry wait"
	fi
	wait "$pid"
	rc=$?
	check "SIG$sig: stau exits 1" 1 "$rc"
	check "SIG$sig: stau said it was interrupted" "stau: flaky run 1 canceled: interrupted" "$(cat "$TMP/err")"
	check "SIG$sig: the retry never started" "attempt 1" "$(cat "$P/attempts")"
	run_stau -C "$P" status flaky --json
	case $out in
	*'"interrupted"'*) ok "SIG$sig: the run is recorded as interrupted" ;;
	*) not_ok "SIG$sig: the run is recorded as interrupted" "$out" ;;
	esac
done
done_testing
