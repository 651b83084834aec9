/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/types/: YAML → type parsing (with located errors),
 * MXCP's input conversion and its messages, output validation, and the JSON
 * Schemas emitted for MCP. Every expected message is MXCP's text (or ours
 * where we name nested paths), so a change in wording fails here.
 */
#include "harness.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/yaml.h"
#include "types/types.h"

#include <string.h>

/* ---------------------------------------------------------------- helpers */

static struct mx_type *parse_as(const char *yaml, const char *path, int is_param)
{
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	if (mx_yaml_load_string("t.yml", yaml, strlen(yaml), &d, &err))
		fail_msg("yaml: %s", err.msg);
	struct mx_type *t = NULL;
	int rc = mx_type_parse(d->root, "t.yml", path, is_param, &t, &err);
	mx_yaml_free(d);
	if (rc) {
		char buf[4096];
		fail_msg("parse failed: %s", mx_err_format(&err, buf, sizeof buf));
	}
	return t;
}

static struct mx_type *parse(const char *yaml)
{
	return parse_as(yaml, "", 0);
}

static struct mx_type *param(const char *yaml)
{
	return parse_as(yaml, "tool.parameters[0]", 1);
}

/* Parse must fail with exactly "t.yml:line:col: msg". */
static void parse_fails(const char *yaml, const char *path, int is_param, const char *expected)
{
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	if (mx_yaml_load_string("t.yml", yaml, strlen(yaml), &d, &err))
		fail_msg("yaml: %s", err.msg);
	struct mx_type *t = NULL;
	int rc = mx_type_parse(d->root, "t.yml", path, is_param, &t, &err);
	mx_yaml_free(d);
	if (rc == 0) {
		mx_type_free(t);
		fail_msg("parse succeeded, expected: %s", expected);
	}
	assert_null(t);
	char buf[4096];
	assert_string_equal(expected, mx_err_format(&err, buf, sizeof buf));
}

/* Convert `in` (JSON text) at `path` and compare with `expected` (JSON text). */
static void converts(const struct mx_type *t, const char *in, const char *expected)
{
	json_t *v = mx_test_json(in), *out = NULL;
	struct mx_err err;
	int rc = mx_type_convert(t, v, "p", &out, &err);
	if (rc)
		fail_msg("convert %s failed: %s", in, err.msg);
	MX_ASSERT_JSON_EQ(expected, out);
	/* a real number must stay real: 5 for type number is 5.0 */
	json_t *exp = mx_test_json(expected);
	assert_int_equal(json_typeof(exp), json_typeof(out));
	json_decref(exp);
	json_decref(out);
	json_decref(v);
}

static void convert_fails(const struct mx_type *t, const char *in, const char *expected)
{
	json_t *v = mx_test_json(in), *out = NULL;
	struct mx_err err;
	int rc = mx_type_convert(t, v, "p", &out, &err);
	if (rc == 0) {
		char *s = mx_json_dumps(out, 0);
		print_error("converted %s to %s\n", in, s);
		mx_free(s);
		json_decref(out);
		fail_msg("expected failure: %s", expected);
	}
	assert_int_equal(MX_EINVAL, rc);
	assert_null(out);
	assert_string_equal(expected, err.msg);
	json_decref(v);
}

static void output_ok(const struct mx_type *t, const char *v)
{
	json_t *j = mx_test_json(v);
	struct mx_err err;
	if (mx_type_check_output(t, j, &err))
		fail_msg("output %s rejected: %s", v, err.msg);
	json_decref(j);
}

static void output_fails(const struct mx_type *t, const char *v, const char *expected)
{
	json_t *j = mx_test_json(v);
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_type_check_output(t, j, &err));
	assert_string_equal(expected, err.msg);
	json_decref(j);
}

/* ------------------------------------------------------------------ parse */

static void test_parse_all_fields(void **state)
{
	(void)state;
	struct mx_type *t = param("name: city\n"
	                          "type: string\n"
	                          "format: email\n"
	                          "description: The city\n"
	                          "default: a@b.co\n"
	                          "examples: [x@y.com, 2]\n"
	                          "enum: [a@b.co, c@d.co]\n"
	                          "sensitive: true\n"
	                          "minLength: 1\n"
	                          "maxLength: 80\n"
	                          "pattern: '^[a-z@.]+$'\n");
	assert_int_equal(MX_T_STRING, t->kind);
	assert_int_equal(MX_FMT_EMAIL, t->format);
	assert_string_equal("city", t->name);
	assert_string_equal("The city", t->description);
	MX_ASSERT_JSON_EQ("\"a@b.co\"", t->default_value);
	MX_ASSERT_JSON_EQ("[\"x@y.com\", 2]", t->examples);
	MX_ASSERT_JSON_EQ("[\"a@b.co\", \"c@d.co\"]", t->enum_values);
	assert_int_equal(1, t->sensitive);
	assert_int_equal(1, t->min_length);
	assert_int_equal(80, t->max_length);
	assert_string_equal("^[a-z@.]+$", t->pattern);
	assert_non_null(t->pattern_re);
	assert_int_equal(-1, t->min_items);
	assert_int_equal(-1, t->max_items);
	assert_int_equal(-1, t->additional_properties);
	assert_int_equal(1, t->line);
	assert_int_equal(1, t->col);
	mx_type_free(t);

	t = parse("type: number\nminimum: 0\nmaximum: 10.5\nexclusiveMinimum: -1\nexclusiveMaximum: 11\n"
	          "multipleOf: 0.5\n");
	assert_int_equal(MX_T_NUMBER, t->kind);
	assert_int_equal(MX_FMT_NONE, t->format);
	assert_null(t->name);
	assert_null(t->default_value);
	assert_true(t->has_minimum && t->has_maximum && t->has_exclusive_minimum &&
	            t->has_exclusive_maximum && t->has_multiple_of);
	assert_true(t->minimum == 0 && t->maximum == 10.5 && t->exclusive_minimum == -1 &&
	            t->exclusive_maximum == 11 && t->multiple_of == 0.5);
	assert_int_equal(-1, t->min_length);
	assert_null(t->pattern_re);
	mx_type_free(t);

	/* pydantic (lax) reads numeric strings into numeric fields; YAML 1.1 keeps 1e20 a string */
	t = parse("type: string\nminLength: '3'\n");
	assert_int_equal(3, t->min_length);
	mx_type_free(t);
	t = parse("type: number\nmaximum: 1e20\nminimum: '-2.5'\n");
	assert_true(t->maximum == 1e20 && t->minimum == -2.5);
	mx_type_free(t);
}

static void test_parse_nested(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: object\n"
	                          "required: [id, tags]\n"
	                          "additionalProperties: false\n"
	                          "properties:\n"
	                          "  id: {type: integer}\n"
	                          "  tags:\n"
	                          "    type: array\n"
	                          "    minItems: 1\n"
	                          "    maxItems: 3\n"
	                          "    uniqueItems: true\n"
	                          "    items: {type: string}\n"
	                          "  when: {type: string, format: date-time}\n");
	assert_int_equal(MX_T_OBJECT, t->kind);
	assert_int_equal(0, t->additional_properties);
	assert_int_equal(2, t->nrequired);
	assert_string_equal("id", t->required[0]);
	assert_string_equal("tags", t->required[1]);
	assert_int_equal(3, t->nproperties);
	assert_string_equal("id", t->properties[0].name);
	assert_string_equal("tags", t->properties[1].name);
	assert_string_equal("when", t->properties[2].name);
	assert_int_equal(MX_T_INTEGER, t->properties[0].type->kind);
	const struct mx_type *tags = t->properties[1].type;
	assert_int_equal(MX_T_ARRAY, tags->kind);
	assert_int_equal(1, tags->min_items);
	assert_int_equal(3, tags->max_items);
	assert_int_equal(1, tags->unique_items);
	assert_int_equal(MX_T_STRING, tags->items->kind);
	assert_int_equal(11, tags->items->line);
	assert_int_equal(12, tags->items->col);
	assert_int_equal(MX_FMT_DATE_TIME, t->properties[2].type->format);
	mx_type_free(t);

	/* additionalProperties: true is kept apart from "not said" */
	t = parse("type: object\nadditionalProperties: true\n");
	assert_int_equal(1, t->additional_properties);
	mx_type_free(t);

	/* a merge key in properties: merged entries first, explicit keys override */
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	const char *y = "common: &c {id: {type: integer}, name: {type: string}}\n"
	                "ret:\n  type: object\n  properties:\n    <<: *c\n    name: {type: number}\n";
	assert_int_equal(0, mx_yaml_load_string("t.yml", y, strlen(y), &d, &err));
	assert_int_equal(0, mx_type_parse(mx_yaml_map_get(d->root, "ret"), "t.yml", "ret", 0, &t, &err));
	assert_int_equal(2, t->nproperties);
	assert_string_equal("id", t->properties[0].name);
	assert_string_equal("name", t->properties[1].name);
	assert_int_equal(MX_T_NUMBER, t->properties[1].type->kind);
	mx_type_free(t);
	mx_yaml_free(d);
}

