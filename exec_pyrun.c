/* exec_pyrun.c - the Python runners of the local executor (exec_pyrun.h).
 *
 * Why it looks like this:
 *   - A runner is keyed by everything its import depends on: the interpreter, the file, the
 *     function and the file's content hash. A chunk of a new version of the file gets a new
 *     runner; the old one is retired, stopped once its last chunk has ended (stopping it
 *     earlier would kill its chunks).
 *   - What the runner itself prints (the interpreter's complaints before it could import
 *     anything, warnings) goes to the log of the chunk that started it; what the import
 *     prints comes with its answer and is copied there.
 *   - The first chunk waits for the import (pandas: a third of a second): that is what one
 *     interpreter per chunk cost every chunk. The wait is bounded by the chunk's timeout.
 *   - The file is watched (exec_file.h) from before its hash is taken until the import has
 *     ended; a write meanwhile means that the import may have read a file in the middle of
 *     being rewritten, so that runner is stopped and the import done again, up to
 *     VERIFY_TRIES times, 10 ms apart (then the chunk is told that the file changed as it
 *     started, and runs again). The runner is found by the version the caller checked, and
 *     its chunks record the hash of what it imported. A runner that could not import its
 *     version stays in the pool as broken, so that the job is found broken once, not once per
 *     chunk. */
#include "exec_pyrun.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec_file.h"
#include "exec_pyfork.h"
#include "proc.h"
#include "util.h"

#define VERIFY_TRIES 10	  /* imports of a file that was written while it was imported */
#define VERIFY_PAUSE_MS 10
#define IDLE_MAX 4		  /* runners kept without a running chunk (each holds its module's
				   * memory: pandas alone is 60 MB); the least recently used go */

struct runner {
	char *key;	/* interpreter, file, function and version, NUL-separated */
	size_t keylen;
	size_t same;	/* bytes of key naming interpreter, file and function */
	struct pyfork *r;
	bool retired;	/* a newer version of its file has a runner: stop it once idle */
	char ran[32];	/* the content hash of the file it imported */
	uint64_t used;	/* when it last forked a chunk, on the pool's clock */
};

struct pyrun_pool {
	struct runner *v;
	size_t n, cap;
	uint64_t clock; /* counts chunks */
};

struct pyrun_pool *pyrun_new(void)
{
	return xcalloc(1, sizeof(struct pyrun_pool));
}

/* The key of py's runner into *out (keylen, same set); a new buffer. */
static char *key_of(const struct exec_python *py, size_t *len, size_t *same)
{
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, py->interpreter);
	sb_add(&sb, "", 1);
	sb_adds(&sb, py->job_file);
	sb_add(&sb, "", 1);
	sb_adds(&sb, py->main_func);
	sb_add(&sb, "", 1);
	*same = sb.len;
	sb_adds(&sb, py->version);
	*len = sb.len;
	return sb_detach(&sb);
}

static struct runner *find(struct pyrun_pool *p, const char *key, size_t len)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].keylen == len && !memcmp(p->v[i].key, key, len))
			return &p->v[i];
	return NULL;
}

static void remove_at(struct pyrun_pool *p, size_t i)
{
	pyfork_stop(p->v[i].r);
	free(p->v[i].key);
	p->v[i] = p->v[--p->n];
}

static void note_written(void *ctx, int wd)
{
	*(bool *)ctx = true;
}

/* Watches path (*w; NULL without inotify: then only its status is compared) and reads what
 * it is now into *seen, before an import. Returns 0, or -1 with err. */
static int watch_file(const char *path, struct exec_watch **w, struct exec_file *seen,
		      char *err, size_t errlen)
{
	*w = exec_watch_new();
	exec_watch_add(*w, path);
	if (!exec_file_read(path, seen))
		return 0;
	snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
	exec_watch_free(*w);
	return -1;
}

/* Whether path was written since watch_file (the watch is freed). */
static bool written_since(struct exec_watch *w, const char *path, const struct exec_file *seen)
{
	bool written = false;
	exec_watch_read(w, note_written, &written);
	exec_watch_free(w);
	return written || exec_file_changed(path, seen);
}

static void write_text(int fd, const char *s)
{
	(void)write_all(fd, s, strlen(s));
}

/* The last line of a failed import's output that is not the runner's own ("stau runner:"),
 * as ": LINE" (the exception: "ModuleNotFoundError: No module named 'pandas'"), or "". */
