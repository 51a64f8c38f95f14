/* test_workids.c - work ID lists: parsing, ranges, compact form, select_work commands and queries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "workids.h"

static char err[512];

/* Parses text and returns the IDs as "a b c" (a static buffer), or "ERR" on failure. */
static const char *parse(const char *what, const char *text, enum workids_syntax syn)
{
	static char out[4096];
	struct idlist l = IDLIST_INIT;
	err[0] = '\0';
	int rc = workids_parse(what, text, strlen(text), syn, &l, err, sizeof(err));
	out[0] = '\0';
	for (size_t i = 0; i < l.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? " " : "",
			 (long long)l.v[i]);
	idlist_release(&l);
	return rc ? "ERR" : out;
}

static void test_parse_separators(void **unused)
{
	assert_string_equal(parse("x", "1 2,3\n4\t5 ,, 6\r\n", WORKIDS_PLAIN), "1 2 3 4 5 6");
	assert_string_equal(parse("x", "", WORKIDS_PLAIN), "");
	assert_string_equal(parse("x", " ,\n, ", WORKIDS_PLAIN), "");
	assert_string_equal(parse("x", "3 1 3 -7 +8", WORKIDS_PLAIN), "3 1 3 -7 8");
	assert_string_equal(parse("x", "9223372036854775807,-9223372036854775808", WORKIDS_PLAIN),
			    "9223372036854775807 -9223372036854775808");
}

static void test_parse_garbage_names_line_and_column(void **unused)
{
	assert_string_equal(parse("select_work output", "1\n2\nabc\n4\n", WORKIDS_PLAIN), "ERR");
	assert_string_equal(err, "select_work output line 3, column 1: 'abc' is not an integer");
	parse("select_work output", "1 2\n3  4x 5\n", WORKIDS_PLAIN);
	assert_string_equal(err, "select_work output line 2, column 4: '4x' is not an integer");
	parse("select_work output", "1,2,1.5\n\n", WORKIDS_PLAIN);
	assert_string_equal(err, "select_work output column 5: '1.5' is not an integer");
	parse("select_work output", "1-5", WORKIDS_PLAIN);
	assert_string_equal(err, "select_work output column 1: '1-5' is not an integer");
	parse("x", "7 9223372036854775808", WORKIDS_PLAIN);
	assert_string_equal(err, "x column 3: '9223372036854775808' is out of range for a 64-bit "
				 "work ID");
	parse("x", "-", WORKIDS_PLAIN);
	assert_string_equal(err, "x column 1: '-' is not an integer");
	parse("x", "1 \x01\x7f", WORKIDS_PLAIN);
	assert_string_equal(err, "x column 3: '?" "?' is not an integer");
	parse("x", "12345678901234567890123456789012345678901234567890", WORKIDS_PLAIN);
	assert_string_equal(err, "x column 1: '1234567890123456789012345678901234567890...' is "
				 "out of range for a 64-bit work ID");
}

static void test_parse_ranges(void **unused)
{
	assert_string_equal(parse("--ids", "1-5,9", WORKIDS_RANGES), "1 2 3 4 5 9");
	assert_string_equal(parse("--ids", "-3--1 4-4", WORKIDS_RANGES), "-3 -2 -1 4");
	assert_string_equal(parse("--ids", "9223372036854775806-9223372036854775807",
				  WORKIDS_RANGES),
			    "9223372036854775806 9223372036854775807");
	struct idlist l = IDLIST_INIT;
	assert_int_equal(workids_parse("--ids", "1-100,205", 9, WORKIDS_RANGES, &l, err,
				       sizeof(err)),
			 0);
	assert_int_equal(l.n, 101);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(l.v[i], (int64_t)i + 1);
	assert_int_equal(l.v[100], 205);
	idlist_release(&l);
}

