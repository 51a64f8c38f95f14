/* json.c - a small streaming JSON writer into a struct strbuf.
 *
 * Why a writer and not a tree: every JSON document stau prints (status, show, STAU_KWARGS) is
 * produced once, in order, from data already in memory; a writer that only remembers whether
 * the current container has members (for the commas) needs no allocation beyond the output
 * buffer. Stored kwargs are JSON text already and go in through json_raw untouched.
 *
 * Strings come from job files, logs and the database, so they may hold any bytes. JSON must
 * be UTF-8, so invalid sequences are replaced the way Unicode recommends ("substitution of
 * maximal subparts", Unicode 15 §3.9, Table 3-8): a truncated but otherwise well-begun
 * sequence is one U+FFFD, each other bad byte is one U+FFFD. Python's decoder, browsers and
 * jq replace the same way, so `stau show --json` and a job's own view of its output agree. */
#include "json.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

/* The range the second byte of a sequence starting with lead byte b may take, and the
 * sequence length (Unicode Table 3-7); 0 for a byte that cannot start a sequence. */
static size_t utf8_lead(unsigned char b, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF)
		return 2;
	if (b >= 0xE0 && b <= 0xEF) {
		if (b == 0xE0)
			*lo = 0xA0; /* no overlong forms */
		if (b == 0xED)
			*hi = 0x9F; /* no surrogates */
		return 3;
	}
	if (b >= 0xF0 && b <= 0xF4) {
		if (b == 0xF0)
			*lo = 0x90;
		if (b == 0xF4)
			*hi = 0x8F; /* nothing above U+10FFFF */
		return 4;
	}
	return 0;
}

/* Measures the sequence at s[0..n) (s[0] >= 0x80): returns its length and sets *valid, or the
 * length of its maximal invalid subpart (at least 1) with *valid false. */
static size_t utf8_seq(const unsigned char *s, size_t n, bool *valid)
{
	unsigned char lo, hi;
	size_t len = utf8_lead(s[0], &lo, &hi);
	*valid = false;
	if (!len)
		return 1;
	size_t i = 1;
	for (; i < len && i < n; i++) {
		unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
		if (s[i] < min || s[i] > max)
			return i;
	}
	*valid = i == len;
	return i;
}

static void quote_control(struct strbuf *sb, unsigned char c)
{
	switch (c) {
	case '\n': sb_adds(sb, "\\n"); break;
	case '\t': sb_adds(sb, "\\t"); break;
	case '\r': sb_adds(sb, "\\r"); break;
	case '\b': sb_adds(sb, "\\b"); break;
	case '\f': sb_adds(sb, "\\f"); break;
	default: sb_addf(sb, "\\u%04x", c); break;
	}
}

void json_quote(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	sb_addc(sb, '"');
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
			i++;
		sb_add(sb, s + start, i - start);
		if (i == n)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)p[i++]);
		} else if (p[i] < 0x20) {
			quote_control(sb, p[i++]);
		} else {
			bool valid;
			size_t len = utf8_seq(p + i, n - i, &valid);
			if (valid)
				sb_add(sb, s + i, len);
			else
				sb_adds(sb, "\\ufffd");
			i += len;
		}
	}
	sb_addc(sb, '"');
}

void json_init(struct json *j, struct strbuf *out, bool pretty)
{
	*j = (struct json){ .out = out, .pretty = pretty };
	sb_adds(out, ""); /* out->buf is a string from here on, even for an empty document */
}

void json_finish(struct json *j)
{
	assert(j->depth == 0 && !j->after_key);
	if (j->pretty)
		sb_addc(j->out, '\n');
}

static void newline_indent(struct json *j)
{
	sb_addc(j->out, '\n');
	for (int i = 0; i < j->depth; i++)
		sb_adds(j->out, "  ");
}

/* Whatever must come before a value: nothing after a key, else a comma and a new line. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	assert(j->depth == 0 || !j->is_object[j->depth - 1]);
	if (j->depth == 0)
		return;
	if (j->has_items[j->depth - 1])
		sb_addc(j->out, ',');
	j->has_items[j->depth - 1] = true;
	if (j->pretty)
		newline_indent(j);
}

void json_key(struct json *j, const char *key)
{
	assert(j->depth > 0 && j->is_object[j->depth - 1] && !j->after_key);
	if (j->has_items[j->depth - 1])
		sb_addc(j->out, ',');
	j->has_items[j->depth - 1] = true;
	if (j->pretty)
		newline_indent(j);
	json_quote(j->out, key, strlen(key));
	sb_adds(j->out, j->pretty ? ": " : ":");
	j->after_key = true;
}

static void open_container(struct json *j, char c, bool object)
{
	before_value(j);
	assert(j->depth < JSON_MAX_DEPTH);
	sb_addc(j->out, c);
	j->is_object[j->depth] = object;
	j->has_items[j->depth] = false;
	j->depth++;
}

static void close_container(struct json *j, char c, bool object)
{
	assert(j->depth > 0 && j->is_object[j->depth - 1] == object && !j->after_key);
	j->depth--;
	if (j->pretty && j->has_items[j->depth])
		newline_indent(j);
	sb_addc(j->out, c);
}

void json_object_begin(struct json *j)
{
	open_container(j, '{', true);
}

void json_object_end(struct json *j)
{
	close_container(j, '}', true);
}

void json_array_begin(struct json *j)
{
	open_container(j, '[', false);
}

void json_array_end(struct json *j)
{
	close_container(j, ']', false);
}

void json_string_n(struct json *j, const char *s, size_t n)
{
	before_value(j);
	json_quote(j->out, s, n);
}

void json_string(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_string_n(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	before_value(j);
	sb_addf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	sb_adds(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	before_value(j);
	sb_adds(j->out, "null");
}

void json_raw(struct json *j, const char *text)
{
	if (!text || !*text) {
		json_null(j);
		return;
	}
	before_value(j);
	sb_adds(j->out, text);
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kint(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kbool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_knull(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

static const char *skip_digits(const char *s)
{
	while (*s >= '0' && *s <= '9')
		s++;
	return s;
}

bool json_is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s = skip_digits(s);
	else
		return false;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return false;
		s = skip_digits(s);
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		s = skip_digits(s);
	}
	return *s == '\0';
}
