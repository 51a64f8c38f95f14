#!/bin/sh
# run.sh [PREFIX]... - run the end-to-end test scripts against $STAU through prove(1): every
# script, or those whose names start with a PREFIX (t0300 ...). Each script prints TAP (lib.sh).
# prove prints a line per script, the failing tests of a failing script with their
# diagnostics (and whatever it wrote on stderr), and ends with "Files=N, Tests=M, ..." and
# "Result: PASS" or "Result: FAIL", its exit status saying the same. $E2E_NAME names the
# suite in the first line (default "e2e"). tests/e2e/README says how to write a script.
set -u
dir=$(dirname "$0")
command -v prove >/dev/null 2>&1 ||
	{ echo "run.sh: prove is missing: install perl (apt-get install perl)" >&2; exit 2; }
prefixes=$*
set --
for t in "$dir"/t[0-9]*.sh; do
	wanted=${prefixes:+no}
	for prefix in $prefixes; do
		case $(basename "$t") in "$prefix"*) wanted=yes ;; esac
	done
	[ "$wanted" = no ] || set -- "$@" "$t"
done
[ $# -gt 0 ] || { echo "run.sh: no script in $dir starts with: $prefixes" >&2; exit 2; }
[ $# -eq 1 ] && s="" || s=s
echo "${E2E_NAME:-e2e}: $# script$s, STAU=${STAU:-}"
exec prove --failures --comments --exec sh "$@"
