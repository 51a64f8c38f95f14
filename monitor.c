/* monitor.c - the on_failure hook of failed runs and the metrics file (monitor.h).
 *
 * A hook is claimed before it is started: if this stau dies while the hook runs, no other
 * process starts it again (an alert sent twice is worse than one that a crash lost, and the
 * crash itself is reported by the next tick). Runs that failed while no on_failure was
 * configured are claimed as "not configured", so that setting one later does not alert
 * about old failures.
 *
 * The metrics file is rewritten after every tick that did something. A tick with nothing
 * to do must stay cheap (docs/design.md, "Performance"): it compares the state version that
 * the file shows on its first line with the database's (one indexed read), and rebuilds the
 * file only when they differ or the file is missing. */
#include "monitor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "proc.h"
#include "timeutil.h"
#include "util.h"

#define HOOK_OUTPUT_MAX 4096
#define HOOK_GRACE_MS 5000

static void say(const struct monitor_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct monitor_out *out, const char *fmt, ...)
{
	if (!out || !out->say)
		return;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	out->say(out->ctx, sb.buf);
	sb_release(&sb);
}

/* ---- the environment of a hook ---- */

/* STAU_FAILED_CHUNKS and STAU_FAILED_LOGS of run, appended to env. */
static int add_failed_chunks(struct state *st, const char *dir, int64_t run, struct strvec *env)
{
	struct state_chunk *cs;
	size_t n;
	if (state_run_chunks(st, run, false, &cs, &n))
		return -1;
	struct strbuf chunks = STRBUF_INIT, logs = STRBUF_INIT;
	sb_adds(&chunks, "STAU_FAILED_CHUNKS=");
	sb_adds(&logs, "STAU_FAILED_LOGS=");
	for (size_t i = 0; i < n; i++) {
		const struct state_chunk *c = &cs[i];
		if (c->state != CHUNK_FAILED)
			continue;
		sb_addf(&chunks, "%s%s:%zu/%zu", chunks.buf[chunks.len - 1] == '=' ? "" : " ",
			c->job, c->index, c->count);
		if (c->log_path)
			sb_addf(&logs, "%s%s/%s", logs.buf[logs.len - 1] == '=' ? "" : "\n", dir,
				c->log_path);
	}
	strvec_push(env, sb_detach(&chunks));
	strvec_push(env, sb_detach(&logs));
	state_chunks_free(cs, n);
	return 0;
}

/* The variables a hook gets for failed run r, NULL-terminated in env. */
static int hook_env(struct state *st, const char *dir, const struct state_run *r,
		    struct strvec *env)
{
	char when[48] = "";
	if (r->entry)
		time_format(r->fire_time, NULL, when, sizeof(when));
	strvec_push(env, xasprintf("STAU_RUN_ID=%lld", (long long)r->id));
	strvec_push(env, xasprintf("STAU_JOB=%s", r->job));
	strvec_push(env, xasprintf("STAU_DIR=%s", dir));
	strvec_push(env, xasprintf("STAU_ENTRY=%s", r->entry ? r->entry : ""));
	strvec_push(env, xasprintf("STAU_SCHEDULED_FOR=%s", when));
	strvec_push(env, xasprintf("STAU_MESSAGE=%s", r->message ? r->message : ""));
	return add_failed_chunks(st, dir, r->id, env);
}

/* ---- running it ---- */

/* The last line of text, as a new string ("" for none). */
static char *last_line(const char *text)
{
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	size_t start = n;
	while (start && text[start - 1] != '\n')
		start--;
	return xstrndup(text + start, n - start);
}

/* How the hook went: "exit 0", "exit 2: what it said last on stderr", "timed out after 60s",
 * "killed by signal KILL", "cannot execute 'x': No such file or directory". */
static char *hook_outcome(const struct proc_result *res, const char *prog)
{
	char buf[64];
	if (res->exec_errno)
		return xasprintf("cannot execute '%s': %s", prog, strerror(res->exec_errno));
	if (res->chdir_errno)
		return xasprintf("cannot enter the project directory: %s",
				 strerror(res->chdir_errno));
	if (res->timed_out) {
		duration_format(MONITOR_HOOK_TIMEOUT_MS, DURATION_EXACT, buf, sizeof(buf));
		return xasprintf("timed out after %s", buf);
	}
	if (res->signal)
		return xstrdup(proc_killed_by(res->signal, buf, sizeof(buf)));
	char *said = last_line(res->err.buf ? res->err.buf : "");
	char *s = *said ? xasprintf("exit %d: %s", res->exit_code, said)
			: xasprintf("exit %d", res->exit_code);
	free(said);
	return s;
}

