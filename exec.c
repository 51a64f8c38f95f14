/* exec.c - the local executor: vfork/execve children, time them out, reap them, end what they
 * left in their process groups, keep their logs within their limits (exec_log.c); signal the
 * chunks of other stau processes and kill what lost chunks left, through proc.c.
 *
 * Why it looks like this:
 *   - Everything that can fail in a way the caller should hear about (the log file, the pipe,
 *     vfork) happens in the parent, so start() returns the reason. The parent also finds the
 *     program in the PATH the child will have (its env_add may change PATH), so that the
 *     child, which shares the parent's memory until it execs (vfork: see below), only makes
 *     system calls. What fails in the child (chdir, execve) is reported through a CLOEXEC pipe:
 *     the parent reads either nothing (exec succeeded and closed the pipe) or the child's
 *     errno, so exec_errno is exact. The child also writes "stau: cannot execute ..." into
 *     the log, which is then useful on its own.
 *   - Each child is the leader of its own process group, so a timeout or destroy reaches
 *     everything the job started (a shell's children, a Python pool). PR_SET_PDEATHSIG makes
 *     the child die with its stau (docs/design.md, "Lost-runner recovery"); the getppid()
 *     check closes the window in which stau died between vfork and prctl.
 *   - The group is the chunk: when the child is reaped, what it left in its group gets
 *     SIGTERM at once, and SIGKILL LEFTOVER_GRACE_MS later. The outcome is told at once; the
 *     group is then a "leftover" that the wait loop looks at every LEFTOVER_LOOK_MS until it
 *     is empty, and destroy waits for (docs/design.md, "Starting a chunk"). Telling an empty
 *     group costs one kill() per chunk, which fails with ESRCH.
 *   - Reaping is an event loop over a signalfd for SIGCHLD: SIGCHLD is blocked while an
 *     executor exists (and unblocked in each child), so a child that ends between our
 *     waitpid() and poll() leaves the signal pending and poll() returns at once: no lost
 *     wake-ups, no handler, no sleeping. (pidfds would avoid touching the signal mask, but
 *     valgrind cannot follow pidfd_open, and the tests must run under valgrind.) The poll
 *     timeout is the nearest of the caller's limit and the children's deadlines, which is
 *     how SIGTERM at the timeout and SIGKILL 10 s later are delivered.
 *   - The log is opened O_APPEND in the parent and kept open until the child is reaped and
 *     its group is empty: the header goes before the child's output, the trailer ("[exited
 *     with status 1]") after it, like nq's logs, so a log describes itself even without the
 *     database. The child writes it directly; the wait loop looks at its size now and then
 *     and keeps it within log_limit (exec_log.c).
 *   - Every descriptor above 2 is closed in the child except the error pipe, so a job can
 *     never hold stau's database or its .stau/lock flock.
 *   - A Python main_func chunk (exec_spec.python) is not started here but forked by a runner
 *     that imported its module (exec_pyrun.c): it is a struct child like the others, with the
 *     same log, timeout and signals to its group, but its exit comes on the runner's socket,
 *     which the wait loop polls beside the signalfd, and the runner has already killed what
 *     it left in its group (docs/design.md, "The Python runner").
 *   - A chunk that executes its job file has the file hashed while nothing writes to it and
 *     watched (inotify) through its first second, and ETXTBSY from execve is tried again
 *     (exec_file.c; docs/design.md, "Edits during a run"). */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec_file.h"
#include "exec_log.h"
#include "exec_pyrun.h"
#include "exec_slurm.h"
#include "proc.h"
#include "util.h"

#define KILL_GRACE_MS 10000	/* SIGTERM, then SIGKILL this much later */
#define DESTROY_GRACE_MS 2000	/* destroy: how long SIGTERM'd children get before SIGKILL */
#define LEFTOVER_GRACE_MS 2000	/* what a child left in its group: SIGTERM, then SIGKILL */
#define GIVE_UP_MS 1000		/* after that SIGKILL, how long the group may take to end */
#define LEFTOVER_LOOK_MS 20	/* how often a group with leftovers is looked at */
#define START_WINDOW_MS 1000	/* a write to the job file this early changes what ran */
#define TXTBSY_TRIES 400	/* execve failing with ETXTBSY (an editor has the file open */
#define TXTBSY_PAUSE_NS 5000000	/* for writing): tried again this often */

