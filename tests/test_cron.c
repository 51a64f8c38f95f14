/* test_cron.c - cron syntax and errors, next and previous fire times, daylight saving,
 * intervals, and cron_next against slow minute-by-minute references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cron.h"
#include "util.h"

static const struct tz *zone(const char *name)
{
	char err[256] = "";
	const struct tz *z = tz_get(name, err, sizeof(err));
	if (!z)
		fail_msg("%s", err);
	return z;
}

static struct cron parse_ok(const char *text)
{
	char err[256] = "";
	struct cron c;
	if (cron_parse(text, &c, err, sizeof(err)))
		fail_msg("'%s': %s", text, err);
	return c;
}

static void assert_parse_error(const char *text, const char *msg)
{
	char err[256] = "";
	struct cron c;
	assert_int_equal(cron_parse(text, &c, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
}

static uint64_t bits(const int *v, int n)
{
	uint64_t b = 0;
	for (int i = 0; i < n; i++)
		b |= 1ULL << v[i];
	return b;
}
#define BITS(...) \
	bits((const int[]){ __VA_ARGS__ }, sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static uint64_t range_bits(int lo, int hi)
{
	uint64_t b = 0;
	for (int v = lo; v <= hi; v++)
		b |= 1ULL << v;
	return b;
}

static void test_parse_fields(void **state)
{
	(void)state;
	struct cron c = parse_ok("* * * * *");
	assert_true(c.minute == range_bits(0, 59));
	assert_int_equal(c.hour, range_bits(0, 23));
	assert_int_equal(c.dom, range_bits(1, 31));
	assert_int_equal(c.month, range_bits(1, 12));
	assert_int_equal(c.dow, range_bits(0, 6));
	assert_true(c.dom_star && c.dow_star && c.hour_star);

	c = parse_ok("5 4 3 2 1");
	assert_true(c.minute == BITS(5));
	assert_int_equal(c.hour, BITS(4));
	assert_int_equal(c.dom, BITS(3));
	assert_int_equal(c.month, BITS(2));
	assert_int_equal(c.dow, BITS(1));
	assert_false(c.dom_star || c.dow_star || c.hour_star);

	assert_true(parse_ok("*/15 * * * *").minute == BITS(0, 15, 30, 45));
	assert_true(parse_ok("1-30/5 * * * *").minute == BITS(1, 6, 11, 16, 21, 26));
	assert_true(parse_ok("5/10 * * * *").minute == BITS(5, 15, 25, 35, 45, 55));
	assert_true(parse_ok("0,30,59 * * * *").minute == BITS(0, 30, 59));
	assert_true(parse_ok("1-3,10-12/2,*/20 * * * *").minute == BITS(0, 1, 2, 3, 10, 12, 20, 40));
	assert_true(parse_ok("*/100 * * * *").minute == BITS(0));
	assert_int_equal(parse_ok("0 9-17 * * *").hour, range_bits(9, 17));
	assert_int_equal(parse_ok("0 0 1-31/10 * *").dom,
			 BITS(1, 11, 21, 31));
	/* names, any case, in lists and ranges */
	assert_int_equal(parse_ok("0 0 * JAN,jul,Dec *").month, BITS(1, 7, 12));
	assert_int_equal(parse_ok("0 0 * feb-APR *").month, BITS(2, 3, 4));
	assert_int_equal(parse_ok("0 0 * jan-dec/3 *").month, BITS(1, 4, 7, 10));
	assert_int_equal(parse_ok("0 0 * * MON-FRI").dow, range_bits(1, 5));
	assert_int_equal(parse_ok("0 0 * * sun,Sat").dow, BITS(0, 6));
	assert_int_equal(parse_ok("0 0 * * FRI-SUN").dow, BITS(0, 5, 6));
	/* day of week 7 is Sunday */
	assert_int_equal(parse_ok("0 0 * * 7").dow, BITS(0));
	assert_int_equal(parse_ok("0 0 * * 0,7").dow, BITS(0));
	assert_int_equal(parse_ok("0 0 * * 5-7").dow, BITS(0, 5, 6));
	assert_int_equal(parse_ok("0 0 * * */2").dow, BITS(0, 2, 4, 6));
	/* white space around and between fields */
	assert_true(parse_ok("  0\t0   * * *  ").minute == BITS(0));
}

