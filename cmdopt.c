/* cmdopt.c - what the commands parse alike: -j N, --now TIME, --json, a RUN argument, and
 * the errors about options. The messages are the ones each command wrote for itself before,
 * so that every command says a bad -j or --now in the same words. */
#include "cmdopt.h"

#include <time.h>

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
