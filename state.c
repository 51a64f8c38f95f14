/* state.c - persistent state in SQLite: .stau/stau.db, the only database stau writes.
 *
 * Schema (PRAGMA user_version; migrations[] below, applied in order in one transaction):
 *
 *   v1  runs        one row per run: master job, trigger (entry + fire_time, both NULL for a
 *                   manual run), kwargs JSON, work IDs, git commit, force, times, state, message
 *       tasks       a job type with its kwargs as it takes part in a run (plan.tasks)
 *       chunks      a task's slice of work IDs: state, attempt, not_before (retry time), owner
 *                   pid + start time, child pid, exit code or signal, times, log path, tail,
 *                   message, and `waiting`: how many of its dependencies are not DONE yet
 *       chunk_deps  (depends_on, chunk), both directions indexed
 *       job_types   per job type: id (for compact freshness keys), last success, BROKEN mark
 *                   (content hash + reason)
 *       fresh       (job type id, work ID) -> last successful finish, WITHOUT ROWID
 *       entries     per schedule entry: trigger fingerprint, last fire handled/missed/skipped
 *       job_files   path, size, mtime -> content hash (a cache for ticks)
 *       problems    key -> version (content hash) of the file last reported, for "report once"
 *   v2  the chunks of each state by job type are indexed only for the open states (RUNNING,
 *       PENDING): partial indexes stay small and a finish writes no index page for DONE; the
 *       chunks table is rebuilt with its state CHECK spelled with OR instead of IN
 *   v3  what monitoring counts and the on_failure hook, all kept by triggers, so that every
 *       path that fails a run or a chunk, or records a fire time, counts whichever process
 *       takes it:
 *       job_stats    per job type: chunks that failed for good, runs (as master) that FAILED
 *       entry_stats  per schedule entry: fire times recorded as missed and as skipped, each
 *                    counted once (seen_* is the last value counted)
 *       run_alerts   one row per run that ended FAILED: when, and when a stau process took
 *                    its on_failure hook and how that went (pending while hook_started is
 *                    NULL: a partial index finds them); a retried run that fails again is
 *                    pending again
 *       counters     'runs_changed', raised by every run created, changing state or
 *                    pruned: a tick with nothing to do compares it with what the metrics
 *                    file shows before it rebuilds that file
 *                    'pruned_run_max' (made by the first prune that deletes a run):
 *                    the highest run id pruned; new runs are numbered above it
 *       tasks are indexed by job type and run: a job's newest run is found without reading
 *       every chunk (status, and the metrics every tick may write)
 *   v4  chunk_slurm  per chunk sent to Slurm: the attempt, executor, Slurm job id
 *   v5  chunks.file_hash: the content hash of the job file that the attempt ran (NULL for a
 *       chunk that did not start, or a Python chunk forked from a runner of that version)
 *   v6  run_code     (run, job type) -> the content hash of the job file the run ran (as
 *                    text, and as the 64-bit code that fresh rows keep), recorded at
 *                    expansion, deleted with its run (a trigger)
 *       fresh.code, job_types.last_code: the 64-bit content hash of the file that computed
 *                    a result (NULL: recorded before v6), for fresh_requires_same_code
 *   v7  entries.next_fire: the entry's first fire time after the last one handled, indexed,
 *       so that a tick asks the database whether anything is due instead of reading
 *       schedule.yaml (docs/design.md, "The quiet tick"); NULL: not known (the entry was
 *       written since), which makes the next tick read the schedule; STATE_NEVER: the entry
 *       does not fire (disabled, removed from schedule.yaml, its job missing)
 *
 * Choices (docs/design.md, "State"):
 *   - Work IDs are stored in workids.h's compact text form ("1-6,9,12-14"): a run over a
 *     million consecutive IDs is a dozen bytes, and the sqlite3 shell still shows them.
 *     The ids column is the last of its row: SQLite reads columns in order, and a column
 *     after a megabyte of scattered IDs would cost a walk through its overflow pages on
 *     every look at the run's state.
 *   - "Ready" is `state = 'PENDING' AND waiting = 0`, kept by counters (finishing a chunk
 *     decrements its dependents) and served by a partial index, so claiming a chunk costs the
 *     same for the first and the thousandth chunk of a chain, instead of re-checking every
 *     pending chunk's dependencies.
 *   - Freshness is a WITHOUT ROWID table keyed (job, id): checking a sorted list of a million
 *     IDs is one range scan merged with the list (re-seeking past long gaps), not a million
 *     queries. The job type is a small integer there, so the key stays short.
 *   - Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT) and only ever
 *     bound: no SQL is built from text.
 *
 * Durability: WAL with synchronous=FULL. A commit is then one append and one fsync of the WAL
 * (about 0.25 ms here, four times cheaper than a rollback journal), and a commit that returned
 * survives a crash or a power loss. Where WAL cannot work SQLite keeps its rollback journal
 * and we carry on with it; but a database on NFS, CIFS, SMB or Lustre is refused at open
 * (state_network_fs): WAL's shared memory is not shared there, and the database belongs on a
 * local disk (--state; docs/design.md, "Slurm"). The engine, which commits a few transitions
 * for every chunk, uses group commit instead (state_defer_sync): its commits are appends, and
 * one fsync of the WAL makes all of them durable before any is reported. A WAL keeps a prefix
 * of its commits through a power loss, so the guarantee is the same for what anyone was told:
 * a reported outcome survives; an unreported one may be lost and its chunk runs again.
 *
 * The WAL-reset bug (https://www.sqlite.org/wal.html#walresetbug, SQLite before 3.51.3;
 * Debian 12 has 3.40.1): when one connection runs a checkpoint while another commits the
 * transaction that restarts the WAL from its beginning, the database can be corrupted. Both
 * sides are needed for the race, so we take them out of SQLite's hands and serialise them
 * with an exclusive flock on .stau/lock:
 *   - every write transaction (BEGIN IMMEDIATE ... COMMIT) runs while holding the lock: only
 *     writers restart the WAL;
 *   - automatic checkpoints are off (wal_autocheckpoint=0, and our own WAL hook replaces
 *     SQLite's); we checkpoint explicitly, under the same lock, after a commit that left the
 *     WAL large and at close;
 *   - SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE stops the last connection's implicit checkpoint, and
 *     the close itself happens under the lock as well.
 * Readers take no lock: in WAL they never block and never restart the WAL. Since writers
 * queue on the flock, SQLite's busy handler rarely runs; the flock wait has the same limit as
 * the busy timeout, and past it the caller gets a "locked" state error (exit 3).
 *
 * Files, by concern (state_db.h is what they share), each calling only files above it in
 * this list, so that no two of them call each other:
 *   state_sql.c     every statement kept prepared on the connection, and running them;
 *                   errors, state names, work IDs in columns: the floor the others stand on
 *   state.c         this comment, the schema and its migrations, opening and closing, the
 *                   lock, transactions, group commit
 *   state_runs.c    runs: create, read, activate with a plan, cancel, fail, retry, requeue
 *   state_fresh.c   freshness: the last success of each job type and work ID
 *   state_chunks.c  chunks: claiming, finishing and what it releases or cancels, reading
 *                   one, recovery of orphaned chunks
 *   state_entries.c schedule entries: trigger fingerprints, the last fire times handled
 *   state_health.c  job health: BROKEN marks, job file hashes, problems reported once
 *   state_views.c   read-only views for the commands: runs of a job, the last run and last
 *                   chunk of each job type, a run's chunks with their dependencies
 *   state_prune.c   retention: deleting old runs and naming their logs
 *   state_slurm.c   chunks that run as Slurm batch jobs: their job ids, and recording
 *                   their outcomes whichever stau process learns them */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "state_db.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 10000
