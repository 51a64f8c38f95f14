/* config.c - job headers (SPEC §3) and schedule.yaml (SPEC §4): libyaml into validated structs.
 *
 * libyaml's document API loads the whole YAML into a node tree; we then walk it once with
 * tables of known keys (struct field), each key with a function that checks and stores its
 * value. Walking a tree rather than an event stream keeps every check local (a field sees its
 * whole value) and lets a problem be reported without abandoning the rest: a bad value is
 * reported and skipped, and the walk goes on, so `stau check` shows every problem at once.
 * A YAML syntax error is the exception: libyaml stops there, and so do we.
 *
 * Positions: libyaml marks are 0-based in the text it parsed. Job headers are parsed from the
 * de-commented text of header.c, so their marks go through header_map() to name the line and
 * column in the job file; schedule.yaml marks only gain 1.
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
 * depth and size. Duplicate keys are errors (libyaml does not check them).
 *
 * Cross-file checks (an entry's job exists, a dependency exists, cycles, duplicate job types)
 * belong to project.c and graph.c. Schedule entries with a duplicate id are still returned
 * (with the error in diags) so that those checks see every entry; a schedule with problems
 * must not be used for scheduling anyway. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "header.h"
#include "timeutil.h"
#include "util.h"

enum {
	MERGE_MAX_DEPTH = 4,	   /* "<<" inside a merged map inside a merged map ... */
	MAP_MAX_PAIRS = 100000,	   /* keys of one map, merges included */
	JSON_MAX_DEPTH = 64,	   /* nesting of a kwargs value */
	JSON_MAX_SIZE = 1 << 20,   /* bytes of a kwargs value as JSON */
	SHOW_MAX = 40,		   /* bytes of a bad value quoted in a message */
};

#define DEFAULT_RETRY_DELAY 30
#define DEFAULT_MISFIRE_GRACE (30 * 60)
#define DEFAULT_RETENTION (30 * 24 * 3600)

/* ---- JSON text ---------------------------------------------------------------------- */

static void json_quote(struct strbuf *sb, const char *s, size_t n)
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

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	char b[4];
	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 4);
	}
}

/* Decodes the \u escape at s (after the 'u'), with a following low surrogate if any; returns
 * the number of bytes used after the 'u'. */
static size_t unescape_u(const char *s, struct strbuf *sb)
{
	unsigned cp, lo;
	if (hex4(s, &cp))
		return 0;
	if (cp >= 0xD800 && cp < 0xDC00 && s[4] == '\\' && s[5] == 'u' && !hex4(s + 6, &lo) &&
	    lo >= 0xDC00 && lo < 0xE000) {
		put_utf8(sb, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
		return 10;
	}
	put_utf8(sb, cp);
	return 4;
}

static char json_unescape_char(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'b': return '\b';
	case 'f': return '\f';
	default: return c; /* '"', '\\', '/' */
	}
}

/* ---- kvlist ------------------------------------------------------------------------- */

const struct kv *kv_find(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

char *kv_string(const struct kv *kv)
{
	const char *s = kv->json;
	if (*s != '"')
		return xstrdup(s);
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (s++; *s && *s != '"'; s++) {
		if (*s != '\\') {
			sb_addc(&sb, *s);
			continue;
		}
		if (!*++s)
			break;
		if (*s == 'u')
			s += unescape_u(s + 1, &sb);
		else
			sb_addc(&sb, json_unescape_char(*s));
	}
	return sb_detach(&sb);
}

/* Appends key (copied) with json (taken over) at loc. */
static void kv_add(struct kvlist *l, const char *key, char *json, struct loc loc)
{
	grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct kv){ xstrdup(key), json, loc };
}

void kv_set(struct kvlist *l, const char *key, const char *json)
{
	struct kv *kv = (struct kv *)kv_find(l, key);
	if (kv) {
		free(kv->json);
		kv->json = xstrdup(json);
		return;
	}
	kv_add(l, key, xstrdup(json), (struct loc){ 0, 0 });
}

char *kv_to_json(const struct kvlist *l)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addc(&sb, '{');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_addc(&sb, ',');
		json_quote(&sb, l->v[i].key, strlen(l->v[i].key));
		sb_addc(&sb, ':');
		sb_adds(&sb, l->v[i].json);
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* dst is overwritten: release it first if it holds anything. */
void kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		kv_add(dst, src->v[i].key, xstrdup(src->v[i].json), src->v[i].loc);
}

void kvlist_release(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].json);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- the walk over a libyaml document ----------------------------------------------- */

/* Where one of libyaml's lines starts in the text, in lines that end with '\n'. */
struct yline {
	size_t line, col;
};

struct walker {
	yaml_document_t doc;
	const char *file;
	const struct header *h; /* job headers: positions are mapped back to the job file */
	const char *text;	/* the YAML text, for positions given as byte offsets */
	size_t len;
	struct yline *ylines;	/* per libyaml line; NULL when its lines are the text's lines */
	size_t nylines;
	struct diags *d;
};

static int clamp_int(size_t v)
{
	return v > INT_MAX - 1 ? INT_MAX - 1 : (int)v;
}

/* The file position of a 0-based YAML line and column. */
/* The file position of a 0-based line and column of the text (lines end with '\n'). */
static struct loc text_loc(const struct walker *w, size_t line0, size_t col0)
{
	struct loc l = { clamp_int(line0) + 1, clamp_int(col0) + 1 };
	if (w->h)
		header_map(w->h, l.line, l.col, &l.line, &l.col);
	return l;
}

/* Converts libyaml's 0-based line and column to the text's: they differ only where the text
 * holds a line break that YAML knows and editors do not (see map_lines). */
static void yaml_to_text(const struct walker *w, size_t *line0, size_t *col0)
{
	if (!w->ylines)
		return;
	const struct yline *last = &w->ylines[w->nylines - 1];
	if (*line0 < w->nylines) {
		*col0 += w->ylines[*line0].col;
		*line0 = w->ylines[*line0].line;
	} else {
		*line0 = last->line + (*line0 - (w->nylines - 1));
	}
}

