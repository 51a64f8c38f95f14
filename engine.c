/* engine.c - the run loop: claim ready chunks, start them, record how they ended.
 *
 * This is ninja's Builder over a database instead of a graph in memory. The loop is rounds:
 *
 *   round: one transaction stores the outcomes of the children that ended, the pids of the
 *          children started since the last round, and claims ready chunks for the free
 *          slots (state decides what is ready and enforces max_parallel across processes);
 *          then the claimed chunks start;
 *   wait:  for one child to end (or for the next retry time), through the executor, taking
 *          every other child that has ended by then too.
 *
 * Group commit (docs/design.md, "Group commit"): a round's transaction is not synced on its
 * own. Outcomes and starts wait in a queue and are told (the hooks: progress lines, counts)
 * only after one fdatasync of the WAL has made them durable, at most 10 ms after the oldest;
 * a power loss keeps a prefix of the WAL, so it can only forget what nobody was told, and
 * those chunks run again. Syncing once per round instead cost more than half of each chunk's
 * time.
 *
 * Files, by concern (engine_impl.h is what they share), each calling only files below it in
 * this list, so that no two of them call each other:
 *   engine.c         this comment, the loop: rounds, group commit, starting children and
 *                    waiting for them, stopping on a signal, the clock
 *   engine_runs.c    runs: queueing, expansion into chunks, lost-runner recovery
 *   engine_chunk.c   what a chunk starts with: command, environment, IDs file, log header
 *   engine_health.c  whether a job can run (BROKEN marks, missing files), the verdict on how
 *                    an attempt ended, the retry policy, the text of a failure
 *
 * It stops when nothing is ready and nothing of ours runs. `stau run` (wait_run) goes on
 * until its run has ended: it sleeps until a retry is due and, when another process holds
 * the rest of its run, looks again every second. Nothing is kept in memory that another
 * process would need: a process that dies leaves RUNNING chunks that the next one recovers
 * by their owner's pid and start time (engine_recover).
 *
 * Time: `--now` replays time. The engine's clock reads `opts.now` when it starts and then
 * runs on with the real (monotonic) clock, so durations and retry delays keep their meaning
 * in a replayed tick, and a test can pass a fake clock instead. */
#include "engine_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

#define OTHERS_POLL_S 1 /* wait_run: how often to look at chunks other processes run */

/* ---- stopping on a signal ---- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

volatile sig_atomic_t *engine_stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return &stop_requested;
}

/* ---- clocks ---- */

static int64_t real_now(void *ctx)
{
	struct real_clock *c = ctx;
	return c->base + (monotonic_ms() - c->mono0_ms) / 1000;
}

/* Milliseconds of real time until the clock reads t (at least 0). */
static int64_t real_ms_until(const struct real_clock *c, int64_t t)
{
	int64_t ms = (t - c->base) * 1000 - (monotonic_ms() - c->mono0_ms);
	return ms > 0 ? ms : 0;
}

static void real_sleep_until(void *ctx, int64_t t)
{
	int64_t ms = real_ms_until(ctx, t);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	/* a stop signal ends the wait: the loop sees it and stops before the next attempt */
	while (nanosleep(&ts, &ts) && errno == EINTR && !stop_requested)
		;
}

/* ---- the engine's working set ---- */

/* A child started since the last round: its pid goes into the next transaction. */
struct started_pid {
	int64_t chunk;
	pid_t pid;
	int64_t slurm_job;	/* a Slurm chunk: its job id (pid is 0) */
	int attempt;
};

static bool stopping(const struct engine *e)
{
	return e->o->stop && *e->o->stop;
}

/* Milliseconds to wait until the engine's clock reads t. */
static int64_t ms_until(struct engine *e, int64_t t)
{
	if (!e->o->clock)
		return real_ms_until(&e->real, t);
	int64_t d = t - engine_now(e);
	return d > 0 ? d * 1000 : 0;
}

/* ---- policy ---- */

