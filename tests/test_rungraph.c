/* test_rungraph.c - the chunk graph of a run: the tree with its roots, shared chunks "see
 * above", states and reasons, colour; the DOT with clusters, fill colours and edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rungraph.h"
#include "util.h"

static int64_t ids12[] = { 1, 2 }, ids34[] = { 3, 4 }, ids14[] = { 1, 2, 3, 4 };

static struct state_chunk chunk(int64_t id, const char *job, size_t i, size_t n,
				enum chunk_state st, int64_t *ids, size_t nids)
{
	return (struct state_chunk){ .id = id, .run = 7, .job = (char *)job, .index = i,
				     .count = n, .state = st, .ids = ids, .nids = nids,
				     .has_ids = true, .exit_code = -1 };
}

/* A run of report over 1-4: raw 1/1 (all IDs) feeds features 1/2 and 2/2, which feed
 * report 1/2 and 2/2; features 2/2 failed, report 2/2 was canceled. */
struct fixture {
	struct state_run r;
	struct state_chunk cs[5];
	int64_t on_raw[1], on_f1[1], on_f2[1];
};

static void build(struct fixture *f)
{
	f->r = (struct state_run){ .id = 7, .job = "report", .state = RUN_FAILED };
	f->cs[0] = chunk(1, "raw", 1, 1, CHUNK_DONE, ids14, 4);
	f->cs[1] = chunk(2, "features", 1, 2, CHUNK_DONE, ids12, 2);
	f->cs[2] = chunk(3, "features", 2, 2, CHUNK_FAILED, ids34, 2);
	f->cs[3] = chunk(4, "report", 1, 2, CHUNK_DONE, ids12, 2);
	f->cs[4] = chunk(5, "report", 2, 2, CHUNK_CANCELED, ids34, 2);
	f->cs[2].exit_code = 1;
	f->cs[4].message = "upstream failed";
	f->on_raw[0] = 1;
	f->on_f1[0] = 2;
	f->on_f2[0] = 3;
	f->cs[1].deps = f->cs[2].deps = f->on_raw;
	f->cs[1].ndeps = f->cs[2].ndeps = 1;
	f->cs[3].deps = f->on_f1;
	f->cs[3].ndeps = 1;
	f->cs[4].deps = f->on_f2;
	f->cs[4].ndeps = 1;
}

static void test_tree(void **state)
{
	(void)state;
	struct fixture f;
	build(&f);
	struct strbuf sb = STRBUF_INIT;
	rungraph_text(&sb, &f.r, f.cs, 5, false);
	assert_string_equal(sb.buf, "run 7 of report: FAILED\n"
				    "report 1/2  IDs 1-2  DONE\n"
				    "`-- features 1/2  IDs 1-2  DONE\n"
				    "    `-- raw 1/1  IDs 1-4  DONE\n"
				    "report 2/2  IDs 3-4  CANCELED: upstream failed\n"
				    "`-- features 2/2  IDs 3-4  FAILED: exit 1\n"
				    "    `-- raw 1/1  IDs 1-4  DONE\n");
	sb_release(&sb);
	/* a chunk with dependencies reached twice is not expanded twice */
	int64_t on_both[] = { 2, 3 };
	f.cs[3].deps = on_both;
	f.cs[3].ndeps = 2;
	f.cs[4].state = CHUNK_PENDING;
	f.cs[4].message = NULL;
	f.cs[2].state = CHUNK_RUNNING;
	f.cs[2].exit_code = -1;
	rungraph_text(&sb, &f.r, f.cs, 5, false);
	assert_string_equal(sb.buf, "run 7 of report: FAILED\n"
				    "report 1/2  IDs 1-2  DONE\n"
				    "|-- features 1/2  IDs 1-2  DONE\n"
				    "|   `-- raw 1/1  IDs 1-4  DONE\n"
				    "`-- features 2/2  IDs 3-4  RUNNING\n"
				    "    `-- raw 1/1  IDs 1-4  DONE\n"
				    "report 2/2  IDs 3-4  PENDING\n"
				    "`-- features 2/2  IDs 3-4  RUNNING  (see above)\n");
	sb_release(&sb);
}

static void test_tree_details(void **state)
{
	(void)state;
	struct state_run r = { .id = 2, .job = "a", .state = RUN_DONE };
	int64_t many[50];
	for (int i = 0; i < 50; i++)
		many[i] = 3 * i;
	struct state_chunk cs[] = { chunk(1, "a", 1, 1, CHUNK_DONE, many, 50) };
	struct strbuf sb = STRBUF_INIT;
	rungraph_text(&sb, &r, cs, 1, true);
	assert_string_equal(sb.buf, "run 2 of a: \033[32mDONE\033[0m\n"
				    "a 1/1  IDs 0,3,6,9,12,15,18,21,24,27,30,\xe2\x80\xa6 (50 IDs)  "
				    "\033[32mDONE\033[0m\n");
	sb_release(&sb);
	/* a run without IDs; a chunk killed by a signal; a run with no chunks */
	cs[0].has_ids = false;
	cs[0].state = CHUNK_FAILED;
	cs[0].signal = 9;
	rungraph_text(&sb, &r, cs, 1, false);
	assert_string_equal(sb.buf, "run 2 of a: DONE\na 1/1  FAILED: SIGKILL\n");
	sb_release(&sb);
	rungraph_text(&sb, &r, cs, 0, false);
	assert_string_equal(sb.buf, "run 2 of a: DONE\nno chunks\n");
	sb_release(&sb);
}

static void test_dot(void **state)
{
	(void)state;
	struct fixture f;
	build(&f);
	struct strbuf sb = STRBUF_INIT;
	rungraph_dot(&sb, &f.r, f.cs, 5);
	assert_string_equal(sb.buf,
		"digraph stau_run {\n"
		"\trankdir=LR;\n"
		"\tlabel=\"run 7 of report: FAILED\";\n"
		"\tlabelloc=t;\n"
		"\tfontname=\"sans-serif\";\n"
		"\tnode [shape=box, style=filled, fontname=\"sans-serif\"];\n"
		"\tsubgraph \"cluster_raw\" {\n"
		"\t\tlabel=\"raw\";\n"
		"\t\t\"c1\" [label=\"raw 1/1\\nIDs 1-4\\nDONE\", fillcolor=\"palegreen\"];\n"
		"\t}\n"
		"\tsubgraph \"cluster_features\" {\n"
		"\t\tlabel=\"features\";\n"
		"\t\t\"c2\" [label=\"features 1/2\\nIDs 1-2\\nDONE\", fillcolor=\"palegreen\"];\n"
		"\t\t\"c3\" [label=\"features 2/2\\nIDs 3-4\\nFAILED: exit 1\", "
		"fillcolor=\"lightcoral\"];\n"
		"\t}\n"
		"\tsubgraph \"cluster_report\" {\n"
		"\t\tlabel=\"report\";\n"
		"\t\t\"c4\" [label=\"report 1/2\\nIDs 1-2\\nDONE\", fillcolor=\"palegreen\"];\n"
		"\t\t\"c5\" [label=\"report 2/2\\nIDs 3-4\\nCANCELED: upstream failed\", "
		"fillcolor=\"khaki\"];\n"
		"\t}\n"
		"\t\"c1\" -> \"c2\";\n"
		"\t\"c1\" -> \"c3\";\n"
		"\t\"c2\" -> \"c4\";\n"
		"\t\"c3\" -> \"c5\";\n"
		"}\n");
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_tree_details),
		cmocka_unit_test(test_dot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
