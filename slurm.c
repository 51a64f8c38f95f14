/* slurm.c - the sbatch command line, the wrapper script and the readers of Slurm's answers
 * (slurm.h says what each is for; docs/design.md, "Slurm", says why chunks go to Slurm this
 * way).
 *
 * The readers take text that another program wrote (sbatch, squeue, a shell script on a
 * compute node, possibly cut short by a full disk) and so trust nothing in it: lengths are
 * explicit, the text need not end with a NUL, numbers are range-checked, and a bad line is
 * reported with its number and a printable excerpt, never echoed raw. */
#include "slurm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

/* Limits beyond which a time is surely a mistake; they keep all arithmetic far from overflow
 * (Slurm itself keeps limits as 32-bit minutes). */
#define MAX_MINUTES 100000000LL

/* ---- a job's slurm: options ------------------------------------------------------------ */

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **strv_copy(char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **c = xcalloc(n + 1, sizeof(*c));
	for (size_t i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

void slurm_opts_release(struct slurm_opts *o)
{
	free(o->partition);
	free(o->mem);
	free(o->account);
	free(o->qos);
	strv_free(o->extra_args);
	memset(o, 0, sizeof(*o));
}

static void overlay_string(char **dst, const char *src)
{
	if (!src)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

void slurm_opts_overlay(struct slurm_opts *dst, const struct slurm_opts *src)
{
	overlay_string(&dst->partition, src->partition);
	overlay_string(&dst->mem, src->mem);
	overlay_string(&dst->account, src->account);
	overlay_string(&dst->qos, src->qos);
	if (src->time)
		dst->time = src->time;
	if (src->cpus_per_task)
		dst->cpus_per_task = src->cpus_per_task;
	if (src->extra_args) {
		strv_free(dst->extra_args);
		dst->extra_args = strv_copy(src->extra_args);
	}
	if (src->loc.line)
		dst->loc = src->loc;
}

/* Reads a decimal number of at most 9 digits at s; returns the end, or NULL. */
static const char *read_number(const char *s, int64_t *v)
{
	int64_t n = 0;
	const char *start = s;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (s - start == 9)
			return NULL;
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return s == start ? NULL : s;
}

/* Slurm's forms: [D-]fields, fields separated by ':'. Without days one field is minutes, two
 * are MM:SS, three HH:MM:SS; with days they are HH, HH:MM, HH:MM:SS. */
static int clock_parse(const char *s, int64_t *secs)
{
	int64_t days = 0, f[3];
	int n = 0;
	const char *dash = strchr(s, '-');
	if (dash && (!(s = read_number(s, &days)) || s != dash))
		return -1;
	if (dash)
		s++;
	for (;;) {
		if (!(s = read_number(s, &f[n++])))
			return -1;
		if (!*s)
			break;
		if (*s++ != ':' || n == 3)
			return -1;
	}
	static const int64_t unit[2][3][3] = {
		{ { 60 }, { 60, 1 }, { 3600, 60, 1 } },
		{ { 3600 }, { 3600, 60 }, { 3600, 60, 1 } },
	};
	*secs = days * 86400;
	for (int i = 0; i < n; i++)
		*secs += f[i] * unit[dash != NULL][n - 1][i];
	return 0;
}

int slurm_time_parse(const char *s, int64_t *secs)
{
	int64_t v;
	char err[128];
	if (!strcasecmp(s, "UNLIMITED") || !strcasecmp(s, "INFINITE")) {
		*secs = SLURM_TIME_UNLIMITED;
		return 0;
	}
	bool stau_form = strpbrk(s, "smhd") != NULL;
	if (stau_form ? duration_parse(s, &v, err, sizeof(err)) : clock_parse(s, &v))
		return -1;
	if (v <= 0 || v > MAX_MINUTES * 60)
		return -1;
	*secs = v;
	return 0;
}

void slurm_time_format(int64_t secs, char *buf, size_t len)
{
	if (secs == SLURM_TIME_UNLIMITED) {
		snprintf(buf, len, "UNLIMITED");
		return;
	}
	long long min = (long long)((secs + 59) / 60);
	if (min >= 1440)
		snprintf(buf, len, "%lld-%02lld:%02lld:00", min / 1440, min % 1440 / 60, min % 60);
	else
		snprintf(buf, len, "%02lld:%02lld:00", min / 60, min % 60);
}

bool slurm_mem_ok(const char *s)
{
	size_t digits = strspn(s, "0123456789");
	if (!digits || digits > 15)
		return false;
	s += digits;
	if (!*s)
		return true;
	if (!strchr("KkMmGgTt", *s))
		return false;
	s++;
	return !*s || ((*s == 'B' || *s == 'b') && !s[1]);
}

bool slurm_name_ok(const char *s, bool list)
{
	if (!*s || *s == '-')
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || c == '=')
			return false;
		if (c == ',' && (!list || p == s || !p[1] || p[1] == ','))
			return false;
	}
	return true;
}

/* sbatch's options that stau sets, or that would stop sbatch from submitting (--help, --wait
 * blocks until the job ends, --test-only submits nothing), with their short forms and, for
 * those the slurm: map has a key for, that key. */
static const struct reserved {
	const char *name;
	char short_name;
	const char *key;
} reserved[] = {
	{ "job-name", 'J', NULL },    { "output", 'o', NULL },	  { "error", 'e', NULL },
	{ "input", 'i', NULL },	      { "chdir", 'D', NULL },	  { "open-mode", 0, NULL },
	{ "export", 0, NULL },	      { "export-file", 0, NULL }, { "parsable", 0, NULL },
	{ "wrap", 0, NULL },	      { "array", 'a', NULL },	  { "wait", 'W', NULL },
	{ "test-only", 0, NULL },     { "help", 'h', NULL },	  { "usage", 0, NULL },
	{ "version", 'V', NULL },     { "partition", 'p', "partition" },
	{ "time", 't', "time" },      { "mem", 0, "mem" },
	{ "cpus-per-task", 'c', "cpus_per_task" },
	{ "account", 'A', "account" }, { "qos", 'q', "qos" },
};

/* The reserved option arg names: a short option by its letter, a long one by its name or by
 * an abbreviation of it (sbatch, like getopt_long, takes any unambiguous prefix). */
static const struct reserved *reserved_option(const char *arg)
{
	if (arg[1] != '-') {
		for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
			if (reserved[i].short_name && reserved[i].short_name == arg[1])
				return &reserved[i];
		return NULL;
	}
	size_t n = strcspn(arg + 2, "=");
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strncmp(reserved[i].name, arg + 2, n))
			return &reserved[i];
	return NULL;
}

