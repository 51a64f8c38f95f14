/* test_promtext.c - the Prometheus text exposition writer: names, escaping, lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "promtext.h"
#include "util.h"

static void test_names(void **state)
{
	(void)state;
	assert_true(prom_name_ok("stau_job_last_success_timestamp_seconds"));
	assert_true(prom_name_ok("a:b_c1"));
	assert_true(prom_name_ok("_x"));
	assert_false(prom_name_ok(""));
	assert_false(prom_name_ok("1abc"));
	assert_false(prom_name_ok("stau-job"));
	assert_false(prom_name_ok("stau job"));
	assert_true(prom_label_name_ok("job"));
	assert_false(prom_label_name_ok("a:b"));
	assert_false(prom_label_name_ok("__name__"));
	assert_false(prom_label_name_ok("0job"));
}

static void check_value(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	prom_add_label_value(&sb, in);
	assert_string_equal(sb.buf, want);
	sb_release(&sb);
}

static void test_label_values(void **state)
{
	(void)state;
	check_value("job_A", "job_A");
	check_value(NULL, "");
	check_value("a\\b\"c\nd", "a\\\\b\\\"c\\nd");
	/* UTF-8 stays; controls and bytes that are not UTF-8 become U+FFFD */
	check_value("K\xc3\xb8" "benhavn", "K\xc3\xb8" "benhavn");
	check_value("\033[31m", "\xef\xbf\xbd[31m");
	check_value("\xc2\x9b" "x\t", "\xef\xbf\xbdx\xef\xbf\xbd");
	check_value("\xff\xe2\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_value("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a surrogate */
	check_value("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
}

static void test_lines(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct prom_label l[] = { { "job", "job_A" }, { "state", "failed" } };
	prom_family(&sb, "stau_x_total", "counter", "How many;\nback\\slash.");
	prom_sample(&sb, "stau_x_total", l, 2, 42);
	prom_sample(&sb, "stau_x_total", NULL, 0, -3);
	prom_sample_ms(&sb, "stau_d_seconds", l, 1, 1500);
	prom_sample_ms(&sb, "stau_d_seconds", l, 1, 250);
	prom_sample_ms(&sb, "stau_d_seconds", l, 1, 3000);
	prom_sample_ms(&sb, "stau_d_seconds", l, 1, 7);
	prom_sample_ms(&sb, "stau_d_seconds", l, 1, -1500);
	assert_string_equal(sb.buf, "# HELP stau_x_total How many;\\nback\\\\slash.\n"
				    "# TYPE stau_x_total counter\n"
				    "stau_x_total{job=\"job_A\",state=\"failed\"} 42\n"
				    "stau_x_total -3\n"
				    "stau_d_seconds{job=\"job_A\"} 1.5\n"
				    "stau_d_seconds{job=\"job_A\"} 0.25\n"
				    "stau_d_seconds{job=\"job_A\"} 3\n"
				    "stau_d_seconds{job=\"job_A\"} 0.007\n"
				    "stau_d_seconds{job=\"job_A\"} -1.5\n");
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_label_values),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
