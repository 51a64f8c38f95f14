/* timeline.h - a run's chunks drawn against time, for `stau show`: a bar per chunk from its
 * start to its end, so that a person sees at a glance what ran in parallel and what waited.
 *
 *   timeline: 10:20:03 to 10:24:51 (4m48s), one column = 5.1s
 *   features 1/2  |=========                                 |  46s
 *   features 2/2  |.........!!!!!!!!!!!!!                    |  1m06s FAILED
 *   report 1/2    |         ......==============             |  1m12s
 *   report 2/2    |                                          |  CANCELED
 *   = done  ! failed  > running  . ready, waiting for a slot or a retry
 *
 * A chunk is ready once every chunk it depends on has ended (the first chunks: when the
 * first chunk started); from then to its start it waited ('.'), for a free slot of
 * max_parallel or -j, or for its retry. Only the last attempt of a chunk is drawn.
 *
 * Chunk start and end times are recorded to the second and durations to the millisecond: a
 * start is taken as the latest of its recorded second, its end's second minus its duration
 * and the end of what it depended on, which is never later than the truth, so that a
 * dependent never seems to start before its dependency ended; and a run whose chunks all ran within TIMELINE_MIN_MS is not drawn (one
 * line says so): at that scale the seconds would draw a false picture. A run of more than TIMELINE_MAX_ROWS chunks is drawn one row per job
 * type instead, each column showing how many of its chunks ran at once (1-9, then +). */
#ifndef STAU_TIMELINE_H
#define STAU_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "timeutil.h"
#include "util.h"

#define TIMELINE_MAX_ROWS 60
#define TIMELINE_MIN_MS 2000 /* a run whose chunks all ran within this is not drawn */

struct timeline_opts {
	size_t width;		/* columns of the whole line (the terminal's, or 80); at least 40
				 * are used */
	bool color;		/* colour the bars by state */
	int64_t now;		/* the end of the bars of running chunks (seconds) */
	const struct tz *zone;	/* the zone of the times in the first line */
};

/* Appends the timeline of chunks cs[0..n) (one run's, in plan order, with their deps) to
 * sb, ending in a newline; nothing when no chunk has started. */
void timeline_render(struct strbuf *sb, const struct state_chunk *cs, size_t n,
		     const struct timeline_opts *o);

#endif
