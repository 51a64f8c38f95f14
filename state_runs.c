/* state_runs.c - runs in the state store: create, read, activate with a plan, cancel, fail, retry.
 *
 * A run's chunks are written here once, when its plan is stored; from then on state_chunks.c
 * moves them through their states. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state_db.h"
#include "util.h"
#include "workids.h"

/* ---- runs ---- */

int state_run_create(struct state *st, const struct state_run_new *r, int64_t now, int64_t *id)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_INSERT);
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
		rc = db_exec(st, s);
		*id = sqlite3_last_insert_rowid(st->db);
		rc = db_finish_tx(st, rc);
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

int db_run_counts(struct state *st, struct state_run *r)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_COUNTS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, r->id);
	int rc;
	while ((rc = db_step(st, s)) == 1)
		r->counts[db_name_index(chunk_names, CHUNK_STATE_N, sqlite3_column_text(s, 0))] =
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
	r->state = (enum run_state)db_name_index(run_names, RUN_STATE_N, sqlite3_column_text(s, 12));
	r->message = col_str(s, 13);
}

int db_runs_collect(struct state *st, sqlite3_stmt *s, struct state_run **runs, size_t *n)
{
	struct state_run *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		run_from_row(s, &v[k++]);
	}
	for (size_t i = 0; rc == 0 && i < k; i++)
		rc = db_run_counts(st, &v[i]);
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
	sqlite3_stmt *s = db_stmt(st, Q_RUN_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = db_step(st, s);
	if (rc != 1)
		return rc;
	run_from_row(s, out);
	sqlite3_reset(s);
	if (db_run_counts(st, out)) {
		state_run_release(out);
		return -1;
	}
	return 1;
}

/* Query q about run id, stepped to its row; NULL (the error set) when it failed or there is
 * no such run. The caller resets the statement. */
static sqlite3_stmt *run_row(struct state *st, enum q q, int64_t id)
{
	sqlite3_stmt *s = db_stmt(st, q);
	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	int rc = db_step(st, s);
	if (rc == 0)
		db_fail(st, "no run %lld in '%s'", (long long)id, DB_SHOWN);
	return rc == 1 ? s : NULL;
}

int state_run_ids(struct state *st, int64_t id, int64_t **ids, size_t *n)
{
	sqlite3_stmt *s = run_row(st, Q_RUN_IDS, id);
	if (!s)
		return -1;
	int rc = db_col_ids(st, s, 0, ids, n);
	sqlite3_reset(s);
	return rc;
}

int state_runs_queued(struct state *st, struct state_run **runs, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUNS_QUEUED);
	return s ? db_runs_collect(st, s, runs, n) : -1;
}

int state_job_active(struct state *st, const char *job)
{
	sqlite3_stmt *s = db_stmt(st, Q_JOB_ACTIVE);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	return db_exists(st, s);
}

int state_run_open(struct state *st, int64_t id)
{
	if (id <= 0)
		return 0;
	sqlite3_stmt *s = db_stmt(st, Q_RUN_OPEN);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return db_exists(st, s);
}

bool state_code_of(const char *hash, int64_t *code)
{
	static const char prefix[] = "fnv1a64:";
	if (!hash || strncmp(hash, prefix, sizeof(prefix) - 1))
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(hash + sizeof(prefix) - 1, &end, 16);
	if (errno || *end || end == hash + sizeof(prefix) - 1)
		return false;
	*code = (int64_t)v;
	return true;
}

int state_run_code_set(struct state *st, int64_t run, const char *job, const char *hash)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_CODE_SET);
	if (!s)
		return -1;
	int64_t code;
	sqlite3_bind_int64(s, 1, run);
	bind_text(s, 2, job);
	bind_text(s, 3, hash);
	if (state_code_of(hash, &code))
		sqlite3_bind_int64(s, 4, code);
	else
		sqlite3_bind_null(s, 4);
	return db_exec(st, s);
}

int state_run_code(struct state *st, int64_t run, struct strvec *out)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_CODE);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		strvec_push(out, col_str(s, 0));
		strvec_push(out, col_str(s, 1));
	}
	return rc;
}

int state_any_open_run(struct state *st)
{
	sqlite3_stmt *s = db_stmt(st, Q_ANY_OPEN);
	return s ? db_exists(st, s) : -1;
}

int state_open_run_jobs(struct state *st, char ***types, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_OPEN_RUN_JOBS);
	if (!s)
		return -1;
	size_t cap = 0;
	int rc;
	*types = NULL;
	*n = 0;
	while ((rc = db_step(st, s)) == 1) {
		grow(types, &cap, *n + 1, sizeof(**types));
		(*types)[(*n)++] = col_str(s, 0);
	}
	return rc < 0 ? -1 : 0;
}

int state_job_has_open_chunks(struct state *st, const char *type, int64_t except_run)
{
	sqlite3_stmt *s = db_stmt(st, Q_JOB_OPEN_CHUNKS);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	sqlite3_bind_int64(s, 2, except_run);
	return db_exists(st, s);
}

