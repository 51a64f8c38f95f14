/* test_engine.c - the run loop driven by a fake executor and a fake clock (ninja's
 * FakeCommandRunner): order, cascades, retries, -j and max_parallel, broken jobs, the
 * command and environment of a chunk. The state is a real database in a temporary project. */
#include <dirent.h>
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
#include "util.h"
#include "workids.h"

#define NOW 1800000000LL

/* ---- a project in a temporary directory, a fake executor and a fake clock ---- */

struct fx {
	char dir[64];
	struct state *st;
	struct project p;
	struct fake_exec fake;	/* each child takes a second of fake time */
	struct exec_runner ex;
	struct engine_clock clock;
	int64_t now;
	struct strbuf sleeps;	/* "sleep +10\n" per fake-clock sleep */
	struct engine_stats stats;
	char err[512];
};

/* The fake clock: it moves only as children end (fake_exec) and when the engine sleeps. */
static int64_t fake_now(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static void fake_sleep_until(void *ctx, int64_t t)
{
	struct fx *x = ctx;
	sb_addf(&x->sleeps, "sleep +%lld\n", (long long)(t - x->now));
	x->now = t;
}

/* The number of entries in the project's directory `sub` (0 when it does not exist). */
static int count_files(struct fx *x, const char *sub)
{
	char *path = xasprintf("%s/%s", x->dir, sub);
	DIR *d = opendir(path);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	free(path);
	return n;
}

static void put(struct fx *x, const char *name, const char *text, unsigned mode)
{
	char *path = xasprintf("%s/%s", x->dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
	free(path);
}

/* A job file jobs/NAME.sh with the header lines given (each without "# "). */
static void job(struct fx *x, const char *name, const char *header)
{
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "#!/bin/sh\n# ---\n");
	for (const char *l = header; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		sb_adds(&sb, "# ");
		sb_add(&sb, l, n);
		sb_adds(&sb, "\n");
		l += n + (nl ? 1 : 0);
	}
	sb_adds(&sb, "# ---\nexit 0\n");
	char *file = xasprintf("jobs/%s.sh", name);
	put(x, file, sb.buf, 0755);
	free(file);
	sb_release(&sb);
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/stau-engine.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	char *jobs = xasprintf("%s/jobs", x->dir);
	assert_int_equal(mkdir(jobs, 0700), 0);
	free(jobs);
	put(x, "schedule.yaml", "settings:\n  max_parallel: 8\n", 0644);
	x->now = NOW;
	x->fake.clock = &x->now;
	x->fake.duration_ms = 1000;
	x->fake.dir = x->dir;
	x->ex = fake_exec_runner(&x->fake);
	x->clock = (struct engine_clock){ fake_now, fake_sleep_until, x };
	if (state_open(x->dir, &x->st, x->err, sizeof(x->err)))
		fail_msg("state_open: %s", x->err);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	project_release(&x->p);
	state_close(x->st);
	fake_exec_release(&x->fake);
	sb_release(&x->sleeps);
	char *cmd = xasprintf("rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x);
	return 0;
}

static void load(struct fx *x)
{
	project_release(&x->p);
	project_load(x->dir, &x->p);
}

/* Queues and expands a manual run of job over ids ("" = no IDs); returns its id. */
static int64_t queue(struct fx *x, const char *job, const char *ids, const char *kwargs)
{
	struct idlist l = IDLIST_INIT;
	bool has_ids = *ids != '\0';
	assert_int_equal(workids_parse("ids", ids, strlen(ids), WORKIDS_RANGES, &l, x->err,
				       sizeof(x->err)), 0);
	idlist_sort_unique(&l);
	struct engine_new_run r = { .job = job, .kwargs = kwargs, .ids = l.v, .nids = l.n,
				    .has_ids = has_ids };
	int64_t id;
	assert_int_equal(engine_queue_run(x->st, &x->p, &r, x->now, &id, x->err, sizeof(x->err)),
			 0);
	idlist_release(&l);
	char *why = NULL;
	int rc = engine_expand(x->st, &x->p, id, x->now, &why, x->err, sizeof(x->err));
	if (rc != EXPAND_ACTIVE)
		fail_msg("expand: %d %s %s", rc, why ? why : "", x->err);
	return id;
}

static void run_engine(struct fx *x, int64_t run, size_t jobs, bool wait_run)
{
	struct engine_opts o = { .run = run, .jobs = jobs, .wait_run = wait_run, .now = x->now,
				 .clock = &x->clock };
	if (engine_run(x->st, &x->p, &x->ex, &o, NULL, &x->stats, x->err, sizeof(x->err)))
		fail_msg("engine_run: %s", x->err);
}

static enum run_state run_state(struct fx *x, int64_t id, char **message)
{
	struct state_run r;
	assert_int_equal(state_run_get(x->st, id, &r), 1);
	enum run_state s = r.state;
	if (message)
		*message = r.message ? xstrdup(r.message) : NULL;
	state_run_release(&r);
	return s;
}

/* ---- tests ---- */

static void test_dependencies_run_first(void **state)
{
	struct fx *x = *state;
	job(x, "c", "chunk_size: 2");
	job(x, "b", "chunk_size: 4\ndependencies:\n  - job_type: c");
	job(x, "a", "chunk_size: 4\ndependencies:\n  - job_type: b");
	load(x);
	int64_t id = queue(x, "a", "1-4", "{}");
	run_engine(x, id, 1, true);
	assert_string_equal(x->fake.events.buf, "start c 1/2 #1\nend c 1/2 exit 0\n"
						"start c 2/2 #1\nend c 2/2 exit 0\n"
						"start b 1/1 #1\nend b 1/1 exit 0\n"
						"start a 1/1 #1\nend a 1/1 exit 0\n");
	assert_int_equal(run_state(x, id, NULL), RUN_DONE);
	assert_int_equal(x->stats.started, 4);
	assert_int_equal(x->stats.done, 4);
}

static void test_fresh_dependencies_are_not_run_again(void **state)
{
	struct fx *x = *state;
	job(x, "b", "chunk_size: 2");
	job(x, "a", "dependencies:\n  - job_type: b\n    max_lag: 60");
	load(x);
	int64_t id = queue(x, "a", "1-4", "{}");
	run_engine(x, id, 2, true);
	sb_release(&x->fake.events);
	x->now += 30 * 60;
	id = queue(x, "a", "1-4", "{}");
	run_engine(x, id, 1, true);
	/* a has no chunk_size: one chunk per group of 2 IDs (b's chunk_size) */
	assert_string_equal(x->fake.events.buf, "start a 1/2 #1\nend a 1/2 exit 0\n"
						"start a 2/2 #1\nend a 2/2 exit 0\n");
}

static int b2_fails(const char *job, const char *chunk, int attempt)
{
	return !strcmp(job, "b") && !strcmp(chunk, "2/2") ? 1 : 0;
}

static void test_failure_cancels_dependents_only(void **state)
{
	struct fx *x = *state;
	job(x, "b", "chunk_size: 2");
	job(x, "a", "chunk_size: 2\ndependencies:\n  - job_type: b");
	load(x);
	x->fake.exit_code = b2_fails;
	int64_t id = queue(x, "a", "1-4", "{}");
	run_engine(x, id, 1, true);
	assert_string_equal(x->fake.events.buf, "start b 1/2 #1\nend b 1/2 exit 0\n"
						"start b 2/2 #1\nend b 2/2 exit 1\n"
						"start a 1/2 #1\nend a 1/2 exit 0\n");
	char *msg;
	assert_int_equal(run_state(x, id, &msg), RUN_FAILED);
	assert_string_equal(msg, "1 chunk failed, 1 canceled");
	free(msg);
	assert_int_equal(x->stats.failed, 1);
	assert_int_equal(x->stats.done, 2);
}

static int fails_twice(const char *job, const char *chunk, int attempt)
{
	return attempt <= 2 ? 7 : 0;
}

static void test_retries_double_the_delay(void **state)
{
	struct fx *x = *state;
	job(x, "a", "retries: 3\nretry_delay: 10s");
	load(x);
	x->fake.exit_code = fails_twice;
	int64_t id = queue(x, "a", "", "{}");
	run_engine(x, id, 1, true);
	assert_string_equal(x->fake.events.buf, "start a 1/1 #1\nend a 1/1 exit 7\n"
						"start a 1/1 #2\nend a 1/1 exit 7\n"
						"start a 1/1 #3\nend a 1/1 exit 0\n");
	/* each end takes one fake second: the retries wait 10 s, then 20 s */
	assert_string_equal(x->sleeps.buf, "sleep +10\nsleep +20\n");
	assert_int_equal(run_state(x, id, NULL), RUN_DONE);
	assert_int_equal(x->stats.retried, 2);
}

static int always_fails(const char *job, const char *chunk, int attempt)
{
	return 2;
}

static void test_tick_leaves_retries_for_later(void **state)
{
	struct fx *x = *state;
	job(x, "a", "retries: 1\nretry_delay: 30s");
	load(x);
	x->fake.exit_code = always_fails;
	int64_t id = queue(x, "a", "", "{}");
	run_engine(x, 0, 1, false);
	assert_string_equal(x->fake.events.buf, "start a 1/1 #1\nend a 1/1 exit 2\n");
	assert_int_equal(run_state(x, id, NULL), RUN_ACTIVE);
	x->now += 29;
	run_engine(x, 0, 1, false);
	assert_int_equal(x->stats.started, 0);
	x->now += 1;
	run_engine(x, 0, 1, false);
	assert_int_equal(x->stats.failed, 1);
	assert_int_equal(run_state(x, id, NULL), RUN_FAILED);
}

static void test_j_limits_this_process(void **state)
{
	struct fx *x = *state;
	job(x, "a", "chunk_size: 1");
	load(x);
	int64_t id = queue(x, "a", "1-6", "{}");
	run_engine(x, id, 2, true);
	assert_int_equal(x->fake.max_running, 2);
	assert_int_equal(x->stats.done, 6);
	id = queue(x, "a", "1-20", "{}");
	run_engine(x, id, 0, true); /* no -j: max_parallel 8 of schedule.yaml */
	assert_int_equal(x->fake.max_running, 8);
}

static void test_job_max_parallel(void **state)
{
	struct fx *x = *state;
	job(x, "b", "chunk_size: 1\nmax_parallel: 2");
	job(x, "c", "chunk_size: 1");
	job(x, "a", "dependencies:\n  - job_type: b\n  - job_type: c");
	load(x);
	int64_t id = queue(x, "a", "1-6", "{}");
	run_engine(x, id, 6, true);
	assert_int_equal(x->fake.max_running_of[1], 2);
	assert_int_equal(x->fake.max_running, 6);
	assert_int_equal(run_state(x, id, NULL), RUN_DONE);
}

static int fatal_4(const char *job, const char *chunk, int attempt)
{
	return 4;
}

static void test_fatal_exit_breaks_the_job(void **state)
{
	struct fx *x = *state;
	job(x, "b", "fatal_exit_codes: [4]\nretries: 5");
	job(x, "a", "dependencies:\n  - job_type: b");
	load(x);
	x->fake.exit_code = fatal_4;
	int64_t id = queue(x, "a", "", "{}");
	run_engine(x, id, 1, true);
	assert_string_equal(x->fake.events.buf, "start b 1/1 #1\nend b 1/1 exit 4\n");
	assert_int_equal(run_state(x, id, NULL), RUN_FAILED);

	struct engine_new_run r = { .job = "a" };
	assert_int_equal(engine_queue_run(x->st, &x->p, &r, x->now, &id, x->err, sizeof(x->err)),
			 0);
	char *why = NULL;
	assert_int_equal(engine_expand(x->st, &x->p, id, x->now, &why, x->err, sizeof(x->err)),
			 EXPAND_ENDED);
	assert_string_equal(why, "job 'b' is broken: exit 4 in run 1 (one of its "
				 "fatal_exit_codes); see .stau/logs/b/1-1-1.log");
	free(why);
	char *msg;
	assert_int_equal(run_state(x, id, &msg), RUN_FAILED);
	assert_string_equal(msg, "job 'b' is broken: exit 4 in run 1 (one of its "
				 "fatal_exit_codes); see .stau/logs/b/1-1-1.log");
	free(msg);

	/* a new version of the file is no longer broken */
	job(x, "b", "fatal_exit_codes: [4]\nretries: 5\ndescription: fixed");
	load(x);
	assert_int_equal(engine_queue_run(x->st, &x->p, &r, x->now, &id, x->err, sizeof(x->err)),
			 0);
	assert_int_equal(engine_expand(x->st, &x->p, id, x->now, NULL, x->err, sizeof(x->err)),
			 EXPAND_ACTIVE);
}

static void test_broken_header_fails_the_run(void **state)
{
	struct fx *x = *state;
	job(x, "b", "chunk_sise: 2");
	job(x, "a", "dependencies:\n  - job_type: b");
	load(x);
	struct engine_new_run r = { .job = "a" };
	int64_t id;
	assert_int_equal(engine_queue_run(x->st, &x->p, &r, x->now, &id, x->err, sizeof(x->err)),
			 0);
	char *why = NULL;
	assert_int_equal(engine_expand(x->st, &x->p, id, x->now, &why, x->err, sizeof(x->err)),
			 EXPAND_ENDED);
	assert_string_equal(why, "job 'b' is broken: jobs/b.sh:3:3: unknown key 'chunk_sise' "
				 "(did you mean 'chunk_size'?)");
	free(why);
}

static void test_waits_for_open_chunks_of_another_run(void **state)
{
	struct fx *x = *state;
	job(x, "b", "");
	job(x, "a", "dependencies:\n  - job_type: b\n    max_lag: 60");
	load(x);
	queue(x, "b", "", "{}");
	struct engine_new_run r = { .job = "a" };
	int64_t id;
	assert_int_equal(engine_queue_run(x->st, &x->p, &r, x->now, &id, x->err, sizeof(x->err)),
			 0);
	char *why = NULL;
	assert_int_equal(engine_expand(x->st, &x->p, id, x->now, &why, x->err, sizeof(x->err)),
			 EXPAND_WAITING);
	assert_string_equal(why, "waits for chunks of 'b' in another run");
	free(why);
	run_engine(x, 0, 1, false);
	assert_int_equal(engine_expand(x->st, &x->p, id, x->now, NULL, x->err, sizeof(x->err)),
			 EXPAND_ACTIVE);
	run_engine(x, 0, 1, false);
	/* b was fresh from the first run: only a ran for the second */
	assert_string_equal(x->fake.events.buf, "start b 1/1 #1\nend b 1/1 exit 0\n"
						"start a 1/1 #1\nend a 1/1 exit 0\n");
}

static void test_environment_of_a_chunk(void **state)
{
	struct fx *x = *state;
	job(x, "a", "chunk_size: 2\nenv:\n  MODE: fast");
	load(x);
	int64_t id = queue(x, "a", "1-3", "{\"n\":5}");
	run_engine(x, id, 1, true);
	assert_string_equal(x->fake.envs.buf,
			    "MODE=fast STAU_JOB=a STAU_RUN_ID=1 STAU_CHUNK_ID=1 STAU_CHUNK=1/2 "
			    "STAU_ATTEMPT=1 STAU_WORK_IDS=1,2 STAU_KWARGS={\"n\":5} "
			    "STAU_SCHEDULED_FOR= file[1 2 ]\n"
			    "MODE=fast STAU_JOB=a STAU_RUN_ID=1 STAU_CHUNK_ID=2 STAU_CHUNK=2/2 "
			    "STAU_ATTEMPT=1 STAU_WORK_IDS=3 STAU_KWARGS={\"n\":5} "
			    "STAU_SCHEDULED_FOR= file[3 ]\n");
	assert_string_equal(x->fake.argvs.buf, "./jobs/a.sh\n./jobs/a.sh\n");
	/* one IDs file per slot, rewritten for each chunk, and gone once the engine is done */
	char *f = xasprintf("%s/.stau/work/%ld-1.ids", x->dir, (long)getpid());
	assert_int_equal(access(f, F_OK), -1);
	free(f);
	assert_int_equal(count_files(x, ".stau/work"), 0);
}

static void test_huge_id_lists_only_in_the_file(void **state)
{
	struct fx *x = *state;
	job(x, "a", "");
	load(x);
	int64_t id = queue(x, "a", "1000000-1020000", "{}"); /* 20,001 IDs: 160 KB as CSV */
	run_engine(x, id, 1, true);
	assert_non_null(strstr(x->fake.envs.buf, " STAU_WORK_IDS= "));
	assert_non_null(strstr(x->fake.envs.buf, " file[1000000 1000001 "));
	assert_non_null(strstr(x->fake.envs.buf, " 1020000 ]\n"));
}

static void test_commands(void **state)
{
	struct fx *x = *state;
	job(x, "c", "command: [bash, -e, '{file}', --flag]");
	job(x, "b", "command: [bash, -e]");
	put(x, "jobs/a.py", "# ---\n# main_func: go\n# ---\ndef go(**kw): pass\n", 0644);
	put(x, "schedule.yaml", "settings:\n  python: /opt/py/bin/python3\n", 0644);
	load(x);
	run_engine(x, queue(x, "c", "", "{}"), 1, true);
	run_engine(x, queue(x, "b", "", "{}"), 1, true);
	run_engine(x, queue(x, "a", "", "{}"), 1, true);
	assert_string_equal(x->fake.argvs.buf, "bash|-e|./jobs/c.sh|--flag\n"
					       "bash|-e|./jobs/b.sh\n"
					       "/opt/py/bin/python3|-c|<long>|./jobs/a.py|go\n");
}

static void test_not_executable_fails_without_starting(void **state)
{
	struct fx *x = *state;
	job(x, "a", "retries: 3");
	char *path = xasprintf("%s/jobs/a.sh", x->dir);
	assert_int_equal(chmod(path, 0644), 0);
	free(path);
	load(x);
	int64_t id = queue(x, "a", "", "{}");
	run_engine(x, id, 1, true);
	assert_null(x->fake.events.buf);
	assert_int_equal(x->stats.failed, 1);
	struct state_chunk *c;
	size_t n;
	assert_int_equal(state_run_chunks(x->st, id, false, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].state, CHUNK_FAILED);
	assert_string_equal(c[0].message, "'jobs/a.sh' is not executable: run 'chmod +x "
					  "jobs/a.sh', or give it a 'command' or a 'main_func'");
	state_chunks_free(c, n);
}

static void test_lost_chunks_are_recovered_through_the_executor(void **state)
{
	struct fx *x = *state;
	job(x, "a", "chunk_size: 1\nretries: 1\nretry_delay: 10s");
	load(x);
	int64_t id = queue(x, "a", "1-2", "{}");
	/* chunk 1 was claimed by a stau that died after it recorded its child */
	struct state_claim dead = { .owner = { .pid = getpid() + 100000, .start = 1 }, .run = id };
	struct state_chunk c;
	assert_int_equal(state_claim_ready_chunk(x->st, &dead, x->now, &c), 1);
	assert_int_equal(state_chunk_set_child(x->st, c.id, 4242), 1);
	state_chunk_release(&c);
	run_engine(x, id, 1, true);
	assert_string_equal(x->fake.events.buf,
			    "start a 2/2 #1\nend a 2/2 exit 0\n"
			    "kill lost run 1 chunk 1 #1 child 4242 in the project\n"
			    "start a 1/2 #2\nend a 1/2 exit 0\n");
	/* a look at the others a second later, as they were running; then the retry delay */
	assert_string_equal(x->sleeps.buf, "sleep +1\nsleep +9\n");
	assert_int_equal(run_state(x, id, NULL), RUN_DONE);
	/* nothing is lost any more */
	assert_int_equal(engine_recover(x->st, &x->p, &x->ex, x->now, x->err, sizeof(x->err)), 0);
}

/* ---- chunks on Slurm, through a fake cluster ---- */

/* A fake slurm_client: sbatch gives ids from 100 on and writes down what it was given;
 * squeue lists the jobs the test says are in the queue, or fails; scancel is written down. */
struct fake_slurm {
	struct strbuf log;	/* "submit 100 stau-1-1-1 ...\n", "query 100,101\n",
				 * "cancel 100\n" */
	int64_t next_id;
	const char *queued;	/* "100 RUNNING\n..." as squeue prints it; NULL: squeue fails */
	bool no_sbatch;
};

static int fake_submit(void *self, const struct slurm_submit *s, char *const *env,
		       int64_t *job_id, char *err, size_t errlen)
{
	struct fake_slurm *f = self;
	if (f->no_sbatch) {
		snprintf(err, errlen, "'sbatch' was not found in PATH");
		return -1;
	}
	*job_id = f->next_id++;
	sb_addf(&f->log, "submit %lld stau-%lld-%lld-%d", (long long)*job_id,
		(long long)s->run_id, (long long)s->chunk_id, s->attempt);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "STAU_WORK_IDS=", 14) || !strncmp(env[i], "STAU_ATTEMPT=", 13))
			sb_addf(&f->log, " %s", env[i]);
	const char *status = strrchr(s->status_path, '/');
	sb_addf(&f->log, " %s %s\n", status ? status + 1 : "?", s->argv[0]);
	return 0;
}

