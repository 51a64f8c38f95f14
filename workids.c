/* workids.c - work ID lists: parsing, select_work (docs/design.md, "Work IDs, chunks and freshness"), and the compact text form.
 *
 * One tokenizer serves every text source. A token is a run of bytes that are neither white
 * space nor commas, so "1, 2,3\n4" and "1 2 3 4" mean the same; a token is an integer or, where
 * ranges are allowed, `a-b`. The first bad token stops the parse and is named with its line
 * and column, because select_work output and --ids-file files can be long and the user must
 * find the culprit. Integers are converted by hand rather than with strtoll: the compact form
 * that state.c stores for a million-ID run is parsed back on every read, and a hand loop
 * needs no NUL-terminated copy of each token.
 *
 * select_work commands run without a shell (docs/design.md, "Security"), through proc_capture: execvp of the
 * argv that config.c split, in the project directory, in a process group of its own that
 * dies with stau; "no such command" is told apart from a command that ran and failed. SQLite
 * sources are opened read-only and never created; a statement that
 * would write is refused before it runs, and the read-only connection refuses it again. */
#include "workids.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "util.h"

/* The most of a select_work command's output that is read: far more than WORKIDS_MAX IDs
 * take, and little enough to hold in memory. */
#define SELECT_WORK_OUT_MAX (1 << 30)

/* ---- idlist -------------------------------------------------------------------------- */

void idlist_push(struct idlist *l, int64_t id)
{
	if (l->n == l->cap)
		grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = id;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int is_sorted_unique(const struct idlist *l)
{
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i - 1] >= l->v[i])
			return 0;
	return 1;
}

void idlist_sort_unique(struct idlist *l)
{
	if (is_sorted_unique(l))
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_id);
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!k || l->v[k - 1] != l->v[i])
			l->v[k++] = l->v[i];
	l->n = k;
}

