/* cron.c - cron expressions and interval triggers: parsing, and next and previous fire times.
 *
 * Syntax (docs/design.md, "Cron and time"). Five fields - minute, hour, day of month, month, day of week - each a list
 * of items, an item being `*`, a number or a range `a-b`, optionally with a step `/n`; `5/10`
 * means `5-max/10`. Months JAN-DEC and days SUN-SAT are accepted in any case, in ranges too
 * (`MON-FRI`; `FRI-SUN` ends on Sunday as 7). Day of week 7 is folded into 0 (Sunday). The
 * @macros are shorthands for five fields. An expression that names no day that exists
 * ("0 0 30 2 *") is refused, so every accepted expression fires within a few years.
 *
 * Which days match (Vixie cron). When both day of month and day of week are restricted - that
 * is, neither field starts with `*` - a day matches if either matches; otherwise both must
 * (a field starting with `*` matches by its own bits, so `*` alone matches every day).
 *
 * Daylight saving (the policy of Vixie cron and cronie, docs/design.md, "Cron and time"). An entry's
 * fields describe local wall times in its zone. When clocks change, a wall time may not
 * exist (spring forward: 02:00-02:59 skipped) or exist twice (fall back: 01:00-01:59 seen
 * in summer time, then again in winter time).
 *   - An entry whose hour field starts with `*` (a bare `*` or a stepped one, like cronie's
 *     HR_STAR) is about elapsed time, not about a time of day: it fires at every real instant
 *     whose local wall time matches. It never fires for a skipped wall time, and fires at
 *     both occurrences of a repeated one: `0 * * * *` fires every real hour, twice at 02:00
 *     local on the night clocks go back in Copenhagen and not at all at 02:00 on the night
 *     they go forward.
 *   - Any other entry is about a time of day. A matching wall time that is skipped fires once
 *     at the first instant after the gap - the transition itself - and all skipped matches
 *     fire there together, once: in Europe/Copenhagen on 2026-03-29 both `30 2 * * *` and
 *     `0,15,30 2 * * *` fire once at 03:00 local (01:00Z). A wall time that occurs twice
 *     fires at its first occurrence only: `0 1 * * *` in America/New_York fires at the first
 *     01:00 (05:00Z) on the night clocks go back, not again an hour later.
 * These rules make the fire times a fixed set of instants, independent of the instant a
 * question is asked from, so that cron_next and trigger_prev always agree.
 *
 * How the next fire time is found. The zone's timeline is cut at its offset transitions into
 * stretches of constant offset (timeutil.h gives the transitions). In a stretch, wall time
 * and real time advance together, so the first matching instant is the first matching wall
 * time, found by a calendar walk (next_wall) that skips whole months, days and hours whose
 * field does not match and never steps minute by minute: `0 0 29 2 *` costs a few dozen
 * steps. The stretches are taken in time order; at the start of each, the fixed-hour rule
 * above adds the transition instant when a match falls in the gap it opens, and removes the
 * wall times that the previous stretch already showed. The search gives up after 100 years.
 *
 * The previous fire time is found by asking for the next one after the start of growing
 * windows (1 hour, 1 day, 32 days, 400 days, 8 years, 100 years) until one lies at or
 * before the instant, then by walking forward a few fires and, for dense expressions,
 * bisecting on the instant: exact, and about thirty calls at worst. */
#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define DAY 86400LL
#define SEARCH_LIMIT ((int64_t)36527 * DAY) /* 100 years and a little */
#define NO_TIME INT64_MIN /* "none" inside this file: instants before 1970 are negative */

/* ---- parsing ---- */

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, NFIELDS };

struct field_spec {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] is min + i */
	const char *what;	  /* for a word that is no name: "a month (1-12 or JAN-DEC)" */
};

static const struct field_spec fields[NFIELDS] = {
	{ "minute", 0, 59, NULL, "a number" },
	{ "hour", 0, 23, NULL, "a number" },
	{ "day of month", 1, 31, NULL, "a number" },
	{ "month", 1, 12, month_names, "a month (1-12 or JAN-DEC)" },
	{ "day of week", 0, 7, day_names, "a day of the week (0-7 or SUN-SAT)" },
};

