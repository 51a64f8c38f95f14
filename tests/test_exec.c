/* test_exec.c - the local executor: exit codes, signals, exec failures, environment, logs,
 * timeouts and process groups, with real child processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "util.h"

static char dir[] = "/tmp/stau-test-exec.XXXXXX";

static int make_tmpdir(void **unused)
{
	strcpy(dir, "/tmp/stau-test-exec.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_tmpdir(void **unused)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

/* The executor under test, with one child at a time started through run(). */
struct fixture {
	struct exec_runner ex;
	char *log;
	struct exec_result res;
	uint64_t token;
};

static void fixture_init(struct fixture *f)
{
	char err[256];
	memset(f, 0, sizeof(*f));
	assert_int_equal(exec_local_new(&f->ex, err, sizeof(err)), 0);
	f->log = xasprintf("%s/logs/job/1-1-1.log", dir);
}

static void fixture_release(struct fixture *f)
{
	f->ex.ops->destroy(f->ex.self);
	free(f->log);
}

static pid_t start_limited(struct fixture *f, char *const *argv, char *const *env,
			   int64_t timeout_ms, uint64_t token, int64_t log_limit)
{
	struct exec_spec spec = { .argv = argv, .env_add = env, .cwd = dir, .log_path = f->log,
				  .log_header = "stau: test", .timeout_ms = timeout_ms,
				  .log_limit = log_limit };
	char err[256] = "";
	pid_t pid = 0;
	int rc = f->ex.ops->start(f->ex.self, &spec, token, &pid, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(rc, 0);
	assert_true(pid > 0);
	return pid;
}

static pid_t start(struct fixture *f, char *const *argv, char *const *env, int64_t timeout_ms,
		  uint64_t token)
{
	return start_limited(f, argv, env, timeout_ms, token, 0);
}

/* Starts argv, waits for it and returns its log. */
static char *run(struct fixture *f, char *const *argv, char *const *env, int64_t timeout_ms)
{
	start(f, argv, env, timeout_ms, 7);
	assert_int_equal(f->ex.ops->wait(f->ex.self, -1, &f->token, &f->res), 1);
	assert_int_equal(f->token, 7);
	char *text = read_file(f->log, NULL);
	assert_non_null(text);
	return text;
}

static char *sh(struct fixture *f, const char *script, int64_t timeout_ms)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	return run(f, argv, NULL, timeout_ms);
}

static void test_exit_codes(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *log = sh(&f, "echo out; echo err >&2; exit 3", 0);
	assert_string_equal(log, "stau: test\nout\nerr\n[exited with status 3]\n");
	assert_int_equal(f.res.exit_code, 3);
	assert_int_equal(f.res.signal, 0);
	assert_false(f.res.timed_out);
	assert_int_equal(f.res.exec_errno, 0);
	free(log);
	log = sh(&f, "true", 0);
	assert_string_equal(log, "stau: test\n[exited with status 0]\n");
	assert_int_equal(f.res.exit_code, 0);
	free(log);
	fixture_release(&f);
}

