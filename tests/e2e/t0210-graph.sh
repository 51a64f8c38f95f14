#!/bin/sh
# stau graph: the tree and Graphviz DOT of the job graph, with data_sources and data_sinks;
# stau graph --run: the chunk graph of a run, as a tree and as DOT coloured by state.
. "$(dirname "$0")/lib.sh"

mkproject g
job a.py '# ---
# description: top
# dependencies:
#   - job_type: b
#     max_lag: 60
#   - job_type: c
#     max_lag: 2h
# ---'
job b.sh '# ---
# dependencies:
#   - job_type: d
#     max_lag: 0
# ---'
job c.sh '# ---
# dependencies:
#   - job_type: d
#     max_lag: 90m
#     allow_missing_work_ids: true
# ---'
job d.sh '# ---
# description: "raw \"data\""
# ---'
job e.sh '# ---
# description: alone
# ---'
run_stau -C "$P" graph
check "graph exits 0" 0 "$rc"
check "tree of every root" 'a  - top
|-- b  (max_lag 1h)
|   `-- d  - raw "data"  (max_lag 0s)
`-- c  (max_lag 2h)
    `-- d  - raw "data"  (max_lag 1h30m, any IDs)
e  - alone' "$out"

run_stau -C "$P" graph c
check "tree of one job" 'c
`-- d  - raw "data"  (max_lag 1h30m, any IDs)' "$out"

run_stau -C "$P" graph --dot b
check "dot of one job and its dependencies" 'digraph stau {
	rankdir=LR;
	node [shape=box, fontname="sans-serif"];
	"b" [label="b"];
	"d" [label="d\nraw \"data\""];
	"d" -> "b" [label="max_lag 0s"];
}' "$out"

run_stau -C "$P" graph --dot
printf '%s\n' "$out" >"$TMP/g.dot"
if dot -Tsvg "$TMP/g.dot" >"$TMP/g.svg" 2>"$TMP/dot.err" && grep -q '<svg' "$TMP/g.svg"; then
	ok "graphviz draws the whole graph"
else
	not_ok "graphviz draws the whole graph" "$(cat "$TMP/dot.err")"
fi
check "every edge is in the dot output" 4 "$(grep -c -- ' -> ' "$TMP/g.dot")"

run_stau -C "$P" graph nosuch
check "an unknown job exits 2" 2 "$rc"
check "and says so" "stau: unknown job 'nosuch'; 'stau check' lists the jobs" "$err"

job f.sh '# ---
# dependencies:
#   - job_type: f
# ---'
run_stau -C "$P" graph f
check "a cycle is a configuration error" 2 "$rc"
check "named on stderr" "stau: jobs/f.sh:3:17: dependency cycle: f -> f" "$err"

# data_sources and data_sinks, below their job in the tree and as cylinders in DOT.
mkproject data
job report.sh '# ---
# data_sources: [data/stores.db, "s3://raw/sales.csv"]
# data_sinks: [out/report.html]
# dependencies:
#   - job_type: clean
# ---'
job clean.sh '# ---
# data_sources: [data/stores.db]
# data_sinks: [data/clean.parquet]
# ---'
run_stau -C "$P" graph
check "the tree shows what each job reads and writes" 'report
|   data_sources: data/stores.db, s3://raw/sales.csv
|   data_sinks: out/report.html
`-- clean  (max_lag 0s)
        data_sources: data/stores.db
        data_sinks: data/clean.parquet' "$out"
run_stau -C "$P" graph --dot
check "DOT: a dashed edge from each source, and to each sink" '"data:data/stores.db" -> "clean" [style=dashed];
"clean" -> "data:data/clean.parquet" [style=dashed];
"data:data/stores.db" -> "report" [style=dashed];
"data:s3://raw/sales.csv" -> "report" [style=dashed];
"report" -> "data:out/report.html" [style=dashed];' \
	"$(printf '%s\n' "$out" | grep 'style=dashed' | tr -d '\t')"
check "DOT: each data node is a cylinder" 5 "$(printf '%s\n' "$out" | grep -c 'shape=cylinder')"
if printf '%s\n' "$out" | dot -Tsvg >/dev/null 2>"$TMP/dot.err"; then ok "graphviz draws the data"
else not_ok "graphviz draws the data" "$(cat "$TMP/dot.err")"; fi

# --run: the chunks of one run.
mkproject run
job d.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
[ "$STAU_WORK_IDS" != "3,4" ] || exit 4'
job top.sh '#!/bin/sh
# ---
# chunk_size: 4
# dependencies:
#   - job_type: d
# ---
true'
run_stau -C "$P" graph --run 1
check "--run before any run: exit 2" "2|stau: no run 1; 'stau status JOB' lists runs" "$rc|$err"
check "--run creates no database" "no" "$([ -e "$P/.stau" ] && echo yes || echo no)"
run_stau -C "$P" run top --ids 1-6 -j 1 --now 2026-03-02T10:00:00Z
run_stau -C "$P" graph --run 1
check "--run: each chunk below the chunks that need it, with IDs and state" 'run 1 of top: FAILED
top 1/2  IDs 1-4  CANCELED: upstream failed
|-- d 1/3  IDs 1-2  DONE
`-- d 2/3  IDs 3-4  FAILED: exit 4
top 2/2  IDs 5-6  DONE
`-- d 3/3  IDs 5-6  DONE' "$out"
run_stau -C "$P" graph --run '#1' --dot
check "--run --dot: one node per chunk, filled by state" 'palegreen 3
lightcoral 1
khaki 1' "$(for c in palegreen lightcoral khaki; do echo "$c $(printf '%s\n' "$out" | grep -c "fillcolor=\"$c\"")"; done)"
check "--run --dot: an edge from each dependency to its dependent" '"c1" -> "c4";
"c2" -> "c4";
"c3" -> "c5";' "$(printf '%s\n' "$out" | grep -- '->' | tr -d '\t')"
if printf '%s\n' "$out" | dot -Tsvg >/dev/null 2>"$TMP/dot.err"; then ok "graphviz draws the run"
else not_ok "graphviz draws the run" "$(cat "$TMP/dot.err")"; fi
run_stau -C "$P" graph --run 2
check "--run of an unknown run: exit 2" 2 "$rc"
run_stau -C "$P" graph top --run 1
check "a job and --run: exit 2" "2|stau: give a job or --run RUN, not both" "$rc|$(printf '%s\n' "$err" | head -n 1)"
run_stau -C "$P" graph --run x
check "--run of a word that is no run id: exit 2" 2 "$rc"

done_testing
