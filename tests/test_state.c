/* test_state.c - the SQLite state store: schema, runs, claims, finishes, orphans, freshness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "state.h"
#include "util.h"

#define NOW 1800000000LL

/* ---- fixtures ---- */

struct fx {
	char dir[64];
	struct state *st;
};

static void rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/stau-state.XXXXXX");
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
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* Runs one SQL statement on the database with a separate plain connection. */
static void raw_sql(const char *dir, const char *sqltext)
{
	char *path = xasprintf("%s/.stau/stau.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sqltext, NULL, NULL, &msg))
		fail_msg("%s: %s", sqltext, msg);
	sqlite3_close(db);
	free(path);
}

/* The text of the first column of the first row of a query, newly allocated. */
static char *raw_query(const char *dir, const char *sqltext)
{
	char *path = xasprintf("%s/.stau/stau.db", dir), *out = NULL;
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sqltext, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	return out;
}

/* A plan built by hand: job types named by the caller, chunks with deps given as indices. */
struct pb {
	struct job jobs[8];
	struct graph_node nodes[8];
	struct plan_task tasks[8];
	struct plan_chunk chunks[64];
	size_t deps[64][4];
	struct plan p;
};

static void pb_init(struct pb *b, const int64_t *ids, size_t nids, bool has_ids)
{
	memset(b, 0, sizeof(*b));
	b->p.ids = ids;
	b->p.nids = nids;
	b->p.has_ids = has_ids;
	b->p.tasks = b->tasks;
	b->p.chunks = b->chunks;
}

static size_t pb_task(struct pb *b, const char *type, const char *kwargs)
{
	size_t t = b->p.ntasks++;
	b->jobs[t].type = (char *)type;
	b->nodes[t].job = &b->jobs[t];
	b->tasks[t].node = &b->nodes[t];
	b->tasks[t].kwargs_json = (char *)kwargs;
	return t;
}

/* Adds chunk index/count of task t over ids[off..off+n), waiting for ndeps earlier chunks. */
static size_t pb_chunk(struct pb *b, size_t t, size_t index, size_t count, size_t off, size_t n,
		       size_t ndeps, ...)
{
	size_t c = b->p.nchunks++;
	struct plan_chunk *ch = &b->chunks[c];
	ch->task = t;
	ch->index = index;
	ch->count = count;
	ch->id_off = off;
	ch->nids = n;
	ch->deps = b->deps[c];
	ch->ndeps = ndeps;
	va_list ap;
	va_start(ap, ndeps);
	for (size_t k = 0; k < ndeps; k++)
		b->deps[c][k] = va_arg(ap, size_t);
	va_end(ap);
	if (!b->tasks[t].nchunks)
		b->tasks[t].first_chunk = c;
	b->tasks[t].nchunks++;
	return c;
}

static int64_t new_run(struct state *st, const char *job, const int64_t *ids, size_t n)
{
	struct state_run_new r = { .job = job, .ids = ids, .nids = n, .has_ids = n > 0 };
	int64_t id = 0;
	assert_int_equal(state_run_create(st, &r, NOW, &id), 0);
	return id;
}

static struct state_claim claim_any(void)
{
	struct state_claim c = { 0 };
	assert_int_equal(proc_self(&c.owner), 0);
	return c;
}

/* Claims a chunk and returns its id, or 0 when none is ready. */
static int64_t claim(struct state *st, const struct state_claim *req, int64_t now)
{
	struct state_chunk c;
	int rc = state_claim_ready_chunk(st, req, now, &c);
	assert_true(rc >= 0);
	if (rc == 0)
		return 0;
	int64_t id = c.id;
	state_chunk_release(&c);
	return id;
}

static enum run_state finish(struct state *st, int64_t chunk, bool ok, int64_t now)
{
	struct state_result res = { .ok = ok, .exit_code = ok ? 0 : 1, .duration_ms = 5,
				    .tail = ok ? NULL : "Traceback: boom" };
	enum run_state ended;
	assert_int_equal(state_chunk_finish(st, chunk, &res, now, &ended), 0);
	return ended;
}

static enum chunk_state chunk_state_of(struct state *st, int64_t id)
{
	struct state_chunk c;
	assert_int_equal(state_chunk_get(st, id, &c), 1);
	enum chunk_state s = c.state;
	state_chunk_release(&c);
	return s;
}

static const char *run_state_of(struct state *st, int64_t id)
{
	struct state_run r;
	assert_int_equal(state_run_get(st, id, &r), 1);
	enum run_state s = r.state;
	state_run_release(&r);
	return run_state_name(s);
}

/* The chunk ids of run in plan order. */
static void chunk_ids(struct state *st, int64_t run, int64_t *out, size_t want)
{
	struct state_chunk *c;
	size_t n;
	assert_int_equal(state_run_chunks(st, run, false, &c, &n), 0);
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++)
		out[i] = c[i].id;
	state_chunks_free(c, n);
}

/* ---- schema ---- */

