/* engine_impl.h - what the files of the engine share: its working set, and the functions that
 * one of its files calls in another.
 *
 * Private to engine.c and engine_*.c; everyone else uses engine.h. The engine is split into
 * files by concern (engine.c's design comment lists them); calls between them go one way,
 * from the loop down to what it uses, so that no two of them call each other. */
#ifndef STAU_ENGINE_IMPL_H
#define STAU_ENGINE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "util.h"

/* The real clock, shifted so that it reads opts.now when the engine starts. */
struct real_clock {
	int64_t base;	  /* the time at start */
	int64_t mono0_ms; /* CLOCK_MONOTONIC at start */
};

/* What this process knows about a job type's health: checked once per engine. */
struct job_health {
	bool known;
	char *problem; /* why it cannot run, or NULL */
};

/* A job type without a file, with why it cannot run (rare: a run planned before its file
 * went away). */
struct missing_type {
	char *type;
	char *problem;
};

/* Where a child of ours runs: at most `nslots` at once. */
struct slot {
	bool busy;
	char *path;	/* its IDs file (NULL until first used) */
	int fd;		/* open on path, or -1 */
	size_t len;	/* the size of the file */
};

/* A chunk of ours that is running. */
struct running {
	struct state_chunk c;
	const struct job *job;
	size_t slot;	/* its index in e->slot */
	char *log;	/* absolute path of the log */
	char *argv0;	/* the program started, for "cannot execute" */
	char *ids_file;	/* a Slurm chunk's IDs file, beside its log; NULL: the slot's */
};

/* How an attempt ended, as stored and as told. */
struct verdict {
	struct state_result res;
	enum engine_outcome outcome;
	char *why;	/* the whole story, for output lines */
	char *note;	/* said after the duration, or NULL */
	char *message;	/* what state keeps beside the exit status, or NULL */
	char *broken;	/* the job is broken from now on, for this reason; or NULL */
	bool started;	/* a process ran */
};

/* A chunk that ended (or could not start), with its verdict: stored by the next round, told
 * once a sync has made it durable. */
struct outcome {
	struct state_chunk c;
	struct verdict v;
	enum run_state run_ended;
	bool is_start;	/* in e->told: not an outcome but the start of c */
	int64_t slurm_job; /* a Slurm chunk's job: stored only while c's attempt is RUNNING as
			    * that job (state_slurm_finish); 0: a local chunk */
	bool dropped;	/* another stau recorded this Slurm chunk first: not told */
};

/* A chunk of ours submitted to Slurm and not seen ended yet: it counts against -j. */
struct submitted {
	int64_t chunk;
	int attempt;
	int64_t job;	/* its Slurm job id */
};

/* How often, in seconds, the engine looks at its Slurm chunks (status files, one squeue). */
#define SLURM_POLL_S 2

/* One engine_run: what this process runs and what it has to store and tell. */
struct engine {
	struct state *st;
	const struct project *p;
	struct exec_runner *ex;
	const struct engine_opts *o;
	const struct engine_hooks *h;
	struct engine_stats stats;
	struct real_clock real;
	struct engine_clock clock;
	struct state_claim claim;
	size_t nslots;		/* slots: children of ours at once */
	struct slot *slot;	/* [nslots] */
	struct running *children; /* our children, running */
	size_t nchildren, capchildren;
	struct outcome *ended;	/* judged, not yet stored */
	size_t nended, capended;
	struct outcome *told;	/* to tell after the next sync, in order: outcomes stored, and
				 * starts (a copy of the chunk, started set in its verdict) */
	size_t ntold, captold;
	struct started_pid *pids; /* started, pid not yet stored */
	size_t npids, cappids;
	int64_t due_ms;		/* when pids must be stored and `told` told (monotonic);
				 * 0: nothing waits */
	struct job_health *health; /* one per p->jobs[] */
	struct missing_type *missing; /* job types without a file, asked about */
	size_t nmissing, capmissing;
	const struct slurm_client *slurm; /* Slurm's commands (opts.slurm, or the real ones) */
	struct submitted *subs;	/* our Slurm chunks, submitted and not seen ended */
	size_t nsubs, capsubs;
	int64_t slurm_due;	/* the next poll of Slurm chunks, on the engine's clock; 0: at
				 * once */
	size_t slurm_open;	/* Slurm chunks the last poll left open: keep polling */
	int slurm_said;		/* squeue failed and we said so */
	char *err;
	size_t errlen;
};

