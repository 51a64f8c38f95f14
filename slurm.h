/* slurm.h - what stau says to Slurm and what it reads back, as pure functions: the sbatch
 * command line of a chunk, the wrapper script a chunk runs under, and the parsers of what
 * sbatch, squeue and the wrapper write (docs/design.md, "Slurm").
 *
 * Nothing here runs a process, touches the database or knows the engine: the executor
 * builds an argv here, runs it, and hands the output back here to be read. The values of a
 * job's `slurm:` map are checked here too (config.c calls the slurm_*_ok functions), so that
 * what the configuration accepts and what sbatch is given are decided in one place.
 *
 * How a chunk reaches Slurm, and why:
 *   - argv, never a shell: `sbatch [OPTIONS] WRAPPER STATUS-FILE PROGRAM [ARG]...`. sbatch
 *     hands the arguments after the script to the batch script as its argv, byte for byte
 *     (spaces, quotes, commas, '$' and empty arguments arrive as they were given).
 *   - The chunk's environment is sbatch's own: the executor starts sbatch with the chunk's
 *     environment (what a local chunk would get) and `--export=ALL` copies all of it into the
 *     job, values with commas, quotes or newlines included. `--export=ALL,NAME=VALUE` cannot
 *     carry a comma in a value, and `--export-file` replaces the whole environment; neither
 *     is used. No file has to be written per attempt and nothing is parsed on the node.
 *   - The log: stau creates it (mode 0600, with its header lines) before sbatch, and
 *     `--open-mode=append` makes Slurm add to it rather than truncate it, so the mode and the
 *     header stay, and a job that Slurm requeues keeps the output of each of its runs.
 *   - The outcome: the wrapper writes a status file beside the log when the program ends
 *     (slurm_wrapper_text); stau reads it (slurm_parse_status) whether or not Slurm still
 *     remembers the job, so no Slurm accounting is needed. */
#ifndef STAU_SLURM_H
#define STAU_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

/* ---- a job's slurm: options ------------------------------------------------------------ */

/* Frees what o holds and empties it. */
void slurm_opts_release(struct slurm_opts *o);
/* Copies into dst each option that src gives (a job's map over the settings' one: key by
 * key; extra_args as a whole list). dst keeps the options that src does not give. */
void slurm_opts_overlay(struct slurm_opts *dst, const struct slurm_opts *src);

/* Reads a time limit in Slurm's own forms ("30" minutes, "MM:SS", "HH:MM:SS", "D-HH",
 * "D-HH:MM", "D-HH:MM:SS", "UNLIMITED" or "INFINITE") or in stau's ("90m", "2h", "1d12h").
 * Stores seconds, or SLURM_TIME_UNLIMITED, in *secs and returns 0; returns -1 (nothing
 * stored) for anything else, zero included. */
int slurm_time_parse(const char *s, int64_t *secs);
/* Writes a limit of secs seconds as sbatch's --time reads it, rounded up to whole minutes
 * as Slurm keeps them: "00:02:00" for 90 s, "1-00:00:00" for a day, "UNLIMITED". */
void slurm_time_format(int64_t secs, char *buf, size_t len);
/* True for a memory size as sbatch's --mem reads it: digits and an optional unit K, M, G or
 * T, any case, optionally followed by B ("4096", "4G", "512MB"). */
bool slurm_mem_ok(const char *s);
/* True for a partition, account or QOS name: not empty, not starting with '-', without
 * white space, control characters, '=' or ','. With list, commas may separate names
 * (sbatch takes a list of partitions). */
bool slurm_name_ok(const char *s, bool list);
/* Checks one item of extra_args. Returns NULL when it is fine, else what is wrong, e.g.
 * "'--output' is set by stau itself" (newly allocated; the caller frees it), with *hint
 * set to a constant fix or NULL. An item must be one whole option, starting with '-' and
 * holding its value after '=' ("--gres=gpu:1"), so that none can be taken for the script. */
char *slurm_extra_arg_problem(const char *arg, const char **hint);

/* ---- submitting a chunk ---------------------------------------------------------------- */

struct slurm_submit {
	const char *sbatch;	     /* the program: "sbatch" or a path */
	int64_t run_id, chunk_id;
	int attempt;		     /* 1 for the first try */
	const char *dir;	     /* --chdir: the project directory, absolute */
	const char *log_path;	     /* --output: absolute, or relative to dir */
	const char *wrapper;	     /* the wrapper script, as sbatch (started in dir) finds it */
	const char *status_path;     /* the wrapper's status file: absolute, or relative to dir */
	char *const *argv;	     /* the chunk's program and arguments, NULL-terminated */
	const struct slurm_opts *opts; /* the job's slurm: options; may be NULL */
};

