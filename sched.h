/* sched.h - one tick of the scheduler as a library call: what `stau tick` does once a minute
 * (docs/design.md, "Scheduling").
 *
 * A tick recovers chunks whose stau died, reports each problem of the project once per
 * version of its file, queues a run for every schedule entry that is due (or records the fire
 * time as missed or skipped; due.h decides), expands queued runs, runs ready chunks until none
 * is ready and prunes what is older than the retention; then it writes settings.metrics_file
 * and starts the on_failure hook of every run that ended FAILED (monitor.h). It prints
 * nothing itself: every line a person may want goes through struct sched_out, and the counts
 * through struct sched_result, so that the command decides what is printed and which exit
 * status follows, and a unit test can drive a tick with a fake executor. */
#ifndef STAU_SCHED_H
#define STAU_SCHED_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "exec.h"
#include "state.h"

/* How much a line of the tick matters: progress (shown with -v), a warning that cron must
 * mail, an error (a failure that cron must mail). */
enum sched_level { SCHED_INFO, SCHED_WARN, SCHED_ERROR };

/* Where a tick says what happened: one line at a time, in order, without "stau: " and without
 * a newline ("job_A run 3 chunk 1/2 failed: exit 1 after 0.2s; log ..."). say may be NULL. */
struct sched_out {
	void (*say)(void *ctx, enum sched_level level, const char *text);
	void *ctx;
};

struct sched_opts {
	int64_t now;			  /* the time of the tick (--now, else the clock) */
	size_t jobs;			  /* -j: at most this many chunks at once; 0: no limit
					   * but max_parallel */
	volatile sig_atomic_t *stop;	  /* set (by a signal handler) to end our chunks and
					   * return; may be NULL */
	struct exec_runner *ex;		  /* the executor, still the caller's to destroy; NULL:
					   * the local one, made only when chunks may run */
	const struct engine_clock *clock; /* NULL: the real clock, from now on */
};

/* What a tick did. */
struct sched_result {
	size_t failed;	/* runs and chunks that failed for good in this tick (each said at
			 * SCHED_ERROR, except a run failing again for a reason already said) */
	size_t lost;	/* chunks found lost (their stau died) and marked FAILED 'runner lost'
			 * (said at SCHED_WARN): cron must hear of them, so the tick exits 1 */
	bool quiet;	/* nothing changed since the last full tick, nothing was due and no run
			 * was open: no file was read, and the retention applied */
	bool unusable;	/* the jobs directory cannot be read: nothing was done (said) */
};

/* Runs one tick of the project in dir on its open state st, with the options o, saying what
 * happens through out (may be NULL) and filling *res. A tick first compares what its last
 * full tick recorded (tickcache.h) with the files: when they are unchanged, no run is open and
 * no entry is due, it reads no file (res->quiet); with runs open, only their jobs. Returns 0,
 * or -1 after a state error, which was said at SCHED_ERROR (exit 3); what was decided before
 * it stays recorded. */
int sched_tick(struct state *st, const char *dir, const struct sched_opts *o,
	       const struct sched_out *out, struct sched_result *res);

#endif
