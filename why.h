/* why.h - `stau why JOB --id N`: for one work ID of one job, who computed it last, whether
 * each job that needs it finds it fresh, and what the next due entry would do with it.
 *
 * The answers use the rules a run uses (docs/design.md, "Work IDs, chunks and freshness"):
 * freshness is the latest successful finish recorded for the job type and the ID, judged
 * against the max_lag of each dependency edge (with allow_missing_work_ids against the job
 * type's latest success at all); the next entry's decision is plan.c's own expansion of a
 * run over that one ID at the entry's next fire time. Nothing is written and no job or
 * select_work is started. */
#ifndef STAU_WHY_H
#define STAU_WHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "project.h"
#include "state.h"

/* How one job that needs the asked job judges the ID. */
struct why_need {
	const struct job *job;	/* the job that depends on the asked one */
	const struct dep *dep;	/* its edge: max_lag, allow_missing_work_ids */
	bool fresh;
	char *why;		/* "computed 2h ago > max_lag 1h", "never computed", ... */
};

/* What the next due entry would do. */
struct why_next {
	const struct entry *e;	/* NULL: no enabled entry runs the job or a job that needs it */
	int64_t at;		/* its next fire time */
	bool has_id;		/* its run would hold the ID (its work_ids list it, or it has
				 * select_work, which is not run here: then assumed) */
	bool by_select_work;	/* has_id is an assumption: select_work decides */
	bool computes;		/* a run over the ID at `at` would compute it for the job */
	char *why;		/* why or why not, for people */
};

struct why {
	const struct job *job;
	int64_t id;
	int64_t computed;	/* the latest successful finish of the job for the ID; 0: never */
	int64_t run, chunk;	/* the run and chunk that computed it; 0: unknown (pruned) */
	size_t index, count;	/* that chunk's place among its job's chunks in the run */
	int64_t last_success;	/* the job type's latest success with any IDs; 0: never */
	struct why_need *needs;	/* one per edge to the job, in graph order */
	size_t nneeds;
	struct why_next next;
	bool schedule_ok;	/* schedule.yaml has no problems (else nothing is scheduled) */
};

/* Answers for job `job` of project p and work ID id as of now, from st (NULL: no database:
 * never computed). Returns 0, or -1 with the reason in err (a state error). Release *w with
 * why_release. */
int why_explain(struct why *w, const struct project *p, struct state *st, const struct job *job,
		int64_t id, int64_t now, char *err, size_t errlen);
void why_release(struct why *w);

/* Whether a job that depends on `type` through edge dep finds an ID fresh at `now`: fin is
 * the latest success of `type` for the ID (0: never), type_last its latest success at all
 * (for allow_missing_work_ids). *why receives the reason, newly allocated: "computed 2h ago
 * <= max_lag 1d", "computed 2h ago > max_lag 1h", "never computed", "max_lag 0: always
 * stale", "b succeeded 10m ago <= max_lag 1h (allow_missing_work_ids: any IDs)". */
bool why_fresh(const struct dep *dep, const char *type, int64_t fin, int64_t type_last,
	       int64_t now, char **why);

#endif
