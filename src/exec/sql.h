/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql — DuckDB execution.
 *
 * One struct mx_db per process (the database file, opened once; as in
 * MXCP, DuckDB installs and loads known extensions a statement needs,
 * unless MXCP_OFFLINE is set or the SQL tools' sandbox is on), and one struct mx_dbconn per worker thread: a connection is
 * never used by two threads at once. Each connection keeps a cache of
 * prepared statements keyed by SQL text.
 *
 * A server that runs SQL written by its clients (the built-in SQL tools)
 * opens the database in DuckDB's file sandbox (struct mx_db_sandbox), locks
 * DuckDB's configuration once its own settings are made
 * (mx_db_lock_config), and runs the clients' scripts through a guard that
 * sees how DuckDB's parser classified each statement (mx_sql_script_guarded).
 *
 * Statements use MXCP's named parameters ($name), bound by the parameter's
 * declared type (a `format: date` string binds as DATE, and so on). Results
 * come back as JSON: an array of row objects, column order preserved, every
 * DuckDB type converted faithfully (see mx_sql_query).
 *
 * The implementation is src/exec/sql/ (sql/sql_int.h lists its files).
 */
#ifndef MX_EXEC_SQL_H
#define MX_EXEC_SQL_H

#include "core/err.h"
#include "types/types.h"

#include <duckdb.h>
#include <jansson.h>
#include <stddef.h>

struct mx_db;
struct mx_dbconn;

struct mx_db_extension {
	const char *name;
	const char *repo; /* NULL, "community" or "core_nightly" */
	const char *file; /* where it is listed (mxcp-site.yml), for errors; may be NULL */
	int line, col;
};

/*
 * DuckDB's file sandbox: enable_external_access off, so that SQL run on the
 * database reads and writes no file and reaches no URL but these. DuckDB
 * compares the path a statement names, as written with `.` and `..`
 * folded, with each entry: a directory by prefix, a path exactly. Entries
 * are absolute paths or URL prefixes (`https://host/dir/`, `s3://bucket/`);
 * since DuckDB reads a relative path against the working folder, an entry
 * inside that folder is also allowed in its relative form. The database
 * file itself, its WAL and its temporary files are DuckDB's own and stay
 * reachable.
 *
 * The sandbox is set when the database opens, after its extensions are
 * loaded and its secrets made, and cannot be lifted while it is open. It
 * also turns DuckDB's persistent secrets off (DuckDB stores them under
 * ~/.duckdb, a write outside any sandbox), and DuckDB then loads no
 * extension it has not loaded already.
 */
struct mx_db_sandbox {
	const char *const *directories;
	size_t ndirectories;
	const char *const *paths;
	size_t npaths;
};

struct mx_db_options {
	const char *path; /* file path, or ":memory:" */
	int readonly; /* open read-only (the file is created first if missing) */
	const struct mx_db_extension *extensions;
	size_t nextensions;
	/* The active profile's `secrets` of the user config, or NULL: see
	 * mx_db_set_secrets. */
	const json_t *secrets;
	/* NULL: SQL on the database reaches whatever the process can. */
	const struct mx_db_sandbox *sandbox;
};

/* Open the database (creating the file and its parent folder when missing
 * unless read-only) and load configured extensions as MXCP does (INSTALL
 * name [FROM repo]; LOAD name), or, offline, LOAD only those installed (a
 * clear error naming mxcp-site.yml:line:col otherwise). */
int mx_db_open(const struct mx_db_options *opt, struct mx_db **out, struct mx_err *err);
void mx_db_close(struct mx_db *db);
/* Whether it was opened with opt->readonly (also for ":memory:", which
 * DuckDB cannot open read-only), and with a sandbox. */
int mx_db_readonly(const struct mx_db *db);
int mx_db_sandboxed(const struct mx_db *db);
/* DuckDB's lock_configuration: from now on no statement changes a
 * setting, the server's own included (DuckDB keeps its threads as they are
 * then: call it after mx_db_lend_threads). Connections made afterwards do
 * without the settings they would make (query progress: mx_dbconn_progress
 * answers -1). Once only; it cannot be undone. */
int mx_db_lock_config(struct mx_db *db, struct mx_err *err);
/* Whether it is locked. */
int mx_db_config_locked(struct mx_db *db);
/* s as a SQL string literal: in single quotes, quotes doubled. */
struct mx_buf;
int mx_sql_put_string(struct mx_buf *b, const char *s);

/* A DECIMAL's value (v / 10^scale) as the nearest double, read from its
 * exact decimal text (as DuckDB's Python client and JSON results give it). */
__extension__ double mx_sql_decimal_double(__int128 v, unsigned scale);

/* MXCP_OFFLINE: no extension is installed or autoloaded from the network
 * (air-gapped servers); listed extensions must be installed already. */
int mx_db_offline(void);

/* LOAD extensions into an open database (a reload that lists new ones);
 * those it loaded before are skipped. In a sandbox only those linked into
 * DuckDB load: another is an error saying a restart loads it. */
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

/* A JSON-typed column (`::JSON`, `j -> '$.x'`) comes out as its JSON text,
 * as MXCP returns it (DuckDB through pandas); with on, as the JSON value it
 * holds (the audit trail's queries). */
void mx_dbconn_parse_json(struct mx_dbconn *c, int on);

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
 * text), ENUM text, JSON as its text (parsed: mx_dbconn_parse_json), NULL null.
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

