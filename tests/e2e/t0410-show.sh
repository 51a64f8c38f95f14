#!/bin/sh
# stau show: a run's trigger, work IDs, git commit, chunks and failure tails; --json; errors.
. "$(dirname "$0")/lib.sh"

# pyjson EXPR: the value of a Python expression over d, the JSON document in $out.
pyjson() {
	printf '%s' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}

mkproject sh
job pipeline.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: extract
# ---'
job extract.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
echo "extract $STAU_WORK_IDS"
case ",$STAU_WORK_IDS," in *,3,*) echo "cannot handle 3" >&2; exit 4;; esac'

commit=
if command -v git >/dev/null 2>&1; then
	(cd "$P" && git init -q --separate-git-dir "$TMP/git" && git add -A && git -c user.name=t -c user.email=t@example.org \
		commit -q -m init) && commit=$(cd "$P" && git rev-parse HEAD)
fi

run_stau -C "$P" show 1
check "show before any run exits 2" 2 "$rc"
check "show before any run says so" "stau: no run 1; 'stau status JOB' lists runs" "$err"

run_stau -C "$P" run pipeline --ids 1-4 --kw region=north
check "the run fails on ID 3" 1 "$rc"

run_stau -C "$P" show 1
check "show exits 0" 0 "$rc"
check "show: run line" "run 1 of pipeline: FAILED" "$(printf '%s\n' "$out" | head -n 1)"
check "show: trigger" "trigger:   manual" "$(printf '%s\n' "$out" | grep '^trigger:')"
check "show: kwargs" 'kwargs:    {"region":"north"}' "$(printf '%s\n' "$out" | grep '^kwargs:')"
check "show: work IDs" "work IDs:  1-4 (4 IDs)" "$(printf '%s\n' "$out" | grep '^work IDs:')"
if [ -n "$commit" ]; then
	check "show: git commit" "git:       $commit" "$(printf '%s\n' "$out" | grep '^git:')"
fi
check "show: chunk table header" \
	"CHUNK JOB I/N IDS STATE TRY STARTED DURATION EXIT LOG MESSAGE" \
	"$(printf '%s\n' "$out" | grep '^CHUNK' | tr -s ' ')"
check "show: the chunk that succeeded" "extract 1/2 1-2 DONE 1 0" \
	"$(printf '%s\n' "$out" | awk '$2 == "extract" && $3 == "1/2" {print $2, $3, $4, $5, $6, $9}')"
check "show: the chunk that failed" "extract 2/2 3-4 FAILED 1 4" \
	"$(printf '%s\n' "$out" | awk '$2 == "extract" && $3 == "2/2" {print $2, $3, $4, $5, $6, $9}')"
failed_id=$(printf '%s\n' "$out" | awk '$2 == "extract" && $3 == "2/2" {print $1}')
check "show: its log path" ".stau/logs/extract/1-$failed_id-1.log" \
	"$(printf '%s\n' "$out" | awk '$2 == "extract" && $3 == "2/2" {print $10}')"
check "show: the failure" "chunk $failed_id (extract 2/2) attempt 1: exit 4" \
	"$(printf '%s\n' "$out" | grep "^chunk $failed_id ")"
check "show: its last lines, indented" "    cannot handle 3" \
	"$(printf '%s\n' "$out" | sed -n "/^chunk $failed_id /,\$p" | grep -x '    cannot handle 3')"

run_stau -C "$P" show '#1' --json
check "show --json exits 0" 0 "$rc"
check "json: run" "1 pipeline FAILED None" \
	"$(pyjson '"%s %s %s %s" % (d["id"], d["job"], d["state"], d["entry"])')"
check "json: kwargs" "{'region': 'north'}" "$(pyjson 'd["kwargs"]')"
check "json: work IDs" "1-4 4 True" "$(pyjson '"%s %s %s" % (d["work_ids"], d["nids"], d["has_ids"])')"
if [ -n "$commit" ]; then
	check "json: git" "$commit" "$(pyjson 'd["git"]')"
fi
check "json: chunk counts" "1 1" "$(pyjson '"%d %d" % (d["chunks"]["done"] >= 1, d["chunks"]["failed"])')"
check "json: the failed chunk" "FAILED 4 None 3-4 2" \
	"$(pyjson '" ".join(str(c[k]) for c in d["chunk_list"] if c["job"] == "extract" and c["index"] == 2 for k in ("state", "exit_code", "signal", "work_ids", "nids"))')"
