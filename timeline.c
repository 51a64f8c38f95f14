/* timeline.c - a run's chunks drawn against time (timeline.h).
 *
 * First each chunk gets its span in milliseconds (when it was ready, started and ended),
 * dependencies before dependents; then each row is a line of cells, one character per
 * column, and runs of one character are coloured together. */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "term.h"

#define LABEL_MAX 24	/* columns of "job i/n" before it is cut */
#define TRAILER_ROOM 18 /* columns kept right of the bar: "  1m06s FAILED" */
#define WIDTH_MIN 40

/* When a chunk was ready, started and ended, in milliseconds; drawn: it has a bar. */
struct span {
	int64_t ready, start, end;
	bool drawn;
	int mark; /* 0 not computed, 1 being computed, 2 done */
};

struct tl {
	const struct state_chunk *cs;
	size_t n;
	struct span *sp;
	size_t *by_id;	 /* indexes into cs sorted by chunk id */
	int64_t t0, t1; /* the first start, the last end */
	size_t w;	 /* columns of the bar */
	const struct timeline_opts *o;
};

/* ---- spans ---- */

static int cmp_by_id(const void *a, const void *b, void *ctx)
{
	const struct state_chunk *cs = ctx;
	int64_t x = cs[*(const size_t *)a].id, y = cs[*(const size_t *)b].id;
	return x < y ? -1 : x > y;
}

/* The index of chunk id in cs, or n when it is not in this run. */
static size_t find(const struct tl *t, int64_t id)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t m = t->cs[t->by_id[mid]].id;
		if (m == id)
			return t->by_id[mid];
		if (m < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return t->n;
}

static bool has_bar(const struct state_chunk *c)
{
	return c->started > 0 && (c->state == CHUNK_RUNNING || c->state == CHUNK_DONE ||
				  c->state == CHUNK_FAILED);
}

/* Computes the span of chunk i, after those of its dependencies: it was ready when the last
 * of them ended (INT64_MIN: it has none drawn), and started no earlier. */
static void compute(struct tl *t, size_t i)
{
	struct span *s = &t->sp[i];
	const struct state_chunk *c = &t->cs[i];
	if (s->mark)
		return;
	s->mark = 1;
	int64_t deps_end = INT64_MIN;
	for (size_t k = 0; k < c->ndeps; k++) {
		size_t j = find(t, c->deps[k]);
		if (j == t->n)
			continue;
		compute(t, j);
		if (t->sp[j].drawn && t->sp[j].end > deps_end)
			deps_end = t->sp[j].end;
	}
	s->drawn = has_bar(c);
	s->ready = deps_end;
	if (s->drawn) {
		s->start = c->started * 1000;
		/* it ended in the second `finished`, so it began no earlier than that minus
		 * its duration (and within its second `started`) */
		int64_t from_end = c->finished * 1000 - c->duration_ms;
		if (c->state != CHUNK_RUNNING && c->finished && from_end > s->start)
			s->start = from_end < s->start + 999 ? from_end : s->start + 999;
		if (deps_end > s->start)
			s->start = deps_end;
		s->end = c->state == CHUNK_RUNNING ? t->o->now * 1000 : s->start + c->duration_ms;
		if (s->end < s->start)
			s->end = s->start;
	}
	s->mark = 2;
}

/* Spans of every chunk, and the first start and last end; returns whether any is drawn. */
static bool compute_spans(struct tl *t)
{
	t->sp = xcalloc(t->n ? t->n : 1, sizeof(*t->sp));
	t->by_id = xmalloc((t->n ? t->n : 1) * sizeof(*t->by_id));
	for (size_t i = 0; i < t->n; i++)
		t->by_id[i] = i;
	qsort_r(t->by_id, t->n, sizeof(*t->by_id), cmp_by_id, (void *)t->cs);
	bool any = false;
	for (size_t i = 0; i < t->n; i++) {
		compute(t, i);
		const struct span *s = &t->sp[i];
		if (!s->drawn)
			continue;
		if (!any || s->start < t->t0)
			t->t0 = s->start;
		if (!any || s->end > t->t1)
			t->t1 = s->end;
		any = true;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->sp[i].ready == INT64_MIN || t->sp[i].ready < t->t0)
			t->sp[i].ready = t->t0;
	return any;
}

/* ---- cells ---- */

static size_t col_floor(const struct tl *t, int64_t ms)
{
	int64_t span = t->t1 - t->t0 > 0 ? t->t1 - t->t0 : 1;
	int64_t c = (ms - t->t0) * (int64_t)t->w / span;
	return c < 0 ? 0 : c >= (int64_t)t->w ? t->w - 1 : (size_t)c;
}