static void test_default_signals(void **unused)
{
	/* what stau's parent ignored (a shell's trap '' ALRM TSTP), what stau ignores and what
	 * it blocks does not reach the job */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old[3];
	const int sigs[] = { SIGALRM, SIGTSTP, SIGPIPE };
	sigemptyset(&ign.sa_mask);
	for (size_t i = 0; i < 3; i++)
		sigaction(sigs[i], &ign, &old[i]);
	sigset_t usr1, old_mask;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old_mask);
	struct fixture f;
	fixture_init(&f); /* the executor takes the dispositions it must reset now */
	char *argv[] = { "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL };
	char *log = run(&f, argv, NULL, 0);
	assert_string_equal(log, "stau: test\nSigBlk:\t0000000000000000\n"
			    "SigIgn:\t0000000000000000\n[exited with status 0]\n");
	free(log);
	fixture_release(&f);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (size_t i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
}

static void test_log_is_private_and_truncated(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *log = sh(&f, "echo a long first line of output", 0);
	free(log);
	log = sh(&f, "echo b", 0);
	assert_string_equal(log, "stau: test\nb\n[exited with status 0]\n");
	free(log);
	struct stat st;
	assert_int_equal(stat(f.log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *logs = xasprintf("%s/logs/job", dir);
	assert_int_equal(stat(logs, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(logs);
	fixture_release(&f);
}

static void test_killed_by_signal(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *log = sh(&f, "kill -USR1 $$", 0);
	assert_string_equal(log, "stau: test\n[killed by signal USR1]\n");
	assert_int_equal(f.res.signal, SIGUSR1);
	assert_false(f.res.timed_out);
	free(log);
	fixture_release(&f);
}

static void test_exec_failure_errno(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *missing[] = { "/nonexistent/job", NULL };
	char *log = run(&f, missing, NULL, 0);
	assert_string_equal(log, "stau: test\nstau: cannot execute '/nonexistent/job': No such "
				 "file or directory\n[could not be started]\n");
	assert_int_equal(f.res.exec_errno, ENOENT);
	assert_int_equal(f.res.exit_code, 127);
	free(log);

	char *path = xasprintf("%s/not-executable", dir);
	assert_int_equal(write_file_atomic(path, "#!/bin/sh\n", 10, 0644), 0);
	char *noexec[] = { path, NULL };
	log = run(&f, noexec, NULL, 0);
	assert_int_equal(f.res.exec_errno, EACCES);
	assert_non_null(strstr(log, "': Permission denied\n"));
	free(log);
	free(path);

	char *unknown[] = { "stau-no-such-program", NULL };
	log = run(&f, unknown, NULL, 0);
	assert_int_equal(f.res.exec_errno, ENOENT);
	free(log);
	fixture_release(&f);
}

static void test_log_not_writable(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *file = xasprintf("%s/plain", dir);
	assert_int_equal(write_file_atomic(file, "", 0, 0600), 0);
	char *bad = xasprintf("%s/plain/x.log", dir);
	char *argv[] = { "/bin/true", NULL };
	struct exec_spec spec = { .argv = argv, .cwd = dir, .log_path = bad };
	char err[512];
	pid_t pid;
	assert_int_equal(f.ex.ops->start(f.ex.self, &spec, 1, &pid, err, sizeof(err)), -1);
	char *want = xasprintf("cannot create log file '%s': Not a directory", bad);
	assert_string_equal(err, want);
	assert_int_equal(f.ex.ops->running(f.ex.self), 0);
	free(want);
	free(bad);
	free(file);
	fixture_release(&f);
}

static void test_environment_and_cwd(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	setenv("STAU_TEST_INHERITED", "kept", 1);
	setenv("STAU_TEST_OVERRIDDEN", "old", 1);
	char *env[] = { "STAU_TEST_OVERRIDDEN=new", "STAU_TEST_ADDED=a=b", NULL };
	char *argv[] = { "sh", "-c",
			 "echo \"$STAU_TEST_INHERITED $STAU_TEST_OVERRIDDEN $STAU_TEST_ADDED\"; "
			 "env | grep -c '^STAU_TEST_OVERRIDDEN='; pwd; cat",
			 NULL };
	char *log = run(&f, argv, env, 0);
	char *want = xasprintf("stau: test\nkept new a=b\n1\n%s\n[exited with status 0]\n", dir);
	assert_string_equal(log, want);
	free(want);
	free(log);
	unsetenv("STAU_TEST_INHERITED");
	unsetenv("STAU_TEST_OVERRIDDEN");
	fixture_release(&f);
}

static void test_path_of_env_add_is_searched(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *bin = xasprintf("%s/bin", dir);
	assert_int_equal(mkdir(bin, 0700), 0);
	char *prog = xasprintf("%s/only-here", bin);
	assert_int_equal(write_file_atomic(prog, "#!/bin/sh\necho found\n", 21, 0700), 0);
	char *path = xasprintf("PATH=%s:/usr/bin:/bin", bin);
	char *env[] = { path, NULL };
	char *argv[] = { "only-here", NULL };
	char *log = run(&f, argv, env, 0);
	assert_string_equal(log, "stau: test\nfound\n[exited with status 0]\n");
	free(log);
	free(path);
	free(prog);
	free(bin);
	fixture_release(&f);
}

static void test_timeout_terminates(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *argv[] = { "sleep", "5", NULL };
	char *log = run(&f, argv, NULL, 200);
	assert_string_equal(log, "stau: test\n[timed out after 200ms]\n");
	assert_true(f.res.timed_out);
	assert_int_equal(f.res.signal, SIGTERM);
	assert_in_range(f.res.duration_ms, 200, 2000);
	free(log);
	fixture_release(&f);
}

/* Whether process pid, a child of this (subreaper) process, was killed by a signal. */
static int reaped_signal(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

static pid_t read_pid(const char *file)
{
	char *text = read_file(file, NULL);
	assert_non_null(text);
	pid_t pid = (pid_t)atol(text);
	free(text);
	return pid;
}

static void test_timeout_reaches_grandchildren(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	/* orphaned grandchildren become our children, so we can see how they ended */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *script = xasprintf("sleep 5 & echo $! > %s/gc.pid; wait", dir);
	char *log = sh(&f, script, 200);
	assert_true(f.res.timed_out);
	char *file = xasprintf("%s/gc.pid", dir);
	assert_int_equal(reaped_signal(read_pid(file)), SIGTERM);
	free(file);
	free(script);
	free(log);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	fixture_release(&f);
}

static void test_kill_and_wait_limits(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	uint64_t token;
	struct exec_result res;
	assert_int_equal(f.ex.ops->wait(f.ex.self, 0, &token, &res), -1);
	char *argv[] = { "sleep", "5", NULL };
	start(&f, argv, NULL, 0, 41);
	start(&f, argv, NULL, 0, 42);
	assert_int_equal(f.ex.ops->running(f.ex.self), 2);
	assert_int_equal(f.ex.ops->wait(f.ex.self, 50, &token, &res), 0);
	assert_int_equal(f.ex.ops->signal(f.ex.self, 42, SIGINT), 0);
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &token, &res), 1);
	assert_int_equal(token, 42);
	assert_int_equal(res.signal, SIGINT);
	assert_false(res.timed_out);
	assert_int_equal(f.ex.ops->running(f.ex.self), 1);
	assert_int_equal(f.ex.ops->signal(f.ex.self, 99, SIGINT), -1);
	fixture_release(&f); /* destroy ends the other one */
}

static void test_destroy_kills_groups(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *script = xasprintf("sleep 5 & echo $! > %s/gc.pid; wait", dir);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	start(&f, argv, NULL, 0, 1);
	char *file = xasprintf("%s/gc.pid", dir);
	char *text;
	/* wait until the shell has written the grandchild's pid: poll the executor, not a clock */
	while (!(text = read_file(file, NULL)) || !*text) {
		uint64_t token;
		struct exec_result res;
		free(text);
		assert_int_equal(f.ex.ops->wait(f.ex.self, 10, &token, &res), 0);
	}
	free(text);
	pid_t gc = read_pid(file);
	fixture_release(&f);
	assert_int_equal(reaped_signal(gc), SIGTERM);
	free(file);
	free(script);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* ---- what a child leaves in its process group ---- */

static void test_leftovers_get_sigterm_at_once(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *script = xasprintf("sleep 30 & echo $! > %s/a.pid; sleep 30 & echo $! > %s/b.pid; "
				 "echo started", dir, dir);
	char *log = sh(&f, script, 0);
	/* the outcome is the child's own, told when it ended */
	assert_int_equal(f.res.exit_code, 0);
	assert_true(f.res.duration_ms < 20000); /* not the 30 s of its sleeps */
	assert_string_equal(log, "stau: test\nstarted\n[stau: SIGTERM to the processes it left "
			    "in its process group]\n[exited with status 0]\n");
	char *a = xasprintf("%s/a.pid", dir), *b = xasprintf("%s/b.pid", dir);
	assert_int_equal(reaped_signal(read_pid(a)), SIGTERM);
	assert_int_equal(reaped_signal(read_pid(b)), SIGTERM);
	/* a child that leaves nothing gets no such line */
	free(log);
	log = sh(&f, "sleep 0.01 & wait", 0);
	assert_string_equal(log, "stau: test\n[exited with status 0]\n");
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(log);
	free(a);
	free(b);
	free(script);
	fixture_release(&f);
}

/* A script that leaves a process ignoring SIGTERM, its pid in DIR/gc.pid. */
#define IGNORES_TERM "sh -c 'trap \"\" TERM; echo $$ > %1$s/gc.pid.new; exec sleep 30' & " \
	"while [ ! -s %1$s/gc.pid.new ]; do :; done; mv %1$s/gc.pid.new %1$s/gc.pid"

static void test_leftovers_that_stay_get_sigkill(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *script = xasprintf(IGNORES_TERM "; echo started", dir);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	char *other[] = { "sleep", "30", NULL };
	start(&f, argv, NULL, 0, 1);
	start(&f, other, NULL, 0, 2); /* keeps the executor's wait loop running */
	uint64_t token;
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &token, &f.res), 1);
	assert_int_equal(token, 1);
	int64_t ended = monotonic_ms();
	char *file = xasprintf("%s/gc.pid", dir);
	pid_t gc = read_pid(file);
	int status;
	while (waitpid(gc, &status, WNOHANG) == 0) {
		assert_int_equal(f.ex.ops->wait(f.ex.self, 50, &token, &f.res), 0);
		assert_true(monotonic_ms() - ended < 25000);
	}
	int64_t took = monotonic_ms() - ended;
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_in_range(took, 1900, 20000); /* the grace: 2 s, not the 30 s sleep */
	/* give the executor a moment to see the group empty and close the log */
	assert_int_equal(f.ex.ops->wait(f.ex.self, 100, &token, &f.res), 0);
	char *log = read_file(f.log, NULL);
	assert_string_equal(log, "stau: test\nstarted\n[stau: SIGTERM to the processes it left "
			    "in its process group]\n[exited with status 0]\n[stau: SIGKILL to the "
			    "processes it left in its process group]\n");
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(log);
	free(file);
	free(script);
	fixture_release(&f);
}

static void test_destroy_ends_leftovers(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *script = xasprintf(IGNORES_TERM, dir);
	free(sh(&f, script, 0));
	char *file = xasprintf("%s/gc.pid", dir);
	int64_t t0 = monotonic_ms();
	fixture_release(&f); /* no child runs: the leftover waits for the destroy */
	assert_in_range(monotonic_ms() - t0, 1000, 20000); /* not the 30 s sleep */
	assert_int_equal(reaped_signal(read_pid(file)), SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(file);
	free(script);
}

/* ---- the log's limit ---- */

static void test_log_limit(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *argv[] = { "/bin/sh", "-c", "echo first; seq 1 1000000; echo last", NULL };
	start_limited(&f, argv, NULL, 0, 1, 65536);
	uint64_t token;
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &token, &f.res), 1);
	assert_int_equal(f.res.exit_code, 0);
	size_t len;
	char *log = read_file(f.log, &len);
	assert_true(len <= 65536 + 32); /* and the trailer */
	assert_memory_equal(log, "stau: test\nfirst\n1\n2\n", 19);
	assert_non_null(strstr(log, " bytes cut here to keep the log within log_limit 64K]\n"));
	const char *end = "999999\n1000000\nlast\n[exited with status 0]\n";
	assert_string_equal(log + len - strlen(end), end);
	free(log);
	/* a child that writes little is left alone */
	start_limited(&f, argv + 1, NULL, 0, 1, 0); /* "-c" fails to exec: a short log */
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &token, &f.res), 1);
	log = read_file(f.log, NULL);
	assert_null(strstr(log, "cut here"));
	free(log);
	fixture_release(&f);
}

