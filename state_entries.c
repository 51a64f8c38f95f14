/* state_entries.c - schedule entries in the state store: for each entry of schedule.yaml, the
 * fingerprint of its trigger and the last fire time handled, missed and skipped, and the last
 * run it queued (docs/design.md, "Scheduling"; due.c decides, this file only remembers).
 *
 * A tick reads every entry in one query and writes only the entries whose decision changed.
 * Each entry also keeps its next fire time (indexed), which tells a tick with nothing to do
 * that nothing is due without reading schedule.yaml (docs/design.md, "The quiet tick"). */
#include <stdlib.h>
#include <string.h>

#include "state_db.h"
#include "util.h"

/* ---- schedule entries ---- */

void state_entry_release(struct state_entry *e)
{
	free(e->id);
	free(e->fingerprint);
	memset(e, 0, sizeof(*e));
}

void state_entries_free(struct state_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_entry_release(&e[i]);
	free(e);
}

static void entry_from_row(sqlite3_stmt *s, struct state_entry *e)
{
	e->id = col_str(s, 0);
	e->fingerprint = col_str(s, 1);
	e->last_handled = col_time(s, 2, INT64_MIN);
	e->last_missed = col_time(s, 3, INT64_MIN);
	e->last_skipped = col_time(s, 4, INT64_MIN);
	e->last_run = col_time(s, 5, 0);
}

int state_entry_get(struct state *st, const char *id, struct state_entry *out)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_GET);
	if (!s)
		return -1;
	bind_text(s, 1, id);
	int rc = db_step(st, s);
	if (rc != 1)
		return rc;
	entry_from_row(s, out);
	sqlite3_reset(s);
	return 1;
}

int state_entries_all(struct state *st, struct state_entry **out, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRIES_ALL);
	if (!s)
		return -1;
	struct state_entry *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		entry_from_row(s, &v[k++]);
	}
	if (rc < 0) {
		state_entries_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

void state_entry_take(struct state_entry *se, int got, const char *id, const char *fingerprint,
		      const struct due_decision *d)
{
	if (!got) {
		se->id = xstrdup(id);
		se->last_missed = se->last_skipped = INT64_MIN;
	}
	free(se->fingerprint);
	se->fingerprint = xstrdup(fingerprint);
	se->last_handled = d->last_handled;
	if (d->action == DUE_MISSED)
		se->last_missed = d->fire;
	if (d->action == DUE_SKIPPED)
		se->last_skipped = d->fire;
}

int state_entry_set(struct state *st, const struct state_entry *e)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_SET);
	if (!s)
		return -1;
	bind_text(s, 1, e->id);
	bind_text(s, 2, e->fingerprint ? e->fingerprint : "");
	bind_time(s, 3, e->last_handled);
	bind_time(s, 4, e->last_missed);
	bind_time(s, 5, e->last_skipped);
	bind_time(s, 6, e->last_run ? e->last_run : INT64_MIN);
	return db_write1(st, s);
}

/* ---- next fire times ---- */

void state_entry_nexts_free(struct state_entry_next *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].fingerprint);
	}
	free(v);
}

int state_entry_nexts(struct state *st, struct state_entry_next **out, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_NEXTS);
	if (!s)
		return -1;
	struct state_entry_next *v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	while ((rc = db_step(st, s)) == 1) {
		grow(&v, &cap, k + 1, sizeof(*v));
		v[k++] = (struct state_entry_next){ col_str(s, 0), col_str(s, 1),
						    col_time(s, 2, INT64_MIN),
						    col_time(s, 3, INT64_MIN) };
	}
	if (rc < 0) {
		state_entry_nexts_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

int state_entry_set_next(struct state *st, const char *id, int64_t next_fire)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_SET_NEXT);
	if (!s)
		return -1;
	bind_text(s, 1, id);
	bind_time(s, 2, next_fire);
	return db_write1(st, s);
}

int state_entries_may_be_due(struct state *st, int64_t now)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_NEXT_UNKNOWN);
	int rc = s ? db_exists(st, s) : -1;
	if (rc)
		return rc;
	s = db_stmt(st, Q_ENTRY_NEXT_DUE);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	return db_exists(st, s);
}

int state_entries_due_ids(struct state *st, int64_t now, char ***ids, size_t *n)
{
	sqlite3_stmt *s = db_stmt(st, Q_ENTRY_DUE_IDS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	size_t cap = 0;
	int rc;
	*ids = NULL;
	*n = 0;
	while ((rc = db_step(st, s)) == 1) {
		grow(ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = col_str(s, 0);
	}
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			free((*ids)[i]);
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
