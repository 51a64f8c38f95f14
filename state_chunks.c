/* state_chunks.c - chunks in the state store: claiming, finishing (what a finish releases or
 * cancels, and the end of its run), reading one chunk, and recovering orphans (whose owners'
 * liveness the caller answers: this file only reads and writes the database).
 *
 * The engine's hot path: a claim and a finish are one transaction each, and each costs the
 * same for the first and the thousandth chunk of a run (state.c's design comment says how). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_db.h"
#include "util.h"

/* ---- chunks ---- */

void state_chunk_release(struct state_chunk *c)
{
	free(c->job);
	free(c->kwargs);
	free(c->ids);
	free(c->log_path);
	free(c->tail);
	free(c->message);
	free(c->entry);
	free(c->deps);
	memset(c, 0, sizeof(*c));
}

void state_chunks_free(struct state_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_chunk_release(&c[i]);
	free(c);
}

int db_chunk_from_row(struct state *st, sqlite3_stmt *s, bool with_ids, struct state_chunk *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->run = sqlite3_column_int64(s, 1);
	c->task = (size_t)sqlite3_column_int64(s, 2);
	c->job = col_str(s, 3);
	c->kwargs = col_str(s, 4);
	c->index = (size_t)sqlite3_column_int64(s, 5);
	c->count = (size_t)sqlite3_column_int64(s, 6);
	c->nids = (size_t)sqlite3_column_int64(s, 7);
	c->has_ids = sqlite3_column_int(s, 8);
	c->state = (enum chunk_state)db_name_index(chunk_names, CHUNK_STATE_N,
						sqlite3_column_text(s, 9));
	c->attempt = sqlite3_column_int(s, 10);
	c->not_before = sqlite3_column_int64(s, 11);
	c->owner.pid = (pid_t)sqlite3_column_int64(s, 12);
	c->owner.start = sqlite3_column_int64(s, 13);
	c->child = (pid_t)sqlite3_column_int64(s, 14);
	c->exit_code = (int)col_time(s, 15, -1);
	c->signal = sqlite3_column_int(s, 16);
	c->started = col_time(s, 17, 0);
	c->finished = col_time(s, 18, 0);
	c->duration_ms = col_time(s, 19, 0);
	c->log_path = col_str(s, 20);
	c->tail = col_str(s, 21);
	c->message = col_str(s, 22);
	c->entry = col_str(s, 23);
	c->scheduled_for = col_time(s, 24, INT64_MIN);
	if (!with_ids)
		return 0;
	size_t n;
	if (db_col_ids(st, s, 25, &c->ids, &n)) {
		state_chunk_release(c);
		return -1;
	}
	c->nids = n;
	return 0;
}