/* ---- chunks of other stau processes ---- */

/* The record of a chunk started by this process as child, with its STAU_* variables. */
/* ---- the job file while a chunk starts ---- */

/* Writes dir/job.sh, an executable script that sleeps ms milliseconds; returns its path. */
static char *write_job(int ms)
{
	char *path = xasprintf("%s/job.sh", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nsleep %d.%03d\necho ran\n", ms / 1000, ms % 1000);
	fclose(f);
	chmod(path, 0700);
	return path;
}

static void start_job(struct fixture *f, const char *path)
{
	char *argv[] = { (char *)path, NULL };
	struct exec_spec spec = { .argv = argv, .cwd = dir, .log_path = f->log,
				  .job_file = "job.sh" };
	char err[256] = "";
	pid_t pid = 0;
	assert_int_equal(f->ex.ops->start(f->ex.self, &spec, 1, &pid, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* The hash of the file a chunk started from is reported; a write to it while the chunk
 * starts marks the result. */
static void test_job_file_written_while_starting(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	char *path = write_job(0);
	size_t len;
	char *text = read_file(path, &len);
	char *want = xasprintf("fnv1a64:%016llx",
			       (unsigned long long)hash_fnv1a(HASH_FNV1A_INIT, text, len));
	start_job(&f, path);
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &f.token, &f.res), 1);
	assert_int_equal(f.res.exit_code, 0);
	assert_false(f.res.file_changed);
	assert_string_equal(f.res.file_hash, want);

	free(path);
	path = write_job(300);
	start_job(&f, path);
	FILE *w = fopen(path, "a"); /* an edit while it starts */
	assert_non_null(w);
	fputs("# edited\n", w);
	fclose(w);
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &f.token, &f.res), 1);
	assert_true(f.res.file_changed);
	free(want);
	free(text);
	free(path);
	fixture_release(&f);
}