static void test_parse_bad_ranges(void **unused)
{
	parse("--ids", "1-3,5-3", WORKIDS_RANGES);
	assert_string_equal(err, "--ids column 5: range '5-3' runs backwards: write '3-5'");
	parse("--ids", "1-", WORKIDS_RANGES);
	assert_string_equal(err, "--ids column 1: '1-' is not an integer or a range like 1-100");
	parse("--ids", "a-b", WORKIDS_RANGES);
	assert_string_equal(err, "--ids column 1: 'a-b' is not an integer or a range like 1-100");
	parse("--ids", "1--", WORKIDS_RANGES);
	assert_string_equal(err, "--ids column 1: '1--' is not an integer or a range like 1-100");
	parse("--ids", "1-99999999999999999999", WORKIDS_RANGES);
	assert_string_equal(err, "--ids column 1: '1-99999999999999999999' is out of range for a "
				 "64-bit work ID");
	parse("--ids", "1\n0-99999999999", WORKIDS_RANGES);
	assert_string_equal(err, "--ids line 2, column 1: range '0-99999999999' makes the list "
				 "longer than 50000000 work IDs");
	parse("--ids", "-9223372036854775808-9223372036854775807", WORKIDS_RANGES);
	assert_string_equal(err, "--ids column 1: range '-9223372036854775808-9223372036854775807' "
				 "makes the list longer than 50000000 work IDs");
}

static void test_bad_token_keeps_ids_before_it(void **unused)
{
	struct idlist l = IDLIST_INIT;
	assert_int_equal(workids_parse("x", "4 5 z 6", 7, WORKIDS_PLAIN, &l, err, sizeof(err)),
			 -1);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[1], 5);
	idlist_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void test_sort_unique(void **unused)
{
	struct idlist l = IDLIST_INIT;
	int64_t in[] = { 5, 3, 5, -1, 3, 9, 9 };
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		idlist_push(&l, in[i]);
	idlist_sort_unique(&l);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[0], -1);
	assert_int_equal(l.v[1], 3);
	assert_int_equal(l.v[2], 5);
	assert_int_equal(l.v[3], 9);
	idlist_release(&l);
	idlist_sort_unique(&l);
	assert_int_equal(l.n, 0);
}

static char *compact_of(const int64_t *ids, size_t n)
{
	return workids_format_compact(ids, n);
}

static void test_compact_format(void **unused)
{
	int64_t a[] = { 1, 2, 3, 4, 5, 6, 9, 12, 13, 14 };
	char *s = compact_of(a, ARRAY_SIZE(a));
	assert_string_equal(s, "1-6,9,12-14");
	free(s);
	int64_t b[] = { -5, -4, -3, -1, 0, 7 };
	s = compact_of(b, ARRAY_SIZE(b));
	assert_string_equal(s, "-5--3,-1-0,7");
	free(s);
	int64_t c[] = { INT64_MIN, INT64_MIN + 1, INT64_MAX - 1, INT64_MAX };
	s = compact_of(c, ARRAY_SIZE(c));
	assert_string_equal(s, "-9223372036854775808--9223372036854775807,"
			       "9223372036854775806-9223372036854775807");
	free(s);
	s = compact_of(a, 0);
	assert_string_equal(s, "");
	free(s);
	s = compact_of(a + 6, 1);
	assert_string_equal(s, "9");
	free(s);
	s = workids_format_csv(b, ARRAY_SIZE(b));
	assert_string_equal(s, "-5,-4,-3,-1,0,7");
	free(s);
	s = workids_format_csv(b, 0);
	assert_string_equal(s, "");
	free(s);
}

/* A million IDs in runs and gaps survive the compact form unchanged. */
static void test_compact_round_trip_million(void **unused)
{
	struct idlist in = IDLIST_INIT, back = IDLIST_INIT;
	int64_t v = -1000;
	for (size_t i = 0; i < 1000000; i++) {
		v += (i % 7 == 0) ? 1 + (int64_t)(i % 13) : 1;
		idlist_push(&in, v);
	}
	char *s = workids_format_compact(in.v, in.n);
	assert_int_equal(workids_parse("stored IDs", s, strlen(s), WORKIDS_RANGES, &back, err,
				       sizeof(err)),
			 0);
	assert_int_equal(back.n, in.n);
	assert_memory_equal(back.v, in.v, in.n * sizeof(*in.v));
	char *s2 = workids_format_compact(back.v, back.n);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	idlist_release(&in);
	idlist_release(&back);
}

