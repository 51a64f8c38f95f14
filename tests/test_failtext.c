/* test_failtext.c - the line that tells that a chunk failed: the last line of its output,
 * its canceled dependents, the line itself, and the line read from a real database after a
 * failure was recorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "failtext.h"
#include "util.h"

#define NOW 1800000000LL

static void check_last(const char *tail, const char *want)
{
	char *got = failtext_last_line(tail);
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void test_last_line(void **state)
{
	(void)state;
	check_last("stau: a run 1 chunk 1 (1/1) attempt 1: ./jobs/a.py\n"
		   "Traceback (most recent call last):\n"
		   "  File \"jobs/a.py\", line 9, in main\n"
		   "ValueError: no data for store 7\n"
		   "[exited with status 1]\n",
		   "ValueError: no data for store 7");
	/* the runner's own words after the exception are skipped */
	check_last("ModuleNotFoundError: No module named 'pandas'\n"
		   "stau runner: cannot import jobs/a.py\n[exited with status 3]\n",
		   "ModuleNotFoundError: No module named 'pandas'");
	check_last("stau runner: jobs/a.py has no function 'main'\n[exited with status 3]\n",
		   "stau runner: jobs/a.py has no function 'main'");
	/* blanks, carriage returns and a missing final newline */
	check_last("  error: disk full  \r\n\n   \n[exited with status 2]", "error: disk full");
	check_last("no newline at the end", "no newline at the end");
	/* nothing the job wrote */
	check_last("stau: a run 1 chunk 1 (1/1) attempt 1: ./jobs/a.sh\n[exited with status 1]\n",
		   NULL);
	check_last("", NULL);
	check_last("\n\n", NULL);
	check_last(NULL, NULL);
	/* no terminal sequence gets through */
	check_last("\033[31mred\033[0m\x7f \xc2\x9b" "2J done\n", "\\x1b[31mred\\x1b[0m\\x7f "
		   "\\u009b2J done");
	check_last("caf\xc3\xa9 ok\n", "caf\xc3\xa9 ok");
	/* a long line is cut to FAILTEXT_LAST_MAX columns */
	char long_line[400];
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	char *got = failtext_last_line(long_line);
	assert_int_equal(strlen(got), FAILTEXT_LAST_MAX - 1 + strlen("\xe2\x80\xa6"));
	assert_string_equal(got + FAILTEXT_LAST_MAX - 1, "\xe2\x80\xa6");
	free(got);
}

/* A chunk of job `job` (index i of n) with id, state and deps. */
static struct state_chunk chunk(int64_t id, const char *job, size_t i, size_t n,
				enum chunk_state st, int64_t *deps, size_t ndeps)
{
	return (struct state_chunk){ .id = id, .run = 4, .job = (char *)job, .index = i,
				     .count = n, .state = st, .deps = deps, .ndeps = ndeps };
}

