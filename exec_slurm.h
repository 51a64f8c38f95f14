/* exec_slurm.h - chunks as Slurm batch jobs, on the side of processes and files: running
 * sbatch, squeue and scancel, the wrapper script a chunk runs under, the status file the
 * wrapper leaves beside the log (docs/design.md, "Slurm").
 *
 * slurm.h decides what is said to Slurm and reads its answers; this file runs the commands
 * (argv, never a shell, each with a time limit, through proc_capture) and reads the files.
 * It knows nothing of the database or of the engine, which decides when to submit, poll and
 * record. The commands are behind struct slurm_client, so that the engine's unit tests can
 * drive a fake cluster.
 *
 * The commands are found in stau's PATH. A job set to `executor: slurm` on a machine without
 * them fails with a message that says so: nothing runs locally in its place. */
#ifndef STAU_EXEC_SLURM_H
#define STAU_EXEC_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "slurm.h"

/* Slurm's commands, as the engine uses them. Each returns 0, or -1 with a message in err. */
struct slurm_client {
	/* Runs sbatch for s (s->sbatch is ignored: the client knows its command) with stau's
	 * environment plus env_add ("NAME=value", NULL-terminated), which --export=ALL hands to
	 * the job; sets *job_id from its answer. */
	int (*submit)(void *self, const struct slurm_submit *s, char *const *env_add,
		      int64_t *job_id, char *err, size_t errlen);
	/* One squeue for ids[0..n) (n <= SLURM_SQUEUE_MAX_IDS): appends what it lists to q. A
	 * job it does not list is gone (SLURM_GONE). -1 when squeue could not answer (no
	 * controller): then nothing may be concluded of any job. */
	int (*query)(void *self, const int64_t *ids, size_t n, struct slurm_queue *q, char *err,
		     size_t errlen);
	/* scancel job job_id; with job_id 0, every job of this user named name. */
	int (*cancel)(void *self, int64_t job_id, const char *name, char *err, size_t errlen);
	void *self;
};

/* The client of the real commands: sbatch, squeue and scancel from PATH. */
const struct slurm_client *exec_slurm_client(void);

/* The wrapper of the project in dir: ".stau/slurm/wrap.sh" (relative to dir, as sbatch run
 * in dir finds it), written (mode 0700, atomically) when missing or different from
 * slurm_wrapper_text(). Returns 0, or -1 with a message in err. */
int exec_slurm_wrapper(const char *dir, char *err, size_t errlen);
#define EXEC_SLURM_WRAPPER ".stau/slurm/wrap.sh"

/* Reads the status file at path (absolute). Returns 1 and fills *st, 0 when there is none
 * (yet), or -1 when it is there but unreadable or not a status file (err says why). */
int exec_slurm_status(const char *path, struct slurm_status *st, char *err, size_t errlen);

/* Removes what a Slurm chunk leaves beside its log at log_path (its status and IDs files),
 * when pruning the log; a file that is not there is no error. */
void exec_slurm_remove_beside(const char *log_path);

/* The record operations of exec_ops for a chunk that went to Slurm (r->slurm): */
/* stau cancel: scancel of r's job (any sig: Slurm's cancel sends SIGTERM, then SIGKILL).
 * Before the job id is recorded: EXEC_NOT_STARTED while r's owner lives, else
 * EXEC_OWNER_LOST. */
enum exec_signal exec_slurm_signal_recorded(const struct exec_record *r, int sig);
/* A Slurm chunk whose submitter died before it recorded the job id: cancels, by its name
 * stau-RUN-CHUNK-ATTEMPT, the job that sbatch may have created. */
void exec_slurm_kill_lost(const struct exec_record *r);

#endif
