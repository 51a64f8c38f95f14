/* cmdopt.c - what the commands parse alike: -j N, --now TIME, --json, a RUN argument, and
 * the errors about options. The messages are the ones each command wrote for itself before,
 * so that every command says a bad -j or --now in the same words. */
#include "cmdopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "timeutil.h"
#include "usage.h"
#include "util.h"

void cmdopt_init(struct cmdopt *o, const char *cmd)
{
	*o = (struct cmdopt){ .cmd = cmd, .now = time(NULL) };
}

static int parse_jobs(const char *cmd, const char *arg, size_t *jobs)
{
	int64_t j;
	if (parse_int64(arg, &j) || j < 1 || j > JOBS_MAX)
		return usage_error(cmd, "-j: '%s' is not a number from 1 to %d", arg, JOBS_MAX);
	*jobs = (size_t)j;
	return EXIT_OK;
}

int cmdopt_common(struct cmdopt *o, int c, char **argv)
{
	switch (c) {
	case 'j': return parse_jobs(o->cmd, optarg, &o->jobs);
	case OPT_NOW: return cmdopt_time(o->cmd, "--now", optarg, &o->now);
	case OPT_JSON: o->json = true; return EXIT_OK;
	default: return cmdopt_bad(o->cmd, c, argv);
	}
}

int cmdopt_parse(struct cmdopt *o, int argc, char **argv, const char *shorts,
		 const struct option *longs)
{
	int c, rc = EXIT_OK;
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1)
		rc = cmdopt_common(o, c, argv);
	return rc;
}

int cmdopt_time(const char *cmd, const char *opt, const char *arg, int64_t *t)
{
	char err[256];
	if (time_parse(arg, t, err, sizeof(err)))
		return usage_error(cmd, "%s: %s", opt, err);
	return EXIT_OK;
}

int cmdopt_bad(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int cmdopt_run_id(const char *cmd, const char *word, int64_t *id)
{
	if (*word == '#')
		word++;
	if (parse_int64(word, id) || *id <= 0)
		return usage_error(cmd, "'%s' is not a run id; 'stau status JOB' lists runs", word);
	return EXIT_OK;
}

int cmdopt_run_arg(const char *cmd, int argc, char **argv, int64_t *id)
{
	if (optind >= argc)
		return usage_error(cmd, "which run? give its number, e.g. 'stau %s 42'; "
				   "'stau status JOB' lists runs", cmd);
	if (optind + 1 < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	return cmdopt_run_id(cmd, argv[optind], id);
}

int cmdopt_no_args(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* ---- the work of a new run ---- */

int cmdopt_ids(const char *cmd, struct cmdopt_work *w, const char *what, const char *text,
	       size_t len)
{
	char err[512];
	if (workids_parse(what, text, len, WORKIDS_RANGES, &w->ids, err, sizeof(err)))
		return usage_error(cmd, "%s", err);
	w->has_ids = true;
	return EXIT_OK;
}

int cmdopt_ids_file(const char *cmd, struct cmdopt_work *w, const char *file)
{
	size_t len;
	char *text = read_file(file, &len);
	if (!text)
		return usage_error(cmd, "--ids-file: cannot read '%s': %s", file, strerror(errno));
	int rc = cmdopt_ids(cmd, w, file, text, len);
	free(text);
	return rc;
}

int cmdopt_kw(const char *cmd, struct cmdopt_work *w, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return usage_error(cmd, "--kw: '%s' is not KEY=VALUE", arg);
	char *key = xstrndup(arg, (size_t)(eq - arg));
	const char *v = eq + 1;
	char *json;
	if (json_is_number(v) || !strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "null")) {
		json = xstrdup(v);
	} else {
		struct strbuf sb = STRBUF_INIT;
		json_quote(&sb, v, strlen(v));
		json = sb_detach(&sb);
	}
	kv_set(&w->kw, key, json);
	free(key);
	free(json);
	return EXIT_OK;
}

void cmdopt_work_done(struct cmdopt_work *w)
{
	idlist_sort_unique(&w->ids);
}

void cmdopt_work_release(struct cmdopt_work *w)
{
	idlist_release(&w->ids);
	kvlist_release(&w->kw);
}

/* ---- global options ---- */

/* Whether word is one of the space-separated names in list. */
static bool listed(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* Applies word when it is a global option that takes no value (-q, -v, -qv, --no-color,
 * --version); returns whether it was one. */
static bool take_flag(const char *word, struct global_opts *g)
{
	if (!strcmp(word, "--no-color"))
		return g->no_color = true;
	if (!strcmp(word, "--version"))
		return g->version = true;
	if (word[0] != '-' || !word[1] || word[strspn(word + 1, "qv") + 1])
		return false;
	for (const char *c = word + 1; *c; c++)
		g->verbosity = *c == 'q' ? -1 : g->verbosity + 1;
	return true;
}

/* Applies w (and next, its value, may be NULL) when it is a global option that takes a
 * value: -C DIR, -CDIR, --state DIR, --state=DIR. Returns the number of words taken (0: not
 * one), or -1 after a usage error for a missing value. */
static int take_valued(const char *cmd, const char *w, const char *next, struct global_opts *g)
{
	const char **slot = !strncmp(w, "-C", 2)		     ? &g->dir
			    : !strncmp(w, "--state", 7) && !w[7]     ? &g->state
			    : !strncmp(w, "--state=", 8)	     ? &g->state
								     : NULL;
	if (!slot)
		return 0;
	const char *inline_value = slot == &g->dir ? w + 2 : w[7] ? w + 8 : w + 7;
	if (*inline_value) {
		*slot = inline_value;
		return 1;
	}
	if (!next)
		return usage_error(cmd, "option '%s' needs a value", w), -1;
	*slot = next;
	return 2;
}

int cmdopt_take_globals(int argc, char **argv, const char *valued, struct global_opts *g)
{
	int out = 1, i = 1;
	while (i < argc && strcmp(argv[i], "--")) {
		const char *w = argv[i];
		int took = take_valued(argv[0], w, i + 1 < argc ? argv[i + 1] : NULL, g);
		if (took < 0)
			return -1;
		if (took > 0) {
			i += took;
		} else if (take_flag(w, g)) {
			i++;
		} else {
			int n = listed(valued, w) && i + 1 < argc ? 2 : 1;
			for (int k = 0; k < n; k++)
				argv[out++] = argv[i++];
		}
	}
	while (i < argc)
		argv[out++] = argv[i++];
	argv[out] = NULL;
	return out;
}
