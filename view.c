/* view.c - what the read-only views share: showing times, runs and chunks in text and JSON.
 *
 * The views take no lock: in WAL mode a reader never blocks a tick and never restarts the
 * WAL, so `stau status` in a terminal can never stall the executor. */
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "usage.h"
#include "util.h"


static bool view_schedule_has_problems(const struct project *p)
{
	for (size_t i = 0; i < p->diags.n; i++)
		if (p->diags.v[i].file && !strcmp(p->diags.v[i].file, "schedule.yaml"))
			return true;
	return false;
}

/* The project's problems are `stau check`'s to list, so only a summary goes to stderr. */
void view_init(struct view *v, const struct ctx *ctx)
{
	char err[256];
	v->ctx = ctx;
	v->p = &ctx->p;
	v->st = ctx->st;
	if (!v->p->sched_ok)
		warn("schedule.yaml cannot be used: nothing new is scheduled; 'stau check' says why");
	else if (view_schedule_has_problems(v->p))
		warn("schedule.yaml has problems, each disabling its entry; 'stau check' lists them");
	v->utc = tz_get("UTC", err, sizeof(err));
	v->zone = tz_get(v->p->sched.settings.timezone ? v->p->sched.settings.timezone : "UTC",
			 err, sizeof(err));
	if (!v->zone)
		v->zone = v->utc;
}

int view_state_error(struct view *v)
{
	error("%s", state_errmsg(v->st));
	return EXIT_STATE;
}

/* Formats t in zone into buf (>= 48 bytes); "-" when t is 0 (not yet) or INT64_MIN (none). */
const char *view_time(int64_t t, const struct tz *zone, char *buf, size_t len)
{
	if (t == 0 || t == INT64_MIN)
		snprintf(buf, len, "-");
	else
		time_format(t, zone, buf, len);
	return buf;
}

/* A duration of whole seconds: "<1s", "4s" (no false tenths), then as term_duration_ms.
 * The seconds are differences of times recorded in whole seconds: 0 means that both fell in
 * one second of the clock, so less than a second passed; "0s" would say no time did. */
const char *view_secs(int64_t secs, char *buf, size_t len)
{
	if (secs < 1)
		snprintf(buf, len, "<1s");
	else if (secs < 10)
		snprintf(buf, len, "%llds", (long long)secs);
	else
		term_duration_ms(secs * 1000, buf, len);
	return buf;
}

/* The wall time of a run so far: finished - started, or now - started while it is open. */
int64_t view_run_secs(const struct state_run *r, int64_t now)
{
	if (!r->started)
		return -1;
	return (r->finished ? r->finished : now) - r->started;
}

enum term_color view_run_color(enum run_state s)
{
	switch (s) {
	case RUN_DONE: return TERM_GREEN;
	case RUN_FAILED: return TERM_RED;
	case RUN_CANCELED: return TERM_YELLOW;
	default: return TERM_BLUE;
	}
}

enum term_color view_chunk_color(enum chunk_state s)
{
	switch (s) {
	case CHUNK_DONE: return TERM_GREEN;
	case CHUNK_FAILED: return TERM_RED;
	case CHUNK_CANCELED: return TERM_YELLOW;
	case CHUNK_RUNNING: return TERM_BLUE;
	default: return TERM_PLAIN;
	}
}

void view_add_cell(struct table *t, bool color, enum term_color c, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	term_add_colored(&sb, color, c, s);
	table_add(t, sb.buf);
	sb_release(&sb);
}

const struct entry *view_find_entry(const struct project *p, const char *id)
{
	for (size_t i = 0; id && i < p->sched.nentries; i++)
		if (!strcmp(p->sched.entries[i].id, id))
			return &p->sched.entries[i];
	return NULL;
}

/* The zone an entry's fire times are printed in. */
const struct tz *view_entry_zone(const struct view *v, const struct entry *e)
{
	char err[256];
	if (e && e->trigger.kind == TRIGGER_CRON && e->trigger.zone)
		return e->trigger.zone;
	const struct tz *z = e && e->timezone ? tz_get(e->timezone, err, sizeof(err)) : NULL;
	return z ? z : v->zone;
}

/* A run's trigger for people: "say-hello 2026-01-01T10:20:00+00:00" or "manual". */
char *view_trigger(const struct view *v, const char *entry, int64_t fire_time)
{
	char buf[48];
	if (!entry)
		return xstrdup("manual");
	view_time(fire_time, view_entry_zone(v, view_find_entry(v->p, entry)), buf, sizeof(buf));
	return xasprintf("%s %s", entry, buf);
}

/* Writes "key": ISO time in UTC, or null for 0 / INT64_MIN. */
void view_json_time(struct json *j, const struct view *v, const char *key, int64_t t)
{
	char buf[48];
	json_key(j, key);
	if (t == 0 || t == INT64_MIN)
		json_null(j);
	else
		json_string(j, view_time(t, v->utc, buf, sizeof(buf)));
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
void view_json_run(struct json *j, const struct view *v, const struct state_run *r)
{
	json_kint(j, "id", r->id);
	json_kstr(j, "job", r->job);
	json_kstr(j, "state", run_state_name(r->state));
	json_kstr(j, "entry", r->entry);
	view_json_time(j, v, "scheduled_for", r->entry ? r->fire_time : INT64_MIN);
	view_json_time(j, v, "created", r->created);
	view_json_time(j, v, "started", r->started);
	view_json_time(j, v, "finished", r->finished);
	int64_t secs = view_run_secs(r, v->now);
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
void view_json_chunk(struct json *j, const struct view *v, const struct state_chunk *c)
{
	bool ended = c->finished && c->state != CHUNK_RUNNING;
	json_kint(j, "id", c->id);
	json_kint(j, "run", c->run);
	json_kstr(j, "job", c->job);
	json_kint(j, "index", (int64_t)c->index);
	json_kint(j, "count", (int64_t)c->count);
	json_kstr(j, "state", chunk_state_name(c->state));
	json_kint(j, "attempt", c->attempt);
	view_json_time(j, v, "started", c->started);
	view_json_time(j, v, "finished", ended ? c->finished : 0);
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

/* How long the chunk's last attempt took, or has been running; "-" before it started. */
const char *view_chunk_duration(const struct view *v, const struct state_chunk *c, char *buf,
				  size_t len)
{
	if (!c->started)
		return "-";
	if (c->state == CHUNK_RUNNING)
		return view_secs(v->now - c->started, buf, len);
	if (!c->finished)
		return "-";
	term_duration_ms(c->duration_ms, buf, len);
	return buf;
}


void view_print_json(struct strbuf *sb)
{
	fputs(sb->buf, stdout);
	sb_release(sb);
}

int view_get_run(struct view *v, int64_t id, struct state_run *r)
{
	int rc = v->st ? state_run_get(v->st, id, r) : 0;
	if (rc < 0)
		return view_state_error(v);
	return rc == 0 ? error_no_run(id) : EXIT_OK;
}
