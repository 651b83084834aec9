/* SPDX-License-Identifier: Apache-2.0 */
/*
 * script — a script of one or more statements run in order (mx_sql_script:
 * `mxcp query`, seed files), and the same under a guard that sees how
 * DuckDB's parser classified each statement before it runs
 * (mx_sql_script_guarded: the built-in SQL tools). Script statements are
 * prepared one by one and never cached.
 *
 * Runs on the thread that owns the connection.
 */
#include "exec/sql/sql_int.h"

#include "core/alloc.h"

/* ------------------------------------------------------------------------ */
/* Scripts                                                                   */
/* ------------------------------------------------------------------------ */

static enum mx_sql_kind statement_kind(duckdb_prepared_statement st)
{
	switch (duckdb_prepared_statement_type(st)) {
	case DUCKDB_STATEMENT_TYPE_SELECT: return MX_SQL_SELECT;
	case DUCKDB_STATEMENT_TYPE_INSERT: return MX_SQL_INSERT;
	case DUCKDB_STATEMENT_TYPE_UPDATE: return MX_SQL_UPDATE;
	case DUCKDB_STATEMENT_TYPE_DELETE: return MX_SQL_DELETE;
	case DUCKDB_STATEMENT_TYPE_CREATE:
	case DUCKDB_STATEMENT_TYPE_CREATE_FUNC: return MX_SQL_CREATE;
	case DUCKDB_STATEMENT_TYPE_DROP: return MX_SQL_DROP;
	case DUCKDB_STATEMENT_TYPE_ALTER: return MX_SQL_ALTER;
	case DUCKDB_STATEMENT_TYPE_COPY: return MX_SQL_COPY;
	case DUCKDB_STATEMENT_TYPE_EXPORT: return MX_SQL_EXPORT;
	case DUCKDB_STATEMENT_TYPE_EXPLAIN: return MX_SQL_EXPLAIN;
	case DUCKDB_STATEMENT_TYPE_ANALYZE: return MX_SQL_ANALYZE;
	case DUCKDB_STATEMENT_TYPE_VACUUM: return MX_SQL_VACUUM;
	case DUCKDB_STATEMENT_TYPE_CALL: return MX_SQL_CALL;
	case DUCKDB_STATEMENT_TYPE_SET:
	case DUCKDB_STATEMENT_TYPE_VARIABLE_SET: return MX_SQL_SET;
	case DUCKDB_STATEMENT_TYPE_PRAGMA: return MX_SQL_PRAGMA;
	case DUCKDB_STATEMENT_TYPE_LOAD: return MX_SQL_LOAD;
	case DUCKDB_STATEMENT_TYPE_ATTACH: return MX_SQL_ATTACH;
	case DUCKDB_STATEMENT_TYPE_DETACH: return MX_SQL_DETACH;
	case DUCKDB_STATEMENT_TYPE_TRANSACTION: return MX_SQL_TRANSACTION;
	case DUCKDB_STATEMENT_TYPE_PREPARE: return MX_SQL_PREPARE;
	case DUCKDB_STATEMENT_TYPE_EXECUTE: return MX_SQL_EXECUTE;
	default: return MX_SQL_UNKNOWN;
	}
}

const char *mx_sql_kind_name(enum mx_sql_kind kind)
{
	static const char *const names[] = {
	        [MX_SQL_UNKNOWN] = "unclassified",
	        [MX_SQL_SELECT] = "SELECT",
	        [MX_SQL_INSERT] = "INSERT",
	        [MX_SQL_UPDATE] = "UPDATE",
	        [MX_SQL_DELETE] = "DELETE",
	        [MX_SQL_CREATE] = "CREATE",
	        [MX_SQL_DROP] = "DROP",
	        [MX_SQL_ALTER] = "ALTER",
	        [MX_SQL_COPY] = "COPY",
	        [MX_SQL_EXPORT] = "EXPORT",
	        [MX_SQL_EXPLAIN] = "EXPLAIN",
	        [MX_SQL_ANALYZE] = "ANALYZE",
	        [MX_SQL_VACUUM] = "VACUUM",
	        [MX_SQL_CALL] = "CALL",
	        [MX_SQL_SET] = "SET",
	        [MX_SQL_PRAGMA] = "PRAGMA",
	        [MX_SQL_LOAD] = "LOAD",
	        [MX_SQL_ATTACH] = "ATTACH",
	        [MX_SQL_DETACH] = "DETACH",
	        [MX_SQL_TRANSACTION] = "TRANSACTION",
	        [MX_SQL_PREPARE] = "PREPARE",
	        [MX_SQL_EXECUTE] = "EXECUTE",
	};
	return (unsigned)kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : "unclassified";
}

