/* cmd_check.c - `stau check`: validate every job header and the schedule, list every problem. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "project.h"
#include "term.h"

/* Problems go to stdout, one per line as FILE:LINE:COL: MESSAGE, so that editors and grep can
 * use them; a closing line says how many there were. Files in jobs/ without a header are
 * listed as notes: they are helper modules, not jobs, and a forgotten header shows up here.
 * File names and the values that problems quote are printed with their control characters
 * escaped (term_escape): a file name may hold a newline or an escape sequence. */
int cmd_check(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("check", "unexpected argument '%s'", argv[1]);
	const struct project *p = &ctx->p;
	for (size_t i = 0; i < p->diags.n; i++) {
		char *s = term_diag(&p->diags.v[i]);
		printf("%s\n", s);
		free(s);
	}
	for (size_t i = 0; i < p->nnot_jobs; i++) {
		char *name = term_escape(p->not_jobs[i]);
		printf("%s: note: no header, so not a job\n", name);
		free(name);
	}
	size_t broken = 0;
	for (size_t i = 0; i < p->njobs; i++)
		broken += p->jobs[i].broken != NULL;
	int rc = p->diags.n ? EXIT_USAGE : EXIT_OK;
	if (p->diags.n)
		printf("%zu problem%s\n", p->diags.n, p->diags.n == 1 ? "" : "s");
	else
		printf("ok: %zu job%s, %zu schedule entr%s\n", p->njobs - broken,
		       p->njobs - broken == 1 ? "" : "s", p->sched.nentries,
		       p->sched.nentries == 1 ? "y" : "ies");
	return rc;
}