static void test_parse_flags(void **state)
{
	(void)state;
	struct cron c = parse_ok("0 * * * *");
	assert_true(c.hour_star && c.dom_star && c.dow_star);
	assert_true(parse_ok("0 */2 * * *").hour_star);
	assert_false(parse_ok("0 0-23 * * *").hour_star);
	assert_false(parse_ok("0 2 * * *").hour_star);
	c = parse_ok("0 0 */2 * 5");
	assert_true(c.dom_star);
	assert_false(c.dow_star);
	c = parse_ok("0 0 13 * 5");
	assert_false(c.dom_star || c.dow_star);
	c = parse_ok("0 0 1-31 * 0-7");
	assert_false(c.dom_star || c.dow_star);
}

static void assert_same(const char *a, const char *b)
{
	struct cron x = parse_ok(a), y = parse_ok(b);
	assert_memory_equal(&x, &y, sizeof(x));
}

static void test_parse_macros(void **state)
{
	(void)state;
	assert_same("@yearly", "0 0 1 1 *");
	assert_same("@annually", "0 0 1 1 *");
	assert_same("@monthly", "0 0 1 * *");
	assert_same("@weekly", "0 0 * * 0");
	assert_same("@daily", "0 0 * * *");
	assert_same("@midnight", "0 0 * * *");
	assert_same("@hourly", "0 * * * *");
	assert_same(" @DAILY ", "0 0 * * *");
	assert_parse_error("@dayly", "unknown macro '@dayly' (did you mean '@daily'?)");
	assert_parse_error("@reboot", "unknown macro '@reboot' (known: @yearly, @annually, "
				      "@monthly, @weekly, @daily, @midnight, @hourly)");
	assert_parse_error("@daily 5", "'@daily 5': a macro stands alone, without fields");
}

static void test_parse_errors(void **state)
{
	(void)state;
	assert_parse_error("* * * *", "expected 5 fields, got 4");
	assert_parse_error("* * * * * *", "expected 5 fields, got 6");
	assert_parse_error("", "expected 5 fields, got 0");
	assert_parse_error("   ", "expected 5 fields, got 0");
	assert_parse_error("60 * * * *", "minute: '60' is out of range 0-59");
	assert_parse_error("* 24 * * *", "hour: '24' is out of range 0-23");
	assert_parse_error("0 0 32 * *", "day of month: '32' is out of range 1-31");
	assert_parse_error("0 0 0 * *", "day of month: '0' is out of range 1-31");
	assert_parse_error("0 0 * 13 *", "month: '13' is out of range 1-12");
	assert_parse_error("0 0 * 0 *", "month: '0' is out of range 1-12");
	assert_parse_error("0 0 * * 8", "day of week: '8' is out of range 0-7");
	assert_parse_error("0 0 1-32 * *", "day of month: '32' is out of range 1-31");
	assert_parse_error("99999999999 * * * *", "minute: '99999999999' is out of range 0-59");
	assert_parse_error("0 0 * FOO *", "month: 'FOO' is not a month (1-12 or JAN-DEC)");
	assert_parse_error("0 0 * JANUARY *", "month: 'JANUARY' is not a month (1-12 or JAN-DEC)");
	assert_parse_error("0 0 * * FOO", "day of week: 'FOO' is not a day of the week (0-7 or "
					  "SUN-SAT)");
	assert_parse_error("MON * * * *", "minute: 'MON' is not a number");
	assert_parse_error("0 0 * MON *", "month: 'MON' is not a month (1-12 or JAN-DEC)");
	assert_parse_error("1x * * * *", "minute: '1x' is not a number");
	assert_parse_error("0 0 L * *", "day of month: 'L' is not a number");
	assert_parse_error("*/0 * * * *", "minute: step '0' must be at least 1");
	assert_parse_error("*/x * * * *", "minute: step 'x' is not a number");
	assert_parse_error("5/ * * * *", "minute: missing step after '/' in '5/'");
	assert_parse_error("1,,2 * * * *", "minute: empty item in '1,,2'");
	assert_parse_error("1, * * * *", "minute: empty item in '1,'");
	assert_parse_error("5-1 * * * *", "minute: range '5-1' goes backwards");
	assert_parse_error("* 22-2 * * *", "hour: range '22-2' goes backwards");
	assert_parse_error("0 0 * * SAT-MON", "day of week: range 'SAT-MON' goes backwards");
	assert_parse_error("1- * * * *", "minute: missing value in '1-'");
	assert_parse_error("1-2-3 * * * *", "minute: unexpected '-'");
	assert_parse_error("? * * * *", "minute: unexpected '?'");
	assert_parse_error("-5 * * * *", "minute: unexpected '-'");
	assert_parse_error("*5 * * * *", "minute: unexpected text after '*' in '*5'");
	assert_parse_error("0 0 * * 5#3", "day of week: unexpected '#'");
	assert_parse_error("0 0 31 2 *", "never fires: day of month '31' does not exist in month '2'");
	assert_parse_error("0 0 30 2 *", "never fires: day of month '30' does not exist in month '2'");
	assert_parse_error("0 0 30,31 FEB *",
			   "never fires: day of month '30,31' does not exist in month 'FEB'");
	assert_parse_error("0 0 31 4,6,9,11 *",
			   "never fires: day of month '31' does not exist in month '4,6,9,11'");
	/* either field may match (Vixie): Mondays in February */
	parse_ok("0 0 31 2 1");
	parse_ok("0 0 29 2 *");
	parse_ok("0 0 31 4,5 *");
}

