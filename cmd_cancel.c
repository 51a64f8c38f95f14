/* cmd_cancel.c - `stau cancel RUN [--now TIME]`: cancel a run that cron or a person started.
 *
 * PENDING chunks become CANCELED and the run CANCELED, in one transaction; chunks
 * already RUNNING belong to the stau process that started them, which alone can reap them and
 * record how they ended. cancel only sends SIGTERM to their process groups, and only when it
 * is sure the group is still that chunk's: the recorded owner must be alive with the same
 * start time, and the recorded child must still be its child and lead its own process group
 * (and, when its environment can be read, carry this chunk's STAU_CHUNK_ID). A pid that was
 * reused after the child ended fails these checks and is left alone. A chunk claimed a moment
 * ago may not have its child recorded yet; cancel looks again for a short while. The owner
 * then records the killed chunk as FAILED (a canceled run never retries). Chunks whose owner
 * died are recovered as any stau process does (engine_recover). Both go through the executor,
 * which alone knows how its chunks run. A chunk that went to Slurm has no owner to wait for:
 * its job is cancelled (scancel) and the chunk recorded FAILED here. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "engine.h"
#include "msg.h"
#include "state.h"
#include "util.h"

#define CHILD_WAIT_MS 2000 /* cancel: how long to wait for the pid of a chunk being started */
#define CHILD_POLL_MS 20
#define CANCEL_MESSAGE "canceled by user"

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

struct cancel {
	int64_t id, now;
	struct state *st;	/* the command's */
	const struct project *p; /* the command's */
	struct exec_runner ex;	/* signals the chunks that other stau processes run */
	bool have_ex;
	bool was_queued;
	size_t pending;		/* PENDING chunks canceled */
	int64_t *done;		/* RUNNING chunks already looked at (signalled or not) */
	size_t ndone, done_cap;
	size_t signalled;
	size_t scancelled;	/* of them, Slurm chunks whose job was cancelled */
	size_t unknown;		/* RUNNING chunks whose process never became known */
};

static int parse_cancel_opts(struct cancel *k, int argc, char **argv)
{
	static const struct option longopts[] = { OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "cancel");
	int rc = cmdopt_parse(&o, argc, argv, ":", longopts);
	k->now = o.now;
	return rc == EXIT_OK ? cmdopt_run_arg("cancel", argc, argv, &k->id) : rc;
}

/* Cancels the run and its PENDING chunks in one transaction, after checking that it has not
 * ended. Returns EXIT_OK, EXIT_USAGE (said) or EXIT_STATE. */
static int end_run(struct cancel *k)
{
	struct state_run run;
	if (state_begin(k->st))
		return error_state(k->st);
	int rc, got = state_run_get(k->st, k->id, &run);
	if (got <= 0) {
		state_rollback(k->st);
		return got < 0 ? error_state(k->st) : error_no_run(k->id);
	}
	if (run.state != RUN_QUEUED && run.state != RUN_ACTIVE) {
		error("run %lld has already ended (%s): nothing to cancel", (long long)k->id,
		      run_state_name(run.state));
		rc = EXIT_USAGE;
	} else {
		k->was_queued = run.state == RUN_QUEUED;
		k->pending = run.counts[CHUNK_PENDING];
		rc = state_run_cancel(k->st, k->id, CANCEL_MESSAGE, k->now, NULL, NULL)
			     ? error_state(k->st)
			     : EXIT_OK;
	}
	state_run_release(&run);
	if (rc != EXIT_OK) {
		state_rollback(k->st);
		return rc;
	}
	return state_commit(k->st) ? error_state(k->st) : EXIT_OK;
}

static bool looked_at(const struct cancel *k, int64_t id)
{
	for (size_t i = 0; i < k->ndone; i++)
		if (k->done[i] == id)
			return true;
	return false;
}

/* Slurm chunk c, whose job was just cancelled (scancel), is recorded FAILED at once: no stau
 * process waits for it, and its wrapper, killed, leaves no status. Unless a stau that polled
 * Slurm meanwhile recorded it first. */
static void record_slurm_cancel(struct cancel *k, const struct state_chunk *c, int64_t job)
{
	char *msg = xasprintf("canceled: scancel of Slurm job %lld", (long long)job);
	struct state_result res = { .exit_code = -1, .signal = SIGTERM, .message = msg };
	if (state_slurm_finish(k->st, c->id, c->attempt, job, &res, k->now, NULL) < 0)
		warn("%s", state_errmsg(k->st));
	free(msg);
}

/* SIGTERM to RUNNING chunk c through the executor, which checks that its processes still
 * are c's. Returns how it went. */
