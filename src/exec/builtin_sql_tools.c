/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin_sql_tools — see builtin_sql_tools.h.
 *
 * Each tool is built as an endpoint whose parameters are parsed from a small
 * YAML snippet by the type system, so argument errors read exactly like a
 * project tool's. list_tables and get_table_schema are plain SQL endpoints
 * run through mx_invoke; execute_sql_query runs the caller's text as a
 * script (DuckDB's Python `execute` runs every statement and returns the
 * last result, which is what MXCP's tool does).
 */
#include "exec/builtin_sql_tools.h"

#include "core/alloc.h"
#include "core/yaml.h"

#include <string.h>

struct spec {
	const char *name;
	const char *default_description;
	const char *params_yaml; /* a YAML sequence of parameters, or NULL */
	const char *sql; /* NULL for execute_sql_query */
	const char *annotations; /* JSON */
};

static const struct spec SPECS[MX_BUILTIN_SQL_TOOLS] = {
        {"execute_sql_query",
         "Execute a SQL query against the DuckDB database and return the results as a list of records",
         "- {name: sql, type: string, description: The SQL query to execute}\n", NULL,
         "{\"title\":\"SQL Query Executor\",\"readOnlyHint\":false,\"destructiveHint\":true,"
         "\"idempotentHint\":false,\"openWorldHint\":false}"},
        {"list_tables", "List all tables in the DuckDB database", NULL,
         "SELECT table_name AS name, table_type AS type FROM information_schema.tables "
         "WHERE table_schema = 'main' ORDER BY table_name",
         "{\"title\":\"Database Table Lister\",\"readOnlyHint\":true,\"destructiveHint\":false,"
         "\"idempotentHint\":true,\"openWorldHint\":false}"},
        {"get_table_schema", "Get the schema for a specific table in the DuckDB database",
         "- {name: table_name, type: string, description: Name of the table to get schema for}\n",
         "SELECT column_name AS name, data_type AS type, is_nullable AS nullable "
         "FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $table_name "
         "ORDER BY ordinal_position",
         "{\"title\":\"Table Schema Inspector\",\"readOnlyHint\":true,\"destructiveHint\":false,"
         "\"idempotentHint\":true,\"openWorldHint\":false}"},
};

static int parse_params(const struct spec *sp, struct mx_endpoint *ep, struct mx_err *err)
{
	if (sp->params_yaml == NULL)
		return 0;
	struct mx_yaml_doc *doc = NULL;
	int rc = mx_yaml_load_string("<builtin>", sp->params_yaml, strlen(sp->params_yaml), &doc, err);
	if (rc)
		return rc;
	size_t n = doc->root->n;
	ep->params = mx_calloc(n, sizeof *ep->params);
	if (ep->params == NULL) {
		mx_yaml_free(doc);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = mx_type_parse(doc->root->items[i], "<builtin>", "tool.parameters", 1, &ep->params[i],
		                   err);
		if (rc == 0)
			ep->nparams++;
	}
	mx_yaml_free(doc);
	return rc;
}

static int build(const struct spec *sp, const char *description, struct mx_endpoint **out, struct mx_err *err)
{
	struct mx_endpoint *ep = mx_calloc(1, sizeof *ep);
	if (ep == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	ep->kind = MX_EP_TOOL;
	ep->language = sp->sql ? MX_LANG_SQL : MX_LANG_BUILTIN;
	ep->enabled = 1;
	ep->name = mx_strdup(sp->name);
	ep->relpath = mx_strdup("<built-in sql tools>");
	ep->path = mx_strdup("<built-in sql tools>");
	ep->description = mx_strdup(description ? description : sp->default_description);
	ep->annotations = json_loads(sp->annotations, 0, NULL);
	ep->title = mx_strdup(json_string_value(json_object_get(ep->annotations, "title")));
	ep->source_code = sp->sql ? mx_strdup(sp->sql) : NULL;
	int rc = 0;
	if (!ep->name || !ep->relpath || !ep->path || !ep->description || !ep->annotations || !ep->title ||
	    (sp->sql && !ep->source_code))
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	if (rc == 0)
		rc = parse_params(sp, ep, err);
	if (rc) {
		mx_endpoint_free(ep);
		return rc;
	}
	*out = ep;
	return 0;
}

int mx_builtin_sql_tools_new(const struct mx_site_sql_tools *cfg, struct mx_builtin_sql_tools **out,
                             struct mx_err *err)
{
	*out = NULL;
	struct mx_builtin_sql_tools *b = mx_calloc(1, sizeof *b);
	if (b == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	const char *desc[MX_BUILTIN_SQL_TOOLS] = {
	        cfg ? cfg->execute_sql_query_description : NULL,
	        cfg ? cfg->list_tables_description : NULL,
	        cfg ? cfg->get_table_schema_description : NULL,
	};
	for (int i = 0; i < MX_BUILTIN_SQL_TOOLS; i++) {
		int rc = build(&SPECS[i], desc[i], &b->tools[i], err);
		if (rc) {
			mx_builtin_sql_tools_free(b);
			return rc;
		}
	}
	*out = b;
	return 0;
}

void mx_builtin_sql_tools_free(struct mx_builtin_sql_tools *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < MX_BUILTIN_SQL_TOOLS; i++)
		mx_endpoint_free(b->tools[i]);
	mx_free(b);
}

const struct mx_endpoint *mx_builtin_sql_tools_find(const struct mx_builtin_sql_tools *b, const char *name)
{
	for (int i = 0; b && i < MX_BUILTIN_SQL_TOOLS; i++)
		if (strcmp(b->tools[i]->name, name) == 0)
			return b->tools[i];
	return NULL;
}

int mx_builtin_sql_tools_owns(const struct mx_builtin_sql_tools *b, const struct mx_endpoint *ep)
{
	for (int i = 0; b && i < MX_BUILTIN_SQL_TOOLS; i++)
		if (b->tools[i] == ep)
			return 1;
	return 0;
}

int mx_builtin_sql_tools_call(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                              const json_t *args, json_t **result, struct mx_err *err)
{
	*result = NULL;
	if (ep->source_code != NULL)
		return mx_invoke(rt, conn, ep, args, NULL, NULL, result, err);
	json_t *converted = NULL;
	int rc = mx_params_convert(ep->params, ep->nparams, args, &converted, err);
	if (rc)
		return rc;
	const char *sql = json_string_value(json_object_get(converted, "sql"));
	rc = mx_sql_script(conn, sql ? sql : "", NULL, 0, result, err);
	json_decref(converted);
	if (rc)
		mx_err_prefix(err, "Failed to execute SQL");
	return rc;
}