static struct loc yaml_loc(const struct walker *w, size_t line0, size_t col0)
{
	yaml_to_text(w, &line0, &col0);
	return text_loc(w, line0, col0);
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

static void add_yline(struct walker *w, size_t *cap, size_t line, size_t col)
{
	grow(&w->ylines, cap, w->nylines + 1, sizeof(*w->ylines));
	w->ylines[w->nylines++] = (struct yline){ line, col };
}

/* libyaml also breaks lines at a lone '\r', NEL, LS and PS. Files rarely hold them, but when
 * one does, a table from libyaml's lines to the text's keeps every position right. */
static void map_lines(struct walker *w)
{
	size_t i, cap = 0, line = 0, col = 0;
	for (i = 0; i < w->len; i++) {
		char c = w->text[i];
		if ((c == '\r' || c == '\xC2' || c == '\xE2') && odd_break(w->text + i, w->len - i))
			break;
	}
	if (i == w->len)
		return;
	add_yline(w, &cap, 0, 0);
	for (i = 0; i < w->len;) {
		size_t b = odd_break(w->text + i, w->len - i);
		if (w->text[i] == '\n') {
			line++, col = 0, i++;
			add_yline(w, &cap, line, 0);
		} else if (b) {
			col++, i += b;
			add_yline(w, &cap, line, col);
		} else {
			col += ((unsigned char)w->text[i++] & 0xC0) != 0x80;
		}
	}
}

static struct loc node_loc(const struct walker *w, const yaml_node_t *n)
{
	return yaml_loc(w, n->start_mark.line, n->start_mark.column);
}

static void report_at(struct walker *w, struct loc l, const char *hint, const char *fmt,
		      va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	sb_vaddf(&sb, fmt, ap);
	diag_add(w->d, w->file, l.line, l.col, hint, "%s", sb.buf);
	sb_release(&sb);
}

/* Reports a problem at node n. */
static void report(struct walker *w, const yaml_node_t *n, const char *hint, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
static void report(struct walker *w, const yaml_node_t *n, const char *hint, const char *fmt,
		   ...)
{
	va_list ap;
	va_start(ap, fmt);
	report_at(w, node_loc(w, n), hint, fmt, ap);
	va_end(ap);
}

static yaml_node_t *node_at(struct walker *w, int id)
{
	return yaml_document_get_node(&w->doc, id);
}

static const char *text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

static bool is_plain(const yaml_node_t *n)
{
	return is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	if (!is_plain(n))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(text(n), nulls[i]))
			return true;
	return false;
}

/* YAML 1.1 booleans, restricted to true/false/yes/no (see the top of this file). */
static bool plain_bool(const yaml_node_t *n, bool *v)
{
	if (!is_plain(n))
		return false;
	const char *t = text(n);
	if (!strcasecmp(t, "true") || !strcasecmp(t, "yes"))
		*v = true;
	else if (!strcasecmp(t, "false") || !strcasecmp(t, "no"))
		*v = false;
	else
		return false;
	return true;
}

static bool plain_int(const yaml_node_t *n, int64_t *v)
{
	return is_plain(n) && parse_int64(text(n), v) == 0;
}

/* How a value is shown in "got ..." : 'text' (shortened), a list, a map or nothing. */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a map";
	if (is_null(n))
		return "nothing";
	const char *t = text(n);
	size_t len = strcspn(t, "\n");
	bool cut = t[len] != '\0' || len > SHOW_MAX;
	if (len > SHOW_MAX) {
		len = SHOW_MAX;
		while (len && ((unsigned char)t[len] & 0xC0) == 0x80)
			len--; /* do not cut a UTF-8 character */
	}
	snprintf(buf, size, "'%.*s%s'", (int)len, t, cut ? "..." : "");
	return buf;
}

/* Reports "'NAME' must be WANT, got VALUE" at the value. */
static void bad_value(struct walker *w, const yaml_node_t *n, const char *hint,
		      const char *name, const char *want)
{
	char buf[SHOW_MAX + 16];
	report(w, n, hint, "'%s' must be %s, got %s", name, want, describe(n, buf, sizeof(buf)));
}

/* The text of a scalar value, or NULL after reporting why it is not one. */
static const char *scalar_text(struct walker *w, const yaml_node_t *n, const char *name,
			       const char *want)
{
	if (!is_scalar(n) || is_null(n)) {
		bad_value(w, n, NULL, name, want);
		return NULL;
	}
	if (strlen(text(n)) != n->data.scalar.length) {
		report(w, n, NULL, "'%s' must not contain NUL characters", name);
		return NULL;
	}
	return text(n);
}

/* ---- maps: pairs, duplicates and merges --------------------------------------------- */

struct pair {
	const char *name;
	yaml_node_t *key, *value;
	bool merged;	/* came from a "<<" merge */
	size_t dup_of;	/* index + 1 of the pair this one repeats, 0 if none */
	bool drop;
};

struct pairs {
	struct pair *v;
	size_t n, cap;
	bool full;
};

static void collect_pairs(struct walker *w, yaml_node_t *map, struct pairs *out, int depth,
			  bool merged);

static void merge_in(struct walker *w, yaml_node_t *value, struct pairs *out, int depth)
{
	if (depth >= MERGE_MAX_DEPTH) {
		report(w, value, NULL, "merges ('<<') are nested too deeply");
		return;
	}
	if (value->type == YAML_MAPPING_NODE) {
		collect_pairs(w, value, out, depth + 1, true);
		return;
	}
	if (value->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = value->data.sequence.items.start;
		     it < value->data.sequence.items.top; it++) {
			yaml_node_t *m = node_at(w, *it);
			if (m && m->type == YAML_MAPPING_NODE)
				collect_pairs(w, m, out, depth + 1, true);
			else if (m)
				report(w, m, NULL, "'<<' merges maps only, got %s",
				       m->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
		}
		return;
	}
	report(w, value, "write '<<: *name' with the anchor of a map",
	       "'<<' merges maps only, got a scalar");
}

static void collect_pairs(struct walker *w, yaml_node_t *map, struct pairs *out, int depth,
			  bool merged)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(w, p->key), *v = node_at(w, p->value);
		if (!k || !v)
			continue;
		if (!is_scalar(k)) {
			if (!merged)
				report(w, k, NULL, "a key must be text, got %s",
				       k->type == YAML_SEQUENCE_NODE ? "a list" : "a map");
			continue;
		}
		if (is_plain(k) && !strcmp(text(k), "<<")) {
			merge_in(w, v, out, depth);
			continue;
		}
		if (out->n >= MAP_MAX_PAIRS) {
			if (!out->full)
				report(w, k, NULL, "too many keys in one map (more than %d)",
				       MAP_MAX_PAIRS);
			out->full = true;
			return;
		}
		grow(&out->v, &out->cap, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = (struct pair){ text(k), k, v, merged, 0, false };
	}
}

static int cmp_pair_index(const void *a, const void *b)
{
	const struct pair *x = *(struct pair *const *)a, *y = *(struct pair *const *)b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->merged != y->merged)
		return x->merged ? 1 : -1; /* a map's own key beats a merged one */
	return x < y ? -1 : x > y;	   /* then the first one written */
}

/* Marks the pairs that repeat a key: in each group of equal keys the first after sorting is
 * kept (a map's own key before merged ones, then the first written), the others dropped. A
 * map's own repeated key is an error (reported by map_pairs); merged keys just give way.
 * Sorting keeps this O(n log n) for maps of any size. */
