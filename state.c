/* state.c - persistent state in SQLite: .stau/stau.db, the only database stau writes.
 *
 * Schema (PRAGMA user_version; migrations[] below, applied in order in one transaction):
 *
 *   v1  runs        one row per run: master job, trigger (entry + fire_time, both NULL for a
 *                   manual run), kwargs JSON, work IDs, git commit, force, times, state, message
 *       tasks       a job type with its kwargs as it takes part in a run (plan.tasks)
 *       chunks      a task's slice of work IDs: state, attempt, not_before (retry time), owner
 *                   pid + start time, child pid, exit code or signal, times, log path, tail,
 *                   message, and `waiting`: how many of its dependencies are not DONE yet
 *       chunk_deps  (depends_on, chunk), both directions indexed
 *       job_types   per job type: id (for compact freshness keys), last success, BROKEN mark
 *                   (content hash + reason)
 *       fresh       (job type id, work ID) -> last successful finish, WITHOUT ROWID
 *       entries     per schedule entry: trigger fingerprint, last fire handled/missed/skipped
 *       job_files   path, size, mtime -> content hash (a cache for ticks)
 *       problems    key -> version (content hash) of the file last reported, for "report once"
 *   v2  the chunks of each state by job type are indexed only for the open states (RUNNING,
 *       PENDING): partial indexes stay small and a finish writes no index page for DONE; the
 *       chunks table is rebuilt with its state CHECK spelled with OR instead of IN
 *
 * Choices that follow from SPEC §6, §8 and §13:
 *   - Work IDs are stored in workids.h's compact text form ("1-6,9,12-14"): a run over a
 *     million consecutive IDs is a dozen bytes, and the sqlite3 shell still shows them.
 *     The ids column is the last of its row: SQLite reads columns in order, and a column
 *     after a megabyte of scattered IDs would cost a walk through its overflow pages on
 *     every look at the run's state.
 *   - "Ready" is `state = 'PENDING' AND waiting = 0`, kept by counters (finishing a chunk
 *     decrements its dependents) and served by a partial index, so claiming a chunk costs the
 *     same for the first and the thousandth chunk of a chain, instead of re-checking every
 *     pending chunk's dependencies.
 *   - Freshness is a WITHOUT ROWID table keyed (job, id): checking a sorted list of a million
 *     IDs is one range scan merged with the list (re-seeking past long gaps), not a million
 *     queries. The job type is a small integer there, so the key stays short.
 *   - Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT) and only ever
 *     bound: no SQL is built from text.
 *
 * Durability: WAL with synchronous=FULL. A commit is then one append and one fsync of the WAL
 * (about 0.25 ms here, four times cheaper than a rollback journal), and a commit that returned
 * survives a crash or a power loss. Where WAL cannot work (a network file system) SQLite keeps
 * its rollback journal and we carry on with it. The engine, which commits a few transitions
 * for every chunk, uses group commit instead (state_defer_sync): its commits are appends, and
 * one fsync of the WAL makes all of them durable before any is reported. A WAL keeps a prefix
 * of its commits through a power loss, so the guarantee is the same for what anyone was told:
 * a reported outcome survives; an unreported one may be lost and its chunk runs again.
 *
 * The WAL-reset bug (https://www.sqlite.org/wal.html#walresetbug, SQLite before 3.51.3;
 * Debian 12 has 3.40.1): when one connection runs a checkpoint while another commits the
 * transaction that restarts the WAL from its beginning, the database can be corrupted. Both
 * sides are needed for the race, so we take them out of SQLite's hands and serialise them
 * with an exclusive flock on .stau/lock:
 *   - every write transaction (BEGIN IMMEDIATE ... COMMIT) runs while holding the lock: only
 *     writers restart the WAL;
 *   - automatic checkpoints are off (wal_autocheckpoint=0, and our own WAL hook replaces
 *     SQLite's); we checkpoint explicitly, under the same lock, after a commit that left the
 *     WAL large and at close;
 *   - SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE stops the last connection's implicit checkpoint, and
 *     the close itself happens under the lock as well.
 * Readers take no lock: in WAL they never block and never restart the WAL. Since writers
 * queue on the flock, SQLite's busy handler rarely runs; the flock wait has the same limit as
 * the busy timeout, and past it the caller gets a "locked" state error (exit 3). */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "workids.h"

#define DB_SHOWN ".stau/stau.db"
#define BUSY_TIMEOUT_MS 10000
#define CKPT_PAGES_COMMIT 4096 /* checkpoint after a commit leaving a WAL of 16 MB */
#define CKPT_BYTES_CLOSE (1 << 20) /* and at close when it holds more than 1 MB */
#define RESEEK_AFTER 32	       /* freshness scan: rows skipped before seeking instead */

/* ---- schema ---- */

static const char *const migrations[] = {
	/* v1: the initial schema */
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY, job TEXT NOT NULL, entry TEXT, fire_time INTEGER,"
	" kwargs TEXT NOT NULL DEFAULT '{}', nids INTEGER NOT NULL DEFAULT 0,"
	" has_ids INTEGER NOT NULL DEFAULT 0, git TEXT, force INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL, started INTEGER, finished INTEGER, state TEXT NOT NULL"
	" CHECK (state IN ('QUEUED','ACTIVE','DONE','FAILED','CANCELED')), message TEXT,"
	" ids TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX runs_job ON runs(job, id);"
	"CREATE INDEX runs_open ON runs(state, id) WHERE state IN ('QUEUED','ACTIVE');"
	"CREATE INDEX runs_finished ON runs(finished) WHERE finished IS NOT NULL;"
	"CREATE TABLE tasks ("
	" id INTEGER PRIMARY KEY, run INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" job TEXT NOT NULL, kwargs TEXT NOT NULL, UNIQUE (run, seq));"
	"CREATE TABLE chunks ("
	" id INTEGER PRIMARY KEY, run INTEGER NOT NULL, task INTEGER NOT NULL,"
	" job TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL,"
	" nids INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL"
	" CHECK (state IN ('PENDING','RUNNING','DONE','FAILED','CANCELED')),"
	" waiting INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0,"
	" not_before INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER, owner_start INTEGER,"
	" child_pid INTEGER, exit_code INTEGER, signal INTEGER, started INTEGER,"
	" finished INTEGER, duration_ms INTEGER, log_path TEXT, tail TEXT, message TEXT,"
	" ids TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX chunks_run ON chunks(run, state);"
	"CREATE INDEX chunks_ready ON chunks(run, id) WHERE state = 'PENDING' AND waiting = 0;"
	"CREATE INDEX chunks_state ON chunks(state, job);"
	"CREATE TABLE chunk_deps ("
	" depends_on INTEGER NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (depends_on, chunk))"
	" WITHOUT ROWID;"
	"CREATE INDEX chunk_deps_chunk ON chunk_deps(chunk, depends_on);"
	"CREATE TABLE job_types ("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, last_success INTEGER,"
	" broken_hash TEXT, broken_reason TEXT, broken_at INTEGER);"
	"CREATE TABLE fresh ("
	" job INTEGER NOT NULL, id INTEGER NOT NULL, finished INTEGER NOT NULL,"
	" PRIMARY KEY (job, id)) WITHOUT ROWID;"
	"CREATE TABLE entries ("
	" id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, last_handled INTEGER,"
	" last_missed INTEGER, last_skipped INTEGER, last_run INTEGER) WITHOUT ROWID;"
	"CREATE TABLE job_files ("
	" path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	" hash TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE problems ("
	" key TEXT PRIMARY KEY, version TEXT NOT NULL, message TEXT,"
	" reported INTEGER NOT NULL) WITHOUT ROWID;",
	/* v2: the chunk writes of the engine made cheaper. chunks_state held every chunk, so each
	 * finish also inserted into the ever-growing DONE part of it (a WAL page per chunk): only
	 * the open chunks are indexed by job type now. And a CHECK with IN builds a temporary
	 * b-tree of its list on every write of the row; the same CHECK with OR does not. */
	"CREATE TABLE chunks_v2 ("
	" id INTEGER PRIMARY KEY, run INTEGER NOT NULL, task INTEGER NOT NULL,"
	" job TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL,"
	" nids INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL"
	" CHECK (state = 'PENDING' OR state = 'RUNNING' OR state = 'DONE' OR state = 'FAILED'"
	" OR state = 'CANCELED'),"
	" waiting INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0,"
	" not_before INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER, owner_start INTEGER,"
	" child_pid INTEGER, exit_code INTEGER, signal INTEGER, started INTEGER,"
	" finished INTEGER, duration_ms INTEGER, log_path TEXT, tail TEXT, message TEXT,"
	" ids TEXT NOT NULL DEFAULT '');"
	"INSERT INTO chunks_v2 SELECT * FROM chunks;"
	"DROP TABLE chunks;"
	"ALTER TABLE chunks_v2 RENAME TO chunks;"
	"CREATE INDEX chunks_run ON chunks(run, state);"
	"CREATE INDEX chunks_ready ON chunks(run, id) WHERE state = 'PENDING' AND waiting = 0;"
	"CREATE INDEX chunks_running ON chunks(job) WHERE state = 'RUNNING';"
	"CREATE INDEX chunks_pending ON chunks(job) WHERE state = 'PENDING';",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STATE_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---- statements, prepared once per connection ---- */

#define RUN_COLS                                                                               \
	"r.id, r.job, r.entry, r.fire_time, r.kwargs, r.nids, r.has_ids, r.git, r.force,"     \
	" r.created, r.started, r.finished, r.state, r.message"
#define CHUNK_COLS                                                                             \
	"c.id, c.run, t.seq, c.job, t.kwargs, c.idx, c.count, c.nids, r.has_ids, c.state,"    \
	" c.attempt, c.not_before, c.owner_pid, c.owner_start, c.child_pid, c.exit_code,"     \
	" c.signal, c.started, c.finished, c.duration_ms, c.log_path, c.tail, c.message,"     \
	" r.entry, r.fire_time, c.ids"
#define CHUNK_FROM " FROM chunks c JOIN tasks t ON t.id = c.task JOIN runs r ON r.id = c.run"

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
	Q_N
};

