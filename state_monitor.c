/* state_monitor.c - what monitoring reads from the state, and the on_failure hook's bookkeeping.
 *
 * stau status, stau metrics (and the metrics file a tick writes) and stau why read the
 * database here: each question is one query over every job type or entry at once, so that
 * a project with thousands of jobs costs a few statements, not thousands. The statements
 * run once per command, so they are prepared where they are used, not kept on the
 * connection (state_sql.c keeps those of the engine).
 *
 * The counters (job_stats, entry_stats) and the pending hooks (run_alerts) are written by
 * the triggers of schema version 3 (state.c): this file only reads them, and claims and
 * records hooks. */
#include <stdlib.h>
#include <string.h>

#include "state_db.h"
#include "util.h"

/* Prepares q; NULL with st->errmsg set. */
static sqlite3_stmt *prepare(struct state *st, const char *q)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL)) {
		db_error(st);
		return NULL;
	}
	return s;
}

/* Steps s to its end, calling row() for each row with the array grown for one more element
 * of `size` bytes at *v (cleared). Finalizes s. Returns 0, or -1 (row() failing too). */
static int collect(struct state *st, sqlite3_stmt *s, void *v, size_t *n, size_t size,
		   int (*row)(struct state *st, sqlite3_stmt *s, void *item))
{
	size_t cap = 0;
	int rc;
	*n = 0;
	while ((rc = db_step(st, s)) == 1) {
		grow(v, &cap, *n + 1, size);
		void *item = *(char **)v + *n * size;
		memset(item, 0, size);
		(*n)++;
		if (row(st, s, item)) {
			rc = -1;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}

/* ---- a job type's part in its newest run ---- */

void state_job_runs_free(struct state_job_run *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].job);
	free(v);
}

static int job_run_row(struct state *st, sqlite3_stmt *s, void *item)
{
	(void)st;
	struct state_job_run *r = item;
	r->job = col_str(s, 0);
	r->run = sqlite3_column_int64(s, 1);
	for (int k = 0; k < CHUNK_STATE_N; k++)
		r->counts[k] = (size_t)sqlite3_column_int64(s, 2 + k);
	r->started = col_time(s, 2 + CHUNK_STATE_N, 0);
	r->finished = col_time(s, 3 + CHUNK_STATE_N, 0);
	return 0;
}

int state_job_runs_last(struct state *st, struct state_job_run **out, size_t *n)
{
	/* per job type (tasks_job), its newest run with a chunk of it that started, in a
	 * subquery that GROUP BY keeps from being flattened (so it is computed once); then that
	 * run's chunks (chunks_run): nothing reads every chunk */
	static const char q[] =
		"SELECT l.job, l.run, sum(c.state = 'PENDING'), sum(c.state = 'RUNNING'),"
		" sum(c.state = 'DONE'), sum(c.state = 'FAILED'), sum(c.state = 'CANCELED'),"
		" min(c.started), max(CASE WHEN c.state != 'RUNNING' THEN c.finished END)"
		" FROM (SELECT j.job AS job, (SELECT t.run FROM tasks t WHERE t.job = j.job AND"
		" EXISTS (SELECT 1 FROM chunks c WHERE c.run = t.run AND c.job = t.job AND"
		" c.attempt > 0) ORDER BY t.run DESC LIMIT 1) AS run FROM tasks j GROUP BY j.job) l"
		" JOIN chunks c ON c.run = l.run AND c.job = l.job"
		" WHERE l.run IS NOT NULL GROUP BY l.job, l.run ORDER BY l.job";
	_Static_assert(CHUNK_PENDING == 0 && CHUNK_RUNNING == 1 && CHUNK_DONE == 2 &&
		       CHUNK_FAILED == 3 && CHUNK_CANCELED == 4, "the columns of q");
	*out = NULL;
	sqlite3_stmt *s = prepare(st, q);
	if (!s || collect(st, s, out, n, sizeof(**out), job_run_row)) {
		state_job_runs_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- running chunks and their owners ---- */

void state_running_free(struct state_running *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].job);
	free(v);
}

