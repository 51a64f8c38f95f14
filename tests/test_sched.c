/* test_sched.c - one tick as a library call: due entries queue one run, missed and skipped
 * fire times, problems reported once per version of their file, the quiet tick. The state is
 * a real database in a temporary project; chunks run on a fake executor (fake_exec.h) that
 * ends each one with exit 0, and a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_exec.h"
#include "sched.h"
#include "timeutil.h"
#include "util.h"

#define DAY1_0300 1767236400LL /* 2026-01-01T03:00:00Z */
#define DAY 86400

/* ---- the fake clock ---- */

static int64_t clock_now;

static int64_t fake_now(void *ctx)
{
	return clock_now;
}

static void fake_sleep_until(void *ctx, int64_t t)
{
	clock_now = t;
}

/* ---- a project in a temporary directory ---- */

struct fx {
	char dir[64];
	struct state *st;
	struct fake_exec fake; /* every child ends with exit 0 */
	struct exec_runner ex;
	struct engine_clock clock;
	struct strbuf said; /* "error: ...\n" per line the tick said */
	struct sched_result res;
};

#define SCHEDULE "schedule:\n  - id: nightly\n    job: report\n    cron: \"0 3 * * *\"\n"

/* The file system's coarse clock, in nanoseconds. */
static int64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t last_write_ns; /* when this test last changed the project's files */

/* Waits until the files written last are older than the window in which a tick does not
 * trust their times (tickcache.c's racy stats): a tick run at once would not record them,
 * and the next tick would load the project again, as it must. Tests of what a tick records
 * wait; the racy case has tests of its own. */
static void settle(void)
{
	struct timespec res;
	if (clock_getres(CLOCK_REALTIME_COARSE, &res))
		res = (struct timespec){ 0, 10000000 };
	int64_t window = 2 * ((int64_t)res.tv_sec * 1000000000 + res.tv_nsec);
	while (coarse_ns() <= last_write_ns + window)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
}

static void put(struct fx *x, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", x->dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
	last_write_ns = coarse_ns();
	/* a file system may stamp changes finer than the coarse clock, a little ahead of it */
	struct stat st;
	for (char *slash; !stat(path, &st); *slash = '\0') {
		int64_t c = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
		last_write_ns = c > last_write_ns ? c : last_write_ns;
		if (!(slash = strrchr(path, '/')) || slash == path ||
		    strlen(path) <= strlen(x->dir))
			break;
	}
	free(path);
}

static void collect(void *ctx, enum sched_level level, const char *text)
{
	static const char *const names[] = { "info", "warn", "error" };
	sb_addf(ctx, "%s: %s\n", names[level], text);
}

