/* cmd_check.c - `stau check`: validate every job header and the schedule, list every problem. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "project.h"
#include "term.h"
#include "util.h"
/* Lists the jobs that would fail at run time because their file cannot be executed: no
 * `command` and no `main_func` (which start it through an interpreter), and no execute
 * permission. Returns how many. */
static size_t not_executable(const struct project *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->njobs; i++) {
		const struct job *job = &p->jobs[i];
		if (job->broken || job->main_func || (job->command && job->command[0]))
			continue;
		char *path = xasprintf("%s/%s", p->dir, job->path);
		if (access(path, X_OK)) {
			printf("%s: not executable: run 'chmod +x %s', or give it a 'command' or a "
			       "'main_func'\n", job->path, job->path);
			n++;
		}
		free(path);
	}
	return n;
}

/* Problems go to stdout, one per line as FILE:LINE:COL: MESSAGE, so that editors and grep can
 * use them; a closing line says how many there were. Files in jobs/ without a header are
 * listed as notes: they are helper modules, not jobs, and a forgotten header shows up here. A
 * job file that cannot be executed (and needs to be) is a problem too: it would fail at run
 * time. File names and the values that problems quote are printed with their control
 * characters escaped (term_escape): a file name may hold a newline or an escape sequence. */
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
	size_t broken = 0, problems = p->diags.n + not_executable(p);
	for (size_t i = 0; i < p->njobs; i++)
		broken += p->jobs[i].broken != NULL;
	int rc = problems ? EXIT_USAGE : EXIT_OK;
	if (problems)
		printf("%zu problem%s\n", problems, problems == 1 ? "" : "s");
	else
		printf("ok: %zu job%s, %zu schedule entr%s\n", p->njobs - broken,
		       p->njobs - broken == 1 ? "" : "s", p->sched.nentries,
		       p->sched.nentries == 1 ? "y" : "ies");
	return rc;
}