int64_t engine_max_parallel(const struct project *p)
{
	if (p->sched.settings.max_parallel > 0)
		return p->sched.settings.max_parallel;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

/* ---- outcomes: stored in rounds, told once durable ----
 *
 * A chunk's outcome goes through three places: e->ended (judged), then, once a round's
 * transaction has stored it, e->told, and once state_sync() has made that transaction
 * durable, it is told (the finished hook, the counts) and freed. A sync costs an fdatasync
 * (0.1 to 1 ms, and CPU for the writeback), and one covers every transaction before it, so
 * the loop syncs once the oldest thing to tell has waited SYNC_EVERY_MS: a few syncs a second
 * however fast chunks end, and nobody is told anything a power loss could take back. Starts
 * wait in e->told too, so that the hooks hear of everything in the order it happened (a
 * dependent's start after the outcome that made it ready); and the pids of new children wait
 * for the next round's transaction the same way. */

#define SYNC_EVERY_MS 10

static void outcome_release(struct outcome *o)
{
	verdict_release(&o->v);
	state_chunk_release(&o->c);
}

static void push_outcome(struct outcome **v, size_t *n, size_t *cap, struct outcome *o)
{
	grow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *o;
}

/* Something waits to be stored or told: it must be, at the latest, SYNC_EVERY_MS from now. */
static void set_due(struct engine *e)
{
	if (!e->due_ms)
		e->due_ms = monotonic_ms() + SYNC_EVERY_MS;
}

/* Outcome o (taken) is stored; it waits for the next sync to be told. */
static void stored(struct engine *e, struct outcome *o)
{
	set_due(e);
	o->is_start = false;
	push_outcome(&e->told, &e->ntold, &e->captold, o);
}

static void *memdup(const void *p, size_t n)
{
	return n ? memcpy(xmalloc(n), p, n) : NULL;
}

static char *strdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Chunk c has started; this is told after the outcomes stored before it. */
static void started(struct engine *e, const struct state_chunk *c)
{
	struct outcome o = { .c = *c, .is_start = true };
	o.c.job = xstrdup(c->job);
	o.c.kwargs = strdup_or_null(c->kwargs);
	o.c.ids = memdup(c->ids, c->nids * sizeof(*c->ids));
	o.c.log_path = strdup_or_null(c->log_path);
	o.c.tail = strdup_or_null(c->tail);
	o.c.message = strdup_or_null(c->message);
	o.c.entry = strdup_or_null(c->entry);
	o.c.deps = NULL;
	o.c.ndeps = 0;
	set_due(e);
	push_outcome(&e->told, &e->ntold, &e->captold, &o);
}

/* Counts a durable outcome, or a start, and tells the hooks. */
static void tell(struct engine *e, const struct outcome *o)
{
	const struct verdict *v = &o->v;
	if (o->is_start) {
		if (e->h && e->h->started)
			e->h->started(e->h->ctx, &o->c);
		return;
	}
	struct engine_finish f = { .outcome = v->outcome, .why = v->why, .note = v->note,
				   .started = v->started, .duration_ms = v->res.duration_ms,
				   .retry_at = v->res.retry_at, .run_ended = o->run_ended };
	if (v->outcome == ENGINE_DONE)
		e->stats.done++;
	else if (v->outcome == ENGINE_RETRY)
		e->stats.retried++;
	else
		e->stats.failed++;
	if (e->h && e->h->finished)
		e->h->finished(e->h->ctx, &o->c, &f);
}

/* Whether chunk id is still RUNNING: 1, 0 (someone ended it meanwhile), -1 state error. */
static int still_running(struct engine *e, int64_t id)
{
	struct state_chunk c;
	int rc = state_chunk_get(e->st, id, &c);
	if (rc < 0)
		return state_error(e);
	rc = rc == 1 && c.state == CHUNK_RUNNING;
	state_chunk_release(&c);
	return rc;
}

/* Records outcome o inside the caller's transaction: a Slurm chunk only while its attempt is
 * RUNNING as its job (else o->dropped: another stau recorded it). Returns 0 or -1. */
static int finish(struct engine *e, struct outcome *o, int64_t now)
{
	if (o->v.broken && mark_broken(e, o->c.job, o->v.broken, o->v.res.file_hash, now))
		return -1;
	if (!o->slurm_job)
		return state_chunk_finish(e->st, o->c.id, &o->v.res, now, &o->run_ended)
			       ? state_error(e)
			       : 0;
	int got = state_slurm_finish(e->st, o->c.id, o->c.attempt, o->slurm_job, &o->v.res, now,
				     &o->run_ended);
	o->dropped = got == 0;
	return got < 0 ? state_error(e) : 0;
}

/* Outcome o (taken) has been stored, or dropped. */
static void stored_or_dropped(struct engine *e, struct outcome *o)
{
	if (o->dropped)
		outcome_release(o);
	else
		stored(e, o);
}

/* Stores outcome o (taken) in a transaction of its own. A chunk that another stau ended
 * meanwhile (stau cancel) is dropped with a warning. Returns 0 or -1. */
static int store_one(struct engine *e, struct outcome *o)
{
	int64_t now = engine_now(e);
	if (state_begin(e->st)) {
		outcome_release(o);
		return state_error(e);
	}
	int rc = finish(e, o, now);
	if (rc) {
		state_rollback(e->st);
		int running = still_running(e, o->c.id);
		if (running == 0) {
			warn("chunk %lld of run %lld was ended by another stau meanwhile",
			     (long long)o->c.id, (long long)o->c.run);
			rc = 0;
		}
		outcome_release(o);
		return rc;
	}
	if (state_commit(e->st)) {
		outcome_release(o);
		return state_error(e);
	}
	stored_or_dropped(e, o);
	return 0;
}

/* Stores the pids of the children started since the last round, inside a transaction. A
 * chunk canceled before its pid was stored (stau cancel found no pid to signal) is stopped
 * here. */
static int store_pids(struct engine *e)
{
	for (size_t i = 0; i < e->npids; i++) {
		const struct started_pid *sp = &e->pids[i];
		int rc = sp->slurm_job ? state_chunk_set_slurm(e->st, sp->chunk, sp->attempt,
							     sp->slurm_job, engine_now(e))
				       : state_chunk_set_child(e->st, sp->chunk, sp->pid);
		if (rc < 0)
			return state_error(e);
		if (rc == 0 && sp->slurm_job && slurm_drop(e, sp->chunk, sp->slurm_job))
			return -1;
		if (rc == 0 && !sp->slurm_job)
			e->ex->ops->signal(e->ex->self, (uint64_t)sp->chunk, SIGTERM);
	}
	return 0;
}

/* Stores the waiting pids in a transaction of their own. */
static int flush_pids(struct engine *e)
{
	if (!e->npids)
		return 0;
	if (state_begin(e->st))
		return state_error(e);
	int rc = store_pids(e);
	if (rc)
		state_rollback(e->st);
	else if (state_commit(e->st))
		rc = state_error(e);
	e->npids = 0;
	return rc;
}

/* Stores the waiting pids, syncs, and tells the stored outcomes: now, or (now false) once the
 * oldest has waited SYNC_EVERY_MS. Returns 0 or -1. */
static int catch_up(struct engine *e, bool now)
{
	if (!e->due_ms || (!now && monotonic_ms() < e->due_ms))
		return 0;
	if (flush_pids(e))
		return -1;
	if (state_sync(e->st))
		return state_error(e);
	for (size_t i = 0; i < e->ntold; i++) {
		tell(e, &e->told[i]);
		outcome_release(&e->told[i]);
	}
	e->ntold = 0;
	e->due_ms = 0;
	return 0;
}

/* ---- starting chunks ---- */

/* Frees what r holds besides its chunk, and its slot. */
static void running_end(struct engine *e, struct running *r)
{
	e->slot[r->slot].busy = false;
	free(r->log);
	free(r->argv0);
	free(r->ids_file);
	r->log = r->argv0 = r->ids_file = NULL;
}

/* Chunk r->c could not start, because of why (taken): it fails, stored by the next round. */
static void fail_unstarted(struct engine *e, struct running *r, char *why)
{
	struct outcome o = { .c = r->c, .run_ended = RUN_ACTIVE };
	chunk_write_unstarted_log(e, &r->c, why);
	judge_unstarted(&o.v, why);
	running_end(e, r);
	push_outcome(&e->ended, &e->nended, &e->capended, &o);
}

static size_t free_slot(const struct engine *e)
{
	size_t i = 0;
	while (e->slot[i].busy)
		i++;
	return i;
}

/* Submits claimed chunk r (taken) of a Slurm job; one that cannot be submitted fails. */
static int launch_slurm(struct engine *e, struct running *r)
{
	int64_t job_id;
	char *why;
	r->log = xasprintf("%s/%s", e->p->dir, r->c.log_path);
	if (slurm_submit(e, r, &job_id, &why)) {
		fail_unstarted(e, r, why);
		return 0;
	}
	e->stats.started++;
	set_due(e);
	grow(&e->pids, &e->cappids, e->npids + 1, sizeof(*e->pids));
	e->pids[e->npids++] = (struct started_pid){ r->c.id, 0, job_id, r->c.attempt };
	grow(&e->subs, &e->capsubs, e->nsubs + 1, sizeof(*e->subs));
	e->subs[e->nsubs++] = (struct submitted){ r->c.id, r->c.attempt, job_id };
	started(e, &r->c);
	running_end(e, r);
	state_chunk_release(&r->c);
	return 0;
}

/* Starts claimed chunk c (taken). A chunk that cannot start joins e->ended as failed. */
static int launch(struct engine *e, struct state_chunk *c)
{
	struct running r = { .c = *c, .slot = free_slot(e) };
	const char *problem;
	e->slot[r.slot].busy = true;
	if (job_health(e, c->job, &problem)) {
		running_end(e, &r);
		state_chunk_release(&r.c);
		return -1;
	}
	if (problem) {
		fail_unstarted(e, &r, xstrdup(problem));
		return 0;
	}
	r.job = project_job(e->p, c->job);
	if (job_on_slurm(e, r.job))
		return launch_slurm(e, &r);
	struct strvec argv = { 0 }, env = { 0 };
	char *shown = NULL, *why = NULL;
	if (chunk_argv(e->p, r.job, &argv, &shown, &why) || chunk_write_ids(e, &r, &why)) {
		strvec_release(&argv);
		free(shown);
		fail_unstarted(e, &r, why);
		return 0;
	}
	r.argv0 = xstrdup(argv.v[0]);
	r.log = xasprintf("%s/%s", e->p->dir, c->log_path);
	chunk_env(e, &r, &env);
	char *header = chunk_log_header(c, shown);
	struct exec_spec spec = { .argv = argv.v, .env_add = env.v, .cwd = e->p->dir,
				  .log_path = r.log, .log_header = header,
				  .timeout_ms = r.job->timeout * 1000,
				  .log_limit = r.job->log_limit ? r.job->log_limit
								: e->p->sched.settings.log_limit };
	struct exec_python py;
	struct strvec keep = { 0 };
	chunk_spec_file(e, &r, &spec, &py, &keep);
	char err[512] = "";
	pid_t pid = 0;
	int rc = e->ex->ops->start(e->ex->self, &spec, (uint64_t)c->id, &pid, err, sizeof(err));
	strvec_release(&keep);
	strvec_release(&argv);
	strvec_release(&env);
	free(header);
	free(shown);
	if (rc) {
		fail_unstarted(e, &r, xstrdup(err));
		return 0;
	}
	e->stats.started++;
	set_due(e);
	grow(&e->pids, &e->cappids, e->npids + 1, sizeof(*e->pids));
	e->pids[e->npids++] = (struct started_pid){ c->id, pid, 0, 0 };
	grow(&e->children, &e->capchildren, e->nchildren + 1, sizeof(*e->children));
	e->children[e->nchildren++] = r;
	started(e, &r.c);
	return 0;
}

/* A job type's max_parallel for claims (state_claim.job_limit; ctx is the engine). A tick
 * that loaded only the jobs of the runs it saw open leaves the chunks of a run queued since
 * (by another stau) to the next tick, which loads their jobs. */
static int64_t job_limit(void *ctx, const char *type)
{
	struct engine *e = ctx;
	const struct job *job = project_job(e->p, type);
	return job ? job->max_parallel : e->p->partial ? -1 : 0;
}

/* The fallback of a round whose transaction failed: the outcomes one by one, which tells a
 * chunk that another stau ended from a state error; no claims. */
static int store_each(struct engine *e)
{
	int rc = flush_pids(e);
	for (size_t i = 0; i < e->nended; i++)
		if (rc)
			outcome_release(&e->ended[i]);
		else
			rc = store_one(e, &e->ended[i]);
	e->nended = 0;
	return rc;
}

/* Claimed chunk c goes to Slurm: say so in the claim's transaction, so that whoever finds it
 * with its stau gone knows to look for its Slurm job. Returns 0 or -1. */
static int mark_slurm(struct engine *e, const struct state_chunk *c, int64_t now)
{
	if (!job_on_slurm(e, project_job(e->p, c->job)))
		return 0;
	return state_chunk_set_slurm(e->st, c->id, c->attempt, 0, now) < 0 ? state_error(e) : 0;
}

/* One round: one transaction stores the outcomes in e->ended and the pids of the children
 * started since the last round, and claims chunks for the free slots (what the outcomes made
 * ready included); then the claimed chunks start. The commit is not synced (group commit):
 * the outcomes are told after a later sync. */
static int record_and_claim(struct engine *e)
{
	size_t busy = e->nchildren + e->nsubs;
	size_t want = stopping(e) || busy >= e->nslots ? 0 : e->nslots - busy;
	size_t nnext = 0;
	if (!e->nended && !e->npids && !want)
		return 0;
	int64_t now = engine_now(e);
	struct state_chunk *next = xcalloc(want + 1, sizeof(*next));
	if (state_begin(e->st)) {
		free(next);
		return state_error(e);
	}
	int rc = store_pids(e);
	for (size_t i = 0; !rc && i < e->nended; i++)
		rc = finish(e, &e->ended[i], now);
	while (!rc && nnext < want) {
		int got = state_claim_ready_chunk(e->st, &e->claim, now, &next[nnext]);
		if (got < 0)
			rc = state_error(e);
		if (got != 1)
			break;
		rc = mark_slurm(e, &next[nnext++], now);
	}
	if (rc)
		state_rollback(e->st);
	else if (state_commit(e->st))
		rc = -2; /* nothing of it was stored */
	if (rc) {
		for (size_t i = 0; i < nnext; i++)
			state_chunk_release(&next[i]);
		free(next);
		return rc == -2 ? state_error(e) : store_each(e);
	}
	e->npids = 0;
	for (size_t i = 0; i < e->nended; i++)
		stored_or_dropped(e, &e->ended[i]);
	e->nended = 0;
	for (size_t i = 0; i < nnext; i++)
		if (rc || launch(e, &next[i]))
			rc = -1;
	free(next);
	return rc;
}

/* ---- the loop ---- */

/* The running chunk of child `token`, taken out of e->children; false when there is none. */
static bool take_running(struct engine *e, uint64_t token, struct running *out)
{
	for (size_t i = 0; i < e->nchildren; i++) {
		if ((uint64_t)e->children[i].c.id == token) {
			*out = e->children[i];
			e->children[i] = e->children[--e->nchildren];
			return true;
		}
	}
	return false;
}

/* Judges every child of ours that has ended into e->ended, waiting at most timeout_ms (-1: no
 * limit) for the first. Returns how many ended. */
static size_t reap_children(struct engine *e, int timeout_ms)
{
	uint64_t token;
	struct exec_result x;
	size_t n = 0;
	while (e->nchildren && e->ex->ops->wait(e->ex->self, n ? 0 : timeout_ms, &token, &x) == 1) {
		struct running r;
		if (!take_running(e, token, &r))
			continue; /* not ours: cannot happen */
		struct outcome o = { .c = r.c, .run_ended = RUN_ACTIVE };
		judge_child(e, &r, &x, &o.v);
		running_end(e, &r);
		push_outcome(&e->ended, &e->nended, &e->capended, &o);
		n++;
	}
	return n;
}

/* wait_run with nothing of ours running: 1 when run has ended, else waits until a retry is
 * due or, when other processes hold its chunks, a second; returns 0 then, -1 on error. */
static int wait_for_others(struct engine *e)
{
	struct state_run r;
	int rc = state_run_get(e->st, e->o->run, &r);
	if (rc <= 0)
		return rc < 0 ? state_error(e) : 1;
	bool ended = r.state != RUN_ACTIVE && r.state != RUN_QUEUED;
	bool others = r.counts[CHUNK_RUNNING] > 0;
	state_run_release(&r);
	if (ended)
		return 1;
	int64_t now = engine_now(e), t;
	if (engine_recover(e->st, e->p, e->ex, now, e->err, e->errlen) < 0)
		return -1;
	if (state_next_retry(e->st, e->o->run, now, &t))
		return state_error(e);
	/* a retry alone can be slept for; what other processes do must be looked at */
	if (!t || (others && t > now + OTHERS_POLL_S))
		t = now + OTHERS_POLL_S;
	if (catch_up(e, true))
		return -1;
	if (e->h && e->h->idle)
		e->h->idle(e->h->ctx);
	e->clock.sleep_until(e->clock.ctx, t);
	return 0;
}

/* Waits for one of our children, at most until the next retry is due when slots are free. */
static int wait_child(struct engine *e)
{
	if (reap_children(e, 0))
		return 0;
	int timeout = -1;
	if (e->nchildren < e->nslots) {
		int64_t t;
		if (state_next_retry(e->st, e->o->run, engine_now(e), &t))
			return state_error(e);
		if (t) {
			int64_t ms = ms_until(e, t);
			timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
		}
	}
	if (e->slurm_open || e->nsubs) { /* and in time to look at the Slurm chunks */
		int64_t left = ms_until(e, e->slurm_due);
		if (timeout < 0 || left < timeout)
			timeout = (int)left;
	}
	if (e->due_ms) { /* wake up in time to catch up */
		int64_t left = e->due_ms - monotonic_ms();
		left = left > 0 ? left : 0;
		if (timeout < 0 || left < timeout)
			timeout = (int)left;
	}
	if (e->h && e->h->idle)
		e->h->idle(e->h->ctx);
	reap_children(e, timeout);
	return 0;
}

static void engine_release(struct engine *e)
{
	for (size_t i = 0; i < e->nchildren; i++) {
		running_end(e, &e->children[i]);
		state_chunk_release(&e->children[i].c);
	}
	free(e->children);
	for (size_t i = 0; i < e->nended; i++)
		outcome_release(&e->ended[i]);
	free(e->ended);
	for (size_t i = 0; i < e->ntold; i++)
		outcome_release(&e->told[i]);
	free(e->told);
	free(e->pids);
	free(e->subs);
	for (size_t i = 0; i < e->nslots; i++) {
		if (e->slot[i].fd >= 0)
			close(e->slot[i].fd);
		if (e->slot[i].path)
			unlink(e->slot[i].path);
		free(e->slot[i].path);
	}
	free(e->slot);
	for (size_t i = 0; i < e->p->njobs; i++)
		free(e->health[i].problem);
	free(e->health);
	for (size_t i = 0; i < e->nmissing; i++) {
		free(e->missing[i].type);
		free(e->missing[i].problem);
	}
	free(e->missing);
}

/* The loop: rounds of record-and-claim, and waiting for children. */
static int run_loop(struct engine *e)
{
	bool killed = false;
	for (;;) {
		if (slurm_poll(e, false) || record_and_claim(e))
			return -1;
		if (stopping(e) && !killed) {
			for (size_t i = 0; i < e->nchildren; i++)
				e->ex->ops->signal(e->ex->self, (uint64_t)e->children[i].c.id,
						   SIGTERM);
			killed = true;
			if (e->o->wait_run && slurm_stop(e))
				return -1;
		}
		if (e->nended) /* chunks that could not start: stored by the next round */
			continue;
		if (catch_up(e, false))
			return -1;
		int rc;
		if (e->nchildren) {
			rc = wait_child(e);
		} else if (e->o->wait_run && !stopping(e)) {
			rc = wait_for_others(e);
			if (rc == 1)
				return 0;
		} else {
			return 0;
		}
		if (rc)
			return -1;
	}
}

int engine_run(struct state *st, const struct project *p, struct exec_runner *ex,
	       const struct engine_opts *opts, const struct engine_hooks *hooks,
	       struct engine_stats *stats, char *err, size_t errlen)
{
	struct engine e = { .st = st, .p = p, .ex = ex, .o = opts, .h = hooks, .err = err,
			    .errlen = errlen };
	e.real = (struct real_clock){ opts->now, monotonic_ms() };
	e.clock = opts->clock ? *opts->clock
			      : (struct engine_clock){ real_now, real_sleep_until, &e.real };
	int64_t max = engine_max_parallel(p);
	e.nslots = opts->jobs && (int64_t)opts->jobs < max ? opts->jobs : (size_t)max;
	e.claim = (struct state_claim){ .run = opts->run, .max_running = max,
					.job_limit = job_limit, .ctx = &e };
	if (proc_self(&e.claim.owner)) {
		snprintf(err, errlen,
			 "cannot read this process's start time from the process table");
		return -1;
	}
	e.slot = xcalloc(e.nslots, sizeof(*e.slot));
	for (size_t i = 0; i < e.nslots; i++)
		e.slot[i] = (struct slot){ .fd = -1, .len = SIZE_MAX }; /* truncated at first use */
	e.health = xcalloc(p->njobs + 1, sizeof(*e.health));
	e.slurm = opts->slurm ? opts->slurm : exec_slurm_client();
	int rc = state_defer_sync(st, true) ? state_error(&e) : run_loop(&e);
	/* what was stored is told even after an error, once it is durable */
	if (catch_up(&e, true) && !rc)
		rc = -1;
	if (state_defer_sync(st, false) && !rc)
		rc = state_error(&e);
	if (stats)
		*stats = e.stats;
	engine_release(&e);
	return rc;
}
