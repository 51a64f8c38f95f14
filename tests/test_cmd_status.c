/* test_cmd_status.c - stau status, show and logs over a database filled through state.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "plan.h"
#include "project.h"
#include "state.h"
#include "timeutil.h"
#include "util.h"

#define T0 1767261600LL	    /* 2026-01-01T10:00:00Z: run 1, manual */
#define FIRE 1767319200LL   /* 2026-01-02T02:00:00Z: run 2, entry 'nightly' (03:00 CET) */
#define MISSED 1767232800LL /* 2026-01-01T02:00:00Z: a fire time recorded as missed */
#define NOW "2026-01-02T03:00:00Z"

static char dir[64];
static char *out, *err; /* what the last command printed */

static void write_text(const char *rel, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	free(path);
}

static char *slurp(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	lseek(fd, 0, SEEK_SET);
	sb_adds(&sb, "");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	return sb_detach(&sb);
}

/* What stau.c's command table sets up for status and show (logs needs less). */
#define VIEW_NEEDS (NEED_CONFIG | NEED_STATE_GENTLY)

/* Runs cmd with ctx, set up as stau.c does, and the words of args (separated by single
 * spaces), capturing stdout and stderr into out and err. Returns the exit code. */
static int run_ctx(struct ctx *ctx, int (*cmd)(struct ctx *, int, char **), const char *args)
{
	char *copy = xstrdup(args);
	char *argv[16];
	int argc = 0;
	for (char *w = strtok(copy, " "); w && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	free(out);
	free(err);
	FILE *fo = tmpfile(), *fe = tmpfile();
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int rc = ctx_setup(ctx, VIEW_NEEDS, dir);
	optind = 0; /* as stau.c does before a command */
	opterr = 0;
	if (rc == EXIT_OK)
		rc = cmd(ctx, argc, argv);
	ctx_release(ctx);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	out = slurp(fileno(fo));
	err = slurp(fileno(fe));
	fclose(fo);
	fclose(fe);
	free(copy);
	return rc;
}

static int run(int (*cmd)(struct ctx *, int, char **), const char *args)
{
	struct ctx ctx = { .tty = false };
	return run_ctx(&ctx, cmd, args);
}

static void make_project(void)
{
	strcpy(dir, "/tmp/stau-view.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char *jobs = xasprintf("%s/jobs", dir);
	mkdir(jobs, 0755);
	free(jobs);
	write_text("schedule.yaml",
		   "settings:\n  timezone: Europe/Copenhagen\n"
		   "schedule:\n  - id: nightly\n    job: job_A\n    cron: \"0 3 * * *\"\n",
		   0644);
	write_text("jobs/job_A.sh",
		   "#!/bin/sh\n# ---\n# description: the report\n# chunk_size: 3\n"
		   "# dependencies:\n#   - job_type: job_B\n# ---\n", 0755);
	write_text("jobs/job_B.sh", "#!/bin/sh\n# ---\n# chunk_size: 2\n# ---\n", 0755);
}

/* Runs every ready chunk of run id in order; the nth claimed (from 1) fails when it is
 * `failing`. Each attempt takes 1.5 s and finishes one second after it starts. */
static void execute(struct state *st, int64_t id, int64_t t, int failing)
{
	struct state_claim req = { .run = id };
	assert_int_equal(proc_self(&req.owner), 0);
	struct state_chunk c;
	for (int nth = 1; state_claim_ready_chunk(st, &req, t, &c) == 1; nth++, t += 2) {
		struct state_result res = { .ok = nth != failing, .exit_code = nth == failing,
					    .duration_ms = 1500 };
		if (!res.ok)
			res.tail = "Traceback (most recent call last):\nValueError: bad id 3\n";
		assert_int_equal(state_chunk_finish(st, c.id, &res, t + 1, NULL), 0);
		state_chunk_release(&c);
	}
}

/* Creates, expands and executes a run of job_A over IDs 1-5. */
static void add_run(struct state *st, const struct project *p, const char *entry, int64_t fire,
		    int64_t t, int failing)
{
	static const int64_t ids[] = { 1, 2, 3, 4, 5 };
	struct state_run_new r = { .job = "job_A", .entry = entry, .fire_time = fire,
				   .kwargs = "{\"k\":\"v\"}", .ids = ids, .nids = 5,
				   .has_ids = true, .git = entry ? NULL : "abc1234" };
	int64_t id;
	assert_int_equal(state_run_create(st, &r, t, &id), 0);
	struct freshness_src fresh = state_freshness_src(st);
	struct plan plan;
	char msg[256];
	assert_int_equal(plan_expand(&plan, &p->graph, graph_find(&p->graph, "job_A"), ids, 5,
				     true, "{\"k\":\"v\"}", t, false, &fresh, msg, sizeof(msg)),
			 0);
	assert_int_equal(state_run_activate(st, id, &plan, t), 0);
	plan_release(&plan);
	execute(st, id, t + 1, failing);
}

static int setup(void **state)
{
	(void)state;
	make_project();
	struct project p;
	assert_int_equal(project_load(dir, &p), 0);
	struct state *st;
	char msg[512];
	assert_int_equal(state_open(dir, &st, msg, sizeof(msg)), 0);
	add_run(st, &p, NULL, 0, T0, 0);
	add_run(st, &p, "nightly", FIRE, FIRE + 5, 2);
	struct state_entry e = { .id = "nightly", .fingerprint = "x", .last_handled = FIRE,
				 .last_missed = MISSED, .last_skipped = INT64_MIN, .last_run = 2 };
	assert_int_equal(state_entry_set(st, &e), 0);
	state_close(st);
	project_release(&p);
	char *mk = xasprintf("mkdir -p '%s/.stau/logs/job_B'", dir);
	assert_int_equal(system(mk), 0);
	free(mk);
	write_text(".stau/logs/job_B/2-6-1.log", "chunk 6 says hi\n", 0600);
	write_text(".stau/logs/job_B/2-7-1.log", "Traceback (most recent call last):\nValueError: bad id 3", 0600);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(out);
	free(err);
	tz_cache_free();
	return 0;
}

static void test_status_lists_every_job(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_status, "status --now " NOW), EXIT_OK);
	/* job_B's middle chunk failed: FAILED, though its last chunk is DONE; of the run's IDs,
	 * job_A computed 4-5 (1-3 were canceled), job_B all but 3 */
	assert_string_equal(out,
		"JOB    RUN  RESULT  FINISHED  DURATION  FRESH          NEXT\n"
		"job_A   #2  FAILED  59m ago   8s        2/5 IDs fresh  in 23h\n"
		"job_B   #2  FAILED  59m ago   5s        4/5 IDs fresh  -\n"
		"\n"
		"ENTRY    JOB    SCHEDULE   NEXT\n"
		"nightly  job_A  0 3 * * *  2026-01-03T03:00:00+01:00\n"
		"  missed 1 fire time, the latest 2026-01-01T03:00:00+01:00\n");
	assert_string_equal(err, "");
	for (const char *line = out; *line; line = strchr(line, '\n') + 1)
		assert_true(strchr(line, '\n') - line <= 80);
}

