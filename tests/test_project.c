/* test_project.c - loading only the jobs a tick needs (project_load_needed): the types asked
 * for and what they depend on, file to file, and nothing else; the checks of a full load for
 * what was read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "project.h"
#include "timeutil.h"
#include "util.h"

struct fx {
	char dir[64];
	struct project p;
};

static void put_job(struct fx *x, const char *name, const char *header)
{
	char *path = xasprintf("%s/jobs/%s", x->dir, name);
	char *text = xasprintf("#!/bin/sh\n# ---\n%s# ---\ntrue\n", header);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
	free(text);
	free(path);
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/stau-project.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_int_equal(chmod(x->dir, 0755), 0);
	char *jobs = xasprintf("%s/jobs", x->dir);
	assert_int_equal(mkdir(jobs, 0755), 0);
	free(jobs);
	put_job(x, "a.sh", "# dependencies:\n#   - job_type: b\n");
	put_job(x, "b.py", "# dependencies:\n#   - job_type: c\n#   - job_type: a.x\n");
	put_job(x, "c.sh", "# description: the end of the chain\n");
	put_job(x, "a.x.sh", "# description: a type with a dot\n");
	put_job(x, "other.sh", "# descripton: broken, and never read\n");
	put_job(x, "dup.sh", "# description: one\n");
	put_job(x, "dup.py", "# description: two\n");
	put_job(x, "lost.sh", "# dependencies:\n#   - job_type: nowhere\n");
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	project_release(&x->p);
	char *cmd = xasprintf("rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x);
	tz_cache_free();
	return 0;
}

/* Loads the types given into x->p; returns project_load_needed's result. */
static int load(struct fx *x, char **types, size_t n)
{
	memset(&x->p, 0, sizeof(x->p));
	x->p.dir = xstrdup(x->dir);
	return project_load_needed(&x->p, types, n);
}

static void test_a_type_and_what_it_depends_on(void **state)
{
	struct fx *x = *state;
	char *types[] = { "a" };
	assert_int_equal(load(x, types, 1), 0);
	assert_true(x->p.partial);
	assert_int_equal(x->p.njobs, 4);
	assert_string_equal(x->p.jobs[0].type, "a");
	assert_string_equal(x->p.jobs[1].type, "a.x");
	assert_string_equal(x->p.jobs[2].type, "b");
	assert_string_equal(x->p.jobs[3].type, "c");
	assert_null(project_job(&x->p, "other"));
	assert_int_equal(x->p.diags.n, 0); /* other.sh is never read */
}

static void test_two_files_of_one_type_are_both_read_and_refused(void **state)
{
	struct fx *x = *state;
	char *types[] = { "dup", "c" };
	assert_int_equal(load(x, types, 2), -1);
	assert_int_equal(x->p.njobs, 2);
	const struct job *dup = project_job(&x->p, "dup");
	assert_non_null(dup);
	assert_non_null(dup->broken);
	assert_non_null(strstr(dup->broken, "defined twice"));
	assert_null(project_job(&x->p, "c")->broken);
}

static void test_a_missing_type_or_dependency(void **state)
{
	struct fx *x = *state;
	char *types[] = { "gone", "lost" };
	assert_int_equal(load(x, types, 2), -1);
	assert_int_equal(x->p.njobs, 1);
	assert_null(project_job(&x->p, "gone"));
	assert_int_equal(x->p.diags.n, 1);
	char *line = diag_format(&x->p.diags.v[0]);
	assert_non_null(strstr(line, "jobs/lost.sh:4:"));
	assert_non_null(strstr(line, "nowhere"));
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_type_and_what_it_depends_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_files_of_one_type_are_both_read_and_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_missing_type_or_dependency, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
