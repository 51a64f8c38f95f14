/* plan.c - the expansion of a run into tasks and chunks (docs/design.md, "Work IDs, chunks and freshness"); pure.
 *
 * The steps of docs/design.md, "Work IDs, chunks and freshness", for a master job M over the sorted unique work IDs W:
 *   1. The job-type graph below M (graph.c has already refused cycles and unknown jobs).
 *   2. W is cut into groups of G IDs, G the largest chunk_size among M and the job types
 *      below it. When no job type there has a chunk_size, G is all of W: one group.
 *   3. Within a group each job type is cut into chunks of its own chunk_size, counted from the
 *      group's first ID; a job type without chunk_size has one chunk per group, the whole
 *      group. A job type with `chunk_size: all` has one chunk over all of W, across groups
 *      (a summary or a report); G ignores it. A chunk of a parent depends on every chunk of a dependency whose IDs intersect.
 *   4. A dependency D of J is stale for an ID when D has no successful run covering it within
 *      the edge's max_lag of now (fresh means finish > 0 and now - finish <= max_lag); with
 *      allow_missing_work_ids the latest finish of D at all stands for every ID. max_lag 0 and
 *      --force are always stale. A chunk of D is kept when one of the IDs its parents' kept
 *      chunks need is stale; a dropped chunk adds nothing below it and is listed in
 *      plan.drops with its freshest finish. D's own dependencies are judged on all the IDs of
 *      D's kept chunks.
 *   5. A job type reached through two parents with the same kwargs is one shared task (one
 *      set of chunks). A `unique: true` edge gives its dependency a copy of its own, and
 *      everything below that copy is copied too (shared only within the copy).
 *   6. A task's kwargs are the run's kwargs overlaid with the custom_kwargs of each edge on
 *      the path from M, the deeper edge winning; paths that end with different kwargs make
 *      different tasks.
 *   7. M's own chunks are always kept: it is the job asked for (the engine treats them as the
 *      placeholder). A run without IDs has one chunk per task and judges freshness per type.
 *
 * Where the design leaves room, this is what plan.c does, and why:
 *   - A chunk is a fixed slot of the group, never trimmed to the IDs its parents need: plan
 *     chunks are contiguous slices of the run's IDs (plan.h), boundaries then do not move
 *     with freshness, and Stau's worked example (E's one chunk [1..6]) reads that way. Only
 *     the needed IDs decide whether the slot is stale.
 *   - A shared task reached through edges with different max_lag or allow_missing_work_ids
 *     takes, for each ID, the strictest requirement of the parent chunks that need that ID.
 *   - kwargs are equal when they hold the same keys with the same JSON texts, whatever the
 *     order in which the overlays added them.
 *   - Groups share nothing (no chunk crosses a group), so all groups are expanded in one pass:
 *     the freshness source is asked once per task (per_ids over all its candidate IDs, and
 *     per_type when an edge needs it) instead of once per group or chunk, and not at all when
 *     the answer cannot matter (force, max_lag 0).
 *   - plan.chunks lists tasks by the graph's topological order (deepest job types first),
 *     tasks of one job type in the order they were reached, and each task's chunks in ID
 *     order; so every dependency comes before its dependents. Chunk index/count number all
 *     chunks of a job type across the run, copies included, from 1.
 *   - plan.drops lists dropped chunks top-down, as they were judged.
 *
 * How: tasks are processed parents first (by decreasing topological position of their job
 * type; a task's parents all sit higher, so when a task is processed every parent has added
 * its needs). A task's needs are two arrays over the run's IDs holding, per ID, the finish
 * time that ID must have reached (or NEED_NONE), one judged per ID and one per type; they
 * exist only from the first parent's visit until the task is judged. A run without IDs is
 * the same computation over a single unit. Chunks, their dependencies (one shared array) and
 * the task list are laid out once at the end, so nothing is allocated per chunk. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NEED_NONE INT64_MIN    /* the ID is not needed through edges of this kind */
#define ALWAYS_STALE INT64_MAX /* max_lag 0 or --force */
#define NO_SLOT SIZE_MAX

