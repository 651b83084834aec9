/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/quality/test_runner.c and the assertion half of evals.c:
 * MXCP's normalisation and every assertion's pass/fail semantics and exact
 * message, without a database.
 */
#include "harness.h"

#include "core/alloc.h"
#include "quality/evals.h"
#include "quality/test_runner.h"

#include <stdlib.h>
#include <string.h>

/* check(test, result) → NULL when passing, else the failure message */
static void expect(const char *test, const char *result, const char *want)
{
	json_t *t = mx_test_json(test), *r = mx_test_json(result);
	char *failure = NULL;
	int ok = mx_test_check(t, r, &failure);
	if (want == NULL) {
		if (!ok)
			fail_msg("expected pass for %s on %s, got: %s", test, result, failure);
	} else {
		assert_false(ok);
		assert_string_equal(failure, want);
	}
	mx_free(failure);
	json_decref(t);
	json_decref(r);
}

static void test_normalize(void **state)
{
	(void)state;
	const char *falsy[] = {"null", "false", "0", "0.0", "\"\"", "[]", "{}"};
	for (size_t i = 0; i < sizeof falsy / sizeof falsy[0]; i++) {
		json_t *in = mx_test_json(falsy[i]), *out = mx_test_normalize(MX_EP_TOOL, in);
		MX_ASSERT_JSON_EQ("[]", out);
		json_decref(in);
		json_decref(out);
	}
	json_t *msgs =
	        mx_test_json("[{\"role\":\"user\",\"prompt\":\"q\"},{\"role\":\"assistant\",\"prompt\":\" "
	                     "{\\\"a\\\": 1} \"}]");
	json_t *out = mx_test_normalize(MX_EP_PROMPT, msgs);
	MX_ASSERT_JSON_EQ("{\"a\":1}", out);
	json_decref(out);
	json_decref(msgs);
	msgs = mx_test_json("[{\"role\":\"user\",\"prompt\":\"only a user\"}]");
	out = mx_test_normalize(MX_EP_PROMPT, msgs);
	MX_ASSERT_JSON_EQ("[{\"role\":\"user\",\"prompt\":\"only a user\"}]", out);
	json_decref(out);
	json_decref(msgs);
}

static void test_result(void **state)
{
	(void)state;
	expect("{\"result\":{\"a\":1,\"b\":[1,2]}}", "{\"b\":[1,2],\"a\":1}", NULL);
	expect("{\"result\":null}", "[1]", NULL); /* ignored, as in MXCP */
	expect("{\"result\":1}", "1.0", "Result does not match expected output.\nExpected: 1\nGot: 1.0");
	expect("{\"result\":{\"n\":\"x\"}}", "{\"n\":true}",
	       "Result does not match expected output.\nExpected: {'n': 'x'}\nGot: {'n': True}");
}

static void test_contains(void **state)
{
	(void)state;
	expect("{\"result_contains\":{\"a\":1}}", "{\"a\":1.0,\"b\":2}", NULL); /* Python: 1 == 1.0 */
	expect("{\"result_contains\":{\"a\":1}}", "{\"b\":2}", "Expected field 'a' not found in result");
	expect("{\"result_contains\":{\"a\":\"x\"}}", "{\"a\":\"y\"}", "Field 'a' has value y, expected x");
	expect("{\"result_contains\":{\"a\":1}}", "[{\"a\":2},{\"a\":1,\"b\":0}]", NULL);
	expect("{\"result_contains\":{\"a\":3}}", "[{\"a\":2}]",
	       "No item in array contains the expected fields: {'a': 3}");
	expect("{\"result_contains\":\"x\"}", "[\"x\",\"y\"]", NULL);
	expect("{\"result_contains\":\"z\"}", "[\"x\"]", "Array does not contain expected value: z");
	expect("{\"result_contains\":\"z\"}", "\"zz\"",
	       "result_contains assertion requires dict or array result, got <class 'str'>");
	expect("{\"result_contains\":null}", "\"zz\"", NULL);
}

