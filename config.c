/* config.c - job headers (SPEC §3) and schedule.yaml (SPEC §4): libyaml into validated structs.
 *
 * yamldoc.c loads the YAML and holds what every field shares: positions, the wording of type
 * errors, maps with merges and duplicates, the tables of known keys with their "did you mean"
 * and values as JSON. This file knows what the keys of a job header and of schedule.yaml
 * mean.
 *
 * Cross-file checks (an entry's job exists, a dependency exists, cycles, duplicate job types)
 * belong to project.c and graph.c. Schedule entries with a duplicate id are still returned
 * (with the error in diags) so that those checks see every entry; a schedule with problems
 * must not be used for scheduling anyway. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "header.h"
#include "timeutil.h"
#include "util.h"
#include "yamldoc.h"

#define DEFAULT_RETRY_DELAY 30
#define DEFAULT_MISFIRE_GRACE (30 * 60)
#define DEFAULT_RETENTION (30 * 24 * 3600)
#define ZONE_HINT "use a name from /usr/share/zoneinfo such as 'Europe/Copenhagen' or 'UTC'"

/* ---- JSON string text --------------------------------------------------------------- */

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	char b[4];
	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 4);
	}
}

/* Decodes the \u escape at s (after the 'u'), with a following low surrogate if any; returns
 * the number of bytes used after the 'u'. */
static size_t unescape_u(const char *s, struct strbuf *sb)
{
	unsigned cp, lo;
	if (hex4(s, &cp))
		return 0;
	if (cp >= 0xD800 && cp < 0xDC00 && s[4] == '\\' && s[5] == 'u' && !hex4(s + 6, &lo) &&
	    lo >= 0xDC00 && lo < 0xE000) {
		put_utf8(sb, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
		return 10;
	}
	put_utf8(sb, cp);
	return 4;
}

static char json_unescape_char(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'b': return '\b';
	case 'f': return '\f';
	default: return c; /* '"', '\\', '/' */
	}
}

/* ---- kvlist ------------------------------------------------------------------------- */

const struct kv *kv_find(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

char *kv_string(const struct kv *kv)
{
	const char *s = kv->json;
	if (*s != '"')
		return xstrdup(s);
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (s++; *s && *s != '"'; s++) {
		if (*s != '\\') {
			sb_addc(&sb, *s);
			continue;
		}
		if (!*++s)
			break;
		if (*s == 'u')
			s += unescape_u(s + 1, &sb);
		else
			sb_addc(&sb, json_unescape_char(*s));
	}
	return sb_detach(&sb);
}

/* Appends key (copied) with json (taken over) at loc. */
static void kv_add(struct kvlist *l, const char *key, char *json, struct loc loc)
{
	grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct kv){ xstrdup(key), json, loc };
}

void kv_set(struct kvlist *l, const char *key, const char *json)
{
	struct kv *kv = (struct kv *)kv_find(l, key);
	if (kv) {
		free(kv->json);
		kv->json = xstrdup(json);
		return;
	}
	kv_add(l, key, xstrdup(json), (struct loc){ 0, 0 });
}

char *kv_to_json(const struct kvlist *l)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addc(&sb, '{');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_addc(&sb, ',');
		yd_json_quote(&sb, l->v[i].key, strlen(l->v[i].key));
		sb_addc(&sb, ':');
		sb_adds(&sb, l->v[i].json);
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* dst is overwritten: release it first if it holds anything. */
void kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		kv_add(dst, src->v[i].key, xstrdup(src->v[i].json), src->v[i].loc);
}

void kvlist_release(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].json);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- fields ------------------------------------------------------------------------- */

static void config_field_executor(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	static const char *const names[] = { "local", "slurm", NULL };
	enum executor *out = dst;
	const yaml_node_t *n = p->value;
	if (yd_is_scalar(n) && !strcmp(yd_text(n), "local")) {
		*out = EXECUTOR_LOCAL;
	} else if (yd_is_scalar(n) && !strcmp(yd_text(n), "slurm")) {
		*out = EXECUTOR_SLURM;
	} else {
		const char *near = yd_is_scalar(n) ? spell_suggest(yd_text(n), names) : NULL;
		char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
		yd_bad_value(y, n, hint, p->name, "'local' or 'slurm'");
		free(hint);
	}
}

/* Checks pair kv of map (the 'env:', 'kwargs:' or 'slurm:' pair) and adds it to out. */
typedef void kv_add_fn(struct yamldoc *y, const struct yd_pair *map, const struct yd_pair *kv,
		       struct kvlist *out);

