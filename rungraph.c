/* rungraph.c - the chunk graph of one run as a tree or as Graphviz DOT (rungraph.h).
 *
 * Chunks are found by id through an index sorted by id; "is a dependency of another chunk"
 * is one pass over every chunk's deps. Both outputs are linear in the chunks and edges. */
#include "rungraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "term.h"
#include "view.h"
#include "workids.h"

struct rg {
	const struct state_chunk *cs;
	size_t n;
	size_t *by_id; /* indexes into cs, sorted by chunk id */
};

static int cmp_by_id(const void *a, const void *b, void *ctx)
{
	const struct state_chunk *cs = ctx;
	int64_t x = cs[*(const size_t *)a].id, y = cs[*(const size_t *)b].id;
	return x < y ? -1 : x > y;
}

static void rg_init(struct rg *g, const struct state_chunk *cs, size_t n)
{
	g->cs = cs;
	g->n = n;
	g->by_id = xmalloc((n ? n : 1) * sizeof(*g->by_id));
	for (size_t i = 0; i < n; i++)
		g->by_id[i] = i;
	qsort_r(g->by_id, n, sizeof(*g->by_id), cmp_by_id, (void *)cs);
}

/* The index of chunk id, or n when it is not in this run. */
static size_t rg_find(const struct rg *g, int64_t id)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t m = g->cs[g->by_id[mid]].id;
		if (m == id)
			return g->by_id[mid];
		if (m < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return g->n;
}

/* Why a chunk is in its state, when that says more than the state: "exit 1", "SIGKILL",
 * "upstream failed"; or NULL. buf holds at least 32 bytes. */
static const char *why(const struct state_chunk *c, char *buf, size_t len)
{
	if (c->message)
		return c->message;
	if (c->state != CHUNK_FAILED)
		return NULL;
	if (c->signal)
		return proc_signal_name(c->signal, buf, len);
	if (c->exit_code >= 0) {
		snprintf(buf, len, "exit %d", c->exit_code);
		return buf;
	}
	return NULL;
}

static char *ids_of(const struct state_chunk *c)
{
	return c->has_ids ? workids_format_brief(c->ids, c->nids, RUNGRAPH_IDS_MAX) : NULL;
}

/* ---- the tree ---- */

/* "features 2/2  IDs 3-4  FAILED: exit 1" */
static void node_line(struct strbuf *sb, const struct state_chunk *c, bool color)
{
	char buf[32];
	sb_addf(sb, "%s %zu/%zu", c->job, c->index, c->count);
	char *ids = ids_of(c);
	if (ids)
		sb_addf(sb, "  ID%s %s", c->nids == 1 ? "" : "s", *ids ? ids : "none");
	free(ids);
	sb_adds(sb, "  ");
	term_add_colored(sb, color, view_chunk_color(c->state), chunk_state_name(c->state));
	const char *w = why(c, buf, sizeof(buf));
	if (w)
		sb_addf(sb, ": %s", w);
}

struct walk {
	const struct rg *g;
	struct strbuf *sb, indent;
	bool *seen;
	bool color;
};

static void tree(struct walk *w, size_t i)
{
	const struct state_chunk *c = &w->g->cs[i];
	for (size_t k = 0; k < c->ndeps; k++) {
		size_t j = rg_find(w->g, c->deps[k]);
		if (j == w->g->n)
			continue;
		bool last = k + 1 == c->ndeps;
		sb_addf(w->sb, "%s%s", w->indent.buf, last ? "`-- " : "|-- ");
		node_line(w->sb, &w->g->cs[j], w->color);
		if (w->seen[j] && w->g->cs[j].ndeps) {
			sb_adds(w->sb, "  (see above)\n");
			continue;
		}
		sb_addc(w->sb, '\n');
		w->seen[j] = true;
		size_t len = w->indent.len;
		sb_adds(&w->indent, last ? "    " : "|   ");
		tree(w, j);
		w->indent.len = len;
		w->indent.buf[len] = '\0';
	}
}

/* needed[i]: some chunk of the run depends on chunk i. */
static bool *needed_chunks(const struct rg *g)
{
	bool *needed = xcalloc(g->n ? g->n : 1, sizeof(*needed));
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->cs[i].ndeps; k++) {
			size_t j = rg_find(g, g->cs[i].deps[k]);
			if (j < g->n)
				needed[j] = true;
		}
	return needed;
}

