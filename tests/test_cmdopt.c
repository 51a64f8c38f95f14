/* test_cmdopt.c - the options and arguments that the commands parse alike, and their errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdopt.h"
#include "util.h"

static char *err; /* what the last parse printed on stderr */

/* The whole content of the open file f, newly allocated. */
static char *slurp(FILE *f)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	rewind(f);
	sb_adds(&sb, "");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	return sb_detach(&sb);
}

/* Splits words (single spaces) into argv, parses them as the command `tick` (-j, --now) with
 * stderr captured into err, and returns the result. */
static int parse(struct cmdopt *o, char *words)
{
	char *argv[16];
	int argc = 0;
	for (char *w = strtok(words, " "); w && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	static const struct option longopts[] = { OPTION_NOW, OPTION_JSON, { NULL, 0, NULL, 0 } };
	FILE *fe = tmpfile();
	fflush(stderr);
	int se = dup(2);
	dup2(fileno(fe), 2);
	optind = 0;
	opterr = 0;
	cmdopt_init(o, "tick");
	int rc = cmdopt_parse(o, argc, argv, ":j:", longopts);
	if (rc == EXIT_OK)
		rc = cmdopt_no_args("tick", argc, argv);
	fflush(stderr);
	dup2(se, 2);
	close(se);
	free(err);
	err = slurp(fe);
	fclose(fe);
	return rc;
}

static void test_shared_options(void **state)
{
	(void)state;
	struct cmdopt o;
	char w1[] = "tick -j 4 --now @1000 --json";
	assert_int_equal(parse(&o, w1), EXIT_OK);
	assert_int_equal(o.jobs, 4);
	assert_int_equal(o.now, 1000);
	assert_true(o.json);
	char w2[] = "tick -j4 --now=2026-01-01T00:00:00Z";
	assert_int_equal(parse(&o, w2), EXIT_OK);
	assert_int_equal(o.jobs, 4);
	assert_int_equal(o.now, 1767225600);
	assert_false(o.json);
	char w3[] = "tick";
	assert_int_equal(parse(&o, w3), EXIT_OK);
	assert_int_equal(o.jobs, 0);
	assert_true(o.now > 1767225600);
}

static void test_errors(void **state)
{
	(void)state;
	struct cmdopt o;
	char w1[] = "tick -j 0";
	assert_int_equal(parse(&o, w1), EXIT_USAGE);
	assert_string_equal(err, "stau: -j: '0' is not a number from 1 to 100000\n"
				 "see 'stau tick --help'\n");
	char w2[] = "tick --now";
	assert_int_equal(parse(&o, w2), EXIT_USAGE);
	assert_string_equal(err, "stau: option '--now' needs a value\nsee 'stau tick --help'\n");
	char w3[] = "tick --bogus";
	assert_int_equal(parse(&o, w3), EXIT_USAGE);
	assert_string_equal(err, "stau: unknown option '--bogus'\nsee 'stau tick --help'\n");
	char w4[] = "tick --now yesterday";
	assert_int_equal(parse(&o, w4), EXIT_USAGE);
	assert_non_null(strstr(err, "stau: --now: "));
	char w5[] = "tick extra";
	assert_int_equal(parse(&o, w5), EXIT_USAGE);
	assert_string_equal(err, "stau: unexpected argument 'extra'\nsee 'stau tick --help'\n");
}

static void test_run_ids(void **state)
{
	(void)state;
	int64_t id;
	assert_int_equal(cmdopt_run_id("show", "42", &id), EXIT_OK);
	assert_int_equal(id, 42);
	assert_int_equal(cmdopt_run_id("show", "#7", &id), EXIT_OK);
	assert_int_equal(id, 7);
	FILE *fe = tmpfile();
	int se = dup(2);
	dup2(fileno(fe), 2);
	assert_int_equal(cmdopt_run_id("show", "0", &id), EXIT_USAGE);
	assert_int_equal(cmdopt_run_id("show", "x1", &id), EXIT_USAGE);
	optind = 1;
	char *argv[] = { "retry", NULL };
	assert_int_equal(cmdopt_run_arg("retry", 1, argv, &id), EXIT_USAGE);
	fflush(stderr);
	dup2(se, 2);
	close(se);
	char *text = slurp(fe);
	fclose(fe);
	assert_string_equal(text,
		"stau: '0' is not a run id; 'stau status JOB' lists runs\nsee 'stau show --help'\n"
		"stau: 'x1' is not a run id; 'stau status JOB' lists runs\nsee 'stau show --help'\n"
		"stau: which run? give its number, e.g. 'stau retry 42'; 'stau status JOB' lists "
		"runs\nsee 'stau retry --help'\n");
	free(text);
}

/* Takes the global options out of words (single spaces) as stau.c does for a command whose
 * options "-j --now --kw" take a value; returns the words left, joined by single spaces. */
static char *globals(const char *words, struct global_opts *g)
{
	static char *argv[32];
	static char *copy; /* g->dir points into it until the next call */
	free(copy);
	copy = xstrdup(words);
	int argc = 0;
	for (char *w = strtok(copy, " "); w && argc < 31; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	*g = (struct global_opts){ .verbosity = 0 };
	int n = cmdopt_take_globals(argc, argv, "-j --now --kw", g);
	if (n >= 0)
		assert_null(argv[n]);
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < n; i++)
		sb_addf(&sb, "%s%s", i ? " " : "", argv[i]);
	return n < 0 ? (sb_release(&sb), NULL) : sb_detach(&sb);
}

static void test_global_options_among_the_words(void **state)
{
	(void)state;
	struct global_opts g;
	char *left = globals("status --no-color job_A -C /p -v --json", &g);
	assert_string_equal(left, "status job_A --json");
	assert_string_equal(g.dir, "/p");
	assert_true(g.no_color);
	assert_int_equal(g.verbosity, 1);
	free(left);
	left = globals("tick -vv -C/q -j 2 -qv", &g);
	assert_string_equal(left, "tick -j 2");
	assert_string_equal(g.dir, "/q");
	assert_int_equal(g.verbosity, 0); /* -vv, then -q (-1), then -v */
	free(left);
	left = globals("show 3 --version", &g);
	assert_string_equal(left, "show 3");
	assert_true(g.version);
	assert_null(g.dir);
	free(left);
}

static void test_values_and_double_dash_are_left_alone(void **state)
{
	(void)state;
	struct global_opts g;
	/* the value of an option of the command, and everything after "--" */
	char *left = globals("run job --kw -v --now -q -- -C x -v", &g);
	assert_string_equal(left, "run job --kw -v --now -q -- -C x -v");
	assert_int_equal(g.verbosity, 0);
	assert_null(g.dir);
	free(left);
	/* a value given in the same word is no reason to skip the next one */
	left = globals("run job --kw=a=1 -v -j4 -q", &g);
	assert_string_equal(left, "run job --kw=a=1 -j4");
	assert_int_equal(g.verbosity, -1);
	free(left);
	/* -C without its value */
	fflush(stderr);
	FILE *fe = tmpfile();
	int se = dup(2);
	dup2(fileno(fe), 2);
	assert_null(globals("status -C", &g));
	fflush(stderr);
	dup2(se, 2);
	close(se);
	char *text = slurp(fe);
	fclose(fe);
	assert_string_equal(text, "stau: option '-C' needs a value\nsee 'stau status --help'\n");
	free(text);
}

static void test_work_of_a_new_run(void **state)
{
	(void)state;
	struct cmdopt_work w = { 0 };
	assert_int_equal(cmdopt_ids("submit", &w, "--ids", "5,1-3", 5), EXIT_OK);
	assert_int_equal(cmdopt_ids("submit", &w, "--ids", "2", 1), EXIT_OK);
	assert_true(w.has_ids);
	cmdopt_work_done(&w);
	assert_int_equal(w.ids.n, 4);
	assert_int_equal(w.ids.v[0], 1);
	assert_int_equal(w.ids.v[3], 5);
	assert_int_equal(cmdopt_kw("submit", &w, "n=5"), EXIT_OK);
	assert_int_equal(cmdopt_kw("submit", &w, "name=007"), EXIT_OK);
	assert_int_equal(cmdopt_kw("submit", &w, "flag=true"), EXIT_OK);
	assert_int_equal(cmdopt_kw("submit", &w, "n=6"), EXIT_OK);
	assert_int_equal(cmdopt_kw("submit", &w, "s=a \"b\"="), EXIT_OK);
	char *json = kv_to_json(&w.kw);
	assert_string_equal(json, "{\"n\":6,\"name\":\"007\",\"flag\":true,\"s\":\"a \\\"b\\\"=\"}");
	free(json);
	FILE *fe = tmpfile();
	fflush(stderr);
	int se = dup(2);
	dup2(fileno(fe), 2);
	assert_int_equal(cmdopt_kw("submit", &w, "=1"), EXIT_USAGE);
	assert_int_equal(cmdopt_kw("submit", &w, "novalue"), EXIT_USAGE);
	assert_int_equal(cmdopt_ids("submit", &w, "--ids", "x", 1), EXIT_USAGE);
	assert_int_equal(cmdopt_ids_file("submit", &w, "/nonexistent/ids"), EXIT_USAGE);
	fflush(stderr);
	dup2(se, 2);
	close(se);
	char *text = slurp(fe);
	fclose(fe);
	assert_non_null(strstr(text, "stau: --kw: '=1' is not KEY=VALUE\nsee 'stau submit --help'\n"
				     "stau: --kw: 'novalue' is not KEY=VALUE\n"));
	assert_non_null(strstr(text, "stau: --ids-file: cannot read '/nonexistent/ids': No such "
				     "file or directory\n"));
	free(text);
	cmdopt_work_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_options),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_run_ids),
		cmocka_unit_test(test_global_options_among_the_words),
		cmocka_unit_test(test_values_and_double_dash_are_left_alone),
		cmocka_unit_test(test_work_of_a_new_run),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(err);
	return rc;
}
