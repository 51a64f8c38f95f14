/* exec_pyfork.h - Python chunks at the cost of a fork: a runner process imports a job's module
 * once, then forks one child per chunk when asked (docs/design.md, "The Python runner").
 *
 * Knows interpreters, descriptors and processes; nothing of runs, the database or the engine.
 * The runner is the program stau carries (pyrunner.py) in its server mode, started as stau's
 * child in its own process group, dying with stau (PR_SET_PDEATHSIG), with no descriptor of
 * stau's but the socket. Each chunk it forks is the leader of its own process group, dies with
 * the runner, has stdin from /dev/null and stdout and stderr on the log descriptor the caller
 * gives, and is kept a zombie until its exit has been read here, so that signalling its
 * group (pyfork_kill, or kill(-pid) from anywhere) can never reach a process that reused its
 * pid. When a chunk's leader ends, the runner kills what it left in its group.
 *
 * The protocol (pyrunner.py has the same summary). One AF_UNIX SOCK_SEQPACKET socket, the
 * runner's on its descriptor 3: the kernel keeps message boundaries, descriptors passed with
 * SCM_RIGHTS ride on the record they belong to, and closing either end is seen by the other.
 * A message is its fields joined by NUL bytes, sent as records of at most PYFORK_RECORD
 * bytes whose first byte is '+' (more records follow) or '.' (the last). A request too long
 * for one record is sent as the record "@" with the request in a memfd, passed first.
 *
 *   runner -> stau   ready NTHREADS OUTPUT    the module imported; OUTPUT: what it printed
 *                    broken TEXT              it did not; TEXT is what one-shot mode's exit 3
 *                                             prints (a traceback, "stau runner: cannot
 *                                             import ..." or "... has no function ...")
 *                    started ID PID           a child was forked for request ID
 *                    nofork ID WHY            fork failed
 *                    exit PID CODE SIGNAL USEC  a child ended: CODE (SIGNAL 0) or SIGNAL;
 *                                             it stays a zombie until "reap PID"
 *   stau -> runner   start ID CWD KWARGS IDS ENV...     + the chunk's log descriptor
 *                    select ID FUNC CWD KWARGS ENV...   + result and log descriptors
 *                    reap PID                           the exit of PID was read
 *
 * Requests and reports are independent messages: the pid comes back as soon as the child is
 * forked, its exit whenever it happens. The runner is the process every chunk is forked from,
 * and each page it writes while chunks share it is copied, so it keeps only its children's
 * pids: which chunk is which pid is known here.
 *
 * IDS is empty (no work IDs), "=" and items separated by commas where "a:b" is the inclusive
 * range a..b ("=1:1000,1005": a chunk's IDs are mostly consecutive), or "@" and the path of
 * a file with one ID per line. ENV is "NAME=value" strings set in the child's os.environ on
 * top of the runner's environment. The runner ends when the socket closes, killing its
 * children's process groups first.
 *
 * A runner serves one job file as it was when imported; the caller starts a new one when the
 * file changes. Everything here is called from one thread. */
#ifndef STAU_EXEC_PYFORK_H
#define STAU_EXEC_PYFORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PYFORK_FD 3		/* the runner's socket */
#define PYFORK_RECORD 32768	/* bytes of one record on the socket, header byte included */

struct pyfork;

struct pyfork_opts {
	const char *python;	/* the interpreter: a path, or a name searched in PATH */
	const char *job_file;	/* the module's file, absolute or relative to dir */
	const char *main_func;	/* what a chunk calls: main_func(work_ids=[...], **kwargs) */
	const char *dir;	/* the runner's working directory: the project's */
	char *const *env_add;	/* "NAME=value" added to stau's environment for the runner, so
				 * for the import (a job's env:, such as OMP_NUM_THREADS, must
				 * be there before numpy is imported); NULL-terminated, or NULL */
	int out_fd;		/* the runner's stdout and stderr once the module is imported
				 * (its own warnings), or -1 for /dev/null */
	const char *runner_source; /* the runner program, or NULL for the one stau carries
				    * (for measuring a variant of it) */
};

enum pyfork_state {
	PYFORK_STARTING,	/* importing the module */
	PYFORK_READY,		/* serving chunks */
	PYFORK_BROKEN,		/* the import failed; the runner has ended */
	PYFORK_GONE,		/* the runner ended otherwise (killed, crashed) */
};

enum pyfork_event_kind {
	PYFORK_EV_READY,	/* text: what the import printed (often "") */
	PYFORK_EV_BROKEN,	/* text: why the module cannot be used */
	PYFORK_EV_EXIT,		/* a chunk ended */
	PYFORK_EV_GONE,		/* text: how the runner ended; preceded by an EXIT with lost set
				 * for each chunk that was still running */
};

