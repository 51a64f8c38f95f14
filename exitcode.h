/* exitcode.h - the exit status of every stau command (docs/design.md, "Commands and exit
 * status"), as ninja keeps its own in exit_status.h.
 *
 * The library returns these where a caller's whole outcome is decided (running a run to its
 * end, a usage error); stau.c returns what the command returned. */
#ifndef STAU_EXITCODE_H
#define STAU_EXITCODE_H

enum {
	EXIT_OK = 0,	 /* success */
	EXIT_FAILED = 1, /* a job failed */
	EXIT_USAGE = 2,	 /* usage or configuration error */
	EXIT_STATE = 3,	 /* the database cannot be opened, is too new, or stayed locked */
};

#endif