#define CKPT_PAGES_COMMIT 4096 /* checkpoint after a commit leaving a WAL of 16 MB */
#define CKPT_BYTES_CLOSE (1 << 20) /* and at close when it holds more than 1 MB */

/* ---- schema ---- */

/* v3's triggers. A run that ends FAILED gets a pending hook (again, after a retry) and
 * counts for its master job. */
#define RUN_FAILED_SQL                                                                         \
	"INSERT INTO run_alerts (run, failed) VALUES (new.id, new.finished) ON CONFLICT (run)"  \
	" DO UPDATE SET failed = excluded.failed, hook_started = NULL, hook_result = NULL;"    \
	" INSERT INTO job_stats (job, failed_runs) VALUES (new.job, 1) ON CONFLICT (job)"      \
	" DO UPDATE SET failed_runs = failed_runs + 1;"
/* A fire time recorded as missed or skipped counts once, however the entry is written
 * (INSERT OR REPLACE fires the insert trigger, UPDATE the other, an upsert both). */
#define ENTRY_COUNT_SQL                                                                        \
	"INSERT INTO entry_stats (entry, missed, skipped, seen_missed, seen_skipped) VALUES"   \
	" (new.id, new.last_missed IS NOT NULL, new.last_skipped IS NOT NULL, new.last_missed," \
	" new.last_skipped) ON CONFLICT (entry) DO UPDATE SET missed = missed +"               \
	" (excluded.seen_missed IS NOT NULL AND excluded.seen_missed IS NOT seen_missed),"     \
	" skipped = skipped + (excluded.seen_skipped IS NOT NULL AND"                          \
	" excluded.seen_skipped IS NOT seen_skipped), seen_missed = excluded.seen_missed,"     \
	" seen_skipped = excluded.seen_skipped;"
