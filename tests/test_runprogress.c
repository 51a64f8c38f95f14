/* test_runprogress.c - a run executed to its end in the foreground, as `stau run` and `stau
 * retry` do: the plain progress lines, the closing line and the exit status. The state is a
 * real database in a temporary project; chunks run on a fake executor (fake_exec.h). */
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
#include "fake_exec.h"
#include "msg.h"
#include "runprogress.h"
#include "util.h"

#define NOW 1800000000LL

/* The exit code of every chunk of a test that fails them all. */
static int exits_1(const char *job, const char *chunk, int attempt)
{
	return 1;
}

/* ---- a project in a temporary directory ---- */

struct fx {
	char dir[64];
	struct state *st;
	struct project p;
	struct fake_exec fake;
	struct exec_runner ex;
	char *out, *err; /* what the last run_execute printed */
};

static void put(struct fx *x, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", x->dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
	free(path);
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/stau-runprogress.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	char *jobs = xasprintf("%s/jobs", x->dir);
	assert_int_equal(mkdir(jobs, 0700), 0);
	free(jobs);
	put(x, "jobs/a.sh", "#!/bin/sh\n# ---\n# chunk_size: 2\n# ---\nexit 0\n");
	put(x, "jobs/b.sh", "#!/bin/sh\n# ---\n# select_work: echo 6 5 5\n# ---\nexit 0\n");
	put(x, "jobs/c.sh", "#!/bin/sh\n# ---\n# select_work: ./nowhere\n# ---\nexit 0\n");
	put(x, "schedule.yaml", "settings:\n  max_parallel: 1\n");
	project_load(x->dir, &x->p);
	x->ex = fake_exec_runner(&x->fake);
	char err[512];
	if (state_open(x->dir, &x->st, err, sizeof(err)))
		fail_msg("state_open: %s", err);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	state_close(x->st);
	project_release(&x->p);
	fake_exec_release(&x->fake);
	free(x->out);
	free(x->err);
	char *cmd = xasprintf("rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x);
	return 0;
}

/* Queues a run of job a over ids[0..n) and expands it; returns its id. */
static int64_t queue(struct fx *x, const int64_t *ids, size_t n)
{
	char err[512];
	struct engine_new_run r = { .job = "a", .ids = ids, .nids = n, .has_ids = true };
	int64_t id, now = NOW;
	assert_int_equal(engine_queue_run(x->st, &x->p, &r, NOW, &id, err, sizeof(err)), 0);
	assert_int_equal(run_expand_waiting(x->st, &x->p, id, &now), EXIT_OK);
	return id;
}

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

/* run_execute with x's executor and plain progress, stdout and stderr into x->out, x->err. */
static int execute(struct fx *x, struct run_exec *e)
{
	e->now = NOW;
	e->ex = &x->ex;
	FILE *fo = tmpfile(), *fe = tmpfile();
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int rc = run_execute(x->st, &x->p, e);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	free(x->out);
	free(x->err);
	x->out = slurp(fo);
	x->err = slurp(fe);
	fclose(fo);
	fclose(fe);
	return rc;
}

/* The text up to " in " of the last line of s (the time it took varies). */
static char *without_time(const char *s)
{
	const char *in = strstr(s, " in ");
	return in ? xstrndup(s, (size_t)(in - s)) : xstrdup(s);
}

/* ---- tests ---- */

static const int64_t ids[] = { 1, 2, 3, 4 };

static void test_a_run_that_is_done(void **state)
{
	struct fx *x = *state;
	struct run_exec e = { .run = queue(x, ids, 4) };
	assert_int_equal(execute(x, &e), EXIT_OK);
	char *head = without_time(strstr(x->out, "a run 1 done"));
	assert_string_equal(head, "a run 1 done: 2 chunks");
	free(head);
	assert_non_null(strstr(x->out, "start a 1/2 (chunk 1, attempt 1)\ndone a 1/2 in 0.0s\n"
				       "start a 2/2 (chunk 2, attempt 1)\ndone a 2/2 in 0.0s\n"));
	assert_string_equal(x->err, "");
}

static void test_a_run_that_failed(void **state)
{
	struct fx *x = *state;
	x->fake.exit_code = exits_1;
	struct run_exec e = { .run = queue(x, ids, 2) };
	assert_int_equal(execute(x, &e), EXIT_FAILED);
	assert_string_equal(x->out, "start a 1/1 (chunk 1, attempt 1)\n"
				    "failed a 1/1: exit 1 after 0.0s\n");
	assert_string_equal(x->err, "stau: a run 1: a 1/1 (IDs 1-2) failed: exit 1 after 0.0s; "
				    "log .stau/logs/a/1-1-1.log\n"
				    "stau: a run 1 failed: 1 chunk failed\n");
}

static void test_a_run_without_work(void **state)
{
	struct fx *x = *state;
	struct run_exec e = { .run = queue(x, ids, 0) };
	assert_int_equal(execute(x, &e), EXIT_OK);
	assert_string_equal(x->out, "a run 1 canceled: no work (no IDs given)\n");
	e.selected = true;
	assert_int_equal(execute(x, &e), EXIT_OK);
	assert_string_equal(x->out, "a run 1 canceled: no work (select_work gave no IDs)\n");
	/* for a retry, a run that has nothing to do has not succeeded */
	e.retry = true;
	assert_int_equal(execute(x, &e), EXIT_FAILED);
	assert_string_equal(x->out, "");
	assert_string_equal(x->err, "stau: a run 1 canceled: no work\n");
}

static void test_a_retry_counts_the_chunks_it_retried(void **state)
{
	struct fx *x = *state;
	struct run_exec e = { .run = queue(x, ids, 4), .retry = true, .retried = 1 };
	assert_int_equal(execute(x, &e), EXIT_OK);
	char *head = without_time(strstr(x->out, "a run 1 done"));
	assert_string_equal(head, "a run 1 done: 1 chunk retried");
	free(head);
	/* -q: nothing on stdout */
	msg_verbosity = -1;
	e.retried = 0;
	assert_int_equal(execute(x, &e), EXIT_OK);
	msg_verbosity = 0;
	assert_string_equal(x->out, "");
}

/* Reads run id's IDs as "5,6" text. */
static char *run_ids_text(struct fx *x, int64_t id, struct state_run *r)
{
	int64_t *v = NULL;
	size_t n = 0;
	assert_int_equal(state_run_get(x->st, id, r), 1);
	assert_int_equal(state_run_ids(x->st, id, &v, &n), 0);
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%s%lld", i ? "," : "", (long long)v[i]);
	free(v);
	return sb_detach(&sb);
}

static void test_queue_a_run(void **state)
{
	struct fx *x = *state;
	struct state_run r;
	int64_t id;
	/* IDs given */
	struct run_request q = { .job = "a", .kwargs = "{\"k\":1}", .ids = ids, .nids = 3,
				 .has_ids = true, .select_work = true, .now = NOW };
	assert_int_equal(run_queue(x->st, &x->p, &q, &id), EXIT_OK);
	assert_null(q.failed);
	char *text = run_ids_text(x, id, &r);
	assert_string_equal(text, "1,2,3");
	assert_int_equal(r.state, RUN_QUEUED);
	assert_string_equal(r.kwargs, "{\"k\":1}");
	assert_int_equal(r.created, NOW);
	assert_null(r.entry);
	free(text);
	state_run_release(&r);
	/* from select_work, sorted and unique */
	q = (struct run_request){ .job = "b", .kwargs = "{}", .select_work = true, .force = true,
				  .now = NOW };
	assert_int_equal(run_queue(x->st, &x->p, &q, &id), EXIT_OK);
	text = run_ids_text(x, id, &r);
	assert_string_equal(text, "5,6");
	assert_true(r.has_ids && r.force);
	free(text);
	state_run_release(&r);
	/* no IDs and no select_work asked for: a run without IDs */
	q.select_work = false;
	assert_int_equal(run_queue(x->st, &x->p, &q, &id), EXIT_OK);
	text = run_ids_text(x, id, &r);
	assert_string_equal(text, "");
	assert_false(r.has_ids);
	free(text);
	state_run_release(&r);
	/* a select_work that fails: recorded FAILED with the reason */
	q = (struct run_request){ .job = "c", .kwargs = "{}", .select_work = true, .now = NOW };
	assert_int_equal(run_queue(x->st, &x->p, &q, &id), EXIT_OK);
	assert_non_null(q.failed);
	assert_int_equal(state_run_get(x->st, id, &r), 1);
	assert_int_equal(r.state, RUN_FAILED);
	assert_string_equal(r.message, q.failed);
	state_run_release(&r);
	free(q.failed);
}

/* run_warn_jobs(jobs) with stderr captured; returns what it said. */
static char *warned(struct fx *x, size_t jobs)
{
	FILE *fe = tmpfile();
	fflush(stderr);
	int se = dup(2);
	dup2(fileno(fe), 2);
	run_warn_jobs(&x->p, jobs);
	fflush(stderr);
	dup2(se, 2);
	close(se);
	char *text = slurp(fe);
	fclose(fe);
	return text;
}

static void test_jobs_above_max_parallel(void **state)
{
	struct fx *x = *state;
	char *text = warned(x, 2);
	assert_string_equal(text, "stau: -j 2 is above max_parallel (1 in schedule.yaml): at most "
				  "1 chunk runs at once\n");
	free(text);
	text = warned(x, 1);
	assert_string_equal(text, "");
	free(text);
	text = warned(x, 0);
	assert_string_equal(text, "");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_run_that_is_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_run_that_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_run_without_work, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_retry_counts_the_chunks_it_retried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_queue_a_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_above_max_parallel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
