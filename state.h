/* state.h - persistent state in SQLite; the in-memory graph is graph.h.
 *
 * Everything stau remembers between processes lives in .stau/stau.db (docs/design.md, "State"): runs, their
 * tasks and chunks with dependencies, freshness per job type and work ID, schedule entries,
 * broken jobs, file hashes and problems already reported. Only the state*.c files (behind
 * their private state_db.h) include <sqlite3.h> for this database; state.c's design comment
 * describes the schema, the durability choice and the locking that works around SQLite's
 * WAL-reset bug.
 *
 * Conventions of this API:
 *   - functions return 0 (or a count, or 1 = found / 0 = not found) on success and -1 on a
 *     state error; the message, naming the database and SQLite's reason, is then
 *     state_errmsg(st). A state error maps to exit status 3 (EXIT_STATE).
 *   - every write is one `BEGIN IMMEDIATE` transaction, atomic and durable when the function
 *     returns. state_begin/state_commit group several calls into one transaction.
 *   - times are int64_t UTC seconds passed in by the caller (tick --now replays time); a
 *     timestamp of 0 means "not yet"; a fire time of INT64_MIN means "none".
 *   - strings and arrays in returned structs belong to the struct; release it with the
 *     matching *_release or *_free function. */
#ifndef STAU_STATE_H
#define STAU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "due.h"
#include "plan.h"
#include "proc.h"

/* The schema version this stau writes (PRAGMA user_version). */
#define STATE_SCHEMA_VERSION 7

enum run_state { RUN_QUEUED, RUN_ACTIVE, RUN_DONE, RUN_FAILED, RUN_CANCELED, RUN_STATE_N };
enum chunk_state {
	CHUNK_PENDING,
	CHUNK_RUNNING,
	CHUNK_DONE,
	CHUNK_FAILED,
	CHUNK_CANCELED,
	CHUNK_STATE_N
};

/* "QUEUED", "ACTIVE", ... and "PENDING", "RUNNING", ...: the names stored and shown. */
const char *run_state_name(enum run_state s);
const char *chunk_state_name(enum chunk_state s);

struct state;

/* ---- opening and transactions (state.c) ---- */

/* Opens (creating when missing) DIR/.stau/stau.db: .stau/ is made mode 0700 and the database
 * and lock file 0600 whatever the umask; WAL with synchronous=FULL (a rollback journal where
 * WAL cannot work); older schemas are migrated forward in one transaction. The busy timeout
 * is 10 s, or $STAU_BUSY_TIMEOUT_MS. Returns 0 and sets *out, or -1 with the message in err:
 *   ".stau/stau.db is schema version 7, newer than this stau (1); upgrade stau"
 *   "cannot open '/srv/p/.stau/stau.db': unable to open database file"
 * The caller exits 3 on -1. *out is released with state_close. */
int state_open(const char *dir, struct state **out, char *err, size_t errlen);

/* The same with the database kept in directory sdir (made 0700 when missing) instead of
 * DIR/.stau: `--state DIR`, for a database on a local disk while the project sits on a file
 * system the cluster shares, and for tests that replay time on a scratch copy. Logs stay in
 * the project, under .stau/logs/state-HASH/ (state_log_path). */
int state_open_at(const char *sdir, struct state **out, char *err, size_t errlen);

/* The name of the network file system of type f_type (statfs's f_type) on which stau refuses
 * to keep a WAL database: "NFS", "CIFS", "SMB" or "Lustre"; NULL for any other. SQLite's WAL
 * needs shared memory that every process using the database sees, which a network file
 * system does not give: state_open and state_open_at refuse such a directory, saying to keep
 * the database on a local disk (--state DIR, STAU_STATE or settings.state_dir). */
const char *state_network_fs(long f_type);

/* Checkpoints the WAL when it has grown large (under the lock) and closes the connection.
 * NULL is allowed. Never fails visibly: a checkpoint error only leaves a larger WAL. */
void state_close(struct state *st);

/* The log of attempt `attempt` of chunk `chunk` (run `run`, job type `job`), relative to the
 * project directory: .stau/logs/JOB/RUN-CHUNK-ATTEMPT.log for the project's own database;
 * for a database kept elsewhere (--state), under .stau/logs/state-HASH/, HASH naming that
 * directory, so that a replay on a scratch state never writes over the real runs' logs. A
 * new string. */
