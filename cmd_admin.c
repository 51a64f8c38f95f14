/* cmd_admin.c - `stau retry RUN`, `stau cancel RUN` and `stau prune [--older-than D]`: what a
 * person does to runs that cron started (SPEC §9, §10).
 *
 * retry: the FAILED and CANCELED chunks of a finished run become PENDING again with their work
 * IDs and kwargs (state_run_retry), the BROKEN marks of the run's job types are cleared, and
 * the run is executed at once by the same engine as `stau run`, waiting until it has ended. A
 * run that failed before it had chunks (a broken job, an unknown dependency) is queued again
 * and expanded anew instead. Checking the run's state, resetting it and clearing the marks are
 * one transaction, so two retries of one run cannot both reset it. Expanding and executing
 * are `stau run`'s own code (run_expand_waiting, run_execute in runprogress.c); retry shows the
 * plain progress lines even in a terminal, and says at the end how many chunks it retried.
 *
 * cancel: PENDING chunks become CANCELED and the run CANCELED, in one transaction; chunks
 * already RUNNING belong to the stau process that started them, which alone can reap them and
 * record how they ended. cancel only sends SIGTERM to their process groups, and only when it
 * is sure the group is still that chunk's: the recorded owner must be alive with the same
 * start time, and the recorded child must still be its child and lead its own process group
 * (and, when its environment can be read, carry this chunk's STAU_CHUNK_ID). A pid that was
 * reused after the child ended fails these checks and is left alone. A chunk claimed a moment
 * ago may not have its child recorded yet; cancel looks again for a short while. The owner
 * then records the killed chunk as FAILED (a canceled run never retries). Chunks whose owner
 * died are recovered as any stau process does (state_recover_orphans).
 *
 * prune: finished runs older than --older-than (default: settings.retention) are deleted with
 * their chunks, and then their log files, as tick does past the retention. Without
 * --older-than the retention comes from schedule.yaml; when that file has problems the
 * retention it meant is unknown, and prune refuses rather than guess a shorter one. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "engine.h"
#include "msg.h"
#include "project.h"
#include "runprogress.h"
#include "state.h"
#include "term.h"
#include "timeutil.h"
#include "util.h"

#define CHILD_WAIT_MS 2000 /* cancel: how long to wait for the pid of a chunk being started */
#define CHILD_POLL_MS 20
#define CANCEL_MESSAGE "canceled by user"

/* ---- shared ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* ---- stau retry RUN ---- */

struct retry {
	int64_t id, now;
	size_t jobs;	/* -j */
	struct state *st;		/* the command's */
	const struct project *p;	/* the command's */
	char *job;	/* the run's master job */
	int reset;	/* chunks made PENDING again */
	bool requeued;	/* the run had no chunks and was queued again */
};

static int parse_retry_opts(struct retry *r, int argc, char **argv)
{
	static const struct option longopts[] = { OPTION_NOW, { NULL, 0, NULL, 0 } };
	struct cmdopt o;
	cmdopt_init(&o, "retry");
	int rc = cmdopt_parse(&o, argc, argv, ":j:", longopts);
	r->now = o.now;
	r->jobs = o.jobs;
	return rc == EXIT_OK ? cmdopt_run_arg("retry", argc, argv, &r->id) : rc;
}

