#!/bin/sh
# t0230-kill9.sh - the stau that submitted Slurm chunks is killed with SIGKILL: its chunks
# run on in Slurm, and later ticks record them (never "runner lost") and submit their
# dependents: every chunk recorded once, none run twice.
. "$(dirname "$0")/lib.sh"

mkproject kill9
recorder job_b.sh '# chunk_size: 2'
recorder job_a.sh '# chunk_size: 2
# dependencies:
#   - job_type: job_b'
cat >"$P/schedule.yaml" <<'YAML'
settings:
  max_parallel: 4
YAML

SLEEP=4 "$STAU" -C "$P" run job_a --ids 1-6 >"$TMP/run.out" 2>&1 &
runner=$!
i=0
until [ "$(sqlite3 "$P/.stau/stau.db" "SELECT count(*) FROM chunk_slurm WHERE job_id > 0" \
	2>/dev/null)" = 3 ] || [ "$i" -gt 300 ]; do
	i=$((i + 1))
	sleep 0.1
done
kill -9 "$runner"
wait "$runner" 2>/dev/null
check "the first three chunks were submitted when stau was killed" "3" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT count(*) FROM chunk_slurm WHERE job_id > 0")"
check "they run on in Slurm" "3" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT job_id FROM chunk_slurm" | while read -r id; do
		active "$id" && echo "$id"; done | wc -l)"

run_stau -C "$P" status
check "status does not call them lost: Slurm runs them" "0|" \
	"$rc|$(printf '%s\n' "$out" | grep -i 'lost')"
ticks=0 lost=no
until [ "$(run_state 1)" = DONE ] || [ "$ticks" -ge 60 ]; do
	ticks=$((ticks + 1))
	SLEEP=0 "$STAU" -C "$P" tick >>"$TMP/ticks.out" 2>&1 || true
	sleep 1
done
check "ticks bring the run to DONE" "DONE" "$(run_state 1)"
check "no chunk was 'runner lost'" "" "$(grep -i 'lost' "$TMP/ticks.out")"
check "every chunk ran once, in its first attempt" "1 1
2 1
3 1
4 1
5 1
6 1" "$(awk '{print $2, $4}' "$P/record" | sort -n)"
check "recorded DONE, attempt 1 each" "DONE|1|6" \
	"$(sqlite3 "$P/.stau/stau.db" "SELECT state, max(attempt), count(*) FROM chunks GROUP BY state")"
check "six Slurm jobs, one per chunk" "6" "$(awk '{print $3}' "$P/record" | sort -u | wc -l)"
check "the dependents were submitted by the ticks" "yes" \
	"$(grep -q 'job_a' "$TMP/run.out" && echo "no: $(cat "$TMP/run.out")" || echo yes)"

done_testing
