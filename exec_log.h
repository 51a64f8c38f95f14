/* exec_log.h - a chunk's log under its log_limit: the child writes the file itself; the
 * executor looks at its size now and then, frees the blocks of its middle while it grows, and
 * cuts it to its beginning, a line saying what was cut, and its end once nothing writes.
 *
 * Knows files only, not processes: the executor (exec.c) decides when to look and when
 * the writers are gone. exec_log.c's design comment says why it works this way. */
#ifndef STAU_EXEC_LOG_H
#define STAU_EXEC_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* What is known of one log. Zero it, then set limit, and seen_ms to when writing began. */
struct exec_log {
	int64_t limit;	 /* bytes the log may hold at the end; 0: no limit */
	int64_t punched; /* the blocks before this offset, after the beginning kept, are freed */
	bool no_punch;	 /* the file system cannot punch holes: only the final cut is made */
	int64_t seen_size, seen_ms; /* its size at the last look, and when that was */
};

/* How often a log is looked at while it is written: first EXEC_LOG_FIRST_MS after it was
 * opened, then at most every EXEC_LOG_LOOK_MS, and as often as every EXEC_LOG_SOON_MS while
 * it grows fast. */
#define EXEC_LOG_FIRST_MS 50
#define EXEC_LOG_LOOK_MS 200
#define EXEC_LOG_SOON_MS 10

/* The bytes a cut log keeps of its beginning and of its end, at most: together with the line
 * that says what was cut they make at most limit bytes. */
int64_t exec_log_head(const struct exec_log *l);
int64_t exec_log_tail(const struct exec_log *l);

/* While processes write to fd (the log, open for writing, O_APPEND or not), at now_ms: when
 * the file is over its limit, frees the blocks between the beginning it keeps and the last
 * exec_log_tail bytes, keeping the file's size (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE),
 * so that the writers append where they would and the disk holds about the limit. Returns
 * the milliseconds after which to look again: the time in which the log, growing as fast as
 * since the last look, writes a quarter of its limit, within EXEC_LOG_SOON_MS and
 * EXEC_LOG_LOOK_MS (the latter when holes cannot be punched: looking sooner would not help). */
int64_t exec_log_watch(struct exec_log *l, int fd, int64_t now_ms);

/* Once nothing writes to fd any more: a file over its limit becomes its beginning (up to the
 * last line end within exec_log_head bytes), the line "[stau: N bytes cut here ...]", and its
 * end (from the first line start within the last exec_log_tail bytes); fd's offset is left
 * alone. Returns the number of bytes cut (0: the file was within its limit), or -1 with errno
 * set when the file could not be cut (it is then left as it was, or with its middle freed). */
int64_t exec_log_cut(struct exec_log *l, int fd);

#endif