static const char *const sql[Q_N] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[Q_SYNC_FULL] = "PRAGMA synchronous = FULL",
	[Q_RUN_INSERT] = "INSERT INTO runs (job, entry, fire_time, kwargs, ids, nids, has_ids, git,"
			 " force, created, state) VALUES (?,?,?,?,?,?,?,?,?,?,'QUEUED')",
	[Q_RUN_GET] = "SELECT " RUN_COLS " FROM runs r WHERE r.id = ?",
	[Q_RUN_IDS] = "SELECT ids FROM runs WHERE id = ?",
	[Q_RUN_COUNTS] = "SELECT state, count(*) FROM chunks WHERE run = ? GROUP BY state",
	/* PENDING and RUNNING sort after the ended states: a range, where IN would build a
	 * temporary b-tree of its list at every finish */
	[Q_RUN_HAS_OPEN] = "SELECT 1 FROM chunks WHERE run = ? AND state > 'FAILED' LIMIT 1",
	[Q_RUNS_QUEUED] = "SELECT " RUN_COLS " FROM runs r WHERE r.state = 'QUEUED' ORDER BY r.id",
	[Q_RUNS_OF_JOB] = "SELECT " RUN_COLS " FROM runs r WHERE r.job = ? ORDER BY r.id DESC"
			  " LIMIT ?",
	[Q_LAST_RUNS] = "SELECT " RUN_COLS " FROM runs r WHERE r.id IN"
			" (SELECT max(id) FROM runs GROUP BY job) ORDER BY r.job",
	[Q_JOB_ACTIVE] = "SELECT 1 FROM runs WHERE state IN ('QUEUED','ACTIVE') AND job = ? LIMIT 1",
	[Q_ANY_OPEN] = "SELECT 1 FROM runs WHERE state IN ('QUEUED','ACTIVE') LIMIT 1",
	[Q_JOB_OPEN_CHUNKS] = "SELECT 1 FROM chunks WHERE job = ?1 AND state = 'RUNNING' AND run != ?2"
			      " UNION ALL SELECT 1 FROM chunks WHERE job = ?1 AND state = 'PENDING'"
			      " AND run != ?2 LIMIT 1",
	[Q_RUN_STATE] = "SELECT state FROM runs WHERE id = ?",
	[Q_TASK_INSERT] = "INSERT INTO tasks (run, seq, job, kwargs) VALUES (?,?,?,?)",
	[Q_CHUNK_INSERT] = "INSERT INTO chunks (run, task, job, idx, count, ids, nids, state,"
			   " waiting) VALUES (?,?,?,?,?,?,?,'PENDING',?)",
	[Q_DEP_INSERT] = "INSERT OR IGNORE INTO chunk_deps (depends_on, chunk) VALUES (?,?)",
	[Q_RUN_SET_ACTIVE] = "UPDATE runs SET state = 'ACTIVE', started = ? WHERE id = ?",
	[Q_RUN_END] = "UPDATE runs SET state = ?2, finished = ?3, message = ?4"
		      " WHERE id = ?1 AND state IN ('QUEUED','ACTIVE')",
	[Q_RUN_CANCEL_CHUNKS] = "UPDATE chunks SET state = 'CANCELED', message = ?2, finished = ?3"
				" WHERE run = ?1 AND state = 'PENDING'",
	[Q_RUN_RUNNING_PIDS] = "SELECT child_pid FROM chunks WHERE run = ? AND state = 'RUNNING'"
			       " AND child_pid > 0",
	[Q_RUN_RETRY_CHUNKS] = "UPDATE chunks SET state = 'PENDING', not_before = 0, finished ="
			       " NULL, message = NULL WHERE run = ? AND state IN ('FAILED','CANCELED')",
	[Q_RUN_RECOUNT] = "UPDATE chunks SET waiting = (SELECT count(*) FROM chunk_deps d JOIN"
			  " chunks p ON p.id = d.depends_on WHERE d.chunk = chunks.id AND p.state"
			  " != 'DONE') WHERE run = ? AND state = 'PENDING'",
	[Q_RUN_REOPEN] = "UPDATE runs SET state = 'ACTIVE', finished = NULL, message = NULL"
			 " WHERE id = ?",
	[Q_READY] = "SELECT id, job, not_before FROM chunks INDEXED BY chunks_ready"
		    " WHERE state = 'PENDING' AND waiting = 0 ORDER BY run, id",
	[Q_READY_RUN] = "SELECT id, job, not_before FROM chunks INDEXED BY chunks_ready"
			" WHERE state = 'PENDING' AND waiting = 0 AND run = ? ORDER BY run, id",
	[Q_RUNNING_ALL] = "SELECT count(*) FROM chunks INDEXED BY chunks_running"
			  " WHERE state = 'RUNNING'",
	[Q_RUNNING_JOB] = "SELECT count(*) FROM chunks INDEXED BY chunks_running"
			  " WHERE state = 'RUNNING' AND job = ?",
	[Q_CLAIM] = "UPDATE chunks SET state = 'RUNNING', attempt = attempt + 1, owner_pid = ?2,"
		    " owner_start = ?3, child_pid = NULL, started = ?4, finished = NULL, exit_code"
		    " = NULL, signal = NULL, duration_ms = NULL, tail = NULL, message = NULL,"
		    " log_path = printf('.stau/logs/%s/%d-%d-%d.log', job, run, id, attempt + 1)"
		    " WHERE id = ?1 AND state = 'PENDING'",
	[Q_CHUNK_GET] = "SELECT " CHUNK_COLS CHUNK_FROM " WHERE c.id = ?",
	[Q_CHUNK_BRIEF] = "SELECT run, job, state, ids FROM chunks WHERE id = ?",
	[Q_CHUNK_SET_CHILD] = "UPDATE chunks SET child_pid = ? WHERE id = ? AND state = 'RUNNING'"
			     " AND (SELECT state FROM runs WHERE id = chunks.run) = 'ACTIVE'",
	[Q_NEXT_RETRY] = "SELECT min(not_before) FROM chunks INDEXED BY chunks_ready"
			 " WHERE state = 'PENDING' AND waiting = 0 AND not_before > ?",
	[Q_NEXT_RETRY_RUN] = "SELECT min(not_before) FROM chunks INDEXED BY chunks_ready"
			     " WHERE state = 'PENDING' AND waiting = 0 AND run = ? AND not_before > ?",
	[Q_CHUNK_DONE] = "UPDATE chunks SET state = 'DONE', finished = ?2, exit_code = ?3,"
			 " signal = ?4, duration_ms = ?5, tail = NULL, message = ?6"
			 " WHERE id = ?1 AND state = 'RUNNING'",
	[Q_CHUNK_RETRY] = "UPDATE chunks SET state = 'PENDING', finished = ?2, exit_code = ?3,"
			  " signal = ?4, duration_ms = ?5, tail = ?6, message = ?7, not_before = ?8"
			  " WHERE id = ?1 AND state = 'RUNNING'",
	[Q_CHUNK_FAILED] = "UPDATE chunks SET state = 'FAILED', finished = ?2, exit_code = ?3,"
			   " signal = ?4, duration_ms = ?5, tail = ?6, message = ?7"
			   " WHERE id = ?1 AND state = 'RUNNING'",
	/* one dependent at a time: UPDATE ... WHERE id IN (SELECT ...) builds a temporary
	 * b-tree at every finish, even of a chunk that nothing depends on */
	[Q_DEPENDENTS_OF] = "SELECT chunk FROM chunk_deps WHERE depends_on = ?",
	[Q_DEPENDENT_READY] = "UPDATE chunks SET waiting = waiting - 1 WHERE id = ? AND waiting > 0",
	[Q_CANCEL_DOWNSTREAM] = "WITH RECURSIVE down(id) AS (SELECT chunk FROM chunk_deps WHERE"
				" depends_on = ?1 UNION SELECT d.chunk FROM chunk_deps d JOIN down"
				" ON d.depends_on = down.id) UPDATE chunks SET state = 'CANCELED',"
				" message = 'upstream failed', finished = ?2"
				" WHERE id IN down AND state = 'PENDING'",
	[Q_RUN_CHUNKS] = "SELECT " CHUNK_COLS CHUNK_FROM " WHERE c.run = ? ORDER BY c.id",
	[Q_RUN_DEPS] = "SELECT d.chunk, d.depends_on FROM chunk_deps d JOIN chunks c ON c.id ="
		       " d.chunk WHERE c.run = ? ORDER BY d.chunk, d.depends_on",
	[Q_RUNNING_OWNERS] = "SELECT id, job, attempt, owner_pid, owner_start, child_pid, run"
			     " FROM chunks INDEXED BY chunks_running WHERE state = 'RUNNING'"
			     " ORDER BY id",
	[Q_JOB_SINCE] = "SELECT id, last_success FROM job_types WHERE name = ?",
	[Q_JOB_SUCCESS] = "INSERT INTO job_types (name, last_success) VALUES (?1, ?2)"
			  " ON CONFLICT (name) DO UPDATE SET last_success ="
			  " max(coalesce(last_success, 0), excluded.last_success) RETURNING id",
	[Q_FRESH_UPSERT] = "INSERT INTO fresh (job, id, finished) VALUES (?,?,?) ON CONFLICT"
			   " (job, id) DO UPDATE SET finished = max(finished, excluded.finished)",
	[Q_JOB_ID] = "SELECT id FROM job_types WHERE name = ?",
	[Q_FRESH_FROM] = "SELECT id, finished FROM fresh WHERE job = ? AND id >= ? ORDER BY id",
	[Q_JOB_LAST_SUCCESS] = "SELECT last_success FROM job_types WHERE name = ?",
	[Q_ENTRY_GET] = "SELECT id, fingerprint, last_handled, last_missed, last_skipped, last_run"
			" FROM entries WHERE id = ?",
	[Q_ENTRIES_ALL] = "SELECT id, fingerprint, last_handled, last_missed, last_skipped,"
			  " last_run FROM entries ORDER BY id",
	[Q_ENTRY_SET] = "INSERT OR REPLACE INTO entries (id, fingerprint, last_handled,"
			" last_missed, last_skipped, last_run) VALUES (?,?,?,?,?,?)",
	[Q_BROKEN_GET] = "SELECT broken_hash, broken_reason FROM job_types WHERE name = ?",
	[Q_BROKEN_SET] = "INSERT INTO job_types (name, broken_hash, broken_reason, broken_at)"
			 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET broken_hash ="
			 " ?2, broken_reason = ?3, broken_at = ?4",
	[Q_BROKEN_CLEAR] = "UPDATE job_types SET broken_hash = NULL, broken_reason = NULL,"
			   " broken_at = NULL WHERE name = ?",
	[Q_HASH_GET] = "SELECT hash FROM job_files WHERE path = ? AND size = ? AND mtime_ns = ?",
	[Q_HASH_SET] = "INSERT OR REPLACE INTO job_files (path, size, mtime_ns, hash)"
		       " VALUES (?,?,?,?)",
	[Q_PROBLEM_GET] = "SELECT version FROM problems WHERE key = ?",
	[Q_PROBLEM_SET] = "INSERT OR REPLACE INTO problems (key, version, message, reported)"
			  " VALUES (?,?,?,?)",
	[Q_PROBLEM_CLEAR] = "DELETE FROM problems WHERE key = ?",
	[Q_PRUNE_RUNS] = "SELECT id FROM runs WHERE finished < ? AND state IN"
			 " ('DONE','FAILED','CANCELED') ORDER BY id",
	[Q_PRUNE_LOGS] = "SELECT job, run, id, attempt FROM chunks WHERE run = ?",
	[Q_PRUNE_DEPS] = "DELETE FROM chunk_deps WHERE chunk IN (SELECT id FROM chunks WHERE"
			 " run = ?)",
	[Q_PRUNE_CHUNKS] = "DELETE FROM chunks WHERE run = ?",
	[Q_PRUNE_TASKS] = "DELETE FROM tasks WHERE run = ?",
	[Q_PRUNE_RUN] = "DELETE FROM runs WHERE id = ?",
};