static void test_brief_format(void **state)
{
	int64_t ids[] = { 1, 2, 3, 5, 7, 8, 9, 11 };
	char *s = workids_format_brief(ids, 8, 40);
	assert_string_equal(s, "1-3,5,7-9,11");
	free(s);
	s = workids_format_brief(ids, 8, 12);
	assert_string_equal(s, "1-3,5,7-9,11");
	free(s);
	s = workids_format_brief(ids, 8, 9);
	assert_string_equal(s, "1-3,5,7-9,\xe2\x80\xa6 (8 IDs)");
	free(s);
	s = workids_format_brief(ids, 8, 2);
	assert_string_equal(s, "\xe2\x80\xa6 (8 IDs)");
	free(s);
	s = workids_format_brief(ids, 0, 10);
	assert_string_equal(s, "");
	free(s);
}

/* ---- select_work commands ---- */

static char tmpdir[64];

static int make_tmpdir(void **unused)
{
	strcpy(tmpdir, "/tmp/stau-test-workids.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int remove_tmpdir(void **unused)
{
	char *cmd[] = { "rm", "-rf", tmpdir, NULL };
	struct idlist l = IDLIST_INIT;
	workids_from_command(cmd, &(struct workids_select){ 0 }, &l, err, sizeof(err));
	idlist_release(&l);
	return 0;
}

static const char *kwargs;	/* of the next select_work */
static int64_t timeout_ms;	/* of the next select_work */

/* Runs argv as a select_work command; the IDs as "a b c", or "ERR". */
static const char *run_cmd(char **argv, const char *dir)
{
	static char out[1024];
	struct idlist l = IDLIST_INIT;
	struct workids_select o = { dir, kwargs, timeout_ms };
	err[0] = '\0';
	int rc = workids_from_command(argv, &o, &l, err, sizeof(err));
	out[0] = '\0';
	for (size_t i = 0; i < l.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? " " : "",
			 (long long)l.v[i]);
	idlist_release(&l);
	return rc ? "ERR" : out;
}

static void test_command_output_sorted_unique(void **unused)
{
	char *echo[] = { "/bin/echo", "3", "1 2,2", "-4", NULL };
	assert_string_equal(run_cmd(echo, NULL), "-4 1 2 3");
	char *printf_[] = { "printf", "10\\n7\\n7\\n", NULL };
	assert_string_equal(run_cmd(printf_, NULL), "7 10");
	char *nothing[] = { "true", NULL };
	assert_string_equal(run_cmd(nothing, NULL), "");
	/* no shell: metacharacters reach the program as they are */
	char *meta[] = { "/bin/echo", "1;", "echo", "2", NULL };
	assert_string_equal(run_cmd(meta, NULL), "ERR");
	assert_string_equal(err, "select_work output column 1: '1;' is not an integer");
}

static void test_command_runs_in_dir(void **unused)
{
	char *path = xasprintf("%s/42", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	free(path);
	char *ls[] = { "ls", NULL };
	assert_string_equal(run_cmd(ls, tmpdir), "42");
	char *nodir[] = { "ls", NULL };
	assert_string_equal(run_cmd(nodir, "/nonexistent-stau-dir"), "ERR");
	assert_string_equal(err, "cannot run select_work command 'ls' in '/nonexistent-stau-dir': "
				 "No such file or directory");
}

static void test_command_failures(void **unused)
{
	char *bad[] = { "printf", "1\\n2\\nabc\\n", NULL };
	assert_string_equal(run_cmd(bad, NULL), "ERR");
	assert_string_equal(err, "select_work output line 3, column 1: 'abc' is not an integer");
	char *fails[] = { "false", NULL };
	assert_string_equal(run_cmd(fails, NULL), "ERR");
	assert_string_equal(err, "select_work command 'false' exited with status 1");
	char *missing[] = { "no-such-stau-command", "--all", NULL };
	assert_string_equal(run_cmd(missing, NULL), "ERR");
	assert_string_equal(err, "cannot run select_work command 'no-such-stau-command --all': "
				 "No such file or directory");
	char *killed[] = { "python3", "-c", "import os; os.kill(os.getpid(), 9)", NULL };
	assert_string_equal(run_cmd(killed, NULL), "ERR");
	assert_string_equal(err, "select_work command 'python3 -c import os; os.kill(os.getpid(), "
				 "9)' was killed by signal KILL");
	char *empty[] = { NULL };
	assert_string_equal(run_cmd(empty, NULL), "ERR");
	assert_string_equal(err, "select_work command is empty");
}

/* The command sees the run's kwargs in STAU_KWARGS, and the project in STAU_DIR. */
static void test_command_sees_kwargs(void **unused)
{
	char *py[] = { "python3", "-c", "import json, os; k = json.loads(os.environ['STAU_KWARGS'])"
		       "; print(k['n'] * 2, len(os.environ['STAU_DIR']))", NULL };
	kwargs = "{\"n\": 21}";
	assert_string_equal(run_cmd(py, tmpdir), "29 42"); /* "/tmp/stau-test-workids.XXXXXX" */
	kwargs = NULL;
	char *none[] = { "sh", "-c", "[ \"$STAU_KWARGS\" = '{}' ] && echo 1", NULL };
	assert_string_equal(run_cmd(none, NULL), "1");
}

/* Whether pid lives and is not a zombie, waiting up to 2 s for it to end. */
static bool alive(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char *path = xasprintf("/proc/%d/stat", (int)pid);
		size_t len;
		char *stat = read_file(path, &len);
		free(path);
		const char *end = stat ? strrchr(stat, ')') : NULL;
		bool live = end && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
		free(stat);
		if (!live)
			return false;
		usleep(10000);
	}
	return true;
}

/* A command past its time limit is killed with its whole process group. */
static void test_command_time_limit(void **unused)
{
	char *path = xasprintf("%s/left", tmpdir);
	char *script = xasprintf("sleep 30 & echo $! >%s; wait", path);
	char *sleepy[] = { "sh", "-c", script, NULL };
	timeout_ms = 300;
	int64_t t0 = monotonic_ms();
	assert_string_equal(run_cmd(sleepy, NULL), "ERR");
	timeout_ms = 0;
	assert_true(monotonic_ms() - t0 < 5000);
	assert_non_null(strstr(err, "' timed out after 300ms; it was killed with its process "
				    "group"));
	size_t len;
	char *pid = read_file(path, &len);
	assert_non_null(pid);
	assert_false(alive((pid_t)atoi(pid))); /* the sleep in its group is gone */
	free(pid);
	free(script);
	free(path);
}

/* ---- select_work queries ---- */

static void make_db(void)
{
	char *path = xasprintf("%s/units.db", tmpdir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE u (id INTEGER, name TEXT, active INTEGER);"
				      "INSERT INTO u VALUES (10, 'x', 1), (3, 'y', 1), (10, 'z', 1),"
				      " (7, 'w', 0), (-2, 'v', 1);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

static const char *run_query(const char *db, const char *query)
{
	static char out[1024];
	struct idlist l = IDLIST_INIT;
	err[0] = '\0';
	struct workids_select o = { tmpdir, kwargs, timeout_ms };
	int rc = workids_from_sqlite(db, query, &o, &l, err, sizeof(err));
	out[0] = '\0';
	for (size_t i = 0; i < l.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? " " : "",
			 (long long)l.v[i]);
	idlist_release(&l);
	return rc ? "ERR" : out;
}

/* Named parameters are bound from the kwargs with their JSON types; one without a kwarg is
 * an error naming it. */
static void test_query_binds_kwargs(void **unused)
{
	make_db();
	kwargs = "{\"on\": 1, \"who\": \"z\", \"min\": 2.5, \"yes\": true, \"none\": null}";
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE active = :on"),
			    "-2 3 10");
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE name = @who"), "10");
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE id > $min AND "
						  "active = :yes"), "3 10");
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE :none IS NULL AND "
						  "id = 7"), "7");
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE name = :region"), "ERR");
	assert_string_equal(err, "select_work query parameter ':region' has no kwarg 'region': "
				 "give it in the schedule entry's kwargs or with --kw region=VALUE");
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE id = ?"), "ERR");
	assert_string_equal(err, "select_work query parameter 1 has no name: name it after a "
				 "kwarg, as in ':region'");
	kwargs = NULL;
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE name = :who"), "ERR");
	timeout_ms = 200;
	assert_string_equal(run_query("units.db", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
						  "SELECT x + 1 FROM c) SELECT x FROM c WHERE x < 0"),
			    "ERR");
	timeout_ms = 0;
	assert_string_equal(err, "select_work query timed out after 200ms (the job's select_work "
				 "timeout)");
}

