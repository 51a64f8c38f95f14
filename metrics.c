/* metrics.c - every job's and entry's health in the Prometheus text format (metrics.h).
 *
 * The names follow Prometheus's conventions: a stau_ prefix, the unit as a suffix
 * (_seconds, _timestamp_seconds), _total on counters, and a label instead of a family per
 * value (result="failed"). A job's result is one family with a sample per possible result,
 * 1 for the one that holds, so that `stau_job_last_run_result{result="failed"} == 1` is the
 * alert and a result that changed leaves no stale series behind. Counters come from the
 * database's counters (schema version 3), so they never go down when old runs are pruned. */
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "promtext.h"

#define VERSION_COMMENT "# stau state version "

/* The results as label values, by enum health_result (RESULT_NEVER has none). */
static const char *const result_labels[RESULT_N] = {
	[RESULT_QUEUED] = "queued",   [RESULT_PENDING] = "pending", [RESULT_RUNNING] = "running",
	[RESULT_DONE] = "done",	      [RESULT_FAILED] = "failed",   [RESULT_CANCELED] = "canceled",
	[RESULT_LOST] = "lost",
};

/* What a job family shows of a row: sets *v and returns true, or false for no sample. */
typedef bool job_value_fn(const struct health_job *row, int64_t now, int64_t *v);

struct job_family {
	const char *name, *type, *help;
	job_value_fn *value;
	bool ms; /* the value is milliseconds, written in seconds */
};

static bool last_success(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->last_success;
	return r->last_success != 0;
}

static bool run_id(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->run;
	return r->run != 0;
}

static bool run_duration(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = ((r->finished ? r->finished : now) - r->started) * 1000;
	return r->run && r->started;
}

static bool run_finished(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->finished;
	return r->run && r->finished;
}

static bool failed_chunks(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->failed_chunks;
	return true;
}

static bool failed_runs(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->failed_runs;
	return true;
}

static bool broken(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->problem != NULL;
	return true;
}

static bool queued(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->pending;
	return true;
}

static bool running(const struct health_job *r, int64_t now, int64_t *v)
{
	*v = r->running;
	return true;
}

static const struct job_family job_families[] = {
	{ "stau_job_last_success_timestamp_seconds", "gauge",
	  "When a chunk of the job last succeeded (Unix time).", last_success, false },
	{ "stau_job_last_run_id", "gauge",
	  "The newest run the job took part in, as master job or as a dependency.", run_id,
	  false },
	{ "stau_job_last_run_duration_seconds", "gauge",
	  "How long the job's part in its newest run took, or has taken so far.", run_duration,
	  true },
	{ "stau_job_last_run_finished_timestamp_seconds", "gauge",
	  "When the job's part in its newest run ended (Unix time).", run_finished, false },
	{ "stau_job_failed_chunks_total", "counter",
	  "Chunks of the job that failed for good (after their retries).", failed_chunks, false },
	{ "stau_job_failed_runs_total", "counter",
	  "Runs of the job as master job that ended FAILED.", failed_runs, false },
	{ "stau_job_broken", "gauge",
	  "1 when the job cannot run (BROKEN: its header, an unknown dependency, a cycle, a "
	  "fatal exit, or a dependency that is BROKEN); 'stau status' says why.", broken, false },
	{ "stau_job_chunks_queued", "gauge",
	  "Chunks of the job waiting to run (PENDING), in all runs.", queued, false },
	{ "stau_job_chunks_running", "gauge", "Chunks of the job running now, in all runs.",
	  running, false },
};

/* Appends the family's HELP and TYPE lines and then its samples, or nothing when it has
 * none (a family without samples says nothing worth a line). */
static void add_family(struct strbuf *sb, const char *name, const char *type, const char *help,
		       const struct strbuf *samples)
{
	if (!samples->len)
		return;
	prom_family(sb, name, type, help);
	sb_add(sb, samples->buf, samples->len);
}

static void job_family(struct strbuf *out, const struct job_family *f, const struct health *h,
		       int64_t now)
{
	struct strbuf samples = STRBUF_INIT, *sb = &samples;
	for (size_t i = 0; i < h->njobs; i++) {
		int64_t v;
		struct prom_label l = { "job", h->jobs[i].job->type };
		if (!f->value(&h->jobs[i], now, &v))
			continue;
		if (f->ms)
			prom_sample_ms(sb, f->name, &l, 1, v);
		else
			prom_sample(sb, f->name, &l, 1, v);
	}
	add_family(out, f->name, f->type, f->help, &samples);
	sb_release(&samples);
}

