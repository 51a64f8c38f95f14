/* stau.c - main(): global options, the command table, and the exit code. Nothing else.
 *
 * Each command is a row: its name, what it needs set up first (the project directory, the
 * loaded project, the database: cmdctx.h, as git's RUN_SETUP), which of its options take a
 * value, a summary for `stau --help` and its usage text for `stau CMD --help`. The commands
 * themselves live in cmd_*.c. The global options (-C DIR, -q, -v, --no-color, --version) may
 * come before the command or among its words. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "msg.h"
#include "project.h"
#include "timeutil.h"
#include "util.h"

#ifndef STAU_VERSION
#define STAU_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*fn)(struct ctx *, int, char **);
	int needs;		/* what stau.c sets up first: NEED_* of cmdctx.h */
	const char *valued;	/* its options that take a value as the next word ("-j --now"),
				 * so that a value is never taken for a global option */
	const char *summary;	/* NULL: a hidden command, not in `stau --help` */
	const char *usage;
};

static const struct command commands[] = {
	{ "tick", cmd_tick, NEED_STATE, "-j --now",
	  "schedule, expand and run what is due (run by cron)",
	  "usage: stau tick [--now TIME] [-j N]\n\n"
	  "Recovers chunks whose stau died, queues a run for each schedule entry that is due,\n"
	  "expands queued runs, runs ready chunks until none is ready, and prunes runs older\n"
	  "than the retention. Quiet when all went well; one line on stderr per chunk that\n"
	  "failed. Exits 1 if a chunk failed, 3 if the database cannot be used.\n"
	  "  --now TIME   act as if it were TIME (ISO 8601 or @EPOCH); at most a minute\n"
	  "               ahead of the clock, unless the state is elsewhere (--state)\n"
	  "  -j N         run at most N chunks at once in this process\n" },
	{ "run", cmd_run, NEED_CONFIG, "-j --now --ids --ids-file --kw",
	  "run a job and its dependencies now, showing progress",
	  "usage: stau run JOB [--ids LIST] [--ids-file F] [--kw K=V]... [--force] [--dry-run]\n"
	  "                [-j N] [--now TIME]\n\n"
	  "Runs JOB with the dependencies that are not fresh, and waits until the run ends.\n"
	  "Exits 0 when every chunk is done, 1 when the run failed or was canceled.\n"
	  "  --ids LIST     work IDs, e.g. 1-100,205 (default: the job's select_work)\n"
	  "  --ids-file F   work IDs from file F, separated by white space or commas\n"
	  "  --kw K=V       a keyword argument for every chunk; V is a JSON number, true,\n"
	  "                 false or null, else a string\n"
	  "  --force        treat every dependency as stale\n"
	  "  --dry-run      print the chunks that would run and the fresh ones left out\n"
	  "  -j N           run at most N chunks at once\n"
	  "  --now TIME     act as if it were TIME (ISO 8601 or @EPOCH); at most a minute\n"
	  "                 ahead of the clock, unless the state is elsewhere (--state)\n" },
	{ "submit", cmd_submit, NEED_CONFIG, "--now --ids --ids-file --kw",
	  "queue a run for the next tick and print its id",
	  "usage: stau submit JOB [--ids LIST] [--ids-file F] [--kw K=V]... [--force]\n"
	  "                   [--now TIME]\n\n"
	  "Queues a run of JOB, as 'stau run' would start it, and returns at once: the next\n"
	  "'stau tick' expands and runs it. Prints the run's id on stdout. The work IDs are\n"
	  "fixed now: --ids, else what the job's select_work gives at once. Exits 1 when\n"
	  "select_work fails (the run is recorded FAILED), 2 when JOB is unknown.\n"
	  "  --ids LIST     work IDs, e.g. 1-100,205 (default: the job's select_work)\n"
	  "  --ids-file F   work IDs from file F, separated by white space or commas\n"
	  "  --kw K=V       a keyword argument for every chunk; V is a JSON number, true,\n"
	  "                 false or null, else a string\n"
	  "  --force        treat every dependency as stale\n"
	  "  --now TIME     record the run as queued at TIME (ISO 8601 or @EPOCH)\n" },
	{ "check", cmd_check, NEED_CONFIG, "",
	  "validate every job header and the schedule",
	  "usage: stau check\n\n"
	  "Validates schedule.yaml and the header of every file in jobs/, and lists every\n"
	  "problem as FILE:LINE:COL. Exits 2 if there is any.\n" },
	{ "next", cmd_next, NEED_PROJECT, "-n --from --tz",
	  "print the next fire times of a cron expression or entry",
	  "usage: stau next EXPR|ENTRY_ID [--from TIME] [-n N] [--tz ZONE]\n\n"
	  "Prints the next N (default 5) fire times strictly after TIME (default now), one per\n"
	  "line, in the zone of the entry or ZONE (default UTC).\n"
	  "TIME is ISO 8601 (2026-03-29T01:30:00Z, 2026-03-29T03:30:00+02:00) or @EPOCH.\n" },
	{ "init", cmd_init, 0, "",
	  "create a project with an example job and schedule",
	  "usage: stau init [DIR]\n\n"
	  "Creates DIR (default: the current directory) with schedule.yaml and jobs/hello.py,\n"
	  "and prints the crontab line that runs it. A directory that has schedule.yaml or\n"
	  "jobs/ already is a project: init refuses it and writes nothing (exit 2).\n" },
	{ "simulate", cmd_simulate, NEED_CONFIG, "--from --to --every",
	  "show what the schedule would do over a span of time, running nothing",
	  "usage: stau simulate --from TIME --to TIME [--every D]\n\n"
	  "Replays the scheduler's ticks from --from to --to, one every D (default 1m), over a\n"
	  "scratch copy of the state, and prints per fire time which entries would queue a\n"
	  "run, be skipped, missed or disabled, and why. Starts no job; the project's\n"
	  "database is only read. A run it would queue counts as ended at once.\n"
	  "  --from TIME   the first tick (ISO 8601 or @EPOCH)\n"
	  "  --to TIME     the last tick\n"
	  "  --every D     the time between ticks, e.g. 1m, 15m, 1h\n" },
	{ "crontab", cmd_crontab, NEED_CONFIG, "",
	  "print the crontab line that runs this project",
	  "usage: stau crontab\n\n"
	  "Prints the line to add with 'crontab -e' to run this project's tick every minute,\n"
	  "with the path of this stau, and changes nothing. Says on stderr when cron's PATH\n"
	  "(/usr/bin:/bin) would find another python3 than yours.\n" },
	{ "graph", cmd_graph, NEED_CONFIG, "--run",
	  "show the job graph, or a run's chunk graph, as a tree or DOT",
	  "usage: stau graph [JOB] [--dot]\n"
	  "       stau graph --run RUN [--dot]\n\n"
	  "Prints the dependency tree of JOB (default: every job that nothing depends on),\n"
	  "with the data_sources and data_sinks of each job.\n"
	  "  --dot       print Graphviz DOT instead (edges labelled with max_lag)\n"
	  "  --run RUN   the chunks of run RUN instead: each with its job, index, work IDs\n"
	  "              and state, below the chunks that depend on it (DOT: coloured by\n"
	  "              state)\n" },
	{ "status", cmd_status, NEED_CONFIG | NEED_STATE_GENTLY, "-n --now",
	  "show every job's last run, schedule and health",
	  "usage: stau status [JOB] [--json] [--now TIME] [-n N]\n\n"
	  "Lists every job: the newest run it took part in and its result there (FAILED when\n"
	  "any of its chunks failed, LOST when the stau running it is gone), when it finished\n"
	  "and how long it took, its last success or how many of the run's IDs are fresh, its\n"
	  "next fire time, and why it is BROKEN; then every schedule entry with its next fire\n"
	  "time (or disabled) and the fire times it missed or skipped. With JOB, that job and\n"
	  "its N (default 10) most recent runs.\n"
	  "  --json       print the same as JSON (described in stau(1))\n"
	  "  --now TIME   compute ages and next fire times as seen at TIME\n" },
	{ "metrics", cmd_metrics, NEED_CONFIG | NEED_STATE_GENTLY, "--now",
	  "print every job's health for Prometheus",
	  "usage: stau metrics [--now TIME]\n\n"
	  "Prints the health of every job and schedule entry in the Prometheus text format:\n"
	  "last success, the result and duration of the newest run, failures, BROKEN, chunks\n"
	  "queued and running, missed and skipped fire times (the metrics are in stau(1)).\n"
	  "settings.metrics_file makes every tick write the same text to a file, for\n"
	  "node_exporter's textfile collector.\n"
	  "  --now TIME   compute durations and next fire times as seen at TIME\n" },
	{ "why", cmd_why, NEED_CONFIG | NEED_STATE_GENTLY, "--id --now",
	  "tell why a work ID of a job was or was not computed",
	  "usage: stau why JOB --id N [--json] [--now TIME]\n\n"
	  "For work ID N of job JOB: the run that last computed it and when, whether each job\n"
	  "that depends on JOB finds it fresh and why (its max_lag), and what the next due\n"
	  "schedule entry that needs JOB would do with it.\n"
	  "  --id N       the work ID\n"
	  "  --json       print the same as JSON (described in stau(1))\n"
	  "  --now TIME   judge freshness and the next fire time as seen at TIME\n" },
	{ "show", cmd_show, NEED_CONFIG | NEED_STATE_GENTLY, "--now",
	  "show a run: trigger, work IDs and every chunk",
	  "usage: stau show RUN [--json] [--now TIME]\n\n"
	  "Shows run RUN: its trigger, kwargs, work IDs, git commit, state and times, then\n"
	  "each chunk with its IDs, state, attempt, duration, exit status and log file, and\n"
	  "the last lines of output of the chunks that failed.\n"
	  "  --json       print the same as JSON (described in stau(1))\n"
	  "  --now TIME   count the time of what is still running up to TIME\n" },
	{ "logs", cmd_logs, NEED_STATE_GENTLY, "",
	  "print the log files of a run's chunks",
	  "usage: stau logs RUN [CHUNK]\n\n"
	  "Prints the log of every attempt of every chunk of run RUN, each under a line\n"
	  "'==> .stau/logs/JOB/RUN-CHUNK-ATTEMPT.log <=='. CHUNK limits it to one chunk, given\n"
	  "by its id or as JOB:I (the I-th chunk of job JOB, as 'stau show RUN' numbers them).\n" },
	{ "retry", cmd_retry, NEED_CONFIG | NEED_STATE_GENTLY, "-j --now",
	  "run the failed and canceled chunks of a run again",
	  "usage: stau retry RUN [-j N] [--now TIME]\n\n"
	  "Makes the FAILED and CANCELED chunks of run RUN pending again, with the same work IDs\n"
	  "and kwargs, clears the BROKEN marks of its job types, and runs them now as 'stau run'\n"
	  "does, waiting until the run has ended. A run that failed before it had chunks is\n"
	  "expanded anew. Exits 0 when the run is done, 1 when it failed again, 2 when RUN is\n"
	  "unknown, still queued or running, or done.\n"
	  "  -j N         run at most N chunks at once\n"
	  "  --now TIME   act as if it were TIME (ISO 8601 or @EPOCH); at most a minute\n"
	  "               ahead of the clock, unless the state is elsewhere (--state)\n" },
	{ "rerun", cmd_rerun, NEED_CONFIG | NEED_STATE_GENTLY, "-j --now",
	  "start a new run with a run's job, work IDs and kwargs",
	  "usage: stau rerun RUN [--force] [-j N] [--now TIME]\n\n"
	  "Starts a new run of the job of run RUN with its work IDs and kwargs, and runs it\n"
	  "now as 'stau run' does: every chunk of the job, and the dependencies that are not\n"
	  "fresh. RUN may be done, failed or canceled, not queued or running. Exits as\n"
	  "'stau run' does, and 2 when RUN is unknown or has not ended.\n"
	  "  --force      treat every dependency as stale\n"
	  "  -j N         run at most N chunks at once\n"
	  "  --now TIME   act as if it were TIME (ISO 8601 or @EPOCH); at most a minute\n"
	  "               ahead of the clock, unless the state is elsewhere (--state)\n" },
	{ "cancel", cmd_cancel, NEED_CONFIG | NEED_STATE_GENTLY, "--now",
	  "cancel a run: pending chunks, and SIGTERM to running ones",
	  "usage: stau cancel RUN [--now TIME]\n\n"
	  "Cancels run RUN: its pending chunks are canceled at once, and the process group of\n"
	  "each running chunk gets SIGTERM; the stau process that started a chunk records it as\n"
	  "failed when it has ended. Exits 2 when RUN is unknown or has already ended.\n"
	  "  --now TIME   record the cancellation at TIME (ISO 8601 or @EPOCH)\n" },
	{ "prune", cmd_prune, NEED_CONFIG | NEED_STATE_GENTLY, "--older-than --now",
	  "delete finished runs and their logs older than a duration",
	  "usage: stau prune [--older-than D] [--now TIME]\n\n"
	  "Deletes the runs that finished more than D ago, with their chunks and log files, and\n"
	  "says how many it removed (nothing with -q). Runs still queued or running are kept.\n"
	  "  --older-than D   a duration such as 12h, 7d or 1d12h (default: the retention in\n"
	  "                   schedule.yaml, 30d when it sets none)\n"
	  "  --now TIME       count ages from TIME (ISO 8601 or @EPOCH)\n" },
	/* hidden: what completion/stau.bash asks for; no summary keeps it out of --help */
	{ "complete", cmd_complete, NEED_PROJECT, "", NULL,
	  "usage: stau complete jobs|entries|runs\n\n"
	  "Prints the job types, schedule entry ids or newest run ids of the project, one per\n"
	  "line, for bash completion (completion/stau.bash).\n" },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_help(FILE *f)
{
	fputs("usage: stau [-C DIR] [--state DIR] [-q] [-v] [--no-color] COMMAND [ARGS]\n\n"
	      "A job orchestrator for cron: jobs with dependencies, work IDs and freshness.\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].summary)
			fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\noptions, before or after the command:\n"
	      "  -C DIR       the project directory (default $STAU_DIR, else the current directory)\n"
	      "  --state DIR  keep the database in DIR instead of .stau/ (also STAU_STATE,\n"
	      "               settings.state_dir)\n"
	      "  -q, -v       quieter, more verbose\n"
	      "  --no-color   no colours (also NO_COLOR)\n"
	      "  --version    print the version\n\n"
	      "'stau COMMAND --help' tells more about a command.\n", f);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static int unknown_command(const char *name)
{
	const char *names[ARRAY_SIZE(commands) + 1];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	names[ARRAY_SIZE(commands)] = NULL;
	const char *near = spell_suggest(name, names);
	if (near)
		error("unknown command '%s' (did you mean '%s'?)", name, near);
	else
		error("unknown command '%s'; see 'stau --help'", name);
	return EXIT_USAGE;
}

/* Runs a command with the setup its row asks for; returns its exit code. g holds the global
 * options given before the command; those among its words are taken out first. */
static int run_command(const struct command *c, struct global_opts *g, int argc, char **argv)
{
	argc = cmdopt_take_globals(argc, argv, c->valued, g);
	if (argc < 0)
		return EXIT_USAGE;
	msg_verbosity = g->verbosity;
	if (g->version) {
		printf("stau %s\n", STAU_VERSION);
		return EXIT_OK;
	}
	if (wants_help(argc, argv)) {
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	struct ctx ctx = { .tty = isatty(STDOUT_FILENO), .state_opt = g->state };
	const char *nc = getenv("NO_COLOR");
	ctx.color = ctx.tty && !g->no_color && !(nc && *nc);
	int rc = ctx_setup(&ctx, c->needs, g->dir);
	if (rc == EXIT_OK) {
		/* glibc: 0 starts getopt afresh (permuting, so options may follow arguments)
		 * instead of keeping the "+" mode of main()'s own option parsing; commands
		 * report bad options */
		optind = 0;
		opterr = 0;
		rc = c->fn(&ctx, argc, argv);
	}
	ctx_release(&ctx);
	/* a full disk must not look like success (git's run_builtin does the same) */
	if (fflush(stdout) || ferror(stdout)) {
		error("cannot write to standard output");
		if (rc == EXIT_OK)
			rc = EXIT_STATE;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-color", no_argument, NULL, 'N' }, { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },	{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct global_opts g = { .verbosity = 0 };
	int c;
	while ((c = getopt_long(argc, argv, "+C:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'C': g.dir = optarg; break;
		case 'S': g.state = optarg; break;
		case 'q': g.verbosity = -1; break;
		case 'v': g.verbosity++; break;
		case 'N': g.no_color = true; break;
		case 'V': printf("stau %s\n", STAU_VERSION); return EXIT_OK;
		case 'h': print_help(stdout); return EXIT_OK;
		default: fputs("see 'stau --help'\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = find_command(argv[optind]);
	if (!cmd)
		return unknown_command(argv[optind]);
	int rc = run_command(cmd, &g, argc - optind, argv + optind);
	tz_cache_free();
	return rc;
}
