/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server — see server.h.
 *
 * Startup is on the cold path of every Claude-Desktop launch, so it
 * overlaps what it can: DuckDB is opened on a helper thread as soon as the
 * profile settings are known (mx_project_options.on_config) while this
 * thread reads the endpoint YAML files. Over stdio (without
 * --ignore-errors) the client is answered as soon as the project is
 * loaded: the protocol core is prepared from the project and the stdio
 * transport started, so initialize and the lists never wait for the
 * database, the validation of the endpoints' SQL or the worker pool; the
 * calls wait at the core's gate until all of that is done. What a start
 * refuses it still refuses, with the same message and exit status (the
 * checks and their order are the same): the gate then drops the waiting
 * calls unanswered, and the process exits (a project with endpoint files
 * that did not load, or whose database has already failed to open, is
 * refused before any answer). With --ignore-errors the lists
 * depend on the validation (invalid endpoints are left out), so the
 * transport starts after it, as over HTTP.
 *
 * A server that serves the built-in SQL tools runs its clients' SQL: unless
 * sql_tools.external_access is true, DuckDB opens the database in its file
 * sandbox (sql_tools.allowed_directories / allowed_paths; the endpoints'
 * SQL is validated and runs in it too, DuckDB's settings being per
 * database), and DuckDB's configuration is locked once the worker pool has
 * made its settings. Neither can be undone while the database is open, so
 * a reload that would need them otherwise is refused or takes effect on
 * restart (reload.c).
 *
 * The run, on the caller's thread:
 *   1. install the signal handlers (one self-pipe, s->wake), unless the
 *      early answers did;
 *   2. start the admin socket (MXCP_ADMIN_ENABLED), then the transport
 *      (unless the early answers did);
 *   3. wait on the pipe: 'h' (SIGHUP) and 'r' (POST /reload) run
 *      mx_server_reload, 't'/'i' (SIGTERM/SIGINT) and 'e' (stdin ended)
 *      stop;
 *   4. give SIGTERM/SIGINT back (a second one ends the process), mark
 *      /ready as stopping, stop the transport (it drains within the grace),
 *      then the admin socket.
 * mx_server_free then stops the protocol core (its workers finish what
 * they run) and closes the audit trail after it, so no call is still
 * logging, and the database last.
 */
#include "server/internal.h"

#include "audit/writer.h"
#include "auth/auth.h"
#include "core/alloc.h"
#include "core/log.h"
#include "exec/invoke.h"
#include "exec/python.h"
#include "exec/sql.h"
#include "exec/workers.h"
#include "mcp/server.h"
#include "model/project.h"
#include "ops/metrics.h"
#include "ops/telemetry.h"
#include "ops/ready.h"
#include "server/cache.h"
#include "server/observers.h"
#include "server/telemetry.h"
#include "transport/admin.h"
#include "transport/http/http.h"
#include "transport/stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mx_server_transport_valid(const char *name)
{
	return !strcmp(name, "stdio") || !strcmp(name, "streamable-http") || !strcmp(name, "http") ||
	       !strcmp(name, "sse");
}

static int is_http(const char *t)
{
	return strcmp(t, "stdio") != 0;
}

int mx_server_new(const struct mx_server_config *cfg, struct mx_server **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_server *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	s->cfg = *cfg;
	s->proto_fd = -1;
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->ready_mu, NULL);
	*out = s;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		return mx_err_set(err, MX_EIO, "cannot create a pipe: %s", strerror(errno));
	return 0;
}

/* ------------------------------------------------- database on the side */

int mx_server_sql_tools_served(const struct mx_project *p, int flag)
{
	return flag >= 0 ? flag : p->site->sql_tools.enabled;
}

int mx_server_sql_tools_sandboxed(const struct mx_project *p, int flag)
{
	return mx_server_sql_tools_served(p, flag) && !p->site->sql_tools.external_access;
}

static int open_runtime(struct mx_project *p, int sql_tools, struct mx_runtime **rt, struct mx_err *err)
{
	const struct mx_site_sql_tools *t = &p->site->sql_tools;
	struct mx_db_sandbox sb = {.directories = (const char *const *)t->allowed_directories,
	                           .ndirectories = t->nallowed_directories,
	                           .paths = (const char *const *)t->allowed_paths,
	                           .npaths = t->nallowed_paths};
	return mx_runtime_open_sandboxed(p, mx_server_sql_tools_sandboxed(p, sql_tools) ? &sb : NULL, rt,
	                                 err);
}