/* Runs one tick at time now; returns what sched_tick returned. */
static int tick(struct fx *x, int64_t now)
{
	sb_release(&x->said);
	sb_adds(&x->said, "");
	clock_now = now;
	settle();
	struct sched_opts o = { .now = now, .ex = &x->ex, .clock = &x->clock };
	struct sched_out out = { collect, &x->said };
	return sched_tick(x->st, x->dir, &o, &out, &x->res);
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/stau-sched.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	char *jobs = xasprintf("%s/jobs", x->dir);
	assert_int_equal(mkdir(jobs, 0700), 0);
	free(jobs);
	put(x, "jobs/report.sh", "#!/bin/sh\n# ---\n# description: the report\n# ---\nexit 0\n");
	put(x, "schedule.yaml", SCHEDULE);
	x->ex = fake_exec_runner(&x->fake);
	x->clock = (struct engine_clock){ fake_now, fake_sleep_until, NULL };
	char err[512];
	if (state_open(x->dir, &x->st, err, sizeof(err)))
		fail_msg("state_open: %s", err);
	last_write_ns = coarse_ns(); /* .stau/ was created in the project directory */
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	state_close(x->st);
	fake_exec_release(&x->fake);
	sb_release(&x->said);
	char *cmd = xasprintf("rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x);
	tz_cache_free();
	return 0;
}

static struct state_entry entry(struct fx *x, const char *id)
{
	struct state_entry e;
	assert_int_equal(state_entry_get(x->st, id, &e), 1);
	return e;
}

static enum run_state run_state(struct fx *x, int64_t id)
{
	struct state_run r;
	assert_int_equal(state_run_get(x->st, id, &r), 1);
	enum run_state s = r.state;
	state_run_release(&r);
	return s;
}

/* ---- tests ---- */

static void test_a_due_entry_queues_one_run(void **state)
{
	struct fx *x = *state;
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	assert_false(x->res.quiet);
	assert_int_equal(x->res.failed, 0);
	assert_int_equal(x->fake.started, 1);
	struct state_entry e = entry(x, "nightly");
	assert_int_equal(e.last_handled, DAY1_0300);
	assert_int_equal(e.last_run, 1);
	state_entry_release(&e);
	assert_int_equal(run_state(x, 1), RUN_DONE);
	/* a minute later the entry is not due again: no second run */
	assert_int_equal(tick(x, DAY1_0300 + 70), 0);
	assert_int_equal(x->fake.started, 1);
	assert_int_equal(state_run_get(x->st, 2, &(struct state_run){ 0 }), 0);
}

static void test_a_fire_time_past_the_grace_is_missed(void **state)
{
	struct fx *x = *state;
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	/* the next fire time, day 2 at 03:00, is two hours old at the next tick */
	assert_int_equal(tick(x, DAY1_0300 + DAY + 7200), 0);
	assert_int_equal(x->fake.started, 1);
	assert_int_equal(x->res.failed, 0);
	struct state_entry e = entry(x, "nightly");
	assert_int_equal(e.last_missed, DAY1_0300 + DAY);
	assert_int_equal(e.last_handled, DAY1_0300 + DAY);
	assert_int_equal(e.last_run, 1);
	state_entry_release(&e);
	assert_string_equal(x->said.buf,
			    "info: entry 'nightly': fire time 2026-01-02T03:00:00+00:00 missed\n");
}

/* Queues a manual run of job at now (not expanded); returns its id. */
static int64_t queue_manual(struct fx *x, const char *job, int64_t now)
{
	char err[512];
	struct project p;
	project_load(x->dir, &p);
	struct engine_new_run r = { .job = job };
	int64_t id;
	assert_int_equal(engine_queue_run(x->st, &p, &r, now, &id, err, sizeof(err)), 0);
	project_release(&p);
	return id;
}

static void test_a_fire_time_while_the_entrys_run_is_open_is_skipped(void **state)
{
	struct fx *x = *state;
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	/* the entry's own run is still queued at the next fire time */
	int64_t id = queue_manual(x, "report", DAY1_0300 + 60);
	struct state_entry e = entry(x, "nightly");
	e.last_run = id;
	assert_int_equal(state_entry_set(x->st, &e), 0);
	state_entry_release(&e);
	assert_int_equal(tick(x, DAY1_0300 + DAY + 10), 0);
	e = entry(x, "nightly");
	assert_int_equal(e.last_skipped, DAY1_0300 + DAY);
	assert_int_equal(e.last_run, id);
	state_entry_release(&e);
	assert_string_equal(x->said.buf,
			    "info: entry 'nightly': fire time 2026-01-02T03:00:00+00:00 skipped\n"
			    "info: report run 2 chunk 1/1 started (attempt 1)\n"
			    "info: report run 2 chunk 1/1 done in 0.0s\n");
	/* the run that was queued ran in this tick: the only one */
	assert_int_equal(run_state(x, id), RUN_DONE);
	assert_int_equal(x->fake.started, 2);
}

/* Overlap is the entry's own: another run of the same job does not hold it back. */
static void test_another_run_of_the_job_does_not_skip_the_entry(void **state)
{
	struct fx *x = *state;
	int64_t id = queue_manual(x, "report", DAY1_0300);
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	struct state_entry e = entry(x, "nightly");
	assert_int_equal(e.last_skipped, INT64_MIN);
	assert_int_equal(e.last_run, id + 1);
	state_entry_release(&e);
	assert_int_equal(run_state(x, id), RUN_DONE);
	assert_int_equal(run_state(x, id + 1), RUN_DONE);
	assert_int_equal(x->fake.started, 2);
}

/* Two entries of one job firing in one minute: both run when their kwargs differ; identical
 * work (kwargs in another order, same IDs) is queued once and shared. */
static void test_entries_of_one_job_firing_together(void **state)
{
	struct fx *x = *state;
	put(x, "schedule.yaml",
	    "schedule:\n"
	    "  - {id: quarter, job: report, cron: '*/15 * * * *', kwargs: {a: 1, b: 2}}\n"
	    "  - {id: three, job: report, cron: '0 3 * * *', kwargs: {a: 3}}\n"
	    "  - {id: same, job: report, cron: '0 3 * * *', kwargs: {b: 2, a: 1}}\n");
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	int64_t runs[3];
	const char *ids[] = { "quarter", "three", "same" };
	for (int i = 0; i < 3; i++) {
		struct state_entry e = entry(x, ids[i]);
		assert_int_equal(e.last_skipped, INT64_MIN);
		runs[i] = e.last_run;
		state_entry_release(&e);
	}
	assert_int_equal(runs[0], 1);
	assert_int_equal(runs[1], 2);
	assert_int_equal(runs[2], 1);
	assert_int_equal(x->fake.started, 2);
	assert_non_null(strstr(x->said.buf, "info: entry 'same' shares report run 1: identical "
					    "work\n"));
	/* at 03:15 only the quarter-hourly entry fires */
	assert_int_equal(tick(x, DAY1_0300 + 900 + 10), 0);
	assert_int_equal(x->fake.started, 3);
}

/* An entry naming an unknown job is disabled alone: said once, its fire times pass unrun,
 * the other entry runs. */
static void test_an_entry_of_an_unknown_job_disables_itself_alone(void **state)
{
	struct fx *x = *state;
	put(x, "schedule.yaml", "schedule:\n"
				"  - {id: ghost, job: nosuch, cron: '0 3 * * *'}\n"
				"  - {id: nightly, job: report, cron: '0 3 * * *'}\n");
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	assert_string_equal(x->said.buf,
			    "error: schedule.yaml:2:22: unknown job 'nosuch': no file in jobs/ has "
			    "that job type\n"
			    "info: report run 1 chunk 1/1 started (attempt 1)\n"
			    "info: report run 1 chunk 1/1 done in 0.0s\n");
	struct state_entry e = entry(x, "ghost");
	assert_int_equal(e.last_handled, DAY1_0300);
	assert_int_equal(e.last_run, 0);
	assert_int_equal(e.last_skipped, INT64_MIN);
	assert_int_equal(e.last_missed, INT64_MIN);
	state_entry_release(&e);
	assert_int_equal(tick(x, DAY1_0300 + DAY + 10), 0);
	assert_int_equal(x->fake.started, 2);
	assert_null(strstr(x->said.buf, "error"));
}

/* A job file broken in place (its names in jobs/ unchanged, so the tick loads only the jobs
 * of the entries due) disables its entries as a full load does: the fire time is handled,
 * nothing runs or fails, and the problem is said. */
static void test_a_job_broken_in_place_disables_its_entry(void **state)
{
	struct fx *x = *state;
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	assert_int_equal(x->fake.started, 1);
	put(x, "jobs/report.sh", "#!/bin/sh\n# ---\n# chunk_size: many\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + DAY + 10), 0);
	assert_false(x->res.quiet);
	assert_int_equal(x->res.failed, 0);
	assert_int_equal(x->fake.started, 1);
	assert_non_null(strstr(x->said.buf, "error: jobs/report.sh:3:"));
	assert_null(strstr(x->said.buf, "run 2"));
	struct state_run r;
	assert_int_equal(state_run_get(x->st, 2, &r), 0);
	struct state_entry e = entry(x, "nightly");
	assert_int_equal(e.last_handled, DAY1_0300 + DAY);
	assert_int_equal(e.last_run, 1);
	state_entry_release(&e);
	/* fixed in place, it runs at its next fire time */
	put(x, "jobs/report.sh", "#!/bin/sh\n# ---\n# description: the report\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + 2 * DAY + 10), 0);
	assert_int_equal(x->fake.started, 2);
	assert_int_equal(x->res.failed, 0);
}

/* A quiet tick (nothing due, no run open, files unchanged) applies the retention with the
 * settings the last full tick recorded: a rare entry's runs do not outlive it. */
static void test_a_quiet_tick_prunes(void **state)
{
	struct fx *x = *state;
	put(x, "schedule.yaml", "settings:\n  retention: 1d\nschedule:\n"
				"  - {id: yearly, job: report, cron: '0 3 1 1 *'}\n");
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	assert_int_equal(x->fake.started, 1);
	assert_int_equal(tick(x, DAY1_0300 + 70), 0);
	assert_true(x->res.quiet);
	struct state_run r;
	assert_int_equal(state_run_get(x->st, 1, &r), 1);
	state_run_release(&r);
	assert_int_equal(tick(x, DAY1_0300 + 2 * DAY - 60), 0);
	assert_true(x->res.quiet);
	assert_int_equal(state_run_get(x->st, 1, &r), 0);
	assert_non_null(strstr(x->said.buf, "pruned 1 run older than the retention"));
}

/* An entry disabled by an unknown job, or a problem of another entry in schedule.yaml, does
 * not make the ticks at its fire times load every job file: a file no entry due needs, broken
 * in place in between, is not read (a full load would say its problem). */
static void test_a_disabled_entry_does_not_load_every_job(void **state)
{
	struct fx *x = *state;
	put(x, "schedule.yaml", "schedule:\n"
				"  - {id: ghost, job: nosuch, cron: '* * * * *'}\n"
				"  - {id: nightly, job: report, cron: '0 3 * * *'}\n");
	put(x, "jobs/other.sh", "#!/bin/sh\n# ---\n# description: other\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	assert_non_null(strstr(x->said.buf, "unknown job 'nosuch'"));
	assert_int_equal(x->fake.started, 1);
	put(x, "jobs/other.sh", "#!/bin/sh\n# ---\n# chunk_size: many\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + 70), 0);
	assert_string_equal(x->said.buf, "");
	struct state_entry e = entry(x, "ghost");
	assert_int_equal(e.last_handled, DAY1_0300 + 60);
	state_entry_release(&e);
	/* a bad cron expression in another entry: still only what the entries due need */
	put(x, "schedule.yaml", "schedule:\n"
				"  - {id: ghost, job: nosuch, cron: '* * * * *'}\n"
				"  - {id: bad, job: report, cron: '61 * * * *'}\n"
				"  - {id: nightly, job: report, cron: '0 3 * * *'}\n");
	assert_int_equal(tick(x, DAY1_0300 + 130), 0);
	assert_non_null(strstr(x->said.buf, "error: schedule.yaml:3:"));
	put(x, "jobs/other.sh", "#!/bin/sh\n# ---\n# chunk_size: lots\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + 190), 0);
	assert_string_equal(x->said.buf, "");
	assert_int_equal(tick(x, DAY1_0300 + DAY + 10), 0);
	assert_int_equal(x->fake.started, 2);
	assert_null(strstr(x->said.buf, "error"));
}

static void test_a_tick_that_found_lost_chunks_says_so(void **state)
{
	struct fx *x = *state;
	char err[512];
	struct project p;
	project_load(x->dir, &p);
	struct engine_new_run r = { .job = "report" };
	int64_t id;
	assert_int_equal(engine_queue_run(x->st, &p, &r, DAY1_0300 - 600, &id, err, sizeof(err)),
			 0);
	assert_int_equal(engine_expand(x->st, &p, id, DAY1_0300 - 600, NULL, err, sizeof(err)),
			 EXPAND_ACTIVE);
	project_release(&p);
	/* a stau process that claimed the chunk and died */
	struct state_claim claim = { .owner = { .pid = 4, .start = 5 } };
	struct state_chunk c;
	assert_int_equal(state_claim_ready_chunk(x->st, &claim, DAY1_0300 - 590, &c), 1);
	state_chunk_release(&c);
	assert_int_equal(tick(x, DAY1_0300 - 60), 0);
	assert_int_equal(x->res.lost, 1);
	assert_string_equal(x->said.buf, "warn: marked 1 chunk FAILED 'runner lost': the stau "
			    "process running it died; retried if the job allows, see 'stau "
			    "status'\n");
	assert_int_equal(run_state(x, id), RUN_FAILED);
	/* the next tick finds nothing lost */
	assert_int_equal(tick(x, DAY1_0300 - 30), 0);
	assert_int_equal(x->res.lost, 0);
}

static void test_a_problem_is_reported_once_per_file_version(void **state)
{
	struct fx *x = *state;
	const char *bad = "#!/bin/sh\n# ---\n# chunck_size: 2\n# ---\n";
	const char *said = "error: jobs/bad.sh:3:3: unknown key 'chunck_size' (did you mean "
			   "'chunk_size'?)\n";
	put(x, "jobs/bad.sh", bad);
	assert_int_equal(tick(x, DAY1_0300 - 600), 0);
	assert_string_equal(x->said.buf, said);
	/* another job file saved: nothing is due, so no job file is read */
	put(x, "jobs/report.sh", "#!/bin/sh\n# ---\n# description: changed\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 - 540), 0);
	assert_true(x->res.quiet);
	assert_string_equal(x->said.buf, "");
	/* the file rewritten with the same content, schedule.yaml saved again: a full tick, but
	 * the same version of the problem, not said again */
	put(x, "jobs/bad.sh", bad);
	put(x, "schedule.yaml", SCHEDULE);
	assert_int_equal(tick(x, DAY1_0300 - 480), 0);
	assert_false(x->res.quiet);
	assert_string_equal(x->said.buf, "");
	/* a new version of it with the same problem is reported again by the next full tick */
	put(x, "jobs/bad.sh", "#!/bin/sh\n# ---\n# chunck_size: 2\n# ---\necho new\n");
	put(x, "schedule.yaml", SCHEDULE);
	assert_int_equal(tick(x, DAY1_0300 - 420), 0);
	assert_string_equal(x->said.buf, said);
	assert_int_equal(x->res.failed, 0);
}

static void test_a_tick_with_nothing_changed_is_quiet(void **state)
{
	struct fx *x = *state;
	assert_int_equal(tick(x, DAY1_0300 - 600), 0);
	assert_false(x->res.quiet);
	assert_int_equal(tick(x, DAY1_0300 - 540), 0);
	assert_true(x->res.quiet);
	assert_string_equal(x->said.buf, "");
	/* a due entry is not quiet, even with nothing changed */
	assert_int_equal(tick(x, DAY1_0300 + 5), 0);
	assert_false(x->res.quiet);
	assert_int_equal(x->fake.started, 1);
	assert_int_equal(tick(x, DAY1_0300 + 65), 0);
	assert_true(x->res.quiet);
	/* a job file saved again is: no job is needed */
	put(x, "jobs/report.sh", "#!/bin/sh\n# ---\n# description: changed\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + 125), 0);
	assert_true(x->res.quiet);
	/* a job file added is not: it may be the job of an entry */
	put(x, "jobs/more.sh", "#!/bin/sh\n# ---\n# description: more\n# ---\nexit 0\n");
	assert_int_equal(tick(x, DAY1_0300 + 185), 0);
	assert_false(x->res.quiet);
	assert_int_equal(x->fake.started, 1);
}

static void test_an_unreadable_jobs_directory(void **state)
{
	struct fx *x = *state;
	char *jobs = xasprintf("%s/jobs", x->dir), *away = xasprintf("%s/jobs.away", x->dir);
	assert_int_equal(rename(jobs, away), 0);
	assert_int_equal(tick(x, DAY1_0300 + 10), 0);
	assert_int_equal(rename(away, jobs), 0);
	assert_true(x->res.unusable);
	assert_int_equal(x->fake.started, 0);
	assert_non_null(strstr(x->said.buf, "error: nothing can run until that is fixed\n"));
	free(jobs);
	free(away);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_due_entry_queues_one_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_fire_time_past_the_grace_is_missed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_another_run_of_the_job_does_not_skip_the_entry,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_entries_of_one_job_firing_together, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_fire_time_while_the_entrys_run_is_open_is_skipped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_tick_that_found_lost_chunks_says_so, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_problem_is_reported_once_per_file_version,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_tick_with_nothing_changed_is_quiet, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_an_unreadable_jobs_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_job_broken_in_place_disables_its_entry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_quiet_tick_prunes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_disabled_entry_does_not_load_every_job,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_entry_of_an_unknown_job_disables_itself_alone,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