static void test_open_creates_private_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/stau-state.XXXXXX", err[256];
	assert_non_null(mkdtemp(dir));
	mode_t old = umask(0);
	struct state *st;
	assert_int_equal(state_open(dir, &st, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(state_schema_version(st), STATE_SCHEMA_VERSION);
	struct stat sb;
	char *p = xasprintf("%s/.stau", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(p);
	p = xasprintf("%s/.stau/stau.db", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(p);
	p = xasprintf("%s/.stau/lock", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(p);
	state_close(st);
	char *mode = raw_query(dir, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	rm_rf(dir);
}

static void test_network_file_systems_are_named(void **state)
{
	(void)state;
	assert_string_equal(state_network_fs(0x6969), "NFS");
	assert_string_equal(state_network_fs((long)0xFF534D42), "CIFS");
	assert_string_equal(state_network_fs((long)0xFE534D42), "SMB");
	assert_string_equal(state_network_fs(0x0BD00BD0), "Lustre");
	assert_null(state_network_fs(0xEF53)); /* ext4 */
	assert_null(state_network_fs(0x01021994)); /* tmpfs */
}

static void test_migrates_from_version_0(void **state)
{
	(void)state;
	char dir[] = "/tmp/stau-state.XXXXXX", err[256];
	assert_non_null(mkdtemp(dir));
	char *sdir = xasprintf("%s/.stau", dir);
	assert_int_equal(mkdir(sdir, 0700), 0);
	free(sdir);
	/* an existing database of version 0, as any SQLite file starts */
	raw_sql(dir, "CREATE TABLE unrelated (x)");
	struct state *st;
	assert_int_equal(state_open(dir, &st, err, sizeof(err)), 0);
	assert_int_equal(state_schema_version(st), STATE_SCHEMA_VERSION);
	assert_int_equal(new_run(st, "job_A", NULL, 0), 1);
	state_close(st);
	char *v = raw_query(dir, "PRAGMA user_version");
	char want[16];
	snprintf(want, sizeof(want), "%d", STATE_SCHEMA_VERSION);
	assert_string_equal(v, want);
	free(v);
	/* opening again migrates nothing and keeps the data */
	assert_int_equal(state_open(dir, &st, err, sizeof(err)), 0);
	assert_string_equal(run_state_of(st, 1), "QUEUED");
	state_close(st);
	rm_rf(dir);
}

static void test_refuses_newer_schema(void **state)
{
	struct fx *f = *state;
	char err[256];
	raw_sql(f->dir, "PRAGMA user_version = 99");
	struct state *st = (struct state *)1;
	assert_int_equal(state_open(f->dir, &st, err, sizeof(err)), -1);
	assert_null(st);
	char want[128];
	snprintf(want, sizeof(want),
		 ".stau/stau.db is schema version 99, newer than this stau (%d); upgrade stau",
		 STATE_SCHEMA_VERSION);
	assert_string_equal(err, want);
	/* and the file is left as it was */
	char *v = raw_query(f->dir, "PRAGMA user_version");
	assert_string_equal(v, "99");
	free(v);
}

static void test_not_a_database(void **state)
{
	(void)state;
	char dir[] = "/tmp/stau-state.XXXXXX", err[256];
	assert_non_null(mkdtemp(dir));
	char *p = xasprintf("%s/.stau", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/.stau/stau.db", dir);
	FILE *fp = fopen(p, "w");
	fputs("this is not a database, but it is long enough to look like a header.......\n"
	      "................................................................................",
	      fp);
	fclose(fp);
	free(p);
	struct state *st;
	assert_int_equal(state_open(dir, &st, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot use '.stau/stau.db': file is not a database");
	rm_rf(dir);
}

static void test_lock_held_past_timeout(void **state)
{
	struct fx *f = *state;
	char *p = xasprintf("%s/.stau/lock", f->dir);
	int fd = open(p, O_RDWR);
	free(p);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	setenv("STAU_BUSY_TIMEOUT_MS", "30", 1);
	struct state *st;
	char err[256];
	assert_int_equal(state_open(f->dir, &st, err, sizeof(err)), -1);
	assert_string_equal(err, "'.stau/lock' stayed locked for more than 30 ms by another stau "
				 "process; try again later");
	unsetenv("STAU_BUSY_TIMEOUT_MS");
	/* readers are not blocked by the lock */
	struct state_run r;
	assert_int_equal(state_run_get(f->st, 1, &r), 0);
	close(fd);
}

/* ---- runs ---- */

static void test_run_round_trip(void **state)
{
	struct fx *f = *state;
	int64_t ids[1002];
	for (int i = 0; i < 1000; i++)
		ids[i] = i + 1;
	ids[1000] = 2000;
	ids[1001] = -5;
	int64_t sorted[1002];
	sorted[0] = -5;
	memcpy(sorted + 1, ids, 1001 * sizeof(*ids));
	struct state_run_new rn = { "job_A", "nightly", NOW - 30, "{\"k\": 1}", sorted, 1002, true,
				    "0123abc", true };
	int64_t id;
	assert_int_equal(state_run_create(f->st, &rn, NOW, &id), 0);
	assert_int_equal(id, 1);
	char *raw = raw_query(f->dir, "SELECT ids FROM runs WHERE id = 1");
	assert_string_equal(raw, "-5,1-1000,2000");
	free(raw);

	struct state_run r;
	assert_int_equal(state_run_get(f->st, id, &r), 1);
	assert_string_equal(r.job, "job_A");
	assert_string_equal(r.entry, "nightly");
	assert_int_equal(r.fire_time, NOW - 30);
	assert_string_equal(r.kwargs, "{\"k\": 1}");
	assert_int_equal(r.nids, 1002);
	assert_true(r.has_ids);
	assert_string_equal(r.git, "0123abc");
	assert_true(r.force);
	assert_int_equal(r.created, NOW);
	assert_int_equal(r.started, 0);
	assert_string_equal(run_state_name(r.state), "QUEUED");
	assert_null(r.message);
	state_run_release(&r);

	int64_t *got;
	size_t n;
	assert_int_equal(state_run_ids(f->st, id, &got, &n), 0);
	assert_int_equal(n, 1002);
	assert_memory_equal(got, sorted, sizeof(sorted));
	free(got);
	assert_int_equal(state_run_get(f->st, 99, &r), 0);

	/* a manual run without IDs */
	int64_t id2 = new_run(f->st, "job_B", NULL, 0);
	assert_int_equal(state_run_get(f->st, id2, &r), 1);
	assert_null(r.entry);
	assert_int_equal(r.fire_time, INT64_MIN);
	assert_string_equal(r.kwargs, "{}");
	assert_false(r.has_ids);
	state_run_release(&r);
}

static void test_run_lists(void **state)
{
	struct fx *f = *state;
	new_run(f->st, "job_A", NULL, 0);
	new_run(f->st, "job_B", NULL, 0);
	new_run(f->st, "job_A", NULL, 0);
	struct state_run *runs;
	size_t n;
	assert_int_equal(state_runs_queued(f->st, &runs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].id, 1);
	assert_int_equal(runs[2].id, 3);
	state_runs_free(runs, n);
	assert_int_equal(state_runs_of_job(f->st, "job_A", 1, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].id, 3);
	state_runs_free(runs, n);
	assert_int_equal(state_last_runs(f->st, &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(runs[0].job, "job_A");
	assert_int_equal(runs[0].id, 3);
	assert_string_equal(runs[1].job, "job_B");
	state_runs_free(runs, n);
	assert_int_equal(state_job_active(f->st, "job_A"), 1);
	assert_int_equal(state_job_active(f->st, "job_C"), 0);
	assert_int_equal(state_run_cancel(f->st, 2, "no work", NOW, NULL, NULL), 0);
	assert_int_equal(state_job_active(f->st, "job_B"), 0);
	struct state_run r;
	assert_int_equal(state_run_get(f->st, 2, &r), 1);
	assert_string_equal(run_state_name(r.state), "CANCELED");
	assert_string_equal(r.message, "no work");
	assert_int_equal(r.finished, NOW);
	state_run_release(&r);
}

/* job_A (2 chunks) depends on job_B (1 chunk): B, then A1 and A2 */
static int64_t chain_run(struct state *st, int64_t chunks[3])
{
	static const int64_t ids[] = { 1, 2, 3, 4 };
	struct pb b;
	pb_init(&b, ids, 4, true);
	size_t tb = pb_task(&b, "job_B", "{\"x\":1}"), ta = pb_task(&b, "job_A", "{}");
	pb_chunk(&b, tb, 1, 1, 0, 4, 0);
	pb_chunk(&b, ta, 1, 2, 0, 2, 1, (size_t)0);
	pb_chunk(&b, ta, 2, 2, 2, 2, 1, (size_t)0);
	int64_t run = new_run(st, "job_A", ids, 4);
	assert_int_equal(state_run_activate(st, run, &b.p, NOW), 0);
	chunk_ids(st, run, chunks, 3);
	return run;
}

static void test_activate_stores_plan(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = chain_run(f->st, c);
	assert_string_equal(run_state_of(f->st, run), "ACTIVE");
	struct state_chunk *v;
	size_t n;
	assert_int_equal(state_run_chunks(f->st, run, true, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].job, "job_B");
	assert_string_equal(v[0].kwargs, "{\"x\":1}");
	assert_int_equal(v[0].nids, 4);
	assert_int_equal(v[0].ndeps, 0);
	assert_string_equal(v[2].job, "job_A");
	assert_int_equal(v[2].index, 2);
	assert_int_equal(v[2].count, 2);
	assert_int_equal(v[2].nids, 2);
	assert_int_equal(v[2].ids[0], 3);
	assert_int_equal(v[2].ids[1], 4);
	assert_int_equal(v[2].ndeps, 1);
	assert_int_equal(v[2].deps[0], v[0].id);
	assert_string_equal(chunk_state_name(v[2].state), "PENDING");
	assert_int_equal(v[2].attempt, 0);
	assert_null(v[2].log_path);
	state_chunks_free(v, n);
	/* a second activation is refused */
	struct pb b;
	pb_init(&b, NULL, 0, false);
	assert_int_equal(state_run_activate(f->st, run, &b.p, NOW), -1);
	assert_string_equal(state_errmsg(f->st), "run 1 is ACTIVE, not QUEUED");
	/* a plan without chunks is DONE at once */
	int64_t empty = new_run(f->st, "job_C", NULL, 0);
	assert_int_equal(state_run_activate(f->st, empty, &b.p, NOW), 0);
	assert_string_equal(run_state_of(f->st, empty), "DONE");
}

static void test_claim_respects_dependencies(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = chain_run(f->st, c);
	struct state_claim req = claim_any();
	struct state_chunk ch;
	assert_int_equal(state_claim_ready_chunk(f->st, &req, NOW + 1, &ch), 1);
	assert_int_equal(ch.id, c[0]);
	assert_string_equal(ch.job, "job_B");
	assert_string_equal(chunk_state_name(ch.state), "RUNNING");
	assert_int_equal(ch.attempt, 1);
	assert_int_equal(ch.started, NOW + 1);
	assert_int_equal(ch.owner.pid, getpid());
	assert_int_equal(ch.nids, 4);
	assert_int_equal(ch.ids[3], 4);
	assert_true(ch.has_ids);
	assert_int_equal(ch.scheduled_for, INT64_MIN);
	char want[64];
	snprintf(want, sizeof(want), ".stau/logs/job_B/%lld-%lld-1.log", (long long)run,
		 (long long)c[0]);
	assert_string_equal(ch.log_path, want);
	state_chunk_release(&ch);
	/* job_A's chunks wait for job_B */
	assert_int_equal(claim(f->st, &req, NOW + 1), 0);
	assert_int_equal(state_chunk_set_child(f->st, c[0], 4242), 1);
	assert_int_equal(state_chunk_get(f->st, c[0], &ch), 1);
	assert_int_equal(ch.child, 4242);
	state_chunk_release(&ch);
	assert_int_equal(finish(f->st, c[0], true, NOW + 2), RUN_ACTIVE);
	assert_int_equal(claim(f->st, &req, NOW + 2), c[1]);
	assert_int_equal(claim(f->st, &req, NOW + 2), c[2]);
	assert_int_equal(claim(f->st, &req, NOW + 2), 0);
	assert_int_equal(finish(f->st, c[2], true, NOW + 3), RUN_ACTIVE);
	assert_int_equal(finish(f->st, c[1], true, NOW + 4), RUN_DONE);
	struct state_run r;
	assert_int_equal(state_run_get(f->st, run, &r), 1);
	assert_string_equal(run_state_name(r.state), "DONE");
	assert_int_equal(r.started, NOW);
	assert_int_equal(r.finished, NOW + 4);
	assert_int_equal(r.counts[CHUNK_DONE], 3);
	state_run_release(&r);
	/* a chunk that is no longer RUNNING cannot be finished again */
	struct state_result res = { .ok = true };
	assert_int_equal(state_chunk_finish(f->st, c[1], &res, NOW + 5, NULL), -1);
	snprintf(want, sizeof(want), "chunk %lld is DONE, not RUNNING", (long long)c[1]);
	assert_string_equal(state_errmsg(f->st), want);
}

/* n independent chunks of job_X (and m of job_Y) in one run */
static int64_t flat_run(struct state *st, size_t nx, size_t ny)
{
	struct pb b;
	pb_init(&b, NULL, 0, false);
	size_t tx = pb_task(&b, "job_X", "{}"), ty = pb_task(&b, "job_Y", "{}");
	for (size_t i = 0; i < nx; i++)
		pb_chunk(&b, tx, i + 1, nx, 0, 0, 0);
	for (size_t i = 0; i < ny; i++)
		pb_chunk(&b, ty, i + 1, ny, 0, 0, 0);
	int64_t run = new_run(st, "job_X", NULL, 0);
	assert_int_equal(state_run_activate(st, run, &b.p, NOW), 0);
	return run;
}

static int64_t limit_x_to_1(void *ctx, const char *job)
{
	(void)ctx;
	return strcmp(job, "job_X") ? 0 : 1;
}

static void test_claim_respects_max_parallel(void **state)
{
	struct fx *f = *state;
	int64_t run = flat_run(f->st, 3, 0);
	int64_t c[5];
	chunk_ids(f->st, run, c, 3);
	struct state_claim req = claim_any();
	req.max_running = 2;
	assert_int_equal(claim(f->st, &req, NOW), c[0]);
	/* running chunks are counted across processes: the second comes from another owner */
	struct state_claim other = req;
	other.owner.pid = getppid();
	assert_int_equal(proc_id_of(other.owner.pid, &other.owner), 1);
	assert_int_equal(claim(f->st, &other, NOW), c[1]);
	assert_int_equal(claim(f->st, &req, NOW), 0);
	int64_t n;
	assert_int_equal(state_running_count(f->st, NULL, &n), 0);
	assert_int_equal(n, 2);
	finish(f->st, c[0], true, NOW);
	assert_int_equal(claim(f->st, &req, NOW), c[2]);
	finish(f->st, c[1], true, NOW);
	finish(f->st, c[2], true, NOW);

	/* per job type: job_X at most 1, job_Y unlimited */
	int64_t run2 = flat_run(f->st, 3, 2);
	chunk_ids(f->st, run2, c, 5);
	req.max_running = 0;
	req.job_limit = limit_x_to_1;
	assert_int_equal(claim(f->st, &req, NOW), c[0]);
	assert_int_equal(claim(f->st, &req, NOW), c[3]);
	assert_int_equal(claim(f->st, &req, NOW), c[4]);
	assert_int_equal(claim(f->st, &req, NOW), 0);
	assert_int_equal(state_running_count(f->st, "job_X", &n), 0);
	assert_int_equal(n, 1);
	finish(f->st, c[0], true, NOW);
	assert_int_equal(claim(f->st, &req, NOW), c[1]);
	/* claims limited to one run take nothing from another */
	int64_t run3 = flat_run(f->st, 0, 1);
	req.run = run2;
	req.job_limit = NULL;
	assert_int_equal(claim(f->st, &req, NOW), c[2]);
	assert_int_equal(claim(f->st, &req, NOW), 0);
	req.run = run3;
	assert_true(claim(f->st, &req, NOW) > c[4]);
}

static void test_concurrent_claims_never_share(void **state)
{
	struct fx *f = *state;
	enum { N = 120, PROCS = 3 };
	struct pb *b = xcalloc(1, sizeof(*b));
	pb_init(b, NULL, 0, false);
	size_t t = pb_task(b, "job_X", "{}");
	int64_t run = new_run(f->st, "job_X", NULL, 0);
	/* 64 chunks per plan: two runs of 60 */
	for (size_t i = 0; i < N / 2; i++)
		pb_chunk(b, t, i + 1, N / 2, 0, 0, 0);
	assert_int_equal(state_run_activate(f->st, run, &b->p, NOW), 0);
	run = new_run(f->st, "job_X", NULL, 0);
	assert_int_equal(state_run_activate(f->st, run, &b->p, NOW), 0);
	free(b);
	/* no connection crosses the fork: each process opens its own */
	state_close(f->st);
	f->st = NULL;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t kids[PROCS];
	for (int k = 0; k < PROCS; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			struct state *st;
			char err[256];
			close(fds[0]);
			if (state_open(f->dir, &st, err, sizeof(err)))
				_exit(2);
			struct state_claim req = { 0 };
			proc_self(&req.owner);
			struct state_chunk c;
			int rc;
			while ((rc = state_claim_ready_chunk(st, &req, NOW, &c)) == 1) {
				struct state_result res = { .ok = true };
				if (write(fds[1], &c.id, sizeof(c.id)) != sizeof(c.id) ||
				    state_chunk_finish(st, c.id, &res, NOW, NULL))
					_exit(3);
				state_chunk_release(&c);
			}
			state_close(st);
			_exit(rc == 0 ? 0 : 4);
		}
	}
	close(fds[1]);
	char seen[2 * N + 2] = { 0 };
	int64_t id;
	size_t total = 0;
	while (read(fds[0], &id, sizeof(id)) == sizeof(id)) {
		assert_true(id >= 1 && id <= N);
		assert_int_equal(seen[id], 0);
		seen[id] = 1;
		total++;
	}
	close(fds[0]);
	for (int k = 0; k < PROCS; k++) {
		int status;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(total, N);
	char err[256];
	assert_int_equal(state_open(f->dir, &f->st, err, sizeof(err)), 0);
	assert_string_equal(run_state_of(f->st, 1), "DONE");
	assert_string_equal(run_state_of(f->st, 2), "DONE");
}

/* ---- finishing ---- */

static void test_finish_done_records_freshness(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	chain_run(f->st, c);
	struct state_claim req = claim_any();
	claim(f->st, &req, NOW);
	finish(f->st, c[0], true, NOW + 60);
	struct freshness_src src = state_freshness_src(f->st);
	int64_t ids[] = { 0, 2, 4, 5 }, fin[4];
	char err[256];
	assert_int_equal(src.per_ids(src.ctx, "job_B", ids, 4, fin, err, sizeof(err)), 0);
	assert_int_equal(fin[0], 0);
	assert_int_equal(fin[1], NOW + 60);
	assert_int_equal(fin[2], NOW + 60);
	assert_int_equal(fin[3], 0);
	assert_int_equal(src.per_ids(src.ctx, "job_A", ids, 4, fin, err, sizeof(err)), 0);
	assert_int_equal(fin[1], 0);
	int64_t t;
	assert_int_equal(src.per_type(src.ctx, "job_B", &t, err, sizeof(err)), 0);
	assert_int_equal(t, NOW + 60);
	assert_int_equal(src.per_type(src.ctx, "job_A", &t, err, sizeof(err)), 0);
	assert_int_equal(t, 0);
	/* an older finish never moves freshness back */
	claim(f->st, &req, NOW);
	finish(f->st, c[1], true, NOW + 120);
	assert_int_equal(state_job_last_success(f->st, "job_A", &t), 0);
	assert_int_equal(t, NOW + 120);
}

/* A result keeps the code its run recorded for its job; a source that wants a code counts
 * only results of that code (fresh_requires_same_code). */
static void test_freshness_of_the_same_code(void **state)
{
	struct fx *f = *state;
	int64_t c[3], code;
	int64_t run = chain_run(f->st, c);
	assert_int_equal(state_run_code_set(f->st, run, "job_B", "fnv1a64:00000000000000ab"), 0);
	assert_true(state_code_of("fnv1a64:00000000000000ab", &code));
	assert_int_equal(code, 0xab);
	assert_false(state_code_of("sha1:ab", &code));
	struct strvec rc = { 0 };
	assert_int_equal(state_run_code(f->st, run, &rc), 0);
	assert_int_equal(rc.n, 2);
	assert_string_equal(rc.v[0], "job_B");
	assert_string_equal(rc.v[1], "fnv1a64:00000000000000ab");
	strvec_release(&rc);
	struct state_claim req = claim_any();
	claim(f->st, &req, NOW);
	finish(f->st, c[0], true, NOW + 60);
	const char *types[] = { "job_B" };
	int64_t same[] = { 0xab }, other[] = { 0xcd };
	struct state_code_req want = { f->st, types, same, 1 };
	struct freshness_src src = state_freshness_src_code(&want);
	int64_t ids[] = { 1, 2 }, fin[2], t;
	char err[256];
	assert_int_equal(src.per_ids(src.ctx, "job_B", ids, 2, fin, err, sizeof(err)), 0);
	assert_int_equal(fin[0], NOW + 60);
	assert_int_equal(src.per_type(src.ctx, "job_B", &t, err, sizeof(err)), 0);
	assert_int_equal(t, NOW + 60);
	want.codes = other;
	assert_int_equal(src.per_ids(src.ctx, "job_B", ids, 2, fin, err, sizeof(err)), 0);
	assert_int_equal(fin[0], 0);
	assert_int_equal(fin[1], 0);
	assert_int_equal(src.per_type(src.ctx, "job_B", &t, err, sizeof(err)), 0);
	assert_int_equal(t, 0);
}

/* a1 <- b1 <- c1 and a2 <- b2, plus d with no dependencies */
static int64_t fork_run(struct state *st, int64_t c[6])
{
	static const int64_t ids[] = { 10, 20 };
	struct pb b;
	pb_init(&b, ids, 2, true);
	size_t ta = pb_task(&b, "job_a", "{}"), tb = pb_task(&b, "job_b", "{}"),
	       tc = pb_task(&b, "job_c", "{}"), td = pb_task(&b, "job_d", "{}");
	pb_chunk(&b, ta, 1, 2, 0, 1, 0);
	pb_chunk(&b, ta, 2, 2, 1, 1, 0);
	pb_chunk(&b, tb, 1, 2, 0, 1, 1, (size_t)0);
	pb_chunk(&b, tb, 2, 2, 1, 1, 1, (size_t)1);
	pb_chunk(&b, tc, 1, 1, 0, 2, 1, (size_t)2);
	pb_chunk(&b, td, 1, 1, 0, 2, 0);
	int64_t run = new_run(st, "job_c", ids, 2);
	assert_int_equal(state_run_activate(st, run, &b.p, NOW), 0);
	chunk_ids(st, run, c, 6);
	return run;
}

static void test_failure_cancels_dependents_only(void **state)
{
	struct fx *f = *state;
	int64_t c[6];
	int64_t run = fork_run(f->st, c);
	struct state_claim req = claim_any();
	assert_int_equal(claim(f->st, &req, NOW), c[0]);
	assert_int_equal(finish(f->st, c[0], false, NOW + 1), RUN_ACTIVE);
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[0])), "FAILED");
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[2])), "CANCELED");
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[4])), "CANCELED");
	struct state_chunk ch;
	assert_int_equal(state_chunk_get(f->st, c[4], &ch), 1);
	assert_string_equal(ch.message, "upstream failed");
	state_chunk_release(&ch);
	assert_int_equal(state_chunk_get(f->st, c[0], &ch), 1);
	assert_string_equal(ch.tail, "Traceback: boom");
	assert_int_equal(ch.exit_code, 1);
	state_chunk_release(&ch);
	/* the independent branch runs to the end */
	assert_int_equal(claim(f->st, &req, NOW), c[1]);
	assert_int_equal(claim(f->st, &req, NOW), c[5]);
	assert_int_equal(finish(f->st, c[1], true, NOW + 2), RUN_ACTIVE);
	assert_int_equal(claim(f->st, &req, NOW), c[3]);
	assert_int_equal(finish(f->st, c[3], true, NOW + 3), RUN_ACTIVE);
	assert_int_equal(finish(f->st, c[5], true, NOW + 4), RUN_FAILED);
	struct state_run r;
	assert_int_equal(state_run_get(f->st, run, &r), 1);
	assert_string_equal(run_state_name(r.state), "FAILED");
	assert_string_equal(r.message, "1 chunk failed, 2 canceled");
	assert_int_equal(r.counts[CHUNK_DONE], 3);
	assert_int_equal(r.finished, NOW + 4);
	state_run_release(&r);

	/* stau retry: the failed and canceled chunks run again, in order */
	assert_int_equal(state_run_retry(f->st, run, NOW + 10), 3);
	assert_string_equal(run_state_of(f->st, run), "ACTIVE");
	assert_int_equal(claim(f->st, &req, NOW + 10), c[0]);
	assert_int_equal(claim(f->st, &req, NOW + 10), 0);
	assert_int_equal(state_chunk_get(f->st, c[0], &ch), 1);
	assert_int_equal(ch.attempt, 2);
	assert_null(ch.tail);
	state_chunk_release(&ch);
	finish(f->st, c[0], true, NOW + 11);
	assert_int_equal(claim(f->st, &req, NOW + 11), c[2]);
	finish(f->st, c[2], true, NOW + 12);
	assert_int_equal(claim(f->st, &req, NOW + 12), c[4]);
	assert_int_equal(finish(f->st, c[4], true, NOW + 13), RUN_DONE);
}

static void test_retry_waits_for_its_time(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = chain_run(f->st, c);
	struct state_claim req = claim_any();
	assert_int_equal(claim(f->st, &req, NOW), c[0]);
	struct state_result res = { .exit_code = -1, .signal = 9, .message = "killed",
				    .retry_at = NOW + 30 };
	enum run_state ended;
	assert_int_equal(state_chunk_finish(f->st, c[0], &res, NOW + 1, &ended), 0);
	assert_int_equal(ended, RUN_ACTIVE);
	struct state_chunk ch;
	assert_int_equal(state_chunk_get(f->st, c[0], &ch), 1);
	assert_string_equal(chunk_state_name(ch.state), "PENDING");
	assert_int_equal(ch.not_before, NOW + 30);
	assert_int_equal(ch.signal, 9);
	assert_int_equal(ch.exit_code, -1);
	assert_string_equal(ch.message, "killed");
	state_chunk_release(&ch);
	/* dependents still wait */
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[1])), "PENDING");
	assert_int_equal(claim(f->st, &req, NOW + 29), 0);
	int64_t t;
	assert_int_equal(state_next_retry(f->st, 0, NOW + 29, &t), 0);
	assert_int_equal(t, NOW + 30);
	assert_int_equal(state_next_retry(f->st, run, NOW + 29, &t), 0);
	assert_int_equal(t, NOW + 30);
	assert_int_equal(state_next_retry(f->st, run + 1, NOW + 29, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(state_claim_ready_chunk(f->st, &req, NOW + 30, &ch), 1);
	assert_int_equal(ch.id, c[0]);
	assert_int_equal(ch.attempt, 2);
	assert_non_null(strstr(ch.log_path, "-2.log"));
	assert_null(ch.message);
	state_chunk_release(&ch);
}

static void test_cancel_run(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = chain_run(f->st, c);
	struct state_claim req = claim_any();
	assert_int_equal(claim(f->st, &req, NOW), c[0]);
	assert_int_equal(state_chunk_set_child(f->st, c[0], 777), 1);
	pid_t *pids;
	size_t n;
	assert_int_equal(state_run_cancel(f->st, run, "canceled by user", NOW + 5, &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], 777);
	free(pids);
	assert_string_equal(run_state_of(f->st, run), "CANCELED");
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[1])), "CANCELED");
	/* an owner that stores its child's pid only now hears that it must stop it itself */
	assert_int_equal(state_chunk_set_child(f->st, c[0], 778), 0);
	/* the running chunk ends later; its failure is not retried in a canceled run */
	struct state_result res = { .exit_code = -1, .signal = 15, .retry_at = NOW + 60 };
	enum run_state ended;
	assert_int_equal(state_chunk_finish(f->st, c[0], &res, NOW + 6, &ended), 0);
	assert_int_equal(ended, RUN_CANCELED);
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[0])), "FAILED");
	assert_string_equal(run_state_of(f->st, run), "CANCELED");
	/* failing a queued run */
	int64_t q = new_run(f->st, "job_Q", NULL, 0);
	assert_int_equal(state_run_fail(f->st, q, "job 'job_Q' is broken: bad header", NOW), 0);
	struct state_run r;
	assert_int_equal(state_run_get(f->st, q, &r), 1);
	assert_string_equal(run_state_name(r.state), "FAILED");
	assert_string_equal(r.message, "job 'job_Q' is broken: bad header");
	state_run_release(&r);
}

