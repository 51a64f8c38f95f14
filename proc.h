/* proc.h - processes on this machine: who a process is and whether it still lives, its
 * parent, group and environment, killing what a lost chunk left, signal names, and running a
 * command to capture its output.
 *
 * This is the one place, with the executor (exec.c), that reads the process table or starts,
 * signals and waits for processes; it knows nothing of the database, and of chunks only the
 * environment variables that name them. proc.c's design comment says why each part looks as
 * it does. */
#ifndef STAU_PROC_H
#define STAU_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* ---- who a process is ---- */

/* A process as stau records it (the owner of a RUNNING chunk): its pid and its start time
 * in clock ticks since boot. Together they survive the reuse of a pid: a later process with
 * the same pid has another start time. */
struct proc_id {
	pid_t pid;
	int64_t start;
};

/* This process's identity. Returns 0, or -1 when the process table cannot be read. */
int proc_self(struct proc_id *out);

/* The identity of process pid. Returns 1 and fills *out when it is alive, 0 when there is no
 * such process or it has exited (a zombie, not yet reaped, owns nothing any more). */
int proc_id_of(pid_t pid, struct proc_id *out);

/* Whether id still names a live process: its pid is alive with the same start time. A pid
 * of 0 or less is never alive. */
bool proc_alive(const struct proc_id *id);

/* The parent and the process group of live process pid. Returns 0, or -1 when it is gone
 * or a zombie. */
int proc_parent_group(pid_t pid, pid_t *ppid, pid_t *pgrp);

/* The path of this program's executable, as a new string, or NULL when it is unknown. */
char *proc_self_exe(void);

/* ---- the processes of a chunk ---- */

/* What names a chunk in the environment of its processes (the STAU_RUN_ID, STAU_CHUNK_ID,
 * STAU_ATTEMPT and STAU_DIR that the engine gives each chunk). A field that is 0 or NULL is
 * not looked at. */
struct proc_chunk_env {
	int64_t run, chunk;
	int attempt;
	const char *dir;
	const char *runner_of;	/* proc_kill_leftovers: the value of PROC_RUNNER_OF that the
				 * Python runners of the chunk's owner had, or NULL */
};

/* The variable in the environment of a Python runner (exec_pyrun.h) naming the stau process
 * that started it as "PID:START" (struct proc_id): a chunk forked from the runner, and what
 * that chunk forks without executing a program, keep the runner's environment as the kernel
 * shows it (/proc/PID/environ), whatever os.environ says. */
#define PROC_RUNNER_OF "STAU_RUNNER_OF"

enum proc_env_match {
	PROC_ENV_UNKNOWN = -1, /* it cannot be read (gone, another user's), or lacks a variable */
	PROC_ENV_OTHER = 0,    /* a variable has another value: the process is another chunk's */
	PROC_ENV_MATCH = 1,    /* every variable looked at has the value wanted */
};

/* What the environment that process pid was started with (its /proc/PID/environ) says of the
 * chunk want: OTHER as soon as one variable looked at has another value, else UNKNOWN when
 * one is missing or nothing can be read, else MATCH. Of a variable set twice, the first
 * counts, as for getenv. */
enum proc_env_match proc_env_names(pid_t pid, const struct proc_chunk_env *want);

/* Kills, with SIGKILL, what a lost chunk left behind (its stau died, and its process group's
 * leader with it), in one pass over the process table: with group > 0, every process still
 * in that process group whose environment names chunk's run, chunk and attempt (MATCH;
 * chunk->dir is not looked at); and, when chunk->dir is set, every process of this user
 * anywhere whose environment names all four, so that what left the group (setsid) is killed
 * too. With group 0 (the leader's pid was never recorded) only the latter, and chunk->dir
 * must be set. With chunk->runner_of, also every process of this user whose environment has
 * PROC_RUNNER_OF with that value: what the owner's Python runners forked (the owner is dead,
 * so all of it is lost). A process whose environment names another attempt (a retry that
 * started meanwhile) is never hit, nor is the calling process. Returns the number of processes
 * killed. */
size_t proc_kill_leftovers(pid_t group, const struct proc_chunk_env *chunk);

/* ---- signals ---- */

