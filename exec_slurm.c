/* exec_slurm.c - sbatch, squeue and scancel run for the engine, the wrapper script and the
 * status files (exec_slurm.h says what each is for; docs/design.md, "Slurm", why).
 *
 * Each command runs through proc_capture: argv, no shell, stdin from /dev/null, its stdout
 * read, its stderr kept for the message, in a process group of its own with a time limit, so
 * that a controller that does not answer holds stau for at most that long. Measured here,
 * sbatch answers in about 4 ms and squeue in about 6 ms; the limits are far above that and
 * above Slurm's own message timeout (10 s), which it may retry. */
#include "exec_slurm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "proc.h"
#include "util.h"

#define SBATCH_TIMEOUT_MS 60000
#define QUERY_TIMEOUT_MS 30000
#define OUT_MAX (1 << 20)

/* The last line of a command's stderr (where Slurm's commands say why they gave up), made
 * printable, at most 300 bytes; "" when none. */
static void last_line(const struct strbuf *sb, char *buf, size_t len)
{
	const char *s = sb->buf ? sb->buf : "";
	size_t n = strlen(s), k = 0;
	while (n && s[n - 1] == '\n')
		n--;
	size_t start = n;
	while (start && s[start - 1] != '\n')
		start--;
	for (size_t i = start; i < n && k + 1 < len && k < 300; i++)
		buf[k++] = (unsigned char)s[i] >= ' ' && s[i] != 0x7f ? s[i] : '?';
	buf[k] = '\0';
}

/* Runs argv; 0 with *res filled when it ran and exited 0, else -1 with why in err (res is
 * then released). */
static int run(char *const *argv, char *const *env_add, int64_t timeout_ms,
	       struct proc_result *res, char *err, size_t errlen)
{
	struct proc_cmd cmd = { .argv = argv, .env_add = env_add, .out_max = OUT_MAX,
				.err = PROC_STDERR_CAPTURE, .timeout_ms = timeout_ms,
				.grace_ms = 2000 };
	char line[320], how[32];
	if (proc_capture(&cmd, res)) {
		snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
		return -1;
	}
	if (!res->exec_errno && !res->timed_out && !res->signal && res->exit_code == 0)
		return 0;
	last_line(&res->err, line, sizeof(line));
	if (res->exec_errno == ENOENT)
		snprintf(err, errlen, "'%s' was not found in PATH: Slurm's commands are needed for "
			 "'executor: slurm'; install them (slurm-client) or set 'executor: local'",
			 argv[0]);
	else if (res->exec_errno)
		snprintf(err, errlen, "cannot execute '%s': %s", argv[0],
			 strerror(res->exec_errno));
	else if (res->timed_out)
		snprintf(err, errlen, "'%s' did not answer within %lld s: is the Slurm controller "
			 "reachable?", argv[0], (long long)(timeout_ms / 1000));
	else if (res->signal)
		snprintf(err, errlen, "'%s' was %s", argv[0],
			 proc_killed_by(res->signal, how, sizeof(how)));
	else
		snprintf(err, errlen, "'%s' failed (exit %d)%s%s", argv[0], res->exit_code,
			 *line ? ": " : "", line);
	proc_result_release(res);
	return -1;
}

static int real_submit(void *self, const struct slurm_submit *s, char *const *env_add,
		       int64_t *job_id, char *err, size_t errlen)
{
	(void)self;
	struct slurm_submit c = *s;
	struct strvec argv = { 0 };
	struct proc_result res;
	c.sbatch = "sbatch";
	slurm_sbatch_argv(&c, &argv);
	strvec_push(&argv, NULL);
	int rc = run(argv.v, env_add, SBATCH_TIMEOUT_MS, &res, err, errlen);
	strvec_release(&argv);
	if (rc)
		return -1;
	rc = slurm_parse_sbatch(res.out.buf, res.out.len, job_id, err, errlen);
	proc_result_release(&res);
	return rc;
}

