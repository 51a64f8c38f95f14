/* cmd_submit.c - `stau submit JOB [--ids LIST] [--ids-file F] [--kw K=V]... [--force]
 * [--now TIME]`: queue a run for the next tick and return at once (docs/design.md, "Commands
 * and exit status").
 *
 * What another program calls (a webhook, a script at the end of an upload): the run is
 * recorded QUEUED exactly as `stau run` records one, and the next `stau tick` expands and runs
 * it, with cron's failure mail and everything else a scheduled run gets. Nothing is started
 * here, so submit returns as soon as the run is recorded; it prints the run's id alone on
 * stdout, for the caller to keep (`id=$(stau submit report)`, then `stau show "$id"`).
 *
 * The work IDs are fixed now: --ids or --ids-file, else what the job's select_work gives at
 * this moment (a command or a query run before submit returns: pass --ids when that is slow).
 * A select_work that fails records the run FAILED at once: said, and exit 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdopt.h"
#include "msg.h"
#include "runprogress.h"
#include "util.h"

struct submit_opts {
	const char *job;
	struct cmdopt_work w;
	bool force;
	int64_t now;
};

static int parse_submit_opts(struct submit_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ids", required_argument, NULL, 'i' }, { "ids-file", required_argument, NULL, 'I' },
		{ "kw", required_argument, NULL, 'k' },	 { "force", no_argument, NULL, 'f' },
		OPTION_NOW,				 { NULL, 0, NULL, 0 },
	};
	struct cmdopt co;
	int c, rc = EXIT_OK;
	cmdopt_init(&co, "submit");
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': rc = cmdopt_ids("submit", &o->w, "--ids", optarg, strlen(optarg)); break;
		case 'I': rc = cmdopt_ids_file("submit", &o->w, optarg); break;
		case 'k': rc = cmdopt_kw("submit", &o->w, optarg); break;
		case 'f': o->force = true; break;
		default: rc = cmdopt_common(&co, c, argv);
		}
	}
	o->now = co.now;
	if (rc != EXIT_OK)
		return rc;
	if (optind >= argc)
		return usage_error("submit", "which job? give its job type, e.g. 'stau submit job_A'");
	if (optind + 1 < argc)
		return usage_error("submit", "unexpected argument '%s'", argv[optind + 1]);
	o->job = argv[optind];
	cmdopt_work_done(&o->w);
	return EXIT_OK;
}

/* Records the run and prints its id. */
static int submit(struct ctx *ctx, struct submit_opts *o)
{
	char *kwargs = kv_to_json(&o->w.kw);
	struct run_request q = { .job = o->job, .kwargs = kwargs, .ids = o->w.ids.v,
				 .nids = o->w.ids.n, .has_ids = o->w.has_ids,
				 .select_work = !o->w.has_ids, .force = o->force, .now = o->now };
	int64_t id;
	int rc = run_queue(ctx->st, &ctx->p, &q, &id);
	free(kwargs);
	if (rc != EXIT_OK)
		return rc;
	printf("%lld\n", (long long)id);
	if (q.failed) {
		error("%s run %lld failed: %s", o->job, (long long)id, q.failed);
		rc = EXIT_FAILED;
	} else {
		info("%s run %lld queued: the next 'stau tick' runs it", o->job, (long long)id);
	}
	free(q.failed);
	return rc;
}

int cmd_submit(struct ctx *ctx, int argc, char **argv)
{
	struct submit_opts o = { .job = NULL };
	const struct graph_node *master;
	int rc = parse_submit_opts(&o, argc, argv);
	if (rc == EXIT_OK)
		rc = ctx_refuse_future(ctx, "submit", o.now);
	if (rc == EXIT_OK)
		rc = ctx_master_job(ctx, o.job, &master);
	/* only now: a mistyped job name must not create a database */
	if (rc == EXIT_OK)
		rc = ctx_open_state(ctx, true);
	if (rc == EXIT_OK)
		rc = submit(ctx, &o);
	cmdopt_work_release(&o.w);
	return rc;
}
