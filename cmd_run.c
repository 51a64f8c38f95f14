/* cmd_run.c - `stau run JOB [--ids LIST] [--ids-file F] [--kw K=V]... [--force] [--dry-run]
 * [-j N] [--now TIME]`: a manual run, now, with live progress (docs/design.md, "Commands and exit status").
 *
 * The run goes through the same steps as a scheduled one (queue, expand, engine), so a run
 * started by hand and one started by cron are recorded alike and may share chunks with
 * ticks running at the same time; this process only claims chunks of its own run and waits
 * until the run has ended, retries included. Executing it, with its progress (live in a
 * terminal, plain lines elsewhere) and the line that says how it ended, is runprogress.c's,
 * which `stau retry` uses too.
 *
 * Exit status: 0 when the run is DONE, and also when it was canceled for "no work" (its
 * select_work, or --ids, gave no IDs: nothing failed, there was nothing to run; said on
 * stdout); 1 when it failed or a person canceled it (Ctrl-C, `stau cancel`).
 *
 * --kw K=V: V is taken as JSON when it is a JSON number, true, false or null, else as a
 * string; so --kw n=5 gives 5, --kw name=007 gives "007" (not a JSON number), and no value
 * is ever parsed by a shell. --dry-run expands the plan against the real freshness records
 * and prints it without writing anything. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "engine.h"
#include "json.h"
#include "msg.h"
#include "plan.h"
#include "planwhy.h"
#include "project.h"
#include "runprogress.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"
#include "workids.h"

struct run_opts {
	const char *job;
	struct cmdopt_work w;	/* --ids, --ids-file, --kw */
	bool force, dry_run;
	size_t jobs;
	int64_t now;
};

struct run_cmd {
	struct ctx *ctx;
	struct run_opts o;
	struct state *st;	      /* the command's, opened once the job is known */
	const struct project *p;      /* the command's */
	int64_t id;
};

/* ---- options ---- */

static int parse_run_opts(struct run_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ids", required_argument, NULL, 'i' },   { "ids-file", required_argument, NULL, 'I' },
		{ "kw", required_argument, NULL, 'k' },	   { "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'd' },	   OPTION_NOW,
		{ NULL, 0, NULL, 0 },
	};
	struct cmdopt co;
	int c, rc = EXIT_OK;
	cmdopt_init(&co, "run");
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":j:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': rc = cmdopt_ids("run", &o->w, "--ids", optarg, strlen(optarg)); break;
		case 'I': rc = cmdopt_ids_file("run", &o->w, optarg); break;
		case 'k': rc = cmdopt_kw("run", &o->w, optarg); break;
		case 'f': o->force = true; break;
		case 'd': o->dry_run = true; break;
		default: rc = cmdopt_common(&co, c, argv);
		}
	}
	o->now = co.now;
	o->jobs = co.jobs;
	if (rc != EXIT_OK)
		return rc;
	if (optind >= argc)
		return usage_error("run", "which job? give its job type, e.g. 'stau run job_A'");
	if (optind + 1 < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind + 1]);
	o->job = argv[optind];
	cmdopt_work_done(&o->w);
	return EXIT_OK;
}

/* ---- dry run ---- */

static void print_ids(struct strbuf *sb, const int64_t *ids, size_t n)
{
	char *c = workids_format_compact(ids, n);
	if (strlen(c) > 60)
		strcpy(c + 57, "...");
	sb_addf(sb, "  %zu ID%s: %s", n, n == 1 ? "" : "s", c);
	free(c);
}

/* Under a dependency chunk kept or dropped: the edge it came through and why. */
static void print_why(struct strbuf *sb, const struct graph_node *node,
		      const struct graph_node *parent, const struct dep *via, const char *why)
{
	if (!parent)
		return;
	char *edge = planwhy_edge(node, parent, via);
	char *safe = term_escape(edge);
	sb_addf(sb, "      %s: %s\n", safe, why);
	free(safe);
	free(edge);
}

