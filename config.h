/* config.h - job headers (docs/design.md, "Projects and job files") and schedule.yaml (docs/design.md, "Scheduling") as plain validated structs.
 *
 * Every value that a later check may complain about keeps its location (struct loc) in the
 * file. Loading never stops at the first problem: every problem is appended to the caller's
 * struct diags, and the struct is filled as far as it can be. Cross-file checks (an entry's
 * job exists, a dependency exists, cycles, duplicate stems) belong to project.c and graph.c,
 * not here.
 *
 * Only config*.c and yamldoc.c include <yaml.h> (through the private yamldoc.h and
 * config_fields.h): config_job.c reads job headers, config_schedule.c reads schedule.yaml,
 * config.c holds the fields both share.
 *
 * Maps of names to values (kwargs, custom_kwargs, env, slurm) are kvlists (kvlist.h), their
 * values JSON texts: YAML scalars become JSON strings, numbers, booleans or null by their
 * YAML 1.1 plain-scalar meaning (quoted scalars stay strings); sequences and maps become JSON
 * arrays and objects. Order is the file's order; keys are unique. struct loc is kvlist.h's. */
#ifndef STAU_CONFIG_H
#define STAU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cron.h"
#include "kvlist.h"
#include "msg.h"

enum executor { EXECUTOR_DEFAULT = 0, EXECUTOR_LOCAL, EXECUTOR_SLURM };

/* A `slurm:` map (a job's, or the default in settings), checked: slurm.h says how each value
 * reaches sbatch. NULL and 0 mean "not given". */
struct slurm_opts {
	char *partition;	/* one name, or several separated by commas */
	int64_t time;		/* seconds, or SLURM_TIME_UNLIMITED */
	char *mem;		/* as sbatch's --mem reads it: "4096", "4G" */
	int64_t cpus_per_task;
	char *account, *qos;
	char **extra_args;	/* more sbatch options, one whole option per item ("--gres=gpu:1");
				 * NULL-terminated; an empty list (given as []) is {NULL} */
	struct loc loc;		/* of the map; line 0 when there is none */
};
#define SLURM_TIME_UNLIMITED (-1)

struct dep {
	char *job_type;
	int64_t max_lag; /* seconds; a bare integer in the file means minutes; default 0 */
	bool allow_missing_work_ids;
	bool unique;
	int same_code;	 /* fresh_requires_same_code: -1 as in the settings, 0 no, 1 yes */
	struct kvlist custom_kwargs;
	struct loc loc; /* of the job_type value */
};

struct select_work {
	enum { SELECT_NONE = 0, SELECT_COMMAND, SELECT_SQLITE, SELECT_PYTHON } kind;
	char **argv;	     /* SELECT_COMMAND: the command split into words, NULL-terminated */
	char *sqlite_path;   /* SELECT_SQLITE: relative to the project directory unless absolute */
	char *query;	     /* SELECT_SQLITE: may name parameters (:region), bound from kwargs */
	char *func;	     /* SELECT_PYTHON: a function of the job file, called FUNC(**kwargs) */
	int64_t timeout;     /* seconds it may take; 0: SELECT_WORK_TIMEOUT */
	struct loc loc;
};
#define SELECT_WORK_TIMEOUT (5 * 60)

#define CHUNK_SIZE_ALL ((int64_t)-1) /* chunk_size: all */

struct job {
	char *type;	   /* file stem: jobs/job_A.py -> job_A */
	char *path;	   /* as given to the loader, e.g. "jobs/job_A.py" */
	char *description;
	int64_t chunk_size; /* 0: one chunk per group; CHUNK_SIZE_ALL: one chunk over all IDs */
	struct dep *deps;
	size_t ndeps;
	char *main_func;
	struct select_work select_work;
	char **command;	 /* NULL-terminated, or NULL for "the file itself" */
	int64_t timeout; /* seconds, 0 = none */
	int64_t retries;
	int64_t retry_delay; /* seconds, default 30 */
	int *fatal_exit_codes;
	size_t nfatal;
	int64_t max_parallel; /* 0 = unlimited */
	bool allow_multiple_jobs;
	struct kvlist env; /* values are JSON strings: use kv_string() for the text */
	char **data_sources, **data_sinks; /* NULL-terminated, may be NULL */
	enum executor executor;
	struct slurm_opts slurm;
	int64_t log_limit;   /* bytes a chunk's log may hold; 0: the settings' log_limit */
	int python_fork;     /* main_func chunks forked from a runner that imported the module
			      * once: 1 yes, -1 no (one interpreter per chunk), 0 as the
			      * settings say */
	struct loc header_loc; /* the opening "---" line */
	char *broken; /* set by project.c, not by the parser: why this job's file does not
		       * validate (then only type and path are meaningful); freed by job_release */
};

