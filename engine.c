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
 * Group commit (docs/design.md, "Group commit"): a round's transaction is not synced on its own. Outcomes and
 * starts wait in a queue and are told (the hooks: progress lines, counts) only after one
 * fdatasync of the WAL has made them durable, at most 10 ms after the oldest; a power loss
 * keeps a prefix of the WAL, so it can only forget what nobody was told, and those chunks run
 * again. Syncing once per round instead cost more than half of each chunk's time.
 *
 * Runs are queued and expanded into chunks in engine_runs.c; the loop only sees the chunks.
 *
 * It stops when nothing is ready and nothing of ours runs. `stau run` (wait_run) goes on
 * until its run has ended: it sleeps until a retry is due and, when another process holds
 * the rest of its run, looks again every second. Nothing is kept in memory that another
 * process would need: a process that dies leaves RUNNING chunks that the next one recovers
 * by their owner's pid and start time (engine_recover).
 *
 * Time: `--now` replays time. The engine's clock reads `opts.now` when it starts and then
 * runs on with the real (monotonic) clock, so durations and retry delays keep their meaning
 * in a replayed tick, and a test can pass a fake clock instead.
 *
 * A chunk's command (docs/design.md, "Starting a chunk"): `command` with `{file}` replaced (the file appended when no
 * word holds it), else the file itself, which must then be executable; with main_func, the
 * Python runner that stau carries (pyrunner.py, embedded by the Makefile). The work IDs go
 * in STAU_WORK_IDS (left empty above 100,000 bytes: Linux refuses an environment string
 * longer than 128 KiB, and the job would not start at all) and always in a file: one per
 * slot, .stau/work/PID-SLOT.ids, kept open and rewritten for each chunk the slot starts, and
 * removed when the engine is done. It needs no fsync: it only has to outlive the child.
 *
 * Broken jobs (docs/design.md, "Faults"): a job whose header or dependencies have problems, or that ended
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
#include <time.h>
#include <unistd.h>

#include "proc.h"
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
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the engine's working set ---- */

/* What this process knows about a job type's health: checked once per engine. */
struct job_health {
	bool known;
	char *problem; /* why it cannot run, or NULL */
};

/* A job type without a file, with why it cannot run (rare: a run planned before its file
 * went away). */
struct lost_type {
	char *type;
	char *problem;
};

/* Where a child of ours runs: at most `jobs` at once. */
struct slot {
	bool busy;
	char *path;	/* its IDs file (NULL until first used) */
	int fd;		/* open on path, or -1 */
	size_t len;	/* the size of the file */
};

/* A chunk of ours that is running. */
struct running {
	struct state_chunk c;
	const struct job *job;
	size_t slot;	/* its index in e->slot */
	char *log;	/* absolute path of the log */
	char *argv0;	/* the program started, for "cannot execute" */
};

/* A child started since the last round: its pid goes into the next transaction. */
struct started_pid {
	int64_t chunk;
	pid_t pid;
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
	size_t jobs;		/* slots: children of ours at once */
	struct slot *slot;	/* [jobs] */
	struct running *run;	/* our children */
	size_t nrun, caprun;
	struct outcome *ended;	/* judged, not yet stored */
	size_t nended, capended;
	struct outcome *told;	/* to tell after the next sync, in order: outcomes stored, and
				 * starts (a copy of the chunk, started set in its verdict) */
	size_t ntold, captold;
	struct started_pid *pids; /* started, pid not yet stored */
	size_t npids, cappids;
	int64_t due_ms;		/* when pids must be stored and `told` told (monotonic);
				 * 0: nothing waits */
	struct job_health *health; /* one per p->jobs[] */
	struct lost_type *lost;
	size_t nlost, caplost;
	char *err;
	size_t errlen;
};

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
	*hash = xasprintf("fnv1a64:%016llx",
			  (unsigned long long)hash_fnv1a(HASH_FNV1A_INIT, text, len));
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
	const struct job *job = project_job(e->p, type);
	struct job_health *h = job ? &e->health[job - e->p->jobs] : NULL;
	if (h && h->known) {
		*why = h->problem;
		return 0;
	}
	for (size_t i = 0; !h && i < e->nlost; i++) {
		if (!strcmp(e->lost[i].type, type)) {
			*why = e->lost[i].problem;
			return 0;
		}
	}
	char *problem;
	if (engine_job_problem(e->st, e->p, type, &problem, e->err, e->errlen))
		return -1;
	if (h) {
		*h = (struct job_health){ true, problem };
	} else {
		grow(&e->lost, &e->caplost, e->nlost + 1, sizeof(*e->lost));
		e->lost[e->nlost++] = (struct lost_type){ xstrdup(type), problem };
	}
	*why = problem;
	return 0;
}

