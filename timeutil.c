/* timeutil.c - durations, ISO 8601 instants and IANA time zones read from TZif files.
 *
 * Time zones. A tick evaluates thousands of schedule entries, possibly in several zones, so
 * zones are not switched through setenv("TZ") + tzset(): glibc re-reads the zone file each
 * time TZ names a different zone, and mktime() cannot say which of two occurrences of a
 * repeated local time it picked. Instead tz_get() reads the zone's TZif file (RFC 8536) from
 * the system zoneinfo once, and keeps one sorted array of transitions: the file's own, then
 * the rule of its POSIX TZ footer ("CET-1CEST,M3.5.0,M10.5.0/3") expanded for 403 years after
 * the last of them. Rule-made transitions repeat exactly every 400 Gregorian years (146097
 * days), so an instant later than the expanded stretch is shifted back by whole 400-year
 * periods before the lookup. Every question (the offset at t, the next or previous change)
 * is then a binary search. Leap seconds are not supported: "right/" zones are refused.
 *
 * Civil dates use the proleptic Gregorian calendar in 64-bit arithmetic (days_from_civil and
 * civil_from_days after Howard Hinnant), so no libc limit on time_t or tm_year applies. */
#include "timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DAY 86400
#define PERIOD_DAYS 146097LL /* days in 400 Gregorian years */
#define PERIOD ((int64_t)PERIOD_DAYS * DAY)
#define RULE_YEARS 403

/* ---- durations ---- */

static int64_t unit_seconds(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return DAY;
	default: return 0;
	}
}

int duration_parse(const char *s, int64_t *secs, char *err, size_t errlen)
{
	const char *p = s;
	int64_t total = 0;
	if (!*p) {
		snprintf(err, errlen, "bad duration '': expected a number and a unit, e.g. '15m'");
		return -1;
	}
	while (*p) {
		if (!isdigit((unsigned char)*p)) {
			snprintf(err, errlen,
				 "bad duration '%s': expected a number and a unit (s, m, h or d), "
				 "e.g. '15m'", s);
			return -1;
		}
		int64_t n = 0;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p++ - '0');
			if (n > 1000000000000LL) {
				snprintf(err, errlen, "bad duration '%s': too long", s);
				return -1;
			}
		}
		if (!*p) {
			snprintf(err, errlen, "bad duration '%s': missing unit (s, m, h or d)", s);
			return -1;
		}
		int64_t unit = unit_seconds(*p);
		if (!unit) {
			snprintf(err, errlen, "bad duration '%s': unit must be s, m, h or d", s);
			return -1;
		}
		p++;
		total += n * unit;
		if (total > 1000000000000LL) {
			snprintf(err, errlen, "bad duration '%s': too long", s);
			return -1;
		}
	}
	*secs = total;
	return 0;
}

/* ---- civil calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * PERIOD_DAYS + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, PERIOD_DAYS);
	int64_t doe = z - era * PERIOD_DAYS;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday */
static int weekday_of_days(int64_t days)
{
	return (int)(((days % 7) + 11) % 7);
}

int64_t time_from_civil(int64_t year, int month, int day, int hour, int min, int sec)
{
	return days_from_civil(year, month, day) * DAY + hour * 3600 + min * 60 + sec;
}

void time_to_civil(int64_t t, struct tm *out)
{
	int64_t days = floor_div(t, DAY);
	int64_t secs = t - days * DAY;
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	memset(out, 0, sizeof(*out));
	out->tm_year = (int)(y - 1900);
	out->tm_mon = m - 1;
	out->tm_mday = d;
	out->tm_hour = (int)(secs / 3600);
	out->tm_min = (int)(secs / 60 % 60);
	out->tm_sec = (int)(secs % 60);
	out->tm_wday = weekday_of_days(days);
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
}

/* ---- time zones ---- */

struct tz_type {
	int32_t off;
	bool isdst;
	char abbr[8];
};

struct tz {
	char *name;
	struct tz_type *types;
	size_t ntypes;
	int64_t *trans; /* sorted instants at which types[idx[i]] starts */
	uint8_t *idx;
	size_t ntrans;
	bool periodic;	   /* transitions from period_start on repeat every PERIOD */
	int64_t period_start;
	struct tz *next;
};

static struct tz *tz_cache;

/* A cursor over a TZif file; `bad` is set on any read past the end. */
struct reader {
	const unsigned char *p, *end;
	bool bad;
};

