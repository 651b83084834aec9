/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/exec/python/udf.c and mxcp/plugins: a plugin's @udf methods
 * become DuckDB functions <method>_<plugin> with MXCP's type mapping, seen
 * by every connection of the database, run on DuckDB's threads, NULL
 * arguments reach the method as None, a Python exception fails the query
 * naming the function, `Any` is refused, and a reload rebinds the names to
 * the new instance (a changed signature or a gone method fails clearly).
 *
 * A real CPython (the `mxcp` package from src/exec/python) and a real
 * in-memory DuckDB. The test thread holds the GIL only while it runs
 * Python: DuckDB's threads need it to call the methods.
 */
#include "harness.h"

#include "exec/python/py_int.h"

#include <string.h>

static const char PLUGIN_SRC[] = "from datetime import date, timedelta\n"
                                 "from typing import Any, Optional, TypedDict\n"
                                 "from mxcp.plugins import MXCPBasePlugin, udf, on_shutdown\n"
                                 "\n"
                                 "class Pair(TypedDict):\n"
                                 "    name: str\n"
                                 "    value: int\n"
                                 "\n"
                                 "class MXCPPlugin(MXCPBasePlugin):\n"
                                 "    def __init__(self, config):\n"
                                 "        super().__init__(config)\n"
                                 "        self.prefix = config.get('prefix', '')\n"
                                 "    @udf\n"
                                 "    def shout(self, s: str) -> str:\n"
                                 "        return self.prefix + s.upper()\n"
                                 "    @udf\n"
                                 "    def add(self, a: int, b: int) -> int:\n"
                                 "        return a + b\n"
                                 "    @udf\n"
                                 "    def half(self, x: float) -> float:\n"
                                 "        return x / 2\n"
                                 "    @udf\n"
                                 "    def negate(self, b: bool) -> bool:\n"
                                 "        return not b\n"
                                 "    @udf\n"
                                 "    def next_day(self, d: date) -> date:\n"
                                 "        return d + timedelta(days=1)\n"
                                 "    @udf\n"
                                 "    def total(self, xs: list[int]) -> int:\n"
                                 "        return sum(xs)\n"
                                 "    @udf\n"
                                 "    def doubled(self, xs: list[int]) -> list[int]:\n"
                                 "        return [2 * x for x in xs]\n"
                                 "    @udf\n"
                                 "    def map_sum(self, m: dict[str, int]) -> int:\n"
                                 "        return sum(m.values())\n"
                                 "    @udf\n"
                                 "    def pair(self, name: str, value: int) -> Pair:\n"
                                 "        return {'name': name, 'value': value}\n"
                                 "    @udf\n"
                                 "    def pair_text(self, p: Pair) -> str:\n"
                                 "        return f\"{p['name']}={p['value']}\"\n"
                                 "    @udf\n"
                                 "    def is_null(self, s: Optional[str]) -> bool:\n"
                                 "        return s is None\n"
                                 "    @udf\n"
                                 "    def echo(self, s: str | None) -> Optional[str]:\n"
                                 "        return s\n"
                                 "    @udf\n"
                                 "    def fail(self, x: int) -> int:\n"
                                 "        raise ValueError(f'no thanks: {x}')\n"
                                 "    def helper(self, x: int) -> int:\n"
                                 "        return x\n"
                                 "\n"
                                 "class Version2(MXCPPlugin):\n"
                                 "    half = None\n"
                                 "    @udf\n"
                                 "    def add(self, a: str, b: str) -> str:\n"
                                 "        return a + b\n"
                                 "    @udf\n"
                                 "    def triple(self, x: int) -> int:\n"
                                 "        return 3 * x\n"
                                 "\n"
                                 "class Lister(MXCPBasePlugin):\n"
                                 "    @udf\n"
                                 "    def list(self, x: list[int]) -> int:\n"
                                 "        return 0\n"
                                 "\n"
                                 "class WithAny(MXCPBasePlugin):\n"
                                 "    @udf\n"
                                 "    def bad(self, x: Any) -> int:\n"
                                 "        return 1\n";

static PyObject *ns; /* the plugin module's globals */
static struct mx_db *db;
static struct mx_dbconn *c1, *c2;

