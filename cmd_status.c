/* cmd_status.c - the read-only views: `stau status [JOB]`, `stau show RUN`, `stau logs RUN`.
 *
 * The three commands only read. They open .stau/stau.db only when it exists, so that looking
 * at a new project does not create state (status then lists every job as "never run"), and
 * they take no lock: in WAL mode a reader never blocks a tick and never restarts the WAL.
 *
 * What a row shows comes from two places that may disagree, and both are shown: the project
 * on disk (jobs, schedule entries, headers that do not validate) and the database (runs,
 * chunks, fire times handled, jobs marked BROKEN by a run). A job type that has runs but no
 * file any more is not listed by `stau status`; `stau status JOB` and `stau show` still show
 * its runs.
 *
 * Times: absolute times are printed as ISO 8601 in the project's time zone (settings
 * timezone), fire times in their entry's zone, and ages relative to --now so that tests can
 * replay a moment. --json prints the same data with every time in UTC and durations in
 * milliseconds; its shape is documented in stau.1. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "msg.h"
#include "project.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"
#include "workids.h"

#define DEFAULT_RUNS 10	   /* runs listed by `stau status JOB` */
#define IDS_SHOWN_CHUNK 30 /* columns of a chunk's IDs in `stau show` before "… (N IDs)" */
#define IDS_SHOWN_RUN 70   /* the same for the run's own IDs */

/* What every view works with. */
struct view {
	const struct ctx *ctx;
	struct project p;
	struct state *st;	/* NULL: no database yet */
	const struct tz *zone;	/* the project's time zone (settings) */
	const struct tz *utc;
	int64_t now;
	bool json;
};

/* ---- shared by the three views ---- */

/* Opens the database when it exists. Returns EXIT_OK (v->st may stay NULL) or EXIT_STATE. */
static int view_open_state(struct view *v)
{
	char *path = xasprintf("%s/.stau/stau.db", v->ctx->dir);
	bool exists = access(path, F_OK) == 0;
	free(path);
	if (!exists)
		return EXIT_OK;
	char err[512];
	if (state_open(v->ctx->dir, &v->st, err, sizeof(err))) {
		error("%s", err);
		return EXIT_STATE;
	}
	return EXIT_OK;
}

/* Loads the project and opens the database; the project's problems are `stau check`'s to
 * list, so only a summary goes to stderr. */
static int view_init(struct view *v, const struct ctx *ctx)
{
	char err[256];
	v->ctx = ctx;
	project_load(ctx->dir, &v->p);
	if (!v->p.sched_ok)
		warn("schedule.yaml has problems; 'stau check' lists them");
	v->utc = tz_get("UTC", err, sizeof(err));
	v->zone = tz_get(v->p.sched.settings.timezone ? v->p.sched.settings.timezone : "UTC", err,
			 sizeof(err));
	if (!v->zone)
		v->zone = v->utc;
	return view_open_state(v);
}

static void view_release(struct view *v)
{
	state_close(v->st);
	project_release(&v->p);
}

static int state_failed(struct view *v)
{
	error("%s", state_errmsg(v->st));
	return EXIT_STATE;
}

/* Formats t in zone into buf (>= 48 bytes); "-" when t is 0 (not yet) or INT64_MIN (none). */
static const char *fmt_time(int64_t t, const struct tz *zone, char *buf, size_t len)
{
	if (t == 0 || t == INT64_MIN)
		snprintf(buf, len, "-");
	else
		time_format(t, zone, buf, len);
	return buf;
}

/* A duration of whole seconds: "4s" (no false tenths), then as term_duration_ms. */
static const char *fmt_secs(int64_t secs, char *buf, size_t len)
{
	if (secs < 10)
		snprintf(buf, len, "%llds", (long long)(secs < 0 ? 0 : secs));
	else
		term_duration_ms(secs * 1000, buf, len);
	return buf;
}

/* The wall time of a run so far: finished - started, or now - started while it is open. */
static int64_t run_secs(const struct state_run *r, int64_t now)
{
	if (!r->started)
		return -1;
	return (r->finished ? r->finished : now) - r->started;
}

static enum term_color run_color(enum run_state s)
{
	switch (s) {
	case RUN_DONE: return TERM_GREEN;
	case RUN_FAILED: return TERM_RED;
	case RUN_CANCELED: return TERM_YELLOW;
	default: return TERM_BLUE;
	}
}