/* Says why run is not one to retry and returns EXIT_USAGE, or returns EXIT_OK. */
static int retry_refusal(const struct state_run *run)
{
	long long id = (long long)run->id;
	switch (run->state) {
	case RUN_QUEUED:
		error("run %lld has not started yet: nothing to retry", id);
		return EXIT_USAGE;
	case RUN_ACTIVE:
		error("run %lld is still running: nothing to retry until it ends; "
		      "'stau cancel %lld' stops it", id, id);
		return EXIT_USAGE;
	case RUN_DONE:
		error("run %lld is done: nothing to retry", id);
		return EXIT_USAGE;
	default:
		return EXIT_OK;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds the job types of master's graph (master and every dependency below it) to names. */
static void add_graph_types(const struct graph *g, const char *master, const char ***names,
			    size_t *n, size_t *cap)
{
	struct graph_node *top = graph_find(g, master);
	if (!top)
		return;
	bool *seen = xcalloc(g->n, sizeof(*seen));
	struct graph_node **stack = xmalloc(g->n * sizeof(*stack));
	size_t depth = 0;
	stack[depth++] = top;
	seen[top->index] = true;
	while (depth) {
		struct graph_node *node = stack[--depth];
		grow(names, cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = node->job->type;
		for (size_t i = 0; i < node->ndeps; i++) {
			struct graph_node *to = node->deps[i].to;
			if (!seen[to->index]) {
				seen[to->index] = true;
				stack[depth++] = to;
			}
		}
	}
	free(stack);
	free(seen);
}

/* Clears the BROKEN marks of the run's job types: those of its chunks, and those its master
 * job needs now (a run that failed before it had chunks has only these). Returns 0 or -1. */
static int clear_broken(struct retry *r)
{
	struct state_chunk *c;
	size_t nc;
	if (state_run_chunks(r->st, r->id, false, &c, &nc))
		return -1;
	const char **names = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < nc; i++) {
		grow(&names, &cap, n + 1, sizeof(*names));
		names[n++] = c[i].job;
	}
	add_graph_types(&r->p->graph, r->job, &names, &n, &cap);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]))
			rc = state_job_clear_broken(r->st, names[i]);
	free(names);
	state_chunks_free(c, nc);
	return rc;
}

/* Inside reopen_run's transaction: resets the chunks of finished run, or queues it again
 * when it never had any. Returns EXIT_OK, EXIT_USAGE (said) or EXIT_STATE. */
static int reset_run(struct retry *r)
{
	r->reset = state_run_retry(r->st, r->id, r->now);
	if (r->reset < 0)
		return error_state(r->st);
	if (r->reset > 0)
		return EXIT_OK;
	int q = state_run_requeue(r->st, r->id);
	if (q < 0)
		return error_state(r->st);
	if (q == 0) {
		error("run %lld has no failed or canceled chunks: nothing to retry",
		      (long long)r->id);
		return EXIT_USAGE;
	}
	r->requeued = true;
	return EXIT_OK;
}

/* Makes run r->id ready to run again, in one transaction: its FAILED and CANCELED chunks
 * PENDING (or the run QUEUED), and the BROKEN marks of its job types cleared. Returns
 * EXIT_OK, or EXIT_USAGE when there is nothing to retry, or EXIT_STATE (said). */
static int reopen_run(struct retry *r)
{
	struct state_run run;
	if (state_begin(r->st))
		return error_state(r->st);
	int rc, got = state_run_get(r->st, r->id, &run);
	if (got <= 0) {
		rc = got < 0 ? error_state(r->st) : error_no_run(r->id);
	} else {
		r->job = xstrdup(run.job);
		rc = retry_refusal(&run);
		state_run_release(&run);
	}
	if (rc == EXIT_OK)
		rc = reset_run(r);
	if (rc == EXIT_OK && clear_broken(r))
		rc = error_state(r->st);
	if (rc != EXIT_OK) {
		state_rollback(r->st);
		return rc;
	}
	return state_commit(r->st) ? error_state(r->st) : EXIT_OK;
}

/* Runs the chunks of the run until it has ended, as `stau run` does, with its progress as
 * `stau run` prints it outside a terminal: one line per chunk start and end. */
static int execute(struct retry *r)
{
	struct run_exec x = { .run = r->id, .jobs = r->jobs, .now = r->now, .live = false,
			      .retry = true, .retried = r->requeued ? 0 : (size_t)r->reset };
	return run_execute(r->st, r->p, &x);
}

static int retry(struct retry *r, struct ctx *ctx)
{
	if (!ctx->st)
		return error_no_run(r->id);
	r->st = ctx->st;
	r->p = &ctx->p;
	int rc = reopen_run(r);
	if (rc != EXIT_OK)
		return rc;
	if (msg_verbosity >= 0) {
		if (r->requeued)
			printf("%s run %lld queued again\n", r->job, (long long)r->id);
		else
			printf("retrying %d chunk%s of %s run %lld\n", r->reset, plural(r->reset),
			       r->job, (long long)r->id);
		fflush(stdout);
	}
	if (r->requeued && (rc = run_expand_waiting(r->st, r->p, r->id, &r->now)) != EXIT_OK)
		return rc;
	return execute(r);
}

