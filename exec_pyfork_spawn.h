/* exec_pyfork_spawn.h - start the Python runner's process (for exec_pyfork.c). */
#ifndef STAU_EXEC_PYFORK_SPAWN_H
#define STAU_EXEC_PYFORK_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "exec_pyfork.h"

/* Forks and executes the runner for o (the interpreter on the runner program, in server
 * mode) in its own process group, dying with stau (PR_SET_PDEATHSIG), with the socket sock
 * on PYFORK_FD, stdin from /dev/null, stdout and stderr on
 * o->out_fd (or /dev/null), no other descriptor of stau's, every signal at its default and
 * none blocked, in o->dir. Returns its pid, or -1 with why in err (fork failed; the
 * interpreter or the directory is missing). */
pid_t pyfork_spawn(const struct pyfork_opts *o, int sock, char *err, size_t errlen);

#endif
