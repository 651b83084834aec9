/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql — DuckDB execution.
 *
 * One struct mx_db per process (the database file, opened once, with
 * autoinstall/autoload of extensions turned off so nothing reaches for the
 * network), and one struct mx_dbconn per worker thread: a connection is
 * never used by two threads at once. Each connection keeps a cache of
 * prepared statements keyed by SQL text.
 *
 * Statements use MXCP's named parameters ($name), bound by the parameter's
 * declared type (a `format: date` string binds as DATE, and so on). Results
 * come back as JSON: an array of row objects, column order preserved, every
 * DuckDB type converted faithfully (see mx_sql_query).
 */
#ifndef MX_EXEC_SQL_H
#define MX_EXEC_SQL_H

#include "core/err.h"
#include "types/types.h"

#include <jansson.h>
#include <stddef.h>

struct mx_db;
struct mx_dbconn;

struct mx_db_extension {
	const char *name;
	const char *repo; /* NULL, "community" or "core_nightly" */
};

struct mx_db_options {
	const char *path; /* file path, or ":memory:" */
	int readonly; /* open read-only (the file is created first if missing) */
	const struct mx_db_extension *extensions;
	size_t nextensions;
	/* The active profile's `secrets` of the user config, or NULL: see
	 * mx_db_set_secrets. */
	const json_t *secrets;
};

/* Open the database (creating the file and its parent folder when missing
 * unless read-only) and load configured extensions (LOAD only if already
 * installed; a clear error otherwise). */
int mx_db_open(const struct mx_db_options *opt, struct mx_db **out, struct mx_err *err);
void mx_db_close(struct mx_db *db);
/* s as a SQL string literal: in single quotes, quotes doubled. */
struct mx_buf;
int mx_sql_put_string(struct mx_buf *b, const char *s);

/* LOAD extensions into an open database (a reload that lists new ones). */
int mx_db_load_extensions(struct mx_db *db, const struct mx_db_extension *ext, size_t n, struct mx_err *err);

/* The user config's secrets (a JSON array of {name, type, parameters}) as
 * DuckDB secrets, as MXCP makes them: each one with parameters becomes
 * `CREATE TEMPORARY SECRET name (TYPE type, KEY 'value', …)` (a map value
 * as MAP {'k': 'v', …}; quotes doubled). DuckDB keeps them per database, so
 * every connection sees them. One DuckDB cannot create (a type it does not
 * know) is skipped, logged at debug: it may be meant for Python code.
 * Called again (SIGHUP), it replaces them and drops those gone. */
int mx_db_set_secrets(struct mx_db *db, const json_t *secrets, struct mx_err *err);

int mx_db_connect(struct mx_db *db, struct mx_dbconn **out, struct mx_err *err);
void mx_dbconn_close(struct mx_dbconn *c);

/* The connection's slot for the request-context SQL functions (exec/udf.h:
 * get_username(), get_request_header(name), …). NULL for NULL. */
struct mx_udf_slot;
struct mx_udf_slot *mx_dbconn_udf_slot(struct mx_dbconn *c);

struct mx_sql_param {
	const char *name;
	const json_t *value; /* NULL or json null binds SQL NULL */
	const struct mx_type *type; /* may be NULL: bind by the JSON type */
};

/*
 * Run exactly one statement. Named parameters present in the SQL must all be
 * supplied (extra supplied params are ignored). On success *rows is a new JSON
 * array of objects. Conversions: integers of every width (HUGEINT/UHUGEINT as
 * numbers when they fit int64, else as decimal strings), DECIMAL as number,
 * DOUBLE/FLOAT (NaN/±Inf as null), VARCHAR, BOOLEAN, DATE "YYYY-MM-DD",
 * TIME "HH:MM:SS[.ffffff]", TIMESTAMP "YYYY-MM-DDTHH:MM:SS[.ffffff]",
 * TIMESTAMPTZ with "Z", INTERVAL as ISO 8601 duration, UUID as text, BLOB
 * base64, LIST/ARRAY arrays, STRUCT objects, MAP objects (non-string keys as
 * text), ENUM text, JSON parsed, NULL null.
 * TIMESTAMP_NS keeps nanoseconds when it has them; DATE/TIMESTAMP infinities
 * are "infinity"/"-infinity"; BIGNUM and UBIGINT follow the HUGEINT rule.
 * Parameters: `format: date|time|date-time|timestamp` strings bind as
 * DATE/TIME/TIMESTAMP (ISO 8601; an offset or Z is converted to UTC), other
 * strings VARCHAR, integer BIGINT, number DOUBLE, boolean BOOLEAN, array LIST
 * (element type from `items`, else from the values), object STRUCT; without
 * a type, by the JSON type. A statement is prepared once per connection and
 * cached by its text.
 * Errors: MX_EDB with DuckDB's message; MX_EINVAL when the text is not
 * exactly one statement, a parameter is missing (naming it) or a value does
 * not parse as its format; MX_ELIMIT past the row/byte bounds;
 * MX_ECANCELLED when interrupted.
 */
