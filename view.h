/* view.h - what the read-only views (status, show, logs) share: the project and database they
 * read, and how times, runs and chunks are shown in text and in JSON.
 *
 * Text shows absolute times as ISO 8601 in the project's zone (settings timezone) and fire
 * times in their entry's zone; JSON shows every time in UTC, null for "not yet" or "none". */
#ifndef STAU_VIEW_H
#define STAU_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdctx.h"
#include "json.h"
#include "project.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"

/* What every view works with. */
struct view {
	const struct ctx *ctx;
	const struct project *p; /* the command's (NEED_CONFIG); set by view_init only */
	struct state *st;	/* the command's; NULL: there is no database yet */
	const struct tz *zone;	/* the project's time zone */
	const struct tz *utc;
	int64_t now;		/* --now, or the clock */
	bool json;
};

/* Sets v->ctx, the project and the database from ctx, which stau.c set up with NEED_CONFIG
 * and NEED_STATE_GENTLY (ctx->st is NULL before the first run: reading never creates the
 * database), warns once when schedule.yaml has problems (which 'stau check' lists), and
 * resolves the zones. v holds nothing of its own to release. */
void view_init(struct view *v, const struct ctx *ctx);
/* Prints the last state error of v->st and returns EXIT_STATE. */
int view_state_error(struct view *v);
/* Reads run id into *r (state_run_release it). Returns EXIT_OK, EXIT_USAGE when there is no
 * such run (also when there is no database; said), or EXIT_STATE (said). */
int view_get_run(struct view *v, int64_t id, struct state_run *r);

/* t in zone as ISO 8601 into buf (>= 48 bytes), or "-" for 0 and INT64_MIN; returns buf. */
const char *view_time(int64_t t, const struct tz *zone, char *buf, size_t len);
/* A duration in whole seconds: "<1s" below 1 s (also for a negative one, which a clock set
 * back can give), "4s" below 10 s (no false tenths), then as term_duration_ms ("45s",
 * "3m20s"); returns buf (>= 16 bytes). */
const char *view_secs(int64_t secs, char *buf, size_t len);
/* A run's wall time: finished - started, or now - started while open; -1 before it started. */
int64_t view_run_secs(const struct state_run *r, int64_t now);
/* How long a chunk's last attempt took ("1.5s"), or has been running; "-" before it started.
 * Returns buf or a constant. */
const char *view_chunk_duration(const struct view *v, const struct state_chunk *c, char *buf,
				size_t len);

/* Colours of states: DONE green, FAILED red, CANCELED yellow, running or queued blue. */
enum term_color view_run_color(enum run_state s);
enum term_color view_chunk_color(enum chunk_state s);
/* Adds s to t, coloured c when color. */
void view_add_cell(struct table *t, bool color, enum term_color c, const char *s);

/* The schedule entry with this id in the project, or NULL (also for a NULL id). */
const struct entry *view_find_entry(const struct project *p, const char *id);
/* The zone an entry's fire times are shown in (the project's for NULL or an unknown entry). */
const struct tz *view_entry_zone(const struct view *v, const struct entry *e);
/* A run's trigger for people: "nightly 2026-01-02T03:00:00+01:00" or "manual". Newly
 * allocated. */
char *view_trigger(const struct view *v, const char *entry, int64_t fire_time);

/* Writes "key": t as ISO 8601 in UTC, or null for 0 and INT64_MIN. */
void view_json_time(struct json *j, const struct view *v, const char *key, int64_t t);
/* Writes the members of a run that status and show share (id, job, state, trigger, times,
 * duration_ms, message, chunk counts by state) into the open object. */
void view_json_run(struct json *j, const struct view *v, const struct state_run *r);
/* The same for a chunk (not its IDs, which status does not read). */
void view_json_chunk(struct json *j, const struct view *v, const struct state_chunk *c);
/* Prints a finished JSON document on stdout and releases sb. */
void view_print_json(struct strbuf *sb);

#endif
