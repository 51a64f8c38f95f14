/* simulate.h - `stau simulate`: the scheduler's decisions over a span of time, on a scratch
 * copy of the state, starting no job (docs/design.md, "Scheduling").
 *
 * Each simulated tick decides every entry as a real tick does (due.h: due, missed, skipped,
 * disabled; identical work due together shares one run, overlap.h) and records what it
 * decided in the scratch state, so that the next tick sees it. No run is queued: a run the
 * simulation would queue counts as ended at once, as if its jobs took no time; a run that is
 * open in the state that was copied stays open for the whole span, since nothing runs it. */
#ifndef STAU_SIMULATE_H
#define STAU_SIMULATE_H

#include <stdint.h>

#include "project.h"
#include "state.h"
#include "util.h"

struct simulate_opts {
	int64_t from, to;	/* ticks at from, from + every, ... up to to, inclusive */
	int64_t every;		/* seconds between ticks, >= 1 */
};

/* Replays the ticks of o over the entries of p on st (which it changes: pass a scratch copy)
 * and appends one line per decision to out, in time order:
 *   FIRE_TIME  ENTRY  run: queue a run of JOB
 *   FIRE_TIME  ENTRY  run: shares the run of entry 'x' (identical work)
 *   FIRE_TIME  ENTRY  skipped: its run 12 is still queued or running
 *   FIRE_TIME  ENTRY  missed: ticked at T, 40m late, past misfire_grace 30m
 *   FIRE_TIME  ENTRY  disabled: REASON
 * FIRE_TIME in the entry's zone. Returns the number of lines, or -1 on a state error (said in
 * out as "stau: ..."). */
long simulate_ticks(struct state *st, const struct project *p, const struct simulate_opts *o,
		    struct strbuf *out);

#endif
