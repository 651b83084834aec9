/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module — `_mxcp`, the C module behind the `mxcp` package: the Call handle
 * of a running call (db.execute, log and progress to the client, the user
 * context, the request headers, the configuration, the plugins, a reload
 * request, requests to the client: sampling, elicitation) and the log. Every function here that reaches into mxcp
 * releases the GIL first (py_int.h: the GIL is never held while an mxcp
 * lock is taken).
 */
#include "exec/python/py_int.h"

#include "core/log.h"
#include "exec/python.h"

#include <string.h>

static const char NO_CONTEXT[] = "No execution context available - function not called from MXCP executor";

/* ------------------------------------------------------------------ Call */

static void call_dealloc(PyObject *self)
{
	struct mxpy_call *h = (struct mxpy_call *)self;
	Py_XDECREF(h->future);
	Py_XDECREF(h->user);
	Py_TYPE(self)->tp_free(self);
}

static int alive(struct mxpy_call *h)
{
	if (h->alive)
		return 1;
	PyErr_SetString(PyExc_RuntimeError, NO_CONTEXT);
	return 0;
}

static PyObject *call_db_execute(PyObject *self, PyObject *args)
{
	struct mxpy_call *h = (struct mxpy_call *)self;
	const char *sql;
	PyObject *params = Py_None;
	if (!PyArg_ParseTuple(args, "s|O:execute", &sql, &params) || !alive(h))
		return NULL;
	if (h->conn == NULL) {
		PyErr_SetString(PyExc_RuntimeError, "No DuckDB runtime available. Database access is only "
		                                    "available after runtime initialization.");
		return NULL;
	}
	return mxpy_db_execute(h->conn, sql, params == Py_None ? NULL : params);
}

