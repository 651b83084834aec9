/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http — the HTTP transports over libmicrohttpd: streamable HTTP on /mcp
 * (revisions 2025-03-26 … 2025-11-25 with sessions, and the stateless
 * 2026-07-28 revision on the same endpoint), the legacy HTTP+SSE transport
 * (GET /sse + POST /messages/?session_id=…), and the operations routes
 * /health, /ready, /tools/list and /metrics, never behind auth.
 *
 * A start/stop object driven by the server (src/server/): mx_http_start
 * binds and returns once the socket listens, the daemon serving on its own
 * threads; mx_http_stop closes the listening socket, answers 503 (with
 * Connection: close) to requests on connections already open, drains the
 * calls in flight within shutdown_grace, then cancels what still runs,
 * answers every request still waiting, stops the daemon and frees. The
 * transport installs no signal handler.
 *
 * Files: server.c (this life), session.c (sessions, the reaper), stream.c
 * (responses waiting for messages, the sink), conn.c (connections, the
 * peer watch), checks.c (Origin/Host, revision headers), mcp_routes.c,
 * ops_routes.c, router.c (the route table); internal.h ties them.
 *
 * They and the admin socket (transport/admin.c) are the module
 * mxcp_http.so, the one that links libmicrohttpd (core/module.h): a stdio
 * server never maps it. The functions below are the binary's side
 * (transport/http_load.c): the first start loads the module.
 */
#ifndef MX_TRANSPORT_HTTP_H
#define MX_TRANSPORT_HTTP_H

#include "core/err.h"
#include "mcp/server.h"

#include <stddef.h>

struct mx_auth;
struct mx_http;
struct mx_ready;

struct mx_http_options {
	const char *host; /* "localhost" (bound as 127.0.0.1), an address, or "0.0.0.0" */
	int port;
	int stateless; /* no sessions: every POST runs on a throwaway session */
	int legacy_only; /* --transport sse: serve /sse + /messages only */
	int trust_proxy; /* honour X-Forwarded-Proto/Host/For */
	const char *base_url; /* public URL, for the Origin allow-list ("" or NULL: none) */
	size_t max_body; /* bytes (0: 4 MiB) */
	unsigned session_timeout; /* idle seconds before a session is reaped (0: 1800) */
	size_t max_sessions; /* 0: 10000; past it initialize gets 503 */
	unsigned threads; /* MHD thread pool (0: 4; at least 2) */
	unsigned max_connections; /* 0: 8192 */
	size_t max_header_bytes; /* per-connection memory for the request head (0: 32 KiB) */
	unsigned connection_timeout; /* idle keep-alive seconds (0: 120) */
	unsigned read_timeout; /* seconds for a whole request (line, headers, body) to arrive (0: 30) */
	unsigned max_connections_per_client; /* per peer address (0: 1024, or none behind a trusted proxy) */
	unsigned shutdown_grace; /* seconds mx_http_stop waits for in-flight calls (0: 30) */
	struct mx_ready *ready; /* the checks GET /ready runs (borrowed; NULL: none) */
	/* Bearer tokens on the MCP routes, and the auth routes (borrowed;
	 * NULL: no auth). */
	struct mx_auth *auth;
	const char *scheme; /* "http" (NULL) or "https": the external scheme, for the base URL */
};

/* Bind, start the daemon and its helper threads; *out serves until
 * mx_http_stop. Nothing to stop when it fails. */
int mx_http_start(struct mx_mcp_server *s, const struct mx_http_options *opt, struct mx_http **out,
                  struct mx_err *err);
/* Stop serving as described above and free h (NULL is fine). Blocks for up
 * to shutdown_grace and a few seconds more. */
void mx_http_stop(struct mx_http *h);

/* The interface of mxcp_http.so's HTTP transport, returned by its
 * mxcp_http_module(). */
#define MX_HTTP_ABI 1
struct mx_http_module {
	int abi;
	int (*start)(struct mx_mcp_server *s, const struct mx_http_options *opt, struct mx_http **out,
	             struct mx_err *err);
	void (*stop)(struct mx_http *h);
};

#endif
