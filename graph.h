/* graph.h - the job-type DAG: one node per job, one edge per dependency; owns its nodes.
 *
 * Built from the jobs that project.c loaded. Nodes point at (do not own) struct job; edges
 * point at (do not own) struct dep. Everything the graph allocates is freed by graph_free. */
#ifndef STAU_GRAPH_H
#define STAU_GRAPH_H

#include <stddef.h>

#include "config.h"
#include "msg.h"

struct graph_edge {
	struct graph_node *to;	/* the dependency */
	const struct dep *dep;	/* max_lag, allow_missing_work_ids, unique, custom_kwargs */
};

struct graph_node {
	const struct job *job;
	struct graph_edge *deps; /* in header order */
	size_t ndeps;
	size_t index;		 /* position in graph.nodes */
	size_t topo;		 /* position in graph.order */
	int mark;		 /* private to graph.c (cycle search) */
};

struct graph {
	struct graph_node *nodes; /* sorted by job type */
	size_t n;
	struct graph_node **order; /* topological: every node after all its dependencies */
	struct graph_edge *edges;  /* storage of every node's deps (private) */
};

/* Builds the graph of jobs[0..n) (sorted by type, unique). A dependency on a job type with no
 * job is reported at the dependency's file:line:col; a cycle is reported once, naming it
 * ("dependency cycle: job_A -> job_B -> job_A") at the first edge of the cycle. Returns 0, or
 * -1 with problems in d; on -1 the graph holds the edges that resolved, is acyclic, and
 * `order` is still a valid topological order of it. */
int graph_build(struct graph *g, const struct job *jobs, size_t n, struct diags *d);

/* The node of a job type, or NULL. O(log n). */
struct graph_node *graph_find(const struct graph *g, const char *type);

void graph_free(struct graph *g);

#endif
