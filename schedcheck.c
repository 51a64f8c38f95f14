/* schedcheck.c - disabling the schedule entries whose job is unknown or BROKEN.
 *
 * Why a job is BROKEN is settled once per job type, not once per entry: a job's own reason
 * (job.broken, or the first problem reported in its file), else "needs 'x', which is
 * BROKEN" for the first broken dependency, over the graph's topological order, where every
 * dependency comes before the jobs that need it; the same rule `stau status` shows
 * (health.c). */
#include "schedcheck.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The first problem in d of each job file, by node index (new strings, NULL: none). */
static void file_reasons(const struct graph *g, const struct diags *d, char **why)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i].job->broken)
			why[i] = xstrdup(g->nodes[i].job->broken);
	for (size_t i = 0; i < d->n; i++) {
		const char *file = d->v[i].file;
		if (!file || strncmp(file, "jobs/", 5))
			continue;
		char *type = config_job_type_of(file);
		const struct graph_node *n = graph_find(g, type);
		free(type);
		if (n && n->job->path && !strcmp(n->job->path, file) && !why[n->index])
			why[n->index] = diag_format(&d->v[i]);
	}
}

static void dependency_reasons(const struct graph *g, char **why)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct graph_node *n = g->order[i];
		for (size_t k = 0; !why[n->index] && k < n->ndeps; k++)
			if (why[n->deps[k].to->index])
				why[n->index] = xasprintf("needs '%s', which is BROKEN",
							  n->deps[k].to->job->type);
	}
}

static void unknown_job(struct entry *e, const struct graph *g, struct diags *d)
{
	const char **names = xcalloc(g->n + 1, sizeof(*names));
	for (size_t i = 0; i < g->n; i++)
		names[i] = g->nodes[i].job->type;
	const char *near = spell_suggest(e->job, names);
	char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
	diag_add(d, "schedule.yaml", e->job_loc.line, e->job_loc.col, hint,
		 "unknown job '%s': no file in jobs/ has that job type", e->job);
	if (!e->problem)
		e->problem = diag_format(&d->v[d->n - 1]);
	free(hint);
	free(names);
}

static bool of_schedule(const struct diag *g)
{
	return g->file && !strcmp(g->file, "schedule.yaml");
}

/* Puts the problems of schedule.yaml first, in line order, the others after them in their
 * order: a tick reports each file's problems as one group (once per version). */
static void regroup(struct diags *d)
{
	if (!d->n)
		return;
	struct diag *v = xcalloc(d->n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (!of_schedule(&d->v[i]))
			continue;
		size_t j = k++;
		for (; j > 0 && (v[j - 1].line > d->v[i].line ||
				 (v[j - 1].line == d->v[i].line && v[j - 1].col > d->v[i].col));
		     j--)
			v[j] = v[j - 1];
		v[j] = d->v[i];
	}
	for (size_t i = 0; i < d->n; i++)
		if (!of_schedule(&d->v[i]))
			v[k++] = d->v[i];
	if (d->n)
		memcpy(d->v, v, d->n * sizeof(*v));
	free(v);
}

/* Checks the entries of s against g; unknown: an entry whose job is not in g is unknown (g
 * holds every job), else it is left alone. */
static void check(struct schedule *s, const struct graph *g, struct diags *d, bool unknown)
{
	char **why = xcalloc(g->n + 1, sizeof(*why));
	file_reasons(g, d, why);
	dependency_reasons(g, why);
	for (size_t i = 0; i < s->nentries; i++) {
		struct entry *e = &s->entries[i];
		const struct graph_node *n = graph_find(g, e->job);
		if (unknown && *e->job && !n) /* even for a disabled entry: check lists them all */
			unknown_job(e, g, d);
		else if (n && !e->problem && why[n->index])
			e->problem = xasprintf("job '%s' is BROKEN: %s", e->job, why[n->index]);
	}
	for (size_t i = 0; i < g->n; i++)
		free(why[i]);
	free(why);
}

void schedcheck_entries(struct schedule *s, const struct graph *g, struct diags *d)
{
	check(s, g, d, true);
	regroup(d);
}

void schedcheck_loaded(struct schedule *s, const struct graph *g, struct diags *d)
{
	check(s, g, d, false); /* adds nothing to d */
}
