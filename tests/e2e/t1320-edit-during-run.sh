#!/bin/sh
# Edits during a run (docs/design.md, "Edits during a run"): an editor rewriting job files in
# place, 300 times, while ticks run their chunks. No chunk may fail with "Text file busy",
# and no chunk that ran a half-written file may be recorded DONE: each DONE chunk's log shows
# the script's last line, and records the content hash of the file it ran.
. "$(dirname "$0")/lib.sh"

db() { sqlite3 "$P/.stau/stau.db" "$1"; }
mkproject edits
pad=$(i=0; while [ $i -lt 60 ]; do echo "# padding line $i: what a long job file would hold"; i=$((i + 1)); done)
job w.sh "#!/bin/sh
# ---
# chunk_size: 1
# ---
echo begin
$pad
echo \"end of the script\""
job p.py "# ---
# chunk_size: 1
# main_func: main
# ---
$pad
def main(work_ids):
    print(\"end of the module\")"
cat >"$P/schedule.yaml" <<'EOF'
schedule:
  - id: sh
    job: w
    cron: "* * * * *"
    work_ids: [1, 2, 3, 4, 5, 6]
  - id: py
    job: p
    cron: "* * * * *"
    work_ids: [1, 2, 3, 4, 5, 6]
EOF

# the editor: rewrites both files in place (truncate, then write in two pieces) 300 times;
# while the kernel executes a file it cannot be opened for writing, and it tries again
cat >"$TMP/editor.py" <<'EOF'
import os, sys, time
paths = sys.argv[1:]
texts = [open(p, "rb").read() for p in paths]
done = 0
while done < 300:
    try:
        for p, t in zip(paths, texts):
            with open(p, "r+b") as f:
                f.truncate(0)
                f.write(t[:len(t) // 2])
                f.flush()
                f.write(t[len(t) // 2:])
        done += 1
    except OSError as e:  # ETXTBSY: the kernel is executing the file right now
        if e.errno != 26:
            raise
    time.sleep(0.005)
EOF
python3 "$TMP/editor.py" "$P/jobs/w.sh" "$P/jobs/p.py" &
editor=$!
minute=0
while kill -0 "$editor" 2>/dev/null && [ $minute -lt 50 ]; do
	"$STAU" -C "$P" tick -j 2 --now "$(printf '2026-07-01T10:%02d:00Z' $minute)" >>"$TMP/ticks" 2>&1
	minute=$((minute + 1))
done
wait "$editor"
# then until every run has ended (retries of chunks that saw the file change included)
while [ $minute -lt 59 ] && [ -n "$(db "SELECT id FROM runs WHERE state IN ('ACTIVE', 'QUEUED')")" ]; do
	"$STAU" -C "$P" tick -j 2 --now "$(printf '2026-07-01T10:%02d:00Z' $minute)" >>"$TMP/ticks" 2>&1
	minute=$((minute + 1))
done
if [ $minute -ge 1 ]; then ok "ticks ran while the files were rewritten ($minute ticks)"; else
	not_ok "ticks ran while the files were rewritten" "only $minute ticks"; fi
check "no chunk failed with 'Text file busy'" "" \
	"$(grep -l 'Text file busy' "$P"/.stau/logs/*/* 2>/dev/null; db "SELECT id FROM chunks WHERE message LIKE '%busy%'")"
done_chunks=$(db "SELECT count(*) FROM chunks WHERE state = 'DONE'")
if [ "$done_chunks" -ge 6 ]; then ok "chunks ran and succeeded ($done_chunks DONE)"; else
	not_ok "chunks ran and succeeded" "$done_chunks DONE"; fi
check "every chunk ended DONE" "" \
	"$(db "SELECT job, id, attempt, state, message FROM chunks WHERE state != 'DONE'")"
check "every DONE chunk ran its whole file" "" \
	"$(db "SELECT job || ' ' || log_path FROM chunks WHERE state = 'DONE'" | while read -r j log; do
		grep -q "end of the" "$P/$log" || echo "$j $log"; done)"
check "every DONE chunk records the content hash it ran" "" \
	"$(db "SELECT id FROM chunks WHERE state = 'DONE' AND (file_hash IS NULL OR file_hash NOT LIKE 'fnv1a64:%')")"
check "the whole files' hashes" "$(db "SELECT count(DISTINCT job) FROM chunks WHERE state = 'DONE'")" \
	"$(db "SELECT count(DISTINCT file_hash) FROM chunks WHERE state = 'DONE'")"
changed=$(db "SELECT count(*) FROM chunks WHERE attempt > 1")
echo "# $changed chunks saw their file written as they started, and ran again"

done_testing
