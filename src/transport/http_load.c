/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_load — the HTTP transports (http/http.h) and the admin socket
 * (admin.h) from the binary's side. Both live in mxcp_http.so, the module
 * that links libmicrohttpd; the first start of either loads it, and an
 * object it started is stopped through it. MXCP_ADMIN_ENABLED and
 * MXCP_ADMIN_SOCKET are read here, so a server without the admin socket
 * never loads the module to ask.
 */
#include "transport/admin.h"
#include "transport/http/http.h"

#include "core/module.h"
#include "model/project.h"

#include <stdlib.h>

/* Set by the first start (on the server's thread, as every call here),
 * before the object it made is returned: every object passed back here
 * came with its module loaded. */
static const struct mx_http_module *http;
static const struct mx_admin_module *admin;

static int load(const char *entry, int abi, const void **t, struct mx_err *err)
{
	if (*t)
		return 0;
	return mx_module_open("mxcp_http.so", entry, abi, "The HTTP transport and the admin socket", t, err);
}

int mx_http_start(struct mx_mcp_server *s, const struct mx_http_options *opt, struct mx_http **out,
                  struct mx_err *err)
{
	*out = NULL;
	const void *t = http;
	int rc = load("mxcp_http_module", MX_HTTP_ABI, &t, err);
	if (rc)
		return rc;
	http = t;
	return http->start(s, opt, out, err);
}

void mx_http_stop(struct mx_http *h)
{
	if (h)
		http->stop(h);
}

int mx_admin_enabled(void)
{
	return mx_env_flag("MXCP_ADMIN_ENABLED");
}

const char *mx_admin_socket_path(void)
{
	const char *p = getenv("MXCP_ADMIN_SOCKET");
	return p && *p ? p : MX_ADMIN_DEFAULT_SOCKET;
}

int mx_admin_start(const struct mx_admin_options *opt, struct mx_admin **out, struct mx_err *err)
{
	*out = NULL;
	const void *t = admin;
	int rc = load("mxcp_admin_module", MX_ADMIN_ABI, &t, err);
	if (rc)
		return rc;
	admin = t;
	return admin->start(opt, out, err);
}

void mx_admin_stop(struct mx_admin *a)
{
	if (a)
		admin->stop(a);
}

void mx_admin_reload_begin(struct mx_admin *a)
{
	if (a)
		admin->reload_begin(a);
}

void mx_admin_reload_end(struct mx_admin *a, struct mx_project *served, const char *error)
{
	if (a)
		admin->reload_end(a, served, error);
}
