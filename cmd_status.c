/* cmd_status.c - `stau status [JOB]`: every job's schedule, last run, freshness and health.
 *
 * A row comes from two places that may disagree, and both are shown: the project on disk
 * (jobs, schedule entries, headers that do not validate) and the database (runs, chunks, fire
 * times handled, jobs marked BROKEN by a run). Before the first run there is no database and
 * every job is "never run"; status does not create one.
 *
 * "Last run" is the job's newest run as master job; a job that only runs as another job's
 * dependency has none, so its newest chunk in any run stands for it (and also when that chunk
 * is newer than its own last run). FRESH is the last success of any chunk of the job type,
 * which is what freshness (docs/design.md, "Work IDs, chunks and freshness") reads. A job type that has runs but no file any more is
 * left out of the table; `stau status JOB` still lists its runs.
 *
 * Ages are relative to --now so that tests can replay a moment; --json has the same data with
 * times in UTC, its shape documented in stau.1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "cmdopt.h"
#include "json.h"
#include "msg.h"
#include "project.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"
#include "view.h"

#define DEFAULT_RUNS 10 /* runs listed by `stau status JOB` */

/* Fire time t of entry e in its zone, as ISO 8601 into buf (>= 48 bytes). */
static const char *entry_time(const struct view *v, int64_t t, const struct entry *e, char *buf,
			      size_t len)
{
	return view_time(t, view_entry_zone(v, e), buf, len);
}

/* "3/3 done", "1/3 done, 1 failed, 1 canceled": a run's chunks by state. Newly allocated. */
static char *chunk_summary(const size_t counts[CHUNK_STATE_N])
{
	size_t total = 0;
	for (int s = 0; s < CHUNK_STATE_N; s++)
		total += counts[s];
	if (!total)
		return xstrdup("-");
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%zu/%zu done", counts[CHUNK_DONE], total);
	static const enum chunk_state others[] = { CHUNK_FAILED, CHUNK_CANCELED, CHUNK_RUNNING };
	static const char *const words[] = { "failed", "canceled", "running" };
	for (size_t k = 0; k < ARRAY_SIZE(others); k++)
		if (counts[others[k]])
			sb_addf(&sb, ", %zu %s", counts[others[k]], words[k]);
	return sb_detach(&sb);
}

/* One job as status shows it. */
struct job_row {
	const struct job *job;
	const struct state_run *last; /* its newest run as master job, or NULL */
	const struct state_chunk *last_chunk; /* its newest chunk that started, in any run */
	int64_t last_ok;	      /* latest successful chunk of the type, 0: none */
	int64_t next;		      /* earliest next fire time of its enabled entries, -1: none */
	const struct entry *next_entry;
	int64_t missed;		      /* latest fire time recorded as missed, INT64_MIN: none */
	const struct entry *missed_entry;
	char *broken;		      /* why it is BROKEN, or NULL */
	const struct entry **entries; /* the schedule entries that run it, in file order */
	size_t nentries, entries_cap;
};

struct status_data {
	struct job_row *rows;
	size_t nrows;
	struct state_run *last_runs;
	size_t nlast;
	struct state_chunk *last_chunks;
	size_t nlast_chunks;
	struct state_entry *entries;
	size_t nentries;
};

static void status_data_release(struct status_data *d)
{
	for (size_t i = 0; i < d->nrows; i++) {
		free(d->rows[i].broken);
		free(d->rows[i].entries);
	}
	free(d->rows);
	state_runs_free(d->last_runs, d->nlast);
	state_chunks_free(d->last_chunks, d->nlast_chunks);
	state_entries_free(d->entries, d->nentries);
}

/* Binary search of a name in an array sorted by it (strcmp order, which is also SQLite's
 * BINARY order): status may list thousands of jobs and entries, so no lookup is linear. */
static const void *find_by_name(const char *name, const void *base, size_t n, size_t size,
				const char *(*name_of)(const void *))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const void *item = (const char *)base + mid * size;
		int c = strcmp(name, name_of(item));
		if (!c)
			return item;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *run_job(const void *p)
{
	return ((const struct state_run *)p)->job;
}

static const char *chunk_job(const void *p)
{
	return ((const struct state_chunk *)p)->job;
}