struct opener {
	pthread_t thread;
	int started;
	int sql_tools; /* --sql-tools, -1 when not given */
	struct mx_project *p; /* our reference, taken on the loading thread */
	struct mx_runtime *rt;
	int rc;
	struct mx_err err;
	atomic_int failed; /* set once the open has failed: rc and err are final */
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;
	o->rc = open_runtime(o->p, o->sql_tools, &o->rt, &o->err);
	if (o->rt == NULL)
		atomic_store(&o->failed, 1);
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

/* ------------------------------------------------------------- startup */

/* stdout is the protocol from here on. */
static int take_stdout(struct mx_server *s, struct mx_err *err)
{
	if ((s->proto_fd = mx_stdio_take_stdout()) < 0)
		return mx_err_set(err, MX_EIO, "cannot take over stdout: %s", strerror(errno));
	return 0;
}

/* mxcp-site.yml's `profiles.<p>.auth.enabled` (the operational guide's
 * key, not MXCP's) asks for authentication the user config does not
 * configure: refuse to serve over HTTP unprotected (fail closed). 1 and
 * err set when refused. */
static int site_auth_unconfigured(const struct mx_project *p, struct mx_err *err)
{
	const struct mx_user_config *u = p->user;
	if (u && u->auth_provider[0])
		return 0;
	const struct mx_site_profile *sp = mx_site_get_profile(p->site, p->profile);
	const json_t *enabled = sp && sp->auth ? json_object_get(sp->auth, "enabled") : NULL;
	const char *provider =
	        sp && sp->auth ? json_string_value(json_object_get(sp->auth, "provider")) : NULL;
	if (json_is_true(enabled) && !(provider && strcmp(provider, "none") == 0)) {
		mx_err_at(err, MX_EINVAL, p->site->file, sp->auth_line, sp->auth_col,
		          "profiles.%s.auth: authentication is enabled, but the user config configures no "
		          "provider (projects.%s.profiles.%s.auth); refusing to serve over HTTP without it",
		          p->profile, p->site->project, p->profile);
		return 1;
	}
	return 0;
}

/* The external base URL: transport.http.base_url, else
 * scheme://host[:port] (no port for 80/443), as MXCP's URL builder. */
static void base_url(const struct mx_server *s, char *out, size_t n)
{
	const struct mx_user_transport *ut = &s->project->user->transport;
	if (ut->base_url[0]) {
		size_t len = strlen(ut->base_url);
		while (len > 0 && ut->base_url[len - 1] == '/')
			len--;
		snprintf(out, n, "%.*s", (int)len, ut->base_url);
		return;
	}
	const char *host = s->cfg.host ? s->cfg.host : ut->host[0] ? ut->host : "localhost";
	int port = s->cfg.port ? s->cfg.port : ut->port ? ut->port : 8000;
	if (strcmp(host, "0.0.0.0") == 0)
		host = "localhost";
	const char *scheme = ut->scheme[0] ? ut->scheme : "http";
	if (port == 80 || port == 443)
		snprintf(out, n, "%s://%s", scheme, host);
	else
		snprintf(out, n, "%s://%s:%d", scheme, host, port);
}

/* Open the profile's auth. Over stdio no client presents a token: with
 * MXCP_ACCESS_TOKEN set (ours), that token is verified once now and is the
 * user of the whole session; without it every call is refused
 * "Authentication required", as MXCP does. */
static int auth_open(struct mx_server *s, struct mx_err *err)
{
	char base[1100];
	base_url(s, base, sizeof base);
	int rc = mx_auth_open(s->project, base, &s->auth, err);
	if (rc || s->auth == NULL || s->http)
		return rc;
	const char *token = getenv("MXCP_ACCESS_TOKEN");
	if (token == NULL || *token == '\0') {
		mx_warn("auth: %s is configured but stdio clients present no token: every call is refused "
		        "(set MXCP_ACCESS_TOKEN to a token of the identity provider to serve its user)",
		        mx_auth_provider(s->auth));
		return 0;
	}
	char reason[160];
	enum mx_auth_status st = mx_auth_verify(s->auth, token, &s->stdio_user, reason, sizeof reason);
	if (st != MX_AUTH_OK)
		return mx_err_set(err, MX_EINVAL, "MXCP_ACCESS_TOKEN: the token was refused (%s)", reason);
	mx_info("auth: stdio session identified by MXCP_ACCESS_TOKEN (%s)", reason);
	return 0;
}

/* The audit writer for the server's life: opened from the profile settings
 * (audit.enabled / MXCP_AUDIT_ENABLED) before the protocol core, closed —
 * queue drained, file synced — after it, on every exit path. */
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

/* -------------------------------------------------------- metric sources */

/* The DuckDB pool's gauges for /metrics, read at render time (ctx: the protocol core). */
static void pool_source(void *ctx, struct mx_metrics_pool *out)
{
	struct mx_workers *w = mx_mcp_server_workers(ctx);
	out->size = mx_workers_count(w);
	out->pending = mx_workers_pending(w);
	out->loans = mx_workers_loans(w);
	out->purges = mx_workers_purges(w);
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

/* What the protocol core takes from the project before a runtime exists. */
static struct mx_mcp_server_options core_options(const struct mx_server *s)
{
	const struct mx_user_transport *ut = &s->project->user->transport;
	return (struct mx_mcp_server_options){
	        .caller = s->http ? MX_CALLER_HTTP : MX_CALLER_STDIO,
	        .sql_tools = s->cfg.sql_tools,
	        .max_message = (size_t)ut->max_message_bytes,
	        .max_depth = (int)ut->max_json_depth,
	};
}

static void input_ended(void *ctx);

static int stdio_start(struct mx_server *s, struct mx_err *err)
{
	struct mx_stdio_options o = {.in_fd = STDIN_FILENO,
	                             .out_fd = s->proto_fd,
	                             .max_line = (size_t)s->project->user->transport.max_message_bytes,
	                             .on_end = input_ended,
	                             .end_ctx = s,
	                             .user_context = s->stdio_user,
	                             .auth_required = s->auth != NULL};
	return mx_stdio_start(s->mcp, &o, &s->stdio, err);
}

static void signals_install(struct mx_server *s, struct saved_signals *old);

/* Over stdio, answer the client while the rest of the start runs. A client
 * answered may signal (SIGTERM, SIGHUP) or close stdout (SIGPIPE) at once:
 * the handlers are installed now, and what they ask waits for the run. */
static int answer_early(struct mx_server *s, struct mx_err *err)
{
	signals_install(s, &s->saved);
	s->signals_installed = 1;
	struct mx_mcp_server_options sopt = core_options(s);
	int rc = mx_mcp_server_prepare(s->project, &sopt, &s->mcp, err);
	if (rc == 0)
		rc = stdio_start(s, err);
	if (rc == 0)
		mx_debug("serve: answering initialize and the lists; calls wait for the database");
	return rc;
}

int mx_server_load(struct mx_server *s, struct mx_err *err)
{
	/* Known to be stdio: stdout is the protocol's before anything can print. */
	int rc = 0;
	s->transport = s->cfg.transport;
	if (s->transport && !is_http(s->transport) && (rc = take_stdout(s, err)) != 0)
		return rc;

	struct opener op = {.sql_tools = s->cfg.sql_tools};
	struct mx_project_options popt = {.profile = s->cfg.profile,
	                                  .readonly = s->cfg.readonly,
	                                  .on_config = on_config,
	                                  .on_config_ctx = &op};
	int lrc = mx_project_load(&popt, &s->project, err);
	mx_debug("serve: project loaded");
	/* The transport: the flag, else the user config's. A failure here
	 * (stdout, the early answers) is reported after the database's, as
	 * the start always has. */
	int trc = 0;
	struct mx_err terr;
	if (lrc == 0) {
		const struct mx_project *p = s->project;
		if (s->transport == NULL) {
			s->transport = p->user->transport.provider[0] ? p->user->transport.provider
			                                              : "streamable-http";
			if (!is_http(s->transport))
				trc = take_stdout(s, &terr);
		}
		s->http = is_http(s->transport);
		/* Endpoint files that did not load refuse the start already: no
		 * client is answered then. */
		if (trc == 0 && !s->http && !s->cfg.ignore_errors && p->nfailures == 0 &&
		    !atomic_load(&op.failed))
			trc = answer_early(s, &terr);
	}
	struct mx_err oerr;
	int orc = op.p ? opener_finish(&op, &s->rt, &oerr) : 0;
	mx_debug("serve: database open");
	if (lrc)
		return lrc;
	if (orc) {
		*err = oerr;
		return orc;
	}
	if (trc) {
		*err = terr;
		return trc;
	}
	struct mx_project *p = s->project;
	/* Python endpoints and plugins (the interpreter loads only for a
	 * project that has them), then the @on_init hooks: before the
	 * endpoints are validated, so a hook may make what their SQL needs. */
	if ((rc = mx_runtime_attach(s->rt, p, 0, err)) != 0)
		return rc;
	s->live = mx_project_ref(p);

	s->drop = mx_calloc(p->nendpoints ? p->nendpoints : 1, 1);
	if (s->drop == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	if ((rc = mx_server_validate(p, s->rt, &s->failures, &s->nfailures, s->drop, err)) != 0)
		return rc;
	mx_debug("serve: %zu endpoint(s) validated, %zu with errors", p->nendpoints, s->nfailures);
	if (s->nfailures && !s->cfg.ignore_errors)
		return mx_err_set(err, MX_EINVAL, "%zu endpoint(s) with errors", s->nfailures);
	if (s->nfailures) {
		char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
		for (size_t i = 0; i < s->nfailures; i++)
			mx_warn("Skipping invalid endpoint %s: %s", s->failures[i].relpath,
			        mx_err_format(&s->failures[i].err, msg, sizeof msg));
		mx_project_drop_endpoints(p, s->drop);
		s->nskipped = s->nfailures;
		s->nfailures = 0; /* served without them */
	}
	if (s->http && site_auth_unconfigured(p, err))
		return MX_EINVAL;
	if ((rc = auth_open(s, err)) != 0)
		return rc;
	if (!s->http && (s->cfg.port || s->cfg.host || s->cfg.stateless))
		mx_debug("serve: --port/--host/--stateless apply to the HTTP transports; ignored for stdio");

	if ((rc = audit_open(p, &s->audit, err)) != 0)
		return rc;
	mx_metrics_set_audit_source(s->audit ? mx_audit_metrics_source : NULL, s->audit);
	if ((rc = mx_server_cache_check(p, err)) != 0 || (rc = mx_server_cache_open(p, &s->cache, err)) != 0)
		return rc;
	if ((rc = mx_server_telemetry_start(p, err)) != 0)
		return rc;
	const struct mx_user_transport *ut = &p->user->transport;
	struct mx_call_observer observers[MX_SERVER_MAX_OBSERVERS];
	struct mx_mcp_server_options sopt = core_options(s);
	sopt.observers = observers;
	sopt.nobservers = mx_server_observers(s->audit, observers);
	sopt.workers = (int)ut->workers;
	sopt.queue_size = (size_t)ut->queue_size;
	sopt.call_timeout = (double)ut->call_timeout;
	sopt.cache = s->cache;
	if (s->mcp == NULL)
		rc = mx_mcp_server_new(s->rt, &sopt, &s->mcp, err);
	else if ((rc = mx_mcp_server_attach(s->mcp, s->rt, &sopt, err)) == 0 && s->stdio)
		mx_stdio_set_user(s->stdio, s->stdio_user, s->auth != NULL);
	if (rc)
		return rc;
	mx_metrics_set_db_pool_source(pool_source, s->mcp);
	if (mx_server_sql_tools_served(p, s->cfg.sql_tools) && (rc = sql_tools_lock(p, s->rt, err)) != 0)
		return rc;
	mx_mcp_server_open(s->mcp, 1);
	return 0;
}

size_t mx_server_failures(const struct mx_server *s, const struct mx_server_failure **out)
{
	*out = s->failures;
	return s->nfailures;
}

int mx_server_stdio(const struct mx_server *s)
{
	return s->proto_fd >= 0;
}

/* ------------------------------------------------------------ readiness */

static int ready_project(void *ctx, char *why, size_t n)
{
	struct mx_server *s = ctx;
	if (mx_runtime_project(s->rt) != NULL)
		return 0;
	snprintf(why, n, "not loaded");
	return -1;
}

/* SELECT 1 on a connection of its own (never a worker's: /ready must not
 * wait behind calls), then the database file still there. */
static int ready_database(void *ctx, char *why, size_t n)
{
	struct mx_server *s = ctx;
	pthread_mutex_lock(&s->ready_mu);
	struct mx_err err;
	int rc = 0;
	if (s->ready_conn == NULL)
		rc = mx_db_connect(mx_runtime_db(s->rt), &s->ready_conn, &err);
	json_t *rows = NULL;
	if (rc == 0)
		rc = mx_sql_query(s->ready_conn, "SELECT 1", NULL, 0, &rows, &err);
	json_decref(rows);
	pthread_mutex_unlock(&s->ready_mu);
	if (rc) {
		snprintf(why, n, "%s", err.msg);
		return rc;
	}
	return mx_ready_database_file(mx_runtime_project(s->rt)->settings.duckdb_path, why, n);
}

static int ready_audit(void *ctx, char *why, size_t n)
{
	struct mx_server *s = ctx;
	return mx_ready_audit_path(mx_runtime_project(s->rt)->settings.audit_path, why, n);
}

/* The identity provider answers (its discovery document, its keys). */
static int ready_auth(void *ctx, char *why, size_t n)
{
	return mx_auth_ready(ctx, why, n);
}

static int ready_checks(struct mx_server *s, struct mx_err *err)
{
	int rc = mx_ready_new(&s->ready);
	if (rc == 0)
		rc = mx_ready_add(s->ready, "project", ready_project, s);
	if (rc == 0)
		rc = mx_ready_add(s->ready, "database", ready_database, s);
	if (rc == 0 && mx_runtime_project(s->rt)->settings.audit_enabled)
		rc = mx_ready_add(s->ready, "audit", ready_audit, s);
	if (rc == 0 && s->auth)
		rc = mx_ready_add(s->ready, "auth", ready_auth, s->auth);
	return rc ? mx_err_set(err, rc, "out of memory") : 0;
}

/* -------------------------------------------------------------- signals */

static volatile sig_atomic_t signal_wake_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	if (signal_wake_fd >= 0) {
		char c = sig == SIGHUP ? 'h' : sig == SIGINT ? 'i' : 't';
		ssize_t w = write(signal_wake_fd, &c, 1);
		(void)w;
	}
	errno = saved;
}

static void signals_install(struct mx_server *s, struct saved_signals *old)
{
	struct sigaction sa = {.sa_handler = on_signal}, ign = {.sa_handler = SIG_IGN};
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	signal_wake_fd = s->wake[1];
	sigaction(SIGTERM, &sa, &old->term);
	sigaction(SIGINT, &sa, &old->intr);
	sigaction(SIGHUP, &sa, &old->hup);
	/* A peer gone is a failed write, not a death. */
	sigaction(SIGPIPE, &ign, &old->pipe);
}

/* Stopping: a second SIGTERM/SIGINT ends the process the usual way; a
 * SIGHUP no longer reloads (and must not end the process). */
static void signals_stopping(const struct saved_signals *old)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigemptyset(&ign.sa_mask);
	sigaction(SIGTERM, &old->term, NULL);
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGHUP, &ign, NULL);
	signal_wake_fd = -1;
}

