/* yamldoc.c - a libyaml document as a tree of nodes, with the checks every config field shares.
 *
 * libyaml's document API loads the whole YAML into a node tree; config_job.c and
 * config_schedule.c then walk it once with tables of known keys (struct yd_field), each key
 * with a function that checks and stores its value. Walking a tree rather than an event
 * stream keeps every check local (a field sees its whole value) and lets a problem be
 * reported without abandoning the rest: a bad value is reported and skipped, and the walk goes
 * on, so `stau check` shows every problem at once. A YAML syntax error is the exception:
 * libyaml stops there, and so do we.
 *
 * This file holds what does not depend on which file is read: loading, positions, the
 * wording of type errors, maps with merges and duplicates, the key tables with their "did you
 * mean" and the conversion of values to JSON. What a job header or schedule.yaml means is in
 * config_job.c and config_schedule.c; the kvlist fields both share are in config.c.
 *
 * Positions: libyaml marks are 0-based in the text it parsed. Job headers are parsed from the
 * de-commented text of jobheader.c, so their marks go through jobheader_map() to name the line
 * and column in the job file; schedule.yaml marks only gain 1.
 *
 * Scalars are read as YAML 1.1 does, restricted to what is unambiguous:
 *   - null: empty, "~", "null", "Null", "NULL";
 *   - booleans: true/false/yes/no in any case (on/off and y/n stay strings: YAML 1.2 and
 *     YAML 1.1 loaders disagree about them);
 *   - integers: plain decimal, optional sign; a quoted "10" is a string. In kwargs, decimals
 *     with a leading zero, underscores or hex stay strings (PyYAML reads "010" as 8, YAML 1.2
 *     as 10: a string is read the same way by everyone);
 *   - floats: plain decimals with a '.' and optional exponent; ".inf" and ".nan" stay strings,
 *     as JSON cannot hold them.
 * A field whose value is null is left at its default when it holds a list or a map
 * ("dependencies:" with nothing under it), and is an error when it holds a scalar.
 *
 * YAML merge keys ("<<: *defaults") are honoured, as many YAML users expect them: the merged
 * map's keys count unless the map gives them itself. Aliases may form cycles in libyaml's
 * tree, so merges are followed to a fixed depth and values turned into JSON stop at a fixed
 * depth and size. Duplicate keys are errors (libyaml does not check them). */
#include "yamldoc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

enum {
	MERGE_MAX_DEPTH = 4,	   /* "<<" inside a merged map inside a merged map ... */
	MAP_MAX_PAIRS = 100000,	   /* keys of one map, merges included */
	JSON_MAX_DEPTH = 64,	   /* nesting of a kwargs value */
	JSON_MAX_SIZE = 1 << 20,   /* bytes of a kwargs value as JSON */
};

/* ---- positions ---------------------------------------------------------------------- */

static int clamp_int(size_t v)
{
	return v > INT_MAX - 1 ? INT_MAX - 1 : (int)v;
}

/* The file position of a 0-based line and column of the text (lines end with '\n'). */
static struct loc text_loc(const struct yamldoc *y, size_t line0, size_t col0)
{
	struct loc l = { clamp_int(line0) + 1, clamp_int(col0) + 1 };
	if (y->h)
		jobheader_map(y->h, l.line, l.col, &l.line, &l.col);
	return l;
}

/* Converts libyaml's 0-based line and column to the text's: they differ only where the text
 * holds a line break that YAML knows and editors do not (see map_lines). */
static void yaml_to_text(const struct yamldoc *y, size_t *line0, size_t *col0)
{
	if (!y->ylines)
		return;
	const struct yd_line *last = &y->ylines[y->nylines - 1];
	if (*line0 < y->nylines) {
		*col0 += y->ylines[*line0].col;
		*line0 = y->ylines[*line0].line;
	} else {
		*line0 = last->line + (*line0 - (y->nylines - 1));
	}
}

static struct loc yaml_loc(const struct yamldoc *y, size_t line0, size_t col0)
{
	yaml_to_text(y, &line0, &col0);
	return text_loc(y, line0, col0);
}

/* Bytes of a line break that YAML counts and '\n'-based lines do not: a lone '\r', NEL,
 * LS or PS; 0 for anything else. */
