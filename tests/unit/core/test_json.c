/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/json.c: the writer (shortest reals, escapes, layout). */
#include "harness.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/json.h"

#include <math.h>
#include <string.h>

static void expect_dump(const char *expected, json_t *v, int flags)
{
	char *got = mx_json_dumps(v, flags);
	assert_non_null(got);
	assert_string_equal(expected, got);
	mx_free(got);
	json_decref(v);
}

static void test_reals(void **state)
{
	(void)state;
	expect_dump("39.9", json_real(39.9), 0);
	expect_dump("208.8", json_real(129.0 + 2 * 39.9), 0);
	expect_dump("0.30000000000000004", json_real(0.1 + 0.2), 0);
	expect_dump("45.0", json_real(45.0), 0);
	expect_dump("-0.0", json_real(-0.0), 0);
	expect_dump("1e+300", json_real(1e300), 0);
	expect_dump("1e-05", json_real(1e-05), 0);
	expect_dump("123456789.123", json_real(123456789.123), 0);
	expect_dump("9223372036854775807", json_integer(INT64_MAX), 0);
}

static void test_strings(void **state)
{
	(void)state;
	expect_dump("\"a\\\"b\\\\c\\n\\t\\u0001é✓\"", json_string("a\"b\\c\n\t\x01é✓"), 0);
}

static void test_layout(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:i, s:[i, s], s:{}}", "b", 1, "a", 2, "x", "c");
	char *compact = mx_json_dumps(v, MX_JSON_COMPACT);
	assert_string_equal("{\"b\":1,\"a\":[2,\"x\"],\"c\":{}}", compact);
	mx_free(compact);
	char *sorted = mx_json_dumps(v, MX_JSON_SORTED | MX_JSON_SPACED);
	assert_string_equal("{\"a\": [2, \"x\"], \"b\": 1, \"c\": {}}", sorted);
	mx_free(sorted);
	expect_dump("{\n  \"b\": 1,\n  \"a\": [\n    2,\n    \"x\"\n  ],\n  \"c\": {}\n}", v, MX_JSON_PRETTY);
}

static void test_bounded(void **state)
{
	(void)state;
	struct mx_buf b;
	mx_buf_init(&b, 8);
	json_t *v = json_string("far too long for eight bytes");
	assert_int_equal(MX_ELIMIT, mx_json_dump(&b, v, 0));
	assert_int_equal(0, b.len);
	json_decref(v);
	mx_buf_free(&b);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reals),
	        cmocka_unit_test(test_strings),
	        cmocka_unit_test(test_layout),
	        cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
