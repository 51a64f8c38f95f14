/* gen.c - writes the projects that bench/run.sh measures (docs/design.md, "Performance").
 *
 *   gen tick N DIR         a project of N job files and N schedule entries, none of them due
 *                          between the bench's first tick and its measured ticks, plus the
 *                          job `hold` (no entry), which sleeps: `stau run hold` keeps a run
 *                          open while ticks are measured
 *   gen dag SHAPE N DIR    a DAG of N chunks that each run /bin/true, as a stau project in DIR,
 *                          plus DIR/Makefile and DIR/build.ninja with the same DAG of `true`;
 *                          prints the arguments of the `stau run` that executes it
 *   gen chain DIR          the job files of bench/expand.c's five-job chain (stage1, chunk_size
 *                          10, needs stage2 (50), ... stage5 (1000), each edge max_lag 1h), so
 *                          that `stau run --dry-run` expands the same plan from the same
 *                          database as `expand run`
 *
 * Shapes, and how each is said in stau:
 *   fan     N independent tasks: one job `fan` with chunk_size 1, run over the IDs 1-N.
 *   layers  ten layers of N/10 tasks, task i of a layer waiting for task i of the layer
 *           below: job types l01..l10, each chunk_size 1, l(k+1) depending on l(k) with
 *           max_lag 0 (always stale, so always run), run from l10 over the IDs 1-N/10. A
 *           chunk depends on the chunks of its dependency whose IDs intersect its own, so
 *           each chunk waits for exactly one chunk of the layer below, as in the Makefile.
 *   random  N-1 job types r00001.. each depending (max_lag 0) on three distinct job types
 *           drawn uniformly from the lower-numbered ones (fewer for the first two), plus a
 *           job type `root` depending on every one nobody else depends on. The run from
 *           root has no work IDs, so each job type is one chunk: N chunks in all, root
 *           included, since the master job's own chunks run like any other.
 * The random DAG comes from a fixed seed and our own generator (splitmix64), so every
 * machine and every libc draws the same graph.
 *
 * The tick project looks like a team's pipelines: Python jobs of about 2 KiB with a header of
 * five keys, chains of five jobs (each depending on the previous one with max_lag 1h), and
 * one schedule entry per job on "0 0 1 1 *" in Europe/Copenhagen, which fires once a year:
 * after a first tick has recorded the entries, a tick at any other minute has nothing to do. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEED 20260101u
#define LAYERS 10
#define RANDOM_DEPS 3
#define CHAIN 5

static const char *progname = "gen";

static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("cannot create '%s': %s", path, strerror(errno));
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	return f;
}

/* Closes f, failing loudly if anything written to it was lost. */
static void close_out(FILE *f, const char *name)
{
	if (ferror(f) | fclose(f))
		die("cannot write '%s': %s", name, strerror(errno));
}

/* A job file jobs/NAME holding the header lines given (each without its "# " leader). */
static void write_job(const char *dir, const char *name, const char *header)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/jobs/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	fputs("# ---\n", f);
	for (const char *l = header; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		fprintf(f, "# %.*s\n", (int)n, l);
		l += n + (nl != NULL);
	}
	fputs("# ---\n", f);
	close_out(f, path);
	if (chmod(path, 0755) < 0)
		die("cannot chmod '%s': %s", path, strerror(errno));
}

/* ---- the tick project ------------------------------------------------------------------ */

