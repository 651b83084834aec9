/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/uri_template.c: compile errors, matching, decoding, expansion. */
#include "harness.h"

#include "core/alloc.h"
#include "core/uri_template.h"

#include <string.h>

static struct mx_uri_template *compile(const char *s)
{
	struct mx_uri_template *t = NULL;
	struct mx_err err;
	if (mx_uri_template_compile(s, &t, &err))
		fail_msg("compile %s: %s", s, err.msg);
	return t;
}

static void expect_match(const char *tmpl, const char *uri, const char *vars_json)
{
	struct mx_uri_template *t = compile(tmpl);
	json_t *vars = NULL;
	int rc = mx_uri_template_match(t, uri, &vars);
	if (vars_json == NULL) {
		assert_int_equal(0, rc);
		assert_null(vars);
	} else {
		assert_int_equal(1, rc);
		MX_ASSERT_JSON_EQ(vars_json, vars);
	}
	json_decref(vars);
	mx_uri_template_free(t);
}

static void test_match(void **state)
{
	(void)state;
	expect_match("data://users/{id}", "data://users/42", "{\"id\":\"42\"}");
	expect_match("data://users/{id}/orders/{order}", "data://users/7/orders/a-b",
	             "{\"id\":\"7\",\"order\":\"a-b\"}");
	expect_match("test://template/{id}/data", "test://template/123/data", "{\"id\":\"123\"}");
	expect_match("test://template/{id}/data", "test://template/123/other", NULL);
	expect_match("data://users/{id}", "data://users/", NULL); /* empty value */
	expect_match("data://users/{id}", "data://users/1/2", NULL); /* '/' never inside */
	expect_match("data://users/{id}", "data://users/a%20b%2F", "{\"id\":\"a b/\"}");
	expect_match("data://users/{id}", "data://users/%zz", NULL); /* bad escape */
	expect_match("data://users/{id}", "data://users/%C3", NULL); /* not UTF-8 */
	expect_match("x://{a}-{b}", "x://1-2-3", "{\"a\":\"1\",\"b\":\"2-3\"}");
	expect_match("x://{a}/{a}", "x://1/1", "{\"a\":\"1\"}");
	expect_match("x://{a}/{a}", "x://1/2", NULL);
	expect_match("plain://x", "plain://x", "{}");
	expect_match("plain://x", "plain://xy", NULL);
}

static void test_compile_errors(void **state)
{
	(void)state;
	const char *bad[] = {"x://{",    "x://}",     "x://{}",     "x://{+a}",
	                     "x://{a*}", "x://{a:3}", "x://{a}{b}", "x://{?q}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct mx_uri_template *t = NULL;
		struct mx_err err;
		assert_int_equal(MX_EINVAL, mx_uri_template_compile(bad[i], &t, &err));
		assert_null(t);
	}
	struct mx_uri_template *t = compile("a://{x}/{y}/{x}");
	assert_int_equal(2, mx_uri_template_nvars(t));
	assert_string_equal("x", mx_uri_template_var(t, 0));
	assert_string_equal("y", mx_uri_template_var(t, 1));
	assert_null(mx_uri_template_var(t, 2));
	mx_uri_template_free(t);
	assert_true(mx_uri_template_has_vars("a://{x}"));
	assert_false(mx_uri_template_has_vars("a://x"));
}

static void test_expand(void **state)
{
	(void)state;
	struct mx_uri_template *t = compile("data://{kind}/{id}");
	json_t *vars = json_pack("{s:s, s:i}", "kind", "a b/é", "id", 12);
	struct mx_buf b;
	mx_buf_init(&b, 1024);
	assert_int_equal(0, mx_uri_template_expand(t, vars, &b));
	assert_string_equal("data://a%20b%2F%C3%A9/12", mx_buf_str(&b));
	json_t *back = NULL;
	assert_int_equal(1, mx_uri_template_match(t, mx_buf_str(&b), &back));
	MX_ASSERT_JSON_EQ("{\"kind\":\"a b/é\",\"id\":\"12\"}", back);
	json_decref(back);
	json_decref(vars);
	mx_buf_free(&b);
	mx_uri_template_free(t);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_match),
	        cmocka_unit_test(test_compile_errors),
	        cmocka_unit_test(test_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
