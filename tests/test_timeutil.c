/* test_timeutil.c - durations, ISO 8601 instants, and time zones read from the system zoneinfo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "timeutil.h"
#include "util.h"

static void assert_duration(const char *s, int64_t want)
{
	char err[256] = "";
	int64_t secs = -1;
	if (duration_parse(s, &secs, err, sizeof(err)))
		fail_msg("'%s': %s", s, err);
	assert_int_equal(secs, want);
}

static void assert_bad_duration(const char *s, const char *msg)
{
	char err[256] = "";
	int64_t secs = 7;
	assert_int_equal(duration_parse(s, &secs, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	assert_int_equal(secs, 7);
}

static void test_duration_parse(void **state)
{
	(void)state;
	assert_duration("90s", 90);
	assert_duration("15m", 900);
	assert_duration("2h", 7200);
	assert_duration("1d", 86400);
	assert_duration("1h30m", 5400);
	assert_duration("1d2h3m4s", 93784);
	assert_duration("0s", 0);
	assert_duration("30d", 2592000);
	assert_bad_duration("2x", "bad duration '2x': unit must be s, m, h or d");
	assert_bad_duration("2H", "bad duration '2H': unit must be s, m, h or d");
	assert_bad_duration("90", "bad duration '90': missing unit (s, m, h or d)");
	assert_bad_duration("1h30", "bad duration '1h30': missing unit (s, m, h or d)");
	assert_bad_duration("", "bad duration '': expected a number and a unit, e.g. '15m'");
	assert_bad_duration("m", "bad duration 'm': expected a number and a unit (s, m, h or d), "
				 "e.g. '15m'");
	assert_bad_duration("-5m", "bad duration '-5m': expected a number and a unit (s, m, h or "
				   "d), e.g. '15m'");
	assert_bad_duration("1h 30m", "bad duration '1h 30m': expected a number and a unit (s, m, "
				      "h or d), e.g. '15m'");
	assert_bad_duration("99999999999999999999d", "bad duration '99999999999999999999d': too long");
	assert_bad_duration("999999999d", "bad duration '999999999d': too long");
}

static void assert_format(int64_t secs, const char *want)
{
	char buf[32];
	duration_format(secs * 1000, DURATION_EXACT, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_duration_format(void **state)
{
	(void)state;
	assert_format(0, "0s");
	assert_format(45, "45s");
	assert_format(900, "15m");
	assert_format(9000, "2h30m");
	assert_format(93600, "1d2h");
	assert_format(93784, "1d2h3m4s");
	assert_format(-90, "-1m30s");
	assert_format(2592000, "30d");
	/* what duration_format prints, duration_parse reads back */
	for (int64_t s = 0; s < 200000; s += 997) {
		char buf[32];
		int64_t back;
		char err[128];
		duration_format(s * 1000, DURATION_EXACT, buf, sizeof(buf));
		assert_int_equal(duration_parse(buf, &back, err, sizeof(err)), 0);
		assert_int_equal(back, s);
	}
}

static int64_t parse_ok(const char *s)
{
	char err[256] = "";
	int64_t t = 0;
	if (time_parse(s, &t, err, sizeof(err)))
		fail_msg("'%s': %s", s, err);
	return t;
}

