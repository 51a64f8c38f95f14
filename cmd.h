/* cmd.h - the stau commands, called by stau.c's command table. A command parses its options,
 * calls the library and prints; what it decides lives in a library file with unit tests
 * (sched.c for tick, runprogress.c for run and retry). No command calls another cmd_*.c file
 * or anything of stau.c.
 *
 * Adding a command:
 *   1. write `int cmd_NAME(struct ctx *ctx, int argc, char **argv)` in cmd_NAME.c. argv[0] is
 *      the command's name and the global options are already taken out of argv; stau.c has
 *      reset optind and opterr, so parse with getopt_long, the shared options and errors of
 *      cmdopt.h, and name a bad option through cmdopt_bad;
 *   2. declare it below;
 *   3. add a row to `commands[]` in stau.c: what it needs set up before it runs (cmdctx.h:
 *      NEED_PROJECT gives ctx->dir, NEED_CONFIG ctx->p, NEED_STATE ctx->st, created when
 *      missing, NEED_STATE_GENTLY ctx->st only when the database exists, so that reading
 *      never creates one), its options that take a value as a separate word, its one-line
 *      summary and its usage text;
 *   4. add an end-to-end test in tests/e2e/, a line to stau.1 and to README's table.
 * A command returns an exit code of exitcode.h (usage_error, error_state and error_no_run of
 * usage.h say an error and return its code) and prints its own errors through msg.h. */
#ifndef STAU_CMD_H
#define STAU_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdctx.h"
#include "exitcode.h"
#include "usage.h"

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
int cmd_metrics(struct ctx *ctx, int argc, char **argv);
int cmd_why(struct ctx *ctx, int argc, char **argv);
int cmd_rerun(struct ctx *ctx, int argc, char **argv);
int cmd_submit(struct ctx *ctx, int argc, char **argv);
int cmd_crontab(struct ctx *ctx, int argc, char **argv);
int cmd_simulate(struct ctx *ctx, int argc, char **argv);
int cmd_complete(struct ctx *ctx, int argc, char **argv);

#endif
