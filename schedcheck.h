/* schedcheck.h - the checks of schedule entries that need the jobs: an entry whose job has no
 * file, or whose job (or a job it needs) is BROKEN, is disabled alone (docs/design.md,
 * "Scheduling"); every other entry keeps its schedule. */
#ifndef STAU_SCHEDCHECK_H
#define STAU_SCHEDCHECK_H

#include "config.h"
#include "graph.h"
#include "msg.h"

/* Sets the `problem` of each entry of s that has none yet and whose job is not in g ("unknown
 * job 'x'", also reported in d at the entry's job, with a "did you mean"), or is BROKEN: its
 * file did not validate (job.broken, or a problem in d for its file, such as a dependency
 * cycle), or a job it needs is. g is the graph of every job, d every problem found so far;
 * d's problems of schedule.yaml are then put first, in line order, the others keeping their
 * order after them. */
void schedcheck_entries(struct schedule *s, const struct graph *g, struct diags *d);

/* The same for a tick that loaded only some jobs (project_load_needed), g and d being what
 * it loaded: an entry whose job is in g and BROKEN gets the problem schedcheck_entries gives
 * it (every job it needs is in g too, so the verdict is the same); an entry whose job is not
 * in g is left alone, and d gets nothing. */
void schedcheck_loaded(struct schedule *s, const struct graph *g, struct diags *d);

#endif
