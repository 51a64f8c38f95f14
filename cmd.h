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

#endif
