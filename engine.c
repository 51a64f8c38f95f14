/* engine.c - the run loop: claim ready chunks, start them, record how they ended.
 *
 * This is ninja's Builder over a database instead of a graph in memory. The loop is:
 *
 *   fill:   while fewer than -j children of ours run, claim a ready chunk (state decides what
 *           is ready and enforces max_parallel across processes) and start it;
 *   wait:   for one child to end (or for the next retry time), through the executor, and
 *           take every other child that has ended by then too;
 *   record: judge the outcomes (done, retry later, failed, broken) and store them in one
 *           transaction, which also claims what they made ready.
 *
 * Only outcomes must survive a crash (SPEC §8), so only the record step pays for an fsync;
 * a claim and a child's pid are committed without one (a power loss forgets a claim whose
 * child died with the machine, and the chunk runs again). And the engine starts the next
 * children before it records the ones that ended: until then those still count as RUNNING
 * in the database, so the limits are raised by their number for that claim. The fsync then
 * overlaps the new children instead of keeping a slot idle.
 *
 * It stops when nothing is ready and nothing of ours runs. `stau run` (wait_run) goes on
 * until its run has ended: it sleeps until a retry is due and, when another process holds
 * the rest of its run, looks again every second. Nothing is kept in memory that another
 * process would need: a process that dies leaves RUNNING chunks that the next one recovers
 * by their owner's pid and start time (state_recover_orphans).
 *
 * Time: `--now` replays time. The engine's clock reads `opts.now` when it starts and then
 * runs on with the real (monotonic) clock, so durations and retry delays keep their meaning
 * in a replayed tick, and a test can pass a fake clock instead.
 *
 * A chunk's command (SPEC §3, §7): `command` with `{file}` replaced (the file appended when no
 * word holds it), else the file itself, which must then be executable; with main_func, the
 * Python runner that stau carries (pyrunner.py, embedded by the Makefile). The work IDs go
 * in STAU_WORK_IDS (left empty above 100,000 bytes: Linux refuses an environment string
 * longer than 128 KiB, and the job would not start at all) and always in a file
 * .stau/work/RUN-CHUNK.ids, removed when the chunk ends. That file needs no fsync: it only
 * has to outlive the child, not a crash.
 *
 * Broken jobs (SPEC §10): a job whose header or dependencies have problems, or that ended
 * with the runner's exit 3 or one of its fatal_exit_codes, is never started; its chunks fail
 * at once with the reason. A fatal exit is stored in state against the file's content hash
 * (FNV-1a, cached by path, size and mtime), so editing the file clears it. */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"

extern const char pyrunner_py[];

#define WORK_IDS_ENV_MAX 100000 /* bytes of STAU_WORK_IDS; the kernel allows 128 KiB */
#define TAIL_LINES 20
#define TAIL_BYTES 4096
#define OTHERS_POLL_S 1		/* wait_run: how often to look at chunks other processes run */

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

