/* fuzz_slurm.c - libFuzzer harness: the readers of what sbatch, squeue and the Slurm wrapper
 * print, and the checks of slurm: values, on arbitrary text.
 *
 * Any input must give a result or one message, with no crash, undefined behaviour or leak,
 * and without reading past the input (which is not NUL-terminated). What is accepted must
 * hold what the header promises: job ids from 1 to SLURM_JOB_ID_MAX, known phases, an exit
 * status from 0 to 255, and a time limit that is written and read back to the same whole
 * minutes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slurm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sbatch(const char *text, size_t size)
{
	char err[256] = "";
	int64_t id = -1;
	int rc = slurm_parse_sbatch(text, size, &id, err, sizeof(err));
	if (rc == 0 && (id < 1 || id > SLURM_JOB_ID_MAX))
		abort();
	if (rc && strncmp(err, "sbatch printed ", 15))
		abort();
}

static void check_squeue(const char *text, size_t size)
{
	char err[256] = "";
	struct slurm_queue q = { 0 };
	int rc = slurm_parse_squeue(text, size, &q, err, sizeof(err));
	for (size_t i = 0; i < q.n; i++) {
		const struct slurm_job *j = &q.v[i];
		if (j->id < 1 || j->id > SLURM_JOB_ID_MAX || !j->state[0] ||
		    j->phase < SLURM_PENDING || j->phase > SLURM_ENDED)
			abort();
		if (slurm_queue_find(&q, j->id) == NULL)
			abort();
	}
	if (rc && strncmp(err, "squeue output line ", 19))
		abort();
	slurm_queue_release(&q);
}

static void check_status(const char *text, size_t size)
{
	char err[256] = "";
	struct slurm_status st;
	int rc = slurm_parse_status(text, size, &st, err, sizeof(err));
	if (rc == 0 && (st.exit < 0 || st.exit > 255 || st.job_id < 0 || st.restarts < 0 ||
			st.start < 0 || st.end < 0))
		abort();
	if (rc && !err[0])
		abort();
}

/* The value checks take NUL-terminated text: the input up to its first NUL. */
static void check_values(const char *s)
{
	int64_t secs, back;
	char buf[64];
	if (slurm_time_parse(s, &secs) == 0) {
		if (secs != SLURM_TIME_UNLIMITED && secs <= 0)
			abort();
		slurm_time_format(secs, buf, sizeof(buf));
		if (slurm_time_parse(buf, &back) ||
		    (secs != SLURM_TIME_UNLIMITED && back != (secs + 59) / 60 * 60))
			abort();
	}
	(void)slurm_mem_ok(s);
	(void)slurm_name_ok(s, true);
	const char *hint;
	free(slurm_extra_arg_problem(s, &hint));
	char *p = slurm_status_path(s);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that AddressSanitizer sees any read past the end */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	check_sbatch(text, size);
	check_squeue(text, size);
	check_status(text, size);
	free(text);
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_values(s);
	free(s);
	return 0;
}
