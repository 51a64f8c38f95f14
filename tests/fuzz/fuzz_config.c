/* fuzz_config.c - libFuzzer harness: config_parse_schedule on arbitrary schedule.yaml text.
 *
 * Any input must parse to a schedule or to diagnostics, never crash, leak or read outside
 * the input (which is not NUL-terminated). Every entry kept has an id and a job; one without
 * a problem is complete, and one with a problem (kept, disabled) has it among the
 * diagnostics' count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that AddressSanitizer sees any read past the end */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct diags d = DIAGS_INIT;
	struct schedule s;
	int rc = config_parse_schedule("schedule.yaml", text, size, &s, &d);
	if ((rc == 0) != (d.n == 0) || !s.settings.timezone)
		abort();
	for (size_t i = 0; i < s.nentries; i++) {
		const struct entry *e = &s.entries[i];
		if (!e->id || !e->job || (e->problem && !d.n))
			abort();
		if (e->problem)
			continue;
		if (!e->trigger_text || !e->timezone)
			abort();
		if (e->trigger.kind == TRIGGER_CRON && !e->trigger.zone)
			abort();
		if (e->trigger.kind == TRIGGER_EVERY && e->trigger.every <= 0)
			abort();
		for (size_t k = 1; k < e->nwork_ids; k++)
			if (e->work_ids[k - 1] >= e->work_ids[k])
				abort();
		free(kv_to_json(&e->kwargs));
	}
	for (size_t i = 0; i < d.n; i++)
		free(diag_format(&d.v[i]));
	schedule_release(&s);
	diags_release(&d);
	free(text);
	tz_cache_free();
	return 0;
}