static void test_parse_defaults(void **state)
{
	(void)state;
	/* default: null makes a parameter optional, with a JSON null default */
	struct mx_type *t = param("name: x\ntype: integer\ndefault: null\n");
	assert_non_null(t->default_value);
	assert_true(json_is_null(t->default_value));
	mx_type_free(t);
	t = param("name: x\ntype: integer\ndefault: 5\n");
	MX_ASSERT_JSON_EQ("5", t->default_value);
	mx_type_free(t);
	/* a string default for a string param with a numeric look is fine (converted at call time) */
	t = param("name: x\ntype: string\ndefault: 5\n");
	MX_ASSERT_JSON_EQ("5", t->default_value);
	mx_type_free(t);
	/* YAML dates are text for us */
	t = param("name: d\ntype: string\nformat: date\ndefault: 2024-02-29\n");
	MX_ASSERT_JSON_EQ("\"2024-02-29\"", t->default_value);
	mx_type_free(t);
	t = param("name: o\ntype: object\nproperties: {a: {type: integer}}\ndefault: {a: 1}\n");
	MX_ASSERT_JSON_EQ("{\"a\": 1}", t->default_value);
	mx_type_free(t);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails(
	        "name: x\ntype: string\nnullable: true\n", "tool.parameters[0]", 1,
	        "t.yml:3:1: tool.parameters[0].nullable: unknown key (expected one of: name, type, format, "
	        "description, default, examples, enum, sensitive, minLength, maxLength, pattern, minimum, "
	        "maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minItems, maxItems, uniqueItems, "
	        "items, properties, required, additionalProperties)");
	parse_fails("name: x\ndescription: no type\n", "tool.parameters[0]", 1,
	            "t.yml:1:1: tool.parameters[0].type: field required");
	parse_fails("name: x\ntype: str\n", "tool.parameters[0]", 1,
	            "t.yml:2:7: tool.parameters[0].type: Input should be 'string', 'number', 'integer', "
	            "'boolean', 'array' or 'object'");
	parse_fails("type: string\nformat: phone\n", "tool.return", 0,
	            "t.yml:2:9: tool.return.format: Input should be 'email', 'uri', 'date', 'time', "
	            "'date-time', 'duration' or 'timestamp'");
	parse_fails("type: string\n", "tool.parameters[0]", 1,
	            "t.yml:1:1: tool.parameters[0].name: field required");
	parse_fails("name: ''\ntype: string\n", "tool.parameters[0]", 1,
	            "t.yml:1:7: tool.parameters[0].name: Parameter name cannot be empty");
	parse_fails(
	        "name: 1abc\ntype: string\n", "tool.parameters[0]", 1,
	        "t.yml:1:7: tool.parameters[0].name: Parameter name must start with a letter or underscore");
	parse_fails("name: a-b\ntype: string\n", "tool.parameters[0]", 1,
	            "t.yml:1:7: tool.parameters[0].name: Parameter name must contain only alphanumeric "
	            "characters or underscores");
	parse_fails("type: string\nminLength: -1\n", "r", 0,
	            "t.yml:2:12: r.minLength: Input should be greater than or equal to 0");
	parse_fails("type: array\nmaxItems: -2\n", "r", 0,
	            "t.yml:2:11: r.maxItems: Input should be greater than or equal to 0");
	parse_fails("type: number\nmultipleOf: 0\n", "r", 0,
	            "t.yml:2:13: r.multipleOf: Input should be greater than 0");
	parse_fails("type: number\nminimum: low\n", "r", 0,
	            "t.yml:2:10: r.minimum: expected a number, got string 'low'");
	parse_fails("type: string\nenum: a\n", "r", 0, "t.yml:2:7: r.enum: expected a list, got string");
	parse_fails("type: object\nrequired: [a, 1]\n", "r", 0,
	            "t.yml:2:15: r.required[1]: expected a string, got integer");
	parse_fails(
	        "type: string\npattern: '(abc'\n", "r", 0,
	        "t.yml:2:10: r.pattern: invalid regular expression: missing closing parenthesis at offset 4");
	parse_fails("- type: string\n", "r", 0, "t.yml:1:1: r: expected a mapping, got list");
}

static void test_parse_nested_errors(void **state)
{
	(void)state;
	parse_fails(
	        "type: object\n"
	        "properties:\n"
	        "  email:\n"
	        "    type: string\n"
	        "    format: mail\n",
	        "tool.return", 0,
	        "t.yml:5:13: tool.return.properties.email.format: Input should be 'email', 'uri', 'date', "
	        "'time', 'date-time', 'duration' or 'timestamp'");
	parse_fails(
	        "type: array\nitems:\n  type: object\n  properties:\n    a: {type: string, oops: 1}\n",
	        "tool.return", 0,
	        "t.yml:5:23: tool.return.items.properties.a.oops: unknown key (expected one of: name, type, "
	        "format, description, default, examples, enum, sensitive, minLength, maxLength, pattern, "
	        "minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minItems, maxItems, "
	        "uniqueItems, items, properties, required, additionalProperties)");
	/* a type that contains itself through an alias is refused by the YAML
	 * loader already, so the type parser never sees a cycle */
	struct mx_yaml_doc *d = NULL;
	struct mx_err err;
	const char *y = "t: &a {type: array, items: *a}\n";
	assert_int_equal(MX_EINVAL, mx_yaml_load_string("t.yml", y, strlen(y), &d, &err));
	assert_null(d);
	assert_non_null(strstr(err.msg, "recursive alias '*a'"));
	mx_yaml_free(d);
}

static void test_parse_bad_defaults(void **state)
{
	(void)state;
	parse_fails("name: n\ntype: number\ndefault: abc\n", "tool.parameters[0]", 1,
	            "t.yml:3:10: tool.parameters[0].default: Expected number, got str");
	parse_fails("name: n\ntype: integer\ndefault: 1.5x\n", "tool.parameters[0]", 1,
	            "t.yml:3:10: tool.parameters[0].default: Expected integer, got str");
	parse_fails("name: d\ntype: string\nformat: date\ndefault: 2023-02-29\n", "tool.parameters[0]", 1,
	            "t.yml:4:10: tool.parameters[0].default: Invalid date format: 2023-02-29");
	parse_fails("name: s\ntype: string\nmaxLength: 2\ndefault: abc\n", "tool.parameters[0]", 1,
	            "t.yml:4:10: tool.parameters[0].default: String must be at most 2 characters long");
	parse_fails("name: n\ntype: integer\nminimum: 10\ndefault: 3\n", "tool.parameters[0]", 1,
	            "t.yml:4:10: tool.parameters[0].default: Value must be >= 10");
	/* nested: the message names the failing part of the default */
	parse_fails("name: f\n"
	            "type: array\n"
	            "items:\n"
	            "  type: object\n"
	            "  properties:\n"
	            "    date: {type: string, format: date}\n"
	            "default:\n"
	            "  - {date: 2024-01-01}\n"
	            "  - {date: 2024-13-01}\n",
	            "tool.parameters[0]", 1,
	            "t.yml:8:3: tool.parameters[0].default[1].date: Invalid date format: 2024-13-01");
	parse_fails("type: object\nproperties:\n  a: {type: boolean}\nrequired: [a]\ndefault: {}\n",
	            "tool.return", 0, "t.yml:5:10: tool.return.default: Missing required properties: a");
}

