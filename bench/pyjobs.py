"""pyjobs.py DIR - writes the Python workloads of bench/python.sh into DIR, a stau project.

  jobs/heavy.py       its import builds a large structure: about 0.3 s and 75 MB, what
                      importing pandas costs, with nothing but the standard library
  jobs/pandas_job.py  imports pandas; each call builds a small DataFrame (run only where
                      the interpreter has pandas)

Both are main_func jobs of chunk size 1: a run over IDs 1-N is N chunks, each one call of
main(work_ids=[i]) doing a little work. Python 3.8 or later."""
import os
import sys

HEADER = """#!/usr/bin/env python3
# ---
# description: %s
# chunk_size: 1
# main_func: main
# ---
"""

HEAVY = '''"""A stand-in for a data-science module: the import does the heavy work."""
TABLE = {i: (str(i), i * 0.5) for i in range(300000)}


def main(work_ids=None, **kwargs):
    return sum(TABLE[i % len(TABLE)][1] for i in work_ids or [])
'''

PANDAS = '''"""A pandas job: pandas imported at the top, a small DataFrame per call."""
import pandas as pd


def main(work_ids=None, **kwargs):
    ids = list(work_ids or [])
    df = pd.DataFrame({"id": ids, "value": [i * 0.5 for i in ids]})
    return float(df["value"].sum())
'''


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def main():
    if len(sys.argv) != 2:
        print("usage: pyjobs.py DIR", file=sys.stderr)
        return 2
    jobs = os.path.join(sys.argv[1], "jobs")
    os.makedirs(jobs, exist_ok=True)
    write(os.path.join(jobs, "heavy.py"),
          HEADER % "0.3 s of work at import, a little per call" + HEAVY)
    write(os.path.join(jobs, "pandas_job.py"),
          HEADER % "pandas at import, a small DataFrame per call" + PANDAS)
    open(os.path.join(sys.argv[1], "schedule.yaml"), "a").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
