/* simulate.c - the scheduler's decisions over a span of time, on a scratch state.
 *
 * The rule is due.c's, as sched.c applies it; only what follows a decision differs: nothing
 * is queued, and nothing runs. The entry's stored state is written as a tick writes it
 * (fingerprint, last fire handled, missed, skipped), and a run the simulation would queue is
 * not stored (the entry's last run becomes "none"), so a later fire time of the entry is not
 * skipped for it: the simulation shows the schedule, not how long jobs take. */
#include "simulate.h"

#include <stdlib.h>
#include <string.h>

#include "due.h"
#include "overlap.h"
#include "term.h"
#include "timeutil.h"

struct sim {
	struct state *st;
	const struct project *p;
	struct strbuf *out;
	int64_t now;
	int64_t from; /* the first simulated tick: earlier fire times are its catch-ups */
	struct overlap_set shared; /* work queued at this tick: the entry that queued it */
	long lines;
	int width; /* of the longest entry id, to align the lines */
};

static void line(struct sim *s, const struct entry *e, int64_t fire, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void line(struct sim *s, const struct entry *e, int64_t fire, const char *fmt, ...)
{
	char when[48];
	time_format(fire, e->trigger.zone, when, sizeof(when));
	char *id = term_escape(e->id);
	sb_addf(s->out, "%s  %-*s  ", when, s->width, id);
	free(id);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(s->out, fmt, ap);
	va_end(ap);
	if (fire < s->from)
		sb_adds(s->out, " (before --from: caught up by the first tick)");
	sb_addc(s->out, '\n');
	s->lines++;
}

/* An entry whose trigger cannot be used never fires: said once, before the fire times. */
static void say_never(struct sim *s, const struct entry *e)
{
	char *id = term_escape(e->id), *why = term_escape(e->problem);
	sb_addf(s->out, "%-25s  %-*s  disabled, never fires: %s\n", "-", s->width, id, why);
	free(why);
	free(id);
	s->lines++;
}

static void say_missed(struct sim *s, const struct entry *e, int64_t fire)
{
	char at[48], late[32], grace[32];
	time_format(s->now, e->trigger.zone, at, sizeof(at));
	duration_format((s->now - fire) * 1000, 2, late, sizeof(late));
	duration_format(s->p->sched.settings.misfire_grace * 1000, 2, grace, sizeof(grace));
	line(s, e, fire, "missed: ticked at %s, %s late, past misfire_grace %s", at, late, grace);
}

/* A run the simulation queues: shared by identical work due at the same tick. */
static void say_run(struct sim *s, const struct entry *e, int64_t fire, size_t index)
{
	char *key = overlap_work_key(e);
	int64_t first = overlap_find(&s->shared, key);
	if (first) {
		char *id = term_escape(s->p->sched.entries[first - 1].id);
		line(s, e, fire, "run: shares the run of entry '%s' (identical work)", id);
		free(id);
	} else {
		overlap_add(&s->shared, key, (int64_t)index + 1);
		char *job = term_escape(e->job);
		line(s, e, fire, "run: queue a run of %s", job);
		free(job);
	}
	free(key);
}

static void say(struct sim *s, const struct entry *e, size_t index,
		const struct due_decision *d, int64_t own_run)
{
	char *why = NULL;
	switch (d->action) {
	case DUE_RUN:
		say_run(s, e, d->fire, index);
		break;
	case DUE_MISSED:
		say_missed(s, e, d->fire);
		break;
	case DUE_SKIPPED:
		line(s, e, d->fire, "skipped: its run %lld is still queued or running (nothing "
		     "runs it while simulating)", (long long)own_run);
		break;
	case DUE_DISABLED:
		why = term_escape(e->problem ? e->problem : "its job has no file in jobs/");
		line(s, e, d->fire, "disabled: %s", why);
		free(why);
		break;
	case DUE_NOTHING:
		break;
	}
}

static int decide_entry(struct sim *s, size_t index)
{
	const struct entry *e = &s->p->sched.entries[index];
	struct state_entry se = { 0 };
	int got = state_entry_get(s->st, e->id, &se);
	int open = got < 0 ? -1 : state_run_open(s->st, got ? se.last_run : 0);
	if (open < 0)
		return -1;
	const struct job *job = project_job(s->p, e->job);
	struct due_input in = {
		.trigger = &e->trigger, .fingerprint = e->trigger_text,
		.stored_fingerprint = got ? se.fingerprint : NULL,
		.last_handled = got ? se.last_handled : INT64_MIN, .now = s->now,
		.misfire_grace = s->p->sched.settings.misfire_grace, .own_active = open,
		.allow_multiple = job && job->allow_multiple_jobs, .disabled = e->problem || !job,
	};
	struct due_decision d = due_decide(&in);
	int rc = 0;
	if (d.store) {
		say(s, e, index, &d, got ? se.last_run : 0);
		state_entry_take(&se, got, e->id, e->trigger_text, &d);
		se.last_run = d.action == DUE_RUN ? 0 : se.last_run;
		rc = state_entry_set(s->st, &se);
	}
	state_entry_release(&se);
	return rc;
}

static int one_tick(struct sim *s)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->p->sched.nentries; i++) {
		const struct entry *e = &s->p->sched.entries[i];
		if (e->enabled && e->trigger_text)
			rc = decide_entry(s, i);
	}
	overlap_release(&s->shared);
	return rc;
}

long simulate_ticks(struct state *st, const struct project *p, const struct simulate_opts *o,
		    struct strbuf *out)
{
	struct sim s = { .st = st, .p = p, .out = out, .from = o->from };
	for (size_t i = 0; i < p->sched.nentries; i++)
		if (strlen(p->sched.entries[i].id) > (size_t)s.width && s.width < 40)
			s.width = (int)strlen(p->sched.entries[i].id);
	for (size_t i = 0; i < p->sched.nentries; i++)
		if (!p->sched.entries[i].trigger_text && p->sched.entries[i].problem)
			say_never(&s, &p->sched.entries[i]);
	int rc = state_begin(st); /* one transaction: the scratch state is ours alone */
	for (s.now = o->from; !rc && s.now <= o->to; s.now += o->every)
		rc = one_tick(&s);
	rc = rc ? (state_rollback(st), -1) : state_commit(st);
	if (rc) {
		sb_addf(out, "stau: %s\n", state_errmsg(st));
		return -1;
	}
	return s.lines;
}