#define RUNS_CHANGED_SQL "UPDATE counters SET value = value + 1 WHERE name = 'runs_changed';"

static const char *const migrations[] = {
	/* v1: the initial schema */
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY, job TEXT NOT NULL, entry TEXT, fire_time INTEGER,"
	" kwargs TEXT NOT NULL DEFAULT '{}', nids INTEGER NOT NULL DEFAULT 0,"
	" has_ids INTEGER NOT NULL DEFAULT 0, git TEXT, force INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL, started INTEGER, finished INTEGER, state TEXT NOT NULL"
	" CHECK (state IN ('QUEUED','ACTIVE','DONE','FAILED','CANCELED')), message TEXT,"
	" ids TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX runs_job ON runs(job, id);"
	"CREATE INDEX runs_open ON runs(state, id) WHERE state IN ('QUEUED','ACTIVE');"
	"CREATE INDEX runs_finished ON runs(finished) WHERE finished IS NOT NULL;"
	"CREATE TABLE tasks ("
	" id INTEGER PRIMARY KEY, run INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" job TEXT NOT NULL, kwargs TEXT NOT NULL, UNIQUE (run, seq));"
	"CREATE TABLE chunks ("
	" id INTEGER PRIMARY KEY, run INTEGER NOT NULL, task INTEGER NOT NULL,"
	" job TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL,"
	" nids INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL"
	" CHECK (state IN ('PENDING','RUNNING','DONE','FAILED','CANCELED')),"
	" waiting INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0,"
	" not_before INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER, owner_start INTEGER,"
	" child_pid INTEGER, exit_code INTEGER, signal INTEGER, started INTEGER,"
	" finished INTEGER, duration_ms INTEGER, log_path TEXT, tail TEXT, message TEXT,"
	" ids TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX chunks_run ON chunks(run, state);"
	"CREATE INDEX chunks_ready ON chunks(run, id) WHERE state = 'PENDING' AND waiting = 0;"
	"CREATE INDEX chunks_state ON chunks(state, job);"
	"CREATE TABLE chunk_deps ("
	" depends_on INTEGER NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (depends_on, chunk))"
	" WITHOUT ROWID;"
	"CREATE INDEX chunk_deps_chunk ON chunk_deps(chunk, depends_on);"
	"CREATE TABLE job_types ("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, last_success INTEGER,"
	" broken_hash TEXT, broken_reason TEXT, broken_at INTEGER);"
	"CREATE TABLE fresh ("
	" job INTEGER NOT NULL, id INTEGER NOT NULL, finished INTEGER NOT NULL,"
	" PRIMARY KEY (job, id)) WITHOUT ROWID;"
	"CREATE TABLE entries ("
	" id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, last_handled INTEGER,"
	" last_missed INTEGER, last_skipped INTEGER, last_run INTEGER) WITHOUT ROWID;"
	"CREATE TABLE job_files ("
	" path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	" hash TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE problems ("
	" key TEXT PRIMARY KEY, version TEXT NOT NULL, message TEXT,"
	" reported INTEGER NOT NULL) WITHOUT ROWID;",
	/* v2: the chunk writes of the engine made cheaper. chunks_state held every chunk, so each
	 * finish also inserted into the ever-growing DONE part of it (a WAL page per chunk): only
	 * the open chunks are indexed by job type now. And a CHECK with IN builds a temporary
	 * b-tree of its list on every write of the row; the same CHECK with OR does not. */
	"CREATE TABLE chunks_v2 ("
	" id INTEGER PRIMARY KEY, run INTEGER NOT NULL, task INTEGER NOT NULL,"
	" job TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL,"
	" nids INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL"
	" CHECK (state = 'PENDING' OR state = 'RUNNING' OR state = 'DONE' OR state = 'FAILED'"
	" OR state = 'CANCELED'),"
	" waiting INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0,"
	" not_before INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER, owner_start INTEGER,"
	" child_pid INTEGER, exit_code INTEGER, signal INTEGER, started INTEGER,"
	" finished INTEGER, duration_ms INTEGER, log_path TEXT, tail TEXT, message TEXT,"
	" ids TEXT NOT NULL DEFAULT '');"
	"INSERT INTO chunks_v2 SELECT * FROM chunks;"
	"DROP TABLE chunks;"
	"ALTER TABLE chunks_v2 RENAME TO chunks;"
	"CREATE INDEX chunks_run ON chunks(run, state);"
	"CREATE INDEX chunks_ready ON chunks(run, id) WHERE state = 'PENDING' AND waiting = 0;"
	"CREATE INDEX chunks_running ON chunks(job) WHERE state = 'RUNNING';"
	"CREATE INDEX chunks_pending ON chunks(job) WHERE state = 'PENDING';",
	/* v3: counters for monitoring and the on_failure hook of failed runs, kept by triggers.
	 * Entries already recorded count from their current values on; runs that failed before
	 * have no hook to run. */
	"CREATE TABLE job_stats ("
	" job TEXT PRIMARY KEY, failed_chunks INTEGER NOT NULL DEFAULT 0,"
	" failed_runs INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE entry_stats ("
	" entry TEXT PRIMARY KEY, missed INTEGER NOT NULL DEFAULT 0,"
	" skipped INTEGER NOT NULL DEFAULT 0, seen_missed INTEGER, seen_skipped INTEGER)"
	" WITHOUT ROWID;"
	"INSERT INTO entry_stats (entry, seen_missed, seen_skipped)"
	" SELECT id, last_missed, last_skipped FROM entries;"
	"CREATE TABLE run_alerts ("
	" run INTEGER PRIMARY KEY, failed INTEGER, hook_started INTEGER, hook_result TEXT);"
	"CREATE INDEX run_alerts_pending ON run_alerts(run) WHERE hook_started IS NULL;"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO counters VALUES ('runs_changed', 0);"
	"CREATE INDEX tasks_job ON tasks(job, run);"
	"CREATE TRIGGER run_failed AFTER UPDATE OF state ON runs"
	" WHEN new.state = 'FAILED' AND old.state != 'FAILED' BEGIN"
	" " RUN_FAILED_SQL " END;"
	"CREATE TRIGGER run_failed_new AFTER INSERT ON runs WHEN new.state = 'FAILED' BEGIN"
	" " RUN_FAILED_SQL " END;"
	"CREATE TRIGGER chunk_failed AFTER UPDATE OF state ON chunks"
	" WHEN new.state = 'FAILED' AND old.state != 'FAILED' BEGIN"
	" INSERT INTO job_stats (job, failed_chunks) VALUES (new.job, 1) ON CONFLICT (job)"
	" DO UPDATE SET failed_chunks = failed_chunks + 1; END;"
	"CREATE TRIGGER entry_inserted AFTER INSERT ON entries BEGIN " ENTRY_COUNT_SQL " END;"
	"CREATE TRIGGER entry_updated AFTER UPDATE ON entries BEGIN " ENTRY_COUNT_SQL " END;"
	"CREATE TRIGGER run_added AFTER INSERT ON runs BEGIN " RUNS_CHANGED_SQL " END;"
	"CREATE TRIGGER run_changed AFTER UPDATE OF state ON runs BEGIN " RUNS_CHANGED_SQL
	" END;"
	"CREATE TRIGGER run_deleted AFTER DELETE ON runs BEGIN"
	" DELETE FROM run_alerts WHERE run = old.id; " RUNS_CHANGED_SQL " END;",
	/* v4: the chunks that went to a cluster's scheduler (state_slurm.c): per chunk, the
	 * attempt that did, the executor ('slurm') and the Slurm job id (NULL from the claim
	 * until sbatch has answered); gone with its chunk */
	"CREATE TABLE chunk_slurm ("
	" chunk INTEGER PRIMARY KEY, attempt INTEGER NOT NULL, executor TEXT NOT NULL,"
	" job_id INTEGER, submitted INTEGER);"
	"CREATE TRIGGER chunk_slurm_gone AFTER DELETE ON chunks BEGIN"
	" DELETE FROM chunk_slurm WHERE chunk = old.id; END;",
	/* v5: the content hash of the job file each attempt ran */
	"ALTER TABLE chunks ADD COLUMN file_hash TEXT;",
	/* v6: the code a run ran, and the code each result was computed by. run_code holds the
	 * content hash of each job file of a run, recorded when the run is expanded (deleted with
	 * the run); fresh.code and job_types.last_code the 64-bit hash of the file that computed
	 * a result (NULL: not known, recorded before v6), for fresh_requires_same_code. */
	"CREATE TABLE run_code ("
	" run INTEGER NOT NULL, job TEXT NOT NULL, hash TEXT NOT NULL, code INTEGER,"
	" PRIMARY KEY (run, job)) WITHOUT ROWID;"
	"CREATE TRIGGER run_code_deleted AFTER DELETE ON runs BEGIN"
	" DELETE FROM run_code WHERE run = old.id; END;"
	"ALTER TABLE fresh ADD COLUMN code INTEGER;"
	"ALTER TABLE job_types ADD COLUMN last_code INTEGER;",
	/* v7: each entry's next fire time, for the tick with nothing to do. Entries recorded
	 * before have none (NULL): the first tick after the migration reads the schedule and
	 * fills them in. */
	("ALTER TABLE entries ADD COLUMN next_fire INTEGER;"
	 "CREATE INDEX entries_next_fire ON entries(next_fire);"),
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STATE_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---- the lock and transactions ---- */

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* Takes the exclusive flock on .stau/lock, waiting at most the busy timeout. */
static int lock(struct state *st)
{
	if (!flock(st->lock_fd, LOCK_EX | LOCK_NB))
		return 0;
	int64_t deadline = monotonic_ms() + st->busy_ms;
	long pause = 50;
	while (errno == EWOULDBLOCK || errno == EINTR) {
		if (monotonic_ms() >= deadline)
			return db_fail(st, "'.stau/lock' stayed locked for more than %d ms by another "
				    "stau process; try again later", st->busy_ms);
		sleep_us(pause);
		if (pause < 5000)
			pause *= 2;
		if (!flock(st->lock_fd, LOCK_EX | LOCK_NB))
			return 0;
	}
	return db_fail(st, "cannot lock '.stau/lock': %s", strerror(errno));
}

static void unlock(struct state *st)
{
	flock(st->lock_fd, LOCK_UN);
}

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	((struct state *)ctx)->wal_pages = pages;
	((struct state *)ctx)->wal_grew = true;
	return SQLITE_OK;
}

