/* test_util.c - util's small helpers: durations, sizes, the FNV-1a hash, making directories, the
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

/* size_parse's result, or -1 after an error (its message must name the text). */
static int64_t size(const char *s)
{
	int64_t v = -2;
	char err[256] = "";
	if (size_parse(s, &v, err, sizeof(err))) {
		assert_non_null(strstr(err, s));
		assert_int_equal(v, -2); /* untouched */
		return -1;
	}
	return v;
}

static void test_size_parse(void **state)
{
	(void)state;
	assert_int_equal(size("0"), 0);
	assert_int_equal(size("4096"), 4096);
	assert_int_equal(size("4096B"), 4096);
	assert_int_equal(size("500k"), 500 * 1024);
	assert_int_equal(size("500K"), 500 * 1024);
	assert_int_equal(size("500KB"), 500 * 1024);
	assert_int_equal(size("500KiB"), 500 * 1024);
	assert_int_equal(size("1M"), 1048576);
	assert_int_equal(size("1m"), 1048576);
	assert_int_equal(size("100MiB"), 100 * 1048576LL);
	assert_int_equal(size("100 MiB"), 100 * 1048576LL);
	assert_int_equal(size("2 GB"), 2 * 1073741824LL);
	assert_int_equal(size("3T"), 3 * 1099511627776LL);
	assert_int_equal(size("1048576T"), SIZE_PARSE_MAX);
	/* what is refused */
	const char *bad[] = { "", "M", " 1M", "1M ", "1.5M", "-1M", "1MM", "1Mib", "1 M B",
			      "1P", "1e6", "0x10", "1048577T", "99999999999999999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (size(bad[i]) != -1)
			fail_msg("size '%s' was accepted", bad[i]);
	char err[256];
	int64_t v;
	assert_int_equal(size_parse("1048577T", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "bad size '1048577T': too large");
	assert_int_equal(size_parse("1.5M", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "bad size '1.5M': expected a whole number of bytes with an "
			    "optional unit K, M, G or T (powers of 1024, also written KB or KiB), "
			    "e.g. '500K' or '100M'");
}

static void test_size_format(void **state)
{
	(void)state;
	char buf[32];
	const int64_t sizes[] = { 0, 1000, 1024, 1536 * 1024, 100 * 1048576LL, 1073741824LL,
				  3 * 1099511627776LL, SIZE_PARSE_MAX, INT64_MAX };
	const char *texts[] = { "0", "1000", "1K", "1536K", "100M", "1G", "3T", "1048576T",
				"9223372036854775807" };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_format(sizes[i], buf, sizeof(buf));
		assert_string_equal(buf, texts[i]);
		if (sizes[i] <= SIZE_PARSE_MAX)
			assert_int_equal(size(buf), sizes[i]); /* read back */
	}
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
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_size_format),
		cmocka_unit_test(test_fnv1a),
		cmocka_unit_test(test_mkdir_parents),
		cmocka_unit_test(test_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
