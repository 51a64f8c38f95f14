/* yamldoc.h - a YAML document loaded with libyaml, walked with checks that report into diags.
 *
 * Private to the config modules (config.c, config_job.c, config_schedule.c): only they and
 * yamldoc.c include <yaml.h>. A struct yamldoc holds the loaded tree, the file name and the
 * way back from libyaml's positions to the file's, and the struct diags that every check
 * appends to. The checks report and return; none of them stops the walk, prints or exits.
 *
 * Names start with yd_ rather than yamldoc_: the helpers are called on nearly every node, and
 * the short prefix keeps the parsers that use them readable. */
#ifndef STAU_YAMLDOC_H
#define STAU_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config.h"
#include "jobheader.h"
#include "msg.h"
#include "util.h"

/* Bytes of a bad value quoted in "got '...'" (yd_describe); a buffer of YD_SHOW_MAX + 16
 * bytes always holds the description. */
enum { YD_SHOW_MAX = 40 };

/* Where one of libyaml's lines starts in the text, in lines that end with '\n'. */
struct yd_line {
	size_t line, col;
};

struct yamldoc {
	yaml_document_t doc;
	const char *file;
	const struct jobheader *h; /* job headers: positions are mapped back to the job file */
	const char *text;	/* the YAML text, for positions given as byte offsets */
	size_t len;
	struct yd_line *ylines; /* per libyaml line; NULL when its lines are the text's lines */
	size_t nylines;
	struct diags *d;
};

/* ---- the document ------------------------------------------------------------------- */

/* Loads the one document of yaml[0..len) into *y (yaml may be NULL: an empty text). file is
 * the name shown in diagnostics; h, when not NULL, is the job header the text came from, so
 * that positions name the job file's lines. Returns the root node, or NULL when the document
 * is empty or does not parse (then reported in d, with a hint for the usual mistakes). A
 * second document after the first is reported too. file, h, yaml and d are borrowed and must
 * outlive *y. Call yd_release on *y in every case. */
yaml_node_t *yd_load(struct yamldoc *y, const char *file, const struct jobheader *h,
		     const char *yaml, size_t len, struct diags *d);
/* Frees what yd_load allocated; every node pointer into the document becomes invalid. */
void yd_release(struct yamldoc *y);

/* The node with libyaml id `id`, or NULL. */
yaml_node_t *yd_node(struct yamldoc *y, int id);
/* The 1-based position of n in the file (the job file for a header). */
struct loc yd_loc(const struct yamldoc *y, const yaml_node_t *n);