static int prepare_extracted(struct mx_dbconn *c, duckdb_extracted_statements ex, idx_t i,
                             duckdb_prepared_statement *st, struct mx_err *err)
{
	conn_gate_enter(c);
	int ok = duckdb_prepare_extracted_statement(c->conn, ex, i, st) == DuckDBSuccess;
	conn_gate_leave(c);
	if (ok)
		return 0;
	const char *msg = duckdb_prepare_error(*st);
	return mx_sql_db_error(err, MX_EDB, msg ? msg : "Cannot prepare statement");
}

/* Run st; with want_rows, its rows into *rows. */
static int run_prepared(struct mx_dbconn *c, duckdb_prepared_statement st, const struct mx_sql_param *params,
                        size_t nparams, int want_rows, json_t **rows, struct mx_err *err)
{
	int rc = mx_sql_bind_params(st, params, nparams, err);
	if (rc != 0)
		return rc;
	duckdb_result res;
	if (mx_sql_execute(c, st, &res) != DuckDBSuccess) {
		const char *msg = duckdb_result_error(&res);
		rc = mx_sql_db_error(err,
		                     duckdb_result_error_type(&res) == DUCKDB_ERROR_INTERRUPT ? MX_ECANCELLED
		                                                                              : MX_EDB,
		                     msg ? msg : "query failed");
	} else if (want_rows) {
		rc = mx_sql_result_rows(c, &res, rows, err);
	}
	duckdb_destroy_result(&res);
	return rc;
}

static int check_statement(const struct mx_sql_guard *guard, duckdb_prepared_statement st, idx_t i, idx_t n,
                           struct mx_err *err)
{
	if (guard == NULL)
		return 0;
	return guard->check(guard->ctx, (size_t)i, (size_t)n, statement_kind(st), err);
}

static int run_script(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params, size_t nparams,
                      const struct mx_sql_guard *guard, json_t **rows, struct mx_err *err)
{
	*rows = NULL;
	duckdb_extracted_statements ex = NULL;
	idx_t n = duckdb_extract_statements(c->conn, sql, &ex);
	if (n == 0) {
		const char *msg = duckdb_extract_statements_error(ex);
		int rc =
		        mx_err_set(err, msg ? MX_EDB : MX_EINVAL, "%s", msg ? msg : "no SQL statement given");
		duckdb_destroy_extracted(&ex);
		return rc;
	}
	int rc = 0;
	if (guard != NULL && guard->check_all_first) {
		duckdb_prepared_statement *st = mx_calloc((size_t)n, sizeof *st);
		if (st == NULL)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		idx_t prepared = 0;
		for (; rc == 0 && prepared < n; prepared++) {
			rc = prepare_extracted(c, ex, prepared, &st[prepared], err);
			rc = rc ? rc : check_statement(guard, st[prepared], prepared, n, err);
		}
		for (idx_t i = 0; rc == 0 && i < n; i++)
			rc = run_prepared(c, st[i], params, nparams, i + 1 == n, rows, err);
		for (idx_t i = 0; st != NULL && i < prepared; i++)
			duckdb_destroy_prepare(&st[i]);
		mx_free(st);
	} else {
		for (idx_t i = 0; rc == 0 && i < n; i++) {
			duckdb_prepared_statement st = NULL;
			rc = prepare_extracted(c, ex, i, &st, err);
			rc = rc ? rc : check_statement(guard, st, i, n, err);
			rc = rc ? rc : run_prepared(c, st, params, nparams, i + 1 == n, rows, err);
			duckdb_destroy_prepare(&st);
		}
	}
	duckdb_destroy_extracted(&ex);
	if (rc != 0) {
		json_decref(*rows);
		*rows = NULL;
	}
	return rc;
}

int mx_sql_script(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params, size_t nparams,
                  json_t **rows, struct mx_err *err)
{
	return run_script(c, sql, params, nparams, NULL, rows, err);
}

int mx_sql_script_guarded(struct mx_dbconn *c, const char *sql, const struct mx_sql_guard *guard,
                          json_t **rows, struct mx_err *err)
{
	return run_script(c, sql, NULL, 0, guard, rows, err);
}
