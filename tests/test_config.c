/* test_config.c - job headers and schedule.yaml: every field good and bad, exact messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "slurm.h"
#include "timeutil.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* Every diagnostic of d formatted, one per line; "" when there is none. */
static char *all_diags(const struct diags *d)
{
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);
		sb_addf(&sb, "%s%s", i ? "\n" : "", s);
		free(s);
	}
	return sb_detach(&sb);
}

/* Parses text as jobs/job_A.py and checks the return code and every diagnostic. */
static void assert_job(const char *text, int rc, const char *diags)
{
	struct job job;
	struct diags d = DIAGS_INIT;
	int got = config_parse_job("jobs/job_A.py", text, strlen(text), &job, &d);
	char *s = all_diags(&d);
	assert_string_equal(s, diags);
	assert_int_equal(got, rc);
	if (got == 1)
		job_release(&job);
	free(s);
	diags_release(&d);
}

/* A header with one line of YAML at file line 3, column 3 (after "# "). */
static char *one_line_header(const char *line)
{
	return xasprintf("#!/usr/bin/env python3\n# ---\n# %s\n# ---\nprint(1)\n", line);
}

static void assert_field_error(const char *line, const char *diag)
{
	char *text = one_line_header(line);
	assert_job(text, -1, diag);
	free(text);
}

static void assert_field_ok(const char *line)
{
	char *text = one_line_header(line);
	assert_job(text, 1, "");
	free(text);
}

/* Parses a job that must be valid. */
static void good_job(const char *text, struct job *job)
{
	struct diags d = DIAGS_INIT;
	int rc = config_parse_job("jobs/job_A.py", text, strlen(text), job, &d);
	char *s = all_diags(&d);
	assert_string_equal(s, "");
	assert_int_equal(rc, 1);
	free(s);
	diags_release(&d);
}

static void assert_schedule(const char *text, int rc, const char *diags)
{
	struct schedule s;
	struct diags d = DIAGS_INIT;
	int got = config_parse_schedule("schedule.yaml", text, strlen(text), &s, &d);
	char *all = all_diags(&d);
	assert_string_equal(all, diags);
	assert_int_equal(got, rc);
	schedule_release(&s);
	free(all);
	diags_release(&d);
}

static void good_schedule(const char *text, struct schedule *s)
{
	struct diags d = DIAGS_INIT;
	int rc = config_parse_schedule("schedule.yaml", text, strlen(text), s, &d);
	char *all = all_diags(&d);
	assert_string_equal(all, "");
	assert_int_equal(rc, 0);
	free(all);
	diags_release(&d);
}

static void assert_kv(const struct kvlist *l, const char *key, const char *json)
{
	const struct kv *kv = kv_find(l, key);
	assert_non_null(kv);
	assert_string_equal(kv->json, json);
}

static int teardown_zones(void **state)
{
	(void)state;
	tz_cache_free();
	return 0;
}

/* ---- job headers: good ------------------------------------------------------------- */

static void test_job_every_field(void **state)
{
	(void)state;
	struct job job;
	good_job("#!/usr/bin/env python3\n"
		 "# ---\n"
		 "# job_type: job_A\n"
		 "# description: the first job\n"
		 "# chunk_size: 10\n"
		 "# dependencies:\n"
		 "#   - job_type: job_B\n"
		 "#     max_lag: 60\n"
		 "#   - job_type: job_C\n"
		 "#     max_lag: 2h\n"
		 "#     allow_missing_work_ids: yes\n"
		 "#     unique: TRUE\n"
		 "#     custom_kwargs: {mode: fast, n: 3}\n"
		 "# main_func: job_A_main\n"
		 "# select_work: ./list-ids --since \"last week\" 'a b'c\n"
		 "# command: [python3, -u, '{file}']\n"
		 "# timeout: 1h30m\n"
		 "# retries: 2\n"
		 "# retry_delay: 10s\n"
		 "# fatal_exit_codes: [3, 255]\n"
		 "# max_parallel: 4\n"
		 "# allow_multiple_jobs: true\n"
		 "# env: {LANG: C.UTF-8, THREADS: 4}\n"
		 "# data_sources: [db.units]\n"
		 "# data_sinks: [out/a.csv, out/b.csv]\n"
		 "# executor: slurm\n"
		 "# slurm: {partition: short, cpus_per_task: 2}\n"
		 "# ---\n",
		 &job);
	assert_string_equal(job.type, "job_A");
	assert_string_equal(job.path, "jobs/job_A.py");
	assert_string_equal(job.description, "the first job");
	assert_int_equal(job.chunk_size, 10);
	assert_int_equal(job.ndeps, 2);
	assert_string_equal(job.deps[0].job_type, "job_B");
	assert_int_equal(job.deps[0].max_lag, 3600);
	assert_int_equal(job.deps[0].loc.line, 7);
	assert_int_equal(job.deps[0].loc.col, 17);
	assert_false(job.deps[0].allow_missing_work_ids);
	assert_false(job.deps[0].unique);
	assert_int_equal(job.deps[1].max_lag, 7200);
	assert_true(job.deps[1].allow_missing_work_ids);
	assert_true(job.deps[1].unique);
	char *kw = kv_to_json(&job.deps[1].custom_kwargs);
	assert_string_equal(kw, "{\"mode\":\"fast\",\"n\":3}");
	free(kw);
	assert_string_equal(job.main_func, "job_A_main");
	assert_int_equal(job.select_work.kind, SELECT_COMMAND);
	assert_string_equal(job.select_work.argv[0], "./list-ids");
	assert_string_equal(job.select_work.argv[1], "--since");
	assert_string_equal(job.select_work.argv[2], "last week");
	assert_string_equal(job.select_work.argv[3], "a bc");
	assert_null(job.select_work.argv[4]);
	assert_int_equal(job.select_work.loc.line, 15);
	assert_int_equal(job.select_work.loc.col, 16);
	assert_string_equal(job.command[0], "python3");
	assert_string_equal(job.command[1], "-u");
	assert_string_equal(job.command[2], "{file}");
	assert_null(job.command[3]);
	assert_int_equal(job.timeout, 5400);
	assert_int_equal(job.retries, 2);
	assert_int_equal(job.retry_delay, 10);
	assert_int_equal(job.nfatal, 2);
	assert_int_equal(job.fatal_exit_codes[0], 3);
	assert_int_equal(job.fatal_exit_codes[1], 255);
	assert_int_equal(job.max_parallel, 4);
	assert_true(job.allow_multiple_jobs);
	assert_kv(&job.env, "LANG", "\"C.UTF-8\"");
	assert_kv(&job.env, "THREADS", "\"4\"");
	assert_string_equal(job.data_sources[0], "db.units");
	assert_null(job.data_sources[1]);
	assert_string_equal(job.data_sinks[1], "out/b.csv");
	assert_int_equal(job.executor, EXECUTOR_SLURM);
	assert_string_equal(job.slurm.partition, "short");
	assert_int_equal(job.slurm.cpus_per_task, 2);
	assert_null(job.slurm.mem);
	assert_int_equal(job.slurm.time, 0);
	assert_null(job.slurm.extra_args);
	assert_int_equal(job.slurm.loc.line, 27);
	assert_int_equal(job.slurm.loc.col, 10);
	assert_int_equal(job.header_loc.line, 2);
	assert_null(job.broken);
	job_release(&job);
}

static void test_job_defaults(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# ---\n", &job);
	assert_string_equal(job.type, "job_A");
	assert_null(job.description);
	assert_int_equal(job.chunk_size, 0);
	assert_int_equal(job.ndeps, 0);
	assert_int_equal(job.select_work.kind, SELECT_NONE);
	assert_null(job.command);
	assert_int_equal(job.timeout, 0);
	assert_int_equal(job.retries, 0);
	assert_int_equal(job.retry_delay, 30);
	assert_int_equal(job.nfatal, 0);
	assert_int_equal(job.max_parallel, 0);
	assert_false(job.allow_multiple_jobs);
	assert_int_equal(job.env.n, 0);
	assert_null(job.data_sources);
	assert_int_equal(job.executor, EXECUTOR_DEFAULT);
	job_release(&job);
	/* empty lists and maps are as good as none */
	good_job("# ---\n# dependencies:\n# env:\n# data_sinks: []\n# description: ''\n# ---\n",
		 &job);
	assert_int_equal(job.ndeps, 0);
	assert_null(job.data_sinks);
	assert_string_equal(job.description, "");
	job_release(&job);
}

