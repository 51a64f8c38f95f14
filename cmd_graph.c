/* cmd_graph.c - `stau graph [JOB] [--dot]`: the job graph as an indented tree or Graphviz DOT;
 * `stau graph --run RUN [--dot]`: the chunk graph of one run, coloured by state (rungraph.h).
 *
 * The tree starts at JOB, or at every job that no other job depends on, and lists each job's
 * dependencies below it with their max_lag. A job reached a second time is printed once more
 * with "(see above)" instead of its subtree, so that diamonds stay readable and large graphs
 * stay linear in size. DOT edges point along the flow of data, from a dependency to the job
 * that needs it, labelled with max_lag; nodes carry the description. Names, descriptions and
 * reasons come from job files: their control characters are printed escaped (term_escape),
 * in DOT as well, so that no escape sequence in them reaches the terminal. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdopt.h"
#include "project.h"
#include "term.h"
#include "rungraph.h"
#include "state.h"
#include "util.h"

static void print_lag(const struct dep *dep)
{
	char buf[32];
	duration_format(dep->max_lag * 1000, DURATION_EXACT, buf, sizeof(buf));
	printf("  (max_lag %s%s%s)", buf, dep->allow_missing_work_ids ? ", any IDs" : "",
	       dep->unique ? ", unique" : "");
}

/* Prints s with its control characters escaped. */
static void print_text(const char *s)
{
	char *safe = term_escape(s);
	fputs(safe, stdout);
	free(safe);
}

static void print_node_line(const struct graph_node *n)
{
	print_text(n->job->type);
	if (n->job->broken) {
		printf("  [BROKEN: ");
		print_text(n->job->broken);
		printf("]");
	} else if (n->job->description) {
		printf("  - ");
		print_text(n->job->description);
	}
}

/* ---- data_sources and data_sinks ---- */

static void print_data_line(const char *indent, bool more, const char *key, char **v)
{
	if (!v || !*v)
		return;
	printf("%s%s   %s: ", indent, more ? "|" : " ", key);
	for (size_t i = 0; v[i]; i++) {
		printf("%s", i ? ", " : "");
		print_text(v[i]);
	}
	printf("\n");
}

/* The data a job reads and writes, below its line in the tree: indent is the prefix of its
 * dependencies' lines, more whether they follow. */
static void print_data(const struct job *job, const char *indent, bool more)
{
	print_data_line(indent, more, "data_sources", job->data_sources);
	print_data_line(indent, more, "data_sinks", job->data_sinks);
}

/* Prints the dependencies of n, each line prefixed by `indent`. */
static void print_tree(const struct graph_node *n, struct strbuf *indent, bool *seen)
{
	for (size_t k = 0; k < n->ndeps; k++) {
		const struct graph_edge *e = &n->deps[k];
		bool last = k + 1 == n->ndeps;
		printf("%s%s", indent->buf, last ? "`-- " : "|-- ");
		print_node_line(e->to);
		print_lag(e->dep);
		if (seen[e->to->index] && e->to->ndeps) {
			printf("  (see above)\n");
			continue;
		}
		printf("\n");
		seen[e->to->index] = true;
		size_t len = indent->len;
		sb_adds(indent, last ? "    " : "|   ");
		print_data(e->to->job, indent->buf, e->to->ndeps > 0);
		print_tree(e->to, indent, seen);
		indent->len = len;
		indent->buf[len] = '\0';
	}
}

static void print_root(const struct graph *g, const struct graph_node *root, bool *seen)
{
	struct strbuf indent = STRBUF_INIT;
	sb_adds(&indent, "");
	print_node_line(root);
	printf("\n");
	print_data(root->job, "", root->ndeps > 0);
	seen[root->index] = true;
	print_tree(root, &indent, seen);
	sb_release(&indent);
}

/* s as a DOT string; its control characters are escaped first (term_escape), and the
 * backslashes that adds are escaped for DOT like any other, so that "\x1b" is what a
 * renderer shows. A newline separates the lines of a label: it is DOT's "\n". */
static void dot_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Marks n and everything it depends on. */
static void mark_closure(const struct graph_node *n, bool *in)
{
	if (in[n->index])
		return;
	in[n->index] = true;
	for (size_t k = 0; k < n->ndeps; k++)
		mark_closure(n->deps[k].to, in);
}

/* In DOT, each data source and sink is a cylinder ("data:NAME", which no job type can be),
 * with a dashed edge into the job that reads it (source) or out of the job that writes it. */
static void dot_data(const char *name, const char *job, bool source)
{
	char *node = xasprintf("data:%s", name);
	putchar('\t');
	dot_string(node);
	printf(" [label=");
	dot_string(name);
	printf(", shape=cylinder];\n\t");
	dot_string(source ? node : job);
	printf(" -> ");
	dot_string(source ? job : node);
	printf(" [style=dashed];\n");
	free(node);
}