struct pyfork_event {
	enum pyfork_event_kind kind;
	uint64_t token;		/* EXIT: the caller's token for the chunk */
	pid_t pid;		/* EXIT: the chunk's pid */
	int exit_code;		/* EXIT: its exit status when signal is 0 and lost is false */
	int signal;		/* EXIT: the signal that ended it, or 0 */
	bool lost;		/* EXIT: the runner ended first, so how the chunk ended is not
				 * known (PR_SET_PDEATHSIG killed it if it still ran) */
	int64_t duration_us;	/* EXIT: from fork to exit as the runner saw them */
	const char *text;	/* READY, BROKEN, GONE: see above; valid until the next call on
				 * this runner */
};

/* One chunk: main_func(work_ids=ids, **kwargs) in a forked child. */
struct pyfork_chunk {
	const int64_t *ids;	/* n_ids work IDs, in the order main_func gets them */
	size_t n_ids;
	const char *ids_file;	/* the same IDs one per line, or NULL: read by the child instead
				 * of sending them when their text would exceed 64 KiB */
	const char *kwargs_json; /* a JSON object, or NULL for {} */
	char *const *env_add;	/* "NAME=value" set in os.environ (STAU_*, env:); NULL-ended */
	const char *cwd;	/* the child's working directory */
	int log_fd;		/* its stdout and stderr; the caller keeps and closes it */
};

/* A call of another function of the module (select_work: {python: FUNC}). */
struct pyfork_call {
	const char *func;	/* FUNC(**kwargs) must return an iterable of integers */
	const char *kwargs_json; /* a JSON object, or NULL for {} */
	char *const *env_add;	/* as in pyfork_chunk */
	const char *cwd;
	int64_t timeout_ms;	/* > 0: the child's group is killed (SIGKILL) at this age */
};

/* Starts a runner for o and returns at once, the module still importing: *out is
 * PYFORK_STARTING, and pyfork_next reports PYFORK_EV_READY or PYFORK_EV_BROKEN. Returns 0, or
 * -1 with why in err (no socket, fork failed, the interpreter cannot be executed). */
int pyfork_start(const struct pyfork_opts *o, struct pyfork **out, char *err, size_t errlen);

/* The descriptor to poll for POLLIN: readable when pyfork_next has something to read. -1 once
 * the runner has ended (stop polling it). Events already read wait in a queue and do not make
 * it readable: drain pyfork_next(r, 0, ...) after pyfork_chunk and pyfork_call before polling. */
int pyfork_fd(const struct pyfork *r);

enum pyfork_state pyfork_state(const struct pyfork *r);

/* The runner's pid (the leader of its process group). */
pid_t pyfork_pid(const struct pyfork *r);

/* Threads other than the main one that the import started (reported with READY; they do
 * not exist in forked chunks, and each chunk's log says so). */
int pyfork_import_threads(const struct pyfork *r);

/* The next event, waiting at most timeout_ms for it (0: do not wait, -1: no limit). Returns
 * 1 with *ev filled, 0 when none came in time, -1 when the runner has ended and every event
 * has been returned. Reading an EXIT lets the runner reap that chunk. */
int pyfork_next(struct pyfork *r, int timeout_ms, struct pyfork_event *ev);

/* Waits at most timeout_ms (-1: no limit) for the import to end. Returns PYFORK_READY,
 * PYFORK_BROKEN (pyfork_broken_text says why), PYFORK_GONE, or PYFORK_STARTING when the time
 * ran out. The events read meanwhile (READY or BROKEN among them) are kept for pyfork_next. */
enum pyfork_state pyfork_wait_ready(struct pyfork *r, int timeout_ms);

/* Why the runner is BROKEN or GONE ("" otherwise). */
const char *pyfork_broken_text(const struct pyfork *r);

/* Asks a READY runner for a chunk and waits for its pid (the runner forks at once). token is
 * the caller's name for it, returned with its EXIT event. Returns 0 with *pid, or -1 with
 * why in err (not ready, fork failed in the runner, the runner ended). */
int pyfork_chunk(struct pyfork *r, const struct pyfork_chunk *c, uint64_t token, pid_t *pid,
		 char *err, size_t errlen);

/* Sends sig to the process group of the running chunk token. Returns 0, or -1 with errno
 * (ESRCH: no such chunk, or its EXIT was already read). */
int pyfork_kill(struct pyfork *r, uint64_t token, int sig);

/* Chunks started whose EXIT has not been read yet. */
size_t pyfork_running(const struct pyfork *r);

/* Calls c->func(**kwargs) in a forked child of a READY runner and waits for it. Returns 0
 * with its work IDs in a new array *ids (*n of them, in the order returned), or -1 with why in
 * a new string *why: what the call printed (its traceback, or "stau runner: ... returned
 * ..."), then how it ended ("exited with status 1", "timed out after 300000 ms"). Chunk
 * exits that arrive meanwhile are kept for pyfork_next. */
int pyfork_call(struct pyfork *r, const struct pyfork_call *c, int64_t **ids, size_t *n,
		char **why);

/* Ends the runner: closes its socket, so that it kills its chunks' process groups and exits,
 * and waits for it (SIGKILL after 5 s). Frees r; NULL is a no-op. */
void pyfork_stop(struct pyfork *r);

#endif