char *slurm_extra_arg_problem(const char *arg, const char **hint)
{
	*hint = NULL;
	if (arg[0] != '-' || !arg[1] || !strcmp(arg, "--")) {
		*hint = "write each option with its value as one item, e.g. '--gres=gpu:1'";
		return xstrdup("is not an sbatch option");
	}
	const struct reserved *r = reserved_option(arg);
	if (!r)
		return NULL;
	if (r->key)
		return xasprintf("sets '--%s': use 'slurm.%s' instead", r->name, r->key);
	return xasprintf("sets '--%s', which stau sets itself or which stops sbatch from "
			 "submitting the job", r->name);
}

/* ---- submitting a chunk ---------------------------------------------------------------- */

static void push_option(struct strvec *out, const char *name, const char *value)
{
	if (value)
		strvec_push(out, xasprintf("--%s=%s", name, value));
}

static void push_opts(struct strvec *out, const struct slurm_opts *o)
{
	char buf[48];
	for (size_t i = 0; o->extra_args && o->extra_args[i]; i++)
		strvec_push(out, xstrdup(o->extra_args[i]));
	push_option(out, "partition", o->partition);
	if (o->time) {
		slurm_time_format(o->time, buf, sizeof(buf));
		push_option(out, "time", buf);
	}
	push_option(out, "mem", o->mem);
	if (o->cpus_per_task)
		strvec_push(out, xasprintf("--cpus-per-task=%lld", (long long)o->cpus_per_task));
	push_option(out, "account", o->account);
	push_option(out, "qos", o->qos);
}