static void print_dot_data(const struct graph *g, const bool *in)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct job *job = g->nodes[i].job;
		for (size_t k = 0; in[i] && job->data_sources && job->data_sources[k]; k++)
			dot_data(job->data_sources[k], job->type, true);
		for (size_t k = 0; in[i] && job->data_sinks && job->data_sinks[k]; k++)
			dot_data(job->data_sinks[k], job->type, false);
	}
}

static void print_dot(const struct graph *g, const bool *in)
{
	printf("digraph stau {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"sans-serif\"];\n");
	for (size_t i = 0; i < g->n; i++) {
		const struct job *job = g->nodes[i].job;
		if (!in[i])
			continue;
		struct strbuf label = STRBUF_INIT;
		char *type = term_escape(job->type);
		sb_adds(&label, type);
		if (job->description) {
			sb_addc(&label, '\n');
			term_add_escaped(&label, job->description, strlen(job->description));
		}
		putchar('\t');
		dot_string(type);
		printf(" [label=");
		dot_string(label.buf);
		printf("%s];\n", job->broken ? ", color=red, fontcolor=red" : "");
		sb_release(&label);
		free(type);
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct graph_node *n = &g->nodes[i];
		for (size_t k = 0; in[i] && k < n->ndeps; k++) {
			char lag[32];
			duration_format(n->deps[k].dep->max_lag * 1000, DURATION_EXACT, lag,
					sizeof(lag));
			char *from = term_escape(n->deps[k].to->job->type);
			char *to = term_escape(n->job->type);
			putchar('\t');
			dot_string(from);
			printf(" -> ");
			dot_string(to);
			printf(" [label=\"max_lag %s\"];\n", lag);
			free(from);
			free(to);
		}
	}
	print_dot_data(g, in);
	printf("}\n");
}

/* ---- the chunk graph of a run (--run) ---- */

/* `stau graph --run RUN [--dot]`: the run's chunks and their dependencies (rungraph.h). */
static int graph_run(struct ctx *ctx, const char *word, bool dot, int nargs)
{
	int64_t id;
	if (nargs)
		return usage_error("graph", "give a job or --run RUN, not both");
	int rc = cmdopt_run_id("graph", word, &id);
	if (rc == EXIT_OK)
		rc = ctx_open_state(ctx, false); /* reading never creates the database */
	if (rc != EXIT_OK)
		return rc;
	struct state_run r;
	int got = ctx->st ? state_run_get(ctx->st, id, &r) : 0;
	if (got <= 0)
		return got < 0 ? error_state(ctx->st) : error_no_run(id);
	struct state_chunk *cs;
	size_t n;
	rc = state_run_chunks(ctx->st, id, true, &cs, &n) ? error_state(ctx->st) : EXIT_OK;
	if (rc == EXIT_OK) {
		struct strbuf sb = STRBUF_INIT;
		if (dot)
			rungraph_dot(&sb, &r, cs, n);
		else
			rungraph_text(&sb, &r, cs, n, ctx->color);
		fputs(sb.buf, stdout);
		sb_release(&sb);
		state_chunks_free(cs, n);
	}
	state_run_release(&r);
	return rc;
}

int cmd_graph(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { { "dot", no_argument, NULL, 'd' },
					      { "run", required_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };
	bool dot = false;
	const char *run = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'r')
			run = optarg;
		else if (c == 'd')
			dot = true;
		else
			return cmdopt_bad("graph", c, argv);
	}
	if (run)
		return graph_run(ctx, run, dot, argc - optind);
	if (argc - optind > 1)
		return usage_error("graph", "give at most one job");
	for (size_t i = 0; i < ctx->p.diags.n; i++) {
		char *line = term_diag(&ctx->p.diags.v[i]);
		fprintf(stderr, "stau: %s\n", line);
		free(line);
	}
	int rc = ctx->p.diags.n ? EXIT_USAGE : EXIT_OK;
	const struct graph *g = &ctx->p.graph;
	const struct graph_node *only = NULL;
	if (optind < argc && !(only = graph_find(g, argv[optind]))) {
		char *name = term_escape(argv[optind]);
		error("unknown job '%s'; 'stau check' lists the jobs", name);
		free(name);
		return EXIT_USAGE;
	}
	bool *marks = xcalloc(g->n ? g->n : 1, sizeof(*marks));
	if (dot) {
		for (size_t i = 0; i < g->n; i++)
			if (!only || &g->nodes[i] == only)
				mark_closure(&g->nodes[i], marks);
		print_dot(g, marks);
	} else if (only) {
		print_root(g, only, marks);
	} else {
		bool *needed = xcalloc(g->n ? g->n : 1, sizeof(*needed));
		for (size_t i = 0; i < g->n; i++)
			for (size_t k = 0; k < g->nodes[i].ndeps; k++)
				needed[g->nodes[i].deps[k].to->index] = true;
		for (size_t i = 0; i < g->n; i++)
			if (!needed[i])
				print_root(g, &g->nodes[i], marks);
		free(needed);
	}
	free(marks);
	return rc;
}
