/* failtext.h - the line that tells that a chunk failed: what `stau tick` prints for cron to
 * mail and `stau run` prints on stderr (docs/design.md, "Faults").
 *
 * A person reading cron's mail must learn from this one line which run broke, where, why,
 * and what else it cost, without opening the database:
 *
 *   report run 108: features 2/3 (IDs 3-4) failed: exit 1 after 0.2s: ValueError: no data
 *   for 3; canceled: report 2/3; log .stau/logs/features/108-2-1.log
 *
 * (one line): the run's master job and id, the chunk's job, index and count, its work IDs
 * in brief, how it ended (engine_failure_text), for a job that exited with a status the last
 * line of output it wrote (a Python exception's message; stau's own header and trailer lines
 * are skipped, control characters escaped), the chunks of the run that were canceled because they
 * depended on it, and its log. A failure that will be retried says when instead of what
 * was canceled. The pure parts are exported for the unit tests. */
#ifndef STAU_FAILTEXT_H
#define STAU_FAILTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "state.h"

#define FAILTEXT_LAST_MAX 160 /* columns of the last output line before it is cut */
#define FAILTEXT_IDS_MAX 30   /* columns of the work IDs before "... (N IDs)" */
#define FAILTEXT_CANCELED_MAX 4 /* canceled chunks named before "and N more" */

/* The line for chunk c (as the engine's finished hook gets it: job, run, index/count, IDs,
 * log path) that failed as fin says (ENGINE_FAILED or ENGINE_RETRY, whose time retry_at
 * is, as text; NULL for a failure for good). The master job, the output and the canceled
 * dependents are read from st; what cannot be read is left out (a state error never hides
 * the failure). Without "stau: " and without a newline; newly allocated. */
char *failtext_line(struct state *st, const struct state_chunk *c,
		    const struct engine_finish *fin, const char *retry_at);

/* What failtext_format puts in the line. */
struct failtext {
	const char *master;		/* the run's master job, or NULL when unknown */
	const struct state_chunk *c;	/* the chunk that failed */
	const char *how;		/* "exit 1 after 0.2s" (engine_failure_text without the
					 * note) */
	const char *last;		/* the last line of its output, or NULL */
	const char *note;		/* said after the output: "a fatal exit: job 'a' is
					 * broken ...", or NULL */
	bool by_exit;			/* it ended with an exit status; else (a signal, a
					 * timeout: the output was cut short, its last line is
					 * noise such as the shell's "Terminated") last is left
					 * out */
	const char *retry_at;		/* the next attempt, or NULL */
	const struct state_chunk *const *canceled; /* its canceled dependents */
	size_t ncanceled;
};

/* The line from its facts; newly allocated. */
char *failtext_format(const struct failtext *f);

/* The last line of a chunk's log tail that the job wrote: blank lines, stau's header lines
 * ("stau: ..."), its closing "[exited with status 1]" and the Python runner's "stau runner:
 * cannot import ..." (the exception above it says why) are skipped. Control characters are
 * escaped (\x1b), and a line over FAILTEXT_LAST_MAX columns is cut with "…". NULL when
 * nothing is left; else newly allocated. */
char *failtext_last_line(const char *tail);

/* The chunks among cs[0..n) (one run's, with their deps) that are CANCELED and depend on
 * chunk `failed`, directly or through others, in the order of cs: their indexes into cs go
 * to out (room for n). Returns how many. */
size_t failtext_canceled(const struct state_chunk *cs, size_t n, int64_t failed, size_t *out);

#endif
