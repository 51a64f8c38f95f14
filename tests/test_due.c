/* test_due.c - the scheduling policy: due, coalesced, missed, skipped, first sight, trigger change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "due.h"
#include "timeutil.h"

#define MIN 60
#define HOUR 3600
/* 2026-03-02T00:00:00Z, a Monday */
#define DAY0 1772409600LL
#define AT(h, m, s) (DAY0 + (h) * HOUR + (m) * MIN + (s))

static struct trigger cron_trigger(const char *expr)
{
	struct trigger t;
	char err[128];
	memset(&t, 0, sizeof(t));
	t.kind = TRIGGER_CRON;
	assert_int_equal(cron_parse(expr, &t.cron, err, sizeof(err)), 0);
	t.zone = tz_get("UTC", err, sizeof(err));
	assert_non_null(t.zone);
	return t;
}

/* An entry seen before with fingerprint "fp", last handled at `last`. */
static struct due_input seen(const struct trigger *t, int64_t last, int64_t now)
{
	struct due_input in = { t, "fp", "fp", last, now, 30 * MIN, false, false, false };
	return in;
}

static void assert_decision(struct due_decision d, enum due_action a, int64_t fire,
			    int64_t last, bool store)
{
	assert_string_equal(due_action_name(d.action), due_action_name(a));
	assert_int_equal(d.fire, fire);
	assert_int_equal(d.last_handled, last);
	assert_int_equal(d.store, store);
}

static void test_first_sight_runs_fire_time_of_this_minute(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("* * * * *");
	struct due_input in = seen(&t, INT64_MIN, AT(10, 0, 30));
	in.stored_fingerprint = NULL;
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 0, 0), AT(10, 0, 0), true);
}

static void test_first_sight_does_not_catch_up(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("0 * * * *");
	struct due_input in = seen(&t, INT64_MIN, AT(10, 1, 0));
	in.stored_fingerprint = NULL;
	/* 10:00 is older than this minute: not run, and never caught up later */
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(10, 0, 59), true);
	in = seen(&t, AT(10, 0, 59), AT(10, 2, 0));
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(10, 0, 59), false);
	in = seen(&t, AT(10, 0, 59), AT(11, 0, 5));
	assert_decision(due_decide(&in), DUE_RUN, AT(11, 0, 0), AT(11, 0, 0), true);
}

static void test_not_due_twice_for_the_same_fire_time(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("*/5 * * * *");
	struct due_input in = seen(&t, AT(10, 5, 0), AT(10, 5, 0));
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(10, 5, 0), false);
	in.now = AT(10, 9, 59);
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(10, 5, 0), false);
	in.now = AT(10, 10, 0);
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 10, 0), AT(10, 10, 0), true);
}

static void test_short_outage_coalesces_into_latest_fire_time(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("*/5 * * * *");
	/* ticks stopped after 09:50; 09:55, 10:00, 10:05 and 10:10 were never handled */
	struct due_input in = seen(&t, AT(9, 50, 0), AT(10, 12, 10));
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 10, 0), AT(10, 10, 0), true);
}

static void test_long_outage_records_missed(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("0 * * * *");
	struct due_input in = seen(&t, AT(8, 0, 0), AT(10, 45, 0));
	assert_decision(due_decide(&in), DUE_MISSED, AT(10, 0, 0), AT(10, 0, 0), true);
	/* the missed fire time is handled: the next tick waits for 11:00 */
	in = seen(&t, AT(10, 0, 0), AT(10, 46, 0));
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(10, 0, 0), false);
}

static void test_grace_boundary_is_inclusive(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("0 * * * *");
	struct due_input in = seen(&t, AT(9, 0, 0), AT(10, 30, 0));
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 0, 0), AT(10, 0, 0), true);
	in.now = AT(10, 30, 1);
	assert_decision(due_decide(&in), DUE_MISSED, AT(10, 0, 0), AT(10, 0, 0), true);
	in.misfire_grace = 0;
	in.now = AT(10, 0, 0);
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 0, 0), AT(10, 0, 0), true);
}

static void test_trigger_change_is_first_sight(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("0 * * * *");
	struct due_input in = seen(&t, AT(2, 0, 0), AT(10, 12, 0));
	in.stored_fingerprint = "*/5 * * * * UTC";
	in.fingerprint = "0 * * * * UTC";
	/* the old history does not count: 10:00 is before this minute, nothing is caught up */
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(10, 11, 59), true);
	/* a change within the fire minute still runs it */
	in.now = AT(10, 0, 40);
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 0, 0), AT(10, 0, 0), true);
}

static void test_skipped_while_own_run_active(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("*/5 * * * *");
	struct due_input in = seen(&t, AT(10, 0, 0), AT(10, 5, 3));
	in.own_active = true;
	assert_decision(due_decide(&in), DUE_SKIPPED, AT(10, 5, 0), AT(10, 5, 0), true);
	in.allow_multiple = true;
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 5, 0), AT(10, 5, 0), true);
	/* too old to run is missed, whether or not the job is active */
	struct trigger hourly = cron_trigger("0 * * * *");
	in = seen(&hourly, AT(9, 0, 0), AT(10, 40, 0));
	in.own_active = true;
	assert_decision(due_decide(&in), DUE_MISSED, AT(10, 0, 0), AT(10, 0, 0), true);
}

static void test_a_disabled_entry_handles_its_fire_times_unrun(void **state)
{
	(void)state;
	struct trigger t = cron_trigger("*/5 * * * *");
	struct due_input in = seen(&t, AT(10, 0, 0), AT(10, 5, 3));
	in.disabled = true;
	assert_decision(due_decide(&in), DUE_DISABLED, AT(10, 5, 0), AT(10, 5, 0), true);
	/* disabled before missed: nothing is said of a fire time it would not have run */
	in.now = AT(11, 0, 0);
	assert_decision(due_decide(&in), DUE_DISABLED, AT(11, 0, 0), AT(11, 0, 0), true);
	in.last_handled = AT(11, 0, 0);
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, AT(11, 0, 0), false);
}

static void test_interval_trigger(void **state)
{
	(void)state;
	struct trigger t = { .kind = TRIGGER_EVERY, .every = 15 * MIN, .start = AT(0, 7, 0) };
	struct due_input in = seen(&t, AT(9, 52, 0), AT(10, 8, 0));
	assert_decision(due_decide(&in), DUE_RUN, AT(10, 7, 0), AT(10, 7, 0), true);
	/* before the anchor there is no fire time */
	in = seen(&t, INT64_MIN, AT(0, 6, 59));
	assert_decision(due_decide(&in), DUE_NOTHING, INT64_MIN, INT64_MIN, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sight_runs_fire_time_of_this_minute),
		cmocka_unit_test(test_first_sight_does_not_catch_up),
		cmocka_unit_test(test_not_due_twice_for_the_same_fire_time),
		cmocka_unit_test(test_short_outage_coalesces_into_latest_fire_time),
		cmocka_unit_test(test_long_outage_records_missed),
		cmocka_unit_test(test_grace_boundary_is_inclusive),
		cmocka_unit_test(test_trigger_change_is_first_sight),
		cmocka_unit_test(test_skipped_while_own_run_active),
		cmocka_unit_test(test_a_disabled_entry_handles_its_fire_times_unrun),
		cmocka_unit_test(test_interval_trigger),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tz_cache_free();
	return rc;
}
