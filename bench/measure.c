/* measure.c - times a command over several runs for bench/run.sh.
 *
 *   measure RUNS CMD [ARG...]   runs CMD RUNS times, one after the other, and prints
 *                               "MEDIAN MIN MAX" in seconds
 *
 * The clock runs from just before fork to the return of wait4, on CLOCK_MONOTONIC, and
 * nothing else is in between: no shell, no /usr/bin/time (which adds the start of one more
 * process, a fifth of a no-op tick). The command's stdout goes to /dev/null; its stderr is
 * kept, so that a failure says why. Any run that does not exit 0 makes measure fail: a
 * figure for a command that did not do its work would mean nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv once; returns its wall time in seconds, or -1 when it could not run or failed. */
static double run_once(char **argv, int devnull)
{
	int status;
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(devnull, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "measure: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "measure: cannot start '%s': %s\n", argv[0], strerror(errno));
		return -1;
	}
	double t = now_s() - t0;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "measure: '%s' was killed by signal %d\n", argv[0], WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status)) {
		fprintf(stderr, "measure: '%s' exited with status %d\n", argv[0], WEXITSTATUS(status));
		return -1;
	}
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of t[0..n) (sorted in place): the middle one, or the mean of the two middle. */
static double median(double *t, int n)
{
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static double t[MAX_RUNS];
	char *end;
	long runs = argc > 2 ? strtol(argv[1], &end, 10) : 0;
	if (argc < 3 || *end || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: measure RUNS CMD [ARG...]   (RUNS from 1 to %d)\n", MAX_RUNS);
		return 2;
	}
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "measure: /dev/null: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < runs; i++) {
		if ((t[i] = run_once(argv + 2, devnull)) < 0)
			return 1;
	}
	double m = median(t, (int)runs);
	printf("%.6f %.6f %.6f\n", m, t[0], t[runs - 1]);
	return fflush(stdout) ? 1 : 0;
}
