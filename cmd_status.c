/* cmd_status.c - `stau status [JOB]`: every job's last result, freshness, health and schedule.
 *
 * The rows come from health.h: the project on disk (jobs, entries, problems) and the
 * database (runs, chunks, counters), read without writing anything; before the first run
 * there is no database and every job is "never run". Status must be right at a glance
 * (docs/design.md, "Commands and exit status"): a job whose newest run failed shows FAILED
 * whatever its last chunk did, a run whose stau process is gone shows LOST at once, a job
 * that cannot run shows BROKEN with the reason, and each schedule entry has a row of its own
 * with its next fire time, or "disabled", and the fire times it missed or skipped.
 *
 * The text fits 80 columns for usual names: one table of jobs (the schedule lives in the
 * table of entries below it, where the next fire times are absolute), with what needs words
 * (BROKEN, LOST, missed fire times) on indented lines under its row. Everything that came
 * from job files or the database is printed with control characters escaped
 * (term_escape). `stau status JOB` shows one job in lines, then its recent runs. --json has
 * the same data with times in UTC, its shape documented in stau.1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdopt.h"
#include "health.h"
#include "json.h"
#include "msg.h"
#include "project.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"
#include "view.h"

#define DEFAULT_RUNS 10 /* runs listed by `stau status JOB` */

/* ---- cells ---- */

/* Adds s (may be NULL) to t with its control characters escaped. */
static void add_text(struct table *t, const char *s)
{
	char *safe = term_escape(s ? s : "");
	table_add(t, safe);
	free(safe);
}

static enum term_color result_color(enum health_result r)
{
	switch (r) {
	case RESULT_DONE: return TERM_GREEN;
	case RESULT_FAILED: case RESULT_LOST: return TERM_RED;
	case RESULT_CANCELED: return TERM_YELLOW;
	case RESULT_NEVER: return TERM_DIM;
	default: return TERM_BLUE;
	}
}

/* How long the job's part in its run took, or has been taking; -1 before it started. */
static int64_t row_secs(const struct view *v, const struct health_job *row)
{
	if (!row->started)
		return -1;
	return (row->finished ? row->finished : v->now) - row->started;
}