static const char *row_job(const void *p)
{
	return ((const struct job_row *)p)->job->type;
}

static const char *stored_entry_id(const void *p)
{
	return ((const struct state_entry *)p)->id;
}

static const struct state_entry *stored_entry(const struct status_data *d, const char *id)
{
	return find_by_name(id, d->entries, d->nentries, sizeof(*d->entries), stored_entry_id);
}

/* A job marked BROKEN by a run (a fatal exit) for its current content: the content hash is
 * what the engine cached for the file's size and modification time. Returns 0 or -1. */
static int stored_broken(struct view *v, const struct job *job, char **reason)
{
	struct stat sb;
	char *path = xasprintf("%s/%s", v->ctx->dir, job->path);
	int rc = stat(path, &sb);
	free(path);
	if (rc)
		return 0;
	char *hash = NULL;
	int64_t mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	rc = state_file_hash_get(v->st, job->path, (int64_t)sb.st_size, mtime_ns, &hash);
	if (rc == 1)
		rc = state_job_broken(v->st, job->type, hash, reason) < 0 ? -1 : 0;
	free(hash);
	return rc < 0 ? -1 : 0;
}

/* Gives every row the entries that run its job: one pass over the schedule. */
static void attach_entries(const struct view *v, struct status_data *d)
{
	for (size_t k = 0; k < v->p->sched.nentries; k++) {
		const struct entry *e = &v->p->sched.entries[k];
		struct job_row *row = (struct job_row *)find_by_name(e->job, d->rows, d->nrows,
								      sizeof(*d->rows), row_job);
		if (!row)
			continue;
		grow(&row->entries, &row->entries_cap, row->nentries + 1, sizeof(*row->entries));
		row->entries[row->nentries++] = e;
	}
}

/* Fills next/missed of row from its entries. */
static void row_schedule(const struct view *v, const struct status_data *d, struct job_row *row)
{
	row->next = -1;
	row->missed = INT64_MIN;
	for (size_t k = 0; k < row->nentries; k++) {
		const struct entry *e = row->entries[k];
		int64_t next = e->enabled ? trigger_next(&e->trigger, v->now) : -1;
		if (next >= 0 && (row->next < 0 || next < row->next)) {
			row->next = next;
			row->next_entry = e;
		}
		const struct state_entry *se = stored_entry(d, e->id);
		if (se && se->last_missed != INT64_MIN && se->last_missed > row->missed) {
			row->missed = se->last_missed;
			row->missed_entry = e;
		}
	}
}

static int collect_rows(struct view *v, struct status_data *d, const char *only)
{
	if (v->st && (state_last_runs(v->st, &d->last_runs, &d->nlast) ||
		      state_last_chunks(v->st, &d->last_chunks, &d->nlast_chunks) ||
		      state_entries_all(v->st, &d->entries, &d->nentries)))
		return view_state_error(v);
	d->rows = xcalloc(v->p->njobs ? v->p->njobs : 1, sizeof(*d->rows));
	for (size_t i = 0; i < v->p->njobs; i++) {
		const struct job *job = &v->p->jobs[i];
		if (only && strcmp(only, job->type))
			continue;
		d->rows[d->nrows++].job = job;
	}
	attach_entries(v, d);
	for (size_t i = 0; i < d->nrows; i++) {
		struct job_row *row = &d->rows[i];
		const struct job *job = row->job;
		row->last = find_by_name(job->type, d->last_runs, d->nlast, sizeof(*d->last_runs),
					 run_job);
		row->last_chunk = find_by_name(job->type, d->last_chunks, d->nlast_chunks,
					       sizeof(*d->last_chunks), chunk_job);
		row_schedule(v, d, row);
		if (job->broken)
			row->broken = xstrdup(job->broken);
		if (v->st && (state_job_last_success(v->st, job->type, &row->last_ok) ||
			      (!row->broken && stored_broken(v, job, &row->broken))))
			return view_state_error(v);
	}
	return EXIT_OK;
}

/* An entry's trigger for people: "every 15m" or the five cron fields. Newly allocated. */
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

