/* usage.c - the errors that end a command, each with its exit code. */
#include "usage.h"

#include <stdarg.h>
#include <stdio.h>

#include "msg.h"
#include "state.h"
#include "util.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s", sb.buf);
	fprintf(stderr, "see 'stau %s --help'\n", cmd);
	sb_release(&sb);
	return EXIT_USAGE;
}

int error_state(struct state *st)
{
	error("%s", state_errmsg(st));
	return EXIT_STATE;
}

int error_no_run(int64_t id)
{
	error("no run %lld; 'stau status JOB' lists runs", (long long)id);
	return EXIT_USAGE;
}