/* A PASSIVE checkpoint; the caller holds the lock. Errors only leave the WAL larger. */
static void checkpoint(struct state *st)
{
	if (st->wal && !sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						   NULL))
		st->wal_pages = 0;
}

int state_begin(struct state *st)
{
	if (st->depth > 0) {
		if (st->aborted)
			return db_fail(st, "an earlier error rolled this transaction back");
		st->depth++;
		return 0;
	}
	if (lock(st))
		return -1;
	sqlite3_stmt *s = db_stmt(st, Q_BEGIN);
	if (!s || db_exec(st, s)) {
		unlock(st);
		return -1;
	}
	st->depth = 1;
	st->aborted = false;
	return 0;
}

int state_commit(struct state *st)
{
	if (st->depth > 1) {
		st->depth--;
		return st->aborted ? db_fail(st, "an earlier error rolled this transaction back") : 0;
	}
	st->depth = 0;
	if (st->aborted) {
		st->aborted = false;
		unlock(st);
		return db_fail(st, "an earlier error rolled this transaction back");
	}
	sqlite3_stmt *s = db_stmt(st, Q_COMMIT);
	if (!s || db_exec(st, s)) {
		char keep[sizeof(st->errmsg)];
		memcpy(keep, st->errmsg, sizeof(keep));
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		memcpy(st->errmsg, keep, sizeof(keep));
		unlock(st);
		return -1;
	}
	/* a commit that wrote nothing (a claim that found no chunk) has nothing to sync */
	st->unsynced |= st->deferred && st->wal_grew;
	st->wal_grew = false;
	if (st->wal_pages >= CKPT_PAGES_COMMIT)
		checkpoint(st);
	unlock(st);
	return 0;
}

