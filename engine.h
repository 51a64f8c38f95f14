/* engine.h - the run loop: queue and expand runs, claim ready chunks, start them through an
 * executor, record their outcomes (ninja's Builder; docs/design.md, "Starting a chunk").
 *
 * The engine owns nothing between processes: every decision is read from and written to
 * state.h, so any number of stau processes may run engines on one project at once. It talks
 * to processes only through struct exec_runner (exec.h), which unit tests replace by a fake. */
#ifndef STAU_ENGINE_H
#define STAU_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "exec_slurm.h"
#include "project.h"
#include "state.h"
#include "workids.h"

/* The time the engine reads and records. NULL in engine_opts: the real clock, shifted so
 * that it reads opts.now when the engine starts (`--now` replays a time and lets it run on).
 * Tests pass a fake clock whose sleep_until only moves the time. */
struct engine_clock {
	int64_t (*now)(void *ctx);
	/* Waits until time t (called only when nothing of this process runs). */
	void (*sleep_until)(void *ctx, int64_t t);
	void *ctx;
};

/* How one attempt of a chunk ended, as the engine judged it. */
enum engine_outcome {
	ENGINE_DONE,	/* exit 0 */
	ENGINE_RETRY,	/* failed; PENDING again until retry_at */
	ENGINE_FAILED,	/* failed for good; its dependents are canceled */
};

struct engine_finish {
	enum engine_outcome outcome;
	const char *why;	/* failures: "exit 1", "killed by signal KILL", "timed out after
				 * 5s", "cannot execute './jobs/a.sh': Permission denied", "job
				 * 'job_B' is broken: ..."; NULL when DONE */
	const char *note;	/* said after the duration: "job 'job_A' is broken now ...", or
				 * NULL */
	bool started;		/* false: it failed before a process was started */
	int64_t duration_ms;	/* 0 when it never started */
	int64_t retry_at;	/* ENGINE_RETRY */
	enum run_state run_ended; /* the run's state when this ended it, else RUN_ACTIVE */
};

/* Called as chunks start and end, for progress output. c is the chunk as claimed (job,
 * run, index/count, attempt, log_path, ids); it is valid only during the call. Either
 * function may be NULL. */
struct engine_hooks {
	void (*started)(void *ctx, const struct state_chunk *c);
	void (*finished)(void *ctx, const struct state_chunk *c, const struct engine_finish *f);
	/* Called whenever the engine is about to wait (for a child, a retry time or other
	 * processes): the moment to redraw a progress line. */
	void (*idle)(void *ctx);
	void *ctx;
};

struct engine_opts {
	int64_t run;		/* claim only chunks of this run; 0: of any run */
	size_t jobs;		/* -j: at most this many children of this process; 0: no limit
				 * but max_parallel */
	bool wait_run;		/* go on until run `run` has ended: wait for its retries and
				 * for its chunks that other processes run (`stau run`);
				 * otherwise stop when nothing is ready and nothing of ours runs
				 * (tick) */
	int64_t now;		/* the time when the engine starts */
	const struct engine_clock *clock; /* NULL: the real clock from `now` on */
	/* Set asynchronously (by a signal handler) to stop: nothing more is claimed, our
	 * children get SIGTERM, and engine_run returns once they have ended and are recorded
	 * (as killed by a signal, with their retry policy). NULL: never stop early. */
	volatile sig_atomic_t *stop;
	/* Slurm's commands for chunks of jobs with `executor: slurm` (exec_slurm.h); NULL: the
	 * real sbatch, squeue and scancel */
	const struct slurm_client *slurm;
};

/* What this process did. */
struct engine_stats {
	size_t started, done, failed, retried;
};

/* ---- the loop (engine.c) ---- */

/* Runs ready chunks until none is ready and none of this process runs (or, with wait_run,
 * until the run has ended). Claims honour settings.max_parallel (0: the CPU count) across
 * every process and each job type's max_parallel; at most opts.jobs children run here.
 * Each chunk gets the argv and environment of docs/design.md, "Starting a chunk", and a log
 * file; a chunk that cannot start (its job is gone, broken, not executable) fails without
 * running. Outcomes follow docs/design.md, "Faults": exit 0 DONE; otherwise a retry while the
 * job has retries left, else FAILED (its dependents canceled by state); an exit of the
 * Python runner with 3 or one of the job's fatal_exit_codes marks the job BROKEN for its
 * file content and is never retried.
 * Returns 0, or -1 with a message in err on a state error (exit 3): the caller then
 * destroys the executor, which kills what still runs; the next stau recovers those chunks.
 * stats may be NULL. */
int engine_run(struct state *st, const struct project *p, struct exec_runner *ex,
	       const struct engine_opts *opts, const struct engine_hooks *hooks,
	       struct engine_stats *stats, char *err, size_t errlen);

/* The global max_parallel: settings.max_parallel, else the number of CPUs. */
int64_t engine_max_parallel(const struct project *p);

/* Makes SIGINT, SIGTERM and SIGHUP ask the engine to stop (pass the returned flag as
 * engine_opts.stop): our chunks are ended and recorded. A second signal kills stau at once
 * (the handler is reset), and its children die with it. The flag is process-wide. */
volatile sig_atomic_t *engine_stop_on_signals(void);

/* ---- runs: queueing, expansion, recovery (engine_runs.c) ---- */

