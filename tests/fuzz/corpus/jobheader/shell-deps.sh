#!/bin/sh
# ---
# description: one summary line of all forecasts
# dependencies:
#   - job_type: forecast
#     max_lag: 2h
#     allow_missing_work_ids: true
# ---
set -eu
total=$(cat data/out/forecast-*.txt 2>/dev/null | awk '{ s += $1 } END { printf "%.1f", s }')
echo "total forecast: $total" | tee data/out/report.txt
