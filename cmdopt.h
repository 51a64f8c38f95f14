/* cmdopt.h - what the commands parse alike: -j N, --now TIME, --json, a RUN argument, and the
 * errors about options ("unknown option", "needs a value").
 *
 * A command parses its words with getopt_long (stau.c resets optind and opterr first, so a
 * command names a bad option itself, and getopt permutes, so options may follow arguments):
 * its table lists the shared long options through OPTION_NOW and OPTION_JSON, its short
 * options string starts with ':' (and holds "j:" when it takes -j), and every option it does
 * not handle itself goes to cmdopt_common, which also reports the bad ones. Each function
 * here returns EXIT_OK, or EXIT_USAGE after saying why with usage_error. */
#ifndef STAU_CMDOPT_H
#define STAU_CMDOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exitcode.h"
#include "kvlist.h"
#include "workids.h"

/* getopt_long codes of the shared long options (outside the range of short options). */
enum { OPT_NOW = 0x100, OPT_JSON };
#define OPTION_NOW { "now", required_argument, NULL, OPT_NOW }
#define OPTION_JSON { "json", no_argument, NULL, OPT_JSON }

#define JOBS_MAX 100000 /* -j */

/* The shared options as parsed. */
struct cmdopt {
	const char *cmd; /* the command, for messages: "see 'stau CMD --help'" */
	int64_t now;	 /* --now TIME; the clock when cmdopt_init ran */
	size_t jobs;	 /* -j N, 1 to JOBS_MAX; 0 when not given */
	bool json;	 /* --json */
};

/* Sets the defaults of o for command cmd: now from the clock, no -j, no --json. */
void cmdopt_init(struct cmdopt *o, const char *cmd);

/* Handles c, what getopt_long returned, with optarg and optind as it left them: -j, --now and
 * --json into o; ':' (a value missing) and anything else is an error. */
int cmdopt_common(struct cmdopt *o, int c, char **argv);

/* Parses every option of a command that takes only shared ones (shorts and longs as
 * getopt_long takes them), leaving optind at the first argument. */
int cmdopt_parse(struct cmdopt *o, int argc, char **argv, const char *shorts,
		 const struct option *longs);

/* Parses the value of a time option (opt is its name, "--now", for the message): ISO 8601 or
 * @EPOCH into *t. */
int cmdopt_time(const char *cmd, const char *opt, const char *arg, int64_t *t);

/* The error for c, what getopt_long returned for a bad option: "option '-j' needs a value" for
 * ':', else "unknown option '--x'". Returns EXIT_USAGE. */
int cmdopt_bad(const char *cmd, int c, char **argv);

/* Parses the word of a RUN argument, "42" or "#42", into *id (> 0). */
int cmdopt_run_id(const char *cmd, const char *word, int64_t *id);

/* Parses the one RUN argument left at optind after the options ("which run?" when there is
 * none, "unexpected argument" for a second one). */
int cmdopt_run_arg(const char *cmd, int argc, char **argv, int64_t *id);

/* Refuses any argument left at optind ("unexpected argument 'x'"). */
int cmdopt_no_args(const char *cmd, int argc, char **argv);

/* ---- the work of a new run: --ids, --ids-file, --kw (run, submit) ---- */

/* The work IDs and keyword arguments a command was given for a new run. Initialise with
 * { 0 }; release with cmdopt_work_release. */
struct cmdopt_work {
	struct idlist ids;	/* sorted and unique once cmdopt_work_done has run */
	bool has_ids;		/* --ids or --ids-file was given (maybe with no IDs in it) */
	struct kvlist kw;	/* --kw, in the order given, a later key replacing an earlier */
};

/* --ids LIST: adds the IDs of text[0..len) ("1-100,205"; `what` names it in errors). */
int cmdopt_ids(const char *cmd, struct cmdopt_work *w, const char *what, const char *text,
	       size_t len);
/* --ids-file F: adds the IDs of file F, separated by white space or commas. */
int cmdopt_ids_file(const char *cmd, struct cmdopt_work *w, const char *file);
/* --kw K=V: V is taken as JSON when it is a JSON number, true, false or null, else as a
 * string (so --kw n=5 gives 5, --kw name=007 gives "007"); no value is parsed by a shell. */
int cmdopt_kw(const char *cmd, struct cmdopt_work *w, const char *arg);
/* Sorts the IDs and drops duplicates, once every option is parsed. */
void cmdopt_work_done(struct cmdopt_work *w);
void cmdopt_work_release(struct cmdopt_work *w);

/* ---- global options ---- */

/* The options of stau itself, given before the command or among its words. */
struct global_opts {
	const char *dir; /* -C DIR, or NULL */
	const char *state; /* --state DIR, or NULL */
	int verbosity;	 /* -q sets -1, each -v adds one (msg_verbosity) */
	bool no_color;	 /* --no-color */
	bool version;	 /* --version */
};

/* Takes the global options out of the words of a command, argv[1..argc) up to a "--": -C DIR
 * (or -CDIR), --state DIR (or --state=DIR), -q, -v (or -qv, -vv), --no-color and --version,
 * applied to g left to right, so that `stau status -C DIR --no-color` is `stau -C DIR --no-color status`. A word that is the
 * value of an option of the command is left alone: `valued` names the command's options that
 * take a value as a separate word, separated by spaces ("-j --now"). argv keeps every other
 * word in its order, NULL-terminated. Returns the new argc, or -1 after a usage error for a
 * -C without its value. */
int cmdopt_take_globals(int argc, char **argv, const char *valued, struct global_opts *g);

#endif