struct task {
	const struct graph_node *node;
	struct kvlist kw;
	size_t scope;	     /* 0, or the number of the unique copy this task belongs to */
	size_t *dep_task;    /* per edge of node: the task it leads to, or NO_SLOT */
	int64_t *need_id;    /* per unit: the finish it must have, through per-ID edges */
	int64_t *need_type;  /* the same, through edges judged per job type */
	size_t unit;	     /* slot width: chunk_size, or G */
	size_t per_group;    /* slots per group */
	bool all;	     /* chunk_size: all: one slot over every group */
	size_t nslots;
	size_t *kept_of;     /* per slot: its ordinal among kept slots, or NO_SLOT */
	size_t *kept;	     /* kept slots, ascending */
	size_t nkept;
	size_t first_chunk;  /* after layout */
	size_t out;	     /* its index in plan.tasks, after layout */
	size_t next_of_node; /* the next task of the same graph node, or NO_SLOT */
	size_t next_of_topo; /* the next task at the same topological position, or NO_SLOT */
	bool done;
	const struct graph_node *parent; /* the job whose edge created it; NULL: the master */
	const struct dep *via;		 /* that edge */
	struct plan_why *why;		 /* explain: per kept slot, in the order of kept */
};

struct expander {
	const struct graph *g;
	const int64_t *ids;
	size_t nunits; /* the run's IDs, or 1 for a run without IDs */
	bool has_ids;
	size_t group;  /* G, in units */
	int64_t now;
	bool force;
	const struct freshness_src *fresh;
	char *err;
	size_t errlen;
	struct task *t;
	size_t nt, cap;
	/* With 10,000 job types a search over every task per edge and per step was most of an
	 * expansion: tasks are also chained per graph node and per topological position. */
	size_t *first_of_node;	      /* by node index */
	size_t *first_of_topo, *last_of_topo; /* by node topo, in creation order */
	size_t topo_cursor;	      /* no task left undone above it */
	size_t nscopes;
	struct plan *p;
	size_t drops_cap;
	bool explain;  /* fill plan_chunk.why */
};

/* ---- run kwargs: a JSON object text into a kvlist ----------------------------------- */

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* s is at '"'; returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *s)
{
	for (s++; *s && *s != '"'; s++)
		if (*s == '\\' && !*++s)
			return NULL;
	return *s ? s + 1 : NULL;
}

/* Returns the byte after the JSON value at s, or NULL. Scalars are taken as they are. */
static const char *skip_value(const char *s)
{
	if (*s == '"')
		return skip_string(s);
	if (*s == '{' || *s == '[') {
		size_t depth = 0;
		do {
			if (*s == '"') {
				s = skip_string(s);
				if (!s)
					return NULL;
				continue;
			}
			if (!*s)
				return NULL;
			depth += (*s == '{' || *s == '[');
			depth -= (*s == '}' || *s == ']');
			s++;
		} while (depth);
		return s;
	}
	const char *start = s;
	while (*s && !strchr(",}] \t\n\r", *s))
		s++;
	return s > start ? s : NULL;
}

/* Reads one "key": value member at s into l; returns the byte after it, or NULL. */
static const char *parse_member(const char *s, struct kvlist *l)
{
	if (*s != '"')
		return NULL;
	const char *end = skip_string(s);
	if (!end)
		return NULL;
	struct kv raw = { xstrndup(s, (size_t)(end - s)), NULL, { 0, 0 } };
	raw.json = raw.key;
	char *key = kv_string(&raw);
	free(raw.key);
	s = skip_ws(end);
	const char *value = *s == ':' ? skip_ws(s + 1) : NULL;
	end = value ? skip_value(value) : NULL;
	if (end) {
		char *json = xstrndup(value, (size_t)(end - value));
		kv_set(l, key, json);
		free(json);
	}
	free(key);
	return end;
}

/* Parses a JSON object into l (top-level members; values kept as JSON text). Returns 0/-1. */
static int kwargs_parse(const char *json, struct kvlist *l)
{
	const char *s = skip_ws(json);
	if (*s++ != '{')
		return -1;
	s = skip_ws(s);
	if (*s == '}')
		return *skip_ws(s + 1) ? -1 : 0;
	for (;;) {
		s = parse_member(s, l);
		if (!s)
			return -1;
		s = skip_ws(s);
		if (*s == '}')
			return *skip_ws(s + 1) ? -1 : 0;
		if (*s != ',')
			return -1;
		s = skip_ws(s + 1);
	}
}