static void test_job_file_stem(void **state)
{
	(void)state;
	struct job job;
	struct diags d = DIAGS_INIT;
	const char *text = "-- ---\n-- job_type: report.daily\n-- ---\nSELECT 1;\n";
	assert_int_equal(config_parse_job("jobs/report.daily.sql", text, strlen(text), &job, &d),
			 1);
	assert_string_equal(job.type, "report.daily");
	job_release(&job);
	text = "# ---\n# ---\n";
	assert_int_equal(config_parse_job("jobs/Makefile", text, strlen(text), &job, &d), 1);
	assert_string_equal(job.type, "Makefile");
	job_release(&job);
	assert_int_equal(d.n, 0);
	char *t = config_job_type_of("job_A.py");
	assert_string_equal(t, "job_A");
	free(t);
	t = config_job_type_of("jobs/.hidden");
	assert_string_equal(t, ".hidden");
	free(t);
}

static void test_job_select_work_sqlite(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# select_work:\n#   sqlite: data/units.db\n"
		 "#   query: SELECT id FROM AllMyUnits WHERE active = 1\n# ---\n", &job);
	assert_int_equal(job.select_work.kind, SELECT_SQLITE);
	assert_string_equal(job.select_work.sqlite_path, "data/units.db");
	assert_string_equal(job.select_work.query, "SELECT id FROM AllMyUnits WHERE active = 1");
	assert_null(job.select_work.argv);
	assert_int_equal(job.select_work.loc.line, 3);
	assert_int_equal(job.select_work.loc.col, 5);
	assert_int_equal(job.select_work.timeout, 0);
	job_release(&job);
}

static void test_job_select_work_python_and_command_maps(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# select_work: {python: stores_of, timeout: 90s}\n# ---\n", &job);
	assert_int_equal(job.select_work.kind, SELECT_PYTHON);
	assert_string_equal(job.select_work.func, "stores_of");
	assert_int_equal(job.select_work.timeout, 90);
	job_release(&job);
	good_job("# ---\n# select_work:\n#   command: ./ids --all\n#   timeout: 2m\n# ---\n",
		 &job);
	assert_int_equal(job.select_work.kind, SELECT_COMMAND);
	assert_string_equal(job.select_work.argv[0], "./ids");
	assert_string_equal(job.select_work.argv[1], "--all");
	assert_null(job.select_work.argv[2]);
	assert_int_equal(job.select_work.timeout, 120);
	job_release(&job);
}

static void test_job_max_lag_forms(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# dependencies:\n#   - job_type: a\n#   - job_type: b\n#     max_lag: 0\n"
		 "#   - {job_type: c, max_lag: 90m}\n#   - {job_type: d, max_lag: 1d}\n# ---\n",
		 &job);
	assert_int_equal(job.ndeps, 4);
	assert_int_equal(job.deps[0].max_lag, 0);
	assert_int_equal(job.deps[1].max_lag, 0);
	assert_int_equal(job.deps[2].max_lag, 5400);
	assert_int_equal(job.deps[3].max_lag, 86400);
	assert_int_equal(job.deps[2].loc.line, 6);
	assert_int_equal(job.deps[2].loc.col, 18);
	job_release(&job);
}

static void test_job_no_header(void **state)
{
	(void)state;
	assert_job("import os\n", 0, "");
	assert_job("", 0, "");
	assert_job("#!/bin/sh\necho hi\n# ---\n# a: 1\n# ---\n", 0, "");
}

/* ---- job headers: bad --------------------------------------------------------------- */

static void test_job_bad_fields(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "job_type: job_B", "jobs/job_A.py:3:13: 'job_type' must be 'job_A', the file "
		  "name without extension, got 'job_B' (rename the file or remove 'job_type')" },
		{ "description: [a, b]", "jobs/job_A.py:3:16: 'description' must be a string, got "
		  "a list" },
		{ "description:", "jobs/job_A.py:3:15: 'description' must be a string, got nothing" },
		{ "chunk_size: ten", "jobs/job_A.py:3:15: 'chunk_size' must be an integer >= 1 or "
		  "'all', got 'ten'" },
		{ "chunk_size: 0", "jobs/job_A.py:3:15: 'chunk_size' must be an integer >= 1 or "
		  "'all', got '0'" },
		{ "chunk_size: \"10\"", "jobs/job_A.py:3:15: 'chunk_size' must be an integer >= 1 "
		  "or 'all', got '10'" },
		{ "chunk_size: \"all\"", "jobs/job_A.py:3:15: 'chunk_size' must be an integer >= 1 "
		  "or 'all', got 'all'" },
		{ "chunk_size: ALL", "jobs/job_A.py:3:15: 'chunk_size' must be an integer >= 1 or "
		  "'all', got 'ALL'" },
		{ "chunk_size: 1.5", "jobs/job_A.py:3:15: 'chunk_size' must be an integer >= 1 or "
		  "'all', got '1.5'" },
		{ "chunk_size: 99999999999999999999", "jobs/job_A.py:3:15: 'chunk_size' must be an "
		  "integer >= 1 or 'all', got '99999999999999999999'" },
		{ "dependencies: job_B", "jobs/job_A.py:3:17: 'dependencies' must be a list of maps "
		  "with 'job_type', got 'job_B'" },
		{ "dependencies: [job_B]", "jobs/job_A.py:3:18: 'dependencies' must be a list of "
		  "maps with 'job_type', got 'job_B' (write '- job_type: job_B')" },
		{ "dependencies: [{max_lag: 5}]", "jobs/job_A.py:3:18: a dependency needs "
		  "'job_type': the job it depends on" },
		{ "dependencies: [{job_type: b, max_lag: soon}]", "jobs/job_A.py:3:41: 'max_lag' "
		  "must be minutes (an integer >= 0) or a duration such as '90m', '2h' or '1d', "
		  "got 'soon'" },
		{ "dependencies: [{job_type: b, max_lag: -5}]", "jobs/job_A.py:3:41: 'max_lag' "
		  "must be minutes (an integer >= 0) or a duration such as '90m', '2h' or '1d', "
		  "got '-5'" },
		{ "dependencies: [{job_type: b, unique: 1}]", "jobs/job_A.py:3:40: 'unique' must "
		  "be true or false, got '1'" },
		{ "dependencies: [{job_type: b, custom_kwargs: [1]}]", "jobs/job_A.py:3:47: "
		  "'custom_kwargs' must be a map of names to values, got a list" },
		{ "dependencies: [{job_type: b, max_lagg: 5}]", "jobs/job_A.py:3:32: unknown key "
		  "'max_lagg' (did you mean 'max_lag'?)" },
		{ "dependencies: [{job_type: [b]}]", "jobs/job_A.py:3:29: 'job_type' must be a job "
		  "type, got a list" },
		{ "main_func: run-it", "jobs/job_A.py:3:14: 'main_func' must be a Python function "
		  "name (letters, digits and '_', not starting with a digit), got 'run-it'" },
		{ "main_func: 2run", "jobs/job_A.py:3:14: 'main_func' must be a Python function "
		  "name (letters, digits and '_', not starting with a digit), got '2run'" },
		{ "select_work: ''", "jobs/job_A.py:3:16: 'select_work' must be a command, or a map "
		  "with 'command', 'python', or 'sqlite' and 'query', got ''" },
		{ "select_work: ./ids \"a b", "jobs/job_A.py:3:16: 'select_work': a '\"' is never "
		  "closed (close the quote)" },
		{ "select_work: [a]", "jobs/job_A.py:3:16: 'select_work' must be a command, or a map "
		  "with 'command', 'python', or 'sqlite' and 'query', got a list" },
		{ "select_work: {sqlite: a.db}", "jobs/job_A.py:3:16: 'select_work' needs 'query': "
		  "the SQL that selects the work IDs" },
		{ "select_work: {query: SELECT 1}", "jobs/job_A.py:3:16: 'select_work' needs "
		  "'sqlite': the database file to query" },
		{ "select_work: {sqlite: a.db, query: q, db: x}", "jobs/job_A.py:3:41: unknown key "
		  "'db'" },
		{ "select_work: {python: f, sqlite: a.db, query: q}", "jobs/job_A.py:3:16: "
		  "'select_work' needs one source of work IDs (give 'command', 'sqlite' with "
		  "'query', or 'python')" },
		{ "select_work: {timeout: 1m}", "jobs/job_A.py:3:16: 'select_work' needs a source "
		  "of work IDs (give 'command', 'sqlite' with 'query', or 'python')" },
		{ "select_work: {python: 2f}", "jobs/job_A.py:3:25: 'python' must be a Python "
		  "function name (letters, digits and '_', not starting with a digit), got '2f'" },
		{ "select_work: {command: ./ids, timeout: 0s}", "jobs/job_A.py:3:42: 'timeout' "
		  "must be a duration above zero such as '90s', '15m', '2h' or '1d', got '0s'" },
		{ "command: python3 -u", "jobs/job_A.py:3:12: 'command' must be a list of strings, "
		  "got 'python3 -u' (write it as a list, e.g. [python3, -u])" },
		{ "command: []", "jobs/job_A.py:3:12: 'command' must be a non-empty list of strings, "
		  "got a list" },
		{ "command: ['', a]", "jobs/job_A.py:3:13: 'command' must start with the program to "
		  "run, got ''" },
		{ "command: [python3, [x]]", "jobs/job_A.py:3:22: 'command' must be a non-empty "
		  "list of strings, got a list" },
		{ "timeout: soon", "jobs/job_A.py:3:12: 'timeout' must be a duration such as '90s', "
		  "'15m', '2h' or '1d', got 'soon'" },
		{ "timeout: 60", "jobs/job_A.py:3:12: 'timeout' must be a duration such as '90s', "
		  "'15m', '2h' or '1d', got '60' (add a unit: '60s' or '60m')" },
		{ "retries: -1", "jobs/job_A.py:3:12: 'retries' must be an integer >= 0, got '-1'" },
		{ "retry_delay: {}", "jobs/job_A.py:3:16: 'retry_delay' must be a duration such as "
		  "'90s', '15m', '2h' or '1d', got a map" },
		{ "fatal_exit_codes: [1, 256, x]", "jobs/job_A.py:3:25: 'fatal_exit_codes' must be "
		  "a list of exit codes from 1 to 255, got '256'\n"
		  "jobs/job_A.py:3:30: 'fatal_exit_codes' must be a list of exit codes from 1 to "
		  "255, got 'x'" },
		{ "fatal_exit_codes: 3", "jobs/job_A.py:3:21: 'fatal_exit_codes' must be a list of "
		  "exit codes from 1 to 255, got '3'" },
		{ "max_parallel: many", "jobs/job_A.py:3:17: 'max_parallel' must be an integer >= 1, "
		  "got 'many'" },
		{ "allow_multiple_jobs: sure", "jobs/job_A.py:3:24: 'allow_multiple_jobs' must be "
		  "true or false, got 'sure'" },
		{ "allow_multiple_jobs: 'true'", "jobs/job_A.py:3:24: 'allow_multiple_jobs' must be "
		  "true or false, got 'true'" },
		{ "env: [A]", "jobs/job_A.py:3:8: 'env' must be a map of variable names to strings, "
		  "got a list" },
		{ "env: {my-var: 1}", "jobs/job_A.py:3:9: 'my-var' is not an environment variable "
		  "name: use letters, digits and '_', not starting with a digit" },
		{ "env: {STAU_JOB: x}", "jobs/job_A.py:3:9: 'STAU_JOB' is set by stau itself; "
		  "choose a name that does not start with 'STAU_'" },
		{ "env: {A: [1]}", "jobs/job_A.py:3:12: 'env.A' must be a string, got a list" },
		{ "env: {A: }", "jobs/job_A.py:3:12: 'env.A' must be a string, got nothing" },
		{ "data_sources: a.csv", "jobs/job_A.py:3:17: 'data_sources' must be a list of "
		  "strings, got 'a.csv'" },
		{ "data_sinks: [{a: 1}]", "jobs/job_A.py:3:16: 'data_sinks' must be a list of "
		  "strings, got a map" },
		{ "executor: slurn", "jobs/job_A.py:3:13: 'executor' must be 'local' or 'slurm', got "
		  "'slurn' (did you mean 'slurm'?)" },
		{ "executor: k8s", "jobs/job_A.py:3:13: 'executor' must be 'local' or 'slurm', got "
		  "'k8s'" },
		{ "slurm: {partition: [a]}", "jobs/job_A.py:3:22: 'slurm.partition' must be a "
		  "partition name, or several separated by commas, got a list" },
		{ "slurm: {'--x': 1}", "jobs/job_A.py:3:11: unknown key '--x' in 'slurm' (give "
		  "other sbatch options in 'extra_args', e.g. extra_args: ['--gres=gpu:1'])" },
		{ "slurm: short", "jobs/job_A.py:3:10: 'slurm' must be a map of Slurm options such "
		  "as 'partition' and 'time', got 'short'" },
		{ "chunck_size: 10", "jobs/job_A.py:3:3: unknown key 'chunck_size' (did you mean "
		  "'chunk_size'?)" },
		{ "frobnicate: 10", "jobs/job_A.py:3:3: unknown key 'frobnicate'" },
		{ "[a, b]: 1", "jobs/job_A.py:3:3: a key must be text, got a list" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_field_error(cases[i][0], cases[i][1]);
}