static int running_row(struct state *st, sqlite3_stmt *s, void *item)
{
	(void)st;
	struct state_running *r = item;
	r->run = sqlite3_column_int64(s, 0);
	r->chunk = sqlite3_column_int64(s, 1);
	r->job = col_str(s, 2);
	r->owner.pid = (pid_t)sqlite3_column_int64(s, 3);
	r->owner.start = sqlite3_column_int64(s, 4);
	r->on_slurm = sqlite3_column_int(s, 5);
	return 0;
}

int state_running_chunks(struct state *st, struct state_running **out, size_t *n)
{
	static const char q[] = "SELECT c.run, c.id, c.job, c.owner_pid, c.owner_start,"
				" s.job_id IS NOT NULL FROM chunks c INDEXED BY chunks_running"
				" LEFT JOIN chunk_slurm s ON s.chunk = c.id AND s.attempt = c.attempt"
				" WHERE c.state = 'RUNNING' ORDER BY c.run, c.id";
	*out = NULL;
	sqlite3_stmt *s = prepare(st, q);
	if (!s || collect(st, s, out, n, sizeof(**out), running_row)) {
		state_running_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- job types ---- */

void state_job_infos_free(struct state_job_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].job);
		free(v[i].broken_hash);
		free(v[i].broken_reason);
	}
	free(v);
}

static int job_info_row(struct state *st, sqlite3_stmt *s, void *item)
{
	(void)st;
	struct state_job_info *j = item;
	j->job = col_str(s, 0);
	j->last_success = col_time(s, 1, 0);
	j->broken_hash = col_str(s, 2);
	j->broken_reason = col_str(s, 3);
	j->failed_chunks = sqlite3_column_int64(s, 4);
	j->failed_runs = sqlite3_column_int64(s, 5);
	j->pending = sqlite3_column_int64(s, 6);
	j->running = sqlite3_column_int64(s, 7);
	return 0;
}

int state_job_infos(struct state *st, struct state_job_info **out, size_t *n)
{
	/* the open chunks are counted through the partial indexes of the open states */
	static const char q[] =
		"WITH pending(job, n) AS (SELECT job, count(*) FROM chunks INDEXED BY"
		" chunks_pending WHERE state = 'PENDING' GROUP BY job),"
		" running(job, n) AS (SELECT job, count(*) FROM chunks INDEXED BY chunks_running"
		" WHERE state = 'RUNNING' GROUP BY job),"
		" names(job) AS (SELECT name FROM job_types UNION SELECT job FROM job_stats"
		" UNION SELECT job FROM pending UNION SELECT job FROM running)"
		" SELECT n.job, t.last_success, t.broken_hash, t.broken_reason,"
		" coalesce(s.failed_chunks, 0), coalesce(s.failed_runs, 0), coalesce(p.n, 0),"
		" coalesce(r.n, 0) FROM names n LEFT JOIN job_types t ON t.name = n.job"
		" LEFT JOIN job_stats s ON s.job = n.job LEFT JOIN pending p ON p.job = n.job"
		" LEFT JOIN running r ON r.job = n.job ORDER BY n.job";
	*out = NULL;
	sqlite3_stmt *s = prepare(st, q);
	if (!s || collect(st, s, out, n, sizeof(**out), job_info_row)) {
		state_job_infos_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- schedule entries ---- */

void state_entry_counts_free(struct state_entry_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].entry);
	free(v);
}

static int entry_count_row(struct state *st, sqlite3_stmt *s, void *item)
{
	(void)st;
	struct state_entry_count *e = item;
	e->entry = col_str(s, 0);
	e->missed = sqlite3_column_int64(s, 1);
	e->skipped = sqlite3_column_int64(s, 2);
	return 0;
}

