/* state_sql.c - the ground floor of the state module: every statement kept prepared and
 * running them, the errors they report, and the names and work IDs stored in columns.
 *
 * All the SQL text the module binds and steps is here, in one table indexed by enum q
 * (state_db.h), so that a statement and its neighbours (the same table, the same index) are
 * read together. A statement is prepared on first use and kept for the connection
 * (SQLITE_PREPARE_PERSISTENT); no SQL is built from text. The few statements a command runs
 * once (stau status, retry, prune) are prepared where they are used instead.
 *
 * Every other state file calls into this one, and this one calls none of them: what they
 * share sits here, below them all. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "state_db.h"
#include "util.h"
#include "workids.h"

static const char *const sql[Q_N] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[Q_SYNC_FULL] = "PRAGMA synchronous = FULL",
	/* a new run's id is above every id ever given, pruned ones included (state_prune.c) */
	[Q_RUN_INSERT] = "INSERT INTO runs (id, job, entry, fire_time, kwargs, ids, nids, has_ids,"
			 " git, force, created, state) VALUES (max(coalesce((SELECT max(id)"
			 " FROM runs), 0), coalesce((SELECT value FROM counters WHERE name ="
			 " 'pruned_run_max'), 0)) + 1, ?,?,?,?,?,?,?,?,?,?,'QUEUED')",
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
	[Q_RUN_OPEN] = "SELECT 1 FROM runs WHERE id = ? AND state IN ('QUEUED','ACTIVE')",
	[Q_RUN_CODE_SET] = "INSERT OR REPLACE INTO run_code (run, job, hash, code)"
			   " VALUES (?,?,?,?)",
	[Q_RUN_CODE_OF] = "SELECT code FROM run_code WHERE run = ? AND job = ?",
	[Q_RUN_CODE] = "SELECT job, hash FROM run_code WHERE run = ? ORDER BY job",
	[Q_OPEN_RUN_JOBS] = "SELECT job FROM runs WHERE state IN ('QUEUED','ACTIVE') UNION"
			   " SELECT t.job FROM runs r JOIN tasks t ON t.run = r.id"
			   " WHERE r.state IN ('QUEUED','ACTIVE')",
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
		    " log_path = printf('%s/%s/%d-%d-%d.log', ?5, job, run, id, attempt + 1)"
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
			 " signal = ?4, duration_ms = ?5, tail = NULL, message = ?6, file_hash = ?9"
			 " WHERE id = ?1 AND state = 'RUNNING'",
	[Q_CHUNK_RETRY] = "UPDATE chunks SET state = 'PENDING', finished = ?2, exit_code = ?3,"
			  " signal = ?4, duration_ms = ?5, tail = ?6, message = ?7, not_before = ?8,"
			  " file_hash = ?9 WHERE id = ?1 AND state = 'RUNNING'",
	[Q_CHUNK_FAILED] = "UPDATE chunks SET state = 'FAILED', finished = ?2, exit_code = ?3,"
			   " signal = ?4, duration_ms = ?5, tail = ?6, message = ?7,"
			   " file_hash = ?9 WHERE id = ?1 AND state = 'RUNNING'",
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
	[Q_RUNNING_OWNERS] = "SELECT c.id, c.job, c.attempt, c.owner_pid, c.owner_start,"
			     " c.child_pid, c.run, s.chunk IS NOT NULL, s.job_id FROM chunks c"
			     " INDEXED BY chunks_running LEFT JOIN chunk_slurm s ON s.chunk = c.id"
			     " AND s.attempt = c.attempt WHERE c.state = 'RUNNING' ORDER BY c.id",
	[Q_JOB_SINCE] = "SELECT id, last_success, last_code FROM job_types WHERE name = ?",
	/* the code goes with the latest finish (SET reads the row as it was) */
	[Q_JOB_SUCCESS] = "INSERT INTO job_types (name, last_success, last_code) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (name) DO UPDATE SET last_code = CASE WHEN"
			  " excluded.last_success >= coalesce(last_success, 0) THEN"
			  " excluded.last_code ELSE last_code END, last_success ="
			  " max(coalesce(last_success, 0), excluded.last_success) RETURNING id",
	[Q_FRESH_UPSERT] = "INSERT INTO fresh (job, id, finished, code) VALUES (?,?,?,?) ON CONFLICT"
			   " (job, id) DO UPDATE SET code = CASE WHEN excluded.finished >= finished"
			   " THEN excluded.code ELSE code END,"
			   " finished = max(finished, excluded.finished)",
	[Q_JOB_ID] = "SELECT id FROM job_types WHERE name = ?",
	[Q_FRESH_FROM] = "SELECT id, finished, code FROM fresh WHERE job = ? AND id >= ?"
			 " ORDER BY id",
	[Q_JOB_LAST_SUCCESS] = "SELECT last_success FROM job_types WHERE name = ?",
	[Q_JOB_LAST_CODE] = "SELECT last_success, last_code FROM job_types WHERE name = ?",
	[Q_ENTRY_GET] = "SELECT id, fingerprint, last_handled, last_missed, last_skipped, last_run"
			" FROM entries WHERE id = ?",
	[Q_ENTRIES_ALL] = "SELECT id, fingerprint, last_handled, last_missed, last_skipped,"
			  " last_run FROM entries ORDER BY id",
	[Q_ENTRY_SET] = "INSERT OR REPLACE INTO entries (id, fingerprint, last_handled,"
			" last_missed, last_skipped, last_run) VALUES (?,?,?,?,?,?)",
	[Q_ENTRY_NEXTS] = "SELECT id, fingerprint, last_handled, next_fire FROM entries ORDER BY id",
	[Q_ENTRY_SET_NEXT] = "UPDATE entries SET next_fire = ?2 WHERE id = ?1",
	[Q_ENTRY_NEXT_UNKNOWN] = "SELECT 1 FROM entries WHERE next_fire IS NULL LIMIT 1",
	[Q_ENTRY_NEXT_DUE] = "SELECT 1 FROM entries WHERE next_fire <= ?1 LIMIT 1",
	[Q_ENTRY_DUE_IDS] = "SELECT id FROM entries WHERE next_fire IS NULL UNION ALL"
			    " SELECT id FROM entries WHERE next_fire <= ?1",
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
	[Q_PRUNE_KEEP_MAX] = "INSERT INTO counters (name, value) VALUES ('pruned_run_max', ?)"
			    " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
	[Q_PRUNE_ENTRIES] = "UPDATE entries SET last_run = NULL WHERE last_run IS NOT NULL AND"
			    " last_run NOT IN (SELECT id FROM runs)",
};