char *state_log_path(const struct state *st, const char *job, int64_t run, int64_t chunk,
		     int attempt);

/* The message of the last error on st: "cannot write '.stau/stau.db': database or disk is
 * full". Valid until the next call on st. */
const char *state_errmsg(const struct state *st);

/* The schema version of the open database (STATE_SCHEMA_VERSION after state_open). */
int state_schema_version(struct state *st);

/* Groups the calls that follow, up to state_commit, into one write transaction (the lock is
 * held throughout). Calls nest: only the outermost commit writes. On any error inside, call
 * state_rollback instead of state_commit; after an inner error the outer commit fails too.
 * Returns 0 or -1. A durable commit costs one fsync (about 0.25 ms): finishing a chunk and
 * claiming the next inside one state_begin/state_commit halves the executor's cost. */
int state_begin(struct state *st);
int state_commit(struct state *st);
void state_rollback(struct state *st);

/* ---- runs (state_runs.c) ---- */

struct state_run_new {
	const char *job;	/* the master job type */
	const char *entry;	/* schedule entry id, or NULL for a manual run */
	int64_t fire_time;	/* the fire time that caused it (entry runs only) */
	const char *kwargs;	/* JSON object text; NULL means "{}" */
	const int64_t *ids;	/* sorted, unique; stored compactly as ranges */
	size_t nids;
	bool has_ids;		/* false: the run has no IDs at all (freshness per job type) */
	const char *git;	/* the project's commit, or NULL */
	bool force;		/* --force: every dependency is stale */
};

/* Records a new QUEUED run. Returns 0 and sets *id (ids grow: a later run has a larger id),
 * or -1. */
int state_run_create(struct state *st, const struct state_run_new *r, int64_t now, int64_t *id);

struct state_run {
	int64_t id;
	char *job;
	char *entry;		/* NULL for a manual run */
	int64_t fire_time;	/* INT64_MIN for a manual run */
	char *kwargs;		/* JSON object text */
	size_t nids;		/* number of work IDs (read them with state_run_ids) */
	bool has_ids;
	char *git;		/* NULL when not recorded */
	bool force;
	int64_t created, started, finished; /* 0: not yet */
	enum run_state state;
	char *message;		/* why it failed or was canceled ("no work"), or NULL */
	size_t counts[CHUNK_STATE_N]; /* its chunks by state */
};
void state_run_release(struct state_run *r);
/* Releases runs[0..n) and frees the array. */
void state_runs_free(struct state_run *runs, size_t n);

/* Reads run `id`. Returns 1 and fills *out, 0 when there is no such run, or -1. */
int state_run_get(struct state *st, int64_t id, struct state_run *out);

/* The work IDs of run `id`, decoded into a new array (*ids, freed by the caller; NULL when
 * there are none). Returns 0, or -1 (also when there is no such run). */
int state_run_ids(struct state *st, int64_t id, int64_t **ids, size_t *n);

/* The QUEUED runs, oldest first, in a new array (state_runs_free). Returns 0 or -1. */
int state_runs_queued(struct state *st, struct state_run **runs, size_t *n);

/* Whether a run of master job `job` is QUEUED or ACTIVE (for allow_multiple_jobs; docs/design.md, "Scheduling").
 * Returns 1, 0, or -1. */
int state_job_active(struct state *st, const char *job);
/* Whether run `id` is QUEUED or ACTIVE: a schedule entry's own previous run, which holds
 * the entry's next fire time back (docs/design.md, "Scheduling"). 0 for id 0 or no such
 * run. Returns 1, 0, or -1. */
int state_run_open(struct state *st, int64_t id);
/* Records that run `run` runs job type `job` from a file with content `hash` (engine.h's
 * form, "fnv1a64:..."): the code it ran, for `stau show` and freshness. Returns 0 or -1. */
int state_run_code_set(struct state *st, int64_t run, const char *job, const char *hash);
/* The code of a content hash "fnv1a64:HEX" (engine.h's form): its 64 bits as an integer, as
 * fresh results keep it. Returns false for another form. */
