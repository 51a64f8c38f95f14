/* engine_runs.c - runs: queueing them, expanding them into chunks, and lost-runner recovery.
 *
 * A run is born QUEUED (engine_queue_run: the IDs and kwargs it was asked for) and becomes
 * ACTIVE when it is expanded into chunks (engine_expand: plan.c's expansion stored in one
 * transaction). Expansion is apart from the run loop in engine.c because a command expands
 * before it runs anything, and may have to wait: a run whose dependencies have open chunks in
 * another run is expanded only once those have ended, so that its freshness checks see their
 * outcomes; a run that needs a missing or broken job fails at once, and one whose select_work
 * gave no IDs is canceled with "no work". */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_select.h"
#include "plan.h"
#include "util.h"

int engine_queue_run(struct state *st, const struct project *p, const struct engine_new_run *r,
		     int64_t now, int64_t *id, char *err, size_t errlen)
{
	struct state_run_new n = { .job = r->job, .entry = r->entry, .fire_time = r->fire_time,
				   .kwargs = r->kwargs, .ids = r->ids, .nids = r->nids,
				   .has_ids = r->has_ids, .git = r->git, .force = r->force };
	(void)p;
	if (state_begin(st))
		goto fail;
	if (state_run_create(st, &n, now, id))
		goto rollback;
	if (r->fail && state_run_fail(st, *id, r->fail, now))
		goto rollback;
	if (!state_commit(st))
		return 0;
	goto fail;
rollback:
	state_rollback(st);
fail:
	snprintf(err, errlen, "%s", state_errmsg(st));
	return -1;
}

/* The interpreter of a select_work: {python: FUNC}, as for main_func chunks. */
static const char *select_python(const struct project *p)
{
	const char *py = p->sched.settings.python;
	if (!py || !*py)
		py = getenv("STAU_PYTHON");
	return py && *py ? py : "python3";
}

int engine_select_work(const struct project *p, const struct job *master, const char *kwargs,
		       struct idlist *ids, bool *has_ids, char *err, size_t errlen)
{
	const struct select_work *sw = &master->select_work;
	int64_t timeout = sw->timeout > 0 ? sw->timeout : SELECT_WORK_TIMEOUT;
	struct workids_select o = { .dir = p->dir, .kwargs_json = kwargs,
				    .timeout_ms = timeout * 1000 };
	*has_ids = sw->kind != SELECT_NONE;
	int rc = 0;
	if (sw->kind == SELECT_COMMAND)
		rc = workids_from_command(sw->argv, &o, ids, err, errlen);
	else if (sw->kind == SELECT_SQLITE)
		rc = workids_from_sqlite(sw->sqlite_path, sw->query, &o, ids, err, errlen);
	else if (sw->kind == SELECT_PYTHON)
		rc = exec_select_python(&(struct exec_select){ .python = select_python(p),
				.job_file = master->path, .func = sw->func, .select = o },
				ids, err, errlen);
	return rc;
}

/* The job types a run of master needs (in graph g), master first, each once. */
static void needed_types(const struct graph *g, const struct graph_node *master,
			 struct strvec *out)
{
	const struct graph_node **stack = NULL;
	bool *seen = xcalloc(g->n, sizeof(*seen)); /* by node index: 10,000 types are common */
	size_t n = 0, cap = 0;
	grow(&stack, &cap, 1, sizeof(*stack));
	stack[n++] = master;
	while (n) {
		const struct graph_node *node = stack[--n];
		if (seen[node->index])
			continue;
		seen[node->index] = true;
		strvec_push(out, xstrdup(node->job->type));
		for (size_t i = node->ndeps; i-- > 0;) {
			grow(&stack, &cap, n + 1, sizeof(*stack));
			stack[n++] = node->deps[i].to;
		}
	}
	free(seen);
	free(stack);
}

/* Whether edge dep requires results of the current code, in project p. */
static bool wants_same_code(const struct project *p, const struct dep *dep)
{
	return dep->same_code < 0 ? p->sched.settings.fresh_requires_same_code : dep->same_code;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The types (sorted, unique) that an edge among the jobs master needs reaches with
 * fresh_requires_same_code. */
static void same_code_types(const struct project *p, const struct graph_node *master,
			    struct strvec *out)
{
	struct strvec needed = { 0 };
	needed_types(&p->graph, master, &needed);
	for (size_t i = 0; i < needed.n; i++) {
		const struct graph_node *n = graph_find(&p->graph, needed.v[i]);
		for (size_t k = 0; n && k < n->ndeps; k++)
			if (wants_same_code(p, n->deps[k].dep))
				strvec_push(out, xstrdup(n->deps[k].to->job->type));
	}
	strvec_release(&needed);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str_ptr);
	size_t u = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (u && !strcmp(out->v[u - 1], out->v[i]))
			free(out->v[i]);
		else
			out->v[u++] = out->v[i];
	}
	out->n = u;
}

