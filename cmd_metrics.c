/* cmd_metrics.c - `stau metrics [--now TIME]`: every job's and entry's health in the
 * Prometheus text exposition format, on stdout (metrics.h names the metrics; stau.1
 * documents them). The same text that a tick writes to settings.metrics_file. It reads
 * without writing, and before the first run (no database) every job is shown as never run. */
#include <stdio.h>

#include "cmd.h"
#include "cmdopt.h"
#include "metrics.h"
#include "msg.h"

int cmd_metrics(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "metrics");
	int rc = cmdopt_parse(&o, argc, argv, ":", longopts);
	if (rc == EXIT_OK)
		rc = cmdopt_no_args("metrics", argc, argv);
	if (rc != EXIT_OK)
		return rc;
	struct strbuf sb = STRBUF_INIT;
	char err[512];
	if (metrics_text(&ctx->p, ctx->st, o.now, &sb, err, sizeof(err))) {
		sb_release(&sb);
		error("%s", err);
		return EXIT_STATE;
	}
	fputs(sb.buf, stdout);
	sb_release(&sb);
	return EXIT_OK;
}