/* Asserts the next fire times after `from` in zone, printed there and separated by spaces,
 * and that trigger_prev agrees: each is its own latest fire, and just before each lies the
 * one listed before it. */
static void assert_next(const char *expr, const char *zname, const char *from, const char *want)
{
	char err[256];
	struct trigger t = { .kind = TRIGGER_CRON, .cron = parse_ok(expr), .zone = zone(zname) };
	int64_t at;
	if (time_parse(from, &at, err, sizeof(err)))
		fail_msg("%s", err);
	char got[1024] = "";
	int64_t prev = 0;
	size_t n = 0;
	for (const char *p = want; *p; p++)
		n += *p == ' ';
	for (size_t i = 0; i <= n; i++) {
		int64_t next = trigger_next(&t, at);
		assert_true(next > at);
		assert_int_equal(trigger_prev(&t, next), next);
		if (i > 0)
			assert_int_equal(trigger_prev(&t, next - 1), prev);
		char buf[48];
		time_format(next, t.zone, buf, sizeof(buf));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", buf);
		prev = at = next;
	}
	assert_string_equal(got, want);
}

static void test_next_utc(void **state)
{
	(void)state;
	assert_next("* * * * *", "UTC", "2026-01-01T00:00:30Z",
		    "2026-01-01T00:01:00+00:00 2026-01-01T00:02:00+00:00 2026-01-01T00:03:00+00:00");
	assert_next("* * * * *", "UTC", "2026-01-01T00:01:00Z",
		    "2026-01-01T00:02:00+00:00 2026-01-01T00:03:00+00:00");
	assert_next("*/15 * * * *", "UTC", "2026-01-01T00:00Z",
		    "2026-01-01T00:15:00+00:00 2026-01-01T00:30:00+00:00 "
		    "2026-01-01T00:45:00+00:00 2026-01-01T01:00:00+00:00");
	assert_next("1-30/10 * * * *", "UTC", "2026-01-01T00:00Z",
		    "2026-01-01T00:01:00+00:00 2026-01-01T00:11:00+00:00 "
		    "2026-01-01T00:21:00+00:00 2026-01-01T01:01:00+00:00");
	assert_next("5/20 * * * *", "UTC", "2026-01-01T00:00Z",
		    "2026-01-01T00:05:00+00:00 2026-01-01T00:25:00+00:00 "
		    "2026-01-01T00:45:00+00:00 2026-01-01T01:05:00+00:00");
	assert_next("0 9,17 * * *", "UTC", "2026-01-01T12:00Z",
		    "2026-01-01T17:00:00+00:00 2026-01-02T09:00:00+00:00 2026-01-02T17:00:00+00:00");
	assert_next("0 12 * FEB,aug Sat", "UTC", "2026-01-01T00:00Z",
		    "2026-02-07T12:00:00+00:00 2026-02-14T12:00:00+00:00 "
		    "2026-02-21T12:00:00+00:00 2026-02-28T12:00:00+00:00 2026-08-01T12:00:00+00:00");
	assert_next("*/20 9-17 * * MON-FRI", "UTC", "2026-01-02T17:30Z",
		    "2026-01-02T17:40:00+00:00 2026-01-05T09:00:00+00:00");
}

