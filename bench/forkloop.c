/* forkloop.c - the floor of a DAG executor (docs/design.md, "Performance"): N fork+execve of /bin/true, J at once.
 *
 *   forkloop N [J]   J defaults to 2, as `stau run -j 2` and `make -j2`
 *
 * No graph, no state, no output: a child is started as soon as one of the J slots is free.
 * An executor that starts N processes J at a time cannot beat this loop on the same machine;
 * the distance from it is what the executor's own bookkeeping costs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	return errno || *end || n < 1 ? -1 : n;
}

static int start_true(void)
{
	static char *const argv[] = { "/bin/true", NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "forkloop: fork: %s\n", strerror(errno));
	return pid < 0 ? -1 : 0;
}

/* Waits for one child; returns 0 when it exited 0, else -1. */
static int reap_one(void)
{
	int status;
	if (wait(&status) < 0) {
		fprintf(stderr, "forkloop: wait: %s\n", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fputs("forkloop: /bin/true failed\n", stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? parse_count(argv[1]) : -1;
	long j = argc > 2 ? parse_count(argv[2]) : 2;
	if (argc < 2 || argc > 3 || n < 0 || j < 0) {
		fputs("usage: forkloop N [J]\n", stderr);
		return 2;
	}
	long started = 0, running = 0;
	while (started < n || running > 0) {
		if (started < n && running < j) {
			if (start_true() < 0)
				return 1;
			started++;
			running++;
			continue;
		}
		if (reap_one() < 0)
			return 1;
		running--;
	}
	return 0;
}
