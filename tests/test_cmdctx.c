/* test_cmdctx.c - the setup stau.c does for a command as its row asks: the directory, the
 * project, the database, and reading that never creates a database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmdctx.h"
#include "util.h"

static char dir[64];

static bool has_database(void)
{
	char *path = xasprintf("%s/.stau/stau.db", dir);
	bool yes = access(path, F_OK) == 0;
	free(path);
	return yes;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/stau-cmdctx.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char *jobs = xasprintf("%s/jobs", dir), *job = xasprintf("%s/jobs/a.sh", dir);
	assert_int_equal(mkdir(jobs, 0755), 0);
	const char *text = "#!/bin/sh\n# ---\n# ---\n";
	assert_int_equal(write_file_atomic(job, text, strlen(text), 0755), 0);
	free(jobs);
	free(job);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static void test_reading_never_creates_the_database(void **state)
{
	(void)state;
	struct ctx ctx = { .tty = false };
	assert_int_equal(ctx_setup(&ctx, NEED_CONFIG | NEED_STATE_GENTLY, dir), EXIT_OK);
	assert_string_equal(ctx.dir, dir);
	assert_non_null(project_job(&ctx.p, "a"));
	assert_null(ctx.st);
	ctx_release(&ctx);
	assert_false(has_database());
	/* what needs the state creates it; later, reading opens it */
	assert_int_equal(ctx_setup(&ctx, NEED_STATE, dir), EXIT_OK);
	assert_non_null(ctx.st);
	assert_false(ctx.loaded);
	ctx_release(&ctx);
	assert_true(has_database());
	assert_int_equal(ctx_setup(&ctx, NEED_STATE_GENTLY, dir), EXIT_OK);
	assert_non_null(ctx.st);
	ctx_release(&ctx);
	assert_null(ctx.dir);
	assert_null(ctx.st);
}

static void test_no_project_directory(void **state)
{
	(void)state;
	struct ctx ctx = { .tty = false };
	char *none = xasprintf("%s/none", dir);
	fflush(stderr);
	FILE *fe = tmpfile();
	int se = dup(2);
	dup2(fileno(fe), 2);
	int rc = ctx_setup(&ctx, NEED_STATE, none);
	fflush(stderr);
	dup2(se, 2);
	close(se);
	fclose(fe);
	assert_int_equal(rc, EXIT_USAGE);
	ctx_release(&ctx);
	/* nothing asked, nothing done */
	assert_int_equal(ctx_setup(&ctx, 0, none), EXIT_OK);
	assert_null(ctx.dir);
	ctx_release(&ctx);
	free(none);
}

/* A --now more than a minute ahead is refused on the project's own state only. */
static void test_a_future_now_is_refused_on_the_projects_state(void **state)
{
	(void)state;
	struct ctx ctx = { .tty = false };
	int64_t now = (int64_t)time(NULL);
	fflush(stderr);
	FILE *fe = tmpfile();
	int se = dup(2);
	dup2(fileno(fe), 2);
	assert_int_equal(ctx_setup(&ctx, NEED_PROJECT, dir), EXIT_OK);
	int past = ctx_refuse_future(&ctx, "tick", now - 86400);
	int soon = ctx_refuse_future(&ctx, "tick", now + 30);
	int later = ctx_refuse_future(&ctx, "tick", now + 3600);
	ctx_release(&ctx);
	ctx.state_opt = dir;
	assert_int_equal(ctx_setup(&ctx, NEED_PROJECT, dir), EXIT_OK);
	int elsewhere = ctx_refuse_future(&ctx, "tick", now + 3600);
	ctx_release(&ctx);
	fflush(stderr);
	dup2(se, 2);
	close(se);
	fclose(fe);
	assert_int_equal(past, EXIT_OK);
	assert_int_equal(soon, EXIT_OK);
	assert_int_equal(later, EXIT_USAGE);
	assert_int_equal(elsewhere, EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reading_never_creates_the_database),
		cmocka_unit_test(test_no_project_directory),
		cmocka_unit_test(test_a_future_now_is_refused_on_the_projects_state),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