static void print_plan(struct run_cmd *r, const struct plan *pl)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "plan for %s: %zu chunk%s", r->o.job, pl->nchunks,
		pl->nchunks == 1 ? "" : "s");
	if (pl->ndrops)
		sb_addf(&sb, ", %zu dependency chunk%s fresh", pl->ndrops,
			pl->ndrops == 1 ? "" : "s");
	sb_adds(&sb, "\n");
	for (size_t i = 0; i < pl->nchunks; i++) {
		const struct plan_chunk *c = &pl->chunks[i];
		const struct plan_task *t = &pl->tasks[c->task];
		sb_addf(&sb, "  %s %zu/%zu", t->node->job->type, c->index, c->count);
		if (pl->has_ids)
			print_ids(&sb, pl->ids + c->id_off, c->nids);
		if (strcmp(t->kwargs_json, "{}"))
			sb_addf(&sb, "  kwargs %s", t->kwargs_json);
		sb_adds(&sb, "\n");
		char *why = planwhy_kept(&c->why, pl->has_ids, r->o.now, r->o.force);
		print_why(&sb, t->node, t->parent, t->via, why);
		free(why);
	}
	if (pl->ndrops)
		sb_adds(&sb, "fresh, not run:\n");
	for (size_t i = 0; i < pl->ndrops; i++) {
		const struct plan_drop *d = &pl->drops[i];
		char age[32];
		term_age(r->o.now - d->freshest, age, sizeof(age));
		sb_addf(&sb, "  %s", d->node->job->type);
		if (pl->has_ids)
			print_ids(&sb, pl->ids + d->id_off, d->nids);
		sb_addf(&sb, "  finished %s ago\n", age);
		print_why(&sb, d->node, d->parent, d->via, "fresh: each ID computed within max_lag");
	}
	fputs(sb.buf, stdout);
	sb_release(&sb);
}

static int dry_run(struct run_cmd *r, const struct graph_node *master, const char *kwargs)
{
	char err[512];
	char *why;
	const struct job *job = master->job;
	struct cmdopt_work *w = &r->o.w;
	if (!w->has_ids &&
	    engine_select_work(r->p, job, kwargs, &w->ids, &w->has_ids, err, sizeof(err))) {
		error("%s: %s", r->o.job, err);
		return EXIT_FAILED;
	}
	if (engine_job_problem(r->st, r->p, r->o.job, &why, err, sizeof(err)))
		return error("%s", err), EXIT_STATE;
	struct plan pl;
	struct freshness_src fresh;
	struct engine_freshness ef;
	if (engine_freshness(r->st, r->p, master, &ef, &fresh, err, sizeof(err))) {
		free(why);
		return error("%s", err), EXIT_STATE;
	}
	int rc = plan_expand_explained(&pl, &r->p->graph, master, w->ids.v, w->ids.n,
				       w->has_ids, kwargs, r->o.now, r->o.force, &fresh, err,
				       sizeof(err));
	engine_freshness_release(&ef);
	if (rc) {
		free(why);
		error("%s: %s", r->o.job, err);
		return EXIT_FAILED;
	}
	print_plan(r, &pl);
	if (why)
		warn("%s; the run would fail", why);
	free(why);
	plan_release(&pl);
	return EXIT_OK;
}

/* ---- the run ---- */

static int start_run(struct run_cmd *r, const char *kwargs)
{
	struct run_request q = { .job = r->o.job, .kwargs = kwargs, .ids = r->o.w.ids.v,
				 .nids = r->o.w.ids.n, .has_ids = r->o.w.has_ids,
				 .select_work = !r->o.w.has_ids, .force = r->o.force,
				 .now = r->o.now };
	int rc = run_queue(r->st, r->p, &q, &r->id);
	free(q.failed);
	if (rc == EXIT_OK)
		rc = run_expand_waiting(r->st, r->p, r->id, &r->o.now);
	if (rc != EXIT_OK)
		return rc;
	struct run_exec x = { .run = r->id, .jobs = r->o.jobs, .now = r->o.now,
			      .live = r->ctx->tty, .selected = q.select_work };
	return run_execute(r->st, r->p, &x);
}

int cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct run_cmd r = { .ctx = ctx, .p = &ctx->p };
	int rc = parse_run_opts(&r.o, argc, argv);
	if (rc == EXIT_OK && !r.o.dry_run)
		rc = ctx_refuse_future(ctx, "run", r.o.now);
	if (rc != EXIT_OK)
		goto out;
	const struct graph_node *master;
	rc = ctx_master_job(ctx, r.o.job, &master);
	if (rc != EXIT_OK)
		goto out;
	/* only now: a mistyped job name must not create a database */
	rc = ctx_open_state(ctx, true);
	if (rc != EXIT_OK)
		goto out;
	r.st = ctx->st;
	run_warn_jobs(r.p, r.o.jobs);
	char *kwargs = kv_to_json(&r.o.w.kw);
	rc = r.o.dry_run ? dry_run(&r, master, kwargs) : start_run(&r, kwargs);
	free(kwargs);
out:
	cmdopt_work_release(&r.o.w);
	return rc;
}
