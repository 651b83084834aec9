/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/exec/python/convert.c: a real CPython (started here) and a
 * real in-memory DuckDB. Both ways: every DuckDB type through db.execute
 * into Python, Python parameters bound as DuckDB types, Python results as
 * JSON (pandas and numpy when installed), call arguments with formatted
 * strings, and UDF values written into and read from DuckDB vectors.
 *
 * Checks are Python expressions evaluated in one namespace (`ok("...")`),
 * so a failure prints the expression and the value it looked at.
 */
#include "harness.h"

#include "exec/python/py_int.h"

#include <stdio.h>
#include <string.h>

static struct mx_db *db;
static struct mx_dbconn *conn;
static PyObject *ns; /* the namespace the checks run in */

static int setup(void **state)
{
	(void)state;
	Py_InitializeEx(0);
	if (mxpy_convert_init() != 0) {
		PyErr_Print();
		return -1;
	}
	ns = PyDict_New();
	PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins());
	PyObject *r = PyRun_String("import datetime, decimal, uuid, math\n"
	                           "utc = datetime.timezone.utc\n",
	                           Py_file_input, ns, ns);
	if (r == NULL) {
		PyErr_Print();
		return -1;
	}
	Py_DECREF(r);
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_err err = {0};
	if (mx_db_open(&opt, &db, &err) != 0 || mx_db_connect(db, &conn, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mx_dbconn_close(conn);
	mx_db_close(db);
	Py_CLEAR(ns);
	Py_FinalizeEx();
	return 0;
}

/* Evaluate a Python expression in ns; a new reference (fails the test on
 * a Python error). */
static PyObject *eval(const char *expr)
{
	PyObject *v = PyRun_String(expr, Py_eval_input, ns, ns);
	if (v == NULL) {
		PyErr_Print();
		fail_msg("Python error evaluating: %s", expr);
	}
	return v;
}

static void run(const char *code)
{
	PyObject *v = PyRun_String(code, Py_file_input, ns, ns);
	if (v == NULL) {
		PyErr_Print();
		fail_msg("Python error running: %s", code);
	}
	Py_DECREF(v);
}

/* The expression must be true; otherwise print it and `show`'s value. */
#define ok(expr, show) ok_at((expr), (show), __LINE__)
static void ok_at(const char *expr, const char *show, int line)
{
	PyObject *v = eval(expr);
	int t = PyObject_IsTrue(v);
	Py_DECREF(v);
	if (t == 1)
		return;
	PyObject *s = eval(show);
	PyObject *r = PyObject_Repr(s);
	fail_msg("line %d: false: %s\n    %s = %s", line, expr, show, r ? PyUnicode_AsUTF8(r) : "?");
}

static void set(const char *name, PyObject *v)
{
	assert_non_null(v);
	PyDict_SetItemString(ns, name, v);
	Py_DECREF(v);
}

/* db.execute(sql, params-expression) into `rows`. */
static void execute(const char *sql, const char *params_expr)
{
	PyObject *params = params_expr ? eval(params_expr) : NULL;
	PyObject *rows = mxpy_db_execute(conn, sql, params);
	Py_XDECREF(params);
	if (rows == NULL) {
		PyErr_Print();
		fail_msg("db.execute failed: %s", sql);
	}
	set("rows", rows);
	run("r = rows[0] if rows else None");
}

/* db.execute that must fail: its message into `msg`. */
static void execute_fails(const char *sql, const char *params_expr)
{
	PyObject *params = params_expr ? eval(params_expr) : NULL;
	PyObject *rows = mxpy_db_execute(conn, sql, params);
	Py_XDECREF(params);
	if (rows != NULL) {
		Py_DECREF(rows);
		fail_msg("db.execute succeeded: %s", sql);
	}
	assert_true(PyErr_ExceptionMatches(PyExc_RuntimeError) || PyErr_ExceptionMatches(PyExc_TypeError));
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	set("msg", PyObject_Str(value));
	set("exc", Py_NewRef(type));
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

/* ------------------------------------------------------------------------ */
/* DuckDB → Python                                                           */
/* ------------------------------------------------------------------------ */

static void test_duckdb_scalars(void **state)
{
	(void)state;
	execute("SELECT 42 AS i, -5::TINYINT AS ti, 300::SMALLINT AS si, 9007199254740993::BIGINT AS bi, "
	        "200::UTINYINT AS ut, 4000000000::UINTEGER AS ui, 18446744073709551615::UBIGINT AS ub, "
	        "170141183460469231731687303715884105727::HUGEINT AS hi, -12::HUGEINT AS hs, "
	        "340282366920938463463374607431768211455::UHUGEINT AS uh, "
	        "1.25::DECIMAL(10,2) AS dec, 12345678901234567890.123::DECIMAL(38,3) AS dwide, "
	        "0.1::DOUBLE AS dbl, 0.5::FLOAT AS flt, 'nan'::DOUBLE AS nan, 'héllo' AS s, true AS b, "
	        "'\\xAA\\x00'::BLOB AS blob, '101'::BIT AS bit",
	        NULL);
	ok("type(r['i']) is int and r['i'] == 42", "r['i']");
	ok("r['ti'] == -5 and r['si'] == 300 and r['bi'] == 9007199254740993", "r");
	ok("r['ut'] == 200 and r['ui'] == 4000000000 and r['ub'] == 2**64 - 1", "r");
	ok("type(r['hi']) is int and r['hi'] == 2**127 - 1 and r['hs'] == -12", "r['hi']");
	ok("r['uh'] == 2**128 - 1", "r['uh']");
	ok("type(r['dec']) is float and r['dec'] == 1.25", "r['dec']");
	ok("r['dwide'] == 12345678901234567890.123", "r['dwide']");
	ok("type(r['dbl']) is float and r['dbl'] == 0.1 and r['flt'] == 0.5", "r");
	ok("math.isnan(r['nan'])", "r['nan']");
	ok("r['s'] == 'héllo' and r['b'] is True", "r");
	ok("r['blob'] == b'\\xaa\\x00'", "r['blob']");
	ok("r['bit'] == '101'", "r['bit']");
	ok("list(r) == ['i','ti','si','bi','ut','ui','ub','hi','hs','uh','dec','dwide','dbl','flt','nan','s',"
	   "'b','blob','bit']",
	   "list(r)");
}

static void test_duckdb_temporal(void **state)
{
	(void)state;
	execute("SELECT DATE '2024-02-29' AS d, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, "
	        "TIMESTAMPTZ '2024-01-02 03:04:05+02' AS tz, TIME '12:34:56.5' AS t, "
	        "INTERVAL '1 month 2 days 3 hours' AS iv, INTERVAL '-90 seconds' AS neg, "
	        "'2024-01-02 03:04:05'::TIMESTAMP_S AS tss, '2024-01-02 03:04:05.123'::TIMESTAMP_MS AS tsm, "
	        "'2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS tsn, 'infinity'::DATE AS dinf, "
	        "'-infinity'::TIMESTAMP AS tinf, '12:00:00+05:30'::TIMETZ AS ttz",
	        NULL);
	ok("type(r['d']) is datetime.datetime and r['d'] == datetime.datetime(2024, 2, 29)", "r['d']");
	ok("r['ts'] == datetime.datetime(2024, 1, 2, 3, 4, 5, 123456) and r['ts'].tzinfo is None", "r['ts']");
	ok("r['tz'] == datetime.datetime(2024, 1, 2, 1, 4, 5, tzinfo=utc) and r['tz'].tzinfo is utc",
	   "r['tz']");
	ok("type(r['t']) is datetime.time and r['t'] == datetime.time(12, 34, 56, 500000)", "r['t']");
	ok("r['iv'] == datetime.timedelta(days=32, hours=3)", "r['iv']");
	ok("r['neg'] == datetime.timedelta(seconds=-90)", "r['neg']");
	ok("r['tss'] == datetime.datetime(2024, 1, 2, 3, 4, 5)", "r['tss']");
	ok("r['tsm'] == datetime.datetime(2024, 1, 2, 3, 4, 5, 123000)", "r['tsm']");
	ok("r['tsn'] == datetime.datetime(2024, 1, 2, 3, 4, 5, 123456)", "r['tsn']");
	ok("r['dinf'] is None and r['tinf'] is None", "r");
	ok("r['ttz'] == datetime.time(12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, "
	   "minutes=30)))",
	   "r['ttz']");
}

static void test_duckdb_nested(void **state)
{
	(void)state;
	execute("CREATE TYPE IF NOT EXISTS mood AS ENUM ('sad', 'happy')", NULL);
	execute("SELECT [1, 2, NULL] AS l, [1, 2]::INTEGER[2] AS arr, {'a': 1, 'b': 'x'} AS st, "
	        "MAP {'k': 1, 'j': 2} AS m, 'happy'::mood AS e, "
	        "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS u, [{'x': [DATE '2024-01-01']}] AS deep, "
	        "union_value(num := 2)::UNION(num INTEGER, str VARCHAR) AS un, '{\"a\": [1]}'::JSON AS j",
	        NULL);
	ok("r['l'] == [1, 2, None] and type(r['l']) is list", "r['l']");
	ok("r['arr'] == [1, 2]", "r['arr']");
	ok("r['st'] == {'a': 1, 'b': 'x'}", "r['st']");
	ok("r['m'] == {'k': 1, 'j': 2}", "r['m']");
	ok("r['e'] == 'happy' and type(r['e']) is str", "r['e']");
	ok("r['u'] == uuid.UUID('6ba7b810-9dad-11d1-80b4-00c04fd430c8')", "r['u']");
	ok("r['deep'] == [{'x': [datetime.datetime(2024, 1, 1)]}]", "r['deep']");
	ok("r['un'] == 2", "r['un']");
	ok("r['j'] == '{\"a\": [1]}' or r['j'] == '{\"a\":[1]}'", "r['j']");
}

static void test_duckdb_nulls_and_rows(void **state)
{
	(void)state;
	execute("SELECT * FROM (VALUES (1, NULL::DOUBLE, NULL::VARCHAR, NULL::DATE), "
	        "(NULL, 2.5, 'x', DATE '2024-01-01')) t(i, d, s, dt)",
	        NULL);
	ok("rows[0] == {'i': 1, 'd': None, 's': None, 'dt': None}", "rows[0]");
	ok("rows[1]['i'] is None and rows[1]['d'] == 2.5", "rows[1]");
	execute("SELECT range AS n FROM range(5000)", NULL); /* several chunks */
	ok("len(rows) == 5000 and rows[4999]['n'] == 4999", "len(rows)");
	execute("SELECT 1 AS x WHERE false", NULL);
	ok("rows == []", "rows");
	execute("CREATE TABLE IF NOT EXISTS t_ins (a INTEGER)", NULL);
	execute("INSERT INTO t_ins VALUES ($a), ($b)", "{'a': 1, 'b': 2}");
	ok("rows == [{'Count': 2}]", "rows");
	mx_dbconn_set_limits(conn, 10, 0);
	execute_fails("SELECT range FROM range(100)", NULL);
	mx_dbconn_set_limits(conn, 0, 0);
	ok("'limit of 10 rows' in msg", "msg");
}

/* ------------------------------------------------------------------------ */
/* Python → DuckDB parameters                                                */
/* ------------------------------------------------------------------------ */

static void test_params(void **state)
{
	(void)state;
	run("P = {'i': 7, 'big': 2**100, 'f': 1.5, 's': 'x', 'b': True, 'n': None,"
	    " 'd': datetime.date(2024, 3, 1), 'ts': datetime.datetime(2024, 3, 1, 10, 0, 0, 5),"
	    " 'tz': datetime.datetime(2024, 3, 1, 12, 0, "
	    "tzinfo=datetime.timezone(datetime.timedelta(hours=2))),"
	    " 't': datetime.time(8, 30, 1), 'dec': decimal.Decimal('123.45'), 'by': b'\\x00\\x01',"
	    " 'l': [1, 2, 3], 'lf': [1, 2.5], 'st': {'a': 1, 'b': 'z'}, 'u': uuid.UUID(int=1),"
	    " 'td': datetime.timedelta(days=1, seconds=2)}");
	const char *names[] = {"i", "big", "f",  "s", "b",  "n",  "d", "ts", "tz",
	                       "t", "dec", "by", "l", "lf", "st", "u", "td"};
	char sql[2048];
	size_t len = 0;
	len += (size_t)snprintf(sql + len, sizeof sql - len, "SELECT ");
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s$%s AS %s, typeof($%s) AS %s_t",
		                        i ? ", " : "", names[i], names[i], names[i], names[i]);
	execute(sql, "P");
	ok("r['i_t'] == 'BIGINT' and r['i'] == 7", "r");
	ok("r['big_t'] == 'HUGEINT' and r['big'] == 2**100", "r['big']");
	ok("r['f_t'] == 'DOUBLE' and r['s_t'] == 'VARCHAR' and r['b_t'] == 'BOOLEAN'", "r");
	ok("r['n'] is None", "r['n']");
	ok("r['d_t'] == 'DATE' and r['d'] == datetime.datetime(2024, 3, 1)", "(r['d_t'], r['d'])");
	ok("r['ts_t'] == 'TIMESTAMP' and r['ts'] == P['ts']", "(r['ts_t'], r['ts'])");
	ok("r['tz_t'] == 'TIMESTAMP WITH TIME ZONE' and r['tz'] == datetime.datetime(2024, 3, 1, 10, "
	   "tzinfo=utc)",
	   "(r['tz_t'], r['tz'])");
	ok("r['t_t'] == 'TIME' and r['t'] == datetime.time(8, 30, 1)", "(r['t_t'], r['t'])");
	ok("r['dec_t'] == 'DECIMAL(5,2)' and r['dec'] == 123.45", "(r['dec_t'], r['dec'])");
	ok("r['by_t'] == 'BLOB' and r['by'] == b'\\x00\\x01'", "(r['by_t'], r['by'])");
	ok("r['l_t'] == 'BIGINT[]' and r['l'] == [1, 2, 3]", "(r['l_t'], r['l'])");
	ok("r['lf_t'] == 'DOUBLE[]' and r['lf'] == [1.0, 2.5]", "(r['lf_t'], r['lf'])");
	ok("r['st_t'].startswith('STRUCT') and r['st'] == {'a': 1, 'b': 'z'}", "(r['st_t'], r['st'])");
	ok("r['u_t'] == 'UUID' and r['u'] == uuid.UUID(int=1)", "(r['u_t'], r['u'])");
	ok("r['td_t'] == 'INTERVAL' and r['td'] == P['td']", "(r['td_t'], r['td'])");
	/* NULL inside a list, positional parameters */
	execute("SELECT $1 AS a, $2 AS b", "[[1, None], 'x']");
	ok("r == {'a': [1, None], 'b': 'x'}", "r");
}

static void test_param_errors(void **state)
{
	(void)state;
	execute_fails("SELECT $a AS a, $b AS b", "{'a': 1}");
	ok("msg == 'Invalid Input Error: Values were not provided for the following prepared statement "
	   "parameters: b'",
	   "msg");
	execute_fails("SELECT * FROM no_such_table", NULL);
	ok("msg.startswith('Catalog Error: Table with name no_such_table does not exist')", "msg");
	execute_fails("SELECT $a", "{'a': object()}");
	ok("\"Cannot bind parameter 'a'\" in msg", "msg");
	execute_fails("SELECT 1", "42");
	ok("'params must be a dict' in msg", "msg");
	/* the connection still works after failures */
	execute("SELECT $a + 1 AS x", "{'a': 1, 'extra': 2}");
	ok("r == {'x': 2}", "r");
}

/* ------------------------------------------------------------------------ */
/* Python → JSON                                                             */
/* ------------------------------------------------------------------------ */

static void json_is(const char *expr, const char *expected)
{
	PyObject *v = eval(expr);
	json_t *j = NULL;
	struct mx_err err = {0};
	int rc = mxpy_to_json(v, &j, &err);
	Py_DECREF(v);
	if (rc != 0)
		fail_msg("mxpy_to_json(%s): %s", expr, err.msg);
	MX_ASSERT_JSON_EQ(expected, j);
	json_decref(j);
}

static void test_to_json(void **state)
{
	(void)state;
	json_is("{'a': 1, 'b': [1.5, 'x', None, True], 'c': (1, 2)}",
	        "{\"a\":1,\"b\":[1.5,\"x\",null,true],\"c\":[1,2]}");
	json_is("2**63 - 1", "9223372036854775807");
	json_is("2**70", "\"1180591620717411303424\"");
	json_is("-2**70", "\"-1180591620717411303424\"");
	json_is("[float('nan'), float('inf'), -0.5]", "[null, null, -0.5]");
	json_is("datetime.datetime(2024, 1, 2, 3, 4, 5, 6)", "\"2024-01-02T03:04:05.000006\"");
	json_is("datetime.datetime(2024, 1, 2, tzinfo=utc)", "\"2024-01-02T00:00:00+00:00\"");
	json_is("[datetime.date(2024, 1, 2), datetime.time(1, 2, 3)]", "[\"2024-01-02\", \"01:02:03\"]");
	json_is("[datetime.timedelta(0), datetime.timedelta(hours=1), datetime.timedelta(days=400, "
	        "seconds=3),"
	        " datetime.timedelta(seconds=-1.5), datetime.timedelta(minutes=1, microseconds=10)]",
	        "[\"PT0S\", \"PT1H\", \"P1Y35DT3S\", \"-PT1.5S\", \"PT1M0.00001S\"]");
	json_is("[decimal.Decimal('1.50'), decimal.Decimal('10'), decimal.Decimal('NaN')]",
	        "[1.5, 10, null]");
	json_is("[b'hi', bytearray(b'\\x00')]", "[\"aGk=\", \"AA==\"]");
	json_is("uuid.UUID(int=1)", "\"00000000-0000-0000-0000-000000000001\"");
	json_is("{1: 'a', None: 'b', False: 'c'}", "{\"1\":\"a\",\"null\":\"b\",\"false\":\"c\"}");
	json_is("sorted({3, 1})", "[1, 3]");
	run("import dataclasses, enum\n"
	    "@dataclasses.dataclass\nclass Pt:\n    x: int\n    when: datetime.date\n"
	    "class Color(enum.Enum):\n    RED = 'red'\n"
	    "class Model:\n    def model_dump(self, mode=None, by_alias=None):\n        return {'m': "
	    "mode}\n");
	json_is("Pt(1, datetime.date(2024, 5, 6))", "{\"x\": 1, \"when\": \"2024-05-06\"}");
	json_is("Color.RED", "\"red\"");
	json_is("Model()", "{\"m\": \"json\"}");

	PyObject *v = eval("object()");
	json_t *j = NULL;
	struct mx_err err = {0};
	assert_int_equal(mxpy_to_json(v, &j, &err), MX_EINVAL);
	Py_DECREF(v);
	assert_null(j);
	assert_non_null(strstr(err.msg, "'object'"));
	assert_null(PyErr_Occurred());
}

static void test_to_json_pandas_numpy(void **state)
{
	(void)state;
	PyObject *r = PyRun_String("import pandas as pd, numpy as np\n", Py_file_input, ns, ns);
	if (r == NULL) {
		PyErr_Clear();
		printf("[  SKIPPED ] pandas/numpy not importable (apt-get install python3-pandas "
		       "python3-numpy): their checks are skipped\n");
		skip();
	}
	Py_DECREF(r);
	json_is("np.array([[1, 2], [3, 4]])", "[[1, 2], [3, 4]]");
	json_is("[np.int64(5), np.float32(0.5), np.bool_(True), np.float64('nan')]", "[5, 0.5, true, null]");
	json_is("pd.DataFrame({'a': [1, None], 'b': ['x', 'y'], 'ts': [pd.Timestamp('2024-01-01'), pd.NaT]})",
	        "[{\"a\": 1.0, \"b\": \"x\", \"ts\": \"2024-01-01T00:00:00\"},"
	        " {\"a\": null, \"b\": \"y\", \"ts\": null}]");
	json_is("pd.Series([1.5, None])", "[1.5, null]");
	json_is("{'t': pd.Timestamp('2024-01-01 10:00'), 'n': pd.NaT}",
	        "{\"t\": \"2024-01-01T10:00:00\", \"n\": null}");
}

/* ------------------------------------------------------------------------ */
/* Arguments                                                                 */
/* ------------------------------------------------------------------------ */

static void test_args(void **state)
{
	(void)state;
	struct mx_type d = {.kind = MX_T_STRING, .format = MX_FMT_DATE, .name = "d"};
	struct mx_type t = {.kind = MX_T_STRING, .format = MX_FMT_TIME, .name = "t"};
	struct mx_type dt = {.kind = MX_T_STRING, .format = MX_FMT_DATE_TIME, .name = "dt"};
	struct mx_type ts = {.kind = MX_T_STRING, .format = MX_FMT_TIMESTAMP, .name = "ts"};
	struct mx_type item = {.kind = MX_T_STRING, .format = MX_FMT_DATE};
	struct mx_type list = {.kind = MX_T_ARRAY, .items = &item, .name = "days"};
	struct mx_type_prop props[] = {{"when", &dt}};
	struct mx_type obj = {.kind = MX_T_OBJECT, .properties = props, .nproperties = 1, .name = "o"};
	struct mx_type plain = {.kind = MX_T_STRING, .name = "s"};
	struct mx_type *params[] = {&d, &t, &dt, &ts, &list, &obj, &plain};
	json_t *args =
	        mx_test_json("{\"d\": \"2024-02-29\", \"t\": \"12:30:00.250000\","
	                     " \"dt\": \"2024-01-02T03:04:05+02:00\", \"ts\": \"2024-01-02T03:04:05\","
	                     " \"days\": [\"2024-01-01\", null], \"o\": {\"when\": \"2024-01-02T03:04:05\","
	                     " \"other\": \"2024-01-01\"}, \"s\": \"2024-01-01\", \"n\": 12345678901234,"
	                     " \"x\": 1.5, \"big\": [true, {}]}");
	set("kw", mxpy_args(args, params, sizeof params / sizeof *params));
	json_decref(args);
	ok("kw['d'] == datetime.date(2024, 2, 29) and type(kw['d']) is datetime.date", "kw['d']");
	ok("kw['t'] == datetime.time(12, 30, 0, 250000)", "kw['t']");
	ok("kw['dt'] == datetime.datetime(2024, 1, 2, 1, 4, 5, tzinfo=utc) and kw['dt'].utcoffset() "
	   "== datetime.timedelta(hours=2)",
	   "kw['dt']");
	ok("kw['ts'] == datetime.datetime(2024, 1, 2, 3, 4, 5)", "kw['ts']");
	ok("kw['days'] == [datetime.date(2024, 1, 1), None]", "kw['days']");
	ok("kw['o'] == {'when': datetime.datetime(2024, 1, 2, 3, 4, 5), 'other': '2024-01-01'}", "kw['o']");
	ok("kw['s'] == '2024-01-01' and kw['n'] == 12345678901234 and kw['x'] == 1.5", "kw");
	ok("kw['big'] == [True, {}]", "kw['big']");
	set("kw", mxpy_args(NULL, NULL, 0));
	ok("kw == {}", "kw");
}

/* ------------------------------------------------------------------------ */
/* UDF values: Python into a DuckDB vector and back                          */
/* ------------------------------------------------------------------------ */

static void test_udf_vectors(void **state)
{
	(void)state;
	const char *types[] = {"INTEGER",
	                       "DOUBLE",
	                       "VARCHAR",
	                       "BOOLEAN",
	                       "DECIMAL(18,3)",
	                       "DATE",
	                       "TIME",
	                       "TIMESTAMP",
	                       "INTERVAL",
	                       "BLOB",
	                       "INTEGER[]",
	                       "MAP(VARCHAR, INTEGER)",
	                       "STRUCT(a INTEGER, b VARCHAR)",
	                       "UUID",
	                       "HUGEINT"};
	const char *values[] = {
	        "[7, None]",
	        "[2.5, None]",
	        "['héllo', None]",
	        "[True, None]",
	        "[decimal.Decimal('1.2345'), 2]",
	        "[datetime.date(2024, 1, 2), None]",
	        "[datetime.time(1, 2, 3, 4), None]",
	        "[datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.datetime(2024, 1, 2, 3, tzinfo=utc)]",
	        "[datetime.timedelta(days=2, seconds=5), None]",
	        "[b'\\x00ab', None]",
	        "[[1, None, 3], []]",
	        "[{'k': 1}, None]",
	        "[{'a': 1, 'b': 'x'}, None]",
	        "[uuid.UUID('6ba7b810-9dad-11d1-80b4-00c04fd430c8'), None]",
	        "[2**100, -2**100]"};
	const char *expect[] = {"[7, None]",
	                        "[2.5, None]",
	                        "['héllo', None]",
	                        "[True, None]",
	                        "[1.234, 2.0]",
	                        "[datetime.datetime(2024, 1, 2), None]",
	                        "[datetime.time(1, 2, 3, 4), None]",
	                        "[datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.datetime(2024, 1, 2, 3)]",
	                        "[datetime.timedelta(days=2, seconds=5), None]",
	                        "[b'\\x00ab', None]",
	                        "[[1, None, 3], []]",
	                        "[{'k': 1}, None]",
	                        "[{'a': 1, 'b': 'x'}, None]",
	                        "[uuid.UUID('6ba7b810-9dad-11d1-80b4-00c04fd430c8'), None]",
	                        "[2**100, -2**100]"};
	duckdb_connection raw;
	assert_int_equal(duckdb_connect(mx_db_duckdb(db), &raw), DuckDBSuccess);
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		/* The logical type, from DuckDB's own parser. */
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT NULL::%s AS v", types[i]);
		duckdb_result res;
		assert_int_equal(duckdb_query(raw, sql, &res), DuckDBSuccess);
		duckdb_logical_type lt = duckdb_column_logical_type(&res, 0);
		duckdb_destroy_result(&res);
		duckdb_data_chunk chunk = duckdb_create_data_chunk(&lt, 1);
		duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, 0);
		PyObject *in = eval(values[i]);
		for (idx_t r = 0; r < 2; r++) {
			if (mxpy_to_duckdb(PyList_GET_ITEM(in, (Py_ssize_t)r), vec, lt, r) != 0) {
				PyErr_Print();
				fail_msg("mxpy_to_duckdb %s row %d", types[i], (int)r);
			}
		}
		duckdb_data_chunk_set_size(chunk, 2);
		Py_DECREF(in);
		PyObject *out = PyList_New(2);
		for (idx_t r = 0; r < 2; r++) {
			PyObject *v = mxpy_from_duckdb(vec, lt, r);
			if (v == NULL) {
				PyErr_Print();
				fail_msg("mxpy_from_duckdb %s row %d", types[i], (int)r);
			}
			PyList_SET_ITEM(out, (Py_ssize_t)r, v);
		}
		set("got", out);
		char check[512];
		snprintf(check, sizeof check, "got == %s", expect[i]);
		printf("  %s\n", types[i]);
		ok(check, "got");
		duckdb_destroy_data_chunk(&chunk);
		duckdb_destroy_logical_type(&lt);
	}
	/* a wrong type is a Python error, not a crash */
	duckdb_logical_type it = duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
	duckdb_data_chunk chunk = duckdb_create_data_chunk(&it, 1);
	PyObject *bad = eval("'x'");
	assert_int_equal(mxpy_to_duckdb(bad, duckdb_data_chunk_get_vector(chunk, 0), it, 0), -1);
	assert_true(PyErr_ExceptionMatches(PyExc_TypeError));
	PyErr_Clear();
	Py_DECREF(bad);
	duckdb_destroy_data_chunk(&chunk);
	duckdb_destroy_logical_type(&it);
	duckdb_disconnect(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_duckdb_scalars), cmocka_unit_test(test_duckdb_temporal),
	        cmocka_unit_test(test_duckdb_nested),  cmocka_unit_test(test_duckdb_nulls_and_rows),
	        cmocka_unit_test(test_params),         cmocka_unit_test(test_param_errors),
	        cmocka_unit_test(test_to_json),        cmocka_unit_test(test_to_json_pandas_numpy),
	        cmocka_unit_test(test_args),           cmocka_unit_test(test_udf_vectors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
