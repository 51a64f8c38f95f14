/* engine_slurm.c - the engine's chunks that run as Slurm batch jobs: submitting a claimed
 * chunk, and polling for the ones that ended (docs/design.md, "Slurm").
 *
 * Submit: a chunk of a job with `executor: slurm` is claimed like any other (the claim's
 * transaction marks it as going to Slurm), then its log (with stau's header), its IDs file
 * (beside the log: the job may start on another machine long after this stau is gone) and
 * the wrapper script are written, and sbatch gets the chunk's argv, environment and working
 * directory. Its job id is stored the way a local child's pid is. Nothing runs locally: a
 * chunk that cannot be submitted fails, saying why.
 *
 * Poll: every SLURM_POLL_S seconds while there are Slurm chunks to watch, one pass over the RUNNING
 * Slurm chunks (of the engine's run, or of every run for a tick): a status file beside the
 * log is the outcome, whichever stau submitted the job, and is judged as a local child's exit
 * would be; a chunk past its job's timeout is cancelled (scancel) and times out; the others
 * are asked about in ONE squeue call, and a job that Slurm no longer knows (or that ended)
 * without a status file is lost: its retry policy applies. When squeue cannot answer, nothing
 * is concluded about any job. The outcomes join e->ended and the next round records them,
 * each only if its attempt is still RUNNING as that job (state_slurm_finish), so two stau
 * processes polling at once never record one twice. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_impl.h"
#include "exec_slurm.h"
#include "workids.h"

bool job_on_slurm(const struct engine *e, const struct job *job)
{
	enum executor x = job && job->executor ? job->executor : e->p->sched.settings.executor;
	return x == EXECUTOR_SLURM;
}

/* ---- submitting ---- */

/* "X.log" -> "X" + ext. */
static char *beside_log(const char *log, const char *ext)
{
	size_t n = strlen(log);
	if (n > 4 && !strcmp(log + n - 4, ".log"))
		n -= 4;
	return xasprintf("%.*s%s", (int)n, log, ext);
}

/* Writes text to path, mode 0600, its directories made on the way (0700). */
static int write_private(const char *path, const char *text, size_t len, char **why)
{
	mkdir_parents(path, 0700);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && (!len || write(fd, text, len) == (ssize_t)len);
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (!ok)
		*why = xasprintf("cannot write '%s': %s", path, strerror(saved));
	return ok ? 0 : -1;
}

/* The log with stau's header, and the IDs file beside it; no status file (one left by an
 * earlier database's chunk of the same name would be taken for this one's). */
static int write_files(struct running *r, const char *status, const char *shown, char **why)
{
	if (unlink(status) && errno != ENOENT) {
		*why = xasprintf("cannot remove '%s': %s", status, strerror(errno));
		return -1;
	}
	char *header = chunk_log_header(&r->c, shown);
	int rc = write_private(r->log, header, strlen(header), why);
	free(header);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < r->c.nids; i++)
		sb_addf(&sb, "%lld\n", (long long)r->c.ids[i]);
	if (!rc)
		rc = write_private(r->ids_file, sb.buf ? sb.buf : "", sb.len, why);
	sb_release(&sb);
	return rc;
}

int slurm_submit(struct engine *e, struct running *r, int64_t *job_id, char **why)
{
	struct strvec argv = { 0 }, env = { 0 };
	char *shown = NULL, *status = NULL, err[1024];
	*why = NULL;
	if (chunk_argv(e->p, r->job, &argv, &shown, why))
		goto out;
	if (exec_slurm_wrapper(e->p->dir, err, sizeof(err))) {
		*why = xstrdup(err);
		goto out;
	}
	r->ids_file = beside_log(r->log, ".ids");
	status = slurm_status_path(r->log);
	if (write_files(r, status, shown, why))
		goto out;
	chunk_env(e, r, &env);
	strvec_push(&argv, NULL);
	strvec_push(&env, NULL);
	struct slurm_opts o = { 0 };
	slurm_opts_overlay(&o, &e->p->sched.settings.slurm);
	slurm_opts_overlay(&o, &r->job->slurm);
	char *wrapper = xasprintf("%s/%s", e->p->dir, EXEC_SLURM_WRAPPER);
	struct slurm_submit s = { .sbatch = "sbatch", .run_id = r->c.run, .chunk_id = r->c.id,
				  .attempt = r->c.attempt, .dir = e->p->dir, .log_path = r->log,
				  .wrapper = wrapper, .status_path = status, .argv = argv.v,
				  .opts = &o };
	if (e->slurm->submit(e->slurm->self, &s, env.v, job_id, err, sizeof(err)))
		*why = xasprintf("cannot submit to Slurm: %s", err);
	free(wrapper);
	slurm_opts_release(&o);
out:
	free(status);
	strvec_release(&argv);
	strvec_release(&env);
	free(shown);
	return *why ? -1 : 0;
}

/* ---- polling ---- */

/* What one poll found about one chunk. */
struct seen {
	struct state_slurm_chunk *c;
	struct slurm_status st;
	int status;		/* exec_slurm_status: 1 read, 0 none, -1 bad */
	char bad[256];		/* why a status file is bad */
};

