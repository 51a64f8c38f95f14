#!/bin/sh
# Python main_func chunks forked from a runner (docs/design.md, "The Python runner"): the job
# module is imported once per stau process; each chunk is its own process with fresh module
# state, its own random draws and its environment; a raising chunk fails with its traceback,
# main_func's own exit 3 is an ordinary failure, a module that cannot be imported makes the
# job BROKEN once; an edit of the file starts a new runner; python_fork: false runs one
# interpreter per chunk.
. "$(dirname "$0")/lib.sh"

NOW=2026-06-01T12:00:00Z
db() { sqlite3 "$P/.stau/stau.db" "$1"; }

mkproject fork
job pj.py '# ---
# chunk_size: 1
# main_func: main
# env: {FOO: bar}
# ---
import os, random, sys
VERSION = "a"
STATE = []
with open(os.path.join(os.environ["STAU_DIR"], "imports"), "a") as f:
    f.write("import %d\n" % os.getpid())

def main(work_ids, **kw):
    STATE.append(1)
    with open(os.path.join(os.environ["STAU_DIR"], "out"), "a") as f:
        f.write("%d pid=%d state=%d r=%.12f foo=%s chunk=%s ids=%s v=%s\n" % (
            work_ids[0], os.getpid(), len(STATE), random.random(), os.environ.get("FOO"),
            os.environ.get("STAU_CHUNK_ID"), os.environ.get("STAU_WORK_IDS"), VERSION))
    if work_ids[0] == 7:
        raise ValueError("seven is not allowed")
    if work_ids[0] == 8:
        sys.exit(3)'
run_stau -C "$P" run pj --ids 1-20 -j 2 --now "$NOW"
check "a run with a raising chunk and an exit 3 exits 1" 1 "$rc"
check "the module was imported once for 20 chunks" 1 "$(wc -l <"$P/imports")"
check "20 chunks ran" 20 "$(wc -l <"$P/out")"
check "each chunk was its own process" 20 "$(sed 's/.* pid=\([0-9]*\) .*/\1/' "$P/out" | sort -u | wc -l)"
check "no chunk saw another's module state" "" "$(grep -v 'state=1 ' "$P/out")"
check "random draws differ between chunks" 20 "$(sed 's/.* r=\([0-9.]*\) .*/\1/' "$P/out" | sort -u | wc -l)"
check "env: and STAU_* are in os.environ" "" \
	"$(awk '{ split($6, c, "="); split($7, i, "="); if ($5 != "foo=bar" || i[2] != $1) print }' "$P/out")"
check "chunk IDs in os.environ are the chunks' own" \
	"$(db "SELECT id FROM chunks ORDER BY id")" \
	"$(sed 's/.* chunk=\([0-9]*\) .*/\1/' "$P/out" | sort -n)"
check "the raising chunk and the exit 3 failed, 18 are DONE" "DONE|18
FAILED|2" "$(db "SELECT state, count(*) FROM chunks GROUP BY state ORDER BY state")"
log7=$(db "SELECT log_path FROM chunks WHERE ids = '7'")
case $(cat "$P/$log7") in *Traceback*"ValueError: seven is not allowed"*"[exited with status 1]"*)
	ok "the raising chunk's log has its traceback";;
	*) not_ok "the raising chunk's log has its traceback" "$(cat "$P/$log7")";; esac
case $err in *"exit 3 after"*) ok "main_func's exit 3 is reported as an exit 3";;
	*) not_ok "main_func's exit 3 is reported as an exit 3" "$err";; esac
case $err in *broken*) not_ok "main_func's own exit 3 does not break the job" "$err";;
	*) ok "main_func's own exit 3 does not break the job";; esac
run_stau -C "$P" status pj
case $out in *BROKEN*) not_ok "status does not show the job BROKEN" "$out";;
	*) ok "status does not show the job BROKEN";; esac

# --- an edit of the file starts a new runner for the later chunks ---
: >"$P/imports"
: >"$P/out"
job edit.py '# ---
# chunk_size: 1
# main_func: main
# ---
import os
VERSION = "a"
with open(os.path.join(os.environ["STAU_DIR"], "imports"), "a") as f:
    f.write("import %s\n" % VERSION)

