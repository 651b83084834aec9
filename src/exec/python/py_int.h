/* SPDX-License-Identifier: Apache-2.0 */
/*
 * py_int — internals of the embedded CPython (src/exec/python/), built as
 * the shared object mxcp_python.so and loaded by exec/python.c only when a
 * project has Python endpoints or plugins. Not a public API.
 *
 * Files:
 *   embed.c     the interpreter: start, the event loop thread, the host
 *               table (exec/python.h), project state per snapshot (modules,
 *               hooks, plugins), the executor (a call: sync on the worker,
 *               async on the loop), cancellation, validate, reload
 *   module.c    the `_mxcp` extension module the `mxcp` package calls: the
 *               current call, db.execute, notifications, configuration
 *   convert.c   values both ways: JSON arguments to Python (formatted
 *               strings as date/time/datetime), Python results to JSON
 *               (datetime, Decimal, pandas, numpy, MCP content), DuckDB
 *               values to Python (db.execute rows, UDF arguments)
 *   udf.c       plugins' @udf methods as DuckDB scalar functions
 *   mxcp/       the `mxcp` package user code imports (Python)
 *
 * Threads and the GIL: a worker holds the GIL only while Python runs. Every
 * C function Python calls into (`_mxcp`, a UDF) releases the GIL before it
 * takes any lock of mxcp's or runs SQL, so a thread that holds an mxcp lock
 * and waits for the GIL can never deadlock with one that holds the GIL.
 */
#ifndef MX_EXEC_PYTHON_PY_INT_H
#define MX_EXEC_PYTHON_PY_INT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "core/err.h"
#include "exec/executor.h"
#include "exec/sql.h"
#include "model/endpoint.h"

#include <duckdb.h>
#include <jansson.h>

/* ---------------------------------------------------- embed.c, module.c */

struct mx_project;
struct mx_runtime;
struct mxpy_udfs;

/* One snapshot's Python (the project's exec_state). */
struct mxpy_state {
	PyObject *project; /* mxcp._embed.Project */
	PyObject *site_config, *user_config; /* dicts (config.site_config, …) */
	PyObject *secrets; /* list: the active profile's secrets */
	PyObject *plugins; /* dict name → plugin instance */
	struct mxpy_udfs *udfs;
	struct mx_runtime *rt;
	struct mxpy_func *funcs; /* one per Python endpoint, in p->endpoints order */
	size_t nfuncs;
	int inited; /* the init hooks ran */
	int detached; /* the shutdown hooks ran */
};

/* A Python endpoint's function (struct mx_endpoint.impl). */
struct mxpy_func {
	PyObject *func; /* NULL when its module or the function is missing */
	char *error; /* why func is NULL */
	int is_async; /* an `async def`: awaited on the event loop */
	const struct mx_endpoint *ep;
	struct mxpy_state *st;
};

/* The handle of a running call (or hook) that `mxcp.runtime` reaches
 * through mxcp._embed.current: _mxcp.Call. */
struct mxpy_call {
	PyObject_HEAD const struct mx_exec_call *x; /* NULL for hooks */
	struct mx_dbconn *conn; /* db.execute's connection; NULL: none */
	struct mxpy_state *st;
	PyObject *future; /* an async call's concurrent future (set by _embed) */
	PyObject *user; /* the user context dict, built on first use */
	int alive; /* cleared when the call ends: a kept handle is dead */
};

extern PyTypeObject mxpy_call_type;

/* Create the `_mxcp` module (PyImport_AppendInittab before the
 * interpreter starts). */
PyObject *mxpy_module_init(void);

/* A new handle; conn and x may be NULL. */
struct mxpy_call *mxpy_call_new(struct mxpy_state *st, struct mx_dbconn *conn, const struct mx_exec_call *x);
/* Mark the handle dead and drop it. */
void mxpy_call_end(struct mxpy_call *h);

/* The Python error now set, as text for a tool error (MXCP's words: the
 * exception's str(); ImportError and SyntaxError wrapped as "Failed to
 * execute Python code: …"); the traceback goes to the log at debug level.
 * Clears the error. */
