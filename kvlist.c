/* kvlist.c - ordered maps of names to JSON values (kvlist.h): kwargs, env, srun options.
 *
 * A kvlist keeps its values as JSON text: a kwargs value may be any YAML structure and must
 * reach the job as JSON anyway (STAU_KWARGS), so config.c converts it once, while the YAML
 * is at hand. kv_string turns a JSON string back into its text for env values and srun
 * options. Nothing here knows YAML, so the planner, which overlays kwargs, needs no parser.
 * Keys are quoted by json.c like every other JSON text stau writes. */
#include "kvlist.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* ---- JSON string text --------------------------------------------------------------- */

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

void kv_add(struct kvlist *l, const char *key, char *json, struct loc loc)
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
