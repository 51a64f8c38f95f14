/* due.c - the scheduling policy: when is a schedule entry due, and what happens then.
 *
 * The rule (docs/design.md, "Scheduling"), in the terms used below:
 *
 *   fire time     an instant at which the entry's trigger fires (trigger_prev/trigger_next);
 *   last handled  the latest fire time the entry has already dealt with (run, missed or
 *                 skipped), stored in the database together with the trigger's fingerprint;
 *   now           the time of this tick.
 *
 * At each tick, take the latest fire time at or before now. The entry is due when that fire
 * time is later than the last one handled. A due entry gets one run for that latest fire time:
 * any earlier fire times that were never handled (stau was not called for a while) are
 * coalesced into it, never run one by one. But when now is further than misfire_grace past
 * the fire time, running it now would be a surprise: the fire time is recorded as missed
 * instead (status shows it), and nothing runs. When the entry's own previous run is still
 * queued or active and the job does not allow multiple runs, the fire time is recorded as
 * skipped. Overlap is the entry's alone: a run of the same job queued by another entry (other
 * kwargs, say) does not hold it back.
 * Either way the fire time is handled: it is never looked at again.
 *
 * An entry seen for the first time, or whose trigger changed (its fingerprint differs from the
 * stored one), has no usable history. Its fire times are handled from the start of the
 * current minute on: nothing older is caught up, but a fire time earlier in this very minute
 * still counts (cron starts a tick a few seconds after the minute, and an entry added at
 * 10:00:30 with `* * * * *` expects its 10:00 run). This is modelled by taking the last
 * handled time as one second before the current minute.
 *
 * Missed is checked before skipped: a fire time too old to run is missed whatever the job is
 * doing. A disabled entry (a problem of its own, such as an unknown job) handles its fire
 * times without running them, so that once fixed it starts from its next one. */
#include "due.h"

#include <string.h>

/* One second before the minute that contains t (floor division: t may be negative). */
static int64_t before_this_minute(int64_t t)
{
	int64_t m = t % 60;
	if (m < 0)
		m += 60;
	return t - m - 1;
}

static bool is_first_sight(const struct due_input *in)
{
	return !in->stored_fingerprint || strcmp(in->stored_fingerprint, in->fingerprint) != 0;
}

struct due_decision due_decide(const struct due_input *in)
{
	struct due_decision d = { DUE_NOTHING, INT64_MIN, in->last_handled, false };
	if (is_first_sight(in)) {
		d.last_handled = before_this_minute(in->now);
		d.store = true;
	}
	int64_t fire = trigger_prev(in->trigger, in->now);
	if (fire == -1 || fire <= d.last_handled)
		return d;
	d.fire = fire;
	d.last_handled = fire;
	d.store = true;
	if (in->disabled)
		d.action = DUE_DISABLED;
	else if (in->now - fire > in->misfire_grace)
		d.action = DUE_MISSED;
	else if (in->own_active && !in->allow_multiple)
		d.action = DUE_SKIPPED;
	else
		d.action = DUE_RUN;
	return d;
}

const char *due_action_name(enum due_action a)
{
	static const char *const names[] = { "nothing", "run", "missed", "skipped", "disabled" };
	return (unsigned)a < 5 ? names[a] : "?";
}
