/* exec_log.c - a chunk's log under its log_limit.
 *
 * Why it looks like this:
 *   - The child writes its log itself: its stdout and stderr are the log file, opened with
 *     O_APPEND by the executor. A job that prints little thus costs stau nothing per line
 *     (no pipe through stau, no copy): the executor looks at the size with one fstat on the
 *     descriptor it keeps open, from its wait loop (every EXEC_LOG_LOOK_MS, 200 ms; exec.c)
 *     and once when the child has ended.
 *   - Past the limit, while the child writes on, the blocks of the file's middle are freed
 *     with fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): the size stays, so the
 *     child's appends land where they would, but the disk holds only the beginning, the last
 *     exec_log_tail bytes and what came since the last look. A log that grows fast is looked
 *     at sooner, down to every EXEC_LOG_SOON_MS (10 ms), so that what comes between two
 *     looks stays near a quarter of the limit. Reading the hole gives zeros; nobody reads
 *     it, as the cut below keeps only what lies outside it.
 *   - When nothing writes any more the file is cut to its beginning, the line
 *     "[stau: N bytes cut here ...]" and its end, at line boundaries when one is near, so
 *     that the first and last lines stay whole. The end is moved down through a second
 *     descriptor of the same file, opened through /proc/self/fd without O_APPEND (on an
 *     O_APPEND descriptor Linux's pwrite ignores its offset), and the file is truncated.
 *     Processes that escaped the chunk's process group may still append: what they write
 *     during the cut may be lost, what they write after it lands at the new end.
 *   - A file system that cannot punch holes (EOPNOTSUPP: vfat, some network file systems)
 *     gets the final cut alone; while the chunk runs its log then takes on disk what the job
 *     wrote. */
#include "exec_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define MARK_MAX 128	  /* room for the line that says what was cut */
#define LINE_SCAN 65536	  /* how far a cut looks for a line boundary */
#define MOVE_BUF (1 << 20) /* the piece in which the end is moved down */

int64_t exec_log_head(const struct exec_log *l)
{
	return l->limit / 2;
}

int64_t exec_log_tail(const struct exec_log *l)
{
	return l->limit - exec_log_head(l) - MARK_MAX;
}

/* ---- while the chunk runs ---- */

/* Frees the blocks of the middle of fd, size bytes long. */
static void punch(struct exec_log *l, int fd, int64_t size, int64_t block)
{
	int64_t from = (exec_log_head(l) + block - 1) / block * block;
	int64_t to = (size - exec_log_tail(l)) / block * block;
	if (l->punched > from)
		from = l->punched;
	if (to <= from)
		return;
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, to - from))
		l->punched = to;
	else if (errno == EOPNOTSUPP || errno == ENOSYS)
		l->no_punch = true;
}

/* When to look again at a log that grew by `grew` bytes in `ms` milliseconds. */
static int64_t next_look(const struct exec_log *l, int64_t grew, int64_t ms)
{
	if (grew <= 0 || l->no_punch)
		return EXEC_LOG_LOOK_MS;
	/* ms * (limit / 4) / grew, without overflow: grew and limit may be large */
	double next = (double)ms * (double)(l->limit / 4) / (double)grew;
	return next < EXEC_LOG_SOON_MS ? EXEC_LOG_SOON_MS
	       : next > EXEC_LOG_LOOK_MS ? EXEC_LOG_LOOK_MS : (int64_t)next;
}

int64_t exec_log_watch(struct exec_log *l, int fd, int64_t now_ms)
{
	struct stat sb;
	if (!l->limit || fstat(fd, &sb))
		return EXEC_LOG_LOOK_MS;
	if (sb.st_size > l->limit && !l->no_punch)
		punch(l, fd, sb.st_size, sb.st_blksize > 0 ? sb.st_blksize : 4096);
	int64_t next = next_look(l, sb.st_size - l->seen_size, now_ms - l->seen_ms);
	l->seen_size = sb.st_size;
	l->seen_ms = now_ms;
	return next;
}

