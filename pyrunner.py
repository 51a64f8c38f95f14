# The runner for Python jobs with main_func (docs/design.md, "The Python runner"), carried inside the stau binary.
# argv: runner JOB_FILE MAIN_FUNC. Work IDs come from STAU_WORK_IDS_FILE, kwargs from
# STAU_KWARGS (a JSON object). Exit 0 when the function returns, 1 with the traceback on
# stderr when it raises, 3 when the job cannot be loaded or has no such function.
import importlib.util
import json
import os
import sys
import traceback


def load_ids():
    path = os.environ.get("STAU_WORK_IDS_FILE", "")
    if path:
        with open(path) as f:
            return [int(line) for line in f if line.strip()]
    text = os.environ.get("STAU_WORK_IDS", "")
    return [int(x) for x in text.split(",") if x]


def main():
    if len(sys.argv) != 3:
        print("stau runner: usage: runner JOB_FILE MAIN_FUNC", file=sys.stderr)
        return 3
    path, func_name = sys.argv[1], sys.argv[2]
    jobs_dir = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, jobs_dir)
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot load %s" % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except BaseException:
        traceback.print_exc()
        print("stau runner: cannot import %s" % path, file=sys.stderr)
        return 3
    func = getattr(module, func_name, None)
    if not callable(func):
        print("stau runner: %s has no function %r" % (path, func_name), file=sys.stderr)
        return 3
    try:
        kwargs = json.loads(os.environ.get("STAU_KWARGS") or "{}")
        func(work_ids=load_ids(), **kwargs)
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:
        traceback.print_exc()
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
