/* timeutil.h - durations, ISO 8601 instants and IANA time zones; no knowledge of jobs.
 *
 * All instants are int64_t UTC seconds since the Unix epoch. */
#ifndef STAU_TIMEUTIL_H
#define STAU_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Parses a duration: one or more NUMBER UNIT pairs, unit s, m, h or d ("90s", "15m", "2h",
 * "1d", "1h30m"). A bare number is an error here (callers such as max_lag decide what a bare
 * integer means). Returns 0 and sets *secs, or -1 and writes a message ("bad duration '2x':
 * unit must be s, m, h or d") to err. */
int duration_parse(const char *s, int64_t *secs, char *err, size_t errlen);
/* (duration_format, in util.h, writes durations back.) */

/* A loaded time zone. Zones are cached by name for the life of the process: tz_get returns
 * the same pointer for the same name, and tz_cache_free releases them all (at exit). */
struct tz;
/* Returns the zone NAME from the system zoneinfo ("UTC", "Europe/Copenhagen"), or NULL with a
 * message in err ("unknown time zone 'Europe/Kopenhagen'") when no such zone file exists. */
const struct tz *tz_get(const char *name, char *err, size_t errlen);
const char *tz_name(const struct tz *zone);
void tz_cache_free(void);
/* Broken-down local time of t in zone, with tm_gmtoff set. */
void tz_localtime(const struct tz *zone, int64_t t, struct tm *out);
/* The UTC offset in seconds (east positive) in force at instant t in zone. */
int32_t tz_offset(const struct tz *zone, int64_t t);
/* The first instant after t at which zone's offset changes, or INT64_MAX when it never does
 * again. Used by cron.c to walk the stretches of constant offset. */
int64_t tz_next_transition(const struct tz *zone, int64_t t);
/* The latest instant at or before t at which zone's offset changed, or INT64_MIN. */
int64_t tz_prev_transition(const struct tz *zone, int64_t t);

/* Instants stau handles: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
#define TIME_MIN (-62135596800LL)
#define TIME_MAX 253402300799LL
/* Seconds since the epoch of a proleptic Gregorian date and time read as UTC (timegm without
 * its limits); fields are not normalised, the caller passes valid ones. */
int64_t time_from_civil(int64_t year, int month, int day, int hour, int min, int sec);
/* The inverse: t split into year, month 1-12, day, hour, minute, second, day of week 0-6
 * (Sunday = 0) and day of year 0-365, in struct tm conventions (tm_year is year - 1900). */
void time_to_civil(int64_t t, struct tm *out);

/* Parses "2026-03-29T01:30:00Z", "2026-03-29T03:30:00+02:00", "2026-03-29T01:30Z",
 * "2026-03-29 01:30:00Z" or "@1774747800". A time without an offset is read as UTC.
 * Returns 0 or -1 with a message in err. */
int time_parse(const char *s, int64_t *t, char *err, size_t errlen);
/* Formats t as "YYYY-MM-DDTHH:MM:SS+HH:MM" in zone (UTC when zone is NULL); buf >= 32 bytes. */
void time_format(int64_t t, const struct tz *zone, char *buf, size_t len);

#endif
