/* tickcache.c - the record that lets a tick with nothing to do skip the project's files
 * (tickcache.h; docs/design.md, "The quiet tick").
 *
 * The record is one text in the database (the job_files table, under a key no job file can
 * have): a list of fields, each written as its length, ':' and its bytes, so that any byte
 * of a setting survives. A record of another form reads as none: the next tick is a full
 * one, which writes a new record.
 *
 * Zones: a cron entry is evaluated in its zone, read from the system zoneinfo (or $TZDIR)
 * when schedule.yaml is loaded. A tzdata update moves fire times, so the zone files the
 * entries use are part of the fingerprint: their names are stored with the record, and a
 * tick stats them again. */
#include "tickcache.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cron.h"
#include "timeutil.h"
#include "util.h"

#define RECORD_KEY ".stau/tick"
#define RECORD_FORM "tick4" /* tick3 kept the retention of bad settings */
#define RACY "racy" /* stored instead of a stat too recent to trust */

/* ---- fingerprints ---- */

static uint64_t add_stat(uint64_t h, const struct stat *st, bool ok)
{
	int64_t v[8] = { -1, 0, 0, 0, 0, 0, 0, 0 };
	if (ok) {
		v[0] = (int64_t)st->st_size;
		v[1] = (int64_t)st->st_mtim.tv_sec;
		v[2] = (int64_t)st->st_mtim.tv_nsec;
		v[3] = (int64_t)st->st_ino;
		v[4] = (int64_t)st->st_mode;
		v[5] = (int64_t)st->st_uid;
		v[6] = (int64_t)st->st_ctim.tv_sec;
		v[7] = (int64_t)st->st_ctim.tv_nsec;
	}
	return hash_fnv1a(h, v, sizeof(v));
}

static uint64_t add_path(uint64_t h, const char *dir, const char *name, bool follow)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool ok = follow ? !stat(path, &st) : !lstat(path, &st);
	free(path);
	return add_stat(h, &st, ok);
}

/* Only the mode and owner of the project directory: its mtime moves whenever a job writes a
 * file beside schedule.yaml. */
static uint64_t add_dir(uint64_t h, const char *dir)
{
	struct stat st;
	int64_t v[2] = { -1, -1 };
	if (!stat(dir, &st)) {
		v[0] = (int64_t)st.st_mode;
		v[1] = (int64_t)st.st_uid;
	}
	return hash_fnv1a(h, v, sizeof(v));
}

/* Whether st changed so recently that a change right after it, in the same tick of the file
 * system's clock, could leave the same times (the "racy" files of git): such a stat is not
 * stored as current. The file system stamps files from the coarse clock. */
static bool recent(const struct stat *st)
{
	struct timespec now, res;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	if (clock_getres(CLOCK_REALTIME_COARSE, &res))
		res = (struct timespec){ 0, 10000000 };
	int64_t ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	int64_t c = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	return c >= ns - 2 * ((int64_t)res.tv_sec * 1000000000 + res.tv_nsec);
}

/* jobs/ itself: its identity, mode and owner into *h; its times and size, which move when a
 * name in it is added, removed or renamed over, into *times. */
static bool add_jobs(uint64_t *h, uint64_t *times, const char *dir)
{
	char *path = xasprintf("%s/jobs", dir);
	struct stat st;
	int64_t v[5] = { -1, 0, 0, 0, 0 }, t[5] = { -1, 0, 0, 0, 0 };
	bool racy = false;
	if (!lstat(path, &st))
		v[0] = (int64_t)st.st_ino, v[1] = (int64_t)st.st_mode;
	if (!stat(path, &st)) {
		v[2] = (int64_t)st.st_ino, v[3] = (int64_t)st.st_mode, v[4] = (int64_t)st.st_uid;
		t[0] = (int64_t)st.st_size, t[1] = (int64_t)st.st_mtim.tv_sec;
		t[2] = (int64_t)st.st_mtim.tv_nsec, t[3] = (int64_t)st.st_ctim.tv_sec;
		t[4] = (int64_t)st.st_ctim.tv_nsec;
		racy = recent(&st);
	}
	free(path);
	*h = hash_fnv1a(*h, v, sizeof(v));
	*times = hash_fnv1a(HASH_FNV1A_INIT, t, sizeof(t));
	return racy;
}

