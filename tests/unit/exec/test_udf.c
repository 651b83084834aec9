/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/exec/udf.c: the request-context SQL functions read the
 * context of the call running on their own connection — NULL without one,
 * MXCP's defaults for the cli/test providers, header lookup by exact name —
 * and never a previous caller's value, through the statement cache, across
 * connections, and on DuckDB's worker threads.
 */
#include "harness.h"

#include "core/alloc.h"
#include "exec/invoke.h"
#include "exec/sql.h"
#include "exec/udf.h"
#include "model/project.h"

#include <stdio.h>
#include <string.h>

static char dir[512];

static json_t *q(struct mx_dbconn *c, const char *sql)
{
	json_t *rows = NULL;
	struct mx_err err;
	if (mx_sql_query(c, sql, NULL, 0, &rows, &err) != 0)
		fail_msg("query failed: %s\n  sql: %s", err.msg, sql);
	return rows;
}

#define ASSERT_QUERY(c, sql, expected)                \
	do {                                          \
		json_t *rows_ = q((c), (sql));        \
		MX_ASSERT_JSON_EQ((expected), rows_); \
		json_decref(rows_);                   \
	} while (0)

/* Run sql on c as a call with this context. */
static json_t *q_as(struct mx_dbconn *c, const char *user, const char *provider, const char *headers,
                    const char *sql)
{
	json_t *u = user ? mx_test_json(user) : NULL, *h = headers ? mx_test_json(headers) : NULL;
	struct mx_call_ctx ctx = mx_call_ctx_make(MX_CALLER_CLI);
	ctx.user_context = u;
	ctx.user_provider = provider;
	ctx.request_headers = h;
	mx_udf_call_begin(mx_dbconn_udf_slot(c), &ctx);
	json_t *rows = q(c, sql);
	mx_udf_call_end(mx_dbconn_udf_slot(c));
	mx_call_ctx_clear(&ctx);
	json_decref(u);
	json_decref(h);
	return rows;
}

#define ASSERT_QUERY_AS(c, user, provider, headers, sql, expected)               \
	do {                                                                     \
		json_t *rows_ = q_as((c), (user), (provider), (headers), (sql)); \
		MX_ASSERT_JSON_EQ((expected), rows_);                            \
		json_decref(rows_);                                              \
	} while (0)

static const char ALL[] = "SELECT get_username() AS u, get_user_email() AS e, get_user_provider() AS p, "
                          "get_user_external_token() AS t, get_request_header('x-team') AS h, "
                          "get_request_headers_json() AS j";

static void test_null_without_context(void **state)
{
	struct mx_dbconn *c = ((struct mx_test_db *)*state)->c;
	ASSERT_QUERY(c, ALL, "[{\"u\":null,\"e\":null,\"p\":null,\"t\":null,\"h\":null,\"j\":null}]");
	/* an empty call context is the same */
	ASSERT_QUERY_AS(c, NULL, NULL, NULL, ALL,
	                "[{\"u\":null,\"e\":null,\"p\":null,\"t\":null,\"h\":null,\"j\":null}]");
}

static void test_user_fields(void **state)
{
	struct mx_dbconn *c = ((struct mx_test_db *)*state)->c;
	ASSERT_QUERY_AS(c,
	                "{\"username\":\"alice\",\"email\":\"alice@example.com\",\"external_token\":\"tok\"}",
	                "cli", NULL, ALL,
	                "[{\"u\":\"alice\",\"e\":\"alice@example.com\",\"p\":\"cli\",\"t\":null,\"h\":null,"
	                "\"j\":null}]");
	/* MXCP's defaults for `run --user-context` and a test's user_context */
	ASSERT_QUERY_AS(c, "{}", "cli", NULL, "SELECT get_username() AS u, get_user_email() AS e",
	                "[{\"u\":\"cli_user\",\"e\":null}]");
	ASSERT_QUERY_AS(c, "{\"role\":\"admin\"}", "test", NULL, "SELECT get_username() AS u",
	                "[{\"u\":\"test_user\"}]");
	/* a provider's context carries its token; an empty value reads as NULL */
	ASSERT_QUERY_AS(
	        c,
	        "{\"username\":\"gh\",\"provider\":\"github\",\"external_token\":\"ghs_1\",\"email\":\"\"}",
	        NULL, NULL,
	        "SELECT get_user_provider() AS p, get_user_external_token() AS t, "
	        "get_user_email() AS e",
	        "[{\"p\":\"github\",\"t\":\"ghs_1\",\"e\":null}]");
}

