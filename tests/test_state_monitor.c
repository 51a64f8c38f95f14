/* test_state_views.c - what monitoring reads from the state: a job's part in its newest run,
 * running chunks, job and entry counters (kept by triggers), pending on_failure hooks, and
 * the chunk that computed a work ID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"
#include "util.h"

#define NOW 1800000000LL

struct fx {
	char dir[64];
	struct state *st;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/stau-views.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (state_open(f->dir, &f->st, err, sizeof(err)))
		fail_msg("state_open: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	state_close(f->st);
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/* A run of job "top" over IDs 1-4: "dep" in two chunks of two IDs, then "top" in one chunk
 * that waits for both. Returns the run; c[] gets the chunk ids in plan order. */
static int64_t diamond_run(struct state *st, int64_t c[3])
{
	static const int64_t ids[] = { 1, 2, 3, 4 };
	struct job jobs[2] = { { .type = "dep" }, { .type = "top" } };
	struct graph_node nodes[2] = { { .job = &jobs[0] }, { .job = &jobs[1] } };
	struct plan_task tasks[2] = {
		{ .node = &nodes[0], .kwargs_json = "{}", .first_chunk = 0, .nchunks = 2 },
		{ .node = &nodes[1], .kwargs_json = "{}", .first_chunk = 2, .nchunks = 1 },
	};
	size_t deps[2] = { 0, 1 };
	struct plan_chunk chunks[3] = {
		{ .task = 0, .index = 1, .count = 2, .id_off = 0, .nids = 2 },
		{ .task = 0, .index = 2, .count = 2, .id_off = 2, .nids = 2 },
		{ .task = 1, .index = 1, .count = 1, .id_off = 0, .nids = 4, .deps = deps, .ndeps = 2 },
	};
	struct plan p = { .ids = ids, .nids = 4, .has_ids = true, .tasks = tasks, .ntasks = 2,
			  .chunks = chunks, .nchunks = 3 };
	struct state_run_new r = { .job = "top", .ids = ids, .nids = 4, .has_ids = true };
	int64_t run;
	assert_int_equal(state_run_create(st, &r, NOW, &run), 0);
	assert_int_equal(state_run_activate(st, run, &p, NOW), 0);
	struct state_chunk *cs;
	size_t n;
	assert_int_equal(state_run_chunks(st, run, false, &cs, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		c[i] = cs[i].id;
	state_chunks_free(cs, n);
	return run;
}

static int64_t claim(struct state *st, int64_t run, int64_t now)
{
	struct state_claim req = { .run = run };
	assert_int_equal(proc_self(&req.owner), 0);
	struct state_chunk c;
	int rc = state_claim_ready_chunk(st, &req, now, &c);
	assert_true(rc >= 0);
	if (!rc)
		return 0;
	int64_t id = c.id;
	state_chunk_release(&c);
	return id;
}

static void finish(struct state *st, int64_t chunk, bool ok, int64_t now)
{
	struct state_result res = { .ok = ok, .exit_code = !ok, .duration_ms = 1000 };
	assert_int_equal(state_chunk_finish(st, chunk, &res, now, NULL), 0);
}

/* The first chunk of dep fails, the second succeeds: dep FAILED in its run, whatever its
 * last chunk did; top is canceled; the hook of the failed run is pending. */
static void test_a_middle_chunk_that_failed_counts(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = diamond_run(f->st, c);
	assert_int_equal(claim(f->st, run, NOW), c[0]);
	assert_int_equal(claim(f->st, run, NOW), c[1]);

	struct state_running *rn;
	size_t n;
	assert_int_equal(state_running_chunks(f->st, &rn, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rn[0].chunk, c[0]);
	assert_int_equal(rn[0].owner.pid, getpid());
	assert_string_equal(rn[1].job, "dep");
	state_running_free(rn, n);

	finish(f->st, c[0], false, NOW + 1);
	finish(f->st, c[1], true, NOW + 2);

	struct state_job_run *jr;
	assert_int_equal(state_job_runs_last(f->st, &jr, &n), 0);
	assert_int_equal(n, 1); /* top never started */
	assert_string_equal(jr[0].job, "dep");
	assert_int_equal(jr[0].run, run);
	assert_int_equal(jr[0].counts[CHUNK_FAILED], 1);
	assert_int_equal(jr[0].counts[CHUNK_DONE], 1);
	assert_int_equal(jr[0].started, NOW);
	assert_int_equal(jr[0].finished, NOW + 2);
	state_job_runs_free(jr, n);

	struct state_job_info *ji;
	assert_int_equal(state_job_infos(f->st, &ji, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ji[0].job, "dep");
	assert_int_equal(ji[0].failed_chunks, 1);
	assert_int_equal(ji[0].last_success, NOW + 2);
	assert_string_equal(ji[1].job, "top");
	assert_int_equal(ji[1].failed_runs, 1);
	assert_int_equal(ji[1].failed_chunks, 0);
	state_job_infos_free(ji, n);

	int64_t *runs;
	assert_int_equal(state_alerts_pending(f->st, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0], run);
	free(runs);
}

/* A hook is taken by one process only; a retry that fails again makes it pending again. */
static void test_hooks_are_claimed_once(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = diamond_run(f->st, c);
	int64_t before, after;
	assert_int_equal(state_runs_changed(f->st, &before), 0);
	claim(f->st, run, NOW);
	finish(f->st, c[0], false, NOW + 1);
	claim(f->st, run, NOW);
	finish(f->st, c[1], true, NOW + 2);
	assert_int_equal(state_runs_changed(f->st, &after), 0);
	assert_true(after > before);

	assert_int_equal(state_alert_claim(f->st, run, NOW + 3), 1);
	assert_int_equal(state_alert_claim(f->st, run, NOW + 3), 0);
	assert_int_equal(state_alert_record(f->st, run, "exit 0"), 0);
	struct state_alert a;
	assert_int_equal(state_alert_get(f->st, run, &a), 1);
	assert_int_equal(a.failed, NOW + 2);
	assert_int_equal(a.hook_started, NOW + 3);
	assert_string_equal(a.hook_result, "exit 0");
	free(a.hook_result);
	int64_t *runs;
	size_t n;
	assert_int_equal(state_alerts_pending(f->st, &runs, &n), 0);
	assert_int_equal(n, 0);
	assert_null(runs);

	assert_int_equal(state_run_retry(f->st, run, NOW + 10), 2);
	assert_int_equal(claim(f->st, run, NOW + 10), c[0]);
	finish(f->st, c[0], false, NOW + 11);
	assert_int_equal(state_alerts_pending(f->st, &runs, &n), 0);
	assert_int_equal(n, 1);
	free(runs);
	assert_int_equal(state_alert_get(f->st, run, &a), 1);
	assert_int_equal(a.hook_started, 0);
	assert_null(a.hook_result);
	assert_int_equal(state_alert_get(f->st, run + 1, &a), 0);
}

/* Missed and skipped fire times count once each, however often the entry is stored. */
static void test_entry_counts(void **state)
{
	struct fx *f = *state;
	struct state_entry e = { .id = "hourly", .fingerprint = "x", .last_handled = NOW,
				 .last_missed = INT64_MIN, .last_skipped = INT64_MIN };
	assert_int_equal(state_entry_set(f->st, &e), 0);
	e.last_missed = NOW + 3600;
	assert_int_equal(state_entry_set(f->st, &e), 0);
	assert_int_equal(state_entry_set(f->st, &e), 0); /* stored again: no new miss */
	e.last_skipped = NOW + 7200;
	assert_int_equal(state_entry_set(f->st, &e), 0);
	e.last_missed = NOW + 10800;
	assert_int_equal(state_entry_set(f->st, &e), 0);
	struct state_entry_count *ec;
	size_t n;
	assert_int_equal(state_entry_counts(f->st, &ec, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ec[0].entry, "hourly");
	assert_int_equal(ec[0].missed, 2);
	assert_int_equal(ec[0].skipped, 1);
	state_entry_counts_free(ec, n);
}

static void test_chunk_that_computed(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = diamond_run(f->st, c);
	claim(f->st, run, NOW);
	claim(f->st, run, NOW);
	finish(f->st, c[0], true, NOW + 1);
	finish(f->st, c[1], true, NOW + 1);
	int64_t chunk;
	assert_int_equal(state_chunk_that_computed(f->st, "dep", 3, NOW + 1, &chunk), 1);
	assert_int_equal(chunk, c[1]);
	assert_int_equal(state_chunk_that_computed(f->st, "dep", 1, NOW + 1, &chunk), 1);
	assert_int_equal(chunk, c[0]);
	assert_int_equal(state_chunk_that_computed(f->st, "dep", 9, NOW + 1, &chunk), 0);
	assert_int_equal(state_chunk_that_computed(f->st, "dep", 3, NOW + 2, &chunk), 0);
	assert_int_equal(state_chunk_that_computed(f->st, "top", 3, NOW + 1, &chunk), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_middle_chunk_that_failed_counts),
		T(test_hooks_are_claimed_once),
		T(test_entry_counts),
		T(test_chunk_that_computed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
