/* SPDX-License-Identifier: Apache-2.0 */
/* convert_tmp — TEMPORARY stand-in until convert.c lands (via Python's json). */
#include "exec/python/py_int.h"

static PyObject *json_mod;
int mxpy_convert_init(void)
{
	json_mod = PyImport_ImportModule("json");
	return json_mod ? 0 : -1;
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
	PyObject *s = PyObject_CallMethod(json_mod, "dumps", "O", o);
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
