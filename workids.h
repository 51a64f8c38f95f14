/* workids.h - work ID lists: parsing, select_work (docs/design.md, "Work IDs, chunks and freshness"), and the compact text form.
 *
 * Work IDs are 64-bit integers. They reach stau as text (`--ids 1-100,205`, `--ids-file`,
 * the output of a select_work command), as rows of a read-only SQLite query, or from the
 * database, where the state (state*.c) keeps them in the compact form "1-6,9,12-14". Every
 * function that can fail returns 0 or -1 and writes one message (msg.h wording, without the
 * "stau: " prefix) into err[errlen]; none prints or exits. */
#ifndef STAU_WORKIDS_H
#define STAU_WORKIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many IDs in one list: a guard against `--ids 1-99999999999` eating memory. */
#define WORKIDS_MAX 50000000

/* A growable array of work IDs. Initialise with IDLIST_INIT; release with idlist_release. */
struct idlist {
	int64_t *v;
	size_t n, cap;
};
#define IDLIST_INIT { NULL, 0, 0 }

/// Appends id.
void idlist_push(struct idlist *l, int64_t id);
/// Sorts ascending and removes duplicates; O(n) when the list is already sorted and unique.
void idlist_sort_unique(struct idlist *l);
/// Frees the array and empties the list.
void idlist_release(struct idlist *l);

/* How much of the ID syntax a text may use. */
enum workids_syntax {
	WORKIDS_PLAIN,	/* integers only (select_work output) */
	WORKIDS_RANGES,	/* integers and inclusive ranges a-b (--ids, --ids-file, compact form) */
};

/* Parses text[0..len): integers separated by white space and/or commas, with ranges `a-b`
 * (a <= b, each end may be negative: `-5--3`) when syntax allows them. `what` names the
 * source in messages. The IDs are appended to out in text order, neither sorted nor
 * de-duplicated. On the first bad token returns -1 with, e.g.,
 *   "select_work output line 3, column 1: 'abc' is not an integer"
 * ("line L, column C" when the text has several lines, "column C" when it has one); out then
 * holds the IDs before the bad token. A text of only separators gives no IDs and returns 0. */
int workids_parse(const char *what, const char *text, size_t len, enum workids_syntax syntax,
		  struct idlist *out, char *err, size_t errlen);

/* How a select_work runs: where, with which kwargs, for how long. */
struct workids_select {
	const char *dir;	 /* the project directory; NULL: stau's working directory */
	const char *kwargs_json; /* the run's kwargs, a JSON object; NULL: {} */
	int64_t timeout_ms;	 /* the time it may take; 0: no limit */
};

/* Runs a select_work command (proc_capture): argv[0] is looked up in PATH (execvp, never a
 * shell), in the directory o->dir, with STAU_KWARGS (o->kwargs_json) and STAU_DIR in its
 * environment, stdin from /dev/null and stderr passed through to stau's stderr, in a process
 * group of its own that dies with stau. At o->timeout_ms its whole group gets SIGTERM, and
 * SIGKILL 2 seconds later. Its standard output is parsed with WORKIDS_PLAIN and the IDs are
 * appended to out, sorted and unique. Returns 0, or -1 when the command cannot be started,
 * exits with a non-zero status, is killed by a signal ("select_work command 'x' was killed by
 * signal KILL"), runs out of time ("select_work command 'x' timed out after 5m"), prints more
 * than 1 GiB or something that is not an ID; err names the command. */
int workids_from_command(char *const argv[], const struct workids_select *o, struct idlist *out,
			 char *err, size_t errlen);

/* Runs a select_work SQLite query: db_path (relative to o->dir unless absolute) is opened
 * read-only, never created, and query must be one statement whose rows have an integer first
 * column. Named parameters (:region, @region, $region) are bound from the kwargs of the same
 * name, with their JSON types (a string as text, a number as an integer or real, true and
 * false as 1 and 0, null as NULL, a list or map as its JSON text). The IDs are appended to
 * out, sorted and unique. Returns 0, or -1 when the database cannot be opened, the query does
 * not compile, writes, has a parameter without a name or without a kwarg (err names it),
 * fails, runs past o->timeout_ms, or a row's first column is not an integer (err names the
 * row, 1-based). */
int workids_from_sqlite(const char *db_path, const char *query, const struct workids_select *o,
			struct idlist *out, char *err, size_t errlen);

/* The compact form of ids[0..n) (sorted ascending, unique): runs of consecutive IDs as
 * ranges, "1-6,9,12-14"; "" for n == 0. Newly allocated; the caller frees it. Parse it back
 * with workids_parse(..., WORKIDS_RANGES, ...). */
char *workids_format_compact(const int64_t *ids, size_t n);

/* The compact form cut for people at a comma to at most max columns, then ending in
 * ",… (N IDs)": "1-6,9,… (1000 IDs)"; the whole compact form when it fits. Newly
 * allocated. */
char *workids_format_brief(const int64_t *ids, size_t n, size_t max);

/* ids[0..n) separated by commas, "1,2,3" ("" for n == 0), for STAU_WORK_IDS. Newly
 * allocated; the caller frees it. */
char *workids_format_csv(const int64_t *ids, size_t n);

#endif
