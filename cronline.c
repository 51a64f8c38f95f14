/* cronline.c - the crontab line that runs a project (cronline.h). */
#include "cronline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

char *cronline_quote(const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_./+,:=@-";
	if (*word && !word[strspn(word, safe)])
		return xstrdup(word);
	struct strbuf sb = STRBUF_INIT;
	sb_addc(&sb, '\'');
	for (const char *s = word; *s; s++) {
		if (*s == '\'')
			sb_adds(&sb, "'\\''");
		else if (*s == '%')
			sb_adds(&sb, "\\%"); /* cron takes the backslash away, the shell never sees it */
		else
			sb_addc(&sb, *s);
	}
	sb_addc(&sb, '\'');
	return sb_detach(&sb);
}

static bool fits_a_line(const char *s)
{
	return !s || !strpbrk(s, "\n\r");
}

char *cronline(const char *dir, const char *exe, const char *state)
{
	char *self = exe ? NULL : proc_self_exe();
	const char *bin = exe ? exe : self ? self : "stau";
	if (!fits_a_line(bin) || !fits_a_line(dir) || !fits_a_line(state)) {
		free(self);
		return NULL;
	}
	char *e = cronline_quote(bin), *d = cronline_quote(dir);
	char *s = state ? cronline_quote(state) : NULL;
	char *line = xasprintf("* * * * * %s -C %s%s%s tick", e, d, s ? " --state " : "",
			       s ? s : "");
	free(s);
	free(d);
	free(e);
	free(self);
	return line;
}

/* The first executable file `name` in the absolute directories of path (as found, links
 * not resolved: a virtual environment's python3 is a link to the system's, and differs from
 * it by where it is), or NULL; *st gets lstat of it. */
static char *which(const char *name, const char *path, struct stat *st)
{
	char *dirs = xstrdup(path ? path : ""), *save = NULL, *found = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		if (*d != '/')
			continue;
		char *file = xasprintf("%s/%s", d, name);
		struct stat target;
		if (!stat(file, &target) && S_ISREG(target.st_mode) && !access(file, X_OK) &&
		    !lstat(file, st))
			found = file;
		else
			free(file);
	}
	free(dirs);
	return found;
}

/* The interpreter file that `python` stands for, asked from it: a pyenv shim or a venv's
 * link picks its interpreter by the environment it starts in, which cron does not give.
 * NULL when it does not answer within 5 s. */
static char *interpreter_of(const char *python, const char *dir)
{
	char *argv[] = { (char *)python, "-c", "import sys; print(sys.executable)", NULL };
	struct proc_cmd cmd = { .argv = argv, .dir = dir, .out_max = 4096,
				.err = PROC_STDERR_NULL, .timeout_ms = 5000 };
	struct proc_result r;
	char *exe = NULL;
	if (!proc_capture(&cmd, &r) && r.exit_code == 0 && r.out.buf[0] == '/') {
		size_t n = strcspn(r.out.buf, "\n");
		exe = xstrndup(r.out.buf, n);
	}
	proc_result_release(&r);
	return exe;
}

char *cronline_python_note(const struct project *p, const char *path_env)
{
	const char *py = p->sched.settings.python;
	if (py && strchr(py, '/'))
		return NULL;
	const char *name = py && *py ? py : "python3";
	struct stat a, b;
	char *mine = which(name, path_env, &a), *cron = which(name, CRON_PATH, &b);
	char *note = NULL;
	/* one file seen through two directories (/bin and /usr/bin) is the same */
	if (mine && (!cron || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
		char *exe = interpreter_of(mine, p->dir);
		note = xasprintf("note: your PATH finds %s as %s, but cron's PATH (%s) finds %s: "
				 "to run main_func jobs with yours, set 'python: %s' in the "
				 "settings of schedule.yaml", name, mine, CRON_PATH,
				 cron ? cron : "none", exe ? exe : mine);
		free(exe);
	}
	free(mine);
	free(cron);
	return note;
}
