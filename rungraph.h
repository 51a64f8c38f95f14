/* rungraph.h - the chunk graph of one run, for `stau graph --run RUN`: every chunk with its
 * job, index and count, work IDs in brief and state, and what it depends on.
 *
 * As text, an indented tree like the job graph's: each chunk that no other chunk of the run
 * depends on (the master job's, usually) is a root, its dependencies below it; a chunk
 * reached a second time is printed again with "(see above)" instead of its subtree.
 *
 *   run 1 of report: FAILED
 *   report 1/2  IDs 1-2  DONE
 *   `-- features 1/2  IDs 1-2  DONE
 *   report 2/2  IDs 3-4  CANCELED: upstream failed
 *   `-- features 2/2  IDs 3-4  FAILED: exit 1
 *
 * As Graphviz DOT, one box per chunk filled with the colour of its state (DONE green, FAILED
 * red, CANCELED yellow, RUNNING blue, PENDING white), the chunks of each job type in a
 * cluster, and edges along the flow of data, from a dependency to the chunk that needs it. */
#ifndef STAU_RUNGRAPH_H
#define STAU_RUNGRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"
#include "util.h"

#define RUNGRAPH_IDS_MAX 30 /* columns of a chunk's IDs before "… (N IDs)" */

/* Appends the tree of run r's chunks cs[0..n) (in plan order, with their deps and IDs) to
 * sb; the states coloured when color. */
void rungraph_text(struct strbuf *sb, const struct state_run *r, const struct state_chunk *cs,
		   size_t n, bool color);

/* Appends the same as a Graphviz DOT digraph to sb. */
void rungraph_dot(struct strbuf *sb, const struct state_run *r, const struct state_chunk *cs,
		  size_t n);

#endif
