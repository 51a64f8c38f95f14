#!/bin/sh
# stau check: every problem of every file with file:line:col, exit codes, notes, job files
# that would fail at run time for want of the execute permission.
. "$(dirname "$0")/lib.sh"

mkproject good
job a.py '#!/usr/bin/env python3
# ---
# description: the first job
# chunk_size: 10
# dependencies:
#   - job_type: b
#     max_lag: 60
# ---
print("a")'
job b.sh '#!/bin/sh
# ---
# description: the second job
# ---
echo b'
job helper.py 'X = 1'
chmod 644 "$P/jobs/helper.py"
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: hourly-a
    job: a
    cron: "0 * * * *"
YAML
run_stau -C "$P" check
check "a valid project exits 0" 0 "$rc"
check "a valid project is summed up, helpers noted" "jobs/helper.py: note: no header, so not a job
ok: 2 jobs, 1 schedule entry" "$out"

mkproject bad
job a.py '#!/usr/bin/env python3
# ---
# chunck_size: 10
# dependencies:
#   - job_type: nosuch
# timeout: soon
# ---'
job b.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: c
# ---'
job c.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: b
# ---'
job d.sh '#!/bin/sh
# ---
# retries: -1
# max_parallel: many
# ---'
job e.sh '# ---
# description: never closed'
job x.py '# ---
# main_func: run
# ---'
job x.sh '# ---
# main_func: run
# ---'
job u.sh '#!/bin/sh
# ---
# description: fine, but anyone may change it
# ---'
chmod 666 "$P/jobs/u.sh"
cat >"$P/schedule.yaml" <<'YAML'
settings:
  timezone: Europe/Kopenhagen
schedule:
  - id: one
    job: a
    cron: "0 25 * * *"
  - id: one
    job: ghost
    every: 15m
YAML
run_stau -C "$P" check
check "problems exit 2" 2 "$rc"
check "the closing line counts every problem listed" \
	"$(printf '%s\n' "$out" | grep -v ': note: ' | grep -c '^jobs/.*: \|^schedule.yaml:') problems" \
	"$(printf '%s\n' "$out" | tail -n 1)"
case $out in *"jobs/a.py:3:3: unknown key 'chunck_size' (did you mean 'chunk_size'?)"*) ok "unknown key with location and hint";; *) not_ok "unknown key with location and hint" "$out";; esac
case $out in *"jobs/a.py:5:17: unknown dependency 'nosuch'"*) ok "unknown dependency at its line";; *) not_ok "unknown dependency at its line" "$out";; esac
case $out in *"dependency cycle: b -> c -> b"*|*"dependency cycle: c -> b -> c"*) ok "cycle spelled out";; *) not_ok "cycle spelled out" "$out";; esac
case $out in *"jobs/u.sh: writable by group or others; run 'chmod go-w jobs/u.sh'"*) ok "unsafe file refused with the fix";; *) not_ok "unsafe file refused with the fix" "$out";; esac
case $out in *"job type 'x' is defined twice: jobs/x.py and jobs/x.sh"*) ok "duplicate job type";; *) not_ok "duplicate job type" "$out";; esac
case $out in *"jobs/e.sh:1:"*) ok "unclosed header at its opening line";; *) not_ok "unclosed header at its opening line" "$out";; esac
case $out in *"schedule.yaml:2:13:"*"Europe/Kopenhagen"*) ok "unknown time zone at its value";; *) not_ok "unknown time zone at its value" "$out";; esac
case $out in *"schedule.yaml:6:11:"*"hour"*) ok "bad cron field named at its value";; *) not_ok "bad cron field named at its value" "$out";; esac
case $out in *"schedule.yaml:"*"duplicate id 'one'"*) ok "duplicate entry id";; *) not_ok "duplicate entry id" "$out";; esac
case $out in *"schedule.yaml:8:10: unknown job 'ghost'"*) ok "unknown job in the schedule";; *) not_ok "unknown job in the schedule" "$out";; esac
count=$(printf '%s\n' "$out" | grep -c '^jobs/\|^schedule.yaml')
if [ "$count" -ge 12 ]; then ok "at least twelve problems listed ($count)"; else not_ok "at least twelve problems listed" "$out"; fi

run_stau -C "$TMP/nowhere" check
check "a missing project directory exits 2" 2 "$rc"
check "and says which directory" "stau: cannot use '$TMP/nowhere' (from -C) as the project directory: No such file or directory" "$err"

run_stau chekc
check "an unknown command exits 2" 2 "$rc"
check "and suggests the nearest" "stau: unknown command 'chekc' (did you mean 'check'?)" "$err"

run_stau check --help
check "every command has --help" 0 "$rc"
case $out in "usage: stau check"*) ok "help shows usage";; *) not_ok "help shows usage" "$out";; esac

run_stau --version
case $out in "stau "[0-9]*) ok "--version";; *) not_ok "--version" "$out";; esac
# A job started as the file itself needs the execute permission; one with a command or a
# main_func does not.
mkproject perms
job plain.sh '#!/bin/sh
# ---
# description: run as itself
# ---
true'
job cmd.sh '# ---
# command: [sh]
# ---
true'
job py.py '# ---
# main_func: main
# ---
def main(**kw): pass'
chmod 644 "$P/jobs/plain.sh" "$P/jobs/cmd.sh" "$P/jobs/py.py"
run_stau -C "$P" check
check "a job file that is not executable is a problem" "2|jobs/plain.sh: not executable: run 'chmod +x jobs/plain.sh', or give it a 'command' or a 'main_func'
1 problem" "$rc|$out"
chmod 755 "$P/jobs/plain.sh"
run_stau -C "$P" check
check "once executable, all is well" "0|ok: 3 jobs, 0 schedule entries" "$rc|$out"

done_testing