int state_chunk_get(struct state *st, int64_t id, struct state_chunk *out)
{
	sqlite3_stmt *s = db_stmt(st, Q_CHUNK_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = db_step(st, s);
	if (rc != 1)
		return rc;
	rc = db_chunk_from_row(st, s, true, out);
	sqlite3_reset(s);
	return rc ? -1 : 1;
}

static int count_running(struct state *st, const char *job, int64_t *n)
{
	sqlite3_stmt *s = db_stmt(st, job ? Q_RUNNING_JOB : Q_RUNNING_ALL);
	if (!s)
		return -1;
	if (job)
		bind_text(s, 1, job);
	return db_scalar(st, s, 0, n);
}

int state_running_count(struct state *st, const char *job, int64_t *n)
{
	return count_running(st, job, n);
}

/* Per-claim memory of the job types found at their limit. */
struct job_slots {
	char **full;
	size_t n, cap;
};

static bool slots_full(const struct job_slots *js, const char *job)
{
	for (size_t i = 0; i < js->n; i++)
		if (!strcmp(js->full[i], job))
			return true;
	return false;
}

/* Whether a chunk of job may start under its max_parallel (a negative limit: never, in this
 * claim): 1 yes, 0 no, -1 error. */
static int job_has_slot(struct state *st, const struct state_claim *req, struct job_slots *js,
			const char *job)
{
	if (!req->job_limit)
		return 1;
	if (slots_full(js, job))
		return 0;
	int64_t limit = req->job_limit(req->ctx, job), n = 0;
	if (!limit)
		return 1;
	if (limit > 0 && count_running(st, job, &n))
		return -1;
	if (limit > 0 && n < limit)
		return 1;
	grow(&js->full, &js->cap, js->n + 1, sizeof(*js->full));
	js->full[js->n++] = xstrdup(job);
	return 0;
}

/* The id of the oldest claimable chunk into *id (0: none). */
static int pick_ready(struct state *st, const struct state_claim *req, int64_t now, int64_t *id)
{
	struct job_slots js = { NULL, 0, 0 };
	sqlite3_stmt *s = db_stmt(st, req->run ? Q_READY_RUN : Q_READY);
	if (!s)
		return -1;
	if (req->run)
		sqlite3_bind_int64(s, 1, req->run);
	int rc;
	*id = 0;
	while ((rc = db_step(st, s)) == 1) {
		if (sqlite3_column_int64(s, 2) > now)
			continue;
		rc = job_has_slot(st, req, &js, (const char *)sqlite3_column_text(s, 1));
		if (rc < 0)
			break;
		if (rc == 1) {
			*id = sqlite3_column_int64(s, 0);
			break;
		}
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < js.n; i++)
		free(js.full[i]);
	free(js.full);
	return rc < 0 ? -1 : 0;
}

static int claim_locked(struct state *st, const struct state_claim *req, int64_t now,
			struct state_chunk *out)
{
	int64_t running, id;
	if (req->max_running > 0) {
		if (count_running(st, NULL, &running))
			return -1;
		if (running >= req->max_running)
			return 0;
	}
	if (pick_ready(st, req, now, &id))
		return -1;
	if (!id)
		return 0;
	sqlite3_stmt *s = db_stmt(st, Q_CLAIM);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, req->owner.pid);
	sqlite3_bind_int64(s, 3, req->owner.start);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_text(s, 5, st->log_root, -1, SQLITE_STATIC);
	if (db_exec(st, s))
		return -1;
	return state_chunk_get(st, id, out) == 1 ? 1 : -1;
}

int state_claim_ready_chunk(struct state *st, const struct state_claim *req, int64_t now,
			    struct state_chunk *out)
{
	memset(out, 0, sizeof(*out));
	if (state_begin(st))
		return -1;
	int rc = db_finish_tx(st, claim_locked(st, req, now, out));
	if (rc < 0 && out->job) /* claimed and read, but the commit failed */
		state_chunk_release(out);
	return rc;
}

int state_chunk_set_child(struct state *st, int64_t id, pid_t child)
{
	if (state_begin(st))
		return -1;
	sqlite3_stmt *s = db_stmt(st, Q_CHUNK_SET_CHILD);
	int rc = -1;
	if (s) {
		sqlite3_bind_int64(s, 1, child);
		sqlite3_bind_int64(s, 2, id);
		rc = db_exec(st, s) ? -1 : sqlite3_changes(st->db) > 0;
	}
	return db_finish_tx(st, rc);
}

int state_next_retry(struct state *st, int64_t run, int64_t now, int64_t *t)
{
	sqlite3_stmt *s = db_stmt(st, run ? Q_NEXT_RETRY_RUN : Q_NEXT_RETRY);
	if (!s)
		return -1;
	if (run) {
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, now);
	} else {
		sqlite3_bind_int64(s, 1, now);
	}
	return db_scalar(st, s, 0, t);
}

/* "1 chunk failed", "2 chunks failed, 3 canceled", "1 chunk canceled". */
static char *failure_summary(const size_t *counts)
{
	size_t f = counts[CHUNK_FAILED], c = counts[CHUNK_CANCELED];
	if (f && c)
		return xasprintf("%zu chunk%s failed, %zu canceled", f, f == 1 ? "" : "s", c);
	if (f)
		return xasprintf("%zu chunk%s failed", f, f == 1 ? "" : "s");
	return xasprintf("%zu chunk%s canceled", c, c == 1 ? "" : "s");
}

