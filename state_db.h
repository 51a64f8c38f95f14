/* state_db.h - what the files of the state module share: the connection and its helpers.
 *
 * Private to state.c and state_*.c; everyone else uses state.h. The module is one SQLite
 * connection split into files by concern (state.c's design comment lists them): each file
 * keeps its own helpers static, and what more than one of them needs is declared here. */
#ifndef STAU_STATE_DB_H
#define STAU_STATE_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"
#include "util.h"

#define DB_SHOWN ".stau/stau.db" /* the database as messages name it */

/* The columns run_from_row (state_runs.c) and db_chunk_from_row (state_chunks.c) read, in
 * that order; CHUNK_FROM is the join the chunk columns come from. */
#define RUN_COLS                                                                               \
	"r.id, r.job, r.entry, r.fire_time, r.kwargs, r.nids, r.has_ids, r.git, r.force,"     \
	" r.created, r.started, r.finished, r.state, r.message"
#define CHUNK_COLS                                                                             \
	"c.id, c.run, t.seq, c.job, t.kwargs, c.idx, c.count, c.nids, r.has_ids, c.state,"    \
	" c.attempt, c.not_before, c.owner_pid, c.owner_start, c.child_pid, c.exit_code,"     \
	" c.signal, c.started, c.finished, c.duration_ms, c.log_path, c.tail, c.message,"     \
	" r.entry, r.fire_time, c.ids"
#define CHUNK_FROM " FROM chunks c JOIN tasks t ON t.id = c.task JOIN runs r ON r.id = c.run"

/* The statements kept prepared on the connection; their SQL is sql[] in state_sql.c. */
enum q {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_SYNC_NORMAL,
	Q_SYNC_FULL,
	Q_RUN_INSERT,
	Q_RUN_GET,
	Q_RUN_IDS,
	Q_RUN_COUNTS,
	Q_RUN_HAS_OPEN,
	Q_RUNS_QUEUED,
	Q_RUNS_OF_JOB,
	Q_LAST_RUNS,
	Q_JOB_ACTIVE,
	Q_ANY_OPEN,
	Q_RUN_OPEN,
	Q_RUN_CODE_SET,
	Q_RUN_CODE,
	Q_RUN_CODE_OF,
	Q_JOB_LAST_CODE,
	Q_OPEN_RUN_JOBS,
	Q_JOB_OPEN_CHUNKS,
	Q_RUN_STATE,
	Q_TASK_INSERT,
	Q_CHUNK_INSERT,
	Q_DEP_INSERT,
	Q_RUN_SET_ACTIVE,
	Q_RUN_END,
	Q_RUN_CANCEL_CHUNKS,
	Q_RUN_RUNNING_PIDS,
	Q_RUN_RETRY_CHUNKS,
	Q_RUN_RECOUNT,
	Q_RUN_REOPEN,
	Q_READY,
	Q_READY_RUN,
	Q_RUNNING_ALL,
	Q_RUNNING_JOB,
	Q_CLAIM,
	Q_CHUNK_GET,
	Q_CHUNK_BRIEF,
	Q_CHUNK_SET_CHILD,
	Q_NEXT_RETRY,
	Q_NEXT_RETRY_RUN,
	Q_CHUNK_DONE,
	Q_CHUNK_RETRY,
	Q_CHUNK_FAILED,
	Q_DEPENDENTS_OF,
	Q_DEPENDENT_READY,
	Q_CANCEL_DOWNSTREAM,
	Q_RUN_CHUNKS,
	Q_RUN_DEPS,
	Q_RUNNING_OWNERS,
	Q_JOB_SINCE,
	Q_JOB_SUCCESS,
	Q_FRESH_UPSERT,
	Q_JOB_ID,
	Q_FRESH_FROM,
	Q_JOB_LAST_SUCCESS,
	Q_ENTRY_GET,
	Q_ENTRIES_ALL,
	Q_ENTRY_SET,
	Q_ENTRY_NEXTS,
	Q_ENTRY_SET_NEXT,
	Q_ENTRY_NEXT_UNKNOWN,
	Q_ENTRY_NEXT_DUE,
	Q_ENTRY_DUE_IDS,
	Q_BROKEN_GET,
	Q_BROKEN_SET,
	Q_BROKEN_CLEAR,
	Q_HASH_GET,
	Q_HASH_SET,
	Q_PROBLEM_GET,
	Q_PROBLEM_SET,
	Q_PROBLEM_CLEAR,
	Q_PRUNE_RUNS,
	Q_PRUNE_LOGS,
	Q_PRUNE_DEPS,
	Q_PRUNE_CHUNKS,
	Q_PRUNE_TASKS,
	Q_PRUNE_RUN,
	Q_PRUNE_KEEP_MAX,
	Q_PRUNE_ENTRIES,
	Q_N
};

