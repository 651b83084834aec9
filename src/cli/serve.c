/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve — `mxcp serve`: load the project, open the database, validate every
 * endpoint (as `mxcp validate` does, SQL prepared against the database),
 * then speak MCP on the chosen transport until told to stop.
 *
 * Startup is on the cold path of every Claude-Desktop launch, so it
 * overlaps what it can: DuckDB is opened on a helper thread as soon as the
 * profile settings are known (mx_project_options.on_config) while the main
 * thread reads the endpoint YAML files.
 *
 * Any endpoint that fails to load or validate stops the server with MXCP's
 * startup report (exit 1), unless --ignore-errors, which serves the rest.
 * The transport comes from --transport, else the user config's
 * transport.provider, else streamable-http; --host/--port/--stateless
 * override transport.http.*. In stdio mode stdout belongs to the protocol
 * from the first moment (mx_stdio_take_stdout), so every report goes to
 * stderr. The HTTP transports live in transport/http.c; with
 * MXCP_ADMIN_ENABLED the admin socket (transport/admin.c) runs beside
 * whichever transport serves, from after validation until it returns.
 *
 * A server that serves the built-in SQL tools runs its clients' SQL: unless
 * sql_tools.external_access is true, DuckDB opens the database in its file
 * sandbox (sql_tools.allowed_directories / allowed_paths; the endpoints'
 * SQL is validated and runs in it too, DuckDB's settings being per
 * database), and DuckDB's configuration is locked once the worker pool has
 * made its settings. Neither can be undone while the database is open, so
 * a reload that would need them otherwise is refused or takes effect on
 * restart.
 */
#include "cli/common.h"

#include "audit/writer.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "exec/invoke.h"
#include "exec/validate.h"
#include "exec/workers.h"
#include "mcp/server.h"
#include "model/project.h"
#include "ops/metrics.h"
#include "server/observers.h"
#include "transport/admin.h"
#include "transport/http.h"
#include "transport/stdio.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_TRANSPORT = MX_OPT_FIRST_COMMAND_OPTION,
	OPT_PORT,
	OPT_HOST,
	OPT_SQL_TOOLS,
	OPT_STATELESS,
	OPT_IGNORE_ERRORS,
	OPT_SESSION_TIMEOUT,
	OPT_MAX_SESSIONS,
};

static void print_help(void)
{
	printf("Usage: mxcp serve [OPTIONS]\n\n"
	       "  Start the MCP server for this project: streamable HTTP on /mcp (default,\n"
	       "  port 8000), the legacy HTTP+SSE transport, or --transport stdio, which\n"
	       "  speaks MCP (newline-delimited JSON-RPC) on stdin/stdout, the way Claude\n"
	       "  Desktop and other MCP clients launch local servers.\n\n"
	       "Options:\n"
	       "  --transport [streamable-http|sse|stdio]\n"
	       "                            Transport (default: the user config's\n"
	       "                            transport.provider, else streamable-http)\n"
	       "  --port INTEGER            Port for the HTTP transports\n"
	       "  --host TEXT               Host for the HTTP transports\n"
	       "  --sql-tools [true|false]  Enable or disable the built-in SQL tools\n"
	       "  --readonly                Open the database read-only\n"
	       "  --stateless               Stateless HTTP mode\n"
	       "  --session-timeout SECONDS Close HTTP sessions idle this long (default 1800)\n"
	       "  --max-sessions INTEGER    Most open HTTP sessions (default 10000)\n"
	       "  --ignore-errors           Serve the valid endpoints, skip invalid ones\n"
	       "  --profile TEXT            Profile name to use\n"
	       "  --json-output             Startup failure report as JSON\n"
	       "  --debug                   Show detailed debug information\n"
	       "  --help                    Show this message and exit.\n");
}

struct serve_flags {
	const char *transport; /* NULL: from the user config */
	long port; /* 0: from the user config */
	const char *host;
	int sql_tools; /* -1: from mxcp-site.yml */
	int stateless;
	int ignore_errors;
	long session_timeout; /* 0: default */
	long max_sessions; /* 0: default */
};

/* ------------------------------------------------- database on the side */

/* Whether p is served with the SQL tools (--sql-tools, else the site's
 * sql_tools.enabled), and whether DuckDB then keeps them in its sandbox. */
