/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/audit/query.c and cleanup.c: both record layouts, filters,
 * the DuckDB export with the operational guide's SQL, retention. */
#include "harness.h"

#include "audit/cleanup.h"
#include "audit/query.h"
#include "audit/writer.h"
#include "core/alloc.h"
#include "exec/sql.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void write_records(const char *path, int n_ok, int n_err, int n_deny)
{
	struct mx_audit_options o = {.path = path};
	struct mx_audit *a = NULL;
	assert_int_equal(0, mx_audit_open(&o, &a, NULL));
	for (int i = 0; i < n_ok + n_err + n_deny; i++) {
		int err = i >= n_ok && i < n_ok + n_err, deny = i >= n_ok + n_err;
		struct mx_audit_record r = {.caller = "http",
		                            .type = "tool",
		                            .name = deny ? "admin_op" : "weather",
		                            .duration_ms = 10.0 + i,
		                            .policy_decision = deny ? "deny" : "allow",
		                            .reason = deny ? "Admin access required" : NULL,
		                            .status = err || deny ? "error" : "success",
		                            .error = err ? "boom" : NULL,
		                            .user_id = "alice"};
		assert_int_equal(0, mx_audit_log(a, &r));
	}
	mx_audit_close(a);
}

/* An MXCP segment next to our file: its own layout. */
static const char MXCP_LINE[] =
        "{\"schema_name\":\"mxcp.endpoints\",\"schema_version\":2,\"record_id\":\"r1\","
        "\"timestamp\":\"2024-01-15T12:00:00.123456+00:00\",\"operation_type\":\"resource\","
        "\"operation_name\":\"users://{id}\",\"operation_status\":\"success\",\"duration_ms\":7,"
        "\"caller_type\":\"stdio\",\"user_id\":null,\"session_id\":null,\"trace_id\":\"abc\","
        "\"input_data\":{\"id\":\"7\"},\"output_data\":null,\"error\":null,\"policies_evaluated\":[],"
        "\"policy_decision\":null,\"policy_reason\":null,\"business_context\":{},\"execution_events\":[],"
        "\"prev_hash\":null,\"record_hash\":null,\"signature\":null}\n";

