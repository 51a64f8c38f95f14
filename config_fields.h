/* config_fields.h - the field parsers that job headers and schedule.yaml share (config.c).
 *
 * Private to config_job.c and config_schedule.c, like yamldoc.h. Each parser has the
 * yd_parse_fn contract: it checks pair p, stores the value at dst, and reports (leaving dst
 * as it was, or emptied for kvlists) when the value is bad. */
#ifndef STAU_CONFIG_FIELDS_H
#define STAU_CONFIG_FIELDS_H

#include <stdbool.h>

#include "yamldoc.h"

/* enum executor *: 'local' or 'slurm'. */
yd_parse_fn config_field_executor;
/* struct kvlist *: a map of names to any values, each stored as JSON. */
yd_parse_fn config_field_kwargs;
/* struct kvlist *: environment variables to strings (JSON strings); 'STAU_*' is refused. */
yd_parse_fn config_field_env;
/* int64_t *: log_limit, a size (size_parse) of at least CONFIG_LOG_LIMIT_MIN bytes. */
yd_parse_fn config_field_log_limit;
/* struct slurm_opts *: the keys of slurm.h's struct slurm_opts, each value checked there. */
yd_parse_fn config_field_slurm;

/* char ***: a command to start without a shell, as a non-empty list of strings whose first
 * is not empty (a NULL-terminated array); a single string is refused with a hint. */
yd_parse_fn config_field_argv;
/* The strings of p's sequence value as a new NULL-terminated array, or NULL when it is empty
 * or after reporting (in terms of `want`) an item that is not a string. */
char **config_string_list(struct yamldoc *y, const struct yd_pair *p, const char *want);

/* True when s is ASCII letters, digits and '_', not starting with a digit: the rule for
 * environment variable names and for Python identifiers alike. */
bool config_identifier_ok(const char *s);

#endif
