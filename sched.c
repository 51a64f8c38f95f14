/* sched.c - one tick of the scheduler: what `stau tick` does once a minute (docs/design.md,
 * "Scheduling").
 *
 * One tick: recover chunks whose stau died; load the project and report each problem once
 * per version of its file; queue a run for every schedule entry that is due (or record the
 * fire time as missed or skipped); expand queued runs; run ready chunks until none is ready;
 * prune what is older than the retention; then write the metrics file and start the
 * on_failure hook of each run that ended FAILED (monitor.h), which may not change the tick's
 * result. Whether an entry is due is due.c's pure rule (fire
 * time, last handled, now: it is spelled out at the top of due.c); this file reads what that
 * rule needs from the state and records what it decided.
 *
 * Several ticks may overlap (a slow job, a manual run): each decision that must happen once
 * is taken inside a state transaction after re-reading what it depends on. An entry's
 * decision is first made from a cheap read of every entry; only an entry that needs a write
 * is decided again under the lock, with its select_work already run outside it (a command
 * may take seconds, and the lock would stop every other stau meanwhile).
 *
 * Most ticks have nothing to do, and must cost little (docs/design.md, "The quiet tick"). A
 * tick first looks at the record its last full tick stored (tickcache.h): when the files it
 * describes are unchanged, no entry's stored next fire time has come and no run is open, it
 * prunes and stops without reading a file (quiet_tick); with entries due or runs open, it
 * loads only the jobs they need (partial_tick). Every other tick loads the whole project.
 *
 * Nothing is printed here: each line goes to the caller's struct sched_out, so that cron
 * mails what `stau tick` prints and a unit test reads the same lines. */
#include "sched.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "due.h"
#include "failtext.h"
#include "monitor.h"
#include "overlap.h"
#include "project.h"
#include "term.h"
#include "tickcache.h"
#include "timeutil.h"
#include "util.h"
#include "workids.h"

struct tick {
	const char *dir;
	int64_t now;
	const struct sched_opts *o;
	const struct sched_out *out;
	struct sched_result *res;
	struct state *st;
	struct project p;
	size_t ended;	/* chunks that ended in this tick, done or not */
	size_t waiting; /* queued runs left waiting by the last expansion */
	struct overlap_set queued; /* runs entries queued in this tick, by their work */
	bool decide;	/* a tick that loaded only some jobs decides the entries (of those) */
	bool state_failed;
};

static void say(struct tick *t, enum sched_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct tick *t, enum sched_level level, const char *fmt, ...)
{
	if (!t->out || !t->out->say)
		return;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	t->out->say(t->out->ctx, level, sb.buf);
	sb_release(&sb);
}

static int state_fail(struct tick *t, const char *msg)
{
	say(t, SCHED_ERROR, "%s", msg);
	t->state_failed = true;
	return -1;
}

/* ---- problems, reported once per version of their file ---- */

/* Reports the diagnostics d[from..to) of `file` unless they were reported for this very
 * content of the file and this very text. */
static int report_file_problems(struct tick *t, const char *file, size_t from, size_t to)
{
	struct strbuf msg = STRBUF_INIT;
	for (size_t i = from; i < to; i++) {
		char *line = diag_format(&t->p.diags.v[i]);
		sb_addf(&msg, "%s\n", line);
		free(line);
	}
	char *path = xasprintf("%s/%s", t->p.dir, file);
	size_t len = 0;
	char *text = read_regular_file(path, &len, NULL);
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, msg.buf, msg.len);
	h = hash_fnv1a(h, text ? text : "", text ? len : 0);
	char version[32];
	snprintf(version, sizeof(version), "%016llx", (unsigned long long)h);
	int rc = state_problem_once(t->st, file, version, msg.buf, t->now);
	for (size_t i = from; rc == 1 && i < to; i++) {
		char *line = diag_format(&t->p.diags.v[i]);
		say(t, SCHED_ERROR, "%s", line);
		free(line);
	}
	free(text);
	free(path);
	sb_release(&msg);
	return rc < 0 ? state_fail(t, state_errmsg(t->st)) : 0;
}