static void signals_restore(const struct saved_signals *old)
{
	sigaction(SIGHUP, &old->hup, NULL);
	sigaction(SIGPIPE, &old->pipe, NULL);
}

/* From another thread: the admin socket's POST /reload, the input's end. */
static int poke(struct mx_server *s, char c)
{
	return write(s->wake[1], &c, 1) == 1 ? 0 : -1;
}

static int request_reload(void *ctx)
{
	return poke(ctx, 'r');
}

static void input_ended(void *ctx)
{
	poke(ctx, 'e');
}

/* ----------------------------------------------------------------- run */

static int admin_start(struct mx_server *s, struct mx_err *err)
{
	if (!mx_admin_enabled())
		return 0;
	struct mx_admin_options aopt = {
	        .path = mx_admin_socket_path(),
	        .project = s->project,
	        .audit = s->audit,
	        .audit_path = s->project->settings.audit_path,
	        .mcp = s->mcp,
	        .request_reload = request_reload,
	        .reload_ctx = s,
	        .transport = !s->http                           ? "stdio"
	                     : strcmp(s->transport, "sse") == 0 ? "sse"
	                                                        : "streamable-http",
	        .sql_tools = s->cfg.sql_tools,
	        .debug = s->cfg.debug,
	};
	return mx_admin_start(&aopt, &s->admin, err);
}

