/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/exec/sql/ (exec/sql.h): opening (files, folders, read-only,
 * offline extensions), the one-statement rule, the statement cache,
 * parameter binding by declared type, and the conversion of every DuckDB
 * type.
 */
#include "harness.h"

#include "core/alloc.h"
#include "core/json.h"
#include "exec/sql.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct mx_dbconn *conn(void **state)
{
	return ((struct mx_test_db *)*state)->c;
}

/* Run sql (no parameters) and fail the test on error. */
static json_t *q(struct mx_dbconn *c, const char *sql)
{
	json_t *rows = NULL;
	struct mx_err err;
	if (mx_sql_query(c, sql, NULL, 0, &rows, &err) != 0)
		fail_msg("query failed: %s\n  sql: %s", err.msg, sql);
	return rows;
}

static void exec(struct mx_dbconn *c, const char *sql)
{
	json_decref(q(c, sql));
}

#define ASSERT_QUERY(c, sql, expected)                \
	do {                                          \
		json_t *rows_ = q((c), (sql));        \
		MX_ASSERT_JSON_EQ((expected), rows_); \
		json_decref(rows_);                   \
	} while (0)

/* Run sql with params; the error code is returned and err filled. */
static int qp(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *p, size_t n, json_t **rows,
              struct mx_err *err)
{
	*rows = NULL;
	return mx_sql_query(c, sql, p, n, rows, err);
}

/* ------------------------------------------------------------------------ */
/* Result conversion                                                         */
/* ------------------------------------------------------------------------ */