static void test_status_colours_results_in_a_terminal(void **state)
{
	(void)state;
	struct ctx ctx = { .color = true, .tty = true };
	assert_int_equal(run_ctx(&ctx, cmd_status, "status --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, "  \033[31mFAILED\033[0m  59m ago"));
	assert_non_null(strstr(out, "job_B   #2  \033[31mFAILED\033[0m  59m ago"));
}

static void test_status_of_a_job_lists_its_runs(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_status, "status job_A --now " NOW), EXIT_OK);
	assert_string_equal(out,
		"job_A - the report\n"
		"schedule:      nightly (0 3 * * *)\n"
		"next:          2026-01-03T03:00:00+01:00 (nightly)\n"
		"missed:        1 fire time, the latest 2026-01-01T03:00:00+01:00 (nightly)\n"
		"last run:      #2 FAILED, finished 59m ago, took 8s\n"
		"last success:  2026-01-02T03:00:13+01:00 (59m ago)\n"
		"fresh IDs:     2/5 of run 2\n"
		"\n"
		"RUN  TRIGGER  STATE   STARTED  DURATION  CHUNKS\n"
		" #2  nightly  FAILED  59m ago  8s        3/5 done, 1 failed, 1 canceled\n"
		" #1  manual   DONE    17h ago  10s       5/5 done\n");
	assert_int_equal(run(cmd_status, "status job_A -n 1 --now " NOW), EXIT_OK);
	assert_null(strstr(out, " #1 "));
}

/* A job that ran as a dependency shows its result there: all of its chunks, not its last. */
static void test_status_of_a_dependency_shows_its_last_run(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_status, "status job_B --now " NOW), EXIT_OK);
	assert_string_equal(out,
		"job_B\n"
		"schedule:      -\n"
		"last run:      #2 FAILED (as a dependency), finished 59m ago, took 5s\n"
		"last success:  2026-01-02T03:00:11+01:00 (59m ago)\n"
		"fresh IDs:     4/5 of run 2\n"
		"\n"
		"no runs of job_B itself yet; 'stau run job_B' starts one\n");
}

