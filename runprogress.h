/* runprogress.h - running one run to its end in the foreground, showing its progress: what
 * `stau run` and `stau retry` share (docs/design.md, "Commands and exit status").
 *
 * Progress goes to stdout: in a terminal one line redrawn in place, elsewhere one plain line
 * per chunk start and end; each chunk that fails for good is said on stderr; at the end one
 * line says how the run ended. Nothing is printed with -q but errors. */
#ifndef STAU_RUNPROGRESS_H
#define STAU_RUNPROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "exitcode.h"
#include "project.h"
#include "state.h"

/* A new run of a job, as `stau run`, `stau rerun` and `stau submit` ask for it. */
struct run_request {
	const char *job;	/* the master job type, a job of the project */
	const char *kwargs;	/* JSON object text */
	const int64_t *ids;	/* the work IDs, sorted and unique, when has_ids */
	size_t nids;
	bool has_ids;
	bool select_work;	/* !has_ids: take the IDs from the job's select_work (else the
				 * run has none) */
	bool force;		/* every dependency is stale */
	int64_t now;		/* recorded as its creation time */
	char *failed;		/* out: why select_work failed (the run is then recorded FAILED
				 * with it), a new string the caller frees; else NULL */
};

/* Queues run r (QUEUED, to be expanded by run_expand_waiting or the next tick), with the
 * project's git commit: its IDs are r->ids, else (select_work) those the job's select_work
 * gives now, outside any transaction. A select_work that fails records the run FAILED at
 * once with the reason, also in r->failed. Returns EXIT_OK and sets *id, or EXIT_STATE after
 * printing the state error. */
int run_queue(struct state *st, const struct project *p, struct run_request *r, int64_t *id);

/* Says once on stderr when -j `jobs` is above the global max_parallel, which then caps it
 * (a warning, not an error); nothing when jobs is 0 (no -j) or not above it. */
void run_warn_jobs(const struct project *p, size_t jobs);

/* Expands QUEUED run `id`, waiting while another run holds open chunks of a job type it
 * needs: said once on stderr ("stau: run 4 waits for ..."), then tried again every second,
 * *now moving on by the seconds waited. Returns EXIT_OK when the run is ACTIVE or has
 * ended, or EXIT_STATE after printing the state error. */
int run_expand_waiting(struct state *st, const struct project *p, int64_t id, int64_t *now);

/* What run_execute runs, how it shows progress, and how it says the end. */
struct run_exec {
	int64_t run;	/* the run, ACTIVE or ended */
	size_t jobs;	/* -j: at most this many chunks at once here; 0: only max_parallel */
	int64_t now;	/* the time when the engine starts (--now) */
	bool live;	/* one progress line redrawn in place (a terminal); else one plain line
			 * per chunk start and end on stdout */
	bool retry;	/* `stau retry`: the end says "N chunks retried", and a run canceled for
			 * no work has failed */
	size_t retried; /* retry: the chunks made pending again; 0: the run was queued again,
			 * and all of its chunks count */
	bool selected;	/* `stau run`: the IDs came from select_work (said when there were none) */
	struct exec_runner *ex; /* the executor, still the caller's to destroy; NULL: the local
				 * one */
};

/* Runs the chunks of run x->run (with the local executor, unless x->ex) until the run has ended, its
 * retries and the chunks that other processes run included: progress on stdout (none with
 * -q), each chunk that fails for good on stderr. SIGINT, SIGTERM and SIGHUP end our chunks
 * and cancel the run ("interrupted"). No progress line is left on the terminal; then one line
 * says how the run ended ("job_A run 4 done: 3 chunks in 1.2s" on stdout, or why it failed or
 * was canceled on stderr). Then it starts settings.on_failure for a run that ended FAILED
 * (monitor.h; a hook that fails is said and changes nothing). Returns EXIT_OK when the run is
 * DONE (for `stau run` also when it was canceled for no work: nothing failed), EXIT_FAILED
 * when it failed or was canceled, EXIT_USAGE when the run is gone (said), or EXIT_STATE after
 * printing the state error. */
int run_execute(struct state *st, const struct project *p, const struct run_exec *x);

#endif