/* MXCP's start banner (stdout, HTTP transports only: over stdio stdout is
 * the protocol's): project, profile, transport, address, mode, endpoints. */
static void print_banner(const struct mx_server *s, const struct mx_http_options *h)
{
	const struct mx_project *p = s->project;
	size_t counts[3] = {0, 0, 0};
	for (size_t i = 0; i < p->nendpoints; i++)
		if ((size_t)p->endpoints[i]->kind < 3)
			counts[p->endpoints[i]->kind]++;
	size_t skipped = s->nskipped;
	const char *host = h->host && h->host[0] ? h->host : "localhost";
	printf("\n%s\n          🚀 MXCP Server Starting\n%s\n\n",
	       "============================================================",
	       "============================================================");
	printf("📋 Configuration:\n   • Project: %s\n   • Profile: %s\n   • Transport: %s\n   • Host: %s\n"
	       "   • Port: %d\n   • Mode: %s\n",
	       p->site->project, p->profile, s->transport, host, h->port,
	       p->settings.readonly ? "Read-only" : "Read-write");
	if (h->stateless)
		printf("   • HTTP Mode: Stateless\n");
	printf("   • SQL Tools: %s\n",
	       mx_server_sql_tools_served(p, s->cfg.sql_tools) ? "Enabled" : "Disabled");
	printf("\n📊 Endpoints:\n");
	static const char *const names[3] = {"Tools", "Resources", "Prompts"};
	for (int k = 0; k < 3; k++)
		if (counts[k])
			printf("   • %s: %zu\n", names[k], counts[k]);
	if (p->nendpoints == 0)
		printf("   ⚠️  No endpoints found!\n"
		       "   Create tools in the 'tools/' directory, resources in 'resources/', etc.\n");
	if (skipped)
		printf("\n⚠️  Skipped endpoints: %zu\n   Use 'mxcp validate' to see details\n", skipped);
	printf("\n------------------------------------------------------------\n"
	       "\n✅ Server ready!\n   Listening on http://%s:%d%s\n\nPress Ctrl+C to stop\n\n",
	       host, h->port, h->legacy_only ? "/sse" : "/mcp");
	fflush(stdout);
}