static int setup(void **state)
{
	(void)state;
	Py_InitializeEx(0);
	if (mxpy_convert_init() != 0)
		fail_msg("mxpy_convert_init");
	PyObject *sys_path = PySys_GetObject("path"); /* borrowed */
	PyObject *dir = PyUnicode_FromString(mx_test_path("src/exec/python"));
	if (sys_path == NULL || dir == NULL || PyList_Insert(sys_path, 0, dir) != 0)
		fail_msg("sys.path");
	Py_DECREF(dir);
	PySys_SetObject("dont_write_bytecode", Py_True);
	ns = PyDict_New();
	PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins());
	PyDict_SetItemString(ns, "__name__", PyUnicode_FromString("plugin_under_test"));
	PyObject *r = PyRun_String(PLUGIN_SRC, Py_file_input, ns, ns);
	if (r == NULL) {
		PyErr_Print();
		fail_msg("the plugin module does not run");
	}
	Py_DECREF(r);
	PyEval_SaveThread();

	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0 || mx_db_connect(db, &c1, &err) != 0 ||
	    mx_db_connect(db, &c2, &err) != 0)
		fail_msg("db: %s", err.msg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mx_dbconn_close(c1);
	mx_dbconn_close(c2);
	mx_db_close(db);
	return 0;
}

/* {name: cls(config)} from Python expressions, registered. */
static int load_in(struct mx_db *in, const char *plugins_expr, struct mxpy_udfs **out, struct mx_err *err)
{
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *plugins = PyRun_String(plugins_expr, Py_eval_input, ns, ns);
	if (plugins == NULL) {
		PyErr_Print();
		fail_msg("%s", plugins_expr);
	}
	int rc = mxpy_udfs_register(in, plugins, out, err);
	assert_false(PyErr_Occurred());
	Py_DECREF(plugins);
	PyGILState_Release(g);
	return rc;
}

static int load(const char *plugins_expr, struct mxpy_udfs **out, struct mx_err *err)
{
	return load_in(db, plugins_expr, out, err);
}

static void unload(struct mxpy_udfs *u)
{
	mxpy_udfs_free(u); /* takes the GIL itself */
}

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

static void assert_query_fails(struct mx_dbconn *c, const char *sql, const char *needle)
{
	json_t *rows = NULL;
	struct mx_err err;
	if (mx_sql_query(c, sql, NULL, 0, &rows, &err) == 0)
		fail_msg("query succeeded: %s", sql);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error of %s\n  got: %s\n  expected to contain: %s", sql, err.msg, needle);
}

static void test_types_on_both_connections(void **state)
{
	(void)state;
	struct mxpy_udfs *u;
	struct mx_err err;
	if (load("{'p': MXCPPlugin({})}", &u, &err) != 0)
		fail_msg("register: %s", err.msg);
	struct mx_dbconn *conns[] = {c1, c2};
	for (int i = 0; i < 2; i++) {
		struct mx_dbconn *c = conns[i];
		ASSERT_QUERY(
		        c,
		        "SELECT shout_p('hi') AS a, add_p(2, 3) AS b, half_p(3.0) AS c, negate_p(true) AS d",
		        "[{\"a\": \"HI\", \"b\": 5, \"c\": 1.5, \"d\": false}]");
		ASSERT_QUERY(c,
		             "SELECT next_day_p(DATE '2024-02-28') AS a, next_day_p(DATE '2024-02-29') AS b",
		             "[{\"a\": \"2024-02-29\", \"b\": \"2024-03-01\"}]");
		ASSERT_QUERY(c, "SELECT total_p([1, 2, 3]) AS a, doubled_p([1, 2]) AS b, total_p([]) AS c",
		             "[{\"a\": 6, \"b\": [2, 4], \"c\": 0}]");
		ASSERT_QUERY(c, "SELECT map_sum_p(MAP {'a': 1, 'b': 41}) AS a", "[{\"a\": 42}]");
		ASSERT_QUERY(c, "SELECT pair_p('x', 7) AS a, pair_text_p({'name': 'y', 'value': 8}) AS b",
		             "[{\"a\": {\"name\": \"x\", \"value\": 7}, \"b\": \"y=8\"}]");
	}
	/* Every row of a chunk, and many chunks on DuckDB's threads. */
	ASSERT_QUERY(c1, "SELECT sum(add_p(i::INTEGER, 1)) AS s, count(*) AS n FROM range(100000) t(i)",
	             "[{\"s\": 5000050000, \"n\": 100000}]");
	/* MXCP's types: int is INTEGER, a methods without @udf is no function. */
	ASSERT_QUERY(c2,
	             "SELECT array_to_string(parameter_types, '; ') AS p, return_type AS r FROM "
	             "duckdb_functions() "
	             "WHERE function_name IN ('add_p', 'pair_p', 'map_sum_p') ORDER BY function_name",
	             "[{\"p\": \"INTEGER; INTEGER\", \"r\": \"INTEGER\"},"
	             " {\"p\": \"MAP(VARCHAR, INTEGER)\", \"r\": \"INTEGER\"},"
	             " {\"p\": \"VARCHAR; INTEGER\", \"r\": \"STRUCT(\\\"name\\\" VARCHAR, \\\"value\\\" "
	             "INTEGER)\"}]");
	assert_query_fails(c1, "SELECT helper_p(1)", "helper_p");
	unload(u);
}

