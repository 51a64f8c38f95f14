/* floor.c - the floor of a tick (docs/design.md, "Performance"): a C program that only opens a stau database and
 * runs one query.
 *
 *   floor DB [SQL]   opens DB read-write, as stau does, runs SQL (default: count the schedule
 *                    entries) and prints its rows, columns separated by tabs
 *
 * Whatever a tick does, it starts a process linked with SQLite, opens the database and reads
 * it: this program does that and nothing else, so its time is what no tick can go under on
 * the same machine, and a tick's time minus this is what stau itself costs. bench/run.sh also
 * uses it to check results in the database (how many chunks a run executed). */
#include <sqlite3.h>
#include <stdio.h>

#define DEFAULT_SQL "SELECT count(*) FROM entries"

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	return 1;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (argc < 2 || argc > 3) {
		fputs("usage: floor DB [SQL]\n", stderr);
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return fail(db, argv[1]);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, argc > 2 ? argv[2] : DEFAULT_SQL, -1, &st, NULL) != SQLITE_OK)
		return fail(db, "cannot prepare the query");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			printf("%s%s", i ? "\t" : "", v ? (const char *)v : "NULL");
		}
		putchar('\n');
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(db, "the query failed");
	if (sqlite3_close(db) != SQLITE_OK)
		return fail(db, "cannot close the database");
	return fflush(stdout) ? 1 : 0;
}
