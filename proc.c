/* proc.c - processes on this machine: identity, parent and group, environment, leftovers of
 * lost chunks, signal names, and capturing a command's output.
 *
 * Why it looks like this:
 *   - A process is named by its pid and its start time (field 22 of /proc/PID/stat). A pid
 *     alone is reused; the pair is not, so "the owner of this chunk is alive" is a read of
 *     one file, and a stau that died and a stranger that got its pid are told apart. A
 *     zombie counts as gone: it has exited, whoever reaps it.
 *   - /proc/PID/stat is "pid (comm) S ppid pgrp ...", and comm may hold spaces and ')', so
 *     the fields are counted from the last ')'.
 *   - The environment a process was started with (/proc/PID/environ) is how stau knows the
 *     processes of a chunk that it did not start: each carries STAU_RUN_ID, STAU_CHUNK_ID and
 *     STAU_ATTEMPT. Killing by group alone would hit whatever reused the group ID, so a
 *     process of the recorded group is killed when its environment names the attempt; and
 *     as a job may leave its group on purpose (setsid, a daemon's double fork), every
 *     readable process whose environment names the attempt and the project directory
 *     (STAU_DIR) is killed too. One pass over /proc does both: it is taken only when a chunk
 *     was found lost. A process that replaced its environment is out of reach.
 *   - proc_capture is git's run-command for the few commands stau runs for itself
 *     (select_work, git rev-parse): fork and execvp (never a shell), the child's failure to
 *     change directory or exec reported through a pipe that exec closes, stdout and stderr
 *     read through pipes with poll. The child leads its own process group, so a time limit
 *     reaches a shell's children; PR_SET_PDEATHSIG makes it die with stau. Its end is seen
 *     through a signalfd for SIGCHLD, polled with the pipes, so that a limit is kept even
 *     when the command closed its output and hangs: no sleeping, no handler. SIGCHLD is
 *     blocked only while a command runs (an executor that blocks it for its own children
 *     still reaps them: it calls waitpid for each of its children before it polls). */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define GIVE_UP_MS 1000	 /* after SIGKILL, how long the output may stay open */
#define READ_CHUNK 65536

/* ---- who a process is ---- */

struct proc_stat {
	char state;
	pid_t ppid, pgrp;
	int64_t start;
};

/* Reads the fields of /proc/PID/stat that stau uses. Returns 0, or -1 when the process is
 * gone or a zombie. */
static int read_stat(pid_t pid, struct proc_stat *ps)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
		; /* a live owner must never look dead */
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* field 3, the state, follows the last ')' */
	long ppid, pgrp;
	if (!p || p[1] != ' ' || sscanf(p + 2, "%c %ld %ld", &ps->state, &ppid, &pgrp) != 3 ||
	    ps->state == 'Z' || ps->state == 'X')
		return -1;
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	ps->ppid = (pid_t)ppid;
	ps->pgrp = (pid_t)pgrp;
	ps->start = strtoll(p, NULL, 10);
	return 0;
}

int proc_id_of(pid_t pid, struct proc_id *out)
{
	struct proc_stat ps;
	if (pid <= 0 || read_stat(pid, &ps))
		return 0;
	*out = (struct proc_id){ .pid = pid, .start = ps.start };
	return 1;
}

int proc_self(struct proc_id *out)
{
	return proc_id_of(getpid(), out) == 1 ? 0 : -1;
}

bool proc_alive(const struct proc_id *id)
{
	struct proc_id now;
	return proc_id_of(id->pid, &now) == 1 && now.start == id->start;
}

int proc_parent_group(pid_t pid, pid_t *ppid, pid_t *pgrp)
{
	struct proc_stat ps;
	if (pid <= 0 || read_stat(pid, &ps))
		return -1;
	*ppid = ps.ppid;
	*pgrp = ps.pgrp;
	return 0;
}

char *proc_self_exe(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	return n > 0 ? xstrndup(exe, (size_t)n) : NULL;
}

/* ---- the processes of a chunk ---- */

/* The value of name in env[0..len) ("A=1\0B=2\0"), the first if it is set twice, or NULL. */
static const char *env_lookup(const char *env, size_t len, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (!strncmp(env + i, name, n) && env[i + n] == '=')
			return env + i + n + 1;
	return NULL;
}