static void test_status_errors(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_status, "status nope"), EXIT_USAGE);
	assert_string_equal(err, "stau: unknown job 'nope'; 'stau status' lists the jobs\n"
				 "see 'stau status --help'\n");
	assert_int_equal(run(cmd_status, "status --now tomorrow"), EXIT_USAGE);
	assert_non_null(strstr(err, "stau: --now: "));
	assert_int_equal(run(cmd_status, "status -n 0"), EXIT_USAGE);
	assert_string_equal(err, "stau: -n: '0' is not a number of runs (1 or more)\n"
				 "see 'stau status --help'\n");
	assert_int_equal(run(cmd_status, "status job_A job_B"), EXIT_USAGE);
	assert_string_equal(err, "stau: give at most one job\nsee 'stau status --help'\n");
}

static void test_status_json(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_status, "status --json --now " NOW), EXIT_OK);
	assert_true(!strncmp(out, "{\n  \"now\": \"2026-01-02T03:00:00+00:00\",\n"
				  "  \"database\": true,\n  \"schedule_problems\": 0,\n"
				  "  \"schedule_stopped\": false,\n"
				  "  \"jobs\": [\n    {\n"
				  "      \"job\": \"job_A\",\n", 130));
	assert_non_null(strstr(out, "\n      \"next\": \"2026-01-03T02:00:00+00:00\",\n"
				    "      \"last_missed\": \"2026-01-01T02:00:00+00:00\",\n"
				    "      \"last_success\": \"2026-01-02T02:00:13+00:00\",\n"
				    "      \"result\": \"FAILED\",\n      \"result_run\": 2,\n"));
	assert_non_null(strstr(out, "      \"fresh_ids\": {\n        \"fresh\": 2,\n"
				    "        \"total\": 5\n      },\n      \"failed_chunks\": 0,\n"
				    "      \"failed_runs\": 1,\n"));
	assert_non_null(strstr(out, "          \"missed\": 1,\n          \"skipped\": 0,\n"
				    "          \"problem\": null\n"));
	assert_non_null(strstr(out, "      \"last_run\": {\n        \"id\": 2,\n"));
	assert_non_null(strstr(out, "\"chunks\": {\n          \"pending\": 0,\n"
				    "          \"running\": 0,\n          \"done\": 3,\n"
				    "          \"failed\": 1,\n          \"canceled\": 1,\n"
				    "          \"total\": 5\n        }"));
	assert_non_null(strstr(out, "\"job\": \"job_B\",\n"));
	assert_non_null(strstr(out, "\"last_run\": null,\n      \"last_chunk\": {\n"
				    "        \"id\": 8,\n        \"run\": 2,\n"));
	assert_int_equal(run(cmd_status, "status job_A --json --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, "\n  \"runs\": [\n    {\n      \"id\": 2,\n"));
	assert_non_null(strstr(out, "\n    {\n      \"id\": 1,\n"));
}