struct child {
	uint64_t token;
	pid_t pid;
	int logfd;
	struct exec_log log;
	int exec_errno;
	int64_t started_ms;
	int64_t timeout_ms;
	int64_t deadline_ms;	/* next action: SIGTERM (or SIGKILL when timed_out); 0 = none */
	bool timed_out;
	bool forked;		/* forked by a Python runner (exec_pyrun.h), not by us */
	bool ended;		/* forked: its end was read (code, sig, lost): never signal it
				 * again, its pid is free */
	bool broken, lost;	/* forked: the import failed (no process); its runner died */
	int code, sig;
	int wd;			/* the watch on its job file while it starts, or -1 */
	char *file;		/* its job file (exec_spec.job_file), or NULL */
	struct exec_file seen;	/* what the file was at the start */
	int64_t file_until_ms;	/* end of the start window; 0: done (or no file) */
	bool file_changed;	/* written during the start window */
};

/* The process group of a child that has been reaped, while what the child left in it runs:
 * it got SIGTERM at the reap and gets SIGKILL at kill_ms. Its log stays open, watched, and is
 * cut once the group is empty. */
struct leftover {
	pid_t group;
	int logfd;
	struct exec_log log;
	int64_t kill_ms;    /* when SIGKILL is due; 0: sent */
	int64_t give_up_ms; /* after SIGKILL: stop waiting for the group to empty */
};

struct local_exec {
	struct child *v;
	size_t n, cap;
	struct leftover *left;
	size_t nleft, capleft;
	int64_t watch_ms;	/* the next look at logs and leftovers; 0: nothing to look at */
	int sigfd;		/* signalfd for SIGCHLD */
	sigset_t oldmask;	/* the mask before we blocked SIGCHLD, restored by destroy */
	uint64_t reset;		/* the signals each child puts back to their defaults */
	struct pyrun_pool *py;	/* the Python runners, or NULL before the first */
	struct exec_watch *watch; /* job files of children that are starting, or NULL */
};