static size_t odd_break(const char *s, size_t left)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] == '\r')
		return left > 1 && u[1] == '\n' ? 0 : 1;
	if (left >= 2 && u[0] == 0xC2 && u[1] == 0x85)
		return 2;
	if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9))
		return 3;
	return 0;
}

static void add_yline(struct yamldoc *y, size_t *cap, size_t line, size_t col)
{
	grow(&y->ylines, cap, y->nylines + 1, sizeof(*y->ylines));
	y->ylines[y->nylines++] = (struct yd_line){ line, col };
}

/* libyaml also breaks lines at a lone '\r', NEL, LS and PS. Files rarely hold them, but when
 * one does, a table from libyaml's lines to the text's keeps every position right. */
static void map_lines(struct yamldoc *y)
{
	size_t i, cap = 0, line = 0, col = 0;
	for (i = 0; i < y->len; i++) {
		char c = y->text[i];
		if ((c == '\r' || c == '\xC2' || c == '\xE2') && odd_break(y->text + i, y->len - i))
			break;
	}
	if (i == y->len)
		return;
	add_yline(y, &cap, 0, 0);
	for (i = 0; i < y->len;) {
		size_t b = odd_break(y->text + i, y->len - i);
		if (y->text[i] == '\n') {
			line++, col = 0, i++;
			add_yline(y, &cap, line, 0);
		} else if (b) {
			col++, i += b;
			add_yline(y, &cap, line, col);
		} else {
			col += ((unsigned char)y->text[i++] & 0xC0) != 0x80;
		}
	}
}

struct loc yd_loc(const struct yamldoc *y, const yaml_node_t *n)
{
	return yaml_loc(y, n->start_mark.line, n->start_mark.column);
}

/* ---- loading a document ------------------------------------------------------------- */

/* The position of a byte offset in the parsed text (libyaml gives reader errors so). */
static struct loc offset_loc(const struct yamldoc *y, size_t off)
{
	size_t line = 0, col = 0;
	for (size_t i = 0; i < off && i < y->len; i++) {
		if (y->text[i] == '\n')
			line++, col = 0;
		else if (((unsigned char)y->text[i] & 0xC0) != 0x80)
			col++;
	}
	return text_loc(y, line, col);
}

/* libyaml reports a bad UTF-8 continuation at the byte after the character's first byte;
 * the character itself is what the user has to fix. */
static size_t reader_offset(const struct yamldoc *y, const yaml_parser_t *p)
{
	size_t off = p->problem_offset;
	if (!p->problem || !strstr(p->problem, "trailing") || !off || off > y->len)
		return off;
	off--;
	while (off && ((unsigned char)y->text[off] & 0xC0) == 0x80)
		off--;
	return off;
}

/* The byte at libyaml's 0-based line and column of the parsed text, or 0. */
static char char_at(const struct yamldoc *y, size_t line0, size_t col0)
{
	size_t i = 0;
	yaml_to_text(y, &line0, &col0);
	for (; i < y->len && line0; i++)
		if (y->text[i] == '\n')
			line0--;
	for (; i < y->len && col0; i++)
		if (i + 1 == y->len || ((unsigned char)y->text[i + 1] & 0xC0) != 0x80)
			col0--;
	return i < y->len ? y->text[i] : 0;
}

/* The usual fix for libyaml's most common complaints about hand-written files. */
static const char *syntax_hint(const struct yamldoc *y, const yaml_parser_t *p)
{
	char c = char_at(y, p->problem_mark.line, p->problem_mark.column);
	if (p->context && strstr(p->context, "alias"))
		return "put quotes around a value that starts with '*', e.g. \"*/5 * * * *\"";
	if (c == '\t')
		return "indent with spaces, not tabs";
	if (c == '@' || c == '`' || c == '%')
		return "put quotes around a value that starts with '@', '`' or '%'";
	return NULL;
}

