/* test_why.c - the freshness verdicts of `stau why`, for people: fresh, stale, never
 * computed, max_lag 0 and allow_missing_work_ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "why.h"

#define NOW 1800000000LL

static void check(const struct dep *d, int64_t fin, int64_t last, bool fresh, const char *why)
{
	char *got;
	assert_int_equal(why_fresh(d, "features", fin, last, NOW, &got), fresh);
	assert_string_equal(got, why);
	free(got);
}

static void test_verdicts(void **state)
{
	(void)state;
	struct dep hour = { .job_type = "features", .max_lag = 3600 };
	check(&hour, NOW - 7200, NOW - 60, false, "computed 2h ago > max_lag 1h");
	check(&hour, NOW - 600, NOW - 60, true, "computed 10m ago <= max_lag 1h");
	check(&hour, NOW - 3600, NOW - 60, true, "computed 1h ago <= max_lag 1h");
	/* an age that rounds to the max_lag is said exactly */
	check(&hour, NOW - 3601, NOW - 60, false, "computed 1h1s ago > max_lag 1h");
	check(&hour, 0, NOW - 60, false, "never computed");
	struct dep zero = { .job_type = "features", .max_lag = 0 };
	check(&zero, NOW, NOW, false, "max_lag 0: always stale");
	struct dep any = { .job_type = "features", .max_lag = 3600,
			   .allow_missing_work_ids = true };
	check(&any, 0, NOW - 600, true,
	      "features succeeded 10m ago <= max_lag 1h (allow_missing_work_ids: any IDs)");
	check(&any, NOW, NOW - 7200, false,
	      "features succeeded 2h ago > max_lag 1h (allow_missing_work_ids: any IDs)");
	check(&any, 0, 0, false, "features never succeeded (allow_missing_work_ids)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
