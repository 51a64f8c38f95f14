/* test_exec_log.c - a log under its limit: left alone; over it, cut to its beginning, the
 * line that says what was cut and its end, at line boundaries; holes punched while it grows
 * keep the disk near the limit and change nothing in what the cut keeps; without hole
 * punching the cut is the same. Real files in a temporary directory, written O_APPEND as a
 * child writes its log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_log.h"
#include "util.h"

static char dir[] = "/tmp/stau-test-exec-log.XXXXXX";

static int make_tmpdir(void **unused)
{
	strcpy(dir, "/tmp/stau-test-exec-log.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_tmpdir(void **unused)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

/* A new log file, open as the executor opens it. */
static int open_log(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	free(path);
	assert_true(fd >= 0);
	return fd;
}

static char *contents(const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *text = read_file(path, len);
	free(path);
	assert_non_null(text);
	return text;
}

static void put(int fd, const char *s, size_t n)
{
	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* Appends lines "line 1\n" ... "line N\n" from line `from` up to `bytes` bytes; returns the
 * number of the next line. */
static int put_lines(int fd, int from, int64_t bytes)
{
	struct strbuf sb = STRBUF_INIT;
	for (; (int64_t)sb.len < bytes; from++)
		sb_addf(&sb, "line %d\n", from);
	put(fd, sb.buf, sb.len);
	sb_release(&sb);
	return from;
}

static int64_t disk_use(int fd)
{
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	return (int64_t)sb.st_blocks * 512;
}

static void test_within_the_limit_is_left_alone(void **unused)
{
	struct exec_log l = { .limit = 4096 };
	int fd = open_log("a.log");
	put_lines(fd, 1, 4000);
	size_t len;
	char *before = contents("a.log", &len);
	assert_int_equal(exec_log_watch(&l, fd, 1000), EXEC_LOG_LOOK_MS);
	assert_int_equal(exec_log_cut(&l, fd), 0);
	char *after = contents("a.log", NULL);
	assert_string_equal(after, before);
	free(before);
	free(after);
	struct exec_log none = { .limit = 0 }; /* no limit */
	put_lines(fd, 1, 100000);
	assert_int_equal(exec_log_watch(&none, fd, 1000), EXEC_LOG_LOOK_MS);
	assert_int_equal(exec_log_cut(&none, fd), 0);
	close(fd);
}

static void test_the_cut_keeps_whole_lines_of_each_end(void **unused)
{
	struct exec_log l = { .limit = 1024 };
	int fd = open_log("a.log");
	int last = put_lines(fd, 1, 100000) - 1;
	int64_t cut = exec_log_cut(&l, fd);
	size_t len;
	char *text = contents("a.log", &len);
	assert_true(len <= 1024);
	assert_true(len > 900);
	assert_memory_equal(text, "line 1\nline 2\n", 14);
	char *end = xasprintf("\nline %d\n", last);
	assert_string_equal(text + len - strlen(end), end);
	char *mark = xasprintf("\n[stau: %lld bytes cut here to keep the log within "
			       "log_limit 1K]\n", (long long)cut);
	char *at = strstr(text, mark);
	assert_non_null(at);
	/* what is kept is what was there: the lines before the mark and after it follow on */
	int before, after;
	char *prev = at;
	while (prev > text && prev[-1] != '\n')
		prev--;
	while (prev > text && prev[-1] != '\n')
		prev--;
	assert_int_equal(sscanf(prev, "line %d", &before), 1);
	assert_int_equal(sscanf(at + strlen(mark), "line %d", &after), 1);
	assert_true(after > before + 1000);
	/* the bytes cut are exactly the lines between them */
	int64_t cut_lines = 0;
	for (int i = before + 1; i < after; i++)
		cut_lines += snprintf(NULL, 0, "line %d\n", i);
	assert_int_equal(cut, cut_lines);
	/* the descriptor appends after the cut end, as the trailer does */
	put(fd, "[exited with status 0]\n", 23);
	free(text);
	text = contents("a.log", &len);
	assert_string_equal(text + len - 23, "[exited with status 0]\n");
	free(text);
	free(end);
	free(mark);
	close(fd);
}

static void test_output_without_lines_is_cut_at_bytes(void **unused)
{
	struct exec_log l = { .limit = 2048 };
	int fd = open_log("a.log");
	char *x = xmalloc(200000);
	memset(x, 'x', 200000);
	put(fd, x, 200000);
	put(fd, "END", 3);
	assert_int_equal(exec_log_cut(&l, fd), 200003 - exec_log_head(&l) - exec_log_tail(&l));
	size_t len;
	char *text = contents("a.log", &len);
	int64_t head = exec_log_head(&l);
	assert_int_equal(strspn(text, "x"), head);
	char *mark = xasprintf("\n[stau: %lld bytes cut here to keep the log within "
			       "log_limit 2K]\n", (long long)(200003 - head - exec_log_tail(&l)));
	assert_memory_equal(text + head, mark, strlen(mark));
	assert_int_equal(len, head + strlen(mark) + exec_log_tail(&l));
	assert_string_equal(text + len - 3, "END");
	assert_true(len <= 2048);
	free(mark);
	free(text);
	free(x);
	close(fd);
}

/* Writes 40 times the limit in pieces of a quarter of it, looking after each piece as the
 * executor does; returns the highest disk use seen. */
static int64_t grow_and_watch(struct exec_log *l, int fd)
{
	int64_t peak = 0;
	int line = 1;
	for (int i = 0; i < 160; i++) {
		line = put_lines(fd, line, l->limit / 4);
		exec_log_watch(l, fd, 1000 + 10 * i);
		int64_t use = disk_use(fd);
		peak = use > peak ? use : peak;
	}
	return peak;
}

static void test_holes_keep_the_disk_near_the_limit(void **unused)
{
	struct exec_log punched = { .limit = 1 << 20 }, plain = { .limit = 1 << 20 };
	int a = open_log("punched.log"), b = open_log("plain.log");
	int64_t peak = grow_and_watch(&punched, a);
	if (punched.no_punch) {
		print_message("the file system of %s cannot punch holes: not checked\n", dir);
	} else {
		/* the limit, a block on each side of the hole, and a quarter written since */
		assert_true(peak <= (1 << 20) + (1 << 18) + 2 * 65536);
		assert_true(punched.punched > 0);
	}
	plain.no_punch = true; /* as on a file system without hole punching */
	int64_t plain_peak = grow_and_watch(&plain, b);
	assert_true(plain_peak >= 40 << 20);
	int64_t cut_a = exec_log_cut(&punched, a), cut_b = exec_log_cut(&plain, b);
	assert_true(cut_a > 0);
	assert_int_equal(cut_a, cut_b);
	size_t len_a, len_b;
	char *text_a = contents("punched.log", &len_a), *text_b = contents("plain.log", &len_b);
	assert_int_equal(len_a, len_b);
	assert_memory_equal(text_a, text_b, len_a); /* never a byte of the hole */
	assert_null(memchr(text_a, '\0', len_a));
	assert_true(len_a <= 1 << 20);
	assert_true(disk_use(a) <= (1 << 20) + 65536);
	free(text_a);
	free(text_b);
	close(a);
	close(b);
}

static void test_a_log_that_grows_fast_is_looked_at_sooner(void **unused)
{
	struct exec_log l = { .limit = 1 << 20, .seen_ms = 1000 };
	int fd = open_log("a.log");
	/* nothing written: look again at the usual pace */
	assert_int_equal(exec_log_watch(&l, fd, 1100), EXEC_LOG_LOOK_MS);
	/* a quarter of the limit in 100 ms: again after 100 ms */
	put_lines(fd, 1, (1 << 18) - 10);
	int64_t next = exec_log_watch(&l, fd, 1200);
	assert_in_range(next, 95, 105);
	/* a hundred times the limit in 10 ms: as soon as may be */
	put_lines(fd, 1, 100 << 20);
	assert_int_equal(exec_log_watch(&l, fd, 1210), EXEC_LOG_SOON_MS);
	/* slowly: at the usual pace */
	put_lines(fd, 1, 1000);
	assert_int_equal(exec_log_watch(&l, fd, 2210), EXEC_LOG_LOOK_MS);
	/* where holes cannot be punched, looking sooner would not help */
	l.no_punch = true;
	put_lines(fd, 1, 100 << 20);
	assert_int_equal(exec_log_watch(&l, fd, 2220), EXEC_LOG_LOOK_MS);
	close(fd);
}

static void test_a_log_cut_twice(void **unused)
{
	/* what processes left in the group write after the first cut is cut again */
	struct exec_log l = { .limit = 4096 };
	int fd = open_log("a.log");
	int line = put_lines(fd, 1, 50000);
	assert_true(exec_log_cut(&l, fd) > 0);
	put_lines(fd, line, 50000);
	assert_true(exec_log_cut(&l, fd) > 0);
	size_t len;
	char *text = contents("a.log", &len);
	assert_true(len <= 4096);
	assert_memory_equal(text, "line 1\n", 7);
	free(text);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_within_the_limit_is_left_alone, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_the_cut_keeps_whole_lines_of_each_end,
						make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_output_without_lines_is_cut_at_bytes,
						make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_holes_keep_the_disk_near_the_limit,
						make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_log_that_grows_fast_is_looked_at_sooner,
						make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_log_cut_twice, make_tmpdir, remove_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