bool state_code_of(const char *hash, int64_t *code);
/* The code run `run` ran: "JOB", "HASH" pairs into out (sorted by job). Returns 0 or -1. */
int state_run_code(struct state *st, int64_t run, struct strvec *out);
/* 1 when any run is QUEUED or ACTIVE (an indexed read), 0 when none, -1 on error. */
int state_any_open_run(struct state *st);
/* The job types of the runs QUEUED or ACTIVE, as master job or in their plans: what a tick
 * must load to expand and run them. A new array of new strings, *n of them (the caller frees
 * both). Returns 0 or -1. */
int state_open_run_jobs(struct state *st, char ***types, size_t *n);

/* Whether chunks of job type `type` are PENDING or RUNNING in any run other than
 * `except_run` (0: none excepted): a new run that needs `type` then waits (docs/design.md, "Work IDs, chunks and freshness").
 * Returns 1, 0, or -1. */
int state_job_has_open_chunks(struct state *st, const char *type, int64_t except_run);

/* Turns QUEUED run `id` into ACTIVE by storing the plan: every task, every chunk (PENDING,
 * attempt 0) with its work IDs, and every dependency, in ONE transaction. A plan with no
 * chunks makes the run DONE at once. Returns 0, or -1 (nothing is stored then; also when
 * the run is not QUEUED). */
int state_run_activate(struct state *st, int64_t id, const struct plan *p, int64_t now);

/* Ends a run that will not execute: QUEUED or ACTIVE run `id` becomes CANCELED (or FAILED)
 * with `message` ("no work"; "job 'job_B' is broken: ..."), its PENDING chunks CANCELED with
 * the same message. RUNNING chunks are left to their owners: pids/npids (may be NULL) then
 * receive, in a new array, the child pids of the RUNNING chunks so that `stau cancel` can
 * signal their process groups. A run already finished is left alone. Returns 0 or -1. */
int state_run_cancel(struct state *st, int64_t id, const char *message, int64_t now,
		     pid_t **pids, size_t *npids);
int state_run_fail(struct state *st, int64_t id, const char *message, int64_t now);

/* `stau retry`: the FAILED and CANCELED chunks of run `id` become PENDING again (attempt
 * kept, so the log names go on counting; not_before cleared), with the same work IDs and
 * kwargs, and the run ACTIVE again. Returns the number of chunks reset, or -1. */
int state_run_retry(struct state *st, int64_t id, int64_t now);

/* `stau retry` of a run that never got chunks (it failed or was canceled before it was
 * expanded: a broken job, no work): FAILED or CANCELED run `id` with no chunks becomes QUEUED
 * again, its finish time and message cleared, so that the next expansion plans it anew with
 * its recorded work IDs and kwargs. Returns 1 when it was requeued, 0 when it has chunks, is
 * not FAILED or CANCELED, or does not exist, or -1. */
int state_run_requeue(struct state *st, int64_t id);

/* ---- chunks: claims, finishing, lost-runner recovery (state_chunks.c) ---- */

struct state_chunk {
	int64_t id, run;
	size_t task;		/* index of its task in the run's plan */
	char *job;		/* job type */
	char *kwargs;		/* the task's kwargs, JSON object text */
	size_t index, count;	/* chunk `index` of `count` of its job type in the run (1-based) */
	int64_t *ids;		/* its work IDs, sorted; NULL when not read or none */
	size_t nids;
	bool has_ids;		/* the run has work IDs */
	enum chunk_state state;
	int attempt;		/* 1 for the first try; 0 before it was ever claimed */
	int64_t not_before;	/* earliest start (retry delay), 0 = any time */
	struct proc_id owner;	/* the process that claimed it, RUNNING or last */
	pid_t child;		/* the job's process, 0 when unknown */
	int exit_code;		/* -1 when none */
	int signal;		/* 0 when none */
	int64_t started, finished; /* 0: not yet */
	int64_t duration_ms;	/* of the last attempt, as measured by the executor */
	char *log_path;		/* of the current/last attempt, relative to the project directory:
				 * ".stau/logs/JOB/RUN-CHUNK-ATTEMPT.log"; NULL before the first */
	char *tail;		/* last lines of output of a failed attempt, or NULL */
	char *message;		/* "upstream failed", "runner lost", "timed out"... or NULL */
	char *entry;		/* the run's schedule entry, NULL for a manual run */
	int64_t scheduled_for;	/* the run's fire time, INT64_MIN for a manual run */
	int64_t *deps;		/* ids of the chunks it waits for (state_run_chunks only) */
	size_t ndeps;
};
void state_chunk_release(struct state_chunk *c);
void state_chunks_free(struct state_chunk *c, size_t n);

