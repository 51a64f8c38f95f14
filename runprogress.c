/* runprogress.c - running one run to its end in the foreground, showing its progress:
 * what `stau run` and `stau retry` share.
 *
 * Progress: in a terminal, one line redrawn in place ("[3/10 done, 1 failed, 2 running] 4.2s
 * job_B 2/5"), at most ten times a second, since each redraw counts the run's chunks in the
 * database. Elsewhere (a pipe, a log file) one plain line per chunk start and end, which is
 * what a reader of a log wants. Failures go to stderr in the same words as tick's.
 *
 * The run goes through the same engine as a scheduled one, so a run started by hand may
 * share chunks with ticks running at the same time; this process only claims chunks of its
 * own run and waits until the run has ended, retries included. */
#include "runprogress.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "failtext.h"
#include "monitor.h"
#include "msg.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"

#define REDRAW_MS 100

/* The progress of one run executed by this process (run_execute). */
struct progress {
	struct state *st;
	int64_t run;
	bool live;	      /* redraw one line in place */
	int64_t t0_ms;	      /* when the engine started, monotonic */
	int64_t drawn_ms;     /* last redraw of the progress line */
	bool line_shown;      /* a progress line is on the terminal */
	char *last_started;   /* "job_B 2/5" */
	size_t running;	      /* chunks of ours running */
};

/* ---- progress ---- */

static void clear_line(struct progress *g)
{
	if (g->line_shown) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
		g->line_shown = false;
	}
}

static void draw(struct progress *g, bool force)
{
	int64_t now = monotonic_ms();
	if (!g->live || msg_verbosity < 0 || (!force && now - g->drawn_ms < REDRAW_MS))
		return;
	struct state_run run;
	if (state_run_get(g->st, g->run, &run) != 1)
		return;
	size_t total = 0;
	for (int s = 0; s < CHUNK_STATE_N; s++)
		total += run.counts[s];
	char el[32];
	term_duration_ms(now - g->t0_ms, el, sizeof(el));
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "\r\033[K[%zu/%zu done", run.counts[CHUNK_DONE], total);
	if (run.counts[CHUNK_FAILED])
		sb_addf(&sb, ", %zu failed", run.counts[CHUNK_FAILED]);
	if (run.counts[CHUNK_CANCELED])
		sb_addf(&sb, ", %zu canceled", run.counts[CHUNK_CANCELED]);
	sb_addf(&sb, ", %zu running] %s", run.counts[CHUNK_RUNNING], el);
	if (g->last_started && g->running)
		sb_addf(&sb, " %s", g->last_started);
	fputs(sb.buf, stdout);
	fflush(stdout);
	sb_release(&sb);
	state_run_release(&run);
	g->line_shown = true;
	g->drawn_ms = now;
}

