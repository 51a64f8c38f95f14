/* fuzz_ids.c - libFuzzer harness: the work ID list parsers on arbitrary text.
 *
 * Any input must parse, in both syntaxes, to IDs or to one message that names the source,
 * with no crash, undefined behaviour or leak, and without reading past the input (which is
 * not NUL-terminated). A list that parses must survive the compact and comma-separated forms
 * unchanged, and whatever parses as plain integers must parse the same with ranges allowed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks that text, a formatted form of l, parses back to exactly l. */
static void check_round_trip(const struct idlist *l, char *text)
{
	struct idlist back = IDLIST_INIT;
	char err[256];
	if (workids_parse("stored IDs", text, strlen(text), WORKIDS_RANGES, &back, err,
			  sizeof(err)))
		abort();
	if (back.n != l->n || (l->n && memcmp(back.v, l->v, l->n * sizeof(*l->v))))
		abort();
	idlist_release(&back);
	free(text);
}

static int parse(const char *text, size_t size, enum workids_syntax syn, struct idlist *l)
{
	char err[256] = "";
	int rc = workids_parse("--ids", text, size, syn, l, err, sizeof(err));
	if (rc && strncmp(err, "--ids ", 6))
		abort();
	if (!rc && err[0])
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct idlist plain = IDLIST_INIT, ranges = IDLIST_INIT;
	int rc_plain = parse(text, size, WORKIDS_PLAIN, &plain);
	int rc_ranges = parse(text, size, WORKIDS_RANGES, &ranges);
	if (!rc_plain && (rc_ranges || plain.n != ranges.n ||
			  (plain.n && memcmp(plain.v, ranges.v, plain.n * sizeof(*plain.v)))))
		abort();
	if (!rc_ranges && ranges.n <= 100000) {
		idlist_sort_unique(&ranges);
		for (size_t i = 1; i < ranges.n; i++)
			if (ranges.v[i - 1] >= ranges.v[i])
				abort();
		check_round_trip(&ranges, workids_format_compact(ranges.v, ranges.n));
		check_round_trip(&ranges, workids_format_csv(ranges.v, ranges.n));
	}
	idlist_release(&plain);
	idlist_release(&ranges);
	free(text);
	return 0;
}