int engine_freshness(struct state *st, const struct project *p, const struct graph_node *master,
		     struct engine_freshness *f, struct freshness_src *src, char *err,
		     size_t errlen)
{
	struct strvec types = { 0 };
	memset(f, 0, sizeof(*f));
	same_code_types(p, master, &types);
	f->codes = xcalloc(types.n + 1, sizeof(*f->codes));
	f->types = types.v;
	size_t n = 0;
	for (size_t i = 0; i < types.n; i++) {
		const struct job *job = project_job(p, types.v[i]);
		char *hash = NULL;
		int rc = job && job->path ? engine_file_hash(st, p->dir, job->path, &hash, err, errlen)
					  : 1;
		if (rc < 0) {
			f->req.n = types.n;
			engine_freshness_release(f);
			return -1;
		}
		/* a file that cannot be read keeps no code: any result of it is stale */
		if (!hash || !state_code_of(hash, &f->codes[i]))
			f->codes[i] = 0;
		free(hash);
		n++;
	}
	f->req = (struct state_code_req){ st, (const char *const *)f->types, f->codes, n };
	*src = n ? state_freshness_src_code(&f->req) : state_freshness_src(st);
	return 0;
}

void engine_freshness_release(struct engine_freshness *f)
{
	for (size_t i = 0; i < f->req.n; i++)
		free(f->types[i]);
	free(f->types);
	free(f->codes);
	memset(f, 0, sizeof(*f));
}

/* Ends QUEUED run id with why (taken): CANCELED for "no work", else FAILED. Only a run that
 * is still QUEUED is touched (another process may have expanded it meanwhile). */
static int end_queued(struct state *st, int64_t id, char *why, int64_t now, char **why_out,
		      char *err, size_t errlen)
{
	struct state_run r;
	int rc = state_begin(st);
	if (!rc) {
		int got = state_run_get(st, id, &r);
		rc = got < 0 ? -1 : 0;
		if (got == 1 && r.state == RUN_QUEUED)
			rc = !strcmp(why, "no work")
				     ? state_run_cancel(st, id, why, now, NULL, NULL)
				     : state_run_fail(st, id, why, now);
		if (got == 1)
			state_run_release(&r);
		rc = rc ? (state_rollback(st), -1) : state_commit(st);
	}
	if (rc) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		free(why);
		return -1;
	}
	if (why_out)
		*why_out = why;
	else
		free(why);
	return EXPAND_ENDED;
}

/* Why run id cannot expand yet or at all: a job it needs is missing or broken (*fatal), or
 * a dependency has open chunks in another run. *why NULL: go ahead. */
static int expand_blockers(struct state *st, const struct project *p, int64_t id,
			   const struct graph_node *master, char **why, bool *fatal, char *err,
			   size_t errlen)
{
	struct strvec types = { 0 };
	needed_types(&p->graph, master, &types);
	int rc = 0;
	*why = NULL;
	*fatal = true;
	for (size_t i = 0; !rc && !*why && i < types.n; i++)
		rc = engine_job_problem(st, p, types.v[i], why, err, errlen);
	for (size_t i = 1; !rc && !*why && i < types.n; i++) {
		int open = state_job_has_open_chunks(st, types.v[i], id);
		if (open < 0) {
			snprintf(err, errlen, "%s", state_errmsg(st));
			rc = -1;
		} else if (open) {
			*why = xasprintf("waits for chunks of '%s' in another run", types.v[i]);
			*fatal = false;
		}
	}
	strvec_release(&types);
	return rc;
}

/* The content hash of the file of each job type of plan, "JOB", "HASH" pairs into code (a
 * file that cannot be read is left out: its chunk fails when it starts). Returns 0 or -1. */
static int plan_code(struct state *st, const struct project *p, const struct plan *plan,
		     struct strvec *code)
{
	char err[256];
	for (size_t i = 0; i < plan->ntasks; i++) {
		const struct job *job = plan->tasks[i].node->job;
		bool seen = false;
		for (size_t k = 0; k < code->n && !seen; k += 2)
			seen = !strcmp(code->v[k], job->type);
		char *hash = NULL;
		int rc = seen || !job->path ? 0
			 : engine_file_hash(st, p->dir, job->path, &hash, err, sizeof(err));
		if (rc < 0)
			return -1;
		if (hash) {
			strvec_push(code, xstrdup(job->type));
			strvec_push(code, hash);
		}
	}
	return 0;
}