static int report_problems(struct tick *t)
{
	const struct diags *d = &t->p.diags;
	for (size_t i = 0; i < d->n;) {
		size_t j = i + 1;
		const char *file = d->v[i].file ? d->v[i].file : "";
		while (j < d->n && !strcmp(d->v[j].file ? d->v[j].file : "", file))
			j++;
		if (report_file_problems(t, file, i, j))
			return -1;
		i = j;
	}
	return 0;
}

/* ---- schedule entries ---- */

static const struct state_entry *stored_entry(const struct state_entry *v, size_t n,
					      const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].id, id);
		if (!c)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct due_decision decide(struct tick *t, const struct entry *e,
				  const struct state_entry *se, bool own_active)
{
	const struct job *job = project_job(&t->p, e->job);
	struct due_input in = {
		.trigger = &e->trigger,
		.fingerprint = e->trigger_text,
		.stored_fingerprint = se ? se->fingerprint : NULL,
		.last_handled = se ? se->last_handled : INT64_MIN,
		.now = t->now,
		.misfire_grace = t->p.sched.settings.misfire_grace,
		.own_active = own_active,
		.allow_multiple = job && job->allow_multiple_jobs,
		.disabled = e->problem != NULL || !job,
	};
	return due_decide(&in);
}

/* The IDs and trigger of a run of entry e, prepared outside the lock. */
struct prepared {
	struct idlist ids;
	bool has_ids;
	char *fail;
	char *git;
	char *kwargs;
};

static void prepare_run(struct tick *t, const struct entry *e, struct prepared *pr)
{
	char err[512];
	memset(pr, 0, sizeof(*pr));
	pr->kwargs = kv_to_json(&e->kwargs);
	if (e->has_work_ids) {
		for (size_t i = 0; i < e->nwork_ids; i++)
			idlist_push(&pr->ids, e->work_ids[i]);
		idlist_sort_unique(&pr->ids);
		pr->has_ids = true;
	} else if (engine_select_work(&t->p, project_job(&t->p, e->job), pr->kwargs, &pr->ids,
				      &pr->has_ids, err, sizeof(err))) {
		pr->fail = xstrdup(err);
	}
	pr->git = project_git_commit(t->p.dir);
}

static void prepared_release(struct prepared *pr)
{
	idlist_release(&pr->ids);
	free(pr->fail);
	free(pr->git);
	free(pr->kwargs);
}

static int queue_entry_run(struct tick *t, const struct entry *e, int64_t fire,
			   struct prepared *pr, int64_t *id)
{
	char err[512];
	struct engine_new_run r = { .job = e->job, .entry = e->id, .fire_time = fire,
				    .kwargs = pr->kwargs, .ids = pr->ids.v, .nids = pr->ids.n,
				    .has_ids = pr->has_ids, .git = pr->git, .fail = pr->fail };
	if (engine_queue_run(t->st, &t->p, &r, t->now, id, err, sizeof(err)))
		return state_fail(t, err);
	if (pr->fail) {
		say(t, SCHED_ERROR, "%s run %lld of entry '%s' failed: %s", e->job, (long long)*id,
		    e->id, pr->fail);
		t->res->failed++;
	}
	return 0;
}

/* The run this tick queued for work identical to e's, or 0. */
static int64_t shared_run(struct tick *t, const struct entry *e)
{
	char *key = overlap_work_key(e);
	int64_t run = overlap_find(&t->queued, key);
	free(key);
	return run;
}

/* Queues a run for entry e, or lets it share the run another entry queued in this tick for
 * identical work; *run is then the entry's own run. */