static int http_start(struct mx_server *s, struct mx_http **out, struct mx_err *err)
{
	const struct mx_server_config *f = &s->cfg;
	const struct mx_user_transport *ut = &s->project->user->transport;
	int rc = ready_checks(s, err);
	if (rc)
		return rc;
	struct mx_http_options hopt = {
	        .host = f->host       ? f->host
	                : ut->host[0] ? ut->host
	                              : "localhost",
	        .port = f->port    ? f->port
	                : ut->port ? ut->port
	                           : 8000,
	        .stateless = f->stateless || ut->stateless,
	        .legacy_only = strcmp(s->transport, "sse") == 0,
	        .trust_proxy = ut->trust_proxy,
	        .base_url = ut->base_url,
	        .session_timeout = f->session_timeout ? f->session_timeout : (unsigned)ut->session_timeout,
	        .max_sessions = f->max_sessions ? f->max_sessions : (size_t)ut->max_sessions,
	        .max_body = (size_t)ut->max_message_bytes,
	        .threads = (unsigned)ut->http_threads,
	        .max_connections = (unsigned)ut->max_connections,
	        .max_header_bytes = (size_t)ut->max_header_bytes,
	        .connection_timeout = (unsigned)ut->connection_timeout,
	        .read_timeout = (unsigned)ut->read_timeout,
	        .max_connections_per_client = (unsigned)ut->max_connections_per_client,
	        .shutdown_grace = (unsigned)ut->shutdown_grace,
	        .ready = s->ready,
	        .auth = s->auth,
	        .scheme = ut->scheme,
	};
	rc = mx_http_start(s->mcp, &hopt, out, err);
	if (rc == 0)
		print_banner(s, &hopt);
	return rc;
}