static void test_not_contains(void **state)
{
	(void)state;
	expect("{\"result_not_contains\":[\"p\"]}", "{\"a\":1}", NULL);
	expect("{\"result_not_contains\":[\"a\"]}", "{\"a\":1}",
	       "Field 'a' should not be present in result but was found");
	expect("{\"result_not_contains\":[\"a\"]}", "[{\"a\":1}]",
	       "result_not_contains assertion requires dict result, got <class 'list'>");
	expect("{\"result_not_contains\":[]}", "[1]", NULL); /* empty: not checked */
}

static void test_items_length_text(void **state)
{
	(void)state;
	expect("{\"result_contains_item\":{\"id\":2}}", "[{\"id\":1},{\"id\":2,\"n\":\"x\"}]", NULL);
	expect("{\"result_contains_item\":3}", "[1,2]", "Array does not contain expected item: 3");
	expect("{\"result_contains_item\":3}", "{\"a\":3}",
	       "result_contains_item assertion requires array result, got <class 'dict'>");
	expect("{\"result_contains_all\":[{\"id\":1},2]}", "[{\"id\":1},2]", NULL);
	expect("{\"result_contains_all\":[{\"id\":1},{\"id\":9}]}", "[{\"id\":1}]",
	       "Array does not contain expected item: {'id': 9}");
	expect("{\"result_length\":2}", "[1,2]", NULL);
	expect("{\"result_length\":3}", "[1,2]", "Array has 2 items, expected 3");
	expect("{\"result_length\":0}", "{\"a\":1}",
	       "result_length assertion requires array result, got <class 'dict'>");
	expect("{\"result_contains_text\":\"'a': 1\"}", "{\"a\":1}", NULL); /* str() of a dict */
	expect("{\"result_contains_text\":\"Zed\"}", "\"Ada\"",
	       "Result does not contain expected text: 'Zed'");
	/* the first failing assertion wins, in MXCP's order */
	expect("{\"result_length\":9,\"result\":[1]}", "[2]",
	       "Result does not match expected output.\nExpected: [1]\nGot: [2]");
}

static void test_diff(void **state)
{
	(void)state;
	json_t *e = mx_test_json("[{\"id\":1,\"name\":\"Ada\"},{\"id\":2}]"),
	       *g = mx_test_json("[{\"id\":1,\"name\":\"Bob\",\"x\":true}]");
	json_t *d = mx_test_diff(e, g);
	MX_ASSERT_JSON_EQ("[\"$[0].name: expected 'Ada', got 'Bob'\",\"$[0].x: unexpected True\","
	                  "\"$[1]: missing (expected {'id': 2})\"]",
	                  d);
	json_decref(d);
	json_decref(e);
	json_decref(g);
}

static void test_eval_assertions(void **state)
{
	(void)state;
	json_t *a = mx_test_json(
	        "{\"must_call\":[{\"tool\":\"t\",\"args\":{\"x\":1}},{\"tool\":\"u\",\"args\":{}}],"
	        "\"must_not_call\":[\"bad\"],\"answer_contains\":[\"HELLO\"],\"answer_not_contains\":["
	        "\"secret\"]}");
	json_t *calls = mx_test_json(
	        "[{\"tool\":\"t\",\"arguments\":{\"x\":1.0,\"y\":2}},{\"tool\":\"u\",\"arguments\":"
	        "{\"q\":1}}]");
	json_t *f = mx_eval_check(a, calls, "well, hello there");
	MX_ASSERT_JSON_EQ("[]", f);
	json_decref(f);
	json_decref(calls);
	calls = mx_test_json(
	        "[{\"tool\":\"t\",\"arguments\":{\"x\":2}},{\"tool\":\"bad\",\"arguments\":{}}]");
	f = mx_eval_check(a, calls, "a Secret");
	MX_ASSERT_JSON_EQ("[\"Expected call to 't' with args {'x': 1} not found\","
	                  "\"Expected call to 'u' with args {} not found\","
	                  "\"Tool 'bad' was called but should not have been\","
	                  "\"Expected text 'HELLO' not found in response\","
	                  "\"Forbidden text 'secret' found in response\"]",
	                  f);
	json_decref(f);
	json_decref(calls);
	json_decref(a);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normalize),         cmocka_unit_test(test_result),
	        cmocka_unit_test(test_contains),          cmocka_unit_test(test_not_contains),
	        cmocka_unit_test(test_items_length_text), cmocka_unit_test(test_diff),
	        cmocka_unit_test(test_eval_assertions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
