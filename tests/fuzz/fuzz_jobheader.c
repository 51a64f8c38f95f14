/* fuzz_jobheader.c - libFuzzer harness: jobheader_find and config_parse_job on arbitrary job
 * files.
 *
 * Any input must give a clean result (found, not found, or diagnostics) with no crash, no
 * undefined behaviour and no leak; every diagnostic must carry the file name and, when it has
 * a position, a line within the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jobheader.h"
#include "timeutil.h"

static int lines_in(const uint8_t *data, size_t size)
{
	int n = 1;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_diags(const struct diags *d, int max_line)
{
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].file, "jobs/fuzz.py") || d->v[i].line > max_line + 1 ||
		    !d->v[i].msg[0])
			abort();
		free(diag_format(&d->v[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int max_line = lines_in(data, size);
	struct diags d = DIAGS_INIT;
	struct jobheader h;
	int rc = jobheader_find("jobs/fuzz.py", text, size, &h, &d);
	if (rc == 1) {
		int line, col;
		if (h.len != strlen(h.yaml) && !memchr(h.yaml, 0, h.len))
			abort();
		for (int k = 0; k <= h.nlines + 1; k++)
			jobheader_map(&h, k, 1, &line, &col);
		jobheader_release(&h);
	} else if ((rc == 0) != (d.n == 0)) {
		abort();
	}
	check_diags(&d, max_line);
	diags_release(&d);

	struct job job;
	int jrc = config_parse_job("jobs/fuzz.py", text, size, &job, &d);
	if ((jrc == 0 && rc != 0) || (jrc == 1 && d.n) || (jrc == -1 && !d.n))
		abort();
	if (jrc == 1) {
		char *j = kv_to_json(&job.env);
		free(j);
		job_release(&job);
	}
	check_diags(&d, max_line);
	diags_release(&d);

	jrc = config_parse_job_partial("jobs/fuzz.py", text, size, &job, &d);
	if (jrc != 0)
		job_release(&job);
	diags_release(&d);
	tz_cache_free();
	return 0;
}
