/* SPDX-License-Identifier: Apache-2.0 */
/*
 * python — see python.h: finding and loading mxcp_python.so, and handing
 * the attach/detach/validate calls to it. Nothing here links against
 * libpython; dlopen() maps it only when a project needs it.
 */
#include "exec/python.h"

#include "core/log.h"
#include "core/module.h"
#include "model/endpoint.h"

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

static int load(struct mx_err *err)
{
	if (py)
		return 0;
	char so[PATH_MAX + 64];
	const char *env = getenv("MXCP_PYTHON_MODULE");
	if (env && *env) {
		if (access(env, R_OK) != 0)
			return mx_err_set(err, MX_ENOTFOUND, "MXCP_PYTHON_MODULE=%s: no such file", env);
		snprintf(so, sizeof so, "%s", env);
	} else if (mx_module_find("mxcp_python.so", so, sizeof so) != 0) {
		return mx_err_set(err, MX_ENOTFOUND,
		                  "Python endpoints need mxcp_python.so beside the mxcp binary (or "
		                  "MXCP_PYTHON_MODULE); it was not found");
	}
	/* global: libpython's symbols serve the extension modules it loads */
	struct mx_err lerr;
	const void *t = NULL;
	int rc = mx_module_load(so, "mxcp_python_module", MX_PYTHON_ABI, 1, &t, &lerr);
	if (rc)
		return mx_err_set(err, rc, "Python endpoints need mxcp_python.so: %s", lerr.msg);
	const struct mx_python_module *m = t;
	char pkg[PATH_MAX + 96];
	const char *slash = strrchr(so, '/');
	snprintf(pkg, sizeof pkg, "%.*smxcp-python", slash ? (int)(slash - so + 1) : 0, so);
	if ((rc = m->start(pkg, err)) != 0)
		return rc; /* the interpreter may be half up: the handle stays */
	py = m;
	mx_debug("python: loaded %s", so);
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
