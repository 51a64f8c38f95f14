/* plan.h - the expansion of a run into chunks (docs/design.md, "Work IDs, chunks and
 * freshness"); pure.
 *
 * plan_expand turns a master job, its work IDs and the run's kwargs into tasks (a job type
 * with its kwargs, shared or copied per step 5 at the top of plan.c) and chunks (a slice of
 * the run's sorted work IDs, with the chunks it waits for). Freshness is asked through struct
 * freshness_src, which state_fresh.c implements over SQLite and tests implement with arrays:
 * plan.c never includes state.h. The expansion steps are described at the top of plan.c. */
#ifndef STAU_PLAN_H
#define STAU_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct freshness_src {
	/* Fills fin[i] with the latest successful finish time of job type `type` covering ids[i],
	 * or 0 when there is none. ids are sorted ascending and may be a million long: implement
	 * it as one pass, not one query per ID. Returns 0, or -1 with a message in err. */
	int (*per_ids)(void *ctx, const char *type, const int64_t *ids, size_t n, int64_t *fin,
		       char *err, size_t errlen);
	/* Sets *fin to the latest successful finish of `type` at all (0 when none). */
	int (*per_type)(void *ctx, const char *type, int64_t *fin, char *err, size_t errlen);
	void *ctx;
};

/* A job type as it takes part in the run: one per (node, kwargs) unless unique edges copy it. */
struct plan_task {
	const struct graph_node *node;
	char *kwargs_json;	/* the chunk's kwargs, a JSON object (step 6 at the top of plan.c) */
	size_t first_chunk;	/* its chunks are chunks[first_chunk .. first_chunk + nchunks) */
	size_t nchunks;
	const struct graph_node *parent; /* the job whose edge first reached it; NULL: master */
	const struct dep *via;	/* that edge (max_lag, unique) */
};

/* Why a dependency chunk is kept (plan_expand_explained; zero otherwise and for the master's
 * chunks): the needed IDs of its slot that were stale. */
struct plan_why {
	size_t nstale;		/* stale units (IDs, or 1 for a run without IDs) */
	size_t nnever;		/* of them, never computed */
	int64_t first_id, last_id; /* the first and the last stale ID */
	int64_t oldest;		/* the oldest finish among the stale ones that were computed */
	int64_t max_lag;	/* seconds they were judged against; -1: always stale (max_lag 0
				 * or --force) */
};

struct plan_chunk {
	size_t task;		/* index in plan.tasks */
	size_t index, count;	/* 1-based: chunk `index` of `count` of its job type (STAU_CHUNK) */
	size_t id_off, nids;	/* its work IDs: plan.ids[id_off .. id_off + nids) */
	size_t *deps;		/* indices in plan.chunks of the chunks it waits for */
	size_t ndeps;
	struct plan_why why;	/* plan_expand_explained only */
};

/* A dependency chunk left out because all its IDs were fresh (for --dry-run). */
struct plan_drop {
	const struct graph_node *node;
	const struct graph_node *parent; /* the job whose edge first reached it */
	const struct dep *via;	/* that edge */
	size_t id_off, nids;
	int64_t freshest;	/* the latest finish among its IDs; now - freshest is its age */
};

struct plan {
	const int64_t *ids;	/* the run's work IDs, sorted and unique; borrowed from the caller */
	size_t nids;
	bool has_ids;		/* false: the run has no IDs, freshness is judged per job type */
	struct plan_task *tasks;
	size_t ntasks;
	struct plan_chunk *chunks; /* dependencies first: every deps[k] < the chunk's own index */
	size_t nchunks;
	struct plan_drop *drops;
	size_t ndrops;
	size_t *dep_storage; /* private to plan.c: the one array every chunk's deps point into */
};

/* Expands a run of `master` over ids[0..nids) (sorted, unique; kept borrowed by the plan) with
 * the run's kwargs (a JSON object text, "{}" for none) at time `now`. force treats every
 * dependency as stale. Returns 0, or -1 with a message in err: the freshness source's error,
 * "no work" (has_ids with nids == 0), or "the run's kwargs are not a JSON object: ..."; *out
 * is then empty. The caller has already checked that the graph is valid. *out is released
 * with plan_release. fresh is asked only about dependencies: NULL is fine for a master with
 * none. */
int plan_expand(struct plan *out, const struct graph *g, const struct graph_node *master,
		const int64_t *ids, size_t nids, bool has_ids, const char *kwargs_json, int64_t now,
		bool force, const struct freshness_src *fresh, char *err, size_t errlen);

/* As plan_expand, and each dependency chunk kept says why in its `why` (for --dry-run; it
 * costs memory per chunk that a run does not need). */
int plan_expand_explained(struct plan *out, const struct graph *g,
			  const struct graph_node *master, const int64_t *ids, size_t nids,
			  bool has_ids, const char *kwargs_json, int64_t now, bool force,
			  const struct freshness_src *fresh, char *err, size_t errlen);

void plan_release(struct plan *p);

#endif