struct real_clock {
	int64_t base;	  /* the time at start */
	int64_t mono0_ms; /* CLOCK_MONOTONIC at start */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_now(void *ctx)
{
	struct real_clock *c = ctx;
	return c->base + (mono_ms() - c->mono0_ms) / 1000;
}

/* Milliseconds of real time until the clock reads t (at least 0). */
static int64_t real_ms_until(const struct real_clock *c, int64_t t)
{
	int64_t ms = (t - c->base) * 1000 - (mono_ms() - c->mono0_ms);
	return ms > 0 ? ms : 0;
}

static void real_sleep_until(void *ctx, int64_t t)
{
	int64_t ms = real_ms_until(ctx, t);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the engine's working set ---- */

/* What this process knows about a job type's health: checked once per engine. */
struct job_health {
	char *type;
	char *problem; /* why it cannot run, or NULL */
};

/* A chunk of ours that is running. */
struct running {
	struct state_chunk c;
	const struct job *job;
	char *ids_file; /* absolute path of STAU_WORK_IDS_FILE */
	char *log;	/* absolute path of the log */
	char *argv0;	/* the program started, for "cannot execute" */
};

struct engine {
	struct state *st;
	const struct project *p;
	struct exec_runner *ex;
	const struct engine_opts *o;
	const struct engine_hooks *h;
	struct engine_stats stats;
	struct real_clock real;
	struct engine_clock clock;
	struct state_claim claim;
	size_t jobs;
	struct running *run;
	size_t nrun, caprun;
	struct job_health *health;
	size_t nhealth, caphealth;
	/* children that have ended but are still RUNNING in the database until their batch is
	 * recorded: the limits must not count them (so that new children start first) */
	const struct ended *unrecorded;
	size_t nunrecorded;
	int64_t max_parallel;
	char *err;
	size_t errlen;
};

/* A job type's max_parallel for claims (state_claim.job_limit; ctx is the engine). */
static int64_t job_limit(void *ctx, const char *type);

static bool stopping(const struct engine *e)
{
	return e->o->stop && *e->o->stop;
}

static int64_t engine_now(struct engine *e)
{
	return e->clock.now(e->clock.ctx);
}

/* Milliseconds to wait until the engine's clock reads t. */
static int64_t ms_until(struct engine *e, int64_t t)
{
	if (!e->o->clock)
		return real_ms_until(&e->real, t);
	int64_t d = t - engine_now(e);
	return d > 0 ? d * 1000 : 0;
}

static int state_error(struct engine *e)
{
	snprintf(e->err, e->errlen, "%s", state_errmsg(e->st));
	return -1;
}

/* ---- policies ---- */

int64_t engine_max_parallel(const struct project *p)
{
	if (p->sched.settings.max_parallel > 0)
		return p->sched.settings.max_parallel;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

int64_t engine_retry_time(void *project, const char *type, int attempt, int64_t now)
{
	const struct job *job = project_job(project, type);
	if (!job || job->broken || attempt < 1 || attempt > job->retries)
		return 0;
	int64_t delay = job->retry_delay > 0 ? job->retry_delay : 1;
	for (int i = 1; i < attempt && delay < INT64_MAX / 4; i++)
		delay *= 2;
	return now + delay;
}

/* ---- job health ---- */

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int engine_file_hash(struct state *st, const char *dir, const char *path, char **hash,
		     char *err, size_t errlen)
{
	char *abs = xasprintf("%s/%s", dir, path);
	struct stat sb;
	size_t len;
	char *text = NULL;
	int rc = 1;
	*hash = NULL;
	if (stat(abs, &sb)) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	int64_t mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	rc = state_file_hash_get(st, path, (int64_t)sb.st_size, mtime_ns, hash);
	if (rc != 0) {
		rc = rc < 0 ? -1 : 0;
		if (rc < 0)
			snprintf(err, errlen, "%s", state_errmsg(st));
		goto out;
	}
	rc = 1;
	text = read_file(abs, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	*hash = xasprintf("fnv1a64:%016llx", (unsigned long long)fnv1a(text, len));
	rc = 0;
	if (state_file_hash_set(st, path, (int64_t)sb.st_size, mtime_ns, *hash)) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		free(*hash);
		*hash = NULL;
		rc = -1;
	}
out:
	free(text);
	free(abs);
	return rc;
}

/* The first problem reported in the job's own file (header, unknown dependency, cycle). */
static char *file_problem(const struct project *p, const struct job *job)
{
	if (job->broken)
		return xstrdup(job->broken);
	for (size_t i = 0; i < p->diags.n; i++)
		if (p->diags.v[i].file && !strcmp(p->diags.v[i].file, job->path))
			return diag_format(&p->diags.v[i]);
	return NULL;
}

int engine_job_problem(struct state *st, const struct project *p, const char *type,
		       char **why, char *err, size_t errlen)
{
	*why = NULL;
	const struct job *job = project_job(p, type);
	if (!job) {
		*why = xasprintf("job '%s' has no file in jobs/", type);
		return 0;
	}
	char *reason = file_problem(p, job);
	if (reason) {
		*why = xasprintf("job '%s' is broken: %s", type, reason);
		free(reason);
		return 0;
	}
	char *hash;
	int rc = engine_file_hash(st, p->dir, job->path, &hash, err, errlen);
	if (rc) {
		if (rc > 0) /* the file went away since the project was loaded */
			*why = xasprintf("job '%s' %s", type, err);
		return rc < 0 ? -1 : 0;
	}
	rc = state_job_broken(st, type, hash, &reason);
	free(hash);
	if (rc < 0) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		return -1;
	}
	if (rc == 1) {
		*why = xasprintf("job '%s' is broken: %s", type,
				 reason ? reason : "it ended with a fatal exit code");
		free(reason);
	}
	return 0;
}

/* Why job type `type` cannot run, from this engine's cache; *why borrowed (NULL: it can). */
static int job_health(struct engine *e, const char *type, const char **why)
{
	for (size_t i = 0; i < e->nhealth; i++) {
		if (!strcmp(e->health[i].type, type)) {
			*why = e->health[i].problem;
			return 0;
		}
	}
	char *problem;
	if (engine_job_problem(e->st, e->p, type, &problem, e->err, e->errlen))
		return -1;
	grow(&e->health, &e->caphealth, e->nhealth + 1, sizeof(*e->health));
	e->health[e->nhealth++] = (struct job_health){ xstrdup(type), problem };
	*why = problem;
	return 0;
}

/* Remembers that `type` is broken now (after a fatal exit in this process). */
static void set_health(struct engine *e, const char *type, char *problem)
{
	for (size_t i = 0; i < e->nhealth; i++) {
		if (!strcmp(e->health[i].type, type)) {
			free(e->health[i].problem);
			e->health[i].problem = problem;
			return;
		}
	}
	grow(&e->health, &e->caphealth, e->nhealth + 1, sizeof(*e->health));
	e->health[e->nhealth++] = (struct job_health){ xstrdup(type), problem };
}

/* ---- a chunk's command and environment (SPEC §3, §7) ---- */

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *sv, char *s)
{
	grow(&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

static void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(from);
	const char *hit;
	while ((hit = strstr(s, from))) {
		sb_add(&sb, s, (size_t)(hit - s));
		sb_adds(&sb, to);
		s = hit + n;
	}
	sb_adds(&sb, s);
	return sb_detach(&sb);
}

static const char *python_of(const struct project *p)
{
	const char *py = p->sched.settings.python;
	if (!py || !*py)
		py = getenv("STAU_PYTHON");
	return py && *py ? py : "python3";
}

/* The argv of a chunk of job into *argv, and how the log header shows it into *shown.
 * Returns 0, or -1 with why it cannot start in *why (a new string). */
static int chunk_argv(const struct project *p, const struct job *job, struct strv *argv,
		      char **shown, char **why)
{
	char *file = xasprintf("./%s", job->path);
	struct strbuf sb = STRBUF_INIT;
	*why = NULL;
	if (job->main_func) {
		const char *py = python_of(p);
		strv_push(argv, xstrdup(py));
		strv_push(argv, xstrdup("-c"));
		strv_push(argv, xstrdup(pyrunner_py));
		strv_push(argv, xstrdup(file));
		strv_push(argv, xstrdup(job->main_func));
		sb_addf(&sb, "%s <stau runner> %s %s", py, file, job->main_func);
	} else if (job->command && job->command[0]) {
		bool has_file = false;
		for (char **w = job->command; *w; w++) {
			has_file |= strstr(*w, "{file}") != NULL;
			strv_push(argv, replace_all(*w, "{file}", file));
		}
		if (!has_file)
			strv_push(argv, xstrdup(file));
		for (size_t i = 0; i < argv->n; i++)
			sb_addf(&sb, "%s%s", i ? " " : "", argv->v[i]);
	} else {
		char *abs = xasprintf("%s/%s", p->dir, job->path);
		if (access(abs, X_OK))
			*why = xasprintf("'%s' is not executable: run 'chmod +x %s', or give it a "
					 "'command' or a 'main_func'", job->path, job->path);
		free(abs);
		strv_push(argv, xstrdup(file));
		sb_adds(&sb, file);
	}
	free(file);
	*shown = sb_detach(&sb);
	return *why ? -1 : 0;
}

static void env_add(struct strv *env, const char *name, const char *value)
{
	strv_push(env, xasprintf("%s=%s", name, value));
}

static void chunk_env(struct engine *e, const struct running *r, struct strv *env)
{
	const struct state_chunk *c = &r->c;
	const struct job *job = r->job;
	char buf[64];
	for (size_t i = 0; i < job->env.n; i++) {
		char *v = kv_string(&job->env.v[i]);
		env_add(env, job->env.v[i].key, v);
		free(v);
	}
	env_add(env, "STAU_JOB", c->job);
	snprintf(buf, sizeof(buf), "%lld", (long long)c->run);
	env_add(env, "STAU_RUN_ID", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)c->id);
	env_add(env, "STAU_CHUNK_ID", buf);
	snprintf(buf, sizeof(buf), "%zu/%zu", c->index, c->count);
	env_add(env, "STAU_CHUNK", buf);
	snprintf(buf, sizeof(buf), "%d", c->attempt);
	env_add(env, "STAU_ATTEMPT", buf);
	char *csv = workids_format_csv(c->ids, c->nids);
	env_add(env, "STAU_WORK_IDS", strlen(csv) <= WORK_IDS_ENV_MAX ? csv : "");
	free(csv);
	env_add(env, "STAU_WORK_IDS_FILE", r->ids_file);
	env_add(env, "STAU_KWARGS", c->kwargs ? c->kwargs : "{}");
	buf[0] = '\0';
	if (c->scheduled_for != INT64_MIN)
		time_format(c->scheduled_for, NULL, buf, sizeof(buf));
	env_add(env, "STAU_SCHEDULED_FOR", buf);
	env_add(env, "STAU_DIR", e->p->dir);
}

/* Writes the chunk's IDs, one per line, to its STAU_WORK_IDS_FILE. */
static int write_ids_file(const struct running *r, char **why)
{
	int fd = open(r->ids_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) { /* the first chunk: .stau/work/ is made on demand */
		char *dir = xstrdup(r->ids_file);
		*strrchr(dir, '/') = '\0';
		if (!mkdir(dir, 0700) || errno == EEXIST)
			fd = open(r->ids_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		free(dir);
	}
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; fd >= 0 && i < r->c.nids; i++)
		sb_addf(&sb, "%lld\n", (long long)r->c.ids[i]);
	bool ok = fd >= 0 && (sb.len == 0 || write(fd, sb.buf, sb.len) == (ssize_t)sb.len);
	if (!ok)
		*why = xasprintf("cannot write '%s': %s", r->ids_file, strerror(errno));
	if (fd >= 0)
		close(fd);
	sb_release(&sb);
	return ok ? 0 : -1;
}

static char *log_header(const struct state_chunk *c, const char *shown)
{
	char *ids = workids_format_compact(c->ids, c->nids);
	char *h;
	if (!c->has_ids)
		h = xasprintf("stau: %s run %lld chunk %lld (%zu/%zu) attempt %d: %s\n", c->job,
			      (long long)c->run, (long long)c->id, c->index, c->count, c->attempt,
			      shown);
	else
		h = xasprintf("stau: %s run %lld chunk %lld (%zu/%zu) attempt %d: %s\n"
			      "stau: %zu work ID%s: %.200s%s\n", c->job, (long long)c->run,
			      (long long)c->id, c->index, c->count, c->attempt, shown, c->nids,
			      c->nids == 1 ? "" : "s", ids, strlen(ids) > 200 ? "..." : "");
	free(ids);
	return h;
}

/* ---- outcomes ---- */

/* How an attempt ended, as stored and as told. */
struct verdict {
	struct state_result res;
	enum engine_outcome outcome;
	char *why;	/* the whole story, for output lines */
	char *note;	/* said after the duration, or NULL */
	char *message;	/* what state keeps beside the exit status, or NULL */
	char *broken;	/* the job is broken from now on, for this reason; or NULL */
	bool started;	/* a process ran */
};

static void verdict_release(struct verdict *v)
{
	free(v->why);
	free(v->note);
	free(v->message);
	free(v->broken);
	free((char *)v->res.tail);
}

/* The last TAIL_LINES lines of a log file, or NULL. */
static char *log_tail(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat sb;
	char *buf = NULL;
	if (!fstat(fd, &sb) && sb.st_size > 0) {
		off_t from = sb.st_size > TAIL_BYTES ? sb.st_size - TAIL_BYTES : 0;
		size_t n = (size_t)(sb.st_size - from);
		buf = xmalloc(n + 1);
		ssize_t r = pread(fd, buf, n, from);
		n = r > 0 ? (size_t)r : 0;
		buf[n] = '\0';
		size_t lines = 0, start = 0;
		for (size_t i = n; i-- > 0;) {
			if (buf[i] == '\n' && i + 1 < n && ++lines == TAIL_LINES) {
				start = i + 1;
				break;
			}
		}
		if (start)
			memmove(buf, buf + start, n - start + 1);
	}
	close(fd);
	return buf;
}

static bool fatal_code(const struct job *job, int code)
{
	if (job->main_func && code == 3)
		return true; /* the runner could not load the job: always fatal (SPEC §7) */
	for (size_t i = 0; i < job->nfatal; i++)
		if (job->fatal_exit_codes[i] == code)
			return true;
	return false;
}

static void judge_failure(struct engine *e, const struct running *r, const struct exec_result *x,
			  struct verdict *v)
{
	const struct state_chunk *c = &r->c;
	char buf[32];
	if (x->exec_errno) {
		v->why = xasprintf("cannot execute '%s': %s", r->argv0, strerror(x->exec_errno));
		v->message = xstrdup(v->why);
	} else if (x->timed_out) {
		duration_format(r->job->timeout, buf, sizeof(buf));
		v->why = xasprintf("timed out after %s", buf);
		v->message = xstrdup(v->why);
	} else if (x->signal) {
		const char *name = sigabbrev_np(x->signal);
		v->why = name ? xasprintf("killed by signal %s", name)
			      : xasprintf("killed by signal %d", x->signal);
	} else if (fatal_code(r->job, x->exit_code)) {
		bool runner = r->job->main_func && x->exit_code == 3;
		v->why = xasprintf("exit %d", x->exit_code);
		v->note = xasprintf("a fatal exit: job '%s' is broken until its file changes or "
				    "'stau retry'", c->job);
		v->message = xasprintf("fatal exit %d: job '%s' is broken", x->exit_code, c->job);
		v->broken = xasprintf("exit %d in run %lld%s; see %s", x->exit_code,
				      (long long)c->run,
				      runner ? " (the Python runner cannot load it or finds no "
					       "main_func)"
					     : " (one of its fatal_exit_codes)",
				      c->log_path);
	} else {
		v->why = xasprintf("exit %d", x->exit_code);
	}
	v->outcome = ENGINE_FAILED;
	if (!v->broken && !x->exec_errno) {
		v->res.retry_at = engine_retry_time((void *)e->p, c->job, c->attempt,
						    engine_now(e));
		if (v->res.retry_at)
			v->outcome = ENGINE_RETRY;
	}
	v->res.tail = log_tail(r->log);
}

static void judge(struct engine *e, const struct running *r, const struct exec_result *x,
		  struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->started = true;
	v->res.ok = !x->exec_errno && !x->signal && !x->timed_out && x->exit_code == 0;
	v->res.exit_code = x->signal ? -1 : x->exit_code;
	v->res.signal = x->signal;
	v->res.duration_ms = x->duration_ms;
	v->outcome = ENGINE_DONE;
	if (!v->res.ok)
		judge_failure(e, r, x, v);
	v->res.message = v->message;
}

/* A verdict for a chunk that could not start: failed for good, with why (taken). */
static void unstarted(struct verdict *v, char *why)
{
	memset(v, 0, sizeof(*v));
	v->res.exit_code = -1;
	v->outcome = ENGINE_FAILED;
	v->why = why;
	v->message = xstrdup(why);
	v->res.message = v->message;
}

static int mark_broken(struct engine *e, const char *type, const char *reason, int64_t now)
{
	const struct job *job = project_job(e->p, type);
	char *hash;
	int rc = job ? engine_file_hash(e->st, e->p->dir, job->path, &hash, e->err, e->errlen)
		     : 1;
	if (rc)
		return rc < 0 ? -1 : 0; /* no file: nothing to mark, it cannot run anyway */
	rc = state_job_set_broken(e->st, type, hash, reason, now);
	free(hash);
	if (rc)
		return state_error(e);
	set_health(e, type, xasprintf("job '%s' is broken: %s", type, reason));
	return 0;
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

/* Counts a recorded verdict and tells the hooks. */
static void finished(struct engine *e, const struct state_chunk *c, const struct verdict *v,
		     enum run_state run_ended)
{
	struct engine_finish f = { .outcome = v->outcome, .why = v->why, .note = v->note,
				   .started = v->started, .duration_ms = v->res.duration_ms,
				   .retry_at = v->res.retry_at, .run_ended = run_ended };
	if (v->outcome == ENGINE_DONE)
		e->stats.done++;
	else if (v->outcome == ENGINE_RETRY)
		e->stats.retried++;
	else
		e->stats.failed++;
	if (e->h && e->h->finished)
		e->h->finished(e->h->ctx, c, &f);
}

/* Stores the verdict on chunk c and, when want_next, claims the next ready chunk in the
 * same transaction (*next, *claimed). Calls the finished hook. Returns 0 or -1. */
static int record(struct engine *e, const struct state_chunk *c, struct verdict *v,
		  bool want_next, struct state_chunk *next, bool *claimed)
{
	int64_t now = engine_now(e);
	enum run_state run_ended = RUN_ACTIVE;
	*claimed = false;
	if (state_begin(e->st))
		return state_error(e);
	int rc = v->broken ? mark_broken(e, c->job, v->broken, now) : 0;
	if (!rc && state_chunk_finish(e->st, c->id, &v->res, now, &run_ended))
		rc = state_error(e);
	if (!rc && want_next) {
		int got = state_claim_ready_chunk(e->st, &e->claim, now, next);
		if (got < 0)
			rc = state_error(e);
		*claimed = got == 1;
	}
	if (rc) {
		state_rollback(e->st);
		if (*claimed)
			state_chunk_release(next);
		*claimed = false;
		int running = still_running(e, c->id);
		if (running != 0)
			return -1;
		warn("chunk %lld of run %lld was ended by another stau meanwhile",
		     (long long)c->id, (long long)c->run);
		return 0;
	}
	if (state_commit(e->st)) {
		if (*claimed)
			state_chunk_release(next);
		*claimed = false;
		return state_error(e);
	}
	finished(e, c, v, run_ended);
	return 0;
}

/* ---- starting chunks ---- */

static void running_release(struct running *r)
{
	if (r->ids_file)
		unlink(r->ids_file);
	free(r->ids_file);
	free(r->log);
	free(r->argv0);
	state_chunk_release(&r->c);
}

/* Writes a log for a chunk that did not start, so that `stau logs` tells why. */
static void write_unstarted_log(struct engine *e, const struct state_chunk *c, const char *why)
{
	if (!c->log_path)
		return;
	char *path = xasprintf("%s/%s", e->p->dir, c->log_path);
	char *dir = xstrdup(path);
	for (char *s = strchr(dir + strlen(e->p->dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(dir, 0700);
		*s = '/';
	}
	char *text = xasprintf("stau: %s run %lld chunk %lld (%zu/%zu) attempt %d: not started\n"
			       "stau: %s\n[could not be started]\n", c->job, (long long)c->run,
			       (long long)c->id, c->index, c->count, c->attempt, why);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			warn("cannot write '%s': %s", c->log_path, strerror(errno));
		close(fd);
	}
	free(text);
	free(dir);
	free(path);
}

/* Fails chunk *c that could not start, with why (taken). */
static int fail_unstarted(struct engine *e, struct running *r, char *why)
{
	struct verdict v;
	bool claimed;
	write_unstarted_log(e, &r->c, why);
	unstarted(&v, why);
	int rc = record(e, &r->c, &v, false, NULL, &claimed);
	verdict_release(&v);
	running_release(r);
	return rc;
}

/* Starts claimed chunk c (taken). A chunk that cannot start fails at once. Returns 0, or -1
 * on a state error. */
static int launch(struct engine *e, struct state_chunk *c)
{
	struct running r = { .c = *c };
	const char *problem;
	if (job_health(e, c->job, &problem)) {
		state_chunk_release(&r.c);
		return -1;
	}
	if (problem)
		return fail_unstarted(e, &r, xstrdup(problem));
	r.job = project_job(e->p, c->job);
	struct strv argv = { 0 }, env = { 0 };
	char *shown = NULL, *why = NULL;
	if (chunk_argv(e->p, r.job, &argv, &shown, &why)) {
		strv_release(&argv);
		free(shown);
		return fail_unstarted(e, &r, why);
	}
	r.argv0 = xstrdup(argv.v[0]);
	r.ids_file = xasprintf("%s/.stau/work/%lld-%lld.ids", e->p->dir, (long long)c->run,
			       (long long)c->id);
	r.log = xasprintf("%s/%s", e->p->dir, c->log_path);
	if (write_ids_file(&r, &why)) {
		strv_release(&argv);
		free(shown);
		return fail_unstarted(e, &r, why);
	}
	chunk_env(e, &r, &env);
	char *header = log_header(c, shown);
	struct exec_spec spec = { .argv = argv.v, .env_add = env.v, .cwd = e->p->dir,
				  .log_path = r.log, .log_header = header,
				  .timeout_ms = r.job->timeout * 1000 };
	char err[512] = "";
	pid_t pid = 0;
	int rc = e->ex->ops->start(e->ex->self, &spec, (uint64_t)c->id, &pid, err, sizeof(err));
	strv_release(&argv);
	strv_release(&env);
	free(header);
	free(shown);
	if (rc)
		return fail_unstarted(e, &r, xstrdup(err));
	e->stats.started++;
	if (state_chunk_set_child(e->st, c->id, pid)) {
		state_error(e);
		running_release(&r);
		return -1;
	}
	grow(&e->run, &e->caprun, e->nrun + 1, sizeof(*e->run));
	e->run[e->nrun++] = r;
	if (e->h && e->h->started)
		e->h->started(e->h->ctx, &e->run[e->nrun - 1].c);
	return 0;
}

/* Claims and starts chunks while this process has free slots. */
static int fill(struct engine *e)
{
	while (!stopping(e) && e->nrun < e->jobs) {
		struct state_chunk c;
		int got = state_claim_ready_chunk_lazy(e->st, &e->claim, engine_now(e), &c);
		if (got < 0)
			return state_error(e);
		if (!got)
			return 0;
		if (launch(e, &c))
			return -1;
	}
	return 0;
}

/* A child that ended, with its verdict, waiting to be recorded. */
struct ended {
	struct running r;
	struct verdict v;
};

static int64_t job_limit(void *ctx, const char *type)
{
	struct engine *e = ctx;
	const struct job *job = project_job(e->p, type);
	int64_t limit = job ? job->max_parallel : 0;
	for (size_t i = 0; limit > 0 && i < e->nunrecorded; i++)
		limit += !strcmp(e->unrecorded[i].r.c.job, type);
	return limit;
}

/* Starts what is ready while the children d[0..n) that ended are not yet recorded. */
static int fill_before_recording(struct engine *e, const struct ended *d, size_t n)
{
	e->unrecorded = d;
	e->nunrecorded = n;
	e->claim.max_running = e->max_parallel + (int64_t)n;
	int rc = fill(e);
	e->claim.max_running = e->max_parallel;
	e->unrecorded = NULL;
	e->nunrecorded = 0;
	return rc;
}

/* Stores the verdicts of d[0..n) in one transaction (one fsync for all), claiming up to
 * `want` ready chunks in it (next[], *nnext). When anything in it fails, falls back to one
 * transaction per chunk, which tells a chunk that another stau ended from a state error. */
static int record_batch(struct engine *e, struct ended *d, size_t n, size_t want,
			struct state_chunk *next, size_t *nnext)
{
	int64_t now = engine_now(e);
	*nnext = 0;
	if (state_begin(e->st))
		return state_error(e);
	enum run_state *ended = xcalloc(n, sizeof(*ended));
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (d[i].v.broken)
			rc = mark_broken(e, d[i].r.c.job, d[i].v.broken, now);
		if (!rc && state_chunk_finish(e->st, d[i].r.c.id, &d[i].v.res, now, &ended[i]))
			rc = state_error(e);
	}
	while (!rc && *nnext < want) {
		int got = state_claim_ready_chunk(e->st, &e->claim, now, &next[*nnext]);
		if (got < 0)
			rc = state_error(e);
		if (got != 1)
			break;
		(*nnext)++;
	}
	if (rc) {
		/* something in the batch failed: undo it, then one chunk at a time */
		state_rollback(e->st);
		for (size_t i = 0; i < *nnext; i++)
			state_chunk_release(&next[i]);
		*nnext = 0;
		bool claimed;
		rc = 0;
		for (size_t i = 0; !rc && i < n; i++)
			rc = record(e, &d[i].r.c, &d[i].v, false, NULL, &claimed);
		free(ended);
		return rc ? -1 : 0;
	}
	if (state_commit(e->st)) {
		for (size_t i = 0; i < *nnext; i++)
			state_chunk_release(&next[i]);
		*nnext = 0;
		free(ended);
		return state_error(e);
	}
	for (size_t i = 0; i < n; i++)
		finished(e, &d[i].r.c, &d[i].v, ended[i]);
	free(ended);
	return 0;
}

/* The running chunk of child `token`, taken out of e->run; false when there is none. */
static bool take_running(struct engine *e, uint64_t token, struct running *out)
{
	for (size_t i = 0; i < e->nrun; i++) {
		if ((uint64_t)e->run[i].c.id == token) {
			*out = e->run[i];
			e->run[i] = e->run[--e->nrun];
			return true;
		}
	}
	return false;
}

/* Records how child `token` ended, with every other child that has ended meanwhile; starts
 * what is ready first, so that new children run while the outcomes are synced to disk. */
static int child_ended(struct engine *e, uint64_t token, const struct exec_result *x)
{
	struct ended *d = xcalloc(e->nrun, sizeof(*d));
	size_t n = 0;
	struct exec_result more = *x;
	do {
		if (!take_running(e, token, &d[n].r))
			continue; /* not ours: cannot happen */
		judge(e, &d[n].r, &more, &d[n].v);
		n++;
	} while (e->nrun && e->ex->ops->wait(e->ex->self, 0, &token, &more) == 1);
	int rc = fill_before_recording(e, d, n);
	size_t want = stopping(e) || e->nrun >= e->jobs ? 0 : e->jobs - e->nrun, nnext = 0;
	struct state_chunk *next = xcalloc(want + 1, sizeof(*next));
	if (!rc)
		rc = record_batch(e, d, n, want, next, &nnext);
	for (size_t i = 0; i < n; i++) {
		verdict_release(&d[i].v);
		running_release(&d[i].r);
	}
	free(d);
	for (size_t i = 0; i < nnext; i++)
		if (rc || launch(e, &next[i]))
			rc = -1;
	free(next);
	return rc;
}

/* ---- the loop ---- */

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
	if (state_recover_orphans(e->st, now, engine_retry_time, (void *)e->p) < 0 ||
	    state_next_retry(e->st, e->o->run, now, &t))
		return state_error(e);
	/* a retry alone can be slept for; what other processes do must be looked at */
	if (!t || (others && t > now + OTHERS_POLL_S))
		t = now + OTHERS_POLL_S;
	if (e->h && e->h->idle)
		e->h->idle(e->h->ctx);
	e->clock.sleep_until(e->clock.ctx, t);
	return 0;
}

/* Waits for one of our children, at most until the next retry is due when slots are free. */
static int wait_child(struct engine *e)
{
	int timeout = -1;
	if (e->nrun < e->jobs) {
		int64_t t;
		if (state_next_retry(e->st, e->o->run, engine_now(e), &t))
			return state_error(e);
		if (t) {
			int64_t ms = ms_until(e, t);
			timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
		}
	}
	if (e->h && e->h->idle)
		e->h->idle(e->h->ctx);
	uint64_t token;
	struct exec_result x;
	int rc = e->ex->ops->wait(e->ex->self, timeout, &token, &x);
	return rc == 1 ? child_ended(e, token, &x) : 0;
}

static void engine_release(struct engine *e)
{
	for (size_t i = 0; i < e->nrun; i++)
		running_release(&e->run[i]);
	free(e->run);
	for (size_t i = 0; i < e->nhealth; i++) {
		free(e->health[i].type);
		free(e->health[i].problem);
	}
	free(e->health);
}

int engine_run(struct state *st, const struct project *p, struct exec_runner *ex,
	       const struct engine_opts *opts, const struct engine_hooks *hooks,
	       struct engine_stats *stats, char *err, size_t errlen)
{
	struct engine e = { .st = st, .p = p, .ex = ex, .o = opts, .h = hooks, .err = err,
			    .errlen = errlen };
	e.real = (struct real_clock){ opts->now, mono_ms() };
	e.clock = opts->clock ? *opts->clock
			      : (struct engine_clock){ real_now, real_sleep_until, &e.real };
	int64_t max = engine_max_parallel(p);
	e.jobs = opts->jobs && (int64_t)opts->jobs < max ? opts->jobs : (size_t)max;
	e.max_parallel = max;
	e.claim = (struct state_claim){ .run = opts->run, .max_running = max,
					.job_limit = job_limit, .ctx = &e };
	int rc = 0;
	if (state_owner_self(&e.claim.owner)) {
		snprintf(err, errlen, "cannot read this process's start time from /proc");
		return -1;
	}
	bool killed = false;
	for (;;) {
		rc = fill(&e);
		if (rc)
			break;
		if (stopping(&e) && !killed) {
			for (size_t i = 0; i < e.nrun; i++)
				ex->ops->kill(ex->self, (uint64_t)e.run[i].c.id, SIGTERM);
			killed = true;
		}
		if (e.nrun) {
			rc = wait_child(&e);
		} else if (opts->wait_run && !stopping(&e)) {
			rc = wait_for_others(&e);
			if (rc == 1) {
				rc = 0;
				break;
			}
		} else {
			break;
		}
		if (rc)
			break;
	}
	if (stats)
		*stats = e.stats;
	engine_release(&e);
	return rc;
}

/* ---- runs: creation and expansion ---- */

int engine_queue_run(struct state *st, const struct project *p, const struct engine_new_run *r,
		     int64_t now, int64_t *id, char *err, size_t errlen)
{
	struct state_run_new n = { .job = r->job, .entry = r->entry, .fire_time = r->fire_time,
				   .kwargs = r->kwargs, .ids = r->ids, .nids = r->nids,
				   .has_ids = r->has_ids, .git = r->git, .force = r->force };
	(void)p;
	if (state_begin(st))
		goto fail;
	if (state_run_create(st, &n, now, id))
		goto rollback;
	if (r->fail && state_run_fail(st, *id, r->fail, now))
		goto rollback;
	if (!state_commit(st))
		return 0;
	goto fail;
rollback:
	state_rollback(st);
fail:
	snprintf(err, errlen, "%s", state_errmsg(st));
	return -1;
}

int engine_select_work(const struct project *p, const struct job *master, struct idlist *ids,
		       bool *has_ids, char *err, size_t errlen)
{
	const struct select_work *sw = &master->select_work;
	*has_ids = sw->kind != SELECT_NONE;
	int rc = 0;
	if (sw->kind == SELECT_COMMAND)
		rc = workids_from_command(sw->argv, p->dir, ids, err, errlen);
	else if (sw->kind == SELECT_SQLITE)
		rc = workids_from_sqlite(sw->sqlite_path, sw->query, p->dir, ids, err, errlen);
	return rc;
}

/* The job types a run of master needs, master first, each once. */
static void needed_types(const struct graph_node *master, struct strv *out)
{
	const struct graph_node **stack = NULL;
	size_t n = 0, cap = 0;
	grow(&stack, &cap, 1, sizeof(*stack));
	stack[n++] = master;
	while (n) {
		const struct graph_node *g = stack[--n];
		bool seen = false;
		for (size_t i = 0; i < out->n && !seen; i++)
			seen = !strcmp(out->v[i], g->job->type);
		if (seen)
			continue;
		strv_push(out, xstrdup(g->job->type));
		for (size_t i = g->ndeps; i-- > 0;) {
			grow(&stack, &cap, n + 1, sizeof(*stack));
			stack[n++] = g->deps[i].to;
		}
	}
	free(stack);
}

/* Ends QUEUED run id with why (taken): CANCELED for "no work", else FAILED. Only a run that
 * is still QUEUED is touched (another process may have expanded it meanwhile). */
static int end_queued(struct state *st, int64_t id, char *why, int64_t now, char **why_out,
		      char *err, size_t errlen)
{
	struct state_run r;
	int rc = state_begin(st);
	if (!rc) {
		int got = state_run_get(st, id, &r);
		rc = got < 0 ? -1 : 0;
		if (got == 1 && r.state == RUN_QUEUED)
			rc = !strcmp(why, "no work") ? state_run_cancel(st, id, why, now, NULL, NULL)
						     : state_run_fail(st, id, why, now);
		if (got == 1)
			state_run_release(&r);
		rc = rc ? (state_rollback(st), -1) : state_commit(st);
	}
	if (rc) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		free(why);
		return -1;
	}
	if (why_out)
		*why_out = why;
	else
		free(why);
	return EXPAND_ENDED;
}

