/* test_term.c - terminal helpers: display width, truncation, tables, durations and ages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "util.h"

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(term_width(""), 0);
	assert_int_equal(term_width("job_A"), 5);
	assert_int_equal(term_width("K\xc3\xb8" "benhavn"), 9);		/* ø: 2 bytes, 1 column */
	assert_int_equal(term_width("e\xcc\x81"), 1);			/* e + combining acute */
	assert_int_equal(term_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);	/* 日本 */
	assert_int_equal(term_width("\xea\xb0\x80"), 2);			/* 가 (Hangul) */
	assert_int_equal(term_width("\xf0\x9f\x98\x80!"), 3);		/* 😀! */
	assert_int_equal(term_width("\xe2\x80\xa6"), 1);			/* … */
	assert_int_equal(term_width("a\xe2\x80\x8b" "b"), 2);		/* zero width space */
	assert_int_equal(term_width("\033[31mFAILED\033[0m"), 6);
	assert_int_equal(term_width("\033[1;32mok"), 2);
	assert_int_equal(term_width("tab\there"), 7);			/* controls take no column */
	/* each byte that is not UTF-8 is shown as one replacement character */
	assert_int_equal(term_width("\xff\xfe"), 2);
	assert_int_equal(term_width("\xe2\x80"), 2);
	assert_int_equal(term_width_n("abc", 2), 2);
}

static void test_truncate(void **state)
{
	(void)state;
	char *s = term_truncate("short", 10);
	assert_string_equal(s, "short");
	free(s);
	s = term_truncate("exactly10!", 10);
	assert_string_equal(s, "exactly10!");
	free(s);
	s = term_truncate("1-6,9,12-14,20", 8);
	assert_string_equal(s, "1-6,9,1\xe2\x80\xa6");
	assert_int_equal(term_width(s), 8);
	free(s);
	/* a wide character that does not fit is left out whole */
	s = term_truncate("ab\xe6\x97\xa5\xe6\x9c\xac", 4);
	assert_string_equal(s, "ab\xe2\x80\xa6");
	free(s);
	s = term_truncate("abc", 1);
	assert_string_equal(s, "\xe2\x80\xa6");
	free(s);
}

static const char *dur(int64_t ms)
{
	static char buf[32];
	term_duration_ms(ms, buf, sizeof(buf));
	return buf;
}

static const char *age(int64_t secs)
{
	static char buf[32];
	term_age(secs, buf, sizeof(buf));
	return buf;
}

static void test_durations(void **state)
{
	(void)state;
	assert_string_equal(dur(0), "0.0s");
	assert_string_equal(dur(-5), "0.0s");
	assert_string_equal(dur(345), "0.3s");
	assert_string_equal(dur(2150), "2.1s");
	assert_string_equal(dur(9999), "9.9s");
	assert_string_equal(dur(10000), "10s");
	assert_string_equal(dur(45900), "45s");
	assert_string_equal(dur(60000), "1m");
	assert_string_equal(dur(200000), "3m20s");
	assert_string_equal(dur(3600000), "1h");
	assert_string_equal(dur((4 * 3600 + 12 * 60 + 59) * 1000LL), "4h12m");
	assert_string_equal(dur((2 * 86400 + 3 * 3600) * 1000LL), "2d3h");
	assert_string_equal(dur(2 * 86400 * 1000LL + 59000), "2d");
}

static void test_ages_and_relative_times(void **state)
{
	(void)state;
	assert_string_equal(age(0), "0s");
	assert_string_equal(age(-3), "0s");
	assert_string_equal(age(59), "59s");
	assert_string_equal(age(60), "1m");
	assert_string_equal(age(200), "3m");
	assert_string_equal(age(3599), "59m");
	assert_string_equal(age(4 * 3600 + 12 * 60 + 30), "4h12m");
	assert_string_equal(age(5 * 3600), "5h");
	assert_string_equal(age(86400 + 3600), "1d1h");
	assert_string_equal(age(400 * 86400LL), "400d");

	char buf[32];
	term_relative(1000, 1300, buf, sizeof(buf));
	assert_string_equal(buf, "5m ago");
	term_relative(1000, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "0s ago");
	term_relative(1000 + 3 * 3600, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "in 3h");
}

static void test_colors(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	term_add_colored(&sb, true, TERM_RED, "FAILED");
	term_add_colored(&sb, false, TERM_GREEN, " DONE");
	term_add_colored(&sb, true, TERM_PLAIN, " x");
	assert_string_equal(sb.buf, "\033[31mFAILED\033[0m DONE x");
	assert_string_equal(term_sgr(false, TERM_RED), "");
	assert_string_equal(term_sgr(true, TERM_GREEN), "\033[32m");
	assert_string_equal(term_reset(false, TERM_GREEN), "");
	sb_release(&sb);
}

static void test_table(void **state)
{
	(void)state;
	struct table t;
	table_init(&t, 4);
	table_align_right(&t, 2);
	table_add(&t, "JOB");
	table_add(&t, "RESULT");
	table_add(&t, "RUN");
	table_add(&t, "NOTE");
	table_add(&t, "job_A");
	table_add(&t, "\033[32mDONE\033[0m");
	table_addf(&t, "#%d", 12);
	table_add(&t, "");
	table_add(&t, "K\xc3\xb8" "benhavn");
	table_add(&t, NULL);
	table_add(&t, "#7");
	table_add(&t, "BROKEN: bad header");
	table_add(&t, "\xe6\x97\xa5");
	struct strbuf sb = STRBUF_INIT;
	table_render(&t, &sb);
	assert_string_equal(sb.buf, "JOB        RESULT  RUN  NOTE\n"
				    "job_A      \033[32mDONE\033[0m    #12\n"
				    "K\xc3\xb8" "benhavn           #7  BROKEN: bad header\n"
				    "\xe6\x97\xa5\n");
	sb_release(&sb);
	table_release(&t);
}

static void check_escape(const char *in, size_t n, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	term_add_escaped(&sb, in, n);
	assert_string_equal(sb.buf, want);
	sb_release(&sb);
}

static void test_escape(void **state)
{
	(void)state;
	check_escape("", 0, "");
	check_escape("job_A - the report", 18, "job_A - the report");
	/* an escape sequence is shown, not sent */
	check_escape("\033[31mred\033[0m", 12, "\\x1b[31mred\\x1b[0m");
	check_escape("\033]0;title\007", 10, "\\x1b]0;title\\x07");
	check_escape("a\nb\tc\rd", 7, "a\\nb\\tc\\rd");
	check_escape("nul\0here", 8, "nul\\x00here");
	check_escape("\x7f\x01", 2, "\\x7f\\x01");
	/* valid UTF-8 stays; C1 controls (CSI is U+009B) and stray bytes do not */
	check_escape("K\xc3\xb8" "benhavn \xe6\x97\xa5", 14, "K\xc3\xb8" "benhavn \xe6\x97\xa5");
	check_escape("\xc2\x9b" "31m", 5, "\\u009b31m");
	check_escape("\x9b" "31m", 4, "\\x9b31m");
	check_escape("\xff\xe2\x80", 3, "\\xff\\xe2\\x80");
	check_escape("\xef\xbf\xbd", 3, "\xef\xbf\xbd"); /* U+FFFD itself is text */
	/* backslashes are copied: the text stays readable */
	check_escape("C:\\data", 7, "C:\\data");
	char *s = term_escape("tail\033[2J");
	assert_string_equal(s, "tail\\x1b[2J");
	assert_int_equal(term_width(s), 11);
	free(s);
	assert_null(term_escape(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_ages_and_relative_times),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
