/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embed — the interpreter of mxcp_python.so (see py_int.h and
 * exec/python.h): starting CPython, one snapshot's Python (modules, hooks,
 * plugins), the Python executor, and cancellation.
 *
 * Start: the main thread (the one that loads the first project with
 * Python) initialises CPython without its signal handlers (mxcp owns the
 * signals), puts the `mxcp` package first on sys.path, redirects
 * sys.stdout/sys.stderr and logging to mxcp's log (stdio carries JSON-RPC
 * only), starts the event loop thread of async endpoints
 * (mxcp._embed.start) and the interrupter thread (below), registers the
 * executor and lets the GIL go.
 *
 * A call runs on its worker: the GIL is taken with the worker's own thread
 * state (made once per thread and kept), the arguments converted, the
 * function called through mxcp._embed.call (a coroutine function is
 * awaited on the loop while the worker waits without the GIL), the result
 * converted to JSON (a resource's bytes first become MCP content: a blob),
 * the GIL dropped. SQL calls never touch the GIL.
 *
 * Cancellation: a running Python call is on the `running` list (a mutex of
 * its own, never taken with the GIL held for longer than a list walk).
 * The interrupter thread sleeps while the list is empty; otherwise it
 * looks every 20 ms for a call whose context was cancelled
 * (notifications/cancelled, a client gone, SIGTERM's grace) or whose
 * deadline passed, and interrupts it under the GIL: an async call's future
 * is cancelled, a sync call gets mxcp._embed's Cancelled exception raised
 * in its thread (PyThreadState_SetAsyncExc) at the next bytecode. A
 * record's `in_python` flag, written and read under the GIL only, keeps
 * the exception from landing after the call has left Python.
 */
#include "exec/python/py_int.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "exec/invoke.h"
#include "exec/python.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static PyObject *embed_mod; /* mxcp._embed */
static PyObject *fn_is_async, *fn_call, *fn_run_hooks, *fn_run_payload, *fn_signature, *fn_required,
        *cls_project;
static PyObject *exc_cancelled; /* mxcp._embed.Cancelled */
static PyObject *fn_blob; /* mxcp.content._blob: a resource's bytes as MCP content */

/* ----------------------------------------------------------------- GIL */

/* The worker's own thread state, made on its first Python call and kept, so
 * a call costs no thread-state creation. */
static _Thread_local PyThreadState *thread_state;

static void gil_take(void)
{
	if (thread_state == NULL) {
		PyGILState_Ensure(); /* never released: the state stays */
		thread_state = PyThreadState_Get();
		return;
	}
	PyEval_RestoreThread(thread_state);
}

static void gil_drop(void)
{
	thread_state = PyEval_SaveThread();
}

/* -------------------------------------------------------------- errors */

void mxpy_error_text(char *out, size_t n, int wrap_import)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (value && tb)
		PyException_SetTraceback(value, tb);
	const char *prefix = "";
	if (wrap_import && type &&
	    (PyErr_GivenExceptionMatches(type, PyExc_ImportError) ||
	     PyErr_GivenExceptionMatches(type, PyExc_SyntaxError)))
		prefix = "Failed to execute Python code: ";
	PyObject *s = value ? PyObject_Str(value) : NULL;
	const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
	if (text == NULL || *text == '\0') {
		PyErr_Clear();
		text = type ? ((PyTypeObject *)type)->tp_name : "unknown error";
	}
	snprintf(out, n, "%s%s", prefix, text);
	Py_XDECREF(s);
	if (mx_log_get_level() <= MX_LOG_DEBUG && value) {
		PyObject *tbm = PyImport_ImportModule("traceback");
		PyObject *lines = tbm ? PyObject_CallMethod(tbm, "format_exception", "O", value) : NULL;
		PyObject *sep = lines ? PyUnicode_FromString("") : NULL;
		PyObject *joined = sep ? PyUnicode_Join(sep, lines) : NULL;
		const char *t = joined ? PyUnicode_AsUTF8(joined) : NULL;
		if (t)
			mx_debug("python: %s", t);
		Py_XDECREF(joined);
		Py_XDECREF(sep);
		Py_XDECREF(lines);
		Py_XDECREF(tbm);
		PyErr_Clear();
	}
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

/* ------------------------------------------------------- the interrupter */

struct running {
	struct mxpy_call *handle;
	const struct mx_call_ctx *ctx;
	unsigned long thread_id;
	int in_python; /* under the GIL only */
	int interrupted; /* under the GIL only */
	struct running *prev, *next;
};

static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_cv = PTHREAD_COND_INITIALIZER;
static struct running *running;
static int interrupter_stop;
static pthread_t interrupter;
static int interrupter_started;

static void running_add(struct running *r)
{
	pthread_mutex_lock(&run_mu);
	r->prev = NULL;
	r->next = running;
	if (running)
		running->prev = r;
	running = r;
	pthread_cond_signal(&run_cv);
	pthread_mutex_unlock(&run_mu);
}

static void running_remove(struct running *r)
{
	pthread_mutex_lock(&run_mu);
	if (r->prev)
		r->prev->next = r->next;
	else
		running = r->next;
	if (r->next)
		r->next->prev = r->prev;
	pthread_mutex_unlock(&run_mu);
}

static int due(const struct running *r, double now)
{
	return mx_call_ctx_cancelled(r->ctx) || (r->ctx && r->ctx->deadline > 0 && now >= r->ctx->deadline);
}

/* Under the GIL: interrupt every due call still in Python. The list is
 * walked under run_mu; a record stays valid while it is listed (its worker
 * removes it only after leaving Python, which needs the GIL we hold). */
static void interrupt_due(void)
{
	double now = mx_mono_s();
	pthread_mutex_lock(&run_mu);
	for (struct running *r = running; r; r = r->next) {
		if (!r->in_python || r->interrupted || !due(r, now))
			continue;
		r->interrupted = 1;
		if (r->handle->future) {
			PyObject *res = PyObject_CallMethod(r->handle->future, "cancel", NULL);
			Py_XDECREF(res);
			PyErr_Clear();
		} else {
			PyThreadState_SetAsyncExc(r->thread_id, exc_cancelled);
		}
	}
	pthread_mutex_unlock(&run_mu);
}

static void *interrupter_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&run_mu);
	while (!interrupter_stop) {
		if (running == NULL) {
			pthread_cond_wait(&run_cv, &run_mu);
			continue;
		}
		double now = mx_mono_s();
		int any = 0;
		for (struct running *r = running; r && !any; r = r->next)
			any = !r->interrupted && due(r, now);
		pthread_mutex_unlock(&run_mu);
		if (any) {
			PyGILState_STATE g = PyGILState_Ensure();
			interrupt_due();
			PyGILState_Release(g);
		}
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&run_mu);
	}
	pthread_mutex_unlock(&run_mu);
	return NULL;
}