/* "say-hello (0 * * * *), nightly (disabled)" or "-", cron as written. Newly allocated. */
static char *schedule_cell(const struct job_row *row)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t k = 0; k < row->nentries; k++) {
		const struct entry *e = row->entries[k];
		char *desc = trigger_desc(e);
		sb_addf(&sb, "%s%s (%s)", sb.len ? ", " : "", e->id,
			e->enabled ? desc : "disabled");
		free(desc);
	}
	return sb.len ? sb_detach(&sb) : xstrdup("-");
}

static void notes_cell(const struct view *v, const struct job_row *row, struct table *t)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[48];
	sb_adds(&sb, "");
	if (row->broken) {
		char *text = xasprintf("BROKEN: %s", row->broken);
		term_add_colored(&sb, v->ctx->color, TERM_RED, text);
		free(text);
	}
	if (row->missed != INT64_MIN) {
		entry_time(v, row->missed, row->missed_entry, buf, sizeof(buf));
		sb_addf(&sb, "%smissed %s (%s)", sb.len ? "; " : "", buf, row->missed_entry->id);
	}
	table_add(t, sb.buf);
	sb_release(&sb);
}

/* RUN, RESULT, FINISHED and DURATION of a job's last run as master job. */
static void last_run_cells(const struct view *v, const struct state_run *r, struct table *t)
{
	char buf[48];
	table_addf(t, "#%lld", (long long)r->id);
	view_add_cell(t, v->ctx->color, view_run_color(r->state), run_state_name(r->state));
	if (r->finished)
		term_relative(r->finished, v->now, buf, sizeof(buf));
	table_add(t, r->finished ? buf : "-");
	int64_t secs = view_run_secs(r, v->now);
	table_add(t, secs < 0 ? "-" : view_secs(secs, buf, sizeof(buf)));
}

/* The same for a job whose latest work was a chunk in another job's (later) run. */
static void last_chunk_cells(const struct view *v, const struct state_chunk *c, struct table *t)
{
	char buf[48];
	table_addf(t, "#%lld", (long long)c->run);
	view_add_cell(t, v->ctx->color, view_chunk_color(c->state), chunk_state_name(c->state));
	if (c->finished && c->state != CHUNK_RUNNING)
		term_relative(c->finished, v->now, buf, sizeof(buf));
	table_add(t, c->finished && c->state != CHUNK_RUNNING ? buf : "-");
	table_add(t, view_chunk_duration(v, c, buf, sizeof(buf)));
}

static void never_run_cells(const struct view *v, struct table *t)
{
	table_add(t, "-");
	view_add_cell(t, v->ctx->color, TERM_DIM, "never run");
	table_add(t, "-");
	table_add(t, "-");
}

static void status_row(const struct view *v, const struct job_row *row, struct table *t)
{
	char buf[48];
	const struct state_run *r = row->last;
	table_add(t, row->job->type);
	char *sched = schedule_cell(row);
	table_add(t, sched);
	free(sched);
	if (r && !(row->last_chunk && row->last_chunk->run > r->id))
		last_run_cells(v, r, t);
	else if (row->last_chunk)
		last_chunk_cells(v, row->last_chunk, t);
	else
		never_run_cells(v, t);
	if (row->last_ok)
		term_relative(row->last_ok, v->now, buf, sizeof(buf));
	table_add(t, row->last_ok ? buf : "-");
	table_add(t, row->next < 0 ? "-"
				   : entry_time(v, row->next, row->next_entry, buf, sizeof(buf)));
	notes_cell(v, row, t);
}

static void print_status_table(const struct view *v, const struct status_data *d)
{
	static const char *const head[] = { "JOB",	"SCHEDULE", "RUN",  "RESULT", "FINISHED",
					    "DURATION", "FRESH",    "NEXT", "NOTES" };
	struct table t;
	table_init(&t, ARRAY_SIZE(head));
	table_align_right(&t, 2);
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		table_add(&t, head[c]);
	for (size_t i = 0; i < d->nrows; i++)
		status_row(v, &d->rows[i], &t);
	struct strbuf sb = STRBUF_INIT;
	table_render(&t, &sb);
	fputs(sb.buf ? sb.buf : "", stdout);
	sb_release(&sb);
	table_release(&t);
}

