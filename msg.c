/* msg.c - what stau tells the user: "stau: ..." messages and located diagnostics. */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int msg_verbosity = 0;

static void vsay(const char *fmt, va_list ap)
{
	struct strbuf text = STRBUF_INIT, sb = STRBUF_INIT;
	sb_vaddf(&text, fmt, ap);
	/* messages quote job names, headers and file names: nothing in them reaches the
	 * terminal as a control sequence */
	sb_adds(&sb, "stau: ");
	sb_add_escaped(&sb, text.buf, text.len, true);
	sb_release(&text);
	sb_addc(&sb, '\n');
	fputs(sb.buf, stderr); /* one write, so concurrent stau processes do not interleave */
	sb_release(&sb);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return -1;
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	if (msg_verbosity < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(code);
}

int diag_add(struct diags *d, const char *file, int line, int col, const char *hint,
	     const char *fmt, ...)
{
	grow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	struct diag *g = &d->v[d->n++];
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	g->file = xstrdup(file ? file : "");
	g->line = line;
	g->col = col;
	g->msg = sb_detach(&sb);
	g->hint = hint ? xstrdup(hint) : NULL;
	return -1;
}

char *diag_format(const struct diag *g)
{
	struct strbuf sb = STRBUF_INIT;
	if (g->file[0]) {
		sb_adds(&sb, g->file);
		if (g->line > 0) {
			sb_addf(&sb, ":%d", g->line);
			if (g->col > 0)
				sb_addf(&sb, ":%d", g->col);
		}
		sb_adds(&sb, ": ");
	}
	sb_adds(&sb, g->msg);
	if (g->hint)
		sb_addf(&sb, " (%s)", g->hint);
	return sb_detach(&sb);
}

void diags_print(const struct diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);
		struct strbuf sb = STRBUF_INIT;
		sb_add_escaped(&sb, s, strlen(s), true);
		fprintf(f, "stau: %s\n", sb.buf);
		sb_release(&sb);
		free(s);
	}
}

void diags_take(struct diags *dst, struct diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		grow(&dst->v, &dst->cap, dst->n + 1, sizeof(*dst->v));
		dst->v[dst->n++] = src->v[i];
	}
	free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
}

void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].hint);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
