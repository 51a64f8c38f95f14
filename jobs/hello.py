#!/usr/bin/env python3
# ---
# description: says hello for each work ID
# main_func: main
# chunk_size: 1
# ---


def main(work_ids=None, final_message="", **kwargs):
    for work_id in work_ids:
        print("hello from work ID", work_id)
    print(final_message)
