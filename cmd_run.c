/* cmd_run.c - `stau run JOB [--ids LIST] [--ids-file F] [--kw K=V]... [--force] [--dry-run]
 * [-j N] [--now TIME]`: a manual run, now, with live progress (SPEC §9).
 *
 * The run goes through the same steps as a scheduled one (queue, expand, engine), so a run
 * started by hand and one started by cron are recorded alike and may share chunks with
 * ticks running at the same time; this process only claims chunks of its own run and waits
 * until the run has ended, retries included.
 *
 * Progress: in a terminal, one line redrawn in place ("[3/10 done, 1 failed, 2 running] 4.2s
 * job_B 2/5"), at most ten times a second, since each redraw counts the run's chunks in the
 * database. Elsewhere (a pipe, a log file) one plain line per chunk start and end, which is
 * what a reader of a log wants. Failures go to stderr in the same words as tick's. `stau
 * retry` executes the run it reopened through the same code (run_expand_waiting, run_execute),
 * with the plain lines.
 *
 * Exit status: 0 when the run is DONE, and also when it was canceled for "no work" (its
 * select_work, or --ids, gave no IDs: nothing failed, there was nothing to run; said on
 * stdout); 1 when it failed or a person canceled it (Ctrl-C, `stau cancel`).
 *
 * --kw K=V: V is taken as JSON when it is a JSON number, true, false or null, else as a
 * string; so --kw n=5 gives 5, --kw name=007 gives "007" (not a JSON number), and no value
 * is ever parsed by a shell. --dry-run expands the plan against the real freshness records
 * and prints it without writing anything. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "engine.h"
#include "json.h"
#include "msg.h"
#include "plan.h"
#include "project.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"
#include "workids.h"

#define REDRAW_MS 100

struct run_opts {
	const char *job;
	struct idlist ids;
	bool has_ids;
	struct kvlist kw;
	bool force, dry_run;
	size_t jobs;
	int64_t now;
};

struct run_cmd {
	struct ctx *ctx;
	struct run_opts o;
	struct state *st;
	struct project p;
	int64_t id;
	bool selected;	      /* the work IDs came from the job's select_work */
};

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

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- options ---- */

/* Whether s is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

static int add_kw(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return usage_error("run", "--kw: '%s' is not KEY=VALUE", arg);
	char *key = xstrndup(arg, (size_t)(eq - arg));
	const char *v = eq + 1;
	char *json;
	if (json_number(v) || !strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "null")) {
		json = xstrdup(v);
	} else {
		struct strbuf sb = STRBUF_INIT;
		json_quote(&sb, v, strlen(v));
		json = sb_detach(&sb);
	}
	kv_set(&o->kw, key, json);
	free(key);
	free(json);
	return EXIT_OK;
}

static int add_ids(struct run_opts *o, const char *what, const char *text, size_t len)
{
	char err[512];
	if (workids_parse(what, text, len, WORKIDS_RANGES, &o->ids, err, sizeof(err)))
		return usage_error("run", "%s", err);
	o->has_ids = true;
	return EXIT_OK;
}

static int add_ids_file(struct run_opts *o, const char *file)
{
	size_t len;
	char *text = read_file(file, &len);
	if (!text)
		return usage_error("run", "--ids-file: cannot read '%s': %s", file, strerror(errno));
	int rc = add_ids(o, file, text, len);
	free(text);
	return rc;
}

static int parse_run_opts(struct run_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ids", required_argument, NULL, 'i' },   { "ids-file", required_argument, NULL, 'I' },
		{ "kw", required_argument, NULL, 'k' },	   { "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'd' },	   OPTION_NOW,
		{ NULL, 0, NULL, 0 },
	};
	struct cmdopt co;
	int c, rc = EXIT_OK;
	cmdopt_init(&co, "run");
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":j:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': rc = add_ids(o, "--ids", optarg, strlen(optarg)); break;
		case 'I': rc = add_ids_file(o, optarg); break;
		case 'k': rc = add_kw(o, optarg); break;
		case 'f': o->force = true; break;
		case 'd': o->dry_run = true; break;
		default: rc = cmdopt_common(&co, c, argv);
		}
	}
	o->now = co.now;
	o->jobs = co.jobs;
	if (rc != EXIT_OK)
		return rc;
	if (optind >= argc)
		return usage_error("run", "which job? give its job type, e.g. 'stau run job_A'");
	if (optind + 1 < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind + 1]);
	o->job = argv[optind];
	idlist_sort_unique(&o->ids);
	return EXIT_OK;
}

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
	int64_t now = mono_ms();
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
	char *text = engine_failure_text(f);
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
		error("%s run %lld chunk %zu/%zu failed: %s; log %s", c->job, (long long)c->run,
		      c->index, c->count, text, c->log_path);
		break;
	}
	free(text);
	draw(g, f->outcome == ENGINE_FAILED);
}

static void run_idle(void *ctx)
{
	draw(ctx, false);
}

/* ---- dry run ---- */

