/* cmd_logs.c - `stau logs RUN [CHUNK]`: the log files of a run's chunks.
 *
 * logs prints the log file of every attempt, like tail(1) does for several files. The file
 * names follow docs/design.md, "Starting a chunk" (.stau/logs/JOB/RUN-CHUNK-ATTEMPT.log), so earlier attempts are found
 * even though the database keeps only the last attempt's path. Logs can be large: they are
 * copied through a buffer, never read whole. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdopt.h"
#include "msg.h"
#include "state.h"
#include "util.h"
#include "view.h"

/* Copies the log file rel (relative to dir) to stdout under a "==> rel <==" line, like
 * tail(1) with several files. A file that cannot be read is said on stderr. */
static void print_log(const char *dir, const char *rel, bool *first)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	free(path);
	if (!f) {
		fflush(stdout);
		warn("cannot read '%s': %s", rel, strerror(errno));
		return;
	}
	printf("%s==> %s <==\n", *first ? "" : "\n", rel);
	*first = false;
	char buf[65536];
	size_t n, total = 0;
	char last = '\n';
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		fwrite(buf, 1, n, stdout);
		last = buf[n - 1];
		total += n;
	}
	if (ferror(f)) {
		fflush(stdout);
		warn("cannot read '%s': %s", rel, strerror(errno));
	}
	if (total && last != '\n')
		putchar('\n');
	fclose(f);
}

/* Prints every attempt's log of chunk c, oldest first. Returns how many it tried. */
static int print_chunk_logs(const struct view *v, const struct state_chunk *c, bool *first)
{
	for (int a = 1; a <= c->attempt; a++) {
		char *rel = a == c->attempt && c->log_path
				    ? xstrdup(c->log_path)
				    : state_log_path(v->st, c->job, c->run, c->id, a);
		print_log(v->ctx->dir, rel, first);
		free(rel);
	}
	return c->attempt;
}

/* Whether chunk c is the one named by sel: its id ("33") or JOB:INDEX ("job_A:2"). */
static bool chunk_matches(const struct state_chunk *c, const char *sel)
{
	int64_t n;
	const char *colon = strrchr(sel, ':');
	if (!colon)
		return !parse_int64(sel, &n) && n == c->id;
	size_t len = (size_t)(colon - sel);
	return strlen(c->job) == len && !strncmp(c->job, sel, len) && !parse_int64(colon + 1, &n) &&
	       n > 0 && (size_t)n == c->index;
}

static int logs_of_run(struct view *v, int64_t id, const char *sel)
{
	struct state_run r;
	int rc = view_get_run(v, id, &r);
	if (rc != EXIT_OK)
		return rc;
	struct state_chunk *cs = NULL;
	size_t n = 0;
	if (state_run_chunks(v->st, id, false, &cs, &n)) {
		state_run_release(&r);
		return view_state_error(v);
	}
	bool first = true;
	size_t matched = 0, tried = 0;
	for (size_t i = 0; i < n; i++) {
		if (sel && !chunk_matches(&cs[i], sel))
			continue;
		matched++;
		tried += (size_t)print_chunk_logs(v, &cs[i], &first);
	}
	if (sel && !matched) {
		if (strchr(sel, ':') || sel[strspn(sel, "0123456789")] == '\0')
			error("no chunk '%s' in run %lld; 'stau show %lld' lists its chunks", sel,
			      (long long)id, (long long)id);
		else /* a job's name alone: its chunks are JOB:1, JOB:2, ... */
			error("no chunk '%s' in run %lld: give a chunk id or JOB:I (e.g. '%s:1'); "
			      "'stau show %lld' lists its chunks", sel, (long long)id, sel,
			      (long long)id);
		rc = EXIT_USAGE;
	} else if (!tried && sel) {
		warn("chunk '%s' of run %lld has not started yet, so it has no log", sel,
		     (long long)id);
	} else if (!tried) {
		warn("no chunk of run %lld has started yet, so there are no logs", (long long)id);
	}
	state_chunks_free(cs, n);
	state_run_release(&r);
	return rc;
}

int cmd_logs(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "logs");
	int rc = cmdopt_parse(&o, argc, argv, ":", longopts);
	if (rc != EXIT_OK)
		return rc;
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("logs", argc == optind ? "missing the run id"
							  : "give a run id and at most one chunk");
	int64_t id;
	rc = cmdopt_run_id("logs", argv[optind], &id);
	if (rc != EXIT_OK)
		return rc;
	struct view v = { .ctx = ctx, .st = ctx->st, .now = o.now };
	return logs_of_run(&v, id, optind + 1 < argc ? argv[optind + 1] : NULL);
}