/* execve refused with ETXTBSY (a writer has the file open) is tried again. (Not under
 * valgrind, which cannot go on after an execve that failed.) */
static void test_text_file_busy_is_retried(void **unused)
{
	/* valgrind ends a process whose execve fails, as the first attempts here must: this
	 * case runs in `make unit` and `make unit-asan`, not under valgrind */
	const char *preload = getenv("LD_PRELOAD");
	if (preload && strstr(preload, "vgpreload")) {
		print_message("an execve that fails kills valgrind: checked without it\n");
		skip();
	}
	struct fixture f;
	fixture_init(&f);
	char *path = write_job(0);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t holder = fork();
	if (holder == 0) { /* holds the file open for writing for 200 ms */
		int fd = open(path, O_WRONLY);
		if (write(ready[1], "x", 1) != 1 || fd < 0)
			_exit(1);
		usleep(200000);
		_exit(0);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	start_job(&f, path);
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &f.token, &f.res), 1);
	assert_int_equal(f.res.exec_errno, 0);
	assert_int_equal(f.res.exit_code, 0);
	int status;
	assert_int_equal(waitpid(holder, &status, 0), holder);
	close(ready[0]);
	close(ready[1]);
	free(path);
	fixture_release(&f);
}

static struct exec_record record(pid_t child)
{
	struct exec_record r = { .run = 1, .chunk = 5, .attempt = 1, .dir = dir, .child = child };
	assert_int_equal(proc_self(&r.owner), 0);
	return r;
}