void state_rollback(struct state *st)
{
	if (st->depth == 0)
		return;
	if (!st->aborted && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (--st->depth > 0) {
		st->aborted = true;
		return;
	}
	st->aborted = false;
	unlock(st);
}

int db_finish_tx(struct state *st, int rc)
{
	if (rc < 0) {
		state_rollback(st);
		return -1;
	}
	return state_commit(st) ? -1 : rc;
}

int db_write1(struct state *st, sqlite3_stmt *s)
{
	if (state_begin(st))
		return -1;
	return db_finish_tx(st, db_exec(st, s));
}

/* ---- group commit ---- */

int state_defer_sync(struct state *st, bool deferred)
{
	if (!st->wal || st->deferred == deferred)
		return 0;
	if (!deferred && state_sync(st))
		return -1;
	sqlite3_stmt *s = db_stmt(st, deferred ? Q_SYNC_NORMAL : Q_SYNC_FULL);
	if (!s || db_exec(st, s))
		return -1;
	st->deferred = deferred;
	return 0;
}

/* SQLite has no call that syncs the WAL alone, but it hands out its open file: xSync on it is
 * the fdatasync a synchronous=FULL commit would have made. */
int state_sync(struct state *st)
{
	if (!st->unsynced)
		return 0;
	sqlite3_file *f = NULL;
	int rc = sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
	if (rc == SQLITE_OK && f && f->pMethods)
		rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	if (rc != SQLITE_OK)
		return db_fail(st, "cannot sync '%s-wal' to disk: %s", DB_SHOWN, sqlite3_errstr(rc));
	st->unsynced = false;
	return 0;
}

/* ---- opening ---- */

static int busy_timeout_ms(void)
{
	const char *e = getenv("STAU_BUSY_TIMEOUT_MS");
	int64_t v;
	if (e && !parse_int64(e, &v) && v >= 0 && v <= INT_MAX)
		return (int)v;
	return BUSY_TIMEOUT_MS;
}

/* Makes dir/.stau (0700) and opens dir/.stau/lock (0600). */
static int open_files(const char *sdir, int *lock_fd, char *err, size_t errlen)
{
	char *lpath = xasprintf("%s/lock", sdir);
	int rc = -1;
	struct stat sb;
	if (mkdir(sdir, 0700) == 0)
		chmod(sdir, 0700); /* whatever the umask */
	else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", sdir, strerror(errno));
		goto out;
	} else if (!stat(sdir, &sb) && S_ISDIR(sb.st_mode) && (sb.st_mode & 077) &&
		   chmod(sdir, 0700)) {
		/* made by hand or by an old tool: others must not replace our files in it */
		snprintf(err, errlen, "'%s' is open to other users and cannot be made private: %s;"
			 " run 'chmod 700 %s'", sdir, strerror(errno), sdir);
		goto out;
	}
	int fd = open(lpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		fchmod(fd, 0600);
	else if (errno == EEXIST)
		fd = open(lpath, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", lpath, strerror(errno));
		goto out;
	}
	*lock_fd = fd;
	rc = 0;
out:
	free(lpath);
	return rc;
}

const char *state_network_fs(long f_type)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} fs[] = {
		{ 0x6969, "NFS" },	   { 0xFF534D42, "CIFS" }, { 0xFE534D42, "SMB" },
		{ 0x517B, "SMB" },	   { 0x0BD00BD0, "Lustre" },
	};
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if ((unsigned long)f_type == fs[i].magic)
			return fs[i].name;
	return NULL;
}