static enum exec_signal signal_chunk(struct cancel *k, const struct state_chunk *c)
{
	struct exec_record r = { .run = c->run, .chunk = c->id, .attempt = c->attempt,
				 .dir = k->p->dir, .owner = c->owner, .child = c->child };
	int on_slurm = state_chunk_slurm(k->st, c->id, c->attempt, &r.slurm_job);
	if (on_slurm < 0)
		return EXEC_NOT_STARTED;
	r.slurm = on_slurm == 1;
	enum exec_signal s = k->ex.ops->signal_recorded(k->ex.self, &r, SIGTERM);
	if (s == EXEC_SIGNALLED && r.slurm) {
		record_slurm_cancel(k, c, r.slurm_job);
		k->scancelled++;
	}
	return s;
}

/* One look at the RUNNING chunks of the run: SIGTERM to each one not seen yet whose owner
 * is alive and whose process is known and still its own. *waiting gets the number whose
 * process is not recorded yet. Returns 0 or -1. */
static int signal_once(struct cancel *k, size_t *waiting)
{
	struct state_chunk *c;
	size_t n;
	*waiting = 0;
	if (state_run_chunks(k->st, k->id, false, &c, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i].state != CHUNK_RUNNING || looked_at(k, c[i].id))
			continue;
		enum exec_signal s = signal_chunk(k, &c[i]);
		*waiting += s == EXEC_NOT_STARTED;
		if (s == EXEC_NOT_STARTED || s == EXEC_OWNER_LOST)
			continue;
		k->signalled += s == EXEC_SIGNALLED;
		grow(&k->done, &k->done_cap, k->ndone + 1, sizeof(*k->done));
		k->done[k->ndone++] = c[i].id;
	}
	state_chunks_free(c, n);
	return 0;
}

/* Sends SIGTERM to the RUNNING chunks of the run, waiting up to CHILD_WAIT_MS for the child
 * of a chunk that its owner is starting. Returns 0 or -1. */
static int signal_running(struct cancel *k)
{
	int64_t deadline = monotonic_ms() + CHILD_WAIT_MS;
	size_t waiting;
	for (;;) {
		if (signal_once(k, &waiting))
			return -1;
		if (!waiting || monotonic_ms() >= deadline)
			break;
		struct timespec ts = { 0, CHILD_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	k->unknown = waiting;
	return 0;
}

static void cancel_report(const struct cancel *k)
{
	if (k->unknown)
		warn("%zu chunk%s of run %lld started but %s not known yet; %s may run to %s end",
		     k->unknown, plural((int64_t)k->unknown), (long long)k->id,
		     k->unknown == 1 ? "its process is" : "their processes are",
		     k->unknown == 1 ? "it" : "they", k->unknown == 1 ? "its" : "their");
	if (msg_verbosity < 0)
		return;
	if (k->was_queued) {
		printf("run %lld canceled before it started\n", (long long)k->id);
		return;
	}
	printf("run %lld canceled: %zu pending chunk%s canceled", (long long)k->id, k->pending,
	       plural((int64_t)k->pending));
	size_t local = k->signalled - k->scancelled;
	if (local)
		printf(", %zu running chunk%s sent SIGTERM", local, plural((int64_t)local));
	if (k->scancelled)
		printf(", %zu Slurm job%s cancelled", k->scancelled, plural((int64_t)k->scancelled));
	putchar('\n');
}

/* Through the executor: records the RUNNING chunks whose stau died, as any stau would (they
 * cannot be signalled), then sends SIGTERM to the others. Returns EXIT_OK, or EXIT_STATE
 * after saying why. */
static int stop_running(struct cancel *k)
{
	char err[512];
	if (exec_local_new(&k->ex, err, sizeof(err)))
		return error("%s", err), EXIT_STATE;
	k->have_ex = true;
	if (engine_recover(k->st, k->p, &k->ex, k->now, err, sizeof(err)) < 0)
		return error("%s", err), EXIT_STATE;
	return signal_running(k) ? error_state(k->st) : EXIT_OK;
}

static int cancel(struct cancel *k, struct ctx *ctx)
{
	if (!ctx->st)
		return error_no_run(k->id);
	k->st = ctx->st;
	k->p = &ctx->p;
	int rc = end_run(k);
	if (rc != EXIT_OK)
		return rc;
	rc = stop_running(k);
	if (rc == EXIT_OK)
		cancel_report(k);
	return rc;
}

int cmd_cancel(struct ctx *ctx, int argc, char **argv)
{
	struct cancel k = { .id = 0 };
	int rc = parse_cancel_opts(&k, argc, argv);
	if (rc == EXIT_OK)
		rc = ctx_refuse_future(ctx, "cancel", k.now);
	if (rc == EXIT_OK)
		rc = cancel(&k, ctx);
	if (k.have_ex)
		k.ex.ops->destroy(k.ex.self);
	free(k.done);
	return rc;
}