/* What state_claim_ready_chunk may take. */
struct state_claim {
	struct proc_id owner;	  /* recorded on the claimed chunk */
	int64_t run;		  /* claim only from this run; 0: from any run */
	int64_t max_running;	  /* settings max_parallel: RUNNING chunks in the whole database,
				   * counted across processes; 0: no limit */
	/* the job type's max_parallel (0: no limit; negative: not this process's to claim, as
	 * it has not loaded the job); NULL: no per-job limits */
	int64_t (*job_limit)(void *ctx, const char *job);
	void *ctx;
};

/* Atomically claims one ready chunk, in one `BEGIN IMMEDIATE` transaction: a PENDING chunk
 * whose dependencies are all DONE and whose not_before <= now, oldest first, such that
 * neither max_running nor its job's limit is reached. It becomes RUNNING with the owner,
 * started = now, attempt + 1 and its log path. Two processes never claim the same chunk.
 * Returns 1 and fills *out (ids read), 0 when nothing can be claimed now, or -1. */
int state_claim_ready_chunk(struct state *st, const struct state_claim *req, int64_t now,
			    struct state_chunk *out);

/* Records the child process of RUNNING chunk `id` (for `stau cancel`). Nests in a caller's
 * transaction. Returns 1, 0 when the chunk is no longer RUNNING or its run was canceled
 * (`stau cancel` came before the pid was stored, and could not signal it: the caller must
 * stop the child itself), or -1. */
int state_chunk_set_child(struct state *st, int64_t id, pid_t child);

/* The earliest not_before among PENDING chunks whose dependencies are DONE but that wait for
 * a retry time after now (of run `run`, or of any run when 0), or 0 when there is none.
 * Returns 0 and sets *t, or -1. */
int state_next_retry(struct state *st, int64_t run, int64_t now, int64_t *t);

/* The number of RUNNING chunks (of job type `job`, or of all when NULL). */
int state_running_count(struct state *st, const char *job, int64_t *n);

/* The outcome of one attempt of a chunk. */
struct state_result {
	bool ok;		/* exit 0: DONE */
	int exit_code;		/* -1 when ended by a signal or never started */
	int signal;
	int64_t duration_ms;
	const char *tail;	/* last lines of output on failure, or NULL */
	const char *message;	/* "timed out after 2h", "exit 3: cannot import" ... or NULL */
	int64_t retry_at;	/* a failure to be retried: PENDING again with this not_before;
				 * 0: final failure */
	const char *file_hash;	/* the content hash of the job file the attempt ran, or NULL */
};

/* Ends the attempt of RUNNING chunk `id` in one transaction.
 *   ok: DONE; the job type's last success and the freshness of every one of its work IDs
 *       become `now`; dependents whose dependencies are now all DONE become ready.
 *   !ok with retry_at: PENDING again, not_before = retry_at; dependents keep waiting.
 *   !ok otherwise: FAILED; every transitive dependent still PENDING becomes CANCELED
 *       ("upstream failed"); chunks that do not depend on it are untouched.
 * Then the run ends when no chunk is PENDING or RUNNING: DONE when all its chunks are DONE,
 * else FAILED ("1 chunk failed, 3 canceled"); a CANCELED run stays CANCELED.
 * *run_ended (may be NULL) is set to the run's new state when it ended, else RUN_ACTIVE.
 * Returns 0, or -1 (also when the chunk is not RUNNING, e.g. canceled meanwhile). */
int state_chunk_finish(struct state *st, int64_t id, const struct state_result *res,
		       int64_t now, enum run_state *run_ended);

/* Reads chunk `id` (ids read). Returns 1 and fills *out, 0 when there is none, or -1. */
int state_chunk_get(struct state *st, int64_t id, struct state_chunk *out);

/* Returns the retry time for a chunk of `job` that failed on `attempt` at `now`, or 0 for no
 * retry (the job's retries are used up, or it is unknown or broken). */
