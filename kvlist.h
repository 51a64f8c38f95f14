/* kvlist.h - an ordered map of names to JSON values: the kwargs of runs and chunks, a job's
 * env and srun options.
 *
 * Values are JSON texts (a number, a string with its quotes, an array...), kept as the text
 * so that they reach a job as they were written; keys are plain text. Order is the order of
 * insertion (the file's order for a map read from YAML); keys are unique. Lookups are linear:
 * a kvlist holds a handful of entries. */
#ifndef STAU_KVLIST_H
#define STAU_KVLIST_H

#include <stddef.h>

/* A 1-based position in the file a value came from; 0 when it came from no file. */
struct loc {
	int line, col;
};

struct kv {
	char *key;
	char *json;
	struct loc loc;
};
struct kvlist {
	struct kv *v;
	size_t n, cap;
};

/* Finds the value of key in l, or NULL. */
const struct kv *kv_find(const struct kvlist *l, const char *key);
/* The text of a JSON string value (unescaped; a newly allocated string the caller frees), or
 * the JSON text itself for non-strings. */
char *kv_string(const struct kv *kv);
/* Appends key (copied) with json (taken over) at loc; the caller has checked that key is not
 * in l yet. */
void kv_add(struct kvlist *l, const char *key, char *json, struct loc loc);
/* Sets key to json (copied) in l, replacing an existing value: used to overlay kwargs. */
void kv_set(struct kvlist *l, const char *key, const char *json);
/* l as a JSON object text "{...}" with the members in l's order; newly allocated. */
char *kv_to_json(const struct kvlist *l);
/* Copies src into dst, which is overwritten: release it first if it holds anything. */
void kvlist_copy(struct kvlist *dst, const struct kvlist *src);
/* Frees every key and value; l is then empty and may be reused. */
void kvlist_release(struct kvlist *l);

#endif