static int run_or_share(struct tick *t, const struct entry *e, int64_t fire,
			struct prepared *pr, int64_t *run)
{
	int64_t shared = shared_run(t, e);
	if (shared) {
		*run = shared;
		say(t, SCHED_INFO, "entry '%s' shares %s run %lld: identical work", e->id, e->job,
		    (long long)shared);
		return 0;
	}
	if (!pr->kwargs) /* not foreseen outside the lock: select_work must not hold it */
		return 1;
	if (queue_entry_run(t, e, fire, pr, run))
		return -1;
	char *key = overlap_work_key(e);
	overlap_add(&t->queued, key, *run);
	free(key);
	return 0;
}

/* Re-decides entry e under the lock and acts: queue, record missed or skipped, store.
 * Returns 0, -1, or 1 (nothing done) when it must queue a run that pr has not prepared. */
static int handle_entry_locked(struct tick *t, const struct entry *e, struct prepared *pr)
{
	struct state_entry se = { 0 };
	int got = state_entry_get(t->st, e->id, &se);
	if (got < 0)
		return -1;
	int active = state_run_open(t->st, got ? se.last_run : 0);
	if (active < 0)
		return -1;
	struct due_decision d = decide(t, e, got ? &se : NULL, active);
	int rc = 0;
	if (d.store) {
		state_entry_take(&se, got, e->id, e->trigger_text, &d);
		if (d.action == DUE_RUN)
			rc = run_or_share(t, e, d.fire, pr, &se.last_run);
		if (!rc)
			rc = state_entry_set(t->st, &se);
	}
	if (!rc && (d.action == DUE_MISSED || d.action == DUE_SKIPPED)) {
		char buf[40];
		time_format(d.fire, NULL, buf, sizeof(buf));
		say(t, SCHED_INFO, "entry '%s': fire time %s %s", e->id, buf,
		    due_action_name(d.action));
	}
	state_entry_release(&se);
	return rc;
}

/* handle_entry_locked in a transaction; 1: rolled back, as pr must be prepared first. */
static int handle_entry_tx(struct tick *t, const struct entry *e, struct prepared *pr)
{
	int rc = state_begin(t->st);
	int x = rc ? -1 : handle_entry_locked(t, e, pr);
	if (!rc && x) {
		state_rollback(t->st);
		rc = x;
	} else if (!rc) {
		rc = state_commit(t->st);
	}
	return rc;
}

static int handle_entry(struct tick *t, const struct entry *e, const struct state_entry *se)
{
	struct due_decision d = decide(t, e, se, false);
	if (!d.store)
		return 0;
	struct prepared pr = { 0 };
	if (d.action == DUE_RUN && (state_run_open(t->st, se ? se->last_run : 0) == 0 ||
				    project_job(&t->p, e->job)->allow_multiple_jobs) &&
	    !shared_run(t, e))
		prepare_run(t, e, &pr);
	int rc = handle_entry_tx(t, e, &pr);
	if (rc == 1) { /* its run was not foreseen: select_work outside the lock, then again */
		prepare_run(t, e, &pr);
		rc = handle_entry_tx(t, e, &pr);
	}
	prepared_release(&pr);
	if (rc && !t->state_failed)
		state_fail(t, state_errmsg(t->st));
	return rc;
}

/* Entries that only need their trigger recorded (seen for the first time or changed, nothing
 * due): all of them in one transaction, each re-decided under the lock like any other. The
 * first tick of a project of 10,000 entries would otherwise pay 10,000 syncs. */
static int record_new_entries(struct tick *t, const struct entry **v, size_t n)
{
	if (!n)
		return 0;
	int rc = state_begin(t->st);
	for (size_t i = 0; !rc && i < n; i++) {
		struct prepared pr = { 0 };
		rc = handle_entry_locked(t, v[i], &pr);
		prepared_release(&pr);
	}
	if (rc)
		state_rollback(t->st);
	else
		rc = state_commit(t->st);
	if (rc && !t->state_failed)
		state_fail(t, state_errmsg(t->st));
	return rc;
}