static void test_nulls(void **state)
{
	(void)state;
	struct mxpy_udfs *u;
	struct mx_err err;
	if (load("{'p': MXCPPlugin({})}", &u, &err) != 0)
		fail_msg("register: %s", err.msg);
	/* MXCP registers with null_handling=SPECIAL: NULL reaches the method
	 * as None, and None is NULL. */
	ASSERT_QUERY(c1,
	             "SELECT is_null_p(NULL) AS a, is_null_p('x') AS b, echo_p(NULL) AS c, echo_p('y') AS d",
	             "[{\"a\": true, \"b\": false, \"c\": null, \"d\": \"y\"}]");
	ASSERT_QUERY(c2,
	             "SELECT x, is_null_p(x) AS n, echo_p(x) AS e FROM (VALUES (1, 'a'), (2, NULL), (3, "
	             "'c')) t(i, x) "
	             "ORDER BY i",
	             "[{\"x\": \"a\", \"n\": false, \"e\": \"a\"}, {\"x\": null, \"n\": true, \"e\": null},"
	             " {\"x\": \"c\", \"n\": false, \"e\": \"c\"}]");
	/* A method that does not expect None fails like any exception. */
	assert_query_fails(c1, "SELECT shout_p(NULL)", "UDF 'shout_p': AttributeError");
	unload(u);
}

static void test_exception(void **state)
{
	(void)state;
	struct mxpy_udfs *u;
	struct mx_err err;
	if (load("{'p': MXCPPlugin({})}", &u, &err) != 0)
		fail_msg("register: %s", err.msg);
	assert_query_fails(
	        c1, "SELECT fail_p(7)",
	        "Python exception occurred while executing the UDF 'fail_p': ValueError: no thanks: 7");
	assert_query_fails(c2, "SELECT add_p(2147483647, 1)", "UDF 'add_p'");
	/* The connections still work. */
	ASSERT_QUERY(c1, "SELECT add_p(1, 1) AS a", "[{\"a\": 2}]");
	unload(u);
}

static void test_any_rejected(void **state)
{
	(void)state;
	struct mxpy_udfs *u = NULL;
	struct mx_err err;
	assert_int_not_equal(load("{'w': WithAny({})}", &u, &err), 0);
	assert_null(u);
	if (strstr(err.msg,
	           "Type 'Any' is not supported in UDF type annotations. Please specify a concrete type.") ==
	            NULL ||
	    strstr(err.msg, "'w'") == NULL)
		fail_msg("got: %s", err.msg);
	assert_query_fails(c1, "SELECT bad_w(1)", "bad_w");
}

/* `list_sum` is DuckDB's: the registration fails, naming the function. */
static void test_name_taken(void **state)
{
	(void)state;
	struct mxpy_udfs *u = NULL;
	struct mx_err err;
	assert_int_not_equal(load("{'sum': Lister({})}", &u, &err), 0);
	assert_null(u);
	if (strstr(err.msg, "Cannot register the plugin UDF list_sum(INTEGER[]) -> INTEGER") == NULL)
		fail_msg("got: %s", err.msg);
	ASSERT_QUERY(c1, "SELECT list_sum([1, 2]) AS a", "[{\"a\": 3}]");
}