static void json_schedule(struct json *j, const struct view *v, const struct status_data *d,
			  const struct job_row *row)
{
	json_array_begin(j);
	for (size_t k = 0; k < row->nentries; k++) {
		const struct entry *e = row->entries[k];
		json_object_begin(j);
		json_kstr(j, "entry", e->id);
		json_kstr(j, "name", e->name);
		char *desc = trigger_desc(e);
		json_kstr(j, "trigger", desc);
		free(desc);
		json_kstr(j, "timezone", tz_name(view_entry_zone(v, e)));
		json_kbool(j, "enabled", e->enabled);
		int64_t next = e->enabled ? trigger_next(&e->trigger, v->now) : -1;
		view_json_time(j, v, "next", next < 0 ? INT64_MIN : next);
		const struct state_entry *se = stored_entry(d, e->id);
		view_json_time(j, v, "last_handled", se ? se->last_handled : INT64_MIN);
		view_json_time(j, v, "last_missed", se ? se->last_missed : INT64_MIN);
		view_json_time(j, v, "last_skipped", se ? se->last_skipped : INT64_MIN);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_job_row(struct json *j, const struct view *v, const struct status_data *d,
			 const struct job_row *row)
{
	json_kstr(j, "job", row->job->type);
	json_kstr(j, "path", row->job->path);
	json_kstr(j, "description", row->job->description);
	json_kstr(j, "broken", row->broken);
	json_key(j, "schedule");
	json_schedule(j, v, d, row);
	view_json_time(j, v, "next", row->next < 0 ? INT64_MIN : row->next);
	view_json_time(j, v, "last_missed", row->missed);
	view_json_time(j, v, "last_success", row->last_ok);
	json_key(j, "last_run");
	if (row->last) {
		json_object_begin(j);
		view_json_run(j, v, row->last);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "last_chunk");
	if (row->last_chunk) {
		json_object_begin(j);
		view_json_chunk(j, v, row->last_chunk);
		json_object_end(j);
	} else {
		json_null(j);
	}
}

static void print_status_json(const struct view *v, const struct status_data *d)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	view_json_time(&j, v, "now", v->now);
	json_kbool(&j, "database", v->st != NULL);
	json_key(&j, "jobs");
	json_array_begin(&j);
	for (size_t i = 0; i < d->nrows; i++) {
		json_object_begin(&j);
		json_job_row(&j, v, d, &d->rows[i]);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	view_print_json(&sb);
}

/* `stau status JOB`: the job's row as lines, then its recent runs. */
static void print_job_header(const struct view *v, const struct job_row *row)
{
	char buf[48];
	const struct job *job = row->job;
	printf("%s%s%s%s%s\n", term_sgr(v->ctx->color, TERM_BOLD), job->type,
	       term_reset(v->ctx->color, TERM_BOLD), job->description ? " - " : "",
	       job->description ? job->description : "");
	if (row->broken)
		printf("%sBROKEN: %s%s\n", term_sgr(v->ctx->color, TERM_RED), row->broken,
		       term_reset(v->ctx->color, TERM_RED));
	if (!job->path)
		printf("no file in jobs/ any more; these are its past runs\n");
	char *sched = schedule_cell(row);
	printf("schedule:      %s\n", sched);
	free(sched);
	if (row->next >= 0)
		printf("next:          %s (%s)\n",
		       entry_time(v, row->next, row->next_entry, buf, sizeof(buf)),
		       row->next_entry->id);
	if (row->missed != INT64_MIN)
		printf("missed:        %s (%s)\n",
		       entry_time(v, row->missed, row->missed_entry, buf, sizeof(buf)),
		       row->missed_entry->id);
	if (row->last_ok) {
		char rel[32];
		term_relative(row->last_ok, v->now, rel, sizeof(rel));
		printf("last success:  %s (%s)\n",
		       view_time(row->last_ok, v->zone, buf, sizeof(buf)), rel);
	} else {
		printf("last success:  never\n");
	}
	const struct state_chunk *c = row->last_chunk;
	if (c && (!row->last || c->run > row->last->id)) {
		char when[48] = "";
		enum term_color col = view_chunk_color(c->state);
		if (c->finished && c->state != CHUNK_RUNNING)
			term_relative(c->finished, v->now, when, sizeof(when));
		printf("last chunk:    run %lld, chunk %lld (%zu/%zu): %s%s%s%s%s\n",
		       (long long)c->run, (long long)c->id, c->index, c->count,
		       term_sgr(v->ctx->color, col), chunk_state_name(c->state),
		       term_reset(v->ctx->color, col), *when ? " " : "", when);
	}
}

static void run_row(const struct view *v, const struct state_run *r, struct table *t)
{
	char buf[48];
	table_addf(t, "#%lld", (long long)r->id);
	char *trig = view_trigger(v, r->entry, r->fire_time);
	table_add(t, trig);
	free(trig);
	view_add_cell(t, v->ctx->color, view_run_color(r->state), run_state_name(r->state));
	table_add(t, view_time(r->started, v->zone, buf, sizeof(buf)));
	int64_t secs = view_run_secs(r, v->now);
	table_add(t, secs < 0 ? "-" : view_secs(secs, buf, sizeof(buf)));
	char *chunks = chunk_summary(r->counts);
	table_add(t, chunks);
	free(chunks);
	table_add(t, r->message);
}

static void print_runs_table(const struct view *v, const char *job, const struct state_run *runs,
			     size_t n)
{
	static const char *const head[] = { "RUN",	"TRIGGER", "STATE", "STARTED",
					    "DURATION", "CHUNKS",  "MESSAGE" };
	if (!n) {
		printf("\nno runs of %s itself yet; 'stau run %s' starts one\n", job, job);
		return;
	}
	struct table t;
	table_init(&t, ARRAY_SIZE(head));
	table_align_right(&t, 0);
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		table_add(&t, head[c]);
	for (size_t i = 0; i < n; i++)
		run_row(v, &runs[i], &t);
	struct strbuf sb = STRBUF_INIT;
	table_render(&t, &sb);
	printf("\n%s", sb.buf);
	sb_release(&sb);
	table_release(&t);
}

static void print_job_json(const struct view *v, const struct status_data *d,
			   const struct job_row *row, const struct state_run *runs, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	view_json_time(&j, v, "now", v->now);
	json_kbool(&j, "database", v->st != NULL);
	json_job_row(&j, v, d, row);
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

/* A job type that is not in jobs/ but has runs (its file was removed): a bare row. */
static const struct job *orphan_job(struct job *fake, const char *type)
{
	memset(fake, 0, sizeof(*fake));
	fake->type = (char *)type;
	fake->path = NULL;
	return fake;
}

static int status_of_job(struct view *v, const char *type, size_t limit)
{
	struct status_data d = { 0 };
	int rc = collect_rows(v, &d, type);
	struct state_run *runs = NULL;
	size_t n = 0;
	if (rc == EXIT_OK && v->st && state_runs_of_job(v->st, type, limit, &runs, &n))
		rc = view_state_error(v);
	struct job fake;
	struct job_row orphan = { .next = -1, .missed = INT64_MIN };
	if (rc == EXIT_OK && !d.nrows) {
		if (!n) {
			rc = usage_error("status", "unknown job '%s'; 'stau status' lists the jobs",
					 type);
		} else {
			orphan.job = orphan_job(&fake, type);
			orphan.last = &runs[0];
			orphan.last_chunk = find_by_name(type, d.last_chunks, d.nlast_chunks,
							 sizeof(*d.last_chunks), chunk_job);
			if (state_job_last_success(v->st, type, &orphan.last_ok))
				rc = view_state_error(v);
		}
	}
	const struct job_row *row = d.nrows ? &d.rows[0] : &orphan;
	if (rc == EXIT_OK && v->json) {
		print_job_json(v, &d, row, runs, n);
	} else if (rc == EXIT_OK) {
		print_job_header(v, row);
		print_runs_table(v, row->job->type, runs, n);
	}
	state_runs_free(runs, n);
	status_data_release(&d);
	return rc;
}

static int status_all(struct view *v)
{
	struct status_data d = { 0 };
	int rc = collect_rows(v, &d, NULL);
	if (rc == EXIT_OK && v->json)
		print_status_json(v, &d);
	else if (rc == EXIT_OK && !d.nrows)
		printf("no jobs in %s/jobs; 'stau init' makes an example\n", v->ctx->dir);
	else if (rc == EXIT_OK)
		print_status_table(v, &d);
	status_data_release(&d);
	return rc;
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
