/* jobheader.h - find a job file's comment-wrapped YAML header and strip its comment leaders.
 *
 * The header (docs/design.md, "Projects and job files") opens with a line whose text after a
 * comment leader (#, //, --, ; or %) is "---", and closes with the same leader followed by
 * "---". Every line between loses the leader and one following space. What may come before
 * the opening line is documented in jobheader.c. The stripped YAML keeps a map back to the
 * file so that errors name file:line:col. */
#ifndef STAU_JOBHEADER_H
#define STAU_JOBHEADER_H

#include <stddef.h>

#include "msg.h"

struct jobheader {
	char *yaml;	  /* the YAML text between the markers, leaders removed, NUL-terminated */
	size_t len;
	int first_line;	  /* file line (1-based) of the first YAML line */
	int nlines;	  /* number of YAML lines */
	int *col_shift;	  /* per YAML line: columns removed from the file line (leader + space) */
};

/* Looks for a header in TEXT (len bytes, need not be NUL-terminated). Returns 1 and fills
 * *out when found, 0 when the file has no header (not a job), or -1 with a diagnostic in d
 * naming `file` and the line when a header is opened but never closed, or a line inside it
 * does not start with the opening leader. *out is only to be released when 1 is returned. */
int jobheader_find(const char *file, const char *text, size_t len, struct jobheader *out,
		   struct diags *d);

/* Maps a 1-based YAML line/column (as libyaml's mark + 1) back to the job file. */
void jobheader_map(const struct jobheader *h, int yaml_line, int yaml_col, int *file_line,
		   int *file_col);

void jobheader_release(struct jobheader *h);

#endif