static void plain(struct progress *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void plain(struct progress *g, const char *fmt, ...)
{
	if (g->live || msg_verbosity < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void run_started(void *ctx, const struct state_chunk *c)
{
	struct progress *g = ctx;
	free(g->last_started);
	g->last_started = xasprintf("%s %zu/%zu", c->job, c->index, c->count);
	g->running++;
	plain(g, "start %s %zu/%zu (chunk %lld, attempt %d)\n", c->job, c->index, c->count,
	      (long long)c->id, c->attempt);
	draw(g, false);
}

static void run_finished(void *ctx, const struct state_chunk *c, const struct engine_finish *f)
{
	struct progress *g = ctx;
	char *text = engine_failure_text(f), *line;
	char d[40];
	if (f->started && g->running)
		g->running--;
	switch (f->outcome) {
	case ENGINE_DONE:
		term_duration_ms(f->duration_ms, d, sizeof(d));
		plain(g, "done %s %zu/%zu in %s\n", c->job, c->index, c->count, d);
		break;
	case ENGINE_RETRY:
		time_format(f->retry_at, NULL, d, sizeof(d));
		plain(g, "retry %s %zu/%zu: %s; again at %s\n", c->job, c->index, c->count, text,
		      d);
		break;
	case ENGINE_FAILED:
		clear_line(g);
		plain(g, "failed %s %zu/%zu: %s\n", c->job, c->index, c->count, text);
		line = failtext_line(g->st, c, f, NULL);
		error("%s", line);
		free(line);
		break;
	}
	free(text);
	draw(g, f->outcome == ENGINE_FAILED);
}

static void run_idle(void *ctx)
{
	draw(ctx, false);
}

/* ---- the run ---- */

int run_queue(struct state *st, const struct project *p, struct run_request *r, int64_t *id)
{
	char err[512];
	struct idlist sel = IDLIST_INIT;
	bool has_ids = r->has_ids;
	r->failed = NULL;
	if (!has_ids && r->select_work &&
	    engine_select_work(p, project_job(p, r->job), r->kwargs, &sel, &has_ids, err,
			       sizeof(err)))
		r->failed = xstrdup(err);
	const int64_t *ids = r->has_ids ? r->ids : sel.v;
	size_t nids = r->has_ids ? r->nids : sel.n;
	char *git = project_git_commit(p->dir);
	struct engine_new_run n = { .job = r->job, .kwargs = r->kwargs, .ids = ids, .nids = nids,
				    .has_ids = has_ids, .force = r->force, .git = git,
				    .fail = r->failed };
	int rc = engine_queue_run(st, p, &n, r->now, id, err, sizeof(err));
	free(git);
	idlist_release(&sel);
	if (rc)
		return error("%s", err), EXIT_STATE;
	return EXIT_OK;
}

void run_warn_jobs(const struct project *p, size_t jobs)
{
	int64_t max = engine_max_parallel(p);
	if (!jobs || (int64_t)jobs <= max)
		return;
	char *cap = xasprintf("at most %lld chunk%s at once", (long long)max,
			      max == 1 ? " runs" : "s run");
	if (p->sched.settings.max_parallel)
		warn("-j %zu is above max_parallel (%lld in schedule.yaml): %s", jobs,
		     (long long)max, cap);
	else
		warn("-j %zu is above max_parallel (the %lld CPUs; set it in schedule.yaml's "
		     "settings to allow more): %s", jobs, (long long)max, cap);
	free(cap);
}

int run_expand_waiting(struct state *st, const struct project *p, int64_t id, int64_t *now)
{
	char err[512];
	bool told = false;
	for (;;) {
		char *why = NULL;
		int x = engine_expand(st, p, id, *now, &why, err, sizeof(err));
		if (x < 0)
			return error("%s", err), EXIT_STATE;
		if (x != EXPAND_WAITING) {
			free(why);
			return EXIT_OK;
		}
		if (!told && msg_verbosity >= 0)
			fprintf(stderr, "stau: run %lld %s\n", (long long)id, why);
		told = true;
		free(why);
		sleep(1);
		(*now)++;
	}
}

/* Whether run ended because it had no work IDs: nothing failed, nothing ran. */
static bool no_work(const struct state_run *run)
{
	return run->state == RUN_CANCELED && run->message && !strcmp(run->message, "no work");
}

static size_t chunk_total(const struct state_run *run)
{
	size_t total = 0;
	for (int s = 0; s < CHUNK_STATE_N; s++)
		total += run->counts[s];
	return total;
}

/* The closing line of a run that went well: done, or (`stau run`) canceled for no work. */
static void say_success(const struct run_exec *x, const struct state_run *run, const char *el)
{
	if (msg_verbosity < 0)
		return;
	size_t n = x->retry && x->retried ? x->retried : chunk_total(run);
	if (run->state == RUN_DONE)
		printf("%s run %lld done: %zu chunk%s %sin %s\n", run->job, (long long)run->id, n,
		       n == 1 ? "" : "s", x->retry ? "retried " : "", el);
	else
		printf("%s run %lld canceled: no work (%s)\n", run->job, (long long)run->id,
		       x->selected ? "select_work gave no IDs" : "no IDs given");
}

/* Says how the run ended. Returns EXIT_OK when it is DONE or (not a retry) had no work,
 * EXIT_FAILED when it failed or was canceled, EXIT_USAGE when it is gone, EXIT_STATE. */
static int report_end(struct state *st, const struct run_exec *x, int64_t elapsed_ms)
{
	struct state_run run;
	int got = state_run_get(st, x->run, &run);
	if (got < 0)
		return error("%s", state_errmsg(st)), EXIT_STATE;
	if (got == 0)
		return error("no run %lld; 'stau status JOB' lists runs", (long long)x->run),
		       EXIT_USAGE;
	char el[32];
	term_duration_ms(elapsed_ms, el, sizeof(el));
	int rc = run.state == RUN_DONE || (!x->retry && no_work(&run)) ? EXIT_OK : EXIT_FAILED;
	if (rc == EXIT_OK)
		say_success(x, &run, el);
	else
		error("%s run %lld %s: %s", run.job, (long long)run.id,
		      run.state == RUN_CANCELED ? "canceled" : "failed",
		      run.message ? run.message : run_state_name(run.state));
	state_run_release(&run);
	return rc;
}

/* Runs the chunks of the run until it has ended; *elapsed_ms gets the time the engine took.
 * Returns EXIT_OK, or EXIT_STATE after printing why. */
static int execute(struct state *st, const struct project *p, const struct run_exec *x,
		   int64_t *elapsed_ms)
{
	struct exec_runner local, *ex = x->ex;
	char err[512];
	if (!ex && exec_local_new(&local, err, sizeof(err)))
		return error("%s", err), EXIT_STATE;
	/* Ctrl-C (or SIGTERM, SIGHUP) ends our chunks and cancels the run */
	volatile sig_atomic_t *interrupted = engine_stop_on_signals();
	struct engine_opts o = { .run = x->run, .jobs = x->jobs, .wait_run = true,
				 .now = x->now, .stop = interrupted };
	struct progress g = { .st = st, .run = x->run, .live = x->live, .t0_ms = monotonic_ms() };
	struct engine_hooks h = { run_started, run_finished, run_idle, &g };
	int rc = engine_run(st, p, ex ? ex : &local, &o, &h, NULL, err, sizeof(err));
	if (!ex)
		local.ops->destroy(local.self);
	clear_line(&g);
	free(g.last_started);
	*elapsed_ms = monotonic_ms() - g.t0_ms;
	if (rc)
		return error("%s", err), EXIT_STATE;
	if (*interrupted && state_run_cancel(st, x->run, "interrupted", x->now, NULL, NULL))
		return error("%s", state_errmsg(st)), EXIT_STATE;
	return EXIT_OK;
}

static void hook_failed(void *ctx, const char *text)
{
	(void)ctx;
	error("%s", text);
}

int run_execute(struct state *st, const struct project *p, const struct run_exec *x)
{
	int64_t elapsed_ms;
	int rc = execute(st, p, x, &elapsed_ms);
	if (rc == EXIT_OK)
		rc = report_end(st, x, elapsed_ms);
	/* the on_failure hook of a run that failed here (or of any other whose stau died
	 * before it started it); its own failure is said and changes nothing */
	struct monitor_out out = { hook_failed, NULL };
	monitor_hooks(st, p, x->now, &out);
	return rc;
}