/* Runs the hook for run r; returns how it went (a new string) and whether it failed. */
static char *run_hook(const struct project *p, struct strvec *env, bool *failed)
{
	char *const *argv = p->sched.settings.on_failure;
	struct proc_cmd cmd = { .argv = argv, .dir = p->dir, .env_add = env->v,
				.out_max = HOOK_OUTPUT_MAX, .err = PROC_STDERR_CAPTURE,
				.timeout_ms = MONITOR_HOOK_TIMEOUT_MS, .grace_ms = HOOK_GRACE_MS };
	struct proc_result res;
	char *outcome;
	if (proc_capture(&cmd, &res))
		outcome = xasprintf("cannot start '%s': %s", argv[0], strerror(errno));
	else
		outcome = hook_outcome(&res, argv[0]);
	*failed = strcmp(outcome, "exit 0") != 0;
	proc_result_release(&res);
	return outcome;
}

/* Claims the hook of failed run `run` and runs it. Returns 1 when this process took it, 0
 * when another did, -1 on a state error. */
static int hook_of_run(struct state *st, const struct project *p, int64_t run, int64_t now,
		       const struct monitor_out *out)
{
	int rc = state_alert_claim(st, run, now);
	if (rc <= 0)
		return rc;
	if (!p->sched.settings.on_failure)
		return state_alert_record(st, run, "not configured") ? -1 : 1;
	struct state_run r;
	struct strvec env = { 0 };
	rc = state_run_get(st, run, &r);
	if (rc <= 0)
		return rc < 0 ? -1 : 1; /* pruned meanwhile */
	bool failed = false;
	char *outcome = NULL;
	if (!hook_env(st, p->dir, &r, &env))
		outcome = run_hook(p, &env, &failed);
	if (failed)
		say(out, "on_failure of %s run %lld failed: %s", r.job, (long long)run, outcome);
	rc = !outcome || state_alert_record(st, run, outcome) ? -1 : 1;
	free(outcome);
	strvec_release(&env);
	state_run_release(&r);
	return rc;
}

int monitor_hooks(struct state *st, const struct project *p, int64_t now,
		  const struct monitor_out *out)
{
	int64_t *runs;
	size_t n;
	int taken = 0;
	if (!p->sched.settings.on_failure && !p->sched.settings_ok)
		return 0; /* schedule.yaml may set one that could not be read: wait for it */
	if (state_alerts_pending(st, &runs, &n))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		int rc = hook_of_run(st, p, runs[i], now, out);
		if (rc < 0) {
			free(runs);
			goto fail;
		}
		taken += rc;
	}
	free(runs);
	return taken;
fail:
	say(out, "%s", state_errmsg(st));
	return -1;
}

/* ---- the metrics file ---- */

/* Whether the file at path shows the database's state version (then it needs no rewrite). */
static int file_is_current(struct state *st, const char *path)
{
	int64_t version;
	if (state_runs_changed(st, &version))
		return -1;
	char *text = read_regular_file(path, NULL, NULL);
	int64_t shown = metrics_text_version(text);
	free(text);
	return shown == version;
}

static int write_metrics(struct state *st, const struct project *p, const char *path,
			 int64_t now, const struct monitor_out *out)
{
	struct strbuf sb = STRBUF_INIT;
	char err[512];
	if (metrics_text(p, st, now, &sb, err, sizeof(err))) {
		say(out, "%s", err);
		return -1;
	}
	int rc = write_file_atomic(path, sb.buf, sb.len, 0644);
	if (rc)
		say(out, "cannot write the metrics file '%s': %s; check settings.metrics_file", path,
		    strerror(errno));
	sb_release(&sb);
	return rc ? -1 : 1;
}

int monitor_metrics_file(struct state *st, const char *dir, const struct project *p, bool full,
			 int64_t now, const struct monitor_out *out)
{
	const char *file = p->sched.settings.metrics_file;
	if (!file)
		return 0;
	char *path = file[0] == '/' ? xstrdup(file) : xasprintf("%s/%s", dir, file);
	int rc = full ? 0 : file_is_current(st, path);
	if (rc < 0)
		say(out, "%s", state_errmsg(st));
	if (rc == 0 && full) {
		rc = write_metrics(st, p, path, now, out);
	} else if (rc == 0) {
		struct project whole;
		project_load(dir, &whole);
		rc = write_metrics(st, &whole, path, now, out);
		project_release(&whole);
	} else if (rc == 1) {
		rc = 0;
	}
	free(path);
	return rc;
}