typedef int64_t (*state_retry_fn)(void *ctx, const char *job, int attempt, int64_t now);

/* A RUNNING chunk and who runs it, as lost-runner recovery sees it. */
struct state_owned {
	int64_t run, id;
	int attempt;
	struct proc_id owner;	/* the process that claimed it and will record its end */
	pid_t child;		/* the leader of its process group; 0: not recorded yet */
	bool slurm;		/* this attempt went to Slurm (state_slurm.c) */
	int64_t slurm_job;	/* its Slurm job id; 0: not submitted yet */
};

/* How to recover lost chunks: who is alive, and the retry policy. */
struct state_recovery {
	/* Whether the owner of RUNNING chunk c is alive (the state does not look at
	 * processes: the caller asks its executor, exec.h). */
	bool (*alive)(void *ctx, const struct state_owned *c);
	void *alive_ctx;
	state_retry_fn retry;	/* NULL: no retries */
	void *retry_ctx;
};

/* (docs/design.md, "Lost-runner recovery") Every RUNNING chunk whose owner is no longer alive (how->alive says so) fails
 * with "runner lost", as state_chunk_finish would, with the retry time that how->retry
 * gives. A cheap read finds them first; then one transaction looks at their owners again
 * under the lock and records them, so that when two processes recover at once, each chunk
 * is recovered by one of them only. The processes a lost chunk left are the caller's to
 * kill: *lost (may be NULL) receives the chunks this call recovered, in a new array (NULL
 * when none) that the caller frees; their processes name this very attempt, so that a
 * retry started meanwhile is never mistaken for them. Returns the number of chunks
 * recovered, or -1 (with nothing in *lost). */
int state_recover_orphans(struct state *st, int64_t now, const struct state_recovery *how,
			  struct state_owned **lost);

/* ---- chunks as Slurm batch jobs (state_slurm.c) ----
 *
 * A chunk of a job with `executor: slurm` is claimed like any other; in the claim's own
 * transaction it is marked as going to Slurm (job id 0), and once sbatch has answered its
 * job id is stored the way a local child's pid is. Its outcome is then recorded by whichever
 * stau process first reads its status file (docs/design.md, "Slurm"), never twice: a finish
 * names the attempt and the job id it is about. */

/* Records that attempt `attempt` of RUNNING chunk `id` goes to Slurm as job `job_id` (0:
 * claimed, not submitted yet). Nests in the caller's transaction. Returns 1; 0 when that
 * attempt is no longer RUNNING or its run is not ACTIVE (stau cancel came first: the caller
 * cancels the job itself); or -1. */
int state_chunk_set_slurm(struct state *st, int64_t id, int attempt, int64_t job_id,
			  int64_t now);

/* A RUNNING chunk whose attempt went to Slurm. */
struct state_slurm_chunk {
	int64_t id, run;
	int attempt;
	char *job;		/* job type */
	char *log_path;		/* relative to the project directory */
	int64_t started;	/* when it was claimed */
	int64_t slurm_job;	/* its Slurm job id; 0: not submitted yet */
};
void state_slurm_chunks_free(struct state_slurm_chunk *v, size_t n);
/* The RUNNING chunks whose attempt went to Slurm, of run `run` (0: of every run), by id, in
 * a new array. Returns 0 or -1. */
int state_slurm_running(struct state *st, int64_t run, struct state_slurm_chunk **out,
			size_t *n);

/* Ends attempt `attempt` of chunk `id`, submitted as Slurm job `job_id`, as
 * state_chunk_finish does, but only while it is RUNNING in that attempt as that job. Nests in
 * the caller's transaction. Returns 1 when recorded, 0 when another stau process recorded
 * it first (nothing written), or -1. */
int state_slurm_finish(struct state *st, int64_t id, int attempt, int64_t job_id,
		       const struct state_result *res, int64_t now, enum run_state *run_ended);

/* The Slurm job of chunk `id`'s attempt `attempt` (its last one when 0). Returns 1 and sets
 * *job_id (0: not submitted yet), 0 when that attempt did not go to Slurm, or -1. */
int state_chunk_slurm(struct state *st, int64_t id, int attempt, int64_t *job_id);

/* ---- freshness (state_fresh.c) ---- */