/* -------------------------------------------------------------- strings */

static void test_string_basic(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\n");
	converts(t, "\"hello\"", "\"hello\"");
	converts(t, "123", "\"123\"");
	converts(t, "-7", "\"-7\"");
	converts(t, "1.5", "\"1.5\"");
	converts(t, "3.0", "\"3.0\"");
	converts(t, "1e16", "\"1e+16\"");
	converts(t, "0.0001", "\"0.0001\"");
	converts(t, "0.00001", "\"1e-05\"");
	converts(t, "true", "\"true\"");
	converts(t, "false", "\"false\"");
	converts(t, "null", "null");
	converts(t, "\"\"", "\"\"");
	convert_fails(t, "[1]", "Error validating parameter 'p': Expected string, got list");
	convert_fails(t, "{\"a\":1}", "Error validating parameter 'p': Expected string, got dict");
	mx_type_free(t);
}

static void test_string_length_unicode(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nminLength: 2\nmaxLength: 3\n");
	converts(t, "\"ab\"", "\"ab\"");
	/* three code points, nine bytes */
	converts(t, "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"", "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"");
	/* an emoji is one code point (four bytes), so this is two */
	converts(t, "\"a\xf0\x9f\x98\x80\"", "\"a\xf0\x9f\x98\x80\"");
	convert_fails(t, "\"\xc3\xa9\"",
	              "Error validating parameter 'p': String must be at least 2 characters long");
	convert_fails(t, "\"abcd\"",
	              "Error validating parameter 'p': String must be at most 3 characters long");
	/* the length applies to the text a number becomes */
	convert_fails(t, "1234", "Error validating parameter 'p': String must be at most 3 characters long");
	mx_type_free(t);
}

static void test_string_pattern(void **state)
{
	(void)state;
	/* search semantics: unanchored unless the pattern anchors */
	struct mx_type *t = parse("type: string\npattern: '[0-9]{3}'\n");
	converts(t, "\"ab123cd\"", "\"ab123cd\"");
	converts(t, "12345", "\"12345\"");
	convert_fails(t, "\"ab12\"",
	              "Error validating parameter 'p': String should match pattern '[0-9]{3}'");
	mx_type_free(t);
	t = parse("type: string\npattern: '^[a-z]+$'\n");
	converts(t, "\"abc\"", "\"abc\"");
	/* '$' is the very end, as in ECMA-262 (no match before a final newline) */
	convert_fails(t, "\"abc\\n\"",
	              "Error validating parameter 'p': String should match pattern '^[a-z]+$'");
	convert_fails(t, "\"Abc\"", "Error validating parameter 'p': String should match pattern '^[a-z]+$'");
	mx_type_free(t);
	/* UTF-8 aware: '.' is one code point */
	t = parse("type: string\npattern: '^.$'\n");
	converts(t, "\"\xc3\xa9\"", "\"\xc3\xa9\"");
	mx_type_free(t);
	/* pattern applies to formatted strings too */
	t = parse("type: string\nformat: email\npattern: '@example\\.com$'\n");
	converts(t, "\"a@example.com\"", "\"a@example.com\"");
	convert_fails(t, "\"a@other.com\"",
	              "Error validating parameter 'p': String should match pattern '@example\\.com$'");
	mx_type_free(t);
}

static void test_format_date(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nformat: date\nmaxLength: 3\n");
	/* formatted strings skip length checks */
	converts(t, "\"2024-02-29\"", "\"2024-02-29\"");
	converts(t, "\"2000-02-29\"", "\"2000-02-29\"");
	converts(t, "\"2024-1-5\"", "\"2024-01-05\"");
	converts(t, "\"2024-12-31\"", "\"2024-12-31\"");
	convert_fails(t, "\"2023-02-29\"", "Error validating parameter 'p': Invalid date format: 2023-02-29");
	convert_fails(t, "\"1900-02-29\"", "Error validating parameter 'p': Invalid date format: 1900-02-29");
	convert_fails(t, "\"2024-04-31\"", "Error validating parameter 'p': Invalid date format: 2024-04-31");
	convert_fails(t, "\"2024-13-01\"", "Error validating parameter 'p': Invalid date format: 2024-13-01");
	convert_fails(t, "\"24-01-01\"", "Error validating parameter 'p': Invalid date format: 24-01-01");
	convert_fails(t, "\"2024-01-01T00:00:00\"",
	              "Error validating parameter 'p': Invalid date format: 2024-01-01T00:00:00");
	convert_fails(t, "\"\"", "Error validating parameter 'p': Invalid date format: ");
	convert_fails(t, "20240101",
	              "Error validating parameter 'p': Expected string for date format, got int");
	convert_fails(t, "true", "Error validating parameter 'p': Expected string for date format, got bool");
	converts(t, "null", "null");
	mx_type_free(t);
}

static void test_format_time(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nformat: time\n");
	converts(t, "\"12:34:56\"", "\"12:34:56\"");
	converts(t, "\"1:2:3\"", "\"01:02:03\"");
	converts(t, "\"23:59:59.5\"", "\"23:59:59.500000\"");
	converts(t, "\"00:00:00.1234567\"", "\"00:00:00.123456\"");
	convert_fails(t, "\"24:00:00\"", "Error validating parameter 'p': Invalid time format: 24:00:00");
	convert_fails(t, "\"12:60:00\"", "Error validating parameter 'p': Invalid time format: 12:60:00");
	convert_fails(t, "\"12:00\"", "Error validating parameter 'p': Invalid time format: 12:00");
	convert_fails(t, "\"12:00:00.\"", "Error validating parameter 'p': Invalid time format: 12:00:00.");
	convert_fails(t, "1.5", "Error validating parameter 'p': Expected string for time format, got float");
	mx_type_free(t);
}

static void test_format_date_time(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nformat: date-time\n");
	converts(t, "\"2024-01-02T03:04:05Z\"", "\"2024-01-02T03:04:05+00:00\"");
	converts(t, "\"2024-01-02T03:04:05\"", "\"2024-01-02T03:04:05\"");
	converts(t, "\"2024-01-02 03:04:05.25+05:30\"", "\"2024-01-02T03:04:05.250000+05:30\"");
	converts(t, "\"2024-01-02T03:04-0800\"", "\"2024-01-02T03:04:00-08:00\"");
	converts(t, "\"2024-01-02T03\"", "\"2024-01-02T03:00:00\"");
	converts(t, "\"2024-02-29\"", "\"2024-02-29T00:00:00\"");
	convert_fails(t, "\"2023-02-29T00:00:00\"",
	              "Error validating parameter 'p': Invalid date-time format: 2023-02-29T00:00:00");
	convert_fails(t, "\"2024-01-02T25:00:00\"",
	              "Error validating parameter 'p': Invalid date-time format: 2024-01-02T25:00:00");
	convert_fails(t, "\"2024-01-02T03:04:05Zjunk\"",
	              "Error validating parameter 'p': Invalid date-time format: 2024-01-02T03:04:05Zjunk");
	convert_fails(t, "\"2024-1-2T03:04:05\"",
	              "Error validating parameter 'p': Invalid date-time format: 2024-1-2T03:04:05");
	convert_fails(t, "\"yesterday\"",
	              "Error validating parameter 'p': Invalid date-time format: yesterday");
	convert_fails(t, "1700000000",
	              "Error validating parameter 'p': Expected string for date-time format, got int");
	mx_type_free(t);
}