static bool kwargs_equal(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct kv *other = kv_find(b, a->v[i].key);
		if (!other || strcmp(other->json, a->v[i].json))
			return false;
	}
	return true;
}

/* ---- the graph below the master ------------------------------------------------------- */

/* The largest chunk_size of node and every job type below it (0 when none has one). */
static int64_t largest_chunk(const struct graph_node *node, bool *seen)
{
	if (seen[node->index])
		return 0;
	seen[node->index] = true;
	int64_t best = node->job->chunk_size;
	for (size_t k = 0; k < node->ndeps; k++) {
		int64_t c = largest_chunk(node->deps[k].to, seen);
		if (c > best)
			best = c;
	}
	return best;
}

static size_t group_size(const struct expander *x, const struct graph_node *master)
{
	if (!x->has_ids)
		return 1;
	bool *seen = xcalloc(x->g->n, sizeof(*seen));
	int64_t g = largest_chunk(master, seen);
	free(seen);
	return g <= 0 || (uint64_t)g >= x->nunits ? x->nunits : (size_t)g;
}

/* ---- slots: the fixed chunk positions of a task ----------------------------------------- */

static void slot_range(const struct expander *x, const struct task *t, size_t s, size_t *a,
		       size_t *b)
{
	if (t->all) {
		*a = 0;
		*b = x->nunits;
		return;
	}
	size_t group_start = s / t->per_group * x->group;
	size_t group_end = group_start + x->group < x->nunits ? group_start + x->group : x->nunits;
	*a = group_start + s % t->per_group * t->unit;
	*b = *a + t->unit < group_end ? *a + t->unit : group_end;
	if (*a > *b)
		*a = *b;
}

static size_t slot_of(const struct expander *x, const struct task *t, size_t unit)
{
	return t->all ? 0 : unit / x->group * t->per_group + unit % x->group / t->unit;
}

/* ---- tasks ---------------------------------------------------------------------------- */

/* Appends the task of node with kwargs kw (taken over) in copy `scope`; returns its index. */
static size_t task_new(struct expander *x, const struct graph_node *node, struct kvlist *kw,
		       size_t scope)
{
	grow(&x->t, &x->cap, x->nt + 1, sizeof(*x->t));
	struct task *t = &x->t[x->nt];
	memset(t, 0, sizeof(*t));
	t->node = node;
	t->kw = *kw;
	t->scope = scope;
	t->dep_task = xmalloc((node->ndeps ? node->ndeps : 1) * sizeof(*t->dep_task));
	for (size_t k = 0; k < node->ndeps; k++)
		t->dep_task[k] = NO_SLOT;
	int64_t c = node->job->chunk_size;
	t->unit = c > 0 && (uint64_t)c < x->group && x->has_ids ? (size_t)c : x->group;
	t->per_group = (x->group + t->unit - 1) / t->unit;
	t->nslots = (x->nunits + x->group - 1) / x->group * t->per_group;
	t->all = c == CHUNK_SIZE_ALL && x->has_ids;
	if (t->all)
		t->nslots = x->nunits ? 1 : 0;
	size_t i = x->nt++;
	t->next_of_node = x->first_of_node[node->index];
	x->first_of_node[node->index] = i;
	t->next_of_topo = NO_SLOT;
	if (x->first_of_topo[node->topo] == NO_SLOT)
		x->first_of_topo[node->topo] = i;
	else
		x->t[x->last_of_topo[node->topo]].next_of_topo = i;
	x->last_of_topo[node->topo] = i;
	return i;
}

static void task_release(struct task *t)
{
	kvlist_release(&t->kw);
	free(t->dep_task);
	free(t->need_id);
	free(t->need_type);
	free(t->kept_of);
	free(t->kept);
	free(t->why);
}

/* The task that edge k of task ti leads to: an existing one with the same job type, kwargs
 * and copy, or a new one. */
