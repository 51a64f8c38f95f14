/* config.c - the fields that job headers and schedule.yaml share.
 *
 * config.h's parsers are split by what they read: yamldoc.c loads the YAML and holds the
 * checks that any field may use, config_job.c knows job headers (docs/design.md, "Projects
 * and job files"), config_schedule.c knows schedule.yaml (docs/design.md, "Scheduling"). This
 * file keeps what is left when those are taken out and both still need: the field parsers
 * that fill kvlists (kwargs and env; the type itself is kvlist.c's), plus 'executor' and
 * 'slurm', which both files accept. The values of 'slurm' are checked by slurm.c, which also
 * turns them into sbatch options. Each struct's release function lives beside its parser, so
 * that the code that allocates a field and the code that frees it are read together.
 *
 * A kvlist keeps its values as JSON text: a kwargs value may be any YAML structure and must
 * reach the job as JSON anyway (STAU_KWARGS), so it is converted here once, while the YAML
 * is at hand. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_fields.h"
#include "slurm.h"
#include "util.h"
#include "yamldoc.h"

/* ---- lists of strings --------------------------------------------------------------- */

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **config_string_list(struct yamldoc *y, const struct yd_pair *p, const char *want)
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
		strv_free(v);
		return NULL;
	}
	return v;
}

void config_field_argv(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char ***out = dst;
	if (yd_is_scalar(p->value) && !yd_is_null(p->value)) {
		yd_bad_value(y, p->value, "write it as a list, e.g. [python3, -u]", p->name,
			     "a list of strings");
		return;
	}
	size_t before = y->d->n;
	char **v = config_string_list(y, p, "a non-empty list of strings");
	if (y->d->n != before)
		return;
	if (!v) {
		yd_bad_value(y, p->value, NULL, p->name, "a non-empty list of strings");
	} else if (!v[0][0]) {
		yd_report(y, yd_node(y, p->value->data.sequence.items.start[0]), NULL,
			  "'%s' must start with the program to run, got ''", p->name);
	} else {
		strv_free(*out);
		*out = v;
		return;
	}
	strv_free(v);
}

/* ---- fields ------------------------------------------------------------------------- */

void config_field_executor(struct yamldoc *y, const struct yd_pair *p, void *dst)
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

void config_field_log_limit(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	int64_t *out = dst, v = 0;
	char err[256];
	const yaml_node_t *n = p->value;
	bool ok = yd_is_scalar(n) && !yd_is_null(n) &&
		  !size_parse(yd_text(n), &v, err, sizeof(err));
	if (ok && v >= CONFIG_LOG_LIMIT_MIN) {
		*out = v;
		return;
	}
	yd_bad_value(y, n, ok ? "a log needs room for its beginning, its end and the line that "
				"says what was cut" : NULL, p->name,
		     "a size of at least 1K such as '500K', '100M' or '1G' (K, M and G are powers "
		     "of 1024)");
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

void config_field_kwargs(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	kv_map(y, p, dst, "a map of names to values", add_any);
}

bool config_identifier_ok(const char *s)
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

void config_field_env(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	kv_map(y, p, dst, "a map of variable names to strings", add_env);
}

/* ---- slurm: ------------------------------------------------------------------------- */

/* Each parser gets its pair renamed "slurm.KEY", so that messages name the whole key. */

static void slurm_name(struct yamldoc *y, const struct yd_pair *p, char **out, bool list)
{
	const char *want = list ? "a partition name, or several separated by commas"
				: "a name without white space, '=' or ','";
	const char *s = yd_scalar_text(y, p->value, p->name, want);
	if (s && !slurm_name_ok(s, list)) {
		yd_bad_value(y, p->value, NULL, p->name, want);
	} else if (s) {
		free(*out);
		*out = xstrdup(s);
	}
}

static void slurm_partition(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	slurm_name(y, p, dst, true);
}

static void slurm_single_name(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	slurm_name(y, p, dst, false);
}

static void slurm_time(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	static const char want[] = "a time limit above zero: minutes, '90m', '2h', '1-12:00:00' "
				   "or 'UNLIMITED'";
	int64_t secs;
	const char *s = yd_scalar_text(y, p->value, p->name, want);
	if (s && slurm_time_parse(s, &secs))
		yd_bad_value(y, p->value, NULL, p->name, want);
	else if (s)
		*(int64_t *)dst = secs;
}

static void slurm_mem(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	static const char want[] = "a memory size such as '4G' or '512M', or megabytes";
	const char *s = yd_scalar_text(y, p->value, p->name, want);
	char **out = dst;
	if (s && !slurm_mem_ok(s)) {
		yd_bad_value(y, p->value, NULL, p->name, want);
	} else if (s) {
		free(*out);
		*out = xstrdup(s);
	}
}

/* One item of extra_args; returns a copy, or NULL after reporting. */
static char *slurm_extra_arg(struct yamldoc *y, const struct yd_pair *p, yaml_node_t *it)
{
	static const char want[] = "a list of sbatch options";
	const char *s = it ? yd_scalar_text(y, it, p->name, want) : NULL;
	if (!s)
		return NULL;
	const char *hint;
	char *problem = slurm_extra_arg_problem(s, &hint);
	if (!problem)
		return xstrdup(s);
	char buf[YD_SHOW_MAX + 16];
	yd_report(y, it, hint, "'%s' item %s %s", p->name, yd_describe(it, buf, sizeof(buf)),
		  problem);
	free(problem);
	return NULL;
}

static void slurm_extra_args(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char ***out = dst;
	size_t n, k = 0, before = y->d->n;
	yaml_node_item_t *items = yd_seq_items(y, p, "a list of sbatch options", &n);
	if (y->d->n != before)
		return;
	char **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		char *arg = slurm_extra_arg(y, p, yd_node(y, items[i]));
		if (arg)
			v[k++] = arg;
	}
	if (y->d->n != before) {
		while (k)
			free(v[--k]);
		free(v);
		return;
	}
	for (size_t i = 0; (*out) && (*out)[i]; i++)
		free((*out)[i]);
	free(*out);
	*out = v; /* an empty list stays a list: it clears the default of settings */
}

