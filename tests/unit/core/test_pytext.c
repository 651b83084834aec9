/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/pytext.c: Python's repr()/str() of values, repr(float), int() and float(). */
#include "harness.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/pytext.h"

#include <math.h>
#include <string.h>

static void test_repr(void **state)
{
	(void)state;
	struct mx_buf b;
	mx_buf_init(&b, 1024);
	json_t *v = json_pack("[s, i, f, f, b, n]", "a", 1, 0.1, 2.0, 1);
	assert_int_equal(0, mx_pytext_repr(&b, v));
	assert_string_equal("['a', 1, 0.1, 2.0, True, None]", mx_buf_str(&b));
	json_decref(v);
	mx_buf_free(&b);
}

static void expect_repr(const char *expected, json_t *v, int str)
{
	struct mx_buf b;
	mx_buf_init(&b, 1024);
	assert_int_equal(0, str ? mx_pytext_str(&b, v) : mx_pytext_repr(&b, v));
	assert_string_equal(expected, mx_buf_str(&b));
	mx_buf_free(&b);
	json_decref(v);
}

static void test_str_and_quotes(void **state)
{
	(void)state;
	expect_repr("it's", json_string("it's"), 1);
	expect_repr("\"it's\"", json_string("it's"), 0);
	expect_repr("'say \"hi\" it\\'s'", json_string("say \"hi\" it's"), 0);
	expect_repr("'a\\nb\\t\\\\\\x01\\x7f'", json_string("a\nb\t\\\x01\x7f"), 0);
	/* what Python does not print: C1 controls, NBSP, soft hyphen, line/paragraph separators */
	expect_repr("'\\x85\\xa0\\xad\\u2028é✓'", json_string("\xc2\x85\xc2\xa0\xc2\xad\xe2\x80\xa8é✓"), 0);
	expect_repr("{'k': ['x', 1.5, None]}", json_pack("{s:[s,f,n]}", "k", "x", 1.5), 1);
	expect_repr("True", json_true(), 1);
}

static void test_depth_bound(void **state)
{
	(void)state;
	json_t *v = json_array();
	for (int i = 0; i < MX_PYTEXT_MAX_DEPTH + 1; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, v);
		v = outer;
	}
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	assert_int_equal(MX_ELIMIT, mx_pytext_repr(&b, v));
	mx_buf_free(&b);
	json_decref(v);
}

static void test_float(void **state)
{
	(void)state;
	char out[64];
	const struct {
		double d;
		const char *text;
	} cases[] = {{0.1, "0.1"},         {1.0, "1.0"},       {1e16, "1e+16"},    {1e-5, "1e-05"},
	             {123.456, "123.456"}, {-0.0, "-0.0"},     {0.0001, "0.0001"}, {1e22, "1e+22"},
	             {NAN, "nan"},         {-INFINITY, "-inf"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mx_pytext_float(cases[i].d, out, sizeof out);
		assert_string_equal(cases[i].text, out);
	}
}

static void test_type(void **state)
{
	(void)state;
	json_t *v = json_pack("[s,i,f,b,n,[],{}]", "s", 1, 1.0, 0);
	const char *names[] = {"str", "int", "float", "bool", "NoneType", "list", "dict"};
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(names[i], mx_pytext_type(json_array_get(v, i)));
	json_decref(v);
}

static int64_t parse_int(const char *s, int base, int expect_rc)
{
	int64_t v = 0;
	assert_int_equal(expect_rc, mx_pytext_parse_int(s, strlen(s), base, &v));
	return v;
}

static void test_parse_int(void **state)
{
	(void)state;
	assert_int_equal(42, parse_int(" 42\n", 10, 0));
	assert_int_equal(-1000, parse_int("-1_000", 10, 0));
	assert_int_equal(255, parse_int("0xff", 0, 0));
	assert_int_equal(255, parse_int("0x_ff", 16, 0));
	assert_int_equal(5, parse_int("0b101", 0, 0));
	assert_int_equal(INT64_MIN, parse_int("-9223372036854775808", 10, 0));
	parse_int("9223372036854775808", 10, MX_ELIMIT);
	parse_int("99999999999999999999x", 10, MX_EINVAL); /* not a number first, too large second */
	parse_int("0x10", 10, MX_EINVAL);
	parse_int("1__0", 10, MX_EINVAL);
	parse_int("_1", 10, MX_EINVAL);
	parse_int("1_", 10, MX_EINVAL);
	parse_int("", 10, MX_EINVAL);
	parse_int("+", 10, MX_EINVAL);
	parse_int("1.5", 10, MX_EINVAL);
}

static double parse_float(const char *s, int expect_rc)
{
	double d = 0;
	assert_int_equal(expect_rc, mx_pytext_parse_float(s, strlen(s), &d));
	return d;
}

static void test_parse_float(void **state)
{
	(void)state;
	assert_true(parse_float(" 1.5 ", 0) == 1.5);
	assert_true(parse_float("-1_000.25", 0) == -1000.25);
	assert_true(parse_float(".5", 0) == 0.5);
	assert_true(parse_float("5.", 0) == 5.0);
	assert_true(parse_float("1e3", 0) == 1000.0);
	assert_true(parse_float("+1E-2", 0) == 0.01);
	assert_true(isinf(parse_float("-Infinity", 0)));
	assert_true(isinf(parse_float("1e999", 0)));
	assert_true(isnan(parse_float("nan", 0)));
	parse_float(".inf", MX_EINVAL);
	parse_float("0x10", MX_EINVAL);
	parse_float("1e", MX_EINVAL);
	parse_float("1_e5", MX_EINVAL);
	parse_float("e5", MX_EINVAL);
	parse_float(".", MX_EINVAL);
	parse_float("", MX_EINVAL);
	parse_float("1 2", MX_EINVAL);
	assert_int_equal(MX_EINVAL, mx_pytext_parse_float("1\0", 2, &(double){0}));
	/* longer than the stack buffer */
	char big[300];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_true(parse_float(big, 0) > 1e297);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_repr),        cmocka_unit_test(test_str_and_quotes),
	        cmocka_unit_test(test_depth_bound), cmocka_unit_test(test_float),
	        cmocka_unit_test(test_type),        cmocka_unit_test(test_parse_int),
	        cmocka_unit_test(test_parse_float),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