static size_t col_ceil(const struct tl *t, int64_t ms)
{
	int64_t span = t->t1 - t->t0 > 0 ? t->t1 - t->t0 : 1;
	int64_t c = ((ms - t->t0) * (int64_t)t->w + span - 1) / span;
	return c < 0 ? 0 : c > (int64_t)t->w ? t->w : (size_t)c;
}

/* The column boundary nearest to ms (0 to w): a bar runs from the boundary nearest its start
 * to the one nearest its end, so that a chunk that started when another ended begins where
 * the other's bar ends. */
static size_t col_round(const struct tl *t, int64_t ms)
{
	int64_t span = t->t1 - t->t0 > 0 ? t->t1 - t->t0 : 1;
	int64_t c = ((ms - t->t0) * (int64_t)t->w * 2 + span) / (2 * span);
	return c < 0 ? 0 : c > (int64_t)t->w ? t->w : (size_t)c;
}

static char bar_char(enum chunk_state s)
{
	return s == CHUNK_DONE ? '=' : s == CHUNK_FAILED ? '!' : '>';
}

static enum term_color cell_color(char ch, enum term_color busy)
{
	switch (ch) {
	case '=': return TERM_GREEN;
	case '!': return TERM_RED;
	case '>': return TERM_BLUE;
	case '.': return TERM_DIM;
	case ' ': return TERM_PLAIN;
	default: return busy;
	}
}

/* Appends cells[0..w) between bars, each run of one character in its colour. */
static void add_cells(struct strbuf *sb, const struct tl *t, const char *cells,
		      enum term_color busy)
{
	sb_addc(sb, '|');
	for (size_t i = 0; i < t->w;) {
		size_t j = i;
		while (j < t->w && cells[j] == cells[i])
			j++;
		enum term_color c = cell_color(cells[i], busy);
		sb_adds(sb, term_sgr(t->o->color, c));
		sb_add(sb, cells + i, j - i);
		sb_adds(sb, term_reset(t->o->color, c));
		i = j;
	}
	sb_addc(sb, '|');
}

/* Appends label padded to width columns, then two spaces. */
static void add_label(struct strbuf *sb, const char *label, size_t width)
{
	char *cut = term_truncate(label, width);
	sb_adds(sb, cut);
	for (size_t k = term_width(cut); k < width + 2; k++)
		sb_addc(sb, ' ');
	free(cut);
}

/* ---- one row per chunk ---- */

static void chunk_trailer(struct strbuf *sb, const struct tl *t, const struct state_chunk *c,
			  const struct span *s)
{
	char d[32];
	if (s->drawn) {
		term_duration_ms(s->end - s->start, d, sizeof(d));
		sb_addf(sb, "  %s", d);
	}
	if (c->state != CHUNK_DONE)
		sb_addf(sb, "  %s", chunk_state_name(c->state));
	if (c->attempt > 1)
		sb_addf(sb, " (try %d)", c->attempt);
}

static void chunk_rows(struct strbuf *sb, const struct tl *t, size_t label_w)
{
	char *cells = xmalloc(t->w + 1);
	for (size_t i = 0; i < t->n; i++) {
		const struct state_chunk *c = &t->cs[i];
		const struct span *s = &t->sp[i];
		memset(cells, ' ', t->w);
		if (s->drawn) {
			size_t b = col_round(t, s->start), e = col_round(t, s->end);
			if (b >= t->w)
				b = t->w - 1;
			if (e <= b)
				e = b + 1;
			for (size_t k = col_round(t, s->ready); k < b; k++)
				cells[k] = '.';
			memset(cells + b, bar_char(c->state), e - b);
		}
		char *label = xasprintf("%s %zu/%zu", c->job, c->index, c->count);
		add_label(sb, label, label_w);
		free(label);
		add_cells(sb, t, cells, TERM_PLAIN);
		chunk_trailer(sb, t, c, s);
		sb_addc(sb, '\n');
	}
	free(cells);
	sb_adds(sb, "= done  ! failed  > running  . ready, waiting for a slot or a retry\n");
}

/* ---- one row per job type ---- */

/* count[k]: how many chunks of job ran at the middle of column k (a chunk too short to
 * cover any middle counts once in the column it started in). */
