/* test_proc.c - processes: identity of this process and of dead ones, parents and groups,
 * the environment that names a chunk, killing what a lost chunk left, signal names, and
 * capturing a command's output (exit status, exec failure, time limit, descriptors), with
 * real child processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

/* ---- helpers ---- */

/* A child that leads its own process group and runs `sh -c script` with exactly env; it
 * has started (exec'd, with that environment) when it has written its first line, which is
 * returned in line. */
static pid_t spawn_sh(const char *script, char *const *env, char *line, size_t len)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		char *const argv[] = { "/bin/sh", "-c", (char *)script, NULL };
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	char c = 0;
	while (n + 1 < len && c != '\n' &&
	       ((r = read(p[0], &c, 1)) == 1 || (r < 0 && errno == EINTR)))
		if (r == 1 && c != '\n')
			line[n++] = c;
	line[n] = '\0';
	close(p[0]);
	return pid;
}

/* How child pid ended: its signal, or -1 when it exited. */
static int reaped_signal(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

/* Waits until process pid shows want in its environment: while a process execs, its
 * environment reads as empty for a moment. */
static void wait_env(pid_t pid, const struct proc_chunk_env *want)
{
	struct timespec ts = { 0, 1000000 };
	for (int i = 0; i < 10000 && proc_env_names(pid, want) != PROC_ENV_MATCH; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(proc_env_names(pid, want), PROC_ENV_MATCH);
}

/* Waits until process pid runs sleep: a shell's background command has forked but may not
 * have exec'd yet, and while it execs its environment reads as empty. */
static void wait_sleep(pid_t pid)
{
	struct timespec ts = { 0, 1000000 };
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	for (int i = 0; i < 10000; i++) {
		char *cmd = read_file(path, NULL);
		bool runs = cmd && !strcmp(cmd, "sleep");
		free(cmd);
		if (runs)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("process %ld does not run sleep", (long)pid);
}

static void stop(pid_t pid)
{
	kill(-pid, SIGKILL);
	reaped_signal(pid);
}

static struct proc_result capture(struct proc_cmd *cmd)
{
	struct proc_result res;
	if (!cmd->out_max)
		cmd->out_max = 4096;
	assert_int_equal(proc_capture(cmd, &res), 0);
	return res;
}

/* ---- who a process is ---- */

static void test_identity(void **unused)
{
	struct proc_id self, again;
	assert_int_equal(proc_self(&self), 0);
	assert_int_equal(self.pid, getpid());
	assert_true(self.start > 0);
	assert_int_equal(proc_id_of(getpid(), &again), 1);
	assert_true(again.start == self.start);
	assert_true(proc_alive(&self));
	struct proc_id other = { self.pid, self.start + 1 }; /* our pid, another process */
	assert_false(proc_alive(&other));
	struct proc_id none = { 0, self.start };
	assert_false(proc_alive(&none));
	/* a child that has exited: a zombie first, then nothing */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	siginfo_t si;
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(proc_id_of(pid, &other), 0);
	assert_int_equal(reaped_signal(pid), -1);
	assert_int_equal(proc_id_of(pid, &other), 0);
	other.pid = pid;
	assert_false(proc_alive(&other));
	char *exe = proc_self_exe();
	assert_non_null(exe);
	assert_non_null(strstr(exe, "test_proc"));
	free(exe);
}

static void test_parent_and_group(void **unused)
{
	pid_t ppid, pgrp;
	assert_int_equal(proc_parent_group(getpid(), &ppid, &pgrp), 0);
	assert_int_equal(ppid, getppid());
	assert_int_equal(pgrp, getpgrp());
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char line[64];
	pid_t pid = spawn_sh("echo ready; exec sleep 30", env, line, sizeof(line));
	assert_string_equal(line, "ready");
	assert_int_equal(proc_parent_group(pid, &ppid, &pgrp), 0);
	assert_int_equal(ppid, getpid());
	assert_int_equal(pgrp, pid);
	stop(pid);
	assert_int_equal(proc_parent_group(pid, &ppid, &pgrp), -1);
}

/* ---- the processes of a chunk ---- */

static void test_environment_names_a_chunk(void **unused)
{
	char *env[] = { "PATH=/usr/bin:/bin", "STAU_RUN_ID=11", "STAU_CHUNK_ID=22",
			"STAU_ATTEMPT=3", "STAU_CHUNK_ID=99", NULL };
	char line[64];
	/* the shell itself, not a program it runs, keeps the environment as it was given */
	pid_t pid = spawn_sh("echo ready; sleep 30", env, line, sizeof(line));
	struct proc_chunk_env want = { .run = 11, .chunk = 22, .attempt = 3 };
	assert_int_equal(proc_env_names(pid, &want), PROC_ENV_MATCH);
	want.attempt = 4; /* a later attempt of the same chunk */
	assert_int_equal(proc_env_names(pid, &want), PROC_ENV_OTHER);
	want = (struct proc_chunk_env){ .chunk = 22 }; /* only the chunk is looked at */
	assert_int_equal(proc_env_names(pid, &want), PROC_ENV_MATCH);
	want.dir = "/srv/p"; /* no STAU_DIR */
	assert_int_equal(proc_env_names(pid, &want), PROC_ENV_UNKNOWN);
	want.chunk = 23; /* a value that differs wins over one that is missing */
	assert_int_equal(proc_env_names(pid, &want), PROC_ENV_OTHER);
	stop(pid);
	want = (struct proc_chunk_env){ .chunk = 22 };
	assert_int_equal(proc_env_names(pid, &want), PROC_ENV_UNKNOWN); /* gone */
}

static void test_kill_leftovers(void **unused)
{
	/* a project directory of this test's own: another run of it must not interfere */
	char *dir = xasprintf("/srv/p-%ld", (long)getpid());
	char *dir_var = xasprintf("STAU_DIR=%s", dir);
	char *attempt1[] = { "PATH=/usr/bin:/bin", "STAU_RUN_ID=1", "STAU_CHUNK_ID=2",
			     "STAU_ATTEMPT=1", dir_var, NULL };
	char *attempt2[] = { "PATH=/usr/bin:/bin", "STAU_RUN_ID=1", "STAU_CHUNK_ID=2",
			     "STAU_ATTEMPT=2", dir_var, NULL };
	char line[64];
	/* orphaned grandchildren become our children, so we can see how they ended */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	/* the lost attempt: a leader and a background process in its group */
	pid_t group = spawn_sh("sleep 30 & echo $!; wait", attempt1, line, sizeof(line));
	pid_t bg = (pid_t)atol(line);
	/* the same attempt in another group (escaped with setsid), and the retry */
	pid_t escaped = spawn_sh("echo ready; exec sleep 30", attempt1, line, sizeof(line));
	pid_t retry = spawn_sh("echo ready; exec sleep 30", attempt2, line, sizeof(line));
	struct proc_chunk_env lost = { .run = 1, .chunk = 2, .attempt = 1, .dir = dir };
	struct proc_chunk_env retried = lost;
	retried.attempt = 2;
	wait_sleep(bg);
	wait_sleep(escaped);
	wait_sleep(retry);
	wait_env(bg, &lost);
	wait_env(escaped, &lost);
	wait_env(retry, &retried);
	/* without the project directory, only the group is searched */
	struct proc_chunk_env elsewhere = lost, no_dir = lost;
	elsewhere.dir = "/srv/elsewhere";
	no_dir.dir = NULL;
	assert_int_equal(proc_kill_leftovers(0, &elsewhere), 0);
	assert_int_equal(proc_kill_leftovers(0, &no_dir), 0);
	pid_t other = spawn_sh("sleep 30 & echo $!; wait", attempt1, line, sizeof(line));
	wait_sleep((pid_t)atol(line));
	wait_env((pid_t)atol(line), &lost);
	assert_int_equal(proc_kill_leftovers(other, &no_dir), 2);
	assert_int_equal(reaped_signal(other), SIGKILL);
	assert_int_equal(reaped_signal((pid_t)atol(line)), SIGKILL);
	pid_t ppid, pgrp;
	assert_int_equal(proc_parent_group(escaped, &ppid, &pgrp), 0);
	/* with it, the group and what escaped it, not the retry */
	assert_int_equal(proc_kill_leftovers(group, &lost), 3);
	assert_int_equal(reaped_signal(group), SIGKILL);
	assert_int_equal(reaped_signal(bg), SIGKILL);
	assert_int_equal(reaped_signal(escaped), SIGKILL);
	assert_int_equal(proc_parent_group(retry, &ppid, &pgrp), 0); /* the retry lives on */
	/* with no group recorded, by the environment alone */
	pid_t late = spawn_sh("echo ready; exec sleep 30", attempt1, line, sizeof(line));
	wait_sleep(late);
	wait_env(late, &lost);
	assert_int_equal(proc_kill_leftovers(0, &lost), 1);
	assert_int_equal(reaped_signal(late), SIGKILL);
	assert_int_equal(proc_parent_group(retry, &ppid, &pgrp), 0);
	stop(retry);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(dir_var);
	free(dir);
}

/* ---- signals ---- */

static void test_signal_names(void **unused)
{
	char buf[32];
	assert_string_equal(proc_signal_name(SIGKILL, buf, sizeof(buf)), "SIGKILL");
	assert_string_equal(proc_signal_name(SIGTERM, buf, sizeof(buf)), "SIGTERM");
	assert_string_equal(proc_signal_name(SIGSYS, buf, sizeof(buf)), "SIGSYS");
	assert_string_equal(proc_signal_name(SIGRTMIN + 2, buf, sizeof(buf)), "SIGRTMIN+2");
	assert_string_equal(proc_signal_name(0, buf, sizeof(buf)), "signal 0");
	assert_string_equal(proc_signal_name(200, buf, sizeof(buf)), "signal 200");
	assert_string_equal(proc_killed_by(SIGKILL, buf, sizeof(buf)), "killed by signal KILL");
	assert_string_equal(proc_killed_by(SIGUSR1, buf, sizeof(buf)), "killed by signal USR1");
	assert_string_equal(proc_killed_by(200, buf, sizeof(buf)), "killed by signal 200");
}

/* ---- capturing a command's output ---- */

static void test_capture_output_and_status(void **unused)
{
	char *echo[] = { "echo", "hello", NULL };
	struct proc_cmd cmd = { .argv = echo };
	struct proc_result res = capture(&cmd);
	assert_string_equal(res.out.buf, "hello\n");
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.signal, 0);
	assert_false(res.timed_out || res.out_cut || res.exec_errno || res.chdir_errno);
	proc_result_release(&res);

	char *sh[] = { "sh", "-c", "echo out; echo err >&2; echo \"$X in $PWD\"; exit 3", NULL };
	char *env[] = { "X=kwargs", NULL };
	cmd = (struct proc_cmd){ .argv = sh, .dir = "/tmp", .env_add = env,
				 .err = PROC_STDERR_CAPTURE };
	res = capture(&cmd);
	assert_string_equal(res.out.buf, "out\nkwargs in /tmp\n");
	assert_string_equal(res.err.buf, "err\n");
	assert_int_equal(res.exit_code, 3);
	proc_result_release(&res);

	char *self_kill[] = { "sh", "-c", "kill -USR1 $$", NULL };
	cmd = (struct proc_cmd){ .argv = self_kill };
	res = capture(&cmd);
	assert_int_equal(res.exit_code, -1);
	assert_int_equal(res.signal, SIGUSR1);
	proc_result_release(&res);
}

static void test_capture_is_bounded(void **unused)
{
	char *argv[] = { "sh", "-c", "yes | head -c 1000000", NULL };
	struct proc_cmd cmd = { .argv = argv, .out_max = 10 };
	struct proc_result res = capture(&cmd);
	assert_int_equal(res.out.len, 10);
	assert_string_equal(res.out.buf, "y\ny\ny\ny\ny\n");
	assert_true(res.out_cut);
	assert_int_equal(res.exit_code, 0); /* it was read to its end, never blocked */
	proc_result_release(&res);
}

static void test_capture_start_failures(void **unused)
{
	char *missing[] = { "/nonexistent/stau-cmd", NULL };
	struct proc_cmd cmd = { .argv = missing };
	struct proc_result res = capture(&cmd);
	assert_int_equal(res.exec_errno, ENOENT);
	assert_int_equal(res.exit_code, 127);
	proc_result_release(&res);

	char *unknown[] = { "stau-no-such-command", NULL };
	cmd = (struct proc_cmd){ .argv = unknown };
	res = capture(&cmd);
	assert_int_equal(res.exec_errno, ENOENT);
	assert_int_equal(res.chdir_errno, 0);
	proc_result_release(&res);

	char *echo[] = { "echo", NULL };
	cmd = (struct proc_cmd){ .argv = echo, .dir = "/nonexistent/dir" };
	res = capture(&cmd);
	assert_int_equal(res.chdir_errno, ENOENT);
	assert_int_equal(res.exec_errno, 0);
	assert_int_equal(res.exit_code, 127);
	proc_result_release(&res);
}

static void test_capture_time_limit_kills_the_group(void **unused)
{
	/* a background process holds the output open: only killing the group ends it */
	char *argv[] = { "sh", "-c", "sleep 30 & echo $!; sleep 30", NULL };
	struct proc_cmd cmd = { .argv = argv, .timeout_ms = 200, .grace_ms = 5000 };
	int64_t t0 = monotonic_ms();
	struct proc_result res = capture(&cmd);
	int64_t took = monotonic_ms() - t0;
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGTERM);
	assert_in_range(took, 200, 20000); /* not the 30 s sleep */
	/* its output closed, the background process is on its way out */
	struct proc_id bg;
	struct timespec ts = { 0, 1000000 };
	for (int i = 0; i < 2000 && proc_id_of((pid_t)atol(res.out.buf), &bg); i++)
		nanosleep(&ts, NULL);
	assert_int_equal(proc_id_of((pid_t)atol(res.out.buf), &bg), 0);
	proc_result_release(&res);

	/* SIGTERM ignored (and inherited by its sleep): SIGKILL after the grace */
	char *stubborn[] = { "sh", "-c", "trap '' TERM; sleep 30", NULL };
	cmd = (struct proc_cmd){ .argv = stubborn, .timeout_ms = 100, .grace_ms = 200 };
	t0 = monotonic_ms();
	res = capture(&cmd);
	took = monotonic_ms() - t0;
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGKILL);
	assert_in_range(took, 300, 20000);
	proc_result_release(&res);
}