static int sql_tools_served(const struct mx_project *p, int flag)
{
	return flag >= 0 ? flag : p->site->sql_tools.enabled;
}

static int sql_tools_sandboxed(const struct mx_project *p, int flag)
{
	return sql_tools_served(p, flag) && !p->site->sql_tools.external_access;
}

static int open_runtime(struct mx_project *p, int sql_tools, struct mx_runtime **rt, struct mx_err *err)
{
	const struct mx_site_sql_tools *t = &p->site->sql_tools;
	struct mx_db_sandbox sb = {.directories = (const char *const *)t->allowed_directories,
	                           .ndirectories = t->nallowed_directories,
	                           .paths = (const char *const *)t->allowed_paths,
	                           .npaths = t->nallowed_paths};
	return mx_runtime_open_sandboxed(p, sql_tools_sandboxed(p, sql_tools) ? &sb : NULL, rt, err);
}

struct opener {
	pthread_t thread;
	int started;
	int sql_tools; /* --sql-tools, -1 when not given */
	struct mx_project *p; /* our reference, taken on the loading thread */
	struct mx_runtime *rt;
	int rc;
	struct mx_err err;
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;
	o->rc = open_runtime(o->p, o->sql_tools, &o->rt, &o->err);
	return NULL;
}

static void on_config(struct mx_project *p, void *ctx)
{
	struct opener *o = ctx;
	o->p = mx_project_ref(p);
	if (pthread_create(&o->thread, NULL, opener_main, o) == 0)
		o->started = 1;
}

/* Join the opener; on success hand over the runtime. */
static int opener_finish(struct opener *o, struct mx_runtime **rt, struct mx_err *err)
{
	if (o->started)
		pthread_join(o->thread, NULL);
	else if (o->p)
		o->rc = open_runtime(o->p, o->sql_tools, &o->rt, &o->err);
	mx_project_unref(o->p);
	o->p = NULL;
	if (o->rt == NULL) {
		*err = o->err;
		return o->rc ? o->rc : MX_EINTERNAL;
	}
	*rt = o->rt;
	o->rt = NULL;
	return 0;
}

/* ------------------------------------------------------ startup report */

struct failure {
	const char *relpath;
	struct mx_err err;
};

static void format_error(const struct failure *f, char *out, size_t n)
{
	mx_err_format(&f->err, out, n);
}

/* MXCP's report: text on stderr; JSON on stdout (stderr in stdio mode,
 * where stdout is the protocol). */
static void print_report(const struct mx_cli *cli, const struct failure *v, size_t n, int stdio_mode)
{
	char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
	if (cli->json_output) {
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++) {
			format_error(&v[i], msg, sizeof msg);
			json_array_append_new(list,
			                      json_pack("{s:s, s:s}", "path", v[i].relpath, "error", msg));
		}
		char head[96];
		snprintf(head, sizeof head, "Found %zu endpoint(s) with errors", n);
		json_t *doc = json_pack("{s:s, s:s, s:o}", "status", "error", "message", head,
		                        "failed_endpoints", list);
		if (stdio_mode)
			mx_json_print(stderr, doc, MX_JSON_PRETTY);
		else
			mx_cli_print_json(doc);
		json_decref(doc);
		return;
	}
	fprintf(stderr, "\n❌ Server startup failed!\n\nFound %zu endpoint(s) with errors\n\n", n);
	for (size_t i = 0; i < n; i++) {
		format_error(&v[i], msg, sizeof msg);
		fprintf(stderr, "  ✗ %s\n    Error: %s\n", v[i].relpath, msg);
	}
	fprintf(stderr, "\nTip: fix the errors above (`mxcp validate` shows them too), or start with\n"
	                "--ignore-errors to serve the valid endpoints and skip the invalid ones.\n");
}

/* DuckDB refused an endpoint's file: in the SQL tools' sandbox (DuckDB's
 * settings are per database, so the endpoints' SQL shares it) say which
 * settings allow it. */
static void sandbox_hint(const struct mx_db *db, struct mx_err *err)
{
	if (!mx_db_sandboxed(db) || strstr(err->msg, "Permission Error:") == NULL)
		return;
	size_t n = strlen(err->msg);
	snprintf(err->msg + n, sizeof err->msg - n, "%s",
	         "\n(the server serves the SQL tools, so DuckDB reaches only the folders and files of "
	         "sql_tools.allowed_directories and allowed_paths in mxcp-site.yml, for the endpoints' SQL "
	         "too)");
}

