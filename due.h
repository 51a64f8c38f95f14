/* due.h - the scheduling policy: is a schedule entry due, and what to do about it; pure.
 *
 * Nothing here reads the clock or the database: the caller passes the entry's trigger, what
 * state.h remembers of it and the time, and stores the decision's new last-handled value. */
#ifndef STAU_DUE_H
#define STAU_DUE_H

#include <stdbool.h>
#include <stdint.h>

#include "cron.h"

enum due_action {
	DUE_NOTHING,	/* not due */
	DUE_RUN,	/* queue one run for `fire` */
	DUE_MISSED,	/* `fire` is older than misfire_grace: record it as missed, do not run */
	DUE_SKIPPED,	/* the entry's own previous run is still queued or running: record
			 * `fire` as skipped */
	DUE_DISABLED,	/* the entry is disabled by a problem: `fire` is handled, nothing runs */
};

struct due_input {
	const struct trigger *trigger;
	const char *fingerprint;	/* the trigger as configured now (entry.trigger_text) */
	const char *stored_fingerprint;	/* as stored with last_handled; NULL: never seen */
	int64_t last_handled;		/* the last fire time handled; INT64_MIN: none */
	int64_t now;
	int64_t misfire_grace;		/* seconds */
	bool own_active;		/* the entry's own previous run (the last it queued or
					 * shared) is QUEUED or ACTIVE; another entry's run of the
					 * same job does not count */
	bool allow_multiple;		/* the job's allow_multiple_jobs */
	bool disabled;			/* the entry has a problem (unknown or BROKEN job): its
					 * fire times pass unrun, so that a fixed entry starts
					 * from its next fire time */
};

struct due_decision {
	enum due_action action;
	int64_t fire;		/* the fire time acted on (INT64_MIN for DUE_NOTHING) */
	int64_t last_handled;	/* the value to store for the entry, with the fingerprint */
	bool store;		/* last_handled or the fingerprint changed: the entry must be stored */
};

/* Applies the rule to in (the rule is spelled out at the top of due.c) and returns the
 * decision. Earlier unhandled fire times are coalesced into the latest one. Never fails. */
struct due_decision due_decide(const struct due_input *in);

/* "nothing", "run", "missed", "skipped", "disabled". */
const char *due_action_name(enum due_action a);

#endif
