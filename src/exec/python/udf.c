/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udf — plugins' @udf methods as DuckDB scalar functions (see py_int.h).
 *
 * MXCP: each plugin instance (the site config's `plugin:` entry `name`)
 * answers udfs() with {name, method, args, return_type}, the types as
 * DuckDB type strings (mxcp/plugins/base.py); the function is
 * `<method>_<plugin name>`, created with null_handling SPECIAL (a NULL
 * argument reaches the method as None) and Python errors forwarded. The
 * type strings are given to DuckDB's own parser (the type of `CAST(NULL AS
 * <type>)`), as duckdb-python's create_function does with them.
 *
 * Owns: the process-wide table of slots, one per (database, function name).
 * DuckDB keeps a scalar function in the database's catalog for the
 * database's lifetime and refuses to register a name again (whatever the
 * signature; C API functions cannot be dropped), so a slot is registered
 * once, through a connection of its own, and every connection of every
 * worker sees it. The slot is the function's extra info: DuckDB frees it
 * (slot_destroy) when the database closes.
 *
 * A snapshot (struct mxpy_udfs) owns one binding per function: the bound
 * method, refcounted. A slot points at (borrows) the binding of the latest
 * snapshot registered for its database, or at none, with the reason calls
 * fail: the function is gone from the new snapshot, its signature changed
 * (DuckDB keeps the first one until a restart), or its snapshot was freed.
 *
 * Threads and locks: the function runs on DuckDB's threads. table_mu
 * guards the table and every slot's binding pointer; it is a leaf lock,
 * never held while waiting for the GIL or DuckDB, and never taken with the
 * GIL held. A call takes a reference to the binding under table_mu,
 * releases it, then takes the GIL once per chunk. reload_mu serialises
 * registrations (and frees) while they talk to DuckDB without the GIL.
 * A binding's last reference is dropped with the GIL held (it owns a
 * Python reference).
 */
#include "exec/python/py_int.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MXPY_UDF_MAX_ARGS 64
#define MXPY_UDF_TYPE_MAX 4096
#define MXPY_UDF_ERR_MAX 2048

struct udf_binding {
	atomic_long refs;
	PyObject *method; /* strong */
};

struct udf_slot {
	struct udf_slot *next; /* the table */
	duckdb_database db; /* key */
	char *name; /* key: <method>_<plugin> */
	char *signature; /* "(INTEGER, VARCHAR) -> INTEGER", as registered */
	size_t nargs;
	duckdb_logical_type args[MXPY_UDF_MAX_ARGS];
	duckdb_logical_type ret;
	/* table_mu */
	struct udf_binding *cur; /* borrowed from its snapshot; NULL: fail with why */
	char *why;
};

struct mxpy_udfs {
	size_t n;
	struct udf_binding **bindings;
};

/* A function of a snapshot being registered. */
struct udf_def {
	char *name;
	char *signature;
	size_t nargs;
	char *arg_types[MXPY_UDF_MAX_ARGS];
	char *ret_type;
	struct udf_binding *binding;
	struct udf_slot *slot;
	int signature_changed;
};

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reload_mu = PTHREAD_MUTEX_INITIALIZER;
static struct udf_slot *table;

/* ------------------------------------------------------------------------ */
/* Bindings and slots                                                        */
/* ------------------------------------------------------------------------ */

static void binding_ref(struct udf_binding *b)
{
	atomic_fetch_add(&b->refs, 1);
}

/* GIL held. */
static void binding_unref(struct udf_binding *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
		Py_XDECREF(b->method);
		mx_free(b);
	}
}

/* table_mu held. why is copied; NULL keeps the current reason. */
static void slot_set(struct udf_slot *s, struct udf_binding *b, const char *why)
{
	s->cur = b;
	if (why != NULL) {
		char *w = mx_strdup(why);
		if (w != NULL) {
			mx_free(s->why);
			s->why = w;
		}
	}
}

/* DuckDB frees the function's extra info when the catalog entry goes (the
 * database closes), on any thread. The binding is borrowed: nothing of
 * Python's is touched. */
static void slot_destroy(void *p)
{
	struct udf_slot *s = p;
	pthread_mutex_lock(&table_mu);
	for (struct udf_slot **q = &table; *q; q = &(*q)->next) {
		if (*q == s) {
			*q = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&table_mu);
	for (size_t i = 0; i < s->nargs; i++)
		duckdb_destroy_logical_type(&s->args[i]);
	if (s->ret)
		duckdb_destroy_logical_type(&s->ret);
	mx_free(s->name);
	mx_free(s->signature);
	mx_free(s->why);
	mx_free(s);
}

/* table_mu held. */
static struct udf_slot *slot_find(duckdb_database db, const char *name)
{
	for (struct udf_slot *s = table; s; s = s->next)
		if (s->db == db && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Release the GIL when this thread holds it (to take a lock, to wait for
 * DuckDB); gil_restore takes it back. */
static PyThreadState *gil_release(void)
{
	return Py_IsInitialized() && PyGILState_Check() ? PyEval_SaveThread() : NULL;
}

static void gil_restore(PyThreadState *ts)
{
	if (ts != NULL)
		PyEval_RestoreThread(ts);
}

/* ------------------------------------------------------------------------ */
/* The function                                                              */
/* ------------------------------------------------------------------------ */

/* The pending Python exception as duckdb-python words it, naming the
 * function; clears it. GIL held. */
static void exception_text(const char *name, char *buf, size_t n)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	const char *tname = type && PyType_Check(type) ? ((PyTypeObject *)type)->tp_name : "Exception";
	PyObject *str = value ? PyObject_Str(value) : NULL;
	const char *text = str ? PyUnicode_AsUTF8(str) : NULL;
	if (text == NULL)
		PyErr_Clear();
	snprintf(buf, n, "Python exception occurred while executing the UDF '%s': %s%s%s", name, tname,
	         text && text[0] ? ": " : "", text && text[0] ? text : "");
	Py_XDECREF(str);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

static void set_null(duckdb_vector out, idx_t row)
{
	duckdb_vector_ensure_validity_writable(out);
	duckdb_validity_set_row_invalid(duckdb_vector_get_validity(out), row);
}

/* One chunk: the method on each row (None for a NULL argument), under one
 * GIL acquisition. The first error stops the chunk and fails the query. */
static void udf_call(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	struct udf_slot *s = duckdb_scalar_function_get_extra_info(info);
	char msg[MXPY_UDF_ERR_MAX];
	msg[0] = '\0';
	pthread_mutex_lock(&table_mu);
	struct udf_binding *b = s->cur;
	if (b != NULL)
		binding_ref(b);
	else
		snprintf(msg, sizeof msg, "%s", s->why ? s->why : "the plugin UDF is not loaded");
	pthread_mutex_unlock(&table_mu);
	if (b == NULL) {
		duckdb_scalar_function_set_error(info, msg);
		return;
	}

	idx_t n = duckdb_data_chunk_get_size(input);
	duckdb_vector vec[MXPY_UDF_MAX_ARGS];
	uint64_t *valid[MXPY_UDF_MAX_ARGS];
	for (size_t i = 0; i < s->nargs; i++) {
		vec[i] = duckdb_data_chunk_get_vector(input, i);
		valid[i] = duckdb_vector_get_validity(vec[i]);
	}

	PyGILState_STATE g = PyGILState_Ensure();
	for (idx_t row = 0; row < n && msg[0] == '\0'; row++) {
		PyObject *args = PyTuple_New((Py_ssize_t)s->nargs);
		for (size_t i = 0; args != NULL && i < s->nargs; i++) {
			PyObject *v;
			if (valid[i] != NULL && !duckdb_validity_row_is_valid(valid[i], row))
				v = Py_NewRef(Py_None);
			else
				v = mxpy_from_duckdb(vec[i], s->args[i], row);
			if (v == NULL)
				Py_CLEAR(args);
			else
				PyTuple_SET_ITEM(args, (Py_ssize_t)i, v);
		}
		PyObject *r = args ? PyObject_Call(b->method, args, NULL) : NULL;
		Py_XDECREF(args);
		if (r == Py_None)
			set_null(out, row);
		else if (r == NULL || mxpy_to_duckdb(r, out, s->ret, row) != 0)
			exception_text(s->name, msg, sizeof msg);
		Py_XDECREF(r);
	}
	binding_unref(b);
	PyGILState_Release(g);
	if (msg[0] != '\0')
		duckdb_scalar_function_set_error(info, msg);
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */
/* ------------------------------------------------------------------------ */

static void defs_free(struct udf_def *defs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < defs[i].nargs; j++)
			mx_free(defs[i].arg_types[j]);
		mx_free(defs[i].name);
		mx_free(defs[i].signature);
		mx_free(defs[i].ret_type);
		binding_unref(defs[i].binding);
	}
	mx_free(defs);
}

/* The pending Python exception as an error naming the plugin. GIL held. */
static int python_err(struct mx_err *err, const char *plugin)
{
	char text[MXPY_UDF_ERR_MAX];
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	PyObject *str = value ? PyObject_Str(value) : NULL;
	const char *t = str ? PyUnicode_AsUTF8(str) : NULL;
	if (t == NULL)
		PyErr_Clear();
	snprintf(text, sizeof text, "%s: %s",
	         type && PyType_Check(type) ? ((PyTypeObject *)type)->tp_name : "Exception", t ? t : "");
	Py_XDECREF(str);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	return mx_err_set(err, MX_EINVAL, "Plugin '%s': cannot read its UDFs: %s", plugin, text);
}

/* A str item of a UDF definition (a dict), copied into *out. GIL held. */
static int def_str(PyObject *d, const char *key, const char *plugin, char **out, struct mx_err *err)
{
	PyObject *v = PyMapping_GetItemString(d, key);
	const char *s = v && PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
	*out = s ? mx_strdup(s) : NULL;
	Py_XDECREF(v);
	PyErr_Clear();
	if (s == NULL)
		return mx_err_set(err, MX_EINVAL, "Plugin '%s': a UDF definition's '%s' is not a string",
		                  plugin, key);
	if (*out == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	return 0;
}

/* One entry of udfs() into def. GIL held. */
static int read_def(PyObject *d, const char *plugin, struct udf_def *def, struct mx_err *err)
{
	char *method_name;
	int rc = def_str(d, "name", plugin, &method_name, err);
	if (rc != 0)
		return rc;
	struct mx_buf b;
	mx_buf_init(&b, MXPY_UDF_TYPE_MAX * 2);
	rc = mx_buf_printf(&b, "%s_%s", method_name, plugin);
	def->name = rc == 0 ? mx_buf_detach(&b) : NULL;
	mx_free(method_name);
	if (def->name == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");

	PyObject *method = PyMapping_GetItemString(d, "method");
	if (method == NULL || !PyCallable_Check(method)) {
		Py_XDECREF(method);
		PyErr_Clear();
		return mx_err_set(err, MX_EINVAL, "Plugin '%s': the UDF %s has no callable 'method'", plugin,
		                  def->name);
	}
	def->binding = mx_calloc(1, sizeof *def->binding);
	if (def->binding == NULL) {
		Py_DECREF(method);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	atomic_init(&def->binding->refs, 1);
	def->binding->method = method;

	PyObject *args = PyMapping_GetItemString(d, "args");
	PyObject *seq = args ? PySequence_Fast(args, "") : NULL;
	Py_XDECREF(args);
	if (seq == NULL) {
		PyErr_Clear();
		return mx_err_set(err, MX_EINVAL, "Plugin '%s': the UDF %s's 'args' is not a list of types",
		                  plugin, def->name);
	}
	Py_ssize_t nargs = PySequence_Fast_GET_SIZE(seq);
	if (nargs > MXPY_UDF_MAX_ARGS) {
		Py_DECREF(seq);
		return mx_err_set(err, MX_ELIMIT, "Plugin '%s': the UDF %s has more than %d parameters",
		                  plugin, def->name, MXPY_UDF_MAX_ARGS);
	}
	mx_buf_reset(&b);
	if (mx_buf_putc(&b, '(') != 0)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	for (Py_ssize_t i = 0; rc == 0 && i < nargs; i++) {
		PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
		const char *s = PyUnicode_Check(t) ? PyUnicode_AsUTF8(t) : NULL;
		if (s == NULL) {
			PyErr_Clear();
			rc = mx_err_set(err, MX_EINVAL,
			                "Plugin '%s': the UDF %s's argument type %zd is not a string", plugin,
			                def->name, (Py_ssize_t)(i + 1));
			break;
		}
		if ((def->arg_types[i] = mx_strdup(s)) == NULL) {
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			break;
		}
		def->nargs++;
		if (mx_buf_printf(&b, "%s%s", i ? ", " : "", s) != 0)
			rc = mx_err_set(err, MX_ELIMIT, "Plugin '%s': the UDF %s's signature is too long",
			                plugin, def->name);
	}
	Py_DECREF(seq);
	if (rc == 0)
		rc = def_str(d, "return_type", plugin, &def->ret_type, err);
	if (rc == 0 && mx_buf_printf(&b, ") -> %s", def->ret_type) != 0)
		rc = mx_err_set(err, MX_ELIMIT, "Plugin '%s': the UDF %s's signature is too long", plugin,
		                def->name);
	if (rc == 0 && (def->signature = mx_buf_detach(&b)) == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	mx_buf_free(&b);
	return rc;
}

/* Every plugin's udfs(), as definitions. GIL held. */
static int read_defs(PyObject *plugins, struct udf_def **out, size_t *nout, struct mx_err *err)
{
	*out = NULL;
	*nout = 0;
	PyObject *items = PyMapping_Items(plugins);
	if (items == NULL) {
		PyErr_Clear();
		return mx_err_set(err, MX_EINVAL, "The plugins are not a mapping of name to instance");
	}
	struct udf_def *defs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(items); i++) {
		PyObject *item = PyList_GET_ITEM(items, i);
		PyObject *key = PyTuple_GET_ITEM(item, 0), *inst = PyTuple_GET_ITEM(item, 1);
		const char *plugin = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
		if (plugin == NULL) {
			PyErr_Clear();
			rc = mx_err_set(err, MX_EINVAL, "A plugin's name is not a string");
			break;
		}
		PyObject *list = PyObject_CallMethod(inst, "udfs", NULL);
		PyObject *seq = list ? PySequence_Fast(list, "udfs() did not return a list") : NULL;
		Py_XDECREF(list);
		if (seq == NULL) {
			rc = python_err(err, plugin);
			break;
		}
		for (Py_ssize_t j = 0; rc == 0 && j < PySequence_Fast_GET_SIZE(seq); j++) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct udf_def *nd = mx_realloc(defs, ncap * sizeof *nd);
				if (nd == NULL) {
					rc = mx_err_set(err, MX_ENOMEM, "out of memory");
					break;
				}
				memset(nd + cap, 0, (ncap - cap) * sizeof *nd);
				defs = nd;
				cap = ncap;
			}
			rc = read_def(PySequence_Fast_GET_ITEM(seq, j), plugin, &defs[n], err);
			n++;
			for (size_t k = 0; rc == 0 && k + 1 < n; k++)
				if (strcmp(defs[k].name, defs[n - 1].name) == 0)
					rc = mx_err_set(err, MX_EINVAL, "Two plugin UDFs are named %s",
					                defs[k].name);
		}
		Py_DECREF(seq);
	}
	Py_DECREF(items);
	if (rc != 0) {
		defs_free(defs, n);
		return rc;
	}
	*out = defs;
	*nout = n;
	return 0;
}

/* A DuckDB type string as DuckDB's parser reads it. No GIL. */
static int parse_type(duckdb_connection conn, const char *udf, const char *text, duckdb_logical_type *out,
                      struct mx_err *err)
{
	struct mx_buf b;
	mx_buf_init(&b, MXPY_UDF_TYPE_MAX);
	if (mx_buf_printf(&b, "SELECT CAST(NULL AS %s)", text) != 0) {
		mx_buf_free(&b);
		return mx_err_set(err, MX_ELIMIT, "The UDF %s: the type '%.64s…' is too long", udf, text);
	}
	duckdb_prepared_statement st = NULL;
	int rc = 0;
	if (duckdb_prepare(conn, mx_buf_str(&b), &st) != DuckDBSuccess ||
	    duckdb_prepared_statement_column_count(st) != 1) {
		const char *e = st ? duckdb_prepare_error(st) : NULL;
		rc = mx_err_set(err, MX_EINVAL, "The UDF %s: DuckDB does not know the type '%s'%s%s", udf,
		                text, e ? ": " : "", e ? e : "");
	} else if ((*out = duckdb_prepared_statement_column_logical_type(st, 0)) == NULL) {
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	duckdb_destroy_prepare(&st);
	mx_buf_free(&b);
	return rc;
}

/* A new slot for def, registered in DuckDB. No GIL, reload_mu held. */
static int slot_register(duckdb_connection conn, duckdb_database ddb, struct udf_def *def,
                         struct udf_slot **out, struct mx_err *err)
{
	struct udf_slot *s = mx_calloc(1, sizeof *s);
	if (s == NULL || (s->name = mx_strdup(def->name)) == NULL ||
	    (s->signature = mx_strdup(def->signature)) == NULL) {
		if (s)
			slot_destroy(s);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	s->db = ddb;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < def->nargs; i++)
		if ((rc = parse_type(conn, def->name, def->arg_types[i], &s->args[i], err)) == 0)
			s->nargs++;
	if (rc == 0)
		rc = parse_type(conn, def->name, def->ret_type, &s->ret, err);
	if (rc != 0) {
		slot_destroy(s);
		return rc;
	}
	duckdb_scalar_function f = duckdb_create_scalar_function();
	duckdb_scalar_function_set_name(f, s->name);
	for (size_t i = 0; i < s->nargs; i++)
		duckdb_scalar_function_add_parameter(f, s->args[i]);
	duckdb_scalar_function_set_return_type(f, s->ret);
	/* MXCP's null_handling=SPECIAL: NULL arguments reach the method. */
	duckdb_scalar_function_set_special_handling(f);
	/* Never folded into a cached plan: a reload changes what it answers. */
	duckdb_scalar_function_set_volatile(f);
	duckdb_scalar_function_set_function(f, udf_call);
	/* From here DuckDB owns the slot (slot_destroy). */
	duckdb_scalar_function_set_extra_info(f, s, slot_destroy);
	duckdb_state st = duckdb_register_scalar_function(conn, f);
	if (st == DuckDBSuccess) {
		s->why = mx_strdup("the plugin UDF is not loaded");
		pthread_mutex_lock(&table_mu);
		s->next = table;
		table = s;
		pthread_mutex_unlock(&table_mu);
		*out = s;
	}
	duckdb_destroy_scalar_function(&f);
	if (st != DuckDBSuccess)
		return mx_err_set(err, MX_EDB,
		                  "Cannot register the plugin UDF %s%s in DuckDB (is the name taken by "
		                  "another function?)",
		                  def->name, def->signature);
	return 0;
}

/* Find or register every function, then point the slots of this database
 * at the new bindings. No GIL. */
static int register_defs(duckdb_database ddb, struct udf_def *defs, size_t n, struct mx_err *err)
{
	duckdb_connection conn;
	if (duckdb_connect(ddb, &conn) != DuckDBSuccess)
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB to register the plugin UDFs");
	int rc = 0;
	pthread_mutex_lock(&reload_mu);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		pthread_mutex_lock(&table_mu);
		struct udf_slot *s = slot_find(ddb, defs[i].name);
		pthread_mutex_unlock(&table_mu);
		if (s == NULL) {
			rc = slot_register(conn, ddb, &defs[i], &defs[i].slot, err);
			continue;
		}
		defs[i].slot = s; /* its signature is fixed: reload_mu held */
		if (strcmp(s->signature, defs[i].signature) != 0) {
			defs[i].signature_changed = 1;
			mx_log(MX_LOG_WARNING,
			       "The plugin UDF %s changed its signature from %s to %s: DuckDB keeps the "
			       "first one, "
			       "calls fail until the server restarts",
			       defs[i].name, s->signature, defs[i].signature);
		}
	}
	if (rc == 0) {
		struct mx_buf why;
		mx_buf_init(&why, MXPY_UDF_ERR_MAX);
		pthread_mutex_lock(&table_mu);
		for (struct udf_slot *s = table; s; s = s->next)
			if (s->db == ddb) {
				mx_buf_reset(&why);
				mx_buf_printf(
				        &why,
				        "The plugin UDF %s is no longer defined by the project's plugins",
				        s->name);
				slot_set(s, NULL, mx_buf_str(&why));
			}
		for (size_t i = 0; i < n; i++) {
			if (!defs[i].signature_changed) {
				slot_set(defs[i].slot, defs[i].binding, NULL);
				continue;
			}
			mx_buf_reset(&why);
			mx_buf_printf(
			        &why,
			        "The plugin UDF %s changed its signature to %s; DuckDB keeps the one it was "
			        "registered with, %s, until the server restarts",
			        defs[i].name, defs[i].signature, defs[i].slot->signature);
			slot_set(defs[i].slot, NULL, mx_buf_str(&why));
		}
		pthread_mutex_unlock(&table_mu);
		mx_buf_free(&why);
	}
	pthread_mutex_unlock(&reload_mu);
	duckdb_disconnect(&conn);
	return rc;
}

int mxpy_udfs_register(struct mx_db *db, PyObject *plugins, struct mxpy_udfs **out, struct mx_err *err)
{
	*out = NULL;
	struct udf_def *defs;
	size_t n;
	int rc = read_defs(plugins, &defs, &n, err);
	if (rc != 0)
		return rc;
	struct mxpy_udfs *u = mx_calloc(1, sizeof *u);
	if (u == NULL || (n && (u->bindings = mx_calloc(n, sizeof *u->bindings)) == NULL)) {
		mx_free(u);
		defs_free(defs, n);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	PyThreadState *ts = PyEval_SaveThread();
	rc = register_defs(mx_db_duckdb(db), defs, n, err);
	PyEval_RestoreThread(ts);
	if (rc == 0) {
		for (size_t i = 0; i < n; i++) {
			u->bindings[i] = defs[i].binding;
			defs[i].binding = NULL;
		}
		u->n = n;
		*out = u;
	} else {
		mx_free(u->bindings);
		mx_free(u);
	}
	defs_free(defs, n);
	return rc;
}

void mxpy_udfs_free(struct mxpy_udfs *u)
{
	if (u == NULL)
		return;
	/* Slots still on this snapshot's bindings lose them first. */
	PyThreadState *ts = gil_release();
	pthread_mutex_lock(&reload_mu);
	pthread_mutex_lock(&table_mu);
	for (struct udf_slot *s = table; s; s = s->next)
		for (size_t i = 0; i < u->n; i++)
			if (s->cur == u->bindings[i]) {
				struct mx_buf why;
				mx_buf_init(&why, MXPY_UDF_ERR_MAX);
				mx_buf_printf(&why,
				              "The plugin UDF %s is not loaded (its plugins were unloaded)",
				              s->name);
				slot_set(s, NULL, mx_buf_str(&why));
				mx_buf_free(&why);
				break;
			}
	pthread_mutex_unlock(&table_mu);
	pthread_mutex_unlock(&reload_mu);
	gil_restore(ts);
	if (Py_IsInitialized()) {
		PyGILState_STATE g = PyGILState_Ensure();
		for (size_t i = 0; i < u->n; i++)
			binding_unref(u->bindings[i]);
		PyGILState_Release(g);
	}
	mx_free(u->bindings);
	mx_free(u);
}