/* Refuses a database directory on a network file system (state_network_fs). */
static int local_disk(const char *sdir, char *err, size_t errlen)
{
	struct statfs sf;
	const char *fs = statfs(sdir, &sf) ? NULL : state_network_fs((long)sf.f_type);
	if (!fs)
		return 0;
	snprintf(err, errlen, "'%s' is on %s, a network file system, where SQLite's WAL can "
		 "corrupt the database: keep the database on a local disk with --state DIR, "
		 "STAU_STATE or settings.state_dir (the project and its logs stay where they are)",
		 sdir, fs);
	return -1;
}

/* Creates the database file with mode 0600 before SQLite opens it (its -wal and -shm files
 * then get the same mode). */
static int create_db_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		fchmod(fd, 0600);
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
	return -1;
}

static int pragma_int(struct state *st, const char *pragma, int64_t *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, pragma, -1, &s, NULL))
		return db_error(st);
	int rc = db_step(st, s);
	if (rc >= 0)
		*v = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}

/* Sets WAL (keeping the rollback journal where WAL cannot work) and the connection's
 * durability settings. */
static int configure(struct state *st)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL))
		return db_error(st);
	int rc = db_step(st, s);
	if (rc == 1) {
		const char *mode = (const char *)sqlite3_column_text(s, 0);
		st->wal = mode && !strcmp(mode, "wal");
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return -1;
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;"
			 " PRAGMA journal_size_limit = 4194304; PRAGMA foreign_keys = OFF;",
			 NULL, NULL, NULL))
		return db_error(st);
	sqlite3_wal_hook(st->db, wal_hook, st);
	return 0;
}

