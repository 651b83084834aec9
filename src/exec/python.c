/* SPDX-License-Identifier: Apache-2.0 */
/*
 * python — see python.h: finding and loading mxcp_python.so, and handing
 * the attach/detach/validate calls to it. Nothing here links against
 * libpython; dlopen() maps it only when a project needs it.
 */
#include "exec/python.h"

#include "core/log.h"
#include "model/endpoint.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct mx_python_module *py; /* set once, under load_mu */
static int (*reload_hook)(void *payload, const char *description);

int mx_python_needed(const struct mx_project *p)
{
	if (p == NULL)
		return 0;
	if (p->site && p->site->nplugins > 0)
		return 1;
	for (size_t i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i]->language == MX_LANG_PYTHON && p->endpoints[i]->kind != MX_EP_PROMPT)
			return 1;
	return 0;
}

int mx_python_loaded(void)
{
	pthread_mutex_lock(&load_mu);
	int loaded = py != NULL;
	pthread_mutex_unlock(&load_mu);
	return loaded;
}

/* The folder of the running binary (its real path), with a trailing '/'. */
static int exe_dir(char *out, size_t n)
{
	char path[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
	if (len <= 0)
		return -1;
	path[len] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL)
		return -1;
	slash[1] = '\0';
	return snprintf(out, n, "%s", path) < (int)n ? 0 : -1;
}

static int try_open(const char *so, void **handle, char *dir, size_t dirn)
{
	if (access(so, R_OK) != 0)
		return -1;
	*handle = dlopen(so, RTLD_NOW | RTLD_GLOBAL); /* libpython for the extension modules it loads */
	if (*handle == NULL) {
		mx_error("python: cannot load %s: %s", so, dlerror());
		return -2;
	}
	snprintf(dir, dirn, "%s", so);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	return 0;
}

static int load(struct mx_err *err)
{
	if (py)
		return 0;
	char base[PATH_MAX] = "", so[PATH_MAX + 64], dir[PATH_MAX + 64] = "";
	void *h = NULL;
	int rc = -1;
	const char *env = getenv("MXCP_PYTHON_MODULE");
	if (env && *env) {
		rc = try_open(env, &h, dir, sizeof dir);
		if (rc == -1)
			return mx_err_set(err, MX_ENOTFOUND, "MXCP_PYTHON_MODULE=%s: no such file", env);
	} else if (exe_dir(base, sizeof base) == 0) {
		snprintf(so, sizeof so, "%smxcp_python.so", base);
		rc = try_open(so, &h, dir, sizeof dir);
		if (rc == -1) {
			snprintf(so, sizeof so, "%s../lib/mxcp/mxcp_python.so", base);
			rc = try_open(so, &h, dir, sizeof dir);
		}
	}
	if (rc != 0)
		return mx_err_set(
		        err, MX_ENOTFOUND,
		        rc == -1 ? "Python endpoints need mxcp_python.so beside the mxcp binary (or "
		                   "MXCP_PYTHON_MODULE); it was not found"
		                 : "Python endpoints need mxcp_python.so, which did not load (see the log)");
	const struct mx_python_module *(*entry)(void) =
	        (const struct mx_python_module *(*)(void))dlsym(h, "mxcp_python_module");
	const struct mx_python_module *m = entry ? entry() : NULL;
	if (m == NULL || m->abi != MX_PYTHON_ABI) {
		dlclose(h);
		return mx_err_set(err, MX_EINVAL, "%smxcp_python.so does not match this mxcp binary", dir);
	}
	char pkg[PATH_MAX + 96];
	snprintf(pkg, sizeof pkg, "%smxcp-python", dir);
	if ((rc = m->start(pkg, err)) != 0)
		return rc; /* the interpreter may be half up: the handle stays */
	py = m;
	mx_debug("python: loaded %smxcp_python.so", dir);
	return 0;
}

int mx_python_attach(struct mx_runtime *rt, struct mx_project *p, int strict, struct mx_err *err)
{
	if (!mx_python_needed(p))
		return 0;
	pthread_mutex_lock(&load_mu);
	int rc = load(err);
	const struct mx_python_module *m = py;
	pthread_mutex_unlock(&load_mu);
	if (rc)
		return rc;
	return m->attach(rt, p, strict, err);
}

void mx_python_init_hooks(struct mx_project *p)
{
	if (p && p->exec_state && mx_python_loaded())
		py->init_hooks(p);
}

void mx_python_detach(struct mx_project *p)
{
	if (p && p->exec_state && mx_python_loaded())
		py->detach(p);
}

void mx_python_set_reload_hook(int (*hook)(void *payload, const char *description))
{
	reload_hook = hook;
}

int mx_python_request_reload(void *payload, const char *description)
{
	return reload_hook ? reload_hook(payload, description) : -1;
}

void mx_python_run_payload(void *payload)
{
	if (payload && mx_python_loaded())
		py->run_payload(payload);
}

void mx_python_shutdown(void)
{
	if (mx_python_loaded())
		py->stop();
}
