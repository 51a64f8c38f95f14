/* why.c - one work ID of one job: who computed it, who finds it fresh, what comes next
 * (why.h).
 *
 * The freshness verdict is plan.c's rule restated for one ID so that it can say why: fresh
 * means a success, no older than the edge's max_lag (now - finish <= max_lag); max_lag 0 is
 * always stale; with allow_missing_work_ids the job type's latest success stands for every
 * ID. What the next entry would do is not restated: plan_expand itself expands a run of the
 * entry's job over the one ID at the entry's next fire time, and the plan says whether the
 * job gets a chunk. */
#include "why.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvlist.h"
#include "plan.h"
#include "term.h"
#include "util.h"

/* ---- fresh or stale ---- */

/* An age for the verdict: as term_age, but exact when rounding it would make it read as the
 * max_lag itself ("1h ago > max_lag 1h"). */
static void verdict_age(int64_t secs, const char *lag, char *buf, size_t len)
{
	term_age(secs, buf, len);
	if (!strcmp(buf, lag))
		duration_format(secs * 1000, DURATION_EXACT, buf, len);
}

bool why_fresh(const struct dep *dep, const char *type, int64_t fin, int64_t type_last,
	       int64_t now, char **why)
{
	char lag[32], age[32];
	duration_format(dep->max_lag * 1000, DURATION_EXACT, lag, sizeof(lag));
	if (dep->max_lag <= 0) {
		*why = xstrdup("max_lag 0: always stale");
		return false;
	}
	int64_t t = dep->allow_missing_work_ids ? type_last : fin;
	if (!t) {
		*why = dep->allow_missing_work_ids
			       ? xasprintf("%s never succeeded (allow_missing_work_ids)", type)
			       : xstrdup("never computed");
		return false;
	}
	bool fresh = now - t <= dep->max_lag;
	verdict_age(now - t, lag, age, sizeof(age));
	if (dep->allow_missing_work_ids)
		*why = xasprintf("%s succeeded %s ago %s max_lag %s (allow_missing_work_ids: any "
				 "IDs)", type, age, fresh ? "<=" : ">", lag);
	else
		*why = xasprintf("computed %s ago %s max_lag %s", age, fresh ? "<=" : ">", lag);
	return fresh;
}

/* ---- who computed it ---- */

