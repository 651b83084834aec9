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
 *
 * The caller's SQL is untrusted. What it may reach on disk is DuckDB's to
 * enforce (the file sandbox the server opens the database in, sql.h); what
 * it may do is decided here from what DuckDB's parser made of it, never
 * from the text:
 *   - every statement is classified before it runs (mx_sql_script_guarded)
 *     and refused when it would change settings or state that outlives the
 *     call on a connection other calls share, load code, or open other
 *     databases: SET/RESET/USE, PRAGMA, CALL, LOAD/INSTALL, ATTACH/DETACH,
 *     BEGIN/COMMIT, PREPARE/EXECUTE, EXPLAIN (EXPLAIN ANALYZE runs what it
 *     explains), and what DuckDB does not classify;
 *   - on a read-only database (--readonly, duckdb.readonly) only SELECT
 *     runs: DuckDB's parse tree (json_serialize_sql) must show nothing but
 *     SELECT statements, calling none of the functions that change
 *     settings, write files or keep state from inside a SELECT, before
 *     anything is prepared (binding EXPORT DATABASE makes a folder); then
 *     every statement is classified again and checked before the first
 *     runs.
 */
#include "exec/builtin_sql_tools.h"

#include "core/alloc.h"
#include "core/yaml.h"

#include <string.h>
#include <strings.h>

/* A client's script longer than this is refused before anything runs. */
#define MX_SQL_TOOLS_MAX_STATEMENTS 1000

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

/* Every built-in tool returns a list of records, as MXCP's (FastMCP's
 * list[dict]): an outputSchema and structuredContent {"result": [...]}. */
