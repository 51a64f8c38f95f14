/* cmd_why.c - `stau why JOB --id N [--json] [--now TIME]`: for one work ID, the run that last
 * computed it and when, whether each job that needs it finds it fresh and why (its max_lag),
 * and what the next due entry would do with it. why.c finds the answers; this file prints
 * them, as lines or as JSON (described in stau.1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "cmdopt.h"
#include "json.h"
#include "msg.h"
#include "term.h"
#include "view.h"
#include "why.h"

enum { OPT_ID = 0x200 };

struct why_opts {
	struct cmdopt o;
	int64_t id;
	bool has_id;
	const char *job;
};

static int parse_why_opts(int argc, char **argv, struct why_opts *w)
{
	static const struct option longopts[] = { OPTION_JSON, OPTION_NOW,
						  { "id", required_argument, NULL, OPT_ID },
						  { NULL, 0, NULL, 0 } };
	int c, rc = EXIT_OK;
	cmdopt_init(&w->o, "why");
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c != OPT_ID)
			rc = cmdopt_common(&w->o, c, argv);
		else if (parse_int64(optarg, &w->id))
			rc = usage_error("why", "--id: '%s' is not a work ID (an integer)", optarg);
		else
			w->has_id = true;
	}
	if (rc != EXIT_OK)
		return rc;
	if (optind >= argc)
		return usage_error("why", "which job? e.g. 'stau why report --id 42'");
	if (argc - optind > 1)
		return usage_error("why", "give one job");
	if (!w->has_id)
		return usage_error("why", "which work ID? give it with --id N");
	w->job = argv[optind];
	return EXIT_OK;
}

/* ---- text ---- */

static void print_computed(const struct view *v, const struct why *w)
{
	char when[48], age[48];
	if (!w->computed) {
		printf("computed:      never");
		if (w->last_success) {
			term_relative(w->last_success, v->now, age, sizeof(age));
			printf(" (%s last succeeded %s, with other work IDs or none)",
			       w->job->type, age);
		}
		printf("\n");
		return;
	}
	view_time(w->computed, v->zone, when, sizeof(when));
	term_relative(w->computed, v->now, age, sizeof(age));
	if (w->run)
		printf("computed:      %s (%s) by run %lld, chunk %zu/%zu\n", when, age,
		       (long long)w->run, w->index, w->count);
	else
		printf("computed:      %s (%s) by a run since pruned\n", when, age);
}

static void print_needs(const struct why *w)
{
	char lag[32];
	if (!w->nneeds)
		printf("needed by:     no job (nothing depends on %s)\n", w->job->type);
	for (size_t i = 0; i < w->nneeds; i++) {
		const struct why_need *n = &w->needs[i];
		duration_format(n->dep->max_lag * 1000, DURATION_EXACT, lag, sizeof(lag));
		printf("%s%s (max_lag %s%s): %s, %s\n", i ? "               " : "needed by:     ",
		       n->job->type, lag, n->dep->allow_missing_work_ids ?
		       ", allow_missing_work_ids" : "", n->fresh ? "fresh" : "stale", n->why);
	}
}

static void print_next(const struct view *v, const struct why *w)
{
	char when[48];
	const struct why_next *nx = &w->next;
	if (!w->schedule_ok)
		printf("next:          none: schedule.yaml has problems, so nothing is scheduled "
		       "('stau check' lists them)\n");
	else if (!nx->e)
		printf("next:          no enabled schedule entry runs %s or a job that needs it\n",
		       w->job->type);
	else
		printf("next:          entry '%s' (%s) at %s %s: %s%s\n", nx->e->id, nx->e->job,
		       view_time(nx->at, view_entry_zone(v, nx->e), when, sizeof(when)),
		       !nx->has_id ? "would not take the ID" : nx->computes ? "would compute it"
		       : "would not compute it", nx->why, nx->by_select_work ?
		       " (if its select_work gives the ID)" : "");
}

/* ---- JSON ---- */

static void json_needs(struct json *j, const struct why *w)
{
	json_key(j, "needed_by");
	json_array_begin(j);
	for (size_t i = 0; i < w->nneeds; i++) {
		const struct why_need *n = &w->needs[i];
		json_object_begin(j);
		json_kstr(j, "job", n->job->type);
		json_kint(j, "max_lag_seconds", n->dep->max_lag);
		json_kbool(j, "allow_missing_work_ids", n->dep->allow_missing_work_ids);
		json_kbool(j, "fresh", n->fresh);
		json_kstr(j, "why", n->why);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_next(struct json *j, const struct view *v, const struct why *w)
{
	const struct why_next *nx = &w->next;
	json_key(j, "next");
	if (!w->schedule_ok || !nx->e) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_kstr(j, "entry", nx->e->id);
	json_kstr(j, "job", nx->e->job);
	view_json_time(j, v, "at", nx->at);
	json_kbool(j, "has_id", nx->has_id);
	json_kbool(j, "by_select_work", nx->by_select_work);
	json_kbool(j, "computes", nx->computes);
	json_kstr(j, "why", nx->why);
	json_object_end(j);
}

static void print_json(const struct view *v, const struct why *w)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, true);
	json_object_begin(&j);
	view_json_time(&j, v, "now", v->now);
	json_kstr(&j, "job", w->job->type);
	json_kint(&j, "id", w->id);
	view_json_time(&j, v, "computed", w->computed);
	json_key(&j, "run");
	if (w->run)
		json_int(&j, w->run);
	else
		json_null(&j);
	json_key(&j, "chunk");
	if (w->chunk)
		json_int(&j, w->chunk);
	else
		json_null(&j);
	view_json_time(&j, v, "last_success", w->last_success);
	json_needs(&j, w);
	json_kbool(&j, "schedule_ok", w->schedule_ok);
	json_next(&j, v, w);
	json_object_end(&j);
	json_finish(&j);
	view_print_json(&sb);
}

int cmd_why(struct ctx *ctx, int argc, char **argv)
{
	struct why_opts o = { .id = 0 };
	int rc = parse_why_opts(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	struct view v = { .now = o.o.now, .json = o.o.json };
	view_init(&v, ctx);
	const struct job *job = project_job(v.p, o.job);
	if (!job) {
		char *safe = term_escape(o.job);
		rc = usage_error("why", "unknown job '%s'; 'stau status' lists the jobs", safe);
		free(safe);
		return rc;
	}
	struct why w;
	char err[512];
	if (why_explain(&w, v.p, v.st, job, o.id, v.now, err, sizeof(err))) {
		error("%s", err);
		return EXIT_STATE;
	}
	if (v.json) {
		print_json(&v, &w);
	} else {
		printf("%s, work ID %lld\n", job->type, (long long)o.id);
		print_computed(&v, &w);
		print_needs(&w);
		print_next(&v, &w);
	}
	why_release(&w);
	return EXIT_OK;
}