/* The earlier of two times, where 0 is none. */
static int64_t earliest(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

/* ---- the log file ---- */

static void note(int fd, const char *text)
{
	write_all(fd, text, strlen(text));
}

static int open_log(const struct exec_spec *spec, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC;
	int fd = open(spec->log_path, flags, 0600);
	if (fd < 0 && errno == ENOENT && !mkdir_parents(spec->log_path, 0700))
		fd = open(spec->log_path, flags, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create log file '%s': %s", spec->log_path,
			 strerror(errno));
		return -1;
	}
	fchmod(fd, 0600); /* an existing file keeps its mode through O_CREAT */
	const char *h = spec->log_header;
	size_t n = h ? strlen(h) : 0;
	if (n && (write_all(fd, h, n) || (h[n - 1] != '\n' && write_all(fd, "\n", 1)))) {
		snprintf(err, errlen, "cannot write log file '%s': %s", spec->log_path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- finding the program ---- */

static const char *env_value(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* The file execve should run for argv0: argv0 itself when it holds a '/', else the first
 * executable file of that name in the PATH of env (the child's, as env(1) would search it;
 * relative PATH entries are taken from cwd). NULL with *err = ENOENT or EACCES when there is
 * none. A new string. */
static char *find_program(const char *argv0, char *const *env, const char *cwd, int *err)
{
	if (strchr(argv0, '/'))
		return xstrdup(argv0);
	const char *path = env_value(env, "PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	*err = ENOENT;
	while (*argv0) {
		size_t n = strcspn(path, ":");
		char *dir = n ? xstrndup(path, n) : xstrdup(".");
		char *file = dir[0] == '/' || !cwd ? xasprintf("%s/%s", dir, argv0)
						   : xasprintf("%s/%s/%s", cwd, dir, argv0);
		free(dir);
		struct stat sb;
		if (!stat(file, &sb) && S_ISREG(sb.st_mode)) {
			if (!access(file, X_OK))
				return file;
			*err = EACCES;
		}
		free(file);
		if (!path[n])
			break;
		path += n + 1;
	}
	return NULL;
}

/* ---- the child side of vfork ----
 *
 * The child shares the parent's memory until it execs (vfork: no page tables to copy, which
 * is most of what starting a no-op chunk costs a parent of stau's size). So it only makes
 * system calls on data prepared by the parent, and never returns. Every signal is blocked
 * around vfork; the child sets each handler to the default before unblocking, so no handler
 * of stau ever runs on the shared memory. */

/* What the child was doing when it failed: the parent writes the message (strerror and
 * snprintf are not for a child that shares the parent's memory). */
enum child_step { STEP_OUTPUT, STEP_CHDIR, STEP_EXEC };

static void __attribute__((noreturn)) child_fail(int errfd, enum child_step step, int err)
{
	int report[2] = { (int)step, err };
	write_all(errfd, (const char *)report, sizeof(report));
	_exit(127);
}

struct child_plan {
	const struct exec_spec *spec;
	char *prog;	/* what to execve, or NULL: prog_errno says why not */
	int prog_errno;
	char **env;
	int logfd, errfd;
	pid_t parent;
	uint64_t reset;
};

static void __attribute__((noreturn)) run_child(const struct child_plan *cp)
{
	const struct exec_spec *spec = cp->spec;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != cp->parent)
		_exit(127); /* stau died before prctl took effect */
	proc_child_reset_signals(cp->reset);
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(cp->logfd, STDOUT_FILENO) < 0 ||
	    dup2(cp->logfd, STDERR_FILENO) < 0)
		child_fail(cp->errfd, STEP_OUTPUT, errno);
	proc_child_close_fds(cp->errfd);
	if (spec->cwd && chdir(spec->cwd))
		child_fail(cp->errfd, STEP_CHDIR, errno);
	if (!cp->prog)
		child_fail(cp->errfd, STEP_EXEC, cp->prog_errno);
	/* ETXTBSY: someone has the file open for writing (an editor saving it in place) */
	for (int i = 0; execve(cp->prog, spec->argv, cp->env) && errno == ETXTBSY &&
			i < TXTBSY_TRIES; i++)
		nanosleep(&(struct timespec){ 0, TXTBSY_PAUSE_NS }, NULL);
	child_fail(cp->errfd, STEP_EXEC, errno);
}

/* ---- the parent side ---- */

/* The errno the child reported through the pipe, or 0 when it exec'd; what failed goes to
 * the log, where the job's own output would have gone. */
static int read_exec_errno(int fd, int logfd, const struct exec_spec *spec)
{
	int report[2] = { 0, 0 };
	ssize_t r;
	do
		r = read(fd, report, sizeof(report));
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(report) || !report[1])
		return 0;
	static const char *const what[] = { "set up the output of", "change to directory",
					    "execute" };
	enum child_step step = report[0] >= STEP_OUTPUT && report[0] <= STEP_EXEC ? report[0]
										: STEP_EXEC;
	const char *arg = step == STEP_CHDIR ? spec->cwd : spec->argv[0];
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "stau: cannot %s '%s': %s\n", what[step], arg,
			 strerror(report[1]));
	if (n > 0)
		write_all(logfd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return report[1];
}

static struct child *find_child(struct local_exec *x, uint64_t token)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].token == token)
			return &x->v[i];
	return NULL;
}

/* ---- the job file while a chunk starts (docs/design.md, "Edits during a run") ---- */

/* Takes what spec's job file is before the start into *seen (its hash while nothing writes
 * to it), watching it for writes from now on: returns the watch (-1: none) and the path (a
 * new string, or NULL when there is no file to look at). */