/* Why run id cannot expand yet or at all: a job it needs is missing or broken (*fatal), or
 * a dependency has open chunks in another run. *why NULL: go ahead. */
static int expand_blockers(struct state *st, const struct project *p, int64_t id,
			   const struct graph_node *master, char **why, bool *fatal, char *err,
			   size_t errlen)
{
	struct strv types = { 0 };
	needed_types(master, &types);
	int rc = 0;
	*why = NULL;
	*fatal = true;
	for (size_t i = 0; !rc && !*why && i < types.n; i++)
		rc = engine_job_problem(st, p, types.v[i], why, err, errlen);
	for (size_t i = 1; !rc && !*why && i < types.n; i++) {
		int open = state_job_has_open_chunks(st, types.v[i], id);
		if (open < 0) {
			snprintf(err, errlen, "%s", state_errmsg(st));
			rc = -1;
		} else if (open) {
			*why = xasprintf("waits for chunks of '%s' in another run", types.v[i]);
			*fatal = false;
		}
	}
	strv_release(&types);
	return rc;
}

/* Stores plan for run id if it is still QUEUED. */
static int activate(struct state *st, int64_t id, const struct plan *plan, int64_t now)
{
	struct state_run r;
	if (state_begin(st))
		return -1;
	int got = state_run_get(st, id, &r);
	int rc = got < 0 ? -1 : 0;
	bool queued = got == 1 && r.state == RUN_QUEUED;
	if (got == 1)
		state_run_release(&r);
	if (!rc && queued)
		rc = state_run_activate(st, id, plan, now);
	if (rc) {
		state_rollback(st);
		return -1;
	}
	return state_commit(st) ? -1 : queued ? EXPAND_ACTIVE : EXPAND_ENDED;
}