/* A run to queue. */
struct engine_new_run {
	const char *job;	/* master job type */
	const char *entry;	/* schedule entry id; NULL for a manual run */
	int64_t fire_time;	/* entry runs: the fire time */
	const char *kwargs;	/* JSON object text; NULL: "{}" */
	const int64_t *ids;	/* sorted and unique */
	size_t nids;
	bool has_ids;		/* false: the run has no IDs (freshness per job type) */
	bool force;
	const char *git;	/* the project's commit (project_git_commit), or NULL */
	const char *fail;	/* record the run FAILED at once with this message (select_work
				 * failed), or NULL */
};

/* The work IDs of a run of master whose IDs were not given (docs/design.md, "Work IDs,
 * chunks and freshness"): the output of its select_work, appended to ids sorted and unique,
 * and *has_ids = true; a master without select_work gives no IDs and *has_ids = false. Runs
 * a command or a query: call it outside any state transaction. Returns 0, or -1 with the
 * reason in err. An empty result is not an error here: expanding such a run cancels it with
 * "no work". */
int engine_select_work(const struct project *p, const struct job *master, const char *kwargs,
		       struct idlist *ids, bool *has_ids, char *err, size_t errlen);

/* Records a new QUEUED run (or FAILED, with r->fail) in one transaction, which may be nested
 * in the caller's. Returns 0 and sets *id, or -1 with a message in err on a state error. */
int engine_queue_run(struct state *st, const struct project *p, const struct engine_new_run *r,
		     int64_t now, int64_t *id, char *err, size_t errlen);

/* The outcome of engine_expand. */
enum engine_expand_result {
	EXPAND_ACTIVE,	/* expanded: its chunks are PENDING (or the run is DONE: nothing
			 * stale) */
	EXPAND_WAITING,	/* stays QUEUED: chunks of a job type it needs are open in another
			 * run */
	EXPAND_ENDED,	/* failed (a job it needs is missing or broken, expansion failed) or
			 * was no longer QUEUED */
};

/* Expands QUEUED run `id` (docs/design.md, "Work IDs, chunks and freshness"): checks that
 * every job type it needs exists and is not broken (else the run FAILS at once with the
 * reason: "job 'job_B' is broken: ..."), waits while a dependency type has PENDING or
 * RUNNING chunks in another run, and otherwise plans it with state's freshness and stores
 * the plan (ACTIVE). Safe against other processes
 * expanding the same run. *why (may be NULL) receives a new string saying why it waits or
 * ended, or NULL. Returns the result, or -1 with a message in err on a state error. */
int engine_expand(struct state *st, const struct project *p, int64_t id, int64_t now,
		  char **why, char *err, size_t errlen);

/* Lost-runner recovery (docs/design.md, "Lost-runner recovery"): every RUNNING chunk whose
 * owner ex says is gone (owner_alive) fails with "runner lost" and the retry policy of
 * engine_retry_time (state_recover_orphans), and then ex kills what it left (kill_lost).
 * Returns the number of chunks recovered, or -1 with a message in err on a state error. */
int engine_recover(struct state *st, const struct project *p, struct exec_runner *ex,
		   int64_t now, char *err, size_t errlen);

/* ---- job health, retries and failures (engine_health.c) ---- */

/* The retry policy (README.md, "Failure handling") as a state_retry_fn (ctx is the struct
 * project): the time when a chunk of `job` that failed on `attempt` (1 for the first) at
 * `now` is tried again, retry_delay doubling each time, or 0 when its retries are used up or
 * the job is unknown. */
int64_t engine_retry_time(void *project, const char *job, int attempt, int64_t now);

/* Why job type `type` cannot run, as a new string: "job 'job_B' is broken: jobs/job_B.py:3:1:
 * unknown key ..." (a header problem, an unknown dependency, a cycle through it, or a fatal
 * exit recorded in state for its current content), "job 'job_B' has no file in jobs/"; or
 * NULL when it can run. Returns 0, or -1 with a message in err on a state error. */
int engine_job_problem(struct state *st, const struct project *p, const char *type,
		       char **why, char *err, size_t errlen);

/* The freshness a run of master is judged by (docs/design.md, "Work IDs, chunks and
 * freshness"): a dependency whose results must come from its current code
 * (fresh_requires_same_code on an edge that reaches it among the jobs the run needs, else in
 * the settings) counts only results computed by the current content of its file. *f holds
 * what the source points into: release it with engine_freshness_release after the
 * expansion. Returns 0, or -1 with a message in err. */
struct engine_freshness {
	struct state_code_req req;
	char **types;
	int64_t *codes;
};
int engine_freshness(struct state *st, const struct project *p, const struct graph_node *master,
		     struct engine_freshness *f, struct freshness_src *src, char *err,
		     size_t errlen);
void engine_freshness_release(struct engine_freshness *f);

/* The content hash of a job file as state.h's BROKEN marks and cmd_status use it: cached
 * in state by path, size and modification time. path is relative to the project
 * ("jobs/job_A.py"). Returns 0 and sets *hash (a new string), 1 when the file cannot be
 * read (err says why), or -1 with a message in err on a state error. */
int engine_file_hash(struct state *st, const char *dir, const char *path, char **hash,
		     char *err, size_t errlen);

/* How a chunk failed, for messages, as a new string: why, the duration, the note: "exit 1
 * after 2.1s", "timed out after 5s", "exit 3 after 0.4s; job 'job_A' is broken ...". */
char *engine_failure_text(const struct engine_finish *f);

#endif