static void report_syntax(struct yamldoc *y, const yaml_parser_t *p)
{
	struct loc l;
	if (p->error == YAML_READER_ERROR)
		l = offset_loc(y, reader_offset(y, p));
	else
		l = yaml_loc(y, p->problem_mark.line, p->problem_mark.column);
	const char *problem = p->problem ? p->problem : "cannot parse the YAML";
	if (p->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (p->context) {
		struct loc c = yaml_loc(y, p->context_mark.line, p->context_mark.column);
		diag_add(y->d, y->file, l.line, l.col, syntax_hint(y, p),
			 "bad YAML: %s (%s at %d:%d)", problem, p->context, c.line, c.col);
	} else {
		diag_add(y->d, y->file, l.line, l.col, syntax_hint(y, p), "bad YAML: %s", problem);
	}
}

/* The tag of an event as written, "!!str" for YAML's own ("tag:yaml.org,2002:str"). */
static const char *event_tag(const yaml_event_t *e, char *buf, size_t len)
{
	const unsigned char *t = NULL;
	if (e->type == YAML_SCALAR_EVENT)
		t = e->data.scalar.tag;
	else if (e->type == YAML_SEQUENCE_START_EVENT)
		t = e->data.sequence_start.tag;
	else if (e->type == YAML_MAPPING_START_EVENT)
		t = e->data.mapping_start.tag;
	if (!t)
		return NULL;
	const char *core = "tag:yaml.org,2002:";
	if (!strncmp((const char *)t, core, strlen(core)))
		snprintf(buf, len, "!!%s", (const char *)t + strlen(core));
	else
		snprintf(buf, len, "%s", (const char *)t);
	return buf;
}

/* Reports every explicit YAML tag ("!!str 5", "!!python/object:os.system"): stau gives no
 * tag a meaning, and a tag ignored in silence would make "!!str 5" the number 5 for us and
 * a string for another reader. libyaml's document keeps no trace of which tags were written,
 * so the events are read again, only for a text that has a '!' at all. */
static void report_tags(struct yamldoc *y)
{
	if (!memchr(y->text, '!', y->len))
		return;
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)y->text, y->len);
	yaml_event_t e;
	while (yaml_parser_parse(&parser, &e)) {
		char buf[128];
		const char *tag = event_tag(&e, buf, sizeof(buf));
		if (tag) {
			struct loc l = yaml_loc(y, e.start_mark.line, e.start_mark.column);
			diag_add(y->d, y->file, l.line, l.col, "write the value without a tag",
				 "YAML tag '%s' is not allowed", tag);
		}
		bool end = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
}

/* Loads the one document of text into y->doc. Returns its root node, or NULL when it is
 * empty or does not parse (then reported). y->doc is always to be deleted. */
yaml_node_t *yd_load(struct yamldoc *y, const char *file, const struct jobheader *h,
		     const char *yaml, size_t len, struct diags *d)
{
	yaml_parser_t parser;
	memset(y, 0, sizeof(*y));
	y->file = file;
	y->h = h;
	y->text = yaml ? yaml : "";
	y->len = yaml ? len : 0;
	y->d = d;
	map_lines(y);
	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, file, 0, 0, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)y->text, y->len);
	if (!yaml_parser_load(&parser, &y->doc)) {
		report_syntax(y, &parser);
		yaml_parser_delete(&parser);
		memset(&y->doc, 0, sizeof(y->doc));
		return NULL;
	}
	report_tags(y);
	yaml_node_t *root = yaml_document_get_root_node(&y->doc);
	if (root) {
		yaml_document_t extra;
		if (!yaml_parser_load(&parser, &extra)) {
			report_syntax(y, &parser);
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&extra);
			if (r)
				diag_add(d, file, yaml_loc(y, r->start_mark.line, 0).line, 0,
					 "remove the '---' or '...' line before it",
					 "a second YAML document; give one document only");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	return root;
}

void yd_release(struct yamldoc *y)
{
	yaml_document_delete(&y->doc);
	free(y->ylines);
	y->ylines = NULL;
}

/* ---- reports ------------------------------------------------------------------------ */

static void report_at(struct yamldoc *y, struct loc l, const char *hint, const char *fmt,
		      va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	sb_vaddf(&sb, fmt, ap);
	diag_add(y->d, y->file, l.line, l.col, hint, "%s", sb.buf);
	sb_release(&sb);
}

void yd_report(struct yamldoc *y, const yaml_node_t *n, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report_at(y, yd_loc(y, n), hint, fmt, ap);
	va_end(ap);
}

/* ---- nodes -------------------------------------------------------------------------- */

