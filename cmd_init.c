/* cmd_init.c - `stau init [DIR]`: scaffold a project and print the crontab line (docs/design.md, "Projects and job files").
 *
 * Only a new project: a directory that has schedule.yaml or jobs/ already is refused and
 * nothing is written, so that init never brings back a file that was deleted on purpose
 * (the example job, say). Any other directory, empty or not, gets the two files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "cronline.h"
#include "msg.h"
#include "project.h"
#include "util.h"

static const char schedule_template[] =
	"# schedule.yaml - when stau runs what. 'stau check' validates it, 'stau next ID'\n"
	"# shows an entry's next fire times.\n"
	"settings:\n"
	"  timezone: UTC            # default zone of the entries (IANA name)\n"
	"  # max_parallel: 4        # chunks at once across all stau processes; default: CPUs\n"
	"  # misfire_grace: 30m     # fire times older than this are recorded as missed\n"
	"  # retention: 30d         # finished runs and logs older than this are pruned\n"
	"  # python: /home/me/venv/bin/python3   # the interpreter of main_func jobs; default\n"
	"  #                        # python3 as cron's PATH (/usr/bin:/bin) finds it\n"
	"schedule:\n"
	"  - id: say-hello          # unique and stable: stau's state is keyed on it\n"
	"    job: hello             # the job type: jobs/hello.py\n"
	"    cron: \"*/20 * * * *\"   # or: every: 15m\n"
	"    kwargs:\n"
	"      final_message: Thanks for trying stau!\n"
	"    work_ids: [0, 1]\n";

static const char hello_template[] =
	"#!/usr/bin/env python3\n"
	"# ---\n"
	"# description: says hello for each work ID\n"
	"# main_func: main\n"
	"# chunk_size: 1\n"
	"# ---\n"
	"\n"
	"\n"
	"def main(work_ids=None, final_message=\"\", **kwargs):\n"
	"    for work_id in work_ids:\n"
	"        print(\"hello from work ID\", work_id)\n"
	"    print(final_message)\n";

/* Creates path with content unless it exists; returns 0 or -1 after saying why. */
static int create_file(const char *dir, const char *name, const char *content, unsigned mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	int rc = 0;
	if (!lstat(path, &st)) {
		printf("kept existing %s\n", name);
	} else if (write_file_atomic(path, content, strlen(content), mode)) {
		rc = error("cannot write '%s': %s", path, strerror(errno));
	} else {
		printf("created %s\n", name);
	}
	free(path);
	return rc;
}

/* Creates directory path and its missing parents; returns 0 or -1 after saying why. */
static int make_dir(const char *path, unsigned mode)
{
	char *dir = xasprintf("%s/", path);
	int rc = mkdir_parents(dir, mode);
	free(dir);
	if (rc)
		return error("cannot create directory '%s': %s", path, strerror(errno));
	return 0;
}

/* Whether dir/name exists (as anything, a dangling link included). */
static bool exists_in(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool yes = !lstat(path, &st);
	free(path);
	return yes;
}

/* A directory with schedule.yaml or jobs/ is a project already: init adds nothing to it, so
 * that a file deleted on purpose is not made again. Returns EXIT_OK, or EXIT_USAGE after
 * saying so. */
static int refuse_project(const char *dir)
{
	bool sched = exists_in(dir, "schedule.yaml"), jobs = exists_in(dir, "jobs");
	if (!sched && !jobs)
		return EXIT_OK;
	error("'%s' is a stau project already (it has %s%s%s): init creates nothing in it; "
	      "'stau -C %s crontab' prints its crontab line", dir, sched ? "schedule.yaml" : "",
	      sched && jobs ? " and " : "", jobs ? "jobs/" : "", dir);
	return EXIT_USAGE;
}

/* The crontab line, and a note when cron would find another python3 than the user's. */
static void print_crontab(const char *dir, const char *state)
{
	char *line = cronline(dir, NULL, state);
	if (!line) /* the project was created; only cron cannot name it */
		line = xstrdup("(none: the path holds a newline, which no crontab line can carry)");
	printf("\nTo run it from cron, add this line with 'crontab -e' ('stau crontab' prints "
	       "it again):\n%s\n", line);
	free(line);
	struct project p;
	project_load_schedule(dir, &p);
	char *note = cronline_python_note(&p, getenv("PATH"));
	if (note)
		printf("\n%s\n", note);
	free(note);
	project_release(&p);
}

int cmd_init(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("init", "give at most one directory");
	const char *dir = argc == 2 ? argv[1] : ".";
	if (refuse_project(dir) || make_dir(dir, 0755))
		return EXIT_USAGE;
	char *abs = realpath(dir, NULL);
	if (!abs)
		return error("cannot resolve '%s': %s", dir, strerror(errno)), EXIT_USAGE;
	char *jobs = xasprintf("%s/jobs", abs);
	int rc = make_dir(jobs, 0755);
	if (!rc)
		rc = create_file(abs, "schedule.yaml", schedule_template, 0644);
	if (!rc)
		rc = create_file(abs, "jobs/hello.py", hello_template, 0755);
	if (!rc)
		print_crontab(abs, ctx->state_given ? ctx->state_dir : NULL);
	free(jobs);
	free(abs);
	return rc ? EXIT_USAGE : EXIT_OK;
}