/* Whether the tick decides entry e: an entry whose job it did not load (it loaded only the
 * jobs of the entries due) is not looked at. */
static enum tickcache_entry entry_how(struct tick *t, const struct entry *e)
{
	if (!e->enabled || !e->trigger_text)
		return TICKCACHE_OFF;
	if (project_job(&t->p, e->job))
		return TICKCACHE_DECIDED;
	/* disabled by its problem (an unknown job), it handles its fire times (due.c) */
	if (e->problem)
		return TICKCACHE_DECIDED;
	return t->p.partial ? TICKCACHE_UNSEEN : TICKCACHE_NOJOB;
}

static int schedule_entries(struct tick *t)
{
	struct state_entry *stored;
	size_t n, nnew = 0;
	if (state_entries_all(t->st, &stored, &n))
		return state_fail(t, state_errmsg(t->st));
	const struct entry **fresh = xcalloc(t->p.sched.nentries + 1, sizeof(*fresh));
	enum tickcache_entry *how = xcalloc(t->p.sched.nentries + 1, sizeof(*how));
	int rc = 0;
	for (size_t i = 0; !rc && i < t->p.sched.nentries; i++) {
		const struct entry *e = &t->p.sched.entries[i];
		const struct state_entry *se = stored_entry(stored, n, e->id);
		how[i] = entry_how(t, e);
		if (how[i] != TICKCACHE_DECIDED)
			continue;
		struct due_decision d = decide(t, e, se, false);
		if (d.store && d.action == DUE_NOTHING)
			fresh[nnew++] = e;
		else if (d.store)
			rc = handle_entry(t, e, se);
	}
	if (!rc)
		rc = record_new_entries(t, fresh, nnew);
	if (!rc && tickcache_sync_entries(t->st, &t->p, how, t->now))
		rc = state_fail(t, state_errmsg(t->st));
	free(how);
	free(fresh);
	state_entries_free(stored, n);
	overlap_release(&t->queued);
	return rc;
}

/* ---- queued runs ---- */

/* A run that failed at expansion because a job it needs is broken is reported once per
 * reason, not every time the schedule fires it again (docs/design.md, "Faults"). */
static int report_run_failure(struct tick *t, const struct state_run *r, const char *why)
{
	char *key = xasprintf("run-of:%s", r->job);
	char version[32];
	snprintf(version, sizeof(version), "%016llx",
		 (unsigned long long)hash_fnv1a(HASH_FNV1A_INIT, why, strlen(why)));
	int rc = state_problem_once(t->st, key, version, why, t->now);
	if (rc == 1)
		say(t, SCHED_ERROR, "%s run %lld failed: %s", r->job, (long long)r->id, why);
	free(key);
	t->res->failed++;
	return rc < 0 ? state_fail(t, state_errmsg(t->st)) : 0;
}

static int expand_queued(struct tick *t)
{
	struct state_run *runs;
	size_t n;
	char err[512];
	if (state_runs_queued(t->st, &runs, &n))
		return state_fail(t, state_errmsg(t->st));
	int rc = 0;
	t->waiting = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		char *why = NULL;
		if (t->p.partial && !project_job(&t->p, runs[i].job))
			continue; /* queued since this tick loaded its jobs: the next tick's */
		int x = engine_expand(t->st, &t->p, runs[i].id, t->now, &why, err, sizeof(err));
		t->waiting += x == EXPAND_WAITING;
		if (x < 0) {
			rc = state_fail(t, err);
		} else if (x == EXPAND_WAITING) {
			say(t, SCHED_INFO, "%s run %lld %s", runs[i].job, (long long)runs[i].id,
			    why);
		} else if (x == EXPAND_ENDED && why) {
			if (!strcmp(why, "no work"))
				say(t, SCHED_INFO, "%s run %lld canceled: no work", runs[i].job,
				    (long long)runs[i].id);
			else
				rc = report_run_failure(t, &runs[i], why);
		}
		free(why);
	}
	state_runs_free(runs, n);
	return rc;
}