/* Appends the sbatch command line for s to out (which may hold nothing yet):
 *   sbatch EXTRA_ARGS... [--partition=P] [--time=T] [--mem=M] [--cpus-per-task=N]
 *          [--account=A] [--qos=Q] --job-name=stau-RUN-CHUNK-ATTEMPT --output=LOG
 *          --open-mode=append --chdir=DIR --export=ALL --parsable
 *          WRAPPER STATUS PROGRAM [ARG]...
 * Later options win in sbatch, so extra_args come first and stau's own options last. */
void slurm_sbatch_argv(const struct slurm_submit *s, struct strvec *out);

/* The status file's path for a log: "X.log" becomes "X.status", any other name gets
 * ".status" added. Newly allocated. */
char *slurm_status_path(const char *log_path);

/* The wrapper script (POSIX sh), written once by stau (e.g. .stau/slurm/wrap.sh). Called as
 * `wrap.sh STATUS PROGRAM [ARG]...` in the chunk's directory, it runs PROGRAM with its
 * arguments as given (a name without '/' is looked up in PATH by the script, so the shell
 * never takes it for a built-in), and when it ends writes STATUS atomically (a temporary file
 * in the same directory renamed over it) in the form slurm_parse_status reads, then exits
 * with PROGRAM's status. If the wrapper itself is killed (scancel, Slurm's time limit) no
 * status is written. sbatch copies the script at submission: editing it later does not
 * change jobs already submitted. */
const char *slurm_wrapper_text(void);

/* ---- reading back ---------------------------------------------------------------------- */

/* Largest Slurm job id (they are 32-bit unsigned). */
#define SLURM_JOB_ID_MAX 4294967295LL

/* Reads the standard output of `sbatch --parsable`: "ID" or "ID;CLUSTER", then an optional
 * newline. Stores ID in *job_id and returns 0, or returns -1 with a message in err. */
int slurm_parse_sbatch(const char *out, size_t len, int64_t *job_id, char *err,
		       size_t errlen);

/* Where a job is in Slurm's life, as far as stau cares. */
enum slurm_phase {
	SLURM_GONE = 0,	 /* squeue does not list it: unknown, or finished longer ago than
			  * MinJobAge */
	SLURM_PENDING,	 /* waiting to start, or requeued and waiting again */
	SLURM_RUNNING,	 /* started and not yet finished; also every state stau does not know,
			  * so that an unknown state is never taken for an end */
	SLURM_ENDED,	 /* finished (COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...) */
};

struct slurm_job {
	int64_t id;
	enum slurm_phase phase;
	char state[32]; /* as squeue printed it, e.g. "TIMEOUT" */
};

struct slurm_queue {
	struct slurm_job *v;
	size_t n, cap;
};

/* At most this many job ids in one squeue command line (a few tens of kilobytes). */
#define SLURM_SQUEUE_MAX_IDS 2000

/* Appends `squeue -h -t all -o "%i %T" -j ID,...` for ids[0..n) (1 <= n <=
 * SLURM_SQUEUE_MAX_IDS) to out. A single id is given twice: squeue exits 1 for one unknown
 * id but 0 for a list of them, so that a failure then always means that squeue could not
 * answer (no controller), never that a job is unknown. */
void slurm_squeue_argv(const char *squeue, const int64_t *ids, size_t n, struct strvec *out);

/* Reads the standard output of that squeue: lines "ID STATE". Appends one slurm_job per line
 * to q and returns 0, or returns -1 with a message naming the line in err (q then holds the
 * lines before it). */
int slurm_parse_squeue(const char *out, size_t len, struct slurm_queue *q, char *err,
		       size_t errlen);
/* The entry for id in q, or NULL (then the job's phase is SLURM_GONE). */
const struct slurm_job *slurm_queue_find(const struct slurm_queue *q, int64_t id);
void slurm_queue_release(struct slurm_queue *q);

/* What the wrapper recorded. */
struct slurm_status {
	int exit;	  /* 0-255, the shell's status of PROGRAM: above 128 it may mean killed by
			   * signal exit - 128 (a shell cannot tell that from exit(exit)); 126 not
			   * executable, 127 not found */
	int64_t job_id;	  /* SLURM_JOB_ID, 0 when the file does not say */
	int64_t restarts; /* SLURM_RESTART_COUNT: how often Slurm requeued the job */
	int64_t start, end; /* Unix seconds, 0 when the file does not say */
};

/* Reads a status file: the line "stau-slurm-status 1", then lines "KEY VALUE" of which
 * "exit" is required ("job", "restarts", "start" and "end" are read when present, other keys
 * are ignored), each ending with a newline. Returns 0, or -1 with a message in err. */
int slurm_parse_status(const char *text, size_t len, struct slurm_status *st, char *err,
		       size_t errlen);

#endif
