/* cmd_next.c - `stau next EXPR|ENTRY_ID [--from TIME] [-n N] [--tz ZONE]`: fire times (docs/design.md, "Cron and time").
 *
 * The argument is an entry of schedule.yaml when it is one word that does not start with '@'
 * (a cron expression has five fields and a macro starts with '@'); the project is loaded
 * only then, so that trying an expression works anywhere. An entry keeps its own trigger and
 * zone; --tz then only chooses the zone the times are printed in. For an expression --tz is
 * the zone it is evaluated in, UTC by default. The output is one instant per line and
 * nothing else, so that shell tests and scripts can use `stau next` as an oracle. */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "cmdopt.h"
#include "cron.h"
#include "msg.h"
#include "project.h"
#include "timeutil.h"
#include "util.h"

#define MAX_COUNT 10000

struct next_opts {
	const char *what; /* EXPR or ENTRY_ID */
	int64_t from;
	int64_t count;
	const struct tz *zone; /* --tz, or NULL */
};

static int parse_next_opts(int argc, char **argv, struct next_opts *o)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "tz", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;
	o->from = time(NULL);
	o->count = 5;
	while ((c = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_int64(optarg, &o->count) || o->count < 1 || o->count > MAX_COUNT)
				return usage_error("next", "-n: '%s' is not a number from 1 to %d",
						   optarg, MAX_COUNT);
			break;
		case 'f':
			if (cmdopt_time("next", "--from", optarg, &o->from))
				return EXIT_USAGE;
			break;
		case 'z':
			o->zone = tz_get(optarg, err, sizeof(err));
			if (!o->zone)
				return usage_error("next", "--tz: %s", err);
			break;
		default:
			return cmdopt_bad("next", c, argv);
		}
	}
	if (optind == argc)
		return usage_error("next", "missing a cron expression or schedule entry id");
	if (argc - optind > 1)
		return usage_error("next", "expected one argument, got %d: quote the expression, "
				   "e.g. stau next '*/15 * * * *'", argc - optind);
	o->what = argv[optind];
	return EXIT_OK;
}

static bool looks_like_entry_id(const char *s)
{
	if (!*s || *s == '@')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return false;
	return true;
}

static const struct entry *find_entry(const struct project *p, const char *id)
{
	for (size_t i = 0; i < p->sched.nentries; i++)
		if (!strcmp(p->sched.entries[i].id, id))
			return &p->sched.entries[i];
	return NULL;
}

static int no_such_entry(const struct project *p, const char *id)
{
	const char **ids = xcalloc(p->sched.nentries + 1, sizeof(*ids));
	for (size_t i = 0; i < p->sched.nentries; i++)
		ids[i] = p->sched.entries[i].id;
	const char *near = spell_suggest(id, ids);
	int rc;
	if (near)
		rc = usage_error("next", "no schedule entry '%s' (did you mean '%s'?)", id, near);
	else if (!p->sched_ok)
		rc = usage_error("next", "no schedule entry '%s'; schedule.yaml has problems: run "
				 "'stau check'", id);
	else
		rc = usage_error("next", "no schedule entry '%s', and a cron expression has 5 "
				 "fields, e.g. '*/15 * * * *'", id);
	free(ids);
	return rc;
}

/* Fills *t and *zone from the entry named id in the project at dir. */
static int load_entry_trigger(const char *dir, const char *id, struct trigger *t,
			      const struct tz **zone)
{
	struct project p;
	project_load(dir, &p);
	const struct entry *e = find_entry(&p, id);
	int rc = EXIT_OK;
	if (e && e->problem && !e->trigger_text) {
		rc = usage_error("next", "entry '%s' is disabled, and has no usable trigger: %s", id,
				 e->problem);
	} else if (e) {
		*t = e->trigger;
		*zone = e->trigger.zone;
		if (e->problem)
			warn("entry '%s' is disabled: %s; tick does not run it at these times", id,
			     e->problem);
		else if (!e->enabled) /* the times are still worth seeing, but not as if they ran */
			warn("entry '%s' is disabled (enabled: false): tick does not run it at these "
			     "times", id);
	} else {
		rc = no_such_entry(&p, id);
	}
	project_release(&p);
	return rc;
}

static int expression_trigger(const char *text, struct trigger *t, const struct tz **zone)
{
	char err[256];
	if (cron_parse(text, &t->cron, err, sizeof(err)))
		return usage_error("next", "cron expression '%s': %s", text, err);
	t->kind = TRIGGER_CRON;
	if (!*zone)
		*zone = tz_get("UTC", err, sizeof(err));
	t->zone = *zone;
	return EXIT_OK;
}

int cmd_next(struct ctx *ctx, int argc, char **argv)
{
	struct next_opts o = { 0 };
	int rc = parse_next_opts(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	struct trigger t = { 0 };
	const struct tz *zone = o.zone;
	if (looks_like_entry_id(o.what))
		rc = load_entry_trigger(ctx->dir, o.what, &t, &zone);
	else
		rc = expression_trigger(o.what, &t, &zone);
	if (o.zone)
		zone = o.zone;
	if (rc != EXIT_OK)
		return rc;
	int64_t at = o.from;
	for (int64_t i = 0; i < o.count; i++) {
		char buf[48];
		at = trigger_next(&t, at);
		if (at < 0) {
			warn("no more fire times within 100 years");
			break;
		}
		time_format(at, zone, buf, sizeof(buf));
		printf("%s\n", buf);
	}
	return EXIT_OK;
}
