/* tickcache.h - what a tick with nothing to do needs to know without reading the project
 * (docs/design.md, "The quiet tick").
 *
 * A full tick loads every file; most ticks have nothing to do, and must not pay for that. So
 * each full tick stores a record: a fingerprint of the files a tick depends on when nothing is
 * due (who runs stau, the project directory's mode and owner, schedule.yaml's stat, jobs/'s
 * own stat, the zone files the entries use), whether schedule.yaml was free of problems, and
 * the settings such a tick uses (retention, metrics_file, on_failure). With it, and each
 * entry's next fire time in the database (state_entries_may_be_due), a tick finds out that
 * nothing is due from a few stats and indexed queries.
 *
 * What the record does not cover: the content of the job files. A tick with nothing due and
 * no run open needs no job, so an edited job file is read by the first tick that needs it
 * (one with an entry due or a run open: those load every file) or by `stau check`. A file
 * added to, removed from or renamed into jobs/ changes jobs/'s mtime, and so the record. */
#ifndef STAU_TICKCACHE_H
#define STAU_TICKCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "project.h"
#include "state.h"

struct tickcache {
	char *files;	    /* tickcache_files of the last full tick, taken before its load */
	char *zones_fp;	    /* the zone files' stat when it was stored */
	bool sched_ok;	    /* its schedule.yaml had no problem */
	int64_t retention;
	char *metrics_file; /* may be NULL */
	char **on_failure;  /* NULL-terminated, or NULL */
	char **zones;	    /* NULL-terminated names of the zones the entries use */
	char *settings_text; /* schedule.settings_text (config.h), or NULL */
};

/* The fingerprint of the project's files, from stat alone: who runs stau, the mode and owner
 * of the project directory, schedule.yaml's size, mtime, inode, mode, owner and change time,
 * and the same of jobs/ (link and target). Take it before loading what it describes. A new
 * string; never fails (what cannot be read counts as missing). */
char *tickcache_files(const char *dir);

/* Reads the record of the last full tick into *c: 1, 0 when there is none (or it is of
 * another form), -1 on a state error. Release *c with tickcache_release in every case. */
int tickcache_read(struct state *st, struct tickcache *c);

/* Whether c describes the project as it is: files equal to c->files, and every zone file it
 * names as it was. */
bool tickcache_current(const struct tickcache *c, const char *files);

/* Stores the record of a full tick of p, files being tickcache_files(p->dir) taken before p
 * was loaded. Returns 0 or -1. */
int tickcache_write(struct state *st, const struct project *p, const char *files);

/* Gives p, which holds nothing but its directory, the settings of c and its sched_ok. */
void tickcache_settings(const struct tickcache *c, struct project *p);

/* Gives p, which holds nothing but its directory, every setting of schedule.yaml as the last
 * full tick read it: from the lines of its 'settings' alone when they parse alone, else from
 * the whole file (its problems were reported by the full tick, and are not kept). No entry. */
void tickcache_load_settings(const struct tickcache *c, struct project *p);

void tickcache_release(struct tickcache *c);

/* After a tick decided the entries of p (handled[i]: entry i of p->sched.entries was decided,
 * as it is enabled and its job exists), stores the next fire time of every stored entry:
 * after its last handled for those, STATE_NEVER for the others and for entries no longer in
 * schedule.yaml. Writes only what changed, in one transaction. Returns 0 or -1. */
int tickcache_sync_entries(struct state *st, const struct project *p, const bool *handled);

#endif