int state_entry_counts(struct state *st, struct state_entry_count **out, size_t *n)
{
	static const char q[] = "SELECT entry, missed, skipped FROM entry_stats ORDER BY entry";
	*out = NULL;
	sqlite3_stmt *s = prepare(st, q);
	if (!s || collect(st, s, out, n, sizeof(**out), entry_count_row)) {
		state_entry_counts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int state_runs_changed(struct state *st, int64_t *v)
{
	sqlite3_stmt *s = prepare(st, "SELECT value FROM counters WHERE name = 'runs_changed'");
	if (!s)
		return -1;
	int rc = db_step(st, s);
	*v = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}

/* ---- the on_failure hook of failed runs ---- */

int state_alerts_pending(struct state *st, int64_t **runs, size_t *n)
{
	sqlite3_stmt *s = prepare(st, "SELECT run FROM run_alerts INDEXED BY run_alerts_pending"
				      " WHERE hook_started IS NULL ORDER BY run");
	size_t cap = 0;
	int rc;
	*runs = NULL;
	*n = 0;
	if (!s)
		return -1;
	while ((rc = db_step(st, s)) == 1) {
		grow(runs, &cap, *n + 1, sizeof(**runs));
		(*runs)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc < 0) {
		free(*runs);
		*runs = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* Runs the bound write s alone in a transaction; returns the rows it changed, or -1. */
static int write_one(struct state *st, sqlite3_stmt *s)
{
	if (state_begin(st)) {
		sqlite3_finalize(s);
		return -1;
	}
	int rc = db_step(st, s);
	int changed = rc < 0 ? -1 : sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return db_finish_tx(st, changed);
}

int state_alert_claim(struct state *st, int64_t run, int64_t now)
{
	sqlite3_stmt *s = prepare(st, "UPDATE run_alerts SET hook_started = ?2 WHERE run = ?1"
				      " AND hook_started IS NULL");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, now);
	return write_one(st, s);
}

int state_alert_record(struct state *st, int64_t run, const char *result)
{
	sqlite3_stmt *s = prepare(st, "UPDATE run_alerts SET hook_result = ?2 WHERE run = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	bind_text(s, 2, result);
	return write_one(st, s) < 0 ? -1 : 0;
}

int state_alert_get(struct state *st, int64_t run, struct state_alert *out)
{
	sqlite3_stmt *s = prepare(st, "SELECT failed, hook_started, hook_result FROM run_alerts"
				      " WHERE run = ?");
	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	int rc = db_step(st, s);
	if (rc == 1) {
		out->run = run;
		out->failed = col_time(s, 0, 0);
		out->hook_started = col_time(s, 1, 0);
		out->hook_result = col_str(s, 2);
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- which chunk computed a work ID ---- */

static bool ids_hold(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] == id)
			return true;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int state_chunk_that_computed(struct state *st, const char *job, int64_t id, int64_t finished,
			      int64_t *chunk)
{
	/* a success records the chunk's finish time as the freshness of each of its IDs, so
	 * the chunk is among the DONE chunks of the job that finished at that very time */
	sqlite3_stmt *s = prepare(st, "SELECT id, ids FROM chunks WHERE job = ? AND finished = ?"
				      " AND state = 'DONE' ORDER BY id DESC");
	if (!s)
		return -1;
	bind_text(s, 1, job);
	sqlite3_bind_int64(s, 2, finished);
	int rc, found = 0;
	*chunk = 0;
	while (!found && (rc = db_step(st, s)) == 1) {
		int64_t *ids;
		size_t n;
		if (db_col_ids(st, s, 1, &ids, &n)) {
			rc = -1;
			break;
		}
		if (ids_hold(ids, n, id)) {
			*chunk = sqlite3_column_int64(s, 0);
			found = 1;
		}
		free(ids);
	}
	sqlite3_finalize(s);
	return rc < 0 ? -1 : found;
}