/* Remembers that job is broken now (after a fatal exit in this process). */
static void set_health(struct engine *e, const struct job *job, char *problem)
{
	struct job_health *h = &e->health[job - e->p->jobs];
	free(h->problem);
	*h = (struct job_health){ true, problem };
}

/* ---- a chunk's command and environment (docs/design.md, "Starting a chunk") ---- */

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
static int chunk_argv(const struct project *p, const struct job *job, struct strvec *argv,
		      char **shown, char **why)
{
	char *file = xasprintf("./%s", job->path);
	struct strbuf sb = STRBUF_INIT;
	*why = NULL;
	if (job->main_func) {
		const char *py = python_of(p);
		strvec_push(argv, xstrdup(py));
		strvec_push(argv, xstrdup("-c"));
		strvec_push(argv, xstrdup(pyrunner_py));
		strvec_push(argv, xstrdup(file));
		strvec_push(argv, xstrdup(job->main_func));
		sb_addf(&sb, "%s <stau runner> %s %s", py, file, job->main_func);
	} else if (job->command && job->command[0]) {
		bool has_file = false;
		for (char **w = job->command; *w; w++) {
			has_file |= strstr(*w, "{file}") != NULL;
			strvec_push(argv, replace_all(*w, "{file}", file));
		}
		if (!has_file)
			strvec_push(argv, xstrdup(file));
		for (size_t i = 0; i < argv->n; i++)
			sb_addf(&sb, "%s%s", i ? " " : "", argv->v[i]);
	} else {
		char *abs = xasprintf("%s/%s", p->dir, job->path);
		if (access(abs, X_OK))
			*why = xasprintf("'%s' is not executable: run 'chmod +x %s', or give it a "
					 "'command' or a 'main_func'", job->path, job->path);
		free(abs);
		strvec_push(argv, xstrdup(file));
		sb_adds(&sb, file);
	}
	free(file);
	*shown = sb_detach(&sb);
	return *why ? -1 : 0;
}

/* The IDs file of slot i: .stau/work/PID-SLOT.ids, one per slot, kept open and rewritten in
 * place for each chunk the slot runs. Starting a chunk then creates no file but its log, and
 * never truncates a file to zero and closes it, which ext4 answers with a write to disk
 * (auto_da_alloc). Returns its descriptor, or -1 with errno. */
static int slot_fd(struct engine *e, size_t i)
{
	if (e->slot[i].fd >= 0)
		return e->slot[i].fd;
	if (!e->slot[i].path)
		e->slot[i].path = xasprintf("%s/.stau/work/%ld-%zu.ids", e->p->dir,
					    (long)getpid(), i + 1);
	const char *path = e->slot[i].path;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* the first chunk: .stau/work/ is made on demand */
	if (fd < 0 && errno == ENOENT && !mkdir_parents(path, 0700))
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return e->slot[i].fd = fd;
}

/* Writes the chunk's IDs, one per line, to its slot's STAU_WORK_IDS_FILE. */
static int write_ids_file(struct engine *e, const struct running *r, char **why)
{
	int fd = slot_fd(e, r->slot);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; fd >= 0 && i < r->c.nids; i++)
		sb_addf(&sb, "%lld\n", (long long)r->c.ids[i]);
	/* shrinking a file costs ext4 more than the write: only when the IDs got shorter */
	struct slot *sl = &e->slot[r->slot];
	bool ok = fd >= 0 && (sb.len == 0 || pwrite(fd, sb.buf, sb.len, 0) == (ssize_t)sb.len) &&
		  (sb.len >= sl->len || !ftruncate(fd, (off_t)sb.len));
	sl->len = ok ? sb.len : SIZE_MAX;
	if (!ok)
		*why = xasprintf("cannot write '%s': %s", sl->path, strerror(errno));
	sb_release(&sb);
	return ok ? 0 : -1;
}

/* Adds "name=value" (a dozen per chunk: without printf). */
static void env_add(struct strvec *env, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *kv = xmalloc(n + v + 2);
	memcpy(kv, name, n);
	kv[n] = '=';
	memcpy(kv + n + 1, value, v + 1);
	strvec_push(env, kv);
}