int mx_sql_query(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params, size_t nparams,
                 json_t **rows, struct mx_err *err);

/*
 * Run a script of one or more statements in order (for `mxcp query`, e.g. a
 * seed file); parameters are bound in every statement that uses them. On
 * success *rows holds the last statement's rows.
 */
int mx_sql_script(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params, size_t nparams,
                  json_t **rows, struct mx_err *err);

/*
 * Validate SQL without running it: exactly one statement, and it prepares
 * against the database (unknown tables/columns are errors). On success
 * *names is a new JSON array of the named parameters it uses (sorted).
 */
int mx_sql_check(struct mx_dbconn *c, const char *sql, json_t **names, struct mx_err *err);

/* Result bounds: a query whose result passes either fails with MX_ELIMIT.
 * Bytes are an estimate (text and blob payloads plus 8 per value). */
#define MX_SQL_MAX_ROWS_DEFAULT ((size_t)1000000)
#define MX_SQL_MAX_BYTES_DEFAULT ((size_t)512 << 20)
/* 0 keeps the default. */
void mx_dbconn_set_limits(struct mx_dbconn *c, size_t max_rows, size_t max_bytes);

/* Prepared-statement cache counters of one connection (for /metrics). */
struct mx_dbconn_stats {
	unsigned long long prepares; /* statements prepared (cache misses) */
	unsigned long long cache_hits;
	unsigned long long evictions;
	unsigned long long hinted; /* prepared again with declared parameter types */
	unsigned long long recycled; /* prepared afresh after many executions */
	size_t cached; /* statements held now */
};
void mx_dbconn_get_stats(const struct mx_dbconn *c, struct mx_dbconn_stats *out);

/*
 * Thread lending. DuckDB wakes one of its own background threads for every
 * query it schedules, which doubles the cost of a one-row SELECT; a server
 * whose workers outnumber DuckDB's threads can instead run every query on
 * the worker that issued it and lend idle workers to DuckDB only for the
 * queries that run long (exec/workers.c).
 *
 * mx_db_lend_threads: with `workers` threads of the caller's issuing
 * queries, stop DuckDB's background threads (external_threads = threads)
 * when workers >= DuckDB's threads > 1. Returns 1 when it did (the caller
 * then installs helpers on its connections), 0 when DuckDB keeps its
 * threads, or an error code. workers == 0 gives DuckDB its threads back.
 *
 * A connection with a helper runs a query on its own thread for
 * MX_SQL_HELP_AFTER_NS, then calls help->begin(ctx) once and help->end(ctx)
 * when the query is done (or failed).
 */
#define MX_SQL_HELP_AFTER_NS 1000000ULL
int mx_db_lend_threads(struct mx_db *db, int workers, struct mx_err *err);
/* DuckDB's threads setting for this process (MXCP_DUCKDB_THREADS, else the
 * CPU count). */
int mx_db_threads(void);
struct mx_sql_helper {
	void (*begin)(void *ctx);
	void (*end)(void *ctx);
	void *ctx;
};
void mx_dbconn_set_helper(struct mx_dbconn *c, const struct mx_sql_helper *help);
/* The database handle, for DuckDB's task API (exec/workers.c). */
void *mx_db_duckdb(struct mx_db *db);

/* Interrupt the query running on c (from another thread). */
void mx_dbconn_interrupt(struct mx_dbconn *c);
/* Progress of the running query in [0,1], or -1 when unknown. */
double mx_dbconn_progress(struct mx_dbconn *c);

#endif