static int fake_query(void *self, const int64_t *ids, size_t n, struct slurm_queue *q,
		      char *err, size_t errlen)
{
	struct fake_slurm *f = self;
	sb_adds(&f->log, "query");
	for (size_t i = 0; i < n; i++)
		sb_addf(&f->log, "%c%lld", i ? ',' : ' ', (long long)ids[i]);
	sb_adds(&f->log, "\n");
	if (!f->queued) {
		snprintf(err, errlen, "'squeue' failed: no controller");
		return -1;
	}
	return slurm_parse_squeue(f->queued, strlen(f->queued), q, err, errlen);
}

static int fake_cancel(void *self, int64_t job_id, const char *name, char *err, size_t errlen)
{
	struct fake_slurm *f = self;
	(void)err;
	(void)errlen;
	sb_addf(&f->log, "cancel %lld%s%s\n", (long long)job_id, name ? " " : "", name ? name : "");
	return 0;
}

/* Runs the engine as a tick does (not waiting for a run) against fake cluster f. */
static void tick_slurm(struct fx *x, struct fake_slurm *f)
{
	struct slurm_client c = { fake_submit, fake_query, fake_cancel, f };
	struct engine_opts o = { .now = x->now, .clock = &x->clock, .slurm = &c };
	if (engine_run(x->st, &x->p, &x->ex, &o, NULL, &x->stats, x->err, sizeof(x->err)))
		fail_msg("engine_run: %s", x->err);
}