static void mark_duplicates(struct pairs *ps)
{
	struct pair **order = xmalloc(ps->n * sizeof(*order) + 1);
	for (size_t i = 0; i < ps->n; i++)
		order[i] = &ps->v[i];
	qsort(order, ps->n, sizeof(*order), cmp_pair_index);
	struct pair *keep = NULL;
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
static struct pair *map_pairs(struct walker *w, yaml_node_t *map, size_t *n)
{
	struct pairs ps = { NULL, 0, 0, false };
	collect_pairs(w, map, &ps, 0, false);
	mark_duplicates(&ps);
	for (size_t i = 0; i < ps.n; i++) {
		struct pair *p = &ps.v[i];
		if (p->drop && !p->merged) {
			struct loc first = node_loc(w, ps.v[p->dup_of - 1].key);
			report(w, p->key, NULL, "duplicate key '%s' (first at %d:%d)", p->name,
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

typedef void parse_fn(struct walker *w, const struct pair *p, void *dst);

struct field {
	const char *name;
	parse_fn *parse;
	size_t off; /* of the destination in the struct being filled */
};

static void unknown_key(struct walker *w, const struct pair *p, const struct field *fields,
			size_t n)
{
	const char *names[48];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < ARRAY_SIZE(names); i++)
		names[k++] = fields[i].name;
	names[k] = NULL;
	const char *near = spell_suggest(p->name, names);
	char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
	report(w, p->key, hint, "unknown key '%s'", p->name);
	free(hint);
}

/* Fills obj from the mapping node map through fields; every problem is reported. */
static void walk_map(struct walker *w, yaml_node_t *map, const struct field *fields, size_t n,
		     void *obj)
{
	size_t np;
	struct pair *pairs = map_pairs(w, map, &np);
	for (size_t i = 0; i < np; i++) {
		const struct field *f = NULL;
		for (size_t k = 0; k < n && !f; k++)
			if (!strcmp(fields[k].name, pairs[i].name))
				f = &fields[k];
		if (f)
			f->parse(w, &pairs[i], (char *)obj + f->off);
		else
			unknown_key(w, &pairs[i], fields, n);
	}
	free(pairs);
}

/* ---- values: scalars ---------------------------------------------------------------- */

static void parse_string(struct walker *w, const struct pair *p, void *dst)
{
	char **out = dst;
	const char *s = scalar_text(w, p->value, p->name, "a string");
	if (!s)
		return;
	free(*out);
	*out = xstrdup(s);
}

static void parse_int_min(struct walker *w, const struct pair *p, int64_t *out, int64_t min)
{
	int64_t v;
	if (!plain_int(p->value, &v) || v < min) {
		char want[48];
		snprintf(want, sizeof(want), "an integer >= %lld", (long long)min);
		bad_value(w, p->value, NULL, p->name, want);
		return;
	}
	*out = v;
}

static void parse_positive(struct walker *w, const struct pair *p, void *dst)
{
	parse_int_min(w, p, dst, 1);
}

static void parse_count(struct walker *w, const struct pair *p, void *dst)
{
	parse_int_min(w, p, dst, 0);
}

static void parse_bool(struct walker *w, const struct pair *p, void *dst)
{
	if (!plain_bool(p->value, dst))
		bad_value(w, p->value, NULL, p->name, "true or false");
}

/* A hint for a duration written without a unit, or NULL. */
static char *unit_hint(const yaml_node_t *n)
{
	int64_t v;
	if (!plain_int(n, &v))
		return NULL;
	return xasprintf("add a unit: '%llds' or '%lldm'", (long long)v, (long long)v);
}

/* Reads a duration of at least min seconds into *out; 0 or -1 after reporting. */
static int duration_value(struct walker *w, const yaml_node_t *n, const char *name,
			  int64_t min, int64_t *out)
{
	char err[160];
	int64_t secs;
	if (is_scalar(n) && !is_null(n) && duration_parse(text(n), &secs, err, sizeof(err)) == 0 &&
	    secs >= min) {
		*out = secs;
		return 0;
	}
	char *hint = unit_hint(n);
	bad_value(w, n, hint, name, min > 0 ? "a duration above zero such as '90s', '15m', '2h' "
					      "or '1d'"
					    : "a duration such as '90s', '15m', '2h' or '1d'");
	free(hint);
	return -1;
}

static void parse_duration(struct walker *w, const struct pair *p, void *dst)
{
	duration_value(w, p->value, p->name, 0, dst);
}

static void parse_positive_duration(struct walker *w, const struct pair *p, void *dst)
{
	duration_value(w, p->value, p->name, 1, dst);
}

static void parse_executor(struct walker *w, const struct pair *p, void *dst)
{
	static const char *const names[] = { "local", "slurm", NULL };
	enum executor *out = dst;
	const yaml_node_t *n = p->value;
	if (is_scalar(n) && !strcmp(text(n), "local")) {
		*out = EXECUTOR_LOCAL;
	} else if (is_scalar(n) && !strcmp(text(n), "slurm")) {
		*out = EXECUTOR_SLURM;
	} else {
		const char *near = is_scalar(n) ? spell_suggest(text(n), names) : NULL;
		char *hint = near ? xasprintf("did you mean '%s'?", near) : NULL;
		bad_value(w, n, hint, p->name, "'local' or 'slurm'");
		free(hint);
	}
}

/* ---- values: lists and maps --------------------------------------------------------- */

/* The items of a sequence value, or NULL (with *n = 0) for null or after reporting. */
static yaml_node_item_t *seq_items(struct walker *w, const struct pair *p, const char *want,
				   size_t *n)
{
	*n = 0;
	if (is_null(p->value))
		return NULL;
	if (p->value->type != YAML_SEQUENCE_NODE) {
		bad_value(w, p->value, NULL, p->name, want);
		return NULL;
	}
	*n = (size_t)(p->value->data.sequence.items.top - p->value->data.sequence.items.start);
	return p->value->data.sequence.items.start;
}

/* A NULL-terminated list of the strings of a sequence; NULL when it is empty or bad. */
static char **string_list(struct walker *w, const struct pair *p, const char *want)
{
	size_t n;
	yaml_node_item_t *items = seq_items(w, p, want, &n);
	if (!n)
		return NULL;
	char **v = xcalloc(n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = node_at(w, items[i]);
		const char *s = it ? scalar_text(w, it, p->name, want) : NULL;
		if (s)
			v[k++] = xstrdup(s);
	}
	if (k < n) { /* something was reported: keep nothing half-read */
		for (size_t i = 0; i < k; i++)
			free(v[i]);
		free(v);
		return NULL;
	}
	return v;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void parse_strings(struct walker *w, const struct pair *p, void *dst)
{
	char ***out = dst;
	strv_free(*out);
	*out = string_list(w, p, "a list of strings");
}

static void parse_command(struct walker *w, const struct pair *p, void *dst)
{
	char ***out = dst;
	if (is_scalar(p->value) && !is_null(p->value)) {
		bad_value(w, p->value, "write it as a list, e.g. [python3, -u]", p->name,
			  "a list of strings");
		return;
	}
	size_t before = w->d->n;
	char **v = string_list(w, p, "a non-empty list of strings");
	if (w->d->n != before)
		return;
	if (!v) {
		bad_value(w, p->value, NULL, p->name, "a non-empty list of strings");
	} else if (!v[0][0]) {
		report(w, node_at(w, p->value->data.sequence.items.start[0]), NULL,
		       "'command' must start with the program to run, got ''");
	} else {
		strv_free(*out);
		*out = v;
		return;
	}
	strv_free(v);
}

static int to_json(struct walker *w, yaml_node_t *n, struct strbuf *sb, int depth);

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
	if (is_null(n))
		sb_adds(sb, "null");
	else if (plain_bool(n, &b))
		sb_adds(sb, b ? "true" : "false");
	else if (!is_plain(n) || !json_number(text(n), sb))
		json_quote(sb, text(n), n->data.scalar.length);
}

static int seq_json(struct walker *w, yaml_node_t *n, struct strbuf *sb, int depth)
{
	sb_addc(sb, '[');
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		if (it != n->data.sequence.items.start)
			sb_addc(sb, ',');
		yaml_node_t *item = node_at(w, *it);
		if (item && to_json(w, item, sb, depth + 1))
			return -1;
	}
	sb_addc(sb, ']');
	return 0;
}

static int map_json(struct walker *w, yaml_node_t *n, struct strbuf *sb, int depth)
{
	size_t np;
	struct pair *pairs = map_pairs(w, n, &np);
	int rc = 0;
	sb_addc(sb, '{');
	for (size_t i = 0; i < np && !rc; i++) {
		if (i)
			sb_addc(sb, ',');
		json_quote(sb, pairs[i].name, pairs[i].key->data.scalar.length);
		sb_addc(sb, ':');
		rc = to_json(w, pairs[i].value, sb, depth + 1);
	}
	sb_addc(sb, '}');
	free(pairs);
	return rc;
}

/* Appends n as JSON; -1 when it is nested too deeply or grows too large (aliases can make a
 * small file hold a huge or endless value). */
static int to_json(struct walker *w, yaml_node_t *n, struct strbuf *sb, int depth)
{
	if (depth > JSON_MAX_DEPTH || sb->len > JSON_MAX_SIZE)
		return -1;
	if (n->type == YAML_SEQUENCE_NODE)
		return seq_json(w, n, sb, depth);
	if (n->type == YAML_MAPPING_NODE)
		return map_json(w, n, sb, depth);
	scalar_json(n, sb);
	return 0;
}

/* A value as JSON, or NULL after reporting that it is too deep or too large. */
static char *value_json(struct walker *w, yaml_node_t *n, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	if (to_json(w, n, &sb, 0)) {
		sb_release(&sb);
		report(w, n, NULL, "the value of '%s' is nested too deeply or is too large "
			 "(at most %d levels and %d bytes)", name, JSON_MAX_DEPTH, JSON_MAX_SIZE);
		return NULL;
	}
	return sb_detach(&sb);
}

/* Reads a map value into a kvlist through add(), which checks each pair; null is empty. */
static void kv_map(struct walker *w, const struct pair *p, struct kvlist *out, const char *want,
		   void (*add)(struct walker *, const struct pair *, const struct pair *,
			       struct kvlist *))
{
	kvlist_release(out);
	if (is_null(p->value))
		return;
	if (p->value->type != YAML_MAPPING_NODE) {
		bad_value(w, p->value, NULL, p->name, want);
		return;
	}
	size_t np;
	struct pair *pairs = map_pairs(w, p->value, &np);
	for (size_t i = 0; i < np; i++)
		add(w, p, &pairs[i], out);
	free(pairs);
}

static void add_any(struct walker *w, const struct pair *map, const struct pair *kv,
		    struct kvlist *out)
{
	char *name = xasprintf("%s.%s", map->name, kv->name);
	char *json = value_json(w, kv->value, name);
	if (json && strlen(kv->name) != kv->key->data.scalar.length) {
		report(w, kv->key, NULL, "keys of '%s' must not contain NUL characters", map->name);
		free(json);
		json = NULL;
	}
	if (json)
		kv_add(out, kv->name, json, node_loc(w, kv->key));
	free(name);
}

static void parse_kwargs(struct walker *w, const struct pair *p, void *dst)
{
	kv_map(w, p, dst, "a map of names to values", add_any);
}

static bool env_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void add_env(struct walker *w, const struct pair *map, const struct pair *kv,
		    struct kvlist *out)
{
	if (!env_name_ok(kv->name)) {
		report(w, kv->key, NULL, "'%s' is not an environment variable name: use letters, "
			 "digits and '_', not starting with a digit", kv->name);
		return;
	}
	if (!strncmp(kv->name, "STAU_", 5)) {
		report(w, kv->key, NULL, "'%s' is set by stau itself; choose a name that does not "
			 "start with 'STAU_'", kv->name);
		return;
	}
	char *name = xasprintf("%s.%s", map->name, kv->name);
	const char *s = scalar_text(w, kv->value, name, "a string");
	if (s) {
		struct strbuf sb = STRBUF_INIT;
		json_quote(&sb, s, strlen(s));
		kv_add(out, kv->name, sb_detach(&sb), node_loc(w, kv->key));
	}
	free(name);
}

static void parse_env(struct walker *w, const struct pair *p, void *dst)
{
	kv_map(w, p, dst, "a map of variable names to strings", add_env);
}

static bool option_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void add_slurm(struct walker *w, const struct pair *map, const struct pair *kv,
		      struct kvlist *out)
{
	if (!option_name_ok(kv->name)) {
		report(w, kv->key, NULL, "'%s' is not an srun option name such as 'partition' or "
			 "'cpus_per_task'", kv->name);
		return;
	}
	char *name = xasprintf("%s.%s", map->name, kv->name);
	if (!is_scalar(kv->value) || is_null(kv->value))
		bad_value(w, kv->value, NULL, name, "a single value");
	else if (strlen(text(kv->value)) != kv->value->data.scalar.length)
		report(w, kv->value, NULL, "'%s' must not contain NUL characters", name);
	else
		add_any(w, map, kv, out);
	free(name);
}

static void parse_slurm(struct walker *w, const struct pair *p, void *dst)
{
	kv_map(w, p, dst, "a map of srun options", add_slurm);
}

/* ---- job headers -------------------------------------------------------------------- */

static bool identifier_ok(const char *s)
{
	return env_name_ok(s); /* Python identifiers, ASCII: the same rule */
}

static void parse_job_type(struct walker *w, const struct pair *p, void *dst)
{
	struct job *job = dst;
	const char *s = scalar_text(w, p->value, p->name, "a string");
	if (s && strcmp(s, job->type)) {
		char want[256];
		snprintf(want, sizeof(want), "'%.200s', the file name without extension", job->type);
		bad_value(w, p->value, "rename the file or remove 'job_type'", p->name, want);
	}
}

static void parse_main_func(struct walker *w, const struct pair *p, void *dst)
{
	const char *s = scalar_text(w, p->value, p->name, "a Python function name");
	if (s && !identifier_ok(s))
		bad_value(w, p->value, NULL, p->name, "a Python function name (letters, digits "
			  "and '_', not starting with a digit)");
	else if (s)
		parse_string(w, p, dst);
}

static void parse_fatal_codes(struct walker *w, const struct pair *p, void *dst)
{
	struct job *job = dst;
	size_t n;
	yaml_node_item_t *items = seq_items(w, p, "a list of exit codes from 1 to 255", &n);
	free(job->fatal_exit_codes);
	job->fatal_exit_codes = n ? xcalloc(n, sizeof(int)) : NULL;
	job->nfatal = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_at(w, items[i]);
		int64_t v;
		if (it && plain_int(it, &v) && v >= 1 && v <= 255)
			job->fatal_exit_codes[job->nfatal++] = (int)v;
		else if (it)
			bad_value(w, it, NULL, p->name, "a list of exit codes from 1 to 255");
	}
}

/* Splits a command into words at white space; '...' and "..." quote (no escapes, no shell).
 * Returns NULL with *err set on an unclosed quote. */
static char **split_command(const char *s, const char **err)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		struct strbuf word = STRBUF_INIT;
		sb_add(&word, "", 0);
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\'' || *s == '"') {
				const char *end = strchr(s + 1, *s);
				if (!end) {
					*err = *s == '"' ? "a '\"' is never closed" : "a \"'\" is never "
										 "closed";
					sb_release(&word);
					grow(&v, &cap, n + 1, sizeof(*v));
					v[n] = NULL;
					strv_free(v);
					return NULL;
				}
				sb_add(&word, s + 1, (size_t)(end - s - 1));
				s = end + 1;
			} else {
				sb_addc(&word, *s++);
			}
		}
		grow(&v, &cap, n + 2, sizeof(*v));
		v[n++] = sb_detach(&word);
	}
	grow(&v, &cap, n + 1, sizeof(*v));
	v[n] = NULL;
	return v;
}

