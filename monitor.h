/* monitor.h - what stau does for monitoring once it has run things: the on_failure hook of
 * each run that ended FAILED, and the metrics file for node_exporter (docs/design.md,
 * "Commands and exit status").
 *
 * Both work from the database, not from what this process saw: a run can end FAILED in a
 * tick after the stau that ran it died (its chunks recovered as lost), and the hook is then
 * that tick's to start. The schema's triggers queue a hook for every run that ends FAILED
 * (state_alerts_pending); one process claims it and starts it, at most once, so that an
 * alert is never sent twice. */
#ifndef STAU_MONITOR_H
#define STAU_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "project.h"
#include "state.h"

/* Where monitoring says what went wrong, one line at a time without "stau: " and without a
 * newline ("on_failure of run 12 failed: exit 1: no route to host"). say may be NULL. */
struct monitor_out {
	void (*say)(void *ctx, const char *text);
	void *ctx;
};

/* How long the on_failure command may take before its process group is killed. */
#define MONITOR_HOOK_TIMEOUT_MS 60000

/* Starts settings.on_failure of project p (only its schedule need be loaded) for every run
 * that ended FAILED and whose hook no stau process has taken: without a shell, in the project
 * directory, with stdin from /dev/null, in a process group of its own, killed after
 * MONITOR_HOOK_TIMEOUT_MS, with STAU_RUN_ID, STAU_JOB (the run's master job), STAU_DIR,
 * STAU_ENTRY and STAU_SCHEDULED_FOR (empty for a manual run), STAU_MESSAGE (the run's
 * message), STAU_FAILED_CHUNKS ("JOB:I/N" of each failed chunk, separated by spaces) and
 * STAU_FAILED_LOGS (their log files, absolute, one per line) added to stau's environment.
 * How it went is recorded with the run ("exit 0", "not configured" when p sets none); a hook
 * that fails is said through out and changes nothing else. Returns the number of hooks
 * taken, or -1 after a state error (said). */
int monitor_hooks(struct state *st, const struct project *p, int64_t now,
		  const struct monitor_out *out);

/* Writes the metrics of the project in `dir` (metrics.h) to its settings.metrics_file
 * atomically (a temporary file in the same directory, then rename), mode 0644, so that a
 * reader sees the old text or the new one, never a part. full: p is the whole project as
 * just loaded, and the file is written. Otherwise p holds its schedule only (a tick with
 * nothing to do), and the file is written only when it is missing or shows another state
 * version than the database (a run changed since: `stau run`, cancel, prune), the project
 * then being loaded for it. Returns 1 when written, 0 when not (no metrics_file, or it was
 * up to date), -1 when it could not be written (said) or on a state error (said). */
int monitor_metrics_file(struct state *st, const char *dir, const struct project *p, bool full,
			 int64_t now, const struct monitor_out *out);

#endif
