/* health.c - how every job and schedule entry is doing (health.h), for status and metrics.
 *
 * The project gives the jobs, their graph and their problems on disk; the database gives
 * what ran. Each is read once for all jobs (state_monitor.c), and the rows are filled by
 * binary searches in the sorted results, so that a project of thousands of jobs costs a
 * handful of queries.
 *
 * A job's result is that of the newest run it took part in: its own run as master job
 * (the run's state, but FAILED as soon as a chunk of the run failed for good, since the run
 * can only end FAILED then), or a later run of another job in which it ran as a dependency
 * (all of its chunks there: FAILED if any failed, whatever its last chunk did). A run with a
 * chunk RUNNING under a stau process that is no longer alive (its pid with another start
 * time, or none) is LOST: nobody will record its end, and the next tick recovers it
 * (docs/design.md, "Lost-runner recovery"). Whether the process lives is proc.h's question;
 * nothing here changes the state. */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"
#include "util.h"

const char *health_result_name(enum health_result r)
{
	static const char *const names[RESULT_N] = { "never run", "QUEUED",   "PENDING",
						     "RUNNING",	  "DONE",     "FAILED",
						     "CANCELED",  "LOST" };
	return (unsigned)r < RESULT_N ? names[r] : "?";
}

/* What the database says, sorted by job type or entry id for binary searches. */
struct reads {
	struct state_job_run *parts;
	size_t nparts;
	struct state_job_info *infos;
	size_t ninfos;
	struct state_entry *stored;
	size_t nstored;
	struct state_entry_count *counts;
	size_t ncounts;
};

static void reads_release(struct reads *r)
{
	state_job_runs_free(r->parts, r->nparts);
	state_job_infos_free(r->infos, r->ninfos);
	state_entries_free(r->stored, r->nstored);
	state_entry_counts_free(r->counts, r->ncounts);
}

static int reads_load(struct reads *r, struct health *h, struct state *st)
{
	return state_last_runs(st, &h->master_runs, &h->nmaster_runs) ||
	       state_job_runs_last(st, &r->parts, &r->nparts) ||
	       state_job_infos(st, &r->infos, &r->ninfos) ||
	       state_running_chunks(st, &h->running, &h->nrunning) ||
	       state_entries_all(st, &r->stored, &r->nstored) ||
	       state_entry_counts(st, &r->counts, &r->ncounts) ? -1 : 0;
}