struct state {
	sqlite3 *db;
	char *path;	 /* absolute path of the database */
	int lock_fd;	 /* .stau/lock */
	int depth;	 /* state_begin nesting */
	bool aborted;	 /* an inner rollback happened: the outer transaction is lost */
	bool wal;	 /* journal_mode is WAL */
	int wal_pages;	 /* frames in the WAL after our last commit (from the WAL hook) */
	bool deferred;	 /* state_defer_sync: commits are not synced one by one */
	bool unsynced;	 /* a deferred commit happened since the last state_sync */
	int busy_ms;
	sqlite3_stmt *stmt[Q_N];
	char errmsg[512];
};

/* ---- errors ---- */

static int fail(struct state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct state *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

/* An error from SQLite: "cannot write '.stau/stau.db': database or disk is full". */
static int fail_db(struct state *st)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return fail(st, "'%s' stayed locked for more than %d ms by another stau process; "
			    "try again later", DB_SHOWN, st->busy_ms);
	return fail(st, "cannot %s '%s': %s", code == SQLITE_READONLY || code == SQLITE_FULL ||
		    code == SQLITE_IOERR ? "write" : "use", DB_SHOWN, sqlite3_errmsg(st->db));
}

const char *state_errmsg(const struct state *st)
{
	return st->errmsg;
}

/* ---- statements ---- */

/* The statement q, prepared on first use, reset and unbound; NULL with st->errmsg set. */
static sqlite3_stmt *stmt(struct state *st, enum q q)
{
	sqlite3_stmt *s = st->stmt[q];
	if (!s) {
		if (sqlite3_prepare_v3(st->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL)) {
			fail_db(st);
			return NULL;
		}
		st->stmt[q] = s;
		return s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Binds a time, INT64_MIN ("none") as NULL. */
static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == INT64_MIN)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

static int64_t col_time(sqlite3_stmt *s, int i, int64_t none)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? none : sqlite3_column_int64(s, i);
}

static char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

/* Steps s once: 1 for a row, 0 when done (s is then reset), -1 on error. */
static int step(struct state *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return fail_db(st);
}

/* Runs a statement that returns no row. */
static int exec_q(struct state *st, sqlite3_stmt *s)
{
	int rc = step(st, s);
	if (rc == 1) {
		sqlite3_reset(s);
		return 0;
	}
	return rc;
}

/* Runs a statement expected to return one integer (or none: *v = dflt). */
static int scalar(struct state *st, sqlite3_stmt *s, int64_t dflt, int64_t *v)
{
	int rc = step(st, s);
	if (rc < 0)
		return -1;
	*v = rc == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL ? sqlite3_column_int64(s, 0)
								 : dflt;
	sqlite3_reset(s);
	return 0;
}

/* ---- the lock and transactions ---- */

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes the exclusive flock on .stau/lock, waiting at most the busy timeout. */
static int lock(struct state *st)
{
	if (!flock(st->lock_fd, LOCK_EX | LOCK_NB))
		return 0;
	int64_t deadline = mono_ms() + st->busy_ms;
	long pause = 50;
	while (errno == EWOULDBLOCK || errno == EINTR) {
		if (mono_ms() >= deadline)
			return fail(st, "'.stau/lock' stayed locked for more than %d ms by another "
				    "stau process; try again later", st->busy_ms);
		sleep_us(pause);
		if (pause < 5000)
			pause *= 2;
		if (!flock(st->lock_fd, LOCK_EX | LOCK_NB))
			return 0;
	}
	return fail(st, "cannot lock '.stau/lock': %s", strerror(errno));
}

static void unlock(struct state *st)
{
	flock(st->lock_fd, LOCK_UN);
}

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	((struct state *)ctx)->wal_pages = pages;
	return SQLITE_OK;
}

/* A PASSIVE checkpoint; the caller holds the lock. Errors only leave the WAL larger. */
static void checkpoint(struct state *st)
{
	if (st->wal && !sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						   NULL))
		st->wal_pages = 0;
}

int state_begin(struct state *st)
{
	if (st->depth > 0) {
		if (st->aborted)
			return fail(st, "an earlier error rolled this transaction back");
		st->depth++;
		return 0;
	}
	if (lock(st))
		return -1;
	sqlite3_stmt *s = stmt(st, Q_BEGIN);
	if (!s || exec_q(st, s)) {
		unlock(st);
		return -1;
	}
	st->depth = 1;
	st->aborted = false;
	return 0;
}

int state_commit(struct state *st)
{
	if (st->depth > 1) {
		st->depth--;
		return st->aborted ? fail(st, "an earlier error rolled this transaction back") : 0;
	}
	st->depth = 0;
	if (st->aborted) {
		st->aborted = false;
		unlock(st);
		return fail(st, "an earlier error rolled this transaction back");
	}
	sqlite3_stmt *s = stmt(st, Q_COMMIT);
	if (!s || exec_q(st, s)) {
		char keep[sizeof(st->errmsg)];
		memcpy(keep, st->errmsg, sizeof(keep));
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		memcpy(st->errmsg, keep, sizeof(keep));
		unlock(st);
		return -1;
	}
	st->unsynced |= st->deferred;
	if (st->wal_pages >= CKPT_PAGES_COMMIT)
		checkpoint(st);
	unlock(st);
	return 0;
}

void state_rollback(struct state *st)
{
	if (st->depth == 0)
		return;
	if (!st->aborted && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (--st->depth > 0) {
		st->aborted = true;
		return;
	}
	st->aborted = false;
	unlock(st);
}

/* Commits when rc is 0, else rolls back; returns rc (or -1 when the commit fails). */
static int finish_tx(struct state *st, int rc)
{
	if (rc < 0) {
		state_rollback(st);
		return -1;
	}
	return state_commit(st) ? -1 : rc;
}

/* ---- opening ---- */

static int busy_timeout_ms(void)
{
	const char *e = getenv("STAU_BUSY_TIMEOUT_MS");
	int64_t v;
	if (e && !parse_int64(e, &v) && v >= 0 && v <= INT_MAX)
		return (int)v;
	return BUSY_TIMEOUT_MS;
}

/* Makes dir/.stau (0700) and opens dir/.stau/lock (0600). */
static int open_files(const char *dir, int *lock_fd, char *err, size_t errlen)
{
	char *sdir = xasprintf("%s/.stau", dir), *lpath = xasprintf("%s/.stau/lock", dir);
	int rc = -1;
	struct stat sb;
	if (mkdir(sdir, 0700) == 0)
		chmod(sdir, 0700); /* whatever the umask */
	else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", sdir, strerror(errno));
		goto out;
	} else if (!stat(sdir, &sb) && S_ISDIR(sb.st_mode) && (sb.st_mode & 077) &&
		   chmod(sdir, 0700)) {
		/* made by hand or by an old tool: others must not replace our files in it */
		snprintf(err, errlen, "'%s' is open to other users and cannot be made private: %s;"
			 " run 'chmod 700 %s'", sdir, strerror(errno), sdir);
		goto out;
	}
	int fd = open(lpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		fchmod(fd, 0600);
	else if (errno == EEXIST)
		fd = open(lpath, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", lpath, strerror(errno));
		goto out;
	}
	*lock_fd = fd;
	rc = 0;
out:
	free(sdir);
	free(lpath);
	return rc;
}

/* Creates the database file with mode 0600 before SQLite opens it (its -wal and -shm files
 * then get the same mode). */
static int create_db_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		fchmod(fd, 0600);
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
	return -1;
}

static int pragma_int(struct state *st, const char *pragma, int64_t *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, pragma, -1, &s, NULL))
		return fail_db(st);
	int rc = step(st, s);
	if (rc >= 0)
		*v = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}

/* Sets WAL (keeping the rollback journal where WAL cannot work) and the connection's
 * durability settings. */
static int configure(struct state *st)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL))
		return fail_db(st);
	int rc = step(st, s);
	if (rc == 1) {
		const char *mode = (const char *)sqlite3_column_text(s, 0);
		st->wal = mode && !strcmp(mode, "wal");
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return -1;
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;"
			 " PRAGMA journal_size_limit = 4194304; PRAGMA foreign_keys = OFF;",
			 NULL, NULL, NULL))
		return fail_db(st);
	sqlite3_wal_hook(st->db, wal_hook, st);
	return 0;
}

