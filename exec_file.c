/* exec_file.c - what a chunk's job file was when the chunk started (exec_file.h).
 *
 * An editor that saves in place truncates the file and writes it again; a chunk started in
 * between would run a half-written file. The status (size, modification and change times
 * in nanoseconds, inode) changes with every write, so two stats around one read that agree
 * say that the read saw one whole version, and the same status later says that nothing
 * wrote to it since. */
#include "exec_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SETTLE_TRIES 400	/* a file being written: looked at again, */
#define SETTLE_PAUSE_MS 5	/* this often */

static int status_of(const char *path, struct exec_file *f)
{
	struct stat sb;
	if (stat(path, &sb))
		return -1;
	f->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000 + sb.st_ctim.tv_nsec;
	f->size = (int64_t)sb.st_size;
	f->ino = (uint64_t)sb.st_ino;
	f->dev = (uint64_t)sb.st_dev;
	return 0;
}

static bool same_status(const struct exec_file *a, const struct exec_file *b)
{
	return a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns && a->size == b->size &&
	       a->ino == b->ino && a->dev == b->dev;
}

int exec_file_read(const char *path, struct exec_file *f)
{
	for (int i = 0;; i++) {
		struct exec_file after;
		size_t len;
		if (status_of(path, f))
			return -1;
		char *text = read_regular_file(path, &len, NULL);
		if (!text)
			return -1;
		snprintf(f->hash, sizeof(f->hash), "fnv1a64:%016llx",
			 (unsigned long long)hash_fnv1a(HASH_FNV1A_INIT, text, len));
		free(text);
		bool settled = !status_of(path, &after) && same_status(f, &after) &&
			       (int64_t)len == f->size;
		if (settled || i == SETTLE_TRIES)
			return 0;
		nanosleep(&(struct timespec){ 0, SETTLE_PAUSE_MS * 1000000L }, NULL);
	}
}

bool exec_file_changed(const char *path, const struct exec_file *f)
{
	struct exec_file now;
	return status_of(path, &now) || !same_status(f, &now);
}

/* ---- the watch ---- */

struct watched {
	int wd;
	int users;
};

struct exec_watch {
	int fd;
	struct watched *v;
	size_t n, cap;
};

struct exec_watch *exec_watch_new(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct exec_watch *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	return w;
}

int exec_watch_fd(const struct exec_watch *w)
{
	return w ? w->fd : -1;
}

int exec_watch_add(struct exec_watch *w, const char *path)
{
	int wd = w ? inotify_add_watch(w->fd, path, IN_MODIFY) : -1;
	if (wd < 0)
		return -1;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].wd == wd) {
			w->v[i].users++;
			return wd;
		}
	grow(&w->v, &w->cap, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = (struct watched){ wd, 1 };
	return wd;
}

void exec_watch_remove(struct exec_watch *w, int wd)
{
	for (size_t i = 0; w && wd >= 0 && i < w->n; i++) {
		if (w->v[i].wd != wd || --w->v[i].users > 0)
			continue;
		inotify_rm_watch(w->fd, wd);
		w->v[i] = w->v[--w->n];
		return;
	}
}

void exec_watch_read(struct exec_watch *w, void (*written)(void *ctx, int wd), void *ctx)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	while (w && (n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & IN_MODIFY)
				written(ctx, ev->wd);
			p += sizeof(*ev) + ev->len;
		}
	}
}

void exec_watch_free(struct exec_watch *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w->v);
	free(w);
}
