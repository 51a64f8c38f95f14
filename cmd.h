/* cmd.h - the stau commands, called by stau.c's command table.
 *
 * Adding a command:
 *   1. write `int cmd_NAME(struct ctx *ctx, int argc, char **argv)` in cmd_NAME.c (or next to
 *      its siblings), parsing its own options with getopt_long (optind is reset to 0,
 *      opterr to 0 so the command names a bad option itself, and argv[0] is the command
 *      name);
 *   2. declare it below;
 *   3. add a row to `commands[]` in stau.c with its one-line summary and usage text;
 *   4. add an end-to-end test in tests/e2e/ and a line to stau.1.
 * A command returns one of the exit codes below; it prints its own errors through msg.h. */
#ifndef STAU_CMD_H
#define STAU_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exitcode.h"
#include "usage.h"

/* What stau.c resolved before the command runs. */
struct ctx {
	const char *dir; /* the project directory, absolute; NULL for commands that need none */
	bool color;	 /* colour on stdout: a terminal, no NO_COLOR, no --no-color */
	bool tty;	 /* stdout is a terminal */
};

int cmd_tick(struct ctx *ctx, int argc, char **argv);
int cmd_run(struct ctx *ctx, int argc, char **argv);
int cmd_status(struct ctx *ctx, int argc, char **argv);
int cmd_show(struct ctx *ctx, int argc, char **argv);
int cmd_logs(struct ctx *ctx, int argc, char **argv);
int cmd_graph(struct ctx *ctx, int argc, char **argv);
int cmd_check(struct ctx *ctx, int argc, char **argv);
int cmd_next(struct ctx *ctx, int argc, char **argv);
int cmd_init(struct ctx *ctx, int argc, char **argv);
int cmd_retry(struct ctx *ctx, int argc, char **argv);
int cmd_cancel(struct ctx *ctx, int argc, char **argv);
int cmd_prune(struct ctx *ctx, int argc, char **argv);

/* ---- executing a run to its end: `stau run` and `stau retry` (cmd_run.c) ---- */

struct state;
struct project;

/* Expands QUEUED run `id`, waiting while another run holds open chunks of a job type it
 * needs: said once on stderr ("stau: run 4 waits for ..."), then tried again every second,
 * *now moving on by the seconds waited. Returns EXIT_OK when the run is ACTIVE or has
 * ended, or EXIT_STATE after printing the state error. */
int run_expand_waiting(struct state *st, const struct project *p, int64_t id, int64_t *now);

/* What run_execute runs, and how it shows progress. */
struct run_exec {
	int64_t run;	/* the run, ACTIVE or ended */
	size_t jobs;	/* -j: at most this many chunks at once here; 0: only max_parallel */
	int64_t now;	/* the time when the engine starts (--now) */
	bool live;	/* one progress line redrawn in place (a terminal); else one plain line
			 * per chunk start and end on stdout */
};

/* Runs the chunks of run x->run with the local executor until the run has ended, its
 * retries and the chunks that other processes run included, as `stau run` does: progress
 * on stdout (none with -q), each chunk that fails for good on stderr. SIGINT, SIGTERM and
 * SIGHUP end our chunks and cancel the run ("interrupted"). On return no progress line is
 * left on the terminal and *elapsed_ms holds the time the engine took. Returns EXIT_OK
 * (read the run's state to say how it ended), or EXIT_STATE after printing why. */
int run_execute(struct state *st, const struct project *p, const struct run_exec *x,
		int64_t *elapsed_ms);

#endif