/* Applies the migrations after version `from` in one transaction. */
static int migrate(struct state *st, int64_t from)
{
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return fail_db(st);
	for (int64_t v = from; v < STATE_SCHEMA_VERSION; v++)
		if (sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL))
			goto fail;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", STATE_SCHEMA_VERSION);
	if (sqlite3_exec(st->db, pragma, NULL, NULL, NULL) ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	return 0;
fail:
	fail_db(st);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Under the lock: journal mode, version check, migrations. */
static int prepare_schema(struct state *st, char *err, size_t errlen)
{
	int64_t version = 0;
	if (lock(st))
		goto fail;
	if (configure(st) || pragma_int(st, "PRAGMA user_version", &version))
		goto fail_locked;
	if (version > STATE_SCHEMA_VERSION) {
		fail(st, "%s is schema version %lld, newer than this stau (%d); upgrade stau",
		     DB_SHOWN, (long long)version, STATE_SCHEMA_VERSION);
		goto fail_locked;
	}
	if (version < STATE_SCHEMA_VERSION && migrate(st, version))
		goto fail_locked;
	unlock(st);
	return 0;
fail_locked:
	unlock(st);
fail:
	snprintf(err, errlen, "%s", st->errmsg);
	return -1;
}

int state_open(const char *dir, struct state **out, char *err, size_t errlen)
{
	struct state *st = xcalloc(1, sizeof(*st));
	st->lock_fd = -1;
	st->busy_ms = busy_timeout_ms();
	st->path = xasprintf("%s/.stau/stau.db", dir);
	*out = NULL;
	if (open_files(dir, &st->lock_fd, err, errlen) || create_db_file(st->path, err, errlen))
		goto fail;
	int rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc) {
		snprintf(err, errlen, "cannot open '%s': %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->busy_ms);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (prepare_schema(st, err, errlen))
		goto fail;
	*out = st;
	return 0;
fail:
	state_close(st);
	return -1;
}

/* The size of the WAL file, 0 when there is none. */
static int64_t wal_size(const struct state *st)
{
	char *wal = xasprintf("%s-wal", st->path);
	struct stat sb;
	int64_t n = stat(wal, &sb) ? 0 : (int64_t)sb.st_size;
	free(wal);
	return n;
}

/* A passive checkpoint leaves the WAL file its size, and the next process to open the
 * database then reads all of it to rebuild the WAL index, and checkpoints it again at close:
 * every tick with nothing to do would read megabytes and sync (SPEC §13). So the checkpoint
 * at close truncates the WAL; it does not wait for readers (busy timeout 0), and a busy WAL
 * is simply truncated by a later close. */
static void checkpoint_truncate(struct state *st)
{
	if (!st->wal)
		return;
	sqlite3_busy_timeout(st->db, 0);
	if (!sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL))
		st->wal_pages = 0;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->depth > 0) {
		st->depth = 1;
		state_rollback(st);
	}
	(void)state_sync(st); /* the engine syncs and reports itself; this is only a last try */
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db) {
		bool locked = st->lock_fd >= 0 && !lock(st);
		if (locked && wal_size(st) > CKPT_BYTES_CLOSE)
			checkpoint_truncate(st);
		sqlite3_close(st->db);
		if (locked)
			unlock(st);
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

int state_schema_version(struct state *st)
{
	int64_t v = -1;
	if (pragma_int(st, "PRAGMA user_version", &v))
		return -1;
	return (int)v;
}

/* ---- names and work IDs ---- */

static const char *const run_names[RUN_STATE_N] = { "QUEUED", "ACTIVE", "DONE", "FAILED",
						     "CANCELED" };
static const char *const chunk_names[CHUNK_STATE_N] = { "PENDING", "RUNNING", "DONE", "FAILED",
							 "CANCELED" };

const char *run_state_name(enum run_state s)
{
	return (unsigned)s < RUN_STATE_N ? run_names[s] : "?";
}

const char *chunk_state_name(enum chunk_state s)
{
	return (unsigned)s < CHUNK_STATE_N ? chunk_names[s] : "?";
}

static int name_index(const char *const *names, int n, const unsigned char *text)
{
	for (int i = 0; text && i < n; i++)
		if (!strcmp(names[i], (const char *)text))
			return i;
	return 0;
}

/* Decodes the compact form in column i of s into a new array. */
static int col_ids(struct state *st, sqlite3_stmt *s, int i, int64_t **ids, size_t *n)
{
	struct idlist l = IDLIST_INIT;
	const char *text = (const char *)sqlite3_column_text(s, i);
	char err[200];
	*ids = NULL;
	*n = 0;
	if (text && workids_parse("stored work IDs", text, (size_t)sqlite3_column_bytes(s, i),
				  WORKIDS_RANGES, &l, err, sizeof(err))) {
		idlist_release(&l);
		return fail(st, "'%s' is damaged: %s", DB_SHOWN, err);
	}
	*ids = l.v;
	*n = l.n;
	return 0;
}

/* ---- runs ---- */

int state_run_create(struct state *st, const struct state_run_new *r, int64_t now, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_INSERT);
	if (!s)
		return -1;
	char *ids = workids_format_compact(r->ids, r->has_ids ? r->nids : 0);
	bind_text(s, 1, r->job);
	bind_text(s, 2, r->entry);
	bind_time(s, 3, r->entry ? r->fire_time : INT64_MIN);
	bind_text(s, 4, r->kwargs ? r->kwargs : "{}");
	bind_text(s, 5, ids);
	sqlite3_bind_int64(s, 6, r->has_ids ? (int64_t)r->nids : 0);
	sqlite3_bind_int(s, 7, r->has_ids);
	bind_text(s, 8, r->git);
	sqlite3_bind_int(s, 9, r->force);
	sqlite3_bind_int64(s, 10, now);
	int rc = state_begin(st);
	if (!rc) {
		rc = exec_q(st, s);
		*id = sqlite3_last_insert_rowid(st->db);
		rc = finish_tx(st, rc);
	}
	free(ids);
	return rc;
}

void state_run_release(struct state_run *r)
{
	free(r->job);
	free(r->entry);
	free(r->kwargs);
	free(r->git);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

void state_runs_free(struct state_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_run_release(&runs[i]);
	free(runs);
}

static int run_counts(struct state *st, struct state_run *r)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_COUNTS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, r->id);
	int rc;
	while ((rc = step(st, s)) == 1)
		r->counts[name_index(chunk_names, CHUNK_STATE_N, sqlite3_column_text(s, 0))] =
			(size_t)sqlite3_column_int64(s, 1);
	return rc;
}

/* Reads a row of RUN_COLS. */
static void run_from_row(sqlite3_stmt *s, struct state_run *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->job = col_str(s, 1);
	r->entry = col_str(s, 2);
	r->fire_time = col_time(s, 3, INT64_MIN);
	r->kwargs = col_str(s, 4);
	r->nids = (size_t)sqlite3_column_int64(s, 5);
	r->has_ids = sqlite3_column_int(s, 6);
	r->git = col_str(s, 7);
	r->force = sqlite3_column_int(s, 8);
	r->created = col_time(s, 9, 0);
	r->started = col_time(s, 10, 0);
	r->finished = col_time(s, 11, 0);
	r->state = (enum run_state)name_index(run_names, RUN_STATE_N, sqlite3_column_text(s, 12));
	r->message = col_str(s, 13);
}

/* Reads every row of s (already bound) into a new array of runs with their counts. */
static int runs_collect(struct state *st, sqlite3_stmt *s, struct state_run **runs, size_t *n)
{
	struct state_run *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		run_from_row(s, &v[k++]);
	}
	for (size_t i = 0; rc == 0 && i < k; i++)
		rc = run_counts(st, &v[i]);
	if (rc < 0) {
		state_runs_free(v, k);
		return -1;
	}
	*runs = v;
	*n = k;
	return 0;
}

int state_run_get(struct state *st, int64_t id, struct state_run *out)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = step(st, s);
	if (rc != 1)
		return rc;
	run_from_row(s, out);
	sqlite3_reset(s);
	if (run_counts(st, out)) {
		state_run_release(out);
		return -1;
	}
	return 1;
}

int state_run_ids(struct state *st, int64_t id, int64_t **ids, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_IDS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = step(st, s);
	if (rc == 0)
		return fail(st, "no run %lld in '%s'", (long long)id, DB_SHOWN);
	if (rc < 0)
		return -1;
	rc = col_ids(st, s, 0, ids, n);
	sqlite3_reset(s);
	return rc;
}

int state_runs_queued(struct state *st, struct state_run **runs, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_RUNS_QUEUED);
	return s ? runs_collect(st, s, runs, n) : -1;
}

int state_runs_of_job(struct state *st, const char *job, size_t limit, struct state_run **runs,
		      size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_RUNS_OF_JOB);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	sqlite3_bind_int64(s, 2, limit ? (int64_t)limit : -1);
	return runs_collect(st, s, runs, n);
}

int state_last_runs(struct state *st, struct state_run **runs, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_LAST_RUNS);
	return s ? runs_collect(st, s, runs, n) : -1;
}

/* Runs s bound to a name: 1 when it returns a row, 0 when not. */
static int exists(struct state *st, sqlite3_stmt *s)
{
	int rc = step(st, s);
	if (rc == 1)
		sqlite3_reset(s);
	return rc;
}

int state_job_active(struct state *st, const char *job)
{
	sqlite3_stmt *s = stmt(st, Q_JOB_ACTIVE);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	return exists(st, s);
}

int state_any_open_run(struct state *st)
{
	sqlite3_stmt *s = stmt(st, Q_ANY_OPEN);
	return s ? exists(st, s) : -1;
}

int state_job_has_open_chunks(struct state *st, const char *type, int64_t except_run)
{
	sqlite3_stmt *s = stmt(st, Q_JOB_OPEN_CHUNKS);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	sqlite3_bind_int64(s, 2, except_run);
	return exists(st, s);
}

