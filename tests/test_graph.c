/* test_graph.c - the job-type graph: edges, unknown dependencies, cycles, topological order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "util.h"

/* A job named by spec "type:dep1,dep2"; deps get line 10+i, column 17. */
static void make_job(struct job *job, const char *spec)
{
	memset(job, 0, sizeof(*job));
	const char *colon = strchr(spec, ':');
	job->type = xstrndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
	job->path = xasprintf("jobs/%s.py", job->type);
	if (!colon || !colon[1])
		return;
	char *list = xstrdup(colon + 1);
	for (char *save, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		job->deps = xrealloc(job->deps, (job->ndeps + 1) * sizeof(*job->deps));
		struct dep *d = &job->deps[job->ndeps];
		memset(d, 0, sizeof(*d));
		d->job_type = xstrdup(tok);
		d->loc.line = 10 + (int)job->ndeps;
		d->loc.col = 17;
		job->ndeps++;
	}
	free(list);
}

struct fixture {
	struct job jobs[8];
	size_t n;
	struct graph g;
	struct diags d;
};

static int build(struct fixture *f, const char **specs)
{
	memset(f, 0, sizeof(*f));
	for (; *specs; specs++)
		make_job(&f->jobs[f->n++], *specs);
	return graph_build(&f->g, f->jobs, f->n, &f->d);
}

static void release(struct fixture *f)
{
	graph_free(&f->g);
	for (size_t i = 0; i < f->n; i++) {
		for (size_t k = 0; k < f->jobs[i].ndeps; k++)
			free(f->jobs[i].deps[k].job_type);
		free(f->jobs[i].deps);
		free(f->jobs[i].type);
		free(f->jobs[i].path);
	}
	diags_release(&f->d);
}

static char *diag_text(const struct fixture *f, size_t i)
{
	return diag_format(&f->d.v[i]);
}

static void assert_order_respects_edges(const struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		assert_ptr_equal(g->order[g->nodes[i].topo], &g->nodes[i]);
		for (size_t k = 0; k < g->nodes[i].ndeps; k++)
			assert_true(g->nodes[i].deps[k].to->topo < g->nodes[i].topo);
	}
}

static void test_diamond_is_ordered(void **unused)
{
	struct fixture f;
	const char *specs[] = { "a:b,c", "b:d", "c:d", "d", NULL };
	assert_int_equal(build(&f, specs), 0);
	assert_int_equal(f.d.n, 0);
	assert_int_equal(f.g.n, 4);
	assert_int_equal(graph_find(&f.g, "a")->ndeps, 2);
	assert_string_equal(graph_find(&f.g, "a")->deps[1].to->job->type, "c");
	assert_null(graph_find(&f.g, "e"));
	assert_string_equal(f.g.order[0]->job->type, "d");
	assert_string_equal(f.g.order[3]->job->type, "a");
	assert_order_respects_edges(&f.g);
	release(&f);
}

static void test_unknown_dependency_names_line_and_suggests(void **unused)
{
	struct fixture f;
	const char *specs[] = { "job_A:job_B,job_X", "job_B", "job_C", NULL };
	assert_int_equal(build(&f, specs), -1);
	assert_int_equal(f.d.n, 1);
	char *s = diag_text(&f, 0);
	assert_string_equal(s, "jobs/job_A.py:11:17: unknown dependency 'job_X': no file in jobs/ "
			       "has that job type (did you mean 'job_A'?)");
	free(s);
	assert_int_equal(graph_find(&f.g, "job_A")->ndeps, 1);
	release(&f);
}

static void test_two_cycle_is_spelled_out(void **unused)
{
	struct fixture f;
	const char *specs[] = { "job_A:job_B", "job_B:job_A", NULL };
	assert_int_equal(build(&f, specs), -1);
	assert_int_equal(f.d.n, 1);
	char *s = diag_text(&f, 0);
	assert_string_equal(s, "jobs/job_B.py:10:17: dependency cycle: job_A -> job_B -> job_A");
	free(s);
	assert_order_respects_edges(&f.g);
	release(&f);
}

static void test_long_cycle_and_self_loop(void **unused)
{
	struct fixture f;
	const char *specs[] = { "a:b", "b:c", "c:d", "d:b", "e:e", NULL };
	assert_int_equal(build(&f, specs), -1);
	assert_int_equal(f.d.n, 2);
	char *s = diag_text(&f, 0);
	assert_string_equal(s, "jobs/d.py:10:17: dependency cycle: b -> c -> d -> b");
	free(s);
	s = diag_text(&f, 1);
	assert_string_equal(s, "jobs/e.py:10:17: dependency cycle: e -> e");
	free(s);
	assert_order_respects_edges(&f.g);
	release(&f);
}

static void test_empty_graph(void **unused)
{
	struct fixture f;
	const char *specs[] = { NULL };
	assert_int_equal(build(&f, specs), 0);
	assert_null(graph_find(&f.g, "a"));
	release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diamond_is_ordered),
		cmocka_unit_test(test_unknown_dependency_names_line_and_suggests),
		cmocka_unit_test(test_two_cycle_is_spelled_out),
		cmocka_unit_test(test_long_cycle_and_self_loop),
		cmocka_unit_test(test_empty_graph),
	};
	return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