static void test_format_timestamp(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nformat: timestamp\n");
	converts(t, "0", "\"1970-01-01T00:00:00\"");
	converts(t, "1700000000", "\"2023-11-14T22:13:20\"");
	converts(t, "\"1700000000\"", "\"2023-11-14T22:13:20\"");
	converts(t, "\" 1700000000.5 \"", "\"2023-11-14T22:13:20.500000\"");
	converts(t, "-1.5", "\"1969-12-31T23:59:58.500000\"");
	converts(t, "951782400", "\"2000-02-29T00:00:00\"");
	convert_fails(t, "\"abc\"", "Error validating parameter 'p': Invalid timestamp: abc");
	convert_fails(t, "\"1e400\"", "Error validating parameter 'p': Invalid timestamp: 1e400");
	convert_fails(t, "1e15", "Error validating parameter 'p': Invalid timestamp: 1000000000000000.0");
	convert_fails(t, "1e16", "Error validating parameter 'p': Invalid timestamp: 1e+16");
	convert_fails(t, "[1]", "Error validating parameter 'p': Invalid timestamp: [1]");
	convert_fails(t, "true", "Error validating parameter 'p': Invalid timestamp: True");
	mx_type_free(t);
}

static void test_format_email_uri_duration(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nformat: email\nminLength: 50\n");
	converts(t, "\"a@b.co\"", "\"a@b.co\"");
	/* re.match: only the start must fit */
	converts(t, "\"a@b.c@d\"", "\"a@b.c@d\"");
	convert_fails(t, "\"a@b\"", "Error validating parameter 'p': Invalid email format: a@b");
	convert_fails(t, "\"@b.co\"", "Error validating parameter 'p': Invalid email format: @b.co");
	convert_fails(t, "\"a@.co\"", "Error validating parameter 'p': Invalid email format: a@.co");
	convert_fails(t, "\"a@b.\"", "Error validating parameter 'p': Invalid email format: a@b.");
	convert_fails(t, "42", "Error validating parameter 'p': Invalid email format: 42");
	mx_type_free(t);

	t = parse("type: string\nformat: uri\n");
	converts(t, "\"https://example.com/x?y=1\"", "\"https://example.com/x?y=1\"");
	converts(t, "\"mailto:a@b.co\"", "\"mailto:a@b.co\"");
	converts(t, "\"urn:isbn:0451450523\"", "\"urn:isbn:0451450523\"");
	convert_fails(t, "\"example.com\"",
	              "Error validating parameter 'p': Invalid URI format: example.com");
	convert_fails(t, "\"1http://x\"", "Error validating parameter 'p': Invalid URI format: 1http://x");
	convert_fails(t, "\"a:b\\nc\"", "Error validating parameter 'p': Invalid URI format: a:b\nc");
	mx_type_free(t);

	t = parse("type: string\nformat: duration\n");
	converts(t, "\"P1DT2H\"", "\"P1DT2H\"");
	converts(t, "\"P1Y2M3DT4H5M6S\"", "\"P1Y2M3DT4H5M6S\"");
	converts(t, "\"PT30M\"", "\"PT30M\"");
	converts(t, "\"P\"", "\"P\""); /* MXCP's regex accepts it */
	convert_fails(t, "\"1D\"", "Error validating parameter 'p': Invalid duration format: 1D");
	convert_fails(t, "\"P1H\"", "Error validating parameter 'p': Invalid duration format: P1H");
	convert_fails(t, "\"PT1D\"", "Error validating parameter 'p': Invalid duration format: PT1D");
	convert_fails(t, "\"P1D1Y\"", "Error validating parameter 'p': Invalid duration format: P1D1Y");
	convert_fails(t, "\"P1.5D\"", "Error validating parameter 'p': Invalid duration format: P1.5D");
	mx_type_free(t);
}

/* -------------------------------------------------------------- numbers */

static void test_number(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: number\n");
	converts(t, "5", "5.0");
	converts(t, "2.5", "2.5");
	converts(t, "\"3.5\"", "3.5");
	converts(t, "\" -2 \"", "-2.0");
	converts(t, "\"1_000.5\"", "1000.5");
	converts(t, "\"1e3\"", "1000.0");
	converts(t, "\".5\"", "0.5");
	converts(t, "\"5.\"", "5.0");
	converts(t, "true", "1.0");
	converts(t, "null", "null");
	convert_fails(t, "\"abc\"", "Error validating parameter 'p': Expected number, got str");
	convert_fails(t, "\"\"", "Error validating parameter 'p': Expected number, got str");
	convert_fails(t, "\"1__0\"", "Error validating parameter 'p': Expected number, got str");
	convert_fails(t, "\"0x10\"", "Error validating parameter 'p': Expected number, got str");
	convert_fails(t, "\"inf\"", "Error validating parameter 'p': Expected number, got str");
	convert_fails(t, "[1]", "Error validating parameter 'p': Expected number, got list");
	convert_fails(t, "{}", "Error validating parameter 'p': Expected number, got dict");
	mx_type_free(t);
}

static void test_number_bounds(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: number\nminimum: 1\nmaximum: 10\n");
	converts(t, "1", "1.0");
	converts(t, "10", "10.0");
	convert_fails(t, "0.5", "Error validating parameter 'p': Value must be >= 1.0");
	convert_fails(t, "\"10.01\"", "Error validating parameter 'p': Value must be <= 10.0");
	mx_type_free(t);
	t = parse("type: number\nexclusiveMinimum: 0\nexclusiveMaximum: 1e20\n");
	converts(t, "0.1", "0.1");
	convert_fails(t, "0", "Error validating parameter 'p': Value must be > 0.0");
	convert_fails(t, "1e20", "Error validating parameter 'p': Value must be < 1e+20");
	mx_type_free(t);
	t = parse("type: number\nmultipleOf: 0.5\nminimum: 0.1\n");
	converts(t, "1.5", "1.5");
	convert_fails(t, "1.2", "Error validating parameter 'p': Value must be multiple of 0.5");
	/* multipleOf is checked before minimum, as in MXCP */
	convert_fails(t, "0.01", "Error validating parameter 'p': Value must be multiple of 0.5");
	convert_fails(t, "0", "Error validating parameter 'p': Value must be >= 0.1");
	mx_type_free(t);
}