static void job_counts(const struct tl *t, const char *job, unsigned *count)
{
	int64_t span = t->t1 - t->t0 > 0 ? t->t1 - t->t0 : 1;
	memset(count, 0, t->w * sizeof(*count));
	for (size_t i = 0; i < t->n; i++) {
		const struct span *s = &t->sp[i];
		if (!s->drawn || strcmp(t->cs[i].job, job))
			continue;
		bool covered = false;
		for (size_t k = col_floor(t, s->start); k < col_ceil(t, s->end); k++) {
			int64_t mid = t->t0 + (span * (int64_t)(2 * k + 1)) / (2 * (int64_t)t->w);
			if (s->start <= mid && mid < s->end)
				count[k]++, covered = true;
		}
		size_t b = col_floor(t, s->start);
		if (!covered && !count[b])
			count[b] = 1;
	}
}

static void job_row(struct strbuf *sb, const struct tl *t, const char *job, size_t label_w,
		    unsigned *count)
{
	size_t chunks = 0, failed = 0, running = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->cs[i].job, job))
			continue;
		chunks++;
		failed += t->cs[i].state == CHUNK_FAILED;
		running += t->cs[i].state == CHUNK_RUNNING;
	}
	job_counts(t, job, count);
	char *cells = xmalloc(t->w + 1);
	for (size_t k = 0; k < t->w; k++)
		cells[k] = !count[k] ? ' ' : count[k] > 9 ? '+' : (char)('0' + count[k]);
	add_label(sb, job, label_w);
	add_cells(sb, t, cells, failed ? TERM_RED : running ? TERM_BLUE : TERM_GREEN);
	sb_addf(sb, "  %zu chunk%s", chunks, chunks == 1 ? "" : "s");
	if (failed)
		sb_addf(sb, ", %zu failed", failed);
	sb_addc(sb, '\n');
	free(cells);
}

static void job_rows(struct strbuf *sb, const struct tl *t, size_t label_w)
{
	unsigned *count = xmalloc(t->w * sizeof(*count));
	for (size_t i = 0; i < t->n; i++) {
		bool first = true;
		for (size_t j = 0; first && j < i; j++)
			first = strcmp(t->cs[j].job, t->cs[i].job) != 0;
		if (first)
			job_row(sb, t, t->cs[i].job, label_w, count);
	}
	free(count);
	sb_adds(sb, "each column: how many chunks of the job ran at once (1-9, + for more)\n");
}

/* ---- the whole ---- */

static size_t label_width(const struct tl *t, bool per_job)
{
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct state_chunk *c = &t->cs[i];
		char *label = per_job ? xstrdup(c->job)
				      : xasprintf("%s %zu/%zu", c->job, c->index, c->count);
		size_t lw = term_width(label);
		free(label);
		if (lw > w)
			w = lw;
	}
	return w < LABEL_MAX ? w : LABEL_MAX;
}

static void header(struct strbuf *sb, const struct tl *t)
{
	char a[48], b[48], d[32], per[32];
	time_format(t->t0 / 1000, t->o->zone, a, sizeof(a));
	time_format(t->t1 / 1000, t->o->zone, b, sizeof(b));
	term_duration_ms(t->t1 - t->t0, d, sizeof(d));
	int64_t col = (t->t1 - t->t0) / (int64_t)t->w;
	if (col < 1000) /* "72ms", not "0.0s" */
		duration_format(col > 0 ? col : 1, 1, per, sizeof(per));
	else
		term_duration_ms(col, per, sizeof(per));
	/* the times of day: the date is in the run's header above */
	sb_addf(sb, "timeline: %.8s to %.8s (%s), one column = %s%s\n", a + 11, b + 11, d, per,
		(t->t1 - t->t0) / (int64_t)t->w < 1000 ? " (starts are recorded to the second)"
						       : "");
}

void timeline_render(struct strbuf *sb, const struct state_chunk *cs, size_t n,
		     const struct timeline_opts *o)
{
	struct tl t = { .cs = cs, .n = n, .o = o };
	bool any = compute_spans(&t);
	if (any && t.t1 - t.t0 < TIMELINE_MIN_MS) {
		sb_adds(sb, "timeline: every chunk ran within 2s, too little to draw: start times are "
			    "recorded to the second\n");
	} else if (any) {
		bool per_job = n > TIMELINE_MAX_ROWS;
		size_t label_w = label_width(&t, per_job);
		long width = o->width > WIDTH_MIN ? (long)o->width : WIDTH_MIN;
		long w = width - (long)label_w - 2 - 2 - TRAILER_ROOM;
		t.w = w < 10 ? 10 : (size_t)w;
		header(sb, &t);
		if (per_job)
			job_rows(sb, &t, label_w);
		else
			chunk_rows(sb, &t, label_w);
	}
	free(t.sp);
	free(t.by_id);
}
