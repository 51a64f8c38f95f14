/* test_monitor.c - the on_failure hook of failed runs and the metrics file: a hook runs once
 * per failed run with the run in its environment, its failure is said and recorded, and the
 * metrics file is rewritten only when it is missing or shows another state. */
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

#include "metrics.h"
#include "monitor.h"
#include "project.h"
#include "state.h"
#include "util.h"

#define NOW 1800000000LL

static char dir[64];
static struct strbuf said = STRBUF_INIT;

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

static char *read_rel(const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	char *text = read_file(path, NULL);
	free(path);
	return text;
}

static void say(void *ctx, const char *text)
{
	(void)ctx;
	sb_addf(&said, "%s\n", text);
}

static const struct monitor_out out = { say, NULL };

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/stau-monitor.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char *jobs = xasprintf("%s/jobs", dir);
	mkdir(jobs, 0755);
	free(jobs);
	write_text("jobs/j.sh", "#!/bin/sh\n# ---\n# ---\n", 0755);
	write_text("hook", "#!/bin/sh\nenv | grep '^STAU_' | sort >\"$STAU_DIR/env-$STAU_RUN_ID\"\n"
			   "[ -z \"$FAIL\" ] || { echo \"$FAIL\" >&2; exit 2; }\n", 0755);
	write_text("schedule.yaml", "settings:\n  metrics_file: m.prom\n  on_failure: [./hook]\n",
		   0644);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	sb_release(&said);
	return 0;
}

/* A run of j with one chunk that fails; returns the run. */
static int64_t failed_run(struct state *st, int64_t t)
{
	static const int64_t ids[] = { 7 };
	struct job job = { .type = "j" };
	struct graph_node node = { .job = &job };
	struct plan_task task = { .node = &node, .kwargs_json = "{}", .nchunks = 1 };
	struct plan_chunk chunk = { .index = 1, .count = 1, .nids = 1 };
	struct plan p = { .ids = ids, .nids = 1, .has_ids = true, .tasks = &task, .ntasks = 1,
			  .chunks = &chunk, .nchunks = 1 };
	struct state_run_new r = { .job = "j", .ids = ids, .nids = 1, .has_ids = true };
	int64_t run;
	assert_int_equal(state_run_create(st, &r, t, &run), 0);
	assert_int_equal(state_run_activate(st, run, &p, t), 0);
	struct state_claim req = { .run = run };
	assert_int_equal(proc_self(&req.owner), 0);
	struct state_chunk c;
	assert_int_equal(state_claim_ready_chunk(st, &req, t, &c), 1);
	struct state_result res = { .exit_code = 1, .duration_ms = 10 };
	assert_int_equal(state_chunk_finish(st, c.id, &res, t + 1, NULL), 0);
	state_chunk_release(&c);
	return run;
}

static void test_hook_once_per_failed_run(void **state)
{
	(void)state;
	struct project p;
	struct state *st;
	char msg[256];
	assert_int_equal(project_load(dir, &p), 0);
	assert_int_equal(state_open(dir, &st, msg, sizeof(msg)), 0);
	int64_t run = failed_run(st, NOW);
	assert_int_equal(monitor_hooks(st, &p, NOW + 5, &out), 1);
	assert_int_equal(monitor_hooks(st, &p, NOW + 6, &out), 0);
	char *env = read_rel("env-1");
	char *want = xasprintf("STAU_DIR=%s\nSTAU_ENTRY=\nSTAU_FAILED_CHUNKS=j:1/1\n"
			       "STAU_FAILED_LOGS=%s/.stau/logs/j/1-1-1.log\nSTAU_JOB=j\n"
			       "STAU_MESSAGE=1 chunk failed\nSTAU_RUN_ID=1\nSTAU_SCHEDULED_FOR=\n",
			       dir, dir);
	assert_string_equal(env, want);
	free(env);
	free(want);
	struct state_alert a;
	assert_int_equal(state_alert_get(st, run, &a), 1);
	assert_string_equal(a.hook_result, "exit 0");
	assert_int_equal(a.hook_started, NOW + 5);
	free(a.hook_result);
	assert_null(said.buf);

	/* a hook that fails is said and recorded; the run stays as it was */
	setenv("FAIL", "no route to host", 1);
	run = failed_run(st, NOW + 10);
	assert_int_equal(monitor_hooks(st, &p, NOW + 15, &out), 1);
	unsetenv("FAIL");
	assert_string_equal(said.buf, "on_failure of j run 2 failed: exit 2: no route to host\n");
	assert_int_equal(state_alert_get(st, run, &a), 1);
	assert_string_equal(a.hook_result, "exit 2: no route to host");
	free(a.hook_result);
	struct state_run r;
	assert_int_equal(state_run_get(st, run, &r), 1);
	assert_string_equal(run_state_name(r.state), "FAILED");
	state_run_release(&r);
	state_close(st);
	project_release(&p);
}

static void test_metrics_file_only_when_stale(void **state)
{
	(void)state;
	struct project p, sched;
	struct state *st;
	char msg[256];
	struct stat before, after;
	assert_int_equal(project_load(dir, &p), 0);
	assert_int_equal(project_load_schedule(dir, &sched), 0);
	assert_int_equal(state_open(dir, &st, msg, sizeof(msg)), 0);
	char *path = xasprintf("%s/m.prom", dir);
	assert_int_equal(monitor_metrics_file(st, dir, &p, true, NOW, &out), 1);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(before.st_mode & 0777, 0644);
	char *text = read_file(path, NULL);
	int64_t version;
	assert_int_equal(state_runs_changed(st, &version), 0);
	assert_int_equal(metrics_text_version(text), version);
	free(text);
	/* nothing changed: a tick with nothing to do leaves the file */
	assert_int_equal(monitor_metrics_file(st, dir, &sched, false, NOW, &out), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	/* a run changed: it is written again, from the whole project */
	failed_run(st, NOW + 20);
	assert_int_equal(monitor_metrics_file(st, dir, &sched, false, NOW, &out), 1);
	text = read_file(path, NULL);
	assert_non_null(strstr(text, "\nstau_job_failed_runs_total{job=\"j\"} "));
	free(text);
	/* a file that is missing is written again */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(monitor_metrics_file(st, dir, &sched, false, NOW, &out), 1);
	assert_int_equal(access(path, F_OK), 0);
	free(path);
	state_close(st);
	project_release(&sched);
	project_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hook_once_per_failed_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_file_only_when_stale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