static void test_integer(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: integer\n");
	converts(t, "42", "42");
	converts(t, "\"42\"", "42");
	converts(t, "\" +7 \"", "7");
	converts(t, "\"-0\"", "0");
	converts(t, "\"007\"", "7");
	converts(t, "\"1_000\"", "1000");
	converts(t, "3.9", "3");
	converts(t, "-3.9", "-3");
	converts(t, "true", "1");
	converts(t, "\"9223372036854775807\"", "9223372036854775807");
	converts(t, "\"-9223372036854775808\"", "-9223372036854775808");
	convert_fails(t, "\"9223372036854775808\"",
	              "Error validating parameter 'p': Integer out of range: 9223372036854775808");
	convert_fails(t, "\"99999999999999999999\"",
	              "Error validating parameter 'p': Integer out of range: 99999999999999999999");
	convert_fails(t, "1e19", "Error validating parameter 'p': Integer out of range: 1e+19");
	convert_fails(t, "\"3.5\"", "Error validating parameter 'p': Expected integer, got str");
	convert_fails(t, "\"1e3\"", "Error validating parameter 'p': Expected integer, got str");
	convert_fails(t, "\"0x10\"", "Error validating parameter 'p': Expected integer, got str");
	convert_fails(t, "\"_1\"", "Error validating parameter 'p': Expected integer, got str");
	convert_fails(t, "\"\"", "Error validating parameter 'p': Expected integer, got str");
	convert_fails(t, "[]", "Error validating parameter 'p': Expected integer, got list");
	mx_type_free(t);

	t = parse("type: integer\nminimum: 1\n");
	convert_fails(t, "0", "Error validating parameter 'p': Value must be >= 1");
	mx_type_free(t);
	t = parse("type: integer\nminimum: 0.5\n"); /* not an integer: Python's float text */
	convert_fails(t, "0", "Error validating parameter 'p': Value must be >= 0.5");
	mx_type_free(t);
	t = parse("type: integer\nminimum: 0\nmaximum: 100\nmultipleOf: 5\n");
	converts(t, "\"25\"", "25");
	/* an integer's bounds are integers (MXCP says 5.0, 0.0, 100.0) */
	convert_fails(t, "7", "Error validating parameter 'p': Value must be multiple of 5");
	convert_fails(t, "-5", "Error validating parameter 'p': Value must be >= 0");
	convert_fails(t, "105", "Error validating parameter 'p': Value must be <= 100");
	mx_type_free(t);
	t = parse("type: integer\nexclusiveMinimum: 0\nexclusiveMaximum: 10\n");
	convert_fails(t, "0", "Error validating parameter 'p': Value must be > 0");
	convert_fails(t, "10", "Error validating parameter 'p': Value must be < 10");
	/* int(0.5) is 0, then the bound applies */
	convert_fails(t, "0.5", "Error validating parameter 'p': Value must be > 0");
	mx_type_free(t);
}

static void test_boolean(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: boolean\n");
	converts(t, "true", "true");
	converts(t, "false", "false");
	converts(t, "\"true\"", "true");
	converts(t, "\"TRUE\"", "true");
	converts(t, "\"True\"", "true");
	converts(t, "\"yes\"", "false");
	converts(t, "\"1\"", "false");
	converts(t, "\"\"", "false");
	converts(t, "0", "false");
	converts(t, "2", "true");
	converts(t, "0.0", "false");
	converts(t, "[]", "false");
	converts(t, "[0]", "true");
	converts(t, "{}", "false");
	converts(t, "{\"a\":1}", "true");
	converts(t, "null", "null");
	mx_type_free(t);
}

/* ------------------------------------------------------ arrays & objects */

static void test_array(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: array\nitems: {type: integer}\nminItems: 1\nmaxItems: 3\n");
	converts(t, "[1, \"2\", 3.7]", "[1, 2, 3]");
	converts(t, "\"[1, 2]\"", "[1, 2]");
	converts(t, "\" [\\\"4\\\"] \"", "[4]");
	convert_fails(t, "[]", "Error validating parameter 'p': Array must have at least 1 items");
	convert_fails(t, "[1,2,3,4]", "Error validating parameter 'p': Array must have at most 3 items");
	convert_fails(t, "\"not json\"", "Error validating parameter 'p': Invalid JSON array: not json");
	convert_fails(t, "\"{\\\"a\\\": 1}\"", "Error validating parameter 'p': Expected array, got object");
	convert_fails(t, "5", "Error validating parameter 'p': Expected array, got integer");
	convert_fails(t, "1.5", "Error validating parameter 'p': Expected array, got number");
	convert_fails(t, "true", "Error validating parameter 'p': Expected array, got boolean");
	convert_fails(t, "{}", "Error validating parameter 'p': Expected array, got object");
	convert_fails(t, "[1, \"x\"]", "Error validating parameter 'p[1]': Expected integer, got str");
	converts(t, "[null]", "[null]");
	mx_type_free(t);

	/* no items: values are kept as they are */
	t = parse("type: array\n");
	converts(t, "[1, \"a\", {\"b\": [true]}]", "[1, \"a\", {\"b\": [true]}]");
	mx_type_free(t);
}

static void test_array_unique(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: array\nuniqueItems: true\n");
	converts(t, "[1, 2, 3]", "[1, 2, 3]");
	/* str(1) != str(1.0) and str(True) != str(1) in Python */
	converts(t, "[1, 1.0, true]", "[1, 1.0, true]");
	converts(t, "[[1], [2]]", "[[1], [2]]");
	convert_fails(t, "[1, 2, 1]", "Error validating parameter 'p': Array must contain unique items");
	/* MXCP compares str(v): "1" and 1 are the same */
	convert_fails(t, "[1, \"1\"]", "Error validating parameter 'p': Array must contain unique items");
	convert_fails(t, "[{\"a\": 1}, {\"a\": 1}]",
	              "Error validating parameter 'p': Array must contain unique items");
	convert_fails(t, "[null, null]", "Error validating parameter 'p': Array must contain unique items");
	mx_type_free(t);
}

static void test_object(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: object\n"
	                          "required: [id, name]\n"
	                          "properties:\n"
	                          "  id: {type: integer}\n"
	                          "  name: {type: string}\n"
	                          "  when: {type: string, format: date}\n");
	converts(t, "{\"id\": \"5\", \"name\": 7, \"extra\": [1]}",
	         "{\"id\": 5, \"name\": \"7\", \"extra\": [1]}");
	converts(t, "\"{\\\"id\\\": 1, \\\"name\\\": \\\"x\\\"}\"", "{\"id\": 1, \"name\": \"x\"}");
	convert_fails(t, "{}", "Error validating parameter 'p': Missing required properties: id, name");
	convert_fails(t, "{\"name\": \"x\"}",
	              "Error validating parameter 'p': Missing required properties: id");
	convert_fails(t, "{\"id\": 1, \"name\": \"x\", \"when\": \"2024-02-30\"}",
	              "Error validating parameter 'p.when': Invalid date format: 2024-02-30");
	convert_fails(t, "\"{bad\"", "Error validating parameter 'p': Invalid JSON object: {bad");
	convert_fails(t, "\"[1]\"", "Error validating parameter 'p': Expected object, got array");
	convert_fails(t, "[1]", "Error validating parameter 'p': Expected object, got array");
	convert_fails(t, "\"x\"", "Error validating parameter 'p': Invalid JSON object: x");
	convert_fails(t, "3", "Error validating parameter 'p': Expected object, got integer");
	/* the output keeps the input's key order */
	json_t *v = mx_test_json("{\"name\": \"n\", \"zz\": 1, \"id\": 2}"), *out = NULL;
	assert_int_equal(0, mx_type_convert(t, v, "p", &out, NULL));
	char *s = mx_json_dumps(out, 0);
	assert_string_equal("{\"name\":\"n\",\"zz\":1,\"id\":2}", s);
	mx_free(s);
	json_decref(out);
	json_decref(v);
	mx_type_free(t);

	t = parse("type: object\nadditionalProperties: false\nproperties: {a: {type: string}}\n");
	converts(t, "{\"a\": \"x\"}", "{\"a\": \"x\"}");
	convert_fails(t, "{\"a\": \"x\", \"b\": 1}",
	              "Error validating parameter 'p': Unexpected property: b");
	mx_type_free(t);
	/* nested enums are not enforced (MXCP) */
	t = parse("type: object\nproperties: {c: {type: string, enum: [r, g]}}\n");
	converts(t, "{\"c\": \"blue\"}", "{\"c\": \"blue\"}");
	mx_type_free(t);
}