/* The state of run id into *rs; fails when there is no such run. */
static int run_state_of(struct state *st, int64_t id, enum run_state *rs)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_STATE);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = step(st, s);
	if (rc == 0)
		return fail(st, "no run %lld in '%s'", (long long)id, DB_SHOWN);
	if (rc < 0)
		return -1;
	*rs = (enum run_state)name_index(run_names, RUN_STATE_N, sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return 0;
}

/* Sets QUEUED/ACTIVE run id to state rs (finished = now) with message. */
static int run_end(struct state *st, int64_t id, enum run_state rs, const char *message,
		   int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_END);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, run_names[rs]);
	sqlite3_bind_int64(s, 3, now);
	bind_text(s, 4, message);
	return exec_q(st, s);
}

/* The number of distinct values in v[0..n). */
static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static size_t count_distinct(const size_t *v, size_t n)
{
	if (n < 2)
		return n;
	size_t *c = xmalloc(n * sizeof(*c)), k = 1;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_size);
	for (size_t i = 1; i < n; i++)
		k += c[i] != c[i - 1];
	free(c);
	return k;
}

static int insert_tasks(struct state *st, int64_t run, const struct plan *p, int64_t *task_ids)
{
	for (size_t i = 0; i < p->ntasks; i++) {
		sqlite3_stmt *s = stmt(st, Q_TASK_INSERT);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		bind_text(s, 3, p->tasks[i].node->job->type);
		bind_text(s, 4, p->tasks[i].kwargs_json ? p->tasks[i].kwargs_json : "{}");
		if (exec_q(st, s))
			return -1;
		task_ids[i] = sqlite3_last_insert_rowid(st->db);
	}
	return 0;
}

static int insert_chunk(struct state *st, int64_t run, const struct plan *p, size_t i,
			const int64_t *task_ids, int64_t *chunk_id)
{
	const struct plan_chunk *c = &p->chunks[i];
	sqlite3_stmt *s = stmt(st, Q_CHUNK_INSERT);
	if (!s)
		return -1;
	size_t nids = p->has_ids ? c->nids : 0;
	char *ids = workids_format_compact(nids ? p->ids + c->id_off : NULL, nids);
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, task_ids[c->task]);
	bind_text(s, 3, p->tasks[c->task].node->job->type);
	sqlite3_bind_int64(s, 4, (int64_t)c->index);
	sqlite3_bind_int64(s, 5, (int64_t)c->count);
	bind_text(s, 6, ids);
	sqlite3_bind_int64(s, 7, (int64_t)nids);
	sqlite3_bind_int64(s, 8, (int64_t)count_distinct(c->deps, c->ndeps));
	int rc = exec_q(st, s);
	free(ids);
	*chunk_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int insert_deps(struct state *st, const struct plan *p, const int64_t *chunk_ids)
{
	for (size_t i = 0; i < p->nchunks; i++) {
		for (size_t k = 0; k < p->chunks[i].ndeps; k++) {
			sqlite3_stmt *s = stmt(st, Q_DEP_INSERT);
			if (!s)
				return -1;
			sqlite3_bind_int64(s, 1, chunk_ids[p->chunks[i].deps[k]]);
			sqlite3_bind_int64(s, 2, chunk_ids[i]);
			if (exec_q(st, s))
				return -1;
		}
	}
	return 0;
}

static int store_plan(struct state *st, int64_t id, const struct plan *p, int64_t now)
{
	enum run_state rs;
	if (run_state_of(st, id, &rs))
		return -1;
	if (rs != RUN_QUEUED)
		return fail(st, "run %lld is %s, not QUEUED", (long long)id, run_names[rs]);
	int64_t *task_ids = xcalloc(p->ntasks, sizeof(*task_ids));
	int64_t *chunk_ids = xcalloc(p->nchunks, sizeof(*chunk_ids));
	int rc = insert_tasks(st, id, p, task_ids);
	for (size_t i = 0; !rc && i < p->nchunks; i++)
		rc = insert_chunk(st, id, p, i, task_ids, &chunk_ids[i]);
	if (!rc)
		rc = insert_deps(st, p, chunk_ids);
	sqlite3_stmt *s = rc ? NULL : stmt(st, Q_RUN_SET_ACTIVE);
	if (s) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, id);
		rc = exec_q(st, s);
	} else {
		rc = -1;
	}
	if (!rc && p->nchunks == 0)
		rc = run_end(st, id, RUN_DONE, NULL, now);
	free(task_ids);
	free(chunk_ids);
	return rc;
}

int state_run_activate(struct state *st, int64_t id, const struct plan *p, int64_t now)
{
	if (state_begin(st))
		return -1;
	return finish_tx(st, store_plan(st, id, p, now));
}

/* The child pids of the RUNNING chunks of run id, into a new array. */
static int running_pids(struct state *st, int64_t id, pid_t **pids, size_t *npids)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_RUNNING_PIDS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	pid_t *v = NULL;
	size_t cap = 0, n = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		grow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = (pid_t)sqlite3_column_int64(s, 0);
	}
	if (rc < 0) {
		free(v);
		return -1;
	}
	*pids = v;
	*npids = n;
	return 0;
}

static int end_unfinished_run(struct state *st, int64_t id, enum run_state to, const char *message,
			      int64_t now)
{
	enum run_state rs;
	if (run_state_of(st, id, &rs))
		return -1;
	if (rs != RUN_QUEUED && rs != RUN_ACTIVE)
		return 0;
	if (run_end(st, id, to, message, now))
		return -1;
	sqlite3_stmt *s = stmt(st, Q_RUN_CANCEL_CHUNKS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, message);
	sqlite3_bind_int64(s, 3, now);
	return exec_q(st, s);
}

int state_run_cancel(struct state *st, int64_t id, const char *message, int64_t now,
		     pid_t **pids, size_t *npids)
{
	if (pids) {
		*pids = NULL;
		*npids = 0;
	}
	if (state_begin(st))
		return -1;
	int rc = end_unfinished_run(st, id, RUN_CANCELED, message, now);
	if (!rc && pids)
		rc = running_pids(st, id, pids, npids);
	rc = finish_tx(st, rc);
	if (rc && pids) {
		free(*pids);
		*pids = NULL;
		*npids = 0;
	}
	return rc;
}

int state_run_fail(struct state *st, int64_t id, const char *message, int64_t now)
{
	if (state_begin(st))
		return -1;
	return finish_tx(st, end_unfinished_run(st, id, RUN_FAILED, message, now));
}

