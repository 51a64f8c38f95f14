/* state_fresh.c - what the state store remembers about job types and files between ticks.
 *
 * Freshness (the last success of each job type and work ID), schedule entries, BROKEN marks,
 * the cache of job file hashes and the problems already reported: small tables that ticks
 * read far more often than they write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_GET);
	if (!s)
		return -1;
	bind_text(s, 1, id);
	int rc = db_step(st, s);
	if (rc != 1)
		return rc;
	entry_from_row(s, out);
	sqlite3_reset(s);
	return 1;
}

int state_entries_all(struct state *st, struct state_entry **out, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRIES_ALL);
	if (!s)
		return -1;
	struct state_entry *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
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
	return db_finish_tx(st, db_exec(st, s));
}

int state_entry_set(struct state *st, const struct state_entry *e)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_SET);
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
	sqlite3_stmt *s = db_stmt(st, Q_BROKEN_GET);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	*reason = NULL;
	int rc = db_step(st, s);
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
	sqlite3_stmt *s = db_stmt(st, Q_BROKEN_SET);
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
	sqlite3_stmt *s = db_stmt(st, Q_BROKEN_CLEAR);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return write1(st, s);
}

int state_file_hash_get(struct state *st, const char *path, int64_t size, int64_t mtime_ns,
			char **hash)
{
	sqlite3_stmt *s = db_stmt(st, Q_HASH_GET);
	if (!s)
		return -1;
	bind_text(s, 1, path);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_int64(s, 3, mtime_ns);
	*hash = NULL;
	int rc = db_step(st, s);
	if (rc != 1)
		return rc;
	*hash = col_str(s, 0);
	sqlite3_reset(s);
	return 1;
}

int state_file_hash_set(struct state *st, const char *path, int64_t size, int64_t mtime_ns,
			const char *hash)
{
	sqlite3_stmt *s = db_stmt(st, Q_HASH_SET);
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
	sqlite3_stmt *s = db_stmt(st, Q_PROBLEM_GET);
	if (!s)
		return -1;
	bind_text(s, 1, key);
	int rc = db_step(st, s);
	if (rc < 0)
		return -1;
	bool same = rc == 1 && !strcmp((const char *)sqlite3_column_text(s, 0), version);
	sqlite3_reset(s);
	if (same)
		return 0;
	s = db_stmt(st, Q_PROBLEM_SET);
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
	sqlite3_stmt *s = db_stmt(st, Q_PROBLEM_CLEAR);
	if (!s)
		return -1;
	bind_text(s, 1, key);
	return write1(st, s);
}