static void test_job_has_open_chunks(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = chain_run(f->st, c);
	assert_int_equal(state_job_has_open_chunks(f->st, "job_B", 0), 1);
	assert_int_equal(state_job_has_open_chunks(f->st, "job_B", run), 0);
	assert_int_equal(state_job_has_open_chunks(f->st, "job_Z", 0), 0);
	struct state_claim req = claim_any();
	claim(f->st, &req, NOW);
	assert_int_equal(state_job_has_open_chunks(f->st, "job_B", 0), 1);
	finish(f->st, c[0], true, NOW);
	assert_int_equal(state_job_has_open_chunks(f->st, "job_B", 0), 0);
}

/* ---- orphans ---- */

/* The pid of a process that has exited and been reaped. */
static pid_t dead_pid(void)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) { /* a new program image: nothing of this process is left to leak */
		execlp("true", "true", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(p, NULL, 0), p);
	return p;
}

static int64_t retry_in_a_minute(void *ctx, const char *job, int attempt, int64_t now)
{
	(void)ctx;
	return strcmp(job, "job_X") == 0 && attempt == 1 ? now + 60 : 0;
}

/* The liveness of owners as the local executor sees it. */
static bool owner_alive(void *ctx, const struct state_owned *c)
{
	(*(int *)ctx)++;
	return proc_alive(&c->owner);
}