static enum term_color chunk_color(enum chunk_state s)
{
	switch (s) {
	case CHUNK_DONE: return TERM_GREEN;
	case CHUNK_FAILED: return TERM_RED;
	case CHUNK_CANCELED: return TERM_YELLOW;
	case CHUNK_RUNNING: return TERM_BLUE;
	default: return TERM_PLAIN;
	}
}

static void add_colored_cell(struct table *t, bool color, enum term_color c, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	term_add_colored(&sb, color, c, s);
	table_add(t, sb.buf);
	sb_release(&sb);
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

static const struct entry *find_entry(const struct project *p, const char *id)
{
	for (size_t i = 0; id && i < p->sched.nentries; i++)
		if (!strcmp(p->sched.entries[i].id, id))
			return &p->sched.entries[i];
	return NULL;
}

/* The zone an entry's fire times are printed in. */
static const struct tz *entry_zone(const struct view *v, const struct entry *e)
{
	char err[256];
	if (e && e->trigger.kind == TRIGGER_CRON && e->trigger.zone)
		return e->trigger.zone;
	const struct tz *z = e && e->timezone ? tz_get(e->timezone, err, sizeof(err)) : NULL;
	return z ? z : v->zone;
}

/* A run's trigger for people: "say-hello 2026-01-01T10:20:00+00:00" or "manual". */
static char *trigger_text_of(const struct view *v, const char *entry, int64_t fire_time)
{
	char buf[48];
	if (!entry)
		return xstrdup("manual");
	fmt_time(fire_time, entry_zone(v, find_entry(&v->p, entry)), buf, sizeof(buf));
	return xasprintf("%s %s", entry, buf);
}

/* Writes "key": ISO time in UTC, or null for 0 / INT64_MIN. */
static void json_ktime(struct json *j, const struct view *v, const char *key, int64_t t)
{
	char buf[48];
	json_key(j, key);
	if (t == 0 || t == INT64_MIN)
		json_null(j);
	else
		json_string(j, fmt_time(t, v->utc, buf, sizeof(buf)));
}

static void json_counts(struct json *j, const size_t counts[CHUNK_STATE_N])
{
	size_t total = 0;
	json_object_begin(j);
	for (int s = 0; s < CHUNK_STATE_N; s++) {
		char key[16];
		const char *name = chunk_state_name((enum chunk_state)s);
		size_t k = 0;
		for (; name[k] && k + 1 < sizeof(key); k++)
			key[k] = (char)(name[k] | 0x20); /* "DONE" -> "done" */
		key[k] = '\0';
		json_kint(j, key, (int64_t)counts[s]);
		total += counts[s];
	}
	json_kint(j, "total", (int64_t)total);
	json_object_end(j);
}

/* The fields of a run that status and show share. */
static void json_run_fields(struct json *j, const struct view *v, const struct state_run *r)
{
	json_kint(j, "id", r->id);
	json_kstr(j, "job", r->job);
	json_kstr(j, "state", run_state_name(r->state));
	json_kstr(j, "entry", r->entry);
	json_ktime(j, v, "scheduled_for", r->entry ? r->fire_time : INT64_MIN);
	json_ktime(j, v, "created", r->created);
	json_ktime(j, v, "started", r->started);
	json_ktime(j, v, "finished", r->finished);
	int64_t secs = run_secs(r, v->now);
	json_key(j, "duration_ms");
	if (secs < 0)
		json_null(j);
	else
		json_int(j, secs * 1000);
	json_kstr(j, "message", r->message);
	json_key(j, "chunks");
	json_counts(j, r->counts);
}

/* The fields of a chunk that status and show share (not its IDs, which status does not
 * read). */
static void json_chunk_fields(struct json *j, const struct view *v, const struct state_chunk *c)
{
	bool ended = c->finished && c->state != CHUNK_RUNNING;
	json_kint(j, "id", c->id);
	json_kint(j, "run", c->run);
	json_kstr(j, "job", c->job);
	json_kint(j, "index", (int64_t)c->index);
	json_kint(j, "count", (int64_t)c->count);
	json_kstr(j, "state", chunk_state_name(c->state));
	json_kint(j, "attempt", c->attempt);
	json_ktime(j, v, "started", c->started);
	json_ktime(j, v, "finished", ended ? c->finished : 0);
	json_key(j, "duration_ms");
	if (ended && c->started)
		json_int(j, c->duration_ms);
	else
		json_null(j);
	json_key(j, "exit_code");
	if (ended && c->exit_code >= 0 && !c->signal)
		json_int(j, c->exit_code);
	else
		json_null(j);
	json_key(j, "signal");
	if (ended && c->signal)
		json_int(j, c->signal);
	else
		json_null(j);
	json_kstr(j, "log", c->log_path);
	json_kstr(j, "message", c->message);
}

/* Parses RUN ("42" or "#42"). */
static int parse_run_id(const char *cmd, const char *s, int64_t *id)
{
	if (*s == '#')
		s++;
	if (parse_int64(s, id) || *id <= 0)
		return usage_error(cmd, "'%s' is not a run id; 'stau status JOB' lists runs", s);
	return EXIT_OK;
}

/* Reads run id into *r. Returns EXIT_OK, EXIT_USAGE when there is no such run (said), or
 * EXIT_STATE. */
static int get_run(struct view *v, int64_t id, struct state_run *r)
{
	int rc = v->st ? state_run_get(v->st, id, r) : 0;
	if (rc < 0)
		return state_failed(v);
	if (rc == 0) {
		error("no run %lld; 'stau status JOB' lists runs", (long long)id);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* How long the chunk's last attempt took, or has been running; "-" before it started. */
static const char *chunk_duration(const struct view *v, const struct state_chunk *c, char *buf,
				  size_t len)
{
	if (!c->started)
		return "-";
	if (c->state == CHUNK_RUNNING)
		return fmt_secs(v->now - c->started, buf, len);
	if (!c->finished)
		return "-";
	term_duration_ms(c->duration_ms, buf, len);
	return buf;
}

/* ---- stau status ---- */

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
	for (size_t i = 0; i < d->nrows; i++)
		free(d->rows[i].broken);
	free(d->rows);
	state_runs_free(d->last_runs, d->nlast);
	state_chunks_free(d->last_chunks, d->nlast_chunks);
	state_entries_free(d->entries, d->nentries);
}

static const struct state_entry *stored_entry(const struct status_data *d, const char *id)
{
	size_t lo = 0, hi = d->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, d->entries[mid].id);
		if (!c)
			return &d->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct state_run *last_run_of(const struct status_data *d, const char *job)
{
	for (size_t i = 0; i < d->nlast; i++)
		if (!strcmp(d->last_runs[i].job, job))
			return &d->last_runs[i];
	return NULL;
}

static const struct state_chunk *last_chunk_of(const struct status_data *d, const char *job)
{
	for (size_t i = 0; i < d->nlast_chunks; i++)
		if (!strcmp(d->last_chunks[i].job, job))
			return &d->last_chunks[i];
	return NULL;
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

/* Fills next/missed of row from the entries that run its job. */
static void row_schedule(const struct view *v, const struct status_data *d, struct job_row *row)
{
	row->next = -1;
	row->missed = INT64_MIN;
	for (size_t k = 0; k < v->p.sched.nentries; k++) {
		const struct entry *e = &v->p.sched.entries[k];
		if (strcmp(e->job, row->job->type))
			continue;
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
		return state_failed(v);
	d->rows = xcalloc(v->p.njobs ? v->p.njobs : 1, sizeof(*d->rows));
	for (size_t i = 0; i < v->p.njobs; i++) {
		const struct job *job = &v->p.jobs[i];
		if (only && strcmp(only, job->type))
			continue;
		struct job_row *row = &d->rows[d->nrows++];
		row->job = job;
		row->last = last_run_of(d, job->type);
		row->last_chunk = last_chunk_of(d, job->type);
		row_schedule(v, d, row);
		if (job->broken)
			row->broken = xstrdup(job->broken);
		if (v->st && (state_job_last_success(v->st, job->type, &row->last_ok) ||
			      (!row->broken && stored_broken(v, job, &row->broken))))
			return state_failed(v);
	}
	return EXIT_OK;
}

/* An entry's trigger for people: "every 15m" or the five cron fields. Newly allocated. */
static char *trigger_desc(const struct entry *e)
{
	char buf[32];
	if (e->trigger.kind == TRIGGER_EVERY) {
		duration_format(e->trigger.every, buf, sizeof(buf));
		return xasprintf("every %s", buf);
	}
	/* trigger_text is "cron F F F F F ZONE"; show the fields */
	const char *t = e->trigger_text ? e->trigger_text : "";
	if (!strncmp(t, "cron ", 5))
		t += 5;
	const char *sp = strrchr(t, ' ');
	return sp ? xstrndup(t, (size_t)(sp - t)) : xstrdup(t);
}

/* "say-hello (0,20,40 * * * *), nightly (disabled)" or "-". Newly allocated. */
static char *schedule_cell(const struct view *v, const char *job)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t k = 0; k < v->p.sched.nentries; k++) {
		const struct entry *e = &v->p.sched.entries[k];
		if (strcmp(e->job, job))
			continue;
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
		fmt_time(row->missed, entry_zone(v, row->missed_entry), buf, sizeof(buf));
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
	add_colored_cell(t, v->ctx->color, run_color(r->state), run_state_name(r->state));
	if (r->finished)
		term_relative(r->finished, v->now, buf, sizeof(buf));
	table_add(t, r->finished ? buf : "-");
	int64_t secs = run_secs(r, v->now);
	table_add(t, secs < 0 ? "-" : fmt_secs(secs, buf, sizeof(buf)));
}

/* The same for a job whose latest work was a chunk in another job's (later) run. */
static void last_chunk_cells(const struct view *v, const struct state_chunk *c, struct table *t)
{
	char buf[48];
	table_addf(t, "#%lld", (long long)c->run);
	add_colored_cell(t, v->ctx->color, chunk_color(c->state), chunk_state_name(c->state));
	if (c->finished && c->state != CHUNK_RUNNING)
		term_relative(c->finished, v->now, buf, sizeof(buf));
	table_add(t, c->finished && c->state != CHUNK_RUNNING ? buf : "-");
	table_add(t, chunk_duration(v, c, buf, sizeof(buf)));
}

static void never_run_cells(const struct view *v, struct table *t)
{
	table_add(t, "-");
	add_colored_cell(t, v->ctx->color, TERM_DIM, "never run");
	table_add(t, "-");
	table_add(t, "-");
}

static void status_row(const struct view *v, const struct job_row *row, struct table *t)
{
	char buf[48];
	const struct state_run *r = row->last;
	table_add(t, row->job->type);
	char *sched = schedule_cell(v, row->job->type);
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
				   : fmt_time(row->next, entry_zone(v, row->next_entry), buf,
					      sizeof(buf)));
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
			  const char *job)
{
	json_array_begin(j);
	for (size_t k = 0; k < v->p.sched.nentries; k++) {
		const struct entry *e = &v->p.sched.entries[k];
		if (strcmp(e->job, job))
			continue;
		json_object_begin(j);
		json_kstr(j, "entry", e->id);
		json_kstr(j, "name", e->name);
		char *desc = trigger_desc(e);
		json_kstr(j, "trigger", desc);
		free(desc);
		json_kstr(j, "timezone", tz_name(entry_zone(v, e)));
		json_kbool(j, "enabled", e->enabled);
		int64_t next = e->enabled ? trigger_next(&e->trigger, v->now) : -1;
		json_ktime(j, v, "next", next < 0 ? INT64_MIN : next);
		const struct state_entry *se = stored_entry(d, e->id);
		json_ktime(j, v, "last_handled", se ? se->last_handled : INT64_MIN);
		json_ktime(j, v, "last_missed", se ? se->last_missed : INT64_MIN);
		json_ktime(j, v, "last_skipped", se ? se->last_skipped : INT64_MIN);
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
	json_schedule(j, v, d, row->job->type);
	json_ktime(j, v, "next", row->next < 0 ? INT64_MIN : row->next);
	json_ktime(j, v, "last_missed", row->missed);
	json_ktime(j, v, "last_success", row->last_ok);
	json_key(j, "last_run");
	if (row->last) {
		json_object_begin(j);
		json_run_fields(j, v, row->last);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "last_chunk");
	if (row->last_chunk) {
		json_object_begin(j);
		json_chunk_fields(j, v, row->last_chunk);
		json_object_end(j);
	} else {
		json_null(j);
	}
}

static void print_json(struct strbuf *sb)
{
	fputs(sb->buf, stdout);
	sb_release(sb);
}

static void print_status_json(const struct view *v, const struct status_data *d)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	json_ktime(&j, v, "now", v->now);
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
	print_json(&sb);
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
	char *sched = schedule_cell(v, job->type);
	printf("schedule:      %s\n", sched);
	free(sched);
	if (row->next >= 0)
		printf("next:          %s (%s)\n",
		       fmt_time(row->next, entry_zone(v, row->next_entry), buf, sizeof(buf)),
		       row->next_entry->id);
	if (row->missed != INT64_MIN)
		printf("missed:        %s (%s)\n",
		       fmt_time(row->missed, entry_zone(v, row->missed_entry), buf, sizeof(buf)),
		       row->missed_entry->id);
	if (row->last_ok) {
		char rel[32];
		term_relative(row->last_ok, v->now, rel, sizeof(rel));
		printf("last success:  %s (%s)\n",
		       fmt_time(row->last_ok, v->zone, buf, sizeof(buf)), rel);
	} else {
		printf("last success:  never\n");
	}
	const struct state_chunk *c = row->last_chunk;
	if (c && (!row->last || c->run > row->last->id)) {
		char when[48] = "";
		enum term_color col = chunk_color(c->state);
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
	char *trig = trigger_text_of(v, r->entry, r->fire_time);
	table_add(t, trig);
	free(trig);
	add_colored_cell(t, v->ctx->color, run_color(r->state), run_state_name(r->state));
	table_add(t, fmt_time(r->started, v->zone, buf, sizeof(buf)));
	int64_t secs = run_secs(r, v->now);
	table_add(t, secs < 0 ? "-" : fmt_secs(secs, buf, sizeof(buf)));
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
	json_ktime(&j, v, "now", v->now);
	json_kbool(&j, "database", v->st != NULL);
	json_job_row(&j, v, d, row);
	json_key(&j, "runs");
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&j);
		json_run_fields(&j, v, &runs[i]);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	print_json(&sb);
}

/* A job type that is not in jobs/ but has runs (its file was removed): a bare row. */
static const struct job *orphan_job(struct job *fake, const char *type)
{
	memset(fake, 0, sizeof(*fake));
	fake->type = (char *)type;
	fake->path = (char *)"-";
	return fake;
}

static int status_of_job(struct view *v, const char *type, size_t limit)
{
	struct status_data d = { 0 };
	int rc = collect_rows(v, &d, type);
	struct state_run *runs = NULL;
	size_t n = 0;
	if (rc == EXIT_OK && v->st && state_runs_of_job(v->st, type, limit, &runs, &n))
		rc = state_failed(v);
	struct job fake;
	struct job_row orphan = { .next = -1, .missed = INT64_MIN };
	if (rc == EXIT_OK && !d.nrows) {
		if (!n) {
			rc = usage_error("status", "unknown job '%s'; 'stau status' lists the jobs",
					 type);
		} else {
			orphan.job = orphan_job(&fake, type);
			orphan.last = &runs[0];
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
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;
	opterr = 0;
	optind = 0;
	o->now = time(NULL);
	o->limit = DEFAULT_RUNS;
	while ((c = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 't':
			if (time_parse(optarg, &o->now, err, sizeof(err)))
				return usage_error("status", "--now: %s", err);
			break;
		case 'n':
			if (parse_int64(optarg, &o->limit) || o->limit < 1)
				return usage_error("status", "-n: '%s' is not a number of runs "
						   "(1 or more)", optarg);
			break;
		case ':':
			return usage_error("status", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("status", "unknown option '%s'", argv[optind - 1]);
		}
	}
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
	rc = view_init(&v, ctx);
	if (rc == EXIT_OK && o.job)
		rc = status_of_job(&v, o.job, (size_t)o.limit);
	else if (rc == EXIT_OK)
		rc = status_all(&v);
	view_release(&v);
	return rc;
}

/* ---- stau show ---- */

/* ids[0..n) compactly, cut at a comma to about max columns and then ending in
 * "… (N IDs)"; "-" when there are none. Newly allocated. */
static char *ids_brief(const int64_t *ids, size_t n, size_t max)
{
	if (!n)
		return xstrdup("-");
	char *all = workids_format_compact(ids, n);
	if (strlen(all) <= max)
		return all;
	size_t cut = max;
	while (cut > 0 && all[cut] != ',')
		cut--;
	char *s = xasprintf("%.*s,\xe2\x80\xa6 (%zu IDs)", (int)cut, all, n);
	free(all);
	return s;
}

static const char *signal_name(int sig, char *buf, size_t len)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" },	{ SIGINT, "SIGINT" },	{ SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" },	{ SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" },
		{ SIGFPE, "SIGFPE" },	{ SIGKILL, "SIGKILL" }, { SIGSEGV, "SIGSEGV" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" }, { SIGXCPU, "SIGXCPU" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* "0", "exit 3", "SIGKILL" or "-" for a chunk that has not ended. */
static const char *exit_text(const struct state_chunk *c, char *buf, size_t len)
{
	if (c->signal)
		return signal_name(c->signal, buf, len);
	if (c->exit_code < 0 || !c->finished || c->state == CHUNK_RUNNING)
		return "-";
	snprintf(buf, len, "%d", c->exit_code);
	return buf;
}

static void run_header(const struct view *v, const struct state_run *r, const int64_t *ids,
		       size_t nids)
{
	char buf[48];
	bool color = v->ctx->color;
	enum term_color rc = run_color(r->state);
	printf("%srun %lld%s of %s: %s%s%s\n", term_sgr(color, TERM_BOLD), (long long)r->id,
	       term_reset(color, TERM_BOLD), r->job, term_sgr(color, rc), run_state_name(r->state),
	       term_reset(color, rc));
	char *trig = trigger_text_of(v, r->entry, r->fire_time);
	printf("trigger:   %s%s\n", trig, r->force ? " (--force)" : "");
	free(trig);
	printf("kwargs:    %s\n", r->kwargs ? r->kwargs : "{}");
	if (r->has_ids) {
		char *brief = ids_brief(ids, nids, IDS_SHOWN_RUN);
		printf("work IDs:  %s (%zu ID%s)\n", brief, nids, nids == 1 ? "" : "s");
		free(brief);
	} else {
		printf("work IDs:  none\n");
	}
	printf("git:       %s\n", r->git ? r->git : "-");
	printf("created:   %s\n", fmt_time(r->created, v->zone, buf, sizeof(buf)));
	printf("started:   %s\n", fmt_time(r->started, v->zone, buf, sizeof(buf)));
	printf("finished:  %s", fmt_time(r->finished, v->zone, buf, sizeof(buf)));
	int64_t secs = run_secs(r, v->now);
	if (secs >= 0)
		printf(" (%s %s)", r->finished ? "took" : "running for",
		       fmt_secs(secs, buf, sizeof(buf)));
	printf("\n");
	if (r->message)
		printf("message:   %s\n", r->message);
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

static void chunk_row(const struct view *v, const struct state_chunk *c, struct table *t)
{
	char buf[48];
	table_addf(t, "%lld", (long long)c->id);
	table_add(t, c->job);
	table_addf(t, "%zu/%zu", c->index, c->count);
	char *ids = ids_brief(c->ids, c->has_ids ? c->nids : 0, IDS_SHOWN_CHUNK);
	table_add(t, ids);
	free(ids);
	add_colored_cell(t, v->ctx->color, chunk_color(c->state), chunk_state_name(c->state));
	table_addf(t, "%d", c->attempt);
	table_add(t, fmt_clock(c->started, v->zone, buf, sizeof(buf)));
	table_add(t, chunk_duration(v, c, buf, sizeof(buf)));
	table_add(t, exit_text(c, buf, sizeof(buf)));
	table_add(t, c->log_path ? c->log_path : "-");
	table_add(t, c->message);
}

static void print_chunks(const struct view *v, const struct state_chunk *cs, size_t n)
{
	static const char *const head[] = { "CHUNK",	"JOB",	"I/N", "IDS", "STATE",	 "TRY",
					    "STARTED", "DURATION", "EXIT", "LOG", "MESSAGE" };
	if (!n) {
		printf("\nno chunks\n");
		return;
	}
	struct table t;
	table_init(&t, ARRAY_SIZE(head));
	table_align_right(&t, 0);
	table_align_right(&t, 5);
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		table_add(&t, head[c]);
	for (size_t i = 0; i < n; i++)
		chunk_row(v, &cs[i], &t);
	struct strbuf sb = STRBUF_INIT;
	table_render(&t, &sb);
	printf("\n%s", sb.buf);
	sb_release(&sb);
	table_release(&t);
}

/* How an attempt ended, for the failure section: "exit 1", "killed by SIGKILL", "timed out
 * after 2h"; newly allocated. */
static char *ending_text(const struct state_chunk *c)
{
	char buf[32];
	struct strbuf sb = STRBUF_INIT;
	if (c->signal)
		sb_addf(&sb, "killed by %s", signal_name(c->signal, buf, sizeof(buf)));
	else if (c->exit_code >= 0)
		sb_addf(&sb, "exit %d", c->exit_code);
	if (c->message)
		sb_addf(&sb, "%s%s", sb.len ? ", " : "", c->message);
	return sb.len ? sb_detach(&sb) : xstrdup("failed");
}

/* The last lines of output of each chunk whose attempt failed, indented. */
static void print_tails(const struct view *v, const struct state_chunk *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct state_chunk *c = &cs[i];
		if (!c->tail || !*c->tail || c->state == CHUNK_DONE)
			continue;
		char *how = ending_text(c);
		printf("\n%schunk %lld (%s %zu/%zu) attempt %d: %s%s\n",
		       term_sgr(v->ctx->color, TERM_RED), (long long)c->id, c->job, c->index,
		       c->count, c->attempt, how, term_reset(v->ctx->color, TERM_RED));
		free(how);
		const char *line = c->tail;
		while (*line) {
			const char *end = strchr(line, '\n');
			size_t len = end ? (size_t)(end - line) : strlen(line);
			printf("    %.*s\n", (int)len, line);
			line += len + (end != NULL);
		}
	}
}

static void json_chunk(struct json *j, const struct view *v, const struct state_chunk *c)
{
	json_object_begin(j);
	json_chunk_fields(j, v, c);
	char *ids = workids_format_compact(c->ids, c->has_ids ? c->nids : 0);
	json_kstr(j, "work_ids", ids);
	free(ids);
	json_kint(j, "nids", c->has_ids ? (int64_t)c->nids : 0);
	json_ktime(j, v, "not_before", c->state == CHUNK_PENDING ? c->not_before : 0);
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
			    size_t nids, const struct state_chunk *cs, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	json_run_fields(&j, v, r);
	json_key(&j, "kwargs");
	json_raw(&j, r->kwargs ? r->kwargs : "{}");
	json_kbool(&j, "has_ids", r->has_ids);
	char *compact = workids_format_compact(ids, r->has_ids ? nids : 0);
	json_kstr(&j, "work_ids", compact);
	free(compact);
	json_kint(&j, "nids", r->has_ids ? (int64_t)nids : 0);
	json_kstr(&j, "git", r->git);
	json_kbool(&j, "force", r->force);
	json_key(&j, "chunk_list");
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++)
		json_chunk(&j, v, &cs[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	print_json(&sb);
}

/* Shows run id, its header, chunks and failures (or JSON). */
static int show_run(struct view *v, int64_t id)
{
	struct state_run r;
	int rc = get_run(v, id, &r);
	if (rc != EXIT_OK)
		return rc;
	int64_t *ids = NULL;
	size_t nids = 0;
	struct state_chunk *cs = NULL;
	size_t n = 0;
	if (state_run_ids(v->st, id, &ids, &nids) || state_run_chunks(v->st, id, true, &cs, &n)) {
		rc = state_failed(v);
	} else if (v->json) {
		print_show_json(v, &r, ids, nids, cs, n);
	} else {
		run_header(v, &r, ids, nids);
		print_chunks(v, cs, n);
		print_tails(v, cs, n);
	}
	state_chunks_free(cs, n);
	free(ids);
	state_run_release(&r);
	return rc;
}

int cmd_show(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	struct view v = { .now = time(NULL) };
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': v.json = true; break;
		case 't':
			if (time_parse(optarg, &v.now, err, sizeof(err)))
				return usage_error("show", "--now: %s", err);
			break;
		case ':':
			return usage_error("show", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("show", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("show", "%s",
				   argc == optind ? "missing the run id" : "give one run id");
	int64_t id;
	int rc = parse_run_id("show", argv[optind], &id);
	if (rc != EXIT_OK)
		return rc;
	rc = view_init(&v, ctx);
	if (rc == EXIT_OK)
		rc = show_run(&v, id);
	view_release(&v);
	return rc;
}

/* ---- stau logs ---- */

/* Copies the log file rel (relative to dir) to stdout under a "==> rel <==" line, like
 * tail(1) with several files. A file that cannot be read is said on stderr. */
static void print_log(const char *dir, const char *rel, bool *first)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	free(path);
	if (!f) {
		fflush(stdout);
		warn("cannot read '%s': %s", rel, strerror(errno));
		return;
	}
	printf("%s==> %s <==\n", *first ? "" : "\n", rel);
	*first = false;
	char buf[65536];
	size_t n, total = 0;
	char last = '\n';
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		fwrite(buf, 1, n, stdout);
		last = buf[n - 1];
		total += n;
	}
	if (ferror(f)) {
		fflush(stdout);
		warn("cannot read '%s': %s", rel, strerror(errno));
	}
	if (total && last != '\n')
		putchar('\n');
	fclose(f);
}

/* Prints every attempt's log of chunk c, oldest first. Returns how many it tried. */
static int print_chunk_logs(const char *dir, const struct state_chunk *c, bool *first)
{
	for (int a = 1; a <= c->attempt; a++) {
		char *rel = a == c->attempt && c->log_path
				    ? xstrdup(c->log_path)
				    : xasprintf(".stau/logs/%s/%lld-%lld-%d.log", c->job,
						(long long)c->run, (long long)c->id, a);
		print_log(dir, rel, first);
		free(rel);
	}
	return c->attempt;
}

/* Whether chunk c is the one named by sel: its id ("33") or JOB:INDEX ("job_A:2"). */
static bool chunk_matches(const struct state_chunk *c, const char *sel)
{
	int64_t n;
	const char *colon = strrchr(sel, ':');
	if (!colon)
		return !parse_int64(sel, &n) && n == c->id;
	size_t len = (size_t)(colon - sel);
	return strlen(c->job) == len && !strncmp(c->job, sel, len) && !parse_int64(colon + 1, &n) &&
	       n > 0 && (size_t)n == c->index;
}

static int logs_of_run(struct view *v, int64_t id, const char *sel)
{
	struct state_run r;
	int rc = get_run(v, id, &r);
	if (rc != EXIT_OK)
		return rc;
	struct state_chunk *cs = NULL;
	size_t n = 0;
	if (state_run_chunks(v->st, id, false, &cs, &n)) {
		state_run_release(&r);
		return state_failed(v);
	}
	bool first = true;
	size_t matched = 0, tried = 0;
	for (size_t i = 0; i < n; i++) {
		if (sel && !chunk_matches(&cs[i], sel))
			continue;
		matched++;
		tried += (size_t)print_chunk_logs(v->ctx->dir, &cs[i], &first);
	}
	if (sel && !matched) {
		error("no chunk '%s' in run %lld; 'stau show %lld' lists its chunks", sel,
		      (long long)id, (long long)id);
		rc = EXIT_USAGE;
	} else if (!tried && sel) {
		warn("chunk '%s' of run %lld has not started yet, so it has no log", sel,
		     (long long)id);
	} else if (!tried) {
		warn("no chunk of run %lld has started yet, so there are no logs", (long long)id);
	}
	state_chunks_free(cs, n);
	state_run_release(&r);
	return rc;
}

int cmd_logs(struct ctx *ctx, int argc, char **argv)
{
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", (const struct option[]){ { 0 } }, NULL)) != -1)
		return usage_error("logs", "unknown option '%s'", argv[optind - 1]);
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("logs", argc == optind ? "missing the run id"
							  : "give a run id and at most one chunk");
	int64_t id;
	int rc = parse_run_id("logs", argv[optind], &id);
	if (rc != EXIT_OK)
		return rc;
	struct view v = { .ctx = ctx, .now = time(NULL) };
	rc = view_open_state(&v);
	if (rc == EXIT_OK)
		rc = logs_of_run(&v, id, optind + 1 < argc ? argv[optind + 1] : NULL);
	state_close(v.st);
	return rc;
}
