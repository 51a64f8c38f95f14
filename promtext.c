/* promtext.c - the Prometheus text exposition format (promtext.h).
 *
 * The format is the one Prometheus documents as "text-based format" version 0.0.4 (also
 * read by OpenMetrics parsers): lines, '#' comments with HELP and TYPE, samples with
 * optional labels and a float value. stau writes only integers and milliseconds, so the
 * values never need exponents, NaN or infinities. */
#include "promtext.h"

#include <stdio.h>
#include <string.h>

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

static bool name_ok(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!name_char(s[i], i == 0, colon))
			return false;
	return true;
}

bool prom_name_ok(const char *s)
{
	return name_ok(s, true);
}

bool prom_label_name_ok(const char *s)
{
	return name_ok(s, false) && strncmp(s, "__", 2) != 0;
}

/* The length of the valid UTF-8 character at s (1 to 4), or 0 when s does not start one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 &&
		     s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
		return 0; /* overlong, a surrogate, or above U+10FFFF */
	return len;
}

void prom_add_label_value(struct strbuf *sb, const char *s)
{
	sb_add(sb, "", 0);
	for (size_t i = 0; s && s[i];) {
		unsigned char c = (unsigned char)s[i];
		size_t len = utf8_len((const unsigned char *)s + i);
		if (c == '\\' || c == '"') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)c);
		} else if (c == '\n') {
			sb_adds(sb, "\\n");
		} else if (!len || c < 0x20 || c == 0x7F ||
			   (len == 2 && c == 0xC2 && (unsigned char)s[i + 1] < 0xA0)) {
			sb_adds(sb, "\xef\xbf\xbd"); /* U+FFFD, for a C0 or C1 control too */
		} else {
			sb_add(sb, s + i, len);
		}
		i += len ? len : 1;
	}
}

static void add_help(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_adds(sb, "\\\\");
		else if (*s == '\n')
			sb_adds(sb, "\\n");
		else
			sb_addc(sb, *s);
	}
}

void prom_family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_addf(sb, "# HELP %s ", name);
	add_help(sb, help);
	sb_addf(sb, "\n# TYPE %s %s\n", name, type);
}

static void add_name_labels(struct strbuf *sb, const char *name, const struct prom_label *labels,
			    size_t n)
{
	sb_adds(sb, name);
	if (!n)
		return;
	sb_addc(sb, '{');
	for (size_t i = 0; i < n; i++) {
		sb_addf(sb, "%s%s=\"", i ? "," : "", labels[i].name);
		prom_add_label_value(sb, labels[i].value);
		sb_addc(sb, '"');
	}
	sb_addc(sb, '}');
}

void prom_sample(struct strbuf *sb, const char *name, const struct prom_label *labels,
		 size_t nlabels, int64_t value)
{
	add_name_labels(sb, name, labels, nlabels);
	sb_addf(sb, " %lld\n", (long long)value);
}

void prom_sample_ms(struct strbuf *sb, const char *name, const struct prom_label *labels,
		    size_t nlabels, int64_t ms)
{
	char frac[8] = "";
	int64_t a = ms < 0 ? -ms : ms;
	if (a % 1000) {
		snprintf(frac, sizeof(frac), ".%03d", (int)(a % 1000));
		for (size_t k = strlen(frac) - 1; frac[k] == '0'; k--)
			frac[k] = '\0';
	}
	add_name_labels(sb, name, labels, nlabels);
	sb_addf(sb, " %s%lld%s\n", ms < 0 ? "-" : "", (long long)(a / 1000), frac);
}