/* Reads a map value into a kvlist through add(), which checks each pair; null is empty. */
static void kv_map(struct yamldoc *y, const struct yd_pair *p, struct kvlist *out,
		   const char *want, kv_add_fn *add)
{
	kvlist_release(out);
	if (yd_is_null(p->value))
		return;
	if (p->value->type != YAML_MAPPING_NODE) {
		yd_bad_value(y, p->value, NULL, p->name, want);
		return;
	}
	size_t np;
	struct yd_pair *pairs = yd_map_pairs(y, p->value, &np);
	for (size_t i = 0; i < np; i++)
		add(y, p, &pairs[i], out);
	free(pairs);
}

static void add_any(struct yamldoc *y, const struct yd_pair *map, const struct yd_pair *kv,
		    struct kvlist *out)
{
	char *name = xasprintf("%s.%s", map->name, kv->name);
	char *json = yd_json(y, kv->value, name);
	if (json && strlen(kv->name) != kv->key->data.scalar.length) {
		yd_report(y, kv->key, NULL, "keys of '%s' must not contain NUL characters",
			  map->name);
		free(json);
		json = NULL;
	}
	if (json)
		kv_add(out, kv->name, json, yd_loc(y, kv->key));
	free(name);
}

static void config_field_kwargs(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	kv_map(y, p, dst, "a map of names to values", add_any);
}

static bool config_identifier_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void add_env(struct yamldoc *y, const struct yd_pair *map, const struct yd_pair *kv,
		    struct kvlist *out)
{
	if (!config_identifier_ok(kv->name)) {
		yd_report(y, kv->key, NULL,
			  "'%s' is not an environment variable name: use letters, digits and '_', "
			  "not starting with a digit", kv->name);
		return;
	}
	if (!strncmp(kv->name, "STAU_", 5)) {
		yd_report(y, kv->key, NULL,
			  "'%s' is set by stau itself; choose a name that does not start with "
			  "'STAU_'", kv->name);
		return;
	}
	char *name = xasprintf("%s.%s", map->name, kv->name);
	const char *s = yd_scalar_text(y, kv->value, name, "a string");
	if (s) {
		struct strbuf sb = STRBUF_INIT;
		yd_json_quote(&sb, s, strlen(s));
		kv_add(out, kv->name, sb_detach(&sb), yd_loc(y, kv->key));
	}
	free(name);
}

static void config_field_env(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	kv_map(y, p, dst, "a map of variable names to strings", add_env);
}

static bool option_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void add_slurm(struct yamldoc *y, const struct yd_pair *map, const struct yd_pair *kv,
		      struct kvlist *out)
{
	if (!option_name_ok(kv->name)) {
		yd_report(y, kv->key, NULL,
			  "'%s' is not an srun option name such as 'partition' or 'cpus_per_task'",
			  kv->name);
		return;
	}
	char *name = xasprintf("%s.%s", map->name, kv->name);
	if (!yd_is_scalar(kv->value) || yd_is_null(kv->value))
		yd_bad_value(y, kv->value, NULL, name, "a single value");
	else if (strlen(yd_text(kv->value)) != kv->value->data.scalar.length)
		yd_report(y, kv->value, NULL, "'%s' must not contain NUL characters", name);
	else
		add_any(y, map, kv, out);
	free(name);
}

