/* exec_pyrun.h - the Python runners of the local executor (docs/design.md, "The Python
 * runner"): one per interpreter, job file, main_func and version of the file, started for the
 * first chunk that needs it, reused by the later ones, retired when the file changes, and
 * stopped with the executor. It knows runners and chunk tokens; exec.c keeps everything else
 * about a chunk (its log, timeout, result) as for a chunk it executes itself.
 *
 * The runner imports the module from the file; once it says it is ready, the file is hashed
 * again, and a runner whose file no longer has the version the caller checked is stopped and
 * started again (an editor rewriting the file in place during the import), so that a chunk
 * never runs a half-written module. */
#ifndef STAU_EXEC_PYRUN_H
#define STAU_EXEC_PYRUN_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exec.h"

struct pyrun_pool;

struct pyrun_pool *pyrun_new(void);

/* Forks the chunk spec->python (env_add in its os.environ) from its runner, starting the
 * runner and waiting for its import first when there is none for this version; its stdout
 * and stderr go to logfd. Returns 0 with *pid (the leader of the chunk's new process group)
 * and in ran the content hash of the file the runner imported; 1 when the module cannot be
 * imported: what the import printed is written to logfd, ran is set (a later chunk of this
 * version then gets -1, without a new import); 2 when the file was written during every
 * import tried (an editor saving it again and again); -1 with why in err. */
int pyrun_chunk(struct pyrun_pool *p, const struct exec_spec *spec, int logfd, uint64_t token,
		pid_t *pid, char ran[32], char *err, size_t errlen);

/* Fills v with the descriptors to poll for POLLIN of the runners that have chunks running (at
 * most max: no more chunks than that run at once); returns how many. */
size_t pyrun_pollfds(struct pyrun_pool *p, struct pollfd *v, size_t max);

/* How a forked chunk ended. */
struct pyrun_exit {
	uint64_t token;
	int exit_code;	/* when signal is 0 and not lost */
	int signal;
	bool lost;	/* its runner ended first (killed): the chunk died with it */
};

/* Reads, without waiting, the next chunk that ended. Returns 1 with *out, 0 when none has. */
int pyrun_next_exit(struct pyrun_pool *p, struct pyrun_exit *out);

/* Stops every runner (their chunks' process groups are killed) and frees p; NULL: no-op. */
void pyrun_free(struct pyrun_pool *p);

#endif