/* "59m ago", "2/5 IDs fresh" when some IDs of its last run are not, or "-". buf >= 64 bytes. */
static const char *fresh_cell(const struct view *v, const struct health_job *row, char *buf,
			      size_t len)
{
	if (row->ids_known && row->fresh_ids < row->nids)
		snprintf(buf, len, "%zu/%zu IDs fresh", row->fresh_ids, row->nids);
	else if (row->last_success)
		term_relative(row->last_success, v->now, buf, len);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* An entry's trigger for people: "every 15m" or the cron expression as written. Newly
 * allocated. */
static char *trigger_desc(const struct entry *e)
{
	char buf[32];
	if (e->trigger.kind == TRIGGER_EVERY) {
		duration_format(e->trigger.every * 1000, DURATION_EXACT, buf, sizeof(buf));
		return xasprintf("every %s", buf);
	}
	if (e->cron_text)
		return xstrdup(e->cron_text);
	/* trigger_text is "cron F F F F F ZONE"; show the fields */
	const char *t = e->trigger_text ? e->trigger_text : "";
	if (!strncmp(t, "cron ", 5))
		t += 5;
	const char *sp = strrchr(t, ' ');
	return sp ? xstrndup(t, (size_t)(sp - t)) : xstrdup(t);
}

/* Fire time t of entry e in its zone, as ISO 8601 into buf (>= 48 bytes). */
static const char *entry_time(const struct view *v, int64_t t, const struct entry *e, char *buf,
			      size_t len)
{
	return view_time(t, view_entry_zone(v, e), buf, len);
}

/* ---- the table of jobs ---- */

static void job_row(const struct view *v, const struct health_job *row, struct table *t)
{
	char buf[64];
	bool color = v->ctx->color;
	add_text(t, row->job->type);
	if (row->run)
		table_addf(t, "#%lld", (long long)row->run);
	else
		table_add(t, "-");
	view_add_cell(t, color, result_color(row->result), health_result_name(row->result));
	if (row->finished)
		term_relative(row->finished, v->now, buf, sizeof(buf));
	table_add(t, row->finished ? buf : "-");
	int64_t secs = row_secs(v, row);
	table_add(t, secs < 0 ? "-" : view_secs(secs, buf, sizeof(buf)));
	table_add(t, fresh_cell(v, row, buf, sizeof(buf)));
	if (row->next >= 0)
		term_relative(row->next, v->now, buf, sizeof(buf));
	table_add(t, row->next >= 0 ? buf : "-");
}

/* The words under a job's row, each line starting with indent: why it is BROKEN, whose stau
 * is gone. */
static void job_notes(const struct view *v, const struct health_job *row, const char *indent,
		      struct strbuf *sb)
{
	bool color = v->ctx->color;
	if (row->problem) {
		sb_addf(sb, "%s%sBROKEN: ", indent, term_sgr(color, TERM_RED));
		term_add_escaped(sb, row->problem, strlen(row->problem));
		sb_addf(sb, "%s\n", term_reset(color, TERM_RED));
	}
	if (row->result != RESULT_LOST)
		return;
	sb_addf(sb, "%s%sLOST:%s ", indent, term_sgr(color, TERM_RED), term_reset(color, TERM_RED));
	if (row->lost_owner > 0)
		sb_addf(sb, "stau process %d of run %lld is gone", (int)row->lost_owner,
			(long long)row->run);
	else
		sb_addf(sb, "the stau process of run %lld is gone", (long long)row->run);
	sb_adds(sb, "; the next tick recovers it\n");
}

/* Renders a table whose rows may be followed by note lines: notes[r] (may be empty) is
 * printed after row r + 1 (row 0 is the head). */
static void render_with_notes(const struct table *t, char **notes, struct strbuf *out)
{
	struct strbuf all = STRBUF_INIT;
	table_render(t, &all);
	const char *line = all.buf ? all.buf : "";
	for (size_t r = 0; *line; r++) {
		const char *end = strchr(line, '\n');
		sb_add(out, line, (size_t)(end - line) + 1);
		if (r > 0 && notes[r - 1])
			sb_adds(out, notes[r - 1]);
		line = end + 1;
	}
	sb_release(&all);
}

static void print_jobs_table(const struct view *v, const struct health *h, struct strbuf *out)
{
	static const char *const head[] = { "JOB",	"RUN",	 "RESULT", "FINISHED",
					    "DURATION", "FRESH", "NEXT" };
	struct table t;
	table_init(&t, ARRAY_SIZE(head));
	table_align_right(&t, 1);
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		table_add(&t, head[c]);
	char **notes = xcalloc(h->njobs + 1, sizeof(*notes));
	for (size_t i = 0; i < h->njobs; i++) {
		struct strbuf sb = STRBUF_INIT;
		job_row(v, &h->jobs[i], &t);
		job_notes(v, &h->jobs[i], "  ", &sb);
		notes[i] = sb.len ? sb_detach(&sb) : NULL;
		sb_release(&sb);
	}
	render_with_notes(&t, notes, out);
	for (size_t i = 0; i < h->njobs; i++)
		free(notes[i]);
	free(notes);
	table_release(&t);
}

/* ---- the table of entries ---- */

/* "2 fire times, the latest 2026-01-01T12:00:00+00:00" of entry e ("fire times, the latest
 * ..." when they were recorded before the database counted them) into buf (>= 96 bytes);
 * NULL when there is none. */
static const char *fire_text(const struct view *v, const struct entry *e, int64_t count,
			     int64_t latest, char *buf, size_t len)
{
	char when[48];
	if (latest == INT64_MIN)
		return NULL;
	entry_time(v, latest, e, when, sizeof(when));
	if (count > 0)
		snprintf(buf, len, "%lld fire time%s, the latest %s", (long long)count,
			 count == 1 ? "" : "s", when);
	else
		snprintf(buf, len, "fire times, the latest %s", when);
	return buf;
}

/* "  missed 2 fire times, the latest ..." (what: "missed") under an entry's row. */
static void add_fire_note(const struct view *v, const struct entry *e, const char *what,
			  int64_t count, int64_t latest, struct strbuf *sb)
{
	char buf[128];
	if (fire_text(v, e, count, latest, buf, sizeof(buf)))
		sb_addf(sb, "  %s %s\n", what, buf);
}

static void entry_notes(const struct view *v, const struct health_entry *he, struct strbuf *sb)
{
	if (he->e->problem)
		sb_addf(sb, "  %sdisabled: %s%s\n", term_sgr(v->ctx->color, TERM_RED), he->problem,
			term_reset(v->ctx->color, TERM_RED));
	else if (he->problem && he->e->enabled)
		sb_addf(sb, "  %snot run: %s%s\n", term_sgr(v->ctx->color, TERM_RED), he->problem,
			term_reset(v->ctx->color, TERM_RED));
	add_fire_note(v, he->e, "missed", he->missed, he->last_missed, sb);
	add_fire_note(v, he->e, "skipped", he->skipped, he->last_skipped, sb);
}

static void entry_row(const struct view *v, const struct health_entry *he, struct table *t)
{
	char buf[48];
	add_text(t, he->e->id);
	add_text(t, he->e->job);
	char *desc = trigger_desc(he->e);
	add_text(t, desc);
	free(desc);
	if (he->e->problem)
		view_add_cell(t, v->ctx->color, TERM_RED, "disabled");
	else if (!he->e->enabled)
		view_add_cell(t, v->ctx->color, TERM_DIM, "disabled");
	else
		table_add(t, he->next < 0 ? "-" : entry_time(v, he->next, he->e, buf, sizeof(buf)));
}

static void print_entries_table(const struct view *v, const struct health *h,
				struct strbuf *out)
{
	static const char *const head[] = { "ENTRY", "JOB", "SCHEDULE", "NEXT" };
	if (!h->nentries)
		return;
	struct table t;
	table_init(&t, ARRAY_SIZE(head));
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		table_add(&t, head[c]);
	char **notes = xcalloc(h->nentries, sizeof(*notes));
	for (size_t i = 0; i < h->nentries; i++) {
		struct strbuf sb = STRBUF_INIT;
		entry_row(v, &h->entries[i], &t);
		entry_notes(v, &h->entries[i], &sb);
		notes[i] = sb.len ? sb_detach(&sb) : NULL;
		sb_release(&sb);
	}
	sb_adds(out, "\n");
	render_with_notes(&t, notes, out);
	for (size_t i = 0; i < h->nentries; i++)
		free(notes[i]);
	free(notes);
	table_release(&t);
}

/* ---- JSON ---- */

static void json_entry(struct json *j, const struct view *v, const struct health_entry *he)
{
	const struct entry *e = he->e;
	json_object_begin(j);
	json_kstr(j, "entry", e->id);
	json_kstr(j, "name", e->name);
	char *desc = trigger_desc(e);
	json_kstr(j, "trigger", desc);
	free(desc);
	json_kstr(j, "timezone", tz_name(view_entry_zone(v, e)));
	json_kstr(j, "job", e->job);
	json_kbool(j, "enabled", e->enabled);
	json_kbool(j, "disabled", !e->enabled || e->problem);
	view_json_time(j, v, "next", he->next < 0 ? INT64_MIN : he->next);
	view_json_time(j, v, "last_handled", he->last_handled);
	view_json_time(j, v, "last_missed", he->last_missed);
	view_json_time(j, v, "last_skipped", he->last_skipped);
	json_kint(j, "missed", he->missed);
	json_kint(j, "skipped", he->skipped);
	json_kstr(j, "problem", he->problem);
	json_object_end(j);
}

/* The entries of job row (in file order), as an array. */
static void json_schedule(struct json *j, const struct view *v, const struct health *h,
			  const struct health_job *row, int64_t *missed)
{
	*missed = INT64_MIN;
	json_array_begin(j);
	for (size_t k = 0; k < h->nentries; k++) {
		const struct health_entry *he = &h->entries[k];
		if (strcmp(he->e->job, row->job->type))
			continue;
		json_entry(j, v, he);
		if (he->last_missed > *missed)
			*missed = he->last_missed;
	}
	json_array_end(j);
}

static void json_result(struct json *j, const struct view *v, const struct health_job *row)
{
	json_key(j, "result");
	if (row->result == RESULT_NEVER)
		json_null(j);
	else
		json_string(j, health_result_name(row->result));
	json_key(j, "result_run");
	if (row->run)
		json_int(j, row->run);
	else
		json_null(j);
	json_kbool(j, "as_master", row->as_master);
	view_json_time(j, v, "result_finished", row->finished);
	int64_t secs = row_secs(v, row);
	json_key(j, "result_duration_ms");
	if (secs < 0)
		json_null(j);
	else
		json_int(j, secs * 1000);
	json_key(j, "lost_pid");
	if (row->result == RESULT_LOST && row->lost_owner > 0)
		json_int(j, row->lost_owner);
	else
		json_null(j);
}

static void json_counts(struct json *j, const struct health_job *row)
{
	json_key(j, "fresh_ids");
	if (row->ids_known) {
		json_object_begin(j);
		json_kint(j, "fresh", (int64_t)row->fresh_ids);
		json_kint(j, "total", (int64_t)row->nids);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_kint(j, "failed_chunks", row->failed_chunks);
	json_kint(j, "failed_runs", row->failed_runs);
	json_kint(j, "pending_chunks", row->pending);
	json_kint(j, "running_chunks", row->running);
}

/* Whether chunks of job run on Slurm (its executor, else the settings' one). */
static bool on_slurm(const struct view *v, const struct job *job)
{
	enum executor x = job->executor ? job->executor : v->p->sched.settings.executor;
	return x == EXECUTOR_SLURM;
}

/* The Slurm job of chunk c's last attempt, as JSON: its id, or null. */
static void json_slurm_job(struct json *j, const struct view *v, const struct state_chunk *c)
{
	int64_t job = 0;
	if (v->st && c->attempt && state_chunk_slurm(v->st, c->id, c->attempt, &job) == 1 && job)
		json_kint(j, "slurm_job", job);
	else
		json_knull(j, "slurm_job");
}

static void json_job_row(struct json *j, const struct view *v, const struct health *h,
			 const struct health_job *row, const struct state_chunk *last_chunk)
{
	int64_t missed;
	json_kstr(j, "job", row->job->type);
	json_kstr(j, "executor", on_slurm(v, row->job) ? "slurm" : "local");
	json_kstr(j, "path", row->job->path);
	json_kstr(j, "description", row->job->description);
	json_kstr(j, "broken", row->problem);
	json_key(j, "schedule");
	json_schedule(j, v, h, row, &missed);
	view_json_time(j, v, "next", row->next < 0 ? INT64_MIN : row->next);
	view_json_time(j, v, "last_missed", missed);
	view_json_time(j, v, "last_success", row->last_success);
	json_result(j, v, row);
	json_counts(j, row);
	json_key(j, "last_run");
	if (row->master_run) {
		json_object_begin(j);
		view_json_run(j, v, row->master_run);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "last_chunk");
	if (last_chunk) {
		json_object_begin(j);
		view_json_chunk(j, v, last_chunk);
		json_slurm_job(j, v, last_chunk);
		json_object_end(j);
	} else {
		json_null(j);
	}
}

/* What status reads besides the health: each job's newest chunk that started (--json). */
struct extra {
	struct state_chunk *last_chunks;
	size_t n;
};

static const struct state_chunk *last_chunk_of(const struct extra *x, const char *type)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->last_chunks[i].job, type))
			return &x->last_chunks[i];
	return NULL;
}