static void config_field_slurm(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	kv_map(y, p, dst, "a map of srun options", add_slurm);
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---- lists of strings --------------------------------------------------------------- */

/* A NULL-terminated list of the strings of a sequence; NULL when it is empty or bad. */
static char **string_list(struct yamldoc *y, const struct yd_pair *p, const char *want)
{
	size_t n;
	yaml_node_item_t *items = yd_seq_items(y, p, want, &n);
	if (!n)
		return NULL;
	char **v = xcalloc(n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = yd_node(y, items[i]);
		const char *s = it ? yd_scalar_text(y, it, p->name, want) : NULL;
		if (s)
			v[k++] = xstrdup(s);
	}
	if (k < n) { /* something was reported: keep nothing half-read */
		for (size_t i = 0; i < k; i++)
			free(v[i]);
		free(v);
		return NULL;
	}
	return v;
}

static void parse_strings(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char ***out = dst;
	strv_free(*out);
	*out = string_list(y, p, "a list of strings");
}

static void parse_command(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char ***out = dst;
	if (yd_is_scalar(p->value) && !yd_is_null(p->value)) {
		yd_bad_value(y, p->value, "write it as a list, e.g. [python3, -u]", p->name,
			     "a list of strings");
		return;
	}
	size_t before = y->d->n;
	char **v = string_list(y, p, "a non-empty list of strings");
	if (y->d->n != before)
		return;
	if (!v) {
		yd_bad_value(y, p->value, NULL, p->name, "a non-empty list of strings");
	} else if (!v[0][0]) {
		yd_report(y, yd_node(y, p->value->data.sequence.items.start[0]), NULL,
			  "'command' must start with the program to run, got ''");
	} else {
		strv_free(*out);
		*out = v;
		return;
	}
	strv_free(v);
}

/* ---- fields ------------------------------------------------------------------------- */

static void parse_job_type(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct job *job = dst;
	const char *s = yd_scalar_text(y, p->value, p->name, "a string");
	if (s && strcmp(s, job->type)) {
		char want[256];
		snprintf(want, sizeof(want), "'%.200s', the file name without extension",
			 job->type);
		yd_bad_value(y, p->value, "rename the file or remove 'job_type'", p->name, want);
	}
}

static void parse_main_func(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	const char *s = yd_scalar_text(y, p->value, p->name, "a Python function name");
	if (s && !config_identifier_ok(s))
		yd_bad_value(y, p->value, NULL, p->name, "a Python function name (letters, digits "
			     "and '_', not starting with a digit)");
	else if (s)
		yd_parse_string(y, p, dst);
}

static void parse_fatal_codes(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct job *job = dst;
	size_t n;
	yaml_node_item_t *items = yd_seq_items(y, p, "a list of exit codes from 1 to 255", &n);
	free(job->fatal_exit_codes);
	job->fatal_exit_codes = n ? xcalloc(n, sizeof(int)) : NULL;
	job->nfatal = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yd_node(y, items[i]);
		int64_t v;
		if (it && yd_plain_int(it, &v) && v >= 1 && v <= 255)
			job->fatal_exit_codes[job->nfatal++] = (int)v;
		else if (it)
			yd_bad_value(y, it, NULL, p->name, "a list of exit codes from 1 to 255");
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* The word that starts at *s, newly allocated, with *s moved past it; '...' and "..." quote
 * (no escapes). NULL with *err set when a quote is never closed. */
static char *next_word(const char **s, const char **err)
{
	struct strbuf word = STRBUF_INIT;
	const char *p = *s;
	sb_add(&word, "", 0);
	while (*p && !is_blank(*p)) {
		if (*p != '\'' && *p != '"') {
			sb_addc(&word, *p++);
			continue;
		}
		const char *end = strchr(p + 1, *p);
		if (!end) {
			*err = *p == '"' ? "a '\"' is never closed" : "a \"'\" is never closed";
			sb_release(&word);
			return NULL;
		}
		sb_add(&word, p + 1, (size_t)(end - p - 1));
		p = end + 1;
	}
	*s = p;
	return sb_detach(&word);
}

/* Splits a command into words at white space, as next_word reads them (no shell). Returns a
 * NULL-terminated array (empty for a blank command), or NULL with *err set on an unclosed
 * quote. */
static char **split_command(const char *s, const char **err)
{
	size_t n = 0, cap = 1;
	char **v = xcalloc(cap, sizeof(*v));
	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return v;
		char *word = next_word(&s, err);
		if (!word) {
			strv_free(v);
			return NULL;
		}
		grow(&v, &cap, n + 2, sizeof(*v));
		v[n++] = word;
		v[n] = NULL;
	}
}

static void parse_select_work(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	static const struct yd_field fields[] = {
		{ "sqlite", yd_parse_string, offsetof(struct select_work, sqlite_path) },
		{ "query", yd_parse_string, offsetof(struct select_work, query) },
	};
	struct select_work *sw = dst;
	yaml_node_t *n = p->value;
	sw->loc = yd_loc(y, n);
	if (n->type == YAML_MAPPING_NODE) {
		size_t before = y->d->n;
		yd_walk_map(y, n, fields, ARRAY_SIZE(fields), sw);
		if (!sw->sqlite_path && y->d->n == before)
			yd_report(y, n, NULL,
				  "'select_work' needs 'sqlite': the database file to query");
		if (!sw->query && y->d->n == before)
			yd_report(y, n, NULL,
				  "'select_work' needs 'query': the SQL that selects the work IDs");
		sw->kind = SELECT_SQLITE;
		return;
	}
	const char *s = yd_scalar_text(y, n, p->name,
				       "a command or a map with 'sqlite' and 'query'");
	if (!s)
		return;
	const char *err = NULL;
	char **argv = split_command(s, &err);
	if (!argv)
		yd_report(y, n, "close the quote", "'select_work': %s", err);
	else if (!argv[0])
		yd_bad_value(y, n, NULL, p->name, "a command or a map with 'sqlite' and 'query'");
	if (!argv || !argv[0]) {
		strv_free(argv);
		return;
	}
	sw->kind = SELECT_COMMAND;
	sw->argv = argv;
}

static void dep_job_type(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct dep *dep = dst;
	if (yd_scalar_text(y, p->value, p->name, "a job type")) {
		yd_parse_string(y, p, &dep->job_type);
		dep->loc = yd_loc(y, p->value);
	}
}

static void dep_max_lag(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	int64_t *out = dst, minutes;
	char err[160];
	const yaml_node_t *n = p->value;
	if (yd_plain_int(n, &minutes) && minutes >= 0 && minutes <= INT64_MAX / 60) {
		*out = minutes * 60;
		return;
	}
	if (!yd_plain_int(n, &minutes) && yd_is_scalar(n) && !yd_is_null(n) &&
	    duration_parse(yd_text(n), out, err, sizeof(err)) == 0 && *out >= 0)
		return;
	yd_bad_value(y, n, NULL, p->name, "minutes (an integer >= 0) or a duration such as '90m', "
		     "'2h' or '1d'");
}

static void parse_deps(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	static const struct yd_field fields[] = {
		{ "job_type", dep_job_type, 0 },
		{ "max_lag", dep_max_lag, offsetof(struct dep, max_lag) },
		{ "allow_missing_work_ids", yd_parse_bool,
		  offsetof(struct dep, allow_missing_work_ids) },
		{ "custom_kwargs", config_field_kwargs, offsetof(struct dep, custom_kwargs) },
		{ "unique", yd_parse_bool, offsetof(struct dep, unique) },
	};
	struct job *job = dst;
	size_t n, cap = 0;
	yaml_node_item_t *items = yd_seq_items(y, p, "a list of maps with 'job_type'", &n);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yd_node(y, items[i]);
		if (!it)
			continue;
		if (it->type != YAML_MAPPING_NODE) {
			char *hint = yd_is_scalar(it) && !yd_is_null(it)
				? xasprintf("write '- job_type: %.100s'", yd_text(it)) : NULL;
			yd_bad_value(y, it, hint, "dependencies", "a list of maps with 'job_type'");
			free(hint);
			continue;
		}
		struct dep dep = { 0 };
		size_t before = y->d->n;
		yd_walk_map(y, it, fields, ARRAY_SIZE(fields), &dep);
		if (!dep.job_type && y->d->n == before)
			yd_report(y, it, NULL,
				  "a dependency needs 'job_type': the job it depends on");
		if (y->d->n != before) {
			free(dep.job_type);
			kvlist_release(&dep.custom_kwargs);
			continue;
		}
		grow(&job->deps, &cap, job->ndeps + 1, sizeof(*job->deps));
		job->deps[job->ndeps++] = dep;
	}
}

