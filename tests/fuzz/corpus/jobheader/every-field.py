#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# ---
# chunk_size: 10
# dependencies:
#   - job_type: job_B
#     max_lag: 60
#     custom_kwargs: &kw {a: [1, 2.5, "x\u00e9"], b: {c: null}}
#     unique: yes
#   - {job_type: c, max_lag: 2h, custom_kwargs: {<<: *kw, a: 1}}
# select_work: ./ids --since "last week"
# command: [python3, -u, '{file}']
# timeout: 1h30m
# retries: 2
# fatal_exit_codes: [3, 4]
# env: {LANG: C.UTF-8}
# data_sources: [a]
# executor: slurm
# slurm: {partition: short}
# ---