static void test_job_good_edge_values(void **state)
{
	(void)state;
	assert_field_ok("chunk_size: +7");
	assert_field_ok("retries: 0");
	assert_field_ok("allow_multiple_jobs: No");
	assert_field_ok("allow_multiple_jobs: YES");
	assert_field_ok("timeout: 0s");
	assert_field_ok("executor: local");
	assert_field_ok("main_func: _private2");
	assert_field_ok("env: {_X1: ''}");
	assert_field_ok("description: 2024");
}

static void test_job_header_not_a_map(void **state)
{
	(void)state;
	assert_field_error("- a", "jobs/job_A.py:3:3: the header must be a map of keys such as "
				  "'chunk_size: 10', got a list");
	assert_field_error("hello", "jobs/job_A.py:3:3: the header must be a map of keys such "
				    "as 'chunk_size: 10', got 'hello'");
	assert_job("# ---\n#\n# ---\n", 1, "");
}

static void test_job_duplicate_key(void **state)
{
	(void)state;
	assert_job("#!/bin/sh\n# ---\n# chunk_size: 1\n# retries: 1\n# chunk_size: 2\n# ---\n", -1,
		   "jobs/job_A.py:5:3: duplicate key 'chunk_size' (first at 3:3)");
	assert_job("# ---\n# env: {A: 1, B: 2, A: 3}\n# ---\n", -1,
		   "jobs/job_A.py:2:21: duplicate key 'A' (first at 2:9)");
}

static void test_yaml_tags_are_errors(void **state)
{
	(void)state;
	assert_job("#!/bin/sh\n# ---\n# chunk_size: !!str 5\n# ---\n", -1,
		   "jobs/job_A.py:3:15: YAML tag '!!str' is not allowed (write the value without a "
		   "tag)");
	assert_job("# ---\n# env: !!python/object:os.system {A: b}\n# ---\n", -1,
		   "jobs/job_A.py:2:8: YAML tag '!!python/object:os.system' is not allowed (write "
		   "the value without a tag)");
	assert_job("# ---\n# env: !mine {A: b}\n# ---\n", -1,
		   "jobs/job_A.py:2:8: YAML tag '!mine' is not allowed (write the value without a "
		   "tag)");
	/* a '!' in a value is no tag */
	assert_job("# ---\n# description: \"Thanks!\"\n# env: {A: hi!}\n# ---\n", 1, "");
}

static void test_job_yaml_syntax(void **state)
{
	(void)state;
	assert_job("#!/bin/sh\n# ---\n# chunk_size: 1\n#  retries: 2\n# ---\n", -1,
		   "jobs/job_A.py:4:11: bad YAML: mapping values are not allowed in this context");
	assert_job("# ---\n# a: [1, 2\n# ---\n", -1,
		   "jobs/job_A.py:3:1: bad YAML: did not find expected ',' or ']' (while parsing a "
		   "flow sequence at 2:6)");
	assert_job("# ---\n# cron: */5 * * * *\n# ---\n", -1,
		   "jobs/job_A.py:2:10: bad YAML: did not find expected alphabetic or numeric "
		   "character (while scanning an alias at 2:9) (put quotes around a value that "
		   "starts with '*', e.g. \"*/5 * * * *\")");
	/* a NUL byte in the header: libyaml's reader stops at it, with its position */
	const char nul[] = "# ---\n# description: a\0b\n# ---\n";
	struct job job;
	struct diags d = DIAGS_INIT;
	assert_int_equal(config_parse_job("jobs/job_A.py", nul, sizeof(nul) - 1, &job, &d), -1);
	char *s = all_diags(&d);
	assert_string_equal(s, "jobs/job_A.py:2:17: bad YAML: control characters are not "
			       "allowed");
	free(s);
	diags_release(&d);
	/* invalid UTF-8 */
	assert_job("# ---\n# description: caf\xe9!\n# ---\n", -1,
		   "jobs/job_A.py:2:19: bad YAML: invalid trailing UTF-8 octet");
	/* CRLF and another leader: positions still in the job file */
	assert_job("-- ---\r\n-- description: x\r\n--   bad: [\r\n-- ---\r\n", -1,
		   "jobs/job_A.py:3:9: bad YAML: mapping values are not allowed in this context");
}