static char *chunk_env[] = { "STAU_RUN_ID=1", "STAU_CHUNK_ID=5", "STAU_ATTEMPT=1", NULL };

/* Waits until process pid shows the chunk's environment: while a process execs, its
 * environment reads as empty for a moment. */
static void wait_env(struct fixture *f, pid_t pid)
{
	struct proc_chunk_env want = { .run = 1, .chunk = 5, .attempt = 1 };
	uint64_t token;
	while (proc_env_names(pid, &want) != PROC_ENV_MATCH)
		assert_int_equal(f->ex.ops->wait(f->ex.self, 1, &token, &f->res), 0);
}

static void test_signal_recorded_checks_the_chunk(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	uint64_t token;
	char *argv[] = { "sleep", "5", NULL };
	struct exec_record r = record(start(&f, argv, chunk_env, 0, 1));
	wait_env(&f, r.child);
	assert_true(f.ex.ops->owner_alive(f.ex.self, &r));
	/* what is not sure to be the chunk's gets nothing */
	struct exec_record other = r;
	other.chunk = 6; /* the process names chunk 5 */
	assert_int_equal(f.ex.ops->signal_recorded(f.ex.self, &other, SIGTERM), EXEC_ENDED);
	other = r;
	other.owner.start++; /* the owner is gone, its pid reused */
	assert_false(f.ex.ops->owner_alive(f.ex.self, &other));
	assert_int_equal(f.ex.ops->signal_recorded(f.ex.self, &other, SIGTERM), EXEC_OWNER_LOST);
	other = r;
	other.child = 0;
	assert_int_equal(f.ex.ops->signal_recorded(f.ex.self, &other, SIGTERM), EXEC_NOT_STARTED);
	pid_t lone = fork(); /* our child, but in our own process group */
	if (lone == 0) {
		pause();
		_exit(0);
	}
	other.child = lone;
	assert_int_equal(f.ex.ops->signal_recorded(f.ex.self, &other, SIGTERM), EXEC_ENDED);
	kill(lone, SIGKILL);
	assert_int_equal(waitpid(lone, NULL, 0), lone);
	assert_int_equal(f.ex.ops->wait(f.ex.self, 50, &token, &f.res), 0); /* still running */
	/* the chunk itself */
	assert_int_equal(f.ex.ops->signal_recorded(f.ex.self, &r, SIGTERM), EXEC_SIGNALLED);
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &token, &f.res), 1);
	assert_int_equal(f.res.signal, SIGTERM);
	fixture_release(&f);
}

