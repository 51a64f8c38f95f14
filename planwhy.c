/* planwhy.c - the reasons of an expansion in words. */
#include "planwhy.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static void lag_text(int64_t secs, char *buf, size_t len)
{
	duration_format(secs * 1000, 2, buf, len);
}

char *planwhy_edge(const struct graph_node *node, const struct graph_node *parent,
		   const struct dep *via)
{
	if (!parent || !via)
		return xstrdup("");
	char lag[32];
	lag_text(via->max_lag, lag, sizeof(lag));
	return xasprintf("via %s -> %s, max_lag %s%s%s", parent->job->type, node->job->type,
			 via->max_lag > 0 ? lag : "0", via->unique ? ", a unique copy for " : "",
			 via->unique ? parent->job->type : "");
}

/* "ID 4 ", "IDs 4-5 ", "4 IDs from 1 to 9 " (not consecutive), or "" without IDs. */
static void ids_text(const struct plan_why *w, bool has_ids, char *buf, size_t len)
{
	if (!has_ids)
		snprintf(buf, len, "%s", "");
	else if (w->first_id == w->last_id)
		snprintf(buf, len, "ID %lld ", (long long)w->first_id);
	else if ((uint64_t)(w->last_id - w->first_id) + 1 == w->nstale)
		snprintf(buf, len, "IDs %lld-%lld ", (long long)w->first_id, (long long)w->last_id);
	else
		snprintf(buf, len, "%zu IDs from %lld to %lld ", w->nstale,
			 (long long)w->first_id, (long long)w->last_id);
}

char *planwhy_kept(const struct plan_why *w, bool has_ids, int64_t now, bool force)
{
	char ids[96], age[32], lag[32];
	if (!w->nstale)
		return xstrdup("");
	if (w->max_lag < 0)
		return xstrdup(force ? "--force: every dependency is stale"
				     : "max_lag 0: always recomputed");
	ids_text(w, has_ids, ids, sizeof(ids));
	lag_text(w->max_lag, lag, sizeof(lag));
	duration_format((now - w->oldest) * 1000, 2, age, sizeof(age));
	if (w->nnever == w->nstale)
		return xasprintf("%snever computed", ids);
	if (!w->nnever)
		return xasprintf("%slast computed %s ago > max_lag %s", ids, age, lag);
	size_t n = strlen(ids);
	if (n) /* "IDs 1-10: 3 never computed, ..." */
		ids[n - 1] = '\0';
	return xasprintf("%s%s%zu never computed, %zu last computed up to %s ago > max_lag %s",
			 ids, n ? ": " : "", w->nnever, w->nstale - w->nnever, age, lag);
}
