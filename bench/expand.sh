#!/bin/sh
# expand.sh - (docs/design.md, "Performance"): expand a five-job chain over 1,000,000 work IDs (chunk sizes 10 to
# 1,000) with freshness read from a real stau database of 1,000,000 rows; target <= 2 s and
# <= 300 MB peak memory. See bench/expand.c for the scenarios.
set -eu
cd "$(dirname "$0")/.."
make -s build/libstau.a
mkdir -p build/bench
${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -I. \
	-o build/bench/expand bench/expand.c build/libstau.a \
	$(pkg-config --libs sqlite3 yaml-0.1)
dir=$(mktemp -d "${TMPDIR:-/tmp}/stau-bench-expand.XXXXXX")
trap 'rm -rf "$dir"' EXIT
start=$(date +%s)
build/bench/expand fill "$dir"
echo "filled 1000000 freshness rows in $(($(date +%s) - start)) s"
build/bench/expand run "$dir" mixed
build/bench/expand run "$dir" stale