static void put_hex(char out[17], uint64_t h)
{
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void tickcache_files(const char *dir, struct tickcache_files *f)
{
	uid_t me = geteuid();
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, &me, sizeof(me)), times;
	h = hash_fnv1a(h, dir, strlen(dir) + 1);
	h = add_dir(h, dir);
	char *path = xasprintf("%s/schedule.yaml", dir);
	struct stat st;
	bool ok = !stat(path, &st);
	free(path);
	h = add_stat(h, &st, ok);
	f->main_racy = ok && recent(&st);
	f->jobs_racy = add_jobs(&h, &times, dir);
	put_hex(f->main, h);
	put_hex(f->jobs, times);
}

char *tickcache_names(const char *dir)
{
	char *path = xasprintf("%s/jobs", dir);
	DIR *d = opendir(path);
	free(path);
	uint64_t sum = 0, n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || (len && e->d_name[len - 1] == '~'))
			continue; /* never a job (project.c) */
		sum += hash_fnv1a(HASH_FNV1A_INIT, e->d_name, len); /* any order */
		n++;
	}
	if (!d)
		return xstrdup("unreadable");
	closedir(d);
	return xasprintf("%016llx-%llu", (unsigned long long)sum, (unsigned long long)n);
}

static char *hex(uint64_t h)
{
	return xasprintf("%016llx", (unsigned long long)h);
}

static const char *zone_dir(void)
{
	const char *d = getenv("TZDIR");
	return d && *d ? d : "/usr/share/zoneinfo";
}

static char *zones_fingerprint(char *const *zones)
{
	const char *dir = zone_dir();
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, dir, strlen(dir) + 1);
	for (size_t i = 0; zones && zones[i]; i++) {
		h = hash_fnv1a(h, zones[i], strlen(zones[i]) + 1);
		h = add_path(h, dir, zones[i], true);
	}
	return hex(h);
}

/* The names of the zones p's cron entries use, UTC aside (built in), each once. */
static char **zones_of(const struct project *p)
{
	char **v = xcalloc(p->sched.nentries + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < p->sched.nentries; i++) {
		const struct trigger *t = &p->sched.entries[i].trigger;
		const char *name = t->kind == TRIGGER_CRON && t->zone ? tz_name(t->zone) : NULL;
		bool seen = !name || !strcmp(name, "UTC");
		for (size_t j = 0; !seen && j < n; j++)
			seen = !strcmp(v[j], name);
		if (!seen)
			v[n++] = xstrdup(name);
	}
	return v;
}

/* ---- the record as text ---- */

static void put(struct strbuf *sb, const char *s)
{
	sb_addf(sb, "%zu:", strlen(s));
	sb_adds(sb, s);
}

static void put_int(struct strbuf *sb, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	put(sb, buf);
}

static void put_list(struct strbuf *sb, char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	put_int(sb, v ? (int64_t)n : -1);
	for (size_t i = 0; i < n; i++)
		put(sb, v[i]);
}

/* The next field of *s as a new string, or NULL when the text ends or is malformed. */
static char *get(const char **s)
{
	char *end;
	unsigned long long n = strtoull(*s, &end, 10);
	if (end == *s || *end != ':' || strnlen(end + 1, n) < n)
		return NULL;
	*s = end + 1 + n;
	return xstrndup(end + 1, n);
}

static bool get_int(const char **s, int64_t *v)
{
	char *f = get(s), *end = NULL;
	if (f)
		*v = strtoll(f, &end, 10);
	bool ok = f && *f && !*end;
	free(f);
	return ok;
}

