/* exec_file.h - what a chunk's job file was when the chunk started (docs/design.md, "Edits
 * during a run"): its content hash, read while nothing wrote to it, and its status, against
 * which a later look tells whether it was rewritten meanwhile. */
#ifndef STAU_EXEC_FILE_H
#define STAU_EXEC_FILE_H

#include <stdbool.h>
#include <stdint.h>

struct exec_file {
	int64_t mtime_ns, ctime_ns, size;
	uint64_t ino, dev;
	char hash[32];	/* "fnv1a64:" and 16 hex digits, as engine_file_hash writes it */
};

/* Reads path into *f: its hash from one read between two stats that agree, so that a file
 * being rewritten is waited for (every 5 ms, up to 2 s; then the last read counts). Returns
 * 0, or -1 with errno. */
int exec_file_read(const char *path, struct exec_file *f);

/* Whether path is not what f saw any more: rewritten, replaced or gone. */
bool exec_file_changed(const char *path, const struct exec_file *f);

/* A watch on job files (inotify) for the chunks that started from them: a write to one
 * while a chunk starts (the interpreter of a script reads it after exec, by its path) is
 * seen even when it leaves the file's status as it was (the same size, written within one
 * tick of the file system's clock). */
struct exec_watch;

/* A new watch; NULL when inotify is not available (then only the status is compared). */
struct exec_watch *exec_watch_new(void);
/* The descriptor to poll for POLLIN, or -1. */
int exec_watch_fd(const struct exec_watch *w);
/* Starts watching path for writes; returns its watch number (shared by every user of the same
 * file), or -1. Each exec_watch_add is undone by one exec_watch_remove. */
int exec_watch_add(struct exec_watch *w, const char *path);
void exec_watch_remove(struct exec_watch *w, int wd);
/* Reads the pending events without waiting: calls written(ctx, wd) for each file written. */
void exec_watch_read(struct exec_watch *w, void (*written)(void *ctx, int wd), void *ctx);
void exec_watch_free(struct exec_watch *w);

#endif
