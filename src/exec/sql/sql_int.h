/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_int — internals shared by the files of src/exec/sql/ (not a public
 * API: callers include exec/sql.h).
 *
 * Files: db.c (the database: open, threads, extensions, secrets, the file
 * sandbox, the configuration lock), conn.c (connections, the prepared
 * statement cache with its type hints and recycling, and the one-statement
 * queries mx_sql_query, mx_sql_query_values and mx_sql_check), bind.c (parameters: ISO 8601
 * text, shapes, DuckDB values), column.c (a result column's converter
 * tree), result.c (DuckDB values to JSON, and the rows), run.c (executing a
 * statement, with lent threads; progress and interrupt), script.c (scripts
 * and the statement-kind guard).
 *
 * Owns: the duckdb_database of the process (struct mx_db), and per worker
 * thread one duckdb_connection (struct mx_dbconn) with its cache of prepared
 * statements. A connection is used by one thread at a time; only
 * mx_dbconn_interrupt and mx_dbconn_progress may be called from another
 * thread while a query runs (DuckDB makes both safe).
 *
 * Invariants:
 *   - the database is opened with autoinstall/autoload of extensions off, so
 *     no statement reaches for the network; configured extensions are LOADed
 *     once at open, never INSTALLed;
 *   - with a sandbox (sql.h) it is opened with persistent secrets off, and
 *     external access goes off once the server's own setup is done (its
 *     extensions, secrets and SQL functions); DuckDB allows no way back;
 *   - once the configuration is locked (mx_db_lock_config) nothing here
 *     issues a SET: a connection made afterwards goes without the progress
 *     settings;
 *   - a cached statement is always exactly one statement that prepared
 *     successfully; its bindings are cleared before and after each use, and
 *     a statement whose execution failed is dropped from the cache;
 *   - parameter values are built as duckdb_values from a "shape": the
 *     declared mx_type where there is one, widened by the JSON values so that
 *     every element of a list has one DuckDB type;
 *   - a statement on a connection outside the worker pool (not pooled), and
 *     every statement of db.c's own steps, holds the database's gate shared
 *     while DuckDB prepares or runs it, so that a buffer-pool purge
 *     (exec/workers.c), which holds it alone, never meets one;
 *   - results are read chunk by chunk through the vector API and converted
 *     type by type with a converter tree built once per result column; rows
 *     and approximate bytes are bounded (mx_dbconn_set_limits).
 *
 * The files split along the hot paths, not across them: the statement
 * lookup and mx_sql_query share conn.c, the value formatting and the
 * per-value conversion share result.c, so that no call the compiler inlines
 * crosses a file (the calls between files are per statement, per parameter
 * or per column, and mx_sql_json_text per MAP key). run_simple, which db.c
 * and conn.c share, is static inline here.
 */
#ifndef MX_EXEC_SQL_SQL_INT_H
#define MX_EXEC_SQL_SQL_INT_H

#include "exec/sql.h"

#include <duckdb.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define MX_SQL_STMT_CACHE 64
/* DuckDB 1.4 keeps ~600 bytes per execution of a prepared statement with a
 * BIGINT parameter (`WHERE id = $id` on a BIGINT column) until the statement
 * is destroyed: 200,000 calls grew a server by 110 MB. A cached statement is
 * therefore prepared afresh after this many executions, which bounds that
 * at ~2.5 MB per statement for one extra prepare per 4,096 calls. */
#define MX_SQL_STMT_RECYCLE 4096

struct mx_db {
	duckdb_database db;
	char *path;
	int readonly; /* DuckDB's access_mode is READ_ONLY */
	int readonly_requested; /* opt->readonly, also for :memory: */
	int sandboxed; /* external access off (struct mx_db_sandbox) */
	atomic_int locked; /* lock_configuration on (/ready connects from an HTTP thread) */
	char **loaded; /* the extensions LOADed (mx_db_load_extensions) */
	size_t nloaded;
	struct mx_udf_registry *udf; /* the request-context SQL functions (udf.h) */
	char **secret_names; /* the secrets made (mx_db_set_secrets), to drop when gone */
	size_t nsecrets;
	/* The buffer-pool purge's gate (exec/workers.c): a statement on a
	 * connection outside the worker pool holds it shared, a purge alone. */
	pthread_rwlock_t gate;
};

/* Set err from a DuckDB error message. DuckDB's advice for a missing
 * extension (INSTALL/LOAD it, or SET autoinstall_known_extensions) becomes
 * mxcp's: list it under `extensions:` in mxcp-site.yml. */
int mx_sql_db_error(struct mx_err *err, int code, const char *msg);

struct stmt_entry {
	char *sql;
	char *sig; /* the parameter type hints it may use ("" none) */
	int hint_pending; /* hints not yet tried (after the first execution) */
	char *hinted_sql; /* the text st was prepared from when hinted, else NULL */
	unsigned execs; /* since prepared (see MX_SQL_STMT_RECYCLE) */
	uint64_t hash;
	uint64_t last_used;
	duckdb_prepared_statement st;
};

