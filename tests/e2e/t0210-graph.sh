#!/bin/sh
# stau graph: the tree and Graphviz DOT of the job graph.
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
done_testing
