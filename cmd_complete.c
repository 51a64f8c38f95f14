/* cmd_complete.c - `stau complete jobs|entries|runs`: the words bash completion offers that
 * only the project knows, one per line (completion/stau.bash calls it; not in `stau --help`).
 *
 * The commands and their options are not here: the completion script reads them from
 * `stau --help` and `stau CMD --help`, so that a new command completes without a change to
 * it. jobs: every job type; entries: every schedule entry id; runs: the newest runs (at most
 * RUNS_LISTED, newest first: what a person picks for show, logs, retry, rerun and cancel).
 * Reading never creates the database, and a project with problems still lists what loaded;
 * nothing is printed on stderr but usage errors, since a completion must not disturb the
 * line being typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "project.h"
#include "state.h"
#include "util.h"

#define RUNS_LISTED 50

static int cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The ids of the newest runs of every job that has runs, newest first. */
static void list_runs(struct state *st)
{
	struct state_run *last;
	size_t nlast;
	if (!st || state_last_runs(st, &last, &nlast))
		return;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < nlast; i++) {
		struct state_run *runs;
		size_t nruns;
		if (state_runs_of_job(st, last[i].job, RUNS_LISTED, &runs, &nruns))
			continue;
		for (size_t k = 0; k < nruns; k++) {
			grow(&ids, &cap, n + 1, sizeof(*ids));
			ids[n++] = runs[k].id;
		}
		state_runs_free(runs, nruns);
	}
	state_runs_free(last, nlast);
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_desc);
	for (size_t i = 0; i < n && i < RUNS_LISTED; i++)
		printf("%lld\n", (long long)ids[i]);
	free(ids);
}

int cmd_complete(struct ctx *ctx, int argc, char **argv)
{
	const char *what = argc == 2 ? argv[1] : "";
	struct project p;
	if (!strcmp(what, "jobs")) {
		project_load(ctx->dir, &p);
		for (size_t i = 0; i < p.njobs; i++)
			printf("%s\n", p.jobs[i].type);
		project_release(&p);
	} else if (!strcmp(what, "entries")) {
		project_load_schedule(ctx->dir, &p);
		for (size_t i = 0; i < p.sched.nentries; i++)
			printf("%s\n", p.sched.entries[i].id);
		project_release(&p);
	} else if (!strcmp(what, "runs")) {
		if (ctx_open_state(ctx, false) == EXIT_OK)
			list_runs(ctx->st);
	} else {
		return usage_error("complete", "give jobs, entries or runs");
	}
	return EXIT_OK;
}