static void test_next_calendar(void **state)
{
	(void)state;
	/* the leap day, skipping 2100 */
	assert_next("0 0 29 2 *", "UTC", "2026-01-01T00:00Z",
		    "2028-02-29T00:00:00+00:00 2032-02-29T00:00:00+00:00 2036-02-29T00:00:00+00:00");
	assert_next("0 0 29 2 *", "UTC", "2096-03-01T00:00Z",
		    "2104-02-29T00:00:00+00:00");
	/* month ends: only months with a 31st */
	assert_next("0 0 31 * *", "UTC", "2026-01-01T00:00Z",
		    "2026-01-31T00:00:00+00:00 2026-03-31T00:00:00+00:00 "
		    "2026-05-31T00:00:00+00:00 2026-07-31T00:00:00+00:00 "
		    "2026-08-31T00:00:00+00:00 2026-10-31T00:00:00+00:00 2026-12-31T00:00:00+00:00");
	/* the Vixie rule: the 13th, and every Friday */
	assert_next("0 0 13 * 5", "UTC", "2026-01-01T00:00Z",
		    "2026-01-02T00:00:00+00:00 2026-01-09T00:00:00+00:00 "
		    "2026-01-13T00:00:00+00:00 2026-01-16T00:00:00+00:00 "
		    "2026-01-23T00:00:00+00:00 2026-01-30T00:00:00+00:00 2026-02-06T00:00:00+00:00");
	/* a day of month field starting with '*' counts as unrestricted: both must match
	 * (Vixie cron's own reading): odd days that are Fridays */
	assert_next("0 0 */2 * 5", "UTC", "2026-01-01T00:00Z",
		    "2026-01-09T00:00:00+00:00 2026-01-23T00:00:00+00:00 "
		    "2026-02-13T00:00:00+00:00 2026-02-27T00:00:00+00:00");
	/* day of week 7 is Sunday */
	assert_next("0 0 * * 7", "UTC", "2026-01-01T00:00Z",
		    "2026-01-04T00:00:00+00:00 2026-01-11T00:00:00+00:00");
	assert_next("0 0 * * 5-7", "UTC", "2026-01-01T00:00Z",
		    "2026-01-02T00:00:00+00:00 2026-01-03T00:00:00+00:00 "
		    "2026-01-04T00:00:00+00:00 2026-01-09T00:00:00+00:00");
	/* year end */
	assert_next("59 23 31 12 *", "UTC", "2026-12-31T23:59Z",
		    "2027-12-31T23:59:00+00:00 2028-12-31T23:59:00+00:00");
	assert_next("0 0 1 1 *", "UTC", "2026-12-31T23:59:59Z",
		    "2027-01-01T00:00:00+00:00 2028-01-01T00:00:00+00:00");
	/* before 1970, and in local mean time before zones had whole-minute offsets */
	assert_next("0 0 * * 0", "UTC", "1886-10-28T00:00Z",
		    "1886-10-31T00:00:00+00:00 1886-11-07T00:00:00+00:00");
	assert_next("* * * * *", "UTC", "1969-12-31T23:58:30Z",
		    "1969-12-31T23:59:00+00:00 1970-01-01T00:00:00+00:00");
	assert_next("0 12 * * *", "Europe/Copenhagen", "1886-10-28T00:00Z",
		    "1886-10-28T12:00:00+00:50:20 1886-10-29T12:00:00+00:50:20");
	assert_next("* * * * *", "UTC", "2026-12-31T23:59Z",
		    "2027-01-01T00:00:00+00:00 2027-01-01T00:01:00+00:00");
	/* the macros, from Monday 2026-06-01 */
	assert_next("@yearly", "UTC", "2026-06-01T00:00Z",
		    "2027-01-01T00:00:00+00:00 2028-01-01T00:00:00+00:00");
	assert_next("@annually", "UTC", "2026-06-01T00:00Z", "2027-01-01T00:00:00+00:00");
	assert_next("@monthly", "UTC", "2026-06-01T00:00Z",
		    "2026-07-01T00:00:00+00:00 2026-08-01T00:00:00+00:00");
	assert_next("@weekly", "UTC", "2026-06-01T00:00Z",
		    "2026-06-07T00:00:00+00:00 2026-06-14T00:00:00+00:00");
	assert_next("@daily", "UTC", "2026-06-01T00:00Z",
		    "2026-06-02T00:00:00+00:00 2026-06-03T00:00:00+00:00");
	assert_next("@midnight", "UTC", "2026-06-01T00:00Z", "2026-06-02T00:00:00+00:00");
	assert_next("@hourly", "UTC", "2026-06-01T00:00Z",
		    "2026-06-01T01:00:00+00:00 2026-06-01T02:00:00+00:00");
	/* in a zone without daylight saving */
	assert_next("0 9 * * *", "Asia/Kolkata", "2026-01-01T00:00Z",
		    "2026-01-01T09:00:00+05:30 2026-01-02T09:00:00+05:30");
}