/* ---- running chunks ---- */

static void tick_started(void *ctx, const struct state_chunk *c)
{
	say(ctx, SCHED_INFO, "%s run %lld chunk %zu/%zu started (attempt %d)", c->job,
	    (long long)c->run, c->index, c->count, c->attempt);
}

static void tick_finished(void *ctx, const struct state_chunk *c, const struct engine_finish *f)
{
	struct tick *t = ctx;
	char *line = NULL;
	char d[40];
	t->ended++;
	switch (f->outcome) {
	case ENGINE_DONE:
		term_duration_ms(f->duration_ms, d, sizeof(d));
		say(t, SCHED_INFO, "%s run %lld chunk %zu/%zu done in %s", c->job,
		    (long long)c->run, c->index, c->count, d);
		break;
	case ENGINE_RETRY:
		time_format(f->retry_at, NULL, d, sizeof(d));
		line = failtext_line(t->st, c, f, d);
		say(t, SCHED_INFO, "%s", line);
		break;
	case ENGINE_FAILED:
		line = failtext_line(t->st, c, f, NULL);
		say(t, SCHED_ERROR, "%s", line);
		t->res->failed++;
		break;
	}
	free(line);
}

static int run_chunks(struct tick *t)
{
	struct exec_runner local, *ex = t->o->ex;
	char err[512];
	if (!ex && exec_local_new(&local, err, sizeof(err)))
		return state_fail(t, err);
	struct engine_opts o = { .jobs = t->o->jobs, .now = t->now, .stop = t->o->stop,
				 .clock = t->o->clock };
	struct engine_hooks h = { .started = tick_started, .finished = tick_finished, .ctx = t };
	int rc = engine_run(t->st, &t->p, ex ? ex : &local, &o, &h, NULL, err, sizeof(err));
	if (!ex)
		local.ops->destroy(local.self);
	return rc ? state_fail(t, err) : 0;
}

/* Chunks whose stau died are failed ("runner lost") and what they left is killed, through
 * the executor: only it knows how its chunks run. Returns how many, or -1. */
static int recover_lost(struct tick *t)
{
	struct exec_runner local, *ex = t->o->ex;
	char err[512];
	if (!ex && exec_local_new(&local, err, sizeof(err)))
		return state_fail(t, err);
	int lost = engine_recover(t->st, &t->p, ex ? ex : &local, t->now, err, sizeof(err));
	if (!ex)
		local.ops->destroy(local.self);
	return lost < 0 ? state_fail(t, err) : lost;
}

/* ---- retention ---- */

static int prune(struct tick *t)
{
	char **logs = NULL;
	int64_t retention = t->p.sched.settings.retention;
	if (retention <= 0 || !t->p.sched.settings_ok) /* a bad retention is not the default */
		return 0;
	int n = state_prune(t->st, t->now - retention, &logs);
	if (n < 0)
		return state_fail(t, state_errmsg(t->st));
	for (size_t i = 0; logs && logs[i]; i++) {
		char *path = xasprintf("%s/%s", t->p.dir, logs[i]);
		unlink(path);
		exec_slurm_remove_beside(path);
		free(path);
		free(logs[i]);
	}
	free(logs);
	if (n > 0)
		say(t, SCHED_INFO, "pruned %d run%s older than the retention", n,
		    n == 1 ? "" : "s");
	return 0;
}

/* ---- monitoring ---- */

static void monitor_say(void *ctx, const char *text)
{
	say(ctx, SCHED_WARN, "%s", text);
}

/* The metrics file and the on_failure hooks of failed runs (monitor.h), after the tick's
 * work: what goes wrong there is said, and changes nothing of the tick or its exit status.
 * full: t->p is the whole project, else its schedule only. */
static void monitoring(struct tick *t, bool full)
{
	struct monitor_out out = { monitor_say, t };
	monitor_metrics_file(t->st, t->dir, &t->p, full, t->now, &out);
	monitor_hooks(t->st, &t->p, t->now, &out);
}