/* Stores plan for run id if it is still QUEUED, with the code it runs. */
static int activate(struct state *st, const struct project *p, int64_t id,
		    const struct plan *plan, int64_t now)
{
	struct state_run r;
	struct strvec code = { 0 };
	if (plan_code(st, p, plan, &code) || state_begin(st)) {
		strvec_release(&code);
		return -1;
	}
	int got = state_run_get(st, id, &r);
	int rc = got < 0 ? -1 : 0;
	bool queued = got == 1 && r.state == RUN_QUEUED;
	if (got == 1)
		state_run_release(&r);
	if (!rc && queued)
		rc = state_run_activate(st, id, plan, now);
	for (size_t k = 0; !rc && queued && k < code.n; k += 2)
		rc = state_run_code_set(st, id, code.v[k], code.v[k + 1]);
	strvec_release(&code);
	if (rc) {
		state_rollback(st);
		return -1;
	}
	return state_commit(st) ? -1 : queued ? EXPAND_ACTIVE : EXPAND_ENDED;
}

/* Expands QUEUED run r of master into chunks with the freshness of now, and stores them. */
static int expand_plan(struct state *st, const struct project *p, const struct state_run *r,
		       const struct graph_node *master, int64_t now, char **why, char *err,
		       size_t errlen)
{
	int64_t *ids = NULL;
	size_t nids = 0;
	struct plan plan;
	struct freshness_src fresh;
	struct engine_freshness ef;
	char perr[512];
	int rc;
	if (engine_freshness(st, p, master, &ef, &fresh, err, errlen))
		return -1;
	if (state_run_ids(st, r->id, &ids, &nids)) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		rc = -1;
	} else if (plan_expand(&plan, &p->graph, master, ids, nids, r->has_ids, r->kwargs, now,
			       r->force, &fresh, perr, sizeof(perr))) {
		rc = end_queued(st, r->id, xstrdup(perr), now, why, err, errlen);
	} else {
		rc = activate(st, p, r->id, &plan, now);
		if (rc < 0)
			snprintf(err, errlen, "%s", state_errmsg(st));
		plan_release(&plan);
	}
	engine_freshness_release(&ef);
	free(ids);
	return rc;
}

int engine_expand(struct state *st, const struct project *p, int64_t id, int64_t now,
		  char **why, char *err, size_t errlen)
{
	struct state_run r;
	char *block = NULL;
	bool fatal;
	if (why)
		*why = NULL;
	int got = state_run_get(st, id, &r);
	if (got <= 0 || r.state != RUN_QUEUED) {
		if (got < 0)
			snprintf(err, errlen, "%s", state_errmsg(st));
		if (got == 1)
			state_run_release(&r);
		return got < 0 ? -1 : EXPAND_ENDED;
	}
	const struct graph_node *master = graph_find(&p->graph, r.job);
	int rc;
	if (!master) {
		rc = end_queued(st, id, xasprintf("job '%s' has no file in jobs/", r.job), now, why,
				err, errlen);
		state_run_release(&r);
		return rc;
	}
	rc = expand_blockers(st, p, id, master, &block, &fatal, err, errlen);
	if (rc || (block && !fatal)) {
		if (why)
			*why = block;
		else
			free(block);
		state_run_release(&r);
		return rc ? -1 : EXPAND_WAITING;
	}
	rc = block ? end_queued(st, id, block, now, why, err, errlen)
		   : expand_plan(st, p, &r, master, now, why, err, errlen);
	state_run_release(&r);
	return rc;
}

/* ---- lost-runner recovery ---- */

struct recovery {
	struct exec_runner *ex;
	const char *dir;
};

static struct exec_record record_of(const struct state_owned *c, const char *dir)
{
	return (struct exec_record){ .run = c->run, .chunk = c->id, .attempt = c->attempt,
				     .dir = dir, .owner = c->owner, .child = c->child,
				     .slurm = c->slurm, .slurm_job = c->slurm_job };
}

static bool owner_alive(void *ctx, const struct state_owned *c)
{
	struct recovery *r = ctx;
	struct exec_record rec = record_of(c, r->dir);
	return r->ex->ops->owner_alive(r->ex->self, &rec);
}

int engine_recover(struct state *st, const struct project *p, struct exec_runner *ex,
		   int64_t now, char *err, size_t errlen)
{
	struct recovery r = { ex, p->dir };
	struct state_recovery how = { .alive = owner_alive, .alive_ctx = &r,
				      .retry = engine_retry_time, .retry_ctx = (void *)p };
	struct state_owned *lost;
	int n = state_recover_orphans(st, now, &how, &lost);
	if (n < 0) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct exec_record rec = record_of(&lost[i], p->dir);
		ex->ops->kill_lost(ex->self, &rec);
	}
	free(lost);
	return n;
}
