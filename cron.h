/* cron.h - cron expressions and interval triggers: parse, and the next fire time in a zone.
 *
 * Pure: time is passed in, nothing is read from the clock. The daylight-saving policy of
 * The rules are documented at the top of cron.c. */
#ifndef STAU_CRON_H
#define STAU_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timeutil.h"

/* A parsed five-field expression, one bit per allowed value. */
struct cron {
	uint64_t minute; /* bits 0-59 */
	uint32_t hour;	 /* bits 0-23 */
	uint32_t dom;	 /* bits 1-31 */
	uint16_t month;	 /* bits 1-12 */
	uint8_t dow;	 /* bits 0-6, Sunday = 0 (7 is folded into 0) */
	bool dom_star, dow_star; /* field started with '*': the Vixie OR rule needs both */
	bool hour_star;		 /* hour field is '*': fires at every real matching instant */
};

/* Parses TEXT (five fields or an @macro). Returns 0, or -1 with a message naming the field
 * and the offending text in err ("day of month: '32' is out of range 1-31"). An expression
 * that can never fire ("0 0 31 2 *") is an error too. */
int cron_parse(const char *text, struct cron *out, char *err, size_t errlen);

/* The first fire time strictly after `after` in zone, following the DST rules at the top of cron.c, or -1 when
 * there is none within 100 years. Never scans minute by minute: months, days and hours that
 * cannot match are skipped whole. */
int64_t cron_next(const struct cron *c, const struct tz *zone, int64_t after);

/* A schedule trigger: a cron expression in a zone, or a fixed interval anchored at start. */
struct trigger {
	enum { TRIGGER_CRON, TRIGGER_EVERY } kind;
	struct cron cron;
	const struct tz *zone; /* cron only; never NULL */
	int64_t every;	       /* seconds > 0, interval only */
	int64_t start;	       /* anchor, interval only (0 = the Unix epoch) */
};

/* The first fire time strictly after `after`, or -1 when none. */
int64_t trigger_next(const struct trigger *t, int64_t after);
/* The latest fire time at or before `at`, or -1 when none (before an interval's start, or no
 * cron fire within 100 years back). Used by the "due" rule (due.c). */
int64_t trigger_prev(const struct trigger *t, int64_t at);

#endif