enum proc_env_match proc_env_names(pid_t pid, const struct proc_chunk_env *want)
{
	char path[64], run[24], chunk[24], attempt[16];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	char *env = read_file(path, &len);
	if (!env)
		return PROC_ENV_UNKNOWN;
	snprintf(run, sizeof(run), "%lld", (long long)want->run);
	snprintf(chunk, sizeof(chunk), "%lld", (long long)want->chunk);
	snprintf(attempt, sizeof(attempt), "%d", want->attempt);
	const char *const names[] = { "STAU_RUN_ID", "STAU_CHUNK_ID", "STAU_ATTEMPT", "STAU_DIR" };
	const char *const wanted[] = { want->run ? run : NULL, want->chunk ? chunk : NULL,
				       want->attempt ? attempt : NULL, want->dir };
	bool missing = false, other = false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *have = wanted[i] ? env_lookup(env, len, names[i]) : NULL;
		missing |= wanted[i] && !have;
		other |= have && strcmp(have, wanted[i]);
	}
	free(env);
	return other ? PROC_ENV_OTHER : missing ? PROC_ENV_UNKNOWN : PROC_ENV_MATCH;
}

static bool in_group(pid_t pid, pid_t group)
{
	pid_t ppid, pgrp;
	return !proc_parent_group(pid, &ppid, &pgrp) && pgrp == group;
}

/* Whether pid's environment (as exec gave it) has PROC_RUNNER_OF=runner_of. */
static bool forked_by_runner(pid_t pid, const char *runner_of)
{
	char path[64];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	char *env = read_file(path, &len);
	if (!env)
		return false;
	const char *have = env_lookup(env, len, PROC_RUNNER_OF);
	bool yes = have && !strcmp(have, runner_of);
	free(env);
	return yes;
}

/* Whether pid is one of the lost chunk's processes: in its group and naming its attempt, or
 * anywhere and naming its attempt in this project (a process that left the group). */
static bool lost_chunks(pid_t pid, pid_t group, const struct proc_chunk_env *chunk)
{
	if (chunk->runner_of && forked_by_runner(pid, chunk->runner_of))
		return true;
	struct proc_chunk_env in_group_env = *chunk;
	in_group_env.dir = NULL;
	if (group > 0 && in_group(pid, group))
		return proc_env_names(pid, &in_group_env) == PROC_ENV_MATCH;
	return chunk->dir && proc_env_names(pid, chunk) == PROC_ENV_MATCH;
}

size_t proc_kill_leftovers(pid_t group, const struct proc_chunk_env *chunk)
{
	if (group <= 0 && !chunk->dir)
		return 0; /* every process of the user, by run, chunk and attempt only: too wide */
	size_t n = 0;
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d));) {
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10); /* 0 for ".", "self", ... */
		if (pid > 0 && pid != self && lost_chunks(pid, group, chunk) && !kill(pid, SIGKILL))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* ---- signals ---- */

const char *proc_signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

const char *proc_killed_by(int sig, char *buf, size_t len)
{
	char name[32];
	proc_signal_name(sig, name, sizeof(name));
	const char *bare = strncmp(name, "SIG", 3) ? name + strlen("signal ") : name + 3;
	snprintf(buf, len, "killed by signal %s", bare);
	return buf;
}

/* ---- for a child between fork and exec ---- */

/* The signals stau itself handles (engine_stop_on_signals) or may ignore: reset whatever
 * their disposition was when the set was taken, as a handler installed later must not run in
 * a vfork child on the parent's memory either. */
static const int stau_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2 };

/* Dispositions are read and set with the system call, not glibc's sigaction: glibc refuses
 * the two real-time signals it keeps for itself (32 and 33), which a process may still
 * inherit ignored, and the kernel's struct sigaction differs from glibc's and between
 * architectures. A zeroed one is the same everywhere: SIG_DFL, no flags, an empty mask. */
#define KERNEL_SIGACTION_MAX 64		/* bytes: more than any architecture's struct */
#define KERNEL_SIGSET_SIZE ((NSIG - 1) / 8)

static bool disposition_is_default(int sig)
{
	unsigned char now[KERNEL_SIGACTION_MAX] = { 0 };
	if (syscall(SYS_rt_sigaction, sig, NULL, now, KERNEL_SIGSET_SIZE))
		return true;
	for (size_t i = 0; i < sizeof(now); i++)
		if (now[i])
			return false;
	return true;
}

/* A job must start as from a shell that sets nothing: an ignored disposition survives execve
 * (a shell's `trap '' ALRM TSTP`, nohup's SIGHUP, a background shell's SIGINT and SIGQUIT
 * reach stau that way), a handled one is reset by execve itself but must not run in a vfork
 * child. Asking each of the 64 signals in every child would cost more than the rest of
 * starting a chunk, so the parent asks once and the child resets only what differs. */
void proc_child_signals(uint64_t *reset)
{
	*reset = 0;
	for (size_t i = 0; i < ARRAY_SIZE(stau_signals); i++)
		*reset |= (uint64_t)1 << (stau_signals[i] - 1);
	for (int sig = 1; sig < NSIG && sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && !disposition_is_default(sig))
			*reset |= (uint64_t)1 << (sig - 1);
}