/* The name of signal sig as people know it: "SIGKILL", "SIGTERM", "SIGRTMIN+2", or "signal
 * 77" for a number that names no signal. Written into buf (32 bytes hold any), returned. */
const char *proc_signal_name(int sig, char *buf, size_t len);

/* How the end of a process by signal sig is told in chunk outcomes, log trailers and
 * select_work errors: "killed by signal KILL", "killed by signal 77". Into buf, returned. */
const char *proc_killed_by(int sig, char *buf, size_t len);

/* ---- for a child between fork (or vfork) and exec: async-signal-safe ---- */

/* The signals a child must put back to their default disposition before it execs, as a
 * mask (bit sig - 1 for signal sig): those stau handles or may ignore (SIGINT, SIGTERM,
 * SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2), and every other signal from 1 to 64 (but
 * SIGKILL and SIGSTOP, and including the two that glibc keeps for itself) whose disposition
 * in this process is not the default now: ignored ones survive execve, so a SIGALRM or
 * SIGTSTP that stau's parent ignored would reach the job ignored. Call it in the parent,
 * before forking (it asks the kernel once per signal); once per executor is enough, as only
 * stau's own signals change after stau started. */
void proc_child_signals(uint64_t *reset);

/* Sets each signal of reset (from proc_child_signals) to its default disposition and empties
 * the signal mask, so that a program starts as it would from a shell that changed nothing. */
void proc_child_reset_signals(uint64_t reset);

/* Closes every descriptor above 2 except keep (-1: keep none). */
void proc_child_close_fds(int keep);

/* The environment of a child: stau's own without the names that add sets, then add
 * ("NAME=value" strings, NULL-terminated; NULL: none). A new NULL-terminated array of
 * borrowed strings: free the array only. Call it before forking. */
char **proc_env_merge(char *const *add);

/* ---- running a command to capture its output ---- */

enum proc_stderr {
	PROC_STDERR_PASS,	/* to stau's own stderr */
	PROC_STDERR_NULL,	/* to /dev/null */
	PROC_STDERR_CAPTURE,	/* into proc_result.err */
};

/* A command to run, in the manner of git's run-command.h. */
struct proc_cmd {
	char *const *argv;	/* argv[0]: a path, or a name looked up in the PATH of the
				 * command's environment (execvp); never through a shell */
	const char *dir;	/* its working directory; NULL: stau's */
	char *const *env_add;	/* "NAME=value" strings added to stau's environment, replacing
				 * the same names; NULL-terminated, or NULL: none */
	size_t out_max;		/* bytes kept of its stdout (and of its stderr when captured);
				 * the rest is read and dropped, so the command never blocks */
	enum proc_stderr err;
	int64_t timeout_ms;	/* 0: no time limit; else at the limit its whole process group
				 * gets SIGTERM, */
	int64_t grace_ms;	/* and SIGKILL this much later (0: at once) */
};

/* How it went. */
struct proc_result {
	struct strbuf out;	/* its stdout, NUL-terminated (buf is never NULL) */
	struct strbuf err;	/* its stderr with PROC_STDERR_CAPTURE, else empty */
	bool out_cut, err_cut;	/* it wrote more than out_max: the rest was dropped */
	int exit_code;		/* its exit status; -1 when a signal ended it */
	int signal;		/* the signal that ended it, or 0 */
	int chdir_errno;	/* it could not change to dir: why (it then exits 127) */
	int exec_errno;		/* it could not be executed: why (it then exits 127) */
	bool timed_out;		/* the time limit came and its group was signalled */
};

/* Runs cmd and waits for its end: stdin from /dev/null, stdout into res->out, stderr as
 * cmd->err says; in a process group of its own, so that a time limit reaches whatever it
 * started; dying with stau (PR_SET_PDEATHSIG); with no descriptor of stau's above 2. It has
 * ended when its main process has exited and its output is closed: a background process that
 * keeps the output open is waited for, up to the time limit. After SIGKILL the output is
 * given up one second later, even if a process outside the group holds it open.
 * Returns 0 with *res filled (release it with proc_result_release), or -1 with errno set when
 * it could not be started at all (no pipe, no fork); *res is then empty but valid. */
int proc_capture(const struct proc_cmd *cmd, struct proc_result *res);

void proc_result_release(struct proc_result *res);

#endif