static int reset_failed_chunks(struct state *st, int64_t id)
{
	enum run_state rs;
	if (run_state_of(st, id, &rs))
		return -1;
	sqlite3_stmt *s = stmt(st, Q_RUN_RETRY_CHUNKS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (exec_q(st, s))
		return -1;
	int n = sqlite3_changes(st->db);
	if (n == 0)
		return 0;
	s = stmt(st, Q_RUN_RECOUNT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (exec_q(st, s))
		return -1;
	s = stmt(st, Q_RUN_REOPEN);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return exec_q(st, s) ? -1 : n;
}

int state_run_retry(struct state *st, int64_t id, int64_t now)
{
	(void)now;
	if (state_begin(st))
		return -1;
	return finish_tx(st, reset_failed_chunks(st, id));
}

/* ---- owners ---- */

int state_owner_of(pid_t pid, int64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold anything, so count fields after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0; /* a zombie has exited: it owns nothing any more */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	*start = strtoll(p, NULL, 10);
	return 1;
}

int state_owner_self(struct state_owner *o)
{
	o->pid = getpid();
	return state_owner_of(o->pid, &o->start) == 1 ? 0 : -1;
}

static bool owner_alive(pid_t pid, int64_t start)
{
	int64_t now_start;
	return pid > 0 && state_owner_of(pid, &now_start) == 1 && now_start == start;
}

/* ---- chunks ---- */

void state_chunk_release(struct state_chunk *c)
{
	free(c->job);
	free(c->kwargs);
	free(c->ids);
	free(c->log_path);
	free(c->tail);
	free(c->message);
	free(c->entry);
	free(c->deps);
	memset(c, 0, sizeof(*c));
}

void state_chunks_free(struct state_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_chunk_release(&c[i]);
	free(c);
}

/* Reads a row of CHUNK_COLS; the IDs only when with_ids. */
static int chunk_from_row(struct state *st, sqlite3_stmt *s, bool with_ids, struct state_chunk *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->run = sqlite3_column_int64(s, 1);
	c->task = (size_t)sqlite3_column_int64(s, 2);
	c->job = col_str(s, 3);
	c->kwargs = col_str(s, 4);
	c->index = (size_t)sqlite3_column_int64(s, 5);
	c->count = (size_t)sqlite3_column_int64(s, 6);
	c->nids = (size_t)sqlite3_column_int64(s, 7);
	c->has_ids = sqlite3_column_int(s, 8);
	c->state = (enum chunk_state)name_index(chunk_names, CHUNK_STATE_N,
						sqlite3_column_text(s, 9));
	c->attempt = sqlite3_column_int(s, 10);
	c->not_before = sqlite3_column_int64(s, 11);
	c->owner.pid = (pid_t)sqlite3_column_int64(s, 12);
	c->owner.start = sqlite3_column_int64(s, 13);
	c->child = (pid_t)sqlite3_column_int64(s, 14);
	c->exit_code = (int)col_time(s, 15, -1);
	c->signal = sqlite3_column_int(s, 16);
	c->started = col_time(s, 17, 0);
	c->finished = col_time(s, 18, 0);
	c->duration_ms = col_time(s, 19, 0);
	c->log_path = col_str(s, 20);
	c->tail = col_str(s, 21);
	c->message = col_str(s, 22);
	c->entry = col_str(s, 23);
	c->scheduled_for = col_time(s, 24, INT64_MIN);
	if (!with_ids)
		return 0;
	size_t n;
	if (col_ids(st, s, 25, &c->ids, &n)) {
		state_chunk_release(c);
		return -1;
	}
	c->nids = n;
	return 0;
}

int state_chunk_get(struct state *st, int64_t id, struct state_chunk *out)
{
	sqlite3_stmt *s = stmt(st, Q_CHUNK_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = step(st, s);
	if (rc != 1)
		return rc;
	rc = chunk_from_row(st, s, true, out);
	sqlite3_reset(s);
	return rc ? -1 : 1;
}

static int count_running(struct state *st, const char *job, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, job ? Q_RUNNING_JOB : Q_RUNNING_ALL);
	if (!s)
		return -1;
	if (job)
		bind_text(s, 1, job);
	return scalar(st, s, 0, n);
}

int state_running_count(struct state *st, const char *job, int64_t *n)
{
	return count_running(st, job, n);
}

/* Per-claim memory of the job types found at their limit. */
struct job_slots {
	char **full;
	size_t n, cap;
};

static bool slots_full(const struct job_slots *js, const char *job)
{
	for (size_t i = 0; i < js->n; i++)
		if (!strcmp(js->full[i], job))
			return true;
	return false;
}

/* Whether a chunk of job may start under its max_parallel: 1 yes, 0 no, -1 error. */
static int job_has_slot(struct state *st, const struct state_claim *req, struct job_slots *js,
			const char *job)
{
	if (!req->job_limit)
		return 1;
	if (slots_full(js, job))
		return 0;
	int64_t limit = req->job_limit(req->ctx, job), n;
	if (limit <= 0)
		return 1;
	if (count_running(st, job, &n))
		return -1;
	if (n < limit)
		return 1;
	grow(&js->full, &js->cap, js->n + 1, sizeof(*js->full));
	js->full[js->n++] = xstrdup(job);
	return 0;
}

/* The id of the oldest claimable chunk into *id (0: none). */
static int pick_ready(struct state *st, const struct state_claim *req, int64_t now, int64_t *id)
{
	struct job_slots js = { NULL, 0, 0 };
	sqlite3_stmt *s = stmt(st, req->run ? Q_READY_RUN : Q_READY);
	if (!s)
		return -1;
	if (req->run)
		sqlite3_bind_int64(s, 1, req->run);
	int rc;
	*id = 0;
	while ((rc = step(st, s)) == 1) {
		if (sqlite3_column_int64(s, 2) > now)
			continue;
		rc = job_has_slot(st, req, &js, (const char *)sqlite3_column_text(s, 1));
		if (rc < 0)
			break;
		if (rc == 1) {
			*id = sqlite3_column_int64(s, 0);
			break;
		}
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < js.n; i++)
		free(js.full[i]);
	free(js.full);
	return rc < 0 ? -1 : 0;
}

static int claim_locked(struct state *st, const struct state_claim *req, int64_t now,
			struct state_chunk *out)
{
	int64_t running, id;
	if (req->max_running > 0) {
		if (count_running(st, NULL, &running))
			return -1;
		if (running >= req->max_running)
			return 0;
	}
	if (pick_ready(st, req, now, &id))
		return -1;
	if (!id)
		return 0;
	sqlite3_stmt *s = stmt(st, Q_CLAIM);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, req->owner.pid);
	sqlite3_bind_int64(s, 3, req->owner.start);
	sqlite3_bind_int64(s, 4, now);
	if (exec_q(st, s))
		return -1;
	return state_chunk_get(st, id, out) == 1 ? 1 : -1;
}

int state_claim_ready_chunk(struct state *st, const struct state_claim *req, int64_t now,
			    struct state_chunk *out)
{
	memset(out, 0, sizeof(*out));
	if (state_begin(st))
		return -1;
	int rc = finish_tx(st, claim_locked(st, req, now, out));
	if (rc < 0 && out->job) /* claimed and read, but the commit failed */
		state_chunk_release(out);
	return rc;
}

int state_chunk_set_child(struct state *st, int64_t id, pid_t child)
{
	if (state_begin(st))
		return -1;
	sqlite3_stmt *s = stmt(st, Q_CHUNK_SET_CHILD);
	int rc = -1;
	if (s) {
		sqlite3_bind_int64(s, 1, child);
		sqlite3_bind_int64(s, 2, id);
		rc = exec_q(st, s) ? -1 : sqlite3_changes(st->db) > 0;
	}
	return finish_tx(st, rc);
}

int state_next_retry(struct state *st, int64_t run, int64_t now, int64_t *t)
{
	sqlite3_stmt *s = stmt(st, run ? Q_NEXT_RETRY_RUN : Q_NEXT_RETRY);
	if (!s)
		return -1;
	if (run) {
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, now);
	} else {
		sqlite3_bind_int64(s, 1, now);
	}
	return scalar(st, s, 0, t);
}

/* The job type's id in job_types (created when missing) with last_success raised to now.
 * Within one second chunks of a job type end by the hundred: the row is only read then, so
 * that the page is not written again (a WAL page per chunk). */
static int record_job_success(struct state *st, const char *job, int64_t now, int64_t *job_id)
{
	sqlite3_stmt *s = stmt(st, Q_JOB_SINCE);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	int rc = step(st, s);
	bool fresh = rc == 1 && sqlite3_column_type(s, 1) != SQLITE_NULL &&
		     sqlite3_column_int64(s, 1) >= now;
	if (fresh)
		*job_id = sqlite3_column_int64(s, 0);
	if (rc == 1)
		sqlite3_reset(s);
	if (rc < 0 || fresh)
		return rc < 0 ? -1 : 0;
	s = stmt(st, Q_JOB_SUCCESS);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	sqlite3_bind_int64(s, 2, now);
	rc = step(st, s);
	if (rc == 1) {
		*job_id = sqlite3_column_int64(s, 0);
		rc = step(st, s);
	}
	if (rc == 1)
		sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

/* Freshness: `now` for the job type and each of ids[0..n). */
static int record_success(struct state *st, const char *job, const int64_t *ids, size_t n,
			  int64_t now)
{
	int64_t job_id = 0;
	if (record_job_success(st, job, now, &job_id))
		return -1;
	sqlite3_stmt *s = n ? stmt(st, Q_FRESH_UPSERT) : NULL;
	if (n && !s)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, job_id);
		sqlite3_bind_int64(s, 2, ids[i]);
		sqlite3_bind_int64(s, 3, now);
		if (exec_q(st, s))
			return -1;
	}
	return 0;
}

/* "1 chunk failed", "2 chunks failed, 3 canceled", "1 chunk canceled". */
static char *failure_summary(const size_t *counts)
{
	size_t f = counts[CHUNK_FAILED], c = counts[CHUNK_CANCELED];
	if (f && c)
		return xasprintf("%zu chunk%s failed, %zu canceled", f, f == 1 ? "" : "s", c);
	if (f)
		return xasprintf("%zu chunk%s failed", f, f == 1 ? "" : "s");
	return xasprintf("%zu chunk%s canceled", c, c == 1 ? "" : "s");
}

/* Ends run id when none of its chunks is PENDING or RUNNING; *ended gets its new state. */
static int maybe_end_run(struct state *st, int64_t id, int64_t now, enum run_state *ended)
{
	struct state_run r = { .id = id };
	enum run_state rs;
	*ended = RUN_ACTIVE;
	sqlite3_stmt *s = stmt(st, Q_RUN_HAS_OPEN);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int open = exists(st, s); /* cheap; counting every chunk is not, in a big run */
	if (open)
		return open < 0 ? -1 : 0;
	if (run_counts(st, &r) || run_state_of(st, id, &rs))
		return -1;
	if (rs != RUN_ACTIVE) {
		*ended = rs;
		return 0;
	}
	if (!r.counts[CHUNK_FAILED] && !r.counts[CHUNK_CANCELED]) {
		*ended = RUN_DONE;
		return run_end(st, id, RUN_DONE, NULL, now);
	}
	char *msg = failure_summary(r.counts);
	*ended = RUN_FAILED;
	int rc = run_end(st, id, RUN_FAILED, msg, now);
	free(msg);
	return rc;
}

/* Binds the common outcome columns ?1..?7 of Q_CHUNK_DONE/RETRY/FAILED. */
static void bind_outcome(sqlite3_stmt *s, int64_t id, const struct state_result *res, int64_t now,
			 bool with_tail)
{
	int i = 1;
	sqlite3_bind_int64(s, i++, id);
	sqlite3_bind_int64(s, i++, now);
	if (res->exit_code >= 0)
		sqlite3_bind_int(s, i++, res->exit_code);
	else
		sqlite3_bind_null(s, i++);
	sqlite3_bind_int(s, i++, res->signal);
	sqlite3_bind_int64(s, i++, res->duration_ms);
	if (with_tail)
		bind_text(s, i++, res->tail);
	bind_text(s, i, res->message);
}

/* The dependents of DONE chunk id have one dependency fewer to wait for. */
static int release_dependents(struct state *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, Q_DEPENDENTS_OF), *u = stmt(st, Q_DEPENDENT_READY);
	if (!s || !u)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = step(st, s)) == 1) {
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(s, 0));
		if (exec_q(st, u)) {
			rc = -1;
			break;
		}
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

/* The chunks downstream of FAILED chunk id that have not started are canceled. */
static int cancel_downstream(struct state *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_CANCEL_DOWNSTREAM);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return exec_q(st, s);
}

/* state_chunk_finish inside a transaction. */
static int finish_locked(struct state *st, int64_t id, const struct state_result *res,
			 int64_t now, enum run_state *ended)
{
	sqlite3_stmt *s = stmt(st, Q_CHUNK_BRIEF);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = step(st, s);
	if (rc <= 0)
		return rc < 0 ? -1 : fail(st, "no chunk %lld in '%s'", (long long)id, DB_SHOWN);
	int64_t run = sqlite3_column_int64(s, 0);
	char *job = col_str(s, 1);
	enum chunk_state cs = (enum chunk_state)name_index(chunk_names, CHUNK_STATE_N,
							   sqlite3_column_text(s, 2));
	int64_t *ids = NULL;
	size_t n = 0;
	enum run_state rs;
	rc = cs != CHUNK_RUNNING ? fail(st, "chunk %lld is %s, not RUNNING", (long long)id,
					 chunk_names[cs])
				 : col_ids(st, s, 3, &ids, &n);
	sqlite3_reset(s);
	if (!rc && res->ok) {
		s = stmt(st, Q_CHUNK_DONE);
		rc = -1;
		if (s) {
			bind_outcome(s, id, res, now, false);
			rc = exec_q(st, s);
		}
		if (!rc)
			rc = record_success(st, job, ids, n, now);
		if (!rc)
			rc = release_dependents(st, id);
	} else if (!rc && !(rc = run_state_of(st, run, &rs))) {
		bool retry = res->retry_at > 0 && rs == RUN_ACTIVE;
		s = stmt(st, retry ? Q_CHUNK_RETRY : Q_CHUNK_FAILED);
		rc = -1;
		if (s) {
			bind_outcome(s, id, res, now, true);
			if (retry)
				sqlite3_bind_int64(s, 8, res->retry_at);
			rc = exec_q(st, s);
		}
		if (!rc && !retry)
			rc = cancel_downstream(st, id, now);
	}
	if (!rc)
		rc = maybe_end_run(st, run, now, ended);
	free(job);
	free(ids);
	return rc;
}