/* YAML also breaks lines at a lone CR, NEL, LS and PS; positions stay in '\n' lines. */
static void test_odd_line_breaks(void **state)
{
	(void)state;
	assert_job("# ---\n# description: x\r  y\n# retries: z\n# ---\n", -1,
		   "jobs/job_A.py:3:12: 'retries' must be an integer >= 0, got 'z'");
	assert_job("# ---\n# description: \"a\xc2\x85\xe2\x80\xa8" "b\", retries: z}\n# ---\n", -1,
		   "jobs/job_A.py:2:22: bad YAML: did not find expected key (while parsing a block "
		   "mapping at 2:3)");
	assert_schedule("settings:\n  python: \"a\xc2\x85" "b\xe2\x80\xa9" "c\"\n  max_parallel: x\n", -1,
			"schedule.yaml:3:17: 'max_parallel' must be an integer >= 1, got 'x'");
	assert_schedule("settings:\n  python: \"a\rb\"\n  max_parallel: x\n", -1,
			"schedule.yaml:3:17: 'max_parallel' must be an integer >= 1, got 'x'");
}

static void test_job_ten_mistakes(void **state)
{
	(void)state;
	assert_job("#!/usr/bin/env python3\n"
		   "# -*- coding: utf-8 -*-\n"
		   "# ---\n"
		   "# chunck_size: 10\n"
		   "# dependencies:\n"
		   "#   - job_type: job_B\n"
		   "#     max_lag: soon\n"
		   "#   - max_lag: 5\n"
		   "# main_func: 1st\n"
		   "# timeout: 5 minutes\n"
		   "# retries: -1\n"
		   "# fatal_exit_codes: [0]\n"
		   "# env: {BAD NAME: x}\n"
		   "# executor: cloud\n"
		   "# job_type: job_Z\n"
		   "# ---\n"
		   "def main(): pass\n",
		   -1,
		   "jobs/job_A.py:4:3: unknown key 'chunck_size' (did you mean 'chunk_size'?)\n"
		   "jobs/job_A.py:7:16: 'max_lag' must be minutes (an integer >= 0) or a duration "
		   "such as '90m', '2h' or '1d', got 'soon'\n"
		   "jobs/job_A.py:8:7: a dependency needs 'job_type': the job it depends on\n"
		   "jobs/job_A.py:9:14: 'main_func' must be a Python function name (letters, digits "
		   "and '_', not starting with a digit), got '1st'\n"
		   "jobs/job_A.py:10:12: 'timeout' must be a duration such as '90s', '15m', '2h' or "
		   "'1d', got '5 minutes'\n"
		   "jobs/job_A.py:11:12: 'retries' must be an integer >= 0, got '-1'\n"
		   "jobs/job_A.py:12:22: 'fatal_exit_codes' must be a list of exit codes from 1 to "
		   "255, got '0'\n"
		   "jobs/job_A.py:13:9: 'BAD NAME' is not an environment variable name: use "
		   "letters, digits and '_', not starting with a digit\n"
		   "jobs/job_A.py:14:13: 'executor' must be 'local' or 'slurm', got 'cloud'\n"
		   "jobs/job_A.py:15:13: 'job_type' must be 'job_A', the file name without "
		   "extension, got 'job_Z' (rename the file or remove 'job_type')");
}

static void test_job_header_errors_pass_through(void **state)
{
	(void)state;
	assert_job("# ---\n# a: 1\n", -1, "jobs/job_A.py:1:1: header opened here is never "
					"closed; add a closing '# ---'");
}

static void test_job_partial_keeps_what_validated(void **state)
{
	(void)state;
	const char *text = "#!/usr/bin/env python3\n# ---\n# chunck_size: 10\n# dependencies:\n"
			   "#   - job_type: nosuch\n#   - job_type: [bad]\n# timeout: soon\n# ---\n";
	struct job job;
	struct diags d = DIAGS_INIT;
	assert_int_equal(config_parse_job_partial("jobs/a.py", text, strlen(text), &job, &d), -1);
	assert_int_equal(d.n, 3);
	assert_string_equal(job.type, "a");
	assert_string_equal(job.path, "jobs/a.py");
	assert_int_equal(job.ndeps, 1);
	assert_string_equal(job.deps[0].job_type, "nosuch");
	assert_int_equal(job.deps[0].loc.line, 5);
	assert_int_equal(job.deps[0].loc.col, 17);
	assert_int_equal(job.timeout, 0);
	job_release(&job);
	/* an unclosed header: only the name */
	assert_int_equal(config_parse_job_partial("jobs/a.py", "# ---\n", 6, &job, &d), -1);
	assert_string_equal(job.type, "a");
	assert_int_equal(job.ndeps, 0);
	job_release(&job);
	/* no header: nothing to release */
	assert_int_equal(config_parse_job_partial("jobs/a.py", "x = 1\n", 6, &job, &d), 0);
	assert_null(job.type);
	assert_int_equal(d.n, 4);
	diags_release(&d);
}

/* ---- kwargs and JSON ---------------------------------------------------------------- */

static void test_kwargs_json_values(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# dependencies:\n#   - job_type: b\n#     custom_kwargs:\n"
		 "#       i: 42\n#       neg: -7\n#       plus: +3\n#       big: 123456789012345678901\n"
		 "#       zero_lead: 007\n#       under: 1_000\n#       hex: 0x1F\n"
		 "#       f: 1.5\n#       f2: .5\n#       f3: 2.\n#       f4: -01.25e+3\n"
		 "#       inf: .inf\n#       e: 1e5\n#       t: true\n#       y: Yes\n#       on: on\n"
		 "#       n: ~\n#       n2:\n#       n3: NULL\n#       q: \"10\"\n#       sq: 'true'\n"
		 "#       s: hello world\n#       esc: \"a\\\"b\\\\c\\nd\\te\\u0001\"\n"
		 "#       utf: \"caf\\u00e9 \\U0001F600\"\n#       list: [1, two, [3]]\n"
		 "#       map: {k: v, n: {m: null}}\n#       empty: []\n# ---\n", &job);
	const struct kvlist *kw = &job.deps[0].custom_kwargs;
	assert_kv(kw, "i", "42");
	assert_kv(kw, "neg", "-7");
	assert_kv(kw, "plus", "3");
	assert_kv(kw, "big", "123456789012345678901");
	assert_kv(kw, "zero_lead", "\"007\"");
	assert_kv(kw, "under", "\"1_000\"");
	assert_kv(kw, "hex", "\"0x1F\"");
	assert_kv(kw, "f", "1.5");
	assert_kv(kw, "f2", "0.5");
	assert_kv(kw, "f3", "2.0");
	assert_kv(kw, "f4", "-1.25e+3");
	assert_kv(kw, "inf", "\".inf\"");
	assert_kv(kw, "e", "\"1e5\"");
	assert_kv(kw, "t", "true");
	assert_kv(kw, "y", "true");
	assert_kv(kw, "on", "\"on\"");
	assert_kv(kw, "n", "null");
	assert_kv(kw, "n2", "null");
	assert_kv(kw, "n3", "null");
	assert_kv(kw, "q", "\"10\"");
	assert_kv(kw, "sq", "\"true\"");
	assert_kv(kw, "s", "\"hello world\"");
	assert_kv(kw, "esc", "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
	assert_kv(kw, "utf", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	assert_kv(kw, "list", "[1,\"two\",[3]]");
	assert_kv(kw, "map", "{\"k\":\"v\",\"n\":{\"m\":null}}");
	assert_kv(kw, "empty", "[]");
	assert_int_equal(kw->v[0].loc.line, 5);
	assert_int_equal(kw->v[0].loc.col, 9);
	char *s = kv_string(kv_find(kw, "esc"));
	assert_string_equal(s, "a\"b\\c\nd\te\x01");
	free(s);
	s = kv_string(kv_find(kw, "i"));
	assert_string_equal(s, "42");
	free(s);
	job_release(&job);
}

static void test_kv_functions(void **state)
{
	(void)state;
	struct kvlist l = { 0 }, c;
	char *s = kv_to_json(&l);
	assert_string_equal(s, "{}");
	free(s);
	kv_set(&l, "a", "1");
	kv_set(&l, "b\"\n", "\"x\"");
	kv_set(&l, "a", "[2]");
	s = kv_to_json(&l);
	assert_string_equal(s, "{\"a\":[2],\"b\\\"\\n\":\"x\"}");
	free(s);
	kvlist_copy(&c, &l);
	kv_set(&c, "a", "null");
	assert_string_equal(kv_find(&l, "a")->json, "[2]");
	assert_string_equal(kv_find(&c, "a")->json, "null");
	assert_null(kv_find(&c, "zz"));
	struct kv u = { "k", "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\r\"", { 0, 0 } };
	s = kv_string(&u);
	assert_string_equal(s, "\xc3\xa9\xf0\x9f\x98\x80/\b\f\r");
	free(s);
	kvlist_release(&l);
	kvlist_release(&c);
	assert_int_equal(l.n, 0);
}

static void test_merge_keys(void **state)
{
	(void)state;
	struct schedule s;
	good_schedule("schedule:\n"
		      "  - &base\n"
		      "    id: a\n"
		      "    job: job_A\n"
		      "    every: 15m\n"
		      "    kwargs: &kw {x: 1, y: 2}\n"
		      "  - <<: *base\n"
		      "    id: b\n"
		      "    kwargs:\n"
		      "      <<: *kw\n"
		      "      y: 3\n",
		      &s);
	assert_int_equal(s.nentries, 2);
	assert_string_equal(s.entries[1].id, "b");
	assert_string_equal(s.entries[1].job, "job_A");
	assert_int_equal(s.entries[1].trigger.every, 900);
	char *j = kv_to_json(&s.entries[1].kwargs);
	assert_string_equal(j, "{\"x\":1,\"y\":3}");
	free(j);
	schedule_release(&s);
	assert_schedule("schedule:\n  - <<: 5\n", -1,
			"schedule.yaml:2:5: entry has no 'id'; add a unique, stable one such as "
			"'id: nightly-report'\n"
			"schedule.yaml:2:5: entry has no 'job'; add the job type to run, such as "
			"'job: job_A'\n"
			"schedule.yaml:2:5: give one trigger: 'cron' or 'every' (add 'cron: \"0 * * * "
			"*\"' or 'every: 15m')\n"
			"schedule.yaml:2:9: '<<' merges maps only, got a scalar (write '<<: *name' "
			"with the anchor of a map)");
}

static void test_alias_bombs(void **state)
{
	(void)state;
	/* a billion laughs: each level doubles; stopped by the size limit, not by memory */
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "# ---\n# slurm: {}\n# env: {}\n# dependencies:\n#   - job_type: b\n"
		     "#     custom_kwargs:\n#       l0: &l0 [xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]\n");
	for (int i = 1; i < 40; i++)
		sb_addf(&sb, "#       l%d: &l%d [*l%d, *l%d]\n", i, i, i - 1, i - 1);
	sb_adds(&sb, "# ---\n");
	struct job job;
	struct diags d = DIAGS_INIT;
	assert_int_equal(config_parse_job("jobs/job_A.py", sb.buf, sb.len, &job, &d), -1);
	assert_true(d.n >= 1);
	char *s = diag_format(&d.v[0]);
	assert_string_equal(s, "jobs/job_A.py:22:14: the value of 'custom_kwargs.l15' is nested "
			       "too deeply or is too large (at most 64 levels and 1048576 bytes)");
	free(s);
	diags_release(&d);
	sb_release(&sb);
	/* an alias to the value that holds it: an endless value */
	assert_job("# ---\n# dependencies:\n#   - job_type: b\n#     custom_kwargs: &a {x: *a}\n"
		   "# ---\n", -1,
		   "jobs/job_A.py:4:22: the value of 'custom_kwargs.x' is nested too deeply or is "
		   "too large (at most 64 levels and 1048576 bytes)");
	assert_job("# ---\n# env: &a {<<: *a}\n# ---\n", -1,
		   "jobs/job_A.py:2:8: merges ('<<') are nested too deeply");
}