static void test_headers(void **state)
{
	struct mx_dbconn *c = ((struct mx_test_db *)*state)->c;
	const char *h = "{\"x-team\":\"blue\",\"accept\":\"application/json\",\"x-n\":5,\"x-none\":null}";
	ASSERT_QUERY_AS(c, NULL, NULL, h,
	                "SELECT get_request_header('x-team') AS a, get_request_header('X-Team') AS b, "
	                "get_request_header('x-n') AS n, get_request_header('x-none') AS z, "
	                "get_request_header('nope') AS c, get_request_header(NULL) AS d, "
	                "get_request_headers_json() AS j",
	                "[{\"a\":\"blue\",\"b\":null,\"n\":\"5\",\"z\":null,\"c\":null,\"d\":null,"
	                "\"j\":\"{\\\"x-team\\\": \\\"blue\\\", \\\"accept\\\": \\\"application/json\\\", "
	                "\\\"x-n\\\": 5, \\\"x-none\\\": null}\"}]");
	/* names from a column, NULLs among them */
	ASSERT_QUERY_AS(c, NULL, NULL, h,
	                "SELECT n, get_request_header(n) AS v FROM (VALUES (1, 'x-team'), (2, NULL), "
	                "(3, 'accept'), (4, 'missing')) t(i, n) ORDER BY i",
	                "[{\"n\":\"x-team\",\"v\":\"blue\"},{\"n\":null,\"v\":null},"
	                "{\"n\":\"accept\",\"v\":\"application/json\"},{\"n\":\"missing\",\"v\":null}]");
	/* headers without a user, and the other way round */
	ASSERT_QUERY_AS(c, "{\"username\":\"u\"}", "cli", NULL, "SELECT get_request_headers_json() AS j",
	                "[{\"j\":null}]");
}

/* The same text twice through the statement cache, with different callers:
 * each sees its own values (the functions are volatile: nothing folded at
 * prepare time), and nothing is left once the call is over. */
static void test_statement_cache(void **state)
{
	struct mx_dbconn *c = ((struct mx_test_db *)*state)->c;
	const char *sql = "SELECT get_username() AS u, get_request_header('x-team') AS team";
	struct mx_dbconn_stats before, after;
	mx_dbconn_get_stats(c, &before);
	ASSERT_QUERY_AS(c, "{\"username\":\"alice\"}", "cli", "{\"x-team\":\"red\"}", sql,
	                "[{\"u\":\"alice\",\"team\":\"red\"}]");
	ASSERT_QUERY_AS(c, "{\"username\":\"bob\"}", "cli", "{\"x-team\":\"blue\"}", sql,
	                "[{\"u\":\"bob\",\"team\":\"blue\"}]");
	ASSERT_QUERY(c, sql, "[{\"u\":null,\"team\":null}]");
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(1, after.prepares - before.prepares);
	assert_int_equal(2, after.cache_hits - before.cache_hits);
}

