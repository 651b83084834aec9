/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_executor — the executor of SQL endpoints (executor.h): the endpoint's
 * source on the worker's DuckDB connection, each argument bound by name
 * with its declared type, the call's context visible to the
 * request-context SQL functions (exec/udf.h) while the statement runs.
 * The rows go back to the call path to be shaped by the return type.
 *
 * The statement is traced as MXCP traces it (mxcp.duckdb.execute: db.system,
 * db.statement.hash = hex(SHA-256(sql))[:16], db.operation,
 * db.rows_affected) and counted (mxcp.duckdb.queries_total, the
 * concurrent-executions gauge).
 */
#include "exec/executor.h"

#include "core/alloc.h"
#include "exec/sql.h"
#include "exec/udf.h"
#include "ops/metrics.h"
#include "ops/telemetry.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* MXCP's db.operation: the statement's first keyword among these, else "unknown". */
static const char *sql_operation(const char *sql)
{
	static const char *const ops[] = {"select", "insert", "update", "delete", "create", "drop"};
	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')
		sql++;
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strncasecmp(sql, ops[i], strlen(ops[i])) == 0)
			return ops[i];
	return "unknown";
}

static int run_sql(struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *args, json_t **rows,
                   struct mx_err *err)
{
	if (ep->source_code == NULL)
		return mx_err_set(err, MX_ENOTFOUND, "Error resolving source code: file not found: %s",
		                  ep->source_path ? ep->source_path : "(none)");
	struct mx_sql_param *params = NULL;
	size_t n = json_object_size(args);
	if (n && (params = mx_calloc(n, sizeof *params)) == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	size_t k = 0;
	const char *key;
	json_t *val;
	json_object_foreach ((json_t *)args, key, val) {
		params[k].name = key;
		params[k].value = val;
		for (size_t i = 0; i < ep->nparams; i++)
			if (strcmp(ep->params[i]->name, key) == 0)
				params[k].type = ep->params[i];
		k++;
	}
	const char *operation = sql_operation(ep->source_code);
	struct mx_span sp;
	mx_span_begin(&sp, "mxcp.duckdb.execute", MX_SPAN_INTERNAL, NULL);
	if (sp.active) {
		mx_span_str(&sp, "db.system", "duckdb");
		mx_span_hash(&sp, "db.statement.hash", ep->source_code, strlen(ep->source_code));
		mx_span_str(&sp, "db.operation", operation);
		mx_span_int(&sp, "db.parameters.count", (long long)k);
	}
	mx_metrics_gauge_add(MX_METRIC_DUCKDB_CONCURRENT, 1);
	int rc = mx_sql_query(conn, ep->source_code, params, k, rows, err);
	mx_metrics_gauge_add(MX_METRIC_DUCKDB_CONCURRENT, -1);
	const char *labels[] = {operation, rc ? "error" : "success"};
	mx_metrics_count(MX_METRIC_DUCKDB_QUERIES, labels);
	if (sp.active) {
		if (rc == 0)
			mx_span_int(&sp, "db.rows_affected", (long long)json_array_size(*rows));
		if (rc)
			mx_span_error(&sp, err ? err->msg : "query failed");
		else
			mx_span_ok(&sp);
		mx_span_end(&sp);
	}
	mx_free(params);
	if (rc && err) {
		char where[1024];
		snprintf(where, sizeof where, " (%s '%s', %s)", mx_endpoint_kind_name(ep->kind), ep->name,
		         ep->source_path ? ep->source_path : ep->relpath);
		mx_err_prefix(err, "Failed to execute SQL");
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof err->msg - len, "%s", where);
	}
	return rc;
}

static int sql_call(const struct mx_exec_call *x, json_t **out, struct mx_err *err)
{
	/* The call's context for get_username(), get_request_header(), … */
	struct mx_udf_slot *slot = mx_dbconn_udf_slot(x->conn);
	mx_udf_call_begin(slot, x->ctx);
	int rc = run_sql(x->conn, x->ep, x->args, out, err);
	mx_udf_call_end(slot);
	return rc;
}

const struct mx_executor mx_sql_executor = {.name = "sql", .shapes = 1, .call = sql_call};