void slurm_sbatch_argv(const struct slurm_submit *s, struct strvec *out)
{
	strvec_push(out, xstrdup(s->sbatch));
	if (s->opts)
		push_opts(out, s->opts);
	strvec_push(out, xasprintf("--job-name=stau-%lld-%lld-%d", (long long)s->run_id,
				   (long long)s->chunk_id, s->attempt));
	push_option(out, "output", s->log_path);
	strvec_push(out, xstrdup("--open-mode=append"));
	push_option(out, "chdir", s->dir);
	strvec_push(out, xstrdup("--export=ALL"));
	strvec_push(out, xstrdup("--parsable"));
	strvec_push(out, xstrdup(s->wrapper));
	strvec_push(out, xstrdup(s->status_path));
	for (size_t i = 0; s->argv[i]; i++)
		strvec_push(out, xstrdup(s->argv[i]));
}

char *slurm_status_path(const char *log_path)
{
	size_t n = strlen(log_path);
	if (n > 4 && !strcmp(log_path + n - 4, ".log"))
		n -= 4;
	return xasprintf("%.*s.status", (int)n, log_path);
}

/* Kept in the form slurm_parse_status reads; the version line changes with the format. */
static const char wrapper[] =
	"#!/bin/sh\n"
	"# Written by stau: runs one chunk as a Slurm batch job. Do not edit; stau rewrites it.\n"
	"#\n"
	"#   sbatch [OPTIONS] wrap.sh STATUS-FILE PROGRAM [ARG]...\n"
	"#\n"
	"# Runs PROGRAM with its arguments exactly as given (the chunk's environment is the one\n"
	"# sbatch passed on) and, when PROGRAM ends, writes STATUS-FILE (mode 0600) through a\n"
	"# temporary file renamed over it, so that stau never reads half of it; then exits with\n"
	"# PROGRAM's status. Nothing here parses the arguments: they are only ever quoted. The\n"
	"# script's own variables start with _stau_ (a variable of the environment with the same\n"
	"# name would change for PROGRAM too), and its own tools are found with 'command -p',\n"
	"# whatever PATH the chunk runs with.\n"
	"if [ $# -lt 2 ]; then\n"
	"\techo 'wrap.sh: usage: wrap.sh STATUS-FILE PROGRAM [ARG]...' >&2\n"
	"\texit 2\n"
	"fi\n"
	"_stau_status_file=$1\n"
	"shift\n"
	"_stau_rc=\n"
	"# A name without '/' is looked up in PATH here, so that the shell runs the program\n"
	"# and never a built-in command or function of the same name.\n"
	"case $1 in\n"
	"*/*) ;;\n"
	"*)\n"
	"\t_stau_found=\n"
	"\t_stau_rest=$PATH:\n"
	"\twhile [ -n \"$_stau_rest\" ] && [ -z \"$_stau_found\" ]; do\n"
	"\t\t_stau_dir=${_stau_rest%%:*}\n"
	"\t\t_stau_rest=${_stau_rest#*:}\n"
	"\t\tif [ -f \"${_stau_dir:-.}/$1\" ] && [ -x \"${_stau_dir:-.}/$1\" ]; then\n"
	"\t\t\t_stau_found=${_stau_dir:-.}/$1\n"
	"\t\tfi\n"
	"\tdone\n"
	"\tif [ -n \"$_stau_found\" ]; then\n"
	"\t\tshift\n"
	"\t\tset -- \"$_stau_found\" \"$@\"\n"
	"\telse\n"
	"\t\tprintf 'wrap.sh: %s: command not found\\n' \"$1\" >&2\n"
	"\t\t_stau_rc=127\n"
	"\tfi\n"
	"\t;;\n"
	"esac\n"
	"# The job sees how often Slurm requeued it, 0 the first time.\n"
	"SLURM_RESTART_COUNT=${SLURM_RESTART_COUNT:-0}\n"
	"export SLURM_RESTART_COUNT\n"
	"_stau_start=$(command -p date +%s)\n"
	"if [ -z \"$_stau_rc\" ]; then\n"
	"\t\"$@\"\n"
	"\t_stau_rc=$?\n"
	"fi\n"
	"_stau_end=$(command -p date +%s)\n"
	"_stau_tmp=$_stau_status_file.tmp.$$\n"
	"if (umask 077 &&\n"
	"\tprintf 'stau-slurm-status 1\\nexit %s\\n' \"$_stau_rc\" >\"$_stau_tmp\" &&\n"
	"\tprintf 'job %s\\nrestarts %s\\n' \"${SLURM_JOB_ID:-}\" \"${SLURM_RESTART_COUNT:-0}\" \\\n"
	"\t\t>>\"$_stau_tmp\" &&\n"
	"\tprintf 'start %s\\nend %s\\n' \"$_stau_start\" \"$_stau_end\" >>\"$_stau_tmp\"); then\n"
	"\tcommand -p mv -f \"$_stau_tmp\" \"$_stau_status_file\"\n"
	"else\n"
	"\tcommand -p rm -f \"$_stau_tmp\"\n"
	"fi\n"
	"exit \"$_stau_rc\"\n";

