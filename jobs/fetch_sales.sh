#!/bin/sh
# ---
# description: fetch raw sales for each store
# chunk_size: 4
# timeout: 10m
# retries: 2
# data_sinks: [data/out/sales-STORE.csv]
# ---
# A shell job: stau gives the work IDs in STAU_WORK_IDS and in the file STAU_WORK_IDS_FILE.
set -eu
mkdir -p data/out
while read -r store; do
	printf 'store,day,units\n%s,1,%s\n%s,2,%s\n' "$store" $((store * 3)) "$store" $((store * 5)) \
		> "data/out/sales-$store.csv"
done < "$STAU_WORK_IDS_FILE"
echo "fetched sales of stores $STAU_WORK_IDS (chunk $STAU_CHUNK)"
