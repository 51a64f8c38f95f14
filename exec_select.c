/* exec_select.c - select_work: {python: FUNC} through a runner started for the one call.
 *
 * A runner is not kept between calls: select_work runs once per run queued, and the runner
 * that serves chunks (engine and exec) lives in another process, a `stau run` or a tick that
 * may have started before the job file changed. The messages keep the end of what Python
 * printed (a traceback's last lines are the ones that say what went wrong). */
#include "exec_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_pyfork.h"
#include "util.h"

#define WHY_MAX 400 /* bytes of Python's output kept in a message */

/* The end of text, one line, for a message: newlines become "; ". */
static void tail_into(char *buf, size_t len, const char *text)
{
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	const char *s = text + (n > WHY_MAX ? n - WHY_MAX : 0);
	size_t k = 0;
	for (; s < text + n && k + 3 < len; s++) {
		if (*s == '\n') {
			buf[k++] = ';';
			buf[k++] = ' ';
		} else {
			buf[k++] = *s;
		}
	}
	buf[k] = '\0';
}

static void timed_out(const struct exec_select *s, char *err, size_t errlen)
{
	char how[48];
	duration_format(s->select.timeout_ms, DURATION_EXACT, how, sizeof(how));
	snprintf(err, errlen, "select_work python '%s' timed out after %s; it was killed with its "
		 "process group (the job's select_work timeout)", s->func, how);
}

/* Waits for the import; returns 0 when the runner is ready, else -1 with err. */
static int await_import(struct pyfork *r, const struct exec_select *s, int64_t deadline,
			char *err, size_t errlen)
{
	char why[WHY_MAX + 64];
	enum pyfork_state st = pyfork_wait_ready(r, poll_ms_until(deadline));
	if (st == PYFORK_READY)
		return 0;
	if (st == PYFORK_STARTING) {
		timed_out(s, err, errlen);
		return -1;
	}
	tail_into(why, sizeof(why), pyfork_broken_text(r));
	snprintf(err, errlen, "select_work python '%s': %s cannot be used: %s", s->func,
		 s->job_file, why);
	return -1;
}

static int call(struct pyfork *r, const struct exec_select *s, int64_t deadline,
		struct idlist *out, char *err, size_t errlen)
{
	char *stau_dir = xasprintf("STAU_DIR=%s", s->select.dir ? s->select.dir : ".");
	char *env[] = { stau_dir, NULL };
	int64_t left = deadline ? deadline - monotonic_ms() : 0;
	struct pyfork_call c = { .func = s->func, .kwargs_json = s->select.kwargs_json,
				 .env_add = env, .cwd = s->select.dir ? s->select.dir : ".",
				 .timeout_ms = deadline ? (left > 0 ? left : 1) : 0 };
	int64_t *ids = NULL;
	size_t n = 0;
	char *why = NULL;
	int rc = pyfork_call(r, &c, &ids, &n, &why);
	if (rc && deadline && monotonic_ms() >= deadline) {
		timed_out(s, err, errlen);
	} else if (rc) {
		char tail[WHY_MAX + 64];
		tail_into(tail, sizeof(tail), why ? why : "");
		snprintf(err, errlen, "select_work python '%s' failed: %s", s->func, tail);
	}
	for (size_t i = 0; !rc && i < n; i++)
		idlist_push(out, ids[i]);
	if (!rc)
		idlist_sort_unique(out);
	free(ids);
	free(why);
	free(stau_dir);
	return rc;
}

int exec_select_python(const struct exec_select *s, struct idlist *out, char *err,
		       size_t errlen)
{
	int64_t deadline = s->select.timeout_ms > 0 ? monotonic_ms() + s->select.timeout_ms : 0;
	struct pyfork_opts o = { .python = s->python, .job_file = s->job_file,
				 .main_func = s->func, .dir = s->select.dir, .out_fd = -1 };
	struct pyfork *r = NULL;
	char why[256];
	if (pyfork_start(&o, &r, why, sizeof(why))) {
		snprintf(err, errlen, "select_work python '%s': cannot start the Python runner: %s",
			 s->func, why);
		return -1;
	}
	int rc = await_import(r, s, deadline, err, errlen);
	if (!rc)
		rc = call(r, s, deadline, out, err, errlen);
	pyfork_stop(r);
	return rc;
}