const char *slurm_wrapper_text(void)
{
	return wrapper;
}

/* ---- reading back ---------------------------------------------------------------------- */

/* Writes s[0..n) quoted into buf for a message: at most 40 bytes, bytes that are not
 * printable ASCII shown as '?'. */
static const char *excerpt(const char *s, size_t n, char *buf, size_t size)
{
	size_t k = 0, max = n > 40 ? 40 : n;
	buf[k++] = '\'';
	for (size_t i = 0; i < max && k + 5 < size; i++)
		buf[k++] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	if (max < n && k + 5 < size)
		k += (size_t)snprintf(buf + k, size - k, "...");
	buf[k++] = '\'';
	buf[k] = '\0';
	return buf;
}

/* Reads a job id (1 to SLURM_JOB_ID_MAX, digits only) from s[0..n); returns how many bytes
 * it took, or 0. */
static size_t read_job_id(const char *s, size_t n, int64_t *id)
{
	size_t i = 0;
	int64_t v = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > SLURM_JOB_ID_MAX)
			return 0;
	}
	if (!i || !v)
		return 0;
	*id = v;
	return i;
}

int slurm_parse_sbatch(const char *out, size_t len, int64_t *job_id, char *err,
		       size_t errlen)
{
	char show[64];
	size_t n = len;
	if (n && out[n - 1] == '\n')
		n--;
	size_t k = read_job_id(out, n, job_id);
	if (k && k < n && out[k] == ';' && k + 1 < n && !memchr(out + k, '\n', n - k))
		k = n; /* "ID;CLUSTER" */
	if (k && k == n)
		return 0;
	if (!n)
		snprintf(err, errlen, "sbatch printed no job id");
	else
		snprintf(err, errlen, "sbatch printed %s where a job id was expected",
			 excerpt(out, len, show, sizeof(show)));
	return -1;
}

void slurm_squeue_argv(const char *squeue, const int64_t *ids, size_t n, struct strvec *out)
{
	struct strbuf list = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sb_addf(&list, "%s%lld", i ? "," : "", (long long)ids[i]);
	if (n == 1)
		sb_addf(&list, ",%lld", (long long)ids[0]);
	strvec_push(out, xstrdup(squeue));
	strvec_push(out, xstrdup("-h"));
	strvec_push(out, xstrdup("-t"));
	strvec_push(out, xstrdup("all"));
	strvec_push(out, xstrdup("-o"));
	strvec_push(out, xstrdup("%i %T"));
	strvec_push(out, xstrdup("-j"));
	strvec_push(out, sb_detach(&list));
}

static enum slurm_phase phase_of(const char *state)
{
	static const char *const ended[] = {
		"COMPLETED", "CANCELLED", "FAILED",	   "TIMEOUT", "NODE_FAIL", "PREEMPTED",
		"BOOT_FAIL", "DEADLINE",  "OUT_OF_MEMORY", "REVOKED", NULL,
	};
	static const char *const pending[] = {
		"PENDING",	"REQUEUED",	 "REQUEUE_FED", "REQUEUE_HOLD",
		"SPECIAL_EXIT", "RESV_DEL_HOLD", NULL,
	};
	for (size_t i = 0; ended[i]; i++)
		if (!strcmp(state, ended[i]))
			return SLURM_ENDED;
	for (size_t i = 0; pending[i]; i++)
		if (!strcmp(state, pending[i]))
			return SLURM_PENDING;
	return SLURM_RUNNING;
}

