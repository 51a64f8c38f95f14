/* test_plan.c - expansion of a run into chunks (docs/design.md, "Work IDs, chunks and freshness") against a fake freshness source. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "plan.h"
#include "planwhy.h"
#include "util.h"
#include "workids.h"

#define NOW 100000

/* ---- a fake freshness source: rows of (type, id, finish) and per-type finishes ---- */

struct fake {
	struct {
		const char *type;
		int64_t id, fin;
	} rows[256];
	size_t nrows;
	struct {
		const char *type;
		int64_t fin;
	} types[8];
	size_t ntypes;
	struct strbuf log; /* "B:1-6 E:* " : one entry per call, the IDs asked for */
	const char *fail;  /* a message: every call fails with it */
};

static struct fake fake;

static void fake_reset(void)
{
	sb_release(&fake.log);
	memset(&fake, 0, sizeof(fake));
	sb_add(&fake.log, "", 0);
}

/* Type `type` finished at `fin` for IDs lo..hi. */
static void fresh_rows(const char *type, int64_t lo, int64_t hi, int64_t fin)
{
	for (int64_t id = lo; id <= hi; id++) {
		assert_true(fake.nrows < ARRAY_SIZE(fake.rows));
		fake.rows[fake.nrows].type = type;
		fake.rows[fake.nrows].id = id;
		fake.rows[fake.nrows++].fin = fin;
	}
}

static void fresh_type(const char *type, int64_t fin)
{
	fake.types[fake.ntypes].type = type;
	fake.types[fake.ntypes++].fin = fin;
}

static int fake_per_ids(void *ctx, const char *type, const int64_t *ids, size_t n, int64_t *fin,
			char *err, size_t errlen)
{
	char *list = workids_format_compact(ids, n);
	sb_addf(&fake.log, "%s:%s ", type, list);
	free(list);
	if (fake.fail) {
		snprintf(err, errlen, "%s", fake.fail);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		assert_true(i == 0 || ids[i - 1] < ids[i]);
		fin[i] = 0;
		for (size_t r = 0; r < fake.nrows; r++)
			if (!strcmp(fake.rows[r].type, type) && fake.rows[r].id == ids[i])
				fin[i] = fake.rows[r].fin;
	}
	return 0;
}

static int fake_per_type(void *ctx, const char *type, int64_t *fin, char *err, size_t errlen)
{
	sb_addf(&fake.log, "%s:* ", type);
	if (fake.fail) {
		snprintf(err, errlen, "%s", fake.fail);
		return -1;
	}
	*fin = 0;
	for (size_t i = 0; i < fake.ntypes; i++)
		if (!strcmp(fake.types[i].type, type))
			*fin = fake.types[i].fin;
	return 0;
}

static const struct freshness_src fake_src = { fake_per_ids, fake_per_type, NULL };

/* ---- jobs and graphs built by hand ---- */

struct fixture {
	struct job jobs[8];
	size_t n;
	struct graph g;
	struct plan p;
	char err[256];
};

static struct fixture f;

static int setup(void **unused)
{
	memset(&f, 0, sizeof(f));
	fake_reset();
	return 0;
}

static int teardown(void **unused)
{
	plan_release(&f.p);
	graph_free(&f.g);
	for (size_t i = 0; i < f.n; i++) {
		for (size_t k = 0; k < f.jobs[i].ndeps; k++) {
			free(f.jobs[i].deps[k].job_type);
			kvlist_release(&f.jobs[i].deps[k].custom_kwargs);
		}
		free(f.jobs[i].deps);
		free(f.jobs[i].type);
	}
	sb_release(&fake.log);
	return 0;
}

static struct job *job(const char *type, int64_t chunk_size)
{
	struct job *j = &f.jobs[f.n++];
	j->type = xstrdup(type);
	j->chunk_size = chunk_size;
	return j;
}

static struct job *find_job(const char *type)
{
	for (size_t i = 0; i < f.n; i++)
		if (!strcmp(f.jobs[i].type, type))
			return &f.jobs[i];
	fail_msg("no job %s", type);
	return NULL;
}

/* Adds the dependency from -> to with max_lag seconds. */
static struct dep *dep(const char *from, const char *to, int64_t max_lag)
{
	struct job *j = find_job(from);
	j->deps = xrealloc(j->deps, (j->ndeps + 1) * sizeof(*j->deps));
	struct dep *d = &j->deps[j->ndeps++];
	memset(d, 0, sizeof(*d));
	d->job_type = xstrdup(to);
	d->max_lag = max_lag;
	return d;
}

