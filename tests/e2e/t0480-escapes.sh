#!/bin/sh
# No terminal escape sequence from a job reaches the terminal: descriptions, job output,
# header values and file names are printed by status, show, graph and check with their
# control characters escaped (ESC as \x1b, a newline as \n), as `cat -v` shows; `stau logs`
# prints a log as it is.
. "$(dirname "$0")/lib.sh"

ESC=$(printf '\033')
# controls OUTPUT: the control characters `cat -v` finds in OUTPUT ("^[", "M-^[" ...), or "".
controls() { printf '%s\n' "$1" | cat -v | grep -o '\^[][A-Z@\\^_?]\|M-[^ ]' | LC_ALL=C sort -u | tr '\n' ' '; }

mkproject esc
# YAML has no raw control characters: a double-quoted "\e" is ESC, "\a" BEL
job painter.sh '#!/bin/sh
# ---
# description: "paints \e[31mred\e[0m and \e]0;pwned\a"
# ---
printf "clearing the screen\033[2J\n" >&2
printf "title\033]0;owned\007 and a bell\n" >&2
exit 1'
job odd.sh '#!/bin/sh
# ---
# chunk_size: "\e[5m"
# ---'
printf 'helper\n' >"$P/jobs/notes
${ESC}[1m.txt"
# the file name with a newline would garble lib.sh's listing of the project
dump_project() { :; }

run_stau -C "$P" run painter --now 2026-06-01T10:00:00Z
check "the painter fails" 1 "$rc"
check "run: no control character in what it printed" "" "$(controls "$out$err")"

run_stau -C "$P" run odd --now 2026-06-01T10:00:00Z
check "run: the broken header's value, escaped" \
	"stau: odd run 2 failed: job 'odd' is broken: jobs/odd.sh:3:15: 'chunk_size' must be an integer >= 1 or 'all', got '\\x1b[5m'" \
	"$err"

printf 'schedule:\n  - id: odd\n    job: odd\n    cron: "* * * * *"\n' >"$P/schedule.yaml"
run_stau -C "$P" tick --now 2026-06-01T10:00:00Z
check "tick: no control character in what it printed" "" "$(controls "$out$err")"
case $err in
*"got '\\x1b[5m'"*) ok "tick: the broken header's value, escaped" ;;
*) not_ok "tick: the broken header's value, escaped" "$err" ;;
esac
: >"$P/schedule.yaml"

run_stau -C "$P" show 1
check "show: no control character reaches the terminal" "" "$(controls "$out")"
check "show: the tail with its escapes visible" "    clearing the screen\\x1b[2J
    title\\x1b]0;owned\\x07 and a bell" \
	"$(printf '%s\n' "$out" | grep 'clearing\|title')"

run_stau -C "$P" status --now 2026-06-01T10:00:00Z
check "status: no control character" "" "$(controls "$out")"
check "status: the header value in a BROKEN reason, escaped" \
	"  BROKEN: jobs/odd.sh:3:15: 'chunk_size' must be an integer >= 1 or 'all', got '\\x1b[5m'" \
	"$(printf '%s\n' "$out" | grep 'BROKEN')"
run_stau -C "$P" status painter --now 2026-06-01T10:00:00Z
check "status JOB: the description escaped" \
	"painter - paints \\x1b[31mred\\x1b[0m and \\x1b]0;pwned\\x07" \
	"$(printf '%s\n' "$out" | head -n 1)"

run_stau -C "$P" graph
check "graph: no control character, on stdout or stderr" "|" \
	"$(controls "$out")|$(controls "$err")"
check "graph: the description escaped" \
	"painter  - paints \\x1b[31mred\\x1b[0m and \\x1b]0;pwned\\x07" \
	"$(printf '%s\n' "$out" | grep '^painter')"
run_stau -C "$P" graph --dot
check "graph --dot: no control character" "" "$(controls "$out")"
check "graph --dot: the label escaped for DOT" \
	"	\"painter\" [label=\"painter\\npaints \\\\x1b[31mred\\\\x1b[0m and \\\\x1b]0;pwned\\\\x07\"];" \
	"$(printf '%s\n' "$out" | grep '"painter" \[')"

run_stau -C "$P" check
check "check: no control character" "" "$(controls "$out")"
check "check: a file name with a newline and an escape, escaped" \
	"jobs/notes\\n\\x1b[1m.txt: note: no header, so not a job" \
	"$(printf '%s\n' "$out" | grep 'note:')"
check "check: the header value escaped" \
	"jobs/odd.sh:3:15: 'chunk_size' must be an integer >= 1 or 'all', got '\\x1b[5m'" \
	"$(printf '%s\n' "$out" | grep '^jobs/odd')"

run_stau -C "$P" logs 1
check "logs prints the log as it is, escapes included" "^G ^[ " "$(controls "$out")"

done_testing