static const char python_body[] =
	"\"\"\"One step of a nightly pipeline: load the units, score them, store the scores.\"\"\"\n"
	"import json\n"
	"import logging\n"
	"import os\n"
	"import sqlite3\n"
	"\n"
	"LOG = logging.getLogger(__name__)\n"
	"DB = os.path.join(os.environ.get(\"STAU_DIR\", \".\"), \"data\", \"units.db\")\n"
	"\n"
	"\n"
	"def load_units(con, work_ids):\n"
	"    \"\"\"Returns {unit_id: (reading, weight)} for the given units.\"\"\"\n"
	"    marks = \",\".join(\"?\" * len(work_ids))\n"
	"    rows = con.execute(\n"
	"        f\"SELECT id, reading, weight FROM readings WHERE id IN ({marks})\", work_ids\n"
	"    )\n"
	"    return {unit: (reading, weight) for unit, reading, weight in rows}\n"
	"\n"
	"\n"
	"def score(reading, weight, scale=1.0):\n"
	"    \"\"\"A weighted score, clipped to [0, 100].\"\"\"\n"
	"    value = reading * weight * scale\n"
	"    return max(0.0, min(100.0, value))\n"
	"\n"
	"\n"
	"def store_scores(con, scores):\n"
	"    con.executemany(\n"
	"        \"INSERT OR REPLACE INTO scores (id, score) VALUES (?, ?)\", scores.items()\n"
	"    )\n"
	"    con.commit()\n"
	"\n"
	"\n"
	"def main(work_ids=None, **kwargs):\n"
	"    scale = float(kwargs.get(\"scale\", 1.0))\n"
	"    with sqlite3.connect(DB) as con:\n"
	"        units = load_units(con, work_ids or [])\n"
	"        scores = {u: score(r, w, scale) for u, (r, w) in units.items()}\n"
	"        store_scores(con, scores)\n"
	"    LOG.info(\"scored %d units with %s\", len(scores), json.dumps(kwargs))\n"
	"\n"
	"\n"
	"if __name__ == \"__main__\":\n"
	"    logging.basicConfig(level=logging.INFO)\n"
	"    main([int(i) for i in os.environ.get(\"STAU_WORK_IDS\", \"\").split(\",\") if i])\n";

static void write_python_job(const char *dir, long i)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/jobs/j%05ld.py", dir, i);
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	fprintf(f, "#!/usr/bin/env python3\n# ---\n");
	fprintf(f, "# description: step %ld of pipeline %ld\n", (i - 1) % CHAIN + 1,
		(i - 1) / CHAIN + 1);
	fprintf(f, "# chunk_size: %ld\n", (i % 3 + 1) * 100);
	if ((i - 1) % CHAIN)
		fprintf(f, "# dependencies:\n#   - job_type: j%05ld\n#     max_lag: 1h\n", i - 1);
	fprintf(f, "# main_func: main\n# timeout: 2h\n# ---\n%s", python_body);
	close_out(f, path);
	if (chmod(path, 0755) < 0)
		die("cannot chmod '%s': %s", path, strerror(errno));
}

static void gen_tick(long n, const char *dir)
{
	char jobs[4096];
	snprintf(jobs, sizeof(jobs), "%s/jobs", dir);
	make_dir(dir);
	make_dir(jobs);
	for (long i = 1; i <= n; i++)
		write_python_job(dir, i);
	FILE *hold = open_out(jobs, "hold.sh");
	fputs("#!/bin/sh\n# ---\n# description: keeps a run open until it is stopped\n# ---\n"
	      "exec sleep 3600\n", hold);
	close_out(hold, "hold.sh");
	snprintf(jobs, sizeof(jobs), "%s/jobs/hold.sh", dir);
	if (chmod(jobs, 0755) < 0)
		die("cannot chmod '%s': %s", jobs, strerror(errno));
	FILE *f = open_out(dir, "schedule.yaml");
	fputs("settings:\n  timezone: Europe/Copenhagen\nschedule:\n", f);
	for (long i = 1; i <= n; i++)
		fprintf(f, "  - id: yearly-%05ld\n    job: j%05ld\n    cron: \"0 0 1 1 *\"\n", i, i);
	close_out(f, "schedule.yaml");
}

/* ---- DAGs ------------------------------------------------------------------------------ */

/* The DAG as the peers see it: node i (0-based) runs `true` after deps[i]. */
struct dag {
	long n;
	char **name;
	long **deps;
	long *ndeps;
};

static void dag_init(struct dag *d, long n)
{
	d->n = n;
	d->name = calloc(n, sizeof(*d->name));
	d->deps = calloc(n, sizeof(*d->deps));
	d->ndeps = calloc(n, sizeof(*d->ndeps));
	if (!d->name || !d->deps || !d->ndeps)
		die("out of memory");
}

