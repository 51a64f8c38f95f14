/* config.c - the fields that job headers and schedule.yaml share.
 *
 * config.h's parsers are split by what they read: yamldoc.c loads the YAML and holds the
 * checks that any field may use, config_job.c knows job headers (docs/design.md, "Projects and job files"), config_schedule.c
 * knows schedule.yaml (docs/design.md, "Scheduling"). This file keeps what is left when those are taken out and
 * both still need: the field parsers that fill kvlists (kwargs, env and srun options; the
 * type itself is kvlist.c's), plus 'executor', which both files accept. Each struct's
 * release function lives beside its parser, so that the code that allocates a field and the
 * code that frees it are read together.
 *
 * A kvlist keeps its values as JSON text: a kwargs value may be any YAML structure and must
 * reach the job as JSON anyway (STAU_KWARGS), so it is converted here once, while the YAML
 * is at hand. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config_fields.h"
#include "util.h"
#include "yamldoc.h"

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

void config_field_slurm(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	kv_map(y, p, dst, "a map of srun options", add_slurm);
}
