#!/bin/sh
# cluster.sh up|down|status|env|clean - a single-node Slurm cluster on localhost for stau's
# Slurm tests, from Debian's packages (slurmctld, slurmd, slurm-client, munge).
#
#   up      install missing packages (as root), write a configuration, start munged,
#           slurmctld and slurmd, and wait until the node is idle; nothing to do when the
#           cluster is up already
#   down    cancel every job, stop slurmd, slurmctld and munged (each by the PID in its pid
#           file) and wait until they are gone; nothing to do when nothing runs
#   status  say which daemons run and what sinfo says; exit 0 when the cluster is up
#   env     print the line that points Slurm's commands at this cluster:
#           eval "$(tests/slurm/cluster.sh env)"
#   clean   down, then remove the cluster's directory
#
# Everything (configuration, munge key and socket, state, logs, pid files) lives under
# $STAU_SLURM_DIR (default /tmp/stau-slurm): the daemons are started with -f and the client
# commands find the configuration through $SLURM_CONF, so a real /etc/slurm or munged of the
# machine is neither read nor touched. The ports are $STAU_SLURM_PORT (slurmctld, default
# 16817) and the one after it (slurmd). Each `up` starts from empty state: job ids begin at 1.
#
# The daemons must run as root (slurmd starts jobs as their owners). Machines without
# systemd are the rule here: nothing is started through init scripts.
set -u

DIR=${STAU_SLURM_DIR:-/tmp/stau-slurm}
PORT=${STAU_SLURM_PORT:-16817}
CONF=$DIR/etc/slurm.conf
MUNGE_DIR=$DIR/munge
SOCKET=$MUNGE_DIR/munge.socket
PACKAGES="slurmctld slurmd slurm-client munge"
# the commands this script and the tests use, and the package of each
COMMANDS="munged:munge mungekey:munge slurmctld:slurmctld slurmd:slurmd sinfo:slurm-client
sbatch:slurm-client squeue:slurm-client scancel:slurm-client scontrol:slurm-client"
export SLURM_CONF="$CONF"
PATH=$PATH:/usr/sbin:/sbin