static void json_head(struct json *j, const struct view *v, const struct health *h)
{
	view_json_time(j, v, "now", v->now);
	json_kbool(j, "database", v->st != NULL);
	json_kint(j, "schedule_problems", (int64_t)h->schedule_problems);
	json_kbool(j, "schedule_stopped", h->schedule_stopped);
}

static void print_status_json(const struct view *v, const struct health *h,
			      const struct extra *x)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	json_head(&j, v, h);
	json_key(&j, "jobs");
	json_array_begin(&j);
	for (size_t i = 0; i < h->njobs; i++) {
		json_object_begin(&j);
		json_job_row(&j, v, h, &h->jobs[i], last_chunk_of(x, h->jobs[i].job->type));
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "entries");
	json_array_begin(&j);
	for (size_t i = 0; i < h->nentries; i++)
		json_entry(&j, v, &h->entries[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	view_print_json(&sb);
}

/* ---- one job ---- */

static void print_job_title(const struct view *v, const struct health_job *row)
{
	bool color = v->ctx->color;
	char *type = term_escape(row->job->type), *desc = term_escape(row->job->description);
	printf("%s%s%s%s%s\n", term_sgr(color, TERM_BOLD), type, term_reset(color, TERM_BOLD),
	       desc ? " - " : "", desc ? desc : "");
	free(type);
	free(desc);
	if (on_slurm(v, row->job))
		printf("runs on:       Slurm, each chunk a batch job ('stau show RUN' names them)\n");
	struct strbuf sb = STRBUF_INIT;
	job_notes(v, row, "", &sb);
	fputs(sb.buf ? sb.buf : "", stdout);
	sb_release(&sb);
}

/* "schedule:", "next:", and the missed and skipped fire times of each entry. */
static void print_job_schedule(const struct view *v, const struct health *h,
			       const struct health_job *row)
{
	char buf[128];
	struct strbuf sched = STRBUF_INIT, fires = STRBUF_INIT;
	for (size_t k = 0; k < h->nentries; k++) {
		const struct health_entry *he = &h->entries[k];
		if (strcmp(he->e->job, row->job->type))
			continue;
		char *desc = trigger_desc(he->e);
		sb_addf(&sched, "%s%s (%s)", sched.len ? ", " : "", he->e->id,
			he->e->enabled ? desc : "disabled");
		free(desc);
		if (fire_text(v, he->e, he->missed, he->last_missed, buf, sizeof(buf)))
			sb_addf(&fires, "missed:        %s (%s)\n", buf, he->e->id);
		if (fire_text(v, he->e, he->skipped, he->last_skipped, buf, sizeof(buf)))
			sb_addf(&fires, "skipped:       %s (%s)\n", buf, he->e->id);
	}
	char *safe = term_escape(sched.len ? sched.buf : "-");
	printf("schedule:      %s\n", safe);
	free(safe);
	if (row->next >= 0)
		printf("next:          %s (%s)\n",
		       entry_time(v, row->next, row->next_entry, buf, sizeof(buf)),
		       row->next_entry->id);
	fputs(fires.len ? fires.buf : "", stdout);
	sb_release(&sched);
	sb_release(&fires);
}

/* "last run:", "last success:" and "fresh IDs:". */
static void print_job_result(const struct view *v, const struct health_job *row)
{
	char buf[48], when[48];
	if (row->run) {
		bool color = v->ctx->color;
		enum term_color col = result_color(row->result);
		int64_t secs = row_secs(v, row);
		printf("last run:      #%lld %s%s%s%s", (long long)row->run, term_sgr(color, col),
		       health_result_name(row->result), term_reset(color, col),
		       row->as_master ? "" : " (as a dependency)");
		if (row->finished) {
			term_relative(row->finished, v->now, when, sizeof(when));
			printf(", finished %s", when);
		}
		if (secs >= 0)
			printf(", %s %s", row->finished ? "took" : "running for",
			       view_secs(secs, buf, sizeof(buf)));
		printf("\n");
	}
	if (row->last_success) {
		term_relative(row->last_success, v->now, when, sizeof(when));
		printf("last success:  %s (%s)\n", view_time(row->last_success, v->zone, buf,
							       sizeof(buf)), when);
	} else {
		printf("last success:  never\n");
	}
	if (row->ids_known)
		printf("fresh IDs:     %zu/%zu of run %lld\n", row->fresh_ids, row->nids,
		       (long long)row->run);
}

/* "3/5 done, 1 failed, 1 canceled": a run's chunks by state, or "-". Newly allocated. */
static char *chunk_summary(const size_t counts[CHUNK_STATE_N])
{
	static const enum chunk_state others[] = { CHUNK_FAILED, CHUNK_CANCELED, CHUNK_RUNNING };
	static const char *const words[] = { "failed", "canceled", "running" };
	size_t total = 0;
	for (int s = 0; s < CHUNK_STATE_N; s++)
		total += counts[s];
	if (!total)
		return xstrdup("-");
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%zu/%zu done", counts[CHUNK_DONE], total);
	for (size_t k = 0; k < ARRAY_SIZE(others); k++)
		if (counts[others[k]])
			sb_addf(&sb, ", %zu %s", counts[others[k]], words[k]);
	return sb_detach(&sb);
}

/* A run's row: its trigger is the entry (the fire time is in --json and `stau show`), its
 * start an age, so that the table fits 80 columns. */
static void run_row(const struct view *v, const struct health *h, const struct state_run *r,
		    struct table *t)
{
	char buf[48];
	table_addf(t, "#%lld", (long long)r->id);
	add_text(t, r->entry ? r->entry : "manual");
	if (r->state == RUN_ACTIVE && health_run_lost(h, r->id))
		view_add_cell(t, v->ctx->color, TERM_RED, "LOST");
	else
		view_add_cell(t, v->ctx->color, view_run_color(r->state),
			      run_state_name(r->state));
	if (r->started)
		term_relative(r->started, v->now, buf, sizeof(buf));
	table_add(t, r->started ? buf : "-");
	int64_t secs = view_run_secs(r, v->now);
	table_add(t, secs < 0 ? "-" : view_secs(secs, buf, sizeof(buf)));
	char *chunks = chunk_summary(r->counts);
	table_add(t, chunks);
	free(chunks);
}

/* The message of a run that the CHUNKS cell does not tell: why a run without chunks failed
 * or was canceled ("job 'b' is broken: ...", "no work"), or why a run was canceled. */
static char *run_note(const struct state_run *r)
{
	size_t total = 0;
	for (int s = 0; s < CHUNK_STATE_N; s++)
		total += r->counts[s];
	if (!r->message || (total && r->state != RUN_CANCELED))
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "     ");
	term_add_escaped(&sb, r->message, strlen(r->message));
	sb_addc(&sb, '\n');
	return sb_detach(&sb);
}