/* Europe/Copenhagen: on 2026-03-29 02:00 CET becomes 03:00 CEST (01:00Z); on 2026-10-25
 * 03:00 CEST becomes 02:00 CET (01:00Z). */
static void test_dst_copenhagen(void **state)
{
	(void)state;
	const char *z = "Europe/Copenhagen";
	/* hour '*': every real instant whose wall time matches */
	assert_next("0 * * * *", z, "2026-03-28T23:30Z",
		    "2026-03-29T01:00:00+01:00 2026-03-29T03:00:00+02:00 2026-03-29T04:00:00+02:00");
	assert_next("30 * * * *", z, "2026-03-28T23:30Z",
		    "2026-03-29T01:30:00+01:00 2026-03-29T03:30:00+02:00 2026-03-29T04:30:00+02:00");
	assert_next("0 * * * *", z, "2026-10-24T23:30Z",
		    "2026-10-25T02:00:00+02:00 2026-10-25T02:00:00+01:00 2026-10-25T03:00:00+01:00");
	assert_next("30 * * * *", z, "2026-10-24T23:45Z",
		    "2026-10-25T02:30:00+02:00 2026-10-25T02:30:00+01:00 2026-10-25T03:30:00+01:00");
	assert_next("*/20 * * * *", z, "2026-10-25T00:30Z",
		    "2026-10-25T02:40:00+02:00 2026-10-25T02:00:00+01:00 "
		    "2026-10-25T02:20:00+01:00 2026-10-25T02:40:00+01:00 2026-10-25T03:00:00+01:00");
	/* a fixed hour: a skipped time fires at the end of the gap, once */
	assert_next("30 2 * * *", z, "2026-03-27T12:00Z",
		    "2026-03-28T02:30:00+01:00 2026-03-29T03:00:00+02:00 2026-03-30T02:30:00+02:00");
	assert_next("0,15,30 2 * * *", z, "2026-03-28T12:00Z",
		    "2026-03-29T03:00:00+02:00 2026-03-30T02:00:00+02:00 2026-03-30T02:15:00+02:00");
	assert_next("* 2 * * *", z, "2026-03-29T00:58Z",
		    "2026-03-29T03:00:00+02:00 2026-03-30T02:00:00+02:00");
	/* a skipped time and a real one at the same instant fire once */
	assert_next("0,30 2,3 * * *", z, "2026-03-29T00:00Z",
		    "2026-03-29T03:00:00+02:00 2026-03-29T03:30:00+02:00 2026-03-30T02:00:00+02:00");
	/* a repeated time fires at its first occurrence only */
	assert_next("30 2 * * *", z, "2026-10-23T12:00Z",
		    "2026-10-24T02:30:00+02:00 2026-10-25T02:30:00+02:00 2026-10-26T02:30:00+01:00");
	assert_next("* 2 * * *", z, "2026-10-25T00:58Z",
		    "2026-10-25T02:59:00+02:00 2026-10-26T02:00:00+01:00");
	/* asked from within the repeated hour, nothing more that day */
	assert_next("30 2 * * *", z, "2026-10-25T01:10Z", "2026-10-26T02:30:00+01:00");
}

/* America/New_York: on 2026-03-08 02:00 EST becomes 03:00 EDT (07:00Z); on 2026-11-01
 * 02:00 EDT becomes 01:00 EST (06:00Z). */
static void test_dst_new_york(void **state)
{
	(void)state;
	const char *z = "America/New_York";
	assert_next("0 * * * *", z, "2026-03-08T05:30Z",
		    "2026-03-08T01:00:00-05:00 2026-03-08T03:00:00-04:00 2026-03-08T04:00:00-04:00");
	assert_next("30 * * * *", z, "2026-03-08T05:30Z",
		    "2026-03-08T01:30:00-05:00 2026-03-08T03:30:00-04:00");
	assert_next("0 * * * *", z, "2026-11-01T04:30Z",
		    "2026-11-01T01:00:00-04:00 2026-11-01T01:00:00-05:00 2026-11-01T02:00:00-05:00");
	assert_next("30 * * * *", z, "2026-11-01T04:00Z",
		    "2026-11-01T00:30:00-04:00 2026-11-01T01:30:00-04:00 "
		    "2026-11-01T01:30:00-05:00 2026-11-01T02:30:00-05:00");
	assert_next("30 2 * * *", z, "2026-03-07T00:00Z",
		    "2026-03-07T02:30:00-05:00 2026-03-08T03:00:00-04:00 2026-03-09T02:30:00-04:00");
	assert_next("0 1 * * *", z, "2026-10-31T00:00Z",
		    "2026-10-31T01:00:00-04:00 2026-11-01T01:00:00-04:00 2026-11-02T01:00:00-05:00");
	assert_next("30 1 * * *", z, "2026-11-01T05:45Z", "2026-11-02T01:30:00-05:00");
	assert_next("30 2 * * *", z, "2026-10-31T12:00Z",
		    "2026-11-01T02:30:00-05:00 2026-11-02T02:30:00-05:00");
}