static void push_outcome(struct engine *e, struct outcome *o)
{
	grow(&e->ended, &e->capended, e->nended + 1, sizeof(*e->ended));
	e->ended[e->nended++] = *o;
}

/* The chunk and what judge_child needs of it: r->c read from state, r->job, r->log. */
static int load_running(struct engine *e, const struct state_slurm_chunk *c, struct running *r)
{
	memset(r, 0, sizeof(*r));
	int got = state_chunk_get(e->st, c->id, &r->c);
	if (got <= 0)
		return got < 0 ? state_error(e) : 0;
	r->job = project_job(e->p, c->job);
	r->log = xasprintf("%s/%s", e->p->dir, c->log_path ? c->log_path : "");
	r->argv0 = xstrdup(c->job);
	return 1;
}

/* A verdict on chunk c that ended without its program's exit status (lost, or a bad status
 * file), with why (taken): a failure, retried by the job's policy. */
static void judge_lost(struct engine *e, const struct state_slurm_chunk *c, char *why,
		       struct verdict *v)
{
	int64_t now = engine_now(e);
	memset(v, 0, sizeof(*v));
	v->started = true;
	v->res.exit_code = -1;
	v->res.duration_ms = c->started && now > c->started ? (now - c->started) * 1000 : 0;
	v->why = why;
	v->message = xstrdup(why);
	v->res.message = v->message;
	v->res.retry_at = engine_retry_time((void *)e->p, c->job, c->attempt, now);
	v->outcome = v->res.retry_at ? ENGINE_RETRY : ENGINE_FAILED;
}

/* The outcome of chunk c: from x when why is NULL, else lost with why (taken). */
static int conclude(struct engine *e, const struct state_slurm_chunk *c,
		    const struct exec_result *x, char *why)
{
	struct running r;
	int got = load_running(e, c, &r);
	if (got <= 0) {
		free(why);
		return got;
	}
	struct outcome o = { .run_ended = RUN_ACTIVE, .slurm_job = c->slurm_job };
	bool ok = x && !x->signal && !x->timed_out && !x->exit_code;
	if (!why && (r.job || ok)) /* judge_child needs the job only for a failure */
		judge_child(e, &r, x, &o.v);
	else
		judge_lost(e, c, why ? why : xasprintf("exit %d", x->exit_code), &o.v);
	o.c = r.c;
	free(r.log);
	free(r.argv0);
	free(r.ids_file);
	push_outcome(e, &o);
	return 0;
}

/* Chunk c's program ended and its wrapper said how (s->st). */
static int conclude_status(struct engine *e, struct seen *s)
{
	const struct slurm_status *st = &s->st;
	if (s->status < 0)
		return conclude(e, s->c, NULL,
				xasprintf("Slurm job %lld left a bad status file: %s",
					  (long long)s->c->slurm_job, s->bad));
	struct exec_result x = { .exit_code = st->exit,
				 .duration_ms = st->end >= st->start ? (st->end - st->start) * 1000
								     : 0 };
	return conclude(e, s->c, &x, NULL);
}

static void read_status(struct engine *e, struct seen *s)
{
	char *log = xasprintf("%s/%s", e->p->dir, s->c->log_path ? s->c->log_path : "");
	char *path = slurm_status_path(log);
	s->status = exec_slurm_status(path, &s->st, s->bad, sizeof(s->bad));
	if (s->status == 1 && s->st.job_id && s->st.job_id != s->c->slurm_job)
		s->status = 0; /* another job's: not this attempt's outcome */
	free(path);
	free(log);
}

/* Past its job's timeout: cancelled, and it timed out. 1 when so, 0 when not, -1. */
static int past_timeout(struct engine *e, struct seen *s)
{
	const struct job *job = project_job(e->p, s->c->job);
	int64_t now = engine_now(e);
	if (!job || job->timeout <= 0 || !s->c->started || now < s->c->started + job->timeout)
		return 0;
	char err[512];
	if (e->slurm->cancel(e->slurm->self, s->c->slurm_job, NULL, err, sizeof(err)))
		warn("cannot cancel Slurm job %lld of chunk %lld, past its timeout: %s",
		     (long long)s->c->slurm_job, (long long)s->c->id, err);
	struct exec_result x = { .signal = SIGTERM, .timed_out = true,
				 .duration_ms = (now - s->c->started) * 1000 };
	return conclude(e, s->c, &x, NULL) ? -1 : 1;
}

/* The chunks without a status file, asked about in one squeue: lost when Slurm no longer
 * runs them and still no status file is there. */
