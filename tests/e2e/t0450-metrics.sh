#!/bin/sh
# stau metrics: the Prometheus text exposition format, line by line (HELP and TYPE before a
# family's samples, the metric and label grammar, escaped label values, no series twice),
# the values after a failing run, and settings.metrics_file: written by every tick that did
# something, replaced atomically (a reader polling it never sees a part of it), and by a
# tick with nothing to do only when a run changed since or the file is missing.
. "$(dirname "$0")/lib.sh"

# A checker of the exposition format: prints one line per problem, nothing when all is well.
cat >"$TMP/expo.py" <<'EOF'
import re, sys
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*)?\})? (-?[0-9]+(?:\.[0-9]+)?|[+-]Inf|NaN)$'
                    % (NAME, LABEL, VALUE, LABEL, VALUE))
PAIR = re.compile(r'(%s)=(%s)' % (LABEL, VALUE))
text = open(sys.argv[1], 'rb').read()
try:
    text = text.decode('utf-8')
except UnicodeDecodeError as e:
    print('not UTF-8: %s' % e); sys.exit()
if not text.endswith('\n'):
    print('the text does not end with a newline')
types, helps, done, series, current = {}, {}, set(), set(), None
for n, line in enumerate(text.split('\n')[:-1], 1):
    where = 'line %d: %r' % (n, line)
    if any(c < ' ' for c in line):
        print('%s: a control character' % where)
    m = re.match(r'^# (HELP|TYPE) (\S+) (.*)$', line)
    if m:
        kind, name, rest = m.groups()
        if not re.fullmatch(NAME, name):
            print('%s: bad metric name' % where)
        table = types if kind == 'TYPE' else helps
        if name in table:
            print('%s: a second %s for %s' % (where, kind, name))
        if name in done or (current and current != name and name in types):
            print('%s: %s after the samples of its family' % (where, kind))
        table[name] = rest
        if kind == 'TYPE' and rest not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
            print('%s: bad type' % where)
        if kind == 'TYPE' and rest == 'counter' and not name.endswith('_total'):
            print('%s: a counter whose name does not end in _total' % where)
        if kind == 'TYPE':
            if current and current != name:
                done.add(current)
            current = name
        continue
    if line.startswith('#'):
        continue
    m = SAMPLE.match(line)
    if not m:
        print('%s: not a sample' % where); continue
    name, labels = m.group(1), m.group(2) or ''
    if name != current:
        print('%s: a sample of %s outside its family (after TYPE %s)' % (where, name, current))
    if name not in helps:
        print('%s: no HELP for %s' % (where, name))
    names = [p[0] for p in PAIR.findall(labels)]
    if len(names) != len(set(names)):
        print('%s: a label twice' % where)
    key = (name, tuple(sorted(PAIR.findall(labels))))
    if key in series:
        print('%s: the same series twice' % where)
    series.add(key)
for name in types:
    if not any(s[0] == name for s in series):
        print('family %s has no sample' % name)
EOF
expo() { printf '%s\n' "$1" >"$TMP/expo.txt"; python3 "$TMP/expo.py" "$TMP/expo.txt"; }
# value NAME LABELS: the value of one sample in $out ("" when there is none).
value() { printf '%s\n' "$out" | awk -v k="$1$2" '$1 == k {print $2}'; }

mkproject m
job report.sh '#!/bin/sh
# ---
# description: "the \"weekly\" report"
# dependencies:
#   - job_type: features
#     max_lag: 1h
# ---'
job features.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
case ",$STAU_WORK_IDS," in *,3,*) echo "store 3 has no data" >&2; exit 1;; esac'
job bad.sh '#!/bin/sh
# ---
# chunk_size: none
# ---'
cat >"$P/schedule.yaml" <<'EOF'
settings:
  metrics_file: metrics/stau.prom
schedule:
  - id: nightly
    job: report
    cron: "0 3 * * *"
    work_ids: [1, 2, 3, 4]
  - id: off
    job: features
    every: 1h
    enabled: false
EOF
mkdir "$P/metrics"