static void test_prev(void **state)
{
	(void)state;
	int64_t t;
	char err[128];
	struct trigger tr = { .kind = TRIGGER_CRON, .cron = parse_ok("0 0 29 2 *"),
			      .zone = zone("UTC") };
	time_parse("2031-06-01T00:00Z", &t, err, sizeof(err));
	assert_int_equal(trigger_prev(&tr, t), 1835395200); /* 2028-02-29 */
	/* a dense expression far back: bisected, exact */
	tr.cron = parse_ok("* * * 1 *");
	time_parse("2026-12-31T00:00Z", &t, err, sizeof(err));
	int64_t want;
	time_parse("2026-01-31T23:59Z", &want, err, sizeof(err));
	assert_int_equal(trigger_prev(&tr, t), want);
	tr.cron = parse_ok("* * * * *");
	assert_int_equal(trigger_prev(&tr, t + 59), t);
	/* daylight saving: the latest fire before 03:10 CEST on the night of the gap is 03:00 */
	tr.cron = parse_ok("30 2 * * *");
	tr.zone = zone("Europe/Copenhagen");
	time_parse("2026-03-29T03:10+02:00", &t, err, sizeof(err));
	assert_int_equal(trigger_prev(&tr, t), 1774746000);
	/* and in the repeated hour, the first 02:30 */
	time_parse("2026-10-25T02:45+01:00", &t, err, sizeof(err));
	time_parse("2026-10-25T02:30+02:00", &want, err, sizeof(err));
	assert_int_equal(trigger_prev(&tr, t), want);
	/* nothing in 100 years back */
	tr.cron = parse_ok("0 0 29 2 *");
	tr.zone = zone("UTC");
	assert_int_equal(trigger_prev(&tr, TIME_MIN + 86400), -1);
	assert_int_equal(trigger_next(&tr, TIME_MAX - 86400), -1);
}

static void test_interval(void **state)
{
	(void)state;
	struct trigger t = { .kind = TRIGGER_EVERY, .every = 900, .start = 0, .zone = zone("UTC") };
	assert_int_equal(trigger_next(&t, 0), 900);
	assert_int_equal(trigger_next(&t, 899), 900);
	assert_int_equal(trigger_next(&t, 900), 1800);
	assert_int_equal(trigger_prev(&t, 899), 0);
	assert_int_equal(trigger_prev(&t, 900), 900);
	assert_int_equal(trigger_prev(&t, 1774747800 + 7), 1774747800);
	assert_int_equal(trigger_prev(&t, -1), -1);
	assert_int_equal(trigger_next(&t, -5000), 0);
	/* anchored at start = 2026-01-01T00:07:00Z, every hour */
	int64_t start = 1767226020;
	t.every = 3600;
	t.start = start;
	assert_int_equal(trigger_next(&t, start - 100), start);
	assert_int_equal(trigger_next(&t, start), start + 3600);
	assert_int_equal(trigger_prev(&t, start - 1), -1);
	assert_int_equal(trigger_prev(&t, start), start);
	assert_int_equal(trigger_prev(&t, start + 3599), start);
	assert_int_equal(trigger_next(&t, start + 24 * 3600 + 3000), start + 25 * 3600);
	/* no overflow at the ends */
	assert_int_equal(trigger_next(&t, INT64_MAX - 10), -1);
	t.start = INT64_MIN + 10;
	assert_int_equal(trigger_prev(&t, INT64_MAX), -1);
}

/* ---- references ---- */

static uint64_t rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random field: *, a number, a range, a list, or a step over any of these; month and day
 * of week sometimes by name. */