static void parse_select_work(struct walker *w, const struct pair *p, void *dst)
{
	static const struct field fields[] = {
		{ "sqlite", parse_string, offsetof(struct select_work, sqlite_path) },
		{ "query", parse_string, offsetof(struct select_work, query) },
	};
	struct select_work *sw = dst;
	yaml_node_t *n = p->value;
	sw->loc = node_loc(w, n);
	if (n->type == YAML_MAPPING_NODE) {
		size_t before = w->d->n;
		walk_map(w, n, fields, ARRAY_SIZE(fields), sw);
		if (!sw->sqlite_path && w->d->n == before)
			report(w, n, NULL, "'select_work' needs 'sqlite': the database file to query");
		if (!sw->query && w->d->n == before)
			report(w, n, NULL, "'select_work' needs 'query': the SQL that selects the work "
				 "IDs");
		sw->kind = SELECT_SQLITE;
		return;
	}
	const char *s = scalar_text(w, n, p->name, "a command or a map with 'sqlite' and 'query'");
	if (!s)
		return;
	const char *err = NULL;
	char **argv = split_command(s, &err);
	if (!argv)
		report(w, n, "close the quote", "'select_work': %s", err);
	else if (!argv[0])
		bad_value(w, n, NULL, p->name, "a command or a map with 'sqlite' and 'query'");
	if (!argv || !argv[0]) {
		strv_free(argv);
		return;
	}
	sw->kind = SELECT_COMMAND;
	sw->argv = argv;
}