/* Writes the status file the wrapper leaves for chunk `chunk` of run 1, attempt `attempt`,
 * run as Slurm job slurm_job. */
static void status_file(struct fx *x, const char *job, int chunk, int attempt, int code,
			int64_t slurm_job)
{
	char *name = xasprintf(".stau/logs/%s/1-%d-%d.status", job, chunk, attempt);
	char *text = xasprintf("stau-slurm-status 1\nexit %d\njob %lld\nrestarts 0\nstart 10\n"
			       "end 12\n", code, (long long)slurm_job);
	char *abs = xasprintf("%s/%s", x->dir, name);
	assert_int_equal(mkdir_parents(abs, 0700), 0);
	free(abs);
	put(x, name, text, 0600);
	free(text);
	free(name);
}

/* "STATE/ATTEMPT/SLURM-JOB" of each chunk of run 1, by id. */
static char *chunks_of(struct fx *x)
{
	struct state_chunk *c;
	size_t n;
	assert_int_equal(state_run_chunks(x->st, 1, false, &c, &n), 0);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		int64_t job = -1;
		if (c[i].attempt)
			assert_int_not_equal(state_chunk_slurm(x->st, c[i].id, c[i].attempt, &job),
					     -1);
		sb_addf(&sb, "%s%s/%d/%lld", i ? " " : "", chunk_state_name(c[i].state),
			c[i].attempt, (long long)job);
	}
	state_chunks_free(c, n);
	return sb_detach(&sb);
}