static size_t task_for_edge(struct expander *x, size_t ti, size_t k)
{
	const struct graph_edge *e = &x->t[ti].node->deps[k];
	struct kvlist kw;
	kvlist_copy(&kw, &x->t[ti].kw);
	for (size_t i = 0; i < e->dep->custom_kwargs.n; i++)
		kv_set(&kw, e->dep->custom_kwargs.v[i].key, e->dep->custom_kwargs.v[i].json);
	size_t scope = e->dep->unique ? ++x->nscopes : x->t[ti].scope;
	for (size_t i = x->first_of_node[e->to->index]; !e->dep->unique && i != NO_SLOT;
	     i = x->t[i].next_of_node) {
		if (x->t[i].scope == scope && kwargs_equal(&x->t[i].kw, &kw)) {
			kvlist_release(&kw);
			return i;
		}
	}
	size_t made = task_new(x, e->to, &kw, scope);
	x->t[made].parent = x->t[ti].node;
	x->t[made].via = e->dep;
	return made;
}

/* The finish an ID must have reached to be fresh through edge e. */
static int64_t edge_threshold(const struct expander *x, const struct dep *dep)
{
	int64_t thr;
	if (x->force || dep->max_lag <= 0)
		return ALWAYS_STALE;
	if (__builtin_sub_overflow(x->now, dep->max_lag, &thr) || thr == NEED_NONE)
		thr = NEED_NONE + 1;
	return thr;
}

static int64_t *need_array(const struct expander *x, int64_t **arr)
{
	if (!*arr) {
		*arr = xmalloc(x->nunits * sizeof(**arr));
		for (size_t i = 0; i < x->nunits; i++)
			(*arr)[i] = NEED_NONE;
	}
	return *arr;
}

/* Records that the kept chunks of task ti need the IDs they hold from the task of edge k. */
static void add_needs(struct expander *x, size_t ti, size_t k)
{
	const struct dep *dep = x->t[ti].node->deps[k].dep;
	size_t di = task_for_edge(x, ti, k); /* may move x->t */
	struct task *t = &x->t[ti], *d = &x->t[di];
	t->dep_task[k] = di;
	int64_t thr = edge_threshold(x, dep);
	int64_t *need = need_array(x, dep->allow_missing_work_ids || !x->has_ids ? &d->need_type
										 : &d->need_id);
	for (size_t j = 0; j < t->nkept; j++) {
		size_t a, b;
		slot_range(x, t, t->kept[j], &a, &b);
		for (size_t i = a; i < b; i++)
			if (need[i] < thr)
				need[i] = thr;
	}
}

/* ---- freshness ------------------------------------------------------------------------ */

/* What the freshness source said for one task: per-ID finishes of the IDs whose answer
 * matters (in ID order), and the type's latest finish. */
struct answers {
	int64_t *fin;
	size_t next; /* cursor into fin while the slots are walked in order */
	int64_t type_fin;
};

static bool matters(int64_t need)
{
	return need != NEED_NONE && need != ALWAYS_STALE;
}

static int ask_freshness(struct expander *x, const struct task *t, struct answers *ans)
{
	const char *type = t->node->job->type;
	memset(ans, 0, sizeof(*ans));
	bool by_type = false;
	for (size_t i = 0; t->need_type && i < x->nunits && !by_type; i++)
		by_type = matters(t->need_type[i]);
	if (by_type && x->fresh->per_type(x->fresh->ctx, type, &ans->type_fin, x->err, x->errlen))
		return -1;
	if (!t->need_id)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < x->nunits; i++)
		n += matters(t->need_id[i]);
	if (!n)
		return 0;
	int64_t *ids = xmalloc(n * sizeof(*ids));
	ans->fin = xcalloc(n, sizeof(*ans->fin));
	for (size_t i = 0, k = 0; i < x->nunits; i++)
		if (matters(t->need_id[i]))
			ids[k++] = x->ids[i];
	int rc = x->fresh->per_ids(x->fresh->ctx, type, ids, n, ans->fin, x->err, x->errlen);
	free(ids);
	return rc;
}

/* Adds stale unit i (needed at `need`, finished at fin) to w. */
static void why_add(const struct expander *x, struct plan_why *w, size_t i, int64_t need,
		    int64_t fin)
{
	int64_t id = x->has_ids ? x->ids[i] : 0;
	if (!w->nstale++) {
		w->first_id = id;
		w->max_lag = need == ALWAYS_STALE ? -1 : x->now - need;
	}
	w->last_id = id;
	if (need == ALWAYS_STALE)
		w->max_lag = -1;
	else if (w->max_lag >= 0 && x->now - need < w->max_lag)
		w->max_lag = x->now - need;
	if (!fin)
		w->nnever++;
	else if (!w->oldest || fin < w->oldest)
		w->oldest = fin;
}

