/* jobheader.c - find a job file's comment-wrapped YAML header and strip its comment leaders.
 *
 * The rules (docs/design.md, "Projects and job files"), line by line from the top of the file:
 *
 *   - A UTF-8 byte order mark at the very start is skipped. Line 1 may be a shebang ("#!...").
 *   - Before the opening line there may be blank lines and comment lines of any leader: an
 *     encoding line ("# -*- coding: utf-8 -*-", "// vim: set fileencoding=utf-8"), a licence
 *     banner. The first line that is neither blank nor a comment ends the search: such a file
 *     has no header and is not a job (a helper module, say). So a header must come before the
 *     first line of code, which keeps the search short and a stray "# ---" deep in a file from
 *     turning a helper into a job.
 *   - The opening line is optional indentation, a leader ("#", "//", "--", ";" or "%"),
 *     optional spaces, "---" and optional trailing spaces. Its indentation and leader are the
 *     header's prefix.
 *   - Every following line must start with that prefix; the prefix and one space after it are
 *     removed and the rest is a YAML line. A line that is only the prefix is an empty YAML line.
 *     A line without the prefix is an error (most likely a forgotten closing line).
 *   - The closing line is the prefix, optional spaces, "---" and optional trailing spaces.
 *     Reaching the end of the file first is an error reported at the opening line.
 *
 * Lines end with "\n" or "\r\n"; the last line need not end at all. NUL bytes are kept (the
 * YAML parser rejects them with a position); nothing here assumes a NUL-terminated text, and
 * every step is linear in the size of the file.
 *
 * Positions: the YAML text has one line per header line, so YAML line k is file line
 * first_line + k - 1, and a YAML column is shifted right by the number of bytes removed from
 * the front of that line (col_shift). The removed bytes are ASCII, so bytes and characters
 * agree and libyaml's character columns stay right. */
#include "jobheader.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const leaders[] = { "//", "--", "#", ";", "%" };

/* One line of the text, without its line end. */
struct line {
	const char *s;
	size_t len;
	int no; /* 1-based */
};

/* A cursor over the lines of a text of known length. */
struct lines {
	const char *p, *end;
	int no;
};

static bool next_line(struct lines *it, struct line *out)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *stop = nl ? nl : it->end;
	out->s = it->p;
	out->len = (size_t)(stop - it->p);
	if (out->len && out->s[out->len - 1] == '\r')
		out->len--;
	out->no = ++it->no;
	it->p = nl ? nl + 1 : it->end;
	return true;
}

static size_t indent_of(const struct line *l)
{
	size_t i = 0;
	while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i;
}

static bool is_blank(const struct line *l)
{
	return indent_of(l) == l->len;
}

/* The leader that starts l at byte `at`, or NULL. */
static const char *leader_at(const struct line *l, size_t at)
{
	for (size_t i = 0; i < ARRAY_SIZE(leaders); i++) {
		size_t n = strlen(leaders[i]);
		if (l->len - at >= n && !memcmp(l->s + at, leaders[i], n))
			return leaders[i];
	}
	return NULL;
}

/* True when l from byte `at` is: spaces, "---", spaces, and nothing else. */
static bool is_marker_rest(const struct line *l, size_t at)
{
	while (at < l->len && l->s[at] == ' ')
		at++;
	if (l->len - at < 3 || memcmp(l->s + at, "---", 3))
		return false;
	for (at += 3; at < l->len; at++)
		if (l->s[at] != ' ' && l->s[at] != '\t')
			return false;
	return true;
}

/* The prefix of a header: the opening line's indentation and leader. */
struct prefix {
	const char *s;
	size_t len;
	int line;   /* of the opening marker */
	int col;    /* of its leader, 1-based */
	const char *leader;
};

static bool has_prefix(const struct line *l, const struct prefix *pre)
{
	return l->len >= pre->len && !memcmp(l->s, pre->s, pre->len);
}

/* Scans the lines before the header. Returns 1 with *pre set at the opening line, or 0 when
 * the first line that is neither blank nor a comment comes first, or the text ends. */
static int find_opening(struct lines *it, struct prefix *pre)
{
	struct line l;
	while (next_line(it, &l)) {
		if (l.no == 1 && l.len >= 2 && !memcmp(l.s, "#!", 2))
			continue;
		if (is_blank(&l))
			continue;
		size_t ind = indent_of(&l);
		const char *leader = leader_at(&l, ind);
		if (!leader)
			return 0;
		if (is_marker_rest(&l, ind + strlen(leader))) {
			pre->s = l.s;
			pre->len = ind + strlen(leader);
			pre->line = l.no;
			pre->col = (int)ind + 1;
			pre->leader = leader;
			return 1;
		}
	}
	return 0;
}

static void add_yaml_line(struct jobheader *h, size_t *cap, struct strbuf *sb, const struct line *l,
			  size_t skip)
{
	grow(&h->col_shift, cap, (size_t)h->nlines + 1, sizeof(*h->col_shift));
	h->col_shift[h->nlines++] = (int)skip;
	sb_add(sb, l->s + skip, l->len - skip);
	sb_addc(sb, '\n');
}

/* Collects the YAML lines after the opening line up to the closing one. */
static int read_body(const char *file, struct lines *it, const struct prefix *pre,
		     struct jobheader *h, struct diags *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t cap = 0;
	struct line l;
	h->first_line = pre->line + 1;
	while (next_line(it, &l)) {
		if (!has_prefix(&l, pre)) {
			diag_add(d, file, l.no, 1, NULL,
				 "header line does not start with '%s' (the header opened at line %d); "
				 "start it with '%s' or close the header above it with '%s ---'",
				 pre->leader, pre->line, pre->leader, pre->leader);
			goto fail;
		}
		if (is_marker_rest(&l, pre->len)) {
			h->len = sb.len;
			h->yaml = sb_detach(&sb);
			return 1;
		}
		size_t skip = pre->len;
		if (skip < l.len && l.s[skip] == ' ')
			skip++;
		add_yaml_line(h, &cap, &sb, &l, skip);
	}
	diag_add(d, file, pre->line, pre->col, NULL,
		 "header opened here is never closed; add a closing '%s ---'", pre->leader);
fail:
	sb_release(&sb);
	free(h->col_shift);
	h->col_shift = NULL;
	return -1;
}

int jobheader_find(const char *file, const char *text, size_t len, struct jobheader *out,
		   struct diags *d)
{
	struct lines it = { text, text + len, 0 };
	struct prefix pre;
	memset(out, 0, sizeof(*out));
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		it.p += 3;
	if (!find_opening(&it, &pre))
		return 0;
	return read_body(file, &it, &pre, out, d);
}

void jobheader_map(const struct jobheader *h, int yaml_line, int yaml_col, int *file_line,
		   int *file_col)
{
	if (yaml_line < 1)
		yaml_line = 1;
	if (yaml_col < 1)
		yaml_col = 1;
	*file_line = h->first_line + yaml_line - 1;
	*file_col = yaml_col;
	if (yaml_line <= h->nlines)
		*file_col += h->col_shift[yaml_line - 1];
}

void jobheader_release(struct jobheader *h)
{
	free(h->yaml);
	free(h->col_shift);
	memset(h, 0, sizeof(*h));
}