/* ------------------------------------------------------------- executor */

static int py_call(const struct mx_exec_call *x, json_t **out, struct mx_err *err)
{
	const struct mxpy_func *f = x->ep->impl;
	if (f == NULL)
		return mx_err_set(err, MX_EINVAL, "Python is not loaded for %s", x->ep->relpath);
	if (f->func == NULL)
		return mx_err_set(err, MX_EINVAL, "%s",
		                  f->error ? f->error : "Python function not available");
	struct running r = {.ctx = x->ctx};
	int rc = 0;
	gil_take();
	PyObject *kwargs = mxpy_args(x->args, x->ep->params, x->ep->nparams);
	struct mxpy_call *h = kwargs ? mxpy_call_new(f->st, x->conn, x) : NULL;
	PyObject *res = NULL;
	if (h) {
		r.handle = h;
		r.thread_id = PyThread_get_thread_ident();
		r.in_python = 1;
		running_add(&r);
		res = PyObject_CallFunctionObjArgs(fn_call, f->func, kwargs, (PyObject *)h,
		                                   f->is_async ? Py_True : Py_False, NULL);
		/* A resource's bytes are its blob (MCP content), not base64 text. */
		if (res && x->ep->kind == MX_EP_RESOURCE && (PyBytes_Check(res) || PyByteArray_Check(res)))
			Py_SETREF(res, PyObject_CallOneArg(fn_blob, res));
		r.in_python = 0;
		if (r.interrupted)
			PyThreadState_SetAsyncExc(r.thread_id, NULL); /* one that came too late */
	}
	if (r.interrupted || (res == NULL && mx_call_ctx_cancelled(x->ctx))) {
		PyErr_Clear();
		int timed_out = !mx_call_ctx_cancelled(x->ctx);
		rc = timed_out ? mx_err_set(err, MX_ELIMIT, "Python call timed out")
		               : mx_err_set(err, MX_ECANCELLED, "Request cancelled");
	} else if (res == NULL) {
		char msg[MX_ERR_MSG_MAX];
		mxpy_error_text(msg, sizeof msg, 1);
		rc = mx_err_set(err, MX_EINVAL, "%s", msg);
	} else if ((rc = mxpy_to_json(res, out, err)) != 0) {
		PyErr_Clear();
	}
	Py_XDECREF(res);
	Py_XDECREF(kwargs);
	mxpy_call_end(h);
	gil_drop();
	if (r.handle)
		running_remove(&r);
	return rc;
}