static int ask_slurm(struct engine *e, struct seen *ask, size_t n)
{
	int64_t *ids = xcalloc(n, sizeof(*ids));
	struct slurm_queue q = { 0 };
	char err[512];
	for (size_t i = 0; i < n; i++)
		ids[i] = ask[i].c->slurm_job;
	int rc = e->slurm->query(e->slurm->self, ids, n, &q, err, sizeof(err));
	free(ids);
	if (rc) {
		if (!e->slurm_said++)
			warn("cannot ask Slurm about %zu running chunk%s: %s", n, n == 1 ? "" : "s",
			     err);
		slurm_queue_release(&q);
		return 0;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		const struct slurm_job *j = slurm_queue_find(&q, ask[i].c->slurm_job);
		if (j && j->phase != SLURM_ENDED) {
			e->slurm_open++;
			continue;
		}
		read_status(e, &ask[i]); /* it may have ended since the first look */
		if (ask[i].status)
			rc = conclude_status(e, &ask[i]);
		else
			rc = conclude(e, ask[i].c, NULL,
				      j ? xasprintf("lost: Slurm job %lld ended %s without "
						    "recording an exit status", (long long)j->id,
						    j->state)
					: xasprintf("lost: Slurm no longer knows job %lld and it "
						    "recorded no exit status",
						    (long long)ask[i].c->slurm_job));
	}
	slurm_queue_release(&q);
	return rc;
}

int slurm_drop(struct engine *e, int64_t chunk, int64_t job)
{
	char err[512];
	if (e->slurm->cancel(e->slurm->self, job, NULL, err, sizeof(err)))
		warn("cannot cancel Slurm job %lld of canceled chunk %lld: %s", (long long)job,
		     (long long)chunk, err);
	struct outcome o = { .run_ended = RUN_ACTIVE };
	int got = state_chunk_get(e->st, chunk, &o.c);
	if (got <= 0)
		return got < 0 ? state_error(e) : 0;
	if (o.c.state != CHUNK_RUNNING) {
		state_chunk_release(&o.c);
		return 0;
	}
	judge_unstarted(&o.v, xasprintf("canceled: scancel of Slurm job %lld", (long long)job));
	push_outcome(e, &o);
	return 0;
}

int slurm_stop(struct engine *e)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < e->nsubs; i++) {
		struct state_slurm_chunk c = { .id = e->subs[i].chunk, .attempt = e->subs[i].attempt,
					       .slurm_job = e->subs[i].job };
		char err[512];
		if (e->slurm->cancel(e->slurm->self, c.slurm_job, NULL, err, sizeof(err)))
			warn("cannot cancel Slurm job %lld: %s", (long long)c.slurm_job, err);
		struct state_chunk sc;
		int got = state_chunk_get(e->st, c.id, &sc);
		if (got < 0)
			return state_error(e);
		if (!got || sc.state != CHUNK_RUNNING || sc.attempt != c.attempt) {
			if (got)
				state_chunk_release(&sc);
			continue;
		}
		c.job = sc.job;
		c.started = sc.started;
		rc = conclude(e, &c, NULL,
			      xasprintf("canceled: scancel of Slurm job %lld (stau was stopped)",
					(long long)c.slurm_job));
		if (!rc && e->nended) { /* its run is being canceled: no retry */
			e->ended[e->nended - 1].v.res.retry_at = 0;
			e->ended[e->nended - 1].v.outcome = ENGINE_FAILED;
		}
		state_chunk_release(&sc);
	}
	e->nsubs = 0;
	return rc;
}

/* Forgets the chunks we submitted that are no longer open (v: the RUNNING ones now). */
static void prune_subs(struct engine *e, const struct state_slurm_chunk *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < e->nsubs; i++) {
		bool open = false;
		for (size_t j = 0; j < n && !open; j++)
			open = v[j].id == e->subs[i].chunk && v[j].attempt == e->subs[i].attempt;
		for (size_t j = 0; j < e->nended && open; j++)
			open = e->ended[j].c.id != e->subs[i].chunk;
		if (open)
			e->subs[k++] = e->subs[i];
	}
	e->nsubs = k;
}

static int poll_chunks(struct engine *e, struct state_slurm_chunk *v, size_t n)
{
	struct seen *ask = xcalloc(n + 1, sizeof(*ask));
	size_t nask = 0;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		struct seen s = { .c = &v[i] };
		if (!v[i].slurm_job) { /* being submitted: its submitter stores the id */
			e->slurm_open++;
			continue;
		}
		read_status(e, &s);
		if (s.status) {
			rc = conclude_status(e, &s);
			continue;
		}
		rc = past_timeout(e, &s);
		if (rc == 0)
			ask[nask++] = s;
		rc = rc < 0 ? -1 : 0;
	}
	for (size_t at = 0; !rc && at < nask; at += SLURM_SQUEUE_MAX_IDS)
		rc = ask_slurm(e, ask + at,
			       nask - at < SLURM_SQUEUE_MAX_IDS ? nask - at : SLURM_SQUEUE_MAX_IDS);
	free(ask);
	return rc;
}

int slurm_poll(struct engine *e, bool force)
{
	int64_t now = engine_now(e);
	if (!force && e->slurm_due && now < e->slurm_due)
		return 0;
	e->slurm_due = now + SLURM_POLL_S;
	struct state_slurm_chunk *v;
	size_t n;
	if (state_slurm_running(e->st, e->o->run, &v, &n))
		return state_error(e);
	e->slurm_open = 0;
	int rc = n ? poll_chunks(e, v, n) : 0;
	prune_subs(e, v, n);
	state_slurm_chunks_free(v, n);
	return rc;
}