int db_run_state_of(struct state *st, int64_t id, enum run_state *rs)
{
	sqlite3_stmt *s = run_row(st, Q_RUN_STATE, id);
	if (!s)
		return -1;
	*rs = (enum run_state)db_name_index(run_names, RUN_STATE_N, sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return 0;
}

int db_run_end(struct state *st, int64_t id, enum run_state rs, const char *message, int64_t now)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_END);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, run_names[rs]);
	sqlite3_bind_int64(s, 3, now);
	bind_text(s, 4, message);
	return db_exec(st, s);
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
		sqlite3_stmt *s = db_stmt(st, Q_TASK_INSERT);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		bind_text(s, 3, p->tasks[i].node->job->type);
		bind_text(s, 4, p->tasks[i].kwargs_json ? p->tasks[i].kwargs_json : "{}");
		if (db_exec(st, s))
			return -1;
		task_ids[i] = sqlite3_last_insert_rowid(st->db);
	}
	return 0;
}

static int insert_chunk(struct state *st, int64_t run, const struct plan *p, size_t i,
			const int64_t *task_ids, int64_t *chunk_id)
{
	const struct plan_chunk *c = &p->chunks[i];
	sqlite3_stmt *s = db_stmt(st, Q_CHUNK_INSERT);
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
	int rc = db_exec(st, s);
	free(ids);
	*chunk_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int insert_deps(struct state *st, const struct plan *p, const int64_t *chunk_ids)
{
	for (size_t i = 0; i < p->nchunks; i++) {
		for (size_t k = 0; k < p->chunks[i].ndeps; k++) {
			sqlite3_stmt *s = db_stmt(st, Q_DEP_INSERT);
			if (!s)
				return -1;
			sqlite3_bind_int64(s, 1, chunk_ids[p->chunks[i].deps[k]]);
			sqlite3_bind_int64(s, 2, chunk_ids[i]);
			if (db_exec(st, s))
				return -1;
		}
	}
	return 0;
}

static int store_plan(struct state *st, int64_t id, const struct plan *p, int64_t now)
{
	enum run_state rs;
	if (db_run_state_of(st, id, &rs))
		return -1;
	if (rs != RUN_QUEUED)
		return db_fail(st, "run %lld is %s, not QUEUED", (long long)id, run_names[rs]);
	int64_t *task_ids = xcalloc(p->ntasks, sizeof(*task_ids));
	int64_t *chunk_ids = xcalloc(p->nchunks, sizeof(*chunk_ids));
	int rc = insert_tasks(st, id, p, task_ids);
	for (size_t i = 0; !rc && i < p->nchunks; i++)
		rc = insert_chunk(st, id, p, i, task_ids, &chunk_ids[i]);
	if (!rc)
		rc = insert_deps(st, p, chunk_ids);
	sqlite3_stmt *s = rc ? NULL : db_stmt(st, Q_RUN_SET_ACTIVE);
	if (s) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, id);
		rc = db_exec(st, s);
	} else {
		rc = -1;
	}
	if (!rc && p->nchunks == 0)
		rc = db_run_end(st, id, RUN_DONE, NULL, now);
	free(task_ids);
	free(chunk_ids);
	return rc;
}

int state_run_activate(struct state *st, int64_t id, const struct plan *p, int64_t now)
{
	if (state_begin(st))
		return -1;
	return db_finish_tx(st, store_plan(st, id, p, now));
}

/* The child pids of the RUNNING chunks of run id, into a new array. */
static int running_pids(struct state *st, int64_t id, pid_t **pids, size_t *npids)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_RUNNING_PIDS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	pid_t *v = NULL;
	size_t cap = 0, n = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
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
	if (db_run_state_of(st, id, &rs))
		return -1;
	if (rs != RUN_QUEUED && rs != RUN_ACTIVE)
		return 0;
	if (db_run_end(st, id, to, message, now))
		return -1;
	sqlite3_stmt *s = db_stmt(st, Q_RUN_CANCEL_CHUNKS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, message);
	sqlite3_bind_int64(s, 3, now);
	return db_exec(st, s);
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
	rc = db_finish_tx(st, rc);
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
	return db_finish_tx(st, end_unfinished_run(st, id, RUN_FAILED, message, now));
}

static int reset_failed_chunks(struct state *st, int64_t id)
{
	enum run_state rs;
	if (db_run_state_of(st, id, &rs))
		return -1;
	sqlite3_stmt *s = db_stmt(st, Q_RUN_RETRY_CHUNKS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (db_exec(st, s))
		return -1;
	int n = sqlite3_changes(st->db);
	if (n == 0)
		return 0;
	s = db_stmt(st, Q_RUN_RECOUNT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (db_exec(st, s))
		return -1;
	s = db_stmt(st, Q_RUN_REOPEN);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return db_exec(st, s) ? -1 : n;
}

int state_run_retry(struct state *st, int64_t id, int64_t now)
{
	(void)now;
	if (state_begin(st))
		return -1;
	return db_finish_tx(st, reset_failed_chunks(st, id));
}

/* Runs once per command (stau retry), so its statement is prepared for the call only. */
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
		rc = db_error(st);
	} else {
		sqlite3_bind_int64(s, 1, id);
		rc = db_exec(st, s);
		if (!rc)
			rc = sqlite3_changes(st->db) > 0;
		sqlite3_finalize(s);
	}
	return db_finish_tx(st, rc);
}
