#!/bin/sh
# bash completion (completion/stau.bash): commands and options as stau's help lists them,
# job types, entry ids and run ids from the project (-C or the current directory), files and
# directories where a value names one; driven through COMP_WORDS, COMP_CWORD and COMPREPLY
# under bash, as bash's programmable completion calls it.
. "$(dirname "$0")/lib.sh"

COMPLETION=$(cd "$(dirname "$0")/../.." && pwd)/completion/stau.bash

# offers WORD...: what completion offers with the cursor at the end of the last WORD of the
# line `stau WORD...`, sorted, one per line.
offers() {
	bash -c '. "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"
_stau; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' \
		bash "$COMPLETION" "$STAU" "$@" | LC_ALL=C sort
}

mkproject p
job features.sh '#!/bin/sh
# ---
# chunk_size: 2
# ---
true'
job report.sh '#!/bin/sh
# ---
# dependencies:
#   - job_type: features
# ---
true'
job helper.py 'X = 1'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: nightly
    job: report
    cron: "0 3 * * *"
  - id: hourly-features
    job: features
    every: 1h
YAML

check "the commands of 'stau --help', the hidden one left out" \
	"$("$STAU" --help | awk '/^commands:/ { on = 1; next } on && !NF { exit } on { print $1 }' | LC_ALL=C sort)" \
	"$(offers '')"
check "a command by its first letters" "rerun
retry" "$(offers re)"
check "global options before the command" "--help
--no-color
--state
--version" "$(offers --)"
check "a command's options, and the global ones" "--dry-run
--force
--help
--ids
--ids-file
--kw
--no-color
--now
--state
--version" "$(offers run --)"
check "short options too" "-C
-j
-q
-v" "$(offers run - | grep -v -- '^--')"

check "job types for run's JOB, from the project of -C" "features
report" "$(offers -C "$P" run '')"
check "job types from the current directory" "report" "$(cd "$P" && offers run r)"
check "job types from \$STAU_DIR" "features
report" "$(STAU_DIR=$P offers status '')"
check "no second JOB" "" "$(offers -C "$P" run report '')"
check "JOB after an option and its value" "features
report" "$(offers -C "$P" run --ids 1-4 -j 2 '')"
check "entry ids for next" "hourly-features
nightly" "$(offers -C "$P" next '')"
check "no run ids before the first run" "" "$(offers -C "$P" show '')"
check "and no database made for asking" "no" "$([ -e "$P/.stau" ] && echo yes || echo no)"

"$STAU" -C "$P" run report --ids 1-2 --now 2026-03-02T10:00:00Z >/dev/null 2>&1
"$STAU" -C "$P" run features --ids 3 --now 2026-03-02T10:00:00Z >/dev/null 2>&1
check "run ids for show" "1
2" "$(offers -C "$P" show '')"
check "run ids for the value of graph --run" "1
2" "$(offers -C "$P" graph --run '')"
check "run ids for rerun, retry, cancel and logs" "1 1 1 1" \
	"$(for c in rerun retry cancel logs; do offers -C "$P" "$c" 1; done | tr '\n' ' ' | sed 's/ $//')"
check "nothing for logs' CHUNK" "" "$(offers -C "$P" logs 1 '')"
check "nothing for values such as -j N" "" "$(offers -C "$P" run report -j '')"

mkdir "$P/ids.d"
: >"$P/ids.txt"
check "file names for --ids-file F" "ids.d
ids.txt" "$(cd "$P" && offers run report --ids-file ids)"
check "directories for -C" "$P/ids.d" "$(offers -C "$P/ids")"
check "directories for init's DIR" "$P/ids.d" "$(offers init "$P/ids")"

run_stau -C "$P" complete bogus
check "stau complete of something else is a usage error" 2 "$rc"
run_stau -C "$P" complete jobs
check "stau complete jobs: one job type a line" "features
report" "$out"
done_testing
