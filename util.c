/* util.c - memory, growable strings and small helpers that know nothing about jobs. */
#include "util.h"

#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void out_of_memory(void)
{
	fputs("stau: out of memory\n", stderr);
	exit(3);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	return sb_detach(&sb);
}

void grow(void *p, size_t *cap, size_t need, size_t elem)
{
	void **arr = p;
	size_t n = *cap ? *cap : 8;
	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem)
		out_of_memory();
	*arr = xrealloc(*arr, n * elem);
	*cap = n;
}

void sb_add(struct strbuf *sb, const char *s, size_t n)
{
	grow(&sb->buf, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	grow(&sb->buf, &sb->cap, sb->len + (size_t)n + 1, 1);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

char *sb_detach(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void sb_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

/* Optimal string alignment distance: Levenshtein plus the swap of two neighbours, the commonest
 * typo ("chekc"). Three rows of the matrix are enough. */
void strvec_push(struct strvec *sv, char *s)
{
	grow(&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev2 = xcalloc(lb + 1, sizeof(size_t));
	size_t *prev = xcalloc(lb + 1, sizeof(size_t));
	size_t *row = xcalloc(lb + 1, sizeof(size_t));
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			row[j] = best;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = row;
		row = t;
	}
	size_t d = prev[lb];
	free(prev2);
	free(prev);
	free(row);
	return d;
}

const char *spell_suggest(const char *word, const char *const *candidates)
{
	size_t limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	size_t best_d = limit + 1;
	for (; *candidates; candidates++) {
		size_t d = edit_distance(word, *candidates);
		if (d < best_d) {
			best_d = d;
			best = *candidates;
		}
	}
	return best;
}

char *read_fd(int fd, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			sb_release(&sb);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		sb_add(&sb, chunk, (size_t)n);
	}
	if (len)
		*len = sb.len;
	return sb_detach(&sb);
}

char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *text = read_fd(fd, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return text;
}

int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

char *read_regular_file(const char *path, size_t *len, struct stat *st)
{
	struct stat own;
	st = st ? st : &own;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	char *text = NULL;
	if (fstat(fd, st) == 0) {
		if (S_ISREG(st->st_mode))
			text = read_fd(fd, len);
		else
			errno = EINVAL;
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return text;
}

static int fsync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int write_file_atomic(const char *path, const char *data, size_t len, unsigned mode)
{
	/* a fresh name created exclusively: a link planted at a guessable name is never followed */
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail_free;
	if (fchmod(fd, mode))
		goto fail_close;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_close;
		off += (size_t)n;
	}
	if (fsync(fd))
		goto fail_close;
	if (close(fd))
		goto fail_unlink;
	if (rename(tmp, path))
		goto fail_unlink;
	free(tmp);
	return fsync_parent_dir(path);
fail_close:;
	int saved = errno;
	close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail_free:
	free(tmp);
	return -1;
}

int parse_int64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
		return -1;
	*out = v;
	return 0;
}

int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int poll_ms_until(int64_t deadline)
{
	if (!deadline)
		return -1;
	int64_t left = deadline - monotonic_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

int mkdir_parents(const char *path, unsigned mode)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = strchr(p + 1, '/'); s && !rc; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	free(p);
	return rc;
}

uint64_t hash_fnv1a(uint64_t h, const void *s, size_t n)
{
	const unsigned char *b = s;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void duration_format(int64_t ms, int units, char *buf, size_t len)
{
	static const struct {
		uint64_t ms;
		const char *unit;
	} unit[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
		     { 1, "ms" } };
	uint64_t left = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
	size_t at = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	if (ms < 0)
		at += (size_t)snprintf(buf, len, "-");
	if (left == 0)
		snprintf(buf + at, len - at, "0s");
	for (size_t i = 0, used = 0; i < ARRAY_SIZE(unit) && at < len && left; i++) {
		uint64_t q = left / unit[i].ms;
		left %= unit[i].ms;
		if (q)
			at += (size_t)snprintf(buf + at, len - at, "%llu%s", (unsigned long long)q,
					       unit[i].unit);
		used += q || used;
		if (used == (size_t)units)
			break;
	}
}

/* ---- sizes ---- */

static const char size_units[] = "KMGT";

/* The power of 1024 that the unit at s means (0 for bytes), or -1 when s is no unit. */
static int size_unit(const char *s)
{
	if (!*s || !strcmp(s, "B"))
		return 0;
	const char *u = strchr(size_units, toupper((unsigned char)*s));
	if (!u || !*u)
		return -1;
	s++;
	return !*s || !strcmp(s, "B") || !strcmp(s, "iB") ? (int)(u - size_units) + 1 : -1;
}

int size_parse(const char *s, int64_t *bytes, char *err, size_t errlen)
{
	const char *p = s;
	int64_t n = 0;
	for (; isdigit((unsigned char)*p); p++) /* past the maximum n stays above it */
		n = n <= SIZE_PARSE_MAX / 10 ? n * 10 + (*p - '0') : SIZE_PARSE_MAX + 1;
	while (p > s && (*p == ' ' || *p == '\t'))
		p++;
	int power = p > s ? size_unit(p) : -1;
	if (power < 0) {
		snprintf(err, errlen, "bad size '%s': expected a whole number of bytes with "
			 "an optional unit K, M, G or T (powers of 1024, also written KB or KiB), "
			 "e.g. '500K' or '100M'", s);
		return -1;
	}
	for (; power > 0 && n <= SIZE_PARSE_MAX; power--)
		n *= 1024;
	if (n > SIZE_PARSE_MAX) {
		snprintf(err, errlen, "bad size '%s': too large", s);
		return -1;
	}
	*bytes = n;
	return 0;
}

void size_format(int64_t bytes, char *buf, size_t len)
{
	int power = 0;
	while (bytes > 0 && bytes % 1024 == 0 && power < (int)strlen(size_units)) {
		bytes /= 1024;
		power++;
	}
	if (power)
		snprintf(buf, len, "%lld%c", (long long)bytes, size_units[power - 1]);
	else
		snprintf(buf, len, "%lld", (long long)bytes);
}

/* ---- text from outside ---- */

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 &&
		     s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	*cp = 0xFFFD;
	if (!len || len > n)
		return 1;
	uint32_t v = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		v = v << 6 | (s[i] & 0x3F);
	}
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 1;
	*cp = v;
	return len;
}

void sb_add_escaped(struct strbuf *sb, const char *s, size_t n, bool keep_newlines)
{
	sb_add(sb, "", 0);
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)s[i];
		uint32_t cp;
		size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (b == '\n')
			sb_adds(sb, keep_newlines ? "\n" : "\\n");
		else if (b == '\t')
			sb_adds(sb, "\\t");
		else if (b == '\r')
			sb_adds(sb, "\\r");
		else if (b < 0x20 || b == 0x7F || (cp == 0xFFFD && len == 1 && b >= 0x80))
			sb_addf(sb, "\\x%02x", b);
		else if (cp >= 0x80 && cp < 0xA0)
			sb_addf(sb, "\\u%04x", (unsigned)cp);
		else
			sb_add(sb, s + i, len);
		i += len;
	}
}