static void print_ids(struct strbuf *sb, const int64_t *ids, size_t n)
{
	char *c = workids_format_compact(ids, n);
	if (strlen(c) > 60)
		strcpy(c + 57, "...");
	sb_addf(sb, "  %zu ID%s: %s", n, n == 1 ? "" : "s", c);
	free(c);
}

static void print_plan(struct run_cmd *r, const struct plan *pl)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "plan for %s: %zu chunk%s", r->o.job, pl->nchunks,
		pl->nchunks == 1 ? "" : "s");
	if (pl->ndrops)
		sb_addf(&sb, ", %zu dependency chunk%s fresh", pl->ndrops,
			pl->ndrops == 1 ? "" : "s");
	sb_adds(&sb, "\n");
	for (size_t i = 0; i < pl->nchunks; i++) {
		const struct plan_chunk *c = &pl->chunks[i];
		const struct plan_task *t = &pl->tasks[c->task];
		sb_addf(&sb, "  %s %zu/%zu", t->node->job->type, c->index, c->count);
		if (pl->has_ids)
			print_ids(&sb, pl->ids + c->id_off, c->nids);
		if (strcmp(t->kwargs_json, "{}"))
			sb_addf(&sb, "  kwargs %s", t->kwargs_json);
		sb_adds(&sb, "\n");
	}
	if (pl->ndrops)
		sb_adds(&sb, "fresh, not run:\n");
	for (size_t i = 0; i < pl->ndrops; i++) {
		const struct plan_drop *d = &pl->drops[i];
		char age[32];
		term_age(r->o.now - d->freshest, age, sizeof(age));
		sb_addf(&sb, "  %s", d->node->job->type);
		if (pl->has_ids)
			print_ids(&sb, pl->ids + d->id_off, d->nids);
		sb_addf(&sb, "  finished %s ago\n", age);
	}
	fputs(sb.buf, stdout);
	sb_release(&sb);
}

static int dry_run(struct run_cmd *r, const struct graph_node *master, const char *kwargs)
{
	char err[512];
	char *why;
	const struct job *job = master->job;
	if (!r->o.has_ids &&
	    engine_select_work(&r->p, job, &r->o.ids, &r->o.has_ids, err, sizeof(err))) {
		error("%s: %s", r->o.job, err);
		return EXIT_FAILED;
	}
	if (engine_job_problem(r->st, &r->p, r->o.job, &why, err, sizeof(err)))
		return error("%s", err), EXIT_STATE;
	struct plan pl;
	struct freshness_src fresh = state_freshness_src(r->st);
	int rc = plan_expand(&pl, &r->p.graph, master, r->o.ids.v, r->o.ids.n, r->o.has_ids, kwargs,
			     r->o.now, r->o.force, &fresh, err, sizeof(err));
	if (rc) {
		free(why);
		error("%s: %s", r->o.job, err);
		return EXIT_FAILED;
	}
	print_plan(r, &pl);
	if (why)
		warn("%s; the run would fail", why);
	free(why);
	plan_release(&pl);
	return EXIT_OK;
}

/* ---- the run ---- */

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

int run_execute(struct state *st, const struct project *p, const struct run_exec *x,
		int64_t *elapsed_ms)
{
	struct exec_runner ex;
	char err[512];
	if (exec_local_new(&ex, err, sizeof(err)))
		return error("%s", err), EXIT_STATE;
	/* Ctrl-C (or SIGTERM, SIGHUP) ends our chunks and cancels the run */
	volatile sig_atomic_t *interrupted = engine_stop_on_signals();
	struct engine_opts o = { .run = x->run, .jobs = x->jobs, .wait_run = true,
				 .now = x->now, .stop = interrupted };
	struct progress g = { .st = st, .run = x->run, .live = x->live, .t0_ms = mono_ms() };
	struct engine_hooks h = { run_started, run_finished, run_idle, &g };
	int rc = engine_run(st, p, &ex, &o, &h, NULL, err, sizeof(err));
	ex.ops->destroy(ex.self);
	clear_line(&g);
	free(g.last_started);
	*elapsed_ms = mono_ms() - g.t0_ms;
	if (rc)
		return error("%s", err), EXIT_STATE;
	if (*interrupted && state_run_cancel(st, x->run, "interrupted", x->now, NULL, NULL))
		return error("%s", state_errmsg(st)), EXIT_STATE;
	return EXIT_OK;
}