static int find_computed(struct why *w, struct state *st, char *err, size_t errlen)
{
	struct freshness_src src = state_freshness_src(st);
	const char *type = w->job->type;
	if (src.per_ids(src.ctx, type, &w->id, 1, &w->computed, err, errlen) ||
	    src.per_type(src.ctx, type, &w->last_success, err, errlen))
		return -1;
	if (!w->computed)
		return 0;
	struct state_chunk c;
	int rc = state_chunk_that_computed(st, type, w->id, w->computed, &w->chunk);
	if (rc == 1)
		rc = state_chunk_get(st, w->chunk, &c);
	if (rc == 1) {
		w->run = c.run;
		w->index = c.index;
		w->count = c.count;
		state_chunk_release(&c);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", state_errmsg(st));
	return rc < 0 ? -1 : 0;
}

/* ---- who needs it ---- */

static void find_needs(struct why *w, const struct project *p, int64_t now)
{
	size_t cap = 0;
	for (size_t i = 0; i < p->graph.n; i++) {
		const struct graph_node *n = p->graph.order[i];
		for (size_t k = 0; k < n->ndeps; k++) {
			if (n->deps[k].to->job != w->job)
				continue;
			grow(&w->needs, &cap, w->nneeds + 1, sizeof(*w->needs));
			struct why_need *need = &w->needs[w->nneeds++];
			need->job = n->job;
			need->dep = n->deps[k].dep;
			need->fresh = why_fresh(need->dep, w->job->type, w->computed,
						w->last_success, now, &need->why);
		}
	}
}

/* ---- what the next entry would do ---- */

/* Whether target is from, or one of its dependencies at any depth. */
static bool reaches(const struct graph_node *from, const struct graph_node *target, bool *seen)
{
	if (from == target)
		return true;
	if (seen[from->index])
		return false;
	seen[from->index] = true;
	for (size_t k = 0; k < from->ndeps; k++)
		if (reaches(from->deps[k].to, target, seen))
			return true;
	return false;
}

/* The enabled entry that fires first after now and runs the job or a job that needs it. */
static const struct entry *next_entry(const struct project *p, const struct graph_node *target,
				      int64_t now, int64_t *at)
{
	const struct entry *best = NULL;
	bool *seen = xcalloc(p->graph.n ? p->graph.n : 1, sizeof(*seen));
	for (size_t i = 0; i < p->sched.nentries; i++) {
		const struct entry *e = &p->sched.entries[i];
		const struct graph_node *master = graph_find(&p->graph, e->job);
		memset(seen, 0, (p->graph.n ? p->graph.n : 1) * sizeof(*seen));
		if (!e->enabled || e->problem || !master || !reaches(master, target, seen))
			continue;
		int64_t t = trigger_next(&e->trigger, now);
		if (t >= 0 && (!best || t < *at)) {
			best = e;
			*at = t;
		}
	}
	free(seen);
	return best;
}

static bool holds(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Whether a run of entry e would hold the ID; sets why when it would not. */
static bool entry_has_id(struct why *w, const struct project *p, const struct entry *e)
{
	const struct job *master = project_job(p, e->job);
	if (e->has_work_ids) {
		if (holds(e->work_ids, e->nwork_ids, w->id))
			return true;
		w->next.why = xasprintf("its work_ids do not hold %lld", (long long)w->id);
		return false;
	}
	if (master && master->select_work.kind != SELECT_NONE) {
		w->next.by_select_work = true;
		return true;
	}
	w->next.why = xstrdup("its runs have no work IDs: freshness is judged per job type");
	return false;
}

static int no_freshness(void *ctx, const char *type, const int64_t *ids, size_t n, int64_t *fin,
			char *err, size_t errlen)
{
	memset(fin, 0, n * sizeof(*fin));
	return 0;
}

static int no_success(void *ctx, const char *type, int64_t *fin, char *err, size_t errlen)
{
	*fin = 0;
	return 0;
}

/* Says what the plan of a run over the ID does with the job. */
static void judge_plan(struct why *w, const struct plan *pl, const struct entry *e)
{
	for (size_t i = 0; i < pl->nchunks && !w->next.computes; i++)
		w->next.computes = pl->tasks[pl->chunks[i].task].node->job == w->job;
	bool kept = false;
	for (size_t i = 0; i < pl->ndrops; i++)
		kept |= pl->drops[i].node->job == w->job;
	if (w->next.computes && !strcmp(e->job, w->job->type))
		w->next.why = xasprintf("%s is the entry's own job", w->job->type);
	else if (w->next.computes)
		w->next.why = xasprintf("%s is stale for %lld then", w->job->type, (long long)w->id);
	else if (kept)
		w->next.why = xasprintf("%s is fresh for %lld then: its result is kept",
					w->job->type, (long long)w->id);
	else
		w->next.why = xasprintf("a job between %s and %s is fresh for %lld then, so %s is "
					"not needed", e->job, w->job->type, (long long)w->id,
					w->job->type);
}

static int find_next(struct why *w, const struct project *p, struct state *st, int64_t now,
		     char *err, size_t errlen)
{
	const struct graph_node *target = graph_find(&p->graph, w->job->type);
	struct why_next *nx = &w->next;
	nx->e = target ? next_entry(p, target, now, &nx->at) : NULL;
	if (!nx->e || !(nx->has_id = entry_has_id(w, p, nx->e)))
		return 0;
	struct freshness_src src = { no_freshness, no_success, NULL };
	if (st)
		src = state_freshness_src(st);
	char *kwargs = kv_to_json(&nx->e->kwargs);
	struct plan pl;
	int rc = plan_expand(&pl, &p->graph, graph_find(&p->graph, nx->e->job), &w->id, 1, true,
			     kwargs, nx->at, false, &src, err, errlen);
	free(kwargs);
	if (rc)
		return -1;
	judge_plan(w, &pl, nx->e);
	plan_release(&pl);
	return 0;
}

/* ---- the whole ---- */

int why_explain(struct why *w, const struct project *p, struct state *st, const struct job *job,
		int64_t id, int64_t now, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->job = job;
	w->id = id;
	w->schedule_ok = p->sched_ok;
	if (st && find_computed(w, st, err, errlen))
		return -1;
	find_needs(w, p, now);
	if (find_next(w, p, st, now, err, errlen)) {
		why_release(w);
		return -1;
	}
	return 0;
}

void why_release(struct why *w)
{
	for (size_t i = 0; i < w->nneeds; i++)
		free(w->needs[i].why);
	free(w->needs);
	free(w->next.why);
	memset(w, 0, sizeof(*w));
}
