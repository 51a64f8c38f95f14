/* engine_chunk.c - what a chunk starts with: its command, environment, IDs file and log
 * header, and the log of a chunk that could not start (docs/design.md, "Starting a chunk").
 *
 * A chunk's command: `command` with `{file}` replaced (the file appended when no word holds
 * it), else the file itself, which must then be executable; with main_func, the Python
 * runner that stau carries (pyrunner.py, embedded by the Makefile). The work IDs go in
 * STAU_WORK_IDS (left empty above 100,000 bytes: Linux refuses an environment string longer
 * than 128 KiB, and the job would not start at all) and always in a file: one per slot,
 * .stau/work/PID-SLOT.ids, kept open and rewritten for each chunk the slot starts, and
 * removed when the engine is done. It needs no fsync: it only has to outlive the child. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_impl.h"
#include "timeutil.h"
#include "workids.h"

extern const char pyrunner_py[];

#define WORK_IDS_ENV_MAX 100000 /* bytes of STAU_WORK_IDS; the kernel allows 128 KiB */

/* ---- the command ---- */

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

int chunk_argv(const struct project *p, const struct job *job, struct strvec *argv,
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

/* Whether chunks of job are forked from a Python runner (docs/design.md, "The Python
 * runner"): main_func jobs on the local executor, unless python_fork is false. */
static bool forks(const struct project *p, const struct job *job)
{
	if (!job->main_func || job->python_fork < 0 || job->executor == EXECUTOR_SLURM ||
	    (job->executor != EXECUTOR_LOCAL && p->sched.settings.executor == EXECUTOR_SLURM))
		return false;
	return job->python_fork > 0 || p->sched.settings.python_fork;
}

/* Whether chunk r is forked from a Python runner; then *py describes it (see
 * chunk_spec_file). */
static bool chunk_python(struct engine *e, const struct running *r, struct exec_python *py,
			 struct strvec *keep)
{
	const struct job *job = r->job;
	char *hash;
	if (!forks(e->p, job) ||
	    engine_file_hash(e->st, e->p->dir, job->path, &hash, e->err, e->errlen))
		return false; /* a file gone meanwhile: the one-shot runner says so in the log */
	strvec_push(keep, hash);
	size_t env0 = keep->n;
	for (size_t i = 0; i < job->env.n; i++) {
		char *v = kv_string(&job->env.v[i]);
		strvec_push(keep, xasprintf("%s=%s", job->env.v[i].key, v));
		free(v);
	}
	/* what every chunk of the job shares, there at import time as without the runner */
	strvec_push(keep, xasprintf("STAU_JOB=%s", job->type));
	strvec_push(keep, xasprintf("STAU_DIR=%s", e->p->dir));
	*py = (struct exec_python){ .interpreter = python_of(e->p), .job_file = job->path,
				    .main_func = job->main_func, .version = hash,
				    .import_env = keep->v + env0, .ids = r->c.ids,
				    .nids = r->c.nids, .ids_file = e->slot[r->slot].path,
				    .kwargs_json = r->c.kwargs };
	return true;
}

void chunk_spec_file(struct engine *e, const struct running *r, struct exec_spec *spec,
		     struct exec_python *py, struct strvec *keep)
{
	if (chunk_python(e, r, py, keep))
		spec->python = py;
	else
		spec->job_file = r->job->path;
}

/* ---- the IDs file ---- */

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

int chunk_write_ids(struct engine *e, const struct running *r, char **why)
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

/* ---- the environment and the log header ---- */

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

void chunk_env(struct engine *e, const struct running *r, struct strvec *env)
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
	env_add(env, "STAU_WORK_IDS_FILE", r->ids_file ? r->ids_file : e->slot[r->slot].path);
	env_add(env, "STAU_KWARGS", c->kwargs ? c->kwargs : "{}");
	buf[0] = '\0';
	if (c->scheduled_for != INT64_MIN)
		time_format(c->scheduled_for, NULL, buf, sizeof(buf));
	env_add(env, "STAU_SCHEDULED_FOR", buf);
	env_add(env, "STAU_DIR", e->p->dir);
}

char *chunk_log_header(const struct state_chunk *c, const char *shown)
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

/* ---- the log of a chunk that did not start ---- */

void chunk_write_unstarted_log(struct engine *e, const struct state_chunk *c, const char *why)
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