check "json: its tail" "True" \
	"$(pyjson '"cannot handle 3" in [c for c in d["chunk_list"] if c["id"] == '"$failed_id"'][0]["tail"]')"
check "json: its log exists" "True" \
	"$(pyjson '__import__("os").path.exists("'"$P"'/" + [c for c in d["chunk_list"] if c["id"] == '"$failed_id"'][0]["log"])')"
check "json: dependencies point at earlier chunks" "True" \
	"$(pyjson 'all(x < c["id"] for c in d["chunk_list"] for x in c["depends_on"])')"
check "json: chunk kwargs" "north" "$(pyjson 'd["chunk_list"][0]["kwargs"]["region"]')"

# Long ID lists are cut at a comma, with the count; JSON has them whole.
job wide.sh '#!/bin/sh
# ---
# ---
echo wide'
run_stau -C "$P" run wide --ids "$(seq -s, 2 2 200)"
check "a run over 100 IDs" 0 "$rc"
run_stau -C "$P" show 2
check "show: the run's IDs, cut" \
	"work IDs:  2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,48,50,… (100 IDs)" \
	"$(printf '%s\n' "$out" | grep '^work IDs:')"
check "show: a chunk's IDs, cut" "2,4,6,8,10,12,14,16,18,20,22,… (100 IDs)" \
	"$(printf '%s\n' "$out" | awk '$2 == "wide"' | grep -o '2,4,[^)]*)')"
run_stau -C "$P" show 2 --json
check "json: the IDs whole" "100 2 200" \
	"$(pyjson '"%d %s %s" % (d["nids"], d["work_ids"].split(",")[0], d["work_ids"].split(",")[-1])')"

run_stau -C "$P" show 42
check "unknown run exits 2" 2 "$rc"
check "unknown run is named" "stau: no run 42; 'stau status JOB' lists runs" "$err"
run_stau -C "$P" show abc
check "a run id that is not a number exits 2" 2 "$rc"
check "a run id that is not a number is named" "stau: 'abc' is not a run id; 'stau status JOB' lists runs
see 'stau show --help'" "$err"
run_stau -C "$P" show
check "a missing run id exits 2" 2 "$rc"

# A database from a newer stau is refused with exit 3.
if command -v sqlite3 >/dev/null 2>&1; then
	mkproject newer
	job only.sh '#!/bin/sh
# ---
# ---'
	mkdir -m 0700 "$P/.stau"
	sqlite3 "$P/.stau/stau.db" 'PRAGMA user_version = 99'
	run_stau -C "$P" show 1
	check "a newer database exits 3" 3 "$rc"
	check "a newer database is named" \
		"stau: .stau/stau.db is schema version 99, newer than this stau (N); upgrade stau" \
		"$(printf '%s\n' "$err" | sed 's/stau ([0-9]*)/stau (N)/')"
fi

# The timeline after the table: a bar per chunk against time, 80 columns outside a terminal.
# The times are set in the database, so that nothing waits for real seconds: a 1/2 and a 2/2
# ran at once for 20 s and 30 s, b waited for both, then ran 30 s.
mkproject timeline
job a.sh '#!/bin/sh
# ---
# chunk_size: 1
# ---
true'
job b.sh '#!/bin/sh
# ---
# chunk_size: 2
# dependencies:
#   - job_type: a
# ---
true'
run_stau -C "$P" run b --ids 1-2 -j 1 --now 2026-03-02T10:00:00Z
T=1772445600 # 2026-03-02T10:00:00Z
sqlite3 "$P/.stau/stau.db" "UPDATE chunks SET started = $T, finished = $T + 20, duration_ms = 20000 WHERE id = 1;
UPDATE chunks SET started = $T, finished = $T + 30, duration_ms = 30000 WHERE id = 2;
UPDATE chunks SET started = $T + 30, finished = $T + 60, duration_ms = 30000 WHERE id = 3"
run_stau -C "$P" show 1
check "show draws the timeline after the chunk table" "timeline: 10:00:00 to 10:01:00 (1m), one column = 1.1s
a 1/2  |==================                                   |  20s
a 2/2  |===========================                          |  30s
b 1/1  |                           ==========================|  30s
= done  ! failed  > running  . ready, waiting for a slot or a retry" \
	"$(printf '%s\n' "$out" | sed -n '/^timeline/,/^= done/p')"
run_stau -C "$P" show 1 --json
check "--json has no timeline (the times are there)" "" "$(printf '%s\n' "$out" | grep timeline)"

done_testing