static char *file_before_start(struct local_exec *x, const struct exec_spec *spec,
			       struct exec_file *seen, int *wd)
{
	*wd = -1;
	if (!spec->job_file)
		return NULL;
	char *path = spec->job_file[0] == '/' || !spec->cwd
			     ? xstrdup(spec->job_file)
			     : xasprintf("%s/%s", spec->cwd, spec->job_file);
	if (!x->watch)
		x->watch = exec_watch_new();
	*wd = exec_watch_add(x->watch, path);
	if (exec_file_read(path, seen)) {
		exec_watch_remove(x->watch, *wd);
		*wd = -1;
		free(path);
		return NULL; /* gone: execve says so */
	}
	return path;
}

/* The start window of c ends: a write seen meanwhile, or a status that changed, makes its
 * file changed. */
static void end_start_window(struct local_exec *x, struct child *c)
{
	if (!c->file_until_ms)
		return;
	c->file_changed |= exec_file_changed(c->file, &c->seen);
	exec_watch_remove(x->watch, c->wd);
	c->wd = -1;
	c->file_until_ms = 0;
}

/* exec_watch_read's callback: job file wd was written. */
static void file_written(void *ctx, int wd)
{
	struct local_exec *x = ctx;
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].file_until_ms && x->v[i].wd == wd)
			x->v[i].file_changed = true;
}

/* Adds a child that started at t0 (monotonic ms). */
static struct child *add_child(struct local_exec *x, const struct exec_spec *spec,
			       uint64_t token, pid_t p, int logfd, int64_t t0)
{
	grow(&x->v, &x->cap, x->n + 1, sizeof(*x->v));
	struct child *c = &x->v[x->n++];
	*c = (struct child){ .token = token, .pid = p,
			     .logfd = logfd, .log = { .limit = spec->log_limit, .seen_ms = t0 },
			     .started_ms = t0, .timeout_ms = spec->timeout_ms,
			     .deadline_ms = spec->timeout_ms > 0 ? t0 + spec->timeout_ms : 0,
			     .wd = -1 };
	if (spec->log_limit > 0)
		x->watch_ms = earliest(x->watch_ms, t0 + EXEC_LOG_FIRST_MS);
	return c;
}

/* Starts spec's Python chunk in a child that a runner forks (exec_pyrun.h); the first chunk
 * of a module's version waits for its import. A module that cannot be imported, or that was
 * written during every import tried, gives a child that has ended already (broken with exit
 * 3, or file_changed; no process: pid 0). */
static int start_forked(struct local_exec *x, const struct exec_spec *spec, int logfd,
			uint64_t token, pid_t *pid, char *err, size_t errlen)
{
	if (!x->py)
		x->py = pyrun_new();
	int64_t t0 = monotonic_ms();
	pid_t p = 0;
	char ran[32] = "";
	int rc = pyrun_chunk(x->py, spec, logfd, token, &p, ran, err, errlen);
	if (rc < 0) {
		close(logfd);
		return -1;
	}
	struct child *c = add_child(x, spec, token, p, logfd, t0);
	c->forked = true;
	snprintf(c->seen.hash, sizeof(c->seen.hash), "%s", ran);
	if (rc == 2)
		note(logfd, "stau: the job file was written during each import of it; the chunk "
			    "runs again\n");
	if (rc > 0) { /* nothing runs: broken (exit 3), or the file kept changing */
		c->ended = true;
		c->broken = rc == 1;
		c->file_changed = rc == 2;
		c->code = rc == 1 ? 3 : 0;
		c->deadline_ms = 0;
	}
	*pid = p;
	return 0;
}

