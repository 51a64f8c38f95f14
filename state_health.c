/* state_health.c - what the state store remembers about the health of job files between
 * ticks: BROKEN marks (a fatal exit, kept against the content hash of the job's file), the
 * cache of job file content hashes, and the problems already reported once.
 *
 * Small tables that ticks read far more often than they write; a BROKEN mark holds only for
 * the file content it was recorded for, so editing the file clears it (docs/design.md,
 * "Faults"). */
#include <stdlib.h>
#include <string.h>

#include "state_db.h"
#include "util.h"

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
	return db_write1(st, s);
}

int state_job_clear_broken(struct state *st, const char *type)
{
	sqlite3_stmt *s = db_stmt(st, Q_BROKEN_CLEAR);
	if (!s)
		return -1;
	bind_text(s, 1, type);
	return db_write1(st, s);
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
	return db_write1(st, s);
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
	return db_write1(st, s) ? -1 : 1;
}

int state_problem_clear(struct state *st, const char *key)
{
	sqlite3_stmt *s = db_stmt(st, Q_PROBLEM_CLEAR);
	if (!s)
		return -1;
	bind_text(s, 1, key);
	return db_write1(st, s);
}
