/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal — what server.c and reload.c share: the server itself, and the
 * validation both startup and a reload run.
 */
#ifndef MX_SERVER_INTERNAL_H
#define MX_SERVER_INTERNAL_H

#include "server/server.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>

struct mx_admin;
struct mx_audit;
struct mx_dbconn;
struct mx_mcp_server;
struct mx_project;
struct mx_ready;
struct mx_runtime;

struct mx_auth;
struct mx_cache;
struct mx_stdio;

/* The handlers the server replaced, given back when it stops. */
struct saved_signals {
	struct sigaction term, intr, hup, pipe;
};

struct mx_server {
	struct mx_server_config cfg;
	const char *transport; /* resolved: "stdio", "streamable-http", "http" or "sse" */
	int http;
	int proto_fd; /* the protocol's stdout (stdio), else -1 */
	struct mx_project *project; /* the snapshot loaded at start */
	struct mx_runtime *rt;
	/* The snapshot whose Python (modules, hooks, plugins) serves now: its
	 * @on_shutdown hooks run when a reload replaces it or the server
	 * stops. A reference. */
	struct mx_project *live;
	struct mx_server_failure *failures; /* relpaths borrowed from project */
	size_t nfailures;
	unsigned char *drop; /* per endpoint of project: invalid */
	size_t nskipped; /* invalid endpoints left out (--ignore-errors), for the banner */
	struct mx_audit *audit; /* NULL: audit off */
	struct mx_cache *cache; /* the response cache; NULL: none configured */
	struct mx_mcp_server *mcp;
	/* The stdio transport; started by mx_server_load when it answers the
	 * client early, else by mx_server_run. */
	struct mx_stdio *stdio;
	struct mx_admin *admin; /* NULL unless MXCP_ADMIN_ENABLED */
	struct mx_ready *ready;
	struct mx_auth *auth; /* NULL: the profile configures none */
	json_t *stdio_user; /* stdio with auth: MXCP_ACCESS_TOKEN's verified identity */
	pthread_mutex_t ready_mu; /* guards ready_conn */
	struct mx_dbconn *ready_conn; /* /ready's own connection, never a worker's */
	int wake[2]; /* the self-pipe: signals, reload requests, the input's end */
	struct saved_signals saved;
	int signals_installed; /* by mx_server_run, or by mx_server_load when answering early */
};

/* Whether p is served with the SQL tools (flag: --sql-tools, -1 when not
 * given, else the site's sql_tools.enabled), and whether DuckDB then keeps
 * them in its file sandbox (unless sql_tools.external_access). */
int mx_server_sql_tools_served(const struct mx_project *p, int flag);
int mx_server_sql_tools_sandboxed(const struct mx_project *p, int flag);

/* Validate every endpoint of p against rt's database; load failures count
 * too. *out gets the failures (relpaths borrowed from p), drop[i] marks
 * endpoint i invalid. */
int mx_server_validate(struct mx_project *p, struct mx_runtime *rt, struct mx_server_failure **out,
                       size_t *nout, unsigned char *drop, struct mx_err *err);

/* The one reload: build a new snapshot off to the side, validate it and
 * swap it in, or log why not and keep the running one. `trigger` names
 * what asked (for the log). Runs on mx_server_run's thread. */
void mx_server_reload(struct mx_server *s, const char *trigger);

#endif