static void test_slurm_options(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n"
		 "# executor: slurm\n"
		 "# slurm:\n"
		 "#   partition: short,long\n"
		 "#   time: 1-12:00:00\n"
		 "#   mem: 4G\n"
		 "#   cpus_per_task: 8\n"
		 "#   account: proj-42\n"
		 "#   qos: high\n"
		 "#   extra_args: ['--gres=gpu:1', -Cgpu, --requeue]\n"
		 "# ---\n",
		 &job);
	assert_string_equal(job.slurm.partition, "short,long");
	assert_int_equal(job.slurm.time, 36 * 3600);
	assert_string_equal(job.slurm.mem, "4G");
	assert_int_equal(job.slurm.cpus_per_task, 8);
	assert_string_equal(job.slurm.account, "proj-42");
	assert_string_equal(job.slurm.qos, "high");
	assert_string_equal(job.slurm.extra_args[0], "--gres=gpu:1");
	assert_string_equal(job.slurm.extra_args[1], "-Cgpu");
	assert_string_equal(job.slurm.extra_args[2], "--requeue");
	assert_null(job.slurm.extra_args[3]);
	assert_int_equal(job.slurm.loc.line, 4);
	assert_int_equal(job.slurm.loc.col, 5);
	job_release(&job);
	/* times in stau's form and in Slurm's; a bare number is minutes, as for sbatch */
	good_job("# ---\n# slurm: {time: 90, mem: 512, extra_args: []}\n# ---\n", &job);
	assert_int_equal(job.slurm.time, 90 * 60);
	assert_string_equal(job.slurm.mem, "512");
	assert_non_null(job.slurm.extra_args); /* an empty list, not "not given" */
	assert_null(job.slurm.extra_args[0]);
	job_release(&job);
	good_job("# ---\n# slurm: {time: 2h30m}\n# ---\n", &job);
	assert_int_equal(job.slurm.time, 9000);
	job_release(&job);
	good_job("# ---\n# slurm: {time: UNLIMITED}\n# ---\n", &job);
	assert_int_equal(job.slurm.time, SLURM_TIME_UNLIMITED);
	job_release(&job);
	assert_field_ok("slurm: {time: '1:30'}");
	assert_field_ok("slurm: ~");
	assert_field_ok("slurm: {}");
}

static void test_slurm_options_bad(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "slurm: {partiton: short}", "jobs/job_A.py:3:11: unknown key 'partiton' in "
		  "'slurm' (did you mean 'partition'?)" },
		{ "slurm: {cpus-per-task: 2}", "jobs/job_A.py:3:11: unknown key 'cpus-per-task' in "
		  "'slurm' (did you mean 'cpus_per_task'?)" },
		{ "slurm: {gres: 'gpu:1'}", "jobs/job_A.py:3:11: unknown key 'gres' in 'slurm' "
		  "(give other sbatch options in 'extra_args', e.g. extra_args: ['--gres=gpu:1'])" },
		{ "slurm: {partition: 'a b'}", "jobs/job_A.py:3:22: 'slurm.partition' must be a "
		  "partition name, or several separated by commas, got 'a b'" },
		{ "slurm: {partition: 'a,,b'}", "jobs/job_A.py:3:22: 'slurm.partition' must be a "
		  "partition name, or several separated by commas, got 'a,,b'" },
		{ "slurm: {account: 'a,b'}", "jobs/job_A.py:3:20: 'slurm.account' must be a name "
		  "without white space, '=' or ',', got 'a,b'" },
		{ "slurm: {qos: -x}", "jobs/job_A.py:3:16: 'slurm.qos' must be a name without white "
		  "space, '=' or ',', got '-x'" },
		{ "slurm: {time: 2x}", "jobs/job_A.py:3:17: 'slurm.time' must be a time limit above "
		  "zero: minutes, '90m', '2h', '1-12:00:00' or 'UNLIMITED', got '2x'" },
		{ "slurm: {time: 0}", "jobs/job_A.py:3:17: 'slurm.time' must be a time limit above "
		  "zero: minutes, '90m', '2h', '1-12:00:00' or 'UNLIMITED', got '0'" },
		{ "slurm: {time: '1:2:3:4'}", "jobs/job_A.py:3:17: 'slurm.time' must be a time "
		  "limit above zero: minutes, '90m', '2h', '1-12:00:00' or 'UNLIMITED', got "
		  "'1:2:3:4'" },
		{ "slurm: {mem: 1.5G}", "jobs/job_A.py:3:16: 'slurm.mem' must be a memory size such "
		  "as '4G' or '512M', or megabytes, got '1.5G'" },
		{ "slurm: {mem: [1]}", "jobs/job_A.py:3:16: 'slurm.mem' must be a memory size such "
		  "as '4G' or '512M', or megabytes, got a list" },
		{ "slurm: {cpus_per_task: 0}", "jobs/job_A.py:3:26: 'slurm.cpus_per_task' must be an "
		  "integer >= 1, got '0'" },
		{ "slurm: {extra_args: --x}", "jobs/job_A.py:3:23: 'slurm.extra_args' must be a list "
		  "of sbatch options, got '--x'" },
		{ "slurm: {extra_args: [--gres, 'gpu:1']}", "jobs/job_A.py:3:32: 'slurm.extra_args' "
		  "item 'gpu:1' is not an sbatch option (write each option with its value as one "
		  "item, e.g. '--gres=gpu:1')" },
		{ "slurm: {extra_args: [--output=x.log]}", "jobs/job_A.py:3:24: 'slurm.extra_args' "
		  "item '--output=x.log' sets '--output', which stau sets itself or which stops "
		  "sbatch from submitting the job" },
		{ "slurm: {extra_args: [-pshort]}", "jobs/job_A.py:3:24: 'slurm.extra_args' item "
		  "'-pshort' sets '--partition': use 'slurm.partition' instead" },
		{ "slurm: {extra_args: [--ti=5]}", "jobs/job_A.py:3:24: 'slurm.extra_args' item "
		  "'--ti=5' sets '--time': use 'slurm.time' instead" },
		{ "slurm: {extra_args: [[a]]}", "jobs/job_A.py:3:24: 'slurm.extra_args' must be a "
		  "list of sbatch options, got a list" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_field_error(cases[i][0], cases[i][1]);
}