static void test_recover_orphans(void **state)
{
	struct fx *f = *state;
	int64_t run = flat_run(f->st, 2, 1);
	int64_t c[3];
	chunk_ids(f->st, run, c, 3);
	struct state_claim mine = claim_any(), dead = mine, reused = mine;
	dead.owner.pid = dead_pid();
	reused.owner.start = mine.owner.start + 1; /* our pid, but another process's start time */
	assert_int_equal(claim(f->st, &dead, NOW), c[0]);
	assert_int_equal(claim(f->st, &mine, NOW), c[1]);
	assert_int_equal(claim(f->st, &reused, NOW), c[2]);
	assert_int_equal(state_chunk_set_child(f->st, c[2], 4242), 1);
	int asked = 0;
	struct state_recovery how = { .alive = owner_alive, .alive_ctx = &asked,
				      .retry = retry_in_a_minute };
	struct state_owned *lost;
	assert_int_equal(state_recover_orphans(f->st, NOW + 5, &how, &lost), 2);
	assert_int_equal(asked, 6); /* each owner looked at twice: before the lock, under it */
	assert_int_equal(lost[0].id, c[0]);
	assert_int_equal(lost[0].run, run);
	assert_int_equal(lost[0].attempt, 1);
	assert_int_equal(lost[0].child, 0); /* never recorded */
	assert_int_equal(lost[0].owner.pid, dead.owner.pid);
	assert_int_equal(lost[1].id, c[2]);
	assert_int_equal(lost[1].child, 4242);
	free(lost);
	struct state_chunk ch;
	assert_int_equal(state_chunk_get(f->st, c[0], &ch), 1);
	assert_string_equal(chunk_state_name(ch.state), "PENDING"); /* retried */
	assert_string_equal(ch.message, "runner lost");
	assert_int_equal(ch.not_before, NOW + 65);
	state_chunk_release(&ch);
	assert_string_equal(chunk_state_name(chunk_state_of(f->st, c[1])), "RUNNING");
	assert_int_equal(state_chunk_get(f->st, c[2], &ch), 1);
	assert_string_equal(chunk_state_name(ch.state), "FAILED"); /* job_Y: no retry */
	assert_string_equal(ch.message, "runner lost");
	state_chunk_release(&ch);
	how.retry = NULL;
	assert_int_equal(state_recover_orphans(f->st, NOW + 6, &how, &lost), 0);
	assert_null(lost);
}