static void assert_chunks(struct fx *x, const char *want)
{
	char *got = chunks_of(x);
	assert_string_equal(got, want);
	free(got);
}

static void test_slurm_chunks_are_submitted_and_reconciled_from_status_files(void **state)
{
	struct fx *x = *state;
	struct fake_slurm f = { .next_id = 100, .queued = "101 RUNNING\n" };
	job(x, "a", "executor: slurm\nchunk_size: 2\nretries: 1\nretry_delay: 5s");
	job(x, "b", "executor: slurm\nchunk_size: 4\ndependencies:\n  - job_type: a");
	load(x);
	queue(x, "b", "1-4", "{}");
	/* a tick submits what is ready and does not wait for Slurm */
	tick_slurm(x, &f);
	assert_string_equal(f.log.buf,
			    "submit 100 stau-1-1-1 STAU_ATTEMPT=1 STAU_WORK_IDS=1,2 "
			    "1-1-1.status ./jobs/a.sh\n"
			    "submit 101 stau-1-2-1 STAU_ATTEMPT=1 STAU_WORK_IDS=3,4 "
			    "1-2-1.status ./jobs/a.sh\n");
	assert_null(x->fake.events.buf); /* nothing ran here */
	assert_chunks(x, "RUNNING/1/100 RUNNING/1/101 PENDING/0/-1");
	assert_int_equal(count_files(x, ".stau/logs/a"), 4); /* each log with its IDs file */

	/* the next tick: 100 left a status file (exit 0); 101 runs on */
	sb_release(&f.log);
	status_file(x, "a", 1, 1, 0, 100);
	tick_slurm(x, &f);
	assert_string_equal(f.log.buf, "query 101\n");
	assert_chunks(x, "DONE/1/100 RUNNING/1/101 PENDING/0/-1");

	/* 101 is gone from Slurm without a status file: lost, retried after 5 s */
	sb_release(&f.log);
	f.queued = "";
	tick_slurm(x, &f);
	assert_string_equal(f.log.buf, "query 101\n");
	assert_chunks(x, "DONE/1/100 PENDING/1/101 PENDING/0/-1");
	struct state_chunk c;
	assert_int_equal(state_chunk_get(x->st, 2, &c), 1);
	assert_string_equal(c.message, "lost: Slurm no longer knows job 101 and it recorded no "
				       "exit status");
	state_chunk_release(&c);

	/* retried as a new Slurm job; it fails with exit 3: FAILED for good, b canceled */
	sb_release(&f.log);
	x->now += 5;
	tick_slurm(x, &f);
	assert_string_equal(f.log.buf, "submit 102 stau-1-2-2 STAU_ATTEMPT=2 STAU_WORK_IDS=3,4 "
				       "1-2-2.status ./jobs/a.sh\n");
	status_file(x, "a", 2, 2, 3, 102);
	tick_slurm(x, &f);
	assert_chunks(x, "DONE/1/100 FAILED/2/102 CANCELED/0/-1");
	assert_int_equal(run_state(x, 1, NULL), RUN_FAILED);
	assert_int_equal(state_chunk_get(x->st, 2, &c), 1);
	assert_int_equal(c.exit_code, 3);
	assert_int_equal(c.duration_ms, 2000); /* from the status file's start and end */
	state_chunk_release(&c);
	sb_release(&f.log);
}

