/* cmd_show.c - `stau show RUN [--json] [--now TIME]`: a run and its chunks.
 *
 * show prints what a person needs to understand a run without opening the database: its
 * trigger, kwargs and work IDs, then one table row per chunk in plan order (dependencies
 * first), then the last lines of output of the chunks that failed, so that the usual
 * question ("why did it fail?") is answered without a second command. Between the table and
 * the failures, a timeline draws each chunk's bar against time (timeline.h), so that what ran
 * in parallel and what waited shows at once; --json has the times instead. Long ID lists are
 * cut at a comma with the count ("1-6,9,… (1000 IDs)"); --json always has them whole. Text
 * that came from jobs (their output, names and messages) is printed with control characters
 * escaped (term_escape), so that no escape sequence in it reaches the terminal. */
#include <getopt.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "cmdopt.h"
#include "json.h"
#include "msg.h"
#include "proc.h"
#include "state.h"
#include "term.h"
#include "timeline.h"
#include "timeutil.h"
#include "util.h"
#include "view.h"
#include "workids.h"

#define IDS_SHOWN_CHUNK 30 /* columns of a chunk's IDs before "… (N IDs)" */
#define IDS_SHOWN_RUN 70   /* the same for the run's own IDs */

/* ids[0..n) compactly, cut at a comma to at most max columns and then ending in
 * ",… (N IDs)"; "-" when there are none. *cut (may be NULL) tells whether it was cut.
 * Newly allocated. */
static char *ids_brief(const int64_t *ids, size_t n, size_t max, bool *cut)
{
	if (cut)
		*cut = false;
	if (!n)
		return xstrdup("-");
	char *all = workids_format_compact(ids, n);
	if (strlen(all) <= max)
		return all;
	size_t end = max;
	while (end > 0 && all[end] != ',')
		end--;
	char *s = xasprintf("%.*s%s\xe2\x80\xa6 (%zu IDs)", (int)end, all, end ? "," : "", n);
	free(all);
	if (cut)
		*cut = true;
	return s;
}

/* The EXIT cell: the exit status ("0", "4"), the signal ("SIGKILL"), or "-" before the end. */
static const char *exit_text(const struct state_chunk *c, char *buf, size_t len)
{
	if (c->signal)
		return proc_signal_name(c->signal, buf, len);
	if (c->exit_code < 0 || !c->finished || c->state == CHUNK_RUNNING)
		return "-";
	snprintf(buf, len, "%d", c->exit_code);
	return buf;
}

/* Prints "LABEL" and s with its control characters escaped, then a newline. */
static void print_escaped(const char *label, const char *s)
{
	char *safe = term_escape(s);
	printf("%s%s\n", label, safe);
	free(safe);
}

/* "code:" and the content hash of each job file the run ran, one per line. */
static void print_code(const struct strvec *code)
{
	for (size_t k = 0; k + 1 < code->n; k += 2) {
		char *job = term_escape(code->v[k]), *hash = term_escape(code->v[k + 1]);
		printf("%s%s %s\n", k ? "           " : "code:      ", job, hash);
		free(job);
		free(hash);
	}
}

