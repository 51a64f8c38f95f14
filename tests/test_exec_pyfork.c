/* test_exec_pyfork.c - the Python runner and its client against a real python3 ($STAU_PYTHON
 * if set): one import for many chunks, each chunk its own process with its own environment,
 * random draws, exit status and log; a broken module; signals; the runner's end. SIGCHLD is
 * blocked throughout, as it is in stau while its executor exists. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec_pyfork.h"
#include "util.h"

static char dir[] = "/tmp/stau-test-pyfork.XXXXXX";

/* The job module: it counts its imports in a file, keeps state a chunk could change, and
 * does what kwargs "do" says. */
static const char module_py[] =
	"import atexit, os, random, sys, time\n"
	"with open(os.path.join(os.environ['T_DIR'], 'imports'), 'a') as f:\n"
	"    f.write('%d\\n' % os.getpid())\n"
	"atexit.register(lambda: open(os.path.join(os.environ['T_DIR'], 'import-atexit'), 'a')"
	".write('ran\\n'))\n"
	"STATE = []\n"
	"def main(work_ids, **kw):\n"
	"    STATE.append(1)\n"
	"    print('pid=%d state=%d chunk=%s rand=%r cwd=%s' % (os.getpid(), len(STATE),\n"
	"          os.environ.get('STAU_CHUNK_ID'), random.random(), os.getcwd()))\n"
	"    what = kw.get('do')\n"
	"    if what == 'raise': raise ValueError('chunk failed on purpose')\n"
	"    if what == 'exit': sys.exit(kw['code'])\n"
	"    if what == 'interrupt': raise KeyboardInterrupt()\n"
	"    if what == 'count': print('count=%d sum=%d first=%d last=%d' % (len(work_ids),\n"
	"          sum(work_ids), work_ids[0], work_ids[-1]))\n"
	"    if what == 'buffered': sys.stdout.write('no newline at the end')\n"
	"    if what == 'atexit': atexit.register(lambda: print('chunk atexit ran'))\n"
	"    if what == 'fds': print('fds=' + ','.join(sorted(os.listdir('/proc/self/fd'))))\n"
	"    if what == 'pool':\n"
	"        import multiprocessing\n"
	"        with multiprocessing.Pool(2) as p: print('pool=%d' % sum(p.map(abs, range(-5, 5))))\n"
	"    if what == 'sleep':\n"
	"        import subprocess\n"
	"        p = subprocess.Popen(['sleep', '60'])\n"
	"        with open('grandchild', 'w') as f: f.write('%d' % p.pid)\n"
	"        print('sleeping', flush=True)\n"
	"        time.sleep(60)\n"
	"def sel(**kw):\n"
	"    what = kw.get('do')\n"
	"    if what == 'raise': raise RuntimeError('select failed on purpose')\n"
	"    if what == 'str': return 'abc'\n"
	"    if what == 'float': return [1, 2.5]\n"
	"    if what == 'sleep': time.sleep(60)\n"
	"    if what == 'exit': sys.exit(4)\n"
	"    return [5, 3, kw.get('extra', 9)] + list(range(100, 100 + kw.get('n', 0)))\n";

static char python_path[4096];

/* $STAU_PYTHON, else the interpreter python3 in PATH stands for, found once: a pyenv shim
 * would otherwise add a second to each runner's start. */
static const char *python(void)
{
	const char *p = getenv("STAU_PYTHON");
	if (p && *p)
		return p;
	if (!python_path[0]) {
		FILE *f = popen("python3 -c 'import sys; print(sys.executable)'", "r");
		if (!f || !fgets(python_path, sizeof(python_path), f))
			strcpy(python_path, "python3");
		python_path[strcspn(python_path, "\n")] = '\0';
		if (f)
			pclose(f);
	}
	return python_path;
}

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_text(const char *name, const char *text)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

/* The file's text, "" when it does not exist. */
static char *read_text(const char *name)
{
	char *p = path_in(name);
	char *t = read_file(p, NULL);
	free(p);
	return t ? t : xstrdup("");
}