run_stau -C "$P" metrics --now 2026-06-01T02:00:00Z
check "metrics before the first run exits 0, says nothing on stderr" "0|" "$rc|$err"
check "the exposition format holds before the first run" "" "$(expo "$out")"
check "no database was created" "no" "$([ -e "$P/.stau/stau.db" ] && echo yes || echo no)"
check "a job that never ran: no result, no success" "||0" \
	"$(value stau_job_last_run_result '{job="report",result="failed"}')|$(value \
	stau_job_last_success_timestamp_seconds '{job="report"}')|$(value \
	stau_job_failed_chunks_total '{job="report"}')"
check "BROKEN is 1 for bad" "1 0" "$(value stau_job_broken '{job="bad"}') $(value \
	stau_job_broken '{job="report"}')"

# a tick at 03:00 runs the entry; features fails on 3, report's chunk for 3-4 is canceled
run_stau -C "$P" tick --now 2026-06-01T03:00:05Z
check "the failing tick exits 1" 1 "$rc"
run_stau -C "$P" metrics --now 2026-06-01T03:10:00Z
check "the exposition format holds after a failing run" "" "$(expo "$out")"
check "HELP and TYPE of a counter" "# HELP stau_job_failed_chunks_total Chunks of the job that failed for good (after their retries).
# TYPE stau_job_failed_chunks_total counter" "$(printf '%s\n' "$out" | grep '^# [A-Z]* stau_job_failed_chunks_total ')"
check "report's result is failed, and only failed" \
	"stau_job_last_run_result{job=\"report\",result=\"queued\"} 0