/* A list written by put_list: NULL-terminated, or NULL when it was NULL; false when bad. */
static bool get_list(const char **s, char ***out)
{
	int64_t n;
	*out = NULL;
	if (!get_int(s, &n) || n < -1 || n > 100000)
		return false;
	if (n < 0)
		return true;
	*out = xcalloc((size_t)n + 1, sizeof(**out));
	for (int64_t i = 0; i < n; i++)
		if (!((*out)[i] = get(s)))
			return false;
	return true;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static bool decode(const char *s, struct tickcache *c)
{
	char *form = get(&s);
	bool ok = form && !strcmp(form, RECORD_FORM);
	free(form);
	int64_t sched_ok = 0, has_metrics = 0, has_text = 0;
	ok = ok && (c->main = get(&s)) && (c->jobs = get(&s)) && (c->names = get(&s)) &&
	     (c->zones_fp = get(&s)) && get_int(&s, &sched_ok) && get_int(&s, &c->retention) &&
	     get_int(&s, &has_metrics);
	if (ok && has_metrics)
		ok = (c->metrics_file = get(&s)) != NULL;
	ok = ok && get_list(&s, &c->on_failure) && get_list(&s, &c->zones) && c->zones &&
	     get_int(&s, &has_text);
	if (ok && has_text)
		ok = (c->settings_text = get(&s)) != NULL;
	c->sched_ok = sched_ok == 1;
	return ok && !*s;
}

static int store(struct state *st, const struct tickcache *c)
{
	struct strbuf sb = STRBUF_INIT;
	put(&sb, RECORD_FORM);
	put(&sb, c->main);
	put(&sb, c->jobs);
	put(&sb, c->names);
	put(&sb, c->zones_fp);
	put_int(&sb, c->sched_ok);
	put_int(&sb, c->retention);
	put_int(&sb, c->metrics_file != NULL);
	if (c->metrics_file)
		put(&sb, c->metrics_file);
	put_list(&sb, c->on_failure);
	put_list(&sb, c->zones);
	put_int(&sb, c->settings_text != NULL);
	if (c->settings_text)
		put(&sb, c->settings_text);
	int rc = state_file_hash_set(st, RECORD_KEY, 0, 0, sb.buf);
	sb_release(&sb);
	return rc;
}

int tickcache_read(struct state *st, struct tickcache *c)
{
	memset(c, 0, sizeof(*c));
	char *text = NULL;
	int got = state_file_hash_get(st, RECORD_KEY, 0, 0, &text);
	if (got == 1 && !decode(text, c)) {
		tickcache_release(c);
		got = 0;
	}
	free(text);
	return got;
}

int tickcache_check(struct state *st, struct tickcache *c, const struct tickcache_files *f,
		    const char *dir)
{
	if (strcmp(c->main, f->main))
		return 0;
	char *z = zones_fingerprint(c->zones);
	bool same = !strcmp(z, c->zones_fp);
	free(z);
	if (!same || !strcmp(c->jobs, f->jobs))
		return same;
	/* jobs/'s times moved: a name added, removed, or a file renamed over another */
	char *names = tickcache_names(dir);
	same = !strcmp(names, c->names);
	free(names);
	if (!same || f->jobs_racy)
		return same;
	free(c->jobs);
	c->jobs = xstrdup(f->jobs);
	return store(st, c) ? -1 : 1;
}

static char **copy_list(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	if (!v)
		return NULL;
	char **out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

int tickcache_write(struct state *st, const struct project *p, const struct tickcache_files *f,
		    const char *names)
{
	const struct settings *s = &p->sched.settings;
	struct tickcache c = {
		.main = xstrdup(f->main_racy ? RACY : f->main),
		.jobs = xstrdup(f->jobs_racy ? RACY : f->jobs),
		.names = xstrdup(names),
		.sched_ok = p->sched_ok,
		.retention = p->sched.settings_ok ? s->retention : 0, /* a bad one is not the default */
		.metrics_file = s->metrics_file ? xstrdup(s->metrics_file) : NULL,
		.on_failure = copy_list(s->on_failure),
		.zones = zones_of(p),
		.settings_text = p->sched.settings_text ? xstrdup(p->sched.settings_text) : NULL,
	};
	c.zones_fp = zones_fingerprint(c.zones);
	int rc = store(st, &c);
	tickcache_release(&c);
	return rc;
}

void tickcache_settings(const struct tickcache *c, struct project *p)
{
	struct settings *s = &p->sched.settings;
	s->retention = c->retention;
	s->metrics_file = c->metrics_file ? xstrdup(c->metrics_file) : NULL;
	s->on_failure = copy_list(c->on_failure);
	p->sched.settings_ok = true; /* a retention recorded from bad settings is 0 */
	p->sched_ok = c->sched_ok;
}

void tickcache_load_settings(const struct tickcache *c, struct project *p)
{
	struct diags d = { 0 };
	const char *text = c->settings_text;
	if (text && !config_parse_schedule("schedule.yaml", text, strlen(text), &p->sched, &d)) {
		p->sched_ok = c->sched_ok;
	} else {
		char *dir = p->dir;
		p->dir = NULL;
		project_release(p);
		project_load_schedule(dir, p);
		diags_release(&p->diags);
		p->diags = (struct diags){ 0 };
		p->sched_ok = c->sched_ok;
		free(dir);
	}
	diags_release(&d);
}

void tickcache_release(struct tickcache *c)
{
	free(c->main);
	free(c->jobs);
	free(c->names);
	free(c->zones_fp);
	free(c->metrics_file);
	free(c->settings_text);
	free_list(c->on_failure);
	free_list(c->zones);
	memset(c, 0, sizeof(*c));
}

/* ---- next fire times ---- */

struct by_id {
	const struct entry *e;
	enum tickcache_entry how;
};

static int cmp_by_id(const void *a, const void *b)
{
	return strcmp(((const struct by_id *)a)->e->id, ((const struct by_id *)b)->e->id);
}

static const struct by_id *find_entry(const struct by_id *v, size_t n, const char *id)
{
	struct entry key = { .id = (char *)id };
	struct by_id k = { &key, TICKCACHE_OFF };
	return bsearch(&k, v, n, sizeof(*v), cmp_by_id);
}

/* The last answer of next_fire, reused while the trigger and last fire time repeat (one cron
 * expression for many entries, all handled by one tick): computing a rare expression's next
 * fire time is not cheap. */
struct next_memo {
	const char *trigger_text;
	int64_t after, next;
};

static int64_t next_fire(struct next_memo *m, const struct entry *e, int64_t after)
{
	if (m->trigger_text && !strcmp(m->trigger_text, e->trigger_text) && m->after == after)
		return m->next;
	int64_t next = trigger_next(&e->trigger, after);
	*m = (struct next_memo){ e->trigger_text, after, next < 0 ? STATE_NEVER : next };
	return m->next;
}

/* What row's next fire time should be, given the entry of that id (NULL: none). */
static int64_t wanted(struct next_memo *m, const struct by_id *b,
		      const struct state_entry_next *row, int64_t now)
{
	if (!b || b->how == TICKCACHE_OFF)
		return STATE_NEVER;
	bool waits = row->next_fire != INT64_MIN && row->next_fire > now;
	if (b->how == TICKCACHE_NOJOB || (b->how == TICKCACHE_UNSEEN && !waits))
		return next_fire(m, b->e, now); /* look again when it would fire */
	if (b->how == TICKCACHE_UNSEEN)
		return row->next_fire;
	if (strcmp(row->fingerprint ? row->fingerprint : "", b->e->trigger_text) ||
	    row->last_handled == INT64_MIN)
		return INT64_MIN; /* not decided under this trigger: the next tick will */
	return next_fire(m, b->e, row->last_handled);
}

static int store_nexts(struct state *st, const struct state_entry_next *rows,
		       const int64_t *want, size_t n)
{
	if (state_begin(st))
		return -1;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		if (want[i] != rows[i].next_fire)
			rc = state_entry_set_next(st, rows[i].id, want[i]);
	if (rc) {
		state_rollback(st);
		return -1;
	}
	return state_commit(st);
}

int tickcache_sync_entries(struct state *st, const struct project *p,
			   const enum tickcache_entry *how, int64_t now)
{
	struct state_entry_next *rows;
	size_t n, ne = p->sched.nentries, changed = 0;
	if (state_entry_nexts(st, &rows, &n))
		return -1;
	struct by_id *v = xcalloc(ne + 1, sizeof(*v));
	for (size_t i = 0; i < ne; i++)
		v[i] = (struct by_id){ &p->sched.entries[i], how[i] };
	qsort(v, ne, sizeof(*v), cmp_by_id);
	int64_t *want = xcalloc(n + 1, sizeof(*want));
	struct next_memo memo = { 0 };
	for (size_t i = 0; i < n; i++) {
		want[i] = wanted(&memo, find_entry(v, ne, rows[i].id), &rows[i], now);
		changed += want[i] != rows[i].next_fire;
	}
	int rc = changed ? store_nexts(st, rows, want, n) : 0;
	free(want);
	free(v);
	state_entry_nexts_free(rows, n);
	return rc;
}
