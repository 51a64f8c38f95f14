/* cmdctx.h - what a command works on: the project directory, the loaded project and the open
 * database, set up before the command runs as its row in stau.c's table asks (git's
 * RUN_SETUP flags and setup.c).
 *
 * Opening the project and the database is written here once: stau.c calls ctx_setup with
 * the row's flags and ctx_release after the command, and a unit test of a command does the
 * same. Only `stau run` opens its database itself (ctx_open_state), once it knows that the
 * job it was given exists, so that a mistyped name creates nothing. */
#ifndef STAU_CMDCTX_H
#define STAU_CMDCTX_H

#include <stdbool.h>

#include "exitcode.h"
#include "project.h"
#include "state.h"

/* What a command needs set up before it runs; each flag implies NEED_PROJECT. */
enum {
	NEED_PROJECT = 1 << 0,			   /* ctx.dir: -C, $STAU_DIR or the current
						    * directory */
	NEED_CONFIG = 1 << 1 | NEED_PROJECT,	   /* ctx.p: jobs/ and schedule.yaml loaded,
						    * problems left in ctx.p.diags unsaid */
	NEED_STATE = 1 << 2 | NEED_PROJECT,	   /* ctx.st: .stau/stau.db, created when
						    * missing */
	NEED_STATE_GENTLY = 1 << 3 | NEED_PROJECT, /* ctx.st: .stau/stau.db when it exists,
						    * else NULL: reading never creates it */
};

struct ctx {
	char *dir;	  /* the project directory, absolute; NULL without NEED_PROJECT */
	bool color;	  /* colour on stdout: a terminal, no NO_COLOR, no --no-color */
	bool tty;	  /* stdout is a terminal */
	struct project p; /* NEED_CONFIG */
	bool loaded;	  /* p was loaded and is to be released */
	struct state *st; /* NEED_STATE, NEED_STATE_GENTLY (may stay NULL), or ctx_open_state */
	const char *state_opt; /* --state DIR as given, or NULL (set before ctx_setup) */
	char *state_dir;  /* where the database lives: --state, else $STAU_STATE, else
			   * settings.state_dir, else NULL for the project's .stau/ */
	bool state_given; /* state_dir came from --state or $STAU_STATE: a database of the
			   * command line's choosing, not the project's own */
};

/* Does the setup `needs` asks for, in this order: the directory (dir_opt is -C, or NULL),
 * the project, the database. color and tty are left as they are. Returns EXIT_OK,
 * EXIT_USAGE when the directory cannot be used, or EXIT_STATE when the database cannot be
 * opened (said, as "stau: ..." on stderr). Release ctx with ctx_release in every case. */
int ctx_setup(struct ctx *ctx, int needs, const char *dir_opt);

/* Whether the database is one the command line chose (--state, STAU_STATE) rather than the
 * project's own (.stau/ or settings.state_dir). */
bool ctx_state_elsewhere(const struct ctx *ctx);

/* A command that records state at `now` (--now) refuses a time more than a minute ahead of
 * the clock unless the command line chose the database (--state, STAU_STATE; never
 * settings.state_dir, the project's real one): runs recorded in the
 * future would look finished for days and hold the project's real ticks back (docs/design.md,
 * "Cron and time"). Returns EXIT_OK, or EXIT_USAGE after saying why and what to use. */
int ctx_refuse_future(const struct ctx *ctx, const char *cmd, int64_t now);

/* Opens .stau/stau.db of ctx->dir (or stau.db in ctx->state_dir) into ctx->st: created when missing if create, else left
 * NULL when it does not exist. Returns EXIT_OK, or EXIT_STATE after saying why. */
int ctx_open_state(struct ctx *ctx, bool create);

/* The job a new run of `type` starts from (`stau run`, `stau submit`), in ctx->p (NEED_CONFIG):
 * sets *master and returns EXIT_OK, or returns EXIT_USAGE after saying why: the project
 * cannot be used (its problems), or no job has that type (with the nearest one). */
int ctx_master_job(const struct ctx *ctx, const char *type, const struct graph_node **master);

/* Closes the database, releases the project and frees the directory; ctx is then empty
 * (but for color and tty). */
void ctx_release(struct ctx *ctx);

#endif