int cmd_retry(struct ctx *ctx, int argc, char **argv)
{
	struct retry r = { .id = 0 };
	int rc = parse_retry_opts(&r, argc, argv);
	if (rc == EXIT_OK)
		rc = retry(&r, ctx);
	free(r.job);
	return rc;
}

/* ---- stau cancel RUN ---- */

struct cancel {
	int64_t id, now;
	struct state *st;	/* the command's */
	bool was_queued;
	size_t pending;		/* PENDING chunks canceled */
	int64_t *done;		/* RUNNING chunks already looked at (signalled or not) */
	size_t ndone, done_cap;
	size_t signalled;
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

static bool owner_alive(const struct state_owner *o)
{
	int64_t start;
	return o->pid > 0 && state_owner_of(o->pid, &start) == 1 && start == o->start;
}

/* Reads the parent and process group of pid from /proc. Returns 0, or -1 when it is gone. */
static int proc_parent_group(pid_t pid, pid_t *ppid, pid_t *pgrp)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	char *text = read_file(path, NULL);
	if (!text)
		return -1;
	/* "pid (comm) S ppid pgrp ...": comm may hold anything, so read after the last ')' */
	char *p = strrchr(text, ')');
	long pp = 0, pg = 0;
	char s;
	int rc = p && sscanf(p + 1, " %c %ld %ld", &s, &pp, &pg) == 3 && s != 'Z' && s != 'X'
			 ? 0
			 : -1;
	free(text);
	*ppid = (pid_t)pp;
	*pgrp = (pid_t)pg;
	return rc;
}

/* Whether the environment of pid names another chunk than id. An environment that cannot be
 * read, or without STAU_CHUNK_ID (a job may exec with a clean one), names none. */
static bool env_names_other_chunk(pid_t pid, int64_t id)
{
	char path[64];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	char *env = read_file(path, &len);
	if (!env)
		return false;
	char want[48];
	snprintf(want, sizeof(want), "STAU_CHUNK_ID=%lld", (long long)id);
	bool other = false;
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (!strncmp(env + i, "STAU_CHUNK_ID=", 14))
			other = strcmp(env + i, want) != 0;
	free(env);
	return other;
}

/* Whether c's recorded child still is the process its owner started for it: the owner's
 * child, leading its own process group, not naming another chunk. */
static bool child_is_chunks(const struct state_chunk *c)
{
	pid_t ppid, pgrp;
	return c->child > 0 && !proc_parent_group(c->child, &ppid, &pgrp) &&
	       ppid == c->owner.pid && pgrp == c->child && !env_names_other_chunk(c->child, c->id);
}

static bool looked_at(const struct cancel *k, int64_t id)
{
	for (size_t i = 0; i < k->ndone; i++)
		if (k->done[i] == id)
			return true;
	return false;
}

/* One look at the RUNNING chunks of the run: SIGTERM to the group of each one not seen yet
 * whose owner is alive and whose child is known and still its own. *waiting gets the number
 * whose child is not recorded yet. Returns 0 or -1. */
