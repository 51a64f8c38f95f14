#!/bin/sh
# run-fuzzers.sh FUZZER... - run each libFuzzer harness for $FUZZ_TIME seconds, starting from
# its seed corpus tests/fuzz/corpus/NAME (read only; new inputs go to build/fuzz/corpus-NAME).
# A crash leaves its input as build/fuzz/crash-* and fails the run.
set -u
pass=0 fail=0
for f in "$@"; do
	name=$(basename "$f")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=build/fuzz/corpus-${name#fuzz_}
	mkdir -p "$work" "$seeds"
	if "$f" -max_total_time="${FUZZ_TIME:-5}" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/ -print_final_stats=1 "$work" "$seeds" \
		>"build/fuzz/$name.log" 2>&1; then
		pass=$((pass + 1))
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/$name.log" | grep -o '[0-9]*$')
		echo "fuzz: $name: ${runs:-?} inputs in ${FUZZ_TIME:-5}s, no failure"
	else
		fail=$((fail + 1))
		echo "FAILED: $name (see build/fuzz/$name.log)" >&2
		tail -n 30 "build/fuzz/$name.log" >&2
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
