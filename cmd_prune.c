/* cmd_prune.c - `stau prune [--older-than D] [--now TIME]`: delete finished runs, their
 * chunks and their log files.
 *
 * Finished runs older than --older-than (default: settings.retention) are deleted with their
 * chunks, and then their log files, as tick does past the retention. Without --older-than
 * the retention comes from schedule.yaml; when that file has problems the retention it meant
 * is unknown, and prune refuses rather than guess a shorter one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "exec_slurm.h"
#include "msg.h"
#include "project.h"
#include "state.h"
#include "timeutil.h"
#include "util.h"

struct prune {
	int64_t now;
	int64_t older_than;	/* seconds; -1: the retention of schedule.yaml */
	int64_t runs, chunks;
	size_t logs;		/* log files removed */
};

static int parse_prune_opts(struct prune *pr, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "older-than", required_argument, NULL, 'o' },
		OPTION_NOW,
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	struct cmdopt o;
	int c, rc = EXIT_OK;
	cmdopt_init(&o, "prune");
	pr->older_than = -1;
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c != 'o')
			rc = cmdopt_common(&o, c, argv);
		else if (duration_parse(optarg, &pr->older_than, err, sizeof(err)))
			rc = usage_error("prune", "--older-than: %s", err);
	}
	pr->now = o.now;
	return rc == EXIT_OK ? cmdopt_no_args("prune", argc, argv) : rc;
}

/* The retention of schedule.yaml into pr->older_than. Returns EXIT_OK or EXIT_USAGE (said). */
static int read_retention(struct prune *pr, const struct project *p)
{
	pr->older_than = p->sched.settings.retention;
	if (p->sched_ok && p->sched.settings_ok)
		return EXIT_OK;
	error("schedule.yaml has problems, so its retention is not known; fix them "
	      "(see 'stau check') or give --older-than");
	return EXIT_USAGE;
}

/* Unlinks the pruned log files (paths relative to dir), counting those removed, and frees
 * the list. A file already gone is not counted; any other failure is said. */
static void remove_logs(struct prune *pr, const char *dir, char **logs)
{
	for (size_t i = 0; logs && logs[i]; i++) {
		char *path = xasprintf("%s/%s", dir, logs[i]);
		exec_slurm_remove_beside(path);
		if (!unlink(path))
			pr->logs++;
		else if (errno != ENOENT)
			warn("cannot remove '%s': %s", logs[i], strerror(errno));
		free(path);
		free(logs[i]);
	}
	free(logs);
}

static int prune(struct prune *pr, struct ctx *ctx)
{
	int rc = pr->older_than < 0 ? read_retention(pr, &ctx->p) : EXIT_OK;
	if (rc != EXIT_OK || !ctx->st)
		return rc;
	char **logs;
	int n = state_prune_counted(ctx->st, pr->now - pr->older_than, &logs, &pr->chunks);
	if (n < 0)
		return error_state(ctx->st);
	pr->runs = n;
	remove_logs(pr, ctx->dir, logs);
	return EXIT_OK;
}

int cmd_prune(struct ctx *ctx, int argc, char **argv)
{
	struct prune pr = { .now = 0 };
	int rc = parse_prune_opts(&pr, argc, argv);
	if (rc == EXIT_OK)
		rc = ctx_refuse_future(ctx, "prune", pr.now);
	if (rc == EXIT_OK)
		rc = prune(&pr, ctx);
	if (rc == EXIT_OK && msg_verbosity >= 0)
		printf("pruned %lld run%s, %lld chunk%s, %zu log file%s\n", (long long)pr.runs,
		       pr.runs == 1 ? "" : "s", (long long)pr.chunks, pr.chunks == 1 ? "" : "s",
		       pr.logs, pr.logs == 1 ? "" : "s");
	return rc;
}
