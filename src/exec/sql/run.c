/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run — a statement while it runs: executed on the connection's own thread
 * and, past MX_SQL_HELP_AFTER_NS, with DuckDB's parallel work lent to idle
 * workers (mx_dbconn_set_helper, exec/workers.h); its progress, and its
 * interrupt.
 *
 * mx_sql_execute runs on the thread that owns the connection;
 * mx_dbconn_interrupt and mx_dbconn_progress may be called from any thread
 * while it runs (DuckDB makes both safe).
 */
#include "exec/sql/sql_int.h"
#include <string.h>

#include "core/time.h"

void mx_dbconn_set_helper(struct mx_dbconn *c, const struct mx_sql_helper *help)
{
	c->help = help ? *help : (struct mx_sql_helper){0};
}

/* Run st into *res. With a helper, task by task on this thread for
 * MX_SQL_HELP_AFTER_NS (no other thread woken: a small query ends here), then
 * with lent threads until done. */
void mx_dbconn_set_pooled(struct mx_dbconn *c)
{
	c->pooled = 1;
}

static duckdb_state execute(struct mx_dbconn *c, duckdb_prepared_statement st, duckdb_result *res)
{
	if (c->help.begin == NULL)
		return duckdb_execute_prepared(st, res);
	duckdb_pending_result pending = NULL;
	if (duckdb_pending_prepared(st, &pending) != DuckDBSuccess) {
		/* Not started (a bind error, say): the plain call reports it in *res. */
		duckdb_destroy_pending(&pending);
		return duckdb_execute_prepared(st, res);
	}
	uint64_t t0 = mx_mono_ns();
	int lent = 0;
	for (;;) {
		duckdb_pending_state ps = duckdb_pending_execute_task(pending);
		if (ps == DUCKDB_PENDING_RESULT_READY || ps == DUCKDB_PENDING_ERROR)
			break;
		if (mx_mono_ns() - t0 >= MX_SQL_HELP_AFTER_NS) {
			c->help.begin(c->help.ctx);
			lent = 1;
			break;
		}
	}
	duckdb_state rc = duckdb_execute_pending(pending, res);
	duckdb_destroy_pending(&pending);
	if (lent)
		c->help.end(c->help.ctx);
	return rc;
}

duckdb_state mx_sql_execute(struct mx_dbconn *c, duckdb_prepared_statement st, duckdb_result *res)
{
	conn_gate_enter(c);
	duckdb_state rc = execute(c, st, res);
	conn_gate_leave(c);
	return rc;
}

void mx_dbconn_interrupt(struct mx_dbconn *c)
{
	if (c != NULL)
		duckdb_interrupt(c->conn);
}

double mx_dbconn_progress(struct mx_dbconn *c)
{
	if (c == NULL)
		return -1;
	duckdb_query_progress_type p = duckdb_query_progress(c->conn);
	if (!(p.percentage >= 0))
		return -1;
	double f = p.percentage / 100.0;
	return f > 1 ? 1 : f;
}

int mx_sql_db_error(struct mx_err *err, int code, const char *msg)
{
	static const char advice[] = "\n\nPlease try installing and loading the ";
	const char *a = strstr(msg, advice);
	const char *name = a ? a + sizeof advice - 1 : NULL;
	const char *end = name ? strstr(name, " extension") : NULL;
	if (end == NULL || end - name > 64)
		return mx_err_set(err, code, "%s", msg);
	/* keep DuckDB's statement pointer (LINE …) after the advice */
	const char *line = strstr(end, "\n\nLINE ");
	return mx_err_set(err, code,
	                  "%.*s\n\nAdd '%.*s' to `extensions:` in mxcp-site.yml: mxcp installs and loads the "
	                  "extensions listed there%s",
	                  (int)(a - msg), msg, (int)(end - name), name, line ? line : "");
}
