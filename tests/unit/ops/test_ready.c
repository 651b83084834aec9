/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/ops/ready.c: checks run in order, a failed one names why,
 * stopping is never ready; the database-file and audit-path checks. */
#include "harness.h"

#include "core/alloc.h"
#include "ops/ready.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_ok(void *ctx, char *why, size_t n)
{
	(void)ctx, (void)why, (void)n;
	return 0;
}

static int check_fails(void *ctx, char *why, size_t n)
{
	snprintf(why, n, "%s", (const char *)ctx);
	return -1;
}

static void test_checks(void **state)
{
	(void)state;
	struct mx_ready *r = NULL;
	assert_int_equal(0, mx_ready_new(&r));
	json_t *checks = json_object();
	assert_true(mx_ready_run(r, checks));
	MX_ASSERT_JSON_EQ("{}", checks);
	json_decref(checks);

	assert_int_equal(0, mx_ready_add(r, "project", check_ok, NULL));
	assert_int_equal(0, mx_ready_add(r, "database", check_fails, "gone"));
	checks = json_object();
	assert_false(mx_ready_run(r, checks));
	MX_ASSERT_JSON_EQ("{\"project\":\"ok\",\"database\":\"gone\"}", checks);
	json_decref(checks);

	mx_ready_set_stopping(r);
	checks = json_object();
	assert_false(mx_ready_run(r, checks));
	assert_string_equal("shutting down", json_string_value(json_object_get(checks, "server")));
	json_decref(checks);
	mx_ready_free(r);

	checks = json_object();
	assert_true(mx_ready_run(NULL, checks));
	json_decref(checks);
}

static void test_database_file(void **state)
{
	(void)state;
	char dir[256], path[512], why[512] = "";
	mx_test_tmpdir(dir, sizeof dir);
	assert_int_equal(0, mx_ready_database_file(":memory:", why, sizeof why));
	snprintf(path, sizeof path, "%s/db.duckdb", dir);
	assert_int_not_equal(0, mx_ready_database_file(path, why, sizeof why));
	assert_non_null(strstr(why, "db.duckdb is missing"));
	mx_test_write(dir, "db.duckdb", "x");
	assert_int_equal(0, mx_ready_database_file(path, why, sizeof why));
	mx_test_rmrf(dir);
}

static void test_audit_path(void **state)
{
	(void)state;
	char dir[256], path[512], why[512] = "";
	mx_test_tmpdir(dir, sizeof dir);
	/* missing folders are created, as the writer's first record would */
	snprintf(path, sizeof path, "%s/a/b/calls.jsonl", dir);
	assert_int_equal(0, mx_ready_audit_path(path, why, sizeof why));
	snprintf(path, sizeof path, "%s/a/b", dir);
	struct stat st;
	assert_int_equal(0, stat(path, &st));
	assert_true(S_ISDIR(st.st_mode));
	/* under a read-only file system: not writable */
	assert_int_not_equal(0, mx_ready_audit_path("/proc/mxcp-ready/calls.jsonl", why, sizeof why));
	assert_string_equal("audit path not writable", why);
	mx_test_rmrf(dir);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_checks),
	        cmocka_unit_test(test_database_file),
	        cmocka_unit_test(test_audit_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