static void test_slurm_unreachable_or_missing(void **state)
{
	struct fx *x = *state;
	struct fake_slurm f = { .next_id = 100, .queued = NULL };
	job(x, "a", "executor: slurm\nchunk_size: 1\ntimeout: 30s");
	load(x);
	queue(x, "a", "1-2", "{}");
	tick_slurm(x, &f);
	sb_release(&f.log);
	/* squeue cannot answer: nothing is concluded about any job */
	tick_slurm(x, &f);
	assert_string_equal(f.log.buf, "query 100,101\n");
	assert_chunks(x, "RUNNING/1/100 RUNNING/1/101");
	/* past the job's timeout: cancelled, and timed out */
	sb_release(&f.log);
	x->now += 30;
	tick_slurm(x, &f);
	assert_string_equal(f.log.buf, "cancel 100\ncancel 101\n");
	assert_chunks(x, "FAILED/1/100 FAILED/1/101");
	struct state_chunk c;
	assert_int_equal(state_chunk_get(x->st, 1, &c), 1);
	assert_string_equal(c.message, "timed out after 30s");
	state_chunk_release(&c);
	/* without sbatch: the chunk fails, saying so, and nothing runs here */
	sb_release(&f.log);
	f.no_sbatch = true;
	queue(x, "a", "3", "{}");
	tick_slurm(x, &f);
	assert_null(x->fake.events.buf);
	assert_int_equal(state_chunk_get(x->st, 3, &c), 1);
	assert_int_equal(c.state, CHUNK_FAILED);
	assert_string_equal(c.message, "cannot submit to Slurm: 'sbatch' was not found in PATH");
	state_chunk_release(&c);
	sb_release(&f.log);
}