/* ------------------------------------------------------------ snapshots */

static void state_free_locked(struct mxpy_state *st)
{
	for (size_t i = 0; i < st->nfuncs; i++) {
		Py_XDECREF(st->funcs[i].func);
		mx_free(st->funcs[i].error);
	}
	mx_free(st->funcs);
	mxpy_udfs_free(st->udfs);
	Py_XDECREF(st->project);
	Py_XDECREF(st->site_config);
	Py_XDECREF(st->user_config);
	Py_XDECREF(st->secrets);
	Py_XDECREF(st->plugins);
	mx_free(st);
}

/* The snapshot's last reference went (any thread, no GIL held). */
static void state_free(void *state)
{
	if (state == NULL)
		return;
	PyGILState_STATE g = PyGILState_Ensure();
	state_free_locked(state);
	PyGILState_Release(g);
}

/* Run `hooks` (a method name of the Project, or a payload) with a handle
 * whose db.execute has a connection of its own. GIL held. */
static void with_connection(struct mxpy_state *st, PyObject *callable, PyObject *arg)
{
	struct mx_dbconn *conn = NULL;
	struct mx_err err;
	int rc;
	Py_BEGIN_ALLOW_THREADS rc = mx_db_connect(mx_runtime_db(st->rt), &conn, &err);
	Py_END_ALLOW_THREADS if (rc)
	{
		char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 32];
		mx_warn("python: no database connection for hooks: %s", mx_err_format(&err, msg, sizeof msg));
		conn = NULL;
	}
	struct mxpy_call *h = mxpy_call_new(st, conn, NULL);
	PyObject *res = h ? PyObject_CallFunctionObjArgs(callable, arg, (PyObject *)h, NULL) : NULL;
	if (res == NULL) {
		char msg[MX_ERR_MSG_MAX];
		mxpy_error_text(msg, sizeof msg, 0);
		mx_error("python: %s", msg);
	}
	Py_XDECREF(res);
	mxpy_call_end(h);
	if (conn) {
		Py_BEGIN_ALLOW_THREADS mx_dbconn_close(conn);
		Py_END_ALLOW_THREADS
	}
}

static PyObject *json_or_none(const json_t *v)
{
	return v ? mxpy_from_json(v) : Py_NewRef(Py_None);
}

/* The plugin specs of the site config as a list of dicts. */
static PyObject *plugin_specs(const struct mx_site_config *s)
{
	PyObject *l = PyList_New(0);
	for (size_t i = 0; l && i < s->nplugins; i++) {
		const struct mx_site_plugin *pl = &s->plugins[i];
		PyObject *d = Py_BuildValue("{s:s, s:s, s:z}", "name", pl->name ? pl->name : "", "module",
		                            pl->module ? pl->module : "", "config", pl->config);
		if (d == NULL || PyList_Append(l, d) != 0)
			Py_CLEAR(l);
		Py_XDECREF(d);
	}
	return l;
}