void idlist_release(struct idlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- parsing ------------------------------------------------------------------------- */

enum { INT_OK = 0, INT_BAD = -1, INT_OVERFLOW = -2 };

#define STR(x) #x
#define XSTR(x) STR(x)
#define TOO_MANY " makes the list longer than " XSTR(WORKIDS_MAX) " work IDs"
#define NOT_ID_OR_RANGE " is not an integer or a range like 1-100"
#define OUT_OF_RANGE " is out of range for a 64-bit work ID"

/* Converts p[0..n) (optional sign, then decimal digits only). */
static int int_parse(const char *p, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	if (n && (p[0] == '-' || p[0] == '+'))
		neg = p[i++] == '-';
	if (i == n)
		return INT_BAD;
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	int over = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9)
			return INT_BAD;
		if (v > (limit - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	if (over)
		return INT_OVERFLOW;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return INT_OK;
}

static int is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Where the parse is, for messages. */
struct cursor {
	const char *what, *text;
	size_t len;
	char *err;
	size_t errlen;
};

/* The token for a message: at most 40 bytes, non-printable bytes shown as '?'. */
static void token_text(char *buf, size_t size, const char *p, size_t n)
{
	size_t k = 0, max = n < 40 ? n : 40;
	for (size_t i = 0; i < max && k + 4 < size; i++)
		buf[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (max < n && k + 4 < size) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
}

/* Writes "WHAT [line L, ]column C: BEFORE'TOKEN'AFTER" about the token at p[0..n), and
 * returns -1. */
static int bad_token(const struct cursor *c, const char *p, size_t n, const char *before,
		     const char *after)
{
	size_t line = 1, col = 1, end = c->len;
	for (const char *q = c->text; q < p; q++, col++)
		if (*q == '\n')
			line++, col = 0;
	while (end && is_sep(c->text[end - 1]))
		end--;
	char tok[64], where[64];
	token_text(tok, sizeof(tok), p, n);
	if (memchr(c->text, '\n', end))
		snprintf(where, sizeof(where), "line %zu, column %zu", line, col);
	else
		snprintf(where, sizeof(where), "column %zu", col);
	snprintf(c->err, c->errlen, "%s %s: %s'%s'%s", c->what, where, before, tok, after);
	return -1;
}

static int push_range(const struct cursor *c, const char *p, size_t n, int64_t a, int64_t b,
		      struct idlist *out)
{
	char after[96];
	if (a > b) {
		snprintf(after, sizeof(after), " runs backwards: write '%lld-%lld'", (long long)b,
			 (long long)a);
		return bad_token(c, p, n, "range ", after);
	}
	uint64_t count = (uint64_t)b - (uint64_t)a + 1;
	if (count == 0 || count > WORKIDS_MAX || out->n + count > WORKIDS_MAX)
		return bad_token(c, p, n, "range ", TOO_MANY);
	grow(&out->v, &out->cap, out->n + (size_t)count, sizeof(*out->v));
	for (int64_t v = a;; v++) {
		out->v[out->n++] = v;
		if (v == b)
			break;
	}
	return 0;
}

/* The token as a range a-b: the '-' that splits it is the first one after its first byte. */
static int token_range(const struct cursor *c, const char *p, size_t n, struct idlist *out)
{
	const char *dash = n > 1 ? memchr(p + 1, '-', n - 1) : NULL;
	int64_t a, b;
	if (!dash)
		return bad_token(c, p, n, "", NOT_ID_OR_RANGE);
	int ra = int_parse(p, (size_t)(dash - p), &a);
	int rb = int_parse(dash + 1, n - (size_t)(dash - p) - 1, &b);
	if (ra == INT_BAD || rb == INT_BAD)
		return bad_token(c, p, n, "", NOT_ID_OR_RANGE);
	if (ra || rb)
		return bad_token(c, p, n, "", OUT_OF_RANGE);
	return push_range(c, p, n, a, b, out);
}

static int token_add(const struct cursor *c, const char *p, size_t n, enum workids_syntax syn,
		     struct idlist *out)
{
	int64_t v;
	int r = int_parse(p, n, &v);
	if (r == INT_OVERFLOW)
		return bad_token(c, p, n, "", OUT_OF_RANGE);
	if (r == INT_BAD && syn == WORKIDS_RANGES)
		return token_range(c, p, n, out);
	if (r == INT_BAD)
		return bad_token(c, p, n, "", " is not an integer");
	if (out->n >= WORKIDS_MAX)
		return bad_token(c, p, n, "", TOO_MANY);
	idlist_push(out, v);
	return 0;
}

int workids_parse(const char *what, const char *text, size_t len, enum workids_syntax syntax,
		  struct idlist *out, char *err, size_t errlen)
{
	struct cursor c = { what, text, len, err, errlen };
	size_t i = 0;
	while (i < len) {
		if (is_sep(text[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && !is_sep(text[i]))
			i++;
		if (token_add(&c, text + start, i - start, syntax, out))
			return -1;
	}
	return 0;
}

/* ---- formatting ---------------------------------------------------------------------- */

/* Appends the decimal form of v to sb. */
static void add_int(struct strbuf *sb, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	sb_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

char *workids_format_compact(const int64_t *ids, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && ids[j] != INT64_MAX && ids[j + 1] == ids[j] + 1)
			j++;
		if (i)
			sb_addc(&sb, ',');
		add_int(&sb, ids[i]);
		if (j > i) {
			sb_addc(&sb, '-');
			add_int(&sb, ids[j]);
		}
		i = j + 1;
	}
	return sb_detach(&sb);
}

char *workids_format_brief(const int64_t *ids, size_t n, size_t max)
{
	char *all = workids_format_compact(ids, n);
	size_t end = strlen(all);
	if (end <= max)
		return all;
	for (end = max; end > 0 && all[end] != ','; end--)
		;
	char *s = xasprintf("%.*s%s\xe2\x80\xa6 (%zu IDs)", (int)end, all, end ? "," : "", n);
	free(all);
	return s;
}

char *workids_format_csv(const int64_t *ids, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, ',');
		add_int(&sb, ids[i]);
	}
	return sb_detach(&sb);
}

/* ---- select_work: a command ---------------------------------------------------------- */

/* The command as the user wrote it, for messages: its words joined by spaces. */
static char *command_text(char *const argv[])
{
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			sb_addc(&sb, ' ');
		sb_adds(&sb, argv[i]);
	}
	return sb_detach(&sb);
}

/* Explains a command that did not end well, into err. Returns -1 when it failed. */
/* The last line the command wrote on stderr that is not blank, as ": LINE" (at most 200
 * bytes), or "" when there is none: a failing command's own reason. */
static void last_err_line(const struct strbuf *e, char *buf, size_t len)
{
	size_t end = e->len;
	while (end && (e->buf[end - 1] == '\n' || e->buf[end - 1] == ' ' || e->buf[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start && e->buf[start - 1] != '\n')
		start--;
	size_t n = end - start < 200 ? end - start : 200;
	if (n)
		snprintf(buf, len, ": %.*s", (int)n, e->buf + start);
	else if (len)
		buf[0] = '\0';
}

static int judge(const char *cmd, const struct workids_select *o, const struct proc_result *r,
		 char *err, size_t errlen)
{
	char said[256];
	last_err_line(&r->err, said, sizeof(said));
	char how[48];
	const char *dir = o->dir;
	if (r->timed_out) {
		duration_format(o->timeout_ms, DURATION_EXACT, how, sizeof(how));
		snprintf(err, errlen, "select_work command '%s' timed out after %s; it was killed "
			 "with its process group (the job's select_work timeout)", cmd, how);
	} else if (r->chdir_errno)
		snprintf(err, errlen, "cannot run select_work command '%s' in '%s': %s", cmd, dir,
			 strerror(r->chdir_errno));
	else if (r->exec_errno)
		snprintf(err, errlen, "cannot run select_work command '%s': %s", cmd,
			 strerror(r->exec_errno));
	else if (r->signal)
		snprintf(err, errlen, "select_work command '%s' was %s%s", cmd,
			 proc_killed_by(r->signal, how, sizeof(how)), said);
	else if (r->exit_code)
		snprintf(err, errlen, "select_work command '%s' exited with status %d%s", cmd,
			 r->exit_code, said);
	else if (r->out_cut)
		snprintf(err, errlen, "select_work command '%s' printed more than %d MiB",
			 cmd, SELECT_WORK_OUT_MAX >> 20);
	else
		return 0;
	return -1;
}

int workids_from_command(char *const argv[], const struct workids_select *o, struct idlist *out,
			 char *err, size_t errlen)
{
	if (!argv || !argv[0] || !argv[0][0]) {
		snprintf(err, errlen, "select_work command is empty");
		return -1;
	}
	char *cmd = command_text(argv);
	char *kwargs = xasprintf("STAU_KWARGS=%s", o->kwargs_json ? o->kwargs_json : "{}");
	char *stau_dir = o->dir ? xasprintf("STAU_DIR=%s", o->dir) : NULL;
	char *env[] = { kwargs, stau_dir, NULL };
	struct proc_cmd pc = { .argv = argv, .dir = o->dir, .env_add = env,
			       .out_max = SELECT_WORK_OUT_MAX, .err = PROC_STDERR_CAPTURE,
			       .timeout_ms = o->timeout_ms, .grace_ms = 2000 };
	struct proc_result res;
	int rc = -1;
	if (proc_capture(&pc, &res))
		snprintf(err, errlen, "cannot start select_work command '%s': %s", cmd,
			 strerror(errno));
	else if (!judge(cmd, o, &res, err, errlen) &&
		 !workids_parse("select_work output", res.out.buf, res.out.len, WORKIDS_PLAIN,
				out, err, errlen))
		rc = 0;
	if (!rc)
		idlist_sort_unique(out);
	proc_result_release(&res);
	free(cmd);
	free(kwargs);
	free(stau_dir);
	return rc;
}

/* ---- select_work: a SQLite query ----------------------------------------------------- */

static const char *skip_space_and_semicolons(const char *s)
{
	while (*s == ';' || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Prepares the one statement of query. Returns it, or NULL with err set. */
static sqlite3_stmt *prepare_one(sqlite3 *db, const char *query, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *extra = NULL;
	const char *tail;
	if (sqlite3_prepare_v2(db, query, -1, &st, &tail) != SQLITE_OK) {
		snprintf(err, errlen, "select_work query does not compile: %s", sqlite3_errmsg(db));
		return NULL;
	}
	if (!st) {
		snprintf(err, errlen, "select_work query is empty");
		return NULL;
	}
	tail = skip_space_and_semicolons(tail);
	if (*tail && sqlite3_prepare_v2(db, tail, -1, &extra, NULL) != SQLITE_OK)
		extra = NULL, tail = "x"; /* a broken second statement is still a second one */
	else if (!extra)
		tail = "";
	sqlite3_finalize(extra);
	if (*tail) {
		snprintf(err, errlen, "select_work query must be one statement");
	} else if (!sqlite3_stmt_readonly(st)) {
		snprintf(err, errlen, "select_work query would change the database: it may only "
				      "read, as in 'SELECT id FROM ...'");
	} else if (sqlite3_column_count(st) == 0) {
		snprintf(err, errlen, "select_work query returns no columns: it must return the "
				      "work IDs in its first column");
	} else {
		return st;
	}
	sqlite3_finalize(st);
	return NULL;
}

static void describe_value(sqlite3_stmt *st, char *buf, size_t size)
{
	char tok[64];
	switch (sqlite3_column_type(st, 0)) {
	case SQLITE_NULL:
		snprintf(buf, size, "NULL");
		break;
	case SQLITE_FLOAT:
		snprintf(buf, size, "the real number %g", sqlite3_column_double(st, 0));
		break;
	case SQLITE_BLOB:
		snprintf(buf, size, "a blob");
		break;
	default:
		token_text(tok, sizeof(tok), (const char *)sqlite3_column_text(st, 0),
			   (size_t)sqlite3_column_bytes(st, 0));
		snprintf(buf, size, "the text '%s'", tok);
	}
}

/* Steps st to its end, appending the first column of each row. Returns 0 or -1. */
static int collect_rows(sqlite3 *db, sqlite3_stmt *st, struct idlist *out, char *err,
			size_t errlen)
{
	size_t row = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row++;
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
			char what[96];
			describe_value(st, what, sizeof(what));
			snprintf(err, errlen, "select_work query row %zu: the first column is %s, "
					      "not an integer", row, what);
			return -1;
		}
		if (out->n >= WORKIDS_MAX) {
			snprintf(err, errlen, "select_work query returns more than %d work IDs",
				 WORKIDS_MAX);
			return -1;
		}
		idlist_push(out, sqlite3_column_int64(st, 0));
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "select_work query failed: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* Binds the kwarg `name` (a parameter's name without its ':', '@' or '$') of kwargs to
 * parameter i of st, with its JSON type, by asking SQLite's own JSON functions. Returns 0, or
 * 1 when kwargs has no such member, or -1 on an error (in err). */
static int bind_kwarg(sqlite3 *db, sqlite3_stmt *st, int i, const char *name, const char *kwargs,
		      char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	char *path = xasprintf("$.\"%s\"", name);
	int rc = -1;
	if (sqlite3_prepare_v2(db, "SELECT json_type(?1, ?2), json_extract(?1, ?2)", -1, &q,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, kwargs, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, path, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			rc = sqlite3_column_type(q, 0) == SQLITE_NULL ? 1
			     : sqlite3_bind_value(st, i, sqlite3_column_value(q, 1)) == SQLITE_OK
				     ? 0 : -1;
	}
	if (rc < 0)
		snprintf(err, errlen, "select_work query: cannot bind the kwarg '%s': %s", name,
			 sqlite3_errmsg(db));
	sqlite3_finalize(q);
	free(path);
	return rc;
}

/* Binds every parameter of st from kwargs (a JSON object text). Returns 0 or -1. */
static int bind_kwargs(sqlite3 *db, sqlite3_stmt *st, const char *kwargs, char *err,
		       size_t errlen)
{
	for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
		const char *p = sqlite3_bind_parameter_name(st, i);
		if (!p || *p == '?') {
			snprintf(err, errlen, "select_work query parameter %d has no name: name it "
				 "after a kwarg, as in ':region'", i);
			return -1;
		}
		int rc = bind_kwarg(db, st, i, p + 1, kwargs ? kwargs : "{}", err, errlen);
		if (rc > 0)
			snprintf(err, errlen, "select_work query parameter '%s' has no kwarg '%s': "
				 "give it in the schedule entry's kwargs or with --kw %s=VALUE", p,
				 p + 1, p + 1);
		if (rc)
			return -1;
	}
	return 0;
}

/* SQLite's progress handler: non-zero past the deadline interrupts the query. */
static int past_deadline(void *ctx)
{
	return monotonic_ms() >= *(const int64_t *)ctx;
}

int workids_from_sqlite(const char *db_path, const char *query, const struct workids_select *o,
			struct idlist *out, char *err, size_t errlen)
{
	const char *dir = o->dir;
	char *path = db_path[0] == '/' || !dir ? xstrdup(db_path)
					       : xasprintf("%s/%s", dir, db_path);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open select_work database '%s': %s", db_path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	int64_t deadline = monotonic_ms() + o->timeout_ms;
	if (o->timeout_ms > 0)
		sqlite3_progress_handler(db, 1000, past_deadline, &deadline);
	st = prepare_one(db, query, err, errlen);
	if (!st || bind_kwargs(db, st, o->kwargs_json, err, errlen))
		goto out;
	if (collect_rows(db, st, out, err, errlen)) {
		if (o->timeout_ms > 0 && monotonic_ms() >= deadline) {
			char how[48];
			duration_format(o->timeout_ms, DURATION_EXACT, how, sizeof(how));
			snprintf(err, errlen, "select_work query timed out after %s (the job's "
				 "select_work timeout)", how);
		}
		goto out;
	}
	idlist_sort_unique(out);
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return rc;
}
