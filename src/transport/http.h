/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http — the HTTP transports over libmicrohttpd: streamable HTTP on /mcp
 * (revisions 2025-03-26 … 2025-11-25 with sessions, and the stateless
 * 2026-07-28 revision on the same endpoint), the legacy HTTP+SSE transport
 * (GET /sse + POST /messages/?session_id=…), and the operations routes
 * /health, /ready, /tools/list and /metrics, never behind auth.
 *
 * mx_http_serve runs on the calling thread until SIGTERM/SIGINT: it stops
 * accepting, drains the calls in flight, closes every stream and returns 0.
 * SIGHUP calls on_reload on that same thread.
 */
#ifndef MX_TRANSPORT_HTTP_H
#define MX_TRANSPORT_HTTP_H

#include "core/err.h"
#include "mcp/server.h"

#include <stddef.h>

struct mx_runtime;

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
	unsigned shutdown_grace; /* seconds SIGTERM waits for in-flight calls (0: 30) */
	struct mx_runtime *rt; /* for /ready */
	void (*on_reload)(void *ctx);
	void *reload_ctx;
};

int mx_http_serve(struct mx_mcp_server *s, const struct mx_http_options *opt, struct mx_err *err);

#endif