yaml_node_t *yd_node(struct yamldoc *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

const char *yd_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool yd_is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

bool yd_is_plain(const yaml_node_t *n)
{
	return yd_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

bool yd_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	if (!yd_is_plain(n))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(yd_text(n), nulls[i]))
			return true;
	return false;
}

/* YAML 1.1 booleans, restricted to true/false/yes/no (see the top of this file). */
bool yd_plain_bool(const yaml_node_t *n, bool *v)
{
	if (!yd_is_plain(n))
		return false;
	const char *t = yd_text(n);
	if (!strcasecmp(t, "true") || !strcasecmp(t, "yes"))
		*v = true;
	else if (!strcasecmp(t, "false") || !strcasecmp(t, "no"))
		*v = false;
	else
		return false;
	return true;
}

bool yd_plain_int(const yaml_node_t *n, int64_t *v)
{
	return yd_is_plain(n) && parse_int64(yd_text(n), v) == 0;
}

/* How a value is shown in "got ..." : 'text' (shortened), a list, a map or nothing. */
const char *yd_describe(const yaml_node_t *n, char *buf, size_t size)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a map";
	if (yd_is_null(n))
		return "nothing";
	const char *t = yd_text(n);
	size_t len = strcspn(t, "\n");
	bool cut = t[len] != '\0' || len > YD_SHOW_MAX;
	if (len > YD_SHOW_MAX) {
		len = YD_SHOW_MAX;
		while (len && ((unsigned char)t[len] & 0xC0) == 0x80)
			len--; /* do not cut a UTF-8 character */
	}
	snprintf(buf, size, "'%.*s%s'", (int)len, t, cut ? "..." : "");
	return buf;
}

/* Reports "'NAME' must be WANT, got VALUE" at the value. */
void yd_bad_value(struct yamldoc *y, const yaml_node_t *n, const char *hint,
		  const char *name, const char *want)
{
	char buf[YD_SHOW_MAX + 16];
	yd_report(y, n, hint, "'%s' must be %s, got %s", name, want,
		  yd_describe(n, buf, sizeof(buf)));
}

void yd_root_not_map(struct yamldoc *y, yaml_node_t *root, const char *want)
{
	char buf[YD_SHOW_MAX + 16];
	yd_report(y, root, NULL, "%s must be %s, got %s", y->h ? "the header" : y->file, want,
		  yd_describe(root, buf, sizeof(buf)));
}

/* The text of a scalar value, or NULL after reporting why it is not one. */
const char *yd_scalar_text(struct yamldoc *y, const yaml_node_t *n, const char *name,
			   const char *want)
{
	if (!yd_is_scalar(n) || yd_is_null(n)) {
		yd_bad_value(y, n, NULL, name, want);
		return NULL;
	}
	if (strlen(yd_text(n)) != n->data.scalar.length) {
		yd_report(y, n, NULL, "'%s' must not contain NUL characters", name);
		return NULL;
	}
	return yd_text(n);
}

/* ---- maps: pairs, duplicates and merges --------------------------------------------- */

struct pairs {
	struct yd_pair *v;
	size_t n, cap;
	bool full;
};

static void collect_pairs(struct yamldoc *y, yaml_node_t *map, struct pairs *out, int depth,
			  bool merged);

static void merge_in(struct yamldoc *y, yaml_node_t *value, struct pairs *out, int depth)
{
	if (depth >= MERGE_MAX_DEPTH) {
		yd_report(y, value, NULL, "merges ('<<') are nested too deeply");
		return;
	}
	if (value->type == YAML_MAPPING_NODE) {
		collect_pairs(y, value, out, depth + 1, true);
		return;
	}
	if (value->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = value->data.sequence.items.start;
		     it < value->data.sequence.items.top; it++) {
			yaml_node_t *m = yd_node(y, *it);
			if (m && m->type == YAML_MAPPING_NODE)
				collect_pairs(y, m, out, depth + 1, true);
			else if (m)
				yd_report(y, m, NULL, "'<<' merges maps only, got %s",
					  m->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
		}
		return;
	}
	yd_report(y, value, "write '<<: *name' with the anchor of a map",
		  "'<<' merges maps only, got a scalar");
}

