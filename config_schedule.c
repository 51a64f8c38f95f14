/* config_schedule.c - schedule.yaml (docs/design.md, "Scheduling") into a struct schedule: settings and entries.
 *
 * yamldoc.c loads the YAML; this file knows the two top-level keys. 'settings' is read
 * first wherever it is written, because every entry takes its default time zone from it. An
 * entry's keys are first gathered (entry_fields keeps the nodes of id, job, cron, every, start
 * and timezone), and the checks that need several of them at once run when the whole entry
 * has been read: one trigger, 'start' only with 'every', the zone a trigger runs in. Those
 * later reports are put back in file order by yd_sort_diags.
 *
 * Each kept entry gets trigger_text, a canonical text of its trigger and zone for the scheduler's
 * fingerprint: two expressions with the same meaning give the same text, so rewriting a
 * trigger without changing when it fires does not count as a change.
 *
 * Cross-file checks (an entry's job exists) belong to project.c. An entry with problems is
 * still returned, with its first problem in entry.problem, when it has a valid id: a bad entry
 * disables itself alone, and `stau status` shows it on its row (docs/design.md,
 * "Scheduling"). A later entry with an id already given is disabled the same way. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_fields.h"
#include "cron.h"
#include "slurm.h"
#include "timeutil.h"
#include "util.h"
#include "yamldoc.h"

#define DEFAULT_MISFIRE_GRACE (30 * 60)
#define DEFAULT_RETENTION (30 * 24 * 3600)
#define ZONE_HINT "use a name from /usr/share/zoneinfo such as 'Europe/Copenhagen' or 'UTC'"

/* What a schedule is parsed into: the result, and what entries need from the settings. */
struct sched_draft {
	struct schedule *s;
	const struct tz *zone; /* of settings.timezone; NULL when it is bad */
	bool zone_bad;	       /* settings.timezone is bad: entries without a zone are disabled */
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
		sd->zone_bad = true;
		return;
	}
	sd->zone = tz_get(s, err, sizeof(err));
	sd->zone_bad = !sd->zone;
	if (!sd->zone) {
		yd_report(y, p->value, ZONE_HINT, "%s", err);
		return;
	}
	free(sd->s->settings.timezone);
	sd->s->settings.timezone = xstrdup(tz_name(sd->zone));
}

/* A file to write: a path, not a directory. */
static void parse_metrics_file(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char **out = dst;
	static const char want[] = "a file name such as '/var/lib/node_exporter/stau.prom'";
	const char *s = yd_scalar_text(y, p->value, p->name, want);
	if (!s)
		return;
	if (!*s || s[strlen(s) - 1] == '/') {
		yd_bad_value(y, p->value, NULL, p->name, want);
		return;
	}
	free(*out);
	*out = xstrdup(s);
}

/* A directory for the database: a path that is not empty. */
static void parse_state_dir(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char **out = dst;
	const char *s = yd_scalar_text(y, p->value, p->name,
				       "a directory on a local disk such as '/var/lib/stau/proj'");
	if (!s)
		return;
	if (!*s) {
		yd_bad_value(y, p->value, NULL, p->name,
			     "a directory on a local disk such as '/var/lib/stau/proj'");
		return;
	}
	free(*out);
	*out = xstrdup(s);
}
static void parse_settings_map(struct yamldoc *y, const struct yd_pair *p,
			       struct sched_draft *sd, const struct yd_field *fields, size_t nf);

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
		{ "metrics_file", parse_metrics_file, offsetof(struct settings, metrics_file) },
		{ "on_failure", config_field_argv, offsetof(struct settings, on_failure) },
		{ "log_limit", config_field_log_limit, offsetof(struct settings, log_limit) },
		{ "state_dir", parse_state_dir, offsetof(struct settings, state_dir) },
		{ "python_fork", yd_parse_bool, offsetof(struct settings, python_fork) },
		{ "fresh_requires_same_code", yd_parse_bool,
		  offsetof(struct settings, fresh_requires_same_code) },
	};
	struct sched_draft *sd = dst;
	if (yd_is_null(p->value))
		return;
	size_t before = y->d->n;
	parse_settings_map(y, p, sd, fields, ARRAY_SIZE(fields));
	if (y->d->n > before)
		sd->s->settings_ok = false;
}