/* ---- freshness at scale ----
 * Correctness only: how fast it is, bench/expand.sh measures beside its floor (a timed unit
 * test fails on a loaded machine and under valgrind). */

static void test_freshness_of_many_ids(void **state)
{
	struct fx *f = *state;
	enum { N = 100000 };
	int64_t *ids = xmalloc(2 * N * sizeof(*ids));
	for (size_t i = 0; i < N; i++)
		ids[i] = 3 * (int64_t)i; /* multiples of 3 succeed */
	struct pb b;
	pb_init(&b, ids, N, true);
	pb_chunk(&b, pb_task(&b, "job_F", "{}"), 1, 1, 0, N, 0);
	int64_t run = new_run(f->st, "job_F", ids, N);
	assert_int_equal(state_run_activate(f->st, run, &b.p, NOW), 0);
	struct state_claim req = claim_any();
	int64_t c = claim(f->st, &req, NOW);
	assert_int_equal(finish(f->st, c, true, NOW + 7), RUN_DONE);

	/* ask about 0..2N-1: a third of them are fresh */
	for (size_t i = 0; i < 2 * N; i++)
		ids[i] = (int64_t)i;
	int64_t *fin = xmalloc(2 * N * sizeof(*fin));
	struct freshness_src src = state_freshness_src(f->st);
	char err[256];
	assert_int_equal(src.per_ids(src.ctx, "job_F", ids, 2 * N, fin, err, sizeof(err)), 0);
	for (size_t i = 0; i < 2 * N; i++)
		if (fin[i] != (i % 3 == 0 && i < 3 * N ? NOW + 7 : 0))
			fail_msg("id %zu: %lld", i, (long long)fin[i]);
	/* sparse questions re-seek instead of scanning the rows between */
	int64_t sparse[] = { -1, 3, 150000, 299997, 299998, 1000000 }, sf[6];
	assert_int_equal(src.per_ids(src.ctx, "job_F", sparse, 6, sf, err, sizeof(err)), 0);
	int64_t want[] = { 0, NOW + 7, NOW + 7, NOW + 7, 0, 0 };
	assert_memory_equal(sf, want, sizeof(want));
	free(ids);
	free(fin);
}

