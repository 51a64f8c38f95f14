/* test_jobheader.c - finding job headers: leaders, preambles, line ends, errors, position map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobheader.h"
#include "util.h"

/* Runs jobheader_find on a NUL-terminated text; the result code, the YAML text (or NULL) and the
 * first diagnostic formatted (or NULL). */
struct found {
	int rc;
	struct jobheader h;
	char *diag;
	size_t ndiags;
};

static struct found find(const char *text)
{
	struct found f = { 0 };
	struct diags d = DIAGS_INIT;
	f.rc = jobheader_find("jobs/j.py", text, strlen(text), &f.h, &d);
	f.ndiags = d.n;
	if (d.n)
		f.diag = diag_format(&d.v[0]);
	diags_release(&d);
	return f;
}

static void found_release(struct found *f)
{
	if (f->rc == 1)
		jobheader_release(&f->h);
	free(f->diag);
}

static void assert_yaml(const char *text, const char *yaml, int first_line)
{
	struct found f = find(text);
	assert_int_equal(f.rc, 1);
	assert_int_equal(f.ndiags, 0);
	assert_string_equal(f.h.yaml, yaml);
	assert_int_equal(f.h.len, strlen(yaml));
	assert_int_equal(f.h.first_line, first_line);
	found_release(&f);
}

static void assert_error(const char *text, const char *diag)
{
	struct found f = find(text);
	assert_int_equal(f.rc, -1);
	assert_int_equal(f.ndiags, 1);
	assert_string_equal(f.diag, diag);
	found_release(&f);
}

static void test_every_leader(void **state)
{
	(void)state;
	assert_yaml("# ---\n# a: 1\n#   b: 2\n# ---\n", "a: 1\n  b: 2\n", 2);
	assert_yaml("// ---\n// a: 1\n// ---\nint x;\n", "a: 1\n", 2);
	assert_yaml("-- ---\n-- a: 1\n-- ---\nSELECT 1;\n", "a: 1\n", 2);
	assert_yaml("; ---\n; a: 1\n; ---\n", "a: 1\n", 2);
	assert_yaml("% ---\n% a: 1\n% ---\n", "a: 1\n", 2);
}

static void test_marker_spacing(void **state)
{
	(void)state;
	assert_yaml("#---\n#a: 1\n#---\n", "a: 1\n", 2);
	assert_yaml("#   ---   \n# a: 1\n#  ---\t\n", "a: 1\n", 2);
	assert_yaml("    # ---\n    # a: 1\n    # ---\n", "a: 1\n", 2);
	assert_yaml("-----\n-- a: 1\n-----\n", "a: 1\n", 2);
}

static void test_empty_lines_inside(void **state)
{
	(void)state;
	assert_yaml("# ---\n# a: 1\n#\n# b: 2\n# ---\n", "a: 1\n\nb: 2\n", 2);
	assert_yaml("# ---\n# ---\n", "", 2);
}

static void test_only_one_space_removed(void **state)
{
	(void)state;
	assert_yaml("# ---\n# l:\n#   - 1\n# ---\n", "l:\n  - 1\n", 2);
	assert_yaml("# ---\n#\ta: 1\n# ---\n", "\ta: 1\n", 2);
}

static void test_preamble(void **state)
{
	(void)state;
	assert_yaml("#!/usr/bin/env python3\n# ---\n# a: 1\n# ---\n", "a: 1\n", 3);
	assert_yaml("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# ---\n# a: 1\n# ---\n",
		    "a: 1\n", 4);
	assert_yaml("#!/usr/bin/env node\n// vim: set fileencoding=utf-8 :\n\n// ---\n// a: 1\n"
		    "// ---\n", "a: 1\n", 5);
	assert_yaml("# Copyright 2026 the authors\n# Licence: MIT\n\n\n# ---\n# a: 1\n# ---\n",
		    "a: 1\n", 6);
	/* a shebang only counts on line 1, where any leader may follow */
	assert_yaml("#!/bin/sh\n-- ---\n-- a: 1\n-- ---\n", "a: 1\n", 3);
	assert_yaml("\xEF\xBB\xBF# ---\n# a: 1\n# ---\n", "a: 1\n", 2);
}

static void test_no_header(void **state)
{
	(void)state;
	const char *texts[] = {
		"",
		"\n\n",
		"import os\n# ---\n# a: 1\n# ---\n",
		"#!/usr/bin/env python3\n\"\"\"doc\"\"\"\n# ---\n# a: 1\n# ---\n",
		"# just a comment\n# ----------\n",
		"# -- ---\n",
		"X = 1",
		"#!/bin/sh\n#!/bin/sh\nfoo\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct found f = find(texts[i]);
		assert_int_equal(f.rc, 0);
		assert_int_equal(f.ndiags, 0);
		found_release(&f);
	}
}

static void test_crlf_and_no_final_newline(void **state)
{
	(void)state;
	assert_yaml("#!/bin/sh\r\n# ---\r\n# a: 1\r\n#\r\n# b: x\r\n# ---\r\necho\r\n",
		    "a: 1\n\nb: x\n", 3);
	assert_yaml("# ---\n# a: 1\n# ---", "a: 1\n", 2);
	assert_yaml("# ---\r\n# a: 1\r\n# ---\r", "a: 1\n", 2);
}

