/* tickcache.h - what a tick with nothing to do needs to know without reading the project
 * (docs/design.md, "The quiet tick").
 *
 * A full tick loads every file; most ticks have nothing to do, and must not pay for that. So
 * each full tick stores a record: a fingerprint of the files a tick depends on when nothing is
 * due (who runs stau, the project directory's mode and owner, schedule.yaml's stat, jobs/'s
 * own stat, the zone files the entries use), whether schedule.yaml was free of problems, and
 * the settings such a tick uses (retention, metrics_file, on_failure). With it, and each
 * entry's next fire time in the database (state_entries_may_be_due), a tick finds out that
 * nothing is due from a few stats and indexed queries; when jobs/'s times moved, a read of the
 * names in it tells a file renamed over another (how editors save) from a job added or
 * removed.
 *
 * What the record does not cover: the content of the job files. A tick reads a job file only
 * when it needs the job (an entry of it due, a run that needs it), so an edited job file is
 * read by the first tick that needs it, or by `stau check`. A job added to or removed from
 * jobs/ changes the record, and the next tick loads every file. */
#ifndef STAU_TICKCACHE_H
#define STAU_TICKCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "project.h"
#include "state.h"

struct tickcache {
	char *main;	    /* tickcache_files.main of the last full tick, "racy" when it was too
			     * recent to trust */
	char *jobs;	    /* tickcache_files.jobs, or "racy" */
	char *names;	    /* tickcache_names */
	char *zones_fp;	    /* the zone files' stat when it was stored */
	bool sched_ok;	    /* its schedule.yaml had no problem */
	int64_t retention;
	char *metrics_file; /* may be NULL */
	char **on_failure;  /* NULL-terminated, or NULL */
	char **zones;	    /* NULL-terminated names of the zones the entries use */
	char *settings_text; /* schedule.settings_text (config.h), or NULL */
};

/* The project's files as stat sees them. main: who runs stau, the project directory (its mode
 * and owner), schedule.yaml (size, mtime, inode, mode, owner, change time) and jobs/ (the link
 * and its target: inode, mode, owner). jobs: jobs/'s size and times, which move when a name in
 * it is added, removed, or renamed over (as editors save). A stat changed in the last tick or
 * two of the file system's clock is flagged racy: a change right after it could leave the same
 * times, so it is not stored as current (git's "racy" files). */
struct tickcache_files {
	char main[17], jobs[17];
	bool main_racy, jobs_racy;
};
/* Takes *f; take it before loading what it describes. Never fails (what cannot be read counts
 * as missing). */
void tickcache_files(const char *dir, struct tickcache_files *f);

/* The names in jobs/ that may be jobs, summed up in any order (a new string). */
char *tickcache_names(const char *dir);

/* Reads the record of the last full tick into *c: 1, 0 when there is none (or it is of
 * another form), -1 on a state error. Release *c with tickcache_release in every case. */
int tickcache_read(struct state *st, struct tickcache *c);

/* Whether c describes the project in dir as it is, f being tickcache_files(dir): main equal,
 * every zone file as it was, and jobs/ equal or, when only its times moved, the same names in
 * it (a file renamed over another), in which case the record is stored with the new times.
 * Returns 1, 0, or -1 on a state error. */
int tickcache_check(struct state *st, struct tickcache *c, const struct tickcache_files *f,
		    const char *dir);

/* Stores the record of a full tick of p, f and names being tickcache_files and
 * tickcache_names of p->dir taken before p was loaded. Returns 0 or -1. */
int tickcache_write(struct state *st, const struct project *p, const struct tickcache_files *f,
		    const char *names);

/* Gives p, which holds nothing but its directory, the settings of c and its sched_ok; the
 * settings count as valid (settings_ok), a retention recorded from bad settings being 0. */
void tickcache_settings(const struct tickcache *c, struct project *p);

/* Gives p, which holds nothing but its directory, every setting of schedule.yaml as the last
 * full tick read it: from the lines of its 'settings' alone when they parse alone, else from
 * the whole file (its problems were reported by the full tick, and are not kept). No entry. */
void tickcache_load_settings(const struct tickcache *c, struct project *p);

void tickcache_release(struct tickcache *c);

/* What a tick did with entry i of p->sched.entries, for tickcache_sync_entries. */
enum tickcache_entry {
	TICKCACHE_OFF,	   /* disabled */
	TICKCACHE_DECIDED, /* decided by this tick */
	TICKCACHE_NOJOB,   /* not decided: its job has no file (or no header) */
	TICKCACHE_UNSEEN,  /* not looked at: its job was not loaded (a tick that loaded only
			    * the jobs of the entries due) */
};

/* After a tick at `now` decided the entries of p (how[i] for entry i), stores the next fire
 * time of every stored entry: after its last one handled for those decided; the next after
 * now for those whose job is missing, and for those not looked at whose time had come (so
 * that a job fixed in place is looked at again when the entry would fire); unchanged for the
 * others not looked at; STATE_NEVER for those disabled and for entries no longer in
 * schedule.yaml. Writes only what changed, in one transaction. Returns 0 or -1. */
int tickcache_sync_entries(struct state *st, const struct project *p,
			   const enum tickcache_entry *how, int64_t now);

#endif