/* An open .stau/stau.db (state_open in state.c); its statements are prepared lazily. */
struct state {
	sqlite3 *db;
	char *path;	 /* absolute path of the database */
	char *log_root;	 /* where chunk logs go, relative to the project (state_log_path) */
	int lock_fd;	 /* .stau/lock */
	int depth;	 /* state_begin nesting */
	bool aborted;	 /* an inner rollback happened: the outer transaction is lost */
	bool wal;	 /* journal_mode is WAL */
	int wal_pages;	 /* frames in the WAL after our last commit (from the WAL hook) */
	bool deferred;	 /* state_defer_sync: commits are not synced one by one */
	bool unsynced;	 /* a deferred commit happened since the last state_sync */
	bool wal_grew;	 /* the WAL hook ran since the last commit: it wrote frames */
	int busy_ms;
	sqlite3_stmt *stmt[Q_N];
	char errmsg[512];
};

/* ---- errors (state_sql.c) ---- */

/* Formats the message into st->errmsg; returns -1. */
int db_fail(struct state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets st->errmsg from SQLite's last error on st->db, naming the database and whether it was
 * a write ("cannot write '.stau/stau.db': database or disk is full"); returns -1. */
int db_error(struct state *st);

/* ---- transactions (state.c) ---- */

/* Ends the transaction of a state_begin: commits when rc >= 0, else rolls back; returns rc
 * (or -1 when the commit fails). */
int db_finish_tx(struct state *st, int rc);
/* Runs s, a single-statement write, in a transaction of its own (or nested in the caller's):
 * 0, or -1 on error. */
int db_write1(struct state *st, sqlite3_stmt *s);

/* ---- statements (state_sql.c) ---- */

/* The statement q, prepared on first use, reset and unbound; NULL with st->errmsg set. */
sqlite3_stmt *db_stmt(struct state *st, enum q q);
/* Steps s once: 1 for a row, 0 when done (s is then reset), -1 on error. */
int db_step(struct state *st, sqlite3_stmt *s);
/* Runs a statement that returns no row: 0, or -1 on error. */
int db_exec(struct state *st, sqlite3_stmt *s);
/* Runs a statement expected to return one integer into *v (dflt when it returns none or
 * NULL): 0, or -1 on error. */
int db_scalar(struct state *st, sqlite3_stmt *s, int64_t dflt, int64_t *v);
/* Runs a bound statement: 1 when it returns a row, 0 when not, -1 on error; s is reset. */
int db_exists(struct state *st, sqlite3_stmt *s);

/* Binding and reading columns: small enough to be inlined where they are used, in the loops
 * over a run's chunks and work IDs. */

/* Binds text v (NULL as NULL); v must live until the statement is reset. */
static inline void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Binds a time, INT64_MIN ("none") as NULL. */
static inline void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == INT64_MIN)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

/* Column i as an integer, `none` when it is NULL. */
static inline int64_t col_time(sqlite3_stmt *s, int i, int64_t none)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? none : sqlite3_column_int64(s, i);
}

/* Column i as a new string (the caller frees it), NULL when it is NULL. */
static inline char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

/* ---- names and work IDs (state_sql.c) ---- */

/* The names stored in the state columns of runs and chunks, by enum value. */
extern const char *const run_names[RUN_STATE_N];
extern const char *const chunk_names[CHUNK_STATE_N];
/* The index of text in names[0..n), 0 when it is not there (or NULL). */
int db_name_index(const char *const *names, int n, const unsigned char *text);
/* Decodes the compact work IDs in column i of s into a new array *ids of *n (the caller
 * frees it); -1 with st->errmsg set when they are damaged. */
int db_col_ids(struct state *st, sqlite3_stmt *s, int i, int64_t **ids, size_t *n);

/* ---- runs (state_runs.c), for finishing chunks and for the views ---- */

/* Reads every row of s (already bound) into a new array of runs with their counts (*runs,
 * released with state_runs_free): 0, or -1 on error. */
int db_runs_collect(struct state *st, sqlite3_stmt *s, struct state_run **runs, size_t *n);

/* Fills r->counts, the number of chunks of run r->id in each state: 0, or -1 on error. */
int db_run_counts(struct state *st, struct state_run *r);
/* The state of run id into *rs; -1 with st->errmsg set when there is no such run. */
int db_run_state_of(struct state *st, int64_t id, enum run_state *rs);
/* Sets QUEUED/ACTIVE run id to state rs (finished = now) with message; no change to a run
 * that has ended already. 0, or -1 on error. */
int db_run_end(struct state *st, int64_t id, enum run_state rs, const char *message, int64_t now);

/* ---- chunks (state_chunks.c), for the views ---- */

/* Reads a row of CHUNK_COLS into *c; the IDs only when with_ids. 0, or -1 with st->errmsg set
 * (c is then released). */
int db_chunk_from_row(struct state *st, sqlite3_stmt *s, bool with_ids, struct state_chunk *c);

/* ---- freshness (state_fresh.c), for finishing chunks ---- */

/* Records a success of job at `now` in run `run`: for the job type and each of ids[0..n),
 * with the code of the job's file the run recorded (run_code; NULL when none). Inside the
 * caller's transaction; 0, or -1 on error. */
int db_record_success(struct state *st, const char *job, int64_t run, const int64_t *ids,
		      size_t n, int64_t now);

#endif
