/* json.h - a small streaming JSON writer into a struct strbuf (for --json and STAU_KWARGS).
 *
 * The writer keeps track of commas and, when asked, indentation; the caller says what comes
 * next. Strings are always valid JSON whatever bytes they hold: control characters are
 * escaped and bytes that are not valid UTF-8 become \ufffd. Nothing here can fail; misuse
 * (a value where a key is needed, unbalanced ends) is a programming error caught by assert.
 *
 *   struct strbuf sb = STRBUF_INIT;
 *   struct json j;
 *   json_init(&j, &sb, true);
 *   json_object_begin(&j);
 *   json_key(&j, "id"); json_int(&j, 42);
 *   json_kstr(&j, "job", "job_A");
 *   json_object_end(&j);
 *   json_finish(&j);            // sb.buf is now "{\n  \"id\": 42,\n  \"job\": \"job_A\"\n}\n"
 */
#ifndef STAU_JSON_H
#define STAU_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Deepest nesting the writer supports. */
#define JSON_MAX_DEPTH 32

struct json {
	struct strbuf *out; /* borrowed; the writer appends to it */
	bool pretty;	    /* newlines and two-space indentation */
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* the container at this depth has a member already */
	bool is_object[JSON_MAX_DEPTH];
	bool after_key;			/* a key was written; its value comes next */
};

/* Starts a document appended to out (which keeps what it held). pretty: one member per line,
 * indented by two spaces; otherwise compact with no spaces at all. */
void json_init(struct json *j, struct strbuf *out, bool pretty);
/* Ends the document: checks that every container was closed; a pretty document gets a final
 * newline. */
void json_finish(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* Writes the key of the next object member (escaped like a string). */
void json_key(struct json *j, const char *key);

/* Values. json_string writes null for NULL; json_string_n writes s[0..n), NUL bytes included
 * (as \u0000). */
void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Inserts text that is already a JSON value (e.g. stored kwargs "{\"a\":1}") as it is; NULL or
 * an empty text writes null. The caller vouches that it is valid JSON. */
void json_raw(struct json *j, const char *text);

/* Key and value in one call. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, int64_t v);
void json_kbool(struct json *j, const char *key, bool v);
void json_knull(struct json *j, const char *key);

/* Whether all of s is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
bool json_is_number(const char *s);

/* Appends s[0..n) to sb as a quoted JSON string: `"` and `\` are escaped, control characters
 * become \n, \t, \r, \b, \f or \u00XX, and each maximal invalid UTF-8 sequence (a stray
 * continuation byte, a truncated sequence, an overlong form, a surrogate, a code point above
 * U+10FFFF) becomes \ufffd. Valid UTF-8 is copied unchanged. */
void json_quote(struct strbuf *sb, const char *s, size_t n);

#endif
