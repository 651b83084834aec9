/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/suggest.c: edit distance and "did you mean". */
#include "harness.h"

#include "core/suggest.h"

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(0, mx_suggest_distance("list", "list", 3));
	assert_int_equal(1, mx_suggest_distance("lst", "list", 3));
	assert_int_equal(1, mx_suggest_distance("lsit", "list", 3)); /* a swap is one edit */
	assert_int_equal(2, mx_suggest_distance("kitten", "sitting", 1) > 1 ? 2 : 0);
	assert_int_equal(3, mx_suggest_distance("kitten", "sitting", 5));
	assert_int_equal(2, mx_suggest_distance("a", "abcdef", 1)); /* capped at limit + 1 */
}

static void test_suggest(void **state)
{
	(void)state;
	const char *const cmds[] = {"init", "serve", "list", "validate",
	                            "run",  "query", "log",  "log-cleanup"};
	size_t n = sizeof cmds / sizeof cmds[0];
	assert_string_equal("validate", mx_suggest("valdiate", cmds, n));
	assert_string_equal("serve", mx_suggest("serv", cmds, n));
	assert_string_equal("list", mx_suggest("lst", cmds, n));
	assert_string_equal("log-cleanup", mx_suggest("log-clean", cmds, n)); /* a prefix */
	assert_null(mx_suggest("frobnicate", cmds, n));
	assert_null(mx_suggest("", cmds, n));
	const char *const profiles[] = {"default", "prod"};
	assert_string_equal("prod", mx_suggest("prdo", profiles, 2));
	assert_null(mx_suggest("staging", profiles, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_distance),
	        cmocka_unit_test(test_suggest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
