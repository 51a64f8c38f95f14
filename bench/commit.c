/* commit.c - what a durable commit costs on this disk right now (docs/design.md, "State", gives 0.2-0.26 ms).
 *
 *   commit DIR N   makes DIR/commit.db (WAL, synchronous=FULL), times N single-row commits
 *                  and prints "MEDIAN MIN MAX" in seconds; removes the database again
 *
 * The DAG executor records every outcome durably, so its time follows the disk's fsync
 * latency, which on a shared machine changes from one minute to the next while make and
 * ninja, which write nothing, do not notice. bench/run.sh prints this figure before and after
 * the DAGs so that a reader can tell a slow disk from a slow stau. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 100000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "commit: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	return 1;
}

/* Times n commits of one inserted row each into t[]. */
static int time_commits(sqlite3 *db, double *t, int n)
{
	sqlite3_stmt *ins;
	if (sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?1)", -1, &ins, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < n; i++) {
		double t0 = now_s();
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		sqlite3_bind_int(ins, 1, i);
		if (rc != SQLITE_OK || sqlite3_step(ins) != SQLITE_DONE ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_finalize(ins);
			return -1;
		}
		sqlite3_reset(ins);
		t[i] = now_s() - t0;
	}
	sqlite3_finalize(ins);
	return 0;
}

int main(int argc, char **argv)
{
	static double t[MAX_N];
	int n = argc == 3 ? atoi(argv[2]) : 0;
	if (n < 1 || n > MAX_N) {
		fprintf(stderr, "usage: commit DIR N   (N from 1 to %d)\n", MAX_N);
		return 2;
	}
	char path[4096], side[4200];
	snprintf(path, sizeof(path), "%s/commit.db", argv[1]);
	unlink(path);
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return fail(db, path);
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			     "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "cannot set up the database");
	if (time_commits(db, t, n))
		return fail(db, "a commit failed");
	if (sqlite3_close(db) != SQLITE_OK)
		return fail(db, "cannot close the database");
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%.6f %.6f %.6f\n", n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2, t[0], t[n - 1]);
	return fflush(stdout) ? 1 : 0;
}
