/* planwhy.h - why an expansion kept or dropped each dependency chunk, in words, for
 * `stau run --dry-run` (docs/design.md, "Work IDs, chunks and freshness"); pure. */
#ifndef STAU_PLANWHY_H
#define STAU_PLANWHY_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* The edge a task or drop came through: "via forecast -> sales, max_lag 1h", with
 * ", a unique copy for forecast" for a unique edge; "" for the master (parent NULL). New. */
char *planwhy_edge(const struct graph_node *node, const struct graph_node *parent,
		   const struct dep *via);

/* Why a kept dependency chunk runs, from plan_expand_explained: "IDs 4-5 last computed 2h ago
 * > max_lag 1h", "ID 7 never computed", "IDs 1-10: 3 never computed, 7 last computed up to
 * 2h ago > max_lag 1h", "max_lag 0: always recomputed", "--force"; for a run without IDs the
 * same without the IDs. now is the time of the plan. New. */
char *planwhy_kept(const struct plan_why *w, bool has_ids, int64_t now, bool force);

#endif
