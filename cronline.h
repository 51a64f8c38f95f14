/* cronline.h - the crontab line that runs a project, as `stau init` and `stau crontab` print
 * it (docs/design.md, "Cron and time").
 *
 *   * * * * * /usr/local/bin/stau -C /srv/pipelines tick
 *   * * * * * /usr/local/bin/stau -C /srv/pipelines --state /var/lib/stau/pipelines tick
 *
 * The stau binary is the one running now, by its real path (/proc/self/exe: symbolic links
 * resolved), so that cron starts the same stau the user just ran, whatever cron's PATH. A
 * path with characters the shell or cron would read (a space, a quote, '%', which cron turns
 * into a newline) is quoted for both. */
#ifndef STAU_CRONLINE_H
#define STAU_CRONLINE_H

#include "project.h"

/* The directories cron searches for commands: its PATH, unless the crontab sets another. */
#define CRON_PATH "/usr/bin:/bin"

/* The crontab line that runs `stau tick` in project dir (an absolute path) once a minute,
 * with binary exe (NULL: this process's, else "stau") and, when state is not NULL, the
 * database kept in that directory (--state: cron's environment has no $STAU_STATE). Newly
 * allocated, no newline; NULL when a path holds a newline or carriage return, which no
 * crontab line can carry. */
char *cronline(const char *dir, const char *exe, const char *state);

/* word quoted for a crontab command: as it is when it holds only characters neither the
 * shell nor cron reads ([A-Za-z0-9_./+,:=@-]), else in single quotes, with each ' and %
 * escaped. Newly allocated. */
char *cronline_quote(const char *word);

/* A note for the user when the Python interpreter that the project's main_func jobs run with
 * is not the one they would get under cron: settings.python unset or a bare name, found in
 * path_env (the user's PATH) as one file and in CRON_PATH as another, or not at all (the
 * venv or pyenv python3 that has pandas, and the system one that has not). NULL when they
 * are the same, or settings.python is an absolute path. Newly allocated, no newline. */
char *cronline_python_note(const struct project *p, const char *path_env);

#endif
