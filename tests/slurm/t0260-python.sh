#!/bin/sh
# t0260-python.sh - a Python job with main_func on Slurm: one interpreter per chunk (the fork
# runner is local), main_func called with the chunk's work IDs and the run's kwargs.
. "$(dirname "$0")/lib.sh"

mkproject python
job hello.py '#!/usr/bin/env python3
# ---
# executor: slurm
# main_func: main
# chunk_size: 2
# ---
import os


def main(work_ids=None, word="", **kwargs):
    print("ids", work_ids, word, "job", os.environ["SLURM_JOB_ID"] != "")'
run_stau -C "$P" run hello --ids 1-3 --kw word=hi
check "the run succeeds" "0" "$rc"
check "each chunk called main_func with its IDs and the kwargs, in Slurm" \
	"ids [1, 2] hi job True
ids [3] hi job True" "$(cat "$P"/.stau/logs/hello/1-1-1.log "$P"/.stau/logs/hello/1-2-1.log |
		grep '^ids')"
check "two Slurm jobs" "2" "$(slurm_jobs 1 | wc -l)"
done_testing