static void remove_file(const char *name)
{
	char *p = path_in(name);
	unlink(p);
	free(p);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int setup(void **unused)
{
	strcpy(dir, "/tmp/stau-test-pyfork.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char *jobs = path_in("jobs");
	int rc = mkdir(jobs, 0700);
	free(jobs);
	write_text("jobs/mod.py", module_py);
	return rc;
}

static int teardown(void **unused)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

/* A runner of jobs/FILE's main_func FUNC, waited for until it is no longer STARTING. */
static struct pyfork *start(const char *file, const char *func)
{
	char *job = xasprintf("./jobs/%s", file);
	char *tdir = xasprintf("T_DIR=%s", dir);
	char *env[] = { tdir, NULL };
	struct pyfork_opts o = { .python = python(), .job_file = job, .main_func = func,
				 .dir = dir, .env_add = env, .out_fd = -1 };
	struct pyfork *r = NULL;
	char err[256] = "";
	assert_int_equal(pyfork_start(&o, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_not_equal(pyfork_wait_ready(r, 60000), PYFORK_STARTING);
	free(job);
	free(tdir);
	return r;
}

static char *log_name(uint64_t token)
{
	return xasprintf("log-%llu", (unsigned long long)token);
}

/* Starts chunk token with kwargs, ids and the environment STAU_CHUNK_ID=token. */
static pid_t chunk_ids(struct pyfork *r, uint64_t token, const char *kwargs, const int64_t *ids,
		       size_t n, const char *ids_file)
{
	char *log = log_name(token);
	char *path = path_in(log);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	char *id = xasprintf("STAU_CHUNK_ID=%llu", (unsigned long long)token);
	char *env[] = { id, NULL };
	struct pyfork_chunk c = { .ids = ids, .n_ids = n, .ids_file = ids_file,
				  .kwargs_json = kwargs, .env_add = env, .cwd = dir, .log_fd = fd };
	pid_t pid = 0;
	char err[256] = "";
	assert_int_equal(pyfork_chunk(r, &c, token, &pid, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(pid > 0);
	close(fd);
	free(id);
	free(path);
	free(log);
	return pid;
}

static pid_t chunk(struct pyfork *r, uint64_t token, const char *kwargs)
{
	static const int64_t ids[] = { 1, 2, 3, 7 };
	return chunk_ids(r, token, kwargs, ids, 4, NULL);
}

/* The next EXIT event, after READY if that is still queued (other events fail the test). */
static struct pyfork_event next_exit(struct pyfork *r)
{
	struct pyfork_event ev;
	do
		assert_int_equal(pyfork_next(r, 60000, &ev), 1);
	while (ev.kind == PYFORK_EV_READY);
	assert_int_equal(ev.kind, PYFORK_EV_EXIT);
	return ev;
}

/* Runs one chunk to its end; returns its exit event and, in *log, its log. */
static struct pyfork_event run(struct pyfork *r, uint64_t token, const char *kwargs, char **log)
{
	pid_t pid = chunk(r, token, kwargs);
	struct pyfork_event ev = next_exit(r);
	assert_int_equal(ev.token, token);
	assert_int_equal(ev.pid, pid);
	char *name = log_name(token);
	*log = read_text(name);
	free(name);
	return ev;
}

/* Whether pid has ended (gone or a zombie), waiting up to 5 s for it. */
static bool ended(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		char *stat = xasprintf("/proc/%d/stat", (int)pid);
		char *t = read_file(stat, NULL);
		const char *state = t ? strrchr(t, ')') : NULL;
		bool gone = !state || state[2] == 'Z' || state[2] == 'X';
		free(t);
		free(stat);
		if (gone)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return false;
}

/* ---- tests ---- */

/* 20 chunks, two at a time: one import, 20 pids, fresh module state, the chunk's own
 * environment, 20 different random draws, and none of the import's atexit handlers. */
static void test_one_import_twenty_chunks(void **unused)
{
	remove_file("imports");
	struct pyfork *r = start("mod.py", "main");
	assert_int_equal(pyfork_state(r), PYFORK_READY);
	uint64_t next = 1, done = 0;
	while (done < 20) {
		while (next <= 20 && pyfork_running(r) < 2)
			chunk(r, next++, NULL);
		struct pyfork_event ev = next_exit(r);
		assert_int_equal(ev.exit_code, 0);
		assert_int_equal(ev.signal, 0);
		done++;
	}
	assert_int_equal(pyfork_running(r), 0);
	char *pids[20], *rands[20];
	for (uint64_t t = 1; t <= 20; t++) {
		char *name = log_name(t), *log = read_text(name);
		char want[64];
		snprintf(want, sizeof(want), "state=1 chunk=%llu rand=", (unsigned long long)t);
		assert_non_null(strstr(log, want));
		char *cwd = xasprintf("cwd=%s\n", dir);
		assert_non_null(strstr(log, cwd));
		pids[t - 1] = xstrndup(log, strcspn(log, " "));
		rands[t - 1] = xstrndup(strstr(log, "rand="), strcspn(strstr(log, "rand="), " "));
		for (uint64_t u = 1; u < t; u++) {
			assert_string_not_equal(pids[t - 1], pids[u - 1]);
			assert_string_not_equal(rands[t - 1], rands[u - 1]);
		}
		free(cwd);
		free(log);
		free(name);
	}
	for (int i = 0; i < 20; i++) {
		free(pids[i]);
		free(rands[i]);
	}
	char *imports = read_text("imports"), *atexits = read_text("import-atexit");
	assert_int_equal(count_lines(imports), 1);
	assert_string_equal(atexits, "");
	free(imports);
	free(atexits);
	pyfork_stop(r);
}

static void test_raise_gives_1_with_traceback(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	char *log;
	struct pyfork_event ev = run(r, 1, "{\"do\": \"raise\"}", &log);
	assert_int_equal(ev.exit_code, 1);
	assert_int_equal(ev.signal, 0);
	assert_non_null(strstr(log, "Traceback (most recent call last)"));
	assert_non_null(strstr(log, "ValueError: chunk failed on purpose"));
	free(log);
	ev = run(r, 2, NULL, &log); /* the runner goes on */
	assert_int_equal(ev.exit_code, 0);
	free(log);
	pyfork_stop(r);
}

/* sys.exit(3) is an ordinary failure (BROKEN only comes from the import); KeyboardInterrupt
 * is an exception like any other, as in one-shot mode. */
static void test_exit_codes(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	static const int codes[] = { 3, 0, 7 };
	char *log;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		char *kw = xasprintf("{\"do\": \"exit\", \"code\": %d}", codes[i]);
		struct pyfork_event ev = run(r, i + 1, kw, &log);
		assert_int_equal(ev.exit_code, codes[i]);
		assert_int_equal(pyfork_state(r), PYFORK_READY);
		free(log);
		free(kw);
	}
	struct pyfork_event ev = run(r, 9, "{\"do\": \"interrupt\"}", &log);
	assert_int_equal(ev.exit_code, 1);
	assert_non_null(strstr(log, "KeyboardInterrupt"));
	free(log);
	pyfork_stop(r);
}

/* What a chunk left in sys.stdout's buffer reaches its log; its own atexit handlers run. */
static void test_buffers_and_atexit(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	char *log;
	run(r, 1, "{\"do\": \"buffered\"}", &log);
	assert_non_null(strstr(log, "no newline at the end"));
	free(log);
	run(r, 2, "{\"do\": \"atexit\"}", &log);
	assert_non_null(strstr(log, "chunk atexit ran"));
	free(log);
	pyfork_stop(r);
}

/* A chunk has stdin, stdout and stderr open and nothing else of the runner's. */
static void test_no_stray_descriptors(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	char *log;
	run(r, 1, "{\"do\": \"fds\"}", &log);
	assert_non_null(strstr(log, "fds=0,1,2,3\n")); /* 3: listdir's own */
	free(log);
	pyfork_stop(r);
}

/* The runner holds stdin, stdout, stderr, its socket, /dev/null (a chunk's stdin) and its
 * wake-up pipe: nothing else of stau's. */
static void test_runner_descriptors(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	char *fds = xasprintf("/proc/%d/fd", (int)pyfork_pid(r));
	char *cmd = xasprintf("ls %s | sort | tr '\\n' ,", fds);
	FILE *f = popen(cmd, "r");
	char buf[256] = "";
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	pclose(f);
	assert_string_equal(buf, "0,1,2,3,4,5,6,");
	free(cmd);
	free(fds);
	pyfork_stop(r);
}

/* A chunk may use multiprocessing (its own pool, forked from the chunk). */
static void test_multiprocessing_in_a_chunk(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	char *log;
	struct pyfork_event ev = run(r, 1, "{\"do\": \"pool\"}", &log);
	assert_int_equal(ev.exit_code, 0);
	assert_non_null(strstr(log, "pool=25"));
	free(log);
	pyfork_stop(r);
}

/* A module that starts a thread at import: reported, said in each chunk's log, and the
 * chunks still run (without the thread). */
static void test_thread_at_import(void **unused)
{
	write_text("jobs/threads.py", "import threading, time\n"
				      "threading.Thread(target=time.sleep, args=(60,), daemon=True)"
				      ".start()\n"
				      "def main(work_ids): print('ran')\n");
	struct pyfork *r = start("threads.py", "main");
	assert_int_equal(pyfork_state(r), PYFORK_READY);
	assert_int_equal(pyfork_import_threads(r), 1);
	char *log;
	struct pyfork_event ev = run(r, 1, NULL, &log);
	assert_int_equal(ev.exit_code, 0);
	assert_non_null(strstr(log, "started 1 thread(s) at import"));
	assert_non_null(strstr(log, "ran\n"));
	free(log);
	pyfork_stop(r);
}

/* numpy.random draws differ between chunks too (when the interpreter has numpy). */
static void test_numpy_draws_differ(void **unused)
{
	write_text("jobs/np.py", "try:\n    import numpy\nexcept ImportError:\n    numpy = None\n"
				 "def main(work_ids):\n"
				 "    print('draw=%r' % (numpy.random.random() if numpy else None))\n");
	struct pyfork *r = start("np.py", "main");
	char *a, *b;
	run(r, 1, NULL, &a);
	run(r, 2, NULL, &b);
	if (strstr(a, "draw=None"))
		print_message("no numpy for %s: draws not compared\n", python());
	else
		assert_string_not_equal(a, b);
	free(a);
	free(b);
	pyfork_stop(r);
}

static void expect_broken(const char *file, const char *text, const char *func)
{
	write_text("jobs/bad.py", text);
	struct pyfork *r = start("bad.py", func);
	assert_int_equal(pyfork_state(r), PYFORK_BROKEN);
	struct pyfork_event ev;
	assert_int_equal(pyfork_next(r, 10000, &ev), 1);
	assert_int_equal(ev.kind, PYFORK_EV_BROKEN);
	assert_non_null(strstr(ev.text, file));
	assert_int_equal(pyfork_next(r, 10000, &ev), -1); /* once, and then nothing */
	assert_int_equal(pyfork_fd(r), -1);
	pid_t pid;
	char err[512] = "";
	struct pyfork_chunk c = { .cwd = dir, .log_fd = 2 };
	assert_int_equal(pyfork_chunk(r, &c, 1, &pid, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "stau runner: ")); /* the end of the text */
	pyfork_stop(r);
}

static void test_broken_module(void **unused)
{
	expect_broken("SyntaxError", "def main(work_ids:\n    pass\n", "main");
	expect_broken("stau runner: cannot import ./jobs/bad.py",
		      "import no_such_module_here\n", "main");
	expect_broken("No module named 'no_such_module_here'", "import no_such_module_here\n",
		      "main");
	expect_broken("stau runner: ./jobs/bad.py has no function 'nope'", "x = 1\n", "nope");
	expect_broken("ZeroDivisionError", "print('loading')\nx = 1 / 0\n", "main");
	expect_broken("loading", "print('loading')\nx = 1 / 0\n", "main");
}

/* A signal to a chunk's group ends the chunk and whatever it started; the runner reports it. */
static void test_signal_to_the_group(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	pid_t pid = chunk(r, 1, "{\"do\": \"sleep\"}");
	char *log = NULL;
	for (int i = 0; i < 1000 && !strstr(log ? log : "", "sleeping"); i++) {
		free(log);
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
		log = read_text("log-1");
	}
	free(log);
	char *g = read_text("grandchild");
	pid_t grandchild = (pid_t)atoi(g);
	free(g);
	assert_true(grandchild > 0);
	assert_int_equal(pyfork_kill(r, 1, SIGTERM), 0);
	struct pyfork_event ev = next_exit(r);
	assert_int_equal(ev.pid, pid);
	assert_int_equal(ev.signal, SIGTERM);
	assert_true(ended(grandchild));
	assert_int_equal(pyfork_kill(r, 1, SIGTERM), -1); /* its exit was read */
	assert_int_equal(errno, ESRCH);
	pid = chunk(r, 2, "{\"do\": \"sleep\"}");
	assert_int_equal(kill(-pid, SIGKILL), 0); /* as stau cancel from elsewhere does */
	ev = next_exit(r);
	assert_int_equal(ev.signal, SIGKILL);
	pyfork_stop(r);
}

/* Closing the socket ends the runner, which ends its chunks first. */
static void test_stop_ends_chunks(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	pid_t a = chunk(r, 1, "{\"do\": \"sleep\"}");
	pid_t b = chunk(r, 2, "{\"do\": \"sleep\"}");
	pid_t runner = pyfork_pid(r);
	pyfork_stop(r);
	assert_int_equal(kill(runner, 0), -1);
	assert_true(ended(a));
	assert_true(ended(b));
}

/* A runner killed outright: its chunks die with it (PR_SET_PDEATHSIG) and are reported lost. */
static void test_runner_killed(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	pid_t a = chunk(r, 1, "{\"do\": \"sleep\"}");
	assert_int_equal(kill(pyfork_pid(r), SIGKILL), 0);
	struct pyfork_event ev = next_exit(r);
	assert_int_equal(ev.token, 1);
	assert_true(ev.lost);
	assert_int_equal(pyfork_next(r, 10000, &ev), 1);
	assert_int_equal(ev.kind, PYFORK_EV_GONE);
	assert_non_null(strstr(ev.text, "killed by signal KILL"));
	assert_int_equal(pyfork_next(r, 0, &ev), -1);
	assert_int_equal(pyfork_state(r), PYFORK_GONE);
	assert_true(ended(a));
	pyfork_stop(r);
}

static int call(struct pyfork *r, const char *kwargs, int64_t timeout_ms, int64_t **ids,
		size_t *n, char **why)
{
	struct pyfork_call c = { .func = "sel", .kwargs_json = kwargs, .cwd = dir,
				 .timeout_ms = timeout_ms };
	*why = NULL;
	return pyfork_call(r, &c, ids, n, why);
}

static void expect_call_fails(struct pyfork *r, const char *kwargs, int64_t timeout_ms,
			      const char *text)
{
	int64_t *ids;
	size_t n;
	char *why;
	assert_int_equal(call(r, kwargs, timeout_ms, &ids, &n, &why), -1);
	assert_non_null(why);
	if (!strstr(why, text))
		fail_msg("'%s' not in '%s'", text, why);
	assert_null(ids);
	free(why);
}

/* select_work: {python: FUNC}: the IDs FUNC returns with the run's kwargs, or why not. */
static void test_call(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	int64_t *ids;
	size_t n;
	char *why;
	assert_int_equal(call(r, "{\"extra\": -4, \"n\": 100000}", 0, &ids, &n, &why), 0);
	assert_null(why);
	assert_int_equal(n, 100003);
	assert_int_equal(ids[0], 5);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ids[2], -4);
	assert_int_equal(ids[100002], 100099);
	free(ids);
	expect_call_fails(r, "{\"do\": \"raise\"}", 0, "RuntimeError: select failed on purpose");
	expect_call_fails(r, "{\"do\": \"raise\"}", 0, "exited with status 1");
	expect_call_fails(r, "{\"do\": \"str\"}", 0, "returned 'abc', not an iterable");
	expect_call_fails(r, "{\"do\": \"float\"}", 0, "returned 2.5 among its values");
	expect_call_fails(r, "{\"do\": \"exit\"}", 0, "exited with status 4");
	expect_call_fails(r, "{\"do\": \"sleep\"}", 300, "timed out after 300 ms");
	struct pyfork_call c = { .func = "nope", .cwd = dir };
	assert_int_equal(pyfork_call(r, &c, &ids, &n, &why), -1);
	assert_non_null(strstr(why, "has no function 'nope'"));
	free(why);
	pyfork_stop(r);
}

/* A chunk that ends during a call is kept for pyfork_next. */
static void test_exit_during_call_is_kept(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	chunk(r, 1, NULL);
	int64_t *ids;
	size_t n;
	char *why;
	expect_call_fails(r, "{\"do\": \"sleep\"}", 1000, "timed out");
	struct pyfork_event ev;
	assert_int_equal(pyfork_next(r, 0, &ev), 1);
	assert_int_equal(ev.kind, PYFORK_EV_READY);
	assert_int_equal(pyfork_next(r, 0, &ev), 1); /* no wait: it was queued */
	assert_int_equal(ev.kind, PYFORK_EV_EXIT);
	assert_int_equal(ev.token, 1);
	assert_int_equal(call(r, NULL, 0, &ids, &n, &why), 0);
	assert_int_equal(n, 3);
	free(ids);
	pyfork_stop(r);
}

static void expect_count(struct pyfork *r, uint64_t token, const int64_t *ids, size_t n,
			 const char *ids_file, const char *want)
{
	chunk_ids(r, token, "{\"do\": \"count\"}", ids, n, ids_file);
	struct pyfork_event ev = next_exit(r);
	assert_int_equal(ev.exit_code, 0);
	char *name = log_name(token), *log = read_text(name);
	if (!strstr(log, want))
		fail_msg("'%s' not in '%s'", want, log);
	free(log);
	free(name);
}

/* Work IDs of every shape and size reach main_func as they were given. */
static void test_work_ids(void **unused)
{
	struct pyfork *r = start("mod.py", "main");
	size_t n = 300000;
	int64_t *ids = xcalloc(n, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = (int64_t)(2 * i) - 10; /* not consecutive: no ranges */
	expect_count(r, 1, ids, n, NULL, "count=300000 sum=89996700000 first=-10 last=599988");
	char *file = path_in("ids");
	FILE *f = fopen(file, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%lld\n", (long long)ids[i]);
	fclose(f);
	expect_count(r, 2, ids, n, file, "count=300000 sum=89996700000");
	for (size_t i = 0; i < n; i++)
		ids[i] = (int64_t)i + 1;
	ids[n - 1] = INT64_MAX;
	ids[n - 2] = INT64_MAX - 1;
	expect_count(r, 3, ids, n, NULL, "first=1 last=9223372036854775807");
	ids[0] = INT64_MIN;
	expect_count(r, 4, ids, 3, NULL, "count=3 sum=-9223372036854775803 first=-9223372036854775808");
	free(file);
	free(ids);
	pyfork_stop(r);
}

static void test_no_interpreter(void **unused)
{
	struct pyfork_opts o = { .python = "/nonexistent/python3", .job_file = "./jobs/mod.py",
				 .main_func = "main", .dir = dir, .out_fd = -1 };
	struct pyfork *r = NULL;
	char err[256] = "";
	assert_int_equal(pyfork_start(&o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'/nonexistent/python3': No such file or directory"));
	assert_null(r);
}

int main(void)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_import_twenty_chunks),
		cmocka_unit_test(test_raise_gives_1_with_traceback),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_buffers_and_atexit),
		cmocka_unit_test(test_no_stray_descriptors),
		cmocka_unit_test(test_runner_descriptors),
		cmocka_unit_test(test_multiprocessing_in_a_chunk),
		cmocka_unit_test(test_thread_at_import),
		cmocka_unit_test(test_numpy_draws_differ),
		cmocka_unit_test(test_broken_module),
		cmocka_unit_test(test_signal_to_the_group),
		cmocka_unit_test(test_stop_ends_chunks),
		cmocka_unit_test(test_runner_killed),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_exit_during_call_is_kept),
		cmocka_unit_test(test_work_ids),
		cmocka_unit_test(test_no_interpreter),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