static void import_error(const char *text, char *buf, size_t len)
{
	buf[0] = '\0';
	const char *end = text + strlen(text);
	while (end > text) {
		const char *start = end;
		while (start > text && start[-1] != '\n')
			start--;
		size_t n = (size_t)(end - start);
		while (n && (start[n - 1] == '\n' || start[n - 1] == ' '))
			n--;
		if (n && strncmp(start, "stau runner:", 12)) {
			snprintf(buf, len, ": %.*s", (int)(n < 200 ? n : 200), start);
			return;
		}
		end = start > text ? start - 1 : text;
	}
}

/* Tells the first chunk's log how its runner's import went. */
static void note_import(int logfd, struct pyfork *r, const char *file, int64_t ms)
{
	bool broken = pyfork_state(r) == PYFORK_BROKEN;
	char *t = broken ? xasprintf("stau: Python runner %ld could not import %s (%lld ms):\n",
				     (long)pyfork_pid(r), file, (long long)ms)
			 : xasprintf("stau: Python runner %ld imported %s in %lld ms; the chunks of "
				     "this version are forked from it\n", (long)pyfork_pid(r), file,
				     (long long)ms);
	write_text(logfd, t);
	free(t);
	const char *out = broken ? pyfork_broken_text(r) : "";
	write_text(logfd, out);
	if (*out && out[strlen(out) - 1] != '\n')
		write_text(logfd, "\n");
}

/* One import: starts a runner and waits for it. Returns its state (PYFORK_STARTING: the
 * time ran out) with *out, or -1 with err. */
static int import_once(const struct exec_spec *spec, int logfd, struct pyfork **out, char *err,
		       size_t errlen)
{
	const struct exec_python *py = spec->python;
	struct strvec env = { 0 };
	struct proc_id self;
	for (char *const *kv = py->import_env; kv && *kv; kv++)
		strvec_push(&env, xstrdup(*kv));
	if (!proc_self(&self)) /* what recovery finds the chunks of a dead stau by */
		strvec_push(&env, xasprintf("%s=%ld:%lld", PROC_RUNNER_OF, (long)self.pid,
					    (long long)self.start));
	struct pyfork_opts o = { .python = py->interpreter, .job_file = py->job_file,
				 .main_func = py->main_func, .dir = spec->cwd,
				 .env_add = env.v, .out_fd = logfd };
	int rc = pyfork_start(&o, out, err, errlen);
	strvec_release(&env);
	if (rc)
		return -1;
	int timeout = spec->timeout_ms > 0 && spec->timeout_ms < INT32_MAX
			      ? (int)spec->timeout_ms : -1;
	return (int)pyfork_wait_ready(*out, timeout);
}

/* One import of spec's module, checked: the file is watched from before it is read, and an
 * import during which it was written is thrown away. Returns 0, 1 or -1 as start_runner, or
 * 2 (written meanwhile: try again). */
static int import_verified(struct pyrun_pool *p, const struct exec_spec *spec, const char *path,
			  int logfd, struct runner *proto, char *err, size_t errlen)
{
	struct exec_watch *w;
	struct exec_file seen;
	struct pyfork *r;
	if (watch_file(path, &w, &seen, err, errlen))
		return -1;
	int64_t t0 = monotonic_ms();
	int st = import_once(spec, logfd, &r, err, errlen);
	bool written = written_since(w, path, &seen);
	if (st < 0)
		return -1;
	if (st == PYFORK_STARTING || st == PYFORK_GONE) {
		if (st == PYFORK_STARTING)
			snprintf(err, errlen, "the Python runner did not import %s within the "
				 "job's timeout", spec->python->job_file);
		else
			snprintf(err, errlen, "%s", pyfork_broken_text(r));
		pyfork_stop(r);
		return -1;
	}
	if (written) {
		pyfork_stop(r);
		nanosleep(&(struct timespec){ 0, VERIFY_PAUSE_MS * 1000000L }, NULL);
		return 2;
	}
	note_import(logfd, r, spec->python->job_file, monotonic_ms() - t0);
	proto->r = r;
	snprintf(proto->ran, sizeof(proto->ran), "%s", seen.hash);
	grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = *proto;
	return st == PYFORK_BROKEN ? 1 : 0;
}

/* Starts the runner for spec and adds it to p: 0 (ready), 1 (broken: logfd says why), 2 (the
 * file was written during every import tried), -1. */
static int start_runner(struct pyrun_pool *p, const struct exec_spec *spec, int logfd,
			struct runner *proto, char *err, size_t errlen)
{
	const char *file = spec->python->job_file;
	char *path = file[0] == '/' || !spec->cwd ? xstrdup(file)
						   : xasprintf("%s/%s", spec->cwd, file);
	int rc = 2;
	for (int i = 0; i < VERIFY_TRIES && rc == 2; i++)
		rc = import_verified(p, spec, path, logfd, proto, err, errlen);
	free(path);
	return rc;
}

