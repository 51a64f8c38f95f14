/* test_json.c - the JSON writer: exact bytes of escaped strings, commas, nesting, indentation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Quotes s[0..n) and returns it in a static buffer. */
static const char *quote_n(const char *s, size_t n)
{
	static char out[1024];
	struct strbuf sb = STRBUF_INIT;
	json_quote(&sb, s, n);
	snprintf(out, sizeof(out), "%s", sb.buf);
	sb_release(&sb);
	return out;
}

static const char *quote(const char *s)
{
	return quote_n(s, strlen(s));
}

static void test_plain_and_special(void **state)
{
	(void)state;
	assert_string_equal(quote(""), "\"\"");
	assert_string_equal(quote("job_A"), "\"job_A\"");
	assert_string_equal(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_string_equal(quote("C:\\tmp"), "\"C:\\\\tmp\"");
	assert_string_equal(quote("a/b"), "\"a/b\"");
}

static void test_control_characters(void **state)
{
	(void)state;
	assert_string_equal(quote("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"");
	assert_string_equal(quote("\x01\x1f\x1b[31m"), "\"\\u0001\\u001f\\u001b[31m\"");
	assert_string_equal(quote_n("a\0b", 3), "\"a\\u0000b\"");
	/* DEL is not a control character for JSON */
	assert_string_equal(quote("\x7f"), "\"\x7f\"");
}

static void test_valid_utf8_is_kept(void **state)
{
	(void)state;
	assert_string_equal(quote("K\xc3\xb8" "benhavn"), "\"K\xc3\xb8" "benhavn\"");
	assert_string_equal(quote("\xe2\x80\xa6"), "\"\xe2\x80\xa6\"");		/* … */
	assert_string_equal(quote("\xe6\x97\xa5"), "\"\xe6\x97\xa5\"");		/* 日 */
	assert_string_equal(quote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
	assert_string_equal(quote("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	assert_string_equal(quote("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");		/* U+D7FF */
}

static void test_invalid_utf8_becomes_fffd(void **state)
{
	(void)state;
	/* a stray continuation byte, bytes that never start a sequence */
	assert_string_equal(quote("a\x80z"), "\"a\\ufffdz\"");
	assert_string_equal(quote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");	    /* overlong '/' */
	assert_string_equal(quote("\xff\xfe"), "\"\\ufffd\\ufffd\"");
	/* truncated sequences: one replacement for the maximal subpart */
	assert_string_equal(quote("\xe2\x80"), "\"\\ufffd\"");
	assert_string_equal(quote("\xe2\x80z"), "\"\\ufffdz\"");
	assert_string_equal(quote("\xf0\x9f\x98"), "\"\\ufffd\"");
	assert_string_equal(quote("\xc3"), "\"\\ufffd\"");
	/* overlong three-byte form, surrogates, above U+10FFFF */
	assert_string_equal(quote("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(quote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(quote("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(quote("\xf5\x80"), "\"\\ufffd\\ufffd\"");
	/* the byte after a broken sequence starts afresh */
	assert_string_equal(quote("\xe2\xc3\xb8"), "\"\\ufffd\xc3\xb8\"");
	assert_string_equal(quote("\xe2\x80\n"), "\"\\ufffd\\n\"");
}

/* Builds a document with the writer; returns it (the caller frees). */
static char *sample(bool pretty)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, pretty);
	json_object_begin(&j);
	json_kint(&j, "id", 42);
	json_kstr(&j, "job", "job_A");
	json_kstr(&j, "entry", NULL);
	json_kbool(&j, "ok", true);
	json_knull(&j, "git");
	json_key(&j, "kwargs");
	json_raw(&j, "{\"a\":1}");
	json_key(&j, "ids");
	json_array_begin(&j);
	json_int(&j, -1);
	json_int(&j, INT64_MAX);
	json_array_end(&j);
	json_key(&j, "empty");
	json_array_begin(&j);
	json_array_end(&j);
	json_key(&j, "chunks");
	json_array_begin(&j);
	json_object_begin(&j);
	json_kbool(&j, "done", false);
	json_object_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	return sb_detach(&sb);
}

static void test_compact_document(void **state)
{
	(void)state;
	char *s = sample(false);
	assert_string_equal(s, "{\"id\":42,\"job\":\"job_A\",\"entry\":null,\"ok\":true,\"git\":null,"
			       "\"kwargs\":{\"a\":1},\"ids\":[-1,9223372036854775807],\"empty\":[],"
			       "\"chunks\":[{\"done\":false},{}]}");
	free(s);
}

static void test_pretty_document(void **state)
{
	(void)state;
	char *s = sample(true);
	assert_string_equal(s, "{\n"
			       "  \"id\": 42,\n"
			       "  \"job\": \"job_A\",\n"
			       "  \"entry\": null,\n"
			       "  \"ok\": true,\n"
			       "  \"git\": null,\n"
			       "  \"kwargs\": {\"a\":1},\n"
			       "  \"ids\": [\n"
			       "    -1,\n"
			       "    9223372036854775807\n"
			       "  ],\n"
			       "  \"empty\": [],\n"
			       "  \"chunks\": [\n"
			       "    {\n"
			       "      \"done\": false\n"
			       "    },\n"
			       "    {}\n"
			       "  ]\n"
			       "}\n");
	free(s);
}

static void test_top_level_values_and_raw_null(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, false);
	json_array_begin(&j);
	json_raw(&j, NULL);
	json_raw(&j, "");
	json_string_n(&j, "a\"b", 3);
	json_int(&j, INT64_MIN);
	json_array_end(&j);
	json_finish(&j);
	assert_string_equal(sb.buf, "[null,null,\"a\\\"b\",-9223372036854775808]");
	sb_release(&sb);

	json_init(&j, &sb, false);
	json_string(&j, "\xe9t\xe9");
	json_finish(&j);
	assert_string_equal(sb.buf, "\"\\ufffdt\\ufffd\"");
	sb_release(&sb);
}

static void test_keys_are_escaped(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb, false);
	json_object_begin(&j);
	json_kint(&j, "a\"\n", 1);
	json_object_end(&j);
	json_finish(&j);
	assert_string_equal(sb.buf, "{\"a\\\"\\n\":1}");
	sb_release(&sb);
}

static void test_is_number(void **state)
{
	(void)state;
	static const char *const yes[] = { "0", "-0", "7", "42", "-12", "1.5", "0.25", "1e9",
					   "1E+3", "-2.5e-3", NULL };
	static const char *const no[] = { "", "-", "01", "+1", "1.", ".5", "1e", "1e+", "0x10",
					  "1 ", " 1", "NaN", "inf", "1_000", NULL };
	for (const char *const *s = yes; *s; s++)
		if (!json_is_number(*s))
			fail_msg("'%s' is a JSON number", *s);
	for (const char *const *s = no; *s; s++)
		if (json_is_number(*s))
			fail_msg("'%s' is not a JSON number", *s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_special),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_valid_utf8_is_kept),
		cmocka_unit_test(test_invalid_utf8_becomes_fffd),
		cmocka_unit_test(test_compact_document),
		cmocka_unit_test(test_pretty_document),
		cmocka_unit_test(test_top_level_values_and_raw_null),
		cmocka_unit_test(test_keys_are_escaped),
		cmocka_unit_test(test_is_number),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