static const struct yd_field job_fields[] = {
	{ "job_type", parse_job_type, 0 },
	{ "description", yd_parse_string, offsetof(struct job, description) },
	{ "chunk_size", yd_parse_positive, offsetof(struct job, chunk_size) },
	{ "dependencies", parse_deps, 0 },
	{ "main_func", parse_main_func, offsetof(struct job, main_func) },
	{ "select_work", parse_select_work, offsetof(struct job, select_work) },
	{ "command", parse_command, offsetof(struct job, command) },
	{ "timeout", yd_parse_duration, offsetof(struct job, timeout) },
	{ "retries", yd_parse_count, offsetof(struct job, retries) },
	{ "retry_delay", yd_parse_duration, offsetof(struct job, retry_delay) },
	{ "fatal_exit_codes", parse_fatal_codes, 0 },
	{ "max_parallel", yd_parse_positive, offsetof(struct job, max_parallel) },
	{ "allow_multiple_jobs", yd_parse_bool, offsetof(struct job, allow_multiple_jobs) },
	{ "env", config_field_env, offsetof(struct job, env) },
	{ "data_sources", parse_strings, offsetof(struct job, data_sources) },
	{ "data_sinks", parse_strings, offsetof(struct job, data_sinks) },
	{ "executor", config_field_executor, offsetof(struct job, executor) },
	{ "slurm", config_field_slurm, offsetof(struct job, slurm) },
};

/* ---- the header as a whole ---------------------------------------------------------- */

static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

/* Parses a job file's header into *job. With keep, a job whose header has errors is kept as
 * far as it validated; otherwise it is released. */
static int parse_job(const char *file, const char *text, size_t len, struct job *job,
		     struct diags *d, bool keep)
{
	struct header h;
	size_t before = d->n;
	memset(job, 0, sizeof(*job));
	job->type = file_stem(file);
	job->path = xstrdup(file);
	job->retry_delay = DEFAULT_RETRY_DELAY;
	int rc = header_find(file, text, len, &h, d);
	if (rc == 1) {
		job->header_loc = (struct loc){ h.first_line - 1, 1 };
		struct yamldoc y;
		yaml_node_t *root = yd_load(&y, file, &h, h.yaml, h.len, d);
		if (root && root->type == YAML_MAPPING_NODE)
			yd_walk_map(&y, root, job_fields, ARRAY_SIZE(job_fields), job);
		else if (root && !yd_is_null(root))
			yd_root_not_map(&y, root, "a map of keys such as 'chunk_size: 10'");
		yd_release(&y);
		header_release(&h);
		yd_sort_diags(d, before);
		rc = d->n > before ? -1 : 1;
	}
	if (rc == 0 || (rc < 0 && !keep))
		job_release(job);
	return rc;
}

