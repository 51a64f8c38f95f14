/* exec.h - start, time out and reap child processes; knows argv, environment and files,
 * nothing about jobs or chunks.
 *
 * A child is execve'd (never through a shell) in its own process group, with stdin from
 * /dev/null, stdout and stderr appended to its log file, and PR_SET_PDEATHSIG so that it dies
 * with its stau. The executor is an ops struct so that the engine can be driven by a fake in
 * unit tests and by Slurm later (SPEC §12). */
#ifndef STAU_EXEC_H
#define STAU_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct exec_spec {
	char *const *argv;	/* argv[0] is a path (with a '/') or a name searched in $PATH */
	char *const *env_add;	/* "NAME=value" strings added to, and overriding, the environment
				 * stau inherited; NULL-terminated, may be NULL */
	const char *cwd;	/* working directory of the child */
	const char *log_path;	/* created with mode 0600 (parents too, 0700); truncated */
	const char *log_header; /* written as the log's first lines, may be NULL */
	int64_t timeout_ms;	/* 0 = none; else SIGTERM to the group, SIGKILL 10 s later */
};

struct exec_result {
	int exit_code;	   /* valid when signal == 0 */
	int signal;	   /* the signal that ended the child, or 0 */
	bool timed_out;	   /* ended by the timeout */
	int exec_errno;	   /* the child could not be started (execve failed): its errno; then
			    * exit_code is 127 and the log says why */
	int64_t duration_ms;
};

/* An executor: its operations and their state. (Not `struct executor`: config.h's
 * `enum executor` names the kind of executor a job asks for, and C tags share one name
 * space.) */
struct exec_runner {
	const struct exec_ops *ops;
	void *self;
};

struct exec_ops {
	/* Starts a child for spec; token is the caller's name for it. Returns 0 and sets *pid,
	 * or -1 with a message in err (log file not writable, fork failed). */
	int (*start)(void *self, const struct exec_spec *spec, uint64_t token, pid_t *pid,
		     char *err, size_t errlen);
	/* Waits at most timeout_ms (-1: no limit) for a child to end, handling timeouts on the
	 * way. Returns 1 and fills *token and *res when one ended, 0 when the time ran out or a
	 * signal handler interrupted the wait, -1 when there are no children. Never polls with
	 * sleeps. */
	int (*wait)(void *self, int timeout_ms, uint64_t *token, struct exec_result *res);
	/* Sends sig to the child's process group. */
	int (*kill)(void *self, uint64_t token, int sig);
	/* Number of children started and not yet reaped. */
	size_t (*running)(void *self);
	/* Kills every child's process group (SIGTERM, then SIGKILL) and frees the executor. */
	void (*destroy)(void *self);
};

/* The local executor: fork/execve on this machine. Returns 0 and fills *out, or -1 with a
 * message in err. While it exists SIGCHLD is blocked in this process (children it starts
 * get a clean mask); out->ops->destroy restores the mask. */
int exec_local_new(struct exec_runner *out, char *err, size_t errlen);

#endif