static void result_family(struct strbuf *out, const struct health *h)
{
	static const char name[] = "stau_job_last_run_result";
	struct strbuf samples = STRBUF_INIT, *sb = &samples;
	for (size_t i = 0; i < h->njobs; i++) {
		const struct health_job *row = &h->jobs[i];
		for (int r = 0; row->result != RESULT_NEVER && r < RESULT_N; r++) {
			struct prom_label l[] = { { "job", row->job->type },
						  { "result", result_labels[r] } };
			if (result_labels[r])
				prom_sample(sb, name, l, 2, row->result == (enum health_result)r);
		}
	}
	add_family(out, name, "gauge",
		   "1 for the result of the job in its newest run, 0 for the other results: "
		   "failed when any of its chunks there failed, lost when the stau process "
		   "running it is gone.", &samples);
	sb_release(&samples);
}

/* What an entry family shows of a row: sets *v and returns true, or false for no sample. */
typedef bool entry_value_fn(const struct health_entry *e, int64_t *v);

struct entry_family {
	const char *name, *type, *help;
	entry_value_fn *value;
};

static bool enabled(const struct health_entry *e, int64_t *v)
{
	*v = e->e->enabled;
	return true;
}

static bool problem(const struct health_entry *e, int64_t *v)
{
	*v = e->problem != NULL;
	return true;
}

static bool missed(const struct health_entry *e, int64_t *v)
{
	*v = e->missed;
	return true;
}

static bool skipped(const struct health_entry *e, int64_t *v)
{
	*v = e->skipped;
	return true;
}

static bool last_fire(const struct health_entry *e, int64_t *v)
{
	*v = e->last_handled;
	return e->last_handled != INT64_MIN;
}

static bool next_fire(const struct health_entry *e, int64_t *v)
{
	*v = e->next;
	return e->next >= 0;
}

static const struct entry_family entry_families[] = {
	{ "stau_entry_enabled", "gauge", "1 when the schedule entry is enabled.", enabled },
	{ "stau_entry_problem", "gauge",
	  "1 when the entry cannot run: a problem of its own disables it, its job is BROKEN, "
	  "or schedule.yaml cannot be used.",
	  problem },
	{ "stau_entry_missed_fires_total", "counter",
	  "Fire times of the entry recorded as missed (older than misfire_grace when seen).",
	  missed },
	{ "stau_entry_skipped_fires_total", "counter",
	  "Fire times of the entry skipped because its job was still queued or running.",
	  skipped },
	{ "stau_entry_last_fire_timestamp_seconds", "gauge",
	  "The latest fire time the entry handled: run, missed or skipped (Unix time).",
	  last_fire },
	{ "stau_entry_next_fire_timestamp_seconds", "gauge",
	  "The next fire time of the enabled entry (Unix time).", next_fire },
};

static void entry_family(struct strbuf *out, const struct entry_family *f,
			 const struct health *h)
{
	struct strbuf samples = STRBUF_INIT;
	for (size_t i = 0; i < h->nentries; i++) {
		int64_t v;
		struct prom_label l[] = { { "entry", h->entries[i].e->id },
					  { "job", h->entries[i].e->job } };
		if (f->value(&h->entries[i], &v))
			prom_sample(&samples, f->name, l, 2, v);
	}
	add_family(out, f->name, f->type, f->help, &samples);
	sb_release(&samples);
}

int metrics_text(const struct project *p, struct state *st, int64_t now, struct strbuf *out,
		 char *err, size_t errlen)
{
	struct health h;
	int64_t version = 0;
	if (st && state_runs_changed(st, &version)) {
		snprintf(err, errlen, "%s", state_errmsg(st));
		return -1;
	}
	if (health_read(&h, p, st, now, 0, err, errlen))
		return -1;
	sb_addf(out, VERSION_COMMENT "%" PRId64 "\n", version);
	result_family(out, &h);
	for (size_t i = 0; i < ARRAY_SIZE(job_families); i++)
		job_family(out, &job_families[i], &h, now);
	for (size_t i = 0; i < ARRAY_SIZE(entry_families); i++)
		entry_family(out, &entry_families[i], &h);
	prom_family(out, "stau_schedule_problems", "gauge",
		    "Problems in schedule.yaml, each disabling its entry ('stau check' lists "
		    "them).");
	prom_sample(out, "stau_schedule_problems", NULL, 0, (int64_t)h.schedule_problems);
	health_release(&h);
	return 0;
}

int64_t metrics_text_version(const char *text)
{
	size_t n = strlen(VERSION_COMMENT);
	int64_t v;
	if (!text || strncmp(text, VERSION_COMMENT, n))
		return -1;
	const char *end = strchr(text + n, '\n');
	if (!end)
		return -1;
	char *num = xstrndup(text + n, (size_t)(end - text - n));
	int rc = parse_int64(num, &v);
	free(num);
	return rc || v < 0 ? -1 : v;
}