static void test_every_type(void **state)
{
	struct mx_dbconn *c = conn(state);
	exec(c, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
	ASSERT_QUERY(c,
	             "SELECT 1::TINYINT a, 170141183460469231731687303715884105727::HUGEINT h, "
	             "1.5::DECIMAL(10,2) d, 'nan'::DOUBLE n, DATE '2024-02-29' dt, TIME '12:34:56.5' t, "
	             "TIMESTAMP '2024-01-02 03:04:05' ts, TIMESTAMPTZ '2024-01-02 03:04:05+02' tz, "
	             "INTERVAL '1 year 2 months 3 days 4 hours' i, "
	             "'550e8400-e29b-41d4-a716-446655440000'::UUID u, '\\xAA\\xBB'::BLOB b, [1,2,NULL] l, "
	             "{'x': 1, 'y': 'a'} s, MAP {'k': 1} m, 'happy'::mood e, '{\"a\":1}'::JSON j, "
	             "NULL::INTEGER nul, [1,2]::INTEGER[2] arr",
	             "[{\"a\":1,\"h\":\"170141183460469231731687303715884105727\",\"d\":1.5,\"n\":null,"
	             "\"dt\":\"2024-02-29\",\"t\":\"12:34:56.500000\",\"ts\":\"2024-01-02T03:04:05\","
	             "\"tz\":\"2024-01-02T01:04:05Z\",\"i\":\"P1Y2M3DT4H\","
	             "\"u\":\"550e8400-e29b-41d4-a716-446655440000\",\"b\":\"qrs=\",\"l\":[1,2,null],"
	             "\"s\":{\"x\":1,\"y\":\"a\"},\"m\":{\"k\":1},\"e\":\"happy\",\"j\":\"{\\\"a\\\":1}\","
	             "\"nul\":null,"
	             "\"arr\":[1,2]}]");
}

static void test_column_order(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *rows = q(c, "SELECT 3 z, 2 a, 1 m");
	char *text = mx_json_dumps(rows, MX_JSON_COMPACT);
	assert_string_equal("[{\"z\":3,\"a\":2,\"m\":1}]", text);
	mx_free(text);
	json_decref(rows);
	ASSERT_QUERY(c, "SELECT * FROM range(3) t(i) WHERE i > 5", "[]");
	ASSERT_QUERY(c, "SELECT i FROM range(3) t(i) ORDER BY i", "[{\"i\":0},{\"i\":1},{\"i\":2}]");
}

static void test_integers(void **state)
{
	struct mx_dbconn *c = conn(state);
	ASSERT_QUERY(c,
	             "SELECT (-128)::TINYINT t, (-32768)::SMALLINT s, (-2147483648)::INTEGER i, "
	             "(-9223372036854775808)::BIGINT b, 255::UTINYINT ut, 65535::USMALLINT us, "
	             "4294967295::UINTEGER ui, 9223372036854775807::UBIGINT ub1, "
	             "18446744073709551615::UBIGINT ub2, (-42)::HUGEINT h1, "
	             "(-9223372036854775808)::HUGEINT h2, (-9223372036854775809)::HUGEINT h3, "
	             "(-170141183460469231731687303715884105728)::HUGEINT h4, 7::UHUGEINT uh1, "
	             "340282366920938463463374607431768211455::UHUGEINT uh2",
	             "[{\"t\":-128,\"s\":-32768,\"i\":-2147483648,\"b\":-9223372036854775808,\"ut\":255,"
	             "\"us\":65535,\"ui\":4294967295,\"ub1\":9223372036854775807,"
	             "\"ub2\":\"18446744073709551615\",\"h1\":-42,\"h2\":-9223372036854775808,"
	             "\"h3\":\"-9223372036854775809\",\"h4\":\"-170141183460469231731687303715884105728\","
	             "\"uh1\":7,\"uh2\":\"340282366920938463463374607431768211455\"}]");
	ASSERT_QUERY(c, "SELECT 123456789012345678901234567890::BIGNUM a, (-5)::BIGNUM b, 0::BIGNUM z",
	             "[{\"a\":\"123456789012345678901234567890\",\"b\":-5,\"z\":0}]");
}

static void test_decimals_and_floats(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *rows =
	        q(c, "SELECT -12.5::DECIMAL(4,1) d2, 1234567.89::DECIMAL(9,2) d4, "
	             "-123456789012345.678::DECIMAL(18,3) d8, "
	             "1234567890123456789012345.0123456789::DECIMAL(38,10) d16, 0.01::DECIMAL(3,2) small, "
	             "42::DECIMAL(5,0) whole, 0.1::FLOAT f, 'inf'::DOUBLE pinf, '-inf'::FLOAT ninf, "
	             "2.5::DOUBLE dbl");
	json_t *row = json_array_get(rows, 0);
	assert_true(json_is_real(json_object_get(row, "d2")));
	assert_true(json_real_value(json_object_get(row, "d2")) == -12.5);
	assert_true(json_real_value(json_object_get(row, "d4")) == 1234567.89);
	assert_true(json_real_value(json_object_get(row, "d8")) == -123456789012345.678);
	assert_true(json_real_value(json_object_get(row, "d16")) == 1234567890123456789012345.0123456789);
	assert_true(json_real_value(json_object_get(row, "small")) == 0.01);
	assert_true(json_is_real(json_object_get(row, "whole")));
	assert_true(json_real_value(json_object_get(row, "whole")) == 42.0);
	assert_true(json_real_value(json_object_get(row, "f")) == 0.1);
	assert_true(json_is_null(json_object_get(row, "pinf")));
	assert_true(json_is_null(json_object_get(row, "ninf")));
	assert_true(json_real_value(json_object_get(row, "dbl")) == 2.5);
	json_decref(rows);
}

static void test_dates_and_times(void **state)
{
	struct mx_dbconn *c = conn(state);
	ASSERT_QUERY(
	        c,
	        "SELECT DATE '1970-01-01' epoch, DATE '0001-01-01' first_day, DATE '1969-12-31' day_before, "
	        "'infinity'::DATE pinf, '-infinity'::DATE ninf, TIME '00:00:00' midnight, "
	        "TIME '23:59:59.999999' last_t, TIMESTAMP '1969-12-31 23:59:59.25' ts_neg, "
	        "'infinity'::TIMESTAMP ts_inf, '-infinity'::TIMESTAMP ts_ninf, "
	        "TIMESTAMP_S '2024-01-02 03:04:05' ts_s, TIMESTAMP_MS '2024-01-02 03:04:05.123' ts_ms, "
	        "TIMESTAMP_NS '2024-01-02 03:04:05.123456789' ts_ns, "
	        "TIMESTAMP_NS '2024-01-02 03:04:05.5' ts_ns2, TIMETZ '12:34:56+02' ttz, "
	        "TIMETZ '01:02:03.5-05:30' ttz2, TIMESTAMPTZ '2024-06-30 23:30:00-01' tz",
	        "[{\"epoch\":\"1970-01-01\",\"first_day\":\"0001-01-01\",\"day_before\":\"1969-12-31\","
	        "\"pinf\":\"infinity\",\"ninf\":\"-infinity\",\"midnight\":\"00:00:00\","
	        "\"last_t\":\"23:59:59.999999\",\"ts_neg\":\"1969-12-31T23:59:59.250000\","
	        "\"ts_inf\":\"infinity\",\"ts_ninf\":\"-infinity\",\"ts_s\":\"2024-01-02T03:04:05\","
	        "\"ts_ms\":\"2024-01-02T03:04:05.123000\",\"ts_ns\":\"2024-01-02T03:04:05.123456789\","
	        "\"ts_ns2\":\"2024-01-02T03:04:05.500000\",\"ttz\":\"12:34:56+02:00\","
	        "\"ttz2\":\"01:02:03.500000-05:30\",\"tz\":\"2024-07-01T00:30:00Z\"}]");
}

static void test_calendar_edges(void **state)
{
	struct mx_dbconn *c = conn(state);
	/* Years before 1 follow ISO 8601 (astronomical numbering: 1 BC is 0000). */
	ASSERT_QUERY(c,
	             "SELECT DATE '0044-03-15 (BC)' bc, DATE '0001-01-01 (BC)' y0, "
	             "TIMESTAMP '294246-12-31 23:59:59' far, '0044-03-15 (BC) 10:00:00'::TIMESTAMP tbc, "
	             "TIMESTAMP '1900-01-01 00:00:00.000001' t1",
	             "[{\"bc\":\"-0043-03-15\",\"y0\":\"0000-01-01\",\"far\":\"294246-12-31T23:59:59\","
	             "\"tbc\":\"-0043-03-15T10:00:00\",\"t1\":\"1900-01-01T00:00:00.000001\"}]");
	/* A type the C API cannot describe is a clear error, not garbage. */
	json_t *rows;
	struct mx_err err;
	assert_int_equal(MX_EDB, qp(c, "SELECT '12:00:00'::TIME_NS AS tn", NULL, 0, &rows, &err));
	assert_non_null(strstr(err.msg, "Cannot convert column 'tn'"));
	assert_non_null(strstr(err.msg, "::VARCHAR"));
	ASSERT_QUERY(c, "SELECT '12:00:00'::TIME_NS::VARCHAR AS tn", "[{\"tn\":\"12:00:00\"}]");
}

static void test_intervals(void **state)
{
	struct mx_dbconn *c = conn(state);
	ASSERT_QUERY(
	        c,
	        "SELECT INTERVAL '0 seconds' z, INTERVAL '1 year 2 months 3 days 4 hours 5 minutes 6.5 "
	        "seconds' "
	        "all_parts, INTERVAL '-1 day' nd, INTERVAL '-90 minutes' nm, INTERVAL '-0.25 seconds' ns, "
	        "INTERVAL '14 months' mo, INTERVAL '1 microsecond' us",
	        "[{\"z\":\"PT0S\",\"all_parts\":\"P1Y2M3DT4H5M6.5S\",\"nd\":\"P-1D\",\"nm\":\"PT-1H-30M\","
	        "\"ns\":\"PT-0.25S\",\"mo\":\"P1Y2M\",\"us\":\"PT0.000001S\"}]");
}

static void test_text_blob_bit_uuid(void **state)
{
	struct mx_dbconn *c = conn(state);
	ASSERT_QUERY(c,
	             "SELECT 'héllo ☃' v, '' empty, 'a longer string that is not inlined' long, "
	             "''::BLOB b0, 'a'::BLOB b1, 'ab'::BLOB b2, 'abc'::BLOB b3, '\\x00\\xFF'::BLOB bz, "
	             "'101'::BIT bits, '1'::BIT bit1, '000011110000'::BIT bit12, "
	             "'00000000-0000-0000-0000-000000000000'::UUID u0, "
	             "'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID uf",
	             "[{\"v\":\"héllo ☃\",\"empty\":\"\",\"long\":\"a longer string that is not inlined\","
	             "\"b0\":\"\",\"b1\":\"YQ==\",\"b2\":\"YWI=\",\"b3\":\"YWJj\",\"bz\":\"AP8=\","
	             "\"bits\":\"101\",\"bit1\":\"1\",\"bit12\":\"000011110000\","
	             "\"u0\":\"00000000-0000-0000-0000-000000000000\","
	             "\"uf\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\"}]");
}

static void test_json_and_enum(void **state)
{
	struct mx_dbconn *c = conn(state);
	exec(c, "CREATE TYPE wide AS ENUM (SELECT 'v' || i::VARCHAR FROM range(300) t(i))");
	exec(c, "CREATE TYPE mood2 AS ENUM ('sad', 'happy')");
	ASSERT_QUERY(c,
	             "SELECT '[1,{\"b\":null}]'::JSON arr, '\"text\"'::JSON str, '3.5'::JSON num, "
	             "'null'::JSON jnull, 'v299'::wide w, 'sad'::mood2 m, NULL::mood2 mn, "
	             "['happy', 'sad']::mood2[] ml, {'j': '{\"x\":[true]}'::JSON} sj",
	             "[{\"arr\":\"[1,{\\\"b\\\":null}]\",\"str\":\"\\\"text\\\"\",\"num\":\"3.5\",\"jnull\":"
	             "\"null\","
	             "\"w\":\"v299\",\"m\":\"sad\",\"mn\":null,\"ml\":[\"happy\",\"sad\"],"
	             "\"sj\":{\"j\":\"{\\\"x\\\":[true]}\"}}]");
	/* parsed, for the audit trail's queries */
	mx_dbconn_parse_json(c, 1);
	ASSERT_QUERY(c,
	             "SELECT '[1,{\"b\":null}]'::JSON arr, {'j': '{\"x\":[true]}'::JSON} sj, "
	             "('{\"a\":{\"b\":2}}'::JSON) -> '$.a' p",
	             "[{\"arr\":[1,{\"b\":null}],\"sj\":{\"j\":{\"x\":[true]}},\"p\":{\"b\":2}}]");
	mx_dbconn_parse_json(c, 0);
}

static void test_nested(void **state)
{
	struct mx_dbconn *c = conn(state);
	ASSERT_QUERY(c,
	             "SELECT [{'a': 1, 'b': [DATE '2024-01-01']}, NULL, {'a': NULL, 'b': []}] ls, "
	             "[[1, 2], NULL, []] ll, NULL::INTEGER[] lnull, {'s': {'t': [1]}} ss, "
	             "NULL::STRUCT(a INT) snull, MAP {1: 'one', 2: NULL} mi, MAP {DATE '2024-01-01': 1} md, "
	             "MAP {} me, [[1,2],[3,4]]::INTEGER[2][2] aa, [NULL, 3]::INTEGER[2] an, "
	             "union_value(num := 2)::UNION(num INT, str VARCHAR) un, "
	             "union_value(str := 'x')::UNION(num INT, str VARCHAR) us, "
	             "NULL::UNION(num INT, str VARCHAR) unull",
	             "[{\"ls\":[{\"a\":1,\"b\":[\"2024-01-01\"]},null,{\"a\":null,\"b\":[]}],"
	             "\"ll\":[[1,2],null,[]],\"lnull\":null,\"ss\":{\"s\":{\"t\":[1]}},\"snull\":null,"
	             "\"mi\":{\"1\":\"one\",\"2\":null},\"md\":{\"2024-01-01\":1},\"me\":{},"
	             "\"aa\":[[1,2],[3,4]],\"an\":[null,3],\"un\":2,\"us\":\"x\",\"unull\":null}]");
}

static void test_many_rows(void **state)
{
	struct mx_dbconn *c = conn(state);
	/* Several chunks (2048 rows each), NULLs mixed in. */
	json_t *rows =
	        q(c, "SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'r' || i END s FROM range(5000) t(i) "
	             "ORDER BY i");
	assert_int_equal(5000, json_array_size(rows));
	json_t *last = json_array_get(rows, 4999);
	assert_int_equal(4999, json_integer_value(json_object_get(last, "i")));
	assert_string_equal("r4999", json_string_value(json_object_get(last, "s")));
	assert_true(json_is_null(json_object_get(json_array_get(rows, 4998), "s")));
	json_decref(rows);
}

static void test_ddl_and_dml(void **state)
{
	struct mx_dbconn *c = conn(state);
	exec(c, "CREATE TABLE people(id INTEGER, name VARCHAR)");
	ASSERT_QUERY(c, "INSERT INTO people VALUES (1, 'ann'), (2, 'bob')", "[{\"Count\":2}]");
	ASSERT_QUERY(c, "SELECT * FROM people ORDER BY id",
	             "[{\"id\":1,\"name\":\"ann\"},{\"id\":2,\"name\":\"bob\"}]");
	/* A cached statement still sees the table after it changes. */
	exec(c, "ALTER TABLE people ADD COLUMN age INTEGER DEFAULT 30");
	ASSERT_QUERY(c, "SELECT * FROM people ORDER BY id",
	             "[{\"id\":1,\"name\":\"ann\",\"age\":30},{\"id\":2,\"name\":\"bob\",\"age\":30}]");
	exec(c, "DROP TABLE people");
	exec(c, "CREATE TABLE people(x VARCHAR)");
	json_t *rows;
	struct mx_err err;
	assert_int_equal(MX_EDB, qp(c, "SELECT * FROM people ORDER BY id", NULL, 0, &rows, &err));
	assert_non_null(strstr(err.msg, "id"));
	ASSERT_QUERY(c, "SELECT * FROM people ORDER BY x", "[]");
	exec(c, "DROP TABLE people");
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

static void test_one_statement(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *rows;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, qp(c, "SELECT 1; SELECT 2", NULL, 0, &rows, &err));
	assert_string_equal("SQL must contain exactly one statement, found 2", err.msg);
	assert_null(rows);
	assert_int_equal(MX_EINVAL, qp(c, "", NULL, 0, &rows, &err));
	assert_string_equal("SQL must contain exactly one statement, found 0", err.msg);
	assert_int_equal(MX_EINVAL, qp(c, "  -- only a comment\n", NULL, 0, &rows, &err));
	assert_int_equal(MX_EDB, qp(c, "SELEC 1", NULL, 0, &rows, &err));
	assert_non_null(strstr(err.msg, "Parser Error"));
	/* A trailing semicolon is still one statement. */
	ASSERT_QUERY(c, "SELECT 1 AS one;", "[{\"one\":1}]");
	json_t *names;
	assert_int_equal(MX_EINVAL, mx_sql_check(c, "SELECT 1; SELECT 2; SELECT 3", &names, &err));
	assert_string_equal("SQL must contain exactly one statement, found 3", err.msg);
}

static void test_unknown_table(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *rows;
	struct mx_err err;
	assert_int_equal(MX_EDB, qp(c, "SELECT * FROM no_such_table", NULL, 0, &rows, &err));
	assert_non_null(strstr(err.msg, "Catalog Error: Table with name no_such_table does not exist"));
	json_t *names;
	assert_int_equal(MX_EDB, mx_sql_check(c, "SELECT nope FROM range(3)", &names, &err));
	assert_non_null(strstr(err.msg, "nope"));
	assert_null(names);
	/* Errors at run time, after a successful prepare. */
	assert_int_equal(MX_EDB, qp(c, "SELECT 'x'::INTEGER", NULL, 0, &rows, &err));
	assert_non_null(strstr(err.msg, "Conversion Error"));
}

static void test_check_params(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *names;
	struct mx_err err;
	assert_int_equal(0,
	                 mx_sql_check(c, "SELECT $zeta, $alpha, $mid, $alpha || 'x' AS again", &names, &err));
	MX_ASSERT_JSON_EQ("[\"alpha\",\"mid\",\"zeta\"]", names);
	json_decref(names);
	assert_int_equal(0, mx_sql_check(c, "SELECT 1", &names, &err));
	MX_ASSERT_JSON_EQ("[]", names);
	json_decref(names);
	assert_int_equal(0, mx_sql_check(c, "SELECT * FROM range(10) t(i) WHERE i > $min AND epoch($d) > 0",
	                                 &names, &err));
	MX_ASSERT_JSON_EQ("[\"d\",\"min\"]", names);
	json_decref(names);
}

/* A parameter DuckDB cannot type at prepare ($n + 1) is given the declared
 * type; quoted text, comments and other parameters are left alone, and the
 * result is the same as without the hint. */
static void test_param_hints(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tint = {.kind = MX_T_INTEGER};
	struct mx_type tstr = {.kind = MX_T_STRING};
	struct mx_type tdate = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	struct mx_dbconn_stats before, after;
	json_t *rows;
	struct mx_err err;

	mx_dbconn_get_stats(c, &before);
	json_t *n = json_integer(41);
	struct mx_sql_param p1 = {.name = "n", .value = n, .type = &tint};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(0, qp(c, "SELECT $n + 1 AS n", &p1, 1, &rows, &err));
		MX_ASSERT_JSON_EQ("[{\"n\":42}]", rows);
		json_decref(rows);
	}
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(before.hinted + 1, after.hinted);
	assert_int_equal(before.prepares + 1, after.prepares);

	/* Quoted and commented "$n" are text, not parameters. */
	json_t *name = json_string("it's");
	json_t *d = json_string("2024-02-29");
	struct mx_sql_param ps[] = {{.name = "name", .value = name, .type = &tstr},
	                            {.name = "n", .value = n, .type = &tint},
	                            {.name = "d", .value = d, .type = &tdate}};
	const char *sql = "SELECT 'a $n '' $name' AS q, \"$n\" AS x, E'\\' $n' AS e, $$ $n $$ AS dq, "
	                  "$name || '!' AS g, -- $n\n /* $n /* $n */ */ $n * 2 AS n2, $d + 1 AS d1, "
	                  "1 AS l FROM (SELECT 1 AS \"$n\")";
	mx_dbconn_get_stats(c, &before);
	assert_int_equal(0, qp(c, sql, ps, 3, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"q\":\"a $n ' $name\",\"x\":1,\"e\":\"' $n\",\"dq\":\" $n \",\"g\":\"it's!\","
	                  "\"n2\":82,\"d1\":\"2024-03-01\",\"l\":1}]",
	                  rows);
	json_decref(rows);
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(before.hinted + 1, after.hinted);

	/* A bare `SELECT $n` would be renamed by the cast: the original is kept. */
	mx_dbconn_get_stats(c, &before);
	assert_int_equal(0, qp(c, "SELECT $n", &p1, 1, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"$n\":41}]", rows);
	json_decref(rows);
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(before.hinted, after.hinted);

	/* Untyped parameters (mxcp query) get no hint. */
	struct mx_sql_param p0 = {.name = "n", .value = n};
	mx_dbconn_get_stats(c, &before);
	assert_int_equal(0, qp(c, "SELECT $n + 1 AS n", &p0, 1, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"n\":42}]", rows);
	json_decref(rows);
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(before.hinted, after.hinted);

	/* SQL NULL through a hinted statement. */
	struct mx_sql_param pnull = {.name = "n", .value = NULL, .type = &tint};
	assert_int_equal(0, qp(c, "SELECT $n + 1 AS n", &pnull, 1, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"n\":null}]", rows);
	json_decref(rows);
	json_decref(n);
	json_decref(name);
	json_decref(d);
}

/* A cached statement is prepared afresh after 4,096 executions (DuckDB
 * keeps memory per execution of some statements until they are destroyed);
 * hinted statements stay hinted, results stay right. */
static void test_statement_recycle(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tint = {.kind = MX_T_INTEGER};
	struct mx_dbconn_stats before, after;
	mx_dbconn_get_stats(c, &before);
	json_t *n = json_integer(0);
	struct mx_sql_param p = {.name = "n", .value = n, .type = &tint};
	for (int i = 0; i < 4096 + 10; i++) {
		json_t *rows;
		struct mx_err err;
		json_integer_set(n, i);
		assert_int_equal(0, qp(c, "SELECT $n + 1 AS recycled", &p, 1, &rows, &err));
		assert_int_equal(i + 1,
		                 json_integer_value(json_object_get(json_array_get(rows, 0), "recycled")));
		json_decref(rows);
	}
	json_decref(n);
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(before.recycled + 1, after.recycled);
	assert_int_equal(before.hinted + 1, after.hinted);
	assert_int_equal(before.prepares + 1, after.prepares);
}

static void test_statement_cache(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_dbconn_stats before, after;
	mx_dbconn_get_stats(c, &before);
	const char *sql = "SELECT 'cache test' AS k, $n + 1 AS n";
	json_t *v = json_integer(1);
	struct mx_sql_param p = {.name = "n", .value = v};
	for (int i = 0; i < 3; i++) {
		json_t *rows;
		struct mx_err err;
		json_integer_set(v, i);
		assert_int_equal(0, qp(c, sql, &p, 1, &rows, &err));
		assert_int_equal(i + 1, json_integer_value(json_object_get(json_array_get(rows, 0), "n")));
		json_decref(rows);
	}
	json_decref(v);
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(before.prepares + 1, after.prepares);
	assert_int_equal(before.cache_hits + 2, after.cache_hits);
	/* A missing parameter on a cached statement must not reuse the old value. */
	json_t *rows;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, qp(c, sql, NULL, 0, &rows, &err));
	assert_string_equal("Values were not provided for the following prepared statement parameters: n",
	                    err.msg);
	/* The cache is bounded. */
	for (int i = 0; i < 100; i++) {
		char q2[64];
		snprintf(q2, sizeof q2, "SELECT %d AS v", i);
		json_decref(q(c, q2));
	}
	mx_dbconn_get_stats(c, &after);
	assert_int_equal(64, after.cached);
	assert_true(after.evictions >= 36);
	ASSERT_QUERY(c, "SELECT 99 AS v", "[{\"v\":99}]");
	ASSERT_QUERY(c, "SELECT 0 AS v", "[{\"v\":0}]");
}

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */
/* ------------------------------------------------------------------------ */

static void test_bind_by_json_type(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *vals[] = {mx_test_json("\"txt\""),
	                  mx_test_json("42"),
	                  mx_test_json("2.5"),
	                  mx_test_json("true"),
	                  mx_test_json("[1, 2, 3]"),
	                  mx_test_json("{\"x\": 1, \"y\": \"a\"}"),
	                  mx_test_json("null"),
	                  mx_test_json("[1, 2.5]"),
	                  mx_test_json("[]"),
	                  mx_test_json("{}"),
	                  mx_test_json("[{\"a\": 1}, {\"b\": \"x\"}]"),
	                  mx_test_json("[1, \"a\", true]"),
	                  mx_test_json("9007199254740993")};
	struct mx_sql_param p[] = {
	        {"s", vals[0], NULL},    {"i", vals[1], NULL},   {"r", vals[2], NULL},
	        {"b", vals[3], NULL},    {"l", vals[4], NULL},   {"o", vals[5], NULL},
	        {"n", vals[6], NULL},    {"lm", vals[7], NULL},  {"le", vals[8], NULL},
	        {"oe", vals[9], NULL},   {"lo", vals[10], NULL}, {"lx", vals[11], NULL},
	        {"big", vals[12], NULL},
	};
	json_t *rows;
	struct mx_err err;
	int rc = qp(
	        c,
	        "SELECT $s s, typeof($s) ts, $i i, typeof($i) ti, $r r, typeof($r) tr, $b b, typeof($b) tb, "
	        "$l l, typeof($l) tl, $o o, $o.y oy, $n n, $lm lm, typeof($lm) tlm, len($le) le, "
	        "cardinality($oe) oe, $lo lo, $lx lx, typeof($lx) tlx, $big big",
	        p, sizeof p / sizeof p[0], &rows, &err);
	if (rc)
		fail_msg("%s", err.msg);
	MX_ASSERT_JSON_EQ(
	        "[{\"s\":\"txt\",\"ts\":\"VARCHAR\",\"i\":42,\"ti\":\"BIGINT\",\"r\":2.5,\"tr\":\"DOUBLE\","
	        "\"b\":true,\"tb\":\"BOOLEAN\",\"l\":[1,2,3],\"tl\":\"BIGINT[]\",\"o\":{\"x\":1,\"y\":\"a\"},"
	        "\"oy\":\"a\",\"n\":null,\"lm\":[1.0,2.5],\"tlm\":\"DOUBLE[]\",\"le\":0,\"oe\":0,"
	        "\"lo\":[{\"a\":1,\"b\":null},{\"a\":null,\"b\":\"x\"}],\"lx\":[\"1\",\"a\",\"true\"],"
	        "\"tlx\":\"VARCHAR[]\",\"big\":9007199254740993}]",
	        rows);
	json_decref(rows);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		json_decref(vals[i]);
}

static void test_bind_formats(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tdate = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	struct mx_type ttime = {.kind = MX_T_STRING, .format = MX_FMT_TIME};
	struct mx_type tdt = {.kind = MX_T_STRING, .format = MX_FMT_DATE_TIME};
	struct mx_type tts = {.kind = MX_T_STRING, .format = MX_FMT_TIMESTAMP};
	struct mx_type tstr = {.kind = MX_T_STRING, .format = MX_FMT_EMAIL};
	json_t *d = mx_test_json("\"2024-02-29\""), *t = mx_test_json("\"12:34:56.5\""),
	       *dt = mx_test_json("\"2024-01-02T03:04:05+02:00\""),
	       *ts = mx_test_json("\"2024-01-02 03:04:05.123456\""),
	       *dz = mx_test_json("\"2024-01-02T03:04:05Z\""), *email = mx_test_json("\"a@b.c\""),
	       *tz = mx_test_json("\"23:30:00-01:00\"");
	struct mx_sql_param p[] = {
	        {"d", d, &tdate}, {"t", t, &ttime},    {"dt", dt, &tdt},   {"ts", ts, &tts},
	        {"dz", dz, &tdt}, {"e", email, &tstr}, {"tz", tz, &ttime},
	};
	json_t *rows;
	struct mx_err err;
	int rc = qp(
	        c,
	        "SELECT epoch($d) AS ep, $d d, typeof($d) td, $d + 1 nextday, $t t, typeof($t) tt, $dt dt, "
	        "typeof($dt) tdt, $ts ts, $dz dz, epoch($dz) epz, $e e, typeof($e) te, $tz tz",
	        p, sizeof p / sizeof p[0], &rows, &err);
	if (rc)
		fail_msg("%s", err.msg);
	MX_ASSERT_JSON_EQ(
	        "[{\"ep\":1709164800.0,\"d\":\"2024-02-29\",\"td\":\"DATE\",\"nextday\":\"2024-03-01\","
	        "\"t\":\"12:34:56.500000\",\"tt\":\"TIME\",\"dt\":\"2024-01-02T01:04:05\","
	        "\"tdt\":\"TIMESTAMP\",\"ts\":\"2024-01-02T03:04:05.123456\","
	        "\"dz\":\"2024-01-02T03:04:05\",\"epz\":1704164645.0,\"e\":\"a@b.c\",\"te\":\"VARCHAR\","
	        "\"tz\":\"00:30:00\"}]",
	        rows);
	json_decref(rows);
	/* Only the date parameter: the key behaviour on its own. */
	assert_int_equal(0, qp(c, "SELECT epoch($d) AS e", p, 1, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"e\":1709164800}]", rows);
	json_decref(rows);
	json_decref(d);
	json_decref(t);
	json_decref(dt);
	json_decref(ts);
	json_decref(dz);
	json_decref(email);
	json_decref(tz);
}

static void test_bind_declared_containers(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tdate = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	struct mx_type tnum = {.kind = MX_T_NUMBER};
	struct mx_type tint = {.kind = MX_T_INTEGER};
	struct mx_type tbool = {.kind = MX_T_BOOLEAN};
	struct mx_type tdates = {.kind = MX_T_ARRAY, .items = &tdate};
	struct mx_type tnums = {.kind = MX_T_ARRAY, .items = &tnum};
	struct mx_type tints = {.kind = MX_T_ARRAY, .items = &tint};
	struct mx_type_prop props[] = {{"when", &tdate}, {"n", &tint}, {"flag", &tbool}};
	struct mx_type tobj = {.kind = MX_T_OBJECT, .properties = props, .nproperties = 3};
	struct mx_type tobjs = {.kind = MX_T_ARRAY, .items = &tobj};
	json_t *dates = mx_test_json("[\"2024-01-01\", null, \"2024-12-31\"]"),
	       *nums = mx_test_json("[1, 2]"), *ints = mx_test_json("[]"),
	       *obj = mx_test_json("{\"when\": \"2024-05-06\", \"extra\": \"x\"}"),
	       *objs = mx_test_json("[{\"when\": \"2024-01-01\", \"n\": 1}, {\"n\": 2.0, \"flag\": false}]"),
	       *n = mx_test_json("7"), *num = mx_test_json("3");
	struct mx_sql_param p[] = {
	        {"dates", dates, &tdates}, {"nums", nums, &tnums}, {"ints", ints, &tints},
	        {"obj", obj, &tobj},       {"objs", objs, &tobjs}, {"n", n, &tint},
	        {"num", num, &tnum},
	};
	json_t *rows;
	struct mx_err err;
	int rc = qp(
	        c,
	        "SELECT typeof($dates) td, $dates[1] + 1 d1, typeof($nums) tn, $nums n, typeof($ints) ti, "
	        "len($ints) li, typeof($obj) tobj, $obj o, $obj.when - DATE '2024-05-01' diff, $objs objs, "
	        "typeof($n) tint, typeof($num) tnum, $num num",
	        p, sizeof p / sizeof p[0], &rows, &err);
	if (rc)
		fail_msg("%s", err.msg);
	MX_ASSERT_JSON_EQ(
	        "[{\"td\":\"DATE[]\",\"d1\":\"2024-01-02\",\"tn\":\"DOUBLE[]\",\"n\":[1.0,2.0],"
	        "\"ti\":\"BIGINT[]\",\"li\":0,"
	        "\"tobj\":\"STRUCT(\\\"when\\\" DATE, n BIGINT, flag BOOLEAN, extra VARCHAR)\","
	        "\"o\":{\"when\":\"2024-05-06\",\"n\":null,\"flag\":null,\"extra\":\"x\"},\"diff\":5,"
	        "\"objs\":[{\"when\":\"2024-01-01\",\"n\":1,\"flag\":null},"
	        "{\"when\":null,\"n\":2,\"flag\":false}],"
	        "\"tint\":\"BIGINT\",\"tnum\":\"DOUBLE\",\"num\":3.0}]",
	        rows);
	json_decref(rows);
	/* Unnest a list parameter against a table. */
	exec(c, "CREATE TABLE ev(day DATE, v INTEGER)");
	exec(c, "INSERT INTO ev VALUES ('2024-01-01', 1), ('2024-06-01', 2), ('2024-12-31', 3)");
	assert_int_equal(0, qp(c, "SELECT v FROM ev WHERE day IN (SELECT unnest($dates)) ORDER BY v", p, 1,
	                       &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"v\":1},{\"v\":3}]", rows);
	json_decref(rows);
	exec(c, "DROP TABLE ev");
	json_decref(dates);
	json_decref(nums);
	json_decref(ints);
	json_decref(obj);
	json_decref(objs);
	json_decref(n);
	json_decref(num);
}

static void test_bind_nulls_and_extras(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tdate = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	json_t *jn = json_null(), *one = mx_test_json("1");
	struct mx_sql_param p[] = {
	        {"a", NULL, NULL},
	        {"b", jn, &tdate},
	        {"unused", one, NULL},
	        {"c", one, NULL},
	};
	json_t *rows;
	struct mx_err err;
	assert_int_equal(0, qp(c, "SELECT $a a, $b b, $c c, $a IS NULL AS a_null", p, 4, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"a\":null,\"b\":null,\"c\":1,\"a_null\":true}]", rows);
	json_decref(rows);
	/* Parameter names match without regard to case, as DuckDB's do. */
	assert_int_equal(0, qp(c, "SELECT $C AS c", p, 4, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"c\":1}]", rows);
	json_decref(rows);
	json_decref(jn);
	json_decref(one);
}

static void test_bind_errors(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tdate = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	struct mx_type tdt = {.kind = MX_T_STRING, .format = MX_FMT_DATE_TIME};
	struct mx_type tdates = {.kind = MX_T_ARRAY, .items = &tdate};
	json_t *bad = mx_test_json("\"2024-02-30\""), *badlist = mx_test_json("[\"2024-01-01\", \"nope\"]"),
	       *baddt = mx_test_json("\"2024-01-02T25:00\"");
	json_t *rows;
	struct mx_err err;
	struct mx_sql_param p1 = {"d", bad, &tdate};
	assert_int_equal(MX_EINVAL, qp(c, "SELECT $d", &p1, 1, &rows, &err));
	assert_string_equal("Invalid date (expected YYYY-MM-DD) for parameter 'd': '2024-02-30'", err.msg);
	struct mx_sql_param p2 = {"days", badlist, &tdates};
	assert_int_equal(MX_EINVAL, qp(c, "SELECT $days", &p2, 1, &rows, &err));
	assert_string_equal("Invalid date (expected YYYY-MM-DD) for parameter 'days[1]': 'nope'", err.msg);
	struct mx_sql_param p3 = {"t", baddt, &tdt};
	assert_int_equal(MX_EINVAL, qp(c, "SELECT $t", &p3, 1, &rows, &err));
	assert_non_null(strstr(err.msg, "parameter 't'"));
	assert_int_equal(MX_EINVAL, qp(c, "SELECT $x + $y + $z", &p1, 1, &rows, &err));
	assert_string_equal(
	        "Values were not provided for the following prepared statement parameters: x, y, z", err.msg);
	json_decref(bad);
	json_decref(badlist);
	json_decref(baddt);
}

/* As MXCP's DuckDB, known extensions install and load on use; with
 * MXCP_OFFLINE neither. */
static void test_settings_offline(void **state)
{
	struct mx_dbconn *c = conn(state);
	static const char qs[] = "SELECT current_setting('autoinstall_known_extensions') AS ai, "
	                         "current_setting('autoload_known_extensions') AS al";
	ASSERT_QUERY(c, qs, "[{\"ai\":true,\"al\":true}]");
	setenv("MXCP_OFFLINE", "1", 1);
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_db *db;
	struct mx_err err;
	int rc = mx_db_open(&opt, &db, &err);
	unsetenv("MXCP_OFFLINE");
	assert_int_equal(0, rc);
	struct mx_dbconn *off;
	assert_int_equal(0, mx_db_connect(db, &off, &err));
	ASSERT_QUERY(off, qs, "[{\"ai\":false,\"al\":false}]");
	mx_dbconn_close(off);
	mx_db_close(db);
}

/* ------------------------------------------------------------------------ */
/* Limits, interrupt, progress                                               */
/* ------------------------------------------------------------------------ */

static void test_limits(void **state)
{
	struct mx_dbconn *c = conn(state);
	json_t *rows;
	struct mx_err err;
	mx_dbconn_set_limits(c, 10, 0);
	json_decref(q(c, "SELECT * FROM range(10)"));
	assert_int_equal(MX_ELIMIT, qp(c, "SELECT * FROM range(11)", NULL, 0, &rows, &err));
	assert_string_equal("Query result exceeds the limit of 10 rows; narrow the query (filters, LIMIT, "
	                    "aggregation) or raise MXCP_SQL_MAX_ROWS",
	                    err.msg);
	assert_null(rows);
	mx_dbconn_set_limits(c, 0, 1000);
	assert_int_equal(MX_ELIMIT, qp(c, "SELECT repeat('x', 2000) AS s", NULL, 0, &rows, &err));
	assert_string_equal("Query result exceeds the limit of 1000 bytes (at row 1); narrow the query "
	                    "(filters, LIMIT, aggregation) or raise MXCP_SQL_MAX_BYTES",
	                    err.msg);
	mx_dbconn_set_limits(c, 0, 0);
	json_decref(q(c, "SELECT repeat('x', 2000) AS s"));
	/* the bytes count each row object and value as it is held: 100 rows of
	 * one integer are 100 * (ROW + FIELD + VALUE) bytes, not 800 */
	size_t per_row = MX_SQL_ROW_BYTES + MX_SQL_FIELD_BYTES + MX_SQL_VALUE_BYTES;
	mx_dbconn_set_limits(c, 0, 100 * per_row);
	json_decref(q(c, "SELECT * FROM range(100)"));
	assert_int_equal(MX_ELIMIT, qp(c, "SELECT * FROM range(101)", NULL, 0, &rows, &err));
	/* the environment sets the defaults */
	setenv("MXCP_SQL_MAX_ROWS", "5", 1);
	mx_dbconn_set_limits(c, 0, 0);
	json_decref(q(c, "SELECT * FROM range(5)"));
	assert_int_equal(MX_ELIMIT, qp(c, "SELECT * FROM range(6)", NULL, 0, &rows, &err));
	setenv("MXCP_SQL_MAX_ROWS", "not a number", 1);
	mx_dbconn_set_limits(c, 0, 0);
	json_decref(q(c, "SELECT * FROM range(6)"));
	unsetenv("MXCP_SQL_MAX_ROWS");
	mx_dbconn_set_limits(c, 0, 0);
}

struct slow_query {
	struct mx_dbconn *c;
	int rc;
	int done;
	struct mx_err err;
};

static void *run_slow(void *arg)
{
	struct slow_query *sq = arg;
	json_t *rows = NULL;
	sq->rc = mx_sql_query(
	        sq->c,
	        "SELECT sum(a.i * b.i) AS s FROM range(20000000) a(i), (SELECT * FROM range(1000)) b(i)",
	        NULL, 0, &rows, &sq->err);
	json_decref(rows);
	__atomic_store_n(&sq->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void test_interrupt_and_progress(void **state)
{
	struct mx_dbconn *c = conn(state);
	assert_true(mx_dbconn_progress(c) < 0);
	struct slow_query sq = {.c = c};
	pthread_t th;
	assert_int_equal(0, pthread_create(&th, NULL, run_slow, &sq));
	double seen = -1;
	for (int i = 0; i < 50 && seen < 0 && !__atomic_load_n(&sq.done, __ATOMIC_SEQ_CST); i++) {
		sleep_ms(20);
		seen = mx_dbconn_progress(c);
	}
	for (int i = 0; i < 500 && !__atomic_load_n(&sq.done, __ATOMIC_SEQ_CST); i++) {
		mx_dbconn_interrupt(c);
		sleep_ms(10);
	}
	pthread_join(th, NULL);
	assert_int_equal(MX_ECANCELLED, sq.rc);
	assert_non_null(strstr(sq.err.msg, "Interrupted"));
	/* DuckDB reports progress between tasks only, so a query may show
	 * none; when it does, it is a fraction. */
	assert_true(seen == -1 || (seen >= 0 && seen <= 1));
	/* The connection works again afterwards. */
	ASSERT_QUERY(c, "SELECT 1 AS one", "[{\"one\":1}]");
}

static void test_out_of_memory(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct mx_type tdate = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	struct mx_type tdates = {.kind = MX_T_ARRAY, .items = &tdate};
	json_t *dates = mx_test_json("[\"2024-01-01\", \"2024-01-02\"]"),
	       *obj = mx_test_json("{\"a\": [1, 2], \"b\": {\"c\": \"x\"}}");
	struct mx_sql_param p[] = {{"d", dates, &tdates}, {"o", obj, NULL}};
	const char *sql = "SELECT $d d, $o o, MAP {1: [INTERVAL 1 DAY]} m, 'x' || range AS s FROM range(3)";
	int ok = 0;
	for (long n = 1; n < 400; n++) {
		json_t *rows = NULL;
		struct mx_err err;
		mx_alloc_fail_after(n);
		int rc = mx_sql_query(c, sql, p, 2, &rows, &err);
		mx_alloc_fail_after(0);
		if (rc == 0) {
			assert_int_equal(3, json_array_size(rows));
			json_decref(rows);
			ok++;
		} else {
			assert_null(rows);
		}
	}
	assert_true(ok > 0);
	json_decref(dates);
	json_decref(obj);
}

/* ------------------------------------------------------------------------ */
/* Opening databases                                                         */
/* ------------------------------------------------------------------------ */

static void test_open_memory(void **state)
{
	(void)state;
	const char *paths[] = {":memory:", NULL, ""};
	for (size_t i = 0; i < 3; i++) {
		struct mx_db_options opt = {.path = paths[i], .readonly = i == 0};
		struct mx_db *db;
		struct mx_dbconn *c;
		struct mx_err err;
		assert_int_equal(0, mx_db_open(&opt, &db, &err));
		assert_int_equal(0, mx_db_connect(db, &c, &err));
		exec(c, "CREATE TABLE t AS SELECT 1 AS x");
		ASSERT_QUERY(c, "SELECT x FROM t", "[{\"x\":1}]");
		mx_dbconn_close(c);
		mx_db_close(db);
	}
}

static void test_open_file_creates_folders(void **state)
{
	(void)state;
	char dir[512], path[1024];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/data/nested/db-dev.duckdb", dir);
	struct mx_db_options opt = {.path = path};
	struct mx_db *db;
	struct mx_dbconn *c, *c2;
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(0, mx_db_connect(db, &c, &err));
	assert_int_equal(0, mx_db_connect(db, &c2, &err));
	exec(c, "CREATE TABLE t(v INTEGER)");
	exec(c, "INSERT INTO t VALUES (5)");
	/* A second connection of the same database sees the data. */
	ASSERT_QUERY(c2, "SELECT v FROM t", "[{\"v\":5}]");
	mx_dbconn_close(c2);
	mx_dbconn_close(c);
	mx_db_close(db);
	struct stat sb;
	assert_int_equal(0, stat(path, &sb));

	/* Read-only: reads work, writes fail. */
	opt.readonly = 1;
	assert_int_equal(0, mx_db_open(&opt, &db, &err));
	assert_int_equal(0, mx_db_connect(db, &c, &err));
	ASSERT_QUERY(c, "SELECT v FROM t", "[{\"v\":5}]");
	json_t *rows;
	assert_int_equal(MX_EDB, qp(c, "INSERT INTO t VALUES (6)", NULL, 0, &rows, &err));
	assert_non_null(strstr(err.msg, "read-only"));
	assert_int_equal(MX_EDB, qp(c, "CREATE TABLE u(x INTEGER)", NULL, 0, &rows, &err));
	mx_dbconn_close(c);
	mx_db_close(db);

	/* A parent path that is a file is reported with the folder. */
	char bad[1100];
	snprintf(bad, sizeof bad, "%s/db.duckdb", path);
	struct mx_db_options bopt = {.path = bad};
	assert_int_equal(MX_EIO, mx_db_open(&bopt, &db, &err));
	assert_non_null(strstr(err.msg, "Cannot create folder"));
	mx_test_rmrf(dir);
}

static void test_open_readonly_missing_file(void **state)
{
	(void)state;
	char dir[512], path[1024];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/sub/ro.duckdb", dir);
	struct mx_db_options opt = {.path = path, .readonly = 1};
	struct mx_db *db;
	struct mx_dbconn *c;
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(0, access(path, F_OK));
	assert_int_equal(0, mx_db_connect(db, &c, &err));
	ASSERT_QUERY(c, "SELECT count(*) AS n FROM information_schema.tables", "[{\"n\":0}]");
	json_t *rows;
	assert_int_equal(MX_EDB, qp(c, "CREATE TABLE t(x INTEGER)", NULL, 0, &rows, &err));
	mx_dbconn_close(c);
	mx_db_close(db);
	mx_test_rmrf(dir);
}

static void test_open_errors(void **state)
{
	(void)state;
	char dir[512], path[1024];
	mx_test_tmpdir(dir, sizeof dir);
	mx_test_write(dir, "garbage.duckdb",
	              "this is not a database file at all, not even close............");
	snprintf(path, sizeof path, "%s/garbage.duckdb", dir);
	struct mx_db_options opt = {.path = path};
	struct mx_db *db = NULL;
	struct mx_err err;
	assert_int_equal(MX_EDB, mx_db_open(&opt, &db, &err));
	assert_null(db);
	assert_non_null(strstr(err.msg, path));
	mx_test_rmrf(dir);
}

static void test_extensions(void **state)
{
	(void)state;
	struct mx_db *db;
	struct mx_err err;
	/* Statically linked extensions load. */
	struct mx_db_extension ok[] = {{.name = "json", .repo = NULL},
	                               {.name = "parquet", .repo = NULL},
	                               {.name = "icu", .repo = NULL}};
	struct mx_db_options opt = {.path = ":memory:", .extensions = ok, .nextensions = 3};
	if (mx_db_open(&opt, &db, &err) != 0)
		fail_msg("%s", err.msg);
	struct mx_dbconn *c;
	assert_int_equal(0, mx_db_connect(db, &c, &err));
	ASSERT_QUERY(c, "SELECT json_extract_string('{\"a\":\"b\"}', '$.a') AS v", "[{\"v\":\"b\"}]");
	mx_dbconn_close(c);
	mx_db_close(db);
	/* Offline (MXCP_OFFLINE), an extension that would need a download is a
	 * clear error naming where it is listed, fast. */
	struct mx_db_extension missing[] = {
	        {.name = "json", .repo = NULL},
	        {.name = "httpfs", .repo = "core_nightly", .file = "mxcp-site.yml", .line = 7, .col = 5}};
	opt.extensions = missing;
	opt.nextensions = 2;
	setenv("MXCP_OFFLINE", "1", 1);
	time_t t0 = time(NULL);
	assert_int_equal(MX_EDB, mx_db_open(&opt, &db, &err));
	unsetenv("MXCP_OFFLINE");
	assert_true(time(NULL) - t0 < 5);
	assert_string_equal(err.file, "mxcp-site.yml");
	assert_int_equal(err.line, 7);
	assert_non_null(strstr(
	        err.msg,
	        "extensions: 'httpfs' is not installed, and MXCP_OFFLINE keeps mxcp from installing it"));
	struct mx_db_extension evil[] = {{.name = "json; DROP TABLE x", .repo = NULL}};
	opt.extensions = evil;
	opt.nextensions = 1;
	assert_int_equal(MX_EINVAL, mx_db_open(&opt, &db, &err));
}

/* ------------------------------------------------------------------------ */
/* The file sandbox, the locked configuration, guarded scripts              */
/* ------------------------------------------------------------------------ */

/* A query that must fail with DuckDB's error; returns the message. */
static const char *q_fails(struct mx_dbconn *c, const char *sql, struct mx_err *err)
{
	json_t *rows = NULL;
	if (mx_sql_query(c, sql, NULL, 0, &rows, err) == 0)
		fail_msg("expected an error from: %s", sql);
	return err->msg;
}

static void test_sandbox(void **state)
{
	(void)state;
	char dir[512], data[600], cwd[4096], sql[2048], path[700];
	mx_test_tmpdir(dir, sizeof dir);
	mx_test_write(dir, "data/people.csv", "id,name\n1,ann\n");
	mx_test_write(dir, "secret.txt", "s3cr3t\n");
	mx_test_write(dir, "one.csv", "a\n7\n");
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(path, sizeof path, "%s/one.csv", dir);
	const char *dirs[] = {data, "https://example.invalid/d/"};
	const char *paths[] = {path};
	struct mx_db_sandbox sb = {.directories = dirs, .ndirectories = 2, .paths = paths, .npaths = 1};
	/* Relative paths are read against the working folder: run from the
	 * project folder, as a server does. */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(0, chdir(dir));
	struct mx_db_extension ext[] = {{.name = "json", .repo = NULL}};
	struct mx_db_options opt = {.path = ":memory:", .extensions = ext, .nextensions = 1, .sandbox = &sb};
	struct mx_db *db;
	struct mx_dbconn *c;
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(mx_db_sandboxed(db));
	assert_int_equal(0, mx_db_connect(db, &c, &err));

	snprintf(sql, sizeof sql, "SELECT name FROM read_csv('%s/people.csv')", data);
	ASSERT_QUERY(c, sql, "[{\"name\":\"ann\"}]");
	ASSERT_QUERY(c, "SELECT name FROM read_csv('data/people.csv')", "[{\"name\":\"ann\"}]");
	ASSERT_QUERY(c, "SELECT name FROM read_csv('./data/people.csv')", "[{\"name\":\"ann\"}]");
	ASSERT_QUERY(c, "SELECT a FROM read_csv('one.csv')", "[{\"a\":7}]");
	assert_non_null(
	        strstr(q_fails(c, "SELECT * FROM read_csv('/etc/passwd')", &err), "Permission Error"));
	assert_non_null(
	        strstr(q_fails(c, "SELECT * FROM read_text('secret.txt')", &err), "Permission Error"));
	assert_non_null(strstr(q_fails(c, "SELECT * FROM read_text('data/../secret.txt')", &err),
	                       "Permission Error"));
	assert_non_null(strstr(q_fails(c, "SELECT * FROM glob('/*')", &err), "Permission Error"));
	/* writes follow the same list */
	assert_non_null(strstr(q_fails(c, "COPY (SELECT 1 AS a) TO 'out.csv'", &err), "Permission Error"));
	assert_int_equal(-1, access("out.csv", F_OK));
	exec(c, "COPY (SELECT 1 AS a) TO 'data/out.csv'");
	assert_int_equal(0, access("data/out.csv", F_OK));
	assert_non_null(strstr(q_fails(c, "ATTACH 'other.duckdb' AS o", &err), "Permission Error"));
	assert_int_equal(-1, access("other.duckdb", F_OK));
	/* no way back, and no secrets stored outside it */
	assert_non_null(strstr(q_fails(c, "SET enable_external_access = true", &err), "external"));
	assert_non_null(strstr(q_fails(c, "CREATE PERSISTENT SECRET p (TYPE http, BEARER_TOKEN 'x')", &err),
	                       "Persistent secrets are disabled"));
	exec(c, "CREATE TEMPORARY SECRET t (TYPE http, BEARER_TOKEN 'x')");
	/* an extension loaded already is fine on reload; a new one needs a restart */
	assert_int_equal(0, mx_db_load_extensions(db, ext, 1, &err));
	struct mx_db_extension more[] = {{.name = "json", .repo = NULL}, {.name = "httpfs", .repo = NULL}};
	assert_int_equal(MX_EDB, mx_db_load_extensions(db, more, 2, &err));
	assert_non_null(strstr(err.msg, "Extension 'httpfs' cannot be loaded while the database runs in the "
	                                "SQL tools' file sandbox"));
	mx_dbconn_close(c);
	mx_db_close(db);
	assert_int_equal(0, chdir(cwd));
	mx_test_rmrf(dir);
}

static void test_lock_config(void **state)
{
	(void)state;
	struct mx_db_options opt = {.path = ":memory:", .readonly = 1};
	struct mx_db *db;
	struct mx_dbconn *c, *later;
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(mx_db_readonly(db)); /* asked for, though DuckDB cannot open :memory: read-only */
	assert_false(mx_db_sandboxed(db));
	assert_int_equal(0, mx_db_connect(db, &c, &err));
	assert_int_equal(0, mx_db_lock_config(db, &err));
	assert_int_equal(0, mx_db_lock_config(db, &err));
	assert_non_null(strstr(q_fails(c, "SET threads = 1", &err), "the configuration has been locked"));
	assert_non_null(strstr(q_fails(c, "RESET memory_limit", &err), "the configuration has been locked"));
	assert_non_null(strstr(q_fails(c, "PRAGMA threads = 1", &err), "the configuration has been locked"));
	/* a connection made now does without its own settings */
	assert_int_equal(0, mx_db_connect(db, &later, &err));
	ASSERT_QUERY(later, "SELECT 42 AS n", "[{\"n\":42}]");
	mx_dbconn_close(later);
	mx_dbconn_close(c);
	mx_db_close(db);
}

struct seen {
	enum mx_sql_kind kinds[16];
	size_t n, count;
	size_t refuse_at; /* refuse the statement with this index (SIZE_MAX: none) */
};

static int record_kind(void *ctx, size_t index, size_t count, enum mx_sql_kind kind, struct mx_err *err)
{
	struct seen *s = ctx;
	assert_int_equal(s->n, index);
	s->kinds[s->n++] = kind;
	s->count = count;
	if (index == s->refuse_at)
		return mx_err_set(err, MX_EPOLICY, "%s refused", mx_sql_kind_name(kind));
	return 0;
}

static void test_guarded_script(void **state)
{
	struct mx_dbconn *c = conn(state);
	struct seen s = {.refuse_at = SIZE_MAX};
	struct mx_sql_guard g = {.check = record_kind, .ctx = &s};
	struct mx_err err;
	json_t *rows = NULL;
	/* each statement is classified by DuckDB's parser, then runs */
	assert_int_equal(0, mx_sql_script_guarded(c,
	                                          "CREATE TABLE g(a INTEGER); INSERT INTO g VALUES (1); "
	                                          "UPDATE g SET a = 2; SELECT a FROM g; DELETE FROM g; "
	                                          "DROP TABLE g",
	                                          &g, &rows, &err));
	assert_int_equal(6, s.count);
	enum mx_sql_kind want[] = {MX_SQL_CREATE, MX_SQL_INSERT, MX_SQL_UPDATE,
	                           MX_SQL_SELECT, MX_SQL_DELETE, MX_SQL_DROP};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(want[i], s.kinds[i]);
	json_decref(rows);
	const struct {
		const char *sql;
		enum mx_sql_kind kind;
	} kinds[] = {
	        {"SET threads = 1", MX_SQL_SET},
	        {"RESET threads", MX_SQL_SET},
	        {"USE memory", MX_SQL_SET},
	        {"SET VARIABLE v = 1", MX_SQL_SET},
	        {"PRAGMA enable_profiling", MX_SQL_PRAGMA},
	        {"CALL pragma_version()", MX_SQL_CALL},
	        {"CHECKPOINT", MX_SQL_CALL},
	        {"LOAD json", MX_SQL_LOAD},
	        {"INSTALL json", MX_SQL_LOAD},
	        {"ATTACH ':memory:' AS m2", MX_SQL_ATTACH},
	        {"DETACH m2", MX_SQL_DETACH},
	        {"BEGIN", MX_SQL_TRANSACTION},
	        {"PREPARE p AS SELECT 1", MX_SQL_PREPARE},
	        {"EXPLAIN ANALYZE SELECT 1", MX_SQL_EXPLAIN},
	        {"COPY (SELECT 1) TO '/nonexistent/x.csv'", MX_SQL_COPY},
	        {"EXPORT DATABASE '/nonexistent/x'", MX_SQL_EXPORT},
	        {"CREATE MACRO m(x) AS x", MX_SQL_CREATE},
	        {"VACUUM", MX_SQL_VACUUM},
	        {"SHOW TABLES", MX_SQL_SELECT},
	        {"SUMMARIZE SELECT 1 AS a", MX_SQL_SELECT},
	        {"UPDATE EXTENSIONS", MX_SQL_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		s = (struct seen){.refuse_at = 0};
		assert_int_equal(MX_EPOLICY, mx_sql_script_guarded(c, kinds[i].sql, &g, &rows, &err));
		assert_null(rows);
		if (s.kinds[0] != kinds[i].kind)
			fail_msg("%s: kind %s, expected %s", kinds[i].sql, mx_sql_kind_name(s.kinds[0]),
			         mx_sql_kind_name(kinds[i].kind));
	}
	ASSERT_QUERY(c, "SELECT count(*) AS n FROM duckdb_databases() WHERE database_name = 'm2'",
	             "[{\"n\":0}]");
	assert_string_equal("SELECT", mx_sql_kind_name(MX_SQL_SELECT));
	assert_string_equal("unclassified", mx_sql_kind_name(MX_SQL_UNKNOWN));
	/* checked right before it runs: what came first has run */
	s = (struct seen){.refuse_at = 1};
	assert_int_equal(MX_EPOLICY, mx_sql_script_guarded(c, "CREATE TABLE g1(a INTEGER); SET threads = 1",
	                                                   &g, &rows, &err));
	assert_string_equal("SET refused", err.msg);
	ASSERT_QUERY(c, "SELECT count(*) AS n FROM g1", "[{\"n\":0}]");
	/* check_all_first: nothing runs unless every statement passes */
	s = (struct seen){.refuse_at = 1};
	g.check_all_first = 1;
	assert_int_equal(MX_EPOLICY, mx_sql_script_guarded(c, "INSERT INTO g1 VALUES (1); SET threads = 1",
	                                                   &g, &rows, &err));
	ASSERT_QUERY(c, "SELECT count(*) AS n FROM g1", "[{\"n\":0}]");
	s = (struct seen){.refuse_at = SIZE_MAX};
	assert_int_equal(0, mx_sql_script_guarded(c, "SELECT 1 AS a; SELECT 2 AS b", &g, &rows, &err));
	MX_ASSERT_JSON_EQ("[{\"b\":2}]", rows);
	json_decref(rows);
	/* DuckDB's own errors are unchanged */
	assert_int_equal(MX_EDB, mx_sql_script_guarded(c, "SELEC 1", &g, &rows, &err));
	assert_non_null(strstr(err.msg, "syntax error"));
	assert_int_equal(MX_EDB, mx_sql_script_guarded(c, "SELECT * FROM nope", &g, &rows, &err));
	assert_non_null(strstr(err.msg, "nope"));
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest mem[] = {
	        cmocka_unit_test(test_every_type),
	        cmocka_unit_test(test_column_order),
	        cmocka_unit_test(test_integers),
	        cmocka_unit_test(test_decimals_and_floats),
	        cmocka_unit_test(test_dates_and_times),
	        cmocka_unit_test(test_calendar_edges),
	        cmocka_unit_test(test_intervals),
	        cmocka_unit_test(test_text_blob_bit_uuid),
	        cmocka_unit_test(test_json_and_enum),
	        cmocka_unit_test(test_nested),
	        cmocka_unit_test(test_many_rows),
	        cmocka_unit_test(test_ddl_and_dml),
	        cmocka_unit_test(test_one_statement),
	        cmocka_unit_test(test_unknown_table),
	        cmocka_unit_test(test_check_params),
	        cmocka_unit_test(test_statement_cache),
	        cmocka_unit_test(test_param_hints),
	        cmocka_unit_test(test_statement_recycle),
	        cmocka_unit_test(test_bind_by_json_type),
	        cmocka_unit_test(test_bind_formats),
	        cmocka_unit_test(test_bind_declared_containers),
	        cmocka_unit_test(test_bind_nulls_and_extras),
	        cmocka_unit_test(test_bind_errors),
	        cmocka_unit_test(test_settings_offline),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_interrupt_and_progress),
	        cmocka_unit_test(test_out_of_memory),
	};
	const struct CMUnitTest files[] = {
	        cmocka_unit_test(test_open_memory),
	        cmocka_unit_test(test_open_file_creates_folders),
	        cmocka_unit_test(test_open_readonly_missing_file),
	        cmocka_unit_test(test_open_errors),
	        cmocka_unit_test(test_extensions),
	        cmocka_unit_test(test_sandbox),
	        cmocka_unit_test(test_lock_config),
	        cmocka_unit_test_setup_teardown(test_guarded_script, mx_test_db_setup, mx_test_db_teardown),
	};
	int failed =
	        cmocka_run_group_tests_name("sql (in memory)", mem, mx_test_db_setup, mx_test_db_teardown);
	failed += cmocka_run_group_tests_name("sql (open)", files, NULL, NULL);
	return failed;
}