void rungraph_text(struct strbuf *sb, const struct state_run *r, const struct state_chunk *cs,
		   size_t n, bool color)
{
	struct rg g;
	rg_init(&g, cs, n);
	sb_addf(sb, "run %lld of %s: ", (long long)r->id, r->job);
	term_add_colored(sb, color, view_run_color(r->state), run_state_name(r->state));
	sb_adds(sb, n ? "\n" : "\nno chunks\n");
	struct walk w = { .g = &g, .sb = sb, .indent = STRBUF_INIT, .color = color };
	w.seen = xcalloc(n ? n : 1, sizeof(*w.seen));
	bool *needed = needed_chunks(&g);
	sb_adds(&w.indent, "");
	for (size_t i = 0; i < n; i++) {
		if (needed[i])
			continue;
		node_line(sb, &cs[i], color);
		sb_addc(sb, '\n');
		w.seen[i] = true;
		tree(&w, i);
	}
	free(needed);
	free(w.seen);
	sb_release(&w.indent);
	free(g.by_id);
}

/* ---- DOT ---- */

static void dot_string(struct strbuf *sb, const char *s)
{
	sb_addc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_addc(sb, '\\');
		if (*s == '\n')
			sb_adds(sb, "\\n");
		else
			sb_addc(sb, *s);
	}
	sb_addc(sb, '"');
}

static const char *fill_color(enum chunk_state s)
{
	switch (s) {
	case CHUNK_DONE: return "palegreen";
	case CHUNK_FAILED: return "lightcoral";
	case CHUNK_CANCELED: return "khaki";
	case CHUNK_RUNNING: return "lightskyblue";
	default: return "white";
	}
}

static void dot_node(struct strbuf *sb, const struct state_chunk *c)
{
	char buf[32];
	struct strbuf label = STRBUF_INIT;
	sb_addf(&label, "%s %zu/%zu", c->job, c->index, c->count);
	char *ids = ids_of(c);
	if (ids)
		sb_addf(&label, "\nID%s %s", c->nids == 1 ? "" : "s", *ids ? ids : "none");
	free(ids);
	sb_addf(&label, "\n%s", chunk_state_name(c->state));
	const char *w = why(c, buf, sizeof(buf));
	if (w)
		sb_addf(&label, ": %s", w);
	sb_addf(sb, "\t\t\"c%lld\" [label=", (long long)c->id);
	dot_string(sb, label.buf);
	sb_addf(sb, ", fillcolor=\"%s\"];\n", fill_color(c->state));
	sb_release(&label);
}

/* The chunks of each job type in a cluster, job types in the order of their first chunk. */
static void dot_clusters(struct strbuf *sb, const struct state_chunk *cs, size_t n)
{
	bool *done = xcalloc(n ? n : 1, sizeof(*done));
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		sb_addf(sb, "\tsubgraph \"cluster_%s\" {\n\t\tlabel=", cs[i].job);
		dot_string(sb, cs[i].job);
		sb_adds(sb, ";\n");
		for (size_t j = i; j < n; j++) {
			if (done[j] || strcmp(cs[j].job, cs[i].job))
				continue;
			done[j] = true;
			dot_node(sb, &cs[j]);
		}
		sb_adds(sb, "\t}\n");
	}
	free(done);
}

void rungraph_dot(struct strbuf *sb, const struct state_run *r, const struct state_chunk *cs,
		  size_t n)
{
	struct rg g;
	rg_init(&g, cs, n);
	char *title = xasprintf("run %lld of %s: %s", (long long)r->id, r->job,
				run_state_name(r->state));
	sb_adds(sb, "digraph stau_run {\n\trankdir=LR;\n\tlabel=");
	dot_string(sb, title);
	sb_adds(sb, ";\n\tlabelloc=t;\n\tfontname=\"sans-serif\";\n"
		    "\tnode [shape=box, style=filled, fontname=\"sans-serif\"];\n");
	free(title);
	dot_clusters(sb, cs, n);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < cs[i].ndeps; k++)
			if (rg_find(&g, cs[i].deps[k]) < n)
				sb_addf(sb, "\t\"c%lld\" -> \"c%lld\";\n", (long long)cs[i].deps[k],
					(long long)cs[i].id);
	sb_adds(sb, "}\n");
	free(g.by_id);
}