/* A struct freshness_src (plan.h) answering from this database; valid while st is open.
 * per_ids is one indexed pass over the sorted IDs. */
struct freshness_src state_freshness_src(struct state *st);

/* fresh_requires_same_code: the results of types[i] count only when computed by the file
 * content whose code (state_code_of its content hash) is codes[i]; types sorted
 * (strcmp); other types as state_freshness_src. */
struct state_code_req {
	struct state *st;
	const char *const *types;
	const int64_t *codes;
	size_t n;
};
/* A struct freshness_src over req, valid while req and what it points to live. */
struct freshness_src state_freshness_src_code(const struct state_code_req *req);

/* The latest successful finish of any chunk of `type`, or 0 when none. Returns 0 or -1. */
int state_job_last_success(struct state *st, const char *type, int64_t *t);

/* ---- schedule entries (state_entries.c) ---- */

struct state_entry {
	char *id;
	char *fingerprint;	/* the trigger as last seen (config.h entry.trigger_text) */
	int64_t last_handled;	/* the last fire time run, missed or skipped; INT64_MIN: none */
	int64_t last_missed;	/* the last fire time recorded as missed; INT64_MIN: none */
	int64_t last_skipped;	/* the last fire time skipped (job still active); INT64_MIN: none */
	int64_t last_run;	/* the id of the last run it queued, 0: none */
};
void state_entry_release(struct state_entry *e);
void state_entries_free(struct state_entry *e, size_t n);

/* Reads entry `id`. Returns 1 and fills *out, 0 when it was never seen, or -1. */
int state_entry_get(struct state *st, const char *id, struct state_entry *out);
/* Every stored entry, sorted by id (strcmp order), in a new array (state_entries_free):
 * one query for a tick over thousands of entries. Returns 0 or -1. */
int state_entries_all(struct state *st, struct state_entry **out, size_t *n);
/* Stores e (inserting or replacing by e->id); its next fire time becomes unknown until
 * state_entry_set_next. Returns 0 or -1. */
int state_entry_set(struct state *st, const struct state_entry *e);
/* Puts decision d of entry `id`, whose trigger has `fingerprint`, into se as state_entry_get
 * left it (got: 1 when the entry was stored, else se is empty): the fire time handled, and
 * the one missed or skipped. The run it queues, if any, is the caller's to set. */
void state_entry_take(struct state_entry *se, int got, const char *id, const char *fingerprint,
		      const struct due_decision *d);

/* Each entry's next fire time: the first fire time after its last one handled, kept so that a
 * tick can ask whether anything is due without reading schedule.yaml (docs/design.md, "The
 * quiet tick"). STATE_NEVER: the entry does not fire; INT64_MIN: not known. */
#define STATE_NEVER INT64_MAX
struct state_entry_next {
	char *id;
	char *fingerprint;
	int64_t last_handled;	/* INT64_MIN: none */
	int64_t next_fire;	/* INT64_MIN: not known */
};
/* Every stored entry with its next fire time, sorted by id, in a new array
 * (state_entry_nexts_free). Returns 0 or -1. */
int state_entry_nexts(struct state *st, struct state_entry_next **out, size_t *n);
void state_entry_nexts_free(struct state_entry_next *v, size_t n);
/* Sets the next fire time of entry id (INT64_MIN: not known). Returns 0 or -1. */
int state_entry_set_next(struct state *st, const char *id, int64_t next_fire);
/* Whether an entry may be due at `now`: 1 when one's next fire time is at or before now or
 * not known, 0 when none, -1 on error. Two indexed lookups. */
int state_entries_may_be_due(struct state *st, int64_t now);
/* The ids of the entries that may be due at `now` (as state_entries_may_be_due), in a new
 * array of new strings. Returns 0 or -1. */
int state_entries_due_ids(struct state *st, int64_t now, char ***ids, size_t *n);

/* ---- job health: broken jobs, job file hashes, problems reported once (state_health.c) */

/* Whether job type `type` is BROKEN for the file content `hash`: returns 1 and sets *reason
 * (newly allocated, may be NULL) when it was marked broken for this very hash, 0 when not (or
 * its file changed since), -1 on error. */