/* Ends run id when none of its chunks is PENDING or RUNNING; *ended gets its new state. */
static int maybe_end_run(struct state *st, int64_t id, int64_t now, enum run_state *ended)
{
	struct state_run r = { .id = id };
	enum run_state rs;
	*ended = RUN_ACTIVE;
	sqlite3_stmt *s = db_stmt(st, Q_RUN_HAS_OPEN);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int open = db_exists(st, s); /* cheap; counting every chunk is not, in a big run */
	if (open)
		return open < 0 ? -1 : 0;
	if (db_run_counts(st, &r) || db_run_state_of(st, id, &rs))
		return -1;
	if (rs != RUN_ACTIVE) {
		*ended = rs;
		return 0;
	}
	if (!r.counts[CHUNK_FAILED] && !r.counts[CHUNK_CANCELED]) {
		*ended = RUN_DONE;
		return db_run_end(st, id, RUN_DONE, NULL, now);
	}
	char *msg = failure_summary(r.counts);
	*ended = RUN_FAILED;
	int rc = db_run_end(st, id, RUN_FAILED, msg, now);
	free(msg);
	return rc;
}

/* Binds the common outcome columns ?1..?7 and ?9 of Q_CHUNK_DONE/RETRY/FAILED. */
static void bind_outcome(sqlite3_stmt *s, int64_t id, const struct state_result *res, int64_t now,
			 bool with_tail)
{
	int i = 1;
	sqlite3_bind_int64(s, i++, id);
	sqlite3_bind_int64(s, i++, now);
	if (res->exit_code >= 0)
		sqlite3_bind_int(s, i++, res->exit_code);
	else
		sqlite3_bind_null(s, i++);
	sqlite3_bind_int(s, i++, res->signal);
	sqlite3_bind_int64(s, i++, res->duration_ms);
	if (with_tail)
		bind_text(s, i++, res->tail);
	bind_text(s, i, res->message);
	bind_text(s, 9, res->file_hash);
}

/* The dependents of DONE chunk id have one dependency fewer to wait for. */
static int release_dependents(struct state *st, int64_t id)
{
	sqlite3_stmt *s = db_stmt(st, Q_DEPENDENTS_OF), *u = db_stmt(st, Q_DEPENDENT_READY);
	if (!s || !u)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(s, 0));
		if (db_exec(st, u)) {
			rc = -1;
			break;
		}
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

/* The chunks downstream of FAILED chunk id that have not started are canceled. */
static int cancel_downstream(struct state *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = db_stmt(st, Q_CANCEL_DOWNSTREAM);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return db_exec(st, s);
}

/* state_chunk_finish inside a transaction. */
static int finish_locked(struct state *st, int64_t id, const struct state_result *res,
			 int64_t now, enum run_state *ended)
{
	sqlite3_stmt *s = db_stmt(st, Q_CHUNK_BRIEF);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = db_step(st, s);
	if (rc <= 0)
		return rc < 0 ? -1 : db_fail(st, "no chunk %lld in '%s'", (long long)id, DB_SHOWN);
	int64_t run = sqlite3_column_int64(s, 0);
	char *job = col_str(s, 1);
	enum chunk_state cs = (enum chunk_state)db_name_index(chunk_names, CHUNK_STATE_N,
							   sqlite3_column_text(s, 2));
	int64_t *ids = NULL;
	size_t n = 0;
	enum run_state rs;
	rc = cs != CHUNK_RUNNING ? db_fail(st, "chunk %lld is %s, not RUNNING", (long long)id,
					 chunk_names[cs])
				 : db_col_ids(st, s, 3, &ids, &n);
	sqlite3_reset(s);
	if (!rc && res->ok) {
		s = db_stmt(st, Q_CHUNK_DONE);
		rc = -1;
		if (s) {
			bind_outcome(s, id, res, now, false);
			rc = db_exec(st, s);
		}
		if (!rc)
			rc = db_record_success(st, job, run, ids, n, now);
		if (!rc)
			rc = release_dependents(st, id);
	} else if (!rc && !(rc = db_run_state_of(st, run, &rs))) {
		bool retry = res->retry_at > 0 && rs == RUN_ACTIVE;
		s = db_stmt(st, retry ? Q_CHUNK_RETRY : Q_CHUNK_FAILED);
		rc = -1;
		if (s) {
			bind_outcome(s, id, res, now, true);
			if (retry)
				sqlite3_bind_int64(s, 8, res->retry_at);
			rc = db_exec(st, s);
		}
		if (!rc && !retry)
			rc = cancel_downstream(st, id, now);
	}
	if (!rc)
		rc = maybe_end_run(st, run, now, ended);
	free(job);
	free(ids);
	return rc;
}