/* GIL held. Fill st->funcs from the project's modules. */
static int resolve_functions(struct mxpy_state *st, struct mx_project *p, int strict, struct mx_err *err)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nendpoints; i++)
		n += p->endpoints[i]->language == MX_LANG_PYTHON && p->endpoints[i]->kind != MX_EP_PROMPT;
	st->funcs = mx_calloc(n ? n : 1, sizeof *st->funcs);
	if (st->funcs == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nendpoints; i++) {
		struct mx_endpoint *ep = p->endpoints[i];
		if (ep->language != MX_LANG_PYTHON || ep->kind == MX_EP_PROMPT)
			continue;
		struct mxpy_func *f = &st->funcs[st->nfuncs++];
		f->ep = ep;
		f->st = st;
		ep->impl = f;
		char msg[MX_ERR_MSG_MAX];
		if (ep->source_path == NULL) {
			f->error = mx_strdup(ep->source_code ? "Python endpoints must specify source.file"
			                                     : "Python source file not found");
			continue;
		}
		PyObject *res = PyObject_CallMethod(st->project, "function", "ssz", ep->source_path,
		                                    ep->kind == MX_EP_TOOL ? ep->name : NULL,
		                                    mx_endpoint_kind_name(ep->kind));
		if (res == NULL) {
			mxpy_error_text(msg, sizeof msg, 1);
			f->error = mx_strdup(msg);
			if (strict)
				return mx_err_at(err, MX_EINVAL, ep->path, ep->source_line, ep->source_col,
				                 "%s", msg);
			mx_error("python: %s: %s", ep->relpath, msg);
			continue;
		}
		f->func = res;
		PyObject *a = PyObject_CallOneArg(fn_is_async, res);
		f->is_async = a == Py_True;
		Py_XDECREF(a);
		PyErr_Clear();
	}
	return 0;
}