int state_chunk_finish(struct state *st, int64_t id, const struct state_result *res,
		       int64_t now, enum run_state *run_ended)
{
	enum run_state ended = RUN_ACTIVE;
	if (state_begin(st))
		return -1;
	int rc = finish_tx(st, finish_locked(st, id, res, now, &ended));
	if (run_ended)
		*run_ended = ended;
	return rc;
}

/* Attaches the dependencies of run id to its chunks c[0..n) (sorted by id). */
static int attach_deps(struct state *st, int64_t id, struct state_chunk *c, size_t n)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_DEPS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	size_t i = 0, cap = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		int64_t chunk = sqlite3_column_int64(s, 0);
		while (i < n && c[i].id < chunk) {
			i++;
			cap = 0;
		}
		if (i == n)
			continue;
		grow(&c[i].deps, &cap, c[i].ndeps + 1, sizeof(*c[i].deps));
		c[i].deps[c[i].ndeps++] = sqlite3_column_int64(s, 1);
	}
	return rc;
}

int state_run_chunks(struct state *st, int64_t id, bool with_ids, struct state_chunk **out,
		     size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_RUN_CHUNKS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	struct state_chunk *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		if (chunk_from_row(st, s, with_ids, &v[k])) {
			sqlite3_reset(s);
			rc = -1;
			break;
		}
		k++;
	}
	if (!rc)
		rc = attach_deps(st, id, v, k);
	if (rc < 0) {
		state_chunks_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

/* ---- orphans ---- */

struct orphan {
	int64_t id, run;
	char *job;
	int attempt;
	pid_t child;	/* the process group the lost owner started, 0 when not recorded */
};

/* The RUNNING chunks whose owner is gone, into a new array. */
static int find_orphans(struct state *st, struct orphan **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_RUNNING_OWNERS);
	if (!s)
		return -1;
	struct orphan *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		if (owner_alive((pid_t)sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)))
			continue;
		grow(&v, &cap, k + 1, sizeof(*v));
		v[k].id = sqlite3_column_int64(s, 0);
		v[k].job = col_str(s, 1);
		v[k].attempt = sqlite3_column_int(s, 2);
		v[k].child = (pid_t)sqlite3_column_int64(s, 5);
		v[k].run = sqlite3_column_int64(s, 6);
		k++;
	}
	*out = v;
	*n = k;
	return rc;
}

static void orphans_free(struct orphan *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].job);
	free(v);
}

/* The process group of pid from /proc/PID/stat, or -1 when it is gone or a zombie. */
static pid_t proc_group(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* "pid (comm) S ppid pgrp ...": comm may hold anything */
	char state;
	long ppid, pgrp;
	if (!p || sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3 || state == 'Z')
		return -1;
	return (pid_t)pgrp;
}

/* Whether the environment of /proc/PID names this attempt of this chunk (and, when dir is
 * not NULL, this project directory). */
static bool env_is_attempt(pid_t pid, const struct orphan *o, const char *dir)
{
	char path[64], run[48], chunk[48], attempt[48];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	char *env = read_file(path, &len);
	if (!env)
		return false;
	snprintf(run, sizeof(run), "STAU_RUN_ID=%lld", (long long)o->run);
	snprintf(chunk, sizeof(chunk), "STAU_CHUNK_ID=%lld", (long long)o->id);
	snprintf(attempt, sizeof(attempt), "STAU_ATTEMPT=%d", o->attempt);
	char *stau_dir = dir ? xasprintf("STAU_DIR=%s", dir) : NULL;
	int found = 0;
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		found += !strcmp(env + i, run) || !strcmp(env + i, chunk) ||
			 !strcmp(env + i, attempt) || (stau_dir && !strcmp(env + i, stau_dir));
	free(stau_dir);
	free(env);
	return found == (dir ? 4 : 3);
}

/* SPEC §10: a lost chunk's processes do not outlive its stau. The group's leader died with
 * its owner (PR_SET_PDEATHSIG), but what it started (a shell's commands, a Python pool) may
 * still run: SIGKILL each process still in the recorded group whose environment names this
 * very run, chunk and attempt, so that a group ID reused by anything else is never hit. The
 * engine stores a child's pid with its next transaction, a few milliseconds after the start;
 * for an owner that died before that, every process whose environment names the attempt and
 * this project's directory is killed. A process that replaced its environment is out of
 * reach. */
static void kill_leftovers(const struct state *st, const struct orphan *o)
{
	char *dir = o->child > 0 ? NULL : xstrndup(st->path, strlen(st->path) -
								  strlen("/.stau/stau.db"));
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d));) {
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10); /* 0 for ".", "self", ... */
		if (pid > 0 && (dir || proc_group(pid) == o->child) && env_is_attempt(pid, o, dir))
			kill(pid, SIGKILL);
	}
	if (d)
		closedir(d);
	free(dir);
}

static int recover_locked(struct state *st, int64_t now, state_retry_fn retry, void *ctx)
{
	struct orphan *v;
	size_t n;
	int rc = find_orphans(st, &v, &n); /* again, under the lock */
	for (size_t i = 0; !rc && i < n; i++) {
		struct state_result res = { .exit_code = -1, .message = "runner lost" };
		res.retry_at = retry ? retry(ctx, v[i].job, v[i].attempt, now) : 0;
		enum run_state ended;
		rc = finish_locked(st, v[i].id, &res, now, &ended);
		kill_leftovers(st, &v[i]);
	}
	orphans_free(v, n);
	return rc < 0 ? -1 : (int)n;
}

int state_recover_orphans(struct state *st, int64_t now, state_retry_fn retry, void *ctx)
{
	struct orphan *v;
	size_t n;
	/* a cheap look without the lock first: nearly always there is nothing to recover */
	int rc = find_orphans(st, &v, &n);
	orphans_free(v, n);
	if (rc < 0 || n == 0)
		return rc;
	if (state_begin(st))
		return -1;
	return finish_tx(st, recover_locked(st, now, retry, ctx));
}

/* ---- freshness ---- */

/* The id of job type `type` in job_types, 0 when it never succeeded. */
static int job_type_id(struct state *st, const char *type, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, Q_JOB_ID);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return scalar(st, s, 0, id);
}

/* Positions the freshness scan of job at the first row with id >= from. */
static int fresh_seek(struct state *st, sqlite3_stmt *s, int64_t job, int64_t from)
{
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, job);
	sqlite3_bind_int64(s, 2, from);
	return step(st, s);
}

/* Merges the (id, finished) rows of job, in id order, with the sorted ids: a sequential scan
 * while the rows are dense, a new seek after RESEEK_AFTER rows that match nothing. */
static int fresh_merge(struct state *st, int64_t job, const int64_t *ids, size_t n, int64_t *fin)
{
	sqlite3_stmt *s = stmt(st, Q_FRESH_FROM);
	if (!s)
		return -1;
	int rc = fresh_seek(st, s, job, ids[0]), skipped = 0;
	size_t i = 0;
	while (i < n && rc == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (id < ids[i]) {
			if (++skipped < RESEEK_AFTER) {
				rc = step(st, s);
			} else {
				skipped = 0;
				rc = fresh_seek(st, s, job, ids[i]);
			}
		} else if (id == ids[i]) {
			fin[i++] = sqlite3_column_int64(s, 1);
			skipped = 0;
			rc = step(st, s);
		} else {
			fin[i++] = 0;
		}
	}
	sqlite3_reset(s);
	for (; i < n; i++)
		fin[i] = 0;
	return rc < 0 ? -1 : 0;
}

static int fresh_per_ids(void *ctx, const char *type, const int64_t *ids, size_t n, int64_t *fin,
			 char *err, size_t errlen)
{
	struct state *st = ctx;
	int64_t job;
	if (job_type_id(st, type, &job))
		goto fail;
	if (!job || !n) {
		for (size_t i = 0; i < n; i++)
			fin[i] = 0;
		return 0;
	}
	if (!fresh_merge(st, job, ids, n, fin))
		return 0;
fail:
	snprintf(err, errlen, "%s", st->errmsg);
	return -1;
}

int state_job_last_success(struct state *st, const char *type, int64_t *t)
{
	sqlite3_stmt *s = stmt(st, Q_JOB_LAST_SUCCESS);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return scalar(st, s, 0, t);
}

static int fresh_per_type(void *ctx, const char *type, int64_t *fin, char *err, size_t errlen)
{
	struct state *st = ctx;
	if (!state_job_last_success(st, type, fin))
		return 0;
	snprintf(err, errlen, "%s", st->errmsg);
	return -1;
}

struct freshness_src state_freshness_src(struct state *st)
{
	struct freshness_src f = { fresh_per_ids, fresh_per_type, st };
	return f;
}

/* ---- schedule entries ---- */

void state_entry_release(struct state_entry *e)
{
	free(e->id);
	free(e->fingerprint);
	memset(e, 0, sizeof(*e));
}

void state_entries_free(struct state_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_entry_release(&e[i]);
	free(e);
}

static void entry_from_row(sqlite3_stmt *s, struct state_entry *e)
{
	e->id = col_str(s, 0);
	e->fingerprint = col_str(s, 1);
	e->last_handled = col_time(s, 2, INT64_MIN);
	e->last_missed = col_time(s, 3, INT64_MIN);
	e->last_skipped = col_time(s, 4, INT64_MIN);
	e->last_run = col_time(s, 5, 0);
}

