/* SPDX-License-Identifier: Apache-2.0 */
/* convert_tmp — TEMPORARY stand-in until convert.c lands (via Python's json). */
#include "exec/python/py_int.h"

static PyObject *json_mod, *json_default;
/* The hook convert.c must have too: an object whose type has
 * __mxcp_json__() converts as what that method returns (mxcp.content). */
static const char DEFAULT_SRC[] = "def default(o):\n"
                                  "    f = getattr(type(o), '__mxcp_json__', None)\n"
                                  "    if f is None:\n"
                                  "        raise TypeError(type(o).__name__)\n"
                                  "    return f(o)\n";
int mxpy_convert_init(void)
{
	json_mod = PyImport_ImportModule("json");
	PyObject *g = PyDict_New();
	if (g == NULL || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) != 0)
		return -1;
	PyObject *r = PyRun_String(DEFAULT_SRC, Py_file_input, g, g);
	Py_XDECREF(r);
	json_default = r ? PyDict_GetItemString(g, "default") : NULL;
	Py_XINCREF(json_default);
	Py_DECREF(g);
	return json_mod && json_default ? 0 : -1;
}
PyObject *mxpy_from_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY);
	PyObject *r = PyObject_CallMethod(json_mod, "loads", "s", s);
	json_malloc_t m;
	json_free_t f;
	json_get_alloc_funcs(&m, &f);
	f(s);
	return r;
}
PyObject *mxpy_args(const json_t *args, struct mx_type *const *params, size_t nparams)
{
	(void)params, (void)nparams;
	return mxpy_from_json(args);
}
int mxpy_to_json(PyObject *o, json_t **out, struct mx_err *err)
{
	PyObject *dumps = PyObject_GetAttrString(json_mod, "dumps");
	PyObject *args = PyTuple_Pack(1, o);
	PyObject *kw = Py_BuildValue("{s:O}", "default", json_default);
	PyObject *s = dumps && args && kw ? PyObject_Call(dumps, args, kw) : NULL;
	Py_XDECREF(dumps);
	Py_XDECREF(args);
	Py_XDECREF(kw);
	if (s == NULL)
		return mx_err_set(err, MX_EINVAL, "cannot convert");
	*out = json_loads(PyUnicode_AsUTF8(s), JSON_DECODE_ANY, NULL);
	Py_DECREF(s);
	return 0;
}
PyObject *mxpy_db_execute(struct mx_dbconn *conn, const char *sql, PyObject *params)
{
	(void)params;
	json_t *rows = NULL;
	struct mx_err err;
	int rc;
	Py_BEGIN_ALLOW_THREADS rc = mx_sql_query(conn, sql, NULL, 0, &rows, &err);
	Py_END_ALLOW_THREADS if (rc)
	{
		PyErr_SetString(PyExc_RuntimeError, err.msg);
		return NULL;
	}
	PyObject *r = mxpy_from_json(rows);
	json_decref(rows);
	return r;
}
int mxpy_udfs_register(struct mx_db *db, PyObject *plugins, struct mxpy_udfs **out, struct mx_err *err)
{
	(void)db, (void)plugins, (void)err;
	*out = NULL;
	return 0;
}
void mxpy_udfs_free(struct mxpy_udfs *u)
{
	(void)u;
}
