/* cmd_retry.c - `stau retry RUN [-j N] [--now TIME]`: run the FAILED and CANCELED chunks of
 * a finished run again.
 *
 * The FAILED and CANCELED chunks of a finished run become PENDING again with their work IDs
 * and kwargs (state_run_retry), the BROKEN marks of the run's job types are cleared, and the
 * run is executed at once by the same engine as `stau run`, waiting until it has ended. A run
 * that failed before it had chunks (a broken job, an unknown dependency) is queued again and
 * expanded anew instead. Checking the run's state, resetting it and clearing the marks are
 * one transaction, so two retries of one run cannot both reset it. Expanding and executing
 * are `stau run`'s (run_expand_waiting, run_execute in runprogress.c); retry shows the plain
 * progress lines even in a terminal, and says at the end how many chunks it retried. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdopt.h"
#include "msg.h"
#include "project.h"
#include "runprogress.h"
#include "state.h"
#include "util.h"

struct retry {
	int64_t id, now;
	size_t jobs;	/* -j */
	struct state *st;		/* the command's */
	const struct project *p;	/* the command's */
	char *job;	/* the run's master job */
	int reset;	/* chunks made PENDING again */
	bool requeued;	/* the run had no chunks and was queued again */
};

static int parse_retry_opts(struct retry *r, int argc, char **argv)
{
	static const struct option longopts[] = { OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "retry");
	int rc = cmdopt_parse(&o, argc, argv, ":j:", longopts);
	r->now = o.now;
	r->jobs = o.jobs;
	return rc == EXIT_OK ? cmdopt_run_arg("retry", argc, argv, &r->id) : rc;
}

/* Says why run is not one to retry and returns EXIT_USAGE, or returns EXIT_OK. */
static int retry_refusal(const struct state_run *run)
{
	long long id = (long long)run->id;
	switch (run->state) {
	case RUN_QUEUED:
		error("run %lld has not started yet: nothing to retry", id);
		return EXIT_USAGE;
	case RUN_ACTIVE:
		error("run %lld is still running: nothing to retry until it ends; "
		      "'stau cancel %lld' stops it", id, id);
		return EXIT_USAGE;
	case RUN_DONE:
		error("run %lld is done: nothing to retry", id);
		return EXIT_USAGE;
	default:
		return EXIT_OK;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds the job types of master's graph (master and every dependency below it) to names. */
static void add_graph_types(const struct graph *g, const char *master, const char ***names,
			    size_t *n, size_t *cap)
{
	struct graph_node *top = graph_find(g, master);
	if (!top)
		return;
	bool *seen = xcalloc(g->n, sizeof(*seen));
	struct graph_node **stack = xmalloc(g->n * sizeof(*stack));
	size_t depth = 0;
	stack[depth++] = top;
	seen[top->index] = true;
	while (depth) {
		struct graph_node *node = stack[--depth];
		grow(names, cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = node->job->type;
		for (size_t i = 0; i < node->ndeps; i++) {
			struct graph_node *to = node->deps[i].to;
			if (!seen[to->index]) {
				seen[to->index] = true;
				stack[depth++] = to;
			}
		}
	}
	free(stack);
	free(seen);
}

/* Clears the BROKEN marks of the run's job types: those of its chunks, and those its master
 * job needs now (a run that failed before it had chunks has only these). Returns 0 or -1. */
static int clear_broken(struct retry *r)
{
	struct state_chunk *c;
	size_t nc;
	if (state_run_chunks(r->st, r->id, false, &c, &nc))
		return -1;
	const char **names = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < nc; i++) {
		grow(&names, &cap, n + 1, sizeof(*names));
		names[n++] = c[i].job;
	}
	add_graph_types(&r->p->graph, r->job, &names, &n, &cap);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]))
			rc = state_job_clear_broken(r->st, names[i]);
	free(names);
	state_chunks_free(c, nc);
	return rc;
}

/* Inside reopen_run's transaction: resets the chunks of finished run, or queues it again
 * when it never had any. Returns EXIT_OK, EXIT_USAGE (said) or EXIT_STATE. */
static int reset_run(struct retry *r)
{
	r->reset = state_run_retry(r->st, r->id, r->now);
	if (r->reset < 0)
		return error_state(r->st);
	if (r->reset > 0)
		return EXIT_OK;
	int q = state_run_requeue(r->st, r->id);
	if (q < 0)
		return error_state(r->st);
	if (q == 0) {
		error("run %lld has no failed or canceled chunks: nothing to retry",
		      (long long)r->id);
		return EXIT_USAGE;
	}
	r->requeued = true;
	return EXIT_OK;
}

/* Makes run r->id ready to run again, in one transaction: its FAILED and CANCELED chunks
 * PENDING (or the run QUEUED), and the BROKEN marks of its job types cleared. Returns
 * EXIT_OK, or EXIT_USAGE when there is nothing to retry, or EXIT_STATE (said). */
static int reopen_run(struct retry *r)
{
	struct state_run run;
	if (state_begin(r->st))
		return error_state(r->st);
	int rc, got = state_run_get(r->st, r->id, &run);
	if (got <= 0) {
		rc = got < 0 ? error_state(r->st) : error_no_run(r->id);
	} else {
		r->job = xstrdup(run.job);
		rc = retry_refusal(&run);
		state_run_release(&run);
	}
	if (rc == EXIT_OK)
		rc = reset_run(r);
	if (rc == EXIT_OK && clear_broken(r))
		rc = error_state(r->st);
	if (rc != EXIT_OK) {
		state_rollback(r->st);
		return rc;
	}
	return state_commit(r->st) ? error_state(r->st) : EXIT_OK;
}

/* Runs the chunks of the run until it has ended, as `stau run` does, with its progress as
 * `stau run` prints it outside a terminal: one line per chunk start and end. */
static int execute(struct retry *r)
{
	struct run_exec x = { .run = r->id, .jobs = r->jobs, .now = r->now, .live = false,
			      .retry = true, .retried = r->requeued ? 0 : (size_t)r->reset };
	return run_execute(r->st, r->p, &x);
}

static int retry(struct retry *r, struct ctx *ctx)
{
	if (!ctx->st)
		return error_no_run(r->id);
	r->st = ctx->st;
	r->p = &ctx->p;
	int rc = reopen_run(r);
	if (rc == EXIT_OK)
		run_warn_jobs(r->p, r->jobs);
	if (rc != EXIT_OK)
		return rc;
	if (msg_verbosity >= 0) {
		if (r->requeued)
			printf("%s run %lld queued again\n", r->job, (long long)r->id);
		else
			printf("retrying %d chunk%s of %s run %lld\n", r->reset, r->reset == 1 ? "" : "s",
			       r->job, (long long)r->id);
		fflush(stdout);
	}
	if (r->requeued && (rc = run_expand_waiting(r->st, r->p, r->id, &r->now)) != EXIT_OK)
		return rc;
	return execute(r);
}

int cmd_retry(struct ctx *ctx, int argc, char **argv)
{
	struct retry r = { .id = 0 };
	int rc = parse_retry_opts(&r, argc, argv);
	if (rc == EXIT_OK)
		rc = ctx_refuse_future(ctx, "retry", r.now);
	if (rc == EXIT_OK)
		rc = retry(&r, ctx);
	free(r.job);
	return rc;
}
