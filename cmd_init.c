/* cmd_init.c - `stau init [DIR]`: scaffold a project and print the crontab line (docs/design.md, "Projects and job files").
 *
 * Never overwrites: an existing schedule.yaml or jobs/hello.py is left as it is and said so,
 * so running init twice, or in an existing project, is harmless. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "msg.h"
#include "proc.h"
#include "util.h"

static const char schedule_template[] =
	"# schedule.yaml - when stau runs what. 'stau check' validates it, 'stau next ID'\n"
	"# shows an entry's next fire times.\n"
	"settings:\n"
	"  timezone: UTC            # default zone of the entries (IANA name)\n"
	"  # max_parallel: 4        # chunks at once across all stau processes; default: CPUs\n"
	"  # misfire_grace: 30m     # fire times older than this are recorded as missed\n"
	"  # retention: 30d         # finished runs and logs older than this are pruned\n"
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

int cmd_init(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("init", "give at most one directory");
	const char *dir = argc == 2 ? argv[1] : ".";
	if (make_dir(dir, 0755))
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
	if (!rc) {
		char *exe = proc_self_exe();
		printf("\nTo run it from cron, add this line with 'crontab -e':\n"
		       "* * * * * %s -C %s tick\n", exe ? exe : "stau", abs);
		free(exe);
	}
	free(jobs);
	free(abs);
	return rc ? EXIT_USAGE : EXIT_OK;
}
