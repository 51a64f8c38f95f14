/* project.c - a stau project on disk: find its directory, load jobs/ and schedule.yaml.
 *
 * What counts as a job: every regular file directly in jobs/ (subdirectories such as
 * __pycache__ and names starting with '.' or ending in '~' are ignored) whose header
 * (jobheader.c) opens near its top. Its job type is the file name without its last extension.
 * A symbolic link is followed only when it stays inside jobs/ (docs/design.md, "Security").
 *
 * Like cron with an unsafe crontab, a job file or schedule.yaml that users other than its
 * owner can write is refused (docs/design.md, "Security"): it is reported and, for a job, made broken, so no
 * run starts it. A file whose header does not validate stays in the job list as broken so
 * that status can show it and runs that need it fail with the reason (docs/design.md, "Faults").
 *
 * A missing schedule.yaml is an empty schedule: `stau run` works in a project without one.
 * project_git_commit names the commit the project's files are at, which each run records.
 *
 * A tick with nothing to do reads none of this: tickcache.h says how it knows. */
#include "project.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "schedcheck.h"
#include "util.h"

char *project_find_dir(const char *dir_opt)
{
	const char *dir = dir_opt;
	const char *from = "-C";
	if (!dir || !*dir) {
		dir = getenv("STAU_DIR");
		from = "STAU_DIR";
	}
	if (!dir || !*dir) {
		dir = ".";
		from = "the current directory";
	}
	char *abs = realpath(dir, NULL);
	struct stat st;
	if (!abs || stat(abs, &st) || !S_ISDIR(st.st_mode)) {
		error("cannot use '%s' (from %s) as the project directory: %s", dir, from,
		      abs ? "not a directory" : strerror(errno));
		free(abs);
		return NULL;
	}
	return abs;
}

