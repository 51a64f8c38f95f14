/* term.c - terminal output: colours, display width, aligned tables, durations and ages.
 *
 * Display width: stau runs from cron, where the locale is usually "C", so libc's wcwidth()
 * would call every non-ASCII character unprintable. The width is therefore computed from
 * our own small table of the ranges that matter in job names, descriptions and messages:
 * combining marks and zero-width characters (0 columns) and East Asian wide characters and
 * emoji (2 columns). Checked against glibc's wcwidth() in C.UTF-8: wide characters agree
 * except some text-style pictographs in U+1F300-1F6FF, which we count as 2 like most
 * terminals' emoji fonts; combining marks agree for Latin, Greek, Cyrillic, Hebrew, Arabic
 * and Thai, while those of other scripts count 1. A character that is off by one column
 * only shifts a table row, never the data.
 *
 * Durations and ages: a duration is how long something took, so short ones keep a tenth of
 * a second ("2.1s"); an age answers "how long ago", so it is coarse ("3m", "4h12m"). */
#include "term.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- colours ---- */

static const char *const sgr[] = {
	[TERM_PLAIN] = "",	     [TERM_RED] = "\033[31m",  [TERM_GREEN] = "\033[32m",
	[TERM_YELLOW] = "\033[33m", [TERM_BLUE] = "\033[34m", [TERM_BOLD] = "\033[1m",
	[TERM_DIM] = "\033[2m",
};

const char *term_sgr(bool color, enum term_color c)
{
	return color && (unsigned)c < ARRAY_SIZE(sgr) ? sgr[c] : "";
}

const char *term_reset(bool color, enum term_color c)
{
	return color && c != TERM_PLAIN ? "\033[0m" : "";
}

void term_add_colored(struct strbuf *sb, bool color, enum term_color c, const char *s)
{
	sb_adds(sb, term_sgr(color, c));
	sb_adds(sb, s);
	sb_adds(sb, term_reset(color, c));
}

/* ---- display width ---- */

struct range {
	uint32_t lo, hi;
};

static const struct range zero_width[] = {
	{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x05BF, 0x05BF },
	{ 0x05C1, 0x05C2 }, { 0x05C4, 0x05C5 }, { 0x05C7, 0x05C7 }, { 0x0610, 0x061A },
	{ 0x064B, 0x065F }, { 0x0670, 0x0670 }, { 0x06D6, 0x06DC }, { 0x06DF, 0x06E4 },
	{ 0x06E7, 0x06E8 }, { 0x06EA, 0x06ED }, { 0x0900, 0x0902 }, { 0x093A, 0x093A },
	{ 0x093C, 0x093C }, { 0x0941, 0x0948 }, { 0x094D, 0x094D }, { 0x0951, 0x0957 },
	{ 0x0E31, 0x0E31 }, { 0x0E34, 0x0E3A }, { 0x0E47, 0x0E4E }, { 0x1AB0, 0x1AFF },
	{ 0x1DC0, 0x1DFF }, { 0x200B, 0x200F }, { 0x202A, 0x202E }, { 0x2060, 0x2064 },
	{ 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F }, { 0xFE20, 0xFE2F }, { 0xFEFF, 0xFEFF },
	{ 0xE0000, 0xE007F }, { 0xE0100, 0xE01EF },
};