static void test_nested_paths(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: array\n"
	                          "items:\n"
	                          "  type: object\n"
	                          "  properties:\n"
	                          "    date: {type: string, format: date}\n"
	                          "    tags: {type: array, items: {type: integer}}\n"
	                          "    sub: {type: object, properties: {deep: {type: number}}}\n");
	json_t *v = mx_test_json("[{\"date\": \"2024-01-01\"}, {}, {\"date\": \"2024-02-30\"}]"), *out = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_type_convert(t, v, "filters", &out, &err));
	assert_string_equal("Error validating parameter 'filters[2].date': Invalid date format: 2024-02-30",
	                    err.msg);
	json_decref(v);
	v = mx_test_json("[{\"tags\": [1, 2, \"x\"]}]");
	assert_int_equal(MX_EINVAL, mx_type_convert(t, v, "filters", &out, &err));
	assert_string_equal("Error validating parameter 'filters[0].tags[2]': Expected integer, got str",
	                    err.msg);
	json_decref(v);
	v = mx_test_json("[{}, {\"sub\": {\"deep\": \"nope\"}}]");
	assert_int_equal(MX_EINVAL, mx_type_convert(t, v, "filters", &out, &err));
	assert_string_equal("Error validating parameter 'filters[1].sub.deep': Expected number, got str",
	                    err.msg);
	/* without a root path the nested path still shows */
	assert_int_equal(MX_EINVAL, mx_type_convert(t, v, NULL, &out, &err));
	assert_string_equal("[1].sub.deep: Expected number, got str", err.msg);
	json_decref(v);
	v = mx_test_json("5");
	assert_int_equal(MX_EINVAL, mx_type_convert(t, v, NULL, &out, &err));
	assert_string_equal("Expected array, got integer", err.msg);
	json_decref(v);
	/* success converts all the way down */
	v = mx_test_json("[{\"date\": \"2024-2-9\", \"tags\": [\"1\"], \"sub\": {\"deep\": \"2\"}}]");
	assert_int_equal(0, mx_type_convert(t, v, "filters", &out, &err));
	MX_ASSERT_JSON_EQ("[{\"date\": \"2024-02-09\", \"tags\": [1], \"sub\": {\"deep\": 2.0}}]", out);
	json_decref(out);
	json_decref(v);
	mx_type_free(t);
}

/* ------------------------------------------------------------- parameters */

struct params {
	struct mx_type *p[8];
	size_t n;
};

static void add_param(struct params *ps, const char *yaml)
{
	ps->p[ps->n++] = param(yaml);
}

static void free_params(struct params *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		mx_type_free(ps->p[i]);
}

static void params_convert_to(struct params *ps, const char *args, const char *expected)
{
	json_t *a = args ? mx_test_json(args) : NULL, *out = NULL;
	struct mx_err err;
	if (mx_params_convert(ps->p, ps->n, a, &out, &err))
		fail_msg("params %s: %s", args, err.msg);
	MX_ASSERT_JSON_EQ(expected, out);
	json_decref(out);
	json_decref(a);
}

static void params_fail(struct params *ps, const char *args, const char *expected)
{
	json_t *a = args ? mx_test_json(args) : NULL, *out = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_params_convert(ps->p, ps->n, a, &out, &err));
	assert_null(out);
	assert_string_equal(expected, err.msg);
	json_decref(a);
}

static void test_params(void **state)
{
	(void)state;
	struct params ps = {0};
	add_param(&ps, "name: city\ntype: string\n");
	add_param(&ps, "name: limit\ntype: integer\ndefault: 10\n");
	add_param(&ps, "name: since\ntype: string\nformat: date\ndefault: null\n");
	add_param(&ps, "name: color\ntype: string\nenum: [red, green]\ndefault: red\n");
	params_convert_to(&ps, "{\"city\": \"Paris\"}",
	                  "{\"city\": \"Paris\", \"limit\": 10, \"since\": null, \"color\": \"red\"}");
	params_convert_to(
	        &ps, "{\"limit\": \"5\", \"city\": 75, \"since\": \"2024-02-29\", \"color\": \"green\"}",
	        "{\"city\": \"75\", \"limit\": 5, \"since\": \"2024-02-29\", \"color\": \"green\"}");
	params_fail(&ps, "{}", "Required parameter missing: city");
	params_fail(&ps, NULL, "Required parameter missing: city");
	params_fail(&ps, "{\"city\": \"x\", \"zip\": 1}", "Unknown parameter: zip");
	params_fail(&ps, "{\"city\": \"x\", \"color\": \"blue\"}",
	            "Invalid value for color. Must be one of: ['red', 'green']");
	params_fail(&ps, "{\"city\": \"x\", \"limit\": \"ten\"}",
	            "Error validating parameter 'limit': Expected integer, got str");
	params_fail(&ps, "{\"city\": \"x\", \"since\": \"2023-02-29\"}",
	            "Error validating parameter 'since': Invalid date format: 2023-02-29");
	params_fail(&ps, "[1]", "Expected object for arguments, got list");
	/* explicit null passes for any type, and is not checked against the enum */
	params_convert_to(&ps, "{\"city\": null, \"color\": null}",
	                  "{\"city\": null, \"color\": null, \"limit\": 10, \"since\": null}");
	free_params(&ps);

	/* no parameters: no arguments allowed */
	struct params none = {0};
	params_convert_to(&none, NULL, "{}");
	params_convert_to(&none, "{}", "{}");
	params_fail(&none, "{\"x\": 1}", "Unknown parameter: x");
}

static void test_params_enum(void **state)
{
	(void)state;
	struct params ps = {0};
	add_param(&ps, "name: n\ntype: integer\nenum: [1, 2, 3]\n");
	add_param(&ps, "name: q\ntype: string\nenum: [\"it's\", 'a\"b', 1.5, true, null]\ndefault: 1.5\n");
	params_convert_to(&ps, "{\"n\": 2}", "{\"n\": 2, \"q\": \"1.5\"}");
	/* Python `in`: 2.0 == 2 and True == 1 */
	params_convert_to(&ps, "{\"n\": 2.0}", "{\"n\": 2, \"q\": \"1.5\"}");
	params_convert_to(&ps, "{\"n\": true}", "{\"n\": 1, \"q\": \"1.5\"}");
	/* a CLI string that converts to a member is accepted */
	params_convert_to(&ps, "{\"n\": \"3\"}", "{\"n\": 3, \"q\": \"1.5\"}");
	params_fail(&ps, "{\"n\": 4}", "Invalid value for n. Must be one of: [1, 2, 3]");
	params_fail(&ps, "{\"n\": \"x\"}", "Invalid value for n. Must be one of: [1, 2, 3]");
	params_fail(&ps, "{\"n\": 1, \"q\": \"z\"}",
	            "Invalid value for q. Must be one of: [\"it's\", 'a\"b', 1.5, True, None]");
	free_params(&ps);
}

static void test_params_nested_path(void **state)
{
	(void)state;
	struct params ps = {0};
	add_param(&ps, "name: filters\n"
	               "type: array\n"
	               "items:\n"
	               "  type: object\n"
	               "  required: [date]\n"
	               "  properties:\n"
	               "    date: {type: string, format: date}\n");
	params_fail(&ps,
	            "{\"filters\": [{\"date\": \"2024-01-01\"}, {\"date\": \"2024-01-02\"}, {\"date\": "
	            "\"bad\"}]}",
	            "Error validating parameter 'filters[2].date': Invalid date format: bad");
	params_fail(&ps, "{\"filters\": [{}]}",
	            "Error validating parameter 'filters[0]': Missing required properties: date");
	/* a CLI value: JSON text */
	params_convert_to(&ps, "{\"filters\": \"[{\\\"date\\\": \\\"2024-1-1\\\"}]\"}",
	                  "{\"filters\": [{\"date\": \"2024-01-01\"}]}");
	free_params(&ps);
}

/* ----------------------------------------------------------------- output */

