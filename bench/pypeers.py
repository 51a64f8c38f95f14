"""pypeers.py MODE JOB_FILE N - the peers of stau's Python runner in bench/python.sh: N calls
of the job's main(work_ids=[i]), i = 1..N, two at a time. Exits 1 if any call failed.

  import            only import the module once (what every mode below pays first)
  pool              a ProcessPoolExecutor(2) whose workers import the module once each and
                    make the N calls: the Python Stau's model (no isolation between calls)
  forkloop          import once, then one os.fork() per call, two children at a time, each
                    ending with os._exit: the floor of a process per chunk
  forkloop-freeze   the same with gc.freeze() after the import (what the runner does)

Python 3.8 or later."""
import gc
import importlib.util
import os
import sys

MODULE = None


def load(path):
    global MODULE
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    MODULE = importlib.util.module_from_spec(spec)
    sys.modules[name] = MODULE
    spec.loader.exec_module(MODULE)


def call(i):
    MODULE.main(work_ids=[i])
    return 0


def pool(path, n):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(2, initializer=load, initargs=(path,)) as ex:
        return max(ex.map(call, range(1, n + 1)))


def forkloop(path, n, freeze):
    load(path)
    if freeze:
        gc.freeze()
    running, i, failed = 0, 1, 0
    while i <= n or running:
        while running < 2 and i <= n:
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = call(i)
                finally:
                    os._exit(code)
            running, i = running + 1, i + 1
        _, status = os.wait()
        running -= 1
        failed += status != 0
    return 1 if failed else 0


def main():
    if len(sys.argv) != 4:
        print("usage: pypeers.py MODE JOB_FILE N", file=sys.stderr)
        return 2
    mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "import":
        load(path)
        return 0
    if mode == "pool":
        return pool(path, n)
    if mode in ("forkloop", "forkloop-freeze"):
        return forkloop(path, n, mode == "forkloop-freeze")
    print("pypeers: unknown mode %r" % mode, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