static void test_reload(void **state)
{
	(void)state;
	struct mxpy_udfs *u1, *u2;
	struct mx_err err;
	if (load("{'p': MXCPPlugin({'prefix': 'v1:'})}", &u1, &err) != 0)
		fail_msg("register: %s", err.msg);
	const char *sql = "SELECT shout_p('x') AS a";
	ASSERT_QUERY(c1, sql, "[{\"a\": \"v1:X\"}]");
	ASSERT_QUERY(c2, sql, "[{\"a\": \"v1:X\"}]");

	/* The new snapshot: the same names call the new instance (the same
	 * statement, cached by the connection, too); `add` changed its
	 * signature, `half` is gone, `triple` is new. */
	if (load("{'p': Version2({'prefix': 'v2:'})}", &u2, &err) != 0)
		fail_msg("register again: %s", err.msg);
	ASSERT_QUERY(c1, sql, "[{\"a\": \"v2:X\"}]");
	ASSERT_QUERY(c2, sql, "[{\"a\": \"v2:X\"}]");
	ASSERT_QUERY(c2, "SELECT triple_p(5) AS a", "[{\"a\": 15}]");
	assert_query_fails(c1, "SELECT add_p(1, 2)", "until the server restarts");
	assert_query_fails(c1, "SELECT half_p(1.0)", "half_p is no longer defined");

	/* Freeing the old snapshot leaves the new one in place. */
	unload(u1);
	ASSERT_QUERY(c1, sql, "[{\"a\": \"v2:X\"}]");
	unload(u2);
	assert_query_fails(c2, sql, "shout_p is not loaded");

	/* Back to the first signature: `add` works again. */
	if (load("{'p': MXCPPlugin({'prefix': 'v3:'})}", &u1, &err) != 0)
		fail_msg("register a third time: %s", err.msg);
	ASSERT_QUERY(c1, "SELECT add_p(1, 2) AS a, shout_p('x') AS b", "[{\"a\": 3, \"b\": \"v3:X\"}]");
	assert_query_fails(c1, "SELECT triple_p(1)", "triple_p is no longer defined");
	unload(u1);
}

/* Another database (one closed before it, maybe at the same address)
 * gets the functions registered afresh, beside the first one's. */
static void test_other_database(void **state)
{
	(void)state;
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_err err;
	struct mxpy_udfs *u, *u2;
	for (int round = 0; round < 2; round++) {
		struct mx_db *db2;
		struct mx_dbconn *c;
		if (mx_db_open(&opt, &db2, &err) != 0 || mx_db_connect(db2, &c, &err) != 0)
			fail_msg("db: %s", err.msg);
		if (load_in(db2, "{'q': MXCPPlugin({'prefix': 'q:'})}", &u, &err) != 0)
			fail_msg("register: %s", err.msg);
		ASSERT_QUERY(c, "SELECT shout_q('x') AS a", "[{\"a\": \"q:X\"}]");
		assert_query_fails(c, "SELECT shout_p('x')", "shout_p");
		mx_dbconn_close(c);
		mx_db_close(db2);
		unload(u);
	}
	if (load("{'p': MXCPPlugin({})}", &u2, &err) != 0)
		fail_msg("register: %s", err.msg);
	ASSERT_QUERY(c1, "SELECT shout_p('x') AS a", "[{\"a\": \"X\"}]");
	unload(u2);
}

static void test_user_context_and_shutdown(void **state)
{
	(void)state;
	PyGILState_STATE g = PyGILState_Ensure();
	int rc = PyRun_SimpleString(
	        "import mxcp.plugins.base as base\n"
	        "from mxcp.plugins import MXCPBasePlugin, on_shutdown\n"
	        "class U:\n"
	        "    username = 'ann'; email = 'ann@example.com'; provider = 'github'; external_token = "
	        "'tok'\n"
	        "closed = []\n"
	        "class C(MXCPBasePlugin):\n"
	        "    @on_shutdown\n"
	        "    def close(self):\n"
	        "        closed.append('hook')\n"
	        "    def shutdown(self):\n"
	        "        closed.append('shutdown')\n"
	        "p = C({}, U())\n"
	        "assert (p.get_username(), p.get_user_email(), p.get_user_provider(), p.get_user_token()) == "
	        "('ann', 'ann@example.com', 'github', 'tok')\n"
	        "assert p.is_authenticated() and not C({}).is_authenticated() and C({}).get_username() is "
	        "None\n"
	        "assert C({}, {'username': 'bob'}).get_username() == 'bob'\n"
	        "base.shutdown_plugins({'c': p})\n"
	        "assert closed == ['hook', 'shutdown'], closed\n"
	        "assert p not in base.get_active_plugins()\n"
	        "import mxcp.plugins\n"
	        "assert mxcp.plugins.__all__ == ['MXCPBasePlugin', 'udf', 'on_shutdown']\n");
	PyGILState_Release(g);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_types_on_both_connections),
	        cmocka_unit_test(test_nulls),
	        cmocka_unit_test(test_exception),
	        cmocka_unit_test(test_any_rejected),
	        cmocka_unit_test(test_name_taken),
	        cmocka_unit_test(test_reload),
	        cmocka_unit_test(test_other_database),
	        cmocka_unit_test(test_user_context_and_shutdown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