static void test_slurm_stale_status_files_are_not_outcomes(void **state)
{
	struct fx *x = *state;
	struct fake_slurm f = { .next_id = 100, .queued = "100 RUNNING\n" };
	job(x, "a", "executor: slurm");
	load(x);
	/* left by a chunk of the same name in an earlier database */
	status_file(x, "a", 1, 1, 0, 7);
	queue(x, "a", "", "{}");
	tick_slurm(x, &f);
	char *path = xasprintf("%s/.stau/logs/a/1-1-1.status", x->dir);
	assert_int_equal(access(path, F_OK), -1); /* removed before sbatch */
	free(path);
	/* and a status file of another job is not this one's outcome */
	status_file(x, "a", 1, 1, 0, 7);
	tick_slurm(x, &f);
	assert_chunks(x, "RUNNING/1/100");
	status_file(x, "a", 1, 1, 0, 100);
	tick_slurm(x, &f);
	assert_chunks(x, "DONE/1/100");
	sb_release(&f.log);
}

static void test_slurm_outcome_recorded_once(void **state)
{
	struct fx *x = *state;
	struct fake_slurm f = { .next_id = 100, .queued = "" };
	job(x, "a", "executor: slurm");
	load(x);
	queue(x, "a", "", "{}");
	tick_slurm(x, &f);
	status_file(x, "a", 1, 1, 0, 100);
	/* another stau recorded it first: this one's record is dropped, nothing is counted */
	struct state_result ok = { .ok = true };
	assert_int_equal(state_slurm_finish(x->st, 1, 1, 100, &ok, x->now, NULL), 1);
	assert_int_equal(state_slurm_finish(x->st, 1, 1, 100, &ok, x->now, NULL), 0);
	assert_int_equal(state_slurm_finish(x->st, 1, 2, 100, &ok, x->now, NULL), 0);
	x->stats = (struct engine_stats){ 0 };
	tick_slurm(x, &f);
	assert_int_equal(x->stats.done, 0);
	assert_chunks(x, "DONE/1/100");
	sb_release(&f.log);
}

