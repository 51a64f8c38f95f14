/* promtext.h - the Prometheus text exposition format, written into a strbuf.
 *
 * What `stau metrics` prints and node_exporter's textfile collector reads: for each metric
 * family a "# HELP name text" and a "# TYPE name type" line, then its samples, one per line:
 * "name{label="value",...} number". Every sample of a family follows its TYPE line, before
 * the next family starts (the format requires a family's lines to be together).
 *
 * Escaping follows the format: in label values a backslash, a double quote and a newline
 * become \\, \" and \n; in HELP text a backslash and a newline become \\ and \n. Label
 * values must be UTF-8, and control characters in them would reach whatever terminal shows
 * them: both bytes that are not valid UTF-8 and control characters other than the newline
 * become U+FFFD. Names are the caller's constants and are checked with prom_name_ok in
 * tests. */
#ifndef STAU_PROMTEXT_H
#define STAU_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One label of a sample. A NULL value is written as the empty string (which Prometheus takes
 * for "no such label"). */
struct prom_label {
	const char *name;
	const char *value;
};

/* Whether s is a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
bool prom_name_ok(const char *s);
/* Whether s is a label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__". */
bool prom_label_name_ok(const char *s);

/* Appends the HELP and TYPE lines of a family: type is "gauge", "counter", "untyped", ... */
void prom_family(struct strbuf *sb, const char *name, const char *type, const char *help);

/* Appends one sample "name{labels} value" with an integer value; nlabels may be 0 (then no
 * braces are written). */
void prom_sample(struct strbuf *sb, const char *name, const struct prom_label *labels,
		 size_t nlabels, int64_t value);
/* The same with a value of ms milliseconds written in seconds ("1.5", "0.25", "3"). */
void prom_sample_ms(struct strbuf *sb, const char *name, const struct prom_label *labels,
		    size_t nlabels, int64_t ms);

/* Appends s as the inside of a label value, escaped as described above. */
void prom_add_label_value(struct strbuf *sb, const char *s);

#endif