static void test_output(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: string\nformat: email\nmaxLength: 6\n");
	output_ok(t, "\"a@b.co\"");
	output_ok(t, "null");
	output_fails(t, "5", "Output validation failed: Expected string, got int");
	output_fails(t, "\"ab\"", "Output validation failed: Invalid email format: ab");
	output_fails(t, "\"ab@c.de\"", "Output validation failed: String must be at most 6 characters long");
	mx_type_free(t);

	t = parse("type: number\nminimum: 0\nexclusiveMaximum: 1\nmultipleOf: 0.3\n");
	output_ok(t, "5"); /* no exclusive/multipleOf checks on output */
	output_ok(t, "0.5");
	output_fails(t, "-1", "Output validation failed: Value must be >= 0.0");
	output_fails(t, "true", "Output validation failed: Expected number, got bool");
	output_fails(t, "\"1\"", "Output validation failed: Expected number, got str");
	mx_type_free(t);

	t = parse("type: integer\nmaximum: 3\n");
	output_ok(t, "3");
	output_fails(t, "3.0", "Output validation failed: Expected integer, got float");
	output_fails(t, "4", "Output validation failed: Value must be <= 3");
	output_fails(t, "false", "Output validation failed: Expected integer, got bool");
	mx_type_free(t);

	t = parse("type: boolean\n");
	output_ok(t, "false");
	output_fails(t, "\"true\"", "Output validation failed: Expected boolean, got str");
	output_fails(t, "1", "Output validation failed: Expected boolean, got int");
	mx_type_free(t);

	t = parse("type: array\n"
	          "maxItems: 3\n"
	          "items:\n"
	          "  type: object\n"
	          "  required: [id]\n"
	          "  additionalProperties: false\n"
	          "  properties:\n"
	          "    id: {type: integer}\n"
	          "    name: {type: string, minLength: 1}\n"
	          "    tags: {type: array, items: {type: string}}\n");
	output_ok(t, "[]");
	output_ok(t, "[{\"id\": 1, \"name\": null}, null, {\"id\": 2, \"tags\": [\"a\", null]}]");
	output_fails(t, "{}", "Output validation failed: Expected array, got dict");
	output_fails(t, "[1,2,3,4]", "Output validation failed: Array must have at most 3 items");
	output_fails(t, "[{\"id\": 1}, {\"id\": \"2\"}]",
	             "Output validation failed: Array item 1: Property 'id': Expected integer, got str");
	output_fails(
	        t, "[{\"id\": 1, \"tags\": [\"a\", 2]}]",
	        "Output validation failed: Array item 0: Property 'tags': Array item 1: Expected string, got "
	        "int");
	output_fails(t, "[{\"name\": \"x\"}]",
	             "Output validation failed: Array item 0: Missing required properties: id");
	output_fails(t, "[{\"id\": 1, \"x\": 1}]",
	             "Output validation failed: Array item 0: Unexpected property: x");
	output_fails(t, "[{\"id\": 1, \"name\": \"\"}]",
	             "Output validation failed: Array item 0: Property 'name': String must be at least 1 "
	             "characters long");
	output_fails(t, "[[1]]", "Output validation failed: Array item 0: Expected object, got list");
	mx_type_free(t);

	/* undeclared properties are fine unless additionalProperties is false */
	t = parse("type: object\nproperties: {a: {type: integer}}\n");
	output_ok(t, "{\"a\": 1, \"b\": \"x\"}");
	output_fails(t, "[]", "Output validation failed: Expected object, got list");
	mx_type_free(t);
}

/* ------------------------------------------------------------ JSON Schema */

static void test_input_schema(void **state)
{
	(void)state;
	struct params ps = {0};
	add_param(&ps, "name: city\ntype: string\ndescription: City name\nminLength: 1\nmaxLength: 50\n"
	               "pattern: '^[A-Z]'\nexamples: [Paris]\n");
	add_param(&ps, "name: color\ntype: string\nenum: [red, green]\ndefault: red\ndescription: Color\n");
	add_param(&ps, "name: n\ntype: number\nminimum: 0\nmaximum: 1.5\nexclusiveMinimum: -1\n"
	               "exclusiveMaximum: 2\nmultipleOf: 0.25\ndefault: null\n");
	add_param(&ps, "name: when\ntype: string\nformat: date-time\n");
	add_param(&ps, "name: ts\ntype: string\nformat: timestamp\n");
	add_param(&ps, "name: f\n"
	               "type: array\n"
	               "minItems: 1\n"
	               "maxItems: 5\n"
	               "uniqueItems: true\n"
	               "items:\n"
	               "  type: object\n"
	               "  required: [d]\n"
	               "  additionalProperties: false\n"
	               "  properties:\n"
	               "    d: {type: string, format: date}\n"
	               "    k: {type: integer, sensitive: true}\n");
	add_param(&ps, "name: o\ntype: object\nadditionalProperties: true\n");
	json_t *s = mx_params_input_schema(ps.p, ps.n);
	MX_ASSERT_JSON_EQ(
	        "{\"type\": \"object\", \"properties\": {"
	        "\"city\": {\"type\": \"string\", \"description\": \"City name\", \"examples\": [\"Paris\"],"
	        " \"minLength\": 1, \"maxLength\": 50, \"pattern\": \"^[A-Z]\"},"
	        "\"color\": {\"type\": \"string\", \"description\": \"Color\", \"enum\": [\"red\", "
	        "\"green\"],"
	        " \"default\": \"red\"},"
	        "\"n\": {\"type\": \"number\", \"default\": null, \"minimum\": 0, \"maximum\": 1.5,"
	        " \"exclusiveMinimum\": -1, \"exclusiveMaximum\": 2, \"multipleOf\": 0.25},"
	        "\"when\": {\"type\": \"string\", \"format\": \"date-time\"},"
	        "\"ts\": {\"type\": \"string\"},"
	        "\"f\": {\"type\": \"array\", \"minItems\": 1, \"maxItems\": 5, \"uniqueItems\": true,"
	        " \"items\": {\"type\": \"object\", \"properties\": {"
	        "   \"d\": {\"type\": \"string\", \"format\": \"date\"},"
	        "   \"k\": {\"type\": \"integer\"}},"
	        " \"required\": [\"d\"], \"additionalProperties\": false}},"
	        "\"o\": {\"type\": \"object\"}"
	        "}, \"required\": [\"city\", \"when\", \"ts\", \"f\", \"o\"]}",
	        s);
	/* deterministic order: declaration order for properties, fixed order for keywords */
	char *text = mx_json_dumps(s, 0);
	assert_non_null(strstr(
	        text, "\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"City name\","
	              "\"examples\":[\"Paris\"],\"minLength\":1,\"maxLength\":50,\"pattern\":\"^[A-Z]\"},"
	              "\"color\":"));
	assert_non_null(strstr(text, "\"minimum\":0,"));
	mx_free(text);
	json_decref(s);
	free_params(&ps);

	/* no required parameters: no "required" key */
	struct params opt = {0};
	add_param(&opt, "name: a\ntype: boolean\ndefault: false\n");
	s = mx_params_input_schema(opt.p, opt.n);
	MX_ASSERT_JSON_EQ("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"boolean\", "
	                  "\"default\": false}}}",
	                  s);
	json_decref(s);
	free_params(&opt);
	s = mx_params_input_schema(NULL, 0);
	MX_ASSERT_JSON_EQ("{\"type\": \"object\", \"properties\": {}}", s);
	json_decref(s);
}

static void test_type_schema(void **state)
{
	(void)state;
	struct mx_type *t = parse("type: integer\ndescription: Count\nminimum: 1\nenum: [1, 2]\n");
	json_t *s = mx_type_json_schema(t);
	MX_ASSERT_JSON_EQ(
	        "{\"type\": \"integer\", \"description\": \"Count\", \"enum\": [1, 2], \"minimum\": 1}", s);
	json_decref(s);
	mx_type_free(t);
	t = parse("type: number\nminimum: 0.5\nmaximum: 1e300\n");
	s = mx_type_json_schema(t);
	MX_ASSERT_JSON_EQ("{\"type\": \"number\", \"minimum\": 0.5, \"maximum\": 1e300}", s);
	assert_true(json_is_real(json_object_get(s, "minimum")));
	json_decref(s);
	mx_type_free(t);
}

