/* health.h - how every job and schedule entry is doing, as stau status and stau metrics show it.
 *
 * One read of the project and the database gives, per job: why it is BROKEN, its result in
 * the newest run it took part in (FAILED when any of its chunks there failed, LOST when a
 * chunk of that run is RUNNING under a stau process that is gone), that run's times, its last
 * success, its counters and open chunks, its next fire time, and on request how many of that
 * run's work IDs are fresh; per entry: its next fire time, the fire times it handled, missed
 * and skipped, and what keeps it from running. Nothing is written: this is what a person or
 * Prometheus may ask at any moment, so it never creates the database, never takes the lock
 * and never changes a state (a lost run stays RUNNING in the database until a tick recovers
 * it). */
#ifndef STAU_HEALTH_H
#define STAU_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "project.h"
#include "state.h"

/* A job's result in a run, from its chunks there (or, for its own run as master job, from
 * the run). */
enum health_result {
	RESULT_NEVER,	 /* it never ran */
	RESULT_QUEUED,	 /* its run waits to be expanded */
	RESULT_PENDING,	 /* its chunks wait for their dependencies or a retry time */
	RESULT_RUNNING,
	RESULT_DONE,
	RESULT_FAILED,	 /* a chunk of it failed for good (its run will end FAILED) */
	RESULT_CANCELED,
	RESULT_LOST,	 /* a chunk runs under a stau process that is gone */
	RESULT_N
};

/* "never run", "QUEUED", "PENDING", "RUNNING", "DONE", "FAILED", "CANCELED", "LOST". */
const char *health_result_name(enum health_result r);

struct health_job {
	const struct job *job;
	char *problem;		  /* why it is BROKEN, or NULL: its header, an unknown dependency,
				   * a cycle, a fatal exit for its file's content, or a dependency
				   * that is BROKEN ("needs 'b', which is BROKEN") */
	enum health_result result;
	int64_t run;		  /* the run of the result; 0: never ran */
	bool as_master;		  /* that run is its own (else it ran there as a dependency) */
	const struct state_run *master_run; /* its newest run as master job, or NULL */
	int64_t started, finished; /* of its part in that run (its chunks, or its own run);
				   * 0: not yet */
	pid_t lost_owner;	  /* RESULT_LOST: the stau process that is gone */
	int64_t last_success;	  /* its latest successful chunk; 0: none */
	int64_t failed_chunks, failed_runs; /* counters, since schema version 3 */
	int64_t pending, running; /* its open chunks now, in all runs */
	int64_t next;		  /* the earliest next fire time of its enabled entries; -1: none */
	const struct entry *next_entry;
	bool ids_known;		  /* with HEALTH_FRESH_IDS, for a run with work IDs: */
	size_t nids, fresh_ids;	  /* its IDs, and those of them that are fresh for the job */
};

struct health_entry {
	const struct entry *e;
	int64_t next;		/* its next fire time; -1: disabled or none */
	int64_t last_handled, last_missed, last_skipped; /* INT64_MIN: none */
	int64_t missed, skipped; /* fire times recorded as missed and skipped (counted since
				  * schema version 3) */
	const char *problem;	/* what keeps it from running (borrowed), or NULL */
};

struct health {
	struct health_job *jobs;  /* one per job of the project, in its order (sorted by type) */
	size_t njobs;
	struct health_entry *entries; /* one per entry of the schedule, in file order */
	size_t nentries;
	size_t schedule_problems; /* problems in schedule.yaml: each disables its entry, or, when
				   * the file cannot be used at all, every entry */
	bool schedule_stopped;	  /* schedule.yaml cannot be used (it does not parse as YAML,
				   * cannot be read or is unsafe): nothing new is scheduled */
	bool database;		  /* the database exists (else every job never ran) */
	/* what the rows point into */
	struct state_run *master_runs;
	size_t nmaster_runs;
	struct state_running *running; /* every RUNNING chunk, by run */
	size_t nrunning;
};

/* Also count how many of each job's last run's work IDs are fresh: one pass over the run's
 * IDs and the job's freshness, per job. */
#define HEALTH_FRESH_IDS 1u

/* Reads the health of every job and entry of project p as of `now` from st (NULL: there is
 * no database yet) into *h; flags is 0 or HEALTH_FRESH_IDS. An ID of a job's last run is
 * fresh when the job's last success for it is no older than that run's creation minus the
 * job's largest max_lag as a dependency (0 when nothing depends on it): the run computed
 * it, or found it fresh enough to keep. Returns 0, or -1 with the state error in err (*h is
 * then released). Release *h with health_release. */
int health_read(struct health *h, const struct project *p, struct state *st, int64_t now,
		unsigned flags, char *err, size_t errlen);

void health_release(struct health *h);

/* The stau process (its pid; -1 when none was recorded) that runs a chunk of run `run`
 * RUNNING in the database but is gone, or 0 when every RUNNING chunk of the run has a live
 * owner. */
pid_t health_run_lost(const struct health *h, int64_t run);

/* The row of job type `type`, or NULL. */
const struct health_job *health_find(const struct health *h, const char *type);

#endif
