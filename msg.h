/* msg.h - what stau tells the user: "stau: ..." messages and located diagnostics.
 *
 * Wording (one rule for every message): start lowercase, no final full stop, say what is
 * wrong first, quote names in '...', and end with what to do when there is a clear fix:
 *   stau: schedule.yaml:12:9: unknown key 'scheduel' (did you mean 'schedule'?)
 * Parsers never print and never exit: they append a struct diag and return -1. Only stau.c
 * and the cmd_* functions decide what is printed and which exit code follows. */
#ifndef STAU_MSG_H
#define STAU_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Verbosity set by -q (-1) and -v (1, 2); info() prints at >= 1, debug() at >= 2. */
extern int msg_verbosity;

/* Print "stau: MSG\n" to stderr. error() returns -1 so that `return error(...)` is one line. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "stau: MSG\n" and exit with code. */
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* A problem found in a file. line and col are 1-based; 0 means unknown (then omitted). */
struct diag {
	char *file; /* as shown to the user, e.g. "jobs/job_A.py" */
	int line, col;
	char *msg;  /* "unknown key 'chunck_size'" */
	char *hint; /* "did you mean 'chunk_size'?" or NULL */
};

struct diags {
	struct diag *v;
	size_t n, cap;
};
#define DIAGS_INIT { NULL, 0, 0 }

/* Appends a diagnostic; file is copied; hint may be NULL. Returns -1 (for `return diag_add(...)`). */
int diag_add(struct diags *d, const char *file, int line, int col, const char *hint,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Formats one diagnostic as "FILE:LINE:COL: MSG (HINT)" into a new string; the caller frees it. */
char *diag_format(const struct diag *g);
/* Prints every diagnostic as "stau: FILE:LINE:COL: MSG (HINT)" on f. */
void diags_print(const struct diags *d, FILE *f);
/* Moves all diagnostics of src to the end of dst; src is left empty. */
void diags_take(struct diags *dst, struct diags *src);
void diags_release(struct diags *d);

#endif