static void test_show_text(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_show, "show 2"), EXIT_OK);
	assert_string_equal(out,
		"run 2 of job_A: FAILED\n"
		"trigger:   nightly 2026-01-02T03:00:00+01:00\n"
		"kwargs:    {\"k\":\"v\"}\n"
		"work IDs:  1-5 (5 IDs)\n"
		"git:       -\n"
		"created:   2026-01-02T03:00:05+01:00\n"
		"started:   2026-01-02T03:00:05+01:00\n"
		"finished:  2026-01-02T03:00:13+01:00 (took 8s)\n"
		"message:   1 chunk failed, 1 canceled\n"
		"\n"
		"CHUNK  JOB    I/N  IDS  STATE     TRY  STARTED   DURATION  EXIT  LOG               "
		"           MESSAGE\n"
		"    6  job_B  1/3  1-2  DONE        1  03:00:06  1.5s      0     .stau/logs/job_B/2"
		"-6-1.log\n"
		"    7  job_B  2/3  3    FAILED      1  03:00:08  1.5s      1     .stau/logs/job_B/2"
		"-7-1.log\n"
		"    8  job_B  3/3  4-5  DONE        1  03:00:10  1.5s      0     .stau/logs/job_B/2"
		"-8-1.log\n"
		"    9  job_A  1/2  1-3  CANCELED    0  -         -         -     -                 "
		"           upstream failed\n"
		"   10  job_A  2/2  4-5  DONE        1  03:00:12  1.5s      0     .stau/logs/job_A/2"
		"-10-1.log\n"
		"\n"
		"timeline: 03:00:06 to 03:00:13 (7.5s), one column = 153ms (starts are recorded to "
		"the second)\n"
		"job_B 1/3  |==========                                       |  1.5s\n"
		"job_B 2/3  |.............!!!!!!!!!!                          |  1.5s  FAILED\n"
		"job_B 3/3  |..........................==========             |  1.5s\n"
		"job_A 1/2  |                                                 |  CANCELED\n"
		"job_A 2/2  |                                    ...==========|  1.5s\n"
		"= done  ! failed  > running  . ready, waiting for a slot or a retry\n"
		"\n"
		"chunk 7 (job_B 2/3) attempt 1: exit 1\n"
		"    Traceback (most recent call last):\n"
		"    ValueError: bad id 3\n");
	assert_int_equal(run(cmd_show, "show #1"), EXIT_OK);
	assert_non_null(strstr(out, "trigger:   manual\n"));
	assert_non_null(strstr(out, "git:       abc1234\n"));
	assert_null(strstr(out, "message:"));
}

static void test_show_json(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_show, "show 2 --json"), EXIT_OK);
	assert_true(!strncmp(out, "{\n  \"id\": 2,\n  \"job\": \"job_A\",\n  \"state\": \"FAILED\",\n"
				  "  \"entry\": \"nightly\",\n"
				  "  \"scheduled_for\": \"2026-01-02T02:00:00+00:00\",\n", 120));
	assert_non_null(strstr(out, "  \"kwargs\": {\"k\":\"v\"},\n  \"has_ids\": true,\n"
				    "  \"work_ids\": \"1-5\",\n  \"nids\": 5,\n  \"git\": null,\n"));
	assert_non_null(strstr(out, "\"exit_code\": 1,\n"));
	assert_non_null(strstr(out, "\"tail\": \"Traceback (most recent call last):\\n"
				    "ValueError: bad id 3\\n\",\n"));
	assert_non_null(strstr(out, "\"depends_on\": [\n        6,\n        7\n      ]\n"));
}

static void test_show_errors(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_show, "show 42"), EXIT_USAGE);
	assert_string_equal(out, "");
	assert_string_equal(err, "stau: no run 42; 'stau status JOB' lists runs\n");
	assert_int_equal(run(cmd_show, "show x"), EXIT_USAGE);
	assert_string_equal(err, "stau: 'x' is not a run id; 'stau status JOB' lists runs\n"
				 "see 'stau show --help'\n");
	assert_int_equal(run(cmd_show, "show"), EXIT_USAGE);
	assert_string_equal(err, "stau: missing the run id\nsee 'stau show --help'\n");
}