static void test_output_schema(void **state)
{
	(void)state;
	assert_null(mx_type_output_schema(NULL));
	struct mx_type *t = parse("type: object\n"
	                          "description: A user\n"
	                          "required: [id]\n"
	                          "properties:\n"
	                          "  id: {type: integer}\n"
	                          "  role: {type: string, enum: [admin, user]}\n"
	                          "  tags: {type: array, items: {type: string}}\n"
	                          "  addr: {type: object, properties: {city: {type: string}}}\n");
	json_t *s = mx_type_output_schema(t);
	MX_ASSERT_JSON_EQ("{\"type\": \"object\", \"description\": \"A user\", \"properties\": {"
	                  "\"id\": {\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]},"
	                  "\"role\": {\"anyOf\": [{\"type\": \"string\", \"enum\": [\"admin\", \"user\"]}, "
	                  "{\"type\": \"null\"}]},"
	                  "\"tags\": {\"anyOf\": [{\"type\": \"array\", \"items\": {\"anyOf\": [{\"type\": "
	                  "\"string\"}, "
	                  "{\"type\": \"null\"}]}}, {\"type\": \"null\"}]},"
	                  "\"addr\": {\"anyOf\": [{\"type\": \"object\", \"properties\": {"
	                  "  \"city\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}}}, "
	                  "{\"type\": \"null\"}]}"
	                  "}, \"required\": [\"id\"]}",
	                  s);
	json_decref(s);
	mx_type_free(t);

	t = parse("type: string\nformat: date\n");
	s = mx_type_output_schema(t);
	MX_ASSERT_JSON_EQ(
	        "{\"type\": \"object\", \"properties\": {\"result\": {\"anyOf\": [{\"type\": \"string\", "
	        "\"format\": \"date\"}, {\"type\": \"null\"}]}}, \"required\": [\"result\"]}",
	        s);
	json_decref(s);
	mx_type_free(t);

	t = parse("type: array\nitems: {type: object, properties: {a: {type: number}}}\n");
	s = mx_type_output_schema(t);
	MX_ASSERT_JSON_EQ(
	        "{\"type\": \"object\", \"properties\": {\"result\": {\"anyOf\": [{\"type\": \"array\", "
	        "\"items\": {\"anyOf\": [{\"type\": \"object\", \"properties\": {\"a\": {\"anyOf\": "
	        "[{\"type\": \"number\"}, {\"type\": \"null\"}]}}}, {\"type\": \"null\"}]}}, {\"type\": "
	        "\"null\"}]}}, "
	        "\"required\": [\"result\"]}",
	        s);
	json_decref(s);
	mx_type_free(t);
}

/* ------------------------------------------------------------------ misc */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal("string", mx_type_kind_name(MX_T_STRING));
	assert_string_equal("number", mx_type_kind_name(MX_T_NUMBER));
	assert_string_equal("integer", mx_type_kind_name(MX_T_INTEGER));
	assert_string_equal("boolean", mx_type_kind_name(MX_T_BOOLEAN));
	assert_string_equal("array", mx_type_kind_name(MX_T_ARRAY));
	assert_string_equal("object", mx_type_kind_name(MX_T_OBJECT));
	assert_null(mx_format_name(MX_FMT_NONE));
	assert_string_equal("email", mx_format_name(MX_FMT_EMAIL));
	assert_string_equal("uri", mx_format_name(MX_FMT_URI));
	assert_string_equal("date", mx_format_name(MX_FMT_DATE));
	assert_string_equal("time", mx_format_name(MX_FMT_TIME));
	assert_string_equal("date-time", mx_format_name(MX_FMT_DATE_TIME));
	assert_string_equal("duration", mx_format_name(MX_FMT_DURATION));
	assert_string_equal("timestamp", mx_format_name(MX_FMT_TIMESTAMP));
	mx_type_free(NULL);
}

/* Fail every allocation in turn: each must fail cleanly (no crash, no leak). */
static void test_out_of_memory(void **state)
{
	(void)state;
	const char *y = "name: f\n"
	                "type: array\n"
	                "description: filters\n"
	                "items:\n"
	                "  type: object\n"
	                "  required: [d]\n"
	                "  properties:\n"
	                "    d: {type: string, format: date, pattern: '^2'}\n"
	                "    n: {type: integer, enum: [1, 2]}\n"
	                "    x: {type: number}\n"
	                "default: []\n" /* mx_yaml_to_json drops map keys when out of memory */
	                "uniqueItems: true\n";
	struct mx_yaml_doc *d = NULL;
	assert_int_equal(0, mx_yaml_load_string("t.yml", y, strlen(y), &d, NULL));
	int succeeded = 0;
	for (long n = 1; n < 2000 && !succeeded; n++) {
		struct mx_type *t = NULL;
		struct mx_err err;
		mx_alloc_fail_after(n);
		int rc = mx_type_parse(d->root, "t.yml", "p", 1, &t, &err);
		mx_alloc_fail_after(0);
		if (rc) {
			assert_int_equal(MX_ENOMEM, rc);
			assert_null(t);
			continue;
		}
		succeeded = 1;
		json_t *args = mx_test_json("{\"f\": [{\"d\": \"2024-01-01\", \"n\": \"2\", \"x\": \"1.5\"}, "
		                            "{\"d\": \"2024-02-02\"}], \"c\": \"1\"}");
		struct mx_type *ps[2] = {t, param("name: c\ntype: integer\nenum: [1, 2]\n")};
		int conv_ok = 0;
		for (long m = 1; m < 2000 && !conv_ok; m++) {
			json_t *out = NULL;
			mx_alloc_fail_after(m);
			rc = mx_params_convert(ps, 2, args, &out, &err);
			json_t *schema = mx_params_input_schema(ps, 2);
			json_t *oschema = mx_type_output_schema(t);
			mx_alloc_fail_after(0);
			json_decref(schema);
			json_decref(oschema);
			if (rc == 0) {
				conv_ok = 1;
				MX_ASSERT_JSON_EQ("{\"f\": [{\"d\": \"2024-01-01\", \"n\": 2, \"x\": 1.5}, "
				                  "{\"d\": \"2024-02-02\"}], \"c\": 1}",
				                  out);
				json_decref(out);
			} else {
				assert_int_equal(MX_ENOMEM, rc);
				assert_null(out);
			}
		}
		assert_true(conv_ok);
		json_decref(args);
		mx_type_free(ps[1]);
		mx_type_free(t);
	}
	assert_true(succeeded);
	mx_yaml_free(d);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_all_fields),
	        cmocka_unit_test(test_parse_nested),
	        cmocka_unit_test(test_parse_defaults),
	        cmocka_unit_test(test_parse_errors),
	        cmocka_unit_test(test_parse_nested_errors),
	        cmocka_unit_test(test_parse_bad_defaults),
	        cmocka_unit_test(test_string_basic),
	        cmocka_unit_test(test_string_length_unicode),
	        cmocka_unit_test(test_string_pattern),
	        cmocka_unit_test(test_format_date),
	        cmocka_unit_test(test_format_time),
	        cmocka_unit_test(test_format_date_time),
	        cmocka_unit_test(test_format_timestamp),
	        cmocka_unit_test(test_format_email_uri_duration),
	        cmocka_unit_test(test_number),
	        cmocka_unit_test(test_number_bounds),
	        cmocka_unit_test(test_integer),
	        cmocka_unit_test(test_boolean),
	        cmocka_unit_test(test_array),
	        cmocka_unit_test(test_array_unique),
	        cmocka_unit_test(test_object),
	        cmocka_unit_test(test_nested_paths),
	        cmocka_unit_test(test_params),
	        cmocka_unit_test(test_params_enum),
	        cmocka_unit_test(test_params_nested_path),
	        cmocka_unit_test(test_output),
	        cmocka_unit_test(test_input_schema),
	        cmocka_unit_test(test_type_schema),
	        cmocka_unit_test(test_output_schema),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
