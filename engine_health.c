/* engine_health.c - whether a job can run, and how an attempt of a chunk ended: job health,
 * the verdicts on children, the retry policy and the text of a failure.
 *
 * Broken jobs (docs/design.md, "Faults"): a job whose header or dependencies have problems,
 * or that ended with the runner's exit 3 or one of its fatal_exit_codes, is never started;
 * its chunks fail at once with the reason. A fatal exit is stored in state against the
 * file's content hash (FNV-1a, cached by path, size and mtime), so editing the file clears
 * it.
 *
 * Health is asked once per job type and engine, and cached in struct engine; a fatal exit in
 * this process updates the cache as it marks the job BROKEN in state.
 *
 * A verdict (struct verdict) is what the loop stores and tells about an attempt: DONE, a
 * retry at a time (retry_delay doubling each time), or FAILED, with the text for the output
 * lines, the message and the tail of the log that state keeps (docs/design.md, "Faults"). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_impl.h"
#include "proc.h"
#include "term.h"
#include "timeutil.h"

#define TAIL_LINES 20
#define TAIL_BYTES 4096
#define CHANGED_RETRIES 20 /* attempts run again because the file changed as they started, */
#define CHANGED_AT_ONCE 5  /* the first ones at once, the others a second later */

/* ---- the retry policy ---- */

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
	text = read_regular_file(abs, &len, NULL);
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

int job_health(struct engine *e, const char *type, const char **why)
{
	const struct job *job = project_job(e->p, type);
	struct job_health *h = job ? &e->health[job - e->p->jobs] : NULL;
	if (h && h->known) {
		*why = h->problem;
		return 0;
	}
	for (size_t i = 0; !h && i < e->nmissing; i++) {
		if (!strcmp(e->missing[i].type, type)) {
			*why = e->missing[i].problem;
			return 0;
		}
	}
	char *problem;
	if (engine_job_problem(e->st, e->p, type, &problem, e->err, e->errlen))
		return -1;
	if (h) {
		*h = (struct job_health){ true, problem };
	} else {
		grow(&e->missing, &e->capmissing, e->nmissing + 1, sizeof(*e->missing));
		e->missing[e->nmissing++] = (struct missing_type){ xstrdup(type), problem };
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

/* ---- verdicts ---- */

void verdict_release(struct verdict *v)
{
	free(v->why);
	free(v->note);
	free(v->message);
	free(v->broken);
	free((char *)v->res.tail);
	free((char *)v->res.file_hash);
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

/* Whether the last line the one-shot Python runner wrote before log's trailer is its own
 * "cannot import" or "has no function" (pyrunner.py's import_job): then its exit 3 is its
 * own, not main_func's sys.exit(3). */
static bool runner_could_not_load(const char *tail)
{
	const char *end = tail ? strstr(tail, "\n[exited with status 3]") : NULL;
	if (!end)
		return false;
	const char *line = end;
	while (line > tail && line[-1] != '\n')
		line--;
	if (strncmp(line, "stau runner: ", 13))
		return false;
	const char *bad = strstr(line, " has no function ");
	return !strncmp(line + 13, "cannot import ", 14) || (bad && bad < end);
}

static bool fatal_code(const struct job *job, const struct exec_result *x, const char *tail)
{
	int code = x->exit_code;
	/* the runner could not load the job: always fatal (docs/design.md, "The Python
	 * runner"); main_func's own exit 3 is an ordinary failure */
	if (job->main_func && code == 3)
		return x->forked ? x->broken : runner_could_not_load(tail);
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
	v->res.tail = log_tail(r->log);
	if (x->exec_errno) {
		v->why = xasprintf("cannot execute '%s': %s", r->argv0, strerror(x->exec_errno));
		v->message = xstrdup(v->why);
	} else if (x->timed_out) {
		duration_format(r->job->timeout * 1000, DURATION_EXACT, buf, sizeof(buf));
		v->why = xasprintf("timed out after %s", buf);
		v->message = xstrdup(v->why);
	} else if (x->signal) {
		v->why = xstrdup(proc_killed_by(x->signal, buf, sizeof(buf)));
	} else if (fatal_code(r->job, x, v->res.tail)) {
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
}

/* The job file was written while the chunk started: whatever it did, it may have run a
 * half-written file, so it runs again: at once, and after CHANGED_AT_ONCE attempts a second
 * later (an editor that keeps saving), up to CHANGED_RETRIES attempts. */
static void judge_file_changed(struct engine *e, const struct running *r, struct verdict *v)
{
	free(v->why);
	free(v->message);
	free(v->note);
	free(v->broken);
	v->note = v->broken = NULL;
	v->res.ok = false;
	v->why = xasprintf("%s was written while the chunk started", r->job->path);
	v->message = xasprintf("%s: it may have run a half-written file", v->why);
	v->outcome = ENGINE_FAILED;
	v->res.retry_at = 0;
	if (r->c.attempt <= CHANGED_RETRIES) {
		v->outcome = ENGINE_RETRY;
		v->res.retry_at = engine_now(e) + (r->c.attempt > CHANGED_AT_ONCE);
		v->note = xstrdup("it runs again");
	}
	if (!v->res.tail)
		v->res.tail = log_tail(r->log);
}

void judge_child(struct engine *e, const struct running *r, const struct exec_result *x,
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
	if (x->file_changed)
		judge_file_changed(e, r, v);
	v->res.file_hash = x->file_hash[0] ? xstrdup(x->file_hash) : NULL;
	v->res.message = v->message;
}

void judge_unstarted(struct verdict *v, char *why)
{
	memset(v, 0, sizeof(*v));
	v->res.exit_code = -1;
	v->outcome = ENGINE_FAILED;
	v->why = why;
	v->message = xstrdup(why);
	v->res.message = v->message;
}

int mark_broken(struct engine *e, const char *type, const char *reason, const char *ran,
		int64_t now)
{
	const struct job *job = project_job(e->p, type);
	char *hash = NULL;
	int rc = !job ? 1 : ran ? 0 : engine_file_hash(e->st, e->p->dir, job->path, &hash,
							 e->err, e->errlen);
	if (rc)
		return rc < 0 ? -1 : 0; /* no file: nothing to mark, it cannot run anyway */
	rc = state_job_set_broken(e->st, type, ran ? ran : hash, reason, now);
	free(hash);
	if (rc)
		return state_error(e);
	set_health(e, job, xasprintf("job '%s' is broken: %s", type, reason));
	return 0;
}

/* ---- the text of a failure ---- */

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