static int signal_once(struct cancel *k, size_t *waiting)
{
	struct state_chunk *c;
	size_t n;
	*waiting = 0;
	if (state_run_chunks(k->st, k->id, false, &c, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i].state != CHUNK_RUNNING || looked_at(k, c[i].id) || !owner_alive(&c[i].owner))
			continue;
		if (c[i].child <= 0) {
			(*waiting)++;
			continue;
		}
		/* a child that fails the checks has ended: its owner is recording it */
		if (child_is_chunks(&c[i]) && kill(-c[i].child, SIGTERM) == 0)
			k->signalled++;
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
	int64_t deadline = mono_ms() + CHILD_WAIT_MS;
	size_t waiting;
	for (;;) {
		if (signal_once(k, &waiting))
			return -1;
		if (!waiting || mono_ms() >= deadline)
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
	if (k->signalled)
		printf(", %zu running chunk%s sent SIGTERM", k->signalled,
		       plural((int64_t)k->signalled));
	putchar('\n');
}

static int cancel(struct cancel *k, struct ctx *ctx)
{
	if (!ctx->st)
		return error_no_run(k->id);
	k->st = ctx->st;
	int rc = end_run(k);
	if (rc != EXIT_OK)
		return rc;
	/* chunks whose stau died cannot be signalled: record them now, as any stau would */
	if (state_recover_orphans(k->st, k->now, engine_retry_time, &ctx->p) < 0 ||
	    signal_running(k))
		return error_state(k->st);
	cancel_report(k);
	return EXIT_OK;
}

int cmd_cancel(struct ctx *ctx, int argc, char **argv)
{
	struct cancel k = { .id = 0 };
	int rc = parse_cancel_opts(&k, argc, argv);
	if (rc == EXIT_OK)
		rc = cancel(&k, ctx);
	free(k.done);
	return rc;
}

/* ---- stau prune [--older-than D] ---- */

struct prune {
	int64_t now;
	int64_t older_than;	/* seconds; -1: the retention of schedule.yaml */
	int64_t runs, chunks;
	size_t logs;		/* log files removed */
};

static int parse_prune_opts(struct prune *pr, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "older-than", required_argument, NULL, 'o' },
		OPTION_NOW,
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	struct cmdopt o;
	int c, rc = EXIT_OK;
	cmdopt_init(&o, "prune");
	pr->older_than = -1;
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c != 'o')
			rc = cmdopt_common(&o, c, argv);
		else if (duration_parse(optarg, &pr->older_than, err, sizeof(err)))
			rc = usage_error("prune", "--older-than: %s", err);
	}
	pr->now = o.now;
	return rc == EXIT_OK ? cmdopt_no_args("prune", argc, argv) : rc;
}

/* The retention of schedule.yaml into pr->older_than. Returns EXIT_OK or EXIT_USAGE (said). */
static int read_retention(struct prune *pr, const struct project *p)
{
	pr->older_than = p->sched.settings.retention;
	if (p->sched_ok)
		return EXIT_OK;
	error("schedule.yaml has problems, so its retention is not known; fix them "
	      "(see 'stau check') or give --older-than");
	return EXIT_USAGE;
}

/* Unlinks the pruned log files (paths relative to dir), counting those removed, and frees
 * the list. A file already gone is not counted; any other failure is said. */
static void remove_logs(struct prune *pr, const char *dir, char **logs)
{
	for (size_t i = 0; logs && logs[i]; i++) {
		char *path = xasprintf("%s/%s", dir, logs[i]);
		if (!unlink(path))
			pr->logs++;
		else if (errno != ENOENT)
			warn("cannot remove '%s': %s", logs[i], strerror(errno));
		free(path);
		free(logs[i]);
	}
	free(logs);
}

static int prune(struct prune *pr, struct ctx *ctx)
{
	int rc = pr->older_than < 0 ? read_retention(pr, &ctx->p) : EXIT_OK;
	if (rc != EXIT_OK || !ctx->st)
		return rc;
	char **logs;
	int n = state_prune_counted(ctx->st, pr->now - pr->older_than, &logs, &pr->chunks);
	if (n < 0)
		return error_state(ctx->st);
	pr->runs = n;
	remove_logs(pr, ctx->dir, logs);
	return EXIT_OK;
}

int cmd_prune(struct ctx *ctx, int argc, char **argv)
{
	struct prune pr = { .now = 0 };
	int rc = parse_prune_opts(&pr, argc, argv);
	if (rc == EXIT_OK)
		rc = prune(&pr, ctx);
	if (rc == EXIT_OK && msg_verbosity >= 0)
		printf("pruned %lld run%s, %lld chunk%s, %zu log file%s\n", (long long)pr.runs,
		       plural(pr.runs), (long long)pr.chunks, plural(pr.chunks), pr.logs,
		       plural((int64_t)pr.logs));
	return rc;
}