static int local_start(void *self, const struct exec_spec *spec, uint64_t token, pid_t *pid,
		       char *err, size_t errlen)
{
	struct local_exec *x = self;
	int logfd = open_log(spec, err, errlen);
	if (logfd < 0)
		return -1;
	if (spec->python)
		return start_forked(x, spec, logfd, token, pid, err, errlen);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		close(logfd);
		return -1;
	}
	struct exec_file seen;
	int wd;
	char *file = file_before_start(x, spec, &seen, &wd);
	struct child_plan cp = { .spec = spec, .env = proc_env_merge(spec->env_add), .logfd = logfd,
				 .errfd = pfd[1], .parent = getpid(), .reset = x->reset };
	cp.prog = find_program(spec->argv[0], cp.env, spec->cwd, &cp.prog_errno);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	int64_t t0 = monotonic_ms();
	pid_t p = vfork();
	if (p == 0)
		run_child(&cp);
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(cp.env);
	free(cp.prog);
	close(pfd[1]);
	if (p < 0) {
		snprintf(err, errlen, "cannot start '%s': vfork: %s", spec->argv[0],
			 strerror(fork_errno));
		close(pfd[0]);
		close(logfd);
		exec_watch_remove(x->watch, wd);
		free(file);
		return -1;
	}
	setpgid(p, p); /* also here, so that kill(-p) works before the child ran */
	int e = read_exec_errno(pfd[0], logfd, spec);
	close(pfd[0]);
	struct child *c = add_child(x, spec, token, p, logfd, t0);
	c->exec_errno = e;
	if (file) {
		c->file = file;
		c->seen = seen;
		c->wd = wd;
		c->file_until_ms = t0 + START_WINDOW_MS;
	}
	*pid = p;
	return 0;
}

static void write_trailer(const struct child *c, const struct exec_result *res)
{
	char buf[128], t[32];
	if (res->exec_errno)
		snprintf(buf, sizeof(buf), "[could not be started]\n");
	else if (c->timed_out) {
		duration_format(c->timeout_ms, DURATION_EXACT, t, sizeof(t));
		snprintf(buf, sizeof(buf), "[timed out after %s]\n", t);
	} else if (res->signal) {
		snprintf(buf, sizeof(buf), "[%s]\n", proc_killed_by(res->signal, t, sizeof(t)));
	} else
		snprintf(buf, sizeof(buf), "[exited with status %d]\n", res->exit_code);
	write_all(c->logfd, buf, strlen(buf));
}

/* ---- what a child left in its process group ---- */


/* Child c has been reaped: the leader of its group is gone, and whatever it left in the group
 * is ended (docs/design.md, "Starting a chunk"): SIGTERM now (SIGKILL after a timeout, whose
 * grace has passed), SIGKILL LEFTOVER_GRACE_MS later from the wait loop. The group ID is safe
 * to signal: it stays reserved while any process is in the group, and a freed pid comes back
 * only after the kernel has handed out every other one (pid_max). The log gets its trailer
 * now, for the outcome; it is cut to its limit once nothing of the group writes to it. */
static void end_group(struct local_exec *x, struct child *c, const struct exec_result *res)
{
	/* a forked chunk's runner has killed what it left (its pid may be free by now) */
	bool left = !c->forked && kill(-c->pid, c->timed_out ? SIGKILL : SIGTERM) == 0;
	if (!left)
		exec_log_cut(&c->log, c->logfd);
	else if (!c->timed_out)
		note(c->logfd, "[stau: SIGTERM to the processes it left in its process group]\n");
	write_trailer(c, res);
	if (!left) {
		close(c->logfd);
		return;
	}
	int64_t now = monotonic_ms();
	grow(&x->left, &x->capleft, x->nleft + 1, sizeof(*x->left));
	x->left[x->nleft++] = (struct leftover){
		.group = c->pid, .logfd = c->logfd, .log = c->log,
		.kill_ms = c->timed_out ? 0 : now + LEFTOVER_GRACE_MS,
		.give_up_ms = now + GIVE_UP_MS };
	if (!x->watch_ms || x->watch_ms > now + LEFTOVER_LOOK_MS)
		x->watch_ms = now + LEFTOVER_LOOK_MS;
}

/* Looks at leftover group l: SIGKILL when its time has come, its log. Returns false when the
 * group is empty (or given up: a process stuck in the kernel after SIGKILL), its log cut. */
static bool watch_leftover(struct leftover *l, int64_t now)
{
	bool gone = kill(-l->group, 0) && errno == ESRCH;
	if (!gone && l->kill_ms && now >= l->kill_ms) {
		kill(-l->group, SIGKILL);
		note(l->logfd, "[stau: SIGKILL to the processes it left in its process group]\n");
		l->kill_ms = 0;
		l->give_up_ms = now + GIVE_UP_MS;
	}
	if (gone || (!l->kill_ms && now >= l->give_up_ms)) {
		exec_log_cut(&l->log, l->logfd);
		close(l->logfd);
		return false;
	}
	exec_log_watch(&l->log, l->logfd, now);
	return true;
}