/* A run that is a chain of n chunks of job_X, each waiting for the one before. */
static int64_t chain_of(struct state *st, size_t n)
{
	struct pb *b = xcalloc(1, sizeof(*b));
	pb_init(b, NULL, 0, false);
	size_t t = pb_task(b, "job_X", "{}");
	b->p.chunks = xcalloc(n, sizeof(*b->p.chunks));
	size_t *deps = xcalloc(n, sizeof(*deps));
	for (size_t i = 0; i < n; i++) {
		b->p.chunks[i] = (struct plan_chunk){ .task = t, .index = i + 1, .count = n, .deps = deps + i,
						      .ndeps = i > 0 };
		deps[i] = i - 1;
	}
	b->p.nchunks = n;
	b->tasks[t].nchunks = n;
	int64_t run = new_run(st, "job_X", NULL, 0);
	assert_int_equal(state_run_activate(st, run, &b->p, NOW), 0);
	free(b->p.chunks);
	free(deps);
	free(b);
	return run;
}

static void test_claim_finish_chains(void **state)
{
	struct fx *f = *state;
	enum { N = 1000 };
	int64_t run = chain_of(f->st, N), first = 1;
	struct state_claim req = claim_any();
	req.run = run;
	for (size_t i = 0; i < N; i++) {
		int64_t c = claim(f->st, &req, NOW);
		assert_int_equal(c, first + (int64_t)i);
		assert_int_equal(claim(f->st, &req, NOW), 0);
		finish(f->st, c, true, NOW);
	}
	assert_string_equal(run_state_of(f->st, run), "DONE");

	/* finishing a chunk and claiming the next in one transaction: one sync per chunk */
	req.run = chain_of(f->st, N);
	first += N;
	struct state_chunk c;
	assert_int_equal(state_claim_ready_chunk(f->st, &req, NOW, &c), 1);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(c.id, first + (int64_t)i);
		int64_t id = c.id;
		state_chunk_release(&c);
		struct state_result res = { .ok = true };
		assert_int_equal(state_begin(f->st), 0);
		assert_int_equal(state_chunk_finish(f->st, id, &res, NOW, NULL), 0);
		int rc = state_claim_ready_chunk(f->st, &req, NOW, &c);
		assert_int_equal(state_commit(f->st), 0);
		assert_int_equal(rc, i + 1 < N);
	}
	assert_string_equal(run_state_of(f->st, req.run), "DONE");
}