static void print_runs_table(const struct view *v, const struct health *h, const char *job,
			     const struct state_run *runs, size_t n)
{
	static const char *const head[] = { "RUN",	"TRIGGER", "STATE",
					    "STARTED", "DURATION", "CHUNKS" };
	if (!n) {
		char *safe = term_escape(job);
		printf("\nno runs of %s itself yet; 'stau run %s' starts one\n", safe, safe);
		free(safe);
		return;
	}
	struct table t;
	table_init(&t, ARRAY_SIZE(head));
	table_align_right(&t, 0);
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		table_add(&t, head[c]);
	char **notes = xcalloc(n, sizeof(*notes));
	for (size_t i = 0; i < n; i++) {
		run_row(v, h, &runs[i], &t);
		notes[i] = run_note(&runs[i]);
	}
	struct strbuf sb = STRBUF_INIT;
	render_with_notes(&t, notes, &sb);
	printf("\n%s", sb.buf);
	sb_release(&sb);
	for (size_t i = 0; i < n; i++)
		free(notes[i]);
	free(notes);
	table_release(&t);
}

static void print_job_json(const struct view *v, const struct health *h,
			   const struct health_job *row, const struct extra *x,
			   const struct state_run *runs, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	json_head(&j, v, h);
	json_job_row(&j, v, h, row, last_chunk_of(x, row->job->type));
	json_key(&j, "runs");
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&j);
		view_json_run(&j, v, &runs[i]);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	view_print_json(&sb);
}