/* Binary search by name in an array sorted by it (strcmp order, SQLite's BINARY too). */
static const void *find_by_name(const char *name, const void *base, size_t n, size_t size,
				size_t name_offset)
{
	size_t lo = 0, hi = n;
	while (name && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *item = (const char *)base + mid * size;
		int c = strcmp(name, *(char *const *)(item + name_offset));
		if (!c)
			return item;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

#define FIND(name, arr, n, type, field) \
	((const type *)find_by_name(name, arr, n, sizeof(type), offsetof(type, field)))

/* ---- BROKEN ---- */

/* Its header, an unknown dependency or a cycle: the job's own file problem (first one). */
static char *file_problem(const struct project *p, const struct job *job)
{
	if (job->broken)
		return xstrdup(job->broken);
	for (size_t i = 0; i < p->diags.n; i++)
		if (p->diags.v[i].file && job->path && !strcmp(p->diags.v[i].file, job->path))
			return diag_format(&p->diags.v[i]);
	return NULL;
}

/* A fatal exit recorded for the file's current content: the content hash is the one the
 * engine cached for its size and modification time; a file changed since has another. */
static int fatal_problem(struct state *st, const struct project *p, const struct job *job,
			 const struct state_job_info *info, char **why)
{
	struct stat sb;
	if (!info || !info->broken_hash || !job->path)
		return 0;
	char *path = xasprintf("%s/%s", p->dir, job->path);
	int rc = stat(path, &sb);
	free(path);
	if (rc)
		return 0;
	char *hash = NULL;
	int64_t mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	rc = state_file_hash_get(st, job->path, (int64_t)sb.st_size, mtime_ns, &hash);
	if (rc == 1 && !strcmp(hash, info->broken_hash))
		*why = xstrdup(info->broken_reason ? info->broken_reason
						   : "it ended with a fatal exit code");
	free(hash);
	return rc < 0 ? -1 : 0;
}

/* The first dependency of node n that is BROKEN itself (rows of the graph's nodes). */
static const struct health_job *broken_dependency(const struct health *h,
						  const struct graph_node *n)
{
	for (size_t k = 0; k < n->ndeps; k++) {
		const struct health_job *d = &h->jobs[n->deps[k].to->index];
		if (d->problem)
			return d;
	}
	return NULL;
}

/* Fills every row's problem; a job that needs a BROKEN job is BROKEN too (its runs fail at
 * once), which the graph's topological order settles in one pass. */
static int fill_problems(struct health *h, const struct project *p, struct state *st,
			 const struct reads *r)
{
	for (size_t i = 0; i < h->njobs; i++) {
		struct health_job *row = &h->jobs[i];
		const struct state_job_info *info =
			FIND(row->job->type, r->infos, r->ninfos, struct state_job_info, job);
		row->problem = file_problem(p, row->job);
		if (!row->problem && st && fatal_problem(st, p, row->job, info, &row->problem))
			return -1;
	}
	for (size_t i = 0; i < p->graph.n; i++) {
		const struct graph_node *n = p->graph.order[i];
		struct health_job *row = &h->jobs[n->index];
		const struct health_job *d = row->problem ? NULL : broken_dependency(h, n);
		if (d)
			row->problem = xasprintf("needs '%s', which is BROKEN", d->job->type);
	}
	return 0;
}

/* ---- results ---- */

/* The owner of a RUNNING chunk of run `run` (of job `job`; NULL: any) that is gone, or 0. */
static pid_t lost_owner(const struct health *h, int64_t run, const char *job)
{
	for (size_t i = 0; i < h->nrunning; i++) {
		const struct state_running *c = &h->running[i];
		if (c->run == run && (!job || !strcmp(job, c->job)) && !c->on_slurm &&
		    !proc_alive(&c->owner))
			return c->owner.pid > 0 ? c->owner.pid : -1;
	}
	return 0;
}

pid_t health_run_lost(const struct health *h, int64_t run)
{
	return lost_owner(h, run, NULL);
}

static void result_as_master(struct health_job *row, const struct state_run *m,
			     const struct health *h)
{
	static const enum health_result by_state[RUN_STATE_N] = {
		[RUN_QUEUED] = RESULT_QUEUED, [RUN_ACTIVE] = RESULT_RUNNING,
		[RUN_DONE] = RESULT_DONE,     [RUN_FAILED] = RESULT_FAILED,
		[RUN_CANCELED] = RESULT_CANCELED,
	};
	row->as_master = true;
	row->run = m->id;
	row->started = m->started;
	row->finished = m->finished;
	row->result = by_state[m->state];
	if (m->state == RUN_ACTIVE && (row->lost_owner = lost_owner(h, m->id, NULL)))
		row->result = RESULT_LOST;
	else if (m->state == RUN_ACTIVE && m->counts[CHUNK_FAILED])
		row->result = RESULT_FAILED;
}

static void result_as_dependency(struct health_job *row, const struct state_job_run *part,
				 const struct health *h)
{
	const size_t *n = part->counts;
	row->run = part->run;
	row->started = part->started;
	row->finished = n[CHUNK_RUNNING] || n[CHUNK_PENDING] ? 0 : part->finished;
	if (n[CHUNK_FAILED])
		row->result = RESULT_FAILED;
	else if (n[CHUNK_RUNNING])
		row->result = (row->lost_owner = lost_owner(h, part->run, row->job->type))
				      ? RESULT_LOST : RESULT_RUNNING;
	else if (n[CHUNK_PENDING])
		row->result = RESULT_PENDING;
	else if (n[CHUNK_CANCELED])
		row->result = RESULT_CANCELED;
	else
		row->result = RESULT_DONE;
}

static void fill_result(struct health_job *row, const struct health *h, const struct reads *r)
{
	const char *type = row->job->type;
	const struct state_run *m =
		FIND(type, h->master_runs, h->nmaster_runs, struct state_run, job);
	const struct state_job_run *part =
		FIND(type, r->parts, r->nparts, struct state_job_run, job);
	const struct state_job_info *info =
		FIND(type, r->infos, r->ninfos, struct state_job_info, job);
	row->master_run = m;
	if (part && (!m || part->run > m->id))
		result_as_dependency(row, part, h);
	else if (m)
		result_as_master(row, m, h);
	if (info) {
		row->last_success = info->last_success;
		row->failed_chunks = info->failed_chunks;
		row->failed_runs = info->failed_runs;
		row->pending = info->pending;
		row->running = info->running;
	}
}

/* ---- fresh IDs ---- */

/* The largest max_lag on an edge to job type `type`: how old a result its dependents keep. */
static int64_t largest_lag(const struct project *p, const char *type)
{
	int64_t lag = 0;
	for (size_t i = 0; i < p->graph.n; i++) {
		const struct graph_node *n = &p->graph.nodes[i];
		for (size_t k = 0; k < n->ndeps; k++)
			if (!strcmp(n->deps[k].to->job->type, type) && n->deps[k].dep->max_lag > lag)
				lag = n->deps[k].dep->max_lag;
	}
	return lag;
}

static int count_fresh(struct health_job *row, const struct project *p, struct state *st,
		       char *err, size_t errlen)
{
	struct state_run run;
	int rc = state_run_get(st, row->run, &run);
	if (rc <= 0 || !run.has_ids) {
		if (rc > 0)
			state_run_release(&run);
		if (rc < 0)
			snprintf(err, errlen, "%s", state_errmsg(st));
		return rc < 0 ? -1 : 0;
	}
	int64_t *ids = NULL, *fin = NULL;
	size_t n = 0;
	struct freshness_src src = state_freshness_src(st);
	rc = state_run_ids(st, row->run, &ids, &n);
	if (rc)
		snprintf(err, errlen, "%s", state_errmsg(st));
	if (!rc && n) {
		fin = xcalloc(n, sizeof(*fin));
		rc = src.per_ids(src.ctx, row->job->type, ids, n, fin, err, errlen);
	}
	int64_t since = run.created - largest_lag(p, row->job->type);
	for (size_t i = 0; !rc && i < n; i++)
		row->fresh_ids += fin[i] && fin[i] >= since;
	row->ids_known = !rc;
	row->nids = n;
	free(ids);
	free(fin);
	state_run_release(&run);
	return rc ? -1 : 0;
}

/* ---- entries ---- */

/* The row of job type `type`, for changing it. */
static struct health_job *row_of(struct health *h, const char *type)
{
	const struct health_job *row = health_find(h, type);
	return row ? &h->jobs[row - h->jobs] : NULL;
}

static void fill_entry(struct health_entry *he, struct health *h, const struct project *p,
		       const struct reads *r, int64_t now)
{
	const struct entry *e = he->e;
	const struct state_entry *se = FIND(e->id, r->stored, r->nstored, struct state_entry, id);
	const struct state_entry_count *c =
		FIND(e->id, r->counts, r->ncounts, struct state_entry_count, entry);
	struct health_job *job = row_of(h, e->job);
	bool usable = e->enabled && e->trigger_text && !e->problem && p->sched_ok;
	he->next = usable ? trigger_next(&e->trigger, now) : -1;
	he->last_handled = se ? se->last_handled : INT64_MIN;
	he->last_missed = se ? se->last_missed : INT64_MIN;
	he->last_skipped = se ? se->last_skipped : INT64_MIN;
	he->missed = c ? c->missed : 0;
	he->skipped = c ? c->skipped : 0;
	if (!p->sched_ok)
		he->problem = "schedule.yaml cannot be used: nothing is scheduled until it is fixed";
	else if (e->problem)
		he->problem = e->problem;
	else if (!job)
		he->problem = "its job has no file in jobs/";
	else if (job->problem)
		he->problem = "its job is BROKEN";
	if (job && he->next >= 0 && (job->next < 0 || he->next < job->next)) {
		job->next = he->next;
		job->next_entry = e;
	}
}

/* ---- the whole ---- */

static size_t count_schedule_problems(const struct project *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->diags.n; i++)
		n += p->diags.v[i].file && !strcmp(p->diags.v[i].file, "schedule.yaml");
	return n ? n : !p->sched_ok;
}

static int fill(struct health *h, const struct project *p, struct state *st, int64_t now,
		unsigned flags, char *err, size_t errlen)
{
	struct reads r = { 0 };
	int rc = st && reads_load(&r, h, st) ? -1 : 0;
	if (rc || fill_problems(h, p, st, &r)) {
		snprintf(err, errlen, "%s", st ? state_errmsg(st) : "");
		reads_release(&r);
		return -1;
	}
	for (size_t i = 0; i < h->njobs; i++)
		fill_result(&h->jobs[i], h, &r);
	for (size_t i = 0; !rc && st && (flags & HEALTH_FRESH_IDS) && i < h->njobs; i++)
		if (h->jobs[i].run)
			rc = count_fresh(&h->jobs[i], p, st, err, errlen);
	for (size_t i = 0; i < h->nentries; i++)
		fill_entry(&h->entries[i], h, p, &r, now);
	reads_release(&r);
	return rc;
}

int health_read(struct health *h, const struct project *p, struct state *st, int64_t now,
		unsigned flags, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->database = st != NULL;
	h->njobs = p->njobs;
	h->jobs = xcalloc(p->njobs ? p->njobs : 1, sizeof(*h->jobs));
	for (size_t i = 0; i < p->njobs; i++) {
		h->jobs[i].job = &p->jobs[i];
		h->jobs[i].next = -1;
	}
	h->nentries = p->sched.nentries;
	h->entries = xcalloc(h->nentries ? h->nentries : 1, sizeof(*h->entries));
	for (size_t i = 0; i < h->nentries; i++)
		h->entries[i].e = &p->sched.entries[i];
	h->schedule_problems = count_schedule_problems(p);
	h->schedule_stopped = !p->sched_ok;
	int rc = fill(h, p, st, now, flags, err, errlen);
	if (rc)
		health_release(h);
	return rc;
}

void health_release(struct health *h)
{
	for (size_t i = 0; i < h->njobs; i++)
		free(h->jobs[i].problem);
	free(h->jobs);
	free(h->entries);
	state_runs_free(h->master_runs, h->nmaster_runs);
	state_running_free(h->running, h->nrunning);
	memset(h, 0, sizeof(*h));
}

const struct health_job *health_find(const struct health *h, const char *type)
{
	size_t lo = 0, hi = h->njobs;
	while (type && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(type, h->jobs[mid].job->type);
		if (!c)
			return &h->jobs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