/* A parameter given as a DuckDB value the caller built (the Python bridge's
 * db.execute, whose values carry types JSON cannot: date, Decimal, bytes).
 * value NULL binds SQL NULL; the caller keeps ownership. */
struct mx_sql_value_param {
	const char *name;
	duckdb_value value;
};

/* Called for each chunk of a result, in order: res describes the columns
 * (duckdb_column_count/_name/_logical_type), chunk is borrowed for the
 * call. The callback adds its estimate of the chunk's size to *bytes
 * (text and blob payloads plus 8 per value, as mx_sql_query counts).
 * 0 goes on; an error code (err filled) stops the query with it. */
typedef int (*mx_sql_chunk_fn)(void *ctx, duckdb_result *res, duckdb_data_chunk chunk, size_t *bytes,
                               struct mx_err *err);

/*
 * mx_sql_query for callers that convert values themselves: exactly one
 * statement (prepared once per connection and cached), parameters bound
 * from DuckDB values by name (`$name`; "1", "2", … for `?`/`$1`), the
 * result handed to on_chunk chunk by chunk instead of built as JSON. The
 * row bound is checked before each chunk, the byte bound after it. A
 * parameter the statement uses but params lack is MX_EINVAL worded as
 * DuckDB's Python client words it ("Invalid Input Error: Values were not
 * provided for the following prepared statement parameters: x"); extra
 * parameters are ignored. Other errors as mx_sql_query. on_chunk runs on
 * the calling thread after DuckDB has finished the statement.
 */
int mx_sql_query_values(struct mx_dbconn *c, const char *sql, const struct mx_sql_value_param *params,
                        size_t nparams, mx_sql_chunk_fn on_chunk, void *ctx, struct mx_err *err);

/*
 * Run a script of one or more statements in order (for `mxcp query`, e.g. a
 * seed file); parameters are bound in every statement that uses them. On
 * success *rows holds the last statement's rows.
 */
int mx_sql_script(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params, size_t nparams,
                  json_t **rows, struct mx_err *err);

/* What DuckDB's parser made of a statement (duckdb_prepared_statement_type).
 * SET also stands for RESET, USE and SET VARIABLE; LOAD for INSTALL; CREATE
 * for CREATE MACRO/FUNCTION; DROP for DEALLOCATE; VACUUM for ANALYZE; CALL
 * for CHECKPOINT. UNKNOWN is what DuckDB's C API does not classify (MERGE
 * INTO, UPDATE EXTENSIONS, COPY FROM DATABASE, extension statements). */