int engine_expand(struct state *st, const struct project *p, int64_t id, int64_t now,
		  char **why, char *err, size_t errlen)
{
	struct state_run r;
	char *block = NULL;
	bool fatal;
	if (why)
		*why = NULL;
	int got = state_run_get(st, id, &r);
	if (got <= 0 || r.state != RUN_QUEUED) {
		if (got < 0)
			snprintf(err, errlen, "%s", state_errmsg(st));
		if (got == 1)
			state_run_release(&r);
		return got < 0 ? -1 : EXPAND_ENDED;
	}
	const struct graph_node *master = graph_find(&p->graph, r.job);
	int rc;
	if (!master) {
		rc = end_queued(st, id, xasprintf("job '%s' has no file in jobs/", r.job), now, why,
				err, errlen);
		state_run_release(&r);
		return rc;
	}
	rc = expand_blockers(st, p, id, master, &block, &fatal, err, errlen);
	if (rc || (block && !fatal)) {
		if (why)
			*why = block;
		else
			free(block);
		state_run_release(&r);
		return rc ? -1 : EXPAND_WAITING;
	}
	if (block) {
		state_run_release(&r);
		return end_queued(st, id, block, now, why, err, errlen);
	}
	int64_t *ids = NULL;
	size_t nids = 0;
	struct plan plan;
	struct freshness_src fresh = state_freshness_src(st);
	char perr[512];
	if (state_run_ids(st, id, &ids, &nids)) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		state_run_release(&r);
		return -1;
	}
	if (plan_expand(&plan, &p->graph, master, ids, nids, r.has_ids, r.kwargs, now, r.force,
			&fresh, perr, sizeof(perr))) {
		rc = end_queued(st, id, xstrdup(perr), now, why, err, errlen);
	} else {
		rc = activate(st, id, &plan, now);
		if (rc < 0)
			snprintf(err, errlen, "%s", state_errmsg(st));
		plan_release(&plan);
	}
	free(ids);
	state_run_release(&r);
	return rc;
}

/* ---- small helpers for the commands ---- */

char *engine_git_commit(const char *dir)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execlp("git", "git", "-C", dir, "rev-parse", "HEAD", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char buf[128];
	size_t n = 0;
	ssize_t r;
	while (pid > 0 && n < sizeof(buf) - 1 &&
	       ((r = read(pfd[0], buf + n, sizeof(buf) - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	close(pfd[0]);
	int status = 1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	size_t len = strspn(buf, "0123456789abcdef");
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || len < 40 || buf[len] != '\n')
		return NULL;
	return xstrndup(buf, len);
}

char *engine_failure_text(const struct engine_finish *f)
{
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, f->why ? f->why : "done");
	if (f->started && strncmp(sb.buf, "timed out", 9)) {
		char d[32];
		term_duration_ms(f->duration_ms, d, sizeof(d));
		sb_addf(&sb, " after %s", d);
	}
	if (f->note)
		sb_addf(&sb, "; %s", f->note);
	return sb_detach(&sb);
}