/* Two connections of one database, each with its own caller. */
static void test_connections_apart(void **state)
{
	struct mx_test_db *f = *state;
	struct mx_dbconn *other = NULL;
	struct mx_err err;
	if (mx_db_connect(f->db, &other, &err) != 0)
		fail_msg("connect: %s", err.msg);
	json_t *alice = mx_test_json("{\"username\":\"alice\"}"),
	       *bob = mx_test_json("{\"username\":\"bob\"}");
	struct mx_call_ctx a = {.user_context = alice, .user_provider = "cli"};
	struct mx_call_ctx b = {.user_context = bob, .user_provider = "cli"};
	mx_udf_call_begin(mx_dbconn_udf_slot(f->c), &a);
	mx_udf_call_begin(mx_dbconn_udf_slot(other), &b);
	ASSERT_QUERY(f->c, "SELECT get_username() AS u", "[{\"u\":\"alice\"}]");
	ASSERT_QUERY(other, "SELECT get_username() AS u", "[{\"u\":\"bob\"}]");
	ASSERT_QUERY(f->c, "SELECT get_username() AS u", "[{\"u\":\"alice\"}]");
	mx_udf_call_end(mx_dbconn_udf_slot(f->c));
	/* a connection closed with its call still set releases it */
	mx_dbconn_close(other);
	mx_call_ctx_clear(&a);
	mx_call_ctx_clear(&b);
	json_decref(alice);
	json_decref(bob);
	/* a new connection gets a fresh, empty slot */
	if (mx_db_connect(f->db, &other, &err) != 0)
		fail_msg("connect: %s", err.msg);
	ASSERT_QUERY(other, "SELECT get_username() AS u", "[{\"u\":null}]");
	mx_dbconn_close(other);
}

/* Enough rows that DuckDB evaluates the functions on several threads. */
static void test_parallel_rows(void **state)
{
	struct mx_dbconn *c = ((struct mx_test_db *)*state)->c;
	json_decref(q(c, "SET threads = 4"));
	ASSERT_QUERY_AS(c, "{\"username\":\"alice\"}", "cli", "{\"x-team\":\"red\"}",
	                "SELECT count(*) AS n FROM range(2000000) "
	                "WHERE get_username() = 'alice' AND get_request_header('x-team') = 'red'",
	                "[{\"n\":2000000}]");
}

/* Out of memory at every allocation of opening, connecting, and a call
 * whose functions derive the user and the headers' text: a clean error (the
 * statement fails), never a crash or a leak (ASan). */
static void test_out_of_memory(void **state)
{
	(void)state;
	json_t *user = mx_test_json("{\"username\":\"alice\",\"role\":\"admin\"}");
	json_t *headers = mx_test_json("{\"x-team\":\"red\",\"accept\":\"*/*\"}");
	struct mx_call_ctx call = {.user_context = user, .user_provider = "cli", .request_headers = headers};
	const char *sql = "SELECT get_username() AS u, get_request_headers_json() AS j, "
	                  "get_request_header('x-team') AS t";
	int ok = 0;
	for (long n = 1; n < 200; n++) {
		struct mx_db_options opt = {.path = ":memory:"};
		struct mx_db *db = NULL;
		struct mx_dbconn *c = NULL;
		json_t *rows = NULL;
		struct mx_err err;
		mx_alloc_fail_after(n);
		int rc = mx_db_open(&opt, &db, &err);
		if (rc == 0)
			rc = mx_db_connect(db, &c, &err);
		if (rc == 0) {
			mx_udf_call_begin(mx_dbconn_udf_slot(c), &call);
			rc = mx_sql_query(c, sql, NULL, 0, &rows, &err);
			mx_udf_call_end(mx_dbconn_udf_slot(c));
		}
		mx_call_ctx_clear(&call);
		mx_alloc_fail_after(0);
		if (rc == 0) {
			MX_ASSERT_JSON_EQ(
			        "[{\"u\":\"alice\",\"j\":\"{\\\"x-team\\\": \\\"red\\\", \\\"accept\\\": "
			        "\\\"*/*\\\"}\",\"t\":\"red\"}]",
			        rows);
			ok++;
		} else {
			assert_null(rows);
		}
		json_decref(rows);
		mx_dbconn_close(c);
		mx_db_close(db);
	}
	assert_true(ok > 0);
	json_decref(user);
	json_decref(headers);
}

/* A read-only database file has the functions too. */
static void test_readonly_database(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof path, "%s/ro.duckdb", dir);
	struct mx_db_options opt = {.path = path, .readonly = 1};
	struct mx_db *db = NULL;
	struct mx_dbconn *c = NULL;
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0 || mx_db_connect(db, &c, &err) != 0)
		fail_msg("%s", err.msg);
	ASSERT_QUERY_AS(c, "{\"username\":\"ro\"}", "cli", NULL, "SELECT get_username() AS u",
	                "[{\"u\":\"ro\"}]");
	mx_dbconn_close(c);
	mx_db_close(db);
}

