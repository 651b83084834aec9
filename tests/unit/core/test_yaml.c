/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/yaml.c: marks, PyYAML typing, errors, limits. */
#include "harness.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"

#include <string.h>

static struct mx_yaml_doc *load(const char *text)
{
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	int rc = mx_yaml_load_string("t.yml", text, strlen(text), &d, &err);
	if (rc)
		fail_msg("load failed: %s", err.msg);
	return d;
}

static void test_marks(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = load("mxcp: 1\ntool:\n  name: get_user\n  enabled: yes\n");
	const struct mx_yaml_node *tool = mx_yaml_map_get(d->root, "tool");
	assert_non_null(tool);
	const struct mx_yaml_node *name = mx_yaml_map_get(tool, "name");
	assert_int_equal(3, name->line);
	assert_int_equal(9, name->col);
	assert_string_equal("get_user", name->str);
	const struct mx_yaml_node *key = mx_yaml_map_key(tool, "enabled");
	assert_int_equal(4, key->line);
	assert_int_equal(3, key->col);
	mx_yaml_free(d);
}

static void test_resolver(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = load("a: yes\nb: 0x1F\nc: 1.5\nd: ~\ne: '12'\nf: 1e5\ng: 2024-01-02\nh: 010\n"
	                             "i: .inf\nj: Off\nk: 1_000\nl: 12345678901234567890\n");
	json_t *j = mx_yaml_to_json(d->root);
	/* 1e5 is a string in YAML 1.1 (PyYAML needs a dot and a signed exponent) */
	MX_ASSERT_JSON_EQ("{\"a\":true,\"b\":31,\"c\":1.5,\"d\":null,\"e\":\"12\",\"f\":\"1e5\","
	                  "\"g\":\"2024-01-02\",\"h\":8,\"i\":null,\"j\":false,\"k\":1000,"
	                  "\"l\":12345678901234567890.0}",
	                  j);
	json_decref(j);
	mx_yaml_free(d);
}

static void test_error_location(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	const char *text = "tool:\n  name: x\n  params:\n    - a\n   - b\n";
	int rc = mx_yaml_load_string("bad.yml", text, strlen(text), &d, &err);
	assert_int_equal(MX_EINVAL, rc);
	assert_null(d);
	assert_string_equal("bad.yml", err.file);
	assert_int_equal(5, err.line);
	assert_true(strstr(err.msg, "expected") != NULL || strstr(err.msg, "did not find") != NULL);
}

static void test_anchors_and_merge(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = load("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\nlist: [*b]\n");
	json_t *j = mx_yaml_to_json(d->root);
	MX_ASSERT_JSON_EQ(
	        "{\"base\":{\"x\":1,\"y\":2},\"derived\":{\"x\":1,\"y\":3},\"list\":[{\"x\":1,\"y\":2}]}", j);
	const struct mx_yaml_node *derived = mx_yaml_map_get(d->root, "derived");
	const struct mx_yaml_node *x = mx_yaml_map_get(derived, "x");
	assert_non_null(x);
	assert_string_equal("1", x->str);
	json_decref(j);
	mx_yaml_free(d);
}

static void test_billion_laughs(void **state)
{
	(void)state;
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	mx_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 12; i++)
		mx_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
		              i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	int rc = mx_yaml_load_string("laughs.yml", b.p, b.len, &d, &err);
	assert_int_equal(MX_ELIMIT, rc);
	assert_non_null(strstr(err.msg, "aliases expand"));
	mx_buf_free(&b);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	for (int i = 0; i < 1000; i++)
		mx_buf_putc(&b, '[');
	for (int i = 0; i < 1000; i++)
		mx_buf_putc(&b, ']');
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	assert_int_equal(MX_ELIMIT, mx_yaml_load_string("deep.yml", b.p, b.len, &d, &err));
	mx_buf_free(&b);
}

static void test_recursive_alias(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	const char *text = "m: &base [*base]\nm: *base\n";
	assert_int_equal(MX_EINVAL, mx_yaml_load_string("cycle.yml", text, strlen(text), &d, &err));
	assert_int_equal(1, err.line);
	assert_int_equal(11, err.col);
	assert_string_equal("recursive alias '*base': a node cannot contain itself", err.msg);
	const char *map = "a: &m {k: *m}\n";
	assert_int_equal(MX_EINVAL, mx_yaml_load_string("cycle.yml", map, strlen(map), &d, &err));
}