/* Appends a diagnostic at node n; hint may be NULL. */
void yd_report(struct yamldoc *y, const yaml_node_t *n, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Reports "'NAME' must be WANT, got VALUE" at n, VALUE as yd_describe shows it. */
void yd_bad_value(struct yamldoc *y, const yaml_node_t *n, const char *hint, const char *name,
		  const char *want);
/* Reports "FILE must be WANT, got VALUE" (or "the header must be ...") at a root node. */
void yd_root_not_map(struct yamldoc *y, yaml_node_t *root, const char *want);

/* Puts the diagnostics of d from index `from` on in file order (checks that run once a
 * whole entry is read report after those that run per key); equal positions keep their
 * order. */
void yd_sort_diags(struct diags *d, size_t from);

/* ---- scalars ------------------------------------------------------------------------ */

/* The text of a scalar node (NUL-terminated; it may hold NULs before its length). */
const char *yd_text(const yaml_node_t *n);
bool yd_is_scalar(const yaml_node_t *n);
/* A scalar written without quotes: only these have a meaning other than text. */
bool yd_is_plain(const yaml_node_t *n);
/* Empty, "~", "null", "Null" or "NULL", unquoted. */
bool yd_is_null(const yaml_node_t *n);
/* Stores true/false/yes/no (any case, unquoted) in *v; false, *v untouched, otherwise. */
bool yd_plain_bool(const yaml_node_t *n, bool *v);
/* Stores an unquoted decimal integer in *v; false, *v untouched, otherwise. */
bool yd_plain_int(const yaml_node_t *n, int64_t *v);
/* How a value is shown after "got": 'text' (first line, shortened to YD_SHOW_MAX bytes),
 * "a list", "a map" or "nothing". Returns buf or a constant string. */
const char *yd_describe(const yaml_node_t *n, char *buf, size_t size);
/* The text of a scalar value, or NULL after reporting that it is not one (null, a list, a
 * map) or that it holds a NUL character. The text belongs to the document. */
const char *yd_scalar_text(struct yamldoc *y, const yaml_node_t *n, const char *name,
			   const char *want);
/* Reads a duration of at least min seconds ("90s", "15m", "2h", "1d") into *out. Returns 0,
 * or -1 after reporting (with a hint to add a unit to a bare number); *out is then untouched. */
int yd_duration(struct yamldoc *y, const yaml_node_t *n, const char *name, int64_t min,
		int64_t *out);

/* ---- maps --------------------------------------------------------------------------- */

/* One key of a map and its value, after merges. */
struct yd_pair {
	const char *name; /* the key's text, owned by the document */
	yaml_node_t *key, *value;
	bool merged;	  /* came from a "<<" merge */
	size_t dup_of;	  /* index + 1 of the pair this one repeats, 0 if none */
	bool drop;
};

/* The pairs of mapping node map in file order, with "<<" merges done (a map's own keys win
 * over merged ones) and repeated keys reported and left out. Keys that are not text are
 * reported too. Returns a new array of *n pairs that the caller frees (never NULL). */
struct yd_pair *yd_map_pairs(struct yamldoc *y, yaml_node_t *map, size_t *n);

/* Checks the value of pair p and stores it at dst; reports and leaves dst alone when it is
 * bad. */
typedef void yd_parse_fn(struct yamldoc *y, const struct yd_pair *p, void *dst);

/* A known key: its name, its parser and where in the struct being filled its value goes. */
struct yd_field {
	const char *name;
	yd_parse_fn *parse;
	size_t off; /* of the destination in the struct being filled */
};

/* Fills obj from mapping node map: each key's parser gets obj + the field's offset; unknown
 * keys are reported with the nearest known name. */
void yd_walk_map(struct yamldoc *y, yaml_node_t *map, const struct yd_field *fields, size_t n,
		 void *obj);
/* Reports "unknown key 'NAME'" at p's key, with "did you mean ...?" from fields[0..n). */
void yd_unknown_key(struct yamldoc *y, const struct yd_pair *p, const struct yd_field *fields,
		    size_t n);

/* Parsers for plain fields. The messages name p->name and say what is wanted. */
yd_parse_fn yd_parse_string;		/* char **: a new copy; the old value is freed */
yd_parse_fn yd_parse_positive;		/* int64_t *: an integer >= 1 */
yd_parse_fn yd_parse_count;		/* int64_t *: an integer >= 0 */
yd_parse_fn yd_parse_bool;		/* bool * */
yd_parse_fn yd_parse_duration;		/* int64_t *: seconds >= 0 */
yd_parse_fn yd_parse_positive_duration; /* int64_t *: seconds >= 1 */

/* ---- lists -------------------------------------------------------------------------- */

/* The items of p's sequence value (ids for yd_node), *n of them; NULL with *n = 0 when the
 * value is null, or after reporting "'NAME' must be WANT" when it is not a sequence. */
yaml_node_item_t *yd_seq_items(struct yamldoc *y, const struct yd_pair *p, const char *want,
			       size_t *n);

/* ---- values as JSON ----------------------------------------------------------------- */

/* Value n as JSON text (see struct kv in config.h for how YAML scalars map to JSON), newly
 * allocated; NULL after reporting that it is nested too deeply or too large (aliases can make
 * a small file hold a huge or endless value). name is the key shown in that message. */
char *yd_json(struct yamldoc *y, yaml_node_t *n, const char *name);
/* Appends s[0..n) to sb as a JSON string: '"' and '\' escaped, control characters and DEL
 * as \n, \r, \t, \b, \f or \u00XX, every other byte copied. */
void yd_json_quote(struct strbuf *sb, const char *s, size_t n);

#endif
