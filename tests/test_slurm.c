/* test_slurm.c - the sbatch command line, the wrapper script (run here with /bin/sh, as a
 * batch job would run it), and the readers of sbatch's, squeue's and the wrapper's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "slurm.h"
#include "util.h"

static char err[256];

/* ---- values of the slurm: map ------------------------------------------------------- */

static int64_t secs_of(const char *s)
{
	int64_t v = -2;
	return slurm_time_parse(s, &v) ? -99 : v;
}

static void test_time_parse(void **state)
{
	(void)state;
	/* Slurm's forms, as sbatch reads them */
	assert_int_equal(secs_of("30"), 30 * 60);
	assert_int_equal(secs_of("1:30"), 90);
	assert_int_equal(secs_of("0:05"), 5);
	assert_int_equal(secs_of("2:00:00"), 7200);
	assert_int_equal(secs_of("90:00"), 5400);
	assert_int_equal(secs_of("2-0"), 2 * 86400);
	assert_int_equal(secs_of("1-12"), 36 * 3600);
	assert_int_equal(secs_of("1-2:03"), 86400 + 2 * 3600 + 180);
	assert_int_equal(secs_of("1-2:03:04"), 86400 + 2 * 3600 + 184);
	assert_int_equal(secs_of("UNLIMITED"), SLURM_TIME_UNLIMITED);
	assert_int_equal(secs_of("infinite"), SLURM_TIME_UNLIMITED);
	/* stau's */
	assert_int_equal(secs_of("90s"), 90);
	assert_int_equal(secs_of("2h"), 7200);
	assert_int_equal(secs_of("1d12h"), 36 * 3600);
	/* neither */
	static const char *const bad[] = {
		"", "0", "0:00", "0s", "-5", "1-", "-1", "1-2-3", "1:2:3:4", "1::2", ":5", "5:",
		"1.5", "1h 30m", "2x", " 5", "5 ", "1234567890", "999999999-0", "1-2:3:4:5", "h",
		"UNLIMITEDX", "+5",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (secs_of(bad[i]) != -99)
			fail_msg("'%s' was taken as %lld s", bad[i], (long long)secs_of(bad[i]));
}

static const char *time_text(int64_t secs)
{
	static char buf[48];
	slurm_time_format(secs, buf, sizeof(buf));
	return buf;
}

static void test_time_format(void **state)
{
	(void)state;
	assert_string_equal(time_text(1), "00:01:00");
	assert_string_equal(time_text(60), "00:01:00");
	assert_string_equal(time_text(90), "00:02:00");
	assert_string_equal(time_text(7200), "02:00:00");
	assert_string_equal(time_text(86399), "1-00:00:00");
	assert_string_equal(time_text(36 * 3600 + 61), "1-12:02:00");
	assert_string_equal(time_text(SLURM_TIME_UNLIMITED), "UNLIMITED");
	/* what is written reads back as the same number of whole minutes */
	int64_t v;
	assert_int_equal(slurm_time_parse(time_text(3 * 86400 + 5), &v), 0);
	assert_int_equal(v, 3 * 86400 + 60);
}

static void test_mem_and_names(void **state)
{
	(void)state;
	static const char *const mem_good[] = { "0", "4096", "4G", "4g", "512M", "512MB",
						"1T", "100k", "2gb" };
	static const char *const mem_bad[] = { "", "G", "1.5G", "4 G", "4GiB", "4X", "-1",
					       "4GBB", "1234567890123456" };
	for (size_t i = 0; i < ARRAY_SIZE(mem_good); i++)
		assert_true(slurm_mem_ok(mem_good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(mem_bad); i++)
		if (slurm_mem_ok(mem_bad[i]))
			fail_msg("mem '%s' was accepted", mem_bad[i]);
	assert_true(slurm_name_ok("short", false));
	assert_true(slurm_name_ok("gpu_a100.x-1", false));
	assert_true(slurm_name_ok("short,long", true));
	assert_false(slurm_name_ok("short,long", false));
	assert_false(slurm_name_ok("", true));
	assert_false(slurm_name_ok("-p", true));
	assert_false(slurm_name_ok("a b", true));
	assert_false(slurm_name_ok("a\tb", true));
	assert_false(slurm_name_ok("a=b", true));
	assert_false(slurm_name_ok(",a", true));
	assert_false(slurm_name_ok("a,", true));
	assert_false(slurm_name_ok("a,,b", true));
	assert_false(slurm_name_ok("a\x7f", true));
}

/* The problem slurm_extra_arg_problem finds in arg, or "" for none. */
static const char *problem(const char *arg)
{
	static char buf[256];
	const char *hint;
	char *p = slurm_extra_arg_problem(arg, &hint);
	snprintf(buf, sizeof(buf), "%s%s%s", p ? p : "", hint ? " / " : "", hint ? hint : "");
	free(p);
	return buf;
}

static void test_extra_args(void **state)
{
	(void)state;
	static const char *const good[] = { "--gres=gpu:1", "-Cgpu", "--requeue", "--no-requeue",
					    "--mem-per-cpu=2G", "--time-min=10", "-N1",
					    "--constraint=a&b", "--comment=x y" };
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_string_equal(problem(good[i]), "");
	assert_string_equal(problem("gpu:1"), "is not an sbatch option / write each option with "
					      "its value as one item, e.g. '--gres=gpu:1'");
	assert_string_equal(problem("-"), problem("gpu:1"));
	assert_string_equal(problem("--"), problem("gpu:1"));
	assert_string_equal(problem(""), problem("gpu:1"));
	assert_string_equal(problem("--output=x"), "sets '--output', which stau sets itself or "
						   "which stops sbatch from submitting the job");
	assert_string_equal(problem("-ox"), problem("--output=x"));
	assert_string_equal(problem("--out"), problem("--output=x")); /* an abbreviation */
	assert_string_equal(problem("-J"), "sets '--job-name', which stau sets itself or which "
					   "stops sbatch from submitting the job");
	assert_string_equal(problem("--wait"), "sets '--wait', which stau sets itself or which "
					       "stops sbatch from submitting the job");
	assert_string_equal(problem("--help"), "sets '--help', which stau sets itself or which "
					       "stops sbatch from submitting the job");
	assert_string_equal(problem("--export=NONE"), "sets '--export', which stau sets itself "
						      "or which stops sbatch from submitting the "
						      "job");
	assert_string_equal(problem("-p"), "sets '--partition': use 'slurm.partition' instead");
	assert_string_equal(problem("--mem=4G"), "sets '--mem': use 'slurm.mem' instead");
	assert_string_equal(problem("-c4"), "sets '--cpus-per-task': use 'slurm.cpus_per_task' "
					    "instead");
	assert_string_equal(problem("--qos=x"), "sets '--qos': use 'slurm.qos' instead");
	assert_string_equal(problem("-A"), "sets '--account': use 'slurm.account' instead");
}

static void test_overlay(void **state)
{
	(void)state;
	char *base_args[] = { "--requeue", NULL };
	char *job_args[] = { NULL };
	struct slurm_opts settings = { .partition = "batch", .time = 3600, .mem = "1G",
				       .extra_args = base_args, .loc = { 5, 3 } };
	struct slurm_opts job = { .partition = "short", .cpus_per_task = 4, .qos = "high",
				  .loc = { 2, 10 } };
	struct slurm_opts o = { 0 };
	slurm_opts_overlay(&o, &settings);
	slurm_opts_overlay(&o, &job);
	assert_string_equal(o.partition, "short");
	assert_int_equal(o.time, 3600);
	assert_string_equal(o.mem, "1G");
	assert_int_equal(o.cpus_per_task, 4);
	assert_null(o.account);
	assert_string_equal(o.qos, "high");
	assert_string_equal(o.extra_args[0], "--requeue");
	assert_null(o.extra_args[1]);
	assert_int_equal(o.loc.line, 2);
	/* an empty list replaces the default one */
	struct slurm_opts clear = { .extra_args = job_args };
	slurm_opts_overlay(&o, &clear);
	assert_non_null(o.extra_args);
	assert_null(o.extra_args[0]);
	assert_int_equal(o.loc.line, 2);
	slurm_opts_release(&o);
	assert_null(o.partition);
}

/* ---- the sbatch command line -------------------------------------------------------- */

/* argv joined with '|' */
static char *joined(const struct strvec *sv)
{
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < sv->n; i++)
		sb_addf(&sb, "%s%s", i ? "|" : "", sv->v[i]);
	return sb_detach(&sb);
}

static void test_sbatch_argv(void **state)
{
	(void)state;
	char *argv[] = { "jobs/job A.py", "", "a,b", "$HOME", NULL };
	char *extra[] = { "--gres=gpu:1", "-Cgpu", NULL };
	struct slurm_opts o = { .partition = "short", .time = 5400, .mem = "4G",
				.cpus_per_task = 2, .account = "acct", .qos = "high",
				.extra_args = extra };
	struct slurm_submit s = {
		.sbatch = "sbatch", .run_id = 12, .chunk_id = 345, .attempt = 2,
		.dir = "/srv/proj", .log_path = ".stau/logs/job A/12-345-2.log",
		.wrapper = ".stau/slurm/wrap.sh", .status_path = ".stau/logs/job A/12-345-2.status",
		.argv = argv, .opts = &o,
	};
	struct strvec sv = { 0 };
	slurm_sbatch_argv(&s, &sv);
	char *j = joined(&sv);
	assert_string_equal(j, "sbatch|--gres=gpu:1|-Cgpu|--partition=short|--time=01:30:00|"
			       "--mem=4G|--cpus-per-task=2|--account=acct|--qos=high|"
			       "--job-name=stau-12-345-2|--output=.stau/logs/job A/12-345-2.log|"
			       "--open-mode=append|--chdir=/srv/proj|--export=ALL|--parsable|"
			       ".stau/slurm/wrap.sh|.stau/logs/job A/12-345-2.status|"
			       "jobs/job A.py||a,b|$HOME");
	assert_null(sv.v[sv.n]);
	free(j);
	strvec_release(&sv);
	/* no options at all */
	s.opts = NULL;
	s.sbatch = "/opt/slurm/bin/sbatch";
	char *one[] = { "python3", NULL };
	s.argv = one;
	slurm_sbatch_argv(&s, &sv);
	j = joined(&sv);
	assert_string_equal(j, "/opt/slurm/bin/sbatch|--job-name=stau-12-345-2|"
			       "--output=.stau/logs/job A/12-345-2.log|--open-mode=append|"
			       "--chdir=/srv/proj|--export=ALL|--parsable|.stau/slurm/wrap.sh|"
			       ".stau/logs/job A/12-345-2.status|python3");
	free(j);
	strvec_release(&sv);
	/* an unlimited time */
	struct slurm_opts u = { .time = SLURM_TIME_UNLIMITED };
	s.opts = &u;
	slurm_sbatch_argv(&s, &sv);
	assert_string_equal(sv.v[1], "--time=UNLIMITED");
	strvec_release(&sv);
}

static void test_status_path(void **state)
{
	(void)state;
	char *p = slurm_status_path(".stau/logs/a/1-2-1.log");
	assert_string_equal(p, ".stau/logs/a/1-2-1.status");
	free(p);
	p = slurm_status_path("out.txt");
	assert_string_equal(p, "out.txt.status");
	free(p);
	p = slurm_status_path(".log");
	assert_string_equal(p, ".log.status");
	free(p);
}

static void test_squeue_argv(void **state)
{
	(void)state;
	struct strvec sv = { 0 };
	int64_t one = 42, many[] = { 7, 8, 4294967295LL };
	slurm_squeue_argv("squeue", &one, 1, &sv);
	char *j = joined(&sv);
	assert_string_equal(j, "squeue|-h|-t|all|-o|%i %T|-j|42,42");
	free(j);
	strvec_release(&sv);
	slurm_squeue_argv("squeue", many, 3, &sv);
	assert_string_equal(sv.v[7], "7,8,4294967295");
	strvec_release(&sv);
}

/* ---- reading sbatch and squeue ------------------------------------------------------ */

static int64_t sbatch_id(const char *out)
{
	int64_t id = -1;
	err[0] = '\0';
	return slurm_parse_sbatch(out, strlen(out), &id, err, sizeof(err)) ? -1 : id;
}

static void test_parse_sbatch(void **state)
{
	(void)state;
	assert_int_equal(sbatch_id("123\n"), 123);
	assert_int_equal(sbatch_id("123"), 123);
	assert_int_equal(sbatch_id("7;cluster-a\n"), 7);
	assert_int_equal(sbatch_id("4294967295\n"), 4294967295LL);
	static const char *const bad[] = { "", "\n", "abc\n", "0\n", "4294967296\n", "12\n\n",
					   "12;\n", "12 \n", " 12\n", "-3\n", "12;a\nb\n", "1e3",
					   "12\r\n" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (sbatch_id(bad[i]) != -1)
			fail_msg("sbatch output '%s' was read as a job id", bad[i]);
	sbatch_id("");
	assert_string_equal(err, "sbatch printed no job id");
	sbatch_id("Submitted batch job 5\n");
	assert_string_equal(err, "sbatch printed 'Submitted batch job 5?' where a job id was "
				 "expected");
	sbatch_id("\x01\xff" "0123456789012345678901234567890123456789012345");
	assert_string_equal(err, "sbatch printed '??01234567890123456789012345678901234567"
				 "...' where a job id was expected");
}

static void test_parse_squeue(void **state)
{
	(void)state;
	static const char out[] = "41 PENDING\n42 RUNNING\n43 COMPLETING\n44 COMPLETED\n"
				  "45 TIMEOUT\n46 CANCELLED\n47 REQUEUE_HOLD\n48 NEW_STATE_X\n"
				  "49 NODE_FAIL";
	struct slurm_queue q = { 0 };
	assert_int_equal(slurm_parse_squeue(out, strlen(out), &q, err, sizeof(err)), 0);
	assert_int_equal(q.n, 9);
	static const enum slurm_phase want[] = { SLURM_PENDING, SLURM_RUNNING, SLURM_RUNNING,
						 SLURM_ENDED,	SLURM_ENDED,   SLURM_ENDED,
						 SLURM_PENDING, SLURM_RUNNING, SLURM_ENDED };
	for (size_t i = 0; i < q.n; i++) {
		assert_int_equal(q.v[i].id, 41 + (int64_t)i);
		assert_int_equal(q.v[i].phase, want[i]);
	}
	assert_string_equal(q.v[4].state, "TIMEOUT");
	assert_ptr_equal(slurm_queue_find(&q, 45), &q.v[4]);
	assert_null(slurm_queue_find(&q, 50));
	slurm_queue_release(&q);
	/* the text need not end with a NUL: a buffer of exactly its bytes */
	char *exact = xmalloc(4);
	memcpy(exact, "1 RU", 4);
	assert_int_equal(slurm_parse_squeue(exact, 4, &q, err, sizeof(err)), 0);
	assert_string_equal(q.v[0].state, "RU");
	assert_int_equal(q.v[0].phase, SLURM_RUNNING);
	free(exact);
	slurm_queue_release(&q);
	/* nothing known: no lines */
	assert_int_equal(slurm_parse_squeue("", 0, &q, err, sizeof(err)), 0);
	assert_int_equal(q.n, 0);
	/* anything else is an error naming the line, and keeps the lines before it */
	static const char *const bad[][2] = {
		{ "1 RUNNING\n2 running\n", "squeue output line 2: '2 running' is not 'JOBID STATE'" },
		{ "\n", "squeue output line 1: '' is not 'JOBID STATE'" },
		{ "1 RUNNING\n\n", "squeue output line 2: '' is not 'JOBID STATE'" },
		{ "12_3 RUNNING", "squeue output line 1: '12_3 RUNNING' is not 'JOBID STATE'" },
		{ "1  RUNNING", "squeue output line 1: '1  RUNNING' is not 'JOBID STATE'" },
		{ "1 RUNNING extra", "squeue output line 1: '1 RUNNING extra' is not 'JOBID STATE'" },
		{ "1 ", "squeue output line 1: '1 ' is not 'JOBID STATE'" },
		{ "1", "squeue output line 1: '1' is not 'JOBID STATE'" },
		{ "0 RUNNING", "squeue output line 1: '0 RUNNING' is not 'JOBID STATE'" },
		{ "1 RUNNING\r\n", "squeue output line 1: '1 RUNNING?' is not 'JOBID STATE'" },
		{ "1 ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF",
		  "squeue output line 1: '1 ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF' is not 'JOBID STATE'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(slurm_parse_squeue(bad[i][0], strlen(bad[i][0]), &q, err,
						    sizeof(err)), -1);
		assert_string_equal(err, bad[i][1]);
		slurm_queue_release(&q);
	}
	assert_int_equal(slurm_parse_squeue("5 RUNNING\nx\n", 12, &q, err, sizeof(err)), -1);
	assert_int_equal(q.n, 1);
	slurm_queue_release(&q);
}

/* ---- status files ------------------------------------------------------------------- */

static int status_of(const char *text, struct slurm_status *st)
{
	err[0] = '\0';
	return slurm_parse_status(text, strlen(text), st, err, sizeof(err));
}

static void test_parse_status(void **state)
{
	(void)state;
	struct slurm_status st;
	assert_int_equal(status_of("stau-slurm-status 1\nexit 3\njob 77\nrestarts 1\n"
				   "start 1700000000\nend 1700000009\n", &st), 0);
	assert_int_equal(st.exit, 3);
	assert_int_equal(st.job_id, 77);
	assert_int_equal(st.restarts, 1);
	assert_int_equal(st.start, 1700000000);
	assert_int_equal(st.end, 1700000009);
	/* only exit is needed; empty values (no date, no SLURM_JOB_ID) and new keys are fine */
	assert_int_equal(status_of("stau-slurm-status 1\njob \nstart \nhost n01\nexit 137\n", &st),
			 0);
	assert_int_equal(st.exit, 137);
	assert_int_equal(st.job_id, 0);
	assert_int_equal(st.start, 0);
	static const char *const bad[][2] = {
		{ "", "not a status file of this version of stau: it starts with ''" },
		{ "stau-slurm-status 2\nexit 0\n", "not a status file of this version of stau: it "
		  "starts with 'stau-slurm-status 2?exit'" },
		{ "stau-slurm-status 1", "not a status file of this version of stau: it starts with "
		  "'stau-slurm-status 1'" },
		{ "stau-slurm-status 1\n", "it has no 'exit' line" },
		{ "stau-slurm-status 1\nexit 0", "line 2 is cut short: 'exit 0'" },
		{ "stau-slurm-status 1\nexit 0\nend 17", "line 3 is cut short: 'end 17'" },
		{ "stau-slurm-status 1\nexit \n", "line 2: 'exit ' is not 'KEY VALUE' with a number" },
		{ "stau-slurm-status 1\nexit 256\n", "line 2: 'exit 256' is not 'KEY VALUE' with a "
		  "number" },
		{ "stau-slurm-status 1\nexit -1\n", "line 2: 'exit -1' is not 'KEY VALUE' with a "
		  "number" },
		{ "stau-slurm-status 1\nexit 0\njob x\n", "line 3: 'job x' is not 'KEY VALUE' with a "
		  "number" },
		{ "stau-slurm-status 1\nexit 0\nstart 1234567890123456789\n", "line 3: 'start "
		  "1234567890123456789' is not 'KEY VALUE' with a number" },
		{ "stau-slurm-status 1\n\nexit 0\n", "line 2: '' is not 'KEY VALUE' with a number" },
		{ "stau-slurm-status 1\nexit0\n", "line 2: 'exit0' is not 'KEY VALUE' with a number" },
		{ "stau-slurm-status 1\n exit 0\n", "line 2: ' exit 0' is not 'KEY VALUE' with a "
		  "number" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(status_of(bad[i][0], &st), -1);
		assert_string_equal(err, bad[i][1]);
	}
}

/* ---- the wrapper, run by /bin/sh ---------------------------------------------------- */

static char dir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stau-test-slurm.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char *path = xasprintf("%s/wrap.sh", dir);
	const char *w = slurm_wrapper_text();
	int rc = write_file_atomic(path, w, strlen(w), 0755);
	free(path);
	path = xasprintf("%s/prog", dir);
	static const char prog[] =
		"#!/bin/sh\n"
		"for a in \"$@\"; do printf '[%s]' \"$a\"; done\n"
		"printf '\\n_stau_rc=%s start=%s\\n' \"${_stau_rc-unset}\" \"${start-unset}\"\n"
		"[ -n \"${KILL_ME:-}\" ] && kill -9 $$\n"
		"exit \"${EXIT:-0}\"\n";
	rc |= write_file_atomic(path, prog, strlen(prog), 0755);
	free(path);
	return rc;
}

static int remove_dir(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Runs `sh wrap.sh status ARGS` in dir (env and args are shell text written by the tests
 * below, never by users); returns the wrapper's exit status and reads the status file. */
static int run_wrapper(const char *env, const char *args, struct slurm_status *st, char **out)
{
	char *cmd = xasprintf("cd '%s' && rm -f status out && env %s SLURM_JOB_ID=99 /bin/sh ./wrap.sh "
			      "status %s >out 2>&1", dir, env, args);
	int rc = system(cmd);
	free(cmd);
	char *path = xasprintf("%s/out", dir);
	*out = read_file(path, NULL);
	free(path);
	path = xasprintf("%s/status", dir);
	size_t len;
	char *text = read_file(path, &len);
	free(path);
	memset(st, 0xff, sizeof(*st));
	if (text && slurm_parse_status(text, len, st, err, sizeof(err)))
		fail_msg("status file: %s", err);
	if (!text)
		st->exit = -1;
	free(text);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_wrapper_runs_argv_as_given(void **state)
{
	(void)state;
	struct slurm_status st;
	char *out;
	/* arguments pass through untouched; the wrapper's variables do not leak into or take
	 * over the program's environment */
	assert_int_equal(run_wrapper("start=mine", "./prog 'a b' '' '$HOME' 'x,y' '*'", &st, &out),
			 0);
	assert_string_equal(out, "[a b][][$HOME][x,y][*]\n_stau_rc=unset start=mine\n");
	assert_int_equal(st.exit, 0);
	assert_int_equal(st.job_id, 99);
	assert_int_equal(st.restarts, 0);
	assert_true(st.start > 1600000000 && st.end >= st.start);
	free(out);
	struct stat sb;
	char *path = xasprintf("%s/status", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(path);
	/* the exit status reaches both the status file and Slurm */
	assert_int_equal(run_wrapper("EXIT=3", "./prog", &st, &out), 3);
	assert_int_equal(st.exit, 3);
	free(out);
	/* a program killed by a signal: the shell's 128 + N */
	assert_int_equal(run_wrapper("KILL_ME=1", "./prog", &st, &out), 137);
	assert_int_equal(st.exit, 137);
	free(out);
	/* the status file replaced, not left behind half-written: no temporary file remains */
	char *cmd = xasprintf("test -z \"$(ls '%s' | grep tmp)\"", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_wrapper_finds_programs_in_path(void **state)
{
	(void)state;
	struct slurm_status st;
	char *out;
	/* 'echo' is looked up in PATH, so the program runs, not the shell's built-in */
	assert_int_equal(run_wrapper("PATH=/usr/bin:/bin", "echo --version", &st, &out), 0);
	assert_non_null(strstr(out, "GNU coreutils"));
	assert_int_equal(st.exit, 0);
	free(out);
	/* a PATH with an empty entry means the current directory */
	assert_int_equal(run_wrapper("PATH=/nonexistent::/bin", "prog x", &st, &out), 0);
	assert_string_equal(out, "[x]\n_stau_rc=unset start=unset\n");
	free(out);
	assert_int_equal(run_wrapper("", "no-such-program-here x", &st, &out), 127);
	assert_string_equal(out, "wrap.sh: no-such-program-here: command not found\n");
	assert_int_equal(st.exit, 127);
	free(out);
	assert_int_equal(run_wrapper("", "./missing", &st, &out), 127);
	assert_int_equal(st.exit, 127);
	free(out);
	/* a built-in name that is no program runs nothing */
	assert_int_equal(run_wrapper("PATH=/nonexistent", "eval 'echo hi'", &st, &out), 127);
	assert_string_equal(out, "wrap.sh: eval: command not found\n");
	assert_int_equal(st.exit, 127); /* the wrapper's own tools do not depend on PATH */
	assert_true(st.start > 0);
	free(out);
	/* called wrongly: a usage message, no status */
	char *cmd = xasprintf("cd '%s' && rm -f status && sh ./wrap.sh status >/dev/null 2>&1; "
			      "test $? -eq 2 && test ! -e status", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_mem_and_names),
		cmocka_unit_test(test_extra_args),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_sbatch_argv),
		cmocka_unit_test(test_status_path),
		cmocka_unit_test(test_squeue_argv),
		cmocka_unit_test(test_parse_sbatch),
		cmocka_unit_test(test_parse_squeue),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_wrapper_runs_argv_as_given),
		cmocka_unit_test(test_wrapper_finds_programs_in_path),
	};
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