/* ---- entries and once-only records ---- */

static void test_entries(void **state)
{
	struct fx *f = *state;
	struct state_entry e = { "say-hello", "*/20 * * * * UTC", NOW, INT64_MIN, NOW - 60, 3 };
	struct state_entry got;
	assert_int_equal(state_entry_get(f->st, "say-hello", &got), 0);
	assert_int_equal(state_entry_set(f->st, &e), 0);
	struct state_entry e2 = { "a-first", "@daily UTC", INT64_MIN, INT64_MIN, INT64_MIN, 0 };
	assert_int_equal(state_entry_set(f->st, &e2), 0);
	assert_int_equal(state_entry_get(f->st, "say-hello", &got), 1);
	assert_string_equal(got.fingerprint, "*/20 * * * * UTC");
	assert_int_equal(got.last_handled, NOW);
	assert_int_equal(got.last_missed, INT64_MIN);
	assert_int_equal(got.last_skipped, NOW - 60);
	assert_int_equal(got.last_run, 3);
	state_entry_release(&got);
	e.last_handled = NOW + 1200;
	assert_int_equal(state_entry_set(f->st, &e), 0);
	struct state_entry *all;
	size_t n;
	assert_int_equal(state_entries_all(f->st, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].id, "a-first");
	assert_int_equal(all[0].last_handled, INT64_MIN);
	assert_int_equal(all[0].last_run, 0);
	assert_string_equal(all[1].id, "say-hello");
	assert_int_equal(all[1].last_handled, NOW + 1200);
	state_entries_free(all, n);
}

