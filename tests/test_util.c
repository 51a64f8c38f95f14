/* test_util.c - util's small helpers: durations, the FNV-1a hash, making directories, the
 * monotonic clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static const char *dur(int64_t ms, int units)
{
	static char buf[32];
	duration_format(ms, units, buf, sizeof(buf));
	return buf;
}

static void test_duration_exact(void **state)
{
	(void)state;
	assert_string_equal(dur(0, DURATION_EXACT), "0s");
	assert_string_equal(dur(45000, DURATION_EXACT), "45s");
	assert_string_equal(dur(9000000, DURATION_EXACT), "2h30m");
	assert_string_equal(dur(93784000, DURATION_EXACT), "1d2h3m4s");
	assert_string_equal(dur(200, DURATION_EXACT), "200ms");
	assert_string_equal(dur(1500, DURATION_EXACT), "1s500ms");
	assert_string_equal(dur(5400000, DURATION_EXACT), "1h30m");
	assert_string_equal(dur(-90000, DURATION_EXACT), "-1m30s");
	/* the longest duration there is fits the 32 bytes promised */
	assert_string_equal(dur(INT64_MIN, DURATION_EXACT), "-106751991167d7h12m55s808ms");
}

static void test_duration_two_units(void **state)
{
	(void)state;
	assert_string_equal(dur(0, 2), "0s");
	assert_string_equal(dur(45000, 2), "45s");
	assert_string_equal(dur(200000, 2), "3m20s");
	assert_string_equal(dur((4 * 3600 + 12 * 60 + 59) * 1000LL, 2), "4h12m");
	assert_string_equal(dur((2 * 86400 + 59) * 1000LL, 2), "2d"); /* a zero hour ends it */
	assert_string_equal(dur(1500, 1), "1s");
}

static void test_fnv1a(void **state)
{
	(void)state;
	/* the published test vectors of 64-bit FNV-1a */
	assert_true(hash_fnv1a(HASH_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(hash_fnv1a(HASH_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(hash_fnv1a(HASH_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
	/* pieces hash as their concatenation */
	assert_true(hash_fnv1a(hash_fnv1a(HASH_FNV1A_INIT, "foo", 3), "bar", 3) ==
		    hash_fnv1a(HASH_FNV1A_INIT, "foobar", 6));
}

static void test_mkdir_parents(void **state)
{
	(void)state;
	char dir[] = "/tmp/stau-util.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *file = xasprintf("%s/a/b/c.log", dir), *ab = xasprintf("%s/a/b", dir);
	struct stat sb;
	assert_int_equal(mkdir_parents(file, 0700), 0);
	assert_int_equal(stat(ab, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(file, &sb), -1); /* the last name is not a directory */
	assert_int_equal(mkdir_parents(file, 0700), 0); /* again: nothing to do */
	char *d = xasprintf("%s/x/y/", dir), *xy = xasprintf("%s/x/y", dir);
	assert_int_equal(mkdir_parents(d, 0755), 0);
	assert_int_equal(stat(xy, &sb), 0);
	/* a file on the way */
	char *blocked = xasprintf("%s/a/b/f/g/h", dir), *f = xasprintf("%s/a/b/f", dir);
	assert_int_equal(write_file_atomic(f, "", 0, 0600), 0);
	assert_int_equal(mkdir_parents(blocked, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd), free(file), free(ab), free(d), free(xy), free(blocked), free(f);
}

static void test_monotonic(void **state)
{
	(void)state;
	int64_t t0 = monotonic_ms();
	struct timespec ts = { 0, 20 * 1000000L };
	nanosleep(&ts, NULL);
	int64_t d = monotonic_ms() - t0;
	assert_true(d >= 19 && d < 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_exact),
		cmocka_unit_test(test_duration_two_units),
		cmocka_unit_test(test_fnv1a),
		cmocka_unit_test(test_mkdir_parents),
		cmocka_unit_test(test_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
