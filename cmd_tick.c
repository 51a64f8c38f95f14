/* cmd_tick.c - `stau tick [--now TIME] [-j N]`: what cron starts once a minute.
 *
 * The tick itself is sched.c's; this file parses the options, prints what the tick says
 * ("stau: ..." on stderr: errors and warnings always, progress with -v) and maps the result
 * to the exit status: 1 when a run or chunk failed or chunks were found lost (their stau
 * died), 2 when the jobs directory cannot be read, 3 on a state error. Quiet when all went
 * well, so that cron mails failures and nothing else.
 * SIGTERM, SIGINT and SIGHUP end the chunks this tick runs, which are recorded as killed. */
#include <getopt.h>

#include "cmd.h"
#include "cmdopt.h"
#include "engine.h"
#include "msg.h"
#include "project.h"
#include "runprogress.h"
#include "sched.h"

static int parse_tick_opts(struct sched_opts *so, int argc, char **argv)
{
	static const struct option longopts[] = { OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "tick");
	int rc = cmdopt_parse(&o, argc, argv, ":j:", longopts);
	so->now = o.now;
	so->jobs = o.jobs;
	return rc == EXIT_OK ? cmdopt_no_args("tick", argc, argv) : rc;
}

static void print_line(void *ctx, enum sched_level level, const char *text)
{
	(void)ctx;
	switch (level) {
	case SCHED_INFO: info("%s", text); break;
	case SCHED_WARN: warn("%s", text); break;
	case SCHED_ERROR: error("%s", text); break;
	}
}

/* -j above max_parallel is said once; only schedule.yaml is read for it (a tick reads the
 * jobs itself only when something changed). */
static void warn_jobs(const char *dir, size_t jobs)
{
	if (!jobs)
		return;
	struct project p;
	project_load_schedule(dir, &p);
	run_warn_jobs(&p, jobs);
	project_release(&p);
}

int cmd_tick(struct ctx *ctx, int argc, char **argv)
{
	struct sched_opts o = { .now = 0 };
	int rc = parse_tick_opts(&o, argc, argv);
	if (rc == EXIT_OK)
		rc = ctx_refuse_future(ctx, "tick", o.now);
	if (rc != EXIT_OK)
		return rc;
	warn_jobs(ctx->dir, o.jobs);
	o.stop = engine_stop_on_signals();
	struct sched_out out = { print_line, NULL };
	struct sched_result res;
	if (sched_tick(ctx->st, ctx->dir, &o, &out, &res))
		return EXIT_STATE;
	if (res.unusable)
		return EXIT_USAGE;
	return res.failed || res.lost ? EXIT_FAILED : EXIT_OK;
}