/* Validate every endpoint; load failures count too. On return *out holds
 * the failures (relpaths borrowed from p) and drop[i] marks endpoint i. */
static int validate_all(struct mx_project *p, struct mx_runtime *rt, struct failure **out, size_t *nout,
                        unsigned char *drop, struct mx_err *err)
{
	*out = NULL;
	*nout = 0;
	struct mx_dbconn *conn = NULL;
	int rc = mx_db_connect(mx_runtime_db(rt), &conn, err);
	if (rc)
		return rc;
	size_t cap = p->nfailures + p->nendpoints;
	struct failure *v = mx_calloc(cap ? cap : 1, sizeof *v);
	if (v == NULL) {
		mx_dbconn_close(conn);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	size_t n = 0;
	for (size_t i = 0; i < p->nfailures; i++) {
		v[n].relpath = p->failures[i].relpath;
		v[n++].err = p->failures[i].err;
	}
	for (size_t i = 0; i < p->nendpoints; i++) {
		const struct mx_endpoint *ep = p->endpoints[i];
		if (mx_validate_endpoint(ep, conn, &v[n].err) == 0)
			continue;
		sandbox_hint(mx_runtime_db(rt), &v[n].err);
		v[n++].relpath = ep->relpath;
		drop[i] = 1;
	}
	mx_dbconn_close(conn);
	*out = v;
	*nout = n;
	return 0;
}

/* ------------------------------------------------------------ SIGHUP */

/* Hot reload: build a new snapshot off to the side (site and user config,
 * references, endpoint files), validate it against the open database, and
 * swap it in; clients get list_changed notifications. A project that fails
 * to load, or has invalid endpoints without --ignore-errors, is not swapped
 * in: the current one keeps serving and the reason is logged. */
struct reloader {
	struct mx_mcp_server *srv;
	struct mx_runtime *rt;
	const struct mx_cli *cli;
	int ignore_errors;
	int sql_tools; /* --sql-tools, -1 when not given */
	struct mx_admin *admin; /* NULL unless the admin socket is on: told how each reload ended */
};

/* The SQL tools of p against the database as it was opened: 0 when p
 * would serve them outside the sandbox they need (msg says why). A sandbox
 * that is on stays as it was opened until restart. */
static int reload_sql_tools_ok(const struct reloader *r, const struct mx_project *p, char *msg, size_t n)
{
	const struct mx_db *db = mx_runtime_db(r->rt);
	int want = sql_tools_sandboxed(p, r->sql_tools);
	if (want && !mx_db_sandboxed(db)) {
		snprintf(msg, n,
		         "the SQL tools would be served in DuckDB's file sandbox, which is set when the "
		         "database opens: restart the server to serve them");
		return 0;
	}
	if (mx_db_sandboxed(db) &&
	    (!want ||
	     !mx_site_sql_sandbox_equal(&p->site->sql_tools, &mx_runtime_project(r->rt)->site->sql_tools)))
		mx_warn("reload: DuckDB's file sandbox stays as the server opened it; changes to "
		        "sql_tools.external_access, allowed_directories and allowed_paths take effect on "
		        "restart");
	return 1;
}

static void reload_project(void *ctx)
{
	struct reloader *r = ctx;
	int ok = 0;
	struct mx_project_options popt = {.profile = r->cli->profile, .readonly = r->cli->readonly};
	struct mx_project *p = NULL;
	struct failure *bad = NULL;
	unsigned char *drop = NULL;
	size_t nbad = 0;
	struct mx_err err;
	char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64] = "";
	mx_info("SIGHUP: reloading the project");
	mx_admin_reload_begin(r->admin);
	if (mx_project_load(&popt, &p, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		mx_admin_reload_end(r->admin, NULL, msg);
		return;
	}
	if (!reload_sql_tools_ok(r, p, msg, sizeof msg)) {
		mx_error("reload refused, still serving the previous project: %s", msg);
		goto out;
	}
	/* Extensions the new site config lists, before its SQL is validated. */
	if (mx_runtime_load_extensions(r->rt, p, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		goto out;
	}
	drop = mx_calloc(p->nendpoints ? p->nendpoints : 1, 1);
	if (drop == NULL || validate_all(p, r->rt, &bad, &nbad, drop, &err)) {
		if (drop)
			mx_err_format(&err, msg, sizeof msg);
		else
			snprintf(msg, sizeof msg, "out of memory");
		mx_error("reload failed, still serving the previous project: %s", msg);
		goto out;
	}
	for (size_t i = 0; i < nbad; i++)
		mx_log(r->ignore_errors ? MX_LOG_WARNING : MX_LOG_ERROR, "reload: invalid endpoint %s: %s",
		       bad[i].relpath, mx_err_format(&bad[i].err, msg, sizeof msg));
	if (nbad && !r->ignore_errors) {
		snprintf(msg, sizeof msg, "%zu invalid endpoint(s)", nbad);
		mx_error("reload refused (%s), still serving the previous project", msg);
		goto out;
	}
	if (nbad)
		mx_project_drop_endpoints(p, drop);
	if (mx_mcp_server_reload(r->srv, p, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		goto out;
	}
	ok = 1;
	mx_info("reload done: %zu endpoint(s)", p->nendpoints);
	/* SQL tools served from now on: nothing may change DuckDB's settings. */
	if (sql_tools_served(p, r->sql_tools) && mx_db_lock_config(mx_runtime_db(r->rt), &err))
		mx_error("reload: %s", mx_err_format(&err, msg, sizeof msg));
	/* The user config's secrets, re-resolved, replace DuckDB's. */
	if (mx_runtime_set_secrets(r->rt, p, &err))
		mx_error("reload: DuckDB secrets not updated: %s", mx_err_format(&err, msg, sizeof msg));
	if (strcmp(p->settings.duckdb_path, mx_runtime_project(r->rt)->settings.duckdb_path) != 0)
		mx_warn("reload: the DuckDB path changed to %s; the server keeps the database it opened "
		        "until it is restarted",
		        p->settings.duckdb_path);
out:
	mx_admin_reload_end(r->admin, ok ? p : NULL, msg);
	mx_metrics_reload(ok);
	mx_free(bad);
	mx_free(drop);
	mx_project_unref(p);
}

/* ------------------------------------------------------------- audit */

/* The audit writer for the server's life: opened from the profile settings
 * (audit.enabled / MXCP_AUDIT_ENABLED) before the server, closed — queue
 * drained, file synced — after it, on every exit path (EOF, SIGTERM, errors). */
/* The DuckDB pool's gauges for /metrics, read at render time (ctx: the pool). */
static void pool_metrics(void *ctx, struct mx_metrics_pool *out)
{
	out->size = mx_workers_count(ctx);
	out->pending = mx_workers_pending(ctx);
	out->loans = mx_workers_loans(ctx);
}

static int audit_open(const struct mx_project *p, struct mx_audit **out, struct mx_err *err)
{
	*out = NULL;
	if (!p->settings.audit_enabled)
		return 0;
	struct mx_audit_options aopt;
	mx_audit_options_from_settings(&p->settings, &aopt);
	int rc = mx_audit_open(&aopt, out, err);
	if (rc == 0)
		mx_info("audit: recording every call to %s", aopt.path);
	return rc;
}

/* OAuth is not built yet. A profile that asks for it must not be served
 * over HTTP without it, which would expose what the operator meant to
 * protect: refuse, naming where the configuration asks (fail closed).
 * Over stdio MXCP applies no OAuth either, so stdio serves. 1 and err set
 * when refused. */
static int auth_unavailable(const struct mx_project *p, struct mx_err *err)
{
	const struct mx_user_config *u = p->user;
	if (u && u->auth_provider[0]) {
		mx_err_at(err, MX_EINVAL, u->file ? u->file : "", u->auth_line, u->auth_col,
		          "projects.%s.profiles.%s.auth.provider: OAuth (provider '%s') is not available in "
		          "this mxcp yet; refusing to serve over HTTP without the authentication the "
		          "configuration asks for (serve over --transport stdio, or set provider: none)",
		          p->site->project, p->profile, u->auth_provider);
		return 1;
	}
	const struct mx_site_profile *sp = mx_site_get_profile(p->site, p->profile);
	const json_t *enabled = sp && sp->auth ? json_object_get(sp->auth, "enabled") : NULL;
	const char *provider =
	        sp && sp->auth ? json_string_value(json_object_get(sp->auth, "provider")) : NULL;
	if (json_is_true(enabled) && !(provider && strcmp(provider, "none") == 0)) {
		mx_err_at(err, MX_EINVAL, p->site->file, sp->auth_line, sp->auth_col,
		          "profiles.%s.auth: authentication is enabled%s%s%s, but OAuth is not available in "
		          "this mxcp yet; refusing to serve over HTTP without it (serve over --transport "
		          "stdio, or set enabled: false)",
		          p->profile, provider ? " (provider '" : "", provider ? provider : "",
		          provider ? "')" : "");
		return 1;
	}
	return 0;
}

/* The SQL tools are served: DuckDB's settings are locked now that the
 * worker pool has made its own (thread lending), and the log says what the
 * tools reach. */
static int sql_tools_lock(const struct mx_project *p, struct mx_runtime *rt, struct mx_err *err)
{
	struct mx_db *db = mx_runtime_db(rt);
	const struct mx_site_sql_tools *t = &p->site->sql_tools;
	if (mx_db_sandboxed(db))
		mx_info("SQL tools: DuckDB reaches %zu folder(s) and %zu file(s) "
		        "of sql_tools.allowed_directories and allowed_paths, nothing else%s",
		        t->nallowed_directories, t->nallowed_paths,
		        mx_db_readonly(db) ? "; read-only: SELECT statements only" : "");
	else
		mx_warn("SQL tools: sql_tools.external_access is true, "
		        "so their SQL reaches every file and URL this process can");
	return mx_db_lock_config(db, err);
}

static int is_http(const char *t)
{
	return !strcmp(t, "streamable-http") || !strcmp(t, "http") || !strcmp(t, "sse");
}

/* Serve an HTTP transport until SIGTERM/SIGINT. */
static int serve_http(struct mx_cli *cli, const struct serve_flags *f, const char *transport,
                      struct mx_project *p, struct mx_runtime *rt, struct mx_mcp_server *srv,
                      struct reloader *reload)
{
	const struct mx_user_transport *ut = &p->user->transport;
	struct mx_http_options hopt = {
	        .host = f->host       ? f->host
	                : ut->host[0] ? ut->host
	                              : "localhost",
	        .port = f->port    ? (int)f->port
	                : ut->port ? ut->port
	                           : 8000,
	        .stateless = f->stateless || ut->stateless,
	        .legacy_only = strcmp(transport, "sse") == 0,
	        .trust_proxy = ut->trust_proxy,
	        .base_url = ut->base_url,
	        .session_timeout = (unsigned)(f->session_timeout ? f->session_timeout : ut->session_timeout),
	        .max_sessions = (size_t)(f->max_sessions ? f->max_sessions : ut->max_sessions),
	        .max_body = (size_t)ut->max_message_bytes,
	        .threads = (unsigned)ut->http_threads,
	        .max_connections = (unsigned)ut->max_connections,
	        .max_header_bytes = (size_t)ut->max_header_bytes,
	        .connection_timeout = (unsigned)ut->connection_timeout,
	        .read_timeout = (unsigned)ut->read_timeout,
	        .max_connections_per_client = (unsigned)ut->max_connections_per_client,
	        .shutdown_grace = (unsigned)ut->shutdown_grace,
	        .rt = rt,
	        .on_reload = reload_project,
	        .reload_ctx = reload,
	};
	struct mx_err err;
	if (mx_http_serve(srv, &hopt, &err))
		return mx_cli_fail(cli, &err);
	return MX_EXIT_OK;
}

static int parse_count(const char *s, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_flags(int argc, char **argv, struct mx_cli *cli, struct serve_flags *f)
{
	static const struct option opts[] = {
	        MX_CLI_COMMON_OPTIONS,
	        {"transport", required_argument, NULL, OPT_TRANSPORT},
	        {"port", required_argument, NULL, OPT_PORT},
	        {"host", required_argument, NULL, OPT_HOST},
	        {"sql-tools", required_argument, NULL, OPT_SQL_TOOLS},
	        {"stateless", no_argument, NULL, OPT_STATELESS},
	        {"ignore-errors", no_argument, NULL, OPT_IGNORE_ERRORS},
	        {"session-timeout", required_argument, NULL, OPT_SESSION_TIMEOUT},
	        {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
	        {0}};
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': print_help(); return -1;
		case OPT_TRANSPORT:
			if (strcmp(optarg, "stdio") != 0 && !is_http(optarg))
				return mx_cli_usage_error(
				        cli,
				        "Invalid value for '--transport': '%s' is not one of "
				        "'streamable-http', 'sse', 'stdio'.",
				        optarg);
			f->transport = optarg;
			break;
		case OPT_PORT: {
			char *end = NULL;
			errno = 0;
			long port = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || port < 1 || port > 65535)
				return mx_cli_usage_error(
				        cli, "Invalid value for '--port': '%s' is not a valid port.", optarg);
			f->port = port;
			break;
		}
		case OPT_HOST: f->host = optarg; break;
		case OPT_SQL_TOOLS:
			if (strcmp(optarg, "true") && strcmp(optarg, "false"))
				return mx_cli_usage_error(cli,
				                          "Invalid value for '--sql-tools': '%s' is not one "
				                          "of 'true', 'false'.",
				                          optarg);
			f->sql_tools = optarg[0] == 't';
			break;
		case OPT_STATELESS: f->stateless = 1; break;
		case OPT_IGNORE_ERRORS: f->ignore_errors = 1; break;
		case OPT_SESSION_TIMEOUT:
			if (parse_count(optarg, 86400 * 365, &f->session_timeout))
				return mx_cli_usage_error(cli,
				                          "Invalid value for '--session-timeout': '%s' is "
				                          "not a number of seconds.",
				                          optarg);
			break;
		case OPT_MAX_SESSIONS:
			if (parse_count(optarg, 10000000, &f->max_sessions))
				return mx_cli_usage_error(
				        cli,
				        "Invalid value for '--max-sessions': '%s' is not a positive integer.",
				        optarg);
			break;
		case '?': return mx_cli_bad_option(cli, argv);
		default:
			if (!mx_cli_common_option(cli, c, optarg))
				return mx_cli_usage_error(cli, "No such option: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return mx_cli_usage_error(cli, "Got unexpected extra argument (%s)", argv[optind]);
	return 0;
}

int mx_cmd_serve(int argc, char **argv)
{
	struct mx_cli cli = {.command = "serve"};
	struct serve_flags f = {.sql_tools = -1};
	int rc = parse_flags(argc, argv, &cli, &f);
	if (rc)
		return rc < 0 ? MX_EXIT_OK : rc;
	/* A server says what it does (listening, reloads, shutdown) unless told
	 * otherwise: INFO by default for serve, where other commands stay quiet. */
	if (mx_log_parse_level(getenv("MXCP_LOG_LEVEL")) < 0)
		mx_log_set_level(MX_LOG_INFO);
	mx_cli_setup_logging(&cli);

	/* stdout is the protocol from here on when the transport is known to be stdio. */
	int proto_fd = -1;
	const char *transport = f.transport;
	if (transport && !is_http(transport) && (proto_fd = mx_stdio_take_stdout()) < 0)
		return mx_cli_failf(&cli, "cannot take over stdout: %s", strerror(errno));

	struct opener op = {.sql_tools = f.sql_tools};
	struct mx_project_options popt = {.profile = cli.profile,
	                                  .readonly = cli.readonly,
	                                  .on_config = on_config,
	                                  .on_config_ctx = &op};
	struct mx_project *p = NULL;
	struct mx_runtime *rt = NULL;
	struct mx_mcp_server *srv = NULL;
	struct mx_audit *audit = NULL;
	struct mx_admin *admin = NULL;
	struct failure *bad = NULL;
	unsigned char *drop = NULL;
	size_t nbad = 0;
	struct mx_err err;
	int status = MX_EXIT_FAIL;

	int lrc = mx_project_load(&popt, &p, &err);
	mx_debug("serve: project loaded");
	struct mx_err oerr;
	int orc = op.p ? opener_finish(&op, &rt, &oerr) : 0;
	mx_debug("serve: database open");
	if (lrc) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	if (transport == NULL) {
		transport = p->user->transport.provider[0] ? p->user->transport.provider : "streamable-http";
		if (strcmp(transport, "stdio") == 0 && (proto_fd = mx_stdio_take_stdout()) < 0) {
			status = mx_cli_failf(&cli, "cannot take over stdout: %s", strerror(errno));
			goto out;
		}
	}
	if (orc) {
		status = mx_cli_fail(&cli, &oerr);
		goto out;
	}

	drop = mx_calloc(p->nendpoints ? p->nendpoints : 1, 1);
	if (drop == NULL || validate_all(p, rt, &bad, &nbad, drop, &err)) {
		if (drop == NULL)
			mx_err_set(&err, MX_ENOMEM, "out of memory");
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	mx_debug("serve: %zu endpoint(s) validated, %zu with errors", p->nendpoints, nbad);
	if (nbad && !f.ignore_errors) {
		print_report(&cli, bad, nbad, proto_fd >= 0);
		goto out;
	}
	if (nbad) {
		char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
		for (size_t i = 0; i < nbad; i++)
			mx_warn("Skipping invalid endpoint %s: %s", bad[i].relpath,
			        mx_err_format(&bad[i].err, msg, sizeof msg));
		mx_project_drop_endpoints(p, drop);
	}
	int http = is_http(transport);
	if (http && auth_unavailable(p, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	if (!http && (f.port || f.host || f.stateless))
		mx_debug("serve: --port/--host/--stateless apply to the HTTP transports; ignored for stdio");

	if (audit_open(p, &audit, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	mx_metrics_set_audit_source(audit ? mx_audit_metrics_source : NULL, audit);
	const struct mx_user_transport *ut = &p->user->transport;
	struct mx_call_observer observers[MX_SERVER_MAX_OBSERVERS];
	struct mx_mcp_server_options sopt = {
	        .caller = http ? MX_CALLER_HTTP : MX_CALLER_STDIO,
	        .sql_tools = f.sql_tools,
	        .observers = observers,
	        .nobservers = mx_server_observers(audit, observers),
	        .workers = (int)ut->workers,
	        .queue_size = (size_t)ut->queue_size,
	        .max_message = (size_t)ut->max_message_bytes,
	        .max_depth = (int)ut->max_json_depth,
	};
	if (mx_mcp_server_new(rt, &sopt, &srv, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	mx_metrics_set_db_pool_source(pool_metrics, mx_mcp_server_workers(srv));
	if (sql_tools_served(p, f.sql_tools) && sql_tools_lock(p, rt, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	if (mx_admin_enabled()) {
		struct mx_admin_options aopt = {
		        .path = mx_admin_socket_path(),
		        .project = p,
		        .audit = audit,
		        .audit_path = p->settings.audit_path,
		        .workers = mx_mcp_server_workers(srv),
		        .transport = !http                           ? "stdio"
		                     : strcmp(transport, "sse") == 0 ? "sse"
		                                                     : "streamable-http",
		        .sql_tools = f.sql_tools,
		        .debug = cli.debug || mx_env_flag("MXCP_DEBUG"),
		};
		if (mx_admin_start(&aopt, &admin, &err)) {
			status = mx_cli_fail(&cli, &err);
			goto out;
		}
	}
	struct reloader reload = {.srv = srv,
	                          .rt = rt,
	                          .cli = &cli,
	                          .ignore_errors = f.ignore_errors,
	                          .sql_tools = f.sql_tools,
	                          .admin = admin};
	if (http) {
		status = serve_http(&cli, &f, transport, p, rt, srv, &reload);
		goto out;
	}
	struct mx_stdio_options stopt = {.in_fd = STDIN_FILENO,
	                                 .out_fd = proto_fd,
	                                 .max_line = (size_t)ut->max_message_bytes,
	                                 .on_reload = reload_project,
	                                 .reload_ctx = &reload};
	if (mx_stdio_serve(srv, &stopt, &err))
		status = mx_cli_fail(&cli, &err);
	else
		status = MX_EXIT_OK;
out:
	mx_admin_stop(admin); /* before the server: it reads the worker pool */
	mx_metrics_set_db_pool_source(NULL, NULL);
	if (srv)
		mx_mcp_server_free(srv);
	mx_metrics_set_audit_source(NULL, NULL);
	mx_audit_close(audit); /* after the server: no call is still logging */
	mx_free(bad);
	mx_free(drop);
	mx_runtime_close(rt);
	mx_project_unref(p);
	if (proto_fd >= 0)
		close(proto_fd);
	return status;
}
