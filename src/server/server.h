/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server — one server's life, for `mxcp serve`: load the project, open the
 * runtime (DuckDB), validate every endpoint, start the transport and the
 * admin socket, reload (SIGHUP or the admin socket's POST /reload, through
 * one function), drain, stop, flush the audit trail.
 *
 * This is the one place that installs signal handlers: SIGTERM and SIGINT
 * stop (a second one, while draining, ends the process the usual way),
 * SIGHUP reloads, SIGPIPE is ignored. The handlers only write to one
 * self-pipe; mx_server_run's thread reads it and does the work, so every
 * reload runs on that thread, one at a time.
 *
 * It is also the composition root: it wires the call observers (audit,
 * metrics; observers.h), the metrics sources and the readiness checks into
 * the protocol core and the transports, which know none of them by
 * themselves.
 *
 * Use: mx_server_new, mx_server_load (on failure mx_server_failures tells
 * whether endpoints were invalid, for the startup report), mx_server_run,
 * mx_server_free. One server per process (signals are process-wide).
 */
#ifndef MX_SERVER_SERVER_H
#define MX_SERVER_SERVER_H

#include "core/err.h"

#include <stddef.h>

struct mx_server;

struct mx_server_config {
	const char *profile; /* --profile, or NULL */
	int readonly; /* --readonly */
	int debug; /* --debug or MXCP_DEBUG (reported by the admin API) */
	/* "stdio", "streamable-http" (or "http"), "sse"; NULL: the user config's
	 * transport.provider, else streamable-http */
	const char *transport;
	const char *host; /* NULL: transport.http.host, else localhost */
	int port; /* 0: transport.http.port, else 8000 */
	int stateless; /* or transport.http.stateless */
	int sql_tools; /* -1: mxcp-site.yml's sql_tools.enabled */
	int ignore_errors; /* serve the valid endpoints, skip the invalid ones */
	unsigned session_timeout; /* 0: transport.http.session_timeout */
	size_t max_sessions; /* 0: transport.http.max_sessions */
};

/* An endpoint file that failed to load or validate. */
struct mx_server_failure {
	const char *relpath;
	struct mx_err err;
};

/* Is `name` a transport mxcp serves? */
int mx_server_transport_valid(const char *name);

int mx_server_new(const struct mx_server_config *cfg, struct mx_server **out, struct mx_err *err);
/* Load the project (DuckDB opens on a helper thread meanwhile), validate
 * every endpoint against the database, and build the protocol core. With
 * stdio, stdout belongs to the protocol from the start (see
 * mx_server_stdio). Invalid endpoints without ignore_errors: MX_EINVAL and
 * mx_server_failures lists them; other failures fill err. */
int mx_server_load(struct mx_server *s, struct mx_err *err);
/* The endpoints that failed, when mx_server_load refused them. */
size_t mx_server_failures(const struct mx_server *s, const struct mx_server_failure **out);
/* Is stdout the protocol's (stdio)? Reports then go to stderr. */
int mx_server_stdio(const struct mx_server *s);
/* Serve until stdin ends (stdio) or SIGTERM/SIGINT, reloading on SIGHUP
 * and POST /reload; then drain and stop. 0, or an error (err filled) when
 * a transport could not start or reading stdin failed. */
int mx_server_run(struct mx_server *s, struct mx_err *err);
/* Free everything, the audit trail flushed and closed last (NULL is fine). */
void mx_server_free(struct mx_server *s);

#endif
