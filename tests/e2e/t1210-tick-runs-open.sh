#!/bin/sh
# A tick with runs open and no entry due reads only the job files of those runs and of what
# they depend on (docs/design.md, "The quiet tick"). It reads them afresh: an edited header is
# seen (even keeping its size and mtime), a header broken by an edit is reported once.
. "$(dirname "$0")/lib.sh"

mkproject runs
job a.sh '#!/bin/sh
# ---
# description: needs b
# env:
#   GREETING: one
# dependencies:
#   - job_type: b
# ---
echo "a $GREETING" >>"$STAU_DIR/ran"'
job b.sh '#!/bin/sh
# ---
# description: needed by a
# ---
echo b >>"$STAU_DIR/ran"'
job c.sh '#!/bin/sh
# ---
# description: unrelated
# ---
echo c >>"$STAU_DIR/ran"'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: yearly
    job: c
    cron: "0 0 1 1 *"
YAML
ran() { if [ -f "$P/ran" ]; then tr '\n' ' ' <"$P/ran"; fi; }

run_stau -C "$P" tick --now 2026-03-10T12:00:00Z
check "the first tick records the entry" "0:::" "$rc:$out:$err:$(ran)"

run_stau -C "$P" submit a --now 2026-03-10T12:00:30Z
run_stau -C "$P" tick --now 2026-03-10T12:01:00Z
check "a submitted run is run by the next tick, its dependency first" "0::b a one " \
	"$rc:$err:$(ran)"

# same size, same mtime: only the content tells
touch -r "$P/jobs/a.sh" "$TMP/stamp"
sed 's/GREETING: one/GREETING: two/' "$P/jobs/a.sh" >"$TMP/a"
cat "$TMP/a" >"$P/jobs/a.sh"
touch -r "$TMP/stamp" "$P/jobs/a.sh"
job c.sh '#!/bin/sh
# ---
# descripton: a typo
# ---
echo c >>"$STAU_DIR/ran"'
run_stau -C "$P" submit a --force --now 2026-03-10T12:01:30Z
run_stau -C "$P" tick --now 2026-03-10T12:02:00Z
check "the next run sees the header edited in the same second, size kept" \
	"0::b a one b a two " "$rc:$err:$(ran)"
check "that tick did not read the unrelated job file, broken meanwhile" "" \
	"$(echo "$err" | grep 'jobs/c.sh')"
sed 's/GREETING: two/GREETING: six/' "$P/jobs/a.sh" >"$P/jobs/a.sh.new"
chmod 0755 "$P/jobs/a.sh.new"
mv "$P/jobs/a.sh.new" "$P/jobs/a.sh"
run_stau -C "$P" submit a --force --now 2026-03-10T12:02:10Z
run_stau -C "$P" tick --now 2026-03-10T12:02:20Z
check "a header saved as editors do (a new file renamed over the old) is seen too" \
	"0:b a one b a two b a six " "$rc:$(ran)"

run_stau -C "$P" check
check "stau check reports the unrelated job file broken meanwhile" \
	"jobs/c.sh:3:3: unknown key 'descripton' (did you mean 'description'?)" \
	"$(echo "$out" | grep 'jobs/c.sh')"

job b.sh '#!/bin/sh
# ---
# chunk_size: many
# ---
echo b >>"$STAU_DIR/ran"'
run_stau -C "$P" submit a --force --now 2026-03-10T12:02:30Z
run_stau -C "$P" tick --now 2026-03-10T12:03:00Z
check "a dependency broken by an edit is reported by the tick that needs it" "1" "$rc"
check "at its line, and the run fails" "1:1" \
	"$(echo "$err" | grep -c "^stau: jobs/b.sh:3:"):$(echo "$err" | grep -c "^stau: a run .* failed")"
run_stau -C "$P" submit a --force --now 2026-03-10T12:03:30Z
run_stau -C "$P" tick --now 2026-03-10T12:04:00Z
check "and only once" "0" "$(echo "$err" | grep -c "jobs/b.sh:3:")"
check "nothing of the broken runs ran" "b a one b a two b a six " "$(ran)"

done_testing
