/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/audit/search.c: the admin API's audit questions over a
 * live writer's trail (records newest first and paged, filters, stats). */
#include "harness.h"

#include "audit/search.h"
#include "audit/writer.h"
#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

static void log_calls(struct mx_audit *a)
{
	const char *names[] = {"weather", "weather", "admin_op", "greeting"};
	const char *types[] = {"tool", "tool", "tool", "resource"};
	for (int i = 0; i < 4; i++) {
		struct mx_audit_record r = {.caller = "http",
		                            .type = types[i],
		                            .name = names[i],
		                            .duration_ms = 5.0,
		                            .policy_decision = i == 2 ? "deny" : NULL,
		                            .status = i == 2 ? "error" : "success",
		                            .error = i == 2 ? "denied" : NULL,
		                            .user_id = "alice",
		                            .session_id = "s1"};
		assert_int_equal(0, mx_audit_log(a, &r));
	}
}

static void test_records_and_stats(void **state)
{
	(void)state;
	char dir[256], path[512];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/calls.jsonl", dir);
	struct mx_audit_options o = {.path = path};
	struct mx_audit *a = NULL;
	assert_int_equal(0, mx_audit_open(&o, &a, NULL));
	log_calls(a); /* not flushed: the search flushes the writer itself */

	struct mx_err err;
	json_t *rows = NULL;
	struct mx_audit_search q = {.limit = 100};
	assert_int_equal(0, mx_audit_search_records(a, path, &q, &rows, &err));
	assert_int_equal(4, json_array_size(rows));
	json_t *newest = json_array_get(rows, 0);
	assert_string_equal("greeting", json_string_value(json_object_get(newest, "operation_name")));
	assert_string_equal(MX_AUDIT_SCHEMA_NAME, json_string_value(json_object_get(newest, "schema_name")));
	json_decref(rows);

	q = (struct mx_audit_search){.operation_name = "weather", .limit = 1, .offset = 1};
	assert_int_equal(0, mx_audit_search_records(a, path, &q, &rows, &err));
	assert_int_equal(1, json_array_size(rows));
	assert_string_equal("weather",
	                    json_string_value(json_object_get(json_array_get(rows, 0), "operation_name")));
	json_decref(rows);

	/* another schema has none of our records */
	q = (struct mx_audit_search){.schema_name = "other.schema", .limit = 100};
	assert_int_equal(0, mx_audit_search_records(a, path, &q, &rows, &err));
	assert_int_equal(0, json_array_size(rows));
	json_decref(rows);

	json_t *doc = NULL;
	q = (struct mx_audit_search){0};
	assert_int_equal(0, mx_audit_search_stats(a, path, &q, &doc, &err));
	assert_int_equal(4, json_integer_value(json_object_get(doc, "total_records")));
	MX_ASSERT_JSON_EQ("{\"tool\":3,\"resource\":1}", json_object_get(doc, "by_type"));
	MX_ASSERT_JSON_EQ("{\"success\":3,\"error\":1}", json_object_get(doc, "by_status"));
	assert_int_equal(1, json_integer_value(json_object_get(json_object_get(doc, "by_policy"), "deny")));
	assert_true(json_is_string(json_object_get(doc, "earliest_timestamp")));
	json_decref(doc);

	mx_audit_close(a);
	mx_test_rmrf(dir);
}

/* Audit off: empty answers, nothing read. */
static void test_audit_off(void **state)
{
	(void)state;
	struct mx_err err;
	json_t *rows = NULL, *doc = NULL;
	struct mx_audit_search q = {.limit = 100};
	assert_int_equal(0, mx_audit_search_records(NULL, "/nonexistent/calls.jsonl", &q, &rows, &err));
	MX_ASSERT_JSON_EQ("[]", rows);
	json_decref(rows);
	assert_int_equal(0, mx_audit_search_stats(NULL, "/nonexistent/calls.jsonl", &q, &doc, &err));
	MX_ASSERT_JSON_EQ("{\"total_records\":0,\"by_type\":{},\"by_status\":{},\"by_policy\":{},"
	                  "\"earliest_timestamp\":null,\"latest_timestamp\":null}",
	                  doc);
	json_decref(doc);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_records_and_stats),
	        cmocka_unit_test(test_audit_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
