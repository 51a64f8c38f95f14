/* slurm-tool.c - slurm.c's functions behind a command line, for the Slurm tests: they build
 * stau's wrapper and sbatch command line and read what sbatch, squeue and the wrapper print,
 * against a real cluster, before an executor uses them.
 *
 *   slurm-tool wrapper FILE
 *       writes the wrapper script to FILE (mode 0755)
 *   slurm-tool sbatch-argv|submit JOBFILE RUN CHUNK ATTEMPT DIR LOG WRAPPER PROGRAM [ARG]...
 *       the sbatch command line for a chunk of the job in JOBFILE (its slurm: header), one
 *       argument per line; submit runs it instead ($SBATCH, default sbatch) with this
 *       process's environment
 *   slurm-tool parse-sbatch            < sbatch's output: prints the job id
 *   slurm-tool squeue ID...            runs the squeue command line for the ids ($SQUEUE)
 *   slurm-tool parse-squeue ID...      < squeue's output: "ID PHASE STATE" for each id
 *   slurm-tool parse-status FILE       prints "exit N job J restarts R"
 *
 * Exit status 0, or 1 with a message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "slurm.h"
#include "util.h"

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "slurm-tool: %s: %s\n", what, why);
	return 1;
}

static char *read_stdin(size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	sb_add(&sb, "", 0);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		sb_add(&sb, buf, n);
	*len = sb.len;
	return sb_detach(&sb);
}

static int64_t number(const char *s)
{
	int64_t v;
	if (parse_int64(s, &v) || v < 0) {
		fprintf(stderr, "slurm-tool: '%s' is not a number\n", s);
		exit(1);
	}
	return v;
}

static int write_wrapper(const char *path)
{
	const char *w = slurm_wrapper_text();
	return write_file_atomic(path, w, strlen(w), 0755) ? fail(path, "cannot write") : 0;
}

/* Reads the job file's header; exits on a problem. */
static void load_job(const char *path, struct job *job)
{
	size_t len;
	char *text = read_file(path, &len);
	struct diags d = DIAGS_INIT;
	if (!text || config_parse_job(path, text, len, job, &d) != 1) {
		for (size_t i = 0; i < d.n; i++) {
			char *s = diag_format(&d.v[i]);
			fprintf(stderr, "slurm-tool: %s\n", s);
			free(s);
		}
		fprintf(stderr, "slurm-tool: %s: not a valid job\n", path);
		exit(1);
	}
	diags_release(&d);
	free(text);
}

static int sbatch(int argc, char **argv, bool run)
{
	if (argc < 9)
		return fail("sbatch-argv", "JOBFILE RUN CHUNK ATTEMPT DIR LOG WRAPPER PROGRAM...");
	struct job job;
	load_job(argv[1], &job);
	char *status = slurm_status_path(argv[6]);
	const char *prog = getenv("SBATCH");
	struct slurm_submit s = {
		.sbatch = prog ? prog : "sbatch", .run_id = number(argv[2]),
		.chunk_id = number(argv[3]), .attempt = (int)number(argv[4]), .dir = argv[5],
		.log_path = argv[6], .wrapper = argv[7], .status_path = status,
		.argv = argv + 8, .opts = &job.slurm,
	};
	struct strvec sv = { 0 };
	slurm_sbatch_argv(&s, &sv);
	if (run) {
		fflush(stdout);
		execvp(sv.v[0], sv.v);
		return fail(sv.v[0], "cannot run");
	}
	for (size_t i = 0; i < sv.n; i++)
		printf("%s\n", sv.v[i]);
	strvec_release(&sv);
	free(status);
	job_release(&job);
	return 0;
}

static int parse_sbatch(void)
{
	size_t len;
	char *out = read_stdin(&len), err[256];
	int64_t id;
	int rc = slurm_parse_sbatch(out, len, &id, err, sizeof(err));
	free(out);
	if (rc)
		return fail("parse-sbatch", err);
	printf("%lld\n", (long long)id);
	return 0;
}

static int squeue(int argc, char **argv)
{
	int64_t *ids = xcalloc((size_t)argc, sizeof(*ids));
	for (int i = 1; i < argc; i++)
		ids[i - 1] = number(argv[i]);
	struct strvec sv = { 0 };
	const char *prog = getenv("SQUEUE");
	slurm_squeue_argv(prog ? prog : "squeue", ids, (size_t)argc - 1, &sv);
	fflush(stdout);
	execvp(sv.v[0], sv.v);
	return fail(sv.v[0], "cannot run");
}

static int parse_squeue(int argc, char **argv)
{
	static const char *const phases[] = { "GONE", "PENDING", "RUNNING", "ENDED" };
	size_t len;
	char *out = read_stdin(&len), err[256];
	struct slurm_queue q = { 0 };
	int rc = slurm_parse_squeue(out, len, &q, err, sizeof(err));
	free(out);
	if (rc)
		return fail("parse-squeue", err);
	for (int i = 1; i < argc; i++) {
		const struct slurm_job *j = slurm_queue_find(&q, number(argv[i]));
		printf("%s %s %s\n", argv[i], phases[j ? j->phase : SLURM_GONE],
		       j ? j->state : "-");
	}
	slurm_queue_release(&q);
	return 0;
}

static int parse_status(const char *path)
{
	size_t len;
	char *text = read_file(path, &len), err[256];
	struct slurm_status st;
	if (!text)
		return fail(path, "cannot read");
	int rc = slurm_parse_status(text, len, &st, err, sizeof(err));
	free(text);
	if (rc)
		return fail(path, err);
	printf("exit %d job %lld restarts %lld\n", st.exit, (long long)st.job_id,
	       (long long)st.restarts);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	argc--;
	argv++;
	if (!strcmp(cmd, "wrapper") && argc == 2)
		return write_wrapper(argv[1]);
	if (!strcmp(cmd, "sbatch-argv") || !strcmp(cmd, "submit"))
		return sbatch(argc, argv, !strcmp(cmd, "submit"));
	if (!strcmp(cmd, "parse-sbatch"))
		return parse_sbatch();
	if (!strcmp(cmd, "squeue") && argc > 1)
		return squeue(argc, argv);
	if (!strcmp(cmd, "parse-squeue"))
		return parse_squeue(argc, argv);
	if (!strcmp(cmd, "parse-status") && argc == 2)
		return parse_status(argv[1]);
	return fail("usage", "wrapper|sbatch-argv|submit|parse-sbatch|squeue|parse-squeue|"
			     "parse-status ...");
}