/* ---- a tick with nothing to do ---- */

static int tick(struct tick *t);

static int cmp_entry_id(const void *a, const void *b)
{
	return strcmp((*(const struct entry *const *)a)->id, (*(const struct entry *const *)b)->id);
}

/* Adds to types the jobs of the entries that may be due (by their stored next fire time),
 * and sets *due to those entries (a new array, NULL-terminated). */
static int due_jobs(struct tick *t, struct strvec *types, const struct entry ***due)
{
	char **ids;
	size_t n, ne = t->p.sched.nentries;
	if (state_entries_due_ids(t->st, t->now, &ids, &n))
		return state_fail(t, state_errmsg(t->st));
	const struct entry **v = xcalloc(ne + 1, sizeof(*v));
	for (size_t i = 0; i < ne; i++)
		v[i] = &t->p.sched.entries[i];
	qsort(v, ne, sizeof(*v), cmp_entry_id);
	size_t ndue = 0;
	*due = xcalloc(n + 1, sizeof(**due));
	for (size_t i = 0; i < n; i++) {
		struct entry key = { .id = ids[i] };
		const struct entry *k = &key, **e = bsearch(&k, v, ne, sizeof(*v), cmp_entry_id);
		if (e && (*e)->enabled) {
			strvec_push(types, xstrdup((*e)->job));
			(*due)[ndue++] = *e;
		}
		free(ids[i]);
	}
	free(ids);
	free(v);
	return 0;
}

/* Loads schedule.yaml, which the record says is as the last full tick read it: that tick
 * reported its problems, and an entry's own problem disables it (entry.problem), so only a
 * file that cannot be used at all (as it reads now) makes a full tick. */
static bool schedule_as_recorded(struct tick *t)
{
	project_load_schedule(t->dir, &t->p);
	diags_release(&t->p.diags);
	t->p.diags = (struct diags){ 0 };
	return t->p.sched_ok;
}

/* A tick whose files are as the last full tick saw them (tickcache.h), with an entry due or
 * runs open. It reads schedule.yaml when an entry may be due (else the recorded lines of its
 * settings), and only the job files of the entries due and of the open runs (their master
 * jobs and the job types of their plans), with what those depend on (project_load_needed);
 * entries whose job it did not load are not looked at. Then it does what any tick does.
 * Returns 1 when done, 0 when a full tick is needed after all, -1 on a state error. */
static int partial_tick(struct tick *t, const struct tickcache *c, bool due)
{
	char **open;
	size_t n;
	if (state_open_run_jobs(t->st, &open, &n))
		return state_fail(t, state_errmsg(t->st));
	struct strvec types = { 0 };
	for (size_t i = 0; i < n; i++)
		strvec_push(&types, open[i]);
	free(open);
	int rc = 0;
	const struct entry **v = NULL;
	if (due && schedule_as_recorded(t))
		rc = due_jobs(t, &types, &v);
	else if (due)
		rc = -2; /* not as recorded after all: a full tick says why */
	else {
		t->p.dir = xstrdup(t->dir);
		tickcache_load_settings(c, &t->p);
	}
	if (!rc)
		project_load_needed(&t->p, types.v, types.n);
	for (size_t i = 0; !rc && v && v[i]; i++)
		if (!project_job(&t->p, v[i]->job) && !v[i]->problem)
			rc = -2; /* the job of an entry due is no job now: a full tick reports it */
	free(v);
	if (!rc) {
		t->decide = due;
		rc = tick(t);
	}
	if (!rc && !t->state_failed)
		monitoring(t, false);
	project_release(&t->p);
	strvec_release(&types);
	return rc == -2 ? 0 : rc < 0 ? -1 : 1;
}