stau_job_last_run_result{job=\"report\",result=\"pending\"} 0
stau_job_last_run_result{job=\"report\",result=\"running\"} 0
stau_job_last_run_result{job=\"report\",result=\"done\"} 0
stau_job_last_run_result{job=\"report\",result=\"failed\"} 1
stau_job_last_run_result{job=\"report\",result=\"canceled\"} 0
stau_job_last_run_result{job=\"report\",result=\"lost\"} 0" \
	"$(printf '%s\n' "$out" | grep '^stau_job_last_run_result{job="report"')"
check "features failed too, though its last chunk is done" 1 \
	"$(value stau_job_last_run_result '{job="features",result="failed"}')"
check "the failures are counted" "1 0 0 1" \
	"$(value stau_job_failed_chunks_total '{job="features"}') $(value \
	stau_job_failed_runs_total '{job="features"}') $(value stau_job_failed_chunks_total \
	'{job="report"}') $(value stau_job_failed_runs_total '{job="report"}')"
check "the run, its duration and end" "1 1 1780282805" \
	"$(value stau_job_last_run_id '{job="report"}') $(value stau_job_last_run_id \
	'{job="features"}') $(value stau_job_last_run_finished_timestamp_seconds '{job="report"}')"
case $(value stau_job_last_run_duration_seconds '{job="report"}') in
[0-9] | [0-9].[0-9]*) ok "the duration is in seconds" ;;
*) not_ok "the duration is in seconds" "$out" ;;
esac
check "features last succeeded (chunk 1-2)" 1780282805 \
	"$(value stau_job_last_success_timestamp_seconds '{job="features"}')"
check "no chunk is open" "0 0" "$(value stau_job_chunks_queued '{job="features"}') $(value \
	stau_job_chunks_running '{job="features"}')"
check "the entries" "1 0 1780282800 1780369200 0 0 0" \
	"$(value stau_entry_enabled '{entry="nightly",job="report"}') $(value \
	stau_entry_enabled '{entry="off",job="features"}') $(value \
	stau_entry_last_fire_timestamp_seconds '{entry="nightly",job="report"}') $(value \
	stau_entry_next_fire_timestamp_seconds '{entry="nightly",job="report"}') $(value \
	stau_entry_missed_fires_total '{entry="nightly",job="report"}') $(value \
	stau_entry_skipped_fires_total '{entry="nightly",job="report"}') $(value \
	stau_entry_problem '{entry="nightly",job="report"}')"
check "a disabled entry has no next fire time" "" \
	"$(value stau_entry_next_fire_timestamp_seconds '{entry="off",job="features"}')"
check "no schedule problem" 0 "$(value stau_schedule_problems '')"

# the tick wrote the same text to metrics_file
check "the tick wrote metrics_file, mode 644" "644" "$(stat -c %a "$P/metrics/stau.prom")"
check "with the text of stau metrics" "" \
	"$(run_stau -C "$P" metrics --now 2026-06-01T03:00:05Z; printf '%s\n' "$out" |
	diff - "$P/metrics/stau.prom" | grep -v 'stau_job_last_run_duration_seconds')"
check "which holds the format" "" "$(expo "$(cat "$P/metrics/stau.prom")")"

# a tick with nothing to do leaves the file alone; after a run by hand it writes it again
ino=$(stat -c %i "$P/metrics/stau.prom")
run_stau -C "$P" tick --now 2026-06-01T03:20:00Z
check "a tick with nothing to do does not rewrite the file" "0|$ino" \
	"$rc|$(stat -c %i "$P/metrics/stau.prom")"
run_stau -C "$P" run features --ids 5-6 --now 2026-06-01T03:25:00Z
run_stau -C "$P" tick --now 2026-06-01T03:30:00Z
check "after a run by hand, a tick with nothing to do rewrites it" "0|yes|2" \
	"$rc|$([ "$(stat -c %i "$P/metrics/stau.prom")" != "$ino" ] && echo yes)|$(awk \
	'$1 == "stau_job_last_run_id{job=\"features\"}" {print $2}' "$P/metrics/stau.prom")"
rm "$P/metrics/stau.prom"
run_stau -C "$P" tick --now 2026-06-01T03:35:00Z
check "a missing file is written again" "0|yes" \
	"$rc|$([ -s "$P/metrics/stau.prom" ] && echo yes)"

# the characters a job type may have beyond letters and digits need no escaping
mkproject names
job 'etl-v2.1_x.sh' '#!/bin/sh
# ---
# ---'
run_stau -C "$P" metrics
check "a job type with '-', '.' and '_' is its label value" 'stau_job_broken{job="etl-v2.1_x"} 0' \
	"$(printf '%s\n' "$out" | grep '^stau_job_broken{')"
check "and the format holds" "" "$(expo "$out")"

# a file that cannot be written is said, and the tick goes on
mkproject nowrite
job ok.sh '#!/bin/sh
# ---
# ---'
printf 'settings:\n  metrics_file: no/such/dir/m.prom\nschedule:\n  - id: e\n    job: ok\n    cron: "0 * * * *"\n' >"$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-06-01T10:00:05Z
case "$rc|$err" in
"0|stau: cannot write the metrics file '$P/no/such/dir/m.prom': No such file or directory; check settings.metrics_file")
	ok "a metrics file that cannot be written is said; the tick's result stands" ;;
*) not_ok "a metrics file that cannot be written is said; the tick's result stands" "$rc|$err" ;;
esac

# atomic replacement: a reader polling the file while ticks rewrite it never sees a part
mkproject busy
job tiny.sh '#!/bin/sh
# ---
# chunk_size: 1
# ---
exit 0'
cat >"$P/schedule.yaml" <<'EOF'
settings:
  metrics_file: m.prom
schedule:
  - id: every-minute
    job: tiny
    cron: "* * * * *"
    work_ids: [1, 2, 3, 4, 5, 6, 7, 8]
EOF
run_stau -C "$P" tick --now 2026-06-01T10:00:05Z
cat >"$TMP/reader.py" <<'EOF'
import os, sys
path, stop = sys.argv[1], sys.argv[2]
reads = bad = 0
while not os.path.exists(stop) or reads < 50:
    with open(path, 'rb') as f:
        t = f.read()
    reads += 1
    if not (t.startswith(b'# stau state version ') and t.endswith(b'\nstau_schedule_problems 0\n')):
        bad += 1
print(reads, bad)
EOF
python3 "$TMP/reader.py" "$P/m.prom" "$TMP/stop" >"$TMP/reads" &
reader=$!
m=1
while [ $m -le 30 ]; do
	"$STAU" -C "$P" tick --now "$(printf '2026-06-01T10:%02d:05Z' $m)" >/dev/null 2>&1
	m=$((m + 1))
done
touch "$TMP/stop"
wait $reader
read -r reads bad <"$TMP/reads"
check "30 ticks rewrote the file: $reads reads by a poller saw no partial file" 0 "$bad"
check "and the last tick's text is there" 31 \
	"$(awk '$1 == "stau_job_last_run_id{job=\"tiny\"}" {print $2}' "$P/m.prom")"
check "no temporary file is left" "m.prom" "$(cd "$P" && ls | grep prom)"

done_testing