static void random_field(char *out, size_t len, int lo, int hi, const char *const *names)
{
	size_t at = 0;
	int items = 1 + (rnd(4) == 0) * (1 + rnd(3));
	for (int i = 0; i < items; i++) {
		int a = lo + (int)rnd(hi - lo + 1), b = a + (int)rnd(hi - a + 1);
		char va[8], vb[8];
		snprintf(va, sizeof(va), "%d", a);
		snprintf(vb, sizeof(vb), "%d", b);
		if (names && rnd(3) == 0 && a - lo < 7 && names[a - lo])
			snprintf(va, sizeof(va), "%s", names[a - lo]);
		switch (rnd(i == 0 ? 7 : 4)) {
		case 0: at += snprintf(out + at, len - at, "%s", va); break;
		case 1: at += snprintf(out + at, len - at, "%s-%s", va, vb); break;
		case 2: at += snprintf(out + at, len - at, "%s-%s/%u", va, vb, 1 + rnd(10)); break;
		case 3: at += snprintf(out + at, len - at, "%s/%u", va, 1 + rnd(20)); break;
		case 4: case 5: at += snprintf(out + at, len - at, "*"); break;
		default: at += snprintf(out + at, len - at, "*/%u", 1 + rnd(12)); break;
		}
		if (i + 1 < items)
			at += snprintf(out + at, len - at, ",");
	}
}

static void random_expression(char *out, size_t len)
{
	static const char *const mon[] = { "jan", "Feb", "MAR", "apr", "May", "JUN", "jul" };
	static const char *const dow[] = { "sun", "Mon", "TUE", "wed", "Thu", "FRI", "sat" };
	char f[5][64];
	random_field(f[0], sizeof(f[0]), 0, 59, NULL);
	random_field(f[1], sizeof(f[1]), 0, 23, NULL);
	random_field(f[2], sizeof(f[2]), 1, 31, NULL);
	random_field(f[3], sizeof(f[3]), 1, 12, mon);
	random_field(f[4], sizeof(f[4]), 0, 7, dow);
	snprintf(out, len, "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
}

/* The first whole minute after t. */
static int64_t next_minute(int64_t t)
{
	int64_t m = t / 60 - (t % 60 < 0);
	return (m + 1) * 60;
}

static bool ref_day(const struct cron *c, const struct tm *tm)
{
	if (!(c->month >> (tm->tm_mon + 1) & 1))
		return false;
	bool dom = c->dom >> tm->tm_mday & 1, dow = c->dow >> tm->tm_wday & 1;
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

static bool ref_match(const struct cron *c, const struct tm *tm)
{
	return ref_day(c, tm) && (c->hour >> tm->tm_hour & 1) && (c->minute >> tm->tm_min & 1);
}

/* The UTC reference: minute by minute with libc's gmtime_r, a day at a time on days that
 * cannot match. */
static int64_t ref_next_utc(const struct cron *c, int64_t after, int64_t end)
{
	for (int64_t t = next_minute(after); t <= end;) {
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		if (!ref_day(c, &tm)) {
			t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60);
			continue;
		}
		if (ref_match(c, &tm))
			return t;
		t += 60;
	}
	return -1;
}

static void test_oracle_utc(void **state)
{
	(void)state;
	const struct tz *utc = zone("UTC");
	int checked = 0;
	for (int i = 0; i < 400; i++) {
		char expr[400], err[256];
		struct cron c;
		random_expression(expr, sizeof(expr));
		if (cron_parse(expr, &c, err, sizeof(err))) {
			if (strncmp(err, "never fires: ", 13))
				fail_msg("'%s': %s", expr, err);
			continue;
		}
		for (int k = 0; k < 3; k++) {
			/* from 1900 to 2100 */
			int64_t after = -2208988800 + (int64_t)rnd(200 * 365) * 86400 + rnd(86400);
			int64_t end = after + 40LL * 366 * 86400;
			int64_t want = ref_next_utc(&c, after, end);
			int64_t got = cron_next(&c, utc, after);
			if (got != want)
				fail_msg("'%s' after %lld: %lld, reference %lld", expr,
					 (long long)after, (long long)got, (long long)want);
			checked++;
		}
	}
	assert_true(checked > 900);
}

/* The daylight-saving reference, minute by minute in real time with libc's localtime_r and
 * the rules at the top of cron.c read literally: a real instant whose wall time matches fires, unless the
 * hour field is restricted and the same wall time was already shown earlier; with a
 * restricted hour, a forward change fires when a wall time in the gap it opens matches. */
static int32_t libc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	return (int32_t)tm.tm_gmtoff;
}

