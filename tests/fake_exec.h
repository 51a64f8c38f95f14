/* fake_exec.h - a fake executor (exec.h) for the unit tests that drive the engine, as ninja's
 * tests have their FakeCommandRunner.
 *
 * No process is started. A child "ends" when the engine waits for one with a timeout other
 * than 0: the oldest first, with the exit code the test chooses, one at a time. Every start,
 * end and signal is written down, in order, for the test to compare with what it expects.
 * The chunks of other stau processes are judged by their owner: alive when it is this
 * process. A test embeds a struct fake_exec (zeroed), sets what it needs, and passes
 * fake_exec_runner(&fake) as the executor; fake_exec_release frees it. */
#ifndef STAU_TESTS_FAKE_EXEC_H
#define STAU_TESTS_FAKE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "util.h"

/* A child of the fake: the chunk it runs, from the environment it was started with. */
struct fake_child {
	uint64_t token;
	char *job;	/* STAU_JOB */
	char *chunk;	/* STAU_CHUNK: "i/n" */
	int attempt;	/* STAU_ATTEMPT */
};

struct fake_exec {
	/* set by the test (all may stay zero) */
	int (*exit_code)(const char *job, const char *chunk, int attempt); /* NULL: always 0 */
	int64_t duration_ms;	 /* the duration every child reports */
	int64_t *clock;		 /* when set, one second later after each child ends */
	const char *dir;	 /* the project directory: kill_lost says " in the project" when a
				  * record names it */

	/* written down */
	struct strbuf events;	 /* "start a 1/2 #1\n", "end a 1/2 exit 0\n",
				  * "signal a 1/2 15\n", "signal chunk 3 15\n",
				  * "kill lost run 1 chunk 1 #1 child 42\n" */
	struct strbuf envs;	 /* per start, its STAU_* environment but STAU_DIR and
				  * STAU_WORK_IDS_FILE on one line, then " file[IDS]" with the
				  * IDs file's lines joined by spaces */
	struct strbuf argvs;	 /* per start, its argv joined by '|' (words over 40 bytes as
				  * "<long>") */
	size_t started;		 /* children started in all */
	size_t max_running;	 /* the most children running at once */
	size_t max_running_of[4]; /* the same for each job type named "a", "b", "c" and "d" */

	/* running: in the order they started */
	struct fake_child *v;
	size_t n, cap;
};

/* Every operation of exec.h, on a struct fake_exec. */
extern const struct exec_ops fake_exec_ops;

/* The executor to pass to the engine: fake_exec_ops on f. */
struct exec_runner fake_exec_runner(struct fake_exec *f);

/* Frees what f holds (its children and what it wrote down) and zeroes those fields; what the
 * test set stays. Also fake_exec_ops.destroy. */
void fake_exec_release(struct fake_exec *f);

#endif