static int real_query(void *self, const int64_t *ids, size_t n, struct slurm_queue *q,
		      char *err, size_t errlen)
{
	(void)self;
	struct strvec argv = { 0 };
	struct proc_result res;
	slurm_squeue_argv("squeue", ids, n, &argv);
	strvec_push(&argv, NULL);
	int rc = run(argv.v, NULL, QUERY_TIMEOUT_MS, &res, err, errlen);
	strvec_release(&argv);
	if (rc)
		return -1;
	rc = slurm_parse_squeue(res.out.buf, res.out.len, q, err, errlen);
	proc_result_release(&res);
	return rc;
}

static int real_cancel(void *self, int64_t job_id, const char *name, char *err, size_t errlen)
{
	(void)self;
	struct strvec argv = { 0 };
	struct proc_result res;
	strvec_push(&argv, xstrdup("scancel"));
	if (job_id > 0) {
		strvec_push(&argv, xasprintf("%lld", (long long)job_id));
	} else {
		strvec_push(&argv, xasprintf("--name=%s", name));
		strvec_push(&argv, xasprintf("--user=%ld", (long)getuid()));
	}
	strvec_push(&argv, NULL);
	int rc = run(argv.v, NULL, QUERY_TIMEOUT_MS, &res, err, errlen);
	strvec_release(&argv);
	if (!rc)
		proc_result_release(&res);
	return rc;
}

static const struct slurm_client real_client = { real_submit, real_query, real_cancel, NULL };

const struct slurm_client *exec_slurm_client(void)
{
	return &real_client;
}

int exec_slurm_wrapper(const char *dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", dir, EXEC_SLURM_WRAPPER);
	const char *text = slurm_wrapper_text();
	size_t len = 0, want = strlen(text);
	char *old = read_regular_file(path, &len, NULL);
	int rc = 0;
	if (!old || len != want || memcmp(old, text, want) || access(path, X_OK)) {
		if (mkdir_parents(path, 0700) || write_file_atomic(path, text, want, 0700)) {
			snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
			rc = -1;
		}
	}
	free(old);
	free(path);
	return rc;
}

int exec_slurm_status(const char *path, struct slurm_status *st, char *err, size_t errlen)
{
	size_t len;
	char *text = read_regular_file(path, &len, NULL);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = slurm_parse_status(text, len, st, err, errlen);
	free(text);
	return rc ? -1 : 1;
}

void exec_slurm_remove_beside(const char *log_path)
{
	static const char *const ext[] = { ".status", ".ids" };
	size_t n = strlen(log_path);
	if (n > 4 && !strcmp(log_path + n - 4, ".log"))
		n -= 4;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		char *path = xasprintf("%.*s%s", (int)n, log_path, ext[i]);
		unlink(path);
		free(path);
	}
}

enum exec_signal exec_slurm_signal_recorded(const struct exec_record *r, int sig)
{
	char err[512];
	(void)sig;
	if (!r->slurm_job)
		return proc_alive(&r->owner) ? EXEC_NOT_STARTED : EXEC_OWNER_LOST;
	if (!real_cancel(NULL, r->slurm_job, NULL, err, sizeof(err)))
		return EXEC_SIGNALLED;
	/* the job may have ended meanwhile; if not, whoever cancels must hear it runs on */
	warn("cannot cancel Slurm job %lld of chunk %lld: %s; if it still runs, it runs to its "
	     "end ('scancel %lld' stops it)", (long long)r->slurm_job, (long long)r->chunk, err,
	     (long long)r->slurm_job);
	return EXEC_ENDED;
}

void exec_slurm_kill_lost(const struct exec_record *r)
{
	char err[512];
	char *name = xasprintf("stau-%lld-%lld-%d", (long long)r->run, (long long)r->chunk,
			       r->attempt);
	real_cancel(NULL, r->slurm_job, name, err, sizeof(err));
	free(name);
}