static void dep_job_type(struct walker *w, const struct pair *p, void *dst)
{
	struct dep *dep = dst;
	if (scalar_text(w, p->value, p->name, "a job type")) {
		parse_string(w, p, &dep->job_type);
		dep->loc = node_loc(w, p->value);
	}
}

static void dep_max_lag(struct walker *w, const struct pair *p, void *dst)
{
	int64_t *out = dst, minutes;
	char err[160];
	const yaml_node_t *n = p->value;
	if (plain_int(n, &minutes) && minutes >= 0 && minutes <= INT64_MAX / 60) {
		*out = minutes * 60;
		return;
	}
	if (!plain_int(n, &minutes) && is_scalar(n) && !is_null(n) &&
	    duration_parse(text(n), out, err, sizeof(err)) == 0 && *out >= 0)
		return;
	bad_value(w, n, NULL, p->name, "minutes (an integer >= 0) or a duration such as '90m', "
		  "'2h' or '1d'");
}

static void parse_deps(struct walker *w, const struct pair *p, void *dst)
{
	static const struct field fields[] = {
		{ "job_type", dep_job_type, 0 },
		{ "max_lag", dep_max_lag, offsetof(struct dep, max_lag) },
		{ "allow_missing_work_ids", parse_bool,
		  offsetof(struct dep, allow_missing_work_ids) },
		{ "custom_kwargs", parse_kwargs, offsetof(struct dep, custom_kwargs) },
		{ "unique", parse_bool, offsetof(struct dep, unique) },
	};
	struct job *job = dst;
	size_t n, cap = 0;
	yaml_node_item_t *items = seq_items(w, p, "a list of maps with 'job_type'", &n);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_at(w, items[i]);
		if (!it)
			continue;
		if (it->type != YAML_MAPPING_NODE) {
			char *hint = is_scalar(it) && !is_null(it)
				? xasprintf("write '- job_type: %.100s'", text(it)) : NULL;
			bad_value(w, it, hint, "dependencies", "a list of maps with 'job_type'");
			free(hint);
			continue;
		}
		struct dep dep = { 0 };
		size_t before = w->d->n;
		walk_map(w, it, fields, ARRAY_SIZE(fields), &dep);
		if (!dep.job_type && w->d->n == before)
			report(w, it, NULL, "a dependency needs 'job_type': the job it depends on");
		if (w->d->n != before) {
			free(dep.job_type);
			kvlist_release(&dep.custom_kwargs);
			continue;
		}
		grow(&job->deps, &cap, job->ndeps + 1, sizeof(*job->deps));
		job->deps[job->ndeps++] = dep;
	}
}

static const struct field job_fields[] = {
	{ "job_type", parse_job_type, 0 },
	{ "description", parse_string, offsetof(struct job, description) },
	{ "chunk_size", parse_positive, offsetof(struct job, chunk_size) },
	{ "dependencies", parse_deps, 0 },
	{ "main_func", parse_main_func, offsetof(struct job, main_func) },
	{ "select_work", parse_select_work, offsetof(struct job, select_work) },
	{ "command", parse_command, offsetof(struct job, command) },
	{ "timeout", parse_duration, offsetof(struct job, timeout) },
	{ "retries", parse_count, offsetof(struct job, retries) },
	{ "retry_delay", parse_duration, offsetof(struct job, retry_delay) },
	{ "fatal_exit_codes", parse_fatal_codes, 0 },
	{ "max_parallel", parse_positive, offsetof(struct job, max_parallel) },
	{ "allow_multiple_jobs", parse_bool, offsetof(struct job, allow_multiple_jobs) },
	{ "env", parse_env, offsetof(struct job, env) },
	{ "data_sources", parse_strings, offsetof(struct job, data_sources) },
	{ "data_sinks", parse_strings, offsetof(struct job, data_sinks) },
	{ "executor", parse_executor, offsetof(struct job, executor) },
	{ "slurm", parse_slurm, offsetof(struct job, slurm) },
};

/* ---- loading a document ------------------------------------------------------------- */

/* The position of a byte offset in the parsed text (libyaml gives reader errors so). */
static struct loc offset_loc(const struct walker *w, size_t off)
{
	size_t line = 0, col = 0;
	for (size_t i = 0; i < off && i < w->len; i++) {
		if (w->text[i] == '\n')
			line++, col = 0;
		else if (((unsigned char)w->text[i] & 0xC0) != 0x80)
			col++;
	}
	return text_loc(w, line, col);
}

/* libyaml reports a bad UTF-8 continuation at the byte after the character's first byte;
 * the character itself is what the user has to fix. */
static size_t reader_offset(const struct walker *w, const yaml_parser_t *p)
{
	size_t off = p->problem_offset;
	if (!p->problem || !strstr(p->problem, "trailing") || !off || off > w->len)
		return off;
	off--;
	while (off && ((unsigned char)w->text[off] & 0xC0) == 0x80)
		off--;
	return off;
}

/* The byte at libyaml's 0-based line and column of the parsed text, or 0. */
static char char_at(const struct walker *w, size_t line0, size_t col0)
{
	size_t i = 0;
	yaml_to_text(w, &line0, &col0);
	for (; i < w->len && line0; i++)
		if (w->text[i] == '\n')
			line0--;
	for (; i < w->len && col0; i++)
		if (i + 1 == w->len || ((unsigned char)w->text[i + 1] & 0xC0) != 0x80)
			col0--;
	return i < w->len ? w->text[i] : 0;
}

/* The usual fix for libyaml's most common complaints about hand-written files. */
static const char *syntax_hint(const struct walker *w, const yaml_parser_t *p)
{
	char c = char_at(w, p->problem_mark.line, p->problem_mark.column);
	if (p->context && strstr(p->context, "alias"))
		return "put quotes around a value that starts with '*', e.g. \"*/5 * * * *\"";
	if (c == '\t')
		return "indent with spaces, not tabs";
	if (c == '@' || c == '`' || c == '%')
		return "put quotes around a value that starts with '@', '`' or '%'";
	return NULL;
}

