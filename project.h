/* project.h - a stau project on disk: its directory, its jobs/ and its schedule.yaml (docs/design.md, "Projects and job files").
 *
 * project_load reads every file under jobs/ and schedule.yaml, parses them through config.h,
 * checks what spans files (duplicate job types, unknown jobs in the schedule, unsafe
 * permissions, symlinks leaving jobs/) and builds the job graph. It collects every problem;
 * it never stops at the first. */
#ifndef STAU_PROJECT_H
#define STAU_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "graph.h"
#include "msg.h"

struct project {
	char *dir;		/* absolute path */
	struct job *jobs;	/* every job, sorted by type; a job whose header does not validate
				 * is here too, with only type, path and `broken` set (docs/design.md, "Faults":
				 * runs that need it fail at once with that reason) */
	size_t njobs;
	char **not_jobs;	/* files in jobs/ without a header, "jobs/helper.py" */
	size_t nnot_jobs, not_jobs_cap;
	struct schedule sched;	/* entries that validated, and settings */
	bool sched_ok;		/* schedule.yaml parsed without any problem */
	bool unusable;		/* nothing can run: the project directory or jobs/ is unsafe
				 * (writable by others) or jobs/ cannot be read; diags say why */
	bool partial;		/* only the jobs a tick needs were loaded (project_load_needed) */
	struct graph graph;
	struct diags diags;	/* every problem, in file order */
};

/* Resolves the project directory: dir_opt (-C), else $STAU_DIR, else the current directory.
 * Returns a newly allocated absolute path, or NULL after printing why. */
char *project_find_dir(const char *dir_opt);

/* Loads the project in dir. Returns 0 when everything is valid, -1 when p->diags holds
 * problems; in both cases *p holds everything that did load and must be released. */
int project_load(const char *dir, struct project *p);

/* The current git commit of dir (`git rev-parse HEAD` run in dir through proc_capture, no
 * shell), with "-dirty" appended when tracked files differ from it (as `git describe
 * --dirty` says), or NULL when dir is not a git repository or git is missing. A new string. */
char *project_git_commit(const char *dir);

/* Loads only schedule.yaml, as project_load does, leaving jobs and graph empty: for a caller
 * that already knows (by the fingerprint) that the jobs are as last loaded. Returns 0, or -1
 * when p->diags holds problems; *p must be released with project_release. */
int project_load_schedule(const char *dir, struct project *p);

/* Adds to p, which holds its dir and schedule settings but no job, the jobs of the given
 * types and, following `dependencies` from file to file, every job they depend on: what a
 * tick needs for the runs it may expand and run, without reading the other files of jobs/
 * (docs/design.md, "The quiet tick"). The checks are project_load's for the files read (the
 * directories' safety, duplicate types from the listing of jobs/, cycles and unknown
 * dependencies among the jobs loaded); sets p->partial. The entries of p->sched whose job
 * was loaded and is BROKEN, or whose job type no name in jobs/ has, get the problem
 * project_load gives them (without adding to p->diags); the others are left alone. Returns
 * 0, or -1 when p->diags holds problems. */
int project_load_needed(struct project *p, char *const *types, size_t ntypes);

/* The job of a type, or NULL. */
const struct job *project_job(const struct project *p, const char *type);

void project_release(struct project *p);

#endif