static const struct yd_field slurm_fields[] = {
	{ "partition", slurm_partition, offsetof(struct slurm_opts, partition) },
	{ "time", slurm_time, offsetof(struct slurm_opts, time) },
	{ "mem", slurm_mem, offsetof(struct slurm_opts, mem) },
	{ "cpus_per_task", yd_parse_positive, offsetof(struct slurm_opts, cpus_per_task) },
	{ "account", slurm_single_name, offsetof(struct slurm_opts, account) },
	{ "qos", slurm_single_name, offsetof(struct slurm_opts, qos) },
	{ "extra_args", slurm_extra_args, offsetof(struct slurm_opts, extra_args) },
};

static void slurm_unknown_key(struct yamldoc *y, const struct yd_pair *p)
{
	const char *names[ARRAY_SIZE(slurm_fields) + 1];
	for (size_t i = 0; i < ARRAY_SIZE(slurm_fields); i++)
		names[i] = slurm_fields[i].name;
	names[ARRAY_SIZE(slurm_fields)] = NULL;
	const char *near = spell_suggest(p->name, names);
	char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
	yd_report(y, p->key,
		  hint ? hint : "give other sbatch options in 'extra_args', e.g. "
				"extra_args: ['--gres=gpu:1']",
		  "unknown key '%s' in 'slurm'", p->name);
	free(hint);
}

/* Checks pair q of the map and stores its value in o. */
static void slurm_option(struct yamldoc *y, struct yd_pair q, struct slurm_opts *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(slurm_fields); i++) {
		if (strcmp(q.name, slurm_fields[i].name))
			continue;
		char *name = xasprintf("slurm.%s", q.name);
		q.name = name;
		slurm_fields[i].parse(y, &q, (char *)o + slurm_fields[i].off);
		free(name);
		return;
	}
	slurm_unknown_key(y, &q);
}

void config_field_slurm(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	struct slurm_opts *o = dst;
	slurm_opts_release(o);
	if (yd_is_null(p->value))
		return;
	if (p->value->type != YAML_MAPPING_NODE) {
		yd_bad_value(y, p->value, NULL, p->name,
			     "a map of Slurm options such as 'partition' and 'time'");
		return;
	}
	o->loc = yd_loc(y, p->value);
	size_t np;
	struct yd_pair *pairs = yd_map_pairs(y, p->value, &np);
	for (size_t i = 0; i < np; i++)
		slurm_option(y, pairs[i], o);
	free(pairs);
}