/* The tick cron starts every minute usually has nothing to do (docs/design.md, "The quiet
 * tick"): the files a tick depends on are as the last full tick left them (tickcache.h), no
 * run is queued or active (so no chunk can be ready or lost), and no entry's next fire time
 * has come. Then no file needs reading: retention is applied with the settings of the last
 * full tick. With an entry due or runs open and the rest as said, a tick loads only what those
 * need (partial_tick). A schedule.yaml that cannot be used at all is read by every tick
 * until it is fixed. Returns 1 when the tick is thereby done, 2 when
 * partial_tick did it, 0 when a full tick is needed, -1 on a state error. */
static int quiet_tick(struct tick *t, const struct tickcache_files *files)
{
	struct tickcache c;
	int quiet = tickcache_read(t->st, &c);
	if (quiet == 1)
		quiet = tickcache_check(t->st, &c, files, t->dir);
	if (quiet < 0)
		quiet = state_fail(t, state_errmsg(t->st));
	if (quiet == 1 && !c.sched_ok)
		quiet = 0;
	/* a state error here makes a full tick, which meets it too */
	int due = quiet == 1 ? state_entries_may_be_due(t->st, t->now) : 0;
	int open = quiet == 1 ? state_any_open_run(t->st) : 0;
	if (due < 0 || open < 0)
		quiet = 0;
	if (quiet == 1 && (due || open)) {
		quiet = partial_tick(t, &c, due);
		quiet = quiet == 1 ? 2 : quiet;
	} else if (quiet == 1) {
		t->p.dir = xstrdup(t->dir);
		tickcache_settings(&c, &t->p);
		if (prune(t))
			quiet = -1;
		else
			monitoring(t, false);
		project_release(&t->p);
	}
	tickcache_release(&c);
	return quiet;
}

static int remember_load(struct tick *t, const struct tickcache_files *files,
			 const char *names)
{
	return tickcache_write(t->st, &t->p, files, names) ? state_fail(t, state_errmsg(t->st))
							     : 0;
}

static int tick(struct tick *t)
{
	if (report_problems(t))
		return -1;
	if (t->p.unusable) {
		say(t, SCHED_ERROR, "nothing can run until that is fixed");
		t->res->unusable = true;
		return 0;
	}
	int lost = recover_lost(t);
	if (lost < 0)
		return -1;
	t->res->lost = (size_t)lost;
	if (lost > 0) /* the stau that ran them cannot say so: cron must hear it from us */
		say(t, SCHED_WARN, "marked %d chunk%s FAILED 'runner lost': the stau process "
		    "running %s died; retried if the job allows, see 'stau status'", lost,
		    lost == 1 ? "" : "s", lost == 1 ? "it" : "them");
	if (t->p.sched_ok && (!t->p.partial || t->decide) && schedule_entries(t))
		return -1;
	/* A run that waited for another run's chunks of its dependencies can expand once this
	 * tick has run them, so expand and run again while running chunks unblocked something:
	 * an entry due this minute then runs this minute, not at the next tick. */
	size_t ended;
	do {
		ended = t->ended;
		if (expand_queued(t) || run_chunks(t))
			return -1;
	} while (t->waiting && t->ended > ended && !(t->o->stop && *t->o->stop));
	return prune(t);
}

int sched_tick(struct state *st, const char *dir, const struct sched_opts *o,
	       const struct sched_out *out, struct sched_result *res)
{
	struct tick t = { .dir = dir, .now = o->now, .o = o, .out = out, .res = res, .st = st };
	*res = (struct sched_result){ 0 };
	struct tickcache_files files;
	tickcache_files(dir, &files);
	int rc = quiet_tick(&t, &files);
	res->quiet = rc == 1;
	if (rc == 0) {
		char *names = tickcache_names(dir);
		project_load(dir, &t.p);
		rc = tick(&t);
		if (!rc && !res->unusable)
			rc = remember_load(&t, &files, names);
		if (!rc && !t.state_failed)
			monitoring(&t, true);
		project_release(&t.p);
		free(names);
	}
	return rc < 0 || t.state_failed ? -1 : 0;
}