static int cmp_job(const void *a, const void *b)
{
	return strcmp(((const struct job *)a)->type, ((const struct job *)b)->type);
}

static void build(void)
{
	struct diags d = DIAGS_INIT;
	graph_free(&f.g);
	qsort(f.jobs, f.n, sizeof(*f.jobs), cmp_job);
	assert_int_equal(graph_build(&f.g, f.jobs, f.n, &d), 0);
	diags_release(&d);
}

static int64_t ids[64];

/* Expands master over IDs lo..hi (no IDs when lo > hi). */
static int expand(const char *master, int64_t lo, int64_t hi, const char *kw, bool force)
{
	size_t n = 0;
	for (int64_t id = lo; id <= hi; id++)
		ids[n++] = id;
	build();
	plan_release(&f.p);
	return plan_expand(&f.p, &f.g, graph_find(&f.g, master), ids, n, lo <= hi, kw, NOW, force,
			   &fake_src, f.err, sizeof(f.err));
}

/* The plan as text: one line per chunk, "cI TYPE i/n IDS [KWARGS] <- DEPS", then one line
 * per drop, "drop TYPE IDS age A". Also checks the dependencies-first order. */
static char *render(const struct plan *p)
{
	static char *last;
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < p->nchunks; i++) {
		const struct plan_chunk *c = &p->chunks[i];
		const struct plan_task *t = &p->tasks[c->task];
		assert_true(i >= t->first_chunk && i < t->first_chunk + t->nchunks);
		char *list = workids_format_compact(p->ids + c->id_off, c->nids);
		sb_addf(&sb, "c%zu %s %zu/%zu %s", i, t->node->job->type, c->index, c->count,
			p->has_ids ? list : "-");
		free(list);
		if (strcmp(t->kwargs_json, "{}"))
			sb_addf(&sb, " %s", t->kwargs_json);
		sb_adds(&sb, " <-");
		for (size_t k = 0; k < c->ndeps; k++) {
			assert_true(c->deps[k] < i);
			sb_addf(&sb, " c%zu", c->deps[k]);
		}
		sb_addc(&sb, '\n');
	}
	for (size_t i = 0; i < p->ndrops; i++) {
		const struct plan_drop *d = &p->drops[i];
		char *list = workids_format_compact(p->ids + d->id_off, d->nids);
		sb_addf(&sb, "drop %s %s age %lld\n", d->node->job->type, p->has_ids ? list : "-",
			(long long)(NOW - d->freshest));
		free(list);
	}
	free(last);
	last = sb_detach(&sb);
	return last;
}

static void free_render(void)
{
	render(&(struct plan){ 0 });
}

/* ---- Stau's worked example and its variations ---- */

/* A (3) -> B (2) -> E (6), all stale (max_lag 0). */
static void worked_example_jobs(void)
{
	job("A", 3);
	job("B", 2);
	job("E", 6);
	dep("A", "B", 0);
	dep("B", "E", 0);
}

static void test_worked_example(void **unused)
{
	worked_example_jobs();
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/1 1-6 <-\n"
			    "c1 B 1/3 1-2 <- c0\n"
			    "c2 B 2/3 3-4 <- c0\n"
			    "c3 B 3/3 5-6 <- c0\n"
			    "c4 A 1/2 1-3 <- c1 c2\n"
			    "c5 A 2/2 4-6 <- c2 c3\n");
	assert_int_equal(f.p.ntasks, 3);
	assert_string_equal(f.p.tasks[0].node->job->type, "E");
	assert_int_equal(f.p.tasks[1].first_chunk, 1);
	assert_int_equal(f.p.tasks[1].nchunks, 3);
	assert_int_equal(f.p.nids, 6);
	assert_ptr_equal(f.p.ids, ids);
	assert_true(f.p.has_ids);
	/* max_lag 0 is always stale: nothing had to be asked */
	assert_string_equal(fake.log.buf, "");
	free_render();
}