static void test_capture_child_setup(void **unused)
{
	/* a descriptor of ours without O_CLOEXEC must not reach the command */
	int leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	char *fds[] = { "sh", "-c", "ls /proc/self/fd", NULL }; /* 3: the directory ls reads */
	struct proc_cmd cmd = { .argv = fds };
	struct proc_result res = capture(&cmd);
	assert_string_equal(res.out.buf, "0\n1\n2\n3\n");
	proc_result_release(&res);
	close(leak);

	/* stdin is /dev/null; the command leads its own process group */
	char *setup[] = { "sh", "-c",
			  "readlink /proc/$$/fd/0; test \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ "
			  "&& echo leader",
			  NULL };
	cmd = (struct proc_cmd){ .argv = setup };
	res = capture(&cmd);
	assert_string_equal(res.out.buf, "/dev/null\nleader\n");
	proc_result_release(&res);

	/* stderr to /dev/null */
	char *err[] = { "sh", "-c", "readlink /proc/$$/fd/2", NULL };
	cmd = (struct proc_cmd){ .argv = err, .err = PROC_STDERR_NULL };
	res = capture(&cmd);
	assert_string_equal(res.out.buf, "/dev/null\n");
	proc_result_release(&res);
}

static void test_capture_default_signals(void **unused)
{
	/* what stau's parent ignored, and what stau blocks, does not reach the command */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_alrm, old_tstp;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGALRM, &ign, &old_alrm);
	sigaction(SIGTSTP, &ign, &old_tstp);
	sigset_t usr1, old_mask;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old_mask);