/* The time on the engine's clock. */
static inline int64_t engine_now(struct engine *e)
{
	return e->clock.now(e->clock.ctx);
}

/* Copies the state's error message into the engine's err; returns -1. */
static inline int state_error(struct engine *e)
{
	snprintf(e->err, e->errlen, "%s", state_errmsg(e->st));
	return -1;
}

/* ---- job health and verdicts (engine_health.c) ---- */

/* Why job type `type` cannot run, from this engine's cache; *why borrowed (NULL: it can). */
int job_health(struct engine *e, const char *type, const char **why);
/* Marks job type `type` BROKEN in state for the content of its file (hash, the one the
 * failing attempt ran; NULL: the file's content now), with reason, and
 * remembers it in this engine's cache; inside the caller's transaction. 0, or -1 (e->err). */
int mark_broken(struct engine *e, const char *type, const char *reason, const char *hash,
		int64_t now);

/* The verdict on how child r ended (x): DONE on exit 0; else a retry while the job has
 * retries left, or FAILED; a fatal exit also names why the job is broken from now on. */
void judge_child(struct engine *e, const struct running *r, const struct exec_result *x,
		 struct verdict *v);
/* A verdict for a chunk that could not start: failed for good, with why (taken). */
void judge_unstarted(struct verdict *v, char *why);
void verdict_release(struct verdict *v);

/* ---- a chunk's command, environment, IDs file and log (engine_chunk.c) ---- */

/* The argv of a chunk of job into *argv, and how the log header shows it into *shown.
 * Returns 0, or -1 with why it cannot start in *why (a new string). */
int chunk_argv(const struct project *p, const struct job *job, struct strvec *argv,
	       char **shown, char **why);
/* Sets what spec says of r's job file: the Python runner that forks r (spec->python = py,
 * its strings borrowed from r, e and *keep, which the caller releases once started), or the
 * file whose content is checked as r starts (docs/design.md, "Edits during a run"). */
void chunk_spec_file(struct engine *e, const struct running *r, struct exec_spec *spec,
		     struct exec_python *py, struct strvec *keep);
/* Writes the chunk's IDs, one per line, to its slot's STAU_WORK_IDS_FILE. Returns 0, or -1
 * with why it cannot start in *why (a new string). */
int chunk_write_ids(struct engine *e, const struct running *r, char **why);
/* Adds the environment of chunk r (docs/design.md, "Starting a chunk") to env. */
void chunk_env(struct engine *e, const struct running *r, struct strvec *env);
/* The first lines of chunk c's log, naming it and its command (shown); a new string. */
char *chunk_log_header(const struct state_chunk *c, const char *shown);
/* Writes a log for a chunk that did not start, so that `stau logs` tells why. */
void chunk_write_unstarted_log(struct engine *e, const struct state_chunk *c, const char *why);

/* ---- chunks as Slurm batch jobs (engine_slurm.c) ---- */

/* Whether chunks of job run on Slurm (its executor, else the settings' one). */
bool job_on_slurm(const struct engine *e, const struct job *job);
/* Submits claimed chunk r (r->c, r->job, r->log set): its log header and IDs file
 * (r->ids_file), the wrapper, sbatch. Returns 0 and sets *job_id, or -1 with why it was not
 * submitted in *why (a new string). */
int slurm_submit(struct engine *e, struct running *r, int64_t *job_id, char **why);
/* When a poll is due (every SLURM_POLL_S; force: now): the outcomes of the RUNNING Slurm
 * chunks (of opts.run, else of every run) that ended join e->ended, and e->subs and
 * e->slurm_open are brought up to date. Returns 0, or -1 (e->err). */
int slurm_poll(struct engine *e, bool force);
/* Chunk `chunk`'s job `job` was submitted but the chunk no longer takes it (stau cancel came
 * first): the job is cancelled and the chunk, still RUNNING, fails as canceled (e->ended). */
int slurm_drop(struct engine *e, int64_t chunk, int64_t job);
/* `stau run` stops (Ctrl-C): the jobs of our Slurm chunks are cancelled and the chunks fail
 * as canceled (e->ended), since their run is canceled with no stau to wait for them. */
int slurm_stop(struct engine *e);

#endif