static void test_unclosed(void **state)
{
	(void)state;
	assert_error("#!/bin/sh\n# ---\n# a: 1\n",
		     "jobs/j.py:2:1: header opened here is never closed; add a closing '# ---'");
	assert_error("  // ---\n  // a: 1",
		     "jobs/j.py:1:3: header opened here is never closed; add a closing '// ---'");
	assert_error("# ---", "jobs/j.py:1:1: header opened here is never closed; "
				  "add a closing '# ---'");
}

static void test_line_without_leader(void **state)
{
	(void)state;
	assert_error("#!/usr/bin/env python3\n# ---\n# a: 1\nimport os\n# ---\n",
		     "jobs/j.py:4:1: header line does not start with '#' (the header opened at "
		     "line 2); start it with '#' or close the header above it with '# ---'");
	assert_error("-- ---\n-- a: 1\n\n-- ---\n",
		     "jobs/j.py:3:1: header line does not start with '--' (the header opened at "
		     "line 1); start it with '--' or close the header above it with '-- ---'");
	/* the indentation of the opening line is part of the prefix */
	assert_error("  # ---\n# a: 1\n  # ---\n",
		     "jobs/j.py:2:1: header line does not start with '#' (the header opened at "
		     "line 1); start it with '#' or close the header above it with '# ---'");
	/* another leader inside is not the header's */
	assert_error("# ---\n// a: 1\n# ---\n",
		     "jobs/j.py:2:1: header line does not start with '#' (the header opened at "
		     "line 1); start it with '#' or close the header above it with '# ---'");
}

static void test_column_map(void **state)
{
	(void)state;
	struct found f = find("#!/bin/sh\n  --   ---\n  -- a: 1\n  --b: 2\n  --\n  -- ---\n");
	assert_int_equal(f.rc, 1);
	assert_string_equal(f.h.yaml, "a: 1\nb: 2\n\n");
	assert_int_equal(f.h.nlines, 3);
	int line, col;
	jobheader_map(&f.h, 1, 1, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 6);
	jobheader_map(&f.h, 1, 4, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 9);
	jobheader_map(&f.h, 2, 1, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 5);
	jobheader_map(&f.h, 3, 1, &line, &col);
	assert_int_equal(line, 5);
	assert_int_equal(col, 5);
	/* past the last YAML line (libyaml's end of input): the closing line */
	jobheader_map(&f.h, 4, 1, &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 1);
	found_release(&f);
}

static void test_nul_bytes_and_binary(void **state)
{
	(void)state;
	const char text[] = "# ---\n# a: \0x\n# ---\n";
	struct jobheader h;
	struct diags d = DIAGS_INIT;
	assert_int_equal(jobheader_find("f", text, sizeof(text) - 1, &h, &d), 1);
	assert_int_equal(h.len, 6);
	assert_memory_equal(h.yaml, "a: \0x\n", 6);
	jobheader_release(&h);
	/* not NUL-terminated: only len bytes are read */
	const char cut[] = { '#', ' ', '-', '-', '-', '\n', '#', ' ', '-', '-', '-', 'X' };
	assert_int_equal(jobheader_find("f", cut, 11, &h, &d), 1);
	assert_string_equal(h.yaml, "");
	jobheader_release(&h);
	const char bin[] = "\x7f" "ELF\0\0\0\n# ---\n";
	assert_int_equal(jobheader_find("f", bin, sizeof(bin) - 1, &h, &d), 0);
	assert_int_equal(d.n, 0);
}

static void test_huge_lines(void **state)
{
	(void)state;
	size_t n = 4 << 20;
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "# ---\n# a: ");
	char *big = xmalloc(n);
	memset(big, 'x', n);
	sb_add(&sb, big, n);
	sb_adds(&sb, "\n# ---\n");
	sb_add(&sb, big, n);
	struct jobheader h;
	struct diags d = DIAGS_INIT;
	assert_int_equal(jobheader_find("f", sb.buf, sb.len, &h, &d), 1);
	assert_int_equal(h.len, n + 4);
	jobheader_release(&h);
	/* a long comment preamble, then code: no header */
	sb.len = 0;
	for (int i = 0; i < 100000; i++)
		sb_adds(&sb, "# a comment line\n");
	sb_adds(&sb, "code\n# ---\n# ---\n");
	assert_int_equal(jobheader_find("f", sb.buf, sb.len, &h, &d), 0);
	sb_release(&sb);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_leader),
		cmocka_unit_test(test_marker_spacing),
		cmocka_unit_test(test_empty_lines_inside),
		cmocka_unit_test(test_only_one_space_removed),
		cmocka_unit_test(test_preamble),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_crlf_and_no_final_newline),
		cmocka_unit_test(test_unclosed),
		cmocka_unit_test(test_line_without_leader),
		cmocka_unit_test(test_column_map),
		cmocka_unit_test(test_nul_bytes_and_binary),
		cmocka_unit_test(test_huge_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
