#!/usr/bin/env python3
# ---
# description: drop bad rows from each store's sales
# chunk_size: 2
# main_func: clean
# dependencies:
#   - job_type: fetch_sales
#     max_lag: 60            # refetch when the raw data is older than an hour
# data_sources: [data/out/sales-STORE.csv]
# data_sinks: [data/out/clean-STORE.csv]
# ---
import csv

from common import out_path


def clean(work_ids=None, **kwargs):
    for store in work_ids:
        with open(out_path("sales-%d.csv" % store)) as f:
            rows = [r for r in csv.DictReader(f) if int(r["units"]) >= 0]
        with open(out_path("clean-%d.csv" % store), "w") as f:
            w = csv.DictWriter(f, fieldnames=["store", "day", "units"])
            w.writeheader()
            w.writerows(rows)
    print("cleaned stores", work_ids)