/* Judges unit i: sets *stale, raises *freshest, adds a stale unit to w (may be NULL);
 * consumes its answer. */
static void judge_unit(const struct expander *x, size_t i, int64_t need, int64_t fin,
		       bool *stale, int64_t *freshest, struct plan_why *w)
{
	if (need == ALWAYS_STALE || fin == 0 || fin < need) {
		*stale = true;
		if (w)
			why_add(x, w, i, need, fin);
	} else if (fin > *freshest) {
		*freshest = fin;
	}
}

/* Judges slot s of t: returns 1 to keep it, 0 when nothing in it is needed, and -1 when it
 * is needed but fresh (then *freshest is its latest finish). */
static int judge_slot(const struct expander *x, const struct task *t, size_t s,
		      struct answers *ans, int64_t *freshest, struct plan_why *w)
{
	size_t a, b;
	bool needed = false, stale = false;
	*freshest = 0;
	slot_range(x, t, s, &a, &b);
	for (size_t i = a; i < b; i++) {
		if (t->need_id && t->need_id[i] != NEED_NONE) {
			needed = true;
			int64_t fin = matters(t->need_id[i]) ? ans->fin[ans->next++] : 0;
			judge_unit(x, i, t->need_id[i], fin, &stale, freshest, w);
		}
		if (t->need_type && t->need_type[i] != NEED_NONE) {
			needed = true;
			judge_unit(x, i, t->need_type[i], ans->type_fin, &stale, freshest, w);
		}
	}
	return !needed ? 0 : stale ? 1 : -1;
}

static void add_drop(struct expander *x, const struct task *t, size_t s, int64_t freshest)
{
	struct plan *p = x->p;
	size_t a, b;
	slot_range(x, t, s, &a, &b);
	grow(&p->drops, &x->drops_cap, p->ndrops + 1, sizeof(*p->drops));
	p->drops[p->ndrops++] = (struct plan_drop){
		.node = t->node,
		.parent = t->parent,
		.via = t->via,
		.id_off = x->has_ids ? a : 0,
		.nids = x->has_ids ? b - a : 0,
		.freshest = freshest,
	};
}

static void keep_slot(struct task *t, size_t s)
{
	t->kept_of[s] = t->nkept;
	t->kept[t->nkept++] = s;
}

/* Decides which slots of task ti are kept: all non-empty ones for the master, else those
 * holding a stale needed ID. Returns 0 or -1 (a freshness error). */
static int judge_task(struct expander *x, size_t ti, bool master)
{
	struct task *t = &x->t[ti];
	struct answers ans = { NULL, 0, 0 };
	t->kept_of = xmalloc(t->nslots * sizeof(*t->kept_of));
	t->kept = xmalloc((t->nslots ? t->nslots : 1) * sizeof(*t->kept));
	if (x->explain)
		t->why = xcalloc(t->nslots ? t->nslots : 1, sizeof(*t->why));
	if (!master && ask_freshness(x, t, &ans)) {
		free(ans.fin);
		return -1;
	}
	for (size_t s = 0; s < t->nslots; s++) {
		size_t a, b;
		int64_t freshest;
		t->kept_of[s] = NO_SLOT;
		slot_range(x, t, s, &a, &b);
		struct plan_why *w = t->why ? &t->why[t->nkept] : NULL;
		int verdict = master ? (a < b) : judge_slot(x, t, s, &ans, &freshest, w);
		if (w && verdict <= 0)
			memset(w, 0, sizeof(*w));
		if (verdict > 0)
			keep_slot(t, s);
		else if (verdict < 0)
			add_drop(x, t, s, freshest);
	}
	free(ans.fin);
	free(t->need_id);
	free(t->need_type);
	t->need_id = t->need_type = NULL;
	return 0;
}

/* The task not yet processed whose job type is highest in the topological order (the first
 * created among equals). A task only creates tasks of its dependencies, which come earlier
 * in that order, so the search goes down the positions once. */