int state_job_broken(struct state *st, const char *type, const char *hash, char **reason);
/* Marks `type` BROKEN for content `hash` with `reason`. Returns 0 or -1. */
int state_job_set_broken(struct state *st, const char *type, const char *hash,
			 const char *reason, int64_t now);
/* Clears the BROKEN mark of `type` (`stau retry`). Returns 0 or -1. */
int state_job_clear_broken(struct state *st, const char *type);

/* A cache of file content hashes keyed by path, size and modification time (ns), so that a
 * tick need not re-read unchanged job files. Returns 1 and sets *hash (newly allocated) when
 * the stored size and mtime match, 0 when not, -1 on error. */
int state_file_hash_get(struct state *st, const char *path, int64_t size, int64_t mtime_ns,
			char **hash);
int state_file_hash_set(struct state *st, const char *path, int64_t size, int64_t mtime_ns,
			const char *hash);

/* Records that the problem `key` (e.g. "schedule.yaml") was reported for file version
 * `version` (e.g. its content hash) with `message`. Returns 1 when this is new (report it
 * now), 0 when it was already reported for this version, -1 on error. */
int state_problem_once(struct state *st, const char *key, const char *version,
		       const char *message, int64_t now);
/* Forgets problem `key` (the file is fine again), so that a recurrence is reported anew. */
int state_problem_clear(struct state *st, const char *key);

/* ---- retention (state_prune.c) ---- */

/* Deletes runs that finished before `before`, with their tasks, chunks and dependencies, in
 * one transaction. *logs (may be NULL) receives a new NULL-terminated array of the log paths
 * of the deleted chunks (relative to the project directory) for the caller to unlink; free
 * each and the array. Returns the number of runs deleted, or -1. */
int state_prune(struct state *st, int64_t before, char ***logs);

/* As state_prune, in one transaction, and *nchunks (may be NULL) receives the number of
 * chunks deleted with the runs. Returns the number of runs deleted, or -1. */
int state_prune_counted(struct state *st, int64_t before, char ***logs, int64_t *nchunks);

/* ---- read-only views (state_views.c): stau status, show and logs ---- */

/* The runs whose master job is `job`, newest first, at most `limit` (0: all). Returns 0 or -1. */
int state_runs_of_job(struct state *st, const char *job, size_t limit, struct state_run **runs,
		      size_t *n);

/* For every job type that has runs, its newest run, sorted by job type. Returns 0 or -1. */
int state_last_runs(struct state *st, struct state_run **runs, size_t *n);

/* The chunks of run `id` in plan order (dependencies first), with their deps; ids are read
 * only when with_ids. A new array freed with state_chunks_free. Returns 0 or -1. */
int state_run_chunks(struct state *st, int64_t id, bool with_ids, struct state_chunk **out,
		     size_t *n);

/* For every job type with a chunk that has started (attempt >= 1), its latest such chunk, in
 * any run, without its IDs, sorted by job type: how a job that only runs as a dependency
 * last did. A new array freed with state_chunks_free. Returns 0 or -1. */
int state_last_chunks(struct state *st, struct state_chunk **out, size_t *n);

/* ---- group commit (state.c) ---- */

/* Group commit (docs/design.md, "Group commit"). With deferred true, this connection's commits are no longer
 * synced one by one (WAL with synchronous=NORMAL): a commit is an append to the WAL, at once
 * visible to every other process and safe from a crash of stau, but not from a power loss
 * until the next state_sync(). The WAL is a log with checksummed frames, so what a power loss
 * keeps is a prefix of the commits: a later transition never survives without an earlier
 * one. The caller must not report a transition before state_sync() has covered it. With
 * deferred false (the default) every commit is synced again; what was committed before is
 * synced first. Outside a transaction only. Without WAL (a rollback journal) commits stay
 * synced one by one and this does nothing. Returns 0 or -1. */
int state_defer_sync(struct state *st, bool deferred);

/* Makes every commit of this connection so far durable: one fdatasync of the WAL, nothing
 * when nothing was committed since the last one. Returns 0, or -1 when the disk failed (what
 * was committed since the last sync may then be lost in a power loss). */
int state_sync(struct state *st);

/* ---- monitoring: status, metrics, why and the on_failure hook (state_monitor.c) ---- */