static void assert_bad_time(const char *s, const char *msg)
{
	char err[256] = "";
	int64_t t = 0;
	assert_int_equal(time_parse(s, &t, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
}

#define SYNTAX                                                                               \
	"expected YYYY-MM-DDTHH:MM[:SS], optionally followed by Z or an offset like +02:00 "     \
	"(none: UTC), or @EPOCH"

static void test_time_parse(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-03-29T01:30:00Z"), 1774747800);
	assert_int_equal(parse_ok("2026-03-29T03:30:00+02:00"), 1774747800);
	assert_int_equal(parse_ok("2026-03-29T03:30:00+0200"), 1774747800);
	assert_int_equal(parse_ok("2026-03-28T20:30:00-05:00"), 1774747800);
	assert_int_equal(parse_ok("2026-03-29T01:30Z"), 1774747800);
	assert_int_equal(parse_ok("2026-03-29 01:30:00Z"), 1774747800);
	assert_int_equal(parse_ok("2026-03-29T01:30:00"), 1774747800);
	assert_int_equal(parse_ok("2026-03-29t01:30:00z"), 1774747800);
	assert_int_equal(parse_ok("@1774747800"), 1774747800);
	assert_int_equal(parse_ok("@0"), 0);
	assert_int_equal(parse_ok("@-86400"), -86400);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(parse_ok("2028-02-29T12:00:00Z"), 1835438400);
	assert_int_equal(parse_ok("2026-01-01T05:30:00+05:30"), 1767225600);
	assert_int_equal(parse_ok("0001-01-01T00:00:00Z"), TIME_MIN);
	assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), TIME_MAX);

	assert_bad_time("2026-03-29", "bad time '2026-03-29': " SYNTAX);
	assert_bad_time("2026-3-29T01:30Z", "bad time '2026-3-29T01:30Z': " SYNTAX);
	assert_bad_time("2026-03-29T01:30:00+2", "bad time '2026-03-29T01:30:00+2': " SYNTAX);
	assert_bad_time("2026-03-29T01:30:00.5Z", "bad time '2026-03-29T01:30:00.5Z': " SYNTAX);
	assert_bad_time("2026-03-29T01:30:00Z ", "bad time '2026-03-29T01:30:00Z ': " SYNTAX);
	assert_bad_time("", "bad time '': " SYNTAX);
	assert_bad_time("now", "bad time 'now': " SYNTAX);
	assert_bad_time("2026-02-29T00:00Z", "bad time '2026-02-29T00:00Z': no such date");
	assert_bad_time("2026-13-01T00:00Z", "bad time '2026-13-01T00:00Z': no such date");
	assert_bad_time("2026-04-31T00:00Z", "bad time '2026-04-31T00:00Z': no such date");
	assert_bad_time("0000-01-01T00:00Z", "bad time '0000-01-01T00:00Z': no such date");
	assert_bad_time("2026-01-01T24:00Z", "bad time '2026-01-01T24:00Z': no such time of day");
	assert_bad_time("2026-01-01T23:60Z", "bad time '2026-01-01T23:60Z': no such time of day");
	assert_bad_time("2026-01-01T23:59:60Z",
			"bad time '2026-01-01T23:59:60Z': no such time of day");
	assert_bad_time("2026-01-01T00:00+24:00", "bad time '2026-01-01T00:00+24:00': " SYNTAX);
	assert_bad_time("0001-01-01T00:00+01:00",
			"bad time '0001-01-01T00:00+01:00': out of range (years 1 to 9999)");
	assert_bad_time("@", "bad time '@': expected @ and seconds since 1970, e.g. '@1774747800'");
	assert_bad_time("@12x", "bad time '@12x': expected @ and seconds since 1970, e.g. "
				"'@1774747800'");
	assert_bad_time("@99999999999999999999", "bad time '@99999999999999999999': expected @ "
						 "and seconds since 1970, e.g. '@1774747800'");
	assert_bad_time("@253402300800", "bad time '@253402300800': out of range (years 1 to 9999)");
}

static const struct tz *zone(const char *name)
{
	char err[256] = "";
	const struct tz *z = tz_get(name, err, sizeof(err));
	if (!z)
		fail_msg("%s", err);
	return z;
}