static void test_kill_lost_ends_the_group(void **unused)
{
	struct fixture f;
	fixture_init(&f);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *script = xasprintf("sleep 5 & echo $! > %s/gc.pid; wait", dir);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct exec_record r = record(start(&f, argv, chunk_env, 0, 1));
	char *file = xasprintf("%s/gc.pid", dir), *text;
	uint64_t token;
	while (!(text = read_file(file, NULL)) || !*text) {
		free(text);
		assert_int_equal(f.ex.ops->wait(f.ex.self, 10, &token, &f.res), 0);
	}
	free(text);
	wait_env(&f, read_pid(file));
	f.ex.ops->kill_lost(f.ex.self, &r);
	assert_int_equal(f.ex.ops->wait(f.ex.self, -1, &token, &f.res), 1);
	assert_int_equal(f.res.signal, SIGKILL);
	assert_int_equal(reaped_signal(read_pid(file)), SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(file);
	free(script);
	fixture_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_codes, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_default_signals, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_log_is_private_and_truncated, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_killed_by_signal, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_exec_failure_errno, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_log_not_writable, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_environment_and_cwd, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_path_of_env_add_is_searched, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_timeout_terminates, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_timeout_reaches_grandchildren, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_kill_and_wait_limits, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_signal_recorded_checks_the_chunk, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_kill_lost_ends_the_group, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_destroy_kills_groups, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_leftovers_get_sigterm_at_once, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_leftovers_that_stay_get_sigkill, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_destroy_ends_leftovers, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_log_limit, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_job_file_written_while_starting, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_text_file_busy_is_retried, make_tmpdir,
						remove_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
