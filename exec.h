/* exec.h - start, time out and reap child processes, and act on chunks that another stau
 * process started; knows argv, environment and files, and of chunks only what names them.
 *
 * A child is execve'd (never through a shell) in its own process group, with stdin from
 * /dev/null, stdout and stderr appended to its log file, and PR_SET_PDEATHSIG so that it dies
 * with its stau. The group is the chunk: when the child ends, what it left in its group is
 * ended too, and its log is kept within the spec's log_limit. The executor is an ops struct so that the engine can be driven by a fake in
 * unit tests and by Slurm later (docs/design.md, "Slurm"). Every process stau signals goes through it: its
 * own children by token, and the chunks of other stau processes (stau cancel, recovery of a
 * chunk whose stau died) by the record the state keeps of them, struct exec_record. */
#ifndef STAU_EXEC_H
#define STAU_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc.h"

/* A Python chunk of a main_func job that a runner forks (docs/design.md, "The Python
 * runner"): exec_pyrun.h. argv is then only shown, never executed. */
struct exec_python {
	const char *interpreter; /* a path, or a name searched in PATH */
	const char *job_file;	/* the module's file, relative to the spec's cwd */
	const char *main_func;
	const char *version;	/* the file's content hash as stau checked it: a runner serves
				 * one version, and one is used only when the file it imported
				 * still has this hash */
	char *const *import_env; /* "NAME=value" for the runner (the job's env:, which must be
				  * there at import time); NULL-terminated, or NULL */
	const int64_t *ids;	/* the chunk's work IDs */
	size_t nids;
	const char *ids_file;	/* the same IDs, one per line */
	const char *kwargs_json; /* a JSON object, or NULL */
};

struct exec_spec {
	char *const *argv;	/* argv[0] is a path (with a '/') or a name searched in $PATH */
	char *const *env_add;	/* "NAME=value" strings added to, and overriding, the environment
				 * stau inherited; NULL-terminated, may be NULL */
	const char *cwd;	/* working directory of the child */
	const char *log_path;	/* created with mode 0600 (parents too, 0700); truncated */
	const char *log_header; /* written as the log's first lines, may be NULL */
	int64_t timeout_ms;	/* 0 = none; else SIGTERM to the group, SIGKILL 10 s later */
	int64_t log_limit;	/* bytes the log may hold (exec_log.h); 0 = no limit */
	const struct exec_python *python; /* non-NULL: fork the chunk from a runner that
					   * imported the module, env_add in its os.environ */
	const char *job_file;	/* the job's file (absolute, or relative to cwd), or NULL: its
				 * content hash is taken while nothing writes to it, right
				 * before the start, and a write to it in the chunk's first
				 * second is reported (file_changed) */
};

struct exec_result {
	int exit_code;	   /* valid when signal == 0 */
	int signal;	   /* the signal that ended the child, or 0 */
	bool timed_out;	   /* ended by the timeout */
	int exec_errno;	   /* the child could not be started (execve failed): its errno; then
			    * exit_code is 127 and the log says why */
	int64_t duration_ms;
	bool forked;	   /* forked from a Python runner (exec_spec.python) */
	bool broken;	   /* the runner could not import the module (its import's output is
			    * in the log): exit_code is 3, no chunk process ran */
	bool file_changed; /* job_file was written while the chunk started (its first second,
			    * in which a script's interpreter reads it): what ran is unknown */
	char file_hash[32]; /* the content hash of job_file (or of the module the runner
			     * imported) when the chunk started, or "" */
};

/* A chunk that some stau process started, as the state records it: what an executor needs
 * to act on a chunk it did not start. The local executor uses the owner's identity, the
 * leader of the chunk's process group and the environment variables that name the chunk; a
 * cluster's executor would add its own name for the chunk here (a Slurm job id, which the
 * state would then record as the owner) and use that: `scancel JOBID`. */
struct exec_record {
	int64_t run, chunk;	/* its STAU_RUN_ID and STAU_CHUNK_ID */
	int attempt;		/* its STAU_ATTEMPT */
	const char *dir;	/* the project directory: its STAU_DIR */
	struct proc_id owner;	/* the stau process that started it and records its end */
	pid_t child;		/* the leader of its process group; 0: not recorded yet */
	bool slurm;		/* it went to Slurm (exec_slurm.h): the record operations
				 * act on its Slurm job, not on processes */
	int64_t slurm_job;	/* its Slurm job id; 0: not recorded yet */
};

/* What signal_recorded did. */
enum exec_signal {
	EXEC_SIGNALLED,	  /* the chunk's processes got the signal */
	EXEC_NOT_STARTED, /* its owner lives but has not recorded its process yet: ask again */
	EXEC_ENDED,	  /* its process has ended, or is no longer the chunk's: nothing sent
			   * (its owner records how it ended) */
	EXEC_OWNER_LOST,  /* its owner is gone: nothing sent; recovery ends the chunk */
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
	/* Waits at most timeout_ms (-1: no limit) for a child to end, handling on the way
	 * timeouts, the logs' limits, and what ended children left in their process groups
	 * (locally: SIGTERM when the child is reaped, SIGKILL 2 s later; the log is cut to its
	 * limit once the group is empty). Returns 1 and fills *token and *res when one ended,
	 * its log complete but for what its leftovers may still write, 0 when the time ran out
	 * or a signal handler interrupted the wait, -1 when there are no children. Never polls
	 * with sleeps. */
	int (*wait)(void *self, int timeout_ms, uint64_t *token, struct exec_result *res);
	/* Sends sig to the process group of the child started with token. Returns 0, or -1
	 * with errno (ESRCH: no such child). */
	int (*signal)(void *self, uint64_t token, int sig);
	/* Number of children started and not yet reaped. */
	size_t (*running)(void *self);
	/* Kills every child's process group (SIGTERM, then SIGKILL 2 s later), waits for what
	 * children left in their groups to end (SIGKILL at its time, at most 2 s after the
	 * destroy began), and frees the executor. */
	void (*destroy)(void *self);

	/* For chunks that another stau process started (r says which): */

	/* Whether r's owner is alive, and so still runs r and will record its end. */
	bool (*owner_alive)(void *self, const struct exec_record *r);
	/* stau cancel: sends sig to r's processes, only when sure that they still are r's.
	 * Locally: r's owner must be alive with its recorded start time, and r's child must
	 * still be the owner's child (or a child of a Python runner of the owner's), lead its
	 * own process group and not name another chunk in its environment; then its process
	 * group gets sig. */
	enum exec_signal (*signal_recorded)(void *self, const struct exec_record *r, int sig);
	/* Recovery of r, whose owner died (state_recover_orphans): kills whatever r left
	 * running, what left its process group on purpose (setsid) included. Locally:
	 * proc_kill_leftovers: the processes of the group r->child (when it was recorded) that
	 * name r in their environment, every process whose environment names r and r->dir,
	 * and every process forked by a Python runner of r's owner (PROC_RUNNER_OF). */
	void (*kill_lost)(void *self, const struct exec_record *r);
};

/* The local executor: fork/execve on this machine. Returns 0 and fills *out, or -1 with a
 * message in err. While it exists SIGCHLD is blocked in this process (children it starts
 * get a clean mask); out->ops->destroy restores the mask. */
int exec_local_new(struct exec_runner *out, char *err, size_t errlen);

#endif
