/* SPDX-License-Identifier: Apache-2.0 */
/*
 * python — Python endpoints and plugins, from the host's side: the embedded
 * CPython lives in a shared object of its own (mxcp_python.so, sources in
 * exec/python/), dlopen()ed the first time a project needs it, so a project
 * without Python never maps libpython, starts no thread and pays nothing.
 *
 * A project needs Python when it has an enabled Python endpoint or a
 * plugin. Attaching a project (a snapshot) imports its modules afresh
 * (every .py file under python/ but _* and __init__), makes its plugins and
 * registers their SQL functions on the database; then its @on_init hooks
 * run (mx_python_init_hooks); the
 * state lives in the snapshot (model/project.h exec_state) and each Python
 * endpoint's function in its `impl`. Detaching runs the @on_shutdown hooks;
 * the modules go with the snapshot's last reference, so calls in flight on
 * an old snapshot finish on its modules.
 *
 * The shared object is found where MXCP_PYTHON_MODULE points, else as
 * core/module.h finds modules (beside the binary, ../lib/mxcp/ from it).
 *
 * Threads: attach/detach on the thread that loads or reloads a project,
 * never concurrently with each other.
 */
#ifndef MX_EXEC_PYTHON_H
#define MX_EXEC_PYTHON_H

#include "core/err.h"
#include "model/project.h"

struct mx_runtime;

/* Does p need the interpreter (an enabled Python endpoint, or a plugin)? */
int mx_python_needed(const struct mx_project *p);

/* Is the interpreter loaded in this process? */
int mx_python_loaded(void);

/* Load the interpreter if p needs it and attach p to rt (see above). A
 * module that fails to import is an error naming the Python file and line
 * when `strict` (a reload, `validate`); otherwise it is logged, and the
 * endpoints it defines fail when called, as MXCP does. 0 when p needs no
 * Python. */
int mx_python_attach(struct mx_runtime *rt, struct mx_project *p, int strict, struct mx_err *err);

/* Run p's @on_init hooks (once, after mx_python_attach; a reload runs the
 * old snapshot's shutdown first). */
void mx_python_init_hooks(struct mx_project *p);

/* Run p's @on_shutdown hooks and its plugins' shutdown (once). */
void mx_python_detach(struct mx_project *p);

/* The server's hook for mxcp.runtime.reload_duckdb(): queue a reload that
 * drains, runs payload (a Python callable, called by mx_python_run_payload
 * on the serving thread) and reloads the project; 0, or -1 when the
 * request cannot be taken. NULL: not serving. */
void mx_python_set_reload_hook(int (*hook)(void *payload, const char *description));

/* Run and release a reload payload handed to the hook above (NULL: none). */
void mx_python_run_payload(void *payload);

/* Stop the interpreter's own thread (the event loop) at exit. */
void mx_python_shutdown(void);

/*
 * The interface of mxcp_python.so, returned by its mxcp_python_module().
 * Shared with exec/python/embed.c; MX_PYTHON_ABI changes with it.
 */
#define MX_PYTHON_ABI 1
struct mx_python_module {
	int abi;
	int (*start)(const char *package_dir, struct mx_err *err);
	int (*attach)(struct mx_runtime *rt, struct mx_project *p, int strict, struct mx_err *err);
	void (*init_hooks)(struct mx_project *p);
	void (*detach)(struct mx_project *p);
	void (*run_payload)(void *payload);
	void (*stop)(void);
};

/* Called by mxcp_python.so when Python asks for a reload (reload_duckdb). */
int mx_python_request_reload(void *payload, const char *description);

#endif
