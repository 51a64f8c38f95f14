/* overlap.h - which work a tick has queued already, so that two schedule entries firing
 * together with identical work share one run (docs/design.md, "Scheduling"); pure.
 *
 * Overlap is judged per entry: an entry skips a fire time while its own previous run (the
 * run it last queued or shared) is QUEUED or ACTIVE (due.h). Independently of that, two
 * entries due in one tick whose work is identical (same job, same kwargs in any order, same
 * work IDs, or both taking them from the job's select_work) get one run: the first queues
 * it, the next records it as its own. This file keeps those runs for one tick. */
#ifndef STAU_OVERLAP_H
#define STAU_OVERLAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The work of an entry as one text: the job type, the kwargs sorted by name with their JSON
 * texts, and the entry's work IDs in compact form or "select_work". Equal texts mean
 * identical work. Newly allocated. */
char *overlap_work_key(const struct entry *e);

/* The runs one tick queued, by work key. Initialise with { 0 }. */
struct overlap_set {
	struct overlap_item {
		char *key;
		int64_t run;
	} *v;
	size_t n, cap;
};

/* The run queued in this tick for the work key, or 0. */
int64_t overlap_find(const struct overlap_set *s, const char *key);

/* Remembers that run was queued for key (copied). */
void overlap_add(struct overlap_set *s, const char *key, int64_t run);

void overlap_release(struct overlap_set *s);

#endif