sqlite3_stmt *db_stmt(struct state *st, enum q q)
{
	sqlite3_stmt *s = st->stmt[q];
	if (!s) {
		if (sqlite3_prepare_v3(st->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL)) {
			db_error(st);
			return NULL;
		}
		st->stmt[q] = s;
		return s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int db_step(struct state *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(st);
}

int db_exec(struct state *st, sqlite3_stmt *s)
{
	int rc = db_step(st, s);
	if (rc == 1) {
		sqlite3_reset(s);
		return 0;
	}
	return rc;
}

int db_scalar(struct state *st, sqlite3_stmt *s, int64_t dflt, int64_t *v)
{
	int rc = db_step(st, s);
	if (rc < 0)
		return -1;
	*v = rc == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL ? sqlite3_column_int64(s, 0)
								 : dflt;
	sqlite3_reset(s);
	return 0;
}

int db_exists(struct state *st, sqlite3_stmt *s)
{
	int rc = db_step(st, s);
	if (rc == 1)
		sqlite3_reset(s);
	return rc;
}

/* ---- errors ---- */

int db_fail(struct state *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

int db_error(struct state *st)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return db_fail(st, "'%s' stayed locked for more than %d ms by another stau process; "
			    "try again later", DB_SHOWN, st->busy_ms);
	return db_fail(st, "cannot %s '%s': %s", code == SQLITE_READONLY || code == SQLITE_FULL ||
		    code == SQLITE_IOERR ? "write" : "use", DB_SHOWN, sqlite3_errmsg(st->db));
}

const char *state_errmsg(const struct state *st)
{
	return st->errmsg;
}

/* ---- names and work IDs ---- */

const char *const run_names[RUN_STATE_N] = { "QUEUED", "ACTIVE", "DONE", "FAILED",
						     "CANCELED" };
const char *const chunk_names[CHUNK_STATE_N] = { "PENDING", "RUNNING", "DONE", "FAILED",
							 "CANCELED" };

const char *run_state_name(enum run_state s)
{
	return (unsigned)s < RUN_STATE_N ? run_names[s] : "?";
}

const char *chunk_state_name(enum chunk_state s)
{
	return (unsigned)s < CHUNK_STATE_N ? chunk_names[s] : "?";
}

int db_name_index(const char *const *names, int n, const unsigned char *text)
{
	for (int i = 0; text && i < n; i++)
		if (!strcmp(names[i], (const char *)text))
			return i;
	return 0;
}

int db_col_ids(struct state *st, sqlite3_stmt *s, int i, int64_t **ids, size_t *n)
{
	struct idlist l = IDLIST_INIT;
	const char *text = (const char *)sqlite3_column_text(s, i);
	char err[200];
	*ids = NULL;
	*n = 0;
	if (text && workids_parse("stored work IDs", text, (size_t)sqlite3_column_bytes(s, i),
				  WORKIDS_RANGES, &l, err, sizeof(err))) {
		idlist_release(&l);
		return db_fail(st, "'%s' is damaged: %s", DB_SHOWN, err);
	}
	*ids = l.v;
	*n = l.n;
	return 0;
}