/* ---- schedule.yaml ------------------------------------------------------------------ */

static void test_schedule_example(void **state)
{
	(void)state;
	struct schedule s;
	good_schedule("# the example of README.md\n"
		      "settings:\n"
		      "  timezone: Europe/Copenhagen\n"
		      "  max_parallel: 4\n"
		      "  misfire_grace: 10m\n"
		      "  retention: 7d\n"
		      "  python: python3.11\n"
		      "  executor: slurm\n"
		      "  slurm: {partition: batch}\n"
		      "schedule:\n"
		      "  - id: say-hello\n"
		      "    name: Say hello\n"
		      "    job: job_hello_work\n"
		      "    cron: \"0 * * * *\"\n"
		      "    kwargs:\n"
		      "      final_message: Thanks for trying stau!\n"
		      "    work_ids: [5, 1, 3, 1, -2]\n"
		      "    timezone: UTC\n"
		      "    enabled: false\n"
		      "  - id: every_15.min\n"
		      "    job: job_B\n"
		      "    every: 15m\n"
		      "    start: 2026-01-01T00:00:00Z\n"
		      "  - id: '3'\n"
		      "    job: job_C\n"
		      "    cron: '0 * * * *'\n"
		      "    work_ids: []\n",
		      &s);
	assert_string_equal(s.settings.timezone, "Europe/Copenhagen");
	assert_int_equal(s.settings.max_parallel, 4);
	assert_int_equal(s.settings.misfire_grace, 600);
	assert_int_equal(s.settings.retention, 7 * 86400);
	assert_string_equal(s.settings.python, "python3.11");
	assert_int_equal(s.settings.executor, EXECUTOR_SLURM);
	assert_string_equal(s.settings.slurm.partition, "batch");
	assert_int_equal(s.nentries, 3);
	struct entry *e = &s.entries[0];
	assert_string_equal(e->id, "say-hello");
	assert_string_equal(e->name, "Say hello");
	assert_string_equal(e->job, "job_hello_work");
	assert_int_equal(e->job_loc.line, 13);
	assert_int_equal(e->job_loc.col, 10);
	assert_int_equal(e->loc.line, 11);
	assert_int_equal(e->loc.col, 5);
	assert_int_equal(e->trigger.kind, TRIGGER_CRON);
	assert_string_equal(tz_name(e->trigger.zone), "UTC");
	assert_string_equal(e->timezone, "UTC");
	assert_string_equal(e->trigger_text, "cron 0 * * * * UTC");
	assert_kv(&e->kwargs, "final_message", "\"Thanks for trying stau!\"");
	assert_true(e->has_work_ids);
	assert_int_equal(e->nwork_ids, 4);
	assert_int_equal(e->work_ids[0], -2);
	assert_int_equal(e->work_ids[1], 1);
	assert_int_equal(e->work_ids[2], 3);
	assert_int_equal(e->work_ids[3], 5);
	assert_false(e->enabled);
	e = &s.entries[1];
	assert_string_equal(e->id, "every_15.min");
	assert_null(e->name);
	assert_int_equal(e->trigger.kind, TRIGGER_EVERY);
	assert_int_equal(e->trigger.every, 900);
	assert_int_equal(e->trigger.start, 1767225600);
	assert_string_equal(e->trigger_text, "every 900 start 1767225600");
	assert_string_equal(e->timezone, "Europe/Copenhagen");
	assert_false(e->has_work_ids);
	assert_null(e->work_ids);
	assert_true(e->enabled);
	e = &s.entries[2];
	assert_string_equal(e->id, "3");
	assert_string_equal(e->trigger_text, "cron 0 * * * * Europe/Copenhagen");
	assert_string_equal(tz_name(e->trigger.zone), "Europe/Copenhagen");
	assert_true(e->has_work_ids);
	assert_int_equal(e->nwork_ids, 0);
	schedule_release(&s);
}

static void test_schedule_defaults_and_empty(void **state)
{
	(void)state;
	const char *texts[] = { "", "# only a comment\n\n# and another\n", "---\n", "settings:\n",
				"schedule: []\n", "schedule:\nsettings: {}\n" };
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct schedule s;
		good_schedule(texts[i], &s);
		assert_string_equal(s.settings.timezone, "UTC");
		assert_int_equal(s.settings.max_parallel, 0);
		assert_int_equal(s.settings.misfire_grace, 1800);
		assert_int_equal(s.settings.retention, 30 * 86400);
		assert_null(s.settings.python);
		assert_int_equal(s.settings.executor, EXECUTOR_DEFAULT);
		assert_int_equal(s.nentries, 0);
		schedule_release(&s);
	}
	struct schedule s;
	good_schedule("schedule:\n  - {id: a, job: j, every: 1h}\n", &s);
	assert_string_equal(s.entries[0].trigger_text, "every 3600 start 0");
	assert_string_equal(s.entries[0].timezone, "UTC");
	schedule_release(&s);
}

static void test_schedule_settings_zone_applies_everywhere(void **state)
{
	(void)state;
	struct schedule s;
	/* settings written after the entries still give them their zone */
	good_schedule("schedule:\n  - {id: a, job: j, cron: '30 6 * * *'}\n"
		      "  - {id: b, job: j, cron: '30 6 * * *', timezone: America/New_York}\n"
		      "settings: {timezone: Asia/Tokyo}\n", &s);
	assert_string_equal(s.entries[0].trigger_text, "cron 30 6 * * * Asia/Tokyo");
	assert_string_equal(s.entries[0].timezone, "Asia/Tokyo");
	assert_string_equal(s.entries[1].trigger_text, "cron 30 6 * * * America/New_York");
	schedule_release(&s);
}

/* The fingerprint text changes exactly when the meaning of the trigger does. */
static void test_schedule_trigger_text(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "cron: '*/15 9-17 * * MON-FRI'", "cron 0,15,30,45 9-17 * * 1-5 UTC" },
		{ "cron: '0,15,30,45   9-17 * * 1-5'", "cron 0,15,30,45 9-17 * * 1-5 UTC" },
		{ "cron: '@hourly'", "cron 0 * * * * UTC" },
		{ "cron: '0 */1 * * *'", "cron 0 * * * * UTC" },
		{ "cron: '0 0-23 * * *'", "cron 0 0-23 * * * UTC" },
		{ "cron: '0 */2 * * *'", "cron 0 */2 * * * UTC" },
		{ "cron: '0 0 */2 * *'", "cron 0 0 */2 * * UTC" },
		{ "cron: '0 0 1-31 * *'", "cron 0 0 1-31 * * UTC" },
		{ "cron: '0 0 1 * SUN,7'", "cron 0 0 1 * 0 UTC" },
		{ "cron: '5 4 * JAN-MAR,dec *'", "cron 5 4 * 1-3,12 * UTC" },
		{ "cron: '0-59 * * * *'", "cron * * * * * UTC" },
		{ "cron: '0 12 * * *'\n    timezone: Europe/Copenhagen",
		  "cron 0 12 * * * Europe/Copenhagen" },
		{ "every: 90m", "every 5400 start 0" },
		{ "every: 1h30m\n    start: '@60'", "every 5400 start 60" },
		{ "every: 1d\n    timezone: Asia/Tokyo", "every 86400 start 0" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = xasprintf("schedule:\n  - id: a\n    job: j\n    %s\n", cases[i][0]);
		struct schedule s;
		good_schedule(text, &s);
		assert_string_equal(s.entries[0].trigger_text, cases[i][1]);
		schedule_release(&s);
		free(text);
	}
}