/* A job type with runs but no file in jobs/ any more: its runs, and nothing else. */
static void print_orphan(const struct view *v, const struct health *h, const char *type,
			 const struct state_run *runs, size_t n)
{
	char *safe = term_escape(type);
	printf("%s\nno file in jobs/ any more; these are its past runs\n", safe);
	free(safe);
	print_runs_table(v, h, type, runs, n);
}

/* ---- the command ---- */

/* Reads the health (and, for --json, each job's newest chunk). Returns EXIT_OK or EXIT_STATE
 * (said). */
static int read_all(struct view *v, struct health *h, struct extra *x)
{
	char err[512];
	*x = (struct extra){ 0 };
	if (health_read(h, v->p, v->st, v->now, HEALTH_FRESH_IDS, err, sizeof(err))) {
		error("%s", err);
		return EXIT_STATE;
	}
	if (v->json && v->st && state_last_chunks(v->st, &x->last_chunks, &x->n)) {
		health_release(h);
		return view_state_error(v);
	}
	return EXIT_OK;
}

static int status_of_job(struct view *v, const char *type, size_t limit)
{
	struct health h;
	struct extra x;
	int rc = read_all(v, &h, &x);
	if (rc != EXIT_OK)
		return rc;
	struct state_run *runs = NULL;
	size_t n = 0;
	const struct health_job *row = health_find(&h, type);
	if (v->st && state_runs_of_job(v->st, type, limit, &runs, &n))
		rc = view_state_error(v);
	else if (!row && !n)
		rc = usage_error("status", "unknown job '%s'; 'stau status' lists the jobs", type);
	else if (!row)
		print_orphan(v, &h, type, runs, n);
	else if (v->json)
		print_job_json(v, &h, row, &x, runs, n);
	else {
		print_job_title(v, row);
		print_job_schedule(v, &h, row);
		print_job_result(v, row);
		print_runs_table(v, &h, type, runs, n);
	}
	state_runs_free(runs, n);
	state_chunks_free(x.last_chunks, x.n);
	health_release(&h);
	return rc;
}

