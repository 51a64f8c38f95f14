/* term.h - terminal output: colours, display width, aligned tables, durations and ages.
 *
 * Nothing here looks at the terminal itself: whether to colour is the caller's ctx->color
 * (stau.c decides it from isatty, NO_COLOR and --no-color), so every function is pure and
 * its output can be compared byte for byte in tests. */
#ifndef STAU_TERM_H
#define STAU_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "util.h"

enum term_color { TERM_PLAIN, TERM_RED, TERM_GREEN, TERM_YELLOW, TERM_BLUE, TERM_BOLD, TERM_DIM };

/* The escape sequence that starts colour c ("\033[31m" for red), or "" when !color or c is
 * TERM_PLAIN. term_reset gives the sequence that ends it ("\033[0m", or ""). */
const char *term_sgr(bool color, enum term_color c);
const char *term_reset(bool color, enum term_color c);
/* Appends s to sb, wrapped in colour c when color. */
void term_add_colored(struct strbuf *sb, bool color, enum term_color c, const char *s);

/* Text that came from outside stau (job output, headers, descriptions, file names, entry
 * ids, messages) made safe to print on a terminal: every control character is shown as
 * visible text instead of being sent, so that no escape sequence in it can move the cursor,
 * change colours or retitle the window: newline, tab and carriage return as "\n", "\t" and
 * "\r", the other C0 controls and DEL as "\x1b" (ESC; two lowercase hex digits), the C1
 * controls U+0080 to U+009F, which some terminals obey in UTF-8 too, as "\u009b"; a byte
 * that is not part of valid UTF-8 (which a terminal in a legacy locale may take for a C1
 * control) as "\xff". Everything else, valid UTF-8 included, is copied, backslashes too.
 * term_add_escaped appends the escaped s[0..n) to sb; term_escape returns a new string
 * (NULL for NULL). */
void term_add_escaped(struct strbuf *sb, const char *s, size_t n);
char *term_escape(const char *s);
/* A diagnostic as diag_format (msg.h) gives it, escaped as term_escape does: it holds file
 * names and values quoted from headers. Newly allocated. */
char *term_diag(const struct diag *g);

/* The number of terminal columns that UTF-8 text s[0..n) takes: East Asian wide and emoji
 * characters count 2, combining marks, zero-width characters, control characters and ANSI
 * escape sequences (ESC [ ... letter) count 0, every other character (and every byte that is
 * not valid UTF-8) 1. term_width measures a NUL-terminated string. */
size_t term_width_n(const char *s, size_t n);
size_t term_width(const char *s);

/* s cut to at most `width` columns; when it had to be cut, the end is replaced by "…" so that
 * the result, ellipsis included, is at most width columns (width >= 1). Never cuts inside a
 * UTF-8 character. Newly allocated; the caller frees it. */
char *term_truncate(const char *s, size_t width);

/* A duration measured in milliseconds, as status and show print it: "0.3s", "2.1s" below
 * 10 s (tenths cut, not rounded), then "45s", "3m20s", "4h12m", "2d3h"; a zero lower part is
 * left out ("3m", "4h", "2d"). Negative durations print as "0.0s". buf >= 16 bytes. */
void term_duration_ms(int64_t ms, char *buf, size_t len);
/* An age in seconds to the precision a person wants from "how long ago": "45s", "3m",
 * "4h12m", "2d3h" (zero lower parts left out). Negative ages print as "0s". buf >= 16 bytes. */
void term_age(int64_t secs, char *buf, size_t len);
/* Instant t seen from now: "5m ago", "in 3h", or "0s ago" for now itself. buf >= 24 bytes. */
void term_relative(int64_t t, int64_t now, char *buf, size_t len);

/* A table printed with its columns aligned by display width (cells may hold UTF-8 and colour
 * sequences). Columns are separated by two spaces; lines have no trailing blanks. Fill it
 * row by row, left to right: the cell after the last column of a row starts the next row. */
struct table {
	size_t ncols;
	char **cells;	/* row-major, owned */
	size_t ncells, cap;
	bool *right;	/* per column: align right (numbers) */
};

/* An empty table of ncols columns; release it with table_release. */
void table_init(struct table *t, size_t ncols);
/* Aligns column col to the right. */
void table_align_right(struct table *t, size_t col);
/* Adds the next cell: a copy of s ("" when s is NULL). */
void table_add(struct table *t, const char *s);
void table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the table to sb, one line per row, each ending in '\n'; a last row with missing
 * cells is printed with them empty. */
void table_render(const struct table *t, struct strbuf *sb);
void table_release(struct table *t);

#endif