static PyObject *call_log(PyObject *self, PyObject *args)
{
	struct mxpy_call *h = (struct mxpy_call *)self;
	const char *level, *message;
	if (!PyArg_ParseTuple(args, "ss:log", &level, &message) || !alive(h))
		return NULL;
	const struct mx_call_ctx *ctx = h->x ? h->x->ctx : NULL;
	Py_BEGIN_ALLOW_THREADS mx_call_ctx_log(ctx, level, "mxcp.runtime", message);
	Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

static PyObject *call_progress(PyObject *self, PyObject *args)
{
	struct mxpy_call *h = (struct mxpy_call *)self;
	double progress;
	PyObject *total = Py_None;
	const char *message = NULL;
	if (!PyArg_ParseTuple(args, "d|Oz:progress", &progress, &total, &message) || !alive(h))
		return NULL;
	double t = -1;
	if (total != Py_None && (t = PyFloat_AsDouble(total)) == -1 && PyErr_Occurred())
		return NULL;
	const struct mx_call_ctx *ctx = h->x ? h->x->ctx : NULL;
	Py_BEGIN_ALLOW_THREADS mx_call_ctx_progress(ctx, progress, t, message);
	Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

/* request(method, params, timeout): a request to the client (sampling,
 * elicitation) on the call's stream, waited for without the GIL. Returns
 * (True, result) or (False, (kind, code, message, data)), kind one of
 * "unsupported", "error", "timeout", "cancelled", "input_required" (2026-07-28:
 * the call must end with an input-required result); mxcp.runtime raises. */
static PyObject *call_request(PyObject *self, PyObject *args)
{
	struct mxpy_call *h = (struct mxpy_call *)self;
	const char *method;
	PyObject *params;
	double timeout;
	if (!PyArg_ParseTuple(args, "sOd:request", &method, &params, &timeout) || !alive(h))
		return NULL;
	struct mx_err err;
	mx_err_clear(&err);
	json_t *jparams = NULL;
	if (mxpy_to_json(params, &jparams, &err) != 0) {
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError, "%s: params: %s", method, err.msg);
		return NULL;
	}
	struct mx_call_ctx *ctx = h->x ? h->x->ctx : NULL;
	json_t *result = NULL;
	int rc;
	Py_BEGIN_ALLOW_THREADS rc = mx_call_ctx_request(ctx, method, jparams, timeout, &result, &err);
	Py_END_ALLOW_THREADS json_decref(jparams);
	if (rc == 0) {
		PyObject *r = mxpy_from_json(result);
		json_decref(result);
		return r ? Py_BuildValue("(ON)", Py_True, r) : NULL;
	}
	const char *kind = rc == MX_EINPUT       ? "input_required"
	                   : rc == MX_ENOTFOUND  ? "unsupported"
	                   : rc == MX_ELIMIT     ? "timeout"
	                   : rc == MX_ECANCELLED ? "cancelled"
	                                         : "error";
	PyObject *code = Py_NewRef(Py_None), *data = Py_NewRef(Py_None);
	if (result) { /* the client's JSON-RPC error object */
		const json_t *jc = json_object_get(result, "code"), *jd = json_object_get(result, "data");
		if (json_is_integer(jc))
			Py_SETREF(code, PyLong_FromLongLong(json_integer_value(jc)));
		if (jd)
			Py_SETREF(data, mxpy_from_json(jd));
		json_decref(result);
	}
	if (code == NULL || data == NULL) {
		Py_XDECREF(code);
		Py_XDECREF(data);
		return NULL;
	}
	return Py_BuildValue("(O(ssNN))", Py_False, kind, err.msg, code, data);
}

/* A member of the user context, else of the `user` object, else None. */
static int put_field(PyObject *d, const char *key, const json_t *ctx, const json_t *user)
{
	const json_t *v = json_object_get(ctx, key);
	if (v == NULL || json_is_null(v))
		v = json_object_get(user, key);
	PyObject *o = v ? mxpy_from_json(v) : Py_NewRef(Py_None);
	if (o == NULL)
		return -1;
	int rc = PyDict_SetItemString(d, key, o);
	Py_DECREF(o);
	return rc;
}

/* The keyword arguments of a UserContextModel, or None (anonymous). */
static PyObject *call_user_context(PyObject *self, PyObject *unused)
{
	(void)unused;
	struct mxpy_call *h = (struct mxpy_call *)self;
	if (!alive(h))
		return NULL;
	if (h->user)
		return Py_NewRef(h->user);
	struct mx_call_ctx *ctx = h->x ? h->x->ctx : NULL;
	if (ctx == NULL || ctx->user_context == NULL)
		Py_RETURN_NONE;
	const json_t *user = mx_call_ctx_user(ctx);
	const json_t *uc = ctx->user_context;
	PyObject *d = PyDict_New();
	static const char *const keys[] = {"user_id",    "username",    "email",          "name",
	                                   "avatar_url", "raw_profile", "external_token", "capabilities"};
	if (d == NULL)
		return NULL;
	const char *provider =
	        ctx->user_provider ? ctx->user_provider : json_string_value(json_object_get(uc, "provider"));
	PyObject *pv = provider ? PyUnicode_FromString(provider) : Py_NewRef(Py_None);
	if (pv == NULL || PyDict_SetItemString(d, "provider", pv) != 0) {
		Py_XDECREF(pv);
		Py_DECREF(d);
		return NULL;
	}
	Py_DECREF(pv);
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (put_field(d, keys[i], uc, user) != 0) {
			Py_DECREF(d);
			return NULL;
		}
	PyObject *caps = PyDict_GetItemString(d, "capabilities");
	if (caps == Py_None) {
		PyObject *l = PyList_New(0);
		if (l == NULL || PyDict_SetItemString(d, "capabilities", l) != 0) {
			Py_XDECREF(l);
			Py_DECREF(d);
			return NULL;
		}
		Py_DECREF(l);
	}
	h->user = Py_NewRef(d);
	return d;
}

static PyObject *call_headers(PyObject *self, PyObject *unused)
{
	(void)unused;
	struct mxpy_call *h = (struct mxpy_call *)self;
	if (!alive(h))
		return NULL;
	const json_t *hd = h->x && h->x->ctx ? h->x->ctx->request_headers : NULL;
	if (hd == NULL)
		Py_RETURN_NONE;
	return mxpy_from_json(hd);
}

#define STATE_GETTER(fn, field)                                                   \
	static PyObject *fn(PyObject *self, PyObject *unused)                     \
	{                                                                         \
		(void)unused;                                                     \
		struct mxpy_call *h = (struct mxpy_call *)self;                   \
		if (!alive(h))                                                    \
			return NULL;                                              \
		return Py_NewRef(h->st && h->st->field ? h->st->field : Py_None); \
	}
STATE_GETTER(call_site_config, site_config)
STATE_GETTER(call_user_config, user_config)
STATE_GETTER(call_secrets, secrets)

static PyObject *call_plugins(PyObject *self, PyObject *unused)
{
	(void)unused;
	struct mxpy_call *h = (struct mxpy_call *)self;
	if (!alive(h))
		return NULL;
	if (h->st && h->st->plugins)
		return Py_NewRef(h->st->plugins);
	return PyDict_New();
}

static PyObject *call_request_reload(PyObject *self, PyObject *args)
{
	struct mxpy_call *h = (struct mxpy_call *)self;
	PyObject *payload;
	const char *description;
	if (!PyArg_ParseTuple(args, "Os:request_reload", &payload, &description) || !alive(h))
		return NULL;
	if (payload != Py_None && !PyCallable_Check(payload)) {
		PyErr_SetString(PyExc_TypeError, "payload_func must be callable");
		return NULL;
	}
	void *p = payload == Py_None ? NULL : Py_NewRef(payload);
	int rc;
	Py_BEGIN_ALLOW_THREADS rc = mx_python_request_reload(p, description);
	Py_END_ALLOW_THREADS if (rc != 0)
	{
		Py_XDECREF((PyObject *)p);
		Py_RETURN_FALSE;
	}
	Py_RETURN_TRUE;
}

static PyObject *call_get_future(PyObject *self, void *closure)
{
	(void)closure;
	struct mxpy_call *h = (struct mxpy_call *)self;
	return Py_NewRef(h->future ? h->future : Py_None);
}

static int call_set_future(PyObject *self, PyObject *v, void *closure)
{
	(void)closure;
	struct mxpy_call *h = (struct mxpy_call *)self;
	Py_XSETREF(h->future, v && v != Py_None ? Py_NewRef(v) : NULL);
	return 0;
}

static PyObject *call_get_alive(PyObject *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(((struct mxpy_call *)self)->alive);
}

static PyMethodDef call_methods[] = {
        {"db_execute", call_db_execute, METH_VARARGS, "db.execute(sql, params) on the call's connection"},
        {"log", call_log, METH_VARARGS, "a message to the client at an MCP log level"},
        {"progress", call_progress, METH_VARARGS, "progress to the client"},
        {"request", call_request, METH_VARARGS, "a request to the client, waited for without the GIL"},
        {"user_context", call_user_context, METH_NOARGS, "the caller's user context (dict) or None"},
        {"headers", call_headers, METH_NOARGS, "the request's headers (dict) or None"},
        {"site_config", call_site_config, METH_NOARGS, "mxcp-site.yml as a dict"},
        {"user_config", call_user_config, METH_NOARGS, "the user config as a dict"},
        {"secrets", call_secrets, METH_NOARGS, "the active profile's secrets"},
        {"plugins", call_plugins, METH_NOARGS, "the plugin instances by name"},
        {"request_reload", call_request_reload, METH_VARARGS, "queue a reload (reload_duckdb)"},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef call_getset[] = {
        {"future", call_get_future, call_set_future, "an async call's future", NULL},
        {"alive", call_get_alive, NULL, "whether the call still runs", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject mxpy_call_type = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_mxcp.Call",
        .tp_basicsize = sizeof(struct mxpy_call),
        .tp_dealloc = call_dealloc,
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_doc = "A running call, as mxcp.runtime reaches it",
        .tp_methods = call_methods,
        .tp_getset = call_getset,
};

struct mxpy_call *mxpy_call_new(struct mxpy_state *st, struct mx_dbconn *conn, const struct mx_exec_call *x)
{
	struct mxpy_call *h = PyObject_New(struct mxpy_call, &mxpy_call_type);
	if (h == NULL)
		return NULL;
	h->x = x;
	h->conn = conn;
	h->st = st;
	h->future = NULL;
	h->user = NULL;
	h->alive = 1;
	return h;
}

void mxpy_call_end(struct mxpy_call *h)
{
	if (h == NULL)
		return;
	h->alive = 0;
	h->x = NULL;
	h->conn = NULL;
	h->st = NULL;
	Py_CLEAR(h->future);
	Py_DECREF(h);
}

/* ------------------------------------------------------------------- log */

static PyObject *mod_log(PyObject *self, PyObject *args)
{
	(void)self;
	int levelno;
	const char *text;
	if (!PyArg_ParseTuple(args, "is:log", &levelno, &text))
		return NULL;
	enum mx_log_level l = levelno >= 40   ? MX_LOG_ERROR
	                      : levelno >= 30 ? MX_LOG_WARNING
	                      : levelno >= 20 ? MX_LOG_INFO
	                                      : MX_LOG_DEBUG;
	Py_BEGIN_ALLOW_THREADS mx_log(l, "python: %s", text);
	Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

/* mxcp's log level as Python's logging level number. */
static PyObject *mod_log_level(PyObject *self, PyObject *unused)
{
	(void)self, (void)unused;
	static const int levels[] = {[MX_LOG_DEBUG] = 10,
	                             [MX_LOG_INFO] = 20,
	                             [MX_LOG_WARNING] = 30,
	                             [MX_LOG_ERROR] = 40,
	                             [MX_LOG_OFF] = 50};
	enum mx_log_level l = mx_log_get_level();
	return PyLong_FromLong((unsigned)l <= MX_LOG_OFF ? levels[l] : 20);
}

static PyMethodDef mod_methods[] = {
        {"log", mod_log, METH_VARARGS, "a line to mxcp's log at a Python logging level"},
        {"log_level", mod_log_level, METH_NOARGS, "mxcp's log level as a Python logging level"},
        {NULL, NULL, 0, NULL},
};

static struct PyModuleDef mod_def = {
        PyModuleDef_HEAD_INIT,
        "_mxcp",
        "mxcp's embedding (internal)",
        -1,
        mod_methods,
        NULL,
        NULL,
        NULL,
        NULL,
};

PyObject *mxpy_module_init(void)
{
	if (PyType_Ready(&mxpy_call_type) < 0)
		return NULL;
	PyObject *m = PyModule_Create(&mod_def);
	if (m == NULL)
		return NULL;
	if (PyModule_AddObjectRef(m, "Call", (PyObject *)&mxpy_call_type) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
