#!/bin/sh
# run.sh [PREFIX]... - run the Slurm tests (TAP) against the cluster of cluster.sh, which must
# be up, and sum them up like tests/e2e/run.sh: every script, or those whose names start with
# a PREFIX. $STAU names the stau binary (default ./stau); $SLURM_TOOL may name a built
# tests/slurm/slurm-tool.c (otherwise each script builds it from build/libstau.a).
set -u
dir=$(dirname "$0")
E2E_NAME=${E2E_NAME:-slurm}
pass=0 fail=0 scripts_failed=""
for t in "$dir"/t[0-9]*.sh; do
	if [ $# -gt 0 ]; then
		name=$(basename "$t") wanted=no
		for prefix in "$@"; do
			case $name in "$prefix"*) wanted=yes ;; esac
		done
		[ "$wanted" = yes ] || continue
	fi
	outf=$(mktemp)
	sh "$t" >"$outf" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$outf")
	f=$(grep -c '^not ok ' "$outf")
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
		[ "$f" -eq 0 ] && fail=$((fail + 1))
		scripts_failed="$scripts_failed $(basename "$t")"
		echo "--- $(basename "$t") (exit $rc)"; cat "$outf"
	fi
	rm -f "$outf"
done
[ -n "$scripts_failed" ] && echo "failed scripts:$scripts_failed"
echo "$E2E_NAME: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
