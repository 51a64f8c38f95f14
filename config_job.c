/* config_job.c - a job file's header (docs/design.md, "Projects and job files") into a struct job.
 *
 * jobheader.c finds the header and strips its comment leaders; yamldoc.c loads the YAML and
 * reports positions in the job file through the header's line map. This file knows the keys
 * of a header: job_fields below lists them, each with the function that checks its value.
 * Fields shared with schedule.yaml (env, slurm, executor, kwargs of a dependency) come from
 * config.c.
 *
 * A header with errors still yields what validated when the caller asks for it
 * (config_parse_job_partial): project.c runs the cross-file checks (unknown dependencies,
 * cycles) on every job, so a dependency is kept as soon as its own map is valid, whatever
 * else is wrong in the header. job_release is here, beside the parsers that fill struct job,
 * so that what is allocated and what is freed can be checked in one place. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_fields.h"
#include "jobheader.h"
#include "slurm.h"
#include "timeutil.h"
#include "util.h"
#include "yamldoc.h"

#define DEFAULT_RETRY_DELAY 30

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---- lists of strings --------------------------------------------------------------- */

static void parse_strings(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char ***out = dst;
	strv_free(*out);
	*out = config_string_list(y, p, "a list of strings");
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

/* An integer >= 1, or `all`: one chunk over all the run's IDs (a summary or a report). */
static void parse_chunk_size(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	int64_t *out = dst, v;
	const yaml_node_t *n = p->value;
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    !strcmp((const char *)n->data.scalar.value, "all"))
		*out = CHUNK_SIZE_ALL;
	else if (yd_plain_int(n, &v) && v >= 1)
		*out = v;
	else
		yd_bad_value(y, n, NULL, p->name, "an integer >= 1 or 'all'");
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

/* python_fork: true or false, kept apart from "not given" (then the settings decide). */
static void parse_python_fork(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	bool v;
	if (!yd_plain_bool(p->value, &v))
		yd_bad_value(y, p->value, NULL, p->name, "true or false");
	else
		*(int *)dst = v ? 1 : -1;
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

#define SELECT_WANT "a command, or a map with 'command', 'python', or 'sqlite' and 'query'"

/* A command into sw->argv (SELECT_COMMAND); reports and leaves sw alone when it is bad. */
static void select_command(struct yamldoc *y, const yaml_node_t *n, const char *name,
			   struct select_work *sw)
{
	const char *s = yd_scalar_text(y, n, name, SELECT_WANT);
	if (!s)
		return;
	const char *err = NULL;
	char **argv = split_command(s, &err);
	if (!argv)
		yd_report(y, n, "close the quote", "'%s': %s", name, err);
	else if (!argv[0])
		yd_bad_value(y, n, NULL, name, SELECT_WANT);
	if (!argv || !argv[0]) {
		strv_free(argv);
		return;
	}
	strv_free(sw->argv);
	sw->kind = SELECT_COMMAND;
	sw->argv = argv;
}

static void select_command_field(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	select_command(y, p->value, "select_work.command", dst);
}

/* The map form: exactly one source (command, sqlite with query, python), and a timeout. */
static void select_work_map(struct yamldoc *y, yaml_node_t *n, struct select_work *sw)
{
	static const struct yd_field fields[] = {
		{ "command", select_command_field, 0 },
		{ "sqlite", yd_parse_string, offsetof(struct select_work, sqlite_path) },
		{ "query", yd_parse_string, offsetof(struct select_work, query) },
		{ "python", parse_main_func, offsetof(struct select_work, func) },
		{ "timeout", yd_parse_positive_duration, offsetof(struct select_work, timeout) },
	};
	size_t before = y->d->n;
	yd_walk_map(y, n, fields, ARRAY_SIZE(fields), sw);
	if (y->d->n > before)
		return;
	int sources = (sw->argv != NULL) + (sw->sqlite_path || sw->query) + (sw->func != NULL);
	if (sources != 1)
		yd_report(y, n, "give 'command', 'sqlite' with 'query', or 'python'",
			  "'select_work' needs %s source of work IDs", sources ? "one" : "a");
	else if (sw->func)
		sw->kind = SELECT_PYTHON;
	else if (sw->argv)
		sw->kind = SELECT_COMMAND;
	else if (!sw->sqlite_path)
		yd_report(y, n, NULL, "'select_work' needs 'sqlite': the database file to query");
	else if (!sw->query)
		yd_report(y, n, NULL,
			  "'select_work' needs 'query': the SQL that selects the work IDs");
	else
		sw->kind = SELECT_SQLITE;
}

static void parse_select_work(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct select_work *sw = dst;
	yaml_node_t *n = p->value;
	sw->loc = yd_loc(y, n);
	if (n->type == YAML_MAPPING_NODE)
		select_work_map(y, n, sw);
	else
		select_command(y, n, p->name, sw);
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

static void dep_same_code(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	bool v = false;
	size_t before = y->d->n;
	yd_parse_bool(y, p, &v);
	if (y->d->n == before)
		*(int *)dst = v;
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
		{ "fresh_requires_same_code", dep_same_code, offsetof(struct dep, same_code) },
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
		struct dep dep = { .same_code = -1 };
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
	{ "chunk_size", parse_chunk_size, offsetof(struct job, chunk_size) },
	{ "dependencies", parse_deps, 0 },
	{ "main_func", parse_main_func, offsetof(struct job, main_func) },
	{ "select_work", parse_select_work, offsetof(struct job, select_work) },
	{ "command", config_field_argv, offsetof(struct job, command) },
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
	{ "log_limit", config_field_log_limit, offsetof(struct job, log_limit) },
	{ "python_fork", parse_python_fork, offsetof(struct job, python_fork) },
};

/* ---- the header as a whole ---------------------------------------------------------- */

char *config_job_type_of(const char *path)
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
	struct jobheader h;
	size_t before = d->n;
	memset(job, 0, sizeof(*job));
	job->type = config_job_type_of(file);
	job->path = xstrdup(file);
	job->retry_delay = DEFAULT_RETRY_DELAY;
	int rc = jobheader_find(file, text, len, &h, d);
	if (rc == 1) {
		job->header_loc = (struct loc){ h.first_line - 1, 1 };
		struct yamldoc y;
		yaml_node_t *root = yd_load(&y, file, &h, h.yaml, h.len, d);
		if (root && root->type == YAML_MAPPING_NODE)
			yd_walk_map(&y, root, job_fields, ARRAY_SIZE(job_fields), job);
		else if (root && !yd_is_null(root))
			yd_root_not_map(&y, root, "a map of keys such as 'chunk_size: 10'");
		yd_release(&y);
		jobheader_release(&h);
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
	free(job->select_work.func);
	strv_free(job->command);
	free(job->fatal_exit_codes);
	kvlist_release(&job->env);
	strv_free(job->data_sources);
	strv_free(job->data_sinks);
	slurm_opts_release(&job->slurm);
	free(job->broken);
	memset(job, 0, sizeof(*job));
}
