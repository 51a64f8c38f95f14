#!/bin/sh
# check-layers.sh OBJDIR [LAYER]... - check how the files of stau call each other, from the
# symbols of the compiled objects (nm), and what their sources may contain.
#
# Each LAYER is a quoted list of module names, ground floor first (`make layers` passes the
# Makefile's LAYER0 ... LAYER7); the objects checked are OBJDIR/MODULE.o, the sources
# MODULE.c. Without LAYER, every OBJDIR/*.o is checked and the layer rule is skipped.
#
# The rules (docs/design.md, "Data flow"):
#   - no object calls a symbol defined in stau.o (main() and its helpers), no cmd_*.o calls
#     another cmd_*.o (what two commands share belongs below them), and only stau.o calls
#     into a cmd_*.o (its command table);
#   - no other call goes up a layer: a module calls modules of its own layer or below;
#   - no circle of files: no two objects call each other, directly or through others;
#   - "/proc", kill(), killpg(), fork, vfork and posix_spawn appear in the code (comments
#     aside; calls through an executor's ops->kill are fine) of exec*.c and proc.c only:
#     process control lives in the executor;
#   - no .c file is over 1,000 lines;
#   - functions stay short: over every function of every *.c file at the top, the median
#     length is at most 12 lines and the longest at most 60. A function's length counts its
#     lines from the line of its opening brace to the line of its closing brace, both
#     included, so a one-statement function is 3 lines. The sources put a function's braces
#     alone at the start of a line ("{" and "}", as every function in stau has them), which
#     is how a function is found: from a line that is exactly "{" to the next one that is
#     exactly "}"; its name is the last identifier before "(" on the line that starts its
#     declaration.
# Every problem is printed under the rule it breaks; the exit status is 1 when there is any.
# The function-length profile (count, median, longest) is printed on every run.
set -u
LC_ALL=C
export LC_ALL
MAX_LINES=1000
MAX_FUNCTION_LINES=60
MAX_FUNCTION_MEDIAN=12
objdir=${1:?usage: check-layers.sh OBJDIR [LAYER]...}
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The modules and their layers: "MODULE LAYER" lines.
if [ $# -gt 0 ]; then
	n=0
	for layer in "$@"; do
		for m in $layer; do echo "$m $n"; done
		n=$((n + 1))
	done
else
	for o in "$objdir"/*.o; do
		[ -e "$o" ] && echo "$(basename "$o" .o) -"
	done
fi >"$work/modules"
[ -s "$work/modules" ] || { echo "check-layers: no objects in $objdir: run 'make' first" >&2; exit 2; }
while read -r m _; do
	[ -f "$objdir/$m.o" ] || { echo "check-layers: no $objdir/$m.o: run 'make' first" >&2; exit 2; }
done <"$work/modules"

# Symbols: "D SYMBOL MODULE" for each definition, "U SYMBOL MODULE" for each use.
while read -r m _; do
	nm -g --defined-only "$objdir/$m.o" | awk -v m="$m" 'NF == 3 { print "D", $3, m }'
	nm -u "$objdir/$m.o" | awk -v m="$m" 'NF == 2 { print "U", $2, m }'
done <"$work/modules" >"$work/symbols"

# Source lines that control processes, comments removed: "FILE:LINE: TEXT".
while read -r m _; do
	[ -f "$m.c" ] || continue # generated
	case $m in exec | exec_* | proc) continue ;; esac
	awk -v f="$m.c" '
	# Removes /* */ and // comments, keeping string and character literals.
	function strip(s,    out, i, c, n) {
		out = ""; n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (inblock) {
				if (c == "*" && substr(s, i + 1, 1) == "/") { inblock = 0; i++ }
				continue
			}
			if (quote != "") {
				out = out c
				if (c == "\\") { out = out substr(s, i + 1, 1); i++ }
				else if (c == quote) quote = ""
				continue
			}
			if (c == "/" && substr(s, i + 1, 1) == "*") { inblock = 1; i++; continue }
			if (c == "/" && substr(s, i + 1, 1) == "/") break
			if (c == "\"" || c == "'\''") quote = c
			out = out c
		}
		quote = ""
		return out
	}
	{
		code = strip($0)
		if (code ~ /\/proc/ || code ~ /(^|[^A-Za-z0-9_>.])(kill|killpg)[ \t]*\(/ ||
		    code ~ /(^|[^A-Za-z0-9_])v?fork([^A-Za-z0-9_]|$)/ || code ~ /posix_spawn/) {
			sub(/^[ \t]+/, "", code)
			print f ":" FNR ": " code
		}
	}' "$m.c"
done <"$work/modules" >"$work/proc"

# Files over the limit: "FILE: N lines".
while read -r m _; do
	[ -f "$m.c" ] || continue
	lines=$(wc -l <"$m.c")
	[ "$lines" -gt "$MAX_LINES" ] && echo "$m.c: $lines lines (at most $MAX_LINES)"
done <"$work/modules" >"$work/long"

# Function lengths of every *.c at the top: "LINES FILE:LINE NAME", one per function.
for f in *.c; do
	[ -f "$f" ] || continue
	awk -v f="$f" '
	/^[A-Za-z_]/ && /\(/ { decl = $0 }
	/^\{$/ { start = FNR; next }
	/^\}$/ && start {
		name = "?"
		if (match(decl, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/))
			name = substr(decl, RSTART, RLENGTH - 1)
		sub(/[ \t]+$/, "", name)
		print FNR - start + 1, f ":" start, name
		start = 0
	}' "$f"
done | sort -n >"$work/functions"

awk -v modules="$work/modules" -v procf="$work/proc" -v longf="$work/long" \
    -v funcf="$work/functions" -v maxfn="$MAX_FUNCTION_LINES" -v maxmedian="$MAX_FUNCTION_MEDIAN" '
function problem(rule, text) {
	if (!(rule in seen_rule)) { seen_rule[rule] = 1; rules[++nrules] = rule }
	lines[rule] = lines[rule] "  " text "\n"
	problems++
}
# Depth-first search; a call back into a file on the current path closes a circle.
function visit(u,    i, v, k, path) {
	color[u] = 1; stack[++depth] = u
	for (i = 1; i <= nout[u]; i++) {
		v = out[u, i]
		if (color[v] == 1) {
			path = ""
			for (k = depth; stack[k] != v; k--)
				;
			for (; k <= depth; k++)
				path = path stack[k] ".o -> "
			problem("no circle of files (two files that call each other, directly or not)",
				path v ".o")
		} else if (!color[v]) {
			visit(v)
		}
	}
	depth--; color[u] = 2
}
BEGIN {
	while ((getline line < modules) > 0) {
		split(line, w, " "); layer[w[1]] = w[2]; names[++nmod] = w[1]
	}
}
$1 == "D" && !($2 in def) { def[$2] = $3 }
$1 == "U" { nuse++; use_sym[nuse] = $2; use_mod[nuse] = $3 }
END {
	for (i = 1; i <= nuse; i++) {
		to = def[use_sym[i]]; from = use_mod[i]
		if (to == "" || to == from)
			continue
		key = from SUBSEP to
		if (!(key in calls)) { edges[++nedges] = key; calls[key] = "" }
		calls[key] = calls[key] " " use_sym[i]
	}
	for (e = 1; e <= nedges; e++) {
		split(edges[e], ft, SUBSEP); from = ft[1]; to = ft[2]
		text = from ".o -> " to ".o:" calls[edges[e]]
		if (to == "stau")
			problem("nothing calls into stau.o, which is main() only", text)
		else if (to ~ /^cmd_/ && from ~ /^cmd_/)
			problem("no command calls another command (what two share goes below them)", text)
		else if (to ~ /^cmd_/ && from != "stau")
			problem("only stau.o calls into a command (cmd_*.o)", text)
		else if (layer[from] != "-" && layer[from] + 0 < layer[to] + 0)
			problem("no call goes up a layer (LAYERn in the Makefile)",
				from ".o (layer " layer[from] ") -> " to ".o (layer " layer[to] "):" \
				calls[edges[e]])
		out[from, ++nout[from]] = to
	}
	for (i = 1; i <= nmod; i++)
		if (!color[names[i]])
			visit(names[i])
	while ((getline line < procf) > 0)
		problem("\"/proc\", kill(), killpg(), fork, vfork and posix_spawn only in exec*.c and proc.c",
			line)
	while ((getline line < longf) > 0)
		problem("no .c file over 1,000 lines", line)
	nfn = 0
	while ((getline line < funcf) > 0) {
		split(line, w, " ")
		fnlen[++nfn] = w[1] + 0
		longest = line
		if (w[1] + 0 > maxfn)
			problem("no function over " maxfn " lines",
				w[2] ": " w[3] "(): " w[1] " lines")
	}
	if (nfn % 2)
		median = fnlen[(nfn + 1) / 2]
	else
		median = nfn ? (fnlen[nfn / 2] + fnlen[nfn / 2 + 1]) / 2 : 0
	if (median > maxmedian)
		problem("functions: a median length of at most " maxmedian " lines",
			"the median of " nfn " functions is " median " lines")
	for (r = 1; r <= nrules; r++)
		printf "check-layers: %s\n%s", rules[r], lines[rules[r]]
	if (nfn) {
		split(longest, w, " ")
		printf "check-layers: %d functions, median %s lines, longest %d (%s %s())\n", nfn,
			median, fnlen[nfn], w[2], w[3]
	}
	printf "check-layers: %d objects, %d calls between files, %d problem%s\n", nmod, nedges,
		problems, (problems == 1 ? "" : "s")
	exit (problems > 0 ? 1 : 0)
}' "$work/symbols"
