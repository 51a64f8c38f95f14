/* fake_exec.c - a fake executor for the unit tests that drive the engine (fake_exec.h). */
#include "fake_exec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of NAME in a NULL-terminated "NAME=value" list, or NULL. */
static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static size_t running_of(struct fake_exec *f, const char *job)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++)
		k += !strcmp(f->v[i].job, job);
	return k;
}

/* Writes down the environment of a start, and the IDs in its file. */
static void note_env(struct fake_exec *f, char *const *env)
{
	for (char *const *e = env; *e; e++)
		if (strncmp(*e, "STAU_DIR=", 9) && strncmp(*e, "STAU_WORK_IDS_FILE=", 19))
			sb_addf(&f->envs, "%s%s", e == env ? "" : " ", *e);
	const char *file = env_get(env, "STAU_WORK_IDS_FILE");
	char *ids = file ? read_file(file, NULL) : NULL;
	for (char *p = ids; p && *p; p++)
		if (*p == '\n')
			*p = ' ';
	sb_addf(&f->envs, " file[%s]\n", ids ? ids : "missing");
	free(ids);
}

static void note_argv(struct fake_exec *f, char *const *argv)
{
	for (char *const *a = argv; *a; a++)
		sb_addf(&f->argvs, "%s%s", a == argv ? "" : "|", strlen(*a) > 40 ? "<long>" : *a);
	sb_adds(&f->argvs, "\n");
}

static void note_running(struct fake_exec *f, const char *job)
{
	if (f->n > f->max_running)
		f->max_running = f->n;
	size_t k = (size_t)(job[0] - 'a');
	if (k < 4 && !job[1] && running_of(f, job) > f->max_running_of[k])
		f->max_running_of[k] = running_of(f, job);
}

static int fake_start(void *self, const struct exec_spec *spec, uint64_t token, pid_t *pid,
		      char *err, size_t errlen)
{
	struct fake_exec *f = self;
	const char *job = env_get(spec->env_add, "STAU_JOB");
	const char *chunk = env_get(spec->env_add, "STAU_CHUNK");
	const char *attempt = env_get(spec->env_add, "STAU_ATTEMPT");
	grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	struct fake_child *c = &f->v[f->n++];
	c->token = token;
	c->job = xstrdup(job ? job : "?");
	c->chunk = xstrdup(chunk ? chunk : "?");
	c->attempt = attempt ? atoi(attempt) : 0;
	sb_addf(&f->events, "start %s %s #%d\n", c->job, c->chunk, c->attempt);
	note_env(f, spec->env_add);
	note_argv(f, spec->argv);
	note_running(f, c->job);
	f->started++;
	*pid = 100000 + (pid_t)token;
	return 0;
}

/* Ends the oldest child (one second of fake time after the last event, with a clock); a
 * wait with timeout 0 finds none ended: children end one at a time. */
static int fake_wait(void *self, int timeout_ms, uint64_t *token, struct exec_result *res)
{
	struct fake_exec *f = self;
	if (!f->n)
		return -1;
	if (timeout_ms == 0)
		return 0;
	struct fake_child c = f->v[0];
	memmove(f->v, f->v + 1, (f->n - 1) * sizeof(*f->v));
	f->n--;
	if (f->clock)
		*f->clock += 1;
	memset(res, 0, sizeof(*res));
	res->exit_code = f->exit_code ? f->exit_code(c.job, c.chunk, c.attempt) : 0;
	res->duration_ms = f->duration_ms;
	sb_addf(&f->events, "end %s %s exit %d\n", c.job, c.chunk, res->exit_code);
	*token = c.token;
	free(c.job);
	free(c.chunk);
	return 1;
}

static int fake_signal(void *self, uint64_t token, int sig)
{
	struct fake_exec *f = self;
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].token == token) {
			sb_addf(&f->events, "signal %s %s %d\n", f->v[i].job, f->v[i].chunk, sig);
			return 0;
		}
	}
	errno = ESRCH;
	return -1;
}

static size_t fake_running(void *self)
{
	return ((struct fake_exec *)self)->n;
}

static void fake_destroy(void *self)
{
	fake_exec_release(self);
}

/* Chunks of other processes: an owner is alive when it is this process. */
static bool fake_owner_alive(void *self, const struct exec_record *r)
{
	return r->owner.pid == getpid();
}

static enum exec_signal fake_signal_recorded(void *self, const struct exec_record *r, int sig)
{
	struct fake_exec *f = self;
	sb_addf(&f->events, "signal chunk %lld %d\n", (long long)r->chunk, sig);
	return r->owner.pid == getpid() ? EXEC_SIGNALLED : EXEC_OWNER_LOST;
}

static void fake_kill_lost(void *self, const struct exec_record *r)
{
	struct fake_exec *f = self;
	bool ours = r->dir && f->dir && !strcmp(r->dir, f->dir);
	sb_addf(&f->events, "kill lost run %lld chunk %lld #%d child %ld%s\n", (long long)r->run,
		(long long)r->chunk, r->attempt, (long)r->child, ours ? " in the project" : "");
}

const struct exec_ops fake_exec_ops = {
	.start = fake_start,
	.wait = fake_wait,
	.signal = fake_signal,
	.running = fake_running,
	.destroy = fake_destroy,
	.owner_alive = fake_owner_alive,
	.signal_recorded = fake_signal_recorded,
	.kill_lost = fake_kill_lost,
};

struct exec_runner fake_exec_runner(struct fake_exec *f)
{
	return (struct exec_runner){ &fake_exec_ops, f };
}

void fake_exec_release(struct fake_exec *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].job);
		free(f->v[i].chunk);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
	sb_release(&f->events);
	sb_release(&f->envs);
	sb_release(&f->argvs);
}