static const unsigned char *take(struct reader *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	const unsigned char *at = r->p;
	r->p += n;
	return at;
}

static int64_t read_be(struct reader *r, int bytes)
{
	const unsigned char *b = take(r, bytes);
	if (!b)
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | b[i];
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

struct tzif_header {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static bool read_header(struct reader *r, struct tzif_header *h)
{
	const unsigned char *b = take(r, 20);
	if (!b || memcmp(b, "TZif", 4))
		return false;
	h->version = (char)b[4];
	h->isutcnt = (uint32_t)read_be(r, 4);
	h->isstdcnt = (uint32_t)read_be(r, 4);
	h->leapcnt = (uint32_t)read_be(r, 4);
	h->timecnt = (uint32_t)read_be(r, 4);
	h->typecnt = (uint32_t)read_be(r, 4);
	h->charcnt = (uint32_t)read_be(r, 4);
	return !r->bad && h->typecnt >= 1 && h->typecnt <= 256 && h->timecnt <= 100000 &&
	       h->charcnt <= 4096 && h->leapcnt == 0;
}

static size_t block_size(const struct tzif_header *h, int tsize)
{
	return (size_t)h->timecnt * (tsize + 1) + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads the data block of h (times of tsize bytes) into z. */
static bool read_block(struct reader *r, const struct tzif_header *h, int tsize, struct tz *z)
{
	z->ntrans = h->timecnt;
	z->trans = xcalloc(h->timecnt + 1, sizeof(*z->trans));
	z->idx = xcalloc(h->timecnt + 1, 1);
	for (size_t i = 0; i < h->timecnt; i++) {
		z->trans[i] = read_be(r, tsize);
		if (i && z->trans[i] <= z->trans[i - 1])
			return false;
	}
	for (size_t i = 0; i < h->timecnt; i++) {
		const unsigned char *b = take(r, 1);
		if (!b || *b >= h->typecnt)
			return false;
		z->idx[i] = *b;
	}
	z->ntypes = h->typecnt;
	z->types = xcalloc(h->typecnt, sizeof(*z->types));
	unsigned char desig[h->typecnt];
	for (size_t i = 0; i < h->typecnt; i++) {
		int64_t off = read_be(r, 4);
		const unsigned char *b = take(r, 2);
		if (!b || off < -26 * 3600 || off > 26 * 3600 || b[1] >= h->charcnt)
			return false;
		z->types[i].off = (int32_t)off;
		z->types[i].isdst = b[0] != 0;
		desig[i] = b[1];
	}
	const unsigned char *chars = take(r, h->charcnt);
	if (!chars)
		return false;
	for (size_t i = 0; i < h->typecnt; i++) {
		size_t j = 0;
		for (size_t k = desig[i]; k < h->charcnt && chars[k] && j < 7; k++)
			z->types[i].abbr[j++] = (char)chars[k];
	}
	take(r, (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt);
	return !r->bad;
}

/* ---- the POSIX TZ footer ---- */

struct tz_rule_date {
	char kind; /* 'J' (1-365, no Feb 29), 'D' (0-365), 'M' (month.week.day) */
	int a, b, c;
	int32_t time; /* seconds after local midnight, may be negative or past 24h */
};

struct tz_rule {
	int32_t std_off, dst_off; /* east positive */
	char std_abbr[8], dst_abbr[8];
	bool has_dst;
	struct tz_rule_date start, end;
};

static bool parse_abbr(const char **s, char *out)
{
	const char *p = *s;
	size_t n = 0;
	if (*p == '<') {
		p++;
		while (*p && *p != '>') {
			if (n < 7)
				out[n++] = *p;
			p++;
		}
		if (*p != '>')
			return false;
		p++;
	} else {
		while (isalpha((unsigned char)*p)) {
			if (n < 7)
				out[n++] = *p;
			p++;
		}
	}
	out[n] = '\0';
	*s = p;
	return n > 0;
}

static bool parse_num(const char **s, int max, int *out)
{
	const char *p = *s;
	int v = 0;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return false;
	}
	*out = v;
	*s = p;
	return true;
}

/* [+-]hh[:mm[:ss]] with hours up to 167; returns seconds. */
static bool parse_hms(const char **s, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;
	if (**s == '+' || **s == '-')
		sign = *(*s)++ == '-' ? -1 : 1;
	if (!parse_num(s, 167, &h))
		return false;
	if (**s == ':') {
		(*s)++;
		if (!parse_num(s, 59, &m))
			return false;
		if (**s == ':') {
			(*s)++;
			if (!parse_num(s, 59, &sec))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool parse_rule_date(const char **s, struct tz_rule_date *d)
{
	if (**s == 'J') {
		(*s)++;
		d->kind = 'J';
		if (!parse_num(s, 365, &d->a) || d->a < 1)
			return false;
	} else if (**s == 'M') {
		(*s)++;
		d->kind = 'M';
		if (!parse_num(s, 12, &d->a) || d->a < 1 || *(*s)++ != '.' ||
		    !parse_num(s, 5, &d->b) || d->b < 1 || *(*s)++ != '.' || !parse_num(s, 6, &d->c))
			return false;
	} else {
		d->kind = 'D';
		if (!parse_num(s, 365, &d->a))
			return false;
	}
	d->time = 7200;
	if (**s == '/') {
		(*s)++;
		return parse_hms(s, &d->time);
	}
	return true;
}

static bool parse_rule(const char *s, struct tz_rule *r)
{
	memset(r, 0, sizeof(*r));
	int32_t v;
	if (!parse_abbr(&s, r->std_abbr) || !parse_hms(&s, &v))
		return false;
	r->std_off = -v;
	if (!*s)
		return true;
	if (!parse_abbr(&s, r->dst_abbr))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!parse_hms(&s, &v))
			return false;
		r->dst_off = -v;
	}
	if (*s++ != ',' || !parse_rule_date(&s, &r->start) || *s++ != ',' ||
	    !parse_rule_date(&s, &r->end))
		return false;
	return *s == '\0';
}

/* The day (since the epoch) on which rule date d falls in year y. */
static int64_t rule_day(const struct tz_rule_date *d, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1);
	if (d->kind == 'J')
		return jan1 + d->a - 1 + (is_leap(y) && d->a >= 60);
	if (d->kind == 'D')
		return jan1 + d->a;
	int64_t first = days_from_civil(y, d->a, 1);
	int day = 1 + (d->c - weekday_of_days(first) + 7) % 7 + (d->b - 1) * 7;
	while (day > days_in_month(y, d->a))
		day -= 7;
	return first + day - 1;
}

static uint8_t find_or_add_type(struct tz *z, int32_t off, bool isdst, const char *abbr)
{
	for (size_t i = 0; i < z->ntypes; i++)
		if (z->types[i].off == off && z->types[i].isdst == isdst &&
		    !strcmp(z->types[i].abbr, abbr))
			return (uint8_t)i;
	if (z->ntypes >= 256)
		return 0;
	z->types = xrealloc(z->types, (z->ntypes + 1) * sizeof(*z->types));
	struct tz_type *t = &z->types[z->ntypes];
	t->off = off;
	t->isdst = isdst;
	snprintf(t->abbr, sizeof(t->abbr), "%s", abbr);
	return (uint8_t)z->ntypes++;
}

static void add_trans(struct tz *z, size_t *cap, int64_t at, uint8_t type)
{
	if (z->ntrans && at <= z->trans[z->ntrans - 1])
		return;
	if (z->ntrans && z->idx[z->ntrans - 1] == type)
		return;
	if (z->ntrans + 1 > *cap) {
		*cap = *cap * 2 + 16;
		z->trans = xrealloc(z->trans, *cap * sizeof(*z->trans));
		z->idx = xrealloc(z->idx, *cap);
	}
	z->trans[z->ntrans] = at;
	z->idx[z->ntrans++] = type;
}

/* Expands the footer rule after the file's last transition (see the top of the file). */
static void expand_rule(struct tz *z, const struct tz_rule *r)
{
	int64_t last = z->ntrans ? z->trans[z->ntrans - 1] : TIME_MIN;
	struct tm tm;
	time_to_civil(z->ntrans ? last : 0, &tm);
	int64_t y0 = tm.tm_year + 1900;
	size_t cap = z->ntrans;
	uint8_t std = find_or_add_type(z, r->std_off, false, r->std_abbr);
	if (!r->has_dst) {
		if (z->ntrans && z->types[z->idx[z->ntrans - 1]].off != r->std_off)
			add_trans(z, &cap, last + 1, std);
		if (!z->ntrans)
			z->types[0] = z->types[std];
		return;
	}
	uint8_t dst = find_or_add_type(z, r->dst_off, true, r->dst_abbr);
	for (int64_t y = y0 - 1; y <= y0 + RULE_YEARS; y++) {
		int64_t on = rule_day(&r->start, y) * DAY + r->start.time - r->std_off;
		int64_t off = rule_day(&r->end, y) * DAY + r->end.time - r->dst_off;
		int64_t a = on < off ? on : off, b = on < off ? off : on;
		if (a > last)
			add_trans(z, &cap, a, a == on ? dst : std);
		if (b > last)
			add_trans(z, &cap, b, b == on ? dst : std);
	}
	z->periodic = true;
	z->period_start = time_from_civil(y0 + 1, 1, 1, 0, 0, 0);
}

/* ---- lookups ---- */

/* Shifts t back by whole periods into the expanded stretch; returns the shift. */
static int64_t period_shift(const struct tz *z, int64_t t)
{
	if (!z->periodic || t < z->period_start + PERIOD)
		return 0;
	return (t - z->period_start) / PERIOD * PERIOD;
}

/* Index of the last transition at or before t, or -1. */
static ptrdiff_t find_trans(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

static const struct tz_type *type_at(const struct tz *z, int64_t t)
{
	ptrdiff_t i = find_trans(z, t - period_shift(z, t));
	return &z->types[i < 0 ? 0 : z->idx[i]];
}

int32_t tz_offset(const struct tz *zone, int64_t t)
{
	return type_at(zone, t)->off;
}

int64_t tz_next_transition(const struct tz *zone, int64_t t)
{
	if (t >= INT64_MAX / 2)
		return INT64_MAX;
	int64_t shift = period_shift(zone, t);
	size_t i = (size_t)(find_trans(zone, t - shift) + 1);
	return i < zone->ntrans ? zone->trans[i] + shift : INT64_MAX;
}

int64_t tz_prev_transition(const struct tz *zone, int64_t t)
{
	if (t >= INT64_MAX / 2)
		t = INT64_MAX / 2;
	int64_t shift = period_shift(zone, t);
	ptrdiff_t i = find_trans(zone, t - shift);
	return i >= 0 ? zone->trans[i] + shift : INT64_MIN;
}

void tz_localtime(const struct tz *zone, int64_t t, struct tm *out)
{
	const struct tz_type *type = type_at(zone, t);
	time_to_civil(t + type->off, out);
	out->tm_isdst = type->isdst;
	out->tm_gmtoff = type->off;
	out->tm_zone = type->abbr;
}

const char *tz_name(const struct tz *zone)
{
	return zone->name;
}

/* ---- loading ---- */

static bool valid_zone_name(const char *name)
{
	if (!*name || *name == '/' || strlen(name) > 200)
		return false;
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("/_+-.", *p))
			return false;
		if (*p == '.' && (p == name || p[-1] == '/'))
			return false; /* ".." and hidden files */
		if (*p == '/' && (p[1] == '/' || !p[1]))
			return false; /* one spelling per zone */
	}
	return true;
}

static void tz_destroy(struct tz *z)
{
	free(z->name);
	free(z->types);
	free(z->trans);
	free(z->idx);
	free(z);
}

static bool load_tzif(struct tz *z, const unsigned char *data, size_t len)
{
	struct reader r = { data, data + len, false };
	struct tzif_header h;
	if (!read_header(&r, &h))
		return false;
	if (h.version < '2')
		return read_block(&r, &h, 4, z);
	if (!take(&r, block_size(&h, 4)) || !read_header(&r, &h) || !read_block(&r, &h, 8, z))
		return false;
	const unsigned char *nl = take(&r, 1);
	if (!nl || *nl != '\n')
		return true; /* no footer: the last transition's type lasts forever */
	size_t n = 0;
	while (r.p + n < r.end && r.p[n] != '\n')
		n++;
	if (r.p + n == r.end || n == 0 || n > 200)
		return true;
	char footer[201];
	memcpy(footer, r.p, n);
	footer[n] = '\0';
	struct tz_rule rule;
	if (!parse_rule(footer, &rule))
		return false;
	expand_rule(z, &rule);
	return true;
}

static struct tz *load_zone(const char *name, char *err, size_t errlen)
{
	struct tz *z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	if (!strcmp(name, "UTC")) {
		z->ntypes = 1;
		z->types = xcalloc(1, sizeof(*z->types));
		strcpy(z->types[0].abbr, "UTC");
		return z;
	}
	const char *dir = getenv("TZDIR");
	char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	size_t len = 0;
	char *data = valid_zone_name(name) ? read_regular_file(path, &len, NULL) : NULL;
	bool ok = data && load_tzif(z, (const unsigned char *)data, len);
	free(data);
	free(path);
	if (!ok) {
		snprintf(err, errlen, "unknown time zone '%s'", name);
		tz_destroy(z);
		return NULL;
	}
	return z;
}

const struct tz *tz_get(const char *name, char *err, size_t errlen)
{
	for (struct tz *z = tz_cache; z; z = z->next)
		if (!strcmp(z->name, name))
			return z;
	struct tz *z = load_zone(name, err, errlen);
	if (!z)
		return NULL;
	z->next = tz_cache;
	tz_cache = z;
	return z;
}

void tz_cache_free(void)
{
	while (tz_cache) {
		struct tz *next = tz_cache->next;
		tz_destroy(tz_cache);
		tz_cache = next;
	}
}

/* ---- instants ---- */

/* Reads exactly n digits. */
static bool digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool expect(const char **s, const char *chars)
{
	if (!**s || !strchr(chars, **s))
		return false;
	(*s)++;
	return true;
}

/* "Z", "+02:00", "+0200", "-05:30", or nothing (UTC); offset east positive. */
static bool parse_zone_suffix(const char **s, int32_t *off)
{
	int h, m;
	*off = 0;
	if (!**s)
		return true;
	if (expect(s, "Zz"))
		return true;
	if (**s != '+' && **s != '-')
		return false;
	int sign = *(*s)++ == '-' ? -1 : 1;
	if (!digits(s, 2, &h))
		return false;
	if (**s == ':')
		(*s)++;
	if (!digits(s, 2, &m) || h > 23 || m > 59)
		return false;
	*off = sign * (h * 3600 + m * 60);
	return true;
}

static int time_error(char *err, size_t errlen, const char *s, const char *why)
{
	snprintf(err, errlen, "bad time '%s': %s", s, why);
	return -1;
}

static int parse_epoch(const char *s, int64_t *t, char *err, size_t errlen)
{
	int64_t v;
	if (parse_int64(s + 1, &v))
		return time_error(err, errlen, s,
				  "expected @ and seconds since 1970, e.g. '@1774747800'");
	if (v < TIME_MIN || v > TIME_MAX)
		return time_error(err, errlen, s, "out of range (years 1 to 9999)");
	*t = v;
	return 0;
}

int time_parse(const char *s, int64_t *t, char *err, size_t errlen)
{
	if (*s == '@')
		return parse_epoch(s, t, err, errlen);
	const char *p = s;
	int y, mo, d, h, mi, sec = 0;
	int32_t off;
	if (!digits(&p, 4, &y) || !expect(&p, "-") || !digits(&p, 2, &mo) || !expect(&p, "-") ||
	    !digits(&p, 2, &d) || !expect(&p, "Tt ") || !digits(&p, 2, &h) || !expect(&p, ":") ||
	    !digits(&p, 2, &mi) || (*p == ':' && (p++, !digits(&p, 2, &sec))) ||
	    !parse_zone_suffix(&p, &off) || *p)
		return time_error(err, errlen, s,
				  "expected YYYY-MM-DDTHH:MM[:SS], optionally followed by Z or an "
				  "offset like +02:00 (none: UTC), or @EPOCH");
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return time_error(err, errlen, s, "no such date");
	if (h > 23 || mi > 59 || sec > 59)
		return time_error(err, errlen, s, "no such time of day");
	int64_t v = time_from_civil(y, mo, d, h, mi, sec) - off;
	if (v < TIME_MIN || v > TIME_MAX)
		return time_error(err, errlen, s, "out of range (years 1 to 9999)");
	*t = v;
	return 0;
}

void time_format(int64_t t, const struct tz *zone, char *buf, size_t len)
{
	struct tm tm;
	int32_t off = 0;
	if (zone) {
		tz_localtime(zone, t, &tm);
		off = (int32_t)tm.tm_gmtoff;
	} else {
		time_to_civil(t, &tm);
	}
	char sign = off < 0 ? '-' : '+';
	int32_t a = off < 0 ? -off : off;
	int n = snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
			 (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, sign, a / 3600, a / 60 % 60);
	if (a % 60 && n > 0 && (size_t)n < len) /* local mean time of old dates */
		snprintf(buf + n, len - n, ":%02d", a % 60);
}