int config_parse_job(const char *file, const char *text, size_t len, struct job *job,
		     struct diags *d)
{
	return parse_job(file, text, len, job, d, false);
}

int config_parse_job_partial(const char *file, const char *text, size_t len, struct job *job,
			     struct diags *d)
{
	return parse_job(file, text, len, job, d, true);
}

void job_release(struct job *job)
{
	free(job->type);
	free(job->path);
	free(job->description);
	for (size_t i = 0; i < job->ndeps; i++) {
		free(job->deps[i].job_type);
		kvlist_release(&job->deps[i].custom_kwargs);
	}
	free(job->deps);
	free(job->main_func);
	strv_free(job->select_work.argv);
	free(job->select_work.sqlite_path);
	free(job->select_work.query);
	strv_free(job->command);
	free(job->fatal_exit_codes);
	kvlist_release(&job->env);
	strv_free(job->data_sources);
	strv_free(job->data_sinks);
	kvlist_release(&job->slurm);
	free(job->broken);
	memset(job, 0, sizeof(*job));
}

/* What a schedule is parsed into: the result, and what entries need from the settings. */
struct sched_draft {
	struct schedule *s;
	const struct tz *zone; /* of settings.timezone; NULL when it is bad */
	size_t entries_cap;
	struct id_seen *ids;   /* open addressing: every id given so far, for duplicates */
	size_t ids_cap;
};

struct id_seen {
	const char *id; /* points into the document */
	struct loc loc;
};

/* An entry while it is read: the struct, and the values checked once all keys are known. */
struct entry_draft {
	struct entry e;
	yaml_node_t *id, *cron, *every, *start, *timezone, *job;
	const yaml_node_t *node;
};

/* ---- settings ----------------------------------------------------------------------- */

static void settings_timezone(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct sched_draft *sd = dst;
	char err[160];
	const char *s = yd_scalar_text(y, p->value, p->name,
				       "a time zone such as 'Europe/Copenhagen'");
	if (!s) {
		sd->zone = NULL;
		return;
	}
	sd->zone = tz_get(s, err, sizeof(err));
	if (!sd->zone) {
		yd_report(y, p->value, ZONE_HINT, "%s", err);
		return;
	}
	free(sd->s->settings.timezone);
	sd->s->settings.timezone = xstrdup(tz_name(sd->zone));
}

static void parse_settings(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	/* offsets are into struct settings, except timezone, which is handled by the draft */
	static const struct yd_field fields[] = {
		{ "timezone", NULL, 0 },
		{ "max_parallel", yd_parse_positive, offsetof(struct settings, max_parallel) },
		{ "misfire_grace", yd_parse_duration, offsetof(struct settings, misfire_grace) },
		{ "retention", yd_parse_positive_duration, offsetof(struct settings, retention) },
		{ "python", yd_parse_string, offsetof(struct settings, python) },
		{ "executor", config_field_executor, offsetof(struct settings, executor) },
		{ "slurm", config_field_slurm, offsetof(struct settings, slurm) },
	};
	struct sched_draft *sd = dst;
	if (yd_is_null(p->value))
		return;
	if (p->value->type != YAML_MAPPING_NODE) {
		yd_bad_value(y, p->value, NULL, p->name,
			     "a map of settings such as 'timezone: UTC'");
		return;
	}
	size_t np;
	struct yd_pair *pairs = yd_map_pairs(y, p->value, &np);
	for (size_t i = 0; i < np; i++) {
		const struct yd_field *f = NULL;
		for (size_t k = 0; k < ARRAY_SIZE(fields) && !f; k++)
			if (!strcmp(fields[k].name, pairs[i].name))
				f = &fields[k];
		if (!f)
			yd_unknown_key(y, &pairs[i], fields, ARRAY_SIZE(fields));
		else if (!f->parse)
			settings_timezone(y, &pairs[i], sd);
		else
			f->parse(y, &pairs[i], (char *)&sd->s->settings + f->off);
	}
	free(pairs);
}

/* ---- entries ------------------------------------------------------------------------ */

static void keep_node(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	(void)y;
	*(yaml_node_t **)dst = p->value;
}

static void parse_work_ids(struct yamldoc *y, const struct yd_pair *p, void *dst);