/* 10 IDs: groups of G = 6 (the largest chunk size), and no chunk crosses a group. */
static void test_groups_share_nothing(void **unused)
{
	worked_example_jobs();
	assert_int_equal(expand("A", 1, 10, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/2 1-6 <-\n"
			    "c1 E 2/2 7-10 <-\n"
			    "c2 B 1/5 1-2 <- c0\n"
			    "c3 B 2/5 3-4 <- c0\n"
			    "c4 B 3/5 5-6 <- c0\n"
			    "c5 B 4/5 7-8 <- c1\n"
			    "c6 B 5/5 9-10 <- c1\n"
			    "c7 A 1/4 1-3 <- c2 c3\n"
			    "c8 A 2/4 4-6 <- c3 c4\n"
			    "c9 A 3/4 7-9 <- c5 c6\n"
			    "c10 A 4/4 10 <- c6\n");
	free_render();
}

/* B is fresh for IDs 1-4: its first two chunks go, and E is judged only on 5-6. */
static void test_fresh_chunks_are_dropped(void **unused)
{
	worked_example_jobs();
	find_job("A")->deps[0].max_lag = 3600;
	find_job("B")->deps[0].max_lag = 3600;
	fresh_rows("B", 1, 1, NOW - 500);
	fresh_rows("B", 2, 4, NOW - 200);
	fresh_rows("B", 5, 5, NOW - 4000); /* older than max_lag */
	fresh_rows("E", 1, 4, 0);	    /* never ran for 1-4: stale, but nothing needs them */
	fresh_rows("E", 5, 6, NOW - 50);
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/1 5-6 <-\n"
			    "c1 A 1/2 1-3 <-\n"
			    "c2 A 2/2 4-6 <- c0\n"
			    "drop B 1-2 age 200\n"
			    "drop B 3-4 age 200\n"
			    "drop E 1-6 age 50\n");
	assert_string_equal(fake.log.buf, "B:1-6 E:5-6 ");
	free_render();
}

/* With explanations, each kept dependency chunk says which of its IDs were stale and why,
 * and each task and drop the edge it came through. */
static void test_kept_chunks_say_why(void **unused)
{
	worked_example_jobs();
	find_job("A")->deps[0].max_lag = 3600;
	find_job("B")->deps[0].max_lag = 3600;
	fresh_rows("B", 1, 4, NOW - 200);
	fresh_rows("B", 5, 5, NOW - 7200); /* older than max_lag; 6 never computed */
	fresh_rows("E", 5, 6, NOW - 50);
	size_t n = 0;
	for (int64_t id = 1; id <= 6; id++)
		ids[n++] = id;
	build();
	plan_release(&f.p);
	assert_int_equal(plan_expand_explained(&f.p, &f.g, graph_find(&f.g, "A"), ids, n, true,
					       "{}", NOW, false, &fake_src, f.err,
					       sizeof(f.err)), 0);
	assert_string_equal(render(&f.p), "c0 B 1/1 5-6 <-\n"
					  "c1 A 1/2 1-3 <-\n"
					  "c2 A 2/2 4-6 <- c0\n"
					  "drop B 1-2 age 200\n"
					  "drop B 3-4 age 200\n"
					  "drop E 1-6 age 50\n");
	const struct plan_chunk *c = &f.p.chunks[0];
	const struct plan_task *t = &f.p.tasks[c->task];
	assert_string_equal(t->parent->job->type, "A");
	assert_int_equal(t->via->max_lag, 3600);
	assert_null(f.p.tasks[f.p.chunks[1].task].parent);
	assert_int_equal(c->why.nstale, 2);
	assert_int_equal(c->why.nnever, 1);
	assert_int_equal(c->why.first_id, 5);
	assert_int_equal(c->why.last_id, 6);
	assert_int_equal(c->why.oldest, NOW - 7200);
	assert_int_equal(c->why.max_lag, 3600);
	char *text = planwhy_kept(&c->why, true, NOW, false);
	assert_string_equal(text, "IDs 5-6: 1 never computed, 1 last computed up to 2h ago > "
				  "max_lag 1h");
	free(text);
	char *edge = planwhy_edge(t->node, t->parent, t->via);
	assert_string_equal(edge, "via A -> B, max_lag 1h");
	free(edge);
	assert_string_equal(f.p.drops[2].parent->job->type, "B");
	assert_int_equal(f.p.chunks[1].why.nstale, 0); /* the master's chunks need no reason */
	free_render();
}

