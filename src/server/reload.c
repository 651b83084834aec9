/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reload — hot reload, whatever asked for it (SIGHUP, the admin socket's
 * POST /reload): build a new snapshot off to the side (site and user
 * config, references, endpoint files), load the extensions it lists,
 * validate it against the open database, and swap it in; clients get
 * list_changed notifications, then DuckDB's secrets follow the new user
 * config. DuckDB's file sandbox stays as the database was opened: a
 * project that would need one it does not have is refused. A project that fails to load, or has invalid endpoints without
 * --ignore-errors, is not swapped in: the running one keeps serving and the
 * reason is logged (and reported to the admin socket). Runs on the server's
 * thread (mx_server_run), so reloads never overlap.
 */
#include "server/internal.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/log.h"
#include "exec/invoke.h"
#include "exec/python.h"
#include "exec/sql.h"
#include "exec/validate.h"
#include "mcp/server.h"
#include "model/project.h"
#include "ops/metrics.h"
#include "server/cache.h"
#include "transport/admin.h"

#include <stdio.h>
#include <string.h>

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

int mx_server_validate(struct mx_project *p, struct mx_runtime *rt, struct mx_server_failure **out,
                       size_t *nout, unsigned char *drop, struct mx_err *err)
{
	*out = NULL;
	*nout = 0;
	struct mx_dbconn *conn = NULL;
	int rc = mx_db_connect(mx_runtime_db(rt), &conn, err);
	if (rc)
		return rc;
	size_t cap = p->nfailures + p->nendpoints;
	struct mx_server_failure *v = mx_calloc(cap ? cap : 1, sizeof *v);
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

/* The SQL tools of p against the database as it was opened: 0 when p
 * would serve them outside the sandbox they need (msg says why). A sandbox
 * that is on stays as it was opened until restart. */
static int reload_sql_tools_ok(const struct mx_server *s, const struct mx_project *p, char *msg, size_t n)
{
	const struct mx_db *db = mx_runtime_db(s->rt);
	int want = mx_server_sql_tools_sandboxed(p, s->cfg.sql_tools);
	if (want && !mx_db_sandboxed(db)) {
		snprintf(msg, n,
		         "the SQL tools would be served in DuckDB's file sandbox, which is set when the "
		         "database opens: restart the server to serve them");
		return 0;
	}
	if (mx_db_sandboxed(db) &&
	    (!want ||
	     !mx_site_sql_sandbox_equal(&p->site->sql_tools, &mx_runtime_project(s->rt)->site->sql_tools)))
		mx_warn("reload: DuckDB's file sandbox stays as the server opened it; changes to "
		        "sql_tools.external_access, allowed_directories and allowed_paths take effect on "
		        "restart");
	return 1;
}

void mx_server_reload(struct mx_server *s, const char *trigger)
{
	int ok = 0;
	struct mx_project_options popt = {.profile = s->cfg.profile, .readonly = s->cfg.readonly};
	struct mx_project *p = NULL;
	struct mx_server_failure *bad = NULL;
	unsigned char *drop = NULL;
	size_t nbad = 0;
	struct mx_err err;
	char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64] = "";
	mx_info("%s: reloading the project", trigger);
	mx_admin_reload_begin(s->admin);
	if (mx_project_load(&popt, &p, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		mx_admin_reload_end(s->admin, NULL, msg);
		return;
	}
	if (!reload_sql_tools_ok(s, p, msg, sizeof msg)) {
		mx_error("reload refused, still serving the previous project: %s", msg);
		goto out;
	}
	/* Extensions the new site config lists, before its SQL is validated. */
	if (mx_runtime_load_extensions(s->rt, p, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		goto out;
	}
	/* The new snapshot's Python, imported afresh: a module that does not
	 * import refuses the reload (the old project serves on). Its @on_init
	 * hooks run once it is swapped in, after the old one's @on_shutdown. */
	if (mx_python_attach(s->rt, p, 1, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		goto out;
	}
	drop = mx_calloc(p->nendpoints ? p->nendpoints : 1, 1);
	if (drop == NULL || mx_server_validate(p, s->rt, &bad, &nbad, drop, &err)) {
		if (drop)
			mx_err_format(&err, msg, sizeof msg);
		else
			snprintf(msg, sizeof msg, "out of memory");
		mx_error("reload failed, still serving the previous project: %s", msg);
		goto out;
	}
	for (size_t i = 0; i < nbad; i++)
		mx_log(s->cfg.ignore_errors ? MX_LOG_WARNING : MX_LOG_ERROR,
		       "reload: invalid endpoint %s: %s", bad[i].relpath,
		       mx_err_format(&bad[i].err, msg, sizeof msg));
	if (nbad && !s->cfg.ignore_errors) {
		snprintf(msg, sizeof msg, "%zu invalid endpoint(s)", nbad);
		mx_error("reload refused (%s), still serving the previous project", msg);
		goto out;
	}
	if (nbad)
		mx_project_drop_endpoints(p, drop);
	if (mx_server_cache_check(p, &err)) {
		mx_err_format(&err, msg, sizeof msg);
		mx_error("reload refused (%s), still serving the previous project", msg);
		goto out;
	}
	mx_server_cache_reload_note(s->cache, s->live, p);
	if (mx_mcp_server_reload(s->mcp, p, &err)) {
		mx_error("reload failed, still serving the previous project: %s",
		         mx_err_format(&err, msg, sizeof msg));
		goto out;
	}
	ok = 1;
	mx_auth_reload_check(s->project, p); /* the auth opened at start */
	mx_python_detach(s->live);
	mx_project_unref(s->live);
	s->live = mx_project_ref(p);
	mx_python_init_hooks(p);
	mx_info("reload done: %zu endpoint(s)", p->nendpoints);
	/* SQL tools served from now on: nothing may change DuckDB's settings. */
	if (mx_server_sql_tools_served(p, s->cfg.sql_tools) && mx_db_lock_config(mx_runtime_db(s->rt), &err))
		mx_error("reload: %s", mx_err_format(&err, msg, sizeof msg));
	/* The user config's secrets, re-resolved, replace DuckDB's. */
	if (mx_runtime_set_secrets(s->rt, p, &err))
		mx_error("reload: DuckDB secrets not updated: %s", mx_err_format(&err, msg, sizeof msg));
	if (strcmp(p->settings.duckdb_path, mx_runtime_project(s->rt)->settings.duckdb_path) != 0)
		mx_warn("reload: the DuckDB path changed to %s; the server keeps the database it opened "
		        "until it is restarted",
		        p->settings.duckdb_path);
out:
	mx_admin_reload_end(s->admin, ok ? p : NULL, msg);
	mx_metrics_reload(ok);
	mx_free(bad);
	mx_free(drop);
	mx_project_unref(p);
}
