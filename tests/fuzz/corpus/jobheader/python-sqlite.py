#!/usr/bin/env python3
# ---
# description: forecast tomorrow's demand per store
# chunk_size: 3
# main_func: forecast
# select_work:
#   sqlite: data/stores.db
#   query: SELECT id FROM stores WHERE active = 1
# dependencies:
#   - job_type: clean_sales
#     max_lag: 30m
# ---
import csv

from common import out_path


def forecast(work_ids=None, horizon_days=1, **kwargs):
    for store in work_ids:
        with open(out_path("clean-%d.csv" % store)) as f:
            units = [int(r["units"]) for r in csv.DictReader(f)]
        mean = sum(units) / len(units) if units else 0.0
        with open(out_path("forecast-%d.txt" % store), "w") as f:
            f.write("%.1f\n" % (mean * horizon_days))
    print("forecast for stores", work_ids)