static void test_sexagesimal_overflow(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = load("a: 99999999999999999999:1\nb: 1:30\n");
	struct mx_yaml_value v;
	assert_int_equal(MX_YT_BIGINT, mx_yaml_resolve(mx_yaml_map_get(d->root, "a"), &v));
	assert_int_equal(MX_YT_INT, mx_yaml_resolve(mx_yaml_map_get(d->root, "b"), &v));
	assert_int_equal(90, v.i);
	mx_yaml_free(d);
}

static void test_empty_and_multi(void **state)
{
	(void)state;
	struct mx_yaml_doc *d = load("");
	assert_null(d->root);
	mx_yaml_free(d);
	struct mx_err err;
	const char *two = "a: 1\n---\nb: 2\n";
	assert_int_equal(MX_EINVAL, mx_yaml_load_string("two.yml", two, strlen(two), &d, &err));
}

/* mx_yaml_dump: PyYAML's block layout, and every value reads back as itself. */
static char *dump(const json_t *v)
{
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	assert_int_equal(0, mx_yaml_dump(&b, v));
	return mx_buf_detach(&b);
}

static void test_dump_layout(void **state)
{
	(void)state;
	json_t *v = mx_test_json(
	        "{\"p_default\": {\"target\": \"default\", \"outputs\": {\"default\": "
	        "{\"type\": \"duckdb\", \"path\": \"/srv/db.duckdb\", \"extensions\": [\"httpfs\"], "
	        "\"secrets\": [{\"name\": \"s\", \"scope\": \"\", \"type\": \"http\"}], "
	        "\"threads\": 4, \"empty\": [], \"none\": {}}}}}");
	char *got = dump(v);
	assert_string_equal(got, "p_default:\n"
	                         "  outputs:\n"
	                         "    default:\n"
	                         "      empty: []\n"
	                         "      extensions:\n"
	                         "      - httpfs\n"
	                         "      none: {}\n"
	                         "      path: /srv/db.duckdb\n"
	                         "      secrets:\n"
	                         "      - name: s\n"
	                         "        scope: ''\n"
	                         "        type: http\n"
	                         "      threads: 4\n"
	                         "      type: duckdb\n"
	                         "  target: default\n");
	mx_free(got);
	json_decref(v);
}

static void test_dump_round_trip(void **state)
{
	(void)state;
	json_t *v = mx_test_json(
	        "{\"plain\": \"models\", \"yes\": \"yes\", \"null\": \"null\", \"num\": \"1.5\", \"int\": "
	        "\"042\","
	        " \"date\": \"2024-01-02\", \"colon\": \"a: b\", \"hash\": \"a #b\", \"lead\": \"-x\","
	        " \"brace\": \"{{ env_var('X') }}\", \"quote\": \"it's\", \"space\": \" x \", \"empty\": "
	        "\"\","
	        " \"nl\": \"a\\nb\\t\\\"c\\\\\", \"map\": \"map { 'A': 'Bearer {{ env_var('T') }}' }\","
	        " \"t\": true, \"f\": false, \"n\": null, \"i\": -7, \"r\": 0.5, \"whole\": 2.0,"
	        " \"nested\": [[1, 2], {\"a\": [\"x\"]}], \"key: odd\": 1}");
	char *text = dump(v);
	struct mx_yaml_doc *doc = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_yaml_load_string("dump", text, strlen(text), &doc, &err));
	json_t *back = mx_yaml_to_json(doc->root);
	if (!json_equal(v, back))
		fail_msg("round trip differs:\n%s", text);
	json_decref(back);
	mx_yaml_free(doc);
	mx_free(text);
	json_decref(v);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_marks),
	        cmocka_unit_test(test_resolver),
	        cmocka_unit_test(test_error_location),
	        cmocka_unit_test(test_anchors_and_merge),
	        cmocka_unit_test(test_billion_laughs),
	        cmocka_unit_test(test_deep_nesting),
	        cmocka_unit_test(test_empty_and_multi),
	        cmocka_unit_test(test_recursive_alias),
	        cmocka_unit_test(test_sexagesimal_overflow),
	        cmocka_unit_test(test_dump_layout),
	        cmocka_unit_test(test_dump_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
