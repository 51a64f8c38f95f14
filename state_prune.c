/* state_prune.c - retention in the state store: deleting old runs and naming their logs. */
#include <stdlib.h>

#include "state_db.h"
#include "util.h"

/* ---- retention ---- */

/* Adds the log paths of every attempt of every chunk of run id to logs. */
static int collect_logs(struct state *st, int64_t id, struct strvec *logs)
{
	sqlite3_stmt *s = db_stmt(st, Q_PRUNE_LOGS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		for (int a = 1; a <= sqlite3_column_int(s, 3); a++)
			strvec_push(logs, state_log_path(st, (const char *)sqlite3_column_text(s, 0),
							 sqlite3_column_int64(s, 1),
							 sqlite3_column_int64(s, 2), a));
	}
	return rc;
}

static int delete_run(struct state *st, int64_t id)
{
	static const enum q steps[] = { Q_PRUNE_DEPS, Q_PRUNE_CHUNKS, Q_PRUNE_TASKS, Q_PRUNE_RUN };
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		sqlite3_stmt *s = db_stmt(st, steps[i]);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		if (db_exec(st, s))
			return -1;
	}
	return 0;
}

/* Run ids are never given twice: the highest id pruned (ids come in order) is kept for
 * the next run's insert, and no entry names a run that is gone as its last run. */
static int forget_ids(struct state *st, int64_t max_id)
{
	sqlite3_stmt *s = db_stmt(st, Q_PRUNE_KEEP_MAX);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, max_id);
	if (db_exec(st, s))
		return -1;
	s = db_stmt(st, Q_PRUNE_ENTRIES);
	return s ? db_exec(st, s) : -1;
}

static int prune_locked(struct state *st, int64_t before, struct strvec *logs)
{
	sqlite3_stmt *s = db_stmt(st, Q_PRUNE_RUNS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	int64_t *ids = NULL;
	size_t cap = 0, n = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(&ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (logs)
			rc = collect_logs(st, ids[i], logs);
		if (!rc)
			rc = delete_run(st, ids[i]);
	}
	if (rc == 0 && n)
		rc = forget_ids(st, ids[n - 1]);
	free(ids);
	return rc < 0 ? -1 : (int)n;
}

int state_prune(struct state *st, int64_t before, char ***logs)
{
	struct strvec sv = { 0 };
	if (logs)
		*logs = NULL;
	if (state_begin(st))
		return -1;
	int rc = db_finish_tx(st, prune_locked(st, before, logs ? &sv : NULL));
	if (rc < 0 || !logs) {
		strvec_release(&sv);
		return rc;
	}
	if (!sv.v) /* an empty array, not NULL */
		strvec_push(&sv, NULL);
	*logs = sv.v;
	return rc;
}

/* The number of chunks of the runs that state_prune(before) deletes. */
static int count_prunable_chunks(struct state *st, int64_t before, int64_t *n)
{
	static const char q[] = "SELECT count(*) FROM chunks WHERE run IN (SELECT id FROM runs"
				" WHERE finished < ? AND state IN ('DONE','FAILED','CANCELED'))";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL))
		return db_error(st);
	sqlite3_bind_int64(s, 1, before);
	int rc = db_scalar(st, s, 0, n);
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
	rc = db_finish_tx(st, rc);
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