/* Reads one line "ID STATE" into *job; returns 0 or -1. */
static int squeue_line(const char *s, size_t n, struct slurm_job *job)
{
	size_t k = read_job_id(s, n, &job->id);
	if (!k || k >= n || s[k] != ' ')
		return -1;
	s += k + 1;
	n -= k + 1;
	if (!n || n >= sizeof(job->state))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '_')
			return -1;
	memcpy(job->state, s, n);
	job->state[n] = '\0';
	job->phase = phase_of(job->state);
	return 0;
}

int slurm_parse_squeue(const char *out, size_t len, struct slurm_queue *q, char *err,
		       size_t errlen)
{
	char show[64];
	size_t line = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(out + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (out + at)) : len - at;
		struct slurm_job job = { 0 };
		line++;
		if (squeue_line(out + at, n, &job)) {
			snprintf(err, errlen, "squeue output line %zu: %s is not 'JOBID STATE'",
				 line, excerpt(out + at, n, show, sizeof(show)));
			return -1;
		}
		grow(&q->v, &q->cap, q->n + 1, sizeof(*q->v));
		q->v[q->n++] = job;
		at += n + 1;
	}
	return 0;
}

const struct slurm_job *slurm_queue_find(const struct slurm_queue *q, int64_t id)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].id == id)
			return &q->v[i];
	return NULL;
}

void slurm_queue_release(struct slurm_queue *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* A value of a status line: digits only (at most 18), or empty when allow_empty. */
static int status_number(const char *s, size_t n, bool allow_empty, int64_t *v)
{
	*v = 0;
	if (!n)
		return allow_empty ? 0 : -1;
	if (n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Reads the line "KEY VALUE" s[0..n) into st; *seen_exit tells whether "exit" came. */
static int status_line(const char *s, size_t n, struct slurm_status *st, bool *seen_exit)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "job", offsetof(struct slurm_status, job_id) },
		{ "restarts", offsetof(struct slurm_status, restarts) },
		{ "start", offsetof(struct slurm_status, start) },
		{ "end", offsetof(struct slurm_status, end) },
	};
	const char *sp = memchr(s, ' ', n);
	if (!sp || sp == s)
		return -1;
	size_t klen = (size_t)(sp - s), vlen = n - klen - 1;
	int64_t v;
	if (klen == 4 && !memcmp(s, "exit", 4)) {
		if (status_number(sp + 1, vlen, false, &v) || v > 255)
			return -1;
		st->exit = (int)v;
		*seen_exit = true;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].key) == klen && !memcmp(s, keys[i].key, klen))
			return status_number(sp + 1, vlen, true,
					     (int64_t *)((char *)st + keys[i].off));
	return 0; /* a key of a later wrapper: ignored */
}

int slurm_parse_status(const char *text, size_t len, struct slurm_status *st, char *err,
		       size_t errlen)
{
	static const char magic[] = "stau-slurm-status 1\n";
	char show[64];
	bool seen_exit = false;
	memset(st, 0, sizeof(*st));
	if (len < sizeof(magic) - 1 || memcmp(text, magic, sizeof(magic) - 1)) {
		snprintf(err, errlen, "not a status file of this version of stau: it starts with %s",
			 excerpt(text, len < 24 ? len : 24, show, sizeof(show)));
		return -1;
	}
	size_t line = 1;
	for (size_t at = sizeof(magic) - 1; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		line++;
		if (!nl) {
			snprintf(err, errlen, "line %zu is cut short: %s", line,
				 excerpt(text + at, len - at, show, sizeof(show)));
			return -1;
		}
		size_t n = (size_t)(nl - (text + at));
		if (status_line(text + at, n, st, &seen_exit)) {
			snprintf(err, errlen, "line %zu: %s is not 'KEY VALUE' with a number", line,
				 excerpt(text + at, n, show, sizeof(show)));
			return -1;
		}
		at += n + 1;
	}
	if (!seen_exit) {
		snprintf(err, errlen, "it has no 'exit' line");
		return -1;
	}
	return 0;
}