void mxpy_error_text(char *out, size_t n, int wrap_import);

/* ------------------------------------------------------------ convert.c */

/* Call once with the GIL held after the interpreter starts (imports
 * datetime, decimal, uuid; pandas/numpy are looked up lazily, only when a
 * value's type says it comes from them). 0 or -1 with a Python error. */
int mxpy_convert_init(void);

/* A JSON value as Python (object → dict, array → list, integer → int, real
 * → float, string → str, true/false → bool, null → None). New reference, or
 * NULL with a Python error set. */
PyObject *mxpy_from_json(const json_t *v);

/* The validated arguments of a call (a JSON object, defaults applied) as the
 * keyword arguments MXCP passes: a string parameter with `format: date`
 * becomes datetime.date, `time` datetime.time, `date-time` datetime.datetime
 * (aware when the text has an offset), recursively through `items` and
 * `properties`; everything else as mxpy_from_json. params may be NULL. */
PyObject *mxpy_args(const json_t *args, struct mx_type *const *params, size_t nparams);

/* A Python result as JSON, the way MXCP serialises it: dict (keys as str),
 * list/tuple/set, str, int (big ints as numbers when they fit 64 bits,
 * else as text), float (NaN/Inf as null), bool, None, datetime/date/time
 * as their isoformat(), timedelta as pydantic's ISO 8601 duration
 * ("P1DT2H", "-PT1.5S"), Decimal as number, bytes as base64, uuid as text,
 * Enum as its value, pandas DataFrame as a list of row objects, Series as
 * a list (NaT/NA/NaN as null), numpy arrays as lists and numpy scalars as
 * their Python value, pydantic models (model_dump(mode="json",
 * by_alias=True)), dataclasses and objects with a dict() as their dict.
 * 0, or MX_EINVAL naming the Python type that cannot be converted. Needs
 * the GIL. */
int mxpy_to_json(PyObject *o, json_t **out, struct mx_err *err);

/* One value of a DuckDB vector as Python, by its logical type, the way
 * MXCP's db.execute hands values to user code (see convert.c and
 * docs/python.md). New reference, or NULL with a Python error set. */
PyObject *mxpy_from_duckdb(duckdb_vector vec, duckdb_logical_type type, idx_t row);

/* Write o into row `row` of the output vector of type `type` (a UDF's
 * result). 0, or -1 with a Python error set. */
int mxpy_to_duckdb(PyObject *o, duckdb_vector vec, duckdb_logical_type type, idx_t row);

/* db.execute: run sql with named parameters (a dict or None; a list or
 * tuple binds `?`/`$1` by position) on the connection and return its rows
 * as a list of dicts. Called with the GIL held; releases it while DuckDB
 * runs (mx_sql_query_values) and takes it back per result chunk. New
 * reference, or NULL with a Python error set: RuntimeError with DuckDB's
 * message (also for an interrupted query: "INTERRUPT Error: …", and past
 * the connection's row/byte bounds, and "Cannot bind parameter 'x': …"
 * for a value that has no SQL type); TypeError when params is not a
 * dict, list, tuple or None. */
PyObject *mxpy_db_execute(struct mx_dbconn *conn, const char *sql, PyObject *params);

/* ---------------------------------------------------------------- udf.c */

struct mxpy_udfs; /* the UDFs of a project's plugins */

/* Register the @udf methods of every plugin instance in `plugins` (a dict
 * name → MXCPBasePlugin instance) in db as DuckDB scalar functions named
 * <method>_<plugin>, with MXCP's type mapping. A function already
 * registered by an earlier snapshot keeps its name and DuckDB entry and
 * now calls the new method. GIL held on entry. */
int mxpy_udfs_register(struct mx_db *db, PyObject *plugins, struct mxpy_udfs **out, struct mx_err *err);
void mxpy_udfs_free(struct mxpy_udfs *u);

#endif