static int py_attach(struct mx_runtime *rt, struct mx_project *p, int strict, struct mx_err *err)
{
	struct mxpy_state *st = mx_calloc(1, sizeof *st);
	if (st == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	st->rt = rt;
	const struct mx_site_config *s = p->site;
	char pydir[4096], plugdir[4096];
	snprintf(pydir, sizeof pydir, "%s/%s", s->root, s->paths.python);
	snprintf(plugdir, sizeof plugdir, "%s/%s", s->root, s->paths.plugins);
	int rc = 0;
	gil_take();
	const json_t *prof = mx_user_profile(p->user, s->project, p->profile);
	const json_t *pconf = json_object_get(json_object_get(prof, "plugin"), "config");
	PyObject *specs = plugin_specs(s), *confs = json_or_none(pconf), *errors = NULL;
	st->site_config = json_or_none(s->raw);
	st->user_config = json_or_none(p->user ? p->user->raw : NULL);
	st->secrets = json_or_none(mx_user_secrets(p->user, s->project, p->profile));
	st->project = PyObject_CallFunction(cls_project, "sss", s->root, pydir, plugdir);
	if (!specs || !confs || !st->site_config || !st->user_config || !st->secrets || !st->project)
		goto py_error;
	if (confs == Py_None)
		Py_SETREF(confs, PyDict_New());
	errors = PyObject_CallMethod(st->project, "load", "OO", specs, confs);
	if (errors == NULL)
		goto py_error;
	for (Py_ssize_t i = 0; i < PyList_Size(errors); i++) {
		const char *e = PyUnicode_AsUTF8(PyList_GetItem(errors, i));
		if (strict) {
			rc = mx_err_set(err, MX_EINVAL, "%s", e ? e : "Python module failed to load");
			goto out;
		}
		mx_error("python: %s", e ? e : "a module failed to load");
	}
	st->plugins = PyObject_GetAttrString(st->project, "plugins");
	if (st->plugins == NULL)
		goto py_error;
	if (PyDict_Size(st->plugins) > 0 &&
	    (rc = mxpy_udfs_register(mx_runtime_db(rt), st->plugins, &st->udfs, err)) != 0)
		goto out;
	if ((rc = resolve_functions(st, p, strict, err)) != 0)
		goto out;
	p->exec_state = st;
	p->exec_state_free = state_free;
	st = NULL;
	goto out;
py_error : {
	char msg[MX_ERR_MSG_MAX];
	mxpy_error_text(msg, sizeof msg, 0);
	rc = mx_err_set(err, MX_EINVAL, "%s", msg);
}
out:
	Py_XDECREF(errors);
	Py_XDECREF(specs);
	Py_XDECREF(confs);
	if (st) {
		for (size_t i = 0; i < p->nendpoints; i++)
			if (p->endpoints[i]->impl)
				p->endpoints[i]->impl = NULL;
		state_free_locked(st);
	}
	gil_drop();
	return rc;
}

static void py_init_hooks(struct mx_project *p)
{
	struct mxpy_state *st = p->exec_state;
	if (st == NULL || st->inited)
		return;
	st->inited = 1;
	gil_take();
	PyObject *hooks = PyObject_GetAttrString(st->project, "init_hooks");
	PyObject *runner = hooks ? PyObject_GetAttrString(embed_mod, "run_init") : NULL;
	if (runner)
		with_connection(st, runner, hooks);
	Py_XDECREF(runner);
	Py_XDECREF(hooks);
	PyErr_Clear();
	gil_drop();
}

static void py_detach(struct mx_project *p)
{
	struct mxpy_state *st = p->exec_state;
	if (st == NULL || st->detached)
		return;
	st->detached = 1;
	gil_take();
	PyObject *runner = PyObject_GetAttrString(embed_mod, "run_shutdown");
	if (runner)
		with_connection(st, runner, st->project);
	else
		PyErr_Clear();
	Py_XDECREF(runner);
	gil_drop();
}

/* The parameters of ep against the function's signature: every declared
 * parameter is a keyword the function takes, every parameter the function
 * requires is declared. */
static int py_validate(const struct mx_endpoint *ep, struct mx_err *err)
{
	const struct mxpy_func *f = ep->impl;
	if (f == NULL)
		return 0; /* not attached (no runtime): the files were checked */
	if (f->func == NULL)
		return mx_err_at(err, MX_EINVAL, ep->path, ep->source_line, ep->source_col, "%s",
		                 f->error ? f->error : "Python function not available");
	int rc = 0;
	gil_take();
	PyObject *names = PyObject_CallFunctionObjArgs(fn_signature, f->func, NULL);
	PyObject *req = names ? PyObject_CallFunctionObjArgs(fn_required, f->func, NULL) : NULL;
	PyObject *loc = req ? PyObject_CallMethod(embed_mod, "where", "O", f->func) : NULL;
	if (loc == NULL) {
		char msg[MX_ERR_MSG_MAX];
		mxpy_error_text(msg, sizeof msg, 0);
		rc = mx_err_set(err, MX_EINVAL, "%s", msg);
		goto out;
	}
	const char *where = PyUnicode_AsUTF8(loc);
	for (size_t i = 0; names != Py_None && i < ep->nparams; i++) {
		PyObject *n = PyUnicode_FromString(ep->params[i]->name);
		int has = n ? PySequence_Contains(names, n) : -1;
		Py_XDECREF(n);
		if (has == 0) {
			rc = mx_err_at(err, MX_EINVAL, ep->path, ep->params[i]->line, ep->params[i]->col,
			               "parameter '%s' is not a parameter of the Python function (%s)",
			               ep->params[i]->name, where);
			goto out;
		}
	}
	for (Py_ssize_t i = 0; i < PyList_Size(req); i++) {
		const char *rn = PyUnicode_AsUTF8(PyList_GetItem(req, i));
		int declared = 0;
		for (size_t k = 0; rn && k < ep->nparams; k++)
			declared |= strcmp(ep->params[k]->name, rn) == 0;
		if (rn && !declared) {
			rc = mx_err_at(err, MX_EINVAL, ep->path, ep->line, ep->col,
			               "the Python function (%s) requires parameter '%s', which the endpoint "
			               "does not declare",
			               where, rn);
			goto out;
		}
	}
out:
	PyErr_Clear();
	Py_XDECREF(loc);
	Py_XDECREF(req);
	Py_XDECREF(names);
	gil_drop();
	return rc;
}

static const struct mx_executor python_executor = {
        .name = "python", .shapes = 1, .call = py_call, .validate = py_validate};

static void py_run_payload(void *payload)
{
	gil_take();
	PyObject *res = PyObject_CallFunctionObjArgs(fn_run_payload, (PyObject *)payload, Py_None, NULL);
	if (res == NULL) {
		char msg[MX_ERR_MSG_MAX];
		mxpy_error_text(msg, sizeof msg, 0);
		mx_error("python: reload payload failed: %s", msg);
	}
	Py_XDECREF(res);
	Py_DECREF((PyObject *)payload);
	gil_drop();
}

/* ---------------------------------------------------------------- start */

static PyObject *attr(PyObject *m, const char *name)
{
	return m ? PyObject_GetAttrString(m, name) : NULL;
}

static int py_start(const char *package_dir, struct mx_err *err)
{
	if (PyImport_AppendInittab("_mxcp", mxpy_module_init) != 0)
		return mx_err_set(err, MX_EINVAL, "python: cannot register the _mxcp module");
	PyConfig cfg;
	PyConfig_InitPythonConfig(&cfg);
	cfg.install_signal_handlers = 0; /* mxcp owns the signals */
	cfg.parse_argv = 0;
	cfg.buffered_stdio = 1;
	wchar_t *argv0 = L"mxcp";
	PyStatus status = PyConfig_SetArgv(&cfg, 1, &argv0);
	if (!PyStatus_Exception(status))
		status = Py_InitializeFromConfig(&cfg);
	PyConfig_Clear(&cfg);
	if (PyStatus_Exception(status))
		return mx_err_set(err, MX_EINVAL, "python: cannot start the interpreter: %s",
		                  status.err_msg ? status.err_msg : "unknown error");
	int rc = 0;
	PyObject *sys_path = PySys_GetObject("path"); /* borrowed */
	PyObject *dir = PyUnicode_FromString(package_dir);
	if (sys_path == NULL || dir == NULL || PyList_Insert(sys_path, 0, dir) != 0)
		goto py_error;
	embed_mod = PyImport_ImportModule("mxcp._embed");
	fn_call = attr(embed_mod, "call");
	fn_is_async = attr(embed_mod, "is_coroutine_function");
	fn_run_hooks = attr(embed_mod, "run_hooks");
	fn_run_payload = attr(embed_mod, "run_payload");
	fn_signature = attr(embed_mod, "signature_names");
	fn_required = attr(embed_mod, "required_names");
	cls_project = attr(embed_mod, "Project");
	exc_cancelled = attr(embed_mod, "Cancelled");
	PyObject *content_mod = PyImport_ImportModule("mxcp.content");
	fn_blob = attr(content_mod, "_blob");
	Py_XDECREF(content_mod);
	if (!fn_blob || !fn_call || !fn_is_async || !fn_run_hooks || !fn_run_payload || !fn_signature ||
	    !fn_required || !cls_project || !exc_cancelled || mxpy_convert_init() != 0)
		goto py_error;
	PyObject *res = PyObject_CallMethod(embed_mod, "start", NULL);
	if (res == NULL)
		goto py_error;
	Py_DECREF(res);
	goto out;
py_error : {
	char msg[MX_ERR_MSG_MAX];
	mxpy_error_text(msg, sizeof msg, 0);
	rc = mx_err_set(err, MX_EINVAL, "python: cannot start mxcp's Python package (%s): %s", package_dir,
	                msg);
}
out:
	Py_XDECREF(dir);
	thread_state = PyEval_SaveThread();
	if (rc)
		return rc;
	if (pthread_create(&interrupter, NULL, interrupter_main, NULL) == 0)
		interrupter_started = 1;
	else
		mx_warn("python: no interrupter thread: Python calls cannot be cancelled");
	mx_executor_register(MX_LANG_PYTHON, &python_executor);
	return 0;
}

static void py_stop(void)
{
	if (interrupter_started) {
		pthread_mutex_lock(&run_mu);
		interrupter_stop = 1;
		pthread_cond_signal(&run_cv);
		pthread_mutex_unlock(&run_mu);
		pthread_join(interrupter, NULL);
		interrupter_started = 0;
	}
	gil_take();
	PyObject *res = PyObject_CallMethod(embed_mod, "stop", NULL);
	Py_XDECREF(res);
	PyErr_Clear();
	gil_drop();
}

static const struct mx_python_module module = {
        .abi = MX_PYTHON_ABI,
        .start = py_start,
        .attach = py_attach,
        .init_hooks = py_init_hooks,
        .detach = py_detach,
        .run_payload = py_run_payload,
        .stop = py_stop,
};

__attribute__((visibility("default"))) const struct mx_python_module *mxcp_python_module(void)
{
	return &module;
}