static const struct range wide[] = {
	{ 0x1100, 0x115F }, { 0x231A, 0x231B }, { 0x2329, 0x232A }, { 0x23E9, 0x23EC },
	{ 0x23F0, 0x23F0 }, { 0x23F3, 0x23F3 }, { 0x25FD, 0x25FE }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267F, 0x267F }, { 0x2693, 0x2693 }, { 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB }, { 0x26BD, 0x26BE }, { 0x26C4, 0x26C5 }, { 0x26CE, 0x26CE },
	{ 0x26D4, 0x26D4 }, { 0x26EA, 0x26EA }, { 0x26F2, 0x26F3 }, { 0x26F5, 0x26F5 },
	{ 0x26FA, 0x26FA }, { 0x26FD, 0x26FD }, { 0x2705, 0x2705 }, { 0x270A, 0x270B },
	{ 0x2728, 0x2728 }, { 0x274C, 0x274C }, { 0x274E, 0x274E }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27B0, 0x27B0 }, { 0x27BF, 0x27BF },
	{ 0x2B1B, 0x2B1C }, { 0x2B50, 0x2B50 }, { 0x2B55, 0x2B55 }, { 0x2E80, 0x303E },
	{ 0x3041, 0x9FFF }, { 0xA000, 0xA4CF }, { 0xA960, 0xA97F }, { 0xAC00, 0xD7A3 },
	{ 0xF900, 0xFAFF }, { 0xFE10, 0xFE19 }, { 0xFE30, 0xFE6F }, { 0xFF00, 0xFF60 },
	{ 0xFFE0, 0xFFE6 }, { 0x16FE0, 0x16FE4 }, { 0x16FF0, 0x16FF1 }, { 0x17000, 0x18CD5 },
	{ 0x18D00, 0x18D08 }, { 0x1AFF0, 0x1AFFE }, { 0x1B000, 0x1B2FF }, { 0x1F004, 0x1F004 },
	{ 0x1F0CF, 0x1F0CF }, { 0x1F18E, 0x1F18E }, { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F202 },
	{ 0x1F210, 0x1F23B }, { 0x1F240, 0x1F248 }, { 0x1F250, 0x1F251 }, { 0x1F260, 0x1F265 },
	{ 0x1F300, 0x1F64F }, { 0x1F680, 0x1F6FF }, { 0x1F7E0, 0x1F7EB }, { 0x1F7F0, 0x1F7F0 },
	{ 0x1F90C, 0x1F9FF }, { 0x1FA70, 0x1FAFF }, { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

static bool in_ranges(uint32_t cp, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static int codepoint_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 0;
	if (in_ranges(cp, zero_width, ARRAY_SIZE(zero_width)))
		return 0;
	return in_ranges(cp, wide, ARRAY_SIZE(wide)) ? 2 : 1;
}

/* The length of the ANSI escape sequence at s[0..n) (s[0] is ESC). */
static size_t escape_len(const char *s, size_t n)
{
	if (n < 2 || s[1] != '[')
		return 1;
	size_t i = 2;
	while (i < n && !(s[i] >= 0x40 && s[i] <= 0x7E))
		i++;
	return i < n ? i + 1 : n;
}

/* The length and width of the next character or escape sequence at s[0..n). */
static size_t next_glyph(const char *s, size_t n, int *width)
{
	if (s[0] == '\033') {
		*width = 0;
		return escape_len(s, n);
	}
	uint32_t cp;
	size_t len = utf8_decode((const unsigned char *)s, n, &cp);
	*width = codepoint_width(cp);
	return len;
}

size_t term_width_n(const char *s, size_t n)
{
	size_t cols = 0;
	for (size_t i = 0; i < n;) {
		int w;
		i += next_glyph(s + i, n - i, &w);
		cols += (size_t)w;
	}
	return cols;
}

size_t term_width(const char *s)
{
	return term_width_n(s, strlen(s));
}

char *term_truncate(const char *s, size_t width)
{
	size_t n = strlen(s);
	if (term_width_n(s, n) <= width)
		return xstrdup(s);
	size_t cols = 0, i = 0;
	while (i < n) {
		int w;
		size_t len = next_glyph(s + i, n - i, &w);
		if (cols + (size_t)w + 1 > width)
			break;
		cols += (size_t)w;
		i += len;
	}
	return xasprintf("%.*s\xe2\x80\xa6", (int)i, s);
}

/* ---- text from outside ---- */

void term_add_escaped(struct strbuf *sb, const char *s, size_t n)
{
	sb_add_escaped(sb, s, n, false);
}

char *term_escape(const char *s)
{
	if (!s)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	term_add_escaped(&sb, s, strlen(s));
	return sb_detach(&sb);
}

char *term_diag(const struct diag *g)
{
	char *raw = diag_format(g), *safe = term_escape(raw);
	free(raw);
	return safe;
}

/* ---- durations and ages ---- */

void term_duration_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		ms = 0;
	if (ms < 10000)
		snprintf(buf, len, "%d.%ds", (int)(ms / 1000), (int)(ms % 1000 / 100));
	else
		duration_format(ms / 1000 * 1000, 2, buf, len);
}

void term_age(int64_t secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 60 && secs < 3600)
		secs -= secs % 60; /* "3m", not "3m20s": an age is coarse */
	duration_format(secs * 1000, 2, buf, len);
}

void term_relative(int64_t t, int64_t now, char *buf, size_t len)
{
	char age[24];
	term_age(t <= now ? now - t : t - now, age, sizeof(age));
	snprintf(buf, len, t <= now ? "%s ago" : "in %s", age);
}

/* ---- tables ---- */

void table_init(struct table *t, size_t ncols)
{
	*t = (struct table){ .ncols = ncols };
	t->right = xcalloc(ncols, sizeof(*t->right));
}

void table_align_right(struct table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = true;
}

void table_add(struct table *t, const char *s)
{
	grow(&t->cells, &t->cap, t->ncells + 1, sizeof(*t->cells));
	t->cells[t->ncells++] = xstrdup(s ? s : "");
}

void table_addf(struct table *t, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	grow(&t->cells, &t->cap, t->ncells + 1, sizeof(*t->cells));
	t->cells[t->ncells++] = sb.buf ? sb_detach(&sb) : xstrdup("");
}

static void pad(struct strbuf *sb, size_t n)
{
	while (n--)
		sb_addc(sb, ' ');
}

static void render_row(const struct table *t, size_t row, const size_t *widths,
		       struct strbuf *sb)
{
	size_t start = sb->len;
	for (size_t c = 0; c < t->ncols; c++) {
		size_t k = row * t->ncols + c;
		const char *cell = k < t->ncells ? t->cells[k] : "";
		size_t gap = widths[c] - term_width(cell);
		if (c)
			sb_adds(sb, "  ");
		if (t->right[c])
			pad(sb, gap);
		sb_adds(sb, cell);
		if (!t->right[c])
			pad(sb, gap);
	}
	while (sb->len > start && sb->buf[sb->len - 1] == ' ')
		sb->len--;
	sb_addc(sb, '\n');
}

void table_render(const struct table *t, struct strbuf *sb)
{
	if (!t->ncols)
		return;
	size_t nrows = (t->ncells + t->ncols - 1) / t->ncols;
	size_t *widths = xcalloc(t->ncols, sizeof(*widths));
	for (size_t k = 0; k < t->ncells; k++) {
		size_t w = term_width(t->cells[k]);
		if (w > widths[k % t->ncols])
			widths[k % t->ncols] = w;
	}
	for (size_t r = 0; r < nrows; r++)
		render_row(t, r, widths, sb);
	free(widths);
}

void table_release(struct table *t)
{
	for (size_t k = 0; k < t->ncells; k++)
		free(t->cells[k]);
	free(t->cells);
	free(t->right);
	*t = (struct table){ 0 };
}
