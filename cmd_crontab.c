/* cmd_crontab.c - `stau crontab`: print the crontab line that runs this project, and change
 * nothing (docs/design.md, "Cron and time").
 *
 * The line goes alone to stdout, so that it can be piped ("(crontab -l; stau crontab) |
 * crontab -" adds it); a note about the Python interpreter that cron would find instead of
 * the user's (cronline.h) goes to stderr. The project must be usable: a directory without
 * jobs/ is refused with what would create one. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "cronline.h"
#include "msg.h"
#include "project.h"

int cmd_crontab(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("crontab", "unexpected argument '%s'", argv[1]);
	if (ctx->p.unusable) {
		diags_print(&ctx->p.diags, stderr);
		error("'%s' is not a project stau can run; 'stau init' creates one", ctx->dir);
		return EXIT_USAGE;
	}
	/* settings.state_dir is the tick's to read: only a choice of the command line is kept */
	char *line = cronline(ctx->dir, NULL, ctx->state_given ? ctx->state_dir : NULL);
	if (!line) {
		error("the path of the project, its database or stau holds a newline, which no "
		      "crontab line can carry: rename it");
		return EXIT_USAGE;
	}
	printf("%s\n", line);
	free(line);
	char *note = cronline_python_note(&ctx->p, getenv("PATH"));
	if (note && msg_verbosity >= 0)
		fprintf(stderr, "stau: %s\n", note);
	free(note);
	return EXIT_OK;
}