static bool valid_job_type(const char *s)
{
	if (!*s)
		return false;
	for (const char *c = s; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' ||
			  (c != s && (*c == '.' || *c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

static bool ignored_name(const char *name)
{
	size_t len = strlen(name);
	return name[0] == '.' || (len && name[len - 1] == '~');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of the entries of dir; NULL (with errno) when it cannot be read. */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	size_t cap = 8;
	char **names = xmalloc(cap * sizeof(*names)); /* never NULL: an empty jobs/ is no error */
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (ignored_name(e->d_name))
			continue;
		grow(&names, &cap, *n + 1, sizeof(*names));
		names[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void add_job(struct project *p, size_t *cap, struct job *job)
{
	grow(&p->jobs, cap, p->njobs + 1, sizeof(*p->jobs));
	p->jobs[p->njobs++] = *job;
}

static char *first_diag_text(const struct diags *d, size_t from)
{
	return from < d->n ? diag_format(&d->v[from]) : xstrdup("header does not validate");
}

/* Says why a file or directory owned by another user than the one running stau or root may
 * not be used: its owner can change it whatever its mode. NULL if fine. */
static char *owner_reason(const struct stat *st, const char *shown)
{
	if (st->st_uid == 0 || st->st_uid == geteuid())
		return NULL;
	struct passwd *pw = getpwuid(geteuid());
	return xasprintf("owned by another user (uid %ld), who can change it; run 'chown %s %s'",
			 (long)st->st_uid, pw ? pw->pw_name : "$USER", shown);
}

/* Says why a file that other users can write may not be used (docs/design.md, "Security"; cron refuses such a
 * crontab in the same way): writable by group or others, or owned by another user than the
 * one running stau or root, who can write it whatever its mode. NULL if fine. */
static char *writable_reason(const struct stat *st, const char *shown)
{
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return xasprintf("writable by group or others; run 'chmod go-w %s'", shown);
	return owner_reason(st, shown);
}

/* The same for a directory that holds what stau reads or runs: whoever can write it can
 * rename their own file over a job between stau's checks and its exec. A sticky directory
 * (/tmp's mode) owned by the user or root is fine: there, others cannot rename or remove
 * files they do not own. NULL if fine. */
static char *dir_unsafe_reason(const struct stat *st, const char *shown)
{
	bool sticky = (st->st_mode & S_ISVTX) && (st->st_uid == 0 || st->st_uid == geteuid());
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !sticky)
		return xasprintf("directory writable by group or others, who could put their own "
				 "file in place of a job; run 'chmod go-w %s'", shown);
	return owner_reason(st, shown);
}

/* The name in jobs/ that a symbolic link's target names, or NULL when it leads elsewhere.
 * Judged from the text of the link alone, so that a link out of jobs/ is refused without its
 * target ever being opened or even looked at: "x.sh", "./x.sh" and JOBS_REAL/x.sh stay in
 * jobs/; anything with another '/' or a ".." leaves it. */
static const char *link_name_inside(const char *target, const char *jobs_real)
{
	size_t n = strlen(jobs_real);
	if (!strncmp(target, jobs_real, n) && target[n] == '/')
		target += n + 1;
	while (!strncmp(target, "./", 2))
		target += 2;
	if (!*target || strchr(target, '/') || !strcmp(target, "..") || !strcmp(target, "."))
		return NULL;
	return target;
}

#define LINK_OUT "symbolic link leads outside jobs/; stau only runs files in jobs/"

/* Opens jobs/NAME for reading without following a link out of jobs/: a link is followed only
 * to a file in jobs/ itself, and never to another link. Fills *st of the file opened. Returns
 * the descriptor; -2 when NAME is no regular file (ignored); -1 with *why set (a new string)
 * when it is refused or cannot be opened. */
static int open_job_file(int jobs_fd, const char *jobs_real, const char *name, struct stat *st,
			 char **why)
{
	struct stat lst;
	if (fstatat(jobs_fd, name, &lst, AT_SYMLINK_NOFOLLOW))
		return -2; /* gone since readdir */
	const char *open_name = name;
	char target[PATH_MAX];
	if (S_ISLNK(lst.st_mode)) {
		ssize_t len = readlinkat(jobs_fd, name, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		open_name = len < 0 ? NULL : link_name_inside(target, jobs_real);
		if (!open_name) {
			*why = xstrdup(LINK_OUT);
			return -1;
		}
	} else if (!S_ISREG(lst.st_mode)) {
		return -2;
	}
	/* O_NONBLOCK: a FIFO put in jobs/ must not hang the open */
	int fd = openat(jobs_fd, open_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP) {
		*why = xasprintf("symbolic link to the symbolic link '%s'; link to the file itself",
				 open_name);
		return -1;
	}
	if (fd < 0 && errno == ENOENT && open_name != name)
		return -2; /* a dangling link is no job */
	if (fd < 0) {
		*why = xasprintf("cannot read: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -2;
	}
	return fd;
}

/* Reads and parses the job file open on fd; reports problems into p->diags. */
static void parse_job_file(struct project *p, size_t *cap, int fd, const struct stat *st,
			   const char *shown, const char *type)
{
	size_t len;
	char *text = read_fd(fd, &len);
	if (!text) {
		diag_add(&p->diags, shown, 0, 0, NULL, "cannot read: %s", strerror(errno));
		return;
	}
	struct job job = { 0 };
	size_t first = p->diags.n;
	/* partial: a broken job keeps the dependencies that did validate, so that unknown
	 * dependencies and cycles through it are still found */
	int rc = config_parse_job_partial(shown, text, len, &job, &p->diags);
	free(text);
	if (rc == 0) {
		grow(&p->not_jobs, &p->not_jobs_cap, p->nnot_jobs + 1, sizeof(*p->not_jobs));
		p->not_jobs[p->nnot_jobs++] = xstrdup(shown);
		return;
	}
	if (!valid_job_type(type)) {
		diag_add(&p->diags, shown, 0, 0, NULL,
			 "'%s' is not a valid job type: use letters, digits, '_', '.' and '-', "
			 "starting with a letter, digit or '_'", type);
		job_release(&job);
		return; /* such a name cannot be referred to safely, so it is no job at all */
	}
	char *unsafe = writable_reason(st, shown);
	if (unsafe) {
		diag_add(&p->diags, shown, 0, 0, NULL, "%s", unsafe);
		job.broken = unsafe;
	} else if (rc < 0) {
		job.broken = first_diag_text(&p->diags, first);
	}
	add_job(p, cap, &job);
}

/* Loads jobs/NAME into p; reports problems into p->diags. */
static void load_job_file(struct project *p, size_t *cap, int jobs_fd, const char *jobs_real,
			  const char *name)
{
	char *shown = xasprintf("jobs/%s", name);
	char *type = config_job_type_of(name);
	struct stat st;
	char *why = NULL;
	int fd = open_job_file(jobs_fd, jobs_real, name, &st, &why);
	if (fd >= 0) {
		parse_job_file(p, cap, fd, &st, shown, type);
		close(fd);
	} else if (fd == -1 && valid_job_type(type)) {
		/* a job that cannot be trusted stays in the list, broken, so that runs that need
		 * it fail with the reason */
		struct job job = { .type = xstrdup(type), .path = xstrdup(shown), .broken = why };
		diag_add(&p->diags, shown, 0, 0, NULL, "%s", why);
		add_job(p, cap, &job);
		why = NULL;
	} else if (fd == -1) {
		diag_add(&p->diags, shown, 0, 0, NULL, "%s", why);
	}
	free(why);
	free(shown);
	free(type);
}

static int cmp_job(const void *a, const void *b)
{
	const struct job *x = a, *y = b;
	int c = strcmp(x->type, y->type);
	return c ? c : strcmp(x->path, y->path);
}

/* Two files with one stem: both become broken, as neither can be chosen safely. */
static void reject_duplicate_types(struct project *p)
{
	if (p->njobs > 1)
		qsort(p->jobs, p->njobs, sizeof(*p->jobs), cmp_job);
	size_t out = 0;
	for (size_t i = 0; i < p->njobs; i++) {
		if (out && !strcmp(p->jobs[out - 1].type, p->jobs[i].type)) {
			struct job *keep = &p->jobs[out - 1];
			diag_add(&p->diags, p->jobs[i].path, 0, 0, NULL,
				 "job type '%s' is defined twice: %s and %s; rename one of them",
				 keep->type, keep->path, p->jobs[i].path);
			if (!keep->broken)
				keep->broken = xasprintf("job type '%s' is defined twice: %s and %s",
							 keep->type, keep->path, p->jobs[i].path);
			job_release(&p->jobs[i]);
			continue;
		}
		p->jobs[out++] = p->jobs[i];
	}
	p->njobs = out;
}

/* Whether directory path (shown as `shown`) may hold what stau runs; reports it into p->diags
 * as a problem of `file` and returns false when not. */
static bool dir_is_safe(struct project *p, const char *path, const char *shown,
			const char *file)
{
	struct stat st;
	if (stat(path, &st))
		return true; /* whoever reads it says why it cannot be read */
	char *why = dir_unsafe_reason(&st, shown);
	if (why) {
		diag_add(&p->diags, file, 0, 0, NULL, "%s", why);
		free(why);
	}
	return !why;
}

static void load_jobs(struct project *p)
{
	char *jobs_dir = xasprintf("%s/jobs", p->dir);
	char *jobs_real = realpath(jobs_dir, NULL);
	size_t n = 0, cap = 0;
	char **names = jobs_real ? list_dir(jobs_real, &n) : NULL;
	int jobs_fd = names ? open(jobs_real, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (jobs_fd < 0) {
		diag_add(&p->diags, "jobs", 0, 0, NULL, "cannot read the jobs directory: %s",
			 strerror(errno));
		p->unusable = true;
	} else if (!dir_is_safe(p, jobs_real, "jobs", "jobs")) {
		p->unusable = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (!p->unusable)
			load_job_file(p, &cap, jobs_fd, jobs_real, names[i]);
		free(names[i]);
	}
	if (jobs_fd >= 0)
		close(jobs_fd);
	free(names);
	free(jobs_real);
	free(jobs_dir);
	reject_duplicate_types(p);
}

static void load_schedule(struct project *p)
{
	char *path = xasprintf("%s/schedule.yaml", p->dir);
	struct stat st;
	char *why;
	p->sched_ok = true;
	size_t len = 0;
	char *text = read_regular_file(path, &len, &st);
	if (!text && errno == ENOENT) {
		config_parse_schedule("schedule.yaml", "", 0, &p->sched, &p->diags);
		free(path);
		return;
	}
	if (!text) {
		diag_add(&p->diags, "schedule.yaml", 0, 0, NULL, "cannot read: %s",
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		p->sched_ok = false;
		config_parse_schedule("schedule.yaml", "", 0, &p->sched, &p->diags);
	} else if ((why = writable_reason(&st, "schedule.yaml"))) {
		diag_add(&p->diags, "schedule.yaml", 0, 0, NULL, "%s", why);
		free(why);
		p->sched_ok = false;
		config_parse_schedule("schedule.yaml", "", 0, &p->sched, &p->diags);
	} else {
		config_parse_schedule("schedule.yaml", text, len, &p->sched, &p->diags);
		p->sched_ok = !p->sched.not_yaml;
	}
	free(text);
	free(path);
}

/* Whether tracked files of the git work tree at dir differ from HEAD (as `git describe
 * --dirty` tells it; files git does not track do not count). */
static bool git_dirty(const char *dir)
{
	char *argv[] = { "git", "status", "--porcelain", "--untracked-files=no", NULL };
	struct proc_cmd cmd = { .argv = argv, .dir = dir, .out_max = 64, .err = PROC_STDERR_NULL,
				.timeout_ms = 10000 };
	struct proc_result r;
	bool dirty = !proc_capture(&cmd, &r) && r.exit_code == 0 && r.out.len > 0;
	proc_result_release(&r);
	return dirty;
}

char *project_git_commit(const char *dir)
{
	char *argv[] = { "git", "rev-parse", "HEAD", NULL };
	struct proc_cmd cmd = { .argv = argv, .dir = dir, .out_max = 128, .err = PROC_STDERR_NULL,
				.timeout_ms = 10000 };
	struct proc_result r;
	char *commit = NULL;
	if (!proc_capture(&cmd, &r) && r.exit_code == 0 && !r.out_cut) {
		size_t len = strspn(r.out.buf, "0123456789abcdef");
		if (len >= 40 && r.out.buf[len] == '\n')
			commit = git_dirty(dir) ? xasprintf("%.*s-dirty", (int)len, r.out.buf)
						: xstrndup(r.out.buf, len);
	}
	proc_result_release(&r);
	return commit;
}

int project_load_schedule(const char *dir, struct project *p)
{
	memset(p, 0, sizeof(*p));
	p->dir = xstrdup(dir);
	load_schedule(p);
	return p->diags.n ? -1 : 0;
}

int project_load(const char *dir, struct project *p)
{
	memset(p, 0, sizeof(*p));
	p->dir = xstrdup(dir);
	if (!dir_is_safe(p, dir, dir, dir)) {
		/* whoever can write it can replace schedule.yaml and jobs/ themselves */
		p->unusable = true;
		p->sched_ok = false;
		config_parse_schedule("schedule.yaml", "", 0, &p->sched, &p->diags);
		return -1;
	}
	load_schedule(p);
	load_jobs(p);
	graph_build(&p->graph, p->jobs, p->njobs, &p->diags);
	if (!p->unusable) /* else every entry would name an unknown job */
		schedcheck_entries(&p->sched, &p->graph, &p->diags);
	return p->diags.n ? -1 : 0;
}

/* ---- loading what a tick needs ---- */

/* The names in jobs/, found by job type through a hash table: a tick that needs a few jobs
 * of 10,000 must not sort or copy 10,000 names one by one. The names are kept one after the
 * other in one buffer. */
struct needed {
	struct project *p;
	size_t cap;
	int jobs_fd;
	const char *jobs_real;
	struct strbuf names;	/* every name, each ended by its NUL */
	size_t *slot;		/* per hash slot: offset of its name + 1, 0 when empty */
	bool *loaded;		/* per hash slot */
	size_t mask;
};

/* The length of the job type of name (config_job_type_of: the name without its last
 * extension). */
static size_t type_len(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

static size_t type_hash(const char *s, size_t n)
{
	return (size_t)hash_fnv1a(HASH_FNV1A_INIT, s, n);
}

static void index_names(struct needed *nd, size_t n)
{
	size_t size = 16;
	while (size < 2 * n)
		size *= 2;
	nd->mask = size - 1;
	nd->slot = xcalloc(size, sizeof(*nd->slot));
	nd->loaded = xcalloc(size, sizeof(*nd->loaded));
	for (size_t off = 0; off < nd->names.len; off += strlen(nd->names.buf + off) + 1) {
		const char *name = nd->names.buf + off;
		size_t h = type_hash(name, type_len(name)) & nd->mask;
		while (nd->slot[h])
			h = (h + 1) & nd->mask;
		nd->slot[h] = off + 1;
	}
}

/* Reads the names of jobs/ as list_dir does, unsorted; returns how many, or -1. */
static long read_names(struct needed *nd)
{
	DIR *d = fdopendir(dup(nd->jobs_fd));
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (ignored_name(e->d_name))
			continue;
		sb_add(&nd->names, e->d_name, strlen(e->d_name) + 1);
		n++;
	}
	closedir(d);
	return n;
}

/* Loads the file of hash slot h and pushes the types its job depends on. */
static void load_slot(struct needed *nd, size_t h, const char ***stack, size_t *n, size_t *cap)
{
	nd->loaded[h] = true;
	size_t first = nd->p->njobs;
	load_job_file(nd->p, &nd->cap, nd->jobs_fd, nd->jobs_real, nd->names.buf + nd->slot[h] - 1);
	for (size_t j = first; j < nd->p->njobs; j++) {
		const struct job *job = &nd->p->jobs[j];
		grow(stack, cap, *n + job->ndeps, sizeof(**stack));
		for (size_t k = 0; k < job->ndeps; k++)
			if (job->deps[k].job_type)
				(*stack)[(*n)++] = job->deps[k].job_type;
	}
}

/* Loads every file of job type `type` not loaded yet, then the types they depend on, from a
 * stack rather than by recursion: a chain of 10,000 job types is 10,000 deep. The types on
 * the stack point into the loaded jobs' dependencies, which stay put. */
static void load_type(struct needed *nd, const char *type)
{
	const char **stack = xmalloc(sizeof(*stack));
	size_t n = 1, cap = 1;
	stack[0] = type;
	while (n) {
		const char *t = stack[--n];
		size_t len = strlen(t);
		for (size_t h = type_hash(t, len) & nd->mask; nd->slot[h]; h = (h + 1) & nd->mask) {
			const char *name = nd->names.buf + nd->slot[h] - 1;
			if (!nd->loaded[h] && type_len(name) == len && !memcmp(name, t, len))
				load_slot(nd, h, &stack, &n, &cap);
		}
	}
	free(stack);
}

/* Whether a name in jobs/ has job type `type`. */
static bool has_type(const struct needed *nd, const char *type)
{
	size_t len = strlen(type);
	for (size_t h = type_hash(type, len) & nd->mask; nd->slot[h]; h = (h + 1) & nd->mask) {
		const char *name = nd->names.buf + nd->slot[h] - 1;
		if (type_len(name) == len && !memcmp(name, type, len))
			return true;
	}
	return false;
}

/* Disables the entries whose job type no name in jobs/ has, as schedcheck_entries does (the
 * full load that recorded these names reported them). */
static void mark_unknown(const struct needed *nd)
{
	struct schedule *s = &nd->p->sched;
	for (size_t i = 0; i < s->nentries; i++) {
		struct entry *e = &s->entries[i];
		if (!e->problem && *e->job && !has_type(nd, e->job))
			e->problem = xasprintf("unknown job '%s': no file in jobs/ has that job "
					       "type", e->job);
	}
}

static void load_needed(struct project *p, char *const *types, size_t ntypes)
{
	char *jobs_dir = xasprintf("%s/jobs", p->dir);
	char *jobs_real = realpath(jobs_dir, NULL);
	struct needed nd = { .p = p, .jobs_real = jobs_real, .names = STRBUF_INIT };
	nd.jobs_fd = jobs_real ? open(jobs_real, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	long n = nd.jobs_fd >= 0 ? read_names(&nd) : -1;
	if (n < 0) {
		diag_add(&p->diags, "jobs", 0, 0, NULL, "cannot read the jobs directory: %s",
			 strerror(errno));
		p->unusable = true;
	} else if (!dir_is_safe(p, jobs_real, "jobs", "jobs")) {
		p->unusable = true;
	}
	index_names(&nd, n < 0 ? 0 : (size_t)n);
	for (size_t i = 0; !p->unusable && i < ntypes; i++)
		load_type(&nd, types[i]);
	if (!p->unusable)
		mark_unknown(&nd);
	if (nd.jobs_fd >= 0)
		close(nd.jobs_fd);
	sb_release(&nd.names);
	free(nd.slot);
	free(nd.loaded);
	free(jobs_real);
	free(jobs_dir);
	reject_duplicate_types(p);
}

int project_load_needed(struct project *p, char *const *types, size_t ntypes)
{
	p->partial = true;
	if (!dir_is_safe(p, p->dir, p->dir, p->dir)) {
		p->unusable = true;
		return -1;
	}
	load_needed(p, types, ntypes);
	graph_build(&p->graph, p->jobs, p->njobs, &p->diags);
	schedcheck_loaded(&p->sched, &p->graph, &p->diags); /* a BROKEN job's entries: off */
	return p->diags.n ? -1 : 0;
}

static int cmp_type_job(const void *key, const void *elem)
{
	return strcmp(key, ((const struct job *)elem)->type);
}

const struct job *project_job(const struct project *p, const char *type)
{
	if (!p->njobs)
		return NULL;
	return bsearch(type, p->jobs, p->njobs, sizeof(*p->jobs), cmp_type_job);
}

void project_release(struct project *p)
{
	graph_free(&p->graph);
	for (size_t i = 0; i < p->njobs; i++)
		job_release(&p->jobs[i]);
	free(p->jobs);
	for (size_t i = 0; i < p->nnot_jobs; i++)
		free(p->not_jobs[i]);
	free(p->not_jobs);
	schedule_release(&p->sched);
	diags_release(&p->diags);
	free(p->dir);
	memset(p, 0, sizeof(*p));
}