say() { printf 'cluster.sh: %s\n' "$*"; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

# ---- packages -----------------------------------------------------------------------------

missing_packages() {
	for pair in $COMMANDS; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || printf '%s\n' "${pair#*:}"
	done | sort -u | tr '\n' ' '
}

need_packages() {
	missing=$(missing_packages)
	[ -z "$missing" ] && return 0
	mkdir -p "$DIR"
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages: $missing- as root, run: apt-get install -y" \
			"--no-install-recommends $PACKAGES"
	fi
	say "installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	# another apt-get may hold the lock for a while (e.g. right after boot): wait for it
	# shellcheck disable=SC2086 # one word per package
	if ! apt-get -o DPkg::Lock::Timeout=600 update -qq >"$DIR.apt.log" 2>&1 ||
		! apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
			$PACKAGES >>"$DIR.apt.log" 2>&1; then
		die "apt-get install $PACKAGES failed; see $DIR.apt.log"
	fi
	missing=$(missing_packages)
	[ -z "$missing" ] || die "still missing after apt-get: $missing"
}

# ---- daemons by pid file ------------------------------------------------------------------

# pid_of NAME PIDFILE: prints the PID in PIDFILE when that process is alive and is NAME
# (its /proc/PID/comm), so that a stale pid file never leads to signalling another process.
pid_of() {
	[ -r "$2" ] || return 1
	pid=$(tr -dc '0-9' <"$2")
	[ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
	printf '%s\n' "$pid"
}

# stop NAME PIDFILE: SIGTERM, then SIGKILL after 15 s; waits until the process is gone.
stop() {
	pid=$(pid_of "$1" "$2") || { rm -f "$2"; return 0; }
	kill -TERM "$pid" 2>/dev/null
	i=0
	while [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]; do
		i=$((i + 1))
		[ "$i" -eq 150 ] && { say "$1 ($pid) ignores SIGTERM: SIGKILL"; kill -KILL "$pid"; }
		[ "$i" -gt 300 ] && die "$1 ($pid) does not stop"
		sleep 0.1
	done
	rm -f "$2"
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails when it has
# not succeeded after SECONDS.
wait_for() {
	limit=$(($1 * 10)) i=0
	shift
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
	return 0
}

munged_pid() { pid_of munged "$MUNGE_DIR/munged.pid"; }
slurmctld_pid() { pid_of slurmctld "$DIR/run/slurmctld.pid"; }
slurmd_pid() { pid_of slurmd "$DIR/run/slurmd.pid"; }

node_idle() {
	[ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]
}

# The node answers, with or without jobs ("idle*" would be a node that does not respond).
node_ready() {
	case $(sinfo -h -n localhost -o %T 2>/dev/null) in
	idle | mixed | allocated | completing) return 0 ;;
	*) return 1 ;;
	esac
}

show_log() {
	[ -r "$1" ] && { echo "--- last lines of $1"; tail -n 20 "$1"; } >&2
}

# ---- configuration ------------------------------------------------------------------------

write_config() {
	mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
	mkdir -p "$DIR/etc" "$DIR/run" "$DIR/log" "$DIR/state"
	rm -rf "$DIR/state/slurmctld" "$DIR/state/slurmd"
	rm -f "$DIR"/log/*.log "$MUNGE_DIR/munged.log"
	mkdir -p "$DIR/state/slurmctld" "$DIR/state/slurmd"
	cat >"$CONF.tmp" <<EOF
# written by stau's tests/slurm/cluster.sh; rewritten by every 'up'
ClusterName=stau
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
StateSaveLocation=$DIR/state/slurmctld
SlurmdSpoolDir=$DIR/state/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without it a job that gives no --mem holds all the node's memory: one job at a time
DefMemPerCPU=100
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MinJobAge=${STAU_SLURM_MIN_JOB_AGE:-300}
KillWait=${STAU_SLURM_KILL_WAIT:-30}
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$((mem_kb / 2048)) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
	mv -f "$CONF.tmp" "$CONF"
}

# ---- up -----------------------------------------------------------------------------------

start_munged() {
	mkdir -p "$MUNGE_DIR"
	chown munge:munge "$MUNGE_DIR"
	chmod 0755 "$MUNGE_DIR"
	if [ ! -s "$MUNGE_DIR/munge.key" ]; then
		runuser -u munge -- mungekey --create --keyfile="$MUNGE_DIR/munge.key" ||
			die "mungekey --create failed"
	fi
	runuser -u munge -- munged --force --socket="$SOCKET" --key-file="$MUNGE_DIR/munge.key" \
		--pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" \
		--seed-file="$MUNGE_DIR/munged.seed" || { show_log "$MUNGE_DIR/munged.log"; die "munged did not start"; }
	wait_for 10 munged_pid || { show_log "$MUNGE_DIR/munged.log"; die "munged did not start"; }
}

start_slurm() {
	slurmctld -f "$CONF" || { show_log "$DIR/log/slurmctld.log"; die "slurmctld did not start"; }
	wait_for 20 slurmctld_pid ||
		{ show_log "$DIR/log/slurmctld.log"; die "slurmctld did not start"; }
	slurmd -f "$CONF" -N localhost || { show_log "$DIR/log/slurmd.log"; die "slurmd did not start"; }
	wait_for 20 slurmd_pid || { show_log "$DIR/log/slurmd.log"; die "slurmd did not start"; }
	if ! wait_for 60 node_idle; then
		sinfo >&2
		show_log "$DIR/log/slurmctld.log"
		show_log "$DIR/log/slurmd.log"
		die "the node is not idle after 60 s"
	fi
}

is_up() {
	munged_pid >/dev/null && slurmctld_pid >/dev/null && slurmd_pid >/dev/null
}

cmd_up() {
	need_packages
	[ "$(id -u)" -eq 0 ] || die "the daemons must be started as root"
	mkdir -p "$DIR"
	if is_up && wait_for 10 node_ready; then
		say "up already ($CONF)"
		return 0
	fi
	cmd_down >/dev/null # whatever half of a cluster was left behind
	write_config
	start_munged
	start_slurm
	say "up: $(sinfo -h -o '%P %D node(s) %T, %c CPUs')"
}

# ---- down ---------------------------------------------------------------------------------

# Cancels every job and waits (up to KillWait and a margin) until none is left, so that no
# slurmstepd outlives slurmd.
cancel_jobs() {
	slurmctld_pid >/dev/null || return 0
	scancel --partition=debug --full >/dev/null 2>&1
	i=0
	while [ -n "$(squeue -h -o %i 2>/dev/null)" ]; do # pending, running or completing
		i=$((i + 1))
		[ "$i" -gt $((${STAU_SLURM_KILL_WAIT:-30} * 10 + 100)) ] && { say "jobs are still active"; break; }
		sleep 0.1
	done
}

cmd_down() {
	if ! munged_pid >/dev/null && ! slurmctld_pid >/dev/null && ! slurmd_pid >/dev/null; then
		say "down already"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "the daemons must be stopped as root"
	cancel_jobs
	stop slurmd "$DIR/run/slurmd.pid"
	stop slurmctld "$DIR/run/slurmctld.pid"
	stop munged "$MUNGE_DIR/munged.pid"
	say "down"
}

# ---- status, env, clean -------------------------------------------------------------------

cmd_status() {
	for d in munged slurmctld slurmd; do
		if pid=$(${d}_pid); then say "$d: running, pid $pid"; else say "$d: not running"; fi
	done
	is_up || return 1
	sinfo
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) printf 'export SLURM_CONF=%s\n' "$CONF" ;;
clean) cmd_down && rm -rf "$DIR" "$DIR.apt.log" && say "removed $DIR" ;;
*) die "usage: cluster.sh up|down|status|env|clean" ;;
esac