static void assert_formatted(int64_t t, const char *zname, const char *want)
{
	char buf[48];
	time_format(t, zname ? zone(zname) : NULL, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(parse_ok(buf), t);
}

static void test_time_format(void **state)
{
	(void)state;
	assert_formatted(1774747800, NULL, "2026-03-29T01:30:00+00:00");
	assert_formatted(1774747800, "UTC", "2026-03-29T01:30:00+00:00");
	assert_formatted(1774747800, "Europe/Copenhagen", "2026-03-29T03:30:00+02:00");
	assert_formatted(1774744200, "Europe/Copenhagen", "2026-03-29T01:30:00+01:00");
	assert_formatted(1774747800, "America/New_York", "2026-03-28T21:30:00-04:00");
	assert_formatted(1767225600, "Asia/Kolkata", "2026-01-01T05:30:00+05:30");
	assert_formatted(1767225600, "America/St_Johns", "2025-12-31T20:30:00-03:30");
	assert_formatted(0, NULL, "1970-01-01T00:00:00+00:00");
	assert_formatted(-1, NULL, "1969-12-31T23:59:59+00:00");
	assert_formatted(TIME_MIN, NULL, "0001-01-01T00:00:00+00:00");
	assert_formatted(TIME_MAX, NULL, "9999-12-31T23:59:59+00:00");
	assert_formatted(951782400, NULL, "2000-02-29T00:00:00+00:00");
	/* local mean time before standard time had an offset in seconds */
	char buf[48];
	time_format(-2524521600, zone("Europe/Copenhagen"), buf, sizeof(buf));
	assert_string_equal(buf, "1890-01-01T00:50:20+00:50:20");
}

static void assert_unknown_zone(const char *name)
{
	char err[256] = "", want[256];
	assert_null(tz_get(name, err, sizeof(err)));
	snprintf(want, sizeof(want), "unknown time zone '%s'", name);
	assert_string_equal(err, want);
}

static void test_tz_get(void **state)
{
	(void)state;
	const struct tz *cph = zone("Europe/Copenhagen");
	assert_ptr_equal(zone("Europe/Copenhagen"), cph);
	assert_string_equal(tz_name(cph), "Europe/Copenhagen");
	assert_string_equal(tz_name(zone("UTC")), "UTC");
	assert_string_equal(tz_name(zone("Etc/GMT+5")), "Etc/GMT+5");
	assert_int_equal(tz_offset(zone("Etc/GMT+5"), 0), -5 * 3600);
	assert_unknown_zone("Europe/Kopenhagen");
	assert_unknown_zone("");
	assert_unknown_zone("../../../etc/passwd");
	assert_unknown_zone("Europe/../UTC");
	assert_unknown_zone("/usr/share/zoneinfo/UTC");
	assert_unknown_zone("zone.tab");	 /* in zoneinfo, not a TZif file */
	assert_unknown_zone("Europe");		 /* a directory */
	assert_unknown_zone("Europe/Copenhagen "); /* no trimming */
	assert_unknown_zone("Europe//Copenhagen");
	assert_unknown_zone("Europe/Copenhagen/");
	assert_unknown_zone("right/UTC");	 /* leap seconds are not supported */
	tz_cache_free();
	/* after freeing, zones load again */
	assert_string_equal(tz_name(zone("Europe/Copenhagen")), "Europe/Copenhagen");
}

static void assert_local(const char *zname, int64_t t, const char *want, int isdst,
			 const char *abbr)
{
	struct tm tm;
	char buf[64];
	tz_localtime(zone(zname), t, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d %+ld wday %d yday %d",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 tm.tm_gmtoff, tm.tm_wday, tm.tm_yday);
	assert_string_equal(buf, want);
	assert_int_equal(tm.tm_isdst, isdst);
	assert_string_equal(tm.tm_zone, abbr);
}

static void test_tz_localtime(void **state)
{
	(void)state;
	/* Copenhagen, 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z */
	assert_local("Europe/Copenhagen", 1774745999, "2026-03-29 01:59:59 +3600 wday 0 yday 87",
		     0, "CET");
	assert_local("Europe/Copenhagen", 1774746000, "2026-03-29 03:00:00 +7200 wday 0 yday 87",
		     1, "CEST");
	/* New York, 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00Z */
	assert_local("America/New_York", 1793512799, "2026-11-01 01:59:59 -14400 wday 0 yday 304",
		     1, "EDT");
	assert_local("America/New_York", 1793512800, "2026-11-01 01:00:00 -18000 wday 0 yday 304",
		     0, "EST");
	/* the southern hemisphere, and far beyond the file's own transitions (rule, 400-year shift) */
	assert_local("Australia/Sydney", 1767225600, "2026-01-01 11:00:00 +39600 wday 4 yday 0", 1,
		     "AEDT");
	assert_local("Europe/Copenhagen", 253402300799, "10000-01-01 00:59:59 +3600 wday 6 yday 0",
		     0, "CET");
	assert_local("Europe/Copenhagen", 32503680000 + 200 * 86400,
		     "3000-07-20 02:00:00 +7200 wday 0 yday 200", 1, "CEST");
	assert_local("UTC", 0, "1970-01-01 00:00:00 +0 wday 4 yday 0", 0, "UTC");
}

/* The library's answers agree with glibc's localtime_r for random instants from 1900 to
 * 9999 in zones of every kind: northern and southern daylight saving, half hours, zones
 * that skipped a day (Pacific/Apia, 2011) and zones whose rules changed often. */
static void test_tz_agrees_with_libc(void **state)
{
	(void)state;
	static const char *const zones[] = { "Europe/Copenhagen", "America/New_York",
					     "Australia/Sydney",  "Australia/Lord_Howe",
					     "Pacific/Apia",	  "America/Sao_Paulo",
					     "Asia/Jerusalem",	  "Africa/Casablanca",
					     "Europe/Dublin",	  "America/Santiago",
					     "Asia/Kolkata",	  "Antarctica/Troll" };
	uint64_t seed = 12345;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		char tzenv[128];
		snprintf(tzenv, sizeof(tzenv), ":%s", zones[z]);
		setenv("TZ", tzenv, 1);
		tzset();
		const struct tz *mine = zone(zones[z]);
		for (int i = 0; i < 20000; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			int64_t t = (int64_t)(seed >> 27) % (TIME_MAX + 2208988800LL) - 2208988800LL;
			time_t tt = (time_t)t;
			struct tm want, got;
			localtime_r(&tt, &want);
			tz_localtime(mine, t, &got);
			if (want.tm_gmtoff != got.tm_gmtoff || want.tm_isdst != got.tm_isdst ||
			    want.tm_hour != got.tm_hour || want.tm_mday != got.tm_mday ||
			    want.tm_year != got.tm_year || strcmp(want.tm_zone, got.tm_zone))
				fail_msg("%s at %lld: libc %ld %s, ours %ld %s", zones[z], (long long)t,
					 want.tm_gmtoff, want.tm_zone, got.tm_gmtoff, got.tm_zone);
		}
	}
	unsetenv("TZ");
}

static void test_transitions(void **state)
{
	(void)state;
	const struct tz *cph = zone("Europe/Copenhagen");
	assert_int_equal(tz_next_transition(cph, 1767225600), 1774746000);
	assert_int_equal(tz_next_transition(cph, 1774746000), 1792890000);
	assert_int_equal(tz_prev_transition(cph, 1774746000), 1774746000);
	assert_int_equal(tz_prev_transition(cph, 1774745999), 1761440400);
	/* far away: the rule repeats every 400 years */
	int64_t p400 = 146097LL * 86400;
	assert_int_equal(tz_next_transition(cph, 1767225600 + 10 * p400), 1774746000 + 10 * p400);
	assert_int_equal(tz_prev_transition(cph, 1774746000 + 10 * p400), 1774746000 + 10 * p400);
	const struct tz *utc = zone("UTC");
	assert_true(tz_next_transition(utc, 0) == INT64_MAX);
	assert_true(tz_prev_transition(utc, 0) == INT64_MIN);
	/* Kolkata has had no change since 1945 and no rule */
	assert_true(tz_next_transition(zone("Asia/Kolkata"), 0) == INT64_MAX);
}

static void test_civil(void **state)
{
	(void)state;
	assert_int_equal(time_from_civil(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(time_from_civil(2026, 3, 29, 1, 30, 0), 1774747800);
	assert_int_equal(time_from_civil(1, 1, 1, 0, 0, 0), TIME_MIN);
	assert_int_equal(time_from_civil(9999, 12, 31, 23, 59, 59), TIME_MAX);
	for (int64_t t = TIME_MIN; t < TIME_MAX; t += 86400LL * 367 + 3607) {
		struct tm tm;
		time_to_civil(t, &tm);
		assert_int_equal(time_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday,
						 tm.tm_hour, tm.tm_min, tm.tm_sec),
				 t);
	}
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
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_tz_get),
		cmocka_unit_test(test_tz_localtime),
		cmocka_unit_test(test_tz_agrees_with_libc),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_civil),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