static void run_header(const struct view *v, const struct state_run *r, const int64_t *ids,
		       size_t nids, const struct strvec *code)
{
	char buf[48];
	bool color = v->ctx->color;
	enum term_color rc = view_run_color(r->state);
	char *job = term_escape(r->job);
	printf("%srun %lld%s of %s: %s%s%s\n", term_sgr(color, TERM_BOLD), (long long)r->id,
	       term_reset(color, TERM_BOLD), job, term_sgr(color, rc), run_state_name(r->state),
	       term_reset(color, rc));
	free(job);
	char *trig = view_trigger(v, r->entry, r->fire_time);
	printf("trigger:   %s%s\n", trig, r->force ? " (--force)" : "");
	free(trig);
	print_escaped("kwargs:    ", r->kwargs ? r->kwargs : "{}");
	if (r->has_ids) {
		bool cut;
		char *brief = ids_brief(ids, nids, IDS_SHOWN_RUN, &cut);
		if (cut)
			printf("work IDs:  %s\n", brief);
		else
			printf("work IDs:  %s (%zu ID%s)\n", brief, nids, nids == 1 ? "" : "s");
		free(brief);
	} else {
		printf("work IDs:  none\n");
	}
	printf("git:       %s\n", r->git ? r->git : "-");
	print_code(code);
	printf("created:   %s\n", view_time(r->created, v->zone, buf, sizeof(buf)));
	printf("started:   %s\n", view_time(r->started, v->zone, buf, sizeof(buf)));
	printf("finished:  %s", view_time(r->finished, v->zone, buf, sizeof(buf)));
	int64_t secs = view_run_secs(r, v->now);
	if (secs >= 0)
		printf(" (%s %s)", r->finished ? "took" : "running for",
		       view_secs(secs, buf, sizeof(buf)));
	printf("\n");
	if (r->message)
		print_escaped("message:   ", r->message);
}

/* Adds s to t with its control characters escaped. */
static void add_escaped(struct table *t, const char *s)
{
	char *safe = term_escape(s);
	table_add(t, safe);
	free(safe);
}

/* The time of day of t in zone ("10:20:03"), or "-". */
static const char *fmt_clock(int64_t t, const struct tz *zone, char *buf, size_t len)
{
	if (!t)
		return strcpy(buf, "-");
	char iso[48];
	time_format(t, zone, iso, sizeof(iso));
	snprintf(buf, len, "%.8s", iso + 11);
	return buf;
}

/* Chunk c's Slurm job: "-" when it ran here, "submitting" before sbatch answered. */
static void add_slurm(struct table *t, int64_t job)
{
	if (job > 0)
		table_addf(t, "%lld", (long long)job);
	else
		table_add(t, job == 0 ? "submitting" : "-");
}

static void chunk_row(const struct view *v, const struct state_chunk *c, int64_t slurm,
		      bool show_slurm, struct table *t)
{
	char buf[48];
	table_addf(t, "%lld", (long long)c->id);
	add_escaped(t, c->job);
	table_addf(t, "%zu/%zu", c->index, c->count);
	char *ids = ids_brief(c->ids, c->has_ids ? c->nids : 0, IDS_SHOWN_CHUNK, NULL);
	table_add(t, ids);
	free(ids);
	view_add_cell(t, v->ctx->color, view_chunk_color(c->state), chunk_state_name(c->state));
	table_addf(t, "%d", c->attempt);
	table_add(t, fmt_clock(c->started, v->zone, buf, sizeof(buf)));
	table_add(t, view_chunk_duration(v, c, buf, sizeof(buf)));
	table_add(t, exit_text(c, buf, sizeof(buf)));
	if (show_slurm)
		add_slurm(t, slurm);
	add_escaped(t, c->log_path ? c->log_path : "-");
	char *msg = term_escape(c->message);
	if (c->state == CHUNK_PENDING && c->not_before) {
		/* a failed attempt waiting for its retry */
		char when[48];
		table_addf(t, "%s%sretry at %s", msg ? msg : "", msg ? "; " : "",
			   view_time(c->not_before, v->zone, when, sizeof(when)));
	} else {
		table_add(t, msg);
	}
	free(msg);
}

