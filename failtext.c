/* failtext.c - the line that tells that a chunk failed (failtext.h).
 *
 * The facts come from the state after the failure was recorded: the run (its master job),
 * the chunk again (its log tail and exit status: the engine's hook has only the chunk as it
 * was claimed), and the run's chunks with their dependencies, among which the canceled ones
 * that depend on the failed chunk. Only a chunk that failed is looked at this closely, so
 * the three reads cost nothing on a run that goes well. */
#include "failtext.h"

#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "util.h"
#include "workids.h"

/* ---- the last line of output ---- */

/* Whether line[0..len) is one stau wrote, not the job: a header line, the trailer
 * ("[exited with status 1]", "[killed by SIGKILL]"), the runner's "cannot import". */
static bool stau_line(const char *line, size_t len)
{
	static const char *const prefixes[] = { "stau: ", "stau runner: cannot import " };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (len >= n && !memcmp(line, prefixes[i], n))
			return true;
	}
	return len >= 2 && line[0] == '[' && line[len - 1] == ']';
}

static bool blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	return true;
}

/* line[0..len), blanks at both ends removed, escaped as every text from a job is. */
static char *escaped(const char *line, size_t len)
{
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	struct strbuf sb = STRBUF_INIT;
	sb_add_escaped(&sb, line, len, false);
	return sb_detach(&sb);
}

char *failtext_last_line(const char *tail)
{
	if (!tail)
		return NULL;
	size_t end = strlen(tail);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && tail[start - 1] != '\n')
			start--;
		size_t len = end - start;
		if (len && tail[start + len - 1] == '\n')
			len--;
		if (!blank(tail + start, len) && !stau_line(tail + start, len)) {
			char *e = escaped(tail + start, len);
			char *cut = term_truncate(e, FAILTEXT_LAST_MAX);
			free(e);
			return cut;
		}
		end = start ? start - 1 : 0;
	}
	return NULL;
}

/* ---- the canceled dependents ---- */

/* A chunk id and its position in the run's array, sorted by id to find a dependency fast. */
struct chunk_pos {
	int64_t id;
	size_t i;
};

static int by_id(const void *a, const void *b)
{
	int64_t x = ((const struct chunk_pos *)a)->id, y = ((const struct chunk_pos *)b)->id;
	return (x > y) - (x < y);
}

/* Whether chunk c depends on the failed chunk or on one marked as its dependent. */
static bool depends_on_marked(const struct state_chunk *c, int64_t failed,
			      const struct chunk_pos *pos, size_t n, const bool *in)
{
	for (size_t k = 0; k < c->ndeps; k++) {
		if (c->deps[k] == failed)
			return true;
		struct chunk_pos key = { .id = c->deps[k] };
		const struct chunk_pos *p = bsearch(&key, pos, n, sizeof(*pos), by_id);
		if (p && in[p->i])
			return true;
	}
	return false;
}

size_t failtext_canceled(const struct state_chunk *cs, size_t n, int64_t failed, size_t *out)
{
	/* the failed chunk's dependents, grown until nothing is added: plan order puts
	 * dependencies first, so one pass usually does, but nothing here relies on it */
	struct chunk_pos *pos = xmalloc((n ? n : 1) * sizeof(*pos));
	bool *in = xcalloc(n ? n : 1, sizeof(*in));
	for (size_t i = 0; i < n; i++)
		pos[i] = (struct chunk_pos){ cs[i].id, i };
	qsort(pos, n, sizeof(*pos), by_id);
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i] || cs[i].id == failed ||
			    !depends_on_marked(&cs[i], failed, pos, n, in))
				continue;
			in[i] = grew = true;
		}
	}
	size_t nout = 0;
	for (size_t i = 0; i < n; i++)
		if (in[i] && cs[i].state == CHUNK_CANCELED)
			out[nout++] = i;
	free(in);
	free(pos);
	return nout;
}

/* ---- the line ---- */

/* " (IDs 3-4)", " (ID 7)", " (IDs 1-6,9,… (1000 IDs))"; nothing for a run without IDs. */
static void add_ids(struct strbuf *sb, const struct state_chunk *c)
{
	if (!c->has_ids || !c->ids)
		return;
	char *brief = workids_format_brief(c->ids, c->nids, FAILTEXT_IDS_MAX);
	sb_addf(sb, " (ID%s %s)", c->nids == 1 ? "" : "s", brief);
	free(brief);
}

static void add_canceled(struct strbuf *sb, const struct failtext *f)
{
	if (!f->ncanceled)
		return;
	sb_adds(sb, "; canceled: ");
	for (size_t i = 0; i < f->ncanceled && i < FAILTEXT_CANCELED_MAX; i++) {
		const struct state_chunk *d = f->canceled[i];
		sb_addf(sb, "%s%s %zu/%zu", i ? ", " : "", d->job, d->index, d->count);
	}
	if (f->ncanceled > FAILTEXT_CANCELED_MAX)
		sb_addf(sb, " and %zu more", f->ncanceled - FAILTEXT_CANCELED_MAX);
}

char *failtext_format(const struct failtext *f)
{
	const struct state_chunk *c = f->c;
	struct strbuf sb = STRBUF_INIT;
	if (f->master)
		sb_addf(&sb, "%s run %lld: %s %zu/%zu", f->master, (long long)c->run, c->job,
			c->index, c->count);
	else
		sb_addf(&sb, "run %lld: %s %zu/%zu", (long long)c->run, c->job, c->index, c->count);
	add_ids(&sb, c);
	sb_addf(&sb, " failed: %s", f->how);
	if (f->last && f->by_exit)
		sb_addf(&sb, ": %s", f->last);
	if (f->note)
		sb_addf(&sb, "; %s", f->note);
	if (f->retry_at)
		sb_addf(&sb, "; retry at %s", f->retry_at);
	else
		add_canceled(&sb, f);
	if (c->log_path)
		sb_addf(&sb, "; log %s", c->log_path);
	return sb_detach(&sb);
}

char *failtext_line(struct state *st, const struct state_chunk *c,
		    const struct engine_finish *fin, const char *retry_at)
{
	struct engine_finish plain = *fin;
	plain.note = NULL;
	char *how = engine_failure_text(&plain);
	struct failtext f = { .c = c, .how = how, .note = fin->note, .retry_at = retry_at };
	struct state_run run;
	struct state_chunk now, *cs = NULL;
	size_t n = 0;
	bool have_run = state_run_get(st, c->run, &run) == 1;
	bool have_now = state_chunk_get(st, c->id, &now) == 1;
	char *last = NULL;
	if (have_run)
		f.master = run.job;
	if (have_now) {
		f.last = last = failtext_last_line(now.tail);
		f.by_exit = now.exit_code > 0 && !now.signal;
	}
	size_t *idx = NULL;
	const struct state_chunk **canceled = NULL;
	if (!retry_at && !state_run_chunks(st, c->run, false, &cs, &n) && n) {
		idx = xmalloc(n * sizeof(*idx));
		canceled = xmalloc(n * sizeof(*canceled));
		f.ncanceled = failtext_canceled(cs, n, c->id, idx);
		for (size_t i = 0; i < f.ncanceled; i++)
			canceled[i] = &cs[idx[i]];
		f.canceled = canceled;
	}
	char *line = failtext_format(&f);
	free(canceled);
	free(idx);
	state_chunks_free(cs, n);
	free(last);
	free(how);
	if (have_now)
		state_chunk_release(&now);
	if (have_run)
		state_run_release(&run);
	return line;
}