/* Whether run ended because it had no work IDs (SPEC §6): nothing failed, nothing ran. */
static bool no_work(const struct state_run *run)
{
	return run->state == RUN_CANCELED && run->message && !strcmp(run->message, "no work");
}

/* Says how the run ended. Returns EXIT_OK when it is DONE or had no work, EXIT_FAILED when it
 * failed or a person canceled it, EXIT_STATE. */
static int finish_report(struct run_cmd *r, int64_t elapsed_ms)
{
	struct state_run run;
	int got = state_run_get(r->st, r->id, &run);
	if (got != 1)
		return got < 0 ? (error("%s", state_errmsg(r->st)), EXIT_STATE) : EXIT_STATE;
	size_t total = 0;
	for (int s = 0; s < CHUNK_STATE_N; s++)
		total += run.counts[s];
	char el[32];
	term_duration_ms(elapsed_ms, el, sizeof(el));
	int rc = run.state == RUN_DONE || no_work(&run) ? EXIT_OK : EXIT_FAILED;
	if (rc != EXIT_OK)
		error("%s run %lld %s: %s", run.job, (long long)run.id,
		      run.state == RUN_CANCELED ? "canceled" : "failed",
		      run.message ? run.message : run_state_name(run.state));
	else if (msg_verbosity >= 0 && run.state == RUN_DONE)
		printf("%s run %lld done: %zu chunk%s in %s\n", run.job, (long long)run.id, total,
		       total == 1 ? "" : "s", el);
	else if (msg_verbosity >= 0)
		printf("%s run %lld canceled: no work (%s)\n", run.job, (long long)run.id,
		       r->selected ? "select_work gave no IDs" : "no IDs given");
	state_run_release(&run);
	return rc;
}

static int execute(struct run_cmd *r)
{
	struct run_exec x = { .run = r->id, .jobs = r->o.jobs, .now = r->o.now,
			      .live = r->ctx->tty };
	int64_t elapsed_ms;
	int rc = run_execute(r->st, &r->p, &x, &elapsed_ms);
	return rc == EXIT_OK ? finish_report(r, elapsed_ms) : rc;
}

static int start_run(struct run_cmd *r, const char *kwargs)
{
	char err[512];
	const struct job *job = project_job(&r->p, r->o.job);
	char *fail = NULL;
	r->selected = !r->o.has_ids;
	if (!r->o.has_ids &&
	    engine_select_work(&r->p, job, &r->o.ids, &r->o.has_ids, err, sizeof(err)))
		fail = xstrdup(err);
	char *git = engine_git_commit(r->p.dir);
	struct engine_new_run n = { .job = r->o.job, .kwargs = kwargs, .ids = r->o.ids.v,
				    .nids = r->o.ids.n, .has_ids = r->o.has_ids,
				    .force = r->o.force, .git = git, .fail = fail };
	int rc = engine_queue_run(r->st, &r->p, &n, r->o.now, &r->id, err, sizeof(err));
	free(git);
	free(fail);
	if (rc)
		return error("%s", err), EXIT_STATE;
	rc = run_expand_waiting(r->st, &r->p, r->id, &r->o.now);
	return rc == EXIT_OK ? execute(r) : rc;
}

static int unknown_job(const struct project *p, const char *type)
{
	const char **names = xcalloc(p->njobs + 1, sizeof(*names));
	for (size_t i = 0; i < p->njobs; i++)
		names[i] = p->jobs[i].type;
	const char *near = spell_suggest(type, names);
	if (near)
		error("unknown job '%s' (did you mean '%s'?)", type, near);
	else
		error("unknown job '%s': no file in jobs/ has that job type; see 'stau status'",
		      type);
	free(names);
	return EXIT_USAGE;
}

int cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct run_cmd r = { .ctx = ctx };
	int rc = parse_run_opts(&r.o, argc, argv);
	char err[512];
	if (rc != EXIT_OK)
		goto out;
	project_load(ctx->dir, &r.p);
	const struct graph_node *master = graph_find(&r.p.graph, r.o.job);
	if (!master) {
		rc = unknown_job(&r.p, r.o.job);
		goto out;
	}
	if (state_open(ctx->dir, &r.st, err, sizeof(err))) {
		error("%s", err);
		rc = EXIT_STATE;
		goto out;
	}
	char *kwargs = kv_to_json(&r.o.kw);
	rc = r.o.dry_run ? dry_run(&r, master, kwargs) : start_run(&r, kwargs);
	free(kwargs);
out:
	state_close(r.st);
	project_release(&r.p);
	idlist_release(&r.o.ids);
	kvlist_release(&r.o.kw);
	return rc;
}
