/* metrics.h - every job's and entry's health in the Prometheus text exposition format: what
 * `stau metrics` prints and what a tick writes to settings.metrics_file for node_exporter's
 * textfile collector (docs/design.md, "Commands and exit status").
 *
 * The metric families, each documented in stau.1 (METRICS):
 *   per job (label job):
 *     stau_job_last_success_timestamp_seconds   its latest successful chunk
 *     stau_job_last_run_result{result}          1 for the result of its newest run, 0 for
 *                                               the others (queued, pending, running, done,
 *                                               failed, canceled, lost)
 *     stau_job_last_run_id                      that run
 *     stau_job_last_run_duration_seconds        its part in that run, so far while it runs
 *     stau_job_last_run_finished_timestamp_seconds  when that part ended
 *     stau_job_failed_chunks_total              its chunks that failed for good (counter)
 *     stau_job_failed_runs_total                its runs as master job that failed (counter)
 *     stau_job_broken                           1 when it cannot run (BROKEN)
 *     stau_job_chunks_queued, stau_job_chunks_running   its open chunks, in all runs
 *   per schedule entry (labels entry and job):
 *     stau_entry_enabled, stau_entry_problem    1 when enabled; 1 when it cannot run
 *     stau_entry_missed_fires_total, stau_entry_skipped_fires_total   (counters)
 *     stau_entry_last_fire_timestamp_seconds, stau_entry_next_fire_timestamp_seconds
 *   stau_schedule_problems                      problems in schedule.yaml (each disables its entry)
 * A sample that has no value (a job that never succeeded) is left out, as Prometheus
 * expects, and so is a family without samples. The text starts with a comment naming the state version it shows
 * (state_runs_changed), which lets a tick tell whether the file it wrote is still right. */
#ifndef STAU_METRICS_H
#define STAU_METRICS_H

#include <stdint.h>

#include "project.h"
#include "state.h"
#include "util.h"

/* Appends the exposition of project p as of `now`, read from st (NULL: no database yet), to
 * out. Returns 0, or -1 with a state error in err. */
int metrics_text(const struct project *p, struct state *st, int64_t now, struct strbuf *out,
		 char *err, size_t errlen);

/* The state version that text written by metrics_text shows, or -1 when it names none. */
int64_t metrics_text_version(const char *text);

#endif