/* The chunks' table; with a SLURM column (its job id) when a chunk went to Slurm. */
static void print_chunks(const struct view *v, const struct state_chunk *cs, size_t n,
			 const int64_t *slurm)
{
	static const char *const head[] = { "CHUNK",   "JOB",	   "I/N",  "IDS",   "STATE",
					    "TRY",     "STARTED",  "DURATION", "EXIT", "SLURM",
					    "LOG",     "MESSAGE" };
	if (!n) {
		printf("\nno chunks\n");
		return;
	}
	bool show_slurm = false;
	for (size_t i = 0; i < n; i++)
		show_slurm |= slurm[i] >= 0;
	struct table t;
	table_init(&t, ARRAY_SIZE(head) - !show_slurm);
	table_align_right(&t, 0);
	table_align_right(&t, 5);
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		if (show_slurm || strcmp(head[c], "SLURM"))
			table_add(&t, head[c]);
	for (size_t i = 0; i < n; i++)
		chunk_row(v, &cs[i], slurm[i], show_slurm, &t);
	struct strbuf sb = STRBUF_INIT;
	table_render(&t, &sb);
	printf("\n%s", sb.buf);
	sb_release(&sb);
	table_release(&t);
}

/* ---- the timeline ---- */

/* The columns of the terminal on stdout, or 80 when it is not one. */
static size_t show_width(const struct view *v)
{
	struct winsize ws;
	if (v->ctx->tty && !ioctl(1, TIOCGWINSZ, &ws) && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* A bar per chunk against time, after the table (timeline.h). */
static void print_timeline(const struct view *v, const struct state_chunk *cs, size_t n)
{
	struct timeline_opts o = { .width = show_width(v), .color = v->ctx->color,
				   .now = v->now, .zone = v->zone };
	struct strbuf sb = STRBUF_INIT;
	timeline_render(&sb, cs, n, &o);
	if (sb.len)
		printf("\n%s", sb.buf);
	sb_release(&sb);
}

/* How an attempt ended, for the failure section: "exit 1", "killed by SIGKILL", "timed out
 * after 2h"; newly allocated. */
static char *ending_text(const struct state_chunk *c)
{
	char buf[32];
	struct strbuf sb = STRBUF_INIT;
	if (c->signal)
		sb_addf(&sb, "killed by %s", proc_signal_name(c->signal, buf, sizeof(buf)));
	else if (c->exit_code >= 0)
		sb_addf(&sb, "exit %d", c->exit_code);
	if (c->message)
		sb_addf(&sb, "%s%s", sb.len ? ", " : "", c->message);
	return sb.len ? sb_detach(&sb) : xstrdup("failed");
}

/* A chunk's last lines of output, indented, each with its control characters escaped. */
static void print_tail_lines(const char *line)
{
	struct strbuf sb = STRBUF_INIT;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		sb.len = 0;
		term_add_escaped(&sb, line, len);
		printf("    %s\n", sb.buf);
		line += len + (end != NULL);
	}
	sb_release(&sb);
}

/* The last lines of output of each chunk whose attempt failed, indented. */
static void print_tails(const struct view *v, const struct state_chunk *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct state_chunk *c = &cs[i];
		if (!c->tail || !*c->tail || c->state == CHUNK_DONE)
			continue;
		char *how = ending_text(c), *job = term_escape(c->job);
		char *safe_how = term_escape(how);
		printf("\n%schunk %lld (%s %zu/%zu) attempt %d: %s%s\n",
		       term_sgr(v->ctx->color, TERM_RED), (long long)c->id, job, c->index,
		       c->count, c->attempt, safe_how, term_reset(v->ctx->color, TERM_RED));
		free(safe_how);
		free(job);
		free(how);
		print_tail_lines(c->tail);
	}
}

static void json_chunk(struct json *j, const struct view *v, const struct state_chunk *c,
		       int64_t slurm)
{
	json_object_begin(j);
	view_json_chunk(j, v, c);
	json_kstr(j, "executor", slurm >= 0 ? "slurm" : "local");
	if (slurm > 0)
		json_kint(j, "slurm_job", slurm);
	else
		json_knull(j, "slurm_job");
	char *ids = workids_format_compact(c->ids, c->has_ids ? c->nids : 0);
	json_kstr(j, "work_ids", ids);
	free(ids);
	json_kint(j, "nids", c->has_ids ? (int64_t)c->nids : 0);
	view_json_time(j, v, "not_before", c->state == CHUNK_PENDING ? c->not_before : 0);
	json_kstr(j, "tail", c->tail);
	json_key(j, "kwargs");
	json_raw(j, c->kwargs);
	json_key(j, "depends_on");
	json_array_begin(j);
	for (size_t k = 0; k < c->ndeps; k++)
		json_int(j, c->deps[k]);
	json_array_end(j);
	json_object_end(j);
}

