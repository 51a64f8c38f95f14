/* test_cronline.c - the crontab line of a project: quoting for the shell and for cron, and
 * the note about the python3 that cron would find instead of the user's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cronline.h"
#include "util.h"

static void check_quote(const char *word, const char *want)
{
	char *got = cronline_quote(word);
	assert_string_equal(got, want);
	free(got);
}

static void test_quote(void **state)
{
	(void)state;
	check_quote("/usr/local/bin/stau", "/usr/local/bin/stau");
	check_quote("/srv/p-1_x.y+z,a:b=c@d", "/srv/p-1_x.y+z,a:b=c@d");
	check_quote("/srv/my pipelines", "'/srv/my pipelines'");
	check_quote("/srv/it's", "'/srv/it'\\''s'");
	check_quote("/srv/100%", "'/srv/100\\%'");
	check_quote("/srv/$HOME;rm", "'/srv/$HOME;rm'");
	check_quote("", "''");
}

static void test_line(void **state)
{
	(void)state;
	char *line = cronline("/srv/p", "/usr/local/bin/stau", NULL);
	assert_string_equal(line, "* * * * * /usr/local/bin/stau -C /srv/p tick");
	free(line);
	line = cronline("/srv/a b", "/opt/stau 2/stau", NULL);
	assert_string_equal(line, "* * * * * '/opt/stau 2/stau' -C '/srv/a b' tick");
	free(line);
	/* this process's binary, by its absolute path */
	line = cronline("/srv/p", NULL, NULL);
	assert_true(!strncmp(line, "* * * * * /", 11));
	assert_non_null(strstr(line, " -C /srv/p tick"));
	free(line);
	/* the database elsewhere goes with it: cron's environment has no $STAU_STATE */
	line = cronline("/srv/p", "/usr/bin/stau", "/var/lib/stau/a b");
	assert_string_equal(line, "* * * * * /usr/bin/stau -C /srv/p --state '/var/lib/stau/a b' tick");
	free(line);
	/* no crontab line can carry a newline */
	assert_null(cronline("/srv/a\nb", "/usr/bin/stau", NULL));
	assert_null(cronline("/srv/p", "/usr/bin/stau", "/var/x\ry"));
}

static char dir[64];

static void put_exe(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	assert_int_equal(write_file_atomic(path, "#!/bin/sh\n", 10, 0755), 0);
	free(path);
}

static void test_python_note(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/stau-cronline.XXXXXX");
	assert_non_null(mkdtemp(dir));
	put_exe("python3");
	put_exe("mypython");
	struct project p = { .dir = dir };
	char *path = xasprintf("/nonexistent:relative:%s:%s", dir, CRON_PATH);
	char *note = cronline_python_note(&p, path);
	char *want = xasprintf("note: your PATH finds python3 as %s/python3, but cron's PATH "
			       "(/usr/bin:/bin) finds ", dir);
	assert_non_null(note);
	assert_true(!strncmp(note, want, strlen(want)));
	free(want);
	want = xasprintf("set 'python: %s/python3' in the settings of schedule.yaml", dir);
	assert_non_null(strstr(note, want));
	free(want);
	free(note);
	/* a shim (pyenv) or a venv's link: the note names the interpreter it runs */
	char *shim = xasprintf("%s/pyshim", dir);
	const char *text = "#!/bin/sh\necho /opt/py/bin/python3\n";
	assert_int_equal(write_file_atomic(shim, text, strlen(text), 0755), 0);
	free(shim);
	p.sched.settings.python = "pyshim";
	note = cronline_python_note(&p, path);
	assert_non_null(note);
	assert_non_null(strstr(note, "set 'python: /opt/py/bin/python3' in the settings"));
	free(note);
	p.sched.settings.python = NULL;
	/* the same python3 as cron's */
	assert_null(cronline_python_note(&p, CRON_PATH));
	assert_null(cronline_python_note(&p, "/bin:/usr/bin"));
	/* a bare name in settings is looked up the same way; cron finds none */
	p.sched.settings.python = "mypython";
	note = cronline_python_note(&p, path);
	assert_non_null(note);
	assert_non_null(strstr(note, "finds none:"));
	free(note);
	/* an absolute path is what runs, under cron as anywhere */
	p.sched.settings.python = "/opt/venv/bin/python3";
	assert_null(cronline_python_note(&p, path));
	free(path);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_python_note),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
