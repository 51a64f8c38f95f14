/* test_timeline.c - a run's chunks drawn against time: bars scaled to the width, waiting
 * before a start, starts no earlier than what they depended on, states, colour, a run too
 * short to draw, and one row per job type for a large run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timeline.h"
#include "util.h"

#define T0 1800000000LL /* a whole minute, 2027-01-15T08:00:00Z */

/* A chunk of job a (index i of n) that started at T0 + start s, ran ms, in state st. */
static struct state_chunk chunk(int64_t id, const char *job, size_t i, size_t n,
				enum chunk_state st, int64_t start, int64_t ms)
{
	struct state_chunk c = { .id = id, .run = 1, .job = (char *)job, .index = i, .count = n,
				 .state = st, .attempt = 1, .duration_ms = ms };
	if (start >= 0) {
		c.started = T0 + start;
		c.finished = st == CHUNK_RUNNING ? 0 : T0 + start + ms / 1000;
	} else {
		c.attempt = 0;
	}
	return c;
}

static char *render(const struct state_chunk *cs, size_t n, size_t width, bool color)
{
	struct timeline_opts o = { .width = width, .color = color, .now = T0 + 40,
				   .zone = NULL };
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	timeline_render(&sb, cs, n, &o);
	return sb_detach(&sb);
}

static void test_bars_against_time(void **state)
{
	(void)state;
	/* two chunks of a in parallel, then b waits for both; b 2/2 waited for a slot too */
	int64_t on_a[] = { 1, 2 };
	struct state_chunk cs[] = {
		chunk(1, "a", 1, 2, CHUNK_DONE, 0, 10000),
		chunk(2, "a", 2, 2, CHUNK_FAILED, 0, 20000),
		chunk(3, "b", 1, 2, CHUNK_DONE, 20, 10000),
		chunk(4, "b", 2, 2, CHUNK_DONE, 30, 10000),
		chunk(5, "c", 1, 1, CHUNK_CANCELED, -1, 0),
	};
	cs[2].deps = on_a;
	cs[2].ndeps = 2;
	cs[3].deps = on_a;
	cs[3].ndeps = 2;
	cs[3].attempt = 2;
	/* 80 columns: labels of 5, bar of 80 - 5 - 4 - 18 = 53 columns over 40 s */
	char *got = render(cs, 5, 80, false);
	assert_string_equal(got,
		"timeline: 08:00:00 to 08:00:40 (40s), one column = 754ms (starts are recorded "
		"to the second)\n"
		"a 1/2  |=============                                        |  10s\n"
		"a 2/2  |!!!!!!!!!!!!!!!!!!!!!!!!!!!                          |  20s  FAILED\n"
		"b 1/2  |                           =============             |  10s\n"
		"b 2/2  |                           .............=============|  10s (try 2)\n"
		"c 1/1  |                                                     |  CANCELED\n"
		"= done  ! failed  > running  . ready, waiting for a slot or a retry\n");
	free(got);
}

static void test_failed_bar_running_and_colour(void **state)
{
	(void)state;
	struct state_chunk cs[] = {
		chunk(1, "a", 1, 2, CHUNK_FAILED, 0, 20000),
		chunk(2, "a", 2, 2, CHUNK_RUNNING, 10, 0), /* runs until now, T0 + 40 */
	};
	char *got = render(cs, 2, 60, false);
	/* a 2/2 had no dependency: ready from the first start, it waited 10 s for a slot */
	assert_non_null(strstr(got, "a 1/2  |!!!!!!!!!!!!!!!!!                |  20s  FAILED\n"
				    "a 2/2  |........>>>>>>>>>>>>>>>>>>>>>>>>>|  30s  RUNNING\n"));
	free(got);
	got = render(cs, 2, 60, true);
	assert_non_null(strstr(got, "a 1/2  |\033[31m!!!!!!!!!!!!!!!!!\033[0m                |"));
	assert_non_null(strstr(got, "a 2/2  |\033[2m........\033[0m\033[34m>>>>"));
	free(got);
}

static void test_starts_follow_their_dependencies(void **state)
{
	(void)state;
	/* b's recorded second is the one a ended in; it cannot have started before a ended */
	int64_t on_a[] = { 1 };
	struct state_chunk cs[] = {
		chunk(1, "a", 1, 1, CHUNK_DONE, 0, 10500),
		chunk(2, "b", 1, 1, CHUNK_DONE, 10, 9500),
	};
	cs[1].deps = on_a;
	cs[1].ndeps = 1;
	char *got = render(cs, 2, 60, false);
	assert_non_null(strstr(got, "to 08:00:20 (20s)"));
	/* b starts at 10.5 s, when a ended, not at its recorded second 10 */
	assert_non_null(strstr(got, "a 1/1  |=================                |  10s\n"
				    "b 1/1  |                 ================|  9.5s\n"));
	free(got);
}

static void test_too_short_or_nothing_to_draw(void **state)
{
	(void)state;
	struct state_chunk cs[] = {
		chunk(1, "a", 1, 2, CHUNK_DONE, 0, 300),
		chunk(2, "a", 2, 2, CHUNK_DONE, 1, 400),
		chunk(3, "b", 1, 1, CHUNK_PENDING, -1, 0),
	};
	char *got = render(cs, 3, 80, false);
	assert_string_equal(got, "timeline: every chunk ran within 2s, too little to draw: start "
				 "times are recorded to the second\n");
	free(got);
	got = render(cs + 2, 1, 80, false);
	assert_string_equal(got, "");
	free(got);
	got = render(cs, 0, 80, false);
	assert_string_equal(got, "");
	free(got);
}

static void test_one_row_per_job_for_a_large_run(void **state)
{
	(void)state;
	size_t n = TIMELINE_MAX_ROWS + 20;
	struct state_chunk *cs = xcalloc(n, sizeof(*cs));
	/* job a: 60 chunks, 12 at once for 50 s each; job b: 20 chunks one after another */
	for (size_t i = 0; i < 60; i++)
		cs[i] = chunk((int64_t)i + 1, "a", i + 1, 60, CHUNK_DONE, (int64_t)(i / 12) * 50,
			      50000);
	for (size_t i = 0; i < 20; i++)
		cs[60 + i] = chunk((int64_t)i + 61, "b", i + 1, 20,
				   i == 3 ? CHUNK_FAILED : CHUNK_DONE, 250 + (int64_t)i * 5, 5000);
	char *got = render(cs, n, 60, false);
	assert_string_equal(got,
		"timeline: 08:00:00 to 08:05:50 (5m50s), one column = 9.4s\n"
		"a  |++++++++++++++++++++++++++           |  60 chunks\n"
		"b  |                          11111111111|  20 chunks, 1 failed\n"
		"each column: how many chunks of the job ran at once (1-9, + for more)\n");
	free(got);
	free(cs);
}

static void test_narrow_terminal(void **state)
{
	(void)state;
	struct state_chunk cs[] = {
		chunk(1, "a_job_with_a_very_long_name_indeed", 1, 1, CHUNK_DONE, 0, 30000),
	};
	char *got = render(cs, 1, 20, false);
	/* labels are cut to 24 columns and the bar keeps 10 */
	assert_non_null(strstr(got, "a_job_with_a_very_long_\xe2\x80\xa6  |==========|  30s\n"));
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bars_against_time),
		cmocka_unit_test(test_failed_bar_running_and_colour),
		cmocka_unit_test(test_starts_follow_their_dependencies),
		cmocka_unit_test(test_too_short_or_nothing_to_draw),
		cmocka_unit_test(test_one_row_per_job_for_a_large_run),
		cmocka_unit_test(test_narrow_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