static int parse_return(struct mx_endpoint *ep, struct mx_err *err)
{
	static const char ret[] = "type: array\ndescription: The rows, one object per row\nitems:\n"
	                          "  type: object\n  description: A row, by column name\n";
	struct mx_yaml_doc *doc = NULL;
	int rc = mx_yaml_load_string("<builtin>", ret, sizeof ret - 1, &doc, err);
	if (rc == 0)
		rc = mx_type_parse(doc->root, "<builtin>", "tool.return", 0, &ep->ret, err);
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
	if (rc == 0)
		rc = parse_return(ep, err);
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

/* ------------------------------------------------------------------------ */
/* What a client's SQL may do                                                */
/* ------------------------------------------------------------------------ */

/* Why a statement kind is never run for a client, or NULL when it may be
 * (on a read-write database). */
static const char *refused_kind(enum mx_sql_kind kind)
{
	switch (kind) {
	case MX_SQL_SELECT:
	case MX_SQL_INSERT:
	case MX_SQL_UPDATE:
	case MX_SQL_DELETE:
	case MX_SQL_CREATE:
	case MX_SQL_DROP:
	case MX_SQL_ALTER:
	case MX_SQL_COPY:
	case MX_SQL_EXPORT:
	case MX_SQL_ANALYZE:
	case MX_SQL_VACUUM: return NULL;
	case MX_SQL_SET:
		return "SET, RESET and USE would change DuckDB's settings or the state of a connection "
		       "that other calls share";
	case MX_SQL_PRAGMA: return "PRAGMA statements change DuckDB's settings";
	case MX_SQL_CALL:
		return "CALL runs table functions that may change settings (read with SELECT * FROM f() "
		       "instead)";
	case MX_SQL_LOAD: return "LOAD and INSTALL would load code into the server";
	case MX_SQL_ATTACH:
	case MX_SQL_DETACH: return "ATTACH and DETACH would open or close other databases";
	case MX_SQL_TRANSACTION:
		return "each statement commits on its own: a transaction would outlive the call on a "
		       "connection that other calls share";
	case MX_SQL_PREPARE:
	case MX_SQL_EXECUTE:
		return "a prepared statement would outlive the call on a connection that other calls "
		       "share";
	case MX_SQL_EXPLAIN: return "EXPLAIN ANALYZE runs the statement it explains, unchecked";
	case MX_SQL_UNKNOWN: break;
	}
	return "DuckDB does not say what it does (MERGE INTO, UPDATE EXTENSIONS, COPY FROM DATABASE, …)";
}

struct guard_ctx {
	int readonly;
};

static int refuse(struct mx_err *err, size_t index, size_t count, enum mx_sql_kind kind, const char *why)
{
	if (count == 1)
		return mx_err_set(err, MX_EPOLICY, "%s statement refused: %s", mx_sql_kind_name(kind), why);
	return mx_err_set(err, MX_EPOLICY, "statement %zu of %zu (%s) refused: %s", index + 1, count,
	                  mx_sql_kind_name(kind), why);
}

static int guard_check(void *ctx, size_t index, size_t count, enum mx_sql_kind kind, struct mx_err *err)
{
	const struct guard_ctx *g = ctx;
	if (count > MX_SQL_TOOLS_MAX_STATEMENTS)
		return mx_err_set(err, MX_EPOLICY, "script refused: %zu statements, more than %d", count,
		                  MX_SQL_TOOLS_MAX_STATEMENTS);
	const char *why = refused_kind(kind);
	if (why == NULL && g->readonly && kind != MX_SQL_SELECT)
		why = "the database is read-only (--readonly or the profile's duckdb.readonly), so only "
		      "SELECT statements run";
	if (why != NULL)
		return refuse(err, index, count, kind, why);
	return 0;
}

/* Functions that, called from inside a SELECT, change settings, write
 * files or keep state beyond the call (DuckDB 1.4's own; extensions the
 * project loads may add others). Refused on a read-only database. */
static const struct {
	const char *name;
	const char *why;
} SIDE_EFFECTS[] = {
        {"enable_logging", "changes DuckDB's logging settings (and writes files when logs go to files)"},
        {"disable_logging", "changes DuckDB's logging settings"},
        {"truncate_duckdb_logs", "clears DuckDB's logs"},
        {"write_log", "writes to DuckDB's logs, which may be files"},
        {"checkpoint", "writes the database file"},
        {"force_checkpoint", "writes the database file"},
        {"setseed", "changes the random seed of a connection that other calls share"},
        {"query", "runs SQL given as text, which cannot be checked"},
        {"json_execute_serialized_sql", "runs SQL given as a parse tree, which cannot be checked"},
};

/* Read-only, before anything is prepared (binding is not free of effects:
 * EXPORT DATABASE makes its folder then): from DuckDB's parse tree
 * (json_serialize_sql, which shows SELECT statements only), every
 * statement must be a SELECT and call none of SIDE_EFFECTS. A syntax error
 * is left to the script, which fails on it before preparing anything. */
static int check_readonly(struct mx_dbconn *conn, const char *sql, struct mx_err *err)
{
	static const char *const query =
	        "SELECT coalesce((j->>'$.error')::BOOLEAN, true) AS failed, "
	        "j->>'$.error_type' AS error_type, "
	        "list_distinct(list_transform(json_extract_string(j, '$..function_name'), f -> lower(f))) "
	        "AS functions "
	        "FROM (SELECT json_serialize_sql($sql::VARCHAR) AS j)";
	json_t *text = json_string(sql);
	if (text == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	struct mx_sql_param p = {.name = "sql", .value = text};
	json_t *rows = NULL;
	int rc = mx_sql_query(conn, query, &p, 1, &rows, err);
	json_decref(text);
	if (rc != 0) {
		mx_err_prefix(err, "Cannot check the SQL");
		return rc;
	}
	const json_t *row = json_array_get(rows, 0);
	const char *error_type = json_string_value(json_object_get(row, "error_type"));
	if (!json_is_false(json_object_get(row, "failed"))) {
		if (error_type == NULL || strcmp(error_type, "parser") != 0)
			rc = mx_err_set(
			        err, MX_EPOLICY,
			        "SQL refused: the database is read-only (--readonly or the profile's "
			        "duckdb.readonly), so only SELECT statements run, and this script has "
			        "another kind (a PRAGMA is one: read with SELECT * FROM pragma_…() "
			        "instead)");
		json_decref(rows);
		return rc;
	}
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(row, "functions"), i, f) {
		const char *name = json_string_value(f);
		for (size_t k = 0; name && rc == 0 && k < sizeof SIDE_EFFECTS / sizeof SIDE_EFFECTS[0]; k++)
			if (strcasecmp(name, SIDE_EFFECTS[k].name) == 0)
				rc = mx_err_set(
				        err, MX_EPOLICY,
				        "%s() refused: the database is read-only and this function %s",
				        SIDE_EFFECTS[k].name, SIDE_EFFECTS[k].why);
		if (rc != 0)
			break;
	}
	json_decref(rows);
	return rc;
}

/* DuckDB refused a file or URL outside the sandbox: say where it is set. */
static void sandbox_hint(struct mx_db *db, int rc, struct mx_err *err)
{
	if (rc == MX_EDB && mx_db_sandboxed(db) && strncmp(err->msg, "Permission Error", 16) == 0) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, "%s",
		         "\n(the SQL tools reach the files and URLs listed in sql_tools.allowed_directories "
		         "and sql_tools.allowed_paths of mxcp-site.yml, nothing else)");
	}
}

int mx_builtin_sql_tools_call(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                              const json_t *args, json_t **result, struct mx_err *err)
{
	(void)ep;
	*result = NULL;
	const char *sql = json_string_value(json_object_get(args, "sql"));
	struct mx_db *db = mx_runtime_db(rt);
	struct guard_ctx g = {.readonly = mx_db_readonly(db)};
	struct mx_sql_guard guard = {.check = guard_check, .ctx = &g, .check_all_first = g.readonly};
	int rc = g.readonly ? check_readonly(conn, sql ? sql : "", err) : 0;
	if (rc == 0) {
		rc = mx_sql_script_guarded(conn, sql ? sql : "", &guard, result, err);
		sandbox_hint(db, rc, err);
		if (rc != 0 && rc != MX_EPOLICY)
			mx_err_prefix(err, "Failed to execute SQL");
	}
	return rc;
}