static int64_t scalar(struct mx_dbconn *c, const char *sql)
{
	json_t *rows = NULL;
	struct mx_err err;
	if (mx_sql_query(c, sql, NULL, 0, &rows, &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
	json_t *row = json_array_get(rows, 0);
	const char *k;
	json_t *v;
	int64_t n = -1;
	json_object_foreach (row, k, v)
		if (n < 0)
			n = json_integer_value(v);
	json_decref(rows);
	return n;
}

static void test_query_and_export(void **state)
{
	(void)state;
	char dir[4096], path[4200], db[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/production.jsonl", dir);
	snprintf(db, sizeof db, "%s/audit.db", dir);
	mx_test_write(dir, "production-20240115T120000.jsonl", MXCP_LINE);
	write_records(path, 12, 3, 2);

	struct mx_audit_filter f = {.limit = 100};
	json_t *rows = NULL;
	assert_int_equal(0, mx_audit_query(path, &f, &rows, NULL));
	assert_int_equal(18, json_array_size(rows));
	/* newest first: the MXCP record of 2024 comes last, normalised */
	json_t *last = json_array_get(rows, 17);
	MX_ASSERT_JSON_EQ("\"2024-01-15T12:00:00.123Z\"", json_object_get(last, "timestamp"));
	MX_ASSERT_JSON_EQ("\"resource\"", json_object_get(last, "type"));
	MX_ASSERT_JSON_EQ("\"users://{id}\"", json_object_get(last, "name"));
	MX_ASSERT_JSON_EQ("\"stdio\"", json_object_get(last, "caller"));
	MX_ASSERT_JSON_EQ("{\"id\":\"7\"}", json_object_get(last, "input"));
	MX_ASSERT_JSON_EQ("\"n/a\"", json_object_get(last, "policy_decision"));
	json_decref(rows);

	const char *tools[] = {"admin_op"};
	struct mx_audit_filter g = {.tools = tools, .ntools = 1, .policy = "deny", .limit = 1};
	assert_int_equal(0, mx_audit_query(path, &g, &rows, NULL));
	assert_int_equal(1, json_array_size(rows));
	json_decref(rows);
	struct mx_audit_filter h = {.status = "error", .since_ms = mx_audit_now_ms() - 3600000, .limit = -1};
	assert_int_equal(0, mx_audit_query(path, &h, &rows, NULL));
	assert_int_equal(5, json_array_size(rows));
	json_decref(rows);

	int64_t n = 0;
	assert_int_equal(0, mx_audit_export_duckdb(path, &f, db, &n, NULL));
	assert_int_equal(18, n);
	struct mx_db_options o = {.path = db};
	struct mx_db *d = NULL;
	struct mx_dbconn *c = NULL;
	assert_int_equal(0, mx_db_open(&o, &d, NULL));
	assert_int_equal(0, mx_db_connect(d, &c, NULL));
	/* the operational guide's four queries, as written */
	assert_int_equal(2,
	                 scalar(c, "SELECT count(*) FROM (SELECT DATE_TRUNC('hour', timestamp) as hour, "
	                           "COUNT(*) as requests, COUNT(DISTINCT caller) as unique_users FROM logs "
	                           "GROUP BY hour ORDER BY hour DESC)"));
	assert_int_equal(
	        3, scalar(c, "SELECT errors FROM (SELECT name as endpoint, COUNT(*) as total_requests, "
	                     "COUNT(CASE WHEN status = 'error' THEN 1 END) as errors, ROUND(100.0 * "
	                     "COUNT(CASE WHEN status = 'error' THEN 1 END) / COUNT(*), 2) as error_rate "
	                     "FROM logs WHERE type = 'tool' GROUP BY name HAVING COUNT(*) > 10 ORDER BY "
	                     "error_rate DESC)"));
	assert_int_equal(2,
	                 scalar(c, "SELECT count(*) FROM (SELECT name, AVG(duration_ms) as avg_duration_ms, "
	                           "MAX(duration_ms) as max_duration_ms, COUNT(*) as request_count FROM logs "
	                           "WHERE status = 'success' GROUP BY name ORDER BY avg_duration_ms DESC)"));
	assert_int_equal(2,
	                 scalar(c, "SELECT count(*) FROM (SELECT timestamp, name, caller, reason FROM logs "
	                           "WHERE policy_decision = 'deny' ORDER BY timestamp DESC LIMIT 20)"));
	/* MXCP's column names through the view */
	assert_int_equal(1, scalar(c, "SELECT count(*) FROM audit_logs WHERE operation_type = 'resource' AND "
	                              "operation_name = 'users://{id}' AND caller_type = 'stdio' AND "
	                              "operation_status = 'success' AND trace_id = 'abc'"));
	assert_int_equal(2, scalar(c, "SELECT count(*) FROM audit_logs WHERE policy_decision = 'deny' AND "
	                              "policy_reason = 'Admin access required'"));
	assert_int_equal(1, scalar(c, "SELECT count(*) FROM (SELECT typeof(timestamp) t FROM logs LIMIT 1) "
	                              "WHERE t = 'TIMESTAMP'"));
	mx_dbconn_close(c);
	mx_db_close(d);

	char csv[4200];
	snprintf(csv, sizeof csv, "%s/out.csv", dir);
	assert_int_equal(0, mx_audit_export_csv(path, &g, csv, &n, NULL));
	assert_int_equal(2, n);
	mx_test_rmrf(dir);
}

static void test_cleanup(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/production.jsonl", dir);
	/* an MXCP segment of 2024, all old */
	mx_test_write(dir, "production-20240115T120000.jsonl", MXCP_LINE);
	write_records(path, 3, 0, 0);
	struct mx_audit_cleanup_result r;
	/* everything older than one hour: only the 2024 record */
	assert_int_equal(0, mx_audit_cleanup(path, mx_audit_now_ms() - 3600000, 1, &r, NULL));
	assert_int_equal(1, r.deleted);
	assert_int_equal(0, r.files_removed);
	char seg[4300];
	snprintf(seg, sizeof seg, "%s/production-20240115T120000.jsonl", dir);
	assert_int_equal(0, access(seg, F_OK)); /* dry run changed nothing */
	assert_int_equal(0, mx_audit_cleanup(path, mx_audit_now_ms() - 3600000, 0, &r, NULL));
	assert_int_equal(1, r.deleted);
	assert_int_equal(1, r.files_removed);
	assert_int_not_equal(0, access(seg, F_OK));
	/* a cutoff in the future: the live file is rewritten, empty; new records verify */
	assert_int_equal(0, mx_audit_cleanup(path, mx_audit_now_ms() + 60000, 0, &r, NULL));
	assert_int_equal(3, r.deleted);
	assert_int_equal(1, r.files_rewritten);
	write_records(path, 1, 0, 0);
	struct mx_audit_verify_result v;
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	assert_true(v.ok);
	assert_int_equal(1, v.records);
	mx_test_rmrf(dir);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_query_and_export),
	        cmocka_unit_test(test_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