static void test_schedule_bad(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "scheduel: []\n", "schedule.yaml:1:1: unknown key 'scheduel' (did you mean "
		  "'schedule'?)" },
		{ "setings: {}\n", "schedule.yaml:1:1: unknown key 'setings' (did you mean "
		  "'settings'?)" },
		{ "- a\n", "schedule.yaml:1:1: schedule.yaml must be a map with 'settings' and "
		  "'schedule', got a list" },
		{ "settings: [1]\n", "schedule.yaml:1:11: 'settings' must be a map of settings such "
		  "as 'timezone: UTC', got a list" },
		{ "settings:\n  timezone: Europe/Kopenhagen\n", "schedule.yaml:2:13: unknown time "
		  "zone 'Europe/Kopenhagen' (use a name from /usr/share/zoneinfo such as "
		  "'Europe/Copenhagen' or 'UTC')" },
		{ "settings:\n  max_parallel: 0\n", "schedule.yaml:2:17: 'max_parallel' must be an "
		  "integer >= 1, got '0'" },
		{ "settings:\n  misfire_grace: 30\n", "schedule.yaml:2:18: 'misfire_grace' must be "
		  "a duration such as '90s', '15m', '2h' or '1d', got '30' (add a unit: '30s' or "
		  "'30m')" },
		{ "settings:\n  retention: 0d\n", "schedule.yaml:2:14: 'retention' must be a "
		  "duration above zero such as '90s', '15m', '2h' or '1d', got '0d'" },
		{ "settings:\n  python: [a]\n", "schedule.yaml:2:11: 'python' must be a string, got "
		  "a list" },
		{ "settings:\n  executor: lokal\n", "schedule.yaml:2:13: 'executor' must be 'local' "
		  "or 'slurm', got 'lokal' (did you mean 'local'?)" },
		{ "settings:\n  timezon: UTC\n", "schedule.yaml:2:3: unknown key 'timezon' (did you "
		  "mean 'timezone'?)" },
		{ "schedule: {id: a}\n", "schedule.yaml:1:11: 'schedule' must be a list of entries, "
		  "got a map" },
		{ "schedule:\n  - hello\n", "schedule.yaml:2:5: 'schedule' must be a list of entries "
		  "with 'id', 'job' and 'cron' or 'every', got 'hello'" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 15m\n    cron: '* * * * *'\n",
		  "schedule.yaml:5:11: give one trigger: 'cron' or 'every', not both" },
		{ "schedule:\n  - id: a\n    job: j\n", "schedule.yaml:2:5: give one trigger: 'cron' "
		  "or 'every' (add 'cron: \"0 * * * *\"' or 'every: 15m')" },
		{ "schedule:\n  - job: j\n    every: 1h\n", "schedule.yaml:2:5: entry has no 'id'; "
		  "add a unique, stable one such as 'id: nightly-report'" },
		{ "schedule:\n  - id: a\n    every: 1h\n", "schedule.yaml:2:5: entry 'a' has no "
		  "'job'; add the job type to run, such as 'job: job_A'" },
		{ "schedule:\n  - id: my id\n    job: j\n    every: 1h\n", "schedule.yaml:2:9: 'id' "
		  "must be letters, digits, '_', '.' and '-', starting with a letter, digit or '_', "
		  "got 'my id'" },
		{ "schedule:\n  - id: -a\n    job: j\n    every: 1h\n", "schedule.yaml:2:9: 'id' "
		  "must be letters, digits, '_', '.' and '-', starting with a letter, digit or '_', "
		  "got '-a'" },
		{ "schedule:\n  - id: a\n    job: [j]\n    every: 1h\n", "schedule.yaml:3:10: 'job' "
		  "must be a job type, got a list" },
		{ "schedule:\n  - id: a\n    job: j\n    cron: \"0 0 32 * *\"\n", "schedule.yaml:4:11: "
		  "bad cron expression '0 0 32 * *': day of month: '32' is out of range 1-31" },
		{ "schedule:\n  - id: a\n    job: j\n    cron: 5\n", "schedule.yaml:4:11: "
		  "bad cron expression '5': expected 5 fields, got 1" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 15\n", "schedule.yaml:4:12: 'every' "
		  "must be a duration above zero such as '90s', '15m', '2h' or '1d', got '15' (add "
		  "a unit: '15s' or '15m')" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 0m\n", "schedule.yaml:4:12: 'every' "
		  "must be a duration above zero such as '90s', '15m', '2h' or '1d', got '0m'" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    start: tomorrow\n",
		  "schedule.yaml:5:12: 'start' must be a time such as '2026-01-01T00:00:00Z', got "
		  "'tomorrow'" },
		{ "schedule:\n  - id: a\n    job: j\n    cron: '0 * * * *'\n    start: "
		  "2026-01-01T00:00:00Z\n", "schedule.yaml:5:12: 'start' only applies to 'every' "
		  "(remove it, or use 'every' instead of 'cron')" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    timezone: Mars/Base\n",
		  "schedule.yaml:5:15: unknown time zone 'Mars/Base' (use a name from "
		  "/usr/share/zoneinfo such as 'Europe/Copenhagen' or 'UTC')" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    kwargs: [1]\n",
		  "schedule.yaml:5:13: 'kwargs' must be a map of names to values, got a list" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    work_ids: [1, x, 2.5]\n",
		  "schedule.yaml:5:19: 'work_ids' must be a list of integers such as [1, 2, 3], got "
		  "'x'\nschedule.yaml:5:22: 'work_ids' must be a list of integers such as [1, 2, 3], "
		  "got '2.5'" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    work_ids: 1-5\n",
		  "schedule.yaml:5:15: 'work_ids' must be a list of integers such as [1, 2, 3], got "
		  "'1-5'" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    enabled: maybe\n",
		  "schedule.yaml:5:14: 'enabled' must be true or false, got 'maybe'" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    kron: x\n",
		  "schedule.yaml:5:5: unknown key 'kron' (did you mean 'cron'?)" },
		{ "schedule:\n  - id: a\n    job: j\n    every: 1h\n    id: b\n",
		  "schedule.yaml:5:5: duplicate key 'id' (first at 2:5)" },
		{ "schedule:\n  - id: a\n    job: j\n    cron: */5 * * * *\n", "schedule.yaml:4:12: "
		  "bad YAML: did not find expected alphabetic or numeric character (while scanning "
		  "an alias at 4:11) (put quotes around a value that starts with '*', e.g. \"*/5 * "
		  "* * *\")" },
		{ "schedule:\n  - id: a\n    job: j\n    cron: @daily\n", "schedule.yaml:4:11: "
		  "bad YAML: found character that cannot start any token (while scanning for the "
		  "next token at 4:11) (put quotes around a value that starts with '@', '`' or '%')" },
		{ "schedule:\n\t- id: a\n", "schedule.yaml:2:1: bad YAML: found character that "
		  "cannot start any token (while scanning for the next token at 2:1) (indent with spaces, "
		  "not tabs)" },
		{ "a: 1\n---\nb: 2\n", "schedule.yaml:1:1: unknown key 'a'\n"
		  "schedule.yaml:3: a second YAML document; give one document only (remove the "
		  "'---' or '...' line before it)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_schedule(cases[i][0], -1, cases[i][1]);
}

static void test_schedule_duplicate_ids(void **state)
{
	(void)state;
	const char *text = "schedule:\n"
			   "  - id: one\n"
			   "    job: a\n"
			   "    cron: \"0 25 * * *\"\n"
			   "  - id: one\n"
			   "    job: ghost\n"
			   "    every: 15m\n"
			   "  - {id: two, job: b, every: 1h}\n"
			   "  - {id: one, job: c, every: 1h}\n";
	struct schedule s;
	struct diags d = DIAGS_INIT;
	assert_int_equal(config_parse_schedule("schedule.yaml", text, strlen(text), &s, &d), -1);
	char *all = all_diags(&d);
	assert_string_equal(all, "schedule.yaml:4:11: bad cron expression '0 25 * * *': hour: "
				 "'25' is out of range 0-23\n"
				 "schedule.yaml:5:9: duplicate id 'one' (first at 2:9) (ids must be "
				 "unique: state is kept per id)\n"
				 "schedule.yaml:9:10: duplicate id 'one' (first at 2:9) (ids must be "
				 "unique: state is kept per id)");
	/* every entry with an id stays; a bad one, or a later one with the same id, is disabled
	 * by its first problem, and the others keep their schedule */
	assert_int_equal(s.nentries, 4);
	assert_string_equal(s.entries[0].problem, "schedule.yaml:4:11: bad cron expression "
			    "'0 25 * * *': hour: '25' is out of range 0-23");
	assert_null(s.entries[0].trigger_text);
	assert_string_equal(s.entries[1].job, "ghost");
	assert_int_equal(s.entries[1].job_loc.line, 6);
	assert_int_equal(s.entries[1].job_loc.col, 10);
	assert_non_null(strstr(s.entries[1].problem, "duplicate id 'one'"));
	assert_string_equal(s.entries[2].id, "two");
	assert_null(s.entries[2].problem);
	assert_non_null(s.entries[2].trigger_text);
	assert_non_null(strstr(s.entries[3].problem, "schedule.yaml:9:10: duplicate id"));
	assert_false(s.not_yaml);
	assert_true(s.settings_ok);
	free(all);
	diags_release(&d);
	schedule_release(&s);
}