/* mxcp.runtime.reload_duckdb(): Python's reload requests (exec/python.h),
 * queued for the serving loop. One server per process serves at a time. */
static pthread_mutex_t payload_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mx_server *payload_server;
static void *payloads[16];
static size_t npayloads;

static int python_reload(void *payload, const char *description)
{
	pthread_mutex_lock(&payload_mu);
	if (payload_server == NULL || (payload && npayloads == sizeof payloads / sizeof *payloads)) {
		pthread_mutex_unlock(&payload_mu);
		mx_warn("reload_duckdb: not serving, or %zu reloads already pending", npayloads);
		return -1;
	}
	mx_info("reload requested by Python: %s", description ? description : "");
	if (payload)
		payloads[npayloads++] = payload;
	struct mx_server *s = payload_server;
	pthread_mutex_unlock(&payload_mu);
	poke(s, 'p');
	return 0;
}

/* The payloads queued so far, in order, then the reload. */
static void python_reloads(struct mx_server *s)
{
	pthread_mutex_lock(&payload_mu);
	void *run[sizeof payloads / sizeof *payloads];
	size_t n = npayloads;
	memcpy(run, payloads, n * sizeof *run);
	npayloads = 0;
	pthread_mutex_unlock(&payload_mu);
	for (size_t i = 0; i < n; i++)
		mx_python_run_payload(run[i]);
	mx_server_reload(s, "reload_duckdb");
}