static const struct yd_field entry_fields[] = {
	{ "id", keep_node, offsetof(struct entry_draft, id) },
	{ "name", yd_parse_string, offsetof(struct entry_draft, e.name) },
	{ "job", keep_node, offsetof(struct entry_draft, job) },
	{ "cron", keep_node, offsetof(struct entry_draft, cron) },
	{ "every", keep_node, offsetof(struct entry_draft, every) },
	{ "start", keep_node, offsetof(struct entry_draft, start) },
	{ "kwargs", config_field_kwargs, offsetof(struct entry_draft, e.kwargs) },
	{ "work_ids", parse_work_ids, offsetof(struct entry_draft, e) },
	{ "timezone", keep_node, offsetof(struct entry_draft, timezone) },
	{ "enabled", yd_parse_bool, offsetof(struct entry_draft, e.enabled) },
};

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void parse_work_ids(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct entry *e = dst;
	size_t n;
	yaml_node_item_t *items = yd_seq_items(y, p, "a list of integers such as [1, 2, 3]", &n);
	if (!items && !yd_is_null(p->value))
		return;
	free(e->work_ids);
	e->work_ids = n ? xcalloc(n, sizeof(*e->work_ids)) : NULL;
	e->nwork_ids = 0;
	e->has_work_ids = true;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yd_node(y, items[i]);
		if (it && yd_plain_int(it, &e->work_ids[e->nwork_ids]))
			e->nwork_ids++;
		else if (it)
			yd_bad_value(y, it, NULL, p->name, "a list of integers such as [1, 2, 3]");
	}
	if (e->nwork_ids)
		qsort(e->work_ids, e->nwork_ids, sizeof(*e->work_ids), cmp_int64);
	size_t k = 0;
	for (size_t i = 0; i < e->nwork_ids; i++)
		if (!k || e->work_ids[k - 1] != e->work_ids[i])
			e->work_ids[k++] = e->work_ids[i];
	e->nwork_ids = k;
	if (!k) {
		free(e->work_ids);
		e->work_ids = NULL;
	}
}

