/* exec_pyfork_spawn.c - start the Python runner's process for exec_pyfork.c.
 *
 * Why it looks like this:
 *   - fork and execvpe, not vfork: a runner starts once per job file and stau process, so
 *     the copy of stau's page tables does not matter, and the child may then move
 *     descriptors about freely. Every descriptor it needs is first moved above 9, so that
 *     none of them is clobbered when 0 to 3 are set (stau started by cron may have no stdin,
 *     and a socket may then be descriptor 0).
 *   - Whether execvpe worked comes back through a CLOEXEC pipe, so that a missing
 *     interpreter is an error of pyfork_start, not a runner that vanishes.
 *   - The child resets every signal handler and empties its mask: stau blocks SIGCHLD while
 *     it watches children, and the runner needs it. */
#include "exec_pyfork_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;
extern const char pyrunner_py[];	/* pyrunner.py, embedded by the Makefile */

struct spawn {
	const struct pyfork_opts *o;
	char **argv, **env;
	int sock, errpipe;	/* the runner's end of the socket */
	pid_t parent;
};

/* stau's environment without the names in add, then add: an array of borrowed strings. */
static char **merge_env(char *const *add)
{
	size_t n = 0, k = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	for (char *const *a = add; a && *a; a++)
		n++;
	char **env = xcalloc(n + 1, sizeof(*env));
	for (char **e = environ; e && *e; e++) {
		size_t len = strcspn(*e, "=");
		bool replaced = false;
		for (char *const *a = add; a && *a && !replaced; a++)
			replaced = !strncmp(*a, *e, len) && (*a)[len] == '=';
		if (!replaced)
			env[k++] = *e;
	}
	for (char *const *a = add; a && *a; a++)
		env[k++] = *a;
	return env;
}

/* fd moved to a descriptor above 9 (fd is closed); -1 stays -1. */
static int high_fd(int fd)
{
	if (fd < 0)
		return -1;
	int h = fcntl(fd, F_DUPFD, 10);
	close(fd);
	return h;
}

static void __attribute__((noreturn)) spawn_fail(int errpipe, int err)
{
	ssize_t w = write(errpipe, &err, sizeof(err));
	(void)w;
	_exit(127);
}

/* Default handlers for every signal (stau's SIGINT and SIGTERM handlers, an ignored SIGPIPE
 * or SIGCHLD), then an empty mask (stau blocks SIGCHLD while it has children to watch, and
 * the runner needs it). */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigemptyset(&dfl.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The runner's side of fork: stdin /dev/null, stdout and stderr on out_fd, the socket on
 * PYFORK_FD, nothing else open but the error pipe (CLOEXEC); then execvpe. */
static void __attribute__((noreturn)) spawn_child(const struct spawn *sp)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != sp->parent)
		_exit(127); /* stau died before prctl took effect */
	reset_signals();
	int errpipe = fcntl(sp->errpipe, F_DUPFD_CLOEXEC, 10);
	int in = high_fd(open("/dev/null", O_RDONLY));
	int out = high_fd(sp->o->out_fd >= 0 ? dup(sp->o->out_fd) : open("/dev/null", O_WRONLY));
	int sock = high_fd(dup(sp->sock));
	if (errpipe < 0)
		_exit(127);
	if (in < 0 || out < 0 || sock < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0 || dup2(sock, PYFORK_FD) < 0)
		spawn_fail(errpipe, errno);
	syscall(SYS_close_range, (unsigned)PYFORK_FD + 1, (unsigned)errpipe - 1, 0U);
	syscall(SYS_close_range, (unsigned)errpipe + 1, ~0U, 0U);
	if (sp->o->dir && chdir(sp->o->dir))
		spawn_fail(errpipe, errno);
	execvpe(sp->o->python, sp->argv, sp->env);
	spawn_fail(errpipe, errno);
}

/* The errno the child reported through the pipe, or 0 when it exec'd. */
static int read_spawn_errno(int fd)
{
	int e = 0;
	ssize_t r;
	do
		r = read(fd, &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)sizeof(e) ? e : 0;
}

/* Forks and executes the runner; returns its pid, or -1 with err. */
static pid_t fork_exec(struct spawn *sp, char *err, size_t errlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	sp->errpipe = pfd[1];
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		spawn_child(sp);
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	int e = pid < 0 ? fork_errno : read_spawn_errno(pfd[0]);
	close(pfd[0]);
	if (pid > 0)
		setpgid(pid, pid);
	if (pid > 0 && e) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		pid = -1;
	}
	if (pid < 0)
		snprintf(err, errlen, "cannot start the Python runner '%s': %s", sp->o->python,
			 strerror(e));
	return pid;
}

pid_t pyfork_spawn(const struct pyfork_opts *o, int sock, char *err, size_t errlen)
{
	char fd[16];
	snprintf(fd, sizeof(fd), "%d", PYFORK_FD);
	const char *source = o->runner_source ? o->runner_source : pyrunner_py;
	char *argv[] = { (char *)o->python, "-c", (char *)source, "--serve", fd,
			 (char *)o->job_file, (char *)o->main_func, NULL };
	struct spawn sp = { .o = o, .argv = argv, .env = merge_env(o->env_add), .sock = sock,
			    .parent = getpid() };
	pid_t pid = fork_exec(&sp, err, errlen);
	free(sp.env);
	return pid;
}