def main(work_ids):
    with open(os.path.join(os.environ["STAU_DIR"], "out"), "a") as f:
        f.write("%d %s\n" % (work_ids[0], VERSION))
    if work_ids[0] == 2:
        path = os.path.join(os.environ["STAU_DIR"], "jobs", "edit.py")
        text = open(path).read().replace("VERSION = \"a\"", "VERSION = \"b\"")
        with open(path, "w") as f:
            f.write(text)'
run_stau -C "$P" run edit --ids 1-4 -j 1 --now "$NOW"
check "the run with an edit mid-run succeeds" 0 "$rc"
check "chunks after the edit ran the new version" "1 a
2 a
3 b
4 b" "$(cat "$P/out")"
check "the edit started a second runner" "import a
import b" "$(cat "$P/imports")"

# --- a module that cannot be imported: BROKEN once, not once per chunk ---
: >"$P/imports"
job bad.py '# ---
# chunk_size: 1
# main_func: main
# ---
import os
with open(os.path.join(os.environ["STAU_DIR"], "imports"), "a") as f:
    f.write("import\n")
import no_such_module_here

def main(work_ids):
    pass'
run_stau -C "$P" run bad --ids 1-6 -j 2 --now "$NOW"
check "a run of a job whose import fails exits 1" 1 "$rc"
check "its module was imported once" 1 "$(wc -l <"$P/imports")"
check "the job was found broken once" 1 "$(printf '%s\n' "$err" | grep -c 'broken until its file changes')"
check "every failed chunk names the exception, and where its traceback is" 6 \
	"$(printf '%s\n' "$err" | grep -c "No module named 'no_such_module_here'")"
run_stau -C "$P" status bad
case $out in *BROKEN*) ok "status shows the job BROKEN";;
	*) not_ok "status shows the job BROKEN" "$out";; esac
blog=$(db "SELECT log_path FROM chunks WHERE job = 'bad' AND message LIKE 'fatal%'")
case $(cat "$P/$blog") in *"could not import"*"No module named 'no_such_module_here'"*"cannot import"*)
	ok "the broken chunk's log says why the import failed";;
	*) not_ok "the broken chunk's log says why the import failed" "$(cat "$P/$blog")";; esac
run_stau -C "$P" run bad --ids 1 --now 2026-06-01T12:05:00Z
check "a broken job is not imported again" 1 "$(wc -l <"$P/imports")"

# --- python_fork: false: one interpreter per chunk; its own exit 3 is a failure too ---
: >"$P/imports"
: >"$P/out"
job one.py '# ---
# chunk_size: 1
# main_func: main
# python_fork: false
# ---
import os, sys
with open(os.path.join(os.environ["STAU_DIR"], "imports"), "a") as f:
    f.write("import %d\n" % os.getpid())

def main(work_ids):
    with open(os.path.join(os.environ["STAU_DIR"], "out"), "a") as f:
        f.write("%d %d\n" % (work_ids[0], os.getpid()))
    if work_ids[0] == 3:
        sys.exit(3)'
run_stau -C "$P" run one --ids 1-4 -j 2 --now "$NOW"
check "python_fork: false: the run with an exit 3 exits 1" 1 "$rc"
check "python_fork: false imports the module in each chunk" 4 "$(wc -l <"$P/imports")"
check "python_fork: false: the chunk is the interpreter that imported" \
	"$(sed 's/import //' "$P/imports" | sort)" "$(cut -d' ' -f2 "$P/out" | sort)"
case $err in *broken*) not_ok "python_fork: false: main_func's exit 3 does not break the job" "$err";;
	*) ok "python_fork: false: main_func's exit 3 does not break the job";; esac
job onebad.py '# ---
# main_func: main
# python_fork: false
# ---
import no_such_module_here'
run_stau -C "$P" run onebad --now "$NOW"
case $err in *"broken until its file changes"*) ok "python_fork: false: an import that fails breaks the job";;
	*) not_ok "python_fork: false: an import that fails breaks the job" "$err";; esac

# --- python_fork: false in the settings ---
: >"$P/imports"
printf 'settings:\n  python_fork: false\n' >"$P/schedule.yaml"
run_stau -C "$P" run pj --ids 1-3 -j 1 --now 2026-06-01T13:00:00Z
check "python_fork: false in the settings: one import per chunk" 3 "$(wc -l <"$P/imports")"

done_testing