static bool id_ok(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static size_t hash_str(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
	return h;
}

/* Remembers id at loc; returns the earlier entry with the same id, or NULL. */
static const struct id_seen *id_remember(struct sched_draft *sd, const char *id, struct loc loc)
{
	size_t mask = sd->ids_cap - 1, i = hash_str(id) & mask;
	for (; sd->ids[i].id; i = (i + 1) & mask)
		if (!strcmp(sd->ids[i].id, id))
			return &sd->ids[i];
	sd->ids[i] = (struct id_seen){ id, loc };
	return NULL;
}

static void entry_id(struct yamldoc *y, struct entry_draft *ed)
{
	if (!ed->id) {
		yd_report(y, ed->node, NULL,
			  "entry has no 'id'; add a unique, stable one such as "
			  "'id: nightly-report'");
		return;
	}
	const char *s = yd_scalar_text(y, ed->id, "id", "a name");
	if (!s)
		return;
	if (!id_ok(s)) {
		yd_bad_value(y, ed->id, NULL, "id",
			     "letters, digits, '_', '.' and '-', "
			     "starting with a letter, digit or '_'");
		return;
	}
	ed->e.id = xstrdup(s);
}

/* Reported after the entry's own problems; an entry with a duplicate id is still kept. */
static void entry_duplicate(struct yamldoc *y, struct sched_draft *sd, struct entry_draft *ed)
{
	if (!ed->e.id)
		return;
	const struct id_seen *first = id_remember(sd, yd_text(ed->id), yd_loc(y, ed->id));
	if (first)
		yd_report(y, ed->id, "ids must be unique: state is kept per id",
			  "duplicate id '%s' (first at %d:%d)", ed->e.id, first->loc.line,
			  first->loc.col);
}

static void entry_job(struct yamldoc *y, struct entry_draft *ed)
{
	if (!ed->job) {
		yd_report(y, ed->node, NULL,
			  "entry%s%s%s has no 'job'; add the job type to run, such as 'job: job_A'",
			  ed->e.id ? " '" : "", ed->e.id ? ed->e.id : "", ed->e.id ? "'" : "");
		return;
	}
	const char *s = yd_scalar_text(y, ed->job, "job", "a job type");
	if (!s)
		return;
	ed->e.job = xstrdup(s);
	ed->e.job_loc = yd_loc(y, ed->job);
}

/* The zone an entry runs in: its own, else the settings', else UTC. */
static const struct tz *entry_zone(struct yamldoc *y, struct sched_draft *sd,
				   struct entry_draft *ed)
{
	char err[160];
	const struct tz *zone = NULL;
	if (ed->timezone) {
		const char *s = yd_scalar_text(y, ed->timezone, "timezone",
					       "a time zone such as 'Europe/Copenhagen'");
		if (!s)
			return NULL;
		zone = tz_get(s, err, sizeof(err));
		if (!zone)
			yd_report(y, ed->timezone, ZONE_HINT, "%s", err);
		return zone;
	}
	zone = sd->zone ? sd->zone : tz_get("UTC", err, sizeof(err));
	return zone;
}

/* ---- triggers ----------------------------------------------------------------------- */

/* The text of a cron field for the trigger fingerprint: '*', '*' + "/step", or a list of
 * values and ranges, so that two expressions with the same meaning give the same text. */
static void render_field(struct strbuf *sb, uint64_t bits, int lo, int hi, bool star)
{
	uint64_t full = (((uint64_t)1 << (hi - lo + 1)) - 1) << lo;
	bits &= full;
	if (bits == full && star) {
		sb_addc(sb, '*');
		return;
	}
	if (star) {
		int step = 0;
		for (int v = lo + 1; v <= hi && !step; v++)
			if (bits >> v & 1)
				step = v - lo;
		uint64_t want = 0;
		for (int v = lo; step && v <= hi; v += step)
			want |= (uint64_t)1 << v;
		if (step && want == bits) {
			sb_addf(sb, "*/%d", step);
			return;
		}
		sb_adds(sb, "*:");
	}
	bool first = true;
	for (int v = lo; v <= hi; v++) {
		if (!(bits >> v & 1))
			continue;
		int end = v;
		while (end < hi && bits >> (end + 1) & 1)
			end++;
		sb_addf(sb, first ? "%d" : ",%d", v);
		if (end > v)
			sb_addf(sb, "-%d", end);
		first = false;
		v = end;
	}
}

static char *trigger_text(const struct trigger *t)
{
	struct strbuf sb = STRBUF_INIT;
	if (t->kind == TRIGGER_EVERY) {
		sb_addf(&sb, "every %lld start %lld", (long long)t->every, (long long)t->start);
		return sb_detach(&sb);
	}
	const struct cron *c = &t->cron;
	uint64_t all_min = ((uint64_t)1 << 60) - 1;
	sb_adds(&sb, "cron ");
	render_field(&sb, c->minute, 0, 59, (c->minute & all_min) == all_min);
	sb_addc(&sb, ' ');
	render_field(&sb, c->hour, 0, 23, c->hour_star);
	sb_addc(&sb, ' ');
	render_field(&sb, c->dom, 1, 31, c->dom_star);
	sb_addc(&sb, ' ');
	render_field(&sb, c->month, 1, 12, (c->month & 0x1FFE) == 0x1FFE);
	sb_addc(&sb, ' ');
	render_field(&sb, c->dow, 0, 6, c->dow_star);
	sb_addf(&sb, " %s", tz_name(t->zone));
	return sb_detach(&sb);
}

static void entry_cron(struct yamldoc *y, struct entry_draft *ed, const struct tz *zone)
{
	char err[200];
	const char *s = yd_scalar_text(y, ed->cron, "cron",
				       "a cron expression such as '0 * * * *'");
	if (!s)
		return;
	if (cron_parse(s, &ed->e.trigger.cron, err, sizeof(err))) {
		char buf[YD_SHOW_MAX + 16];
		yd_report(y, ed->cron, NULL, "bad cron expression %s: %s",
			  yd_describe(ed->cron, buf, sizeof(buf)), err);
		return;
	}
	if (ed->start)
		yd_report(y, ed->start, "remove it, or use 'every' instead of 'cron'",
			  "'start' only applies to 'every'");
	ed->e.trigger.kind = TRIGGER_CRON;
	ed->e.trigger.zone = zone;
}

static void entry_every(struct yamldoc *y, struct entry_draft *ed, const struct tz *zone)
{
	int64_t secs, start = 0;
	char err[160];
	if (yd_duration(y, ed->every, "every", 1, &secs))
		return;
	if (ed->start) {
		const char *s = yd_scalar_text(y, ed->start, "start",
					       "a time such as '2026-01-01T00:00:00Z'");
		if (!s)
			return;
		if (time_parse(s, &start, err, sizeof(err))) {
			yd_bad_value(y, ed->start, NULL, "start", "a time such as "
				     "'2026-01-01T00:00:00Z'");
			return;
		}
	}
	ed->e.trigger.kind = TRIGGER_EVERY;
	ed->e.trigger.every = secs;
	ed->e.trigger.start = start;
	ed->e.trigger.zone = zone;
}

static void entry_trigger(struct yamldoc *y, struct sched_draft *sd, struct entry_draft *ed)
{
	const struct tz *zone = entry_zone(y, sd, ed);
	if (ed->cron && ed->every) {
		const yaml_node_t *later = ed->cron->start_mark.index > ed->every->start_mark.index
			? ed->cron : ed->every;
		yd_report(y, later, NULL, "give one trigger: 'cron' or 'every', not both");
		return;
	}
	if (!ed->cron && !ed->every) {
		yd_report(y, ed->node, "add 'cron: \"0 * * * *\"' or 'every: 15m'",
			  "give one trigger: 'cron' or 'every'");
		return;
	}
	if (!zone)
		return;
	if (ed->cron)
		entry_cron(y, ed, zone);
	else
		entry_every(y, ed, zone);
	ed->e.timezone = xstrdup(tz_name(zone));
}

static void entry_release(struct entry *e)
{
	free(e->id);
	free(e->name);
	free(e->job);
	free(e->trigger_text);
	kvlist_release(&e->kwargs);
	free(e->work_ids);
	free(e->timezone);
	memset(e, 0, sizeof(*e));
}

static void parse_entry(struct yamldoc *y, struct sched_draft *sd, yaml_node_t *n)
{
	struct entry_draft ed;
	memset(&ed, 0, sizeof(ed));
	ed.node = n;
	ed.e.enabled = true;
	ed.e.loc = yd_loc(y, n);
	if (n->type != YAML_MAPPING_NODE) {
		yd_bad_value(y, n, NULL, "schedule",
			     "a list of entries with 'id', 'job' and 'cron' or 'every'");
		return;
	}
	size_t before = y->d->n;
	yd_walk_map(y, n, entry_fields, ARRAY_SIZE(entry_fields), &ed);
	entry_id(y, &ed);
	entry_job(y, &ed);
	entry_trigger(y, sd, &ed);
	bool ok = y->d->n == before;
	entry_duplicate(y, sd, &ed);
	if (!ok) {
		entry_release(&ed.e);
		return;
	}
	ed.e.trigger_text = trigger_text(&ed.e.trigger);
	struct schedule *s = sd->s;
	grow(&s->entries, &sd->entries_cap, s->nentries + 1, sizeof(*s->entries));
	s->entries[s->nentries++] = ed.e;
}

/* ---- the schedule as a whole -------------------------------------------------------- */

static void parse_schedule_list(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct sched_draft *sd = dst;
	size_t n;
	yaml_node_item_t *items = yd_seq_items(y, p, "a list of entries", &n);
	sd->ids_cap = 16;
	while (sd->ids_cap < 2 * n)
		sd->ids_cap *= 2;
	free(sd->ids);
	sd->ids = xcalloc(sd->ids_cap, sizeof(*sd->ids));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yd_node(y, items[i]);
		if (it)
			parse_entry(y, sd, it);
	}
}