static void parse_settings_map(struct yamldoc *y, const struct yd_pair *p,
			       struct sched_draft *sd, const struct yd_field *fields, size_t nf)
{
	if (p->value->type != YAML_MAPPING_NODE) {
		yd_bad_value(y, p->value, NULL, p->name,
			     "a map of settings such as 'timezone: UTC'");
		return;
	}
	size_t np;
	struct yd_pair *pairs = yd_map_pairs(y, p->value, &np);
	for (size_t i = 0; i < np; i++) {
		const struct yd_field *f = NULL;
		for (size_t k = 0; k < nf && !f; k++)
			if (!strcmp(fields[k].name, pairs[i].name))
				f = &fields[k];
		if (!f)
			yd_unknown_key(y, &pairs[i], fields, nf);
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
		ed->e.cron_text = xstrdup(s); /* shown on the disabled entry's row */
		return;
	}
	if (ed->start)
		yd_report(y, ed->start, "remove it, or use 'every' instead of 'cron'",
			  "'start' only applies to 'every'");
	ed->e.trigger.kind = TRIGGER_CRON;
	ed->e.trigger.zone = zone;
	ed->e.cron_text = xstrdup(s);
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
	free(e->cron_text);
	kvlist_release(&e->kwargs);
	free(e->work_ids);
	free(e->timezone);
	free(e->problem);
	memset(e, 0, sizeof(*e));
}

/* The first problem of the entry (diagnostics from `before` on) disables it; so does a
 * bad settings.timezone (reported there) for an entry that gives no zone of its own: it
 * would fire at other hours than meant. */
static void entry_problem(struct yamldoc *y, struct sched_draft *sd, struct entry_draft *ed,
			  size_t before)
{
	if (ed->e.trigger.zone)
		ed->e.trigger_text = trigger_text(&ed->e.trigger);
	if (y->d->n > before)
		ed->e.problem = diag_format(&y->d->v[before]);
	else if (!ed->e.trigger.zone || (sd->zone_bad && !ed->timezone))
		ed->e.problem = xstrdup("settings.timezone is not a valid time zone, and the "
					"entry gives none of its own");
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
	entry_duplicate(y, sd, &ed);
	if (!ed.e.id) { /* reported; without an id it has no row and no state */
		entry_release(&ed.e);
		return;
	}
	entry_problem(y, sd, &ed, before);
	if (!ed.e.job) /* reported; "" names no job, so the entry stays disabled */
		ed.e.job = xstrdup("");
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
	st->log_limit = CONFIG_LOG_LIMIT;
	st->python_fork = true;
}

/* The lines of pairs[k] (settings) up to the next pair's, or NULL (config.h). */
static char *settings_lines(struct yamldoc *y, const struct yd_pair *pairs, size_t np,
			    size_t k)
{
	size_t from = yd_loc(y, pairs[k].key).line, to = SIZE_MAX;
	for (size_t i = 0; i < np; i++) {
		size_t line = yd_loc(y, pairs[i].key).line;
		if (i != k && (pairs[i].merged || line == from))
			return NULL;
		if (line > from && line < to)
			to = line;
	}
	if (pairs[k].merged || !from)
		return NULL;
	size_t a = 0, line = 1;
	for (; a < y->len && line < from; a++)
		line += y->text[a] == '\n';
	size_t b = a;
	for (; b < y->len && line < to; b++)
		line += y->text[b] == '\n';
	return xstrndup(y->text + a, b - a);
}

int config_parse_schedule(const char *file, const char *text, size_t len, struct schedule *s,
			  struct diags *d)
{
	char err[160];
	struct sched_draft sd = { s, NULL, false, 0, NULL, 0 };
	memset(s, 0, sizeof(*s));
	settings_init(&s->settings);
	s->settings_ok = true;
	sd.zone = tz_get("UTC", err, sizeof(err));
	size_t before = d->n;
	struct yamldoc y;
	yaml_node_t *root = yd_load(&y, file, NULL, text, len, d);
	/* settings first: entries take their default zone from it, wherever it is written */
	if (root && root->type == YAML_MAPPING_NODE) {
		size_t np;
		struct yd_pair *pairs = yd_map_pairs(&y, root, &np);
		for (size_t i = 0; i < np; i++) {
			if (strcmp(pairs[i].name, "settings"))
				continue;
			parse_settings(&y, &pairs[i], &sd);
			s->settings_text = settings_lines(&y, pairs, np, i);
		}
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
		s->not_yaml = true;
	} else if (!root && d->n > before) {
		s->not_yaml = true;
	}
	if (s->not_yaml)
		s->settings_ok = false;
	free(sd.ids);
	yd_release(&y);
	yd_sort_diags(d, before);
	return d->n > before ? -1 : 0;
}

void schedule_release(struct schedule *s)
{
	free(s->settings.timezone);
	free(s->settings.python);
	slurm_opts_release(&s->settings.slurm);
	free(s->settings.metrics_file);
	free(s->settings.state_dir);
	for (size_t i = 0; s->settings.on_failure && s->settings.on_failure[i]; i++)
		free(s->settings.on_failure[i]);
	free(s->settings.on_failure);
	free(s->settings_text);
	for (size_t i = 0; i < s->nentries; i++)
		entry_release(&s->entries[i]);
	free(s->entries);
	memset(s, 0, sizeof(*s));
}
