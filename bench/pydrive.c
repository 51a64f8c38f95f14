/* pydrive.c - drives stau's Python runner through exec_pyfork, as the engine will: N chunks
 * of a main_func job, two at a time, each with its own log file and the environment stau
 * gives a chunk, then the runner stopped. For bench/python.sh.
 *
 *   pydrive PYTHON PROJECT_DIR JOB_FILE N LOG_DIR
 *
 * $PYDRIVE_RUNNER, if set, names a file to run as the runner instead of the one stau
 * carries (to measure a variant of it).
 *
 * Exits 0 when every chunk exited 0. With PYDRIVE_STATS=1 it prints to stderr where the time
 * went: the import (start to READY); per chunk, the wall time of asking for it (pyfork_chunk:
 * the request, the runner's fork, the pid's way back) and the CPU time of this process (what
 * stau itself would spend on a chunk: logs, environment, messages). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "exec_pyfork.h"
#include "util.h"

#define SLOTS 2

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return n ? v[n / 2] : 0;
}

struct drive {
	struct pyfork *r;
	const char *dir, *logs;
	long n;
	int64_t *ask_us;	/* per chunk: the wall time of pyfork_chunk */
};

/* The environment stau gives chunk i (SPEC-like: the STAU_* variables). */
static void chunk_env(struct strvec *env, const struct drive *d, long i)
{
	strvec_push(env, xstrdup("STAU_JOB=bench"));
	strvec_push(env, xstrdup("STAU_RUN_ID=1"));
	strvec_push(env, xasprintf("STAU_CHUNK_ID=%ld", i));
	strvec_push(env, xasprintf("STAU_CHUNK=%ld/%ld", i, d->n));
	strvec_push(env, xstrdup("STAU_ATTEMPT=1"));
	strvec_push(env, xasprintf("STAU_WORK_IDS=%ld", i));
	strvec_push(env, xasprintf("STAU_WORK_IDS_FILE=%s/ids-%ld", d->logs, i % SLOTS));
	strvec_push(env, xstrdup("STAU_KWARGS={}"));
	strvec_push(env, xstrdup("STAU_SCHEDULED_FOR="));
	strvec_push(env, xasprintf("STAU_DIR=%s", d->dir));
}

static int start_chunk(struct drive *d, long i)
{
	char *log = xasprintf("%s/%ld.log", d->logs, i);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "pydrive: cannot create '%s': %s\n", log, strerror(errno));
		free(log);
		return -1;
	}
	struct strvec env = { 0 };
	chunk_env(&env, d, i);
	int64_t id = i;
	struct pyfork_chunk c = { .ids = &id, .n_ids = 1, .kwargs_json = "{}", .env_add = env.v,
				  .cwd = d->dir, .log_fd = fd };
	pid_t pid;
	char err[512];
	int64_t t0 = now_us();
	int rc = pyfork_chunk(d->r, &c, (uint64_t)i, &pid, err, sizeof(err));
	d->ask_us[i - 1] = now_us() - t0;
	close(fd);
	strvec_release(&env);
	if (rc)
		fprintf(stderr, "pydrive: chunk %ld: %s\n", i, err);
	free(log);
	return rc;
}

/* Waits for one chunk's exit; returns 0 when it exited 0. */
static int end_chunk(struct drive *d)
{
	struct pyfork_event ev;
	do {
		if (pyfork_next(d->r, -1, &ev) != 1) {
			fprintf(stderr, "pydrive: the runner ended: %s\n", pyfork_broken_text(d->r));
			return -1;
		}
	} while (ev.kind != PYFORK_EV_EXIT);
	if (ev.lost || ev.signal || ev.exit_code) {
		fprintf(stderr, "pydrive: chunk %llu failed (status %d, signal %d)\n",
			(unsigned long long)ev.token, ev.exit_code, ev.signal);
		return -1;
	}
	return 0;
}

static int drive(struct drive *d)
{
	long next = 1, done = 0;
	while (done < d->n) {
		while (next <= d->n && pyfork_running(d->r) < SLOTS)
			if (start_chunk(d, next++))
				return -1;
		if (end_chunk(d))
			return -1;
		done++;
	}
	return 0;
}

/* This process's CPU time so far, in microseconds. */
static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static void print_stats(const struct drive *d, int64_t import_us, int64_t total_us,
			int64_t chunks_cpu_us)
{
	int64_t med_ask = median(d->ask_us, (size_t)d->n);
	int64_t max_ask = d->ask_us[d->n - 1];
	fprintf(stderr,
		"pydrive: start to READY %.1f ms; %ld chunks in %.1f ms after it (%.2f ms each, "
		"%d at a time); pyfork_chunk median %lld us, max %lld us; this process's CPU "
		"%.0f us per chunk\n",
		import_us / 1e3, d->n, (total_us - import_us) / 1e3,
		(total_us - import_us) / 1e3 / (double)d->n, SLOTS, (long long)med_ask,
		(long long)max_ask, chunks_cpu_us / (double)d->n);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: pydrive PYTHON PROJECT_DIR JOB_FILE N LOG_DIR\n");
		return 2;
	}
	struct drive d = { .dir = argv[2], .logs = argv[5], .n = atol(argv[4]) };
	if (d.n < 1)
		return 2;
	d.ask_us = xcalloc((size_t)d.n, sizeof(int64_t));
	const char *variant = getenv("PYDRIVE_RUNNER");
	char *source = variant && *variant ? read_file(variant, NULL) : NULL;
	if (variant && *variant && !source) {
		fprintf(stderr, "pydrive: cannot read '%s': %s\n", variant, strerror(errno));
		return 1;
	}
	struct pyfork_opts o = { .python = argv[1], .job_file = argv[3], .main_func = "main",
				 .dir = argv[2], .out_fd = 2, .runner_source = source };
	char err[512];
	int64_t t0 = now_us();
	if (pyfork_start(&o, &d.r, err, sizeof(err))) {
		fprintf(stderr, "pydrive: %s\n", err);
		return 1;
	}
	if (pyfork_wait_ready(d.r, -1) != PYFORK_READY) {
		fprintf(stderr, "pydrive: %s\n", pyfork_broken_text(d.r));
		return 1;
	}
	int64_t import_us = now_us() - t0, cpu0 = cpu_us();
	int rc = drive(&d);
	int64_t total_us = now_us() - t0, chunks_cpu = cpu_us() - cpu0;
	pyfork_stop(d.r);
	const char *stats = getenv("PYDRIVE_STATS");
	if (!rc && stats && !strcmp(stats, "1"))
		print_stats(&d, import_us, total_us, chunks_cpu);
	free(d.ask_us);
	free(source);
	return rc ? 1 : 0;
}
