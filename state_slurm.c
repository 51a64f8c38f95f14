/* state_slurm.c - chunks that run as Slurm batch jobs: the job id of each attempt, and
 * recording an outcome exactly once whichever stau process learns it (state.h, "chunks as
 * Slurm batch jobs"; docs/design.md, "Slurm").
 *
 * The table chunk_slurm (schema v4) has one row per chunk whose last attempt went to Slurm.
 * It stands beside chunks rather than in it: the ids column stays the last of a chunk's row
 * (state.c's design comment), and local chunks, nearly all of them, pay nothing. The few
 * statements here run once per Slurm chunk or once per poll of the cluster, so they are
 * prepared where they are used. */
#include <stdlib.h>
#include <string.h>

#include "state_db.h"
#include "util.h"

/* Prepares sql on st's connection: the statement, or NULL with st->errmsg set. */
static sqlite3_stmt *prep(struct state *st, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) {
		db_error(st);
		return NULL;
	}
	return s;
}

/* Whether the query sql finds a row for chunk id's attempt (?1, ?2) and, when job_id is not
 * 0, Slurm job job_id (?3): 1, 0, or -1. */
static int attempt_matches(struct state *st, const char *sql, int64_t id, int attempt,
			   int64_t job_id)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, attempt);
	if (job_id)
		sqlite3_bind_int64(s, 3, job_id);
	int rc = db_exists(st, s);
	sqlite3_finalize(s);
	return rc;
}

/* Runs prepared s to its end and finalizes it: 0, or -1. */
static int run_once(struct state *st, sqlite3_stmt *s)
{
	int rc = db_exec(st, s);
	sqlite3_finalize(s);
	return rc;
}

int state_chunk_set_slurm(struct state *st, int64_t id, int attempt, int64_t job_id,
			  int64_t now)
{
	if (state_begin(st))
		return -1;
	int rc = attempt_matches(st, "SELECT 1 FROM chunks c JOIN runs r ON r.id = c.run"
				 " WHERE c.id = ?1 AND c.attempt = ?2 AND c.state = 'RUNNING'"
				 " AND r.state = 'ACTIVE'", id, attempt, 0);
	if (rc == 1) {
		sqlite3_stmt *s = prep(st, "INSERT OR REPLACE INTO chunk_slurm (chunk, attempt, executor, job_id,"
			     " submitted) VALUES (?1, ?2, 'slurm', ?3, ?4)");
		rc = s ? 1 : -1;
		if (s) {
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_int(s, 2, attempt);
			if (job_id > 0) {
				sqlite3_bind_int64(s, 3, job_id);
				sqlite3_bind_int64(s, 4, now);
			}
			rc = run_once(st, s) ? -1 : 1;
		}
	}
	return db_finish_tx(st, rc);
}

void state_slurm_chunks_free(struct state_slurm_chunk *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].job);
		free(v[i].log_path);
	}
	free(v);
}

int state_slurm_running(struct state *st, int64_t run, struct state_slurm_chunk **out,
			size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, "SELECT c.id, c.run, c.attempt, c.job, c.log_path, c.started,"
				   " s.job_id FROM chunks c INDEXED BY chunks_running JOIN"
				   " chunk_slurm s ON s.chunk = c.id AND s.attempt = c.attempt"
				   " WHERE c.state = 'RUNNING' AND (?1 = 0 OR c.run = ?1)"
				   " ORDER BY c.id");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	size_t cap = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(out, &cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = (struct state_slurm_chunk){
			.id = sqlite3_column_int64(s, 0), .run = sqlite3_column_int64(s, 1),
			.attempt = sqlite3_column_int(s, 2), .job = col_str(s, 3),
			.log_path = col_str(s, 4), .started = col_time(s, 5, 0),
			.slurm_job = col_time(s, 6, 0) };
	}
	sqlite3_finalize(s);
	if (rc < 0) {
		state_slurm_chunks_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc < 0 ? -1 : 0;
}

int state_slurm_finish(struct state *st, int64_t id, int attempt, int64_t job_id,
		       const struct state_result *res, int64_t now, enum run_state *run_ended)
{
	if (run_ended)
		*run_ended = RUN_ACTIVE;
	if (state_begin(st))
		return -1;
	int rc = attempt_matches(st, "SELECT 1 FROM chunks c JOIN chunk_slurm s ON s.chunk = c.id"
				 " AND s.attempt = c.attempt WHERE c.id = ?1 AND c.attempt = ?2"
				 " AND c.state = 'RUNNING' AND s.job_id = ?3", id, attempt, job_id);
	if (rc == 1 && state_chunk_finish(st, id, res, now, run_ended))
		rc = -1;
	return db_finish_tx(st, rc);
}

int state_chunk_slurm(struct state *st, int64_t id, int attempt, int64_t *job_id)
{
	sqlite3_stmt *s = prep(st, "SELECT coalesce(s.job_id, 0) FROM chunk_slurm s JOIN chunks c"
				   " ON c.id = s.chunk WHERE s.chunk = ?1 AND s.attempt ="
				   " (CASE WHEN ?2 > 0 THEN ?2 ELSE c.attempt END)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, attempt);
	int rc = db_step(st, s);
	if (rc == 1)
		*job_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc;
}
