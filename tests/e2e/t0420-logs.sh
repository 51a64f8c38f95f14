#!/bin/sh
# stau logs: every chunk's log under a tail-like header, one chunk by id or JOB:I, missing files.
. "$(dirname "$0")/lib.sh"

mkproject lg
job pipeline.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: extract
# ---'
job extract.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "extract $STAU_WORK_IDS attempt $STAU_ATTEMPT"
case ",$STAU_WORK_IDS," in *,3,*) echo "cannot handle 3" >&2; exit 4;; esac'

run_stau -C "$P" logs 1
check "logs before any run exits 2" 2 "$rc"
check "logs before any run says so" "stau: no run 1; 'stau status JOB' lists runs" "$err"

run_stau -C "$P" run pipeline --ids 1-4
check "the run fails on ID 3" 1 "$rc"
ids=$(cd "$P/.stau/logs/extract" 2>/dev/null && ls | sed -n 's/^1-\([0-9]*\)-1\.log$/\1/p' | sort -n)
first=$(printf '%s\n' "$ids" | head -n 1)
second=$(printf '%s\n' "$ids" | sed -n 2p)
check "one log per extract chunk" 2 "$(printf '%s\n' "$ids" | grep -c .)"

run_stau -C "$P" logs 1
check "logs exits 0" 0 "$rc"
check "logs: a header per extract log, in chunk order" \
	"==> .stau/logs/extract/1-$first-1.log <==
==> .stau/logs/extract/1-$second-1.log <==" "$(printf '%s\n' "$out" | grep '^==> .*extract')"
check "logs: the first chunk's output under its header" "extract 1,2 attempt 1" \
	"$(printf '%s\n' "$out" | sed -n "\\|^==> .stau/logs/extract/1-$first-1.log <==|,/^==> /p" |
		grep '^extract')"
check "logs: the failing chunk's output and error" "extract 3,4 attempt 1
cannot handle 3" \
	"$(printf '%s\n' "$out" | sed -n "\\|^==> .stau/logs/extract/1-$second-1.log <==|,/^==> /p" |
		grep -e '^extract' -e '^cannot')"
check "logs: a blank line before each later header" "0" \
	"$(printf '%s\n' "$out" | awk 'NR > 1 && /^==> / && prev != "" {n++} {prev = $0} END {print n + 0}')"

run_stau -C "$P" logs 1 extract:2
check "logs JOB:I exits 0" 0 "$rc"
check "logs JOB:I: one header" "==> .stau/logs/extract/1-$second-1.log <==" \
	"$(printf '%s\n' "$out" | grep '^==> ')"
check "logs JOB:I: only that chunk" "extract 3,4 attempt 1" "$(printf '%s\n' "$out" | grep '^extract')"

run_stau -C "$P" logs 1 "$first"
check "logs CHUNK_ID: one header" "==> .stau/logs/extract/1-$first-1.log <==" \
	"$(printf '%s\n' "$out" | grep '^==> ')"

run_stau -C "$P" logs 1 extract:9
check "an unknown chunk exits 2" 2 "$rc"
check "an unknown chunk is named" "stau: no chunk 'extract:9' in run 1; 'stau show 1' lists its chunks" "$err"
run_stau -C "$P" logs 1 extract
check "a job's name alone: the form a chunk takes is shown" "stau: no chunk 'extract' in run 1: \
give a chunk id or JOB:I (e.g. 'extract:1'); 'stau show 1' lists its chunks" "$err"

run_stau -C "$P" logs 7
check "an unknown run exits 2" 2 "$rc"
check "an unknown run is named" "stau: no run 7; 'stau status JOB' lists runs" "$err"

rm -f "$P/.stau/logs/extract/1-$first-1.log"
run_stau -C "$P" logs 1
check "a missing log is not fatal" 0 "$rc"
check "a missing log is said" \
	"stau: cannot read '.stau/logs/extract/1-$first-1.log': No such file or directory" "$err"
check "the other logs are still printed" "extract 3,4 attempt 1" "$(printf '%s\n' "$out" | grep '^extract')"

run_stau -C "$P" logs
check "a missing run id exits 2" 2 "$rc"
run_stau -C "$P" logs 1 2 3
check "too many arguments exit 2" 2 "$rc"

# A retried chunk has one log per attempt, printed oldest first; show says when it retries.
mkproject retry
job top.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: flaky
# ---'
job flaky.sh '#!/bin/sh
# ---
# retries: 1
# retry_delay: 5m
# ---
echo "try $STAU_ATTEMPT"
exit 1'
cat >"$P/schedule.yaml" <<'EOF'
schedule:
  - id: daily
    job: top
    cron: "0 6 * * *"
EOF
run_stau -C "$P" tick --now 2026-01-01T06:00:10Z
run_stau -C "$P" show 1
check "show: the retry time of a pending chunk" "retry at 2026-01-01T06:05:10+00:00" \
	"$(printf '%s\n' "$out" | awk '$2 == "flaky"' | grep -o 'retry at .*')"
run_stau -C "$P" tick --now 2026-01-01T06:06:00Z
run_stau -C "$P" logs 1
check "logs: every attempt, oldest first" "==> .stau/logs/flaky/1-1-1.log <==
try 1
==> .stau/logs/flaky/1-1-2.log <==
try 2" "$(printf '%s\n' "$out" | grep -e '^==>' -e '^try')"

done_testing
