/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin — the admin API: a small REST interface on a unix socket, for the
 * operator on the same machine (container health checks, status, reload,
 * configuration and endpoint listings, system metrics, audit queries). It
 * never listens on a network port; access is the socket file's mode, 0600.
 *
 * Routes (JSON in MXCP's shapes): GET /health, /status, /config,
 * /endpoints, /system/{info,cpu,memory,disk,network,process},
 * /audit/query, /audit/stats, POST /reload and POST /cache/flush (the
 * response cache; a no-op without one). Unknown paths are 404,
 * a known path with the wrong method 405, bad query parameters 422.
 *
 * Enabled by MXCP_ADMIN_ENABLED (1|true|yes); the path is MXCP_ADMIN_SOCKET
 * (default /run/mxcp/mxcp.sock). It runs with every transport.
 *
 * Threads: libmicrohttpd serves the socket on its own threads (one per
 * connection, at most a handful), so a slow audit query never holds up
 * /health. POST /reload asks the server for a reload (opt->request_reload)
 * and answers at once; the server runs it on its own thread, the one
 * reload a SIGHUP runs, and reports back through mx_admin_reload_begin/end.
 *
 * The socket is served by mxcp_http.so (with the HTTP transports: both
 * link libmicrohttpd); the functions below are the binary's side
 * (transport/http_load.c), and the first start loads the module.
 */
#ifndef MX_TRANSPORT_ADMIN_H
#define MX_TRANSPORT_ADMIN_H

#include "core/err.h"

struct mx_admin;
struct mx_audit;
struct mx_mcp_server;
struct mx_project;

#define MX_ADMIN_DEFAULT_SOCKET "/run/mxcp/mxcp.sock"

struct mx_admin_options {
	const char *path; /* the socket file (its folder is created when missing) */
	struct mx_project *project; /* the snapshot being served; the admin takes a reference */
	struct mx_audit *audit; /* borrowed; NULL: audit is off */
	const char *audit_path; /* the trail the writer appends to (for /audit/…) */
	struct mx_mcp_server *mcp; /* borrowed, for active_requests; may be NULL */
	/* POST /reload: ask for a reload and return at once (0), or -1 with
	 * errno set. NULL: refused. Called on an admin thread. */
	int (*request_reload)(void *ctx);
	void *reload_ctx;
	const char *transport; /* "stdio", "streamable-http" or "sse" */
	int sql_tools; /* -1: from mxcp-site.yml; 0/1: --sql-tools */
	int debug;
};

/* MXCP_ADMIN_ENABLED is truthy. */
int mx_admin_enabled(void);
/* MXCP_ADMIN_SOCKET, else MX_ADMIN_DEFAULT_SOCKET. */
const char *mx_admin_socket_path(void);

/* Create the socket (a stale socket file is removed; a path where another
 * server still answers, or that is not a socket, is refused) and start
 * serving. */
int mx_admin_start(const struct mx_admin_options *opt, struct mx_admin **out, struct mx_err *err);
/* Stop serving, remove the socket file, free (NULL is fine). */
void mx_admin_stop(struct mx_admin *a);

/* The reload path: a reload starts; then it ends, with the snapshot now
 * served (success) or NULL and the reason (refused). a may be NULL. */
void mx_admin_reload_begin(struct mx_admin *a);
void mx_admin_reload_end(struct mx_admin *a, struct mx_project *served, const char *error);

/* The interface of mxcp_http.so's admin socket, returned by its
 * mxcp_admin_module(). */
#define MX_ADMIN_ABI 1
struct mx_admin_module {
	int abi;
	int (*start)(const struct mx_admin_options *opt, struct mx_admin **out, struct mx_err *err);
	void (*stop)(struct mx_admin *a);
	void (*reload_begin)(struct mx_admin *a);
	void (*reload_end)(struct mx_admin *a, struct mx_project *served, const char *error);
};

#endif