static int status_all(struct view *v)
{
	struct health h;
	struct extra x;
	int rc = read_all(v, &h, &x);
	if (rc != EXIT_OK)
		return rc;
	struct strbuf sb = STRBUF_INIT;
	if (v->json) {
		print_status_json(v, &h, &x);
	} else if (!h.njobs) {
		printf("no jobs in %s/jobs; 'stau init' makes an example\n", v->ctx->dir);
	} else {
		if (h.schedule_stopped)
			sb_addf(&sb, "%sschedule.yaml cannot be used: no new run is scheduled until it "
				"is fixed ('stau check' says why)%s\n\n",
				term_sgr(v->ctx->color, TERM_RED), term_reset(v->ctx->color, TERM_RED));
		print_jobs_table(v, &h, &sb);
		print_entries_table(v, &h, &sb);
		fputs(sb.buf, stdout);
	}
	sb_release(&sb);
	state_chunks_free(x.last_chunks, x.n);
	health_release(&h);
	return EXIT_OK;
}

struct status_opts {
	bool json;
	int64_t now;
	int64_t limit;
	const char *job;
};

static int parse_status_opts(int argc, char **argv, struct status_opts *o)
{
	static const struct option longopts[] = { OPTION_JSON, OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt co;
	int c, rc = EXIT_OK;
	cmdopt_init(&co, "status");
	o->limit = DEFAULT_RUNS;
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		if (c != 'n')
			rc = cmdopt_common(&co, c, argv);
		else if (parse_int64(optarg, &o->limit) || o->limit < 1)
			rc = usage_error("status", "-n: '%s' is not a number of runs (1 or more)",
					 optarg);
	}
	o->now = co.now;
	o->json = co.json;
	if (rc != EXIT_OK)
		return rc;
	if (argc - optind > 1)
		return usage_error("status", "give at most one job");
	o->job = optind < argc ? argv[optind] : NULL;
	return EXIT_OK;
}

int cmd_status(struct ctx *ctx, int argc, char **argv)
{
	struct status_opts o = { 0 };
	int rc = parse_status_opts(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	struct view v = { .now = o.now, .json = o.json };
	view_init(&v, ctx);
	return o.job ? status_of_job(&v, o.job, (size_t)o.limit) : status_all(&v);
}
