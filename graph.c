/* graph.c - the job-type DAG: nodes, dependency edges, cycle detection, topological order.
 *
 * Nodes are one array sorted by job type (the order project.c loads jobs in), so a lookup is
 * a binary search and node order is stable from run to run. Edges of all nodes share one
 * array. The cycle search is a depth-first walk with a three-state mark per node (unvisited,
 * on the current path, finished), as ninja's VerifyDAG does: meeting a node that is on the
 * path closes a cycle, and the path from that node to here spells it out. The edge that
 * closes a cycle is removed so that the rest of the graph stays usable (and `order` stays a
 * valid topological order), and each cycle is reported once. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { VISIT_NONE = 0, VISIT_IN_STACK, VISIT_DONE };

static int cmp_node_type(const void *key, const void *elem)
{
	const struct graph_node *n = elem;
	return strcmp(key, n->job->type);
}

struct graph_node *graph_find(const struct graph *g, const char *type)
{
	if (!g->n)
		return NULL;
	return bsearch(type, g->nodes, g->n, sizeof(*g->nodes), cmp_node_type);
}

static const char **job_type_names(const struct job *jobs, size_t n)
{
	const char **names = xcalloc(n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = jobs[i].type;
	return names;
}

/* Resolves each dependency to its node; unknown ones are reported and left out. */
static int link_edges(struct graph *g, const struct job *jobs, size_t n, struct diags *d)
{
	size_t total = 0, k = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		total += jobs[i].ndeps;
	struct graph_edge *edges = xcalloc(total ? total : 1, sizeof(*edges));
	g->edges = edges;
	const char **names = job_type_names(jobs, n);
	for (size_t i = 0; i < n; i++) {
		struct graph_node *node = &g->nodes[i];
		node->deps = edges + k;
		for (size_t j = 0; j < jobs[i].ndeps; j++) {
			const struct dep *dep = &jobs[i].deps[j];
			struct graph_node *to = graph_find(g, dep->job_type);
			if (!to) {
				const char *near = spell_suggest(dep->job_type, names);
				char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
				diag_add(d, jobs[i].path, dep->loc.line, dep->loc.col, hint,
					 "unknown dependency '%s': no file in jobs/ has that job type",
					 dep->job_type);
				free(hint);
				rc = -1;
				continue;
			}
			edges[k].to = to;
			edges[k].dep = dep;
			k++;
			node->ndeps++;
		}
	}
	free(names);
	return rc;
}

struct walk {
	struct graph *g;
	struct graph_node **stack; /* the current path */
	size_t depth;
	size_t norder;
	struct diags *d;
	int rc;
};

static void report_cycle(struct walk *w, struct graph_node *from, struct graph_edge *e)
{
	struct strbuf sb = STRBUF_INIT;
	size_t start = w->depth;
	while (start > 0 && w->stack[start - 1] != e->to)
		start--;
	for (size_t i = start ? start - 1 : 0; i < w->depth; i++)
		sb_addf(&sb, "%s -> ", w->stack[i]->job->type);
	sb_adds(&sb, e->to->job->type);
	diag_add(w->d, from->job->path, e->dep->loc.line, e->dep->loc.col, NULL,
		 "dependency cycle: %s", sb.buf);
	sb_release(&sb);
	w->rc = -1;
}

/* Removes edge k of node, keeping the order of the others. */
static void drop_edge(struct graph_node *node, size_t k)
{
	memmove(&node->deps[k], &node->deps[k + 1], (node->ndeps - k - 1) * sizeof(*node->deps));
	node->ndeps--;
}

static void visit(struct walk *w, struct graph_node *node)
{
	node->mark = VISIT_IN_STACK;
	w->stack[w->depth++] = node;
	for (size_t k = 0; k < node->ndeps;) {
		struct graph_edge *e = &node->deps[k];
		if (e->to->mark == VISIT_IN_STACK) {
			report_cycle(w, node, e);
			drop_edge(node, k);
			continue;
		}
		if (e->to->mark == VISIT_NONE)
			visit(w, e->to);
		k++;
	}
	w->depth--;
	node->mark = VISIT_DONE;
	node->topo = w->norder;
	w->g->order[w->norder++] = node;
}

int graph_build(struct graph *g, const struct job *jobs, size_t n, struct diags *d)
{
	memset(g, 0, sizeof(*g));
	g->n = n;
	g->nodes = xcalloc(n ? n : 1, sizeof(*g->nodes));
	g->order = xcalloc(n ? n : 1, sizeof(*g->order));
	for (size_t i = 0; i < n; i++) {
		g->nodes[i].job = &jobs[i];
		g->nodes[i].index = i;
	}
	int rc = link_edges(g, jobs, n, d);
	struct walk w = { g, xcalloc(n ? n : 1, sizeof(*w.stack)), 0, 0, d, 0 };
	for (size_t i = 0; i < n; i++)
		if (g->nodes[i].mark == VISIT_NONE)
			visit(&w, &g->nodes[i]);
	free(w.stack);
	return rc || w.rc ? -1 : 0;
}

void graph_free(struct graph *g)
{
	free(g->edges);
	free(g->nodes);
	free(g->order);
	memset(g, 0, sizeof(*g));
}