static void report_syntax(struct walker *w, const yaml_parser_t *p)
{
	struct loc l;
	if (p->error == YAML_READER_ERROR)
		l = offset_loc(w, reader_offset(w, p));
	else
		l = yaml_loc(w, p->problem_mark.line, p->problem_mark.column);
	const char *problem = p->problem ? p->problem : "cannot parse the YAML";
	if (p->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (p->context) {
		struct loc c = yaml_loc(w, p->context_mark.line, p->context_mark.column);
		diag_add(w->d, w->file, l.line, l.col, syntax_hint(w, p), "bad YAML: %s (%s at %d:%d)",
			 problem, p->context, c.line, c.col);
	} else {
		diag_add(w->d, w->file, l.line, l.col, syntax_hint(w, p), "bad YAML: %s", problem);
	}
}

/* Loads the one document of text into w->doc. Returns its root node, or NULL when it is
 * empty or does not parse (then reported). w->doc is always to be deleted. */
static yaml_node_t *load(struct walker *w, const char *file, const struct header *h,
			 const char *yaml, size_t len, struct diags *d)
{
	yaml_parser_t parser;
	memset(w, 0, sizeof(*w));
	w->file = file;
	w->h = h;
	w->text = yaml ? yaml : "";
	w->len = yaml ? len : 0;
	w->d = d;
	map_lines(w);
	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, file, 0, 0, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)w->text, w->len);
	if (!yaml_parser_load(&parser, &w->doc)) {
		report_syntax(w, &parser);
		yaml_parser_delete(&parser);
		memset(&w->doc, 0, sizeof(w->doc));
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&w->doc);
	if (root) {
		yaml_document_t extra;
		if (!yaml_parser_load(&parser, &extra)) {
			report_syntax(w, &parser);
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&extra);
			if (r)
				diag_add(d, file, yaml_loc(w, r->start_mark.line, 0).line, 0,
					 "remove the '---' or '...' line before it",
					 "a second YAML document; give one document only");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	return root;
}

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
static void sort_diags(struct diags *d, size_t from)
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

static void walker_release(struct walker *w)
{
	yaml_document_delete(&w->doc);
	free(w->ylines);
	w->ylines = NULL;
}

static void root_not_map(struct walker *w, yaml_node_t *root, const char *want)
{
	char buf[SHOW_MAX + 16];
	report(w, root, NULL, "%s must be %s, got %s", w->h ? "the header" : w->file, want,
	       describe(root, buf, sizeof(buf)));
}

static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

/* Parses a job file's header into *job. With keep, a job whose header has errors is kept as
 * far as it validated; otherwise it is released. */
static int parse_job(const char *file, const char *text, size_t len, struct job *job,
		     struct diags *d, bool keep)
{
	struct header h;
	size_t before = d->n;
	memset(job, 0, sizeof(*job));
	job->type = file_stem(file);
	job->path = xstrdup(file);
	job->retry_delay = DEFAULT_RETRY_DELAY;
	int rc = header_find(file, text, len, &h, d);
	if (rc == 1) {
		job->header_loc = (struct loc){ h.first_line - 1, 1 };
		struct walker w;
		yaml_node_t *root = load(&w, file, &h, h.yaml, h.len, d);
		if (root && root->type == YAML_MAPPING_NODE)
			walk_map(&w, root, job_fields, ARRAY_SIZE(job_fields), job);
		else if (root && !is_null(root))
			root_not_map(&w, root, "a map of keys such as 'chunk_size: 10'");
		walker_release(&w);
		header_release(&h);
		sort_diags(d, before);
		rc = d->n > before ? -1 : 1;
	}
	if (rc == 0 || (rc < 0 && !keep))
		job_release(job);
	return rc;
}

int config_parse_job(const char *file, const char *text, size_t len, struct job *job,
		     struct diags *d)
{
	return parse_job(file, text, len, job, d, false);
}

int config_parse_job_partial(const char *file, const char *text, size_t len, struct job *job,
			     struct diags *d)
{
	return parse_job(file, text, len, job, d, true);
}

void job_release(struct job *job)
{
	free(job->type);
	free(job->path);
	free(job->description);
	for (size_t i = 0; i < job->ndeps; i++) {
		free(job->deps[i].job_type);
		kvlist_release(&job->deps[i].custom_kwargs);
	}
	free(job->deps);
	free(job->main_func);
	strv_free(job->select_work.argv);
	free(job->select_work.sqlite_path);
	free(job->select_work.query);
	strv_free(job->command);
	free(job->fatal_exit_codes);
	kvlist_release(&job->env);
	strv_free(job->data_sources);
	strv_free(job->data_sinks);
	kvlist_release(&job->slurm);
	free(job->broken);
	memset(job, 0, sizeof(*job));
}

/* ---- schedule.yaml ------------------------------------------------------------------ */

/* What a schedule is parsed into: the result, and what entries need from the settings. */
struct sched_draft {
	struct schedule *s;
	const struct tz *zone; /* of settings.timezone; NULL when it is bad */
	size_t entries_cap;
	struct id_seen *ids;   /* open addressing: every id given so far, for duplicates */
	size_t ids_cap;
};

struct id_seen {
	const char *id; /* points into the document */
	struct loc loc;
};

/* An entry while it is read: the struct, and the values checked once all keys are known. */
struct entry_draft {
	struct entry e;
	yaml_node_t *id, *cron, *every, *start, *timezone, *job;
	const yaml_node_t *node;
};

static void settings_timezone(struct walker *w, const struct pair *p, void *dst)
{
	struct sched_draft *sd = dst;
	char err[160];
	const char *s = scalar_text(w, p->value, p->name, "a time zone such as 'Europe/Copenhagen'");
	if (!s) {
		sd->zone = NULL;
		return;
	}
	sd->zone = tz_get(s, err, sizeof(err));
	if (!sd->zone) {
		report(w, p->value, "use a name from /usr/share/zoneinfo such as 'Europe/Copenhagen' "
			 "or 'UTC'", "%s", err);
		return;
	}
	free(sd->s->settings.timezone);
	sd->s->settings.timezone = xstrdup(tz_name(sd->zone));
}

static void parse_settings(struct walker *w, const struct pair *p, void *dst)
{
	/* offsets are into struct settings, except timezone, which is handled by the draft */
	static const struct field fields[] = {
		{ "timezone", NULL, 0 },
		{ "max_parallel", parse_positive, offsetof(struct settings, max_parallel) },
		{ "misfire_grace", parse_duration, offsetof(struct settings, misfire_grace) },
		{ "retention", parse_positive_duration, offsetof(struct settings, retention) },
		{ "python", parse_string, offsetof(struct settings, python) },
		{ "executor", parse_executor, offsetof(struct settings, executor) },
		{ "slurm", parse_slurm, offsetof(struct settings, slurm) },
	};
	struct sched_draft *sd = dst;
	if (is_null(p->value))
		return;
	if (p->value->type != YAML_MAPPING_NODE) {
		bad_value(w, p->value, NULL, p->name, "a map of settings such as 'timezone: UTC'");
		return;
	}
	size_t np;
	struct pair *pairs = map_pairs(w, p->value, &np);
	for (size_t i = 0; i < np; i++) {
		const struct field *f = NULL;
		for (size_t k = 0; k < ARRAY_SIZE(fields) && !f; k++)
			if (!strcmp(fields[k].name, pairs[i].name))
				f = &fields[k];
		if (!f)
			unknown_key(w, &pairs[i], fields, ARRAY_SIZE(fields));
		else if (!f->parse)
			settings_timezone(w, &pairs[i], sd);
		else
			f->parse(w, &pairs[i], (char *)&sd->s->settings + f->off);
	}
	free(pairs);
}