/* A job type's part in one run: how many of its chunks there are in each state. */
struct state_job_run {
	char *job;
	int64_t run;
	size_t counts[CHUNK_STATE_N];
	int64_t started;	/* the earliest start of its chunks there; 0: none started */
	int64_t finished;	/* the latest end of its chunks there that ended; 0: none */
};
void state_job_runs_free(struct state_job_run *v, size_t n);
/* For every job type with a chunk that has started, its chunks in the newest run in which
 * one did (as master job or as a dependency), sorted by job type: a job's result in a run is
 * all of its chunks there, not its last one. A new array. Returns 0 or -1. */
int state_job_runs_last(struct state *st, struct state_job_run **out, size_t *n);

/* A RUNNING chunk and the process that claimed it. */
struct state_running {
	int64_t run, chunk;
	char *job;
	struct proc_id owner;
	bool on_slurm;		/* a Slurm job runs it: it does not need its owner (state_slurm.c) */
};
void state_running_free(struct state_running *v, size_t n);
/* Every RUNNING chunk with its owner, by run and chunk, in a new array: whether the owner
 * still lives is the caller's to ask (proc_alive), the state does not look at processes.
 * Returns 0 or -1. */
int state_running_chunks(struct state *st, struct state_running **out, size_t *n);

/* What the state knows of a job type. */
struct state_job_info {
	char *job;
	int64_t last_success;	/* its latest successful chunk; 0: none */
	char *broken_hash;	/* BROKEN for this content hash (state_job_broken), or NULL */
	char *broken_reason;
	int64_t failed_chunks;	/* its chunks that failed for good, ever (schema v3 on) */
	int64_t failed_runs;	/* its runs as master job that ended FAILED, ever */
	int64_t pending, running; /* its chunks PENDING and RUNNING now, in all runs */
};
void state_job_infos_free(struct state_job_info *v, size_t n);
/* Every job type the state knows (it succeeded, failed, was marked BROKEN or has open
 * chunks), sorted by name, in a new array. Returns 0 or -1. */
int state_job_infos(struct state *st, struct state_job_info **out, size_t *n);

/* How many fire times of an entry were recorded as missed and as skipped (schema v3 on; a
 * fire time that folded earlier unhandled ones into it counts once). */
struct state_entry_count {
	char *entry;
	int64_t missed, skipped;
};
void state_entry_counts_free(struct state_entry_count *v, size_t n);
/* The counts of every entry recorded, sorted by entry id, in a new array. Returns 0 or -1. */
int state_entry_counts(struct state *st, struct state_entry_count **out, size_t *n);

/* A number that grows whenever a run is created, changes state or is pruned, in any process:
 * equal values mean that no run changed in between. Returns 0 or -1. */
int state_runs_changed(struct state *st, int64_t *v);

/* The runs that ended FAILED and whose on_failure hook no stau process has taken yet, oldest
 * first, in a new array (NULL when none): an indexed read of an index that is usually empty.
 * A run retried and failing again is pending again. Returns 0 or -1. */
int state_alerts_pending(struct state *st, int64_t **runs, size_t *n);
/* Takes the hook of failed run `run` for this process, in one transaction: returns 1 when it
 * is this process's to run, 0 when another took it (or the run has no pending hook), -1. */
int state_alert_claim(struct state *st, int64_t run, int64_t now);
/* Records how the hook of `run` went ("exit 0", "not configured", ...). Returns 0 or -1. */
int state_alert_record(struct state *st, int64_t run, const char *result);
/* The hook of a run, as recorded. */
struct state_alert {
	int64_t run;
	int64_t failed;		/* when the run ended FAILED */
	int64_t hook_started;	/* when a stau process took its hook; 0: not yet */
	char *hook_result;	/* how it went, or NULL */
};
/* Reads the hook of `run` into *out (free out->hook_result). Returns 1, 0 when the run never
 * ended FAILED (since schema v3), or -1. */
int state_alert_get(struct state *st, int64_t run, struct state_alert *out);

/* The DONE chunk of job type `job` that holds work ID `id` and finished at `finished` (the
 * freshness recorded for the ID): sets *chunk to its id and returns 1, or returns 0 when
 * there is none (its run was pruned), or -1. */
int state_chunk_that_computed(struct state *st, const char *job, int64_t id, int64_t finished,
			      int64_t *chunk);

#endif