struct settings {
	char *timezone;	      /* default "UTC" */
	int64_t max_parallel; /* 0 = CPU count */
	int64_t misfire_grace; /* seconds, default 30m */
	int64_t retention;     /* seconds, default 30d */
	char *python;	       /* NULL = $STAU_PYTHON or python3 */
	enum executor executor;
	struct slurm_opts slurm;
	char *metrics_file;    /* where ticks write the metrics; relative to the project
				* directory unless absolute; NULL: nowhere */
	char **on_failure;     /* the command started once per run that ends FAILED (an argv,
				* NULL-terminated), or NULL */
	int64_t log_limit;     /* bytes a chunk's log may hold, default CONFIG_LOG_LIMIT */
	bool python_fork;      /* default for jobs' python_fork; true unless set false */
	char *state_dir;       /* where the database lives (as --state DIR): relative to the
				* project directory unless absolute; NULL: .stau/ */
	bool fresh_requires_same_code; /* a result counts as fresh only when computed by the
					* current content of its job's file; default false */
};

/* log_limit: past it a chunk's log keeps its beginning and its end (docs/design.md,
 * "Starting a chunk"). The smallest limit still holds a line of each end and the line that
 * says what was cut. */
#define CONFIG_LOG_LIMIT ((int64_t)100 << 20)
#define CONFIG_LOG_LIMIT_MIN ((int64_t)1 << 10)

struct entry {
	char *id;
	char *name;
	char *job;	    /* "" when the entry gives none (then it has a problem) */
	struct loc job_loc; /* for "unknown job" reported by project.c */
	struct trigger trigger;
	char *trigger_text; /* canonical text of the trigger and zone, for the trigger fingerprint */
	char *cron_text;    /* the cron expression as written (for people), or NULL */
	struct kvlist kwargs;
	int64_t *work_ids; /* NULL when the entry gives none */
	size_t nwork_ids;
	bool has_work_ids;
	char *timezone; /* the zone in force (entry's, else settings', else UTC) */
	bool enabled;
	struct loc loc; /* of the entry's mapping */
	char *problem;	/* why the entry is disabled (its first problem, "FILE:LINE:COL: ..."),
			 * or NULL: one bad entry disables itself alone (docs/design.md,
			 * "Scheduling"). Set by the parser for a problem in the entry, by
			 * project.c for an unknown or broken job. trigger_text is NULL when the
			 * trigger itself is unusable. */
};

struct schedule {
	struct settings settings;
	struct entry *entries;	/* every entry with a valid id, those with a problem too */
	size_t nentries;
	bool not_yaml;		/* the file does not parse as YAML, or is not a map: nothing of
				 * it is used, and no entry is scheduled */
	bool settings_ok;	/* settings had no problem (else defaults stand in for the bad
				 * values, and what depends on them, such as pruning by the
				 * retention, waits) */
	char *settings_text; /* the whole lines of the top-level 'settings' pair, which parse
			      * alone to the same settings unless they refer to what is outside
			      * (an alias: then they do not parse); NULL when there is none or it
			      * shares a line with another pair (docs/design.md, "The quiet tick") */
};

/* Parses the header of a job file. `file` is the path shown in diagnostics and stored in
 * job->path; text/len is its content. Returns 1 when the file is a valid job, 0 when it has
 * no header (not a job), -1 when the header has errors (each in d; *job is then released).
 * job->type is the stem of `file`; a job_type field that differs is an error. */
int config_parse_job(const char *file, const char *text, size_t len, struct job *job,
		     struct diags *d);
/* As config_parse_job, but on -1 *job is kept, not released: type, path and whatever did
 * validate (every dependency that validated, say), so that cross-file checks such as unknown
 * dependencies and cycles still run on a job whose header has other errors. The caller
 * releases *job with job_release after 1 and after -1. */
int config_parse_job_partial(const char *file, const char *text, size_t len, struct job *job,
			     struct diags *d);
void job_release(struct job *job);
/* The job type a job file defines: its name without directories and extension, as a new
 * string ("jobs/job_A.py" -> "job_A"; "jobs/.py" -> ".py"). */
char *config_job_type_of(const char *path);

/* Parses schedule.yaml text (`file` is the name shown in diagnostics). Returns 0, or -1 with
 * every problem in d; on -1 *s holds every entry with a valid id, each problem of an entry
 * also in its `problem`, and settings with defaults for what was bad. An empty file is a
 * valid empty schedule. */
int config_parse_schedule(const char *file, const char *text, size_t len, struct schedule *s,
			  struct diags *d);
void schedule_release(struct schedule *s);

#endif
