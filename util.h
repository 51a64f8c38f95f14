/* util.h - memory, growable strings and small helpers that know nothing about jobs: the
 * monotonic clock, directories, a hash, durations and sizes. */
#ifndef STAU_UTIL_H
#define STAU_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that never returns NULL: out of memory prints a message and exits 3. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows an array *p of *cap elements of size elem so that it holds at least need. */
void grow(void *p, size_t *cap, size_t need, size_t elem);

/* A growable NUL-terminated string. Initialise with STRBUF_INIT; buf is never NULL after the
 * first add. sb_detach hands the buffer to the caller and resets the strbuf. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
#define STRBUF_INIT { NULL, 0, 0 }
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
char *sb_detach(struct strbuf *sb);
void sb_release(struct strbuf *sb);

/* A growable NULL-terminated array of owned strings (an argv, an environment). Initialise
 * with { 0 }; v is NULL until the first push. strvec_push takes s. */
struct strvec {
	char **v;
	size_t n, cap;
};
void strvec_push(struct strvec *sv, char *s);
void strvec_release(struct strvec *sv);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t edit_distance(const char *a, const char *b);
/* The candidate nearest to word (at most a third of its length away, and at least 1 edit,
 * at most 3), or NULL. candidates ends with NULL. */
const char *spell_suggest(const char *word, const char *const *candidates);

/* Decodes the UTF-8 character at s[0..n) leniently: returns its length in bytes (>= 1) and
 * sets *cp, or sets *cp to U+FFFD for a byte that does not start a well-formed sequence
 * (length 1). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Appends s[0..n) with what could drive a terminal made visible: control characters as \n,
 * \t, \r or \xHH (ESC is \x1b), C1 controls as \uHHHH, bytes that are not UTF-8 as \xHH.
 * With keep_newlines a newline stays a newline (a message of several lines). */
void sb_add_escaped(struct strbuf *sb, const char *s, size_t n, bool keep_newlines);

/* Writes all n bytes of buf to fd, going on after EINTR and short writes. Returns 0, or -1
 * with errno. Only system calls: safe in a vfork child. */
int write_all(int fd, const void *buf, size_t n);

/* Reads a whole file into a new NUL-terminated buffer; *len gets its length (may be NULL).
 * Returns NULL with errno set on failure. The caller frees the buffer. */
char *read_file(const char *path, size_t *len);
/* read_file for a file that must be a regular file (a FIFO would block, a device never end):
 * opened without blocking, checked with fstat, whose result goes to *st when st is not NULL.
 * Anything else fails with errno EINVAL. */
char *read_regular_file(const char *path, size_t *len, struct stat *st);
/* The same from an open descriptor, read to its end; the descriptor stays open. */
char *read_fd(int fd, size_t *len);

/* Writes data to path atomically: a temporary file in the same directory, fsync, rename, and
 * fsync of the directory, so that a crash leaves the old file or the new one, never half.
 * Returns 0, or -1 with errno set (the temporary file is removed). */
int write_file_atomic(const char *path, const char *data, size_t len, unsigned mode);

/* Parses a decimal int64 in all of s (optional sign); returns 0 or -1 (no digits, junk, overflow). */
int parse_int64(const char *s, int64_t *out);

/* Milliseconds of CLOCK_MONOTONIC: for durations and deadlines, never for dates. */
int64_t monotonic_ms(void);
/* The milliseconds from now to deadline (on monotonic_ms's clock) as poll() takes them: -1
 * for deadline 0 (no limit), else at least 0 and at most INT_MAX. */
int poll_ms_until(int64_t deadline);

/* Creates the missing directories on the way to path, each with mode: every directory named
 * before a '/' in it, so "a/b/c.log" makes a and a/b, and "a/b/" makes a and a/b. Existing
 * directories are left as they are. Returns 0, or -1 with errno set. */
int mkdir_parents(const char *path, unsigned mode);

/* The 64-bit FNV-1a hash of s[0..n), continuing from h: pass HASH_FNV1A_INIT to start, the
 * result of an earlier call to hash more than one piece as one. */
#define HASH_FNV1A_INIT 14695981039346656037ULL
uint64_t hash_fnv1a(uint64_t h, const void *s, size_t n);

/* Formats a duration of ms milliseconds as its `units` largest units among d, h, m, s and
 * ms, counted from the largest that is not zero; parts that are zero are left out:
 *   DURATION_EXACT  every unit: "45s", "2h30m", "1d2h3m4s", "200ms", "1s500ms"; a negative
 *                   duration gets a '-'. Whole seconds read back with duration_parse.
 *   2               the two largest, the rest dropped: "3m20s", "4h12m", "2d3h", and "2d" for
 *                   2 days and 59 seconds (how long something took, term.h).
 * Zero is "0s". 32 bytes of buf hold any duration. */
#define DURATION_EXACT 5
void duration_format(int64_t ms, int units, char *buf, size_t len);

/* Parses a size in bytes: a whole number, then optionally blanks and a unit: B (bytes), or
 * K, M, G or T in either case (powers of 1024), alone or followed by "B" or "iB" ("500k",
 * "1M", "100MiB", "2 GB", "4096"). Returns 0 and sets *bytes (at most SIZE_PARSE_MAX), or -1
 * and writes a message ("bad size '1.5M': ...") to err. */
#define SIZE_PARSE_MAX ((int64_t)1 << 60)
int size_parse(const char *s, int64_t *bytes, char *err, size_t errlen);

/* Formats a size as size_parse reads it back: with the largest unit of K, M, G and T that
 * divides it ("100M", "1536K"), else in bytes ("1000"). 32 bytes of buf hold any size. */
void size_format(int64_t bytes, char *buf, size_t len);

#endif