static void collect_pairs(struct yamldoc *y, yaml_node_t *map, struct pairs *out, int depth,
			  bool merged)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yd_node(y, p->key), *v = yd_node(y, p->value);
		if (!k || !v)
			continue;
		if (!yd_is_scalar(k)) {
			if (!merged)
				yd_report(y, k, NULL, "a key must be text, got %s",
					  k->type == YAML_SEQUENCE_NODE ? "a list" : "a map");
			continue;
		}
		if (yd_is_plain(k) && !strcmp(yd_text(k), "<<")) {
			merge_in(y, v, out, depth);
			continue;
		}
		if (out->n >= MAP_MAX_PAIRS) {
			if (!out->full)
				yd_report(y, k, NULL, "too many keys in one map (more than %d)",
					  MAP_MAX_PAIRS);
			out->full = true;
			return;
		}
		grow(&out->v, &out->cap, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = (struct yd_pair){ yd_text(k), k, v, merged, 0, false };
	}
}

static int cmp_pair_index(const void *a, const void *b)
{
	const struct yd_pair *x = *(struct yd_pair *const *)a, *y = *(struct yd_pair *const *)b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->merged != y->merged)
		return x->merged ? 1 : -1; /* a map's own key beats a merged one */
	return x < y ? -1 : x > y;	   /* then the first one written */
}

/* Marks the pairs that repeat a key: in each group of equal keys the first after sorting is
 * kept (a map's own key before merged ones, then the first written), the others dropped. A
 * map's own repeated key is an error (reported by yd_map_pairs); merged keys just give way.
 * Sorting keeps this O(n log n) for maps of any size. */
static void mark_duplicates(struct pairs *ps)
{
	struct yd_pair **order = xmalloc(ps->n * sizeof(*order) + 1);
	for (size_t i = 0; i < ps->n; i++)
		order[i] = &ps->v[i];
	qsort(order, ps->n, sizeof(*order), cmp_pair_index);
	struct yd_pair *keep = NULL;
	for (size_t i = 0; i < ps->n; i++) {
		if (!keep || strcmp(keep->name, order[i]->name)) {
			keep = order[i];
			continue;
		}
		order[i]->drop = true;
		order[i]->dup_of = (size_t)(keep - ps->v) + 1;
	}
	free(order);
}

/* The pairs of a mapping in file order, duplicates reported and left out, merges done. The
 * caller frees the returned array. */
struct yd_pair *yd_map_pairs(struct yamldoc *y, yaml_node_t *map, size_t *n)
{
	struct pairs ps = { NULL, 0, 0, false };
	collect_pairs(y, map, &ps, 0, false);
	mark_duplicates(&ps);
	for (size_t i = 0; i < ps.n; i++) {
		struct yd_pair *p = &ps.v[i];
		if (p->drop && !p->merged) {
			struct loc first = yd_loc(y, ps.v[p->dup_of - 1].key);
			yd_report(y, p->key, NULL, "duplicate key '%s' (first at %d:%d)", p->name,
				  first.line, first.col);
		}
	}
	size_t out = 0;
	for (size_t i = 0; i < ps.n; i++)
		if (!ps.v[i].drop)
			ps.v[out++] = ps.v[i];
	*n = out;
	return ps.v;
}

/* ---- tables of known keys ----------------------------------------------------------- */

void yd_unknown_key(struct yamldoc *y, const struct yd_pair *p, const struct yd_field *fields,
		    size_t n)
{
	const char *names[48];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < ARRAY_SIZE(names); i++)
		names[k++] = fields[i].name;
	names[k] = NULL;
	const char *near = spell_suggest(p->name, names);
	char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
	yd_report(y, p->key, hint, "unknown key '%s'", p->name);
	free(hint);
}

/* Fills obj from the mapping node map through fields; every problem is reported. */
void yd_walk_map(struct yamldoc *y, yaml_node_t *map, const struct yd_field *fields, size_t n,
		 void *obj)
{
	size_t np;
	struct yd_pair *pairs = yd_map_pairs(y, map, &np);
	for (size_t i = 0; i < np; i++) {
		const struct yd_field *f = NULL;
		for (size_t k = 0; k < n && !f; k++)
			if (!strcmp(fields[k].name, pairs[i].name))
				f = &fields[k];
		if (f)
			f->parse(y, &pairs[i], (char *)obj + f->off);
		else
			yd_unknown_key(y, &pairs[i], fields, n);
	}
	free(pairs);
}