static void dag_free(struct dag *d)
{
	for (long i = 0; i < d->n; i++) {
		free(d->name[i]);
		free(d->deps[i]);
	}
	free(d->name);
	free(d->deps);
	free(d->ndeps);
}

static char *name_of(const char *fmt, long a, long b)
{
	char buf[64];
	snprintf(buf, sizeof(buf), fmt, a, b);
	char *s = strdup(buf);
	if (!s)
		die("out of memory");
	return s;
}

static void node_set_deps(struct dag *d, long i, const long *deps, long ndeps)
{
	d->deps[i] = malloc((ndeps ? ndeps : 1) * sizeof(long));
	if (!d->deps[i])
		die("out of memory");
	memcpy(d->deps[i], deps, ndeps * sizeof(long));
	d->ndeps[i] = ndeps;
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void write_makefile(const struct dag *d, const char *dir)
{
	FILE *f = open_out(dir, "Makefile");
	fputs("# The bench DAG for GNU make: every task runs `true`.\n.PHONY: all", f);
	for (long i = 0; i < d->n; i++)
		fprintf(f, " %s", d->name[i]);
	fputs("\nall:", f);
	for (long i = 0; i < d->n; i++)
		fprintf(f, " %s", d->name[i]);
	fputc('\n', f);
	for (long i = 0; i < d->n; i++) {
		fprintf(f, "%s:", d->name[i]);
		for (long k = 0; k < d->ndeps[i]; k++)
			fprintf(f, " %s", d->name[d->deps[i][k]]);
		fputs("\n\t@true\n", f);
	}
	close_out(f, "Makefile");
}

static void write_ninja(const struct dag *d, const char *dir)
{
	FILE *f = open_out(dir, "build.ninja");
	fputs("# The bench DAG for ninja: every task runs `true`.\nrule t\n  command = true\n", f);
	for (long i = 0; i < d->n; i++) {
		fprintf(f, "build %s: t", d->name[i]);
		for (long k = 0; k < d->ndeps[i]; k++)
			fprintf(f, " %s", d->name[d->deps[i][k]]);
		fputc('\n', f);
	}
	fputs("build all: phony", f);
	for (long i = 0; i < d->n; i++)
		fprintf(f, " %s", d->name[i]);
	fputs("\ndefault all\n", f);
	close_out(f, "build.ninja");
}

static void dag_fan(struct dag *d, long n, const char *dir)
{
	write_job(dir, "fan", "chunk_size: 1\ncommand: [/bin/true]");
	dag_init(d, n);
	for (long i = 0; i < n; i++) {
		d->name[i] = name_of("f%ld", i + 1, 0);
		node_set_deps(d, i, NULL, 0);
	}
	printf("run fan --ids 1-%ld\n", n);
}

static void dag_layers(struct dag *d, long n, const char *dir)
{
	long width = n / LAYERS;
	if (width * LAYERS != n)
		die("layers: N must be a multiple of %d", LAYERS);
	write_job(dir, "l01", "chunk_size: 1\ncommand: [/bin/true]");
	for (int k = 2; k <= LAYERS; k++) {
		char name[16], header[256];
		snprintf(name, sizeof(name), "l%02d", k);
		snprintf(header, sizeof(header),
			 "chunk_size: 1\ncommand: [/bin/true]\ndependencies:\n"
			 "  - job_type: l%02d\n    max_lag: 0",
			 k - 1);
		write_job(dir, name, header);
	}
	dag_init(d, n);
	for (long k = 0; k < LAYERS; k++) {
		for (long i = 0; i < width; i++) {
			long node = k * width + i, below = node - width;
			d->name[node] = name_of("l%02ld_%ld", k + 1, i + 1);
			node_set_deps(d, node, &below, k > 0);
		}
	}
	printf("run l%02d --ids 1-%ld\n", LAYERS, width);
}

/* Node i < n-1 is job type r(i+1); node n-1 is root. */
static void dag_random_draw(struct dag *d, long n)
{
	uint64_t seed = SEED;
	char *is_dep = calloc(n, 1);
	long *sinks = malloc(n * sizeof(long));
	if (!is_dep || !sinks)
		die("out of memory");
	dag_init(d, n);
	for (long i = 0; i < n - 1; i++) {
		long deps[RANDOM_DEPS], nd = 0, want = i < RANDOM_DEPS ? i : RANDOM_DEPS;
		while (nd < want) {
			long p = (long)(splitmix64(&seed) % (uint64_t)i), seen = 0;
			for (long k = 0; k < nd; k++)
				seen |= deps[k] == p;
			if (!seen) {
				deps[nd++] = p;
				is_dep[p] = 1;
			}
		}
		d->name[i] = name_of("r%05ld", i + 1, 0);
		node_set_deps(d, i, deps, nd);
	}
	long nsinks = 0;
	for (long i = 0; i < n - 1; i++)
		if (!is_dep[i])
			sinks[nsinks++] = i;
	d->name[n - 1] = name_of("root", 0, 0);
	node_set_deps(d, n - 1, sinks, nsinks);
	free(is_dep);
	free(sinks);
}

static void write_random_job(const struct dag *d, long i, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/jobs/%s", dir, d->name[i]);
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	fputs("# ---\n# command: [/bin/true]\n", f);
	if (d->ndeps[i])
		fputs("# dependencies:\n", f);
	for (long k = 0; k < d->ndeps[i]; k++)
		fprintf(f, "#   - job_type: %s\n#     max_lag: 0\n", d->name[d->deps[i][k]]);
	fputs("# ---\n", f);
	close_out(f, path);
	if (chmod(path, 0755) < 0)
		die("cannot chmod '%s': %s", path, strerror(errno));
}

static void dag_random(struct dag *d, long n, const char *dir)
{
	if (n < 2)
		die("random: N must be at least 2");
	dag_random_draw(d, n);
	for (long i = 0; i < n; i++)
		write_random_job(d, i, dir);
	printf("run root\n");
}

static void gen_dag(const char *shape, long n, const char *dir)
{
	struct dag d;
	char jobs[4096];
	snprintf(jobs, sizeof(jobs), "%s/jobs", dir);
	make_dir(dir);
	make_dir(jobs);
	close_out(open_out(dir, "schedule.yaml"), "schedule.yaml");
	if (!strcmp(shape, "fan"))
		dag_fan(&d, n, dir);
	else if (!strcmp(shape, "layers"))
		dag_layers(&d, n, dir);
	else if (!strcmp(shape, "random"))
		dag_random(&d, n, dir);
	else
		die("unknown shape '%s' (fan, layers or random)", shape);
	write_makefile(&d, dir);
	write_ninja(&d, dir);
	dag_free(&d);
}

/* ---- the expansion chain --------------------------------------------------------------- */

static void gen_chain(const char *dir)
{
	static const int sizes[] = { 10, 50, 100, 500, 1000 };
	char jobs[4096];
	snprintf(jobs, sizeof(jobs), "%s/jobs", dir);
	make_dir(dir);
	make_dir(jobs);
	close_out(open_out(dir, "schedule.yaml"), "schedule.yaml");
	for (int i = 1; i <= 5; i++) {
		char name[16], header[256];
		int n = snprintf(header, sizeof(header), "chunk_size: %d\ncommand: [/bin/true]",
				 sizes[i - 1]);
		if (i < 5)
			snprintf(header + n, sizeof(header) - n,
				 "\ndependencies:\n  - job_type: stage%d\n    max_lag: 1h", i + 1);
		snprintf(name, sizeof(name), "stage%d", i);
		write_job(dir, name, header);
	}
}

static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || *end || n < 1 || n > 10000000)
		die("'%s' is not a count from 1 to 10000000", s);
	return n;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tick"))
		gen_tick(parse_count(argv[2]), argv[3]);
	else if (argc == 5 && !strcmp(argv[1], "dag"))
		gen_dag(argv[2], parse_count(argv[3]), argv[4]);
	else if (argc == 3 && !strcmp(argv[1], "chain"))
		gen_chain(argv[2]);
	else
		die("usage: gen tick N DIR | gen dag fan|layers|random N DIR | gen chain DIR");
	if (fflush(stdout) == EOF)
		die("cannot write the run arguments: %s", strerror(errno));
	return 0;
}