static void print_show_json(const struct view *v, const struct state_run *r, const int64_t *ids,
			    size_t nids, const struct strvec *code, const struct state_chunk *cs,
			    size_t n, const int64_t *slurm)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	view_json_run(&j, v, r);
	json_key(&j, "kwargs");
	json_raw(&j, r->kwargs ? r->kwargs : "{}");
	json_kbool(&j, "has_ids", r->has_ids);
	char *compact = workids_format_compact(ids, r->has_ids ? nids : 0);
	json_kstr(&j, "work_ids", compact);
	free(compact);
	json_kint(&j, "nids", r->has_ids ? (int64_t)nids : 0);
	json_kstr(&j, "git", r->git);
	json_key(&j, "code");
	json_object_begin(&j);
	for (size_t k = 0; k + 1 < code->n; k += 2)
		json_kstr(&j, code->v[k], code->v[k + 1]);
	json_object_end(&j);
	json_kbool(&j, "force", r->force);
	json_key(&j, "chunk_list");
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++)
		json_chunk(&j, v, &cs[i], slurm[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	view_print_json(&sb);
}

/* Per chunk of cs[0..n), the Slurm job of its last attempt: -1 when it did not go to Slurm,
 * 0 before sbatch answered. A new array, or NULL on a state error. */
static int64_t *slurm_jobs(struct view *v, const struct state_chunk *cs, size_t n)
{
	int64_t *job = xcalloc(n + 1, sizeof(*job));
	for (size_t i = 0; i < n; i++) {
		int got = cs[i].attempt ? state_chunk_slurm(v->st, cs[i].id, cs[i].attempt, &job[i])
					: 0;
		if (got < 0) {
			free(job);
			return NULL;
		}
		if (!got)
			job[i] = -1;
	}
	return job;
}

/* Shows run id, its header, chunks and failures (or JSON). */
static int show_run(struct view *v, int64_t id)
{
	struct state_run r;
	int rc = view_get_run(v, id, &r);
	if (rc != EXIT_OK)
		return rc;
	int64_t *ids = NULL;
	size_t nids = 0;
	struct state_chunk *cs = NULL;
	size_t n = 0;
	int64_t *slurm = NULL;
	struct strvec code = { 0 };
	if (state_run_ids(v->st, id, &ids, &nids) || state_run_chunks(v->st, id, true, &cs, &n) ||
	    state_run_code(v->st, id, &code) || !(slurm = slurm_jobs(v, cs, n))) {
		rc = view_state_error(v);
	} else if (v->json) {
		print_show_json(v, &r, ids, nids, &code, cs, n, slurm);
	} else {
		run_header(v, &r, ids, nids, &code);
		print_chunks(v, cs, n, slurm);
		print_timeline(v, cs, n);
		print_tails(v, cs, n);
	}
	state_chunks_free(cs, n);
	free(slurm);
	strvec_release(&code);
	free(ids);
	state_run_release(&r);
	return rc;
}

int cmd_show(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { OPTION_JSON, OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "show");
	int rc = cmdopt_parse(&o, argc, argv, ":", longopts);
	if (rc != EXIT_OK)
		return rc;
	if (argc - optind != 1)
		return usage_error("show", "%s",
				   argc == optind ? "missing the run id" : "give one run id");
	int64_t id;
	rc = cmdopt_run_id("show", argv[optind], &id);
	if (rc != EXIT_OK)
		return rc;
	struct view v = { .now = o.now, .json = o.json };
	view_init(&v, ctx);
	return show_run(&v, id);
}