static size_t next_task(struct expander *x)
{
	for (;;) {
		size_t i = x->first_of_topo[x->topo_cursor];
		while (i != NO_SLOT && x->t[i].done)
			i = x->t[i].next_of_topo;
		x->first_of_topo[x->topo_cursor] = i;
		if (i != NO_SLOT || x->topo_cursor == 0)
			return i;
		x->topo_cursor--;
	}
}

static int expand_tasks(struct expander *x)
{
	for (size_t ti; (ti = next_task(x)) != NO_SLOT;) {
		x->t[ti].done = true;
		if (judge_task(x, ti, ti == 0))
			return -1;
		if (!x->t[ti].nkept)
			continue;
		for (size_t k = 0; k < x->t[ti].node->ndeps; k++)
			add_needs(x, ti, k);
	}
	return 0;
}

/* ---- layout --------------------------------------------------------------------------- */

/* A task's place in the layout: by the topological position of its job type, then by the
 * order in which tasks were reached. */
struct place {
	size_t topo, task;
};

static int cmp_place(const void *a, const void *b)
{
	const struct place *x = a, *y = b;
	if (x->topo != y->topo)
		return x->topo < y->topo ? -1 : 1;
	return (x->task > y->task) - (x->task < y->task);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* The dependencies of every chunk, one array; chunks point into it. */
struct deplist {
	size_t *v;
	size_t n, cap;
};

static void deplist_push(struct deplist *l, size_t c)
{
	if (l->n == l->cap)
		grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = c;
}

/* Appends the chunks that kept slot s of task t waits for, ascending; returns how many. */
static size_t chunk_deps(const struct expander *x, const struct task *t, size_t s,
			 struct deplist *deps)
{
	size_t a, b, n = 0, start = deps->n;
	slot_range(x, t, s, &a, &b);
	for (size_t k = 0; k < t->node->ndeps; k++) {
		if (t->dep_task[k] == NO_SLOT)
			continue;
		const struct task *d = &x->t[t->dep_task[k]];
		for (size_t ds = slot_of(x, d, a); ds <= slot_of(x, d, b - 1); ds++) {
			if (d->kept_of[ds] == NO_SLOT)
				continue;
			size_t c = d->first_chunk + d->kept_of[ds];
			deplist_push(deps, c);
			n++;
		}
	}
	if (n < 2)
		return n;
	size_t *v = deps->v + start;
	qsort(v, n, sizeof(*v), cmp_size);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	deps->n = start + u;
	return u;
}

/* Orders the tasks that kept chunks, and numbers their chunks per job type. */
static size_t *layout_tasks(struct expander *x, size_t *nout)
{
	struct plan *p = x->p;
	struct place *places = xmalloc(x->nt * sizeof(*places));
	size_t *order = xmalloc(x->nt * sizeof(*order)), n = 0;
	for (size_t i = 0; i < x->nt; i++)
		if (x->t[i].nkept)
			places[n++] = (struct place){ x->t[i].node->topo, i };
	qsort(places, n, sizeof(*places), cmp_place);
	for (size_t i = 0; i < n; i++)
		order[i] = places[i].task;
	free(places);
	p->tasks = xcalloc(n, sizeof(*p->tasks));
	p->ntasks = n;
	for (size_t i = 0; i < n; i++) {
		struct task *t = &x->t[order[i]];
		t->out = i;
		t->first_chunk = p->nchunks;
		p->tasks[i] = (struct plan_task){ t->node, kv_to_json(&t->kw), p->nchunks,
						  t->nkept, t->parent, t->via };
		p->nchunks += t->nkept;
	}
	*nout = n;
	return order;
}

static void layout_chunks(struct expander *x, const size_t *order, size_t n)
{
	struct plan *p = x->p;
	size_t *count = xcalloc(x->g->n, sizeof(*count)), *seq = xcalloc(x->g->n, sizeof(*seq));
	struct deplist deps = { NULL, 0, 0 };
	size_t *dep_off = xmalloc((p->nchunks ? p->nchunks : 1) * sizeof(*dep_off));
	for (size_t i = 0; i < n; i++)
		count[x->t[order[i]].node->index] += x->t[order[i]].nkept;
	p->chunks = xcalloc(p->nchunks, sizeof(*p->chunks));
	for (size_t i = 0; i < n; i++) {
		const struct task *t = &x->t[order[i]];
		for (size_t j = 0; j < t->nkept; j++) {
			struct plan_chunk *c = &p->chunks[t->first_chunk + j];
			size_t a, b;
			slot_range(x, t, t->kept[j], &a, &b);
			c->task = t->out;
			c->index = ++seq[t->node->index];
			c->count = count[t->node->index];
			c->id_off = x->has_ids ? a : 0;
			c->nids = x->has_ids ? b - a : 0;
			if (t->why)
				c->why = t->why[j];
			dep_off[t->first_chunk + j] = deps.n;
			c->ndeps = chunk_deps(x, t, t->kept[j], &deps);
		}
	}
	p->dep_storage = deps.v;
	for (size_t i = 0; i < p->nchunks; i++)
		p->chunks[i].deps = p->dep_storage ? p->dep_storage + dep_off[i] : NULL;
	free(dep_off);
	free(count);
	free(seq);
}

/* ---- entry points --------------------------------------------------------------------- */

static int expand(struct plan *out, const struct graph *g, const struct graph_node *master,
		  const int64_t *ids, size_t nids, bool has_ids, const char *kwargs_json,
		  int64_t now, bool force, const struct freshness_src *fresh, bool explain,
		  char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->ids = ids;
	out->nids = has_ids ? nids : 0;
	out->has_ids = has_ids;
	if (has_ids && !nids) {
		snprintf(err, errlen, "no work");
		return -1;
	}
	struct kvlist kw = { NULL, 0, 0 };
	if (kwargs_parse(kwargs_json ? kwargs_json : "{}", &kw)) {
		kvlist_release(&kw);
		snprintf(err, errlen, "the run's kwargs are not a JSON object: %s", kwargs_json);
		return -1;
	}
	struct expander x = { .g = g, .ids = ids, .nunits = has_ids ? nids : 1,
			      .has_ids = has_ids, .now = now, .force = force, .fresh = fresh,
			      .err = err, .errlen = errlen, .p = out, .explain = explain };
	x.group = group_size(&x, master);
	x.first_of_node = xmalloc(g->n * sizeof(*x.first_of_node));
	x.first_of_topo = xmalloc(g->n * sizeof(*x.first_of_topo));
	x.last_of_topo = xmalloc(g->n * sizeof(*x.last_of_topo));
	for (size_t i = 0; i < g->n; i++)
		x.first_of_node[i] = x.first_of_topo[i] = NO_SLOT;
	x.topo_cursor = master->topo;
	task_new(&x, master, &kw, 0);
	int rc = expand_tasks(&x);
	if (!rc) {
		size_t n;
		size_t *order = layout_tasks(&x, &n);
		layout_chunks(&x, order, n);
		free(order);
	}
	for (size_t i = 0; i < x.nt; i++)
		task_release(&x.t[i]);
	free(x.t);
	free(x.first_of_node);
	free(x.first_of_topo);
	free(x.last_of_topo);
	if (rc)
		plan_release(out);
	return rc;
}

int plan_expand(struct plan *out, const struct graph *g, const struct graph_node *master,
		const int64_t *ids, size_t nids, bool has_ids, const char *kwargs_json, int64_t now,
		bool force, const struct freshness_src *fresh, char *err, size_t errlen)
{
	return expand(out, g, master, ids, nids, has_ids, kwargs_json, now, force, fresh, false,
		      err, errlen);
}

int plan_expand_explained(struct plan *out, const struct graph *g,
			  const struct graph_node *master, const int64_t *ids, size_t nids,
			  bool has_ids, const char *kwargs_json, int64_t now, bool force,
			  const struct freshness_src *fresh, char *err, size_t errlen)
{
	return expand(out, g, master, ids, nids, has_ids, kwargs_json, now, force, fresh, true,
		      err, errlen);
}

void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->ntasks; i++)
		free(p->tasks[i].kwargs_json);
	free(p->tasks);
	free(p->chunks);
	free(p->drops);
	free(p->dep_storage);
	memset(p, 0, sizeof(*p));
}
