/* header.h - find the comment-wrapped YAML header of a job file and strip its comment leaders.
 *
 * The header (docs/design.md, "Projects and job files") opens with a line whose text after a comment leader (#, //, --, ; or %)
 * is "---", and closes with the same leader followed by "---". Every line between loses the
 * leader and one following space. What may come before the opening line is documented in
 * header.c. The stripped YAML keeps a map back to the file so that errors name file:line:col. */
#ifndef STAU_HEADER_H
#define STAU_HEADER_H

#include <stddef.h>

#include "msg.h"

struct header {
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
int header_find(const char *file, const char *text, size_t len, struct header *out,
		struct diags *d);

/* Maps a 1-based YAML line/column (as libyaml's mark + 1) back to the job file. */
void header_map(const struct header *h, int yaml_line, int yaml_col, int *file_line,
		int *file_col);

void header_release(struct header *h);

#endif
