/* measure.c - times commands over several runs for bench/run.sh.
 *
 *   measure RUNS -- CMD [ARG...] [-- CMD [ARG...]]...
 *
 * runs each CMD RUNS times and prints, for each in the order given, one line
 * "MEDIAN MIN MAX" in seconds. A command written `[ SETUP [ARG...] ] CMD [ARG...]` runs
 * SETUP, untimed, before each of its timed runs (the edit before the tick that must see it,
 * a new copy of a project before its first tick). The runs are interleaved: round r runs every command once,
 * starting from command r mod n, so that a slow spell of the machine (another process, the
 * disk flushing) falls on stau and its peer alike instead of on one of them, and no command
 * always runs just after the same other one.
 *
 * The clock runs from just before fork to the return of waitpid, on CLOCK_MONOTONIC, and
 * nothing else is in between: no shell, no /usr/bin/time (which adds the start of one more
 * process, a fifth of a no-op tick). A command's stdout goes to /dev/null; its stderr is
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
#define MAX_CMDS 16

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

/* Splits argv (after RUNS) at each "--" into cmds[]; returns how many, or -1 on a bad list. */
static int split_commands(int argc, char **argv, char **cmds[MAX_CMDS])
{
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		argv[i] = NULL; /* ends the previous command's argv */
		if (i + 1 >= argc || !strcmp(argv[i + 1], "--") || n == MAX_CMDS)
			return -1;
		cmds[n++] = argv + i + 1;
	}
	return argc > 0 && n > 0 && argv[0] == NULL ? n : -1;
}

/* Cuts `[ SETUP... ]` off the front of cmd into *setup (NULL when there is none); returns the
 * timed command, or NULL when the brackets do not close before it. */
static char **split_setup(char **cmd, char ***setup)
{
	*setup = NULL;
	if (strcmp(cmd[0], "["))
		return cmd;
	for (int i = 1; cmd[i]; i++) {
		if (strcmp(cmd[i], "]"))
			continue;
		cmd[i] = NULL;
		*setup = cmd + 1;
		return i > 1 && cmd[i + 1] ? cmd + i + 1 : NULL;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static double t[MAX_CMDS][MAX_RUNS];
	char **cmds[MAX_CMDS], **setup[MAX_CMDS];
	char *end;
	long runs = argc > 1 ? strtol(argv[1], &end, 10) : 0;
	int ncmds = argc > 3 && !*end ? split_commands(argc - 2, argv + 2, cmds) : -1;
	for (int c = 0; c < ncmds && ncmds > 0; c++)
		if (!(cmds[c] = split_setup(cmds[c], &setup[c])))
			ncmds = -1;
	if (ncmds < 0 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: measure RUNS -- [[ SETUP... ]] CMD [ARG...] [-- ...]...   "
				"(RUNS from 1 to %d, at most %d commands)\n", MAX_RUNS, MAX_CMDS);
		return 2;
	}
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "measure: /dev/null: %s\n", strerror(errno));
		return 1;
	}
	for (long r = 0; r < runs; r++) {
		for (int k = 0; k < ncmds; k++) {
			int c = (int)((r + k) % ncmds);
			if (setup[c] && run_once(setup[c], devnull) < 0)
				return 1;
			if ((t[c][r] = run_once(cmds[c], devnull)) < 0)
				return 1;
		}
	}
	for (int c = 0; c < ncmds; c++) {
		double m = median(t[c], (int)runs);
		printf("%.6f %.6f %.6f\n", m, t[c][0], t[c][runs - 1]);
	}
	return fflush(stdout) ? 1 : 0;
}