static void keep_node(struct walker *w, const struct pair *p, void *dst)
{
	(void)w;
	*(yaml_node_t **)dst = p->value;
}

static void parse_work_ids(struct walker *w, const struct pair *p, void *dst);

static const struct field entry_fields[] = {
	{ "id", keep_node, offsetof(struct entry_draft, id) },
	{ "name", parse_string, offsetof(struct entry_draft, e.name) },
	{ "job", keep_node, offsetof(struct entry_draft, job) },
	{ "cron", keep_node, offsetof(struct entry_draft, cron) },
	{ "every", keep_node, offsetof(struct entry_draft, every) },
	{ "start", keep_node, offsetof(struct entry_draft, start) },
	{ "kwargs", parse_kwargs, offsetof(struct entry_draft, e.kwargs) },
	{ "work_ids", parse_work_ids, offsetof(struct entry_draft, e) },
	{ "timezone", keep_node, offsetof(struct entry_draft, timezone) },
	{ "enabled", parse_bool, offsetof(struct entry_draft, e.enabled) },
};

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void parse_work_ids(struct walker *w, const struct pair *p, void *dst)
{
	struct entry *e = dst;
	size_t n;
	yaml_node_item_t *items = seq_items(w, p, "a list of integers such as [1, 2, 3]", &n);
	if (!items && !is_null(p->value))
		return;
	free(e->work_ids);
	e->work_ids = n ? xcalloc(n, sizeof(*e->work_ids)) : NULL;
	e->nwork_ids = 0;
	e->has_work_ids = true;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_at(w, items[i]);
		if (it && plain_int(it, &e->work_ids[e->nwork_ids]))
			e->nwork_ids++;
		else if (it)
			bad_value(w, it, NULL, p->name, "a list of integers such as [1, 2, 3]");
	}
	if (e->nwork_ids)
		qsort(e->work_ids, e->nwork_ids, sizeof(*e->work_ids), cmp_int64);
	size_t k = 0;
	for (size_t i = 0; i < e->nwork_ids; i++)
		if (!k || e->work_ids[k - 1] != e->work_ids[i])
			e->work_ids[k++] = e->work_ids[i];
	e->nwork_ids = k;
	if (!k) {
		free(e->work_ids);
		e->work_ids = NULL;
	}
}