struct mx_dbconn {
	struct mx_db *db;
	duckdb_connection conn;
	struct mx_udf_slot *udf; /* the running call's context for the SQL functions */
	struct stmt_entry cache[MX_SQL_STMT_CACHE];
	size_t ncache;
	uint64_t clock;
	size_t max_rows;
	size_t max_bytes;
	struct mx_dbconn_stats stats;
	struct mx_sql_helper help; /* begin == NULL: DuckDB schedules on its own */
	int parse_json; /* JSON columns as JSON values (mx_dbconn_parse_json); 0: their text */
	int pooled; /* a worker's (mx_dbconn_set_pooled): never meets a purge, takes no gate */
};

/* ---- database and connections (db.c, conn.c) ---- */

/* The purge gate around a statement (prepared or run) on c: a worker's
 * connection needs none, the pool runs no job while it purges. */
static inline void conn_gate_enter(struct mx_dbconn *c)
{
	if (!c->pooled)
		pthread_rwlock_rdlock(&c->db->gate);
}

static inline void conn_gate_leave(struct mx_dbconn *c)
{
	if (!c->pooled)
		pthread_rwlock_unlock(&c->db->gate);
}

/* One statement on conn, a connection of db's own steps, into *res (destroy
 * it either way); -1 with DuckDB's message in *msg_out. */
static inline int run_simple(struct mx_db *db, duckdb_connection conn, const char *sql, const char **msg_out,
                             duckdb_result *res)
{
	pthread_rwlock_rdlock(&db->gate);
	int ok = duckdb_query(conn, sql, res) == DuckDBSuccess;
	pthread_rwlock_unlock(&db->gate);
	if (!ok) {
		*msg_out = duckdb_result_error(res);
		return -1;
	}
	return 0;
}

/* ---- parameters (bind.c) ---- */

enum shape_kind {
	SH_NULL, /* nothing known yet: SQL NULL / SQLNULL element type */
	SH_BOOL,
	SH_INT,
	SH_REAL,
	SH_TEXT, /* VARCHAR; non-string values are written as JSON text */
	SH_DATE,
	SH_TIME,
	SH_TIMESTAMP,
	SH_LIST,
	SH_STRUCT, /* no fields: an empty MAP(VARCHAR, VARCHAR) */
};

struct shape {
	enum shape_kind kind;
	struct shape *elem; /* SH_LIST */
	char **names; /* SH_STRUCT */
	struct shape **fields;
	size_t nfields, capfields;
	duckdb_logical_type lt; /* built on demand, owned */
};

/* The declared type's shape; NULL type → SH_NULL (infer from values). */
int mx_sql_shape_from_type(const struct mx_type *t, struct shape *sh);
/* Bind every supplied parameter the statement uses; all of its parameters
 * must have a value. */
int mx_sql_bind_params(duckdb_prepared_statement st, const struct mx_sql_param *params, size_t nparams,
                       struct mx_err *err);
/* Bind each DuckDB value by name; all of the statement's parameters must
 * have one (mx_sql_query_values). */
int mx_sql_bind_values(duckdb_prepared_statement st, const struct mx_sql_value_param *params, size_t nparams,
                       struct mx_err *err);
/* The text of a JSON value: strings as they are, numbers in their shortest
 * round-tripping form, containers as compact JSON. mx_free the result. */
char *mx_sql_json_text(const json_t *v);

/* ---- results (column.c, result.c) ---- */

/* How to read one column (or nested child) of a result. */
struct conv {
	duckdb_type id;
	duckdb_type internal; /* DECIMAL storage / ENUM index type */
	unsigned scale; /* DECIMAL */
	int is_json; /* VARCHAR aliased JSON */
	idx_t array_size; /* ARRAY */
	size_t nchildren; /* LIST/ARRAY 1, STRUCT n, MAP 2 (key, value), UNION n */
	struct conv *children;
	char **names; /* STRUCT fields / UNION members (duckdb_free) */
	char **labels; /* ENUM dictionary (duckdb_free) */
	size_t nlabels;
};

/* The converter tree of a column of logical type lt (column.c); free it
 * with mx_sql_conv_free, also after a failure. */
int mx_sql_conv_build(struct conv *cv, duckdb_logical_type lt);
void mx_sql_conv_free(struct conv *cv);
/* Read every chunk of res into a JSON array of row objects (within the
 * connection's limits). */
int mx_sql_result_rows(struct mx_dbconn *c, duckdb_result *res, json_t **rows, struct mx_err *err);

/* Hand every chunk of res to fn (within the connection's limits). */
int mx_sql_result_chunks(struct mx_dbconn *c, duckdb_result *res, mx_sql_chunk_fn fn, void *ctx,
                         struct mx_err *err);

/* ---- running a statement (run.c) ---- */

/* Run st into *res, with the connection's helper when it has one. */
duckdb_state mx_sql_execute(struct mx_dbconn *c, duckdb_prepared_statement st, duckdb_result *res);

#endif