static void test_schedule_bad_settings_zone_keeps_entries(void **state)
{
	(void)state;
	const char *text = "settings:\n  timezone: Nowhere/City\nschedule:\n"
			   "  - {id: a, job: j, cron: '0 * * * *'}\n";
	struct schedule s;
	struct diags d = DIAGS_INIT;
	assert_int_equal(config_parse_schedule("schedule.yaml", text, strlen(text), &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_int_equal(s.nentries, 1);
	assert_string_equal(s.settings.timezone, "UTC");
	assert_string_equal(s.entries[0].timezone, "UTC");
	/* UTC stands in, but the entry would fire at other hours than meant: disabled */
	assert_string_equal(s.entries[0].problem, "settings.timezone is not a valid time zone, "
			    "and the entry gives none of its own");
	diags_release(&d);
	schedule_release(&s);
}

static void test_schedule_ten_mistakes(void **state)
{
	(void)state;
	assert_schedule("settings:\n"
			"  timezone: Europe/Kopenhagen\n"
			"  retention: forever\n"
			"  max_paralel: 2\n"
			"schedule:\n"
			"  - id: a\n"
			"    job: j\n"
			"    cron: \"61 * * * *\"\n"
			"  - id: a\n"
			"    job: j\n"
			"    every: 1h\n"
			"    cron: \"0 * * * *\"\n"
			"  - id: b\n"
			"    job: j\n"
			"  - id: c\n"
			"    job: j\n"
			"    every: often\n"
			"    enabled: perhaps\n"
			"    work_ids: [one]\n"
			"  - name: no id\n"
			"    job: j\n"
			"    every: 1h\n",
			-1,
			"schedule.yaml:2:13: unknown time zone 'Europe/Kopenhagen' (use a name from "
			"/usr/share/zoneinfo such as 'Europe/Copenhagen' or 'UTC')\n"
			"schedule.yaml:3:14: 'retention' must be a duration above zero such as '90s', "
			"'15m', '2h' or '1d', got 'forever'\n"
			"schedule.yaml:4:3: unknown key 'max_paralel' (did you mean 'max_parallel'?)\n"
			"schedule.yaml:8:11: bad cron expression '61 * * * *': minute: '61' is out of "
			"range 0-59\n"
			"schedule.yaml:9:9: duplicate id 'a' (first at 6:9) (ids must be unique: state "
			"is kept per id)\n"
			"schedule.yaml:12:11: give one trigger: 'cron' or 'every', not both\n"
			"schedule.yaml:13:5: give one trigger: 'cron' or 'every' (add 'cron: \"0 * * * "
			"*\"' or 'every: 15m')\n"
			"schedule.yaml:17:12: 'every' must be a duration above zero such as '90s', "
			"'15m', '2h' or '1d', got 'often'\n"
			"schedule.yaml:18:14: 'enabled' must be true or false, got 'perhaps'\n"
			"schedule.yaml:19:16: 'work_ids' must be a list of integers such as [1, 2, 3], "
			"got 'one'\n"
			"schedule.yaml:20:5: entry has no 'id'; add a unique, stable one such as "
			"'id: nightly-report'");
}

static void test_schedule_crlf(void **state)
{
	(void)state;
	struct schedule s;
	good_schedule("schedule:\r\n  - id: a\r\n    job: j\r\n    every: 5m\r\n", &s);
	assert_int_equal(s.nentries, 1);
	assert_int_equal(s.entries[0].job_loc.line, 3);
	schedule_release(&s);
}

/* ---- log_limit, in a header and in the settings ------------------------------------ */

static void test_log_limit(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# ---\n", &job);
	assert_int_equal(job.log_limit, 0); /* the settings' */
	job_release(&job);
	good_job("# ---\n# log_limit: 1M\n# ---\n", &job);
	assert_int_equal(job.log_limit, 1048576);
	job_release(&job);
	good_job("# ---\n# log_limit: 4096\n# ---\n", &job);
	assert_int_equal(job.log_limit, 4096);
	job_release(&job);
	struct schedule s;
	good_schedule("", &s);
	assert_int_equal(s.settings.log_limit, 100 * 1048576LL);
	schedule_release(&s);
	good_schedule("settings:\n  log_limit: 500 KiB\n", &s);
	assert_int_equal(s.settings.log_limit, 500 * 1024);
	schedule_release(&s);
	const char *want = "must be a size of at least 1K such as '500K', '100M' or '1G' (K, M "
			   "and G are powers of 1024), got";
	char *diag = xasprintf("jobs/job_A.py:3:14: 'log_limit' %s '1.5M'", want);
	assert_field_error("log_limit: 1.5M", diag);
	free(diag);
	diag = xasprintf("jobs/job_A.py:3:14: 'log_limit' %s '100' (a log needs room for its "
			 "beginning, its end and the line that says what was cut)", want);
	assert_field_error("log_limit: 100", diag);
	free(diag);
	diag = xasprintf("jobs/job_A.py:3:13: 'log_limit' %s nothing", want);
	assert_field_error("log_limit:", diag);
	free(diag);
	diag = xasprintf("schedule.yaml:2:14: 'log_limit' %s 'lots'", want);
	assert_schedule("settings:\n  log_limit: lots\n", -1, diag);
	free(diag);
	diag = xasprintf("schedule.yaml:2:14: 'log_limit' %s a list", want);
	assert_schedule("settings:\n  log_limit: [1M]\n", -1, diag);
	free(diag);
	assert_job("# ---\n# log_limt: 1M\n# ---\n", -1, "jobs/job_A.py:2:3: unknown key "
		   "'log_limt' (did you mean 'log_limit'?)");
}

/* ---- python_fork: not given (the settings decide), true or false -------------------- */

static void test_python_fork(void **state)
{
	(void)state;
	struct job job;
	good_job("# ---\n# main_func: main\n# ---\n", &job);
	assert_int_equal(job.python_fork, 0);
	job_release(&job);
	good_job("# ---\n# main_func: main\n# python_fork: false\n# ---\n", &job);
	assert_int_equal(job.python_fork, -1);
	job_release(&job);
	good_job("# ---\n# python_fork: yes\n# ---\n", &job);
	assert_int_equal(job.python_fork, 1);
	job_release(&job);
	struct schedule s;
	good_schedule("", &s);
	assert_true(s.settings.python_fork);
	schedule_release(&s);
	good_schedule("settings:\n  python_fork: false\n", &s);
	assert_false(s.settings.python_fork);
	schedule_release(&s);
	assert_field_error("python_fork: sometimes",
			   "jobs/job_A.py:3:16: 'python_fork' must be true or false, got "
			   "'sometimes'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_every_field),
		cmocka_unit_test(test_job_defaults),
		cmocka_unit_test(test_job_file_stem),
		cmocka_unit_test(test_job_select_work_sqlite),
		cmocka_unit_test(test_job_select_work_python_and_command_maps),
		cmocka_unit_test(test_job_max_lag_forms),
		cmocka_unit_test(test_job_no_header),
		cmocka_unit_test(test_job_bad_fields),
		cmocka_unit_test(test_job_good_edge_values),
		cmocka_unit_test(test_job_header_not_a_map),
		cmocka_unit_test(test_job_duplicate_key),
		cmocka_unit_test(test_job_yaml_syntax),
		cmocka_unit_test(test_odd_line_breaks),
		cmocka_unit_test(test_job_ten_mistakes),
		cmocka_unit_test(test_job_header_errors_pass_through),
		cmocka_unit_test(test_job_partial_keeps_what_validated),
		cmocka_unit_test(test_kwargs_json_values),
		cmocka_unit_test(test_kv_functions),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_alias_bombs),
		cmocka_unit_test(test_schedule_example),
		cmocka_unit_test(test_schedule_defaults_and_empty),
		cmocka_unit_test(test_schedule_settings_zone_applies_everywhere),
		cmocka_unit_test(test_schedule_trigger_text),
		cmocka_unit_test(test_slurm_options),
		cmocka_unit_test(test_slurm_options_bad),
		cmocka_unit_test(test_schedule_bad),
		cmocka_unit_test(test_schedule_duplicate_ids),
		cmocka_unit_test(test_schedule_bad_settings_zone_keeps_entries),
		cmocka_unit_test(test_schedule_ten_mistakes),
		cmocka_unit_test(test_schedule_crlf),
		cmocka_unit_test(test_yaml_tags_are_errors),
		cmocka_unit_test(test_log_limit),
		cmocka_unit_test(test_python_fork),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_zones);
}