/* Applies the migrations after version `from` in one transaction. */
static int migrate(struct state *st, int64_t from)
{
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return db_error(st);
	for (int64_t v = from; v < STATE_SCHEMA_VERSION; v++)
		if (sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL))
			goto fail;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", STATE_SCHEMA_VERSION);
	if (sqlite3_exec(st->db, pragma, NULL, NULL, NULL) ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	return 0;
fail:
	db_error(st);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Under the lock: journal mode, version check, migrations. */
static int prepare_schema(struct state *st, char *err, size_t errlen)
{
	int64_t version = 0;
	if (lock(st))
		goto fail;
	if (configure(st) || pragma_int(st, "PRAGMA user_version", &version))
		goto fail_locked;
	if (version > STATE_SCHEMA_VERSION) {
		db_fail(st, "%s is schema version %lld, newer than this stau (%d); upgrade stau",
		     DB_SHOWN, (long long)version, STATE_SCHEMA_VERSION);
		goto fail_locked;
	}
	if (version < STATE_SCHEMA_VERSION && migrate(st, version))
		goto fail_locked;
	unlock(st);
	return 0;
fail_locked:
	unlock(st);
fail:
	snprintf(err, errlen, "%s", st->errmsg);
	return -1;
}

static int open_state(const char *sdir, char *log_root, struct state **out, char *err,
		      size_t errlen);

int state_open(const char *dir, struct state **out, char *err, size_t errlen)
{
	char *sdir = xasprintf("%s/.stau", dir);
	int rc = open_state(sdir, xstrdup(".stau/logs"), out, err, errlen);
	free(sdir);
	return rc;
}

int state_open_at(const char *sdir, struct state **out, char *err, size_t errlen)
{
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, sdir, strlen(sdir));
	char *root = xasprintf(".stau/logs/state-%016llx", (unsigned long long)h);
	return open_state(sdir, root, out, err, errlen);
}

