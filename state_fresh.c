/* state_fresh.c - freshness in the state store: the last success of each job type and of each
 * of its work IDs, recorded as chunks end and read by plan.c's expansion.
 *
 * A success is recorded inside the transaction that makes its chunk DONE (state_chunks.c);
 * expansion asks through struct freshness_src (plan.h), one range scan per job type for a
 * sorted list of IDs (state.c's design comment says why the table is keyed this way). */
#include <stdio.h>

#include "state_db.h"
#include "util.h"

#define RESEEK_AFTER 32 /* freshness scan: rows skipped before seeking instead */

/* ---- freshness ---- */

/* The job type's id in job_types (created when missing) with last_success raised to now.
 * Within one second chunks of a job type end by the hundred: the row is only read then, so
 * that the page is not written again (a WAL page per chunk). */
static int record_job_success(struct state *st, const char *job, int64_t now, int64_t *job_id)
{
	sqlite3_stmt *s = db_stmt(st, Q_JOB_SINCE);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	int rc = db_step(st, s);
	bool fresh = rc == 1 && sqlite3_column_type(s, 1) != SQLITE_NULL &&
		     sqlite3_column_int64(s, 1) >= now;
	if (fresh)
		*job_id = sqlite3_column_int64(s, 0);
	if (rc == 1)
		sqlite3_reset(s);
	if (rc < 0 || fresh)
		return rc < 0 ? -1 : 0;
	s = db_stmt(st, Q_JOB_SUCCESS);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	sqlite3_bind_int64(s, 2, now);
	rc = db_step(st, s);
	if (rc == 1) {
		*job_id = sqlite3_column_int64(s, 0);
		rc = db_step(st, s);
	}
	if (rc == 1)
		sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

int db_record_success(struct state *st, const char *job, const int64_t *ids, size_t n,
		   int64_t now)
{
	int64_t job_id = 0;
	if (record_job_success(st, job, now, &job_id))
		return -1;
	sqlite3_stmt *s = n ? db_stmt(st, Q_FRESH_UPSERT) : NULL;
	if (n && !s)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, job_id);
		sqlite3_bind_int64(s, 2, ids[i]);
		sqlite3_bind_int64(s, 3, now);
		if (db_exec(st, s))
			return -1;
	}
	return 0;
}

/* The id of job type `type` in job_types, 0 when it never succeeded. */
static int job_type_id(struct state *st, const char *type, int64_t *id)
{
	sqlite3_stmt *s = db_stmt(st, Q_JOB_ID);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return db_scalar(st, s, 0, id);
}

/* Positions the freshness scan of job at the first row with id >= from. */
static int fresh_seek(struct state *st, sqlite3_stmt *s, int64_t job, int64_t from)
{
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, job);
	sqlite3_bind_int64(s, 2, from);
	return db_step(st, s);
}

/* Merges the (id, finished) rows of job, in id order, with the sorted ids: a sequential scan
 * while the rows are dense, a new seek after RESEEK_AFTER rows that match nothing. */
static int fresh_merge(struct state *st, int64_t job, const int64_t *ids, size_t n, int64_t *fin)
{
	sqlite3_stmt *s = db_stmt(st, Q_FRESH_FROM);
	if (!s)
		return -1;
	int rc = fresh_seek(st, s, job, ids[0]), skipped = 0;
	size_t i = 0;
	while (i < n && rc == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (id < ids[i]) {
			if (++skipped < RESEEK_AFTER) {
				rc = db_step(st, s);
			} else {
				skipped = 0;
				rc = fresh_seek(st, s, job, ids[i]);
			}
		} else if (id == ids[i]) {
			fin[i++] = sqlite3_column_int64(s, 1);
			skipped = 0;
			rc = db_step(st, s);
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
	sqlite3_stmt *s = db_stmt(st, Q_JOB_LAST_SUCCESS);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return db_scalar(st, s, 0, t);
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
