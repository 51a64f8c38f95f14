/* usage.h - the errors that end a command, each with its exit code (git's usage.c).
 *
 * Every message is one "stau: ..." line through msg.h; these add the exit code a command
 * returns after it, so that `return usage_error(...)` is one statement. */
#ifndef STAU_USAGE_H
#define STAU_USAGE_H

#include <stdint.h>

#include "exitcode.h"

struct state;

/* Prints "stau: MSG" and "see 'stau CMD --help'" on stderr; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the last error of st (state_errmsg); returns EXIT_STATE. */
int error_state(struct state *st);

/* Prints "no run ID; 'stau status JOB' lists runs"; returns EXIT_USAGE. */
int error_no_run(int64_t id);

#endif
