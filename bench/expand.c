/* expand.c - benchmark of docs/design.md, "Performance": expanding a five-job chain over 1,000,000 work IDs.
 *
 *   expand fill DIR           record 1,000,000 freshness rows in DIR/.stau/stau.db
 *   expand run DIR SCENARIO   expand the chain three times; print the median wall time and
 *                             the process's peak RSS
 *
 * The chain is stage1 (chunk_size 10) -> stage2 (50) -> stage3 (100) -> stage4 (500) ->
 * stage5 (1000), every edge with max_lag 1h, stage1 the master, over the IDs 1..1,000,000.
 * `fill` records successes the way stau does (a run is created, activated with its plan,
 * its chunk claimed and finished through state.h), one run per dependency at time T0:
 * stage2 for IDs 1..500,000, stage3 for 500,001..750,000, stage4 for 750,001..900,000 and
 * stage5 for 900,001..1,000,000, one million rows in all.
 * `run` answers freshness from that database through state_freshness_src:
 *   mixed  now = T0 + 10 min: those rows are fresh, so each stage keeps only the chunks whose
 *          IDs the stage above kept and this stage has not done (stage5 is dropped whole);
 *   stale  now = T0 + 1 day: every row is too old, every chunk of every stage is kept and
 *          each dependency is checked over all million IDs (the largest plan).
 * Filling and expanding run in separate processes so that the peak RSS printed is the
 * expansion's (plus the database connection and the ID array), not SQLite's during the fill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "graph.h"
#include "plan.h"
#include "state.h"
#include "util.h"

#define NIDS 1000000
#define NSTAGES 5
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static const int64_t chunk_sizes[NSTAGES] = { 10, 50, 100, 500, 1000 };
/* The IDs each dependency stage is recorded for by `fill` (stage1 is the master). */
static const int64_t fill_from[NSTAGES] = { 0, 1, 500001, 750001, 900001 };
static const int64_t fill_to[NSTAGES] = { 0, 500000, 750000, 900000, 1000000 };

struct chain {
	struct job jobs[NSTAGES];
	struct dep deps[NSTAGES];
	struct graph g;
};

/* The chain, or (with_deps false) the same job types standing alone with one chunk each. */
static void chain_build(struct chain *c, bool with_deps)
{
	struct diags d = DIAGS_INIT;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < NSTAGES; i++) {
		c->jobs[i].type = xasprintf("stage%d", i + 1);
		c->jobs[i].chunk_size = with_deps ? chunk_sizes[i] : 0;
		if (!with_deps || i == NSTAGES - 1)
			continue;
		c->deps[i].job_type = xasprintf("stage%d", i + 2);
		c->deps[i].max_lag = 3600;
		c->jobs[i].deps = &c->deps[i];
		c->jobs[i].ndeps = 1;
	}
	if (graph_build(&c->g, c->jobs, NSTAGES, &d))
		die(2, "cannot build the chain");
	diags_release(&d);
}

static void chain_free(struct chain *c)
{
	graph_free(&c->g);
	for (int i = 0; i < NSTAGES; i++) {
		free(c->jobs[i].type);
		free(c->deps[i].job_type);
	}
}

static struct state *open_state(const char *dir)
{
	struct state *st;
	char err[512];
	if (state_open(dir, &st, err, sizeof(err)))
		die(3, "%s", err);
	return st;
}

/* Records a success of `type` for ids[0..n) at time t, as a one-chunk run would. */
static void record_success(struct state *st, const struct chain *alone, const char *type,
			   const int64_t *ids, size_t n, int64_t t)
{
	struct plan p;
	struct state_run_new r = { .job = type, .ids = ids, .nids = n, .has_ids = true };
	struct state_claim claim = { 0 };
	struct state_chunk chunk;
	struct state_result ok = { .ok = true, .exit_code = 0 };
	char err[512];
	int64_t run;
	if (plan_expand(&p, &alone->g, graph_find(&alone->g, type), ids, n, true, "{}", t, false,
			NULL, err, sizeof(err)))
		die(1, "%s", err);
	if (proc_self(&claim.owner) || state_run_create(st, &r, t, &run) ||
	    state_run_activate(st, run, &p, t) ||
	    state_claim_ready_chunk(st, &claim, t, &chunk) != 1 ||
	    state_chunk_finish(st, chunk.id, &ok, t, NULL))
		die(3, "%s", state_errmsg(st));
	state_chunk_release(&chunk);
	plan_release(&p);
}

static int fill(const char *dir)
{
	struct chain alone;
	struct state *st = open_state(dir);
	int64_t *ids = xmalloc(NIDS * sizeof(*ids));
	chain_build(&alone, false);
	for (int i = 1; i < NSTAGES; i++) {
		size_t n = 0;
		for (int64_t id = fill_from[i]; id <= fill_to[i]; id++)
			ids[n++] = id;
		record_success(st, &alone, alone.jobs[i].type, ids, n, T0);
	}
	state_close(st);
	chain_free(&alone);
	free(ids);
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int run(const char *dir, const char *scenario)
{
	int64_t now;
	if (!strcmp(scenario, "mixed"))
		now = T0 + 600;
	else if (!strcmp(scenario, "stale"))
		now = T0 + 86400;
	else
		die(2, "unknown scenario '%s': use 'mixed' or 'stale'", scenario);
	struct chain c;
	struct state *st = open_state(dir);
	struct freshness_src fresh = state_freshness_src(st);
	int64_t *ids = xmalloc(NIDS * sizeof(*ids));
	for (size_t i = 0; i < NIDS; i++)
		ids[i] = (int64_t)i + 1;
	chain_build(&c, true);
	long before = peak_rss_kb();
	double times[3];
	struct plan p = { 0 };
	char err[512];
	for (int r = 0; r < 3; r++) {
		struct timespec t0;
		plan_release(&p);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (plan_expand(&p, &c.g, graph_find(&c.g, "stage1"), ids, NIDS, true, "{}", now,
				false, &fresh, err, sizeof(err)))
			die(3, "%s", err);
		times[r] = seconds_since(&t0);
	}
	qsort(times, 3, sizeof(*times), cmp_double);
	size_t ndeps = 0;
	for (size_t i = 0; i < p.nchunks; i++)
		ndeps += p.chunks[i].ndeps;
	printf("expand %-5s %7zu chunks %7zu deps %5zu drops: %.3f s median of 3 "
	       "(min %.3f), peak RSS %ld MB (%ld MB before expanding); target <= 2 s, <= 300 MB\n",
	       scenario, p.nchunks, ndeps, p.ndrops, times[1], times[0], peak_rss_kb() / 1024,
	       before / 1024);
	plan_release(&p);
	chain_free(&c);
	free(ids);
	state_close(st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "fill"))
		return fill(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3]);
	fprintf(stderr, "usage: expand fill DIR | expand run DIR mixed|stale\n");
	return 2;
}