int state_entry_get(struct state *st, const char *id, struct state_entry *out)
{
	sqlite3_stmt *s = stmt(st, Q_ENTRY_GET);
	if (!s)
		return -1;
	bind_text(s, 1, id);
	int rc = step(st, s);
	if (rc != 1)
		return rc;
	entry_from_row(s, out);
	sqlite3_reset(s);
	return 1;
}

int state_entries_all(struct state *st, struct state_entry **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_ENTRIES_ALL);
	if (!s)
		return -1;
	struct state_entry *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		entry_from_row(s, &v[k++]);
	}
	if (rc < 0) {
		state_entries_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

/* Runs a single-statement write in its own transaction (or the caller's). */
static int write1(struct state *st, sqlite3_stmt *s)
{
	if (state_begin(st))
		return -1;
	return finish_tx(st, exec_q(st, s));
}

int state_entry_set(struct state *st, const struct state_entry *e)
{
	sqlite3_stmt *s = stmt(st, Q_ENTRY_SET);
	if (!s)
		return -1;
	bind_text(s, 1, e->id);
	bind_text(s, 2, e->fingerprint ? e->fingerprint : "");
	bind_time(s, 3, e->last_handled);
	bind_time(s, 4, e->last_missed);
	bind_time(s, 5, e->last_skipped);
	bind_time(s, 6, e->last_run ? e->last_run : INT64_MIN);
	return write1(st, s);
}

/* ---- job files, broken jobs, problems ---- */

int state_job_broken(struct state *st, const char *type, const char *hash, char **reason)
{
	sqlite3_stmt *s = stmt(st, Q_BROKEN_GET);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	*reason = NULL;
	int rc = step(st, s);
	if (rc != 1)
		return rc;
	const char *h = (const char *)sqlite3_column_text(s, 0);
	rc = h && hash && !strcmp(h, hash);
	if (rc)
		*reason = col_str(s, 1);
	sqlite3_reset(s);
	return rc;
}

int state_job_set_broken(struct state *st, const char *type, const char *hash,
			 const char *reason, int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_BROKEN_SET);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	bind_text(s, 2, hash ? hash : "");
	bind_text(s, 3, reason);
	sqlite3_bind_int64(s, 4, now);
	return write1(st, s);
}

int state_job_clear_broken(struct state *st, const char *type)
{
	sqlite3_stmt *s = stmt(st, Q_BROKEN_CLEAR);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return write1(st, s);
}

int state_file_hash_get(struct state *st, const char *path, int64_t size, int64_t mtime_ns,
			char **hash)
{
	sqlite3_stmt *s = stmt(st, Q_HASH_GET);
	if (!s)
		return -1;
	bind_text(s, 1, path);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_int64(s, 3, mtime_ns);
	*hash = NULL;
	int rc = step(st, s);
	if (rc != 1)
		return rc;
	*hash = col_str(s, 0);
	sqlite3_reset(s);
	return 1;
}

int state_file_hash_set(struct state *st, const char *path, int64_t size, int64_t mtime_ns,
			const char *hash)
{
	sqlite3_stmt *s = stmt(st, Q_HASH_SET);
	if (!s)
		return -1;
	bind_text(s, 1, path);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_int64(s, 3, mtime_ns);
	bind_text(s, 4, hash);
	return write1(st, s);
}

int state_problem_once(struct state *st, const char *key, const char *version,
		       const char *message, int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_PROBLEM_GET);
	if (!s)
		return -1;
	bind_text(s, 1, key);
	int rc = step(st, s);
	if (rc < 0)
		return -1;
	bool same = rc == 1 && !strcmp((const char *)sqlite3_column_text(s, 0), version);
	sqlite3_reset(s);
	if (same)
		return 0;
	s = stmt(st, Q_PROBLEM_SET);
	if (!s)
		return -1;
	bind_text(s, 1, key);
	bind_text(s, 2, version);
	bind_text(s, 3, message);
	sqlite3_bind_int64(s, 4, now);
	return write1(st, s) ? -1 : 1;
}

int state_problem_clear(struct state *st, const char *key)
{
	sqlite3_stmt *s = stmt(st, Q_PROBLEM_CLEAR);
	if (!s)
		return -1;
	bind_text(s, 1, key);
	return write1(st, s);
}

/* ---- retention ---- */

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *sv, char *s)
{
	grow(&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

/* Adds the log paths of every attempt of every chunk of run id to logs. */
static int collect_logs(struct state *st, int64_t id, struct strv *logs)
{
	sqlite3_stmt *s = stmt(st, Q_PRUNE_LOGS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = step(st, s)) == 1) {
		for (int a = 1; a <= sqlite3_column_int(s, 3); a++)
			strv_push(logs, xasprintf(".stau/logs/%s/%lld-%lld-%d.log",
						  (const char *)sqlite3_column_text(s, 0),
						  (long long)sqlite3_column_int64(s, 1),
						  (long long)sqlite3_column_int64(s, 2), a));
	}
	return rc;
}

static int delete_run(struct state *st, int64_t id)
{
	static const enum q steps[] = { Q_PRUNE_DEPS, Q_PRUNE_CHUNKS, Q_PRUNE_TASKS, Q_PRUNE_RUN };
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		sqlite3_stmt *s = stmt(st, steps[i]);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		if (exec_q(st, s))
			return -1;
	}
	return 0;
}

static int prune_locked(struct state *st, int64_t before, struct strv *logs)
{
	sqlite3_stmt *s = stmt(st, Q_PRUNE_RUNS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	int64_t *ids = NULL;
	size_t cap = 0, n = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		grow(&ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (logs)
			rc = collect_logs(st, ids[i], logs);
		if (!rc)
			rc = delete_run(st, ids[i]);
	}
	free(ids);
	return rc < 0 ? -1 : (int)n;
}

int state_prune(struct state *st, int64_t before, char ***logs)
{
	struct strv sv = { NULL, 0, 0 };
	if (logs)
		*logs = NULL;
	if (state_begin(st))
		return -1;
	int rc = finish_tx(st, prune_locked(st, before, logs ? &sv : NULL));
	if (rc < 0 || !logs) {
		for (size_t i = 0; i < sv.n; i++)
			free(sv.v[i]);
		free(sv.v);
		return rc;
	}
	if (!sv.v)
		strv_push(&sv, NULL);
	*logs = sv.v;
	return rc;
}

/* ---- read-only views (stau status) ---- */

/* One pass over the chunks, grouped by job type; status asks once per command, so the
 * statement is prepared for this call only instead of being kept with the others. */
int state_last_chunks(struct state *st, struct state_chunk **out, size_t *n)
{
	static const char q[] = "SELECT " CHUNK_COLS CHUNK_FROM " WHERE c.id IN"
				" (SELECT max(id) FROM chunks WHERE attempt > 0 GROUP BY job)"
				" ORDER BY c.job";
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL))
		return fail_db(st);
	struct state_chunk *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		if (chunk_from_row(st, s, false, &v[k])) {
			rc = -1;
			break;
		}
		k++;
	}
	sqlite3_finalize(s);
	if (rc < 0) {
		state_chunks_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

/* ---- group commit (added for the engine) ---- */

int state_defer_sync(struct state *st, bool deferred)
{
	if (!st->wal || st->deferred == deferred)
		return 0;
	if (!deferred && state_sync(st))
		return -1;
	sqlite3_stmt *s = stmt(st, deferred ? Q_SYNC_NORMAL : Q_SYNC_FULL);
	if (!s || exec_q(st, s))
		return -1;
	st->deferred = deferred;
	return 0;
}

/* SQLite has no call that syncs the WAL alone, but it hands out its open file: xSync on it is
 * the fdatasync a synchronous=FULL commit would have made. */
int state_sync(struct state *st)
{
	if (!st->unsynced)
		return 0;
	sqlite3_file *f = NULL;
	int rc = sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
	if (rc == SQLITE_OK && f && f->pMethods)
		rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	if (rc != SQLITE_OK)
		return fail(st, "cannot sync '%s-wal' to disk: %s", DB_SHOWN, sqlite3_errstr(rc));
	st->unsynced = false;
	return 0;
}

/* ---- retry and prune (added for stau retry and stau prune) ---- */

/* Both run once per command, so their statements are prepared for the call only. */

int state_run_requeue(struct state *st, int64_t id)
{
	static const char q[] = "UPDATE runs SET state = 'QUEUED', started = NULL, finished = NULL,"
				" message = NULL WHERE id = ? AND state IN ('FAILED','CANCELED')"
				" AND NOT EXISTS (SELECT 1 FROM tasks WHERE run = runs.id)"
				" AND NOT EXISTS (SELECT 1 FROM chunks WHERE run = runs.id)";
	if (state_begin(st))
		return -1;
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL)) {
		rc = fail_db(st);
	} else {
		sqlite3_bind_int64(s, 1, id);
		rc = exec_q(st, s);
		if (!rc)
			rc = sqlite3_changes(st->db) > 0;
		sqlite3_finalize(s);
	}
	return finish_tx(st, rc);
}

/* The number of chunks of the runs that state_prune(before) deletes. */
static int count_prunable_chunks(struct state *st, int64_t before, int64_t *n)
{
	static const char q[] = "SELECT count(*) FROM chunks WHERE run IN (SELECT id FROM runs"
				" WHERE finished < ? AND state IN ('DONE','FAILED','CANCELED'))";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL))
		return fail_db(st);
	sqlite3_bind_int64(s, 1, before);
	int rc = scalar(st, s, 0, n);
	sqlite3_finalize(s);
	return rc;
}

int state_prune_counted(struct state *st, int64_t before, char ***logs, int64_t *nchunks)
{
	int64_t n = 0;
	char **v = NULL;
	if (logs)
		*logs = NULL;
	if (state_begin(st))
		return -1;
	int rc = count_prunable_chunks(st, before, &n);
	if (!rc)
		rc = state_prune(st, before, logs ? &v : NULL);
	rc = finish_tx(st, rc);
	if (rc < 0) {
		for (size_t i = 0; v && v[i]; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	if (logs)
		*logs = v;
	if (nchunks)
		*nchunks = n;
	return rc;
}
