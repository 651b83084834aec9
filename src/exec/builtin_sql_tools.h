/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin_sql_tools — MXCP's built-in SQL tools (shared/spec/mxcp.md §13),
 * registered when `sql_tools.enabled` is true (or --sql-tools true):
 *   execute_sql_query(sql)          arbitrary SQL, rows as objects
 *   list_tables()                   [{name, type}] of schema main
 *   get_table_schema(table_name)    [{name, type, nullable}] in column order
 * They are ordinary struct mx_endpoint values (so tools/list and the call
 * path treat them like any tool); descriptions follow sql_tools.<tool>.
 * Immutable after mx_builtin_sql_tools_new; read from any thread.
 */
#ifndef MX_EXEC_BUILTIN_SQL_TOOLS_H
#define MX_EXEC_BUILTIN_SQL_TOOLS_H

#include "config/site.h"
#include "core/err.h"
#include "exec/invoke.h"
#include "model/endpoint.h"

#define MX_BUILTIN_SQL_TOOLS 3

struct mx_builtin_sql_tools {
	struct mx_endpoint *tools[MX_BUILTIN_SQL_TOOLS];
};

int mx_builtin_sql_tools_new(const struct mx_site_sql_tools *cfg, struct mx_builtin_sql_tools **out,
                             struct mx_err *err);
void mx_builtin_sql_tools_free(struct mx_builtin_sql_tools *b);
const struct mx_endpoint *mx_builtin_sql_tools_find(const struct mx_builtin_sql_tools *b, const char *name);
/* Run execute_sql_query (the tool of language MX_LANG_BUILTIN; list_tables
 * and get_table_schema are plain SQL endpoints) on conn: the builtin
 * executor's call, with args already converted by the call path. */
int mx_builtin_sql_tools_call(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                              const json_t *args, json_t **result, struct mx_err *err);

#endif
