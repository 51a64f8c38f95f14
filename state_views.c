/* state_views.c - what the commands read to show runs and chunks: a job's recent runs and the
 * last run and last started chunk of every job type (stau status), and a run's chunks with
 * their dependencies (stau show and logs; cancel and retry look at them too).
 *
 * Reads only: nothing here writes the database or takes the lock. */
#include <stdlib.h>

#include "state_db.h"
#include "util.h"

/* ---- runs ---- */

int state_runs_of_job(struct state *st, const char *job, size_t limit, struct state_run **runs,
		      size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUNS_OF_JOB);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	sqlite3_bind_int64(s, 2, limit ? (int64_t)limit : -1);
	return db_runs_collect(st, s, runs, n);
}

int state_last_runs(struct state *st, struct state_run **runs, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_LAST_RUNS);
	return s ? db_runs_collect(st, s, runs, n) : -1;
}

/* ---- chunks ---- */

/* Attaches the dependencies of run id to its chunks c[0..n) (sorted by id). */
static int attach_deps(struct state *st, int64_t id, struct state_chunk *c, size_t n)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_DEPS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	size_t i = 0, cap = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
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
	sqlite3_stmt *s = db_stmt(st, Q_RUN_CHUNKS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	struct state_chunk *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		if (db_chunk_from_row(st, s, with_ids, &v[k])) {
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
		return db_error(st);
	struct state_chunk *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		if (db_chunk_from_row(st, s, false, &v[k])) {
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
