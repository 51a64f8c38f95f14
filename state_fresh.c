/* state_fresh.c - freshness in the state store: the last success of each job type and of each
 * of its work IDs, recorded as chunks end and read by plan.c's expansion.
 *
 * A success is recorded inside the transaction that makes its chunk DONE (state_chunks.c);
 * expansion asks through struct freshness_src (plan.h), one range scan per job type for a
 * sorted list of IDs (state.c's design comment says why the table is keyed this way). */
#include <stdio.h>
#include <string.h>

#include "state_db.h"
#include "util.h"

#define RESEEK_AFTER 32 /* freshness scan: rows skipped before seeking instead */

/* ---- freshness ---- */

/* Binds code (may be NULL: not known) to parameter i of s. */
static void bind_code(sqlite3_stmt *s, int i, const int64_t *code)
{
	if (code)
		sqlite3_bind_int64(s, i, *code);
	else
		sqlite3_bind_null(s, i);
}

/* Whether column i of s holds code (NULL matching NULL). */
static bool same_code(sqlite3_stmt *s, int i, const int64_t *code)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return !code;
	return code && sqlite3_column_int64(s, i) == *code;
}

/* The job type's id in job_types (created when missing) with last_success raised to now,
 * and last_code set to code with it. Within one second chunks of a job type end by the
 * hundred: the row is only read then, so that the page is not written again (a WAL page per
 * chunk). */
static int record_job_success(struct state *st, const char *job, const int64_t *code,
			      int64_t now, int64_t *job_id)
{
	sqlite3_stmt *s = db_stmt(st, Q_JOB_SINCE);
	if (!s)
		return -1;
	bind_text(s, 1, job);
	int rc = db_step(st, s);
	bool fresh = rc == 1 && sqlite3_column_type(s, 1) != SQLITE_NULL &&
		     sqlite3_column_int64(s, 1) >= now && same_code(s, 2, code);
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
	bind_code(s, 3, code);
	rc = db_step(st, s);
	if (rc == 1) {
		*job_id = sqlite3_column_int64(s, 0);
		rc = db_step(st, s);
	}
	if (rc == 1)
		sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

/* The code run `run` recorded for job (*has false: none). */
static int run_code_of(struct state *st, int64_t run, const char *job, int64_t *code,
		       bool *has)
{
	sqlite3_stmt *s = db_stmt(st, Q_RUN_CODE_OF);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	bind_text(s, 2, job);
	int rc = db_step(st, s);
	*has = rc == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL;
	if (*has)
		*code = sqlite3_column_int64(s, 0);
	if (rc == 1)
		sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

int db_record_success(struct state *st, const char *job, int64_t run, const int64_t *ids,
		      size_t n, int64_t now)
{
	int64_t job_id = 0, code = 0;
	bool has;
	if (run_code_of(st, run, job, &code, &has) ||
	    record_job_success(st, job, has ? &code : NULL, now, &job_id))
		return -1;
	sqlite3_stmt *s = n ? db_stmt(st, Q_FRESH_UPSERT) : NULL;
	if (n && !s)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, job_id);
		sqlite3_bind_int64(s, 2, ids[i]);
		sqlite3_bind_int64(s, 3, now);
		bind_code(s, 4, has ? &code : NULL);
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
 * while the rows are dense, a new seek after RESEEK_AFTER rows that match nothing. With want
 * (not NULL), a row computed by other code counts as never computed. */
static int fresh_merge(struct state *st, int64_t job, const int64_t *ids, size_t n, int64_t *fin,
		       const int64_t *want)
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
			fin[i++] = !want || same_code(s, 2, want) ? sqlite3_column_int64(s, 1) : 0;
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

static int per_ids(struct state *st, const char *type, const int64_t *want, const int64_t *ids,
		   size_t n, int64_t *fin, char *err, size_t errlen)
{
	int64_t job;
	if (job_type_id(st, type, &job))
		goto fail;
	if (!job || !n) {
		for (size_t i = 0; i < n; i++)
			fin[i] = 0;
		return 0;
	}
	if (!fresh_merge(st, job, ids, n, fin, want))
		return 0;
fail:
	snprintf(err, errlen, "%s", st->errmsg);
	return -1;
}

static int fresh_per_ids(void *ctx, const char *type, const int64_t *ids, size_t n, int64_t *fin,
			 char *err, size_t errlen)
{
	return per_ids(ctx, type, NULL, ids, n, fin, err, errlen);
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

/* The code results of type must have been computed by, or NULL when any code will do. */
static const int64_t *wanted_code(const struct state_code_req *req, const char *type)
{
	size_t lo = 0, hi = req->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(type, req->types[mid]);
		if (!c)
			return &req->codes[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int code_per_ids(void *ctx, const char *type, const int64_t *ids, size_t n, int64_t *fin,
			char *err, size_t errlen)
{
	const struct state_code_req *req = ctx;
	return per_ids(req->st, type, wanted_code(req, type), ids, n, fin, err, errlen);
}

static int code_per_type(void *ctx, const char *type, int64_t *fin, char *err, size_t errlen)
{
	const struct state_code_req *req = ctx;
	const int64_t *want = wanted_code(req, type);
	if (!want)
		return fresh_per_type(req->st, type, fin, err, errlen);
	sqlite3_stmt *s = db_stmt(req->st, Q_JOB_LAST_CODE);
	int rc = -1;
	if (s) {
		bind_text(s, 1, type);
		rc = db_step(req->st, s);
	}
	*fin = rc == 1 && same_code(s, 1, want) ? sqlite3_column_int64(s, 0) : 0;
	if (rc == 1)
		sqlite3_reset(s);
	if (rc >= 0)
		return 0;
	snprintf(err, errlen, "%s", req->st->errmsg);
	return -1;
}

struct freshness_src state_freshness_src_code(const struct state_code_req *req)
{
	struct freshness_src f = { code_per_ids, code_per_type, (void *)req };
	return f;
}