enum mx_sql_kind {
	MX_SQL_UNKNOWN,
	MX_SQL_SELECT,
	MX_SQL_INSERT,
	MX_SQL_UPDATE,
	MX_SQL_DELETE,
	MX_SQL_CREATE,
	MX_SQL_DROP,
	MX_SQL_ALTER,
	MX_SQL_COPY,
	MX_SQL_EXPORT,
	MX_SQL_EXPLAIN,
	MX_SQL_ANALYZE,
	MX_SQL_VACUUM,
	MX_SQL_CALL,
	MX_SQL_SET,
	MX_SQL_PRAGMA,
	MX_SQL_LOAD,
	MX_SQL_ATTACH,
	MX_SQL_DETACH,
	MX_SQL_TRANSACTION,
	MX_SQL_PREPARE,
	MX_SQL_EXECUTE,
};
/* "SELECT", "COPY", "SET", …; "unclassified" for MX_SQL_UNKNOWN. */
const char *mx_sql_kind_name(enum mx_sql_kind kind);

/* Called for each statement of a guarded script once DuckDB has parsed and
 * prepared it, before it runs: 0 lets it run; an error code (err filled)
 * stops the script there. index counts from 0 among count statements. */
struct mx_sql_guard {
	int (*check)(void *ctx, size_t index, size_t count, enum mx_sql_kind kind, struct mx_err *err);
	void *ctx;
	/* Prepare and check every statement before the first runs (nothing
	 * runs unless all pass). Only for scripts whose statements do not
	 * depend on one another's effects (SELECTs); otherwise each statement
	 * is checked right before it runs. */
	int check_all_first;
};

/* mx_sql_script, without parameters, each statement passed by guard. */
int mx_sql_script_guarded(struct mx_dbconn *c, const char *sql, const struct mx_sql_guard *guard,
                          json_t **rows, struct mx_err *err);

/*
 * Validate SQL without running it: exactly one statement, and it prepares
 * against the database (unknown tables/columns are errors). On success
 * *names is a new JSON array of the named parameters it uses (sorted).
 */
int mx_sql_check(struct mx_dbconn *c, const char *sql, json_t **names, struct mx_err *err);

/* Result bounds: a query whose result passes either fails with MX_ELIMIT
 * (a tool call answers it as an error result). Bytes estimate the result's
 * JSON values in memory: text and blob payloads, MX_SQL_VALUE_BYTES per value,
 * MX_SQL_ROW_BYTES + MX_SQL_FIELD_BYTES per column for each row object (what
 * jansson allocates for them on x86-64, malloc headers included). Measured
 * (bench/big_results.sh), a tools/call peaks at ~3.5x this estimate: the tree,
 * the answer's text blocks and its serialised text. The defaults keep one
 * call under ~500 MB (128 MB estimated: ~290,000 rows of three small
 * columns); the environment variables MXCP_SQL_MAX_ROWS and
 * MXCP_SQL_MAX_BYTES, read when a connection is made, override them. */
#define MX_SQL_MAX_ROWS_DEFAULT ((size_t)1000000)
#define MX_SQL_MAX_BYTES_DEFAULT ((size_t)128 << 20)
#define MX_SQL_VALUE_BYTES 48
#define MX_SQL_ROW_BYTES 160
#define MX_SQL_FIELD_BYTES 48
/* 0 keeps the default (or the environment's). */
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

/*
 * The buffer-pool purge's gate (exec/workers.c). A purge sets DuckDB's
 * memory_limit to 1 KB for an instant, which no statement may meet: the
 * pool runs no job meanwhile, and every statement on another connection
 * (/ready, a reload, a Python hook) holds the gate shared while DuckDB
 * prepares or runs it. mx_db_gate_try_close takes it alone without waiting
 * (1) or answers 0 while a statement holds it; mx_db_gate_open gives it
 * back. A worker's connection is marked pooled and takes no gate.
 */
int mx_db_gate_try_close(struct mx_db *db);
void mx_db_gate_open(struct mx_db *db);
void mx_dbconn_set_pooled(struct mx_dbconn *c);

/* Interrupt the query running on c (from another thread). */
void mx_dbconn_interrupt(struct mx_dbconn *c);
/* Progress of the running query in [0,1], or -1 when unknown. */
double mx_dbconn_progress(struct mx_dbconn *c);

#endif