#if defined(__x86_64__) || defined(__aarch64__)
	/* and signal 33, which glibc keeps for itself, ignored through the system call (the
	 * kernel's struct sigaction of these two architectures: handler, flags, restorer, mask) */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } kign = {
		.handler = (void *)SIG_IGN };
	assert_int_equal(syscall(SYS_rt_sigaction, 33, &kign, NULL, 8), 0);
#endif
	char *argv[] = { "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL };
	struct proc_cmd cmd = { .argv = argv };
	struct proc_result res = capture(&cmd);
	assert_string_equal(res.out.buf, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	proc_result_release(&res);
#if defined(__x86_64__) || defined(__aarch64__)
	kign.handler = (void *)SIG_DFL;
	assert_int_equal(syscall(SYS_rt_sigaction, 33, &kign, NULL, 8), 0);
#endif
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGALRM, &old_alrm, NULL);
	sigaction(SIGTSTP, &old_tstp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_parent_and_group),
		cmocka_unit_test(test_environment_names_a_chunk),
		cmocka_unit_test(test_kill_leftovers),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_capture_output_and_status),
		cmocka_unit_test(test_capture_is_bounded),
		cmocka_unit_test(test_capture_start_failures),
		cmocka_unit_test(test_capture_time_limit_kills_the_group),
		cmocka_unit_test(test_capture_child_setup),
		cmocka_unit_test(test_capture_default_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