static const struct {
	const char *name, *fields;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" },	  { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A piece of the input: a field, an item or a value. */
struct span {
	const char *p;
	int n;
};

struct parser {
	const struct field_spec *spec;
	struct span field;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, struct span s)
{
	char what[200];
	snprintf(what, sizeof(what), fmt, s.n, s.p);
	snprintf(ps->err, ps->errlen, "%s: %s", ps->spec->name, what);
	return -1;
}

/* Reads a number or a name at *p; *named tells which. Returns 0 or -1. */
static int parse_value(struct parser *ps, const char **p, const char *end, int *v, bool *named)
{
	struct span tok = { *p, 0 };
	while (tok.p + tok.n < end && isalnum((unsigned char)tok.p[tok.n]))
		tok.n++;
	*p += tok.n;
	*named = false;
	if (tok.n == 0) {
		struct span bad = { tok.p, 1 };
		if (tok.p == end)
			return fail(ps, "missing value in '%.*s'", ps->field);
		return fail(ps, "unexpected '%.*s'", bad);
	}
	if (isdigit((unsigned char)tok.p[0])) {
		long val = 0;
		for (int i = 0; i < tok.n; i++) {
			if (!isdigit((unsigned char)tok.p[i]))
				return fail(ps, "'%.*s' is not a number", tok);
			if (val < 1000000)
				val = val * 10 + (tok.p[i] - '0');
		}
		if (val < ps->spec->min || val > ps->spec->max) {
			char fmt[64];
			snprintf(fmt, sizeof(fmt), "'%%.*s' is out of range %d-%d", ps->spec->min,
				 ps->spec->max);
			return fail(ps, fmt, tok);
		}
		*v = (int)val;
		return 0;
	}
	for (int i = 0; ps->spec->names && ps->spec->names[i]; i++) {
		if (tok.n == 3 && !strncasecmp(tok.p, ps->spec->names[i], 3)) {
			*v = ps->spec->min + i;
			*named = true;
			return 0;
		}
	}
	char fmt[96];
	snprintf(fmt, sizeof(fmt), "'%%.*s' is not %s", ps->spec->what);
	return fail(ps, fmt, tok);
}

static int parse_step(struct parser *ps, const char *p, const char *end, int *step)
{
	struct span tok = { p, (int)(end - p) };
	long v = 0;
	if (tok.n == 0)
		return fail(ps, "missing step after '/' in '%.*s'", ps->field);
	for (int i = 0; i < tok.n; i++) {
		if (!isdigit((unsigned char)tok.p[i]))
			return fail(ps, "step '%.*s' is not a number", tok);
		if (v < 1000000)
			v = v * 10 + (tok.p[i] - '0');
	}
	if (v < 1)
		return fail(ps, "step '%.*s' must be at least 1", tok);
	*step = (int)v;
	return 0;
}

/* Parses one item of a list ("*", "5", "1-5", "5/10", "MON-FRI", a stepped star) into *bits. */
static int parse_item(struct parser *ps, struct span item, uint64_t *bits)
{
	const char *p = item.p, *end = item.p + item.n;
	const char *slash = memchr(item.p, '/', item.n);
	const char *base_end = slash ? slash : end;
	int lo, hi, step = 1;
	bool named;
	if (*p == '*') {
		lo = ps->spec->min;
		hi = ps->spec->max;
		if (++p != base_end)
			return fail(ps, "unexpected text after '*' in '%.*s'", item);
	} else {
		if (parse_value(ps, &p, base_end, &lo, &named))
			return -1;
		hi = slash ? ps->spec->max : lo;
		if (p < base_end && *p == '-') {
			p++;
			if (parse_value(ps, &p, base_end, &hi, &named))
				return -1;
			if (named && hi == 0 && lo > 0 && ps->spec == &fields[F_DOW])
				hi = 7; /* FRI-SUN */
			if (hi < lo) {
				struct span range = { item.p, (int)(p - item.p) };
				return fail(ps, "range '%.*s' goes backwards", range);
			}
		}
		if (p != base_end) {
			struct span rest = { p, 1 };
			return fail(ps, "unexpected '%.*s'", rest);
		}
	}
	if (slash && parse_step(ps, slash + 1, end, &step))
		return -1;
	for (int v = lo; v <= hi; v += step)
		*bits |= 1ULL << v;
	return 0;
}

static int parse_field(struct parser *ps, uint64_t *bits)
{
	const char *p = ps->field.p, *end = p + ps->field.n;
	*bits = 0;
	for (;;) {
		const char *comma = memchr(p, ',', end - p);
		struct span item = { p, (int)((comma ? comma : end) - p) };
		if (item.n == 0)
			return fail(ps, "empty item in '%.*s'", ps->field);
		if (parse_item(ps, item, bits))
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int split_fields(const char *text, struct span *out, int max)
{
	int n = 0;
	const char *p = text;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			return n;
		const char *start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (n < max)
			out[n] = (struct span){ start, (int)(p - start) };
		n++;
	}
}

static int days_max(int month)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return mdays[month - 1];
}

/* An expression whose days are fixed by day of month alone must name a day that exists in
 * one of its months (February counting leap years). */
static int check_fires(const struct cron *c, const struct span *f, char *err, size_t errlen)
{
	if (!c->dom_star && !c->dow_star)
		return 0; /* either field may match: some weekday always comes */
	for (int m = 1; m <= 12; m++)
		for (int d = 1; d <= days_max(m); d++)
			if ((c->month >> m & 1) && (c->dom >> d & 1))
				return 0;
	snprintf(err, errlen, "never fires: day of month '%.*s' does not exist in month '%.*s'",
		 f[F_DOM].n, f[F_DOM].p, f[F_MONTH].n, f[F_MONTH].p);
	return -1;
}

static int parse_macro(const char *text, struct cron *out, char *err, size_t errlen)
{
	struct span name;
	if (split_fields(text, &name, 1) != 1) {
		snprintf(err, errlen, "'%s': a macro stands alone, without fields", text);
		return -1;
	}
	const char *names[ARRAY_SIZE(macros) + 1];
	for (size_t i = 0; i < ARRAY_SIZE(macros); i++) {
		names[i] = macros[i].name;
		if ((int)strlen(macros[i].name) == name.n &&
		    !strncasecmp(macros[i].name, name.p, name.n))
			return cron_parse(macros[i].fields, out, err, errlen);
	}
	names[ARRAY_SIZE(macros)] = NULL;
	char word[64];
	snprintf(word, sizeof(word), "%.*s", name.n, name.p);
	const char *near = spell_suggest(word, names);
	if (near)
		snprintf(err, errlen, "unknown macro '%.*s' (did you mean '%s'?)", name.n, name.p,
			 near);
	else
		snprintf(err, errlen,
			 "unknown macro '%.*s' (known: @yearly, @annually, @monthly, @weekly, "
			 "@daily, @midnight, @hourly)", name.n, name.p);
	return -1;
}

int cron_parse(const char *text, struct cron *out, char *err, size_t errlen)
{
	struct span f[NFIELDS];
	uint64_t bits[NFIELDS];
	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@')
		return parse_macro(text, out, err, errlen);
	int n = split_fields(text, f, NFIELDS);
	if (n != NFIELDS) {
		snprintf(err, errlen, "expected 5 fields, got %d", n);
		return -1;
	}
	for (int i = 0; i < NFIELDS; i++) {
		struct parser ps = { &fields[i], f[i], err, errlen };
		if (parse_field(&ps, &bits[i]))
			return -1;
	}
	out->minute = bits[F_MINUTE];
	out->hour = (uint32_t)bits[F_HOUR];
	out->dom = (uint32_t)bits[F_DOM];
	out->month = (uint16_t)bits[F_MONTH];
	out->dow = (uint8_t)((bits[F_DOW] | bits[F_DOW] >> 7) & 0x7f);
	out->dom_star = f[F_DOM].p[0] == '*';
	out->dow_star = f[F_DOW].p[0] == '*';
	out->hour_star = f[F_HOUR].p[0] == '*';
	return check_fires(out, f, err, errlen);
}

/* ---- the calendar walk ---- */

/* The smallest value >= from whose bit is set in mask, at most max; or -1. */
static int next_bit(uint64_t mask, int from, int max)
{
	if (from > max)
		return -1;
	uint64_t rest = mask >> from;
	if (!rest)
		return -1;
	int b = from + __builtin_ctzll(rest);
	return b <= max ? b : -1;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	return m == 2 && !leap(y) ? 28 : days_max(m);
}

static bool day_matches(const struct cron *c, int day, int wday)
{
	bool dom = c->dom >> day & 1, dow = c->dow >> wday & 1;
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/* A local date and time being walked forward. */
struct walk {
	int64_t y;
	int mon, day, hour, min;
};

static void next_day(struct walk *w)
{
	w->hour = w->min = 0;
	if (++w->day > month_days(w->y, w->mon)) {
		w->day = 1;
		if (++w->mon > 12) {
			w->mon = 1;
			w->y++;
		}
	}
}

/* The first minute-aligned wall time >= from (local seconds, as if UTC) that matches c, or
 * NO_TIME when there is none up to limit. */
static int64_t next_wall(const struct cron *c, int64_t from, int64_t limit)
{
	struct tm tm;
	int64_t start = from % 60 ? from + 60 - ((from % 60 + 60) % 60) : from;
	time_to_civil(start, &tm);
	struct walk w = { tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min };
	for (;;) {
		if (time_from_civil(w.y, w.mon, w.day, 0, 0, 0) > limit)
			return NO_TIME;
		if (!(c->month >> w.mon & 1)) {
			int m = next_bit(c->month, w.mon + 1, 12);
			if (m < 0) {
				w.y++;
				m = next_bit(c->month, 1, 12);
			}
			w = (struct walk){ w.y, m, 1, 0, 0 };
			continue;
		}
		int64_t days = time_from_civil(w.y, w.mon, w.day, 0, 0, 0) / DAY;
		int wday = (int)(((days % 7) + 11) % 7);
		if (!day_matches(c, w.day, wday)) {
			next_day(&w);
			continue;
		}
		int h = next_bit(c->hour, w.hour, 23);
		if (h < 0) {
			next_day(&w);
			continue;
		}
		if (h != w.hour) {
			w.hour = h;
			w.min = 0;
		}
		int m = next_bit(c->minute, w.min, 59);
		if (m < 0) {
			w.min = 0;
			if (++w.hour > 23)
				next_day(&w);
			continue;
		}
		int64_t t = time_from_civil(w.y, w.mon, w.day, w.hour, m, 0);
		return t <= limit ? t : NO_TIME;
	}
}

/* ---- fire times ---- */

int64_t cron_next(const struct cron *c, const struct tz *zone, int64_t after)
{
	if (after > TIME_MAX)
		return -1;
	if (after < TIME_MIN - 1)
		after = TIME_MIN - 1;
	int64_t limit = after + SEARCH_LIMIT > TIME_MAX ? TIME_MAX : after + SEARCH_LIMIT;
	int64_t u0 = after + 1;
	int64_t s = tz_prev_transition(zone, u0);
	for (;;) {
		int64_t e = tz_next_transition(zone, s == INT64_MIN ? u0 : s);
		int32_t o = tz_offset(zone, s == INT64_MIN ? u0 : s);
		int64_t lo = s > u0 ? s : u0;
		if (!c->hour_star && s != INT64_MIN) {
			int32_t p = tz_offset(zone, s - 1);
			if (p < o && s > after) {
				/* a gap: matching wall times in [s + p, s + o) fire at s */
				int64_t gap = next_wall(c, s + p, s + o - 1);
				if (gap != NO_TIME)
					return s;
			}
			if (p > o && lo < s + (p - o))
				lo = s + (p - o); /* the wall times seen before the change */
		}
		int64_t last = e == INT64_MAX || e - 1 > limit ? limit : e - 1;
		if (lo <= last) {
			int64_t wall = next_wall(c, lo + o, last + o);
			if (wall != NO_TIME)
				return wall - o;
		}
		if (e == INT64_MAX || e > limit)
			return -1;
		s = e;
	}
}

static int64_t cron_prev(const struct cron *c, const struct tz *zone, int64_t at)
{
	static const int64_t windows[] = { 3600, DAY, 32 * DAY, 400 * DAY, 8 * 366 * DAY,
					   36525 * DAY };
	if (at > TIME_MAX)
		at = TIME_MAX;
	int64_t lo = NO_TIME;
	for (size_t i = 0; i < ARRAY_SIZE(windows) && lo == NO_TIME; i++) {
		int64_t f = cron_next(c, zone, at - windows[i] - 1);
		if (f != -1 && f <= at)
			lo = f;
	}
	if (lo == NO_TIME)
		return -1;
	for (int i = 0; i < 16; i++) {
		int64_t f = cron_next(c, zone, lo);
		if (f == -1 || f > at)
			return lo;
		lo = f;
	}
	/* a dense expression: bisect; no fire lies in (hi, at] */
	int64_t hi = at;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;
		int64_t f = cron_next(c, zone, mid - 1);
		if (f != -1 && f <= at)
			lo = f;
		else
			hi = mid - 1;
	}
	return lo;
}

int64_t trigger_next(const struct trigger *t, int64_t after)
{
	if (t->kind == TRIGGER_CRON)
		return cron_next(&t->cron, t->zone, after);
	if (t->every <= 0)
		return -1;
	if (after < t->start)
		return t->start;
	int64_t span, k, fire;
	if (__builtin_sub_overflow(after, t->start, &span))
		return -1;
	k = span / t->every + 1;
	if (__builtin_mul_overflow(k, t->every, &fire) ||
	    __builtin_add_overflow(fire, t->start, &fire))
		return -1;
	return fire;
}

int64_t trigger_prev(const struct trigger *t, int64_t at)
{
	if (t->kind == TRIGGER_CRON)
		return cron_prev(&t->cron, t->zone, at);
	if (t->every <= 0 || at < t->start)
		return -1;
	int64_t span;
	if (__builtin_sub_overflow(at, t->start, &span))
		return -1;
	return t->start + span / t->every * t->every;
}