static void test_logs_of_a_run(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_logs, "logs 2"), EXIT_OK);
	assert_string_equal(out, "==> .stau/logs/job_B/2-6-1.log <==\n"
				 "chunk 6 says hi\n"
				 "\n"
				 "==> .stau/logs/job_B/2-7-1.log <==\n"
				 "Traceback (most recent call last):\n"
				 "ValueError: bad id 3\n");
	assert_string_equal(err,
		"stau: cannot read '.stau/logs/job_B/2-8-1.log': No such file or directory\n"
		"stau: cannot read '.stau/logs/job_A/2-10-1.log': No such file or directory\n");
}

static void test_logs_of_one_chunk(void **state)
{
	(void)state;
	static const char seven[] = "==> .stau/logs/job_B/2-7-1.log <==\n"
				    "Traceback (most recent call last):\n"
				    "ValueError: bad id 3\n";
	assert_int_equal(run(cmd_logs, "logs 2 job_B:2"), EXIT_OK);
	assert_string_equal(out, seven);
	assert_string_equal(err, "");
	assert_int_equal(run(cmd_logs, "logs 2 7"), EXIT_OK);
	assert_string_equal(out, seven);
	assert_int_equal(run(cmd_logs, "logs 2 9"), EXIT_OK);
	assert_string_equal(out, "");
	assert_string_equal(err, "stau: chunk '9' of run 2 has not started yet, so it has no log\n");
	assert_int_equal(run(cmd_logs, "logs 2 job_C:1"), EXIT_USAGE);
	assert_string_equal(err, "stau: no chunk 'job_C:1' in run 2; 'stau show 2' lists its "
				 "chunks\n");
	assert_int_equal(run(cmd_logs, "logs 1 7"), EXIT_USAGE);
	assert_int_equal(run(cmd_logs, "logs 42"), EXIT_USAGE);
	assert_string_equal(err, "stau: no run 42; 'stau status JOB' lists runs\n");
}

/* A job marked BROKEN by a run for its current content shows so; editing the file (another
 * size or mtime, so no cached hash) clears the mark. */