void proc_child_reset_signals(uint64_t reset)
{
	static const unsigned char dfl[KERNEL_SIGACTION_MAX];
	for (int sig = 1; sig <= 64; sig++)
		if (reset & ((uint64_t)1 << (sig - 1)))
			syscall(SYS_rt_sigaction, sig, dfl, NULL, KERNEL_SIGSET_SIZE);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void proc_child_close_fds(int keep)
{
	if (keep < 0) {
		syscall(SYS_close_range, 3U, ~0U, 0U);
		return;
	}
	if (keep > 3)
		syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U);
	syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U);
}

static size_t name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static bool overridden(const char *kv, char *const *add)
{
	size_t n = name_len(kv);
	for (; add && *add; add++)
		if (name_len(*add) == n && !strncmp(kv, *add, n))
			return true;
	return false;
}

char **proc_env_merge(char *const *add)
{
	size_t n = 0, k = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	for (char *const *a = add; a && *a; a++)
		n++;
	char **env = xcalloc(n + 1, sizeof(*env));
	for (char **e = environ; e && *e; e++)
		if (!overridden(*e, add))
			env[k++] = *e;
	for (char *const *a = add; a && *a; a++)
		env[k++] = *a;
	env[k] = NULL;
	return env;
}

/* ---- capturing a command's output ---- */

/* What the child could not do before exec, sent through the report pipe. */
enum { START_CHDIR = 1, START_EXEC = 2 };
struct start_failure {
	int step;
	int err;
};

/* The descriptors of a capture: pipe ends and the signalfd; -1 when closed. */
struct capture {
	pid_t pid;
	int out[2], err[2], report[2];
	int sigfd;
	sigset_t oldmask;
	uint64_t reset;	  /* the signals the child puts back to their defaults */
	bool reaped;
	int status;
	int stage;	  /* 0: running, 1: SIGTERM sent, 2: SIGKILL sent, 3: output given up */
	int64_t deadline; /* monotonic ms of the next stage, 0: none */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void __attribute__((noreturn)) child_fail(int fd, int step)
{
	struct start_failure f = { step, errno };
	ssize_t unused = write(fd, &f, sizeof(f));
	(void)unused;
	_exit(127);
}

/* Points the child's 0, 1 and 2 where cmd wants them. Returns 0 or -1 (errno). */
static int child_stdio(const struct proc_cmd *cmd, const struct capture *c)
{
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(c->out[1], STDOUT_FILENO) < 0)
		return -1;
	if (cmd->err == PROC_STDERR_NULL && dup2(null, STDERR_FILENO) < 0)
		return -1;
	if (cmd->err == PROC_STDERR_CAPTURE && dup2(c->err[1], STDERR_FILENO) < 0)
		return -1;
	return 0;
}

static void __attribute__((noreturn)) capture_child(const struct proc_cmd *cmd,
						    const struct capture *c, char **env,
						    pid_t parent)
{
	if (env) /* first: on every way out the array is the child's environment, not lost */
		environ = env;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* stau died before prctl took effect */
	proc_child_reset_signals(c->reset);
	if (cmd->dir && chdir(cmd->dir))
		child_fail(c->report[1], START_CHDIR);
	if (child_stdio(cmd, c))
		child_fail(c->report[1], START_EXEC);
	proc_child_close_fds(c->report[1]);
	execvp(cmd->argv[0], cmd->argv);
	child_fail(c->report[1], START_EXEC);
}

/* Creates the pipes and the signalfd, with SIGCHLD blocked. Returns 0 or -1 (errno). */
static int capture_open(struct capture *c, const struct proc_cmd *cmd)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &c->oldmask);
	c->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sigfd < 0 || pipe2(c->out, O_CLOEXEC) || pipe2(c->report, O_CLOEXEC))
		return -1;
	if (cmd->err == PROC_STDERR_CAPTURE && pipe2(c->err, O_CLOEXEC))
		return -1;
	return 0;
}

static void capture_close(struct capture *c)
{
	int *fds[] = { &c->out[0], &c->out[1], &c->err[0], &c->err[1], &c->report[0],
		       &c->report[1], &c->sigfd };
	int saved = errno;
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close_fd(fds[i]);
	sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	errno = saved;
}

/* Reads the child's report: which step failed before exec, if one did. */
static void read_report(struct capture *c, struct proc_result *res)
{
	struct start_failure f;
	ssize_t r;
	while ((r = read(c->report[0], &f, sizeof(f))) < 0 && errno == EINTR)
		;
	close_fd(&c->report[0]);
	if (r == (ssize_t)sizeof(f) && f.step == START_CHDIR)
		res->chdir_errno = f.err;
	else if (r == (ssize_t)sizeof(f))
		res->exec_errno = f.err;
}

