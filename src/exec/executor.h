/* SPDX-License-Identifier: Apache-2.0 */
/*
 * executor — how one endpoint language runs: the execution stage of the call
 * path (exec/invoke.c), one struct of function pointers per language, as
 * SQLite has a VFS per platform.
 *
 *   sql      DuckDB SQL on the worker's connection (exec/sql.h): the
 *            endpoint's source with its arguments bound by name; the rows
 *            are shaped by the return type afterwards (`shapes`).
 *   prompt   the prompt's messages rendered (MXCP's Jinja2 subset).
 *   builtin  the built-in SQL tools that are not plain SQL endpoints
 *            (execute_sql_query: the caller's text as a script).
 *   python   empty until the embedded interpreter registers itself; a
 *            project without Python endpoints never loads it.
 *
 * The executor of an endpoint is chosen by its kind and language
 * (mx_executor_of); a language with none registered fails the call with a
 * clear error rather than a crash. `call` runs on a worker, with that
 * worker's DuckDB connection, and gets the arguments already converted and
 * past the input policies. worker_init/worker_fini, when set, run once on
 * each worker thread as the pool starts and stops (an interpreter's thread
 * state, say).
 */
#ifndef MX_EXEC_EXECUTOR_H
#define MX_EXEC_EXECUTOR_H

#include "core/err.h"
#include "exec/call_ctx.h"
#include "model/endpoint.h"

#include <jansson.h>

struct mx_runtime;
struct mx_dbconn;

/* One execution: everything the execution stage may read. */
struct mx_exec_call {
	struct mx_runtime *rt;
	struct mx_dbconn *conn; /* the worker's connection */
	const struct mx_endpoint *ep;
	const json_t *args; /* converted (defaults applied); never NULL */
	struct mx_call_ctx *ctx; /* never NULL */
};

struct mx_executor {
	const char *name; /* "sql", "prompt", "builtin", "python" */
	/* The result is rows to be shaped by the endpoint's return type (array,
	 * object or scalar) before it is checked; 0: already the value. */
	int shapes;
	/* Run the call; a new reference in *out on success. */
	int (*call)(const struct mx_exec_call *x, json_t **out, struct mx_err *err);
	/* What `validate` checks beyond the files (NULL: nothing): for Python,
	 * the module imported, the function exists and takes the declared
	 * parameters. */
	int (*validate)(const struct mx_endpoint *ep, struct mx_err *err);
	int (*worker_init)(void);
	void (*worker_fini)(void);
};

/* The executor for ep, NULL when its language has none in this process. */
const struct mx_executor *mx_executor_of(const struct mx_endpoint *ep);

/* Make x the executor of language `lang` (Python registers itself when a
 * project has Python endpoints). */
void mx_executor_register(enum mx_language lang, const struct mx_executor *x);

#endif