int state_chunk_finish(struct state *st, int64_t id, const struct state_result *res,
		       int64_t now, enum run_state *run_ended)
{
	enum run_state ended = RUN_ACTIVE;
	if (state_begin(st))
		return -1;
	int rc = db_finish_tx(st, finish_locked(st, id, res, now, &ended));
	if (run_ended)
		*run_ended = ended;
	return rc;
}

/* ---- orphans ---- */

struct orphan {
	struct state_owned c;
	char *job;
};

/* The RUNNING chunks whose owner is gone, into a new array. */
static int find_orphans(struct state *st, const struct state_recovery *how, struct orphan **out,
			size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = db_stmt(st, Q_RUNNING_OWNERS);
	if (!s)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		struct state_owned c = { .id = sqlite3_column_int64(s, 0),
					 .attempt = sqlite3_column_int(s, 2),
					 .owner = { (pid_t)sqlite3_column_int64(s, 3),
						    sqlite3_column_int64(s, 4) },
					 .child = (pid_t)sqlite3_column_int64(s, 5),
					 .run = sqlite3_column_int64(s, 6),
					 .slurm = sqlite3_column_int(s, 7),
					 .slurm_job = col_time(s, 8, 0) };
		if (how->alive(how->alive_ctx, &c))
			continue;
		grow(out, &cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = (struct orphan){ .c = c, .job = col_str(s, 1) };
	}
	return rc;
}

static void orphans_free(struct orphan *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].job);
	free(v);
}

static int recover_locked(struct state *st, int64_t now, const struct state_recovery *how,
			  struct state_owned **lost)
{
	struct orphan *v;
	size_t n;
	int rc = find_orphans(st, how, &v, &n); /* again, under the lock */
	for (size_t i = 0; !rc && i < n; i++) {
		struct state_result res = { .exit_code = -1, .message = "runner lost" };
		if (how->retry)
			res.retry_at = how->retry(how->retry_ctx, v[i].job, v[i].c.attempt, now);
		enum run_state ended;
		rc = finish_locked(st, v[i].c.id, &res, now, &ended);
	}
	*lost = !rc && n ? xcalloc(n, sizeof(**lost)) : NULL;
	for (size_t i = 0; *lost && i < n; i++)
		(*lost)[i] = v[i].c;
	orphans_free(v, n);
	return rc < 0 ? -1 : (int)n;
}

int state_recover_orphans(struct state *st, int64_t now, const struct state_recovery *how,
			  struct state_owned **lost)
{
	struct orphan *v;
	struct state_owned *found = NULL;
	size_t n;
	if (lost)
		*lost = NULL;
	/* a cheap look without the lock first: nearly always there is nothing to recover */
	int rc = find_orphans(st, how, &v, &n);
	orphans_free(v, n);
	if (rc < 0 || n == 0)
		return rc;
	if (state_begin(st))
		return -1;
	rc = db_finish_tx(st, recover_locked(st, now, how, &found));
	if (rc >= 0 && lost)
		*lost = found;
	else
		free(found);
	return rc;
}