static void test_entries_in_one_transaction(void **state)
{
	struct fx *f = *state;
	assert_int_equal(state_begin(f->st), 0);
	struct state_entry e = { "x", "fp", NOW, INT64_MIN, INT64_MIN, 0 };
	assert_int_equal(state_entry_set(f->st, &e), 0);
	int64_t id = new_run(f->st, "job_A", NULL, 0);
	e.last_run = id;
	assert_int_equal(state_entry_set(f->st, &e), 0);
	state_rollback(f->st);
	struct state_entry got;
	assert_int_equal(state_entry_get(f->st, "x", &got), 0);
	struct state_run r;
	assert_int_equal(state_run_get(f->st, id, &r), 0);
	assert_int_equal(state_begin(f->st), 0);
	assert_int_equal(state_entry_set(f->st, &e), 0);
	assert_int_equal(state_commit(f->st), 0);
	assert_int_equal(state_entry_get(f->st, "x", &got), 1);
	state_entry_release(&got);
}

static void test_broken_hashes_and_problems(void **state)
{
	struct fx *f = *state;
	char *reason, *hash;
	assert_int_equal(state_job_broken(f->st, "job_A", "h1", &reason), 0);
	assert_int_equal(state_job_set_broken(f->st, "job_A", "h1", "runner exit 3", NOW), 0);
	assert_int_equal(state_job_broken(f->st, "job_A", "h1", &reason), 1);
	assert_string_equal(reason, "runner exit 3");
	free(reason);
	assert_int_equal(state_job_broken(f->st, "job_A", "h2", &reason), 0);
	assert_null(reason);
	assert_int_equal(state_job_clear_broken(f->st, "job_A"), 0);
	assert_int_equal(state_job_broken(f->st, "job_A", "h1", &reason), 0);

	assert_int_equal(state_file_hash_get(f->st, "jobs/a.py", 10, 99, &hash), 0);
	assert_int_equal(state_file_hash_set(f->st, "jobs/a.py", 10, 99, "abc"), 0);
	assert_int_equal(state_file_hash_get(f->st, "jobs/a.py", 10, 99, &hash), 1);
	assert_string_equal(hash, "abc");
	free(hash);
	assert_int_equal(state_file_hash_get(f->st, "jobs/a.py", 10, 100, &hash), 0);

	assert_int_equal(state_problem_once(f->st, "schedule.yaml", "v1", "bad", NOW), 1);
	assert_int_equal(state_problem_once(f->st, "schedule.yaml", "v1", "bad", NOW + 60), 0);
	assert_int_equal(state_problem_once(f->st, "schedule.yaml", "v2", "bad", NOW + 120), 1);
	assert_int_equal(state_problem_clear(f->st, "schedule.yaml"), 0);
	assert_int_equal(state_problem_once(f->st, "schedule.yaml", "v2", "bad", NOW + 180), 1);
}

static void test_prune(void **state)
{
	struct fx *f = *state;
	int64_t c[3];
	int64_t run = chain_run(f->st, c);
	struct state_claim req = claim_any();
	claim(f->st, &req, NOW);
	struct state_result res = { .exit_code = 1, .retry_at = NOW + 1 };
	assert_int_equal(state_chunk_finish(f->st, c[0], &res, NOW, NULL), 0);
	claim(f->st, &req, NOW + 1);
	finish(f->st, c[0], true, NOW + 2);
	claim(f->st, &req, NOW + 2);
	claim(f->st, &req, NOW + 2);
	finish(f->st, c[1], true, NOW + 3);
	finish(f->st, c[2], true, NOW + 3);
	int64_t open = new_run(f->st, "job_A", NULL, 0);
	char **logs;
	assert_int_equal(state_prune(f->st, NOW + 3, &logs), 0);
	assert_null(logs[0]);
	free(logs);
	assert_int_equal(state_prune(f->st, NOW + 4, &logs), 1);
	char want[3][64];
	snprintf(want[0], 64, ".stau/logs/job_B/%lld-%lld-1.log", (long long)run, (long long)c[0]);
	snprintf(want[1], 64, ".stau/logs/job_B/%lld-%lld-2.log", (long long)run, (long long)c[0]);
	snprintf(want[2], 64, ".stau/logs/job_A/%lld-%lld-1.log", (long long)run, (long long)c[1]);
	assert_string_equal(logs[0], want[0]);
	assert_string_equal(logs[1], want[1]);
	assert_string_equal(logs[2], want[2]);
	assert_non_null(logs[3]);
	assert_null(logs[4]);
	for (size_t i = 0; logs[i]; i++)
		free(logs[i]);
	free(logs);
	struct state_run r;
	assert_int_equal(state_run_get(f->st, run, &r), 0);
	assert_string_equal(run_state_of(f->st, open), "QUEUED");
	char *left = raw_query(f->dir, "SELECT (SELECT count(*) FROM chunks) + (SELECT count(*)"
				       " FROM tasks) + (SELECT count(*) FROM chunk_deps)");
	assert_string_equal(left, "0");
	free(left);
	/* freshness outlives the runs that made it */
	int64_t t;
	assert_int_equal(state_job_last_success(f->st, "job_B", &t), 0);
	assert_int_equal(t, NOW + 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates_private_files),
		cmocka_unit_test(test_migrates_from_version_0),
		cmocka_unit_test(test_network_file_systems_are_named),
		T(test_refuses_newer_schema),
		cmocka_unit_test(test_not_a_database),
		T(test_lock_held_past_timeout),
		T(test_run_round_trip),
		T(test_run_lists),
		T(test_activate_stores_plan),
		T(test_claim_respects_dependencies),
		T(test_claim_respects_max_parallel),
		T(test_concurrent_claims_never_share),
		T(test_finish_done_records_freshness),
		T(test_freshness_of_the_same_code),
		T(test_failure_cancels_dependents_only),
		T(test_retry_waits_for_its_time),
		T(test_cancel_run),
		T(test_job_has_open_chunks),
		T(test_recover_orphans),
		T(test_freshness_of_many_ids),
		T(test_claim_finish_chains),
		T(test_entries),
		T(test_entries_in_one_transaction),
		T(test_broken_hashes_and_problems),
		T(test_prune),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