static void chunk_env(struct engine *e, const struct running *r, struct strvec *env)
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
	env_add(env, "STAU_WORK_IDS_FILE", e->slot[r->slot].path);
	env_add(env, "STAU_KWARGS", c->kwargs ? c->kwargs : "{}");
	buf[0] = '\0';
	if (c->scheduled_for != INT64_MIN)
		time_format(c->scheduled_for, NULL, buf, sizeof(buf));
	env_add(env, "STAU_SCHEDULED_FOR", buf);
	env_add(env, "STAU_DIR", e->p->dir);
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
		return true; /* the runner could not load the job: always fatal (docs/design.md, "The Python runner") */
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
		duration_format(r->job->timeout * 1000, DURATION_EXACT, buf, sizeof(buf));
		v->why = xasprintf("timed out after %s", buf);
		v->message = xstrdup(v->why);
	} else if (x->signal) {
		v->why = xstrdup(proc_killed_by(x->signal, buf, sizeof(buf)));
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
	set_health(e, job, xasprintf("job '%s' is broken: %s", type, reason));
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

/* A chunk that ended (or could not start), with its verdict: stored by the next round, told
 * once a sync has made it durable. */
struct outcome {
	struct state_chunk c;
	struct verdict v;
	enum run_state run_ended;
	bool is_start;	/* in e->told: not an outcome but the start of c */
};

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

/* Stores outcome o (taken) in a transaction of its own. A chunk that another stau ended
 * meanwhile (stau cancel) is dropped with a warning. Returns 0 or -1. */
static int store_one(struct engine *e, struct outcome *o)
{
	int64_t now = engine_now(e);
	if (state_begin(e->st)) {
		outcome_release(o);
		return state_error(e);
	}
	int rc = o->v.broken ? mark_broken(e, o->c.job, o->v.broken, now) : 0;
	if (!rc && state_chunk_finish(e->st, o->c.id, &o->v.res, now, &o->run_ended))
		rc = state_error(e);
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
	stored(e, o);
	return 0;
}

/* Stores the pids of the children started since the last round, inside a transaction. A
 * chunk canceled before its pid was stored (stau cancel found no pid to signal) is stopped
 * here. */
static int store_pids(struct engine *e)
{
	for (size_t i = 0; i < e->npids; i++) {
		int rc = state_chunk_set_child(e->st, e->pids[i].chunk, e->pids[i].pid);
		if (rc < 0)
			return state_error(e);
		if (rc == 0)
			e->ex->ops->signal(e->ex->self, (uint64_t)e->pids[i].chunk, SIGTERM);
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
	r->log = r->argv0 = NULL;
}

/* Writes a log for a chunk that did not start, so that `stau logs` tells why. */
static void write_unstarted_log(struct engine *e, const struct state_chunk *c, const char *why)
{
	if (!c->log_path)
		return;
	char *path = xasprintf("%s/%s", e->p->dir, c->log_path);
	mkdir_parents(path, 0700);
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
	free(path);
}

/* Chunk r->c could not start, because of why (taken): it fails, stored by the next round. */
static void fail_unstarted(struct engine *e, struct running *r, char *why)
{
	struct outcome o = { .c = r->c, .run_ended = RUN_ACTIVE };
	write_unstarted_log(e, &r->c, why);
	unstarted(&o.v, why);
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
	struct strvec argv = { 0 }, env = { 0 };
	char *shown = NULL, *why = NULL;
	if (chunk_argv(e->p, r.job, &argv, &shown, &why) || write_ids_file(e, &r, &why)) {
		strvec_release(&argv);
		free(shown);
		fail_unstarted(e, &r, why);
		return 0;
	}
	r.argv0 = xstrdup(argv.v[0]);
	r.log = xasprintf("%s/%s", e->p->dir, c->log_path);
	chunk_env(e, &r, &env);
	char *header = log_header(c, shown);
	struct exec_spec spec = { .argv = argv.v, .env_add = env.v, .cwd = e->p->dir,
				  .log_path = r.log, .log_header = header,
				  .timeout_ms = r.job->timeout * 1000,
				  .log_limit = r.job->log_limit ? r.job->log_limit
								: e->p->sched.settings.log_limit };
	char err[512] = "";
	pid_t pid = 0;
	int rc = e->ex->ops->start(e->ex->self, &spec, (uint64_t)c->id, &pid, err, sizeof(err));
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
	e->pids[e->npids++] = (struct started_pid){ c->id, pid };
	grow(&e->run, &e->caprun, e->nrun + 1, sizeof(*e->run));
	e->run[e->nrun++] = r;
	started(e, &r.c);
	return 0;
}

/* A job type's max_parallel for claims (state_claim.job_limit; ctx is the engine). */
static int64_t job_limit(void *ctx, const char *type)
{
	struct engine *e = ctx;
	const struct job *job = project_job(e->p, type);
	return job ? job->max_parallel : 0;
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

/* One round: one transaction stores the outcomes in e->ended and the pids of the children
 * started since the last round, and claims chunks for the free slots (what the outcomes made
 * ready included); then the claimed chunks start. The commit is not synced (group commit):
 * the outcomes are told after a later sync. */
static int record_and_claim(struct engine *e)
{
	size_t want = stopping(e) || e->nrun >= e->jobs ? 0 : e->jobs - e->nrun, nnext = 0;
	if (!e->nended && !e->npids && !want)
		return 0;
	int64_t now = engine_now(e);
	struct state_chunk *next = xcalloc(want + 1, sizeof(*next));
	if (state_begin(e->st)) {
		free(next);
		return state_error(e);
	}
	int rc = store_pids(e);
	for (size_t i = 0; !rc && i < e->nended; i++) {
		struct outcome *o = &e->ended[i];
		if (o->v.broken)
			rc = mark_broken(e, o->c.job, o->v.broken, now);
		if (!rc && state_chunk_finish(e->st, o->c.id, &o->v.res, now, &o->run_ended))
			rc = state_error(e);
	}
	while (!rc && nnext < want) {
		int got = state_claim_ready_chunk(e->st, &e->claim, now, &next[nnext]);
		if (got < 0)
			rc = state_error(e);
		if (got != 1)
			break;
		nnext++;
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
		stored(e, &e->ended[i]);
	e->nended = 0;
	for (size_t i = 0; i < nnext; i++)
		if (rc || launch(e, &next[i]))
			rc = -1;
	free(next);
	return rc;
}

/* ---- the loop ---- */

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

/* Judges every child of ours that has ended into e->ended, waiting at most timeout_ms (-1: no
 * limit) for the first. Returns how many ended. */
static size_t reap_children(struct engine *e, int timeout_ms)
{
	uint64_t token;
	struct exec_result x;
	size_t n = 0;
	while (e->nrun && e->ex->ops->wait(e->ex->self, n ? 0 : timeout_ms, &token, &x) == 1) {
		struct running r;
		if (!take_running(e, token, &r))
			continue; /* not ours: cannot happen */
		struct outcome o = { .c = r.c, .run_ended = RUN_ACTIVE };
		judge(e, &r, &x, &o.v);
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
	if (e->nrun < e->jobs) {
		int64_t t;
		if (state_next_retry(e->st, e->o->run, engine_now(e), &t))
			return state_error(e);
		if (t) {
			int64_t ms = ms_until(e, t);
			timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
		}
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
	for (size_t i = 0; i < e->nrun; i++) {
		running_end(e, &e->run[i]);
		state_chunk_release(&e->run[i].c);
	}
	free(e->run);
	for (size_t i = 0; i < e->nended; i++)
		outcome_release(&e->ended[i]);
	free(e->ended);
	for (size_t i = 0; i < e->ntold; i++)
		outcome_release(&e->told[i]);
	free(e->told);
	free(e->pids);
	for (size_t i = 0; i < e->jobs; i++) {
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
	for (size_t i = 0; i < e->nlost; i++) {
		free(e->lost[i].type);
		free(e->lost[i].problem);
	}
	free(e->lost);
}

/* The loop: rounds of record-and-claim, and waiting for children. */
static int run_loop(struct engine *e)
{
	bool killed = false;
	for (;;) {
		if (record_and_claim(e))
			return -1;
		if (stopping(e) && !killed) {
			for (size_t i = 0; i < e->nrun; i++)
				e->ex->ops->signal(e->ex->self, (uint64_t)e->run[i].c.id, SIGTERM);
			killed = true;
		}
		if (e->nended) /* chunks that could not start: stored by the next round */
			continue;
		if (catch_up(e, false))
			return -1;
		int rc;
		if (e->nrun) {
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
	e.jobs = opts->jobs && (int64_t)opts->jobs < max ? opts->jobs : (size_t)max;
	e.claim = (struct state_claim){ .run = opts->run, .max_running = max,
					.job_limit = job_limit, .ctx = &e };
	if (proc_self(&e.claim.owner)) {
		snprintf(err, errlen,
			 "cannot read this process's start time from the process table");
		return -1;
	}
	e.slot = xcalloc(e.jobs, sizeof(*e.slot));
	for (size_t i = 0; i < e.jobs; i++)
		e.slot[i] = (struct slot){ .fd = -1, .len = SIZE_MAX }; /* truncated at first use */
	e.health = xcalloc(p->njobs + 1, sizeof(*e.health));
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