/* ---- once nothing writes ---- */

static ssize_t pread_full(int fd, char *buf, size_t n, int64_t at)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(at + (int64_t)got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int pwrite_full(int fd, const char *buf, size_t n, int64_t at)
{
	while (n) {
		ssize_t w = pwrite(fd, buf, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
		at += w;
	}
	return 0;
}

/* Where the beginning that is kept ends: after the last '\n' within the LINE_SCAN bytes
 * before keep, else at keep (then *whole is false: it ends inside a line). -1 on error. */
static int64_t head_end(int fd, int64_t keep, bool *whole)
{
	int64_t from = keep > LINE_SCAN ? keep - LINE_SCAN : 0;
	char *buf = xmalloc(LINE_SCAN);
	ssize_t n = pread_full(fd, buf, (size_t)(keep - from), from);
	char *nl = n > 0 ? memrchr(buf, '\n', (size_t)n) : NULL;
	int64_t end = nl ? from + (nl - buf) + 1 : keep;
	free(buf);
	*whole = nl != NULL;
	return n < 0 ? -1 : end;
}

/* Where the end that is kept starts: after the first '\n' within the LINE_SCAN bytes from
 * `from`, when more follows, else at from. -1 on error. */
static int64_t tail_start(int fd, int64_t from, int64_t size)
{
	size_t len = size - from < LINE_SCAN ? (size_t)(size - from) : LINE_SCAN;
	char *buf = xmalloc(LINE_SCAN);
	ssize_t n = pread_full(fd, buf, len, from);
	char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	int64_t start = nl && from + (nl - buf) + 1 < size ? from + (nl - buf) + 1 : from;
	free(buf);
	return n < 0 ? -1 : start;
}

/* Copies n bytes at from down to to (< from), in ascending pieces: a piece is read before
 * any of it is overwritten, and later pieces lie above what is written. */
static int move_down(int fd, int64_t from, int64_t to, int64_t n)
{
	char *buf = xmalloc(MOVE_BUF);
	int rc = 0;
	while (!rc && n > 0) {
		ssize_t r = pread_full(fd, buf, n < MOVE_BUF ? (size_t)n : MOVE_BUF, from);
		if (r <= 0 || pwrite_full(fd, buf, (size_t)r, to)) {
			rc = -1;
			break;
		}
		from += r;
		to += r;
		n -= r;
	}
	free(buf);
	return rc;
}

/* Cuts rw (the log, open for reading and writing, without O_APPEND) of size bytes. Returns
 * the bytes cut, or -1. */
static int64_t cut(struct exec_log *l, int rw, int64_t size)
{
	bool whole = false;
	int64_t from = size - exec_log_tail(l);
	if (from < l->punched)
		from = l->punched; /* the file shrank (the job truncated it): never keep the hole */
	int64_t h = head_end(rw, exec_log_head(l), &whole);
	int64_t t = from < size ? tail_start(rw, from, size) : size;
	if (h < 0 || t < 0)
		return -1;
	char limit[32], mark[MARK_MAX];
	size_format(l->limit, limit, sizeof(limit));
	int m = snprintf(mark, sizeof(mark), "%s[stau: %lld bytes cut here to keep the log within "
			 "log_limit %s]\n", whole ? "" : "\n", (long long)(t - h), limit);
	if (m < 0 || m >= (int)sizeof(mark) || h + m > t)
		return -1;
	if (move_down(rw, t, h + m, size - t) || pwrite_full(rw, mark, (size_t)m, h) ||
	    ftruncate(rw, (off_t)(h + m + size - t)))
		return -1;
	return t - h;
}

int64_t exec_log_cut(struct exec_log *l, int fd)
{
	struct stat sb;
	if (!l->limit || fstat(fd, &sb) || sb.st_size <= l->limit)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int rw = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (rw < 0)
		return -1;
	int64_t n = cut(l, rw, sb.st_size);
	int saved = errno;
	close(rw);
	l->punched = 0;
	errno = saved;
	return n;
}
