/* fuzz_cron.c - libFuzzer harness: cron_parse and the fire times, duration_parse, time_parse.
 *
 * The input is read as text by each parser. Whatever parses must then behave: the next fire
 * time lies strictly after the instant asked from and is its own latest fire, the latest fire
 * at or before an instant lies at or before it, and formatted durations and times read back
 * to the same values. The instant asked from is drawn from a hash of the input, so that the
 * fuzzer explores dates as well as syntax; three zones cover no daylight saving, the usual
 * one-hour changes, and a half-hour change (Lord Howe Island). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "timeutil.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h;
}

static void check_trigger(const struct trigger *t, int64_t after)
{
	int64_t next = trigger_next(t, after);
	if (next == -1)
		return;
	if (next <= after || trigger_prev(t, next) != next)
		abort();
	int64_t prev = trigger_prev(t, next - 1);
	if (prev != -1 && (prev > after || trigger_next(t, prev) != next))
		abort();
}

static void check_cron(const char *text, int64_t after)
{
	static const char *const zones[] = { "UTC", "Europe/Copenhagen", "Australia/Lord_Howe" };
	char err[256];
	struct trigger t = { .kind = TRIGGER_CRON };
	if (cron_parse(text, &t.cron, err, sizeof(err))) {
		if (!err[0])
			abort();
		return;
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		t.zone = tz_get(zones[i], err, sizeof(err));
		if (!t.zone)
			abort();
		check_trigger(&t, after);
	}
}

static void check_duration(const char *text, int64_t after)
{
	char err[256], buf[64];
	int64_t secs, back;
	if (duration_parse(text, &secs, err, sizeof(err)))
		return;
	duration_format(secs * 1000, DURATION_EXACT, buf, sizeof(buf));
	if (duration_parse(buf, &back, err, sizeof(err)) || back != secs)
		abort();
	if (secs > 0) {
		struct trigger t = { .kind = TRIGGER_EVERY, .every = secs, .start = after / 2 };
		check_trigger(&t, after);
	}
}

static void check_time(const char *text)
{
	char err[256], buf[64];
	int64_t t, back;
	if (time_parse(text, &t, err, sizeof(err)))
		return;
	if (t < TIME_MIN || t > TIME_MAX)
		abort();
	time_format(t, NULL, buf, sizeof(buf));
	if (time_parse(buf, &back, err, sizeof(err)) || back != t)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int64_t after = TIME_MIN + (int64_t)(hash(data, size) % (uint64_t)(TIME_MAX - TIME_MIN));
	check_cron(text, after);
	check_duration(text, after);
	check_time(text);
	char err[256];
	tz_get(text, err, sizeof(err));
	free(text);
	return 0;
}