/* Everything below a dropped chunk is left out, even when it is stale. */
static void test_nothing_below_a_dropped_chunk(void **unused)
{
	worked_example_jobs();
	find_job("A")->deps[0].max_lag = 3600;
	fresh_rows("B", 1, 6, NOW - 10);
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 A 1/2 1-3 <-\n"
			    "c1 A 2/2 4-6 <-\n"
			    "drop B 1-2 age 10\n"
			    "drop B 3-4 age 10\n"
			    "drop B 5-6 age 10\n");
	assert_string_equal(fake.log.buf, "B:1-6 ");
	free_render();
}

/* fresh means: finished within max_lag of now, the boundary included. */
static void test_max_lag_boundary(void **unused)
{
	job("A", 1);
	job("B", 1);
	dep("A", "B", 60);
	fresh_rows("B", 1, 1, NOW - 60);
	fresh_rows("B", 2, 2, NOW - 61);
	fresh_rows("B", 3, 3, NOW + 5); /* a clock that went back is still fresh */
	assert_int_equal(expand("A", 1, 4, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/2 2 <-\n"
			    "c1 B 2/2 4 <-\n"
			    "c2 A 1/4 1 <-\n"
			    "c3 A 2/4 2 <- c0\n"
			    "c4 A 3/4 3 <-\n"
			    "c5 A 4/4 4 <- c1\n"
			    "drop B 1 age 60\n"
			    "drop B 3 age -5\n");
	free_render();
}

static void test_max_lag_zero_is_always_stale(void **unused)
{
	worked_example_jobs();
	fresh_rows("B", 1, 6, NOW);
	fresh_rows("E", 1, 6, NOW);
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_int_equal(f.p.nchunks, 6);
	assert_int_equal(f.p.ndrops, 0);
	assert_string_equal(fake.log.buf, "");
}

static void test_force_makes_everything_stale(void **unused)
{
	worked_example_jobs();
	find_job("A")->deps[0].max_lag = 3600;
	find_job("B")->deps[0].max_lag = 3600;
	find_job("B")->deps[0].allow_missing_work_ids = true;
	fresh_rows("B", 1, 6, NOW - 1);
	fresh_type("E", NOW - 1);
	assert_int_equal(expand("A", 1, 6, "{}", true), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/1 1-6 <-\n"
			    "c1 B 1/3 1-2 <- c0\n"
			    "c2 B 2/3 3-4 <- c0\n"
			    "c3 B 3/3 5-6 <- c0\n"
			    "c4 A 1/2 1-3 <- c1 c2\n"
			    "c5 A 2/2 4-6 <- c2 c3\n");
	assert_string_equal(fake.log.buf, "");
	free_render();
}

/* With allow_missing_work_ids, any run of E within max_lag makes all of E fresh. */
static void test_allow_missing_work_ids(void **unused)
{
	worked_example_jobs();
	find_job("B")->deps[0].max_lag = 3600;
	find_job("B")->deps[0].allow_missing_work_ids = true;
	fresh_type("E", NOW - 100);
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/3 1-2 <-\n"
			    "c1 B 2/3 3-4 <-\n"
			    "c2 B 3/3 5-6 <-\n"
			    "c3 A 1/2 1-3 <- c0 c1\n"
			    "c4 A 2/2 4-6 <- c1 c2\n"
			    "drop E 1-6 age 100\n");
	assert_string_equal(fake.log.buf, "E:* ");
	free_render();

	fake_reset();
	fresh_type("E", NOW - 3601);
	fresh_rows("E", 1, 6, NOW); /* per-ID finishes do not count here */
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_int_equal(f.p.nchunks, 6);
	assert_string_equal(fake.log.buf, "E:* ");

	fake_reset();
	assert_int_equal(expand("A", 1, 6, "{}", false), 0);
	assert_int_equal(f.p.nchunks, 6); /* E never ran: stale */
}

/* ---- sharing, copies and kwargs ---- */

/* M -> B, M -> C, B -> D, C -> D: one D, waited for by both. */
static void diamond_jobs(void)
{
	job("M", 2);
	job("B", 2);
	job("C", 0);
	job("D", 4);
	dep("M", "B", 0);
	dep("M", "C", 0);
	dep("B", "D", 0);
	dep("C", "D", 0);
}

