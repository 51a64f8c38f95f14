/* exec_select.h - select_work: {python: FUNC}: FUNC(**kwargs) of a job file, called through
 * the Python runner (exec_pyfork.h) to give a run its work IDs (docs/design.md, "Work IDs,
 * chunks and freshness").
 *
 * A runner is started for the job file, the call is made in a child it forks, and the
 * runner is stopped again: one select_work is one short-lived runner, in a process group of
 * its own that dies with stau. Knows nothing of runs or the database. */
#ifndef STAU_EXEC_SELECT_H
#define STAU_EXEC_SELECT_H

#include <stddef.h>

#include "workids.h"

struct exec_select {
	const char *python;	/* the interpreter */
	const char *job_file;	/* relative to select.dir: "jobs/stores.py" */
	const char *func;	/* FUNC(**kwargs) returns an iterable of integers */
	struct workids_select select; /* dir, kwargs and the time limit of import and call */
};

/* Calls s->func(**kwargs) of s->job_file and appends the integers it returns to out, sorted
 * and unique. The import and the call together may take s->select.timeout_ms (0: no limit);
 * past it the runner and the call are killed with their process groups. Returns 0, or -1
 * with why in err: the module does not import (its traceback's last line), the function
 * fails (the end of what it printed, then how it ended), returns something that is not
 * integers, or runs out of time ("select_work python 'f' timed out after 5m"). */
int exec_select_python(const struct exec_select *s, struct idlist *out, char *err,
		       size_t errlen);

#endif