static void test_retry_time_policy(void **state)
{
	struct fx *x = *state;
	job(x, "a", "retries: 2\nretry_delay: 1m");
	job(x, "b", "");
	load(x);
	assert_int_equal(engine_retry_time(&x->p, "a", 1, 1000), 1060);
	assert_int_equal(engine_retry_time(&x->p, "a", 2, 1000), 1120);
	assert_int_equal(engine_retry_time(&x->p, "a", 3, 1000), 0);
	assert_int_equal(engine_retry_time(&x->p, "b", 1, 1000), 0);
	assert_int_equal(engine_retry_time(&x->p, "nope", 1, 1000), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_dependencies_run_first),
		T(test_fresh_dependencies_are_not_run_again),
		T(test_failure_cancels_dependents_only),
		T(test_retries_double_the_delay),
		T(test_tick_leaves_retries_for_later),
		T(test_j_limits_this_process),
		T(test_job_max_parallel),
		T(test_fatal_exit_breaks_the_job),
		T(test_broken_header_fails_the_run),
		T(test_waits_for_open_chunks_of_another_run),
		T(test_environment_of_a_chunk),
		T(test_huge_id_lists_only_in_the_file),
		T(test_commands),
		T(test_not_executable_fails_without_starting),
		T(test_lost_chunks_are_recovered_through_the_executor),
		T(test_retry_time_policy),
		T(test_slurm_chunks_are_submitted_and_reconciled_from_status_files),
		T(test_slurm_unreachable_or_missing),
		T(test_slurm_outcome_recorded_once),
		T(test_slurm_stale_status_files_are_not_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