static void test_status_shows_a_broken_mark_from_the_state(void **state)
{
	(void)state;
	struct state *st;
	char msg[512];
	struct stat sb;
	char *path = xasprintf("%s/jobs/job_B.sh", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(state_open(dir, &st, msg, sizeof(msg)), 0);
	int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	assert_int_equal(state_file_hash_set(st, "jobs/job_B.sh", sb.st_size, mtime, "h1"), 0);
	assert_int_equal(state_job_set_broken(st, "job_B", "h1", "exit 3: cannot import", T0), 0);
	state_close(st);
	assert_int_equal(run(cmd_status, "status --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, "job_A   #2  FAILED  59m ago   8s        2/5 IDs fresh  in 23h\n"
				    "  BROKEN: needs 'job_B', which is BROKEN\n"
				    "job_B   #2  FAILED  59m ago   5s        4/5 IDs fresh  -\n"
				    "  BROKEN: exit 3: cannot import\n"));
	assert_non_null(strstr(out, "  not run: its job is BROKEN\n"));
	assert_int_equal(run(cmd_status, "status job_B --json --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, "\"broken\": \"exit 3: cannot import\",\n"));

	FILE *f = fopen(path, "a");
	fputs("echo changed\n", f);
	fclose(f);
	assert_int_equal(run(cmd_status, "status --now " NOW), EXIT_OK);
	assert_null(strstr(out, "BROKEN"));
	free(path);
}

/* A job whose file was removed keeps its runs. */
static void test_status_of_a_removed_job(void **state)
{
	(void)state;
	char *path = xasprintf("%s/jobs/job_A.sh", dir), *away = xasprintf("%s/job_A.sh", dir);
	assert_int_equal(rename(path, away), 0);
	assert_int_equal(run(cmd_status, "status job_A -n 1 --now " NOW), EXIT_OK);
	assert_int_equal(rename(away, path), 0);
	assert_string_equal(out,
		"job_A\n"
		"no file in jobs/ any more; these are its past runs\n"
		"\n"
		"RUN  TRIGGER  STATE   STARTED  DURATION  CHUNKS\n"
		" #2  nightly  FAILED  59m ago  8s        3/5 done, 1 failed, 1 canceled\n");
	free(path);
	free(away);
}

/* Before the first run there is no database; status does not create one. */
static void test_status_without_a_database(void **state)
{
	(void)state;
	char *db = xasprintf("%s/.stau", dir), *off = xasprintf("%s/.stau.off", dir);
	assert_int_equal(rename(db, off), 0);
	assert_int_equal(run(cmd_status, "status --now " NOW), EXIT_OK);
	assert_string_equal(out,
		"JOB    RUN  RESULT     FINISHED  DURATION  FRESH  NEXT\n"
		"job_A    -  never run  -         -         -      in 23h\n"
		"job_B    -  never run  -         -         -      -\n"
		"\n"
		"ENTRY    JOB    SCHEDULE   NEXT\n"
		"nightly  job_A  0 3 * * *  2026-01-03T03:00:00+01:00\n");
	assert_int_equal(run(cmd_show, "show 1"), EXIT_USAGE);
	assert_string_equal(err, "stau: no run 1; 'stau status JOB' lists runs\n");
	assert_int_equal(access(db, F_OK), -1);
	assert_int_equal(rename(off, db), 0);
	free(db);
	free(off);
}

/* A run whose stau process is gone is LOST at once, in the table and in the job's runs; the
 * database is not changed (a tick recovers it). */
static void test_status_shows_a_lost_run(void **state)
{
	(void)state;
	struct project p;
	struct state *st;
	char msg[512];
	assert_int_equal(project_load(dir, &p), 0);
	assert_int_equal(state_open(dir, &st, msg, sizeof(msg)), 0);
	static const int64_t ids[] = { 7 };
	struct state_run_new r = { .job = "job_A", .ids = ids, .nids = 1, .has_ids = true };
	int64_t id;
	assert_int_equal(state_run_create(st, &r, FIRE + 60, &id), 0);
	struct freshness_src fresh = state_freshness_src(st);
	struct plan plan;
	assert_int_equal(plan_expand(&plan, &p.graph, graph_find(&p.graph, "job_A"), ids, 1, true,
				     "{}", FIRE + 60, false, &fresh, msg, sizeof(msg)), 0);
	assert_int_equal(state_run_activate(st, id, &plan, FIRE + 60), 0);
	plan_release(&plan);
	/* claimed by a process that no longer exists: pid 1 with another start time */
	struct state_claim req = { .run = id, .owner = { 1, 123456789 } };
	struct state_chunk c;
	assert_int_equal(state_claim_ready_chunk(st, &req, FIRE + 61, &c), 1);
	state_chunk_release(&c);
	state_close(st);
	project_release(&p);

	assert_int_equal(run(cmd_status, "status --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, "job_A   #3  LOST    -         59m       0/1 IDs fresh  in 23h\n"
				    "  LOST: stau process 1 of run 3 is gone; the next tick recovers it\n"
				    "job_B   #3  LOST    -         58m59s    0/1 IDs fresh  -\n"));
	assert_int_equal(run(cmd_status, "status job_A --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, " #3  manual   LOST    59m ago  59m       0/2 done, 1 running\n"));
	assert_int_equal(run(cmd_status, "status --json --now " NOW), EXIT_OK);
	assert_non_null(strstr(out, "\"result\": \"LOST\",\n      \"result_run\": 3,\n"));
	assert_non_null(strstr(out, "\"lost_pid\": 1,\n"));
	assert_non_null(strstr(out, "\"running_chunks\": 1,\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_lists_every_job),
		cmocka_unit_test(test_status_colours_results_in_a_terminal),
		cmocka_unit_test(test_status_of_a_job_lists_its_runs),
		cmocka_unit_test(test_status_of_a_dependency_shows_its_last_run),
		cmocka_unit_test(test_status_errors),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_show_text),
		cmocka_unit_test(test_show_json),
		cmocka_unit_test(test_show_errors),
		cmocka_unit_test(test_logs_of_a_run),
		cmocka_unit_test(test_logs_of_one_chunk),
		cmocka_unit_test(test_status_of_a_removed_job),
		cmocka_unit_test(test_status_without_a_database),
		cmocka_unit_test(test_status_shows_a_broken_mark_from_the_state),
		cmocka_unit_test(test_status_shows_a_lost_run),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