static void test_diamond_is_shared(void **unused)
{
	diamond_jobs();
	assert_int_equal(expand("M", 1, 4, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 D 1/1 1-4 <-\n"
			    "c1 B 1/2 1-2 <- c0\n"
			    "c2 B 2/2 3-4 <- c0\n"
			    "c3 C 1/1 1-4 <- c0\n"
			    "c4 M 1/2 1-2 <- c1 c3\n"
			    "c5 M 2/2 3-4 <- c2 c3\n");
	assert_int_equal(f.p.ntasks, 4);
	free_render();
}

/* A shared dependency reached with different max_lag: each ID takes the strictest. */
static void test_shared_task_takes_strictest_need(void **unused)
{
	diamond_jobs();
	find_job("B")->deps[0].max_lag = 3600;
	find_job("C")->deps[0].max_lag = 60;
	fresh_rows("D", 1, 4, NOW - 100); /* fresh for B, stale for C */
	assert_int_equal(expand("M", 1, 4, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 D 1/1 1-4 <-\n"
			    "c1 B 1/2 1-2 <- c0\n"
			    "c2 B 2/2 3-4 <- c0\n"
			    "c3 C 1/1 1-4 <- c0\n"
			    "c4 M 1/2 1-2 <- c1 c3\n"
			    "c5 M 2/2 3-4 <- c2 c3\n");
	assert_string_equal(fake.log.buf, "D:1-4 ");
	free_render();
}

/* A unique edge gives its dependency, and everything below it, a copy of its own. */
static void test_unique_edge_copies_the_subtree(void **unused)
{
	diamond_jobs();
	job("E", 0);
	dep("D", "E", 0);
	find_job("B")->deps[0].unique = true;
	assert_int_equal(expand("M", 1, 4, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/2 1-4 <-\n"
			    "c1 E 2/2 1-4 <-\n"
			    "c2 D 1/2 1-4 <- c0\n"
			    "c3 D 2/2 1-4 <- c1\n"
			    "c4 B 1/2 1-2 <- c3\n"
			    "c5 B 2/2 3-4 <- c3\n"
			    "c6 C 1/1 1-4 <- c2\n"
			    "c7 M 1/2 1-2 <- c4 c6\n"
			    "c8 M 2/2 3-4 <- c5 c6\n");
	assert_int_equal(f.p.ntasks, 7);
	free_render();
}

/* Below a unique copy, a diamond is still shared within the copy. */
static void test_unique_copy_shares_within(void **unused)
{
	job("M", 0);
	job("X", 0);
	job("B", 0);
	job("C", 0);
	job("D", 0);
	dep("M", "X", 0)->unique = true;
	dep("X", "B", 0);
	dep("X", "C", 0);
	dep("B", "D", 0);
	dep("C", "D", 0);
	assert_int_equal(expand("M", 1, 2, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 D 1/1 1-2 <-\n"
			    "c1 B 1/1 1-2 <- c0\n"
			    "c2 C 1/1 1-2 <- c0\n"
			    "c3 X 1/1 1-2 <- c1 c2\n"
			    "c4 M 1/1 1-2 <- c3\n");
	free_render();
}

/* Run kwargs, overlaid by each edge's custom_kwargs down the path: the deeper edge wins. */
static void test_custom_kwargs_deeper_wins(void **unused)
{
	job("A", 0);
	job("B", 0);
	job("E", 0);
	struct dep *ab = dep("A", "B", 0), *be = dep("B", "E", 0);
	kv_set(&ab->custom_kwargs, "b", "2");
	kv_set(&ab->custom_kwargs, "c", "\"two\"");
	kv_set(&be->custom_kwargs, "c", "[3, {\"x\": \"}\"}]");
	assert_int_equal(expand("A", 1, 2, " { \"a\" : 1, \"b\": {\"n\": [1,\"]\"]} } ", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/1 1-2 {\"a\":1,\"b\":2,\"c\":[3, {\"x\": \"}\"}]} <-\n"
			    "c1 B 1/1 1-2 {\"a\":1,\"b\":2,\"c\":\"two\"} <- c0\n"
			    "c2 A 1/1 1-2 {\"a\":1,\"b\":{\"n\": [1,\"]\"]}} <- c1\n");
	free_render();
}

/* Two paths that end with different kwargs make two tasks; equal kwargs share one, whatever
 * the order in which the edges set them. */
static void test_kwargs_decide_sharing(void **unused)
{
	diamond_jobs();
	kv_set(&find_job("M")->deps[0].custom_kwargs, "day", "\"mon\"");
	assert_int_equal(expand("M", 1, 2, "{\"k\":\"\\u00e9\"}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 D 1/2 1-2 {\"k\":\"\\u00e9\"} <-\n"
			    "c1 D 2/2 1-2 {\"k\":\"\\u00e9\",\"day\":\"mon\"} <-\n"
			    "c2 B 1/1 1-2 {\"k\":\"\\u00e9\",\"day\":\"mon\"} <- c1\n"
			    "c3 C 1/1 1-2 {\"k\":\"\\u00e9\"} <- c0\n"
			    "c4 M 1/1 1-2 {\"k\":\"\\u00e9\"} <- c2 c3\n");
	free_render();

	kv_set(&find_job("M")->deps[0].custom_kwargs, "hour", "1");
	kv_set(&find_job("M")->deps[1].custom_kwargs, "hour", "1");
	kv_set(&find_job("M")->deps[1].custom_kwargs, "day", "\"mon\"");
	assert_int_equal(expand("M", 1, 2, "{}", false), 0);
	assert_int_equal(f.p.ntasks, 4);
	/* C reached D first (it is processed first), so its order of keys is kept */
	assert_string_equal(f.p.tasks[0].kwargs_json, "{\"hour\":1,\"day\":\"mon\"}");
	assert_string_equal(f.p.tasks[0].node->job->type, "D");
}

static void test_bad_run_kwargs(void **unused)
{
	worked_example_jobs();
	assert_int_equal(expand("A", 1, 2, "[1]", false), -1);
	assert_string_equal(f.err, "the run's kwargs are not a JSON object: [1]");
	assert_int_equal(expand("A", 1, 2, "{\"a\":1", false), -1);
	assert_int_equal(expand("A", 1, 2, "{\"a\" 1}", false), -1);
	assert_int_equal(expand("A", 1, 2, "{\"a\":1} x", false), -1);
	assert_int_equal(expand("A", 1, 2, "{\"a\":}", false), -1);
	assert_int_equal(expand("A", 1, 2, "{\"a\":1,}", false), -1);
	assert_int_equal(f.p.nchunks, 0);
}

/* ---- runs without IDs, chunk sizes and errors ---- */

static void test_run_without_ids(void **unused)
{
	worked_example_jobs();
	find_job("B")->deps[0].max_lag = 3600;
	fresh_type("E", NOW - 30);
	assert_int_equal(expand("A", 1, 0, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/1 - <-\n"
			    "c1 A 1/1 - <- c0\n"
			    "drop E - age 30\n");
	assert_false(f.p.has_ids);
	assert_int_equal(f.p.nids, 0);
	assert_string_equal(fake.log.buf, "E:* ");
	free_render();

	fake_reset();
	fresh_type("E", NOW - 3601);
	assert_int_equal(expand("A", 1, 0, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/1 - <-\n"
			    "c1 B 1/1 - <- c0\n"
			    "c2 A 1/1 - <- c1\n");
	free_render();
}

/* A chunk size larger than all the IDs: one chunk; a short last group: short chunks. */
static void test_chunk_size_larger_than_group(void **unused)
{
	job("A", 10);
	job("B", 3);
	dep("A", "B", 0);
	assert_int_equal(expand("A", 1, 4, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/2 1-3 <-\n"
			    "c1 B 2/2 4 <-\n"
			    "c2 A 1/1 1-4 <- c0 c1\n");
	free_render();

	find_job("A")->chunk_size = 5;
	find_job("B")->chunk_size = 2;
	assert_int_equal(expand("A", 1, 7, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/4 1-2 <-\n"
			    "c1 B 2/4 3-4 <-\n"
			    "c2 B 3/4 5 <-\n"
			    "c3 B 4/4 6-7 <-\n"
			    "c4 A 1/2 1-5 <- c0 c1 c2\n"
			    "c5 A 2/2 6-7 <- c3\n");
	free_render();
}

/* No chunk_size anywhere: one chunk of all IDs; a job without chunk_size among jobs with one
 * has one chunk per group. */
static void test_jobs_without_chunk_size(void **unused)
{
	job("A", 0);
	job("B", 0);
	dep("A", "B", 0);
	assert_int_equal(expand("A", 1, 5, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/1 1-5 <-\n"
			    "c1 A 1/1 1-5 <- c0\n");
	free_render();

	find_job("B")->chunk_size = 2;
	assert_int_equal(expand("A", 1, 5, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 B 1/3 1-2 <-\n"
			    "c1 B 2/3 3-4 <-\n"
			    "c2 B 3/3 5 <-\n"
			    "c3 A 1/3 1-2 <- c0\n"
			    "c4 A 2/3 3-4 <- c1\n"
			    "c5 A 3/3 5 <- c2\n");
	free_render();
}

/* chunk_size: all is one chunk over every ID of the run, across groups, waiting for every
 * chunk below it; it does not change the group size of the others. */
static void test_chunk_size_all(void **unused)
{
	job("report", CHUNK_SIZE_ALL);
	job("stores", 4);
	job("sales", 0);
	dep("report", "stores", 0);
	dep("stores", "sales", 0);
	assert_int_equal(expand("report", 1, 10, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 sales 1/3 1-4 <-\n"
			    "c1 sales 2/3 5-8 <-\n"
			    "c2 sales 3/3 9-10 <-\n"
			    "c3 stores 1/3 1-4 <- c0\n"
			    "c4 stores 2/3 5-8 <- c1\n"
			    "c5 stores 3/3 9-10 <- c2\n"
			    "c6 report 1/1 1-10 <- c3 c4 c5\n");
	free_render();

	/* below the master: every chunk of its parent waits for the one chunk */
	job("ref", CHUNK_SIZE_ALL);
	dep("sales", "ref", 0);
	assert_int_equal(expand("stores", 1, 6, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 ref 1/1 1-6 <-\n"
			    "c1 sales 1/2 1-4 <- c0\n"
			    "c2 sales 2/2 5-6 <- c0\n"
			    "c3 stores 1/2 1-4 <- c1\n"
			    "c4 stores 2/2 5-6 <- c2\n");
	free_render();

	/* a run without IDs: one chunk, as for any job */
	assert_int_equal(expand("report", 1, 0, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 ref 1/1 - <-\n"
			    "c1 sales 1/1 - <- c0\n"
			    "c2 stores 1/1 - <- c1\n"
			    "c3 report 1/1 - <- c2\n");
	free_render();
}

/* Chunk sizes of job types outside the master's graph do not change G. */
static void test_group_size_is_the_masters_graph(void **unused)
{
	worked_example_jobs();
	job("Z", 2);
	dep("Z", "A", 0);
	assert_int_equal(expand("B", 1, 6, "{}", false), 0);
	assert_string_equal(render(&f.p),
			    "c0 E 1/1 1-6 <-\n"
			    "c1 B 1/3 1-2 <- c0\n"
			    "c2 B 2/3 3-4 <- c0\n"
			    "c3 B 3/3 5-6 <- c0\n");
	free_render();
}

static void test_freshness_error(void **unused)
{
	worked_example_jobs();
	find_job("A")->deps[0].max_lag = 60;
	fake.fail = "database is locked";
	assert_int_equal(expand("A", 1, 6, "{}", false), -1);
	assert_string_equal(f.err, "database is locked");
	assert_int_equal(f.p.nchunks, 0);
	assert_null(f.p.chunks);
	assert_int_equal(f.p.ndrops, 0);
}

static void test_no_work(void **unused)
{
	worked_example_jobs();
	build();
	assert_int_equal(plan_expand(&f.p, &f.g, graph_find(&f.g, "A"), NULL, 0, true, "{}", NOW,
				     false, &fake_src, f.err, sizeof(f.err)),
			 -1);
	assert_string_equal(f.err, "no work");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_worked_example),
		T(test_groups_share_nothing),
		T(test_fresh_chunks_are_dropped),
		T(test_kept_chunks_say_why),
	T(test_nothing_below_a_dropped_chunk),
		T(test_max_lag_boundary),
		T(test_max_lag_zero_is_always_stale),
		T(test_force_makes_everything_stale),
		T(test_allow_missing_work_ids),
		T(test_diamond_is_shared),
		T(test_shared_task_takes_strictest_need),
		T(test_unique_edge_copies_the_subtree),
		T(test_unique_copy_shares_within),
		T(test_custom_kwargs_deeper_wins),
		T(test_kwargs_decide_sharing),
		T(test_bad_run_kwargs),
		T(test_run_without_ids),
		T(test_chunk_size_larger_than_group),
		T(test_jobs_without_chunk_size),
		T(test_chunk_size_all),
		T(test_group_size_is_the_masters_graph),
		T(test_freshness_error),
		T(test_no_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
