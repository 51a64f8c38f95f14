/* cmd_simulate.c - `stau simulate --from T1 --to T2 [--every D]`: what the schedule would do
 * over a span of time, starting no job and changing nothing (docs/design.md, "Scheduling").
 *
 * The project's database (stau.db and its WAL, from .stau/ or --state) is copied into a
 * private temporary directory, which simulate.h replays the ticks on and which is removed
 * afterwards: the real database is only read, byte for byte. A project without a database
 * simulates from an empty state, as its first tick would. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdopt.h"
#include "msg.h"
#include "simulate.h"
#include "timeutil.h"
#include "util.h"

#define MAX_TICKS 1000000 /* a year of minutes, twice over */

static int parse_simulate_opts(int argc, char **argv, struct simulate_opts *o)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "every", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c, rc = EXIT_OK;
	bool from = false, to = false;
	o->every = 60;
	while (rc == EXIT_OK && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'f' && (from = true))
			rc = cmdopt_time("simulate", "--from", optarg, &o->from);
		else if (c == 't' && (to = true))
			rc = cmdopt_time("simulate", "--to", optarg, &o->to);
		else if (c == 'e' && (duration_parse(optarg, &o->every, err, sizeof(err)) ||
				      o->every < 1))
			rc = usage_error("simulate", "--every: %s", o->every < 1 ? "must be 1s or "
					 "more" : err);
		else if (c != 'e')
			rc = cmdopt_bad("simulate", c, argv);
	}
	if (rc == EXIT_OK && (!from || !to))
		rc = usage_error("simulate", "give the span: --from TIME --to TIME");
	else if (rc == EXIT_OK && o->to < o->from)
		rc = usage_error("simulate", "--to is before --from");
	else if (rc == EXIT_OK && (o->to - o->from) / o->every >= MAX_TICKS)
		rc = usage_error("simulate", "more than %d ticks: use a larger --every", MAX_TICKS);
	return rc == EXIT_OK ? cmdopt_no_args("simulate", argc, argv) : rc;
}

/* Copies file from into to (absent: nothing to copy). Returns 0, or -1 with errno. */
static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char buf[1 << 16];
	ssize_t n = 0;
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n))
			n = -1;
	int e = errno;
	close(in);
	if (out >= 0 && close(out))
		n = -1;
	errno = e;
	return out < 0 || n < 0 ? -1 : 0;
}

/* Copies the database and its WAL of ctx into directory tmp. */
static int copy_state(const struct ctx *ctx, const char *tmp)
{
	static const char *const names[] = { "stau.db", "stau.db-wal" };
	for (size_t i = 0; i < 2; i++) {
		char *from = ctx->state_dir ? xasprintf("%s/%s", ctx->state_dir, names[i])
					    : xasprintf("%s/.stau/%s", ctx->dir, names[i]);
		char *to = xasprintf("%s/%s", tmp, names[i]);
		int rc = copy_file(from, to);
		if (rc)
			error("cannot copy '%s' to a scratch directory: %s", from, strerror(errno));
		free(from);
		free(to);
		if (rc)
			return EXIT_STATE;
	}
	return EXIT_OK;
}

/* A scratch copy of the database of ctx in a new private directory, *tmp. */
static int scratch_copy(const struct ctx *ctx, char **tmp)
{
	const char *base = getenv("TMPDIR");
	*tmp = xasprintf("%s/stau-simulate.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(*tmp)) {
		error("cannot make a scratch directory '%s': %s", *tmp, strerror(errno));
		return EXIT_STATE;
	}
	/* under the lock every writer takes for a transaction (and to close, when it may
	 * checkpoint): the database and its WAL are copied as of one moment */
	char *lock_path = ctx->state_dir ? xasprintf("%s/lock", ctx->state_dir)
					 : xasprintf("%s/.stau/lock", ctx->dir);
	int lock_fd = open(lock_path, O_RDONLY | O_CLOEXEC);
	free(lock_path);
	if (lock_fd >= 0)
		while (flock(lock_fd, LOCK_EX) && errno == EINTR)
			;
	int rc = copy_state(ctx, *tmp);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}

static void remove_scratch(const char *tmp)
{
	static const char *const names[] = { "stau.db", "stau.db-wal", "stau.db-shm", "lock" };
	for (size_t i = 0; i < 4; i++) {
		char *path = xasprintf("%s/%s", tmp, names[i]);
		unlink(path);
		free(path);
	}
	rmdir(tmp);
}

static int simulate(struct ctx *ctx, const struct simulate_opts *o, const char *tmp)
{
	char err[512];
	struct state *st;
	if (state_open_at(tmp, &st, err, sizeof(err))) {
		error("%s", err);
		return EXIT_STATE;
	}
	struct strbuf out = STRBUF_INIT;
	sb_adds(&out, "");
	long n = simulate_ticks(st, &ctx->p, o, &out);
	state_close(st);
	fputs(out.buf, n < 0 ? stderr : stdout);
	sb_release(&out);
	if (n == 0 && msg_verbosity >= 0)
		printf("no entry fires in that span\n");
	return n < 0 ? EXIT_STATE : EXIT_OK;
}

int cmd_simulate(struct ctx *ctx, int argc, char **argv)
{
	struct simulate_opts o = { 0 };
	int rc = parse_simulate_opts(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (!ctx->p.sched_ok) {
		diags_print(&ctx->p.diags, stderr);
		error("schedule.yaml cannot be used: nothing would be scheduled");
		return EXIT_USAGE;
	}
	char *tmp = NULL;
	rc = scratch_copy(ctx, &tmp);
	if (rc == EXIT_OK)
		rc = simulate(ctx, &o, tmp);
	remove_scratch(tmp);
	free(tmp);
	return rc;
}