static void test_query_reads_ids(void **unused)
{
	make_db();
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE active = 1"), "-2 3 10");
	assert_string_equal(run_query("units.db", "SELECT id, name FROM u;\n"), "-2 3 7 10");
	assert_string_equal(run_query("units.db", "SELECT id FROM u WHERE 0"), "");
	char *abs = xasprintf("%s/units.db", tmpdir);
	assert_string_equal(run_query(abs, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
					   "SELECT i + 1 FROM n WHERE i < 4) SELECT i FROM n"),
			    "1 2 3 4");
	free(abs);
}

static void test_query_bad_rows(void **unused)
{
	make_db();
	assert_string_equal(run_query("units.db", "SELECT name FROM u"), "ERR");
	assert_string_equal(err, "select_work query row 1: the first column is the text 'x', not "
				 "an integer");
	run_query("units.db", "SELECT id FROM u UNION ALL SELECT NULL");
	assert_string_equal(err, "select_work query row 6: the first column is NULL, not an "
				 "integer");
	run_query("units.db", "SELECT 2.5");
	assert_string_equal(err, "select_work query row 1: the first column is the real number "
				 "2.5, not an integer");
	run_query("units.db", "SELECT x'00'");
	assert_string_equal(err, "select_work query row 1: the first column is a blob, not an "
				 "integer");
}

