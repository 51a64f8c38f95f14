# lib.sh - helpers for the Slurm tests, sourced by each tests/slurm/tNNNN-*.sh after
# tests/e2e/lib.sh's (TAP output, $TMP, mkproject, job, check).
#
# The tests need the cluster of tests/slurm/cluster.sh up; without it they bail out (TAP
# "Bail out!") saying so. $SLURM_TOOL names tests/slurm/slurm-tool.c built against stau's
# library; when it is not set the tool is built here from build/libstau.a.
SLURM_DIR_=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$SLURM_DIR_/../.." && pwd)
: "${STAU:=$ROOT/stau}"
. "$ROOT/tests/e2e/lib.sh"
eval "$("$SLURM_DIR_/cluster.sh" env)"

if ! "$SLURM_DIR_/cluster.sh" status >/dev/null 2>&1; then
	echo "Bail out! the Slurm cluster is not up: run tests/slurm/cluster.sh up"
	exit 1
fi

if [ -z "${SLURM_TOOL:-}" ]; then
	SLURM_TOOL=$TMP/slurm-tool
	# shellcheck disable=SC2046 # pkg-config prints several words
	if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$ROOT" \
		-o "$SLURM_TOOL" "$SLURM_DIR_/slurm-tool.c" "$ROOT/build/libstau.a" \
		$(pkg-config --libs sqlite3 yaml-0.1) 2>"$TMP/cc.err"; then
		echo "Bail out! cannot build slurm-tool (is build/libstau.a built?)"
		sed 's/^/# /' "$TMP/cc.err"
		exit 1
	fi
fi

# wait_for_file PATH SECONDS: true once PATH exists, false after SECONDS.
wait_for_file() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# slurm_phase ID: "PHASE STATE" of the job as squeue reports it through slurm-tool.
slurm_phase() {
	"$SLURM_TOOL" squeue "$1" | "$SLURM_TOOL" parse-squeue "$1" | cut -d' ' -f2-
}

# wait_for_phase ID PHASE SECONDS: true once the job is in PHASE (PENDING, RUNNING, ENDED).
wait_for_phase() {
	i=0
	until slurm_phase "$1" | grep -q "^$2 "; do
		i=$((i + 1))
		[ "$i" -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# run_state RUN [DB]: the state of run RUN as recorded (default database: $P/.stau/stau.db).
run_state() {
	sqlite3 "${2:-$P/.stau/stau.db}" "SELECT state FROM runs WHERE id = $1"
}

# slurm_jobs RUN: "CHUNK JOBID" per chunk of run RUN that went to Slurm, by chunk, from
# `stau show --json`.
slurm_jobs() {
	"$STAU" -C "$P" show "$1" --json | python3 -c 'import json, sys
for c in json.load(sys.stdin)["chunk_list"]:
    if c["executor"] == "slurm":
        print(c["id"], c["slurm_job"])'
}

# active JOBID: true while Slurm has the job pending or running.
active() {
	[ -n "$(squeue -h -t pending,running,completing,suspended -j "$1,$1" -o %i 2>/dev/null)" ]
}

# recorder JOB [HEADER_LINES]: a job that appends one line per chunk to $P/record:
# "JOB CHUNK_ID SLURM_JOB_ID ATTEMPT RESTARTS IDS", after HEADER_LINES of its header.
recorder() {
	job "$1" "#!/bin/sh
# ---
# executor: slurm
$2
# ---
echo \"\$STAU_JOB \$STAU_CHUNK_ID \$SLURM_JOB_ID \$STAU_ATTEMPT \$SLURM_RESTART_COUNT \$STAU_WORK_IDS\" >>\"\$STAU_DIR/record\"
\${SLEEP:+sleep \$SLEEP}"
}