static void test_canceled_dependents(void **state)
{
	(void)state;
	/* m depends on d 1/2, top on m and on d 2/2, side (DONE) on d 2/2; other, canceled by
	 * another failure, depends on none of them */
	int64_t on_d1[] = { 1 }, on_m1_d2[] = { 3, 2 }, on_d2[] = { 2 }, on_x[] = { 9 };
	struct state_chunk cs[] = {
		chunk(1, "d", 1, 2, CHUNK_FAILED, NULL, 0),
		chunk(2, "d", 2, 2, CHUNK_DONE, NULL, 0),
		chunk(3, "m", 1, 1, CHUNK_CANCELED, on_d1, 1),
		/* listed before what it depends on: no order is relied upon */
		chunk(5, "other", 1, 1, CHUNK_CANCELED, on_x, 1),
		chunk(4, "top", 1, 1, CHUNK_CANCELED, on_m1_d2, 2),
		chunk(6, "side", 1, 1, CHUNK_DONE, on_d2, 1),
	};
	size_t out[6];
	size_t n = failtext_canceled(cs, 6, 1, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 4);
	/* the top job listed first depends on m, listed after it */
	struct state_chunk rev[] = { cs[4], cs[2], cs[0] };
	n = failtext_canceled(rev, 3, 1, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(failtext_canceled(cs, 6, 2, out), 1); /* top, through its second dep */
	assert_int_equal(failtext_canceled(cs, 0, 1, out), 0);
}

static void check_format(const struct failtext *f, const char *want)
{
	char *got = failtext_format(f);
	assert_string_equal(got, want);
	free(got);
}

static void test_format(void **state)
{
	(void)state;
	int64_t ids[] = { 3, 4 };
	struct state_chunk c = { .id = 2, .run = 108, .job = "features", .index = 2, .count = 3,
				 .ids = ids, .nids = 2, .has_ids = true,
				 .log_path = ".stau/logs/features/108-2-1.log" };
	struct state_chunk d1 = { .job = "report", .index = 2, .count = 3 };
	const struct state_chunk *canceled[] = { &d1, &d1, &d1, &d1, &d1, &d1 };
	struct failtext f = { .master = "report", .c = &c, .how = "exit 1 after 0.2s",
			      .last = "ValueError: no data", .by_exit = true,
			      .canceled = canceled, .ncanceled = 1 };
	check_format(&f, "report run 108: features 2/3 (IDs 3-4) failed: exit 1 after 0.2s: "
			 "ValueError: no data; canceled: report 2/3; log "
			 ".stau/logs/features/108-2-1.log");
	/* killed: the last output is noise and is left out */
	f.by_exit = false;
	f.how = "killed by signal KILL after 3.0s";
	f.ncanceled = 6;
	check_format(&f, "report run 108: features 2/3 (IDs 3-4) failed: killed by signal KILL "
			 "after 3.0s; canceled: report 2/3, report 2/3, report 2/3, report 2/3 "
			 "and 2 more; log .stau/logs/features/108-2-1.log");
	/* a retry says when, not what was canceled; a note follows the output */
	f.by_exit = true;
	f.how = "exit 3 after 0.1s";
	f.note = "a fatal exit: job 'features' is broken";
	f.retry_at = "2026-01-01T00:05:00Z";
	check_format(&f, "report run 108: features 2/3 (IDs 3-4) failed: exit 3 after 0.1s: "
			 "ValueError: no data; a fatal exit: job 'features' is broken; retry at "
			 "2026-01-01T00:05:00Z; log .stau/logs/features/108-2-1.log");
	/* one ID, no master known, no output, no log (it never started) */
	struct state_chunk one = { .run = 7, .job = "a", .index = 1, .count = 1, .ids = ids,
				   .nids = 1, .has_ids = true };
	struct failtext g = { .c = &one, .how = "cannot execute './jobs/a.sh': Permission denied" };
	check_format(&g, "run 7: a 1/1 (ID 3) failed: cannot execute './jobs/a.sh': Permission "
			 "denied");
	/* a run without IDs; many IDs are cut at a comma */
	one.has_ids = false;
	g.master = "a";
	check_format(&g, "a run 7: a 1/1 failed: cannot execute './jobs/a.sh': Permission denied");
	int64_t many[40];
	for (int i = 0; i < 40; i++)
		many[i] = 2 * i;
	one.ids = many;
	one.nids = 40;
	one.has_ids = true;
	g.how = "exit 1 after 0.0s";
	check_format(&g, "a run 7: a 1/1 (IDs 0,2,4,6,8,10,12,14,16,18,20,22,\xe2\x80\xa6 (40 IDs)) "
			 "failed: exit 1 after 0.0s");
}

/* ---- failtext_line on a real database ---- */

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
	free(path);
}

/* Claims the next ready chunk and records it failed with tail. */
static void fail_next(struct state *st, const char *tail, struct state_chunk *c)
{
	struct state_claim claim = { .run = 0 };
	assert_int_equal(proc_self(&claim.owner), 0);
	assert_int_equal(state_claim_ready_chunk(st, &claim, NOW, c), 1);
	struct state_result res = { .exit_code = 1, .duration_ms = 200, .tail = tail };
	assert_int_equal(state_chunk_finish(st, c->id, &res, NOW, NULL), 0);
}

static void test_line_from_the_state(void **state)
{
	(void)state;
	char dir[] = "/tmp/stau-failtext.XXXXXX", err[512];
	assert_non_null(mkdtemp(dir));
	char *jobs = xasprintf("%s/jobs", dir);
	assert_int_equal(mkdir(jobs, 0700), 0);
	free(jobs);
	put(dir, "jobs/d.sh", "#!/bin/sh\n# ---\n# chunk_size: 2\n# ---\n");
	put(dir, "jobs/top.sh", "#!/bin/sh\n# ---\n# chunk_size: 2\n# dependencies:\n"
				"#   - job_type: d\n# ---\n");
	struct project p;
	assert_int_equal(project_load(dir, &p), 0);
	struct state *st;
	if (state_open(dir, &st, err, sizeof(err)))
		fail_msg("state_open: %s", err);
	int64_t ids[] = { 1, 2, 3, 4 }, id;
	struct engine_new_run r = { .job = "top", .ids = ids, .nids = 4, .has_ids = true };
	assert_int_equal(engine_queue_run(st, &p, &r, NOW, &id, err, sizeof(err)), 0);
	assert_int_equal(engine_expand(st, &p, id, NOW, NULL, err, sizeof(err)), EXPAND_ACTIVE);
	struct state_chunk c;
	fail_next(st, "stau: header\nTraceback:\nKeyError: 1\n[exited with status 1]\n", &c);
	struct engine_finish fin = { .outcome = ENGINE_FAILED, .why = "exit 1", .started = true,
				     .duration_ms = 200 };
	char *line = failtext_line(st, &c, &fin, NULL);
	char *want = xasprintf("top run %lld: d 1/2 (IDs 1-2) failed: exit 1 after 0.2s: KeyError: "
			       "1; canceled: top 1/2; log %s", (long long)id, c.log_path);
	assert_string_equal(line, want);
	free(want);
	free(line);
	state_chunk_release(&c);
	state_close(st);
	project_release(&p);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_line),
		cmocka_unit_test(test_canceled_dependents),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_line_from_the_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
