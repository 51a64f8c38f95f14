#!/bin/sh
# run-units.sh TEST... - run cmocka test binaries (under $VALGRIND if set) and sum them up.
set -u
pass=0 fail=0
for t in "$@"; do
	if ${VALGRIND:-} "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t" >&2; fi
done
echo "units: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