/* ---- values: scalars ---------------------------------------------------------------- */

void yd_parse_string(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	char **out = dst;
	const char *s = yd_scalar_text(y, p->value, p->name, "a string");
	if (!s)
		return;
	free(*out);
	*out = xstrdup(s);
}

static void parse_int_min(struct yamldoc *y, const struct yd_pair *p, int64_t *out, int64_t min)
{
	int64_t v;
	if (!yd_plain_int(p->value, &v) || v < min) {
		char want[48];
		snprintf(want, sizeof(want), "an integer >= %lld", (long long)min);
		yd_bad_value(y, p->value, NULL, p->name, want);
		return;
	}
	*out = v;
}

void yd_parse_positive(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	parse_int_min(y, p, dst, 1);
}

void yd_parse_count(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	parse_int_min(y, p, dst, 0);
}

void yd_parse_bool(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	if (!yd_plain_bool(p->value, dst))
		yd_bad_value(y, p->value, NULL, p->name, "true or false");
}

/* A hint for a duration written without a unit, or NULL. */
static char *unit_hint(const yaml_node_t *n)
{
	int64_t v;
	if (!yd_plain_int(n, &v))
		return NULL;
	return xasprintf("add a unit: '%llds' or '%lldm'", (long long)v, (long long)v);
}

/* Reads a duration of at least min seconds into *out; 0 or -1 after reporting. */
int yd_duration(struct yamldoc *y, const yaml_node_t *n, const char *name, int64_t min,
		int64_t *out)
{
	char err[160];
	int64_t secs;
	if (yd_is_scalar(n) && !yd_is_null(n) &&
	    duration_parse(yd_text(n), &secs, err, sizeof(err)) == 0 && secs >= min) {
		*out = secs;
		return 0;
	}
	char *hint = unit_hint(n);
	yd_bad_value(y, n, hint, name,
		     min > 0 ? "a duration above zero such as '90s', '15m', '2h' or '1d'"
			     : "a duration such as '90s', '15m', '2h' or '1d'");
	free(hint);
	return -1;
}

void yd_parse_duration(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	yd_duration(y, p->value, p->name, 0, dst);
}

void yd_parse_positive_duration(struct yamldoc *y, const struct yd_pair *p, void *dst)
{
	yd_duration(y, p->value, p->name, 1, dst);
}

/* ---- lists -------------------------------------------------------------------------- */

/* The items of a sequence value, or NULL (with *n = 0) for null or after reporting. */
yaml_node_item_t *yd_seq_items(struct yamldoc *y, const struct yd_pair *p, const char *want,
			       size_t *n)
{
	*n = 0;
	if (yd_is_null(p->value))
		return NULL;
	if (p->value->type != YAML_SEQUENCE_NODE) {
		yd_bad_value(y, p->value, NULL, p->name, want);
		return NULL;
	}
	*n = (size_t)(p->value->data.sequence.items.top - p->value->data.sequence.items.start);
	return p->value->data.sequence.items.start;
}

/* ---- values as JSON ----------------------------------------------------------------- */

void yd_json_quote(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_addc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		case '\b': sb_adds(sb, "\\b"); break;
		case '\f': sb_adds(sb, "\\f"); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				sb_add(sb, u, sizeof(u));
			} else {
				sb_addc(sb, (char)c);
			}
		}
	}
	sb_addc(sb, '"');
}

static int to_json(struct yamldoc *y, yaml_node_t *n, struct strbuf *sb, int depth);