static bool wall_seen_before(int64_t u)
{
	int64_t wall = u + libc_offset(u);
	static const int back[] = { 1800, 3600, 7200 };
	for (size_t i = 0; i < 3; i++) {
		int32_t o = libc_offset(u - back[i]);
		int64_t v = wall - o;
		if (v < u && libc_offset(v) == o)
			return true;
	}
	return false;
}

static bool gap_matches(const struct cron *c, int64_t u)
{
	int32_t before = libc_offset(u - 1), after = libc_offset(u);
	for (int64_t wall = u + before; wall < u + after; wall += 60) {
		time_t tt = (time_t)wall;
		struct tm tm;
		gmtime_r(&tt, &tm);
		if (ref_match(c, &tm))
			return true;
	}
	return false;
}

static int64_t ref_next_local(const struct cron *c, int64_t after, int64_t end)
{
	for (int64_t u = next_minute(after); u <= end; u += 60) {
		time_t tt = (time_t)u;
		struct tm tm;
		localtime_r(&tt, &tm);
		bool match = ref_match(c, &tm);
		if (c->hour_star) {
			if (match)
				return u;
			continue;
		}
		if (match && !wall_seen_before(u))
			return u;
		if (libc_offset(u - 1) < libc_offset(u) && gap_matches(c, u))
			return u;
	}
	return -1;
}

/* Random expressions, biased towards the small hours, asked around random transitions. */
static void test_oracle_dst(void **state)
{
	(void)state;
	static const char *const zones[] = { "Europe/Copenhagen", "America/New_York",
					     "Australia/Lord_Howe" };
	for (size_t zi = 0; zi < 3; zi++) {
		char tzenv[64];
		snprintf(tzenv, sizeof(tzenv), ":%s", zones[zi]);
		setenv("TZ", tzenv, 1);
		tzset();
		const struct tz *z = zone(zones[zi]);
		for (int i = 0; i < 90; i++) {
			char expr[400], hours[32], err[256];
			struct cron c;
			random_expression(expr, sizeof(expr));
			char *sp = strchr(expr, ' ');
			switch (rnd(3)) {
			case 0: snprintf(hours, sizeof(hours), "*"); break;
			case 1: snprintf(hours, sizeof(hours), "%u", rnd(4)); break;
			default: snprintf(hours, sizeof(hours), "1-3,%u", rnd(24)); break;
			}
			char text[500];
			snprintf(text, sizeof(text), "%.*s %s * * *", (int)(sp - expr), expr, hours);
			if (cron_parse(text, &c, err, sizeof(err)))
				fail_msg("'%s': %s", text, err);
			int64_t from = 1577836800 + (int64_t)rnd(20 * 365) * 86400;
			int64_t tr = tz_next_transition(z, from);
			int64_t spread = i % 2 ? 86400 : 3 * 3600; /* half of them close by */
			int64_t after = tr - spread + rnd(2 * spread);
			int64_t end = after + 2 * 86400;
			int64_t want = ref_next_local(&c, after, end);
			int64_t got = cron_next(&c, z, after);
			if (want < 0 ? got <= end : got != want)
				fail_msg("%s '%s' after %lld: %lld, reference %lld", zones[zi], text,
					 (long long)after, (long long)got, (long long)want);
		}
	}
	unsetenv("TZ");
}

/* Rare expressions answer without scanning minutes: ten thousand questions about leap days
 * take far less than a second (a minute-by-minute scan would need years). */
static void test_speed(void **state)
{
	(void)state;
	struct cron c = parse_ok("0 0 29 2 *");
	const struct tz *z = zone("Europe/Copenhagen");
	clock_t t0 = clock();
	int64_t sum = 0;
	for (int i = 0; i < 10000; i++)
		sum += cron_next(&c, z, 1767225600 + (int64_t)i * 86400);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_true(sum > 0);
	assert_true(secs < 2.0);
}

static int teardown(void **state)
{
	(void)state;
	tz_cache_free();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_flags),
		cmocka_unit_test(test_parse_macros),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_next_utc),
		cmocka_unit_test(test_next_calendar),
		cmocka_unit_test(test_dst_copenhagen),
		cmocka_unit_test(test_dst_new_york),
		cmocka_unit_test(test_prev),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_oracle_utc),
		cmocka_unit_test(test_oracle_dst),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