static bool id_ok(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static size_t hash_str(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
	return h;
}

/* Remembers id at loc; returns the earlier entry with the same id, or NULL. */
static const struct id_seen *id_remember(struct sched_draft *sd, const char *id, struct loc loc)
{
	size_t mask = sd->ids_cap - 1, i = hash_str(id) & mask;
	for (; sd->ids[i].id; i = (i + 1) & mask)
		if (!strcmp(sd->ids[i].id, id))
			return &sd->ids[i];
	sd->ids[i] = (struct id_seen){ id, loc };
	return NULL;
}

static void entry_id(struct walker *w, struct entry_draft *ed)
{
	if (!ed->id) {
		report(w, ed->node, NULL, "entry has no 'id'; add a unique, stable one such as "
			 "'id: nightly-report'");
		return;
	}
	const char *s = scalar_text(w, ed->id, "id", "a name");
	if (!s)
		return;
	if (!id_ok(s)) {
		bad_value(w, ed->id, NULL, "id", "letters, digits, '_', '.' and '-', starting with "
			  "a letter, digit or '_'");
		return;
	}
	ed->e.id = xstrdup(s);
}

/* Reported after the entry's own problems; an entry with a duplicate id is still kept. */
static void entry_duplicate(struct walker *w, struct sched_draft *sd, struct entry_draft *ed)
{
	if (!ed->e.id)
		return;
	const struct id_seen *first = id_remember(sd, text(ed->id), node_loc(w, ed->id));
	if (first)
		report(w, ed->id, "ids must be unique: state is kept per id",
		       "duplicate id '%s' (first at %d:%d)", ed->e.id, first->loc.line,
		       first->loc.col);
}

static void entry_job(struct walker *w, struct entry_draft *ed)
{
	if (!ed->job) {
		report(w, ed->node, NULL, "entry%s%s%s has no 'job'; add the job type to run, such as "
			 "'job: job_A'", ed->e.id ? " '" : "", ed->e.id ? ed->e.id : "",
			 ed->e.id ? "'" : "");
		return;
	}
	const char *s = scalar_text(w, ed->job, "job", "a job type");
	if (!s)
		return;
	ed->e.job = xstrdup(s);
	ed->e.job_loc = node_loc(w, ed->job);
}

/* The zone an entry runs in: its own, else the settings', else UTC. */
static const struct tz *entry_zone(struct walker *w, struct sched_draft *sd,
				   struct entry_draft *ed)
{
	char err[160];
	const struct tz *zone = NULL;
	if (ed->timezone) {
		const char *s = scalar_text(w, ed->timezone, "timezone",
					    "a time zone such as 'Europe/Copenhagen'");
		if (!s)
			return NULL;
		zone = tz_get(s, err, sizeof(err));
		if (!zone)
			report(w, ed->timezone, "use a name from /usr/share/zoneinfo such as "
			       "'Europe/Copenhagen' or 'UTC'", "%s", err);
		return zone;
	}
	zone = sd->zone ? sd->zone : tz_get("UTC", err, sizeof(err));
	return zone;
}

/* The text of a cron field for the trigger fingerprint: '*', '*' + "/step", or a list of
 * values and ranges, so that two expressions with the same meaning give the same text. */
static void render_field(struct strbuf *sb, uint64_t bits, int lo, int hi, bool star)
{
	uint64_t full = (((uint64_t)1 << (hi - lo + 1)) - 1) << lo;
	bits &= full;
	if (bits == full && star) {
		sb_addc(sb, '*');
		return;
	}
	if (star) {
		int step = 0;
		for (int v = lo + 1; v <= hi && !step; v++)
			if (bits >> v & 1)
				step = v - lo;
		uint64_t want = 0;
		for (int v = lo; step && v <= hi; v += step)
			want |= (uint64_t)1 << v;
		if (step && want == bits) {
			sb_addf(sb, "*/%d", step);
			return;
		}
		sb_adds(sb, "*:");
	}
	bool first = true;
	for (int v = lo; v <= hi; v++) {
		if (!(bits >> v & 1))
			continue;
		int end = v;
		while (end < hi && bits >> (end + 1) & 1)
			end++;
		sb_addf(sb, first ? "%d" : ",%d", v);
		if (end > v)
			sb_addf(sb, "-%d", end);
		first = false;
		v = end;
	}
}

static char *trigger_text(const struct trigger *t)
{
	struct strbuf sb = STRBUF_INIT;
	if (t->kind == TRIGGER_EVERY) {
		sb_addf(&sb, "every %lld start %lld", (long long)t->every, (long long)t->start);
		return sb_detach(&sb);
	}
	const struct cron *c = &t->cron;
	uint64_t all_min = ((uint64_t)1 << 60) - 1;
	sb_adds(&sb, "cron ");
	render_field(&sb, c->minute, 0, 59, (c->minute & all_min) == all_min);
	sb_addc(&sb, ' ');
	render_field(&sb, c->hour, 0, 23, c->hour_star);
	sb_addc(&sb, ' ');
	render_field(&sb, c->dom, 1, 31, c->dom_star);
	sb_addc(&sb, ' ');
	render_field(&sb, c->month, 1, 12, (c->month & 0x1FFE) == 0x1FFE);
	sb_addc(&sb, ' ');
	render_field(&sb, c->dow, 0, 6, c->dow_star);
	sb_addf(&sb, " %s", tz_name(t->zone));
	return sb_detach(&sb);
}

static void entry_cron(struct walker *w, struct entry_draft *ed, const struct tz *zone)
{
	char err[200];
	const char *s = scalar_text(w, ed->cron, "cron", "a cron expression such as '0 * * * *'");
	if (!s)
		return;
	if (cron_parse(s, &ed->e.trigger.cron, err, sizeof(err))) {
		char buf[SHOW_MAX + 16];
		report(w, ed->cron, NULL, "bad cron expression %s: %s",
		       describe(ed->cron, buf, sizeof(buf)), err);
		return;
	}
	if (ed->start)
		report(w, ed->start, "remove it, or use 'every' instead of 'cron'",
		       "'start' only applies to 'every'");
	ed->e.trigger.kind = TRIGGER_CRON;
	ed->e.trigger.zone = zone;
}

static void entry_every(struct walker *w, struct entry_draft *ed, const struct tz *zone)
{
	int64_t secs, start = 0;
	char err[160];
	if (duration_value(w, ed->every, "every", 1, &secs))
		return;
	if (ed->start) {
		const char *s = scalar_text(w, ed->start, "start",
					    "a time such as '2026-01-01T00:00:00Z'");
		if (!s)
			return;
		if (time_parse(s, &start, err, sizeof(err))) {
			bad_value(w, ed->start, NULL, "start", "a time such as "
				  "'2026-01-01T00:00:00Z'");
			return;
		}
	}
	ed->e.trigger.kind = TRIGGER_EVERY;
	ed->e.trigger.every = secs;
	ed->e.trigger.start = start;
	ed->e.trigger.zone = zone;
}

static void entry_trigger(struct walker *w, struct sched_draft *sd, struct entry_draft *ed)
{
	const struct tz *zone = entry_zone(w, sd, ed);
	if (ed->cron && ed->every) {
		const yaml_node_t *later = ed->cron->start_mark.index > ed->every->start_mark.index
			? ed->cron : ed->every;
		report(w, later, NULL, "give one trigger: 'cron' or 'every', not both");
		return;
	}
	if (!ed->cron && !ed->every) {
		report(w, ed->node, "add 'cron: \"0 * * * *\"' or 'every: 15m'",
		       "give one trigger: 'cron' or 'every'");
		return;
	}
	if (!zone)
		return;
	if (ed->cron)
		entry_cron(w, ed, zone);
	else
		entry_every(w, ed, zone);
	ed->e.timezone = xstrdup(tz_name(zone));
}

static void entry_release(struct entry *e)
{
	free(e->id);
	free(e->name);
	free(e->job);
	free(e->trigger_text);
	kvlist_release(&e->kwargs);
	free(e->work_ids);
	free(e->timezone);
	memset(e, 0, sizeof(*e));
}

static void parse_entry(struct walker *w, struct sched_draft *sd, yaml_node_t *n)
{
	struct entry_draft ed;
	memset(&ed, 0, sizeof(ed));
	ed.node = n;
	ed.e.enabled = true;
	ed.e.loc = node_loc(w, n);
	if (n->type != YAML_MAPPING_NODE) {
		bad_value(w, n, NULL, "schedule", "a list of entries with 'id', 'job' and 'cron' "
			  "or 'every'");
		return;
	}
	size_t before = w->d->n;
	walk_map(w, n, entry_fields, ARRAY_SIZE(entry_fields), &ed);
	entry_id(w, &ed);
	entry_job(w, &ed);
	entry_trigger(w, sd, &ed);
	bool ok = w->d->n == before;
	entry_duplicate(w, sd, &ed);
	if (!ok) {
		entry_release(&ed.e);
		return;
	}
	ed.e.trigger_text = trigger_text(&ed.e.trigger);
	struct schedule *s = sd->s;
	grow(&s->entries, &sd->entries_cap, s->nentries + 1, sizeof(*s->entries));
	s->entries[s->nentries++] = ed.e;
}

static void parse_schedule_list(struct walker *w, const struct pair *p, void *dst)
{
	struct sched_draft *sd = dst;
	size_t n;
	yaml_node_item_t *items = seq_items(w, p, "a list of entries", &n);
	sd->ids_cap = 16;
	while (sd->ids_cap < 2 * n)
		sd->ids_cap *= 2;
	free(sd->ids);
	sd->ids = xcalloc(sd->ids_cap, sizeof(*sd->ids));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_at(w, items[i]);
		if (it)
			parse_entry(w, sd, it);
	}
}

static const struct field schedule_fields[] = {
	{ "settings", parse_settings, 0 },
	{ "schedule", parse_schedule_list, 0 },
};

static void settings_init(struct settings *st)
{
	memset(st, 0, sizeof(*st));
	st->timezone = xstrdup("UTC");
	st->misfire_grace = DEFAULT_MISFIRE_GRACE;
	st->retention = DEFAULT_RETENTION;
}

int config_parse_schedule(const char *file, const char *text, size_t len, struct schedule *s,
			  struct diags *d)
{
	char err[160];
	struct sched_draft sd = { s, NULL, 0, NULL, 0 };
	memset(s, 0, sizeof(*s));
	settings_init(&s->settings);
	sd.zone = tz_get("UTC", err, sizeof(err));
	size_t before = d->n;
	struct walker w;
	yaml_node_t *root = load(&w, file, NULL, text, len, d);
	/* settings first: entries take their default zone from it, wherever it is written */
	if (root && root->type == YAML_MAPPING_NODE) {
		size_t np;
		struct pair *pairs = map_pairs(&w, root, &np);
		for (size_t i = 0; i < np; i++)
			if (!strcmp(pairs[i].name, "settings"))
				parse_settings(&w, &pairs[i], &sd);
		for (size_t i = 0; i < np; i++) {
			if (!strcmp(pairs[i].name, "schedule"))
				parse_schedule_list(&w, &pairs[i], &sd);
			else if (strcmp(pairs[i].name, "settings"))
				unknown_key(&w, &pairs[i], schedule_fields,
					    ARRAY_SIZE(schedule_fields));
		}
		free(pairs);
	} else if (root && !is_null(root)) {
		root_not_map(&w, root, "a map with 'settings' and 'schedule'");
	}
	free(sd.ids);
	walker_release(&w);
	sort_diags(d, before);
	return d->n > before ? -1 : 0;
}

void schedule_release(struct schedule *s)
{
	free(s->settings.timezone);
	free(s->settings.python);
	kvlist_release(&s->settings.slurm);
	for (size_t i = 0; i < s->nentries; i++)
		entry_release(&s->entries[i]);
	free(s->entries);
	memset(s, 0, sizeof(*s));
}