/* Writes a plain int or float as a JSON number; false when text is neither (see the top). */
static bool json_number(const char *t, struct strbuf *sb)
{
	const char *s = t, *int_start, *frac = NULL, *exp = NULL;
	size_t int_len, frac_len = 0;
	bool neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	int_start = s;
	while (*s >= '0' && *s <= '9')
		s++;
	int_len = (size_t)(s - int_start);
	if (*s == '.') {
		frac = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		frac_len = (size_t)(s - frac);
		if (int_len + frac_len == 0)
			return false;
		if (*s == 'e' || *s == 'E') {
			exp = s++;
			if (*s == '+' || *s == '-')
				s++;
			if (!(*s >= '0' && *s <= '9'))
				return false;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	} else if (!int_len || (int_start[0] == '0' && int_len > 1)) {
		return false;
	}
	if (*s)
		return false;
	if (neg)
		sb_addc(sb, '-');
	while (int_len > 1 && *int_start == '0')
		int_start++, int_len--;
	if (int_len)
		sb_add(sb, int_start, int_len);
	else
		sb_addc(sb, '0');
	if (frac) {
		sb_addc(sb, '.');
		if (frac_len)
			sb_add(sb, frac, frac_len);
		else
			sb_addc(sb, '0');
	}
	if (exp)
		sb_adds(sb, exp);
	return true;
}

static void scalar_json(const yaml_node_t *n, struct strbuf *sb)
{
	bool b;
	if (yd_is_null(n))
		sb_adds(sb, "null");
	else if (yd_plain_bool(n, &b))
		sb_adds(sb, b ? "true" : "false");
	else if (!yd_is_plain(n) || !json_number(yd_text(n), sb))
		yd_json_quote(sb, yd_text(n), n->data.scalar.length);
}

static int seq_json(struct yamldoc *y, yaml_node_t *n, struct strbuf *sb, int depth)
{
	sb_addc(sb, '[');
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		if (it != n->data.sequence.items.start)
			sb_addc(sb, ',');
		yaml_node_t *item = yd_node(y, *it);
		if (item && to_json(y, item, sb, depth + 1))
			return -1;
	}
	sb_addc(sb, ']');
	return 0;
}

static int map_json(struct yamldoc *y, yaml_node_t *n, struct strbuf *sb, int depth)
{
	size_t np;
	struct yd_pair *pairs = yd_map_pairs(y, n, &np);
	int rc = 0;
	sb_addc(sb, '{');
	for (size_t i = 0; i < np && !rc; i++) {
		if (i)
			sb_addc(sb, ',');
		yd_json_quote(sb, pairs[i].name, pairs[i].key->data.scalar.length);
		sb_addc(sb, ':');
		rc = to_json(y, pairs[i].value, sb, depth + 1);
	}
	sb_addc(sb, '}');
	free(pairs);
	return rc;
}

/* Appends n as JSON; -1 when it is nested too deeply or grows too large (aliases can make a
 * small file hold a huge or endless value). */
static int to_json(struct yamldoc *y, yaml_node_t *n, struct strbuf *sb, int depth)
{
	if (depth > JSON_MAX_DEPTH || sb->len > JSON_MAX_SIZE)
		return -1;
	if (n->type == YAML_SEQUENCE_NODE)
		return seq_json(y, n, sb, depth);
	if (n->type == YAML_MAPPING_NODE)
		return map_json(y, n, sb, depth);
	scalar_json(n, sb);
	return 0;
}

/* A value as JSON, or NULL after reporting that it is too deep or too large. */
char *yd_json(struct yamldoc *y, yaml_node_t *n, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	if (to_json(y, n, &sb, 0)) {
		sb_release(&sb);
		yd_report(y, n, NULL, "the value of '%s' is nested too deeply or is too large "
			  "(at most %d levels and %d bytes)", name, JSON_MAX_DEPTH, JSON_MAX_SIZE);
		return NULL;
	}
	return sb_detach(&sb);
}

/* ---- diagnostics in file order ------------------------------------------------------ */

struct diag_at {
	struct diag g;
	size_t index;
};

static int cmp_diag_at(const void *a, const void *b)
{
	const struct diag_at *x = a, *y = b;
	if (x->g.line != y->g.line)
		return x->g.line < y->g.line ? -1 : 1;
	if (x->g.col != y->g.col)
		return x->g.col < y->g.col ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Puts the diagnostics from `from` on in file order (checks that run once a whole entry is
 * read report after those that run per key); equal positions keep their order. */
void yd_sort_diags(struct diags *d, size_t from)
{
	size_t n = d->n - from;
	if (n < 2)
		return;
	struct diag_at *v = xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = (struct diag_at){ d->v[from + i], i };
	qsort(v, n, sizeof(*v), cmp_diag_at);
	for (size_t i = 0; i < n; i++)
		d->v[from + i] = v[i].g;
	free(v);
}
