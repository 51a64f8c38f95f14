/* cmd_rerun.c - `stau rerun RUN [--force] [-j N] [--now TIME]`: a new run with RUN's job,
 * work IDs and kwargs, run now (docs/design.md, "Commands and exit status").
 *
 * Where `stau retry` re-opens the failed and canceled chunks of a run, rerun starts over: a
 * new manual run of the same master job with the same work IDs (as recorded, not asked of
 * select_work again; none when RUN had none) and the same kwargs (a scheduled run's kwargs
 * are its entry's), expanded against today's freshness, so that the master job's chunks all
 * run and dependencies run where they are stale. It works on a run that is done as well as
 * on one that failed or was canceled, not on one still queued or running. --force treats
 * every dependency as stale, as `stau run --force` does; RUN's own --force is not carried
 * over. The run is executed as `stau run` executes one (runprogress.c), progress included,
 * and the exit status is `stau run`'s. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "cmdopt.h"
#include "msg.h"
#include "runprogress.h"
#include "state.h"
#include "util.h"

struct rerun {
	int64_t of;		/* RUN */
	int64_t id;		/* the new run */
	int64_t now;
	size_t jobs;
	bool force;
};

static int parse_rerun_opts(struct rerun *r, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' }, OPTION_NOW, { NULL, 0, NULL, 0 },
	};
	struct cmdopt co;
	int c, rc = EXIT_OK;
	cmdopt_init(&co, "rerun");
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":j:", longopts, NULL)) != -1) {
		if (c == 'f')
			r->force = true;
		else
			rc = cmdopt_common(&co, c, argv);
	}
	r->now = co.now;
	r->jobs = co.jobs;
	return rc == EXIT_OK ? cmdopt_run_arg("rerun", argc, argv, &r->of) : rc;
}

/* Says why run is not one to rerun and returns EXIT_USAGE, or returns EXIT_OK. */
static int rerun_refusal(const struct state_run *run)
{
	long long id = (long long)run->id;
	if (run->state == RUN_QUEUED || run->state == RUN_ACTIVE) {
		error("run %lld is still %s: rerun it once it has ended, or 'stau cancel %lld' "
		      "first", id, run->state == RUN_QUEUED ? "queued" : "running", id);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Queues the new run with the job, IDs and kwargs of run `of`. */
static int queue_again(struct ctx *ctx, struct rerun *r, const struct state_run *of)
{
	int64_t *ids = NULL;
	size_t nids = 0;
	if (of->has_ids && state_run_ids(ctx->st, of->id, &ids, &nids))
		return error_state(ctx->st);
	struct run_request q = { .job = of->job, .kwargs = of->kwargs, .ids = ids, .nids = nids,
				 .has_ids = of->has_ids, .force = r->force, .now = r->now };
	int rc = run_queue(ctx->st, &ctx->p, &q, &r->id);
	free(ids);
	free(q.failed);
	if (rc == EXIT_OK && msg_verbosity >= 0) {
		printf("%s run %lld: a rerun of run %lld\n", of->job, (long long)r->id,
		       (long long)of->id);
		fflush(stdout);
	}
	return rc;
}

static int rerun(struct ctx *ctx, struct rerun *r)
{
	struct state_run of;
	const struct graph_node *master;
	if (!ctx->st)
		return error_no_run(r->of);
	int got = state_run_get(ctx->st, r->of, &of);
	if (got <= 0)
		return got < 0 ? error_state(ctx->st) : error_no_run(r->of);
	int rc = rerun_refusal(&of);
	if (rc == EXIT_OK)
		rc = ctx_master_job(ctx, of.job, &master);
	if (rc == EXIT_OK)
		rc = queue_again(ctx, r, &of);
	state_run_release(&of);
	if (rc != EXIT_OK)
		return rc;
	run_warn_jobs(&ctx->p, r->jobs);
	rc = run_expand_waiting(ctx->st, &ctx->p, r->id, &r->now);
	if (rc != EXIT_OK)
		return rc;
	struct run_exec x = { .run = r->id, .jobs = r->jobs, .now = r->now, .live = ctx->tty };
	return run_execute(ctx->st, &ctx->p, &x);
}

int cmd_rerun(struct ctx *ctx, int argc, char **argv)
{
	struct rerun r = { .of = 0 };
	int rc = parse_rerun_opts(&r, argc, argv);
	if (rc == EXIT_OK)
		rc = ctx_refuse_future(ctx, "rerun", r.now);
	return rc == EXIT_OK ? rerun(ctx, &r) : rc;
}