/* The runners of other versions of the file of p->v[k] are retired: stopped now when idle. */
static void retire_others(struct pyrun_pool *p, size_t k)
{
	const char *key = p->v[k].key;
	size_t same = p->v[k].same, len = p->v[k].keylen;
	for (size_t i = p->n; i-- > 0;) {
		struct runner *o = &p->v[i];
		if (o->same != same || memcmp(o->key, key, same) ||
		    (o->keylen == len && !memcmp(o->key, key, len)))
			continue;
		o->retired = true;
		if (!pyfork_running(o->r))
			remove_at(p, i);
	}
}

/* Stops the least recently used runners without a running chunk beyond IDLE_MAX. */
static void stop_idle(struct pyrun_pool *p)
{
	for (;;) {
		size_t idle = 0, oldest = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (pyfork_running(p->v[i].r) || pyfork_state(p->v[i].r) == PYFORK_BROKEN)
				continue; /* a broken one holds nothing, and says so without a new import */
			if (!idle++ || p->v[i].used < p->v[oldest].used)
				oldest = i;
		}
		if (idle <= IDLE_MAX)
			return;
		remove_at(p, oldest);
	}
}

int pyrun_chunk(struct pyrun_pool *p, const struct exec_spec *spec, int logfd, uint64_t token,
		pid_t *pid, char ran[32], char *err, size_t errlen)
{
	const struct exec_python *py = spec->python;
	struct runner proto = { 0 };
	proto.key = key_of(py, &proto.keylen, &proto.same);
	struct runner *ru = find(p, proto.key, proto.keylen);
	if (ru && pyfork_state(ru->r) == PYFORK_GONE) {
		remove_at(p, (size_t)(ru - p->v));
		ru = NULL;
	}
	if (ru) {
		free(proto.key);
	} else {
		int rc = start_runner(p, spec, logfd, &proto, err, errlen);
		if (rc == 1)
			snprintf(ran, 32, "%s", p->v[p->n - 1].ran);
		if (rc) {
			if (rc != 1)
				free(proto.key);
			return rc;
		}
		ru = &p->v[p->n - 1];
	}
	snprintf(ran, 32, "%s", ru->ran);
	if (pyfork_state(ru->r) == PYFORK_BROKEN) {
		char why[256];
		import_error(pyfork_broken_text(ru->r), why, sizeof(why));
		snprintf(err, errlen, "the Python runner cannot import %s%s (the traceback is in the "
			 "log of the chunk that started it)", py->job_file, why);
		return -1;
	}
	struct pyfork_chunk c = { .ids = py->ids, .n_ids = py->nids, .ids_file = py->ids_file,
				  .kwargs_json = py->kwargs_json, .env_add = spec->env_add,
				  .cwd = spec->cwd, .log_fd = logfd };
	int rc = pyfork_chunk(ru->r, &c, token, pid, err, errlen);
	ru->used = ++p->clock;
	retire_others(p, (size_t)(ru - p->v));
	stop_idle(p);
	return rc ? -1 : 0;
}

size_t pyrun_pollfds(struct pyrun_pool *p, struct pollfd *v, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n && n < max; i++) {
		int fd = pyfork_running(p->v[i].r) ? pyfork_fd(p->v[i].r) : -1;
		if (fd >= 0)
			v[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	return n;
}

/* The next EXIT of runner ru, without waiting: 1 (*out), 0 (none now), -1 (it has ended and
 * said all it had to say). */
static int next_of(struct runner *ru, struct pyrun_exit *out)
{
	struct pyfork_event ev;
	int rc;
	while ((rc = pyfork_next(ru->r, 0, &ev)) == 1) {
		if (ev.kind != PYFORK_EV_EXIT)
			continue;
		*out = (struct pyrun_exit){ .token = ev.token, .exit_code = ev.exit_code,
					    .signal = ev.signal, .lost = ev.lost };
		return 1;
	}
	return rc;
}

int pyrun_next_exit(struct pyrun_pool *p, struct pyrun_exit *out)
{
	for (size_t i = 0; i < p->n;) {
		struct runner *ru = &p->v[i];
		int rc = next_of(ru, out);
		bool idle = !pyfork_running(ru->r);
		if ((rc < 0 && pyfork_state(ru->r) == PYFORK_GONE) || (ru->retired && idle)) {
			remove_at(p, i);
			if (rc == 1)
				return 1;
			continue;
		}
		if (rc == 1)
			return 1;
		i++;
	}
	return 0;
}

void pyrun_free(struct pyrun_pool *p)
{
	if (!p)
		return;
	while (p->n)
		remove_at(p, p->n - 1);
	free(p->v);
	free(p);
}