char *state_log_path(const struct state *st, const char *job, int64_t run, int64_t chunk,
		     int attempt)
{
	return xasprintf("%s/%s/%lld-%lld-%d.log", st->log_root, job, (long long)run,
			 (long long)chunk, attempt);
}

/* Opens the database in sdir, whose chunk logs go under log_root (taken). */
static int open_state(const char *sdir, char *log_root, struct state **out, char *err,
		      size_t errlen)
{
	struct state *st = xcalloc(1, sizeof(*st));
	st->log_root = log_root;
	st->lock_fd = -1;
	st->busy_ms = busy_timeout_ms();
	st->path = xasprintf("%s/stau.db", sdir);
	*out = NULL;
	if (open_files(sdir, &st->lock_fd, err, errlen) || local_disk(sdir, err, errlen) ||
	    create_db_file(st->path, err, errlen))
		goto fail;
	int rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc) {
		snprintf(err, errlen, "cannot open '%s': %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->busy_ms);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (prepare_schema(st, err, errlen))
		goto fail;
	*out = st;
	return 0;
fail:
	state_close(st);
	return -1;
}

/* The size of the WAL file, 0 when there is none. */
static int64_t wal_size(const struct state *st)
{
	char *wal = xasprintf("%s-wal", st->path);
	struct stat sb;
	int64_t n = stat(wal, &sb) ? 0 : (int64_t)sb.st_size;
	free(wal);
	return n;
}

/* A passive checkpoint leaves the WAL file its size, and the next process to open the
 * database then reads all of it to rebuild the WAL index, and checkpoints it again at close:
 * every tick with nothing to do would read megabytes and sync (docs/design.md, "The lock"). So the checkpoint
 * at close truncates the WAL; it does not wait for readers (busy timeout 0), and a busy WAL
 * is simply truncated by a later close. */
static void checkpoint_truncate(struct state *st)
{
	if (!st->wal)
		return;
	sqlite3_busy_timeout(st->db, 0);
	if (!sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL))
		st->wal_pages = 0;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->depth > 0) {
		st->depth = 1;
		state_rollback(st);
	}
	(void)state_sync(st); /* the engine syncs and reports itself; this is only a last try */
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db) {
		bool locked = st->lock_fd >= 0 && !lock(st);
		if (locked && wal_size(st) > CKPT_BYTES_CLOSE)
			checkpoint_truncate(st);
		sqlite3_close(st->db);
		if (locked)
			unlock(st);
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st->log_root);
	free(st);
}

int state_schema_version(struct state *st)
{
	int64_t v = -1;
	if (pragma_int(st, "PRAGMA user_version", &v))
		return -1;
	return (int)v;
}