/* Through mx_invoke: the call's options reach the SQL, twice on one
 * connection with a cached statement, and are gone after. */
static void test_invoke(void **state)
{
	(void)state;
	mx_test_write(dir, "p/mxcp-site.yml",
	              "mxcp: 1\nproject: p\nprofile: default\n"
	              "profiles:\n  default:\n    duckdb:\n      path: \":memory:\"\n");
	mx_test_write(dir, "p/tools/who.yml",
	              "mxcp: 1\ntool:\n  name: who\n  description: d\n  return: {type: object}\n"
	              "  source: {code: \"SELECT get_username() AS u, get_user_provider() AS p, "
	              "get_request_header('x-team') AS team\"}\n");
	char pdir[1024];
	snprintf(pdir, sizeof pdir, "%s/p", dir);
	struct mx_project *p;
	struct mx_runtime *rt;
	struct mx_dbconn *conn;
	mx_test_open_project(pdir, &p, &rt, &conn);
	struct mx_err err;
	const struct mx_endpoint *ep = mx_project_find(p, MX_EP_TOOL, "who");
	assert_non_null(ep);
	json_t *alice = mx_test_json("{\"username\":\"alice\"}"),
	       *bob = mx_test_json("{\"username\":\"bob\"}");
	json_t *red = mx_test_json("{\"x-team\":\"red\"}"), *blue = mx_test_json("{\"x-team\":\"blue\"}");
	json_t *r = NULL;

	struct mx_call_ctx o1 = {.user_context = alice, .user_provider = "cli", .request_headers = red};
	assert_int_equal(0, mx_invoke(rt, conn, ep, NULL, &o1, NULL, &r, &err));
	mx_call_ctx_clear(&o1);
	MX_ASSERT_JSON_EQ("{\"u\":\"alice\",\"p\":\"cli\",\"team\":\"red\"}", r);
	json_decref(r);

	struct mx_call_ctx o2 = {.user_context = bob, .user_provider = "test", .request_headers = blue};
	assert_int_equal(0, mx_invoke(rt, conn, ep, NULL, &o2, NULL, &r, &err));
	mx_call_ctx_clear(&o2);
	MX_ASSERT_JSON_EQ("{\"u\":\"bob\",\"p\":\"test\",\"team\":\"blue\"}", r);
	json_decref(r);

	assert_int_equal(0, mx_invoke(rt, conn, ep, NULL, NULL, NULL, &r, &err));
	MX_ASSERT_JSON_EQ("{\"u\":null,\"p\":null,\"team\":null}", r);
	json_decref(r);

	struct mx_dbconn_stats st;
	mx_dbconn_get_stats(conn, &st);
	assert_int_equal(2, st.cache_hits);

	json_decref(alice);
	json_decref(bob);
	json_decref(red);
	json_decref(blue);
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);
}

static int group_setup(void **state)
{
	(void)state;
	mx_test_tmpdir(dir, sizeof dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mx_test_rmrf(dir);
	return 0;
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_null_without_context, mx_test_db_setup,
	                                        mx_test_db_teardown),
	        cmocka_unit_test_setup_teardown(test_user_fields, mx_test_db_setup, mx_test_db_teardown),
	        cmocka_unit_test_setup_teardown(test_headers, mx_test_db_setup, mx_test_db_teardown),
	        cmocka_unit_test_setup_teardown(test_statement_cache, mx_test_db_setup, mx_test_db_teardown),
	        cmocka_unit_test_setup_teardown(test_connections_apart, mx_test_db_setup,
	                                        mx_test_db_teardown),
	        cmocka_unit_test_setup_teardown(test_parallel_rows, mx_test_db_setup, mx_test_db_teardown),
	        cmocka_unit_test(test_out_of_memory),
	        cmocka_unit_test(test_readonly_database),
	        cmocka_unit_test(test_invoke),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