static void test_query_errors(void **unused)
{
	make_db();
	assert_string_equal(run_query("missing.db", "SELECT 1"), "ERR");
	assert_string_equal(err, "cannot open select_work database 'missing.db': unable to open "
				 "database file");
	char *path = xasprintf("%s/missing.db", tmpdir);
	struct stat st;
	assert_int_equal(stat(path, &st), -1);
	free(path);
	run_query("units.db", "SELEC id FROM u");
	assert_string_equal(err, "select_work query does not compile: near \"SELEC\": syntax "
				 "error");
	run_query("units.db", "SELECT id FROM nope");
	assert_string_equal(err, "select_work query does not compile: no such table: nope");
	run_query("units.db", "SELECT 1; SELECT 2");
	assert_string_equal(err, "select_work query must be one statement");
	run_query("units.db", "SELECT 1; DROP TABLE u");
	assert_string_equal(err, "select_work query must be one statement");
	run_query("units.db", "  ");
	assert_string_equal(err, "select_work query is empty");
}

/* The database is opened read-only: nothing a query says can change it. */
static void test_query_cannot_write(void **unused)
{
	make_db();
	assert_string_equal(run_query("units.db", "DELETE FROM u"), "ERR");
	assert_string_equal(err, "select_work query would change the database: it may only read, "
				 "as in 'SELECT id FROM ...'");
	run_query("units.db", "INSERT INTO u VALUES (99, 'q', 1) RETURNING id");
	assert_string_equal(err, "select_work query would change the database: it may only read, "
				 "as in 'SELECT id FROM ...'");
	run_query("units.db", "CREATE TABLE t AS SELECT 1");
	assert_string_equal(err, "select_work query would change the database: it may only read, "
				 "as in 'SELECT id FROM ...'");
	assert_string_equal(run_query("units.db", "SELECT id FROM u"), "-2 3 7 10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_separators),
		cmocka_unit_test(test_parse_garbage_names_line_and_column),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test(test_parse_bad_ranges),
		cmocka_unit_test(test_bad_token_keeps_ids_before_it),
		cmocka_unit_test(test_sort_unique),
		cmocka_unit_test(test_compact_format),
		cmocka_unit_test(test_compact_round_trip_million),
		cmocka_unit_test(test_brief_format),
		cmocka_unit_test_setup_teardown(test_command_output_sorted_unique, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_command_runs_in_dir, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_command_failures, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_command_sees_kwargs, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_command_time_limit, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_query_binds_kwargs, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_query_reads_ids, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_query_bad_rows, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_query_errors, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_query_cannot_write, make_tmpdir,
						remove_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
