/* test_overlap.c - identical work: which entries' work is the same, and the runs a tick
 * queued for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "overlap.h"
#include "util.h"

static struct entry mk(const char *job, const char *kwargs[], const int64_t *ids, size_t n)
{
	struct entry e;
	memset(&e, 0, sizeof(e));
	e.job = (char *)job;
	for (size_t i = 0; kwargs && kwargs[i]; i += 2)
		kv_add(&e.kwargs, kwargs[i], xstrdup(kwargs[i + 1]), (struct loc){ 0, 0 });
	e.work_ids = (int64_t *)ids;
	e.nwork_ids = n;
	e.has_work_ids = ids != NULL;
	return e;
}

static bool same_work(struct entry *a, struct entry *b)
{
	char *ka = overlap_work_key(a), *kb = overlap_work_key(b);
	bool same = !strcmp(ka, kb);
	free(ka);
	free(kb);
	kvlist_release(&a->kwargs);
	kvlist_release(&b->kwargs);
	return same;
}

static void test_kwargs_in_any_order_are_the_same_work(void **state)
{
	(void)state;
	const char *ab[] = { "a", "1", "b", "\"x\"", NULL }, *ba[] = { "b", "\"x\"", "a", "1", NULL };
	struct entry a = mk("job", ab, NULL, 0), b = mk("job", ba, NULL, 0);
	assert_true(same_work(&a, &b));
}

static void test_other_job_kwargs_or_ids_are_other_work(void **state)
{
	(void)state;
	const char *k1[] = { "region", "\"eu\"", NULL }, *k2[] = { "region", "\"us\"", NULL };
	static const int64_t ids12[] = { 1, 2 }, ids13[] = { 1, 3 };
	struct entry a = mk("job", k1, NULL, 0), b = mk("job", k2, NULL, 0);
	assert_false(same_work(&a, &b));
	a = mk("job", k1, NULL, 0), b = mk("other", k1, NULL, 0);
	assert_false(same_work(&a, &b));
	a = mk("job", k1, ids12, 2), b = mk("job", k1, ids13, 2);
	assert_false(same_work(&a, &b));
	a = mk("job", k1, ids12, 2), b = mk("job", k1, NULL, 0); /* select_work: maybe others */
	assert_false(same_work(&a, &b));
	a = mk("job", k1, ids12, 2), b = mk("job", k1, ids12, 2);
	assert_true(same_work(&a, &b));
}

static void test_the_set_finds_the_run_of_a_key(void **state)
{
	(void)state;
	struct overlap_set s = { 0 };
	assert_int_equal(overlap_find(&s, "x"), 0);
	for (int i = 1; i <= 20; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		overlap_add(&s, key, i * 10);
	}
	assert_int_equal(overlap_find(&s, "k7"), 70);
	assert_int_equal(overlap_find(&s, "k20"), 200);
	assert_int_equal(overlap_find(&s, "k21"), 0);
	overlap_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kwargs_in_any_order_are_the_same_work),
		cmocka_unit_test(test_other_job_kwargs_or_ids_are_other_work),
		cmocka_unit_test(test_the_set_finds_the_run_of_a_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