/* Wait on the self-pipe until told to stop, reloading when asked. */
static void serve(struct mx_server *s)
{
	struct pollfd pfd = {.fd = s->wake[0], .events = POLLIN};
	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		char c = 0;
		if (read(s->wake[0], &c, 1) != 1)
			continue;
		if (c == 'h' || c == 'r') {
			mx_server_reload(s, c == 'h' ? "SIGHUP" : "admin POST /reload");
			continue;
		}
		if (c == 'p') {
			python_reloads(s);
			continue;
		}
		return; /* 't', 'i': a stop signal; 'e': the input ended */
	}
}

int mx_server_run(struct mx_server *s, struct mx_err *err)
{
	if (!s->signals_installed)
		signals_install(s, &s->saved);
	s->signals_installed = 1;
	pthread_mutex_lock(&payload_mu);
	payload_server = s;
	pthread_mutex_unlock(&payload_mu);
	mx_python_set_reload_hook(python_reload);
	struct mx_http *http = NULL;
	int rc = admin_start(s, err);
	if (rc == 0 && s->http)
		rc = http_start(s, &http, err);
	else if (rc == 0 && s->stdio == NULL)
		rc = stdio_start(s, err);
	if (rc == 0)
		serve(s);
	mx_python_set_reload_hook(NULL);
	pthread_mutex_lock(&payload_mu);
	payload_server = NULL;
	pthread_mutex_unlock(&payload_mu);
	signals_stopping(&s->saved);
	mx_ready_set_stopping(s->ready);
	mx_http_stop(http);
	int src = mx_stdio_stop(s->stdio, err);
	s->stdio = NULL;
	if (rc == 0)
		rc = src;
	mx_admin_stop(s->admin); /* before the protocol core: it reads the worker pool */
	s->admin = NULL;
	signals_restore(&s->saved);
	s->signals_installed = 0;
	return rc;
}

void mx_server_free(struct mx_server *s)
{
	if (s == NULL)
		return;
	if (s->stdio) { /* answering early, and the start failed */
		struct mx_err err;
		mx_mcp_server_open(s->mcp, 0);
		mx_stdio_stop(s->stdio, &err);
		s->stdio = NULL;
	}
	if (s->signals_installed) {
		signals_stopping(&s->saved);
		signals_restore(&s->saved);
	}
	mx_admin_stop(s->admin);
	if (s->ready_conn)
		mx_dbconn_close(s->ready_conn);
	mx_ready_free(s->ready);
	mx_metrics_set_db_pool_source(NULL, NULL);
	if (s->mcp)
		mx_mcp_server_free(s->mcp);
	mx_metrics_set_audit_source(NULL, NULL);
	mx_server_cache_close(s->cache); /* after the protocol core: no call still looks up */
	mx_audit_close(s->audit); /* after the protocol core: no call is still logging */
	/* after the protocol core too: no span is still open. The queue gets the
	 * shutdown grace (5 s when none is set) to reach the collector. */
	long grace = s->project && s->project->user ? s->project->user->transport.shutdown_grace : 0;
	mx_telemetry_stop(grace > 0 ? (unsigned)(grace < 30 ? grace : 30) * 1000 : 5000);
	mx_auth_close(s->auth); /* after the transports: no request is still verifying */
	json_decref(s->stdio_user);
	mx_free(s->failures);
	mx_free(s->drop);
	mx_python_detach(s->live); /* its @on_shutdown hooks, after the last call */
	mx_project_unref(s->live);
	mx_runtime_close(s->rt);
	mx_project_unref(s->project);
	if (s->proto_fd >= 0)
		close(s->proto_fd);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	pthread_mutex_destroy(&s->ready_mu);
	mx_free(s);
}
