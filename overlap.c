/* overlap.c - identical work fired together is queued once (docs/design.md, "Scheduling").
 *
 * A tick queues few runs, so the set is a plain array searched linearly. */
#include "overlap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "workids.h"

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

char *overlap_work_key(const struct entry *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct kvlist sorted;
	kvlist_copy(&sorted, &e->kwargs);
	if (sorted.n)
		qsort(sorted.v, sorted.n, sizeof(*sorted.v), cmp_kv);
	char *kwargs = kv_to_json(&sorted);
	sb_addf(&sb, "%s %s ", e->job, kwargs);
	free(kwargs);
	kvlist_release(&sorted);
	if (e->has_work_ids) {
		char *ids = workids_format_compact(e->work_ids, e->nwork_ids);
		sb_addf(&sb, "ids %s", ids);
		free(ids);
	} else {
		sb_adds(&sb, "select_work");
	}
	return sb_detach(&sb);
}

int64_t overlap_find(const struct overlap_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].run;
	return 0;
}

void overlap_add(struct overlap_set *s, const char *key, int64_t run)
{
	grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n].key = xstrdup(key);
	s->v[s->n++].run = run;
}

void overlap_release(struct overlap_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].key);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