/* Starts the child. Returns 0 or -1 (errno). */
static int capture_start(struct capture *c, const struct proc_cmd *cmd, struct proc_result *res)
{
	char **env = cmd->env_add ? proc_env_merge(cmd->env_add) : NULL;
	pid_t parent = getpid();
	proc_child_signals(&c->reset);
	c->pid = fork();
	if (c->pid == 0)
		capture_child(cmd, c, env, parent);
	int fork_errno = errno;
	free(env);
	close_fd(&c->out[1]);
	close_fd(&c->err[1]);
	close_fd(&c->report[1]);
	if (c->pid < 0) {
		errno = fork_errno;
		return -1;
	}
	setpgid(c->pid, c->pid); /* also here, so that the group exists before the child ran */
	read_report(c, res);
	if (cmd->timeout_ms > 0)
		c->deadline = monotonic_ms() + cmd->timeout_ms;
	return 0;
}

/* Appends what fd has to sb, up to max bytes in all; closes fd at its end. */
static void read_some(int *fd, struct strbuf *sb, size_t max, bool *cut)
{
	char buf[READ_CHUNK];
	ssize_t r = read(*fd, buf, sizeof(buf));
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		close_fd(fd);
		return;
	}
	size_t keep = sb->len < max ? max - sb->len : 0;
	if ((size_t)r > keep)
		*cut = true;
	sb_add(sb, buf, (size_t)r < keep ? (size_t)r : keep);
}

/* The next step of a time limit: SIGTERM to the group, SIGKILL, then giving up the output. */
static void escalate(struct capture *c, const struct proc_cmd *cmd, struct proc_result *res)
{
	int64_t now = monotonic_ms();
	switch (c->stage++) {
	case 0:
		res->timed_out = true;
		kill(-c->pid, SIGTERM);
		c->deadline = now + (cmd->grace_ms > 0 ? cmd->grace_ms : 0);
		break;
	case 1:
		kill(-c->pid, SIGKILL);
		c->deadline = now + GIVE_UP_MS;
		break;
	default:
		close_fd(&c->out[0]);
		close_fd(&c->err[0]);
		c->deadline = 0;
	}
}

static void try_reap(struct capture *c)
{
	struct signalfd_siginfo si[8];
	while (read(c->sigfd, si, sizeof(si)) > 0)
		;
	pid_t r = c->reaped ? 0 : waitpid(c->pid, &c->status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD)) /* ECHILD: SIGCHLD ignored, reaped */
		c->reaped = true;
}

/* Waits for output, the child's end or the next deadline, and takes what came. */
static void wait_once(struct capture *c, const struct proc_cmd *cmd, struct proc_result *res)
{
	struct pollfd p[3] = { { c->sigfd, POLLIN, 0 }, { c->out[0], POLLIN, 0 },
			       { c->err[0], POLLIN, 0 } };
	if (poll(p, 3, poll_ms_until(c->deadline)) <= 0)
		return; /* the deadline, or a signal handler ran */
	if (p[1].revents)
		read_some(&c->out[0], &res->out, cmd->out_max, &res->out_cut);
	if (p[2].revents)
		read_some(&c->err[0], &res->err, cmd->out_max, &res->err_cut);
}

static void capture_wait(struct capture *c, const struct proc_cmd *cmd, struct proc_result *res)
{
	for (;;) {
		try_reap(c);
		if (c->reaped && c->out[0] < 0 && c->err[0] < 0)
			break;
		if (c->deadline && monotonic_ms() >= c->deadline)
			escalate(c, cmd, res);
		else
			wait_once(c, cmd, res);
	}
	if (WIFEXITED(c->status))
		res->exit_code = WEXITSTATUS(c->status);
	else if (WIFSIGNALED(c->status))
		res->signal = WTERMSIG(c->status);
}

int proc_capture(const struct proc_cmd *cmd, struct proc_result *res)
{
	*res = (struct proc_result){ .out = STRBUF_INIT, .err = STRBUF_INIT, .exit_code = -1 };
	sb_add(&res->out, "", 0);
	sb_add(&res->err, "", 0);
	struct capture c = { .out = { -1, -1 }, .err = { -1, -1 }, .report = { -1, -1 },
			     .sigfd = -1, .status = -1 };
	int rc = capture_open(&c, cmd);
	if (!rc)
		rc = capture_start(&c, cmd, res);
	if (!rc)
		capture_wait(&c, cmd, res);
	capture_close(&c);
	return rc;
}

void proc_result_release(struct proc_result *res)
{
	sb_release(&res->out);
	sb_release(&res->err);
}