static const struct yd_field schedule_fields[] = {
	{ "settings", parse_settings, 0 },
	{ "schedule", parse_schedule_list, 0 },
};

static void settings_init(struct settings *st)
{
	memset(st, 0, sizeof(*st));
	st->timezone = xstrdup("UTC");
	st->misfire_grace = DEFAULT_MISFIRE_GRACE;
	st->retention = DEFAULT_RETENTION;
}

int config_parse_schedule(const char *file, const char *text, size_t len, struct schedule *s,
			  struct diags *d)
{
	char err[160];
	struct sched_draft sd = { s, NULL, 0, NULL, 0 };
	memset(s, 0, sizeof(*s));
	settings_init(&s->settings);
	sd.zone = tz_get("UTC", err, sizeof(err));
	size_t before = d->n;
	struct yamldoc y;
	yaml_node_t *root = yd_load(&y, file, NULL, text, len, d);
	/* settings first: entries take their default zone from it, wherever it is written */
	if (root && root->type == YAML_MAPPING_NODE) {
		size_t np;
		struct yd_pair *pairs = yd_map_pairs(&y, root, &np);
		for (size_t i = 0; i < np; i++)
			if (!strcmp(pairs[i].name, "settings"))
				parse_settings(&y, &pairs[i], &sd);
		for (size_t i = 0; i < np; i++) {
			if (!strcmp(pairs[i].name, "schedule"))
				parse_schedule_list(&y, &pairs[i], &sd);
			else if (strcmp(pairs[i].name, "settings"))
				yd_unknown_key(&y, &pairs[i], schedule_fields,
					       ARRAY_SIZE(schedule_fields));
		}
		free(pairs);
	} else if (root && !yd_is_null(root)) {
		yd_root_not_map(&y, root, "a map with 'settings' and 'schedule'");
	}
	free(sd.ids);
	yd_release(&y);
	yd_sort_diags(d, before);
	return d->n > before ? -1 : 0;
}

void schedule_release(struct schedule *s)
{
	free(s->settings.timezone);
	free(s->settings.python);
	kvlist_release(&s->settings.slurm);
	for (size_t i = 0; i < s->nentries; i++)
		entry_release(&s->entries[i]);
	free(s->entries);
	memset(s, 0, sizeof(*s));
}
