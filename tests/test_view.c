/* test_view.c - the DURATION cells that status and show print, and the JSON beside them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "view.h"

#define T0 1767261600LL /* 2026-01-01T10:00:00Z */

static const char *secs(int64_t s)
{
	static char buf[32];
	return view_secs(s, buf, sizeof(buf));
}

/* A DURATION cell of a run as status prints it: "-" before it started. */
static const char *run_cell(int64_t started, int64_t finished, int64_t now)
{
	static char buf[32];
	struct state_run r = { .started = started, .finished = finished };
	int64_t s = view_run_secs(&r, now);
	return s < 0 ? "-" : view_secs(s, buf, sizeof(buf));
}

static const char *chunk_cell(enum chunk_state state, int64_t started, int64_t finished,
			      int64_t ms, int64_t now)
{
	static char buf[32];
	struct view v = { .now = now };
	struct state_chunk c = { .state = state, .started = started, .finished = finished,
				 .duration_ms = ms };
	return view_chunk_duration(&v, &c, buf, sizeof(buf));
}

static void test_whole_seconds(void **state)
{
	(void)state;
	assert_string_equal(secs(0), "<1s");
	assert_string_equal(secs(-2), "<1s");	/* a clock set back */
	assert_string_equal(secs(1), "1s");
	assert_string_equal(secs(9), "9s");	/* no false tenths */
	assert_string_equal(secs(10), "10s");
	assert_string_equal(secs(200), "3m20s");
	assert_string_equal(secs(4 * 3600), "4h");
}

static void test_run_durations(void **state)
{
	(void)state;
	assert_string_equal(run_cell(T0, T0, T0 + 60), "<1s");	  /* ended in its second */
	assert_string_equal(run_cell(T0, T0 + 8, T0 + 60), "8s");
	assert_string_equal(run_cell(T0, 0, T0), "<1s");	  /* started just now */
	assert_string_equal(run_cell(T0, 0, T0 + 75), "1m15s"); /* running */
	assert_string_equal(run_cell(0, 0, T0), "-");		  /* queued */
}

static void test_chunk_durations(void **state)
{
	(void)state;
	/* a finished chunk: the executor's milliseconds, in tenths below 10 s */
	assert_string_equal(chunk_cell(CHUNK_DONE, T0, T0, 400, T0 + 60), "0.4s");
	assert_string_equal(chunk_cell(CHUNK_FAILED, T0, T0 + 2, 1500, T0 + 60), "1.5s");
	/* a running chunk: whole seconds since it started */
	assert_string_equal(chunk_cell(CHUNK_RUNNING, T0, 0, 0, T0), "<1s");
	assert_string_equal(chunk_cell(CHUNK_RUNNING, T0, 0, 0, T0 + 3), "3s");
	assert_string_equal(chunk_cell(CHUNK_PENDING, 0, 0, 0, T0), "-");
	assert_string_equal(chunk_cell(CHUNK_CANCELED, 0, 0, 0, T0), "-");
}

/* JSON keeps the number: a run that ended in the second it started took 0 ms there. */
static void test_json_duration_is_unchanged(void **state)
{
	(void)state;
	struct state_run r = { .id = 3, .job = "job_A", .state = RUN_DONE, .created = T0,
			       .started = T0, .finished = T0, .fire_time = INT64_MIN };
	struct view v = { .now = T0 + 60 };
	char err[256];
	v.utc = tz_get("UTC", err, sizeof(err));
	assert_non_null(v.utc);
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, false);
	json_object_begin(&j);
	view_json_run(&j, &v, &r);
	json_object_end(&j);
	json_finish(&j);
	assert_non_null(strstr(sb.buf, "\"duration_ms\":0,"));
	sb_release(&sb);
	tz_cache_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_seconds),
		cmocka_unit_test(test_run_durations),
		cmocka_unit_test(test_chunk_durations),
		cmocka_unit_test(test_json_duration_is_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