/* Looks at the logs of the running children and at leftover groups when the time has come.
 * Returns when to look next, 0: nothing to look at. */
static int64_t watch(struct local_exec *x, int64_t now)
{
	if (!x->watch_ms || now < x->watch_ms)
		return x->watch_ms;
	int64_t next = 0;
	for (size_t i = 0; i < x->n; i++) {
		struct child *c = &x->v[i];
		if (c->log.limit > 0)
			next = earliest(next, now + exec_log_watch(&c->log, c->logfd, now));
	}
	for (size_t i = x->nleft; i-- > 0;)
		if (!watch_leftover(&x->left[i], now))
			x->left[i] = x->left[--x->nleft];
	if (x->nleft)
		next = earliest(next, now + LEFTOVER_LOOK_MS);
	x->watch_ms = next;
	return next;
}

/* The wait status of child c, as waitpid gives it: 1 (*status), 0 (it runs), -1 (not ours).
 * A forked child's end was read from its runner (read_runners). */
static int wait_status(struct child *c, int *status)
{
	if (c->forked) {
		if (!c->ended)
			return 0;
		*status = c->lost ? SIGKILL : c->sig ? c->sig & 0x7f : (c->code & 0xff) << 8;
		if (c->lost)
			note(c->logfd, "[stau: its Python runner ended, and the chunk with it]\n");
		return 1;
	}
	pid_t r;
	do
		r = waitpid(c->pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 1 : r;
}

/* Reaps child i when it has ended: fills res, removes it. Returns 1, 0 (still running). */
static int reap(struct local_exec *x, size_t i, struct exec_result *res, uint64_t *token)
{
	struct child *c = &x->v[i];
	int status = 0;
	int r = wait_status(c, &status);
	if (r == 0)
		return 0;
	end_start_window(x, c);
	*res = (struct exec_result){ .timed_out = c->timed_out, .exec_errno = c->exec_errno,
				     .duration_ms = monotonic_ms() - c->started_ms,
				     .exit_code = -1, .forked = c->forked, .broken = c->broken,
				     .file_changed = c->file_changed };
	snprintf(res->file_hash, sizeof(res->file_hash), "%s", c->seen.hash);
	free(c->file);
	if (r < 0)
		res->exit_code = 127; /* not our child any more: cannot happen, but never hang */
	else if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	if (c->exec_errno)
		res->exit_code = 127;
	end_group(x, c, res);
	*token = c->token;
	x->v[i] = x->v[--x->n];
	return 1;
}

/* The time between a timeout's SIGTERM and its SIGKILL: 10 s, or STAU_KILL_GRACE_MS so that
 * tests need not wait 10 s for the SIGKILL. */
static int64_t kill_grace_ms(void)
{
	const char *e = getenv("STAU_KILL_GRACE_MS");
	int64_t v;
	if (e && !parse_int64(e, &v) && v >= 0 && v <= 86400000)
		return v;
	return KILL_GRACE_MS;
}

/* Sends the signals whose time has come; returns the next deadline (0: none). */
static int64_t enforce_deadlines(struct local_exec *x, int64_t now)
{
	int64_t next = 0;
	for (size_t i = 0; i < x->n; i++) {
		struct child *c = &x->v[i];
		if (c->deadline_ms && c->deadline_ms <= now && !c->ended) {
			kill(-c->pid, c->timed_out ? SIGKILL : SIGTERM);
			c->deadline_ms = c->timed_out ? 0 : now + kill_grace_ms();
			c->timed_out = true;
		}
		if (c->file_until_ms && c->file_until_ms <= now)
			end_start_window(x, c);
		next = earliest(next, c->deadline_ms);
		next = earliest(next, c->file_until_ms);
	}
	return next;
}

/* Empties the signalfd: the waitpid() calls that follow see every child that ended. */
static void drain_signals(struct local_exec *x)
{
	struct signalfd_siginfo si[8];
	while (read(x->sigfd, si, sizeof(si)) > 0)
		;
}

/* Reads what the Python runners say: the chunks of theirs that ended. */
static void read_runners(struct local_exec *x)
{
	struct pyrun_exit e;
	while (x->py && pyrun_next_exit(x->py, &e) == 1) {
		struct child *c = find_child(x, e.token);
		if (!c || !c->forked || c->ended)
			continue;
		c->ended = true;
		c->code = e.exit_code;
		c->sig = e.signal;
		c->lost = e.lost;
		c->deadline_ms = 0;
	}
}

#define POLL_RUNNERS 64 /* Python runners watched at once (one per job and version) */

/* Waits for SIGCHLD or a Python runner's report; returns 1 when a signal handler
 * interrupted the wait (the caller may have been asked to stop), else 0. */
static int poll_children(struct local_exec *x, int timeout)
{
	struct pollfd p[2 + POLL_RUNNERS] = { { .fd = x->sigfd, .events = POLLIN },
					      { .fd = exec_watch_fd(x->watch), .events = POLLIN } };
	size_t n = 2 + (x->py ? pyrun_pollfds(x->py, p + 2, POLL_RUNNERS) : 0);
	return poll(p, n, timeout) < 0 && errno == EINTR;
}

static int local_wait(void *self, int timeout_ms, uint64_t *token, struct exec_result *res)
{
	struct local_exec *x = self;
	if (!x->n)
		return -1;
	int64_t end = timeout_ms < 0 ? 0 : monotonic_ms() + timeout_ms;
	for (;;) {
		drain_signals(x);
		exec_watch_read(x->watch, file_written, x);
		read_runners(x);
		for (size_t i = 0; i < x->n; i++)
			if (reap(x, i, res, token))
				return 1;
		int64_t now = monotonic_ms();
		int64_t next = earliest(enforce_deadlines(x, now), watch(x, now));
		if (end && now >= end)
			return 0;
		int64_t limit = earliest(end, next);
		if (poll_children(x, poll_ms_until(limit)))
			return 0;
	}
}

static int local_signal(void *self, uint64_t token, int sig)
{
	struct child *c = find_child(self, token);
	if (!c) {
		errno = ESRCH;
		return -1;
	}
	return c->ended ? 0 : kill(-c->pid, sig); /* ended: reaped with its outcome next */
}

static size_t local_running(void *self)
{
	return ((struct local_exec *)self)->n;
}

/* Waits until what the children left in their groups is gone: SIGKILL at its time, and no
 * later than kill_by (the groups of children that destroy ended got SIGTERM then). */
static void end_leftovers(struct local_exec *x, int64_t kill_by)
{
	for (size_t i = 0; i < x->nleft; i++)
		if (x->left[i].kill_ms > kill_by)
			x->left[i].kill_ms = kill_by;
	while (x->nleft) {
		int64_t now = monotonic_ms();
		x->watch_ms = now;
		int64_t next = watch(x, now);
		if (next > now)
			poll_children(x, poll_ms_until(next));
		drain_signals(x);
	}
}

static void local_destroy(void *self)
{
	struct local_exec *x = self;
	if (!x)
		return;
	struct exec_result res;
	uint64_t token;
	for (size_t i = 0; i < x->n; i++) {
		local_signal(x, x->v[i].token, SIGTERM);
		x->v[i].timed_out = false;
		x->v[i].deadline_ms = 0;
	}
	int64_t end = monotonic_ms() + DESTROY_GRACE_MS;
	while (x->n) {
		int64_t left = end - monotonic_ms();
		if (left <= 0)
			break;
		local_wait(x, (int)left, &token, &res);
	}
	for (size_t i = 0; i < x->n; i++)
		local_signal(x, x->v[i].token, SIGKILL);
	while (x->n)
		local_wait(x, -1, &token, &res);
	end_leftovers(x, end);
	pyrun_free(x->py);
	exec_watch_free(x->watch);
	close(x->sigfd);
	sigprocmask(SIG_SETMASK, &x->oldmask, NULL);
	free(x->v);
	free(x->left);
	free(x);
}

/* ---- chunks that another stau process started ---- */

/* A chunk that went to Slurm (r->slurm) does not need its submitter once Slurm has its job:
 * its outcome is read from its status file by any stau (exec_slurm.h). */
static bool local_owner_alive(void *self, const struct exec_record *r)
{
	if (r->slurm && r->slurm_job)
		return true;
	return proc_alive(&r->owner);
}

/* Whether pid is a Python runner that r's owner started (exec_pyrun.h), whose chunks are its
 * children: the owner's child, in a process group of its own. */
static bool runner_of_owner(pid_t pid, const struct exec_record *r)
{
	pid_t ppid, pgrp;
	return pid > 1 && !proc_parent_group(pid, &ppid, &pgrp) && ppid == r->owner.pid &&
	       pgrp == pid;
}

/* Whether r's recorded child still is the process its owner started for it: the owner's
 * child, leading its own process group, not naming another chunk (an environment that
 * cannot be read, or without STAU_CHUNK_ID, names none: a job may exec with a clean one). */
static bool child_is_chunks(const struct exec_record *r)
{
	pid_t ppid, pgrp;
	struct proc_chunk_env want = { .chunk = r->chunk };
	return r->child > 0 && !proc_parent_group(r->child, &ppid, &pgrp) &&
	       (ppid == r->owner.pid || runner_of_owner(ppid, r)) && pgrp == r->child &&
	       proc_env_names(r->child, &want) != PROC_ENV_OTHER;
}

static enum exec_signal local_signal_recorded(void *self, const struct exec_record *r, int sig)
{
	if (r->slurm)
		return exec_slurm_signal_recorded(r, sig);
	if (!proc_alive(&r->owner))
		return EXEC_OWNER_LOST;
	if (r->child <= 0)
		return EXEC_NOT_STARTED;
	/* a child that fails the checks has ended: its owner is recording it */
	if (!child_is_chunks(r) || kill(-r->child, sig))
		return EXEC_ENDED;
	return EXEC_SIGNALLED;
}

/* (docs/design.md, "Lost-runner recovery") A lost chunk's processes do not outlive its
 * stau. The group's leader died with its owner (PR_SET_PDEATHSIG), but what it started (a
 * shell's commands, a Python pool, a daemon that left the group with setsid) may still run.
 * They are found in the recorded group and by their environment, which outside the group
 * must name the project directory too. The engine stores a child's pid with its next
 * transaction, a few milliseconds after the start; for an owner that died before that, the
 * environment alone finds them. */
static void local_kill_lost(void *self, const struct exec_record *r)
{
	if (r->slurm) {
		exec_slurm_kill_lost(r);
		return;
	}
	char owner[64];
	snprintf(owner, sizeof(owner), "%ld:%lld", (long)r->owner.pid, (long long)r->owner.start);
	struct proc_chunk_env chunk = { .run = r->run, .chunk = r->chunk, .attempt = r->attempt,
					.dir = r->dir, .runner_of = owner };
	proc_kill_leftovers(r->child > 0 ? r->child : 0, &chunk);
}

static const struct exec_ops local_ops = {
	.start = local_start,
	.wait = local_wait,
	.signal = local_signal,
	.running = local_running,
	.destroy = local_destroy,
	.owner_alive = local_owner_alive,
	.signal_recorded = local_signal_recorded,
	.kill_lost = local_kill_lost,
};

int exec_local_new(struct exec_runner *out, char *err, size_t errlen)
{
	struct local_exec *x = xcalloc(1, sizeof(*x));
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	proc_child_signals(&x->reset);
	sigprocmask(SIG_BLOCK, &chld, &x->oldmask);
	x->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (x->sigfd < 0) {
		snprintf(err, errlen, "cannot watch child processes: signalfd: %s",
			 strerror(errno));
		sigprocmask(SIG_SETMASK, &x->oldmask, NULL);
		free(x);
		return -1;
	}
	out->ops = &local_ops;
	out->self = x;
	return 0;
}
