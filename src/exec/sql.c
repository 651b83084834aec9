/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql — DuckDB execution (see sql.h).
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
 *   - results are read chunk by chunk through the vector API and converted
 *     type by type with a converter tree built once per result column; rows
 *     and approximate bytes are bounded (mx_dbconn_set_limits).
 */
#include "exec/sql.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "exec/udf.h"

#include <duckdb.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__extension__ typedef __int128 mx_i128;
__extension__ typedef unsigned __int128 mx_u128;

#define MX_SQL_STMT_CACHE 64
/* DuckDB 1.4 keeps ~600 bytes per execution of a prepared statement with a
 * BIGINT parameter (`WHERE id = $id` on a BIGINT column) until the statement
 * is destroyed: 200,000 calls grew a server by 110 MB. A cached statement is
 * therefore prepared afresh after this many executions, which bounds that
 * at ~2.5 MB per statement for one extra prepare per 4,096 calls. */
#define MX_SQL_STMT_RECYCLE 4096
#define MX_SQL_PATH_MAX 256

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
};

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
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static int is_memory_path(const char *path)
{
	return path == NULL || path[0] == '\0' || strncmp(path, ":memory:", 8) == 0;
}

/* Create every missing folder above the file `path` (mkdir -p of its dirname). */
static int make_parent_dirs(const char *path, struct mx_err *err)
{
	char dir[PATH_MAX];
	if (mx_fs_mkdir_parent(path, 0755, dir, sizeof dir) == 0)
		return 0;
	return mx_err_set(err, MX_EIO, "Cannot create folder '%s': %s", dir, strerror(errno));
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* ------------------------------------------------------------------------ */
/* Database and connections                                                  */
/* ------------------------------------------------------------------------ */

static int valid_extension_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return 0;
	for (const char *p = name; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_'))
			return 0;
	}
	return 1;
}

/* DuckDB's threads for one query: MXCP_DUCKDB_THREADS, else one per core
 * (DuckDB's default). Fewer threads make small queries cheaper (a one-row
 * SELECT under concurrent load: +30% calls/s with 1) and large scans slower
 * (a 5M-row GROUP BY alone: 1.9× the latency with 1), see bench/README.md. */
static int threads_setting(long *out, struct mx_err *err)
{
	const char *env = getenv("MXCP_DUCKDB_THREADS");
	long v = sysconf(_SC_NPROCESSORS_ONLN);
	if (env != NULL && *env != '\0') {
		char *end;
		errno = 0;
		v = strtol(env, &end, 10);
		if (errno || *end != '\0' || v < 1 || v > 1024)
			return mx_err_set(
			        err, MX_EINVAL,
			        "MXCP_DUCKDB_THREADS must be a whole number from 1 to 1024, not '%s'", env);
	}
	*out = v > 0 ? v : 1;
	return 0;
}

static int open_raw(const char *path, int readonly, int sandboxed, duckdb_database *out, struct mx_err *err)
{
	long nthreads = 1;
	int trc = threads_setting(&nthreads, err);
	if (trc != 0)
		return trc;
	char threads[24];
	snprintf(threads, sizeof threads, "%ld", nthreads);
	duckdb_config cfg;
	if (duckdb_create_config(&cfg) != DuckDBSuccess) {
		duckdb_destroy_config(&cfg);
		return mx_err_set(err, MX_ENOMEM, "Cannot create DuckDB configuration");
	}
	const char *opts[][2] = {
	        {"autoinstall_known_extensions", "false"},
	        {"autoload_known_extensions", "false"},
	        {"access_mode", readonly ? "READ_ONLY" : "AUTOMATIC"},
	        {"threads", threads},
	        /* DuckDB keeps persistent secrets in ~/.duckdb, outside any
	         * sandbox, and decides on them before the first secret is made. */
	        {"allow_persistent_secrets", sandboxed ? "false" : "true"},
	};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		if (duckdb_set_config(cfg, opts[i][0], opts[i][1]) != DuckDBSuccess) {
			duckdb_destroy_config(&cfg);
			return mx_err_set(err, MX_EDB, "Cannot set DuckDB option %s=%s", opts[i][0],
			                  opts[i][1]);
		}
	}
	char *derr = NULL;
	duckdb_state st = duckdb_open_ext(path, out, cfg, &derr);
	duckdb_destroy_config(&cfg);
	if (st != DuckDBSuccess) {
		int rc = mx_err_set(err, MX_EDB, "Cannot open DuckDB database '%s': %s", path,
		                    derr ? derr : "unknown error");
		if (derr)
			duckdb_free(derr);
		return rc;
	}
	return 0;
}

static int run_simple(duckdb_connection conn, const char *sql, const char **msg_out, duckdb_result *res)
{
	if (duckdb_query(conn, sql, res) != DuckDBSuccess) {
		*msg_out = duckdb_result_error(res);
		return -1;
	}
	return 0;
}

int mx_db_threads(void)
{
	long n = 1;
	struct mx_err err;
	if (threads_setting(&n, &err) != 0)
		return 1; /* a bad MXCP_DUCKDB_THREADS already failed the open */
	return (int)n;
}

int mx_db_lend_threads(struct mx_db *db, int workers, struct mx_err *err)
{
	int threads = mx_db_threads();
	if (threads <= 1 || (workers > 0 && workers < threads))
		return 0;
	duckdb_connection conn;
	if (duckdb_connect(db->db, &conn) != DuckDBSuccess)
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB database '%s'", db->path);
	char sql[64];
	snprintf(sql, sizeof sql, "SET external_threads = %d", workers > 0 ? threads : 1);
	duckdb_result res;
	const char *msg = NULL;
	int rc = run_simple(conn, sql, &msg, &res) != 0
	                 ? mx_err_set(err, MX_EDB, "Cannot set DuckDB's external_threads: %s", msg ? msg : "")
	                 : workers > 0;
	duckdb_destroy_result(&res);
	duckdb_disconnect(&conn);
	return rc;
}

void *mx_db_duckdb(struct mx_db *db)
{
	return db->db;
}

void mx_dbconn_set_helper(struct mx_dbconn *c, const struct mx_sql_helper *help)
{
	c->help = help ? *help : (struct mx_sql_helper){0};
}

/* Whether this database LOADed the extension already. */
static int extension_loaded(const struct mx_db *db, const char *name)
{
	for (size_t i = 0; i < db->nloaded; i++)
		if (strcmp(db->loaded[i], name) == 0)
			return 1;
	return 0;
}

/* LOAD the extensions not loaded yet. In a sandbox DuckDB loads no
 * extension from disk (external access is off, and it cannot even list
 * them): one loaded at open is fine (a reload lists it again), and one
 * linked into DuckDB loads; any other needs a restart. */
int mx_db_load_extensions(struct mx_db *db, const struct mx_db_extension *ext, size_t n, struct mx_err *err)
{
	if (n == 0)
		return 0;
	char **loaded = mx_calloc(db->nloaded + n, sizeof *loaded);
	if (loaded == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	if (db->nloaded > 0)
		memcpy(loaded, db->loaded, db->nloaded * sizeof *loaded);
	mx_free(db->loaded);
	db->loaded = loaded;
	duckdb_connection conn;
	if (duckdb_connect(db->db, &conn) != DuckDBSuccess)
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB database '%s'", db->path);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = ext[i].name;
		if (!valid_extension_name(name)) {
			rc = mx_err_set(err, MX_EINVAL, "Invalid extension name '%s'", name ? name : "");
			break;
		}
		if (extension_loaded(db, name))
			continue;
		char sql[160];
		snprintf(sql, sizeof sql, "LOAD %s", name);
		duckdb_result res;
		const char *msg = NULL;
		if (run_simple(conn, sql, &msg, &res) != 0) {
			if (db->sandboxed)
				rc = mx_err_set(
				        err, MX_EDB,
				        "Extension '%s' cannot be loaded while the database runs in the "
				        "SQL tools' file sandbox (DuckDB loads no extension from disk once "
				        "external access is off); restart the server to load it",
				        name);
			else
				rc = mx_err_set(err, MX_EDB, "Extension '%s' is not available offline: %s",
				                name, msg ? msg : "unknown error");
		} else if ((db->loaded[db->nloaded] = mx_strdup(name)) == NULL) {
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		} else {
			db->nloaded++;
		}
		duckdb_destroy_result(&res);
	}
	duckdb_disconnect(&conn);
	return rc;
}

/* A DuckDB identifier as MXCP writes it (bare), quoted when it is not a
 * plain one. */
static int put_ident(struct mx_buf *b, const char *s)
{
	int plain = (isalpha((unsigned char)s[0]) || s[0] == '_');
	for (const char *q = s; plain && *q; q++)
		plain = isalnum((unsigned char)*q) || *q == '_';
	if (plain)
		return mx_buf_append(b, s, strlen(s));
	int rc = mx_buf_append(b, "\"", 1);
	for (const char *q = s; rc == 0 && *q; q++)
		rc = *q == '"' ? mx_buf_append(b, "\"\"", 2) : mx_buf_append(b, q, 1);
	return rc ? rc : mx_buf_append(b, "\"", 1);
}

int mx_sql_put_string(struct mx_buf *b, const char *s)
{
	int rc = mx_buf_append(b, "'", 1);
	for (const char *q = s; rc == 0 && *q; q++)
		rc = *q == '\'' ? mx_buf_append(b, "''", 2) : mx_buf_append(b, q, 1);
	return rc ? rc : mx_buf_append(b, "'", 1);
}

/* A parameter value as a SQL string literal: MXCP's str(value) in quotes
 * (True/False/None for booleans and null), quotes doubled. */
static int put_literal(struct mx_buf *b, const json_t *v)
{
	char num[64];
	const char *s = num;
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
	else
		s = json_is_true(v) ? "True" : json_is_false(v) ? "False" : "None";
	return mx_sql_put_string(b, s);
}

/* CREATE TEMPORARY SECRET for one configured secret; NULL (nothing to
 * create) when it has no parameters or no name. */
static char *secret_statement(const json_t *secret)
{
	const char *name = json_string_value(json_object_get(secret, "name"));
	const char *type = json_string_value(json_object_get(secret, "type"));
	const json_t *params = json_object_get(secret, "parameters");
	if (name == NULL || !*name || type == NULL || !*type || json_object_size(params) == 0)
		return NULL;
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	int rc = mx_buf_printf(&b, "CREATE OR REPLACE TEMPORARY SECRET ");
	rc = rc ? rc : put_ident(&b, name);
	rc = rc ? rc : mx_buf_printf(&b, " (TYPE ");
	rc = rc ? rc : put_ident(&b, type);
	const char *key;
	const json_t *v;
	json_object_foreach ((json_t *)params, key, v) {
		rc = rc ? rc : mx_buf_printf(&b, ", ");
		rc = rc ? rc : put_ident(&b, key);
		if (json_is_object(v)) {
			rc = rc ? rc : mx_buf_printf(&b, " MAP {");
			const char *k;
			const json_t *item;
			int first = 1;
			json_object_foreach ((json_t *)v, k, item) {
				json_t *ks = json_string(k);
				rc = rc ? rc : mx_buf_printf(&b, first ? "" : ", ");
				rc = rc ? rc : (ks ? put_literal(&b, ks) : MX_ENOMEM);
				rc = rc ? rc : mx_buf_printf(&b, ": ");
				rc = rc ? rc : put_literal(&b, item);
				json_decref(ks);
				first = 0;
			}
			rc = rc ? rc : mx_buf_printf(&b, "}");
		} else {
			rc = rc ? rc : mx_buf_printf(&b, " ");
			rc = rc ? rc : put_literal(&b, v);
		}
	}
	rc = rc ? rc : mx_buf_printf(&b, ")");
	char *sql = rc == 0 ? mx_buf_detach(&b) : NULL;
	mx_buf_free(&b);
	return sql;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mx_free(v[i]);
	mx_free(v);
}

/* Create (or replace) the configured secrets and drop the ones no longer
 * configured. DuckDB keeps temporary secrets per database, not per
 * connection, so this runs once on a connection of its own. Failures to
 * create are not errors (MXCP: the secret may be meant for Python code). */
int mx_db_set_secrets(struct mx_db *db, const json_t *secrets, struct mx_err *err)
{
	size_t n = json_array_size(secrets), count = 0;
	char **sql = n ? mx_calloc(n, sizeof *sql) : NULL;
	char **names = n ? mx_calloc(n, sizeof *names) : NULL;
	if (n && (sql == NULL || names == NULL)) {
		free_strings(sql, 0);
		free_strings(names, 0);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *s = json_array_get(secrets, i);
		char *stmt = secret_statement(s);
		if (stmt == NULL)
			continue;
		char *name = mx_strdup(json_string_value(json_object_get(s, "name")));
		if (name == NULL) {
			mx_free(stmt);
			free_strings(sql, count);
			free_strings(names, count);
			return mx_err_set(err, MX_ENOMEM, "out of memory");
		}
		sql[count] = stmt;
		names[count++] = name;
	}
	duckdb_connection conn;
	if ((count || db->nsecrets) && duckdb_connect(db->db, &conn) != DuckDBSuccess) {
		free_strings(sql, count);
		free_strings(names, count);
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB database '%s'", db->path);
	}
	int rc = 0;
	for (size_t i = 0; i < db->nsecrets && rc == 0; i++) {
		int kept = 0;
		for (size_t j = 0; j < count && !kept; j++)
			kept = strcmp(names[j], db->secret_names[i]) == 0;
		if (kept)
			continue;
		struct mx_buf b;
		mx_buf_init(&b, MX_BUF_UNBOUNDED);
		rc = mx_buf_printf(&b, "DROP TEMPORARY SECRET IF EXISTS ");
		rc = rc ? rc : put_ident(&b, db->secret_names[i]);
		duckdb_result res;
		const char *msg = NULL;
		if (rc == 0 && run_simple(conn, mx_buf_str(&b), &msg, &res) != 0)
			mx_debug("Could not drop secret '%s' in DuckDB: %s", db->secret_names[i],
			         msg ? msg : "");
		if (rc == 0)
			duckdb_destroy_result(&res);
		mx_buf_free(&b);
	}
	for (size_t i = 0; i < count && rc == 0; i++) {
		duckdb_result res;
		const char *msg = NULL;
		if (run_simple(conn, sql[i], &msg, &res) != 0)
			mx_debug("Could not create secret '%s' in DuckDB: %s", names[i], msg ? msg : "");
		duckdb_destroy_result(&res);
	}
	if (count || db->nsecrets)
		duckdb_disconnect(&conn);
	free_strings(sql, count);
	if (rc != 0) {
		free_strings(names, count);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	free_strings(db->secret_names, db->nsecrets);
	db->secret_names = names;
	db->nsecrets = count;
	return 0;
}

/* One sandbox entry, and its form relative to the working folder cwd when
 * it lies inside it, into the SQL list literal b. */
static int put_sandbox_entry(struct mx_buf *b, const char *entry, const char *cwd, int *first)
{
	int rc = mx_buf_printf(b, *first ? "" : ", ");
	rc = rc ? rc : mx_sql_put_string(b, entry);
	*first = 0;
	size_t n = cwd ? strlen(cwd) : 0;
	if (rc == 0 && n > 0 && entry[0] == '/') {
		const char *rel = NULL;
		if (strcmp(cwd, "/") == 0)
			rel = entry + 1;
		else if (strncmp(entry, cwd, n) == 0 && entry[n] == '/')
			rel = entry + n + 1;
		if (rel != NULL && *rel != '\0') {
			rc = mx_buf_printf(b, ", ");
			rc = rc ? rc : mx_sql_put_string(b, rel);
		}
	}
	return rc;
}

/* External access off, but for the sandbox's entries. */
static int apply_sandbox(struct mx_db *db, const struct mx_db_sandbox *sb, struct mx_err *err)
{
	char cwdbuf[4096];
	const char *cwd = getcwd(cwdbuf, sizeof cwdbuf);
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	int first = 1;
	int rc = mx_buf_printf(&b, "SET allowed_directories = [");
	for (size_t i = 0; rc == 0 && i < sb->ndirectories; i++)
		rc = put_sandbox_entry(&b, sb->directories[i], cwd, &first);
	first = 1;
	rc = rc ? rc : mx_buf_printf(&b, "]; SET allowed_paths = [");
	for (size_t i = 0; rc == 0 && i < sb->npaths; i++)
		rc = put_sandbox_entry(&b, sb->paths[i], cwd, &first);
	rc = rc ? rc : mx_buf_printf(&b, "]; SET enable_external_access = false");
	if (rc != 0) {
		mx_buf_free(&b);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	duckdb_connection conn;
	if (duckdb_connect(db->db, &conn) != DuckDBSuccess) {
		mx_buf_free(&b);
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB database '%s'", db->path);
	}
	duckdb_result res;
	const char *msg = NULL;
	if (run_simple(conn, mx_buf_str(&b), &msg, &res) != 0)
		rc = mx_err_set(err, MX_EDB, "Cannot set DuckDB's file sandbox: %s", msg ? msg : "");
	else
		db->sandboxed = 1;
	duckdb_destroy_result(&res);
	duckdb_disconnect(&conn);
	mx_buf_free(&b);
	return rc;
}

int mx_db_open(const struct mx_db_options *opt, struct mx_db **out, struct mx_err *err)
{
	*out = NULL;
	const char *path = opt->path && opt->path[0] ? opt->path : ":memory:";
	int memory = is_memory_path(path);
	/* An in-memory database cannot be read-only (DuckDB refuses); it has
	 * nothing to protect either. */
	int readonly = opt->readonly && !memory;
	int rc;
	if (!memory) {
		if ((rc = make_parent_dirs(path, err)) != 0)
			return rc;
		if (readonly && access(path, F_OK) != 0) {
			/* As MXCP: a read-only server on a missing file first
			 * creates an empty database. */
			duckdb_database tmp;
			if ((rc = open_raw(path, 0, opt->sandbox != NULL, &tmp, err)) != 0)
				return rc;
			duckdb_close(&tmp);
		}
	}
	struct mx_db *db = mx_calloc(1, sizeof *db);
	if (db == NULL || (db->path = mx_strdup(path)) == NULL) {
		mx_free(db);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	db->readonly = readonly;
	db->readonly_requested = opt->readonly != 0;
	if ((rc = open_raw(path, readonly, opt->sandbox != NULL, &db->db, err)) != 0) {
		mx_free(db->path);
		mx_free(db);
		return rc;
	}
	if ((rc = mx_db_load_extensions(db, opt->extensions, opt->nextensions, err)) != 0 ||
	    (rc = mx_db_set_secrets(db, opt->secrets, err)) != 0 ||
	    (rc = mx_udf_register(db->db, &db->udf, err)) != 0 ||
	    (opt->sandbox != NULL && (rc = apply_sandbox(db, opt->sandbox, err)) != 0)) {
		mx_db_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void mx_db_close(struct mx_db *db)
{
	if (db == NULL)
		return;
	free_strings(db->secret_names, db->nsecrets);
	free_strings(db->loaded, db->nloaded);
	duckdb_close(&db->db);
	mx_udf_registry_free(db->udf);
	mx_free(db->path);
	mx_free(db);
}

int mx_db_readonly(const struct mx_db *db)
{
	return db->readonly_requested;
}

int mx_db_sandboxed(const struct mx_db *db)
{
	return db->sandboxed;
}

int mx_db_lock_config(struct mx_db *db, struct mx_err *err)
{
	if (atomic_load(&db->locked))
		return 0;
	duckdb_connection conn;
	if (duckdb_connect(db->db, &conn) != DuckDBSuccess)
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB database '%s'", db->path);
	duckdb_result res;
	const char *msg = NULL;
	int rc = 0;
	if (run_simple(conn, "SET lock_configuration = true", &msg, &res) != 0)
		rc = mx_err_set(err, MX_EDB, "Cannot lock DuckDB's configuration: %s", msg ? msg : "");
	else
		atomic_store(&db->locked, 1);
	duckdb_destroy_result(&res);
	duckdb_disconnect(&conn);
	return rc;
}

int mx_db_connect(struct mx_db *db, struct mx_dbconn **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_dbconn *c = mx_calloc(1, sizeof *c);
	if (c == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	if (duckdb_connect(db->db, &c->conn) != DuckDBSuccess) {
		mx_free(c);
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB database '%s'", db->path);
	}
	c->db = db;
	c->max_rows = MX_SQL_MAX_ROWS_DEFAULT;
	c->max_bytes = MX_SQL_MAX_BYTES_DEFAULT;
	/* DuckDB tracks query progress (mx_dbconn_progress) only with its
	 * progress bar on; the bar itself is never printed. These are
	 * per-connection settings DuckDB takes neither at open nor globally,
	 * so a connection made once the configuration is locked goes without. */
	duckdb_result res;
	const char *msg = NULL;
	int locked = atomic_load(&db->locked);
	if (!locked && run_simple(c->conn,
	                          "SET enable_progress_bar = true; SET enable_progress_bar_print = false; "
	                          "SET progress_bar_time = 500",
	                          &msg, &res) != 0) {
		int rc = mx_err_set(err, MX_EDB, "Cannot configure DuckDB connection: %s", msg ? msg : "");
		duckdb_destroy_result(&res);
		duckdb_disconnect(&c->conn);
		mx_free(c);
		return rc;
	}
	if (!locked)
		duckdb_destroy_result(&res);
	int rc = mx_udf_attach(db->udf, c->conn, &c->udf, err);
	if (rc != 0) {
		duckdb_disconnect(&c->conn);
		mx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* A cache entry's statement and strings. */
static void entry_free(struct stmt_entry *e)
{
	duckdb_destroy_prepare(&e->st);
	mx_free(e->sql);
	mx_free(e->sig);
	mx_free(e->hinted_sql);
}

void mx_dbconn_close(struct mx_dbconn *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ncache; i++)
		entry_free(&c->cache[i]);
	duckdb_disconnect(&c->conn);
	mx_udf_detach(c->db->udf, c->udf);
	mx_free(c);
}

struct mx_udf_slot *mx_dbconn_udf_slot(struct mx_dbconn *c)
{
	return c ? c->udf : NULL;
}

void mx_dbconn_set_limits(struct mx_dbconn *c, size_t max_rows, size_t max_bytes)
{
	c->max_rows = max_rows ? max_rows : MX_SQL_MAX_ROWS_DEFAULT;
	c->max_bytes = max_bytes ? max_bytes : MX_SQL_MAX_BYTES_DEFAULT;
}

void mx_dbconn_get_stats(const struct mx_dbconn *c, struct mx_dbconn_stats *out)
{
	*out = c->stats;
	out->cached = c->ncache;
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

/* ------------------------------------------------------------------------ */
/* Prepared statement cache                                                  */
/* ------------------------------------------------------------------------ */

static struct stmt_entry *cache_find(struct mx_dbconn *c, const char *sql, const char *sig, uint64_t hash)
{
	for (size_t i = 0; i < c->ncache; i++) {
		if (c->cache[i].hash == hash && strcmp(c->cache[i].sql, sql) == 0 &&
		    strcmp(c->cache[i].sig, sig) == 0)
			return &c->cache[i];
	}
	return NULL;
}

static void cache_drop(struct mx_dbconn *c, duckdb_prepared_statement st)
{
	for (size_t i = 0; i < c->ncache; i++) {
		if (c->cache[i].st != st)
			continue;
		entry_free(&c->cache[i]);
		c->cache[i] = c->cache[--c->ncache];
		return;
	}
}

/* Take ownership of st; evicts the least recently used entry when full. On
 * allocation failure the statement is destroyed. */
static int cache_put(struct mx_dbconn *c, const char *sql, const char *sig, uint64_t hash,
                     duckdb_prepared_statement st, struct stmt_entry **out, struct mx_err *err)
{
	char *copy = mx_strdup(sql);
	char *sigcopy = mx_strdup(sig);
	if (copy == NULL || sigcopy == NULL) {
		mx_free(copy);
		mx_free(sigcopy);
		duckdb_destroy_prepare(&st);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	struct stmt_entry *slot;
	if (c->ncache < MX_SQL_STMT_CACHE) {
		slot = &c->cache[c->ncache++];
	} else {
		slot = &c->cache[0];
		for (size_t i = 1; i < c->ncache; i++) {
			if (c->cache[i].last_used < slot->last_used)
				slot = &c->cache[i];
		}
		entry_free(slot);
		c->stats.evictions++;
	}
	slot->sql = copy;
	slot->sig = sigcopy;
	slot->hash = hash;
	slot->st = st;
	slot->last_used = ++c->clock;
	slot->hint_pending = 0;
	slot->hinted_sql = NULL;
	slot->execs = 0;
	*out = slot;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* ISO 8601 parsing (parameters)                                             */
/* ------------------------------------------------------------------------ */

/* Exactly `n` digits at s[*pos]; advances *pos. */
static int take_digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (*pos >= len || s[*pos] < '0' || s[*pos] > '9')
			return -1;
		v = v * 10 + (s[(*pos)++] - '0');
	}
	*out = v;
	return 0;
}

static int take_char(const char *s, size_t len, size_t *pos, char ch)
{
	if (*pos < len && s[*pos] == ch) {
		(*pos)++;
		return 0;
	}
	return -1;
}

/* YYYY-MM-DD (a year of 4 or more digits, optionally signed). */
static int parse_date_part(const char *s, size_t len, size_t *pos, int64_t *days)
{
	int neg = 0;
	if (*pos < len && (s[*pos] == '-' || s[*pos] == '+')) {
		neg = s[*pos] == '-';
		(*pos)++;
	}
	int64_t y = 0;
	size_t start = *pos;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9' && *pos - start < 9)
		y = y * 10 + (s[(*pos)++] - '0');
	if (*pos - start < 4)
		return -1;
	if (neg)
		y = -y;
	int m, d;
	if (take_char(s, len, pos, '-') || take_digits(s, len, pos, 2, &m) || take_char(s, len, pos, '-') ||
	    take_digits(s, len, pos, 2, &d))
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > mx_days_in_month(y, m))
		return -1;
	*days = mx_days_from_civil(y, m, d);
	return 0;
}

/* HH:MM[:SS[.fraction]] into microseconds since midnight. */
static int parse_time_part(const char *s, size_t len, size_t *pos, int64_t *micros)
{
	int h, mi, sec = 0;
	if (take_digits(s, len, pos, 2, &h) || take_char(s, len, pos, ':') ||
	    take_digits(s, len, pos, 2, &mi))
		return -1;
	int64_t frac = 0;
	if (take_char(s, len, pos, ':') == 0) {
		if (take_digits(s, len, pos, 2, &sec))
			return -1;
		if (*pos < len && (s[*pos] == '.' || s[*pos] == ',')) {
			(*pos)++;
			int ndig = 0;
			while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
				if (ndig < 6) {
					frac = frac * 10 + (s[*pos] - '0');
					ndig++;
				}
				(*pos)++;
			}
			if (ndig == 0)
				return -1;
			for (; ndig < 6; ndig++)
				frac *= 10;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	*micros = ((int64_t)h * 3600 + mi * 60 + sec) * 1000000 + frac;
	return 0;
}

/* Z | ±HH[[:]MM[[:]SS]] into seconds east of UTC; nothing left → 0. */
static int parse_offset_part(const char *s, size_t len, size_t *pos, int64_t *offset)
{
	*offset = 0;
	if (*pos >= len)
		return 0;
	if (s[*pos] == 'Z' || s[*pos] == 'z') {
		(*pos)++;
		return 0;
	}
	if (s[*pos] != '+' && s[*pos] != '-')
		return -1;
	int neg = s[(*pos)++] == '-';
	int h, mi = 0, sec = 0;
	if (take_digits(s, len, pos, 2, &h))
		return -1;
	if (*pos < len) {
		take_char(s, len, pos, ':');
		if (take_digits(s, len, pos, 2, &mi))
			return -1;
		if (*pos < len) {
			take_char(s, len, pos, ':');
			if (take_digits(s, len, pos, 2, &sec))
				return -1;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	*offset = (h * 3600 + mi * 60 + sec) * (neg ? -1 : 1);
	return 0;
}

static int parse_iso_date(const char *s, size_t len, int32_t *days)
{
	size_t pos = 0;
	int64_t d;
	if (parse_date_part(s, len, &pos, &d) || pos != len || d < INT32_MIN + 1 || d > INT32_MAX - 1)
		return -1;
	*days = (int32_t)d;
	return 0;
}

static int parse_iso_time(const char *s, size_t len, int64_t *micros)
{
	size_t pos = 0;
	int64_t t, off;
	if (parse_time_part(s, len, &pos, &t) || parse_offset_part(s, len, &pos, &off) || pos != len)
		return -1;
	const int64_t day = INT64_C(86400000000);
	t = ((t - off * 1000000) % day + day) % day;
	*micros = t;
	return 0;
}

static int parse_iso_timestamp(const char *s, size_t len, int64_t *micros)
{
	size_t pos = 0;
	int64_t days, t = 0, off = 0;
	if (parse_date_part(s, len, &pos, &days))
		return -1;
	if (pos < len) {
		if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
			return -1;
		pos++;
		if (parse_time_part(s, len, &pos, &t) || parse_offset_part(s, len, &pos, &off))
			return -1;
	}
	if (pos != len)
		return -1;
	if (days > INT64_MAX / INT64_C(86400000000) - 1 || days < INT64_MIN / INT64_C(86400000000) + 1)
		return -1;
	*micros = days * INT64_C(86400000000) + t - off * 1000000;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Parameter shapes: the DuckDB type a JSON value is bound as                */
/* ------------------------------------------------------------------------ */

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

static void shape_clear(struct shape *sh)
{
	if (sh->elem) {
		shape_clear(sh->elem);
		mx_free(sh->elem);
	}
	for (size_t i = 0; i < sh->nfields; i++) {
		shape_clear(sh->fields[i]);
		mx_free(sh->fields[i]);
		mx_free(sh->names[i]);
	}
	mx_free(sh->fields);
	mx_free(sh->names);
	if (sh->lt)
		duckdb_destroy_logical_type(&sh->lt);
	memset(sh, 0, sizeof *sh);
}

static struct shape *shape_new(enum shape_kind kind)
{
	struct shape *sh = mx_calloc(1, sizeof *sh);
	if (sh)
		sh->kind = kind;
	return sh;
}

static struct shape *shape_field(struct shape *sh, const char *name, size_t namelen, int create)
{
	for (size_t i = 0; i < sh->nfields; i++) {
		if (strlen(sh->names[i]) == namelen && memcmp(sh->names[i], name, namelen) == 0)
			return sh->fields[i];
	}
	if (!create)
		return NULL;
	if (sh->nfields == sh->capfields) {
		size_t cap = sh->capfields ? sh->capfields * 2 : 4;
		char **names = mx_realloc(sh->names, cap * sizeof *names);
		if (names == NULL)
			return NULL;
		sh->names = names;
		struct shape **fields = mx_realloc(sh->fields, cap * sizeof *fields);
		if (fields == NULL)
			return NULL;
		sh->fields = fields;
		sh->capfields = cap;
	}
	char *n = mx_strndup(name, namelen);
	struct shape *f = shape_new(SH_NULL);
	if (n == NULL || f == NULL) {
		mx_free(n);
		mx_free(f);
		return NULL;
	}
	sh->names[sh->nfields] = n;
	sh->fields[sh->nfields++] = f;
	return f;
}

/* The declared type's shape; NULL type → SH_NULL (infer from values). */
static int shape_from_type(const struct mx_type *t, struct shape *sh)
{
	memset(sh, 0, sizeof *sh);
	if (t == NULL)
		return 0;
	switch (t->kind) {
	case MX_T_STRING:
		sh->kind = t->format == MX_FMT_DATE                                         ? SH_DATE
		           : t->format == MX_FMT_TIME                                       ? SH_TIME
		           : t->format == MX_FMT_DATE_TIME || t->format == MX_FMT_TIMESTAMP ? SH_TIMESTAMP
		                                                                            : SH_TEXT;
		return 0;
	case MX_T_INTEGER: sh->kind = SH_INT; return 0;
	case MX_T_NUMBER: sh->kind = SH_REAL; return 0;
	case MX_T_BOOLEAN: sh->kind = SH_BOOL; return 0;
	case MX_T_ARRAY:
		sh->kind = SH_LIST;
		if ((sh->elem = shape_new(SH_NULL)) == NULL)
			return MX_ENOMEM;
		return shape_from_type(t->items, sh->elem);
	case MX_T_OBJECT:
		sh->kind = SH_STRUCT;
		for (size_t i = 0; i < t->nproperties; i++) {
			const char *name = t->properties[i].name;
			struct shape *f = shape_field(sh, name, strlen(name), 1);
			if (f == NULL)
				return MX_ENOMEM;
			int rc = shape_from_type(t->properties[i].type, f);
			if (rc)
				return rc;
		}
		return 0;
	}
	return 0;
}

static int json_is_integral_real(const json_t *v)
{
	double d = json_real_value(v);
	return isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/* Widen sh so that v can be bound as it; conflicts become SH_TEXT. */
static int shape_add(struct shape *sh, const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (sh->kind == SH_NULL) {
		if (json_is_boolean(v))
			sh->kind = SH_BOOL;
		else if (json_is_integer(v))
			sh->kind = SH_INT;
		else if (json_is_real(v))
			sh->kind = SH_REAL;
		else if (json_is_string(v))
			sh->kind = SH_TEXT;
		else if (json_is_array(v)) {
			sh->kind = SH_LIST;
			if ((sh->elem = shape_new(SH_NULL)) == NULL)
				return MX_ENOMEM;
		} else if (json_is_object(v))
			sh->kind = SH_STRUCT;
	}
	int fits;
	switch (sh->kind) {
	case SH_BOOL: fits = json_is_boolean(v); break;
	case SH_INT:
		if (json_is_real(v) && !json_is_integral_real(v))
			sh->kind = SH_REAL;
		fits = json_is_number(v);
		break;
	case SH_REAL: fits = json_is_number(v); break;
	case SH_DATE:
	case SH_TIME:
	case SH_TIMESTAMP: fits = json_is_string(v); break;
	case SH_LIST:
		fits = json_is_array(v);
		if (fits) {
			size_t i;
			json_t *item;
			json_array_foreach (v, i, item) {
				int rc = shape_add(sh->elem, item);
				if (rc)
					return rc;
			}
		}
		break;
	case SH_STRUCT:
		fits = json_is_object(v);
		if (fits) {
			const char *key;
			json_t *item;
			json_object_foreach ((json_t *)v, key, item) {
				struct shape *f = shape_field(sh, key, strlen(key), 1);
				if (f == NULL)
					return MX_ENOMEM;
				int rc = shape_add(f, item);
				if (rc)
					return rc;
			}
		}
		break;
	default: fits = 1; break;
	}
	if (!fits) {
		shape_clear(sh);
		sh->kind = SH_TEXT;
	}
	return 0;
}

static duckdb_logical_type shape_type(struct shape *sh);

static duckdb_logical_type make_shape_type(struct shape *sh)
{
	switch (sh->kind) {
	case SH_NULL: return duckdb_create_logical_type(DUCKDB_TYPE_SQLNULL);
	case SH_BOOL: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
	case SH_INT: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
	case SH_REAL: return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
	case SH_TEXT: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	case SH_DATE: return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
	case SH_TIME: return duckdb_create_logical_type(DUCKDB_TYPE_TIME);
	case SH_TIMESTAMP: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
	case SH_LIST: {
		duckdb_logical_type child = shape_type(sh->elem);
		return child ? duckdb_create_list_type(child) : NULL;
	}
	case SH_STRUCT: {
		if (sh->nfields == 0) {
			/* DuckDB has no empty STRUCT: {} binds as an empty MAP. */
			duckdb_logical_type k = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
			duckdb_logical_type m = duckdb_create_map_type(k, k);
			duckdb_destroy_logical_type(&k);
			return m;
		}
		duckdb_logical_type *types = mx_calloc(sh->nfields, sizeof *types);
		if (types == NULL)
			return NULL;
		for (size_t i = 0; i < sh->nfields; i++) {
			if ((types[i] = shape_type(sh->fields[i])) == NULL) {
				mx_free(types);
				return NULL;
			}
		}
		duckdb_logical_type t =
		        duckdb_create_struct_type(types, (const char **)sh->names, (idx_t)sh->nfields);
		mx_free(types);
		return t;
	}
	}
	return NULL;
}

/* The shape's logical type, built once and owned by the shape. */
static duckdb_logical_type shape_type(struct shape *sh)
{
	if (sh->lt == NULL)
		sh->lt = make_shape_type(sh);
	return sh->lt;
}

/* ------------------------------------------------------------------------ */
/* Parameter values                                                          */
/* ------------------------------------------------------------------------ */

static int bad_value(struct mx_err *err, const struct mx_buf *path, const char *what, const json_t *v)
{
	return mx_err_set(err, MX_EINVAL, "Invalid %s for parameter '%s': '%s'", what, mx_buf_str(path),
	                  json_string_value(v));
}

static int make_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                      struct mx_err *err);

/* Back to the parent's path after a child ("[2]", ".name"). */
static void path_truncate(struct mx_buf *path, size_t len)
{
	if (path->p != NULL && len <= path->len) {
		path->len = len;
		path->p[len] = '\0';
	}
}

/* The text of a JSON value: strings as they are, numbers in their shortest
 * round-tripping form, containers as compact JSON. mx_free the result. */
static char *json_text(const json_t *v)
{
	char buf[40];
	switch (json_typeof(v)) {
	case JSON_STRING: return mx_strndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER: snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL:
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		break;
	case JSON_TRUE: return mx_strdup("true");
	case JSON_FALSE: return mx_strdup("false");
	case JSON_NULL: return mx_strdup("null");
	default: return mx_json_dumps(v, MX_JSON_COMPACT);
	}
	return mx_strdup(buf);
}

static int make_text_value(const json_t *v, duckdb_value *out, struct mx_err *err)
{
	if (json_is_string(v)) {
		*out = duckdb_create_varchar_length(json_string_value(v), json_string_length(v));
		return 0;
	}
	char *text = json_text(v);
	if (text == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	*out = duckdb_create_varchar(text);
	mx_free(text);
	return 0;
}

static int make_list_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                           struct mx_err *err)
{
	size_t n = json_array_size(v);
	duckdb_value *items = mx_calloc(n ? n : 1, sizeof *items);
	if (items == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	size_t base = path->len;
	for (size_t i = 0; i < n && rc == 0; i++) {
		mx_buf_printf(path, "[%zu]", i);
		rc = make_value(sh->elem, json_array_get(v, i), path, &items[i], err);
		path_truncate(path, base);
	}
	duckdb_logical_type et = rc == 0 ? shape_type(sh->elem) : NULL;
	if (rc == 0 && (et == NULL || (*out = duckdb_create_list_value(et, items, (idx_t)n)) == NULL))
		rc = mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s' as a list", mx_buf_str(path));
	for (size_t i = 0; i < n; i++) {
		if (items[i])
			duckdb_destroy_value(&items[i]);
	}
	mx_free(items);
	return rc;
}

static int make_struct_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                             struct mx_err *err)
{
	duckdb_logical_type t = shape_type(sh);
	if (t == NULL)
		return mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s' as a struct", mx_buf_str(path));
	if (sh->nfields == 0) {
		duckdb_value none[1] = {NULL};
		*out = duckdb_create_map_value(t, none, none, 0);
		return *out ? 0 : mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s'", mx_buf_str(path));
	}
	duckdb_value *vals = mx_calloc(sh->nfields, sizeof *vals);
	if (vals == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	size_t base = path->len;
	for (size_t i = 0; i < sh->nfields && rc == 0; i++) {
		mx_buf_printf(path, ".%s", sh->names[i]);
		rc = make_value(sh->fields[i], json_object_get(v, sh->names[i]), path, &vals[i], err);
		path_truncate(path, base);
	}
	if (rc == 0 && (*out = duckdb_create_struct_value(t, vals)) == NULL)
		rc = mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s' as a struct", mx_buf_str(path));
	for (size_t i = 0; i < sh->nfields; i++) {
		if (vals[i])
			duckdb_destroy_value(&vals[i]);
	}
	mx_free(vals);
	return rc;
}

static int make_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                      struct mx_err *err)
{
	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		*out = duckdb_create_null_value();
		return 0;
	}
	switch (sh->kind) {
	case SH_NULL: *out = duckdb_create_null_value(); break;
	case SH_BOOL: *out = duckdb_create_bool(json_is_true(v)); break;
	case SH_INT:
		*out = duckdb_create_int64(json_is_integer(v) ? (int64_t)json_integer_value(v)
		                                              : (int64_t)json_real_value(v));
		break;
	case SH_REAL: *out = duckdb_create_double(json_number_value(v)); break;
	case SH_TEXT: return make_text_value(v, out, err);
	case SH_DATE: {
		duckdb_date d;
		if (parse_iso_date(json_string_value(v), json_string_length(v), &d.days))
			return bad_value(err, path, "date (expected YYYY-MM-DD)", v);
		*out = duckdb_create_date(d);
		break;
	}
	case SH_TIME: {
		duckdb_time t;
		if (parse_iso_time(json_string_value(v), json_string_length(v), &t.micros))
			return bad_value(err, path, "time (expected HH:MM[:SS[.ffffff]])", v);
		*out = duckdb_create_time(t);
		break;
	}
	case SH_TIMESTAMP: {
		duckdb_timestamp ts;
		if (parse_iso_timestamp(json_string_value(v), json_string_length(v), &ts.micros))
			return bad_value(err, path, "date-time (expected ISO 8601)", v);
		*out = duckdb_create_timestamp(ts);
		break;
	}
	case SH_LIST: return make_list_value(sh, v, path, out, err);
	case SH_STRUCT: return make_struct_value(sh, v, path, out, err);
	}
	if (*out == NULL)
		return mx_err_set(err, MX_ENOMEM, "Cannot bind parameter '%s'", mx_buf_str(path));
	return 0;
}

static int bind_param(duckdb_prepared_statement st, idx_t idx, const struct mx_sql_param *p,
                      struct mx_err *err)
{
	if (p->value == NULL || json_is_null(p->value)) {
		if (duckdb_bind_null(st, idx) != DuckDBSuccess)
			return mx_err_set(err, MX_EDB, "Cannot bind parameter '%s'", p->name);
		return 0;
	}
	struct shape sh;
	struct mx_buf path;
	mx_buf_init(&path, MX_SQL_PATH_MAX);
	int rc = shape_from_type(p->type, &sh);
	if (rc == 0)
		rc = shape_add(&sh, p->value);
	if (rc != 0) {
		shape_clear(&sh);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	mx_buf_puts(&path, p->name);
	duckdb_value val = NULL;
	rc = make_value(&sh, p->value, &path, &val, err);
	if (rc == 0 && duckdb_bind_value(st, idx, val) != DuckDBSuccess) {
		const char *msg = duckdb_prepare_error(st);
		rc = mx_err_set(err, MX_EDB, "Cannot bind parameter '%s': %s", p->name, msg ? msg : "");
	}
	if (val)
		duckdb_destroy_value(&val);
	shape_clear(&sh);
	mx_buf_free(&path);
	return rc;
}

/* Bind every supplied parameter the statement uses; all of its parameters
 * must have a value. */
static int bind_params(duckdb_prepared_statement st, const struct mx_sql_param *params, size_t nparams,
                       struct mx_err *err)
{
	idx_t n = duckdb_nparams(st);
	if (n == 0)
		return 0;
	unsigned char *bound = mx_calloc((size_t)n + 1, 1);
	if (bound == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < nparams && rc == 0; i++) {
		idx_t idx;
		if (params[i].name == NULL ||
		    duckdb_bind_parameter_index(st, &idx, params[i].name) != DuckDBSuccess)
			continue; /* not used by this statement */
		if (idx == 0 || idx > n || bound[idx])
			continue;
		rc = bind_param(st, idx, &params[i], err);
		bound[idx] = 1;
	}
	if (rc == 0) {
		struct mx_buf missing;
		mx_buf_init(&missing, MX_ERR_MSG_MAX);
		for (idx_t i = 1; i <= n; i++) {
			if (bound[i])
				continue;
			const char *name = duckdb_parameter_name(st, i);
			mx_buf_printf(&missing, "%s%s", missing.len ? ", " : "", name ? name : "?");
			if (name)
				duckdb_free((void *)name);
		}
		if (missing.len)
			rc = mx_err_set(err, MX_EINVAL,
			                "Values were not provided for the following prepared statement "
			                "parameters: %s",
			                mx_buf_str(&missing));
		mx_buf_free(&missing);
	}
	mx_free(bound);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Result formatting                                                         */
/* ------------------------------------------------------------------------ */

static json_t *u128_json(mx_u128 v, int neg)
{
	if (!neg && v <= (mx_u128)INT64_MAX)
		return json_integer((json_int_t)v);
	if (neg && v <= (mx_u128)INT64_MAX + 1)
		return json_integer(v == (mx_u128)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)v);
	char buf[48];
	size_t i = sizeof buf;
	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	return json_string(buf + i);
}

static mx_i128 hugeint_value(duckdb_hugeint h)
{
	return (mx_i128)(((mx_u128)(uint64_t)h.upper << 64) | h.lower);
}

static json_t *i128_json(mx_i128 v)
{
	return v < 0 ? u128_json((mx_u128)0 - (mx_u128)v, 1) : u128_json((mx_u128)v, 0);
}

/* An exact decimal text for value/10^scale, then the nearest double. */
static json_t *decimal_json(mx_i128 v, unsigned scale)
{
	char digits[64];
	mx_u128 mag = v < 0 ? (mx_u128)0 - (mx_u128)v : (mx_u128)v;
	size_t nd = 0;
	do {
		digits[nd++] = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag);
	while (nd <= scale)
		digits[nd++] = '0';
	char text[80];
	size_t o = 0;
	if (v < 0)
		text[o++] = '-';
	for (size_t i = nd; i-- > 0;) {
		text[o++] = digits[i];
		if (i == scale && scale > 0)
			text[o++] = '.';
	}
	text[o] = '\0';
	return json_real(strtod(text, NULL));
}

static json_t *double_json(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

/* The float's shortest round-tripping decimal, read back as a double, so
 * 0.1f comes out as 0.1 and not 0.10000000149011612. */
static json_t *float_json(float f)
{
	if (!isfinite(f))
		return json_null();
	char buf[32];
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	return json_real(strtod(buf, NULL));
}

static size_t fmt_date(char *buf, size_t sz, int64_t days)
{
	int64_t y;
	int m, d;
	mx_civil_from_days(days, &y, &m, &d);
	int n = y < 0 ? snprintf(buf, sz, "-%04" PRId64 "-%02d-%02d", -y, m, d)
	              : snprintf(buf, sz, "%04" PRId64 "-%02d-%02d", y, m, d);
	return n < 0 ? 0 : (size_t)n;
}

/* HH:MM:SS plus a fraction: `frac` units of 10^-digits seconds. */
static size_t fmt_clock(char *buf, size_t sz, int64_t secs, int64_t frac, int digits)
{
	int n = snprintf(buf, sz, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
	                 (int)(secs % 60));
	if (n > 0 && frac != 0)
		n += snprintf(buf + n, sz - (size_t)n, ".%0*" PRId64, digits, frac);
	return n < 0 ? 0 : (size_t)n;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A timestamp in units of 10^-digits seconds (digits 0, 3, 6 or 9). */
static json_t *timestamp_json(int64_t v, int digits, int utc)
{
	if (v == INT64_MAX)
		return json_string("infinity");
	if (v == -INT64_MAX)
		return json_string("-infinity");
	int64_t per_sec = 1;
	for (int i = 0; i < digits; i++)
		per_sec *= 10;
	int64_t secs = floor_div(v, per_sec);
	int64_t frac = v - secs * per_sec;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	/* Microseconds as in every other timestamp; nanoseconds only when
	 * the value has them. */
	for (; digits < 6; digits++)
		frac *= 10;
	if (digits == 9 && frac % 1000 == 0) {
		frac /= 1000;
		digits = 6;
	}
	char buf[64];
	size_t n = fmt_date(buf, sizeof buf, days);
	buf[n++] = 'T';
	n += fmt_clock(buf + n, sizeof buf - n, sod, frac, digits);
	if (utc && n + 1 < sizeof buf) {
		buf[n++] = 'Z';
		buf[n] = '\0';
	}
	return json_string(buf);
}

static json_t *time_json(int64_t v, int digits)
{
	int64_t per_sec = digits == 9 ? 1000000000 : 1000000;
	int64_t secs = floor_div(v, per_sec);
	int64_t frac = v - secs * per_sec;
	if (digits == 9 && frac % 1000 == 0) {
		frac /= 1000;
		digits = 6;
	}
	char buf[48];
	fmt_clock(buf, sizeof buf, secs, frac, digits);
	return json_string(buf);
}

static json_t *time_tz_json(duckdb_time_tz v)
{
	duckdb_time_tz_struct s = duckdb_from_time_tz(v);
	char buf[64];
	int64_t secs = (int64_t)s.time.hour * 3600 + s.time.min * 60 + s.time.sec;
	size_t n = fmt_clock(buf, sizeof buf, secs, s.time.micros, 6);
	int32_t off = s.offset;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int m = snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", sign, (int)(off / 3600),
	                 (int)(off / 60 % 60));
	if (m > 0 && off % 60)
		snprintf(buf + n + (size_t)m, sizeof buf - n - (size_t)m, ":%02d", (int)(off % 60));
	return json_string(buf);
}

/* ISO 8601 duration with a sign per component (PostgreSQL's iso_8601 style). */
static json_t *interval_json(duckdb_interval iv)
{
	struct mx_buf b;
	mx_buf_init(&b, 128);
	mx_buf_putc(&b, 'P');
	int32_t years = iv.months / 12, months = iv.months % 12;
	if (years)
		mx_buf_printf(&b, "%" PRId32 "Y", years);
	if (months)
		mx_buf_printf(&b, "%" PRId32 "M", months);
	if (iv.days)
		mx_buf_printf(&b, "%" PRId32 "D", iv.days);
	int64_t us = iv.micros;
	if (us != 0) {
		int neg = us < 0;
		uint64_t mag = neg ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
		uint64_t hours = mag / UINT64_C(3600000000);
		uint64_t mins = mag / UINT64_C(60000000) % 60;
		uint64_t secs = mag / 1000000 % 60;
		uint64_t frac = mag % 1000000;
		const char *sg = neg ? "-" : "";
		mx_buf_putc(&b, 'T');
		if (hours)
			mx_buf_printf(&b, "%s%" PRIu64 "H", sg, hours);
		if (mins)
			mx_buf_printf(&b, "%s%" PRIu64 "M", sg, mins);
		if (secs || frac) {
			mx_buf_printf(&b, "%s%" PRIu64, sg, secs);
			if (frac) {
				char fb[8];
				snprintf(fb, sizeof fb, "%06" PRIu64, frac);
				size_t fl = 6;
				while (fl > 0 && fb[fl - 1] == '0')
					fl--;
				fb[fl] = '\0';
				mx_buf_printf(&b, ".%s", fb);
			}
			mx_buf_putc(&b, 'S');
		}
	}
	if (b.len == 1)
		mx_buf_puts(&b, "T0S");
	json_t *j = json_string(mx_buf_str(&b));
	mx_buf_free(&b);
	return j;
}

static json_t *uuid_json(duckdb_hugeint h)
{
	/* DuckDB stores a UUID as a hugeint with the top bit flipped, so that
	 * signed order is the UUID's byte order. */
	uint64_t hi = (uint64_t)h.upper ^ (UINT64_C(1) << 63);
	uint64_t lo = h.lower;
	char buf[40];
	snprintf(buf, sizeof buf, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
	         hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & UINT64_C(0xffffffffffff));
	return json_string(buf);
}

/* BIT: byte 0 holds the number of padding bits at the start of byte 1. */
static json_t *bit_json(const unsigned char *p, size_t n)
{
	if (n == 0)
		return json_string("");
	size_t pad = p[0];
	size_t nbits = (n - 1) * 8 - (pad < (n - 1) * 8 ? pad : (n - 1) * 8);
	char *out = mx_malloc(nbits + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < nbits; i++) {
		size_t b = i + pad;
		out[i] = (p[1 + b / 8] >> (7 - b % 8)) & 1 ? '1' : '0';
	}
	json_t *j = json_stringn(out, nbits);
	mx_free(out);
	return j;
}

/* BIGNUM: a 3-byte header (top bit set when non-negative), then the
 * magnitude big-endian; negative numbers store every byte inverted. */
static json_t *bignum_json(const unsigned char *p, size_t n)
{
	if (n < 4)
		return json_null();
	int neg = (p[0] & 0x80) == 0;
	size_t nb = n - 3;
	unsigned char *mag = mx_malloc(nb);
	char *dec = mx_malloc(nb * 3 + 3);
	if (mag == NULL || dec == NULL) {
		mx_free(mag);
		mx_free(dec);
		return NULL;
	}
	for (size_t i = 0; i < nb; i++)
		mag[i] = neg ? (unsigned char)~p[3 + i] : p[3 + i];
	/* Repeated division by 10 of the base-256 number. */
	size_t nd = 0, start = 0;
	while (start < nb && mag[start] == 0)
		start++;
	while (start < nb) {
		unsigned rem = 0;
		for (size_t i = start; i < nb; i++) {
			unsigned cur = rem * 256 + mag[i];
			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
		}
		dec[nd++] = (char)('0' + rem);
		while (start < nb && mag[start] == 0)
			start++;
	}
	if (nd == 0)
		dec[nd++] = '0';
	json_t *j;
	if (nd <= 18) {
		int64_t v = 0;
		for (size_t i = nd; i-- > 0;)
			v = v * 10 + (dec[i] - '0');
		j = json_integer(neg ? -v : v);
	} else {
		char *txt = mx_malloc(nd + 2);
		size_t o = 0;
		if (txt != NULL) {
			if (neg)
				txt[o++] = '-';
			for (size_t i = nd; i-- > 0;)
				txt[o++] = dec[i];
			txt[o] = '\0';
		}
		j = txt ? json_string(txt) : NULL;
		mx_free(txt);
	}
	mx_free(mag);
	mx_free(dec);
	return j;
}

/* ------------------------------------------------------------------------ */
/* Result conversion                                                         */
/* ------------------------------------------------------------------------ */

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

struct conv_ctx {
	const char *column;
	size_t bytes;
	struct mx_err *err;
};

static void conv_free(struct conv *cv)
{
	for (size_t i = 0; i < cv->nchildren; i++)
		conv_free(&cv->children[i]);
	mx_free(cv->children);
	if (cv->names) {
		for (size_t i = 0; i < cv->nchildren; i++) {
			if (cv->names[i])
				duckdb_free(cv->names[i]);
		}
		mx_free(cv->names);
	}
	if (cv->labels) {
		for (size_t i = 0; i < cv->nlabels; i++) {
			if (cv->labels[i])
				duckdb_free(cv->labels[i]);
		}
		mx_free(cv->labels);
	}
	memset(cv, 0, sizeof *cv);
}

static int conv_build(struct conv *cv, duckdb_logical_type lt);

static int conv_children(struct conv *cv, size_t n, int named)
{
	cv->children = mx_calloc(n ? n : 1, sizeof *cv->children);
	if (cv->children == NULL)
		return MX_ENOMEM;
	cv->nchildren = n;
	if (named && (cv->names = mx_calloc(n ? n : 1, sizeof *cv->names)) == NULL)
		return MX_ENOMEM;
	return 0;
}

static int conv_child(struct conv *cv, size_t i, duckdb_logical_type child)
{
	if (child == NULL)
		return MX_ENOMEM;
	int rc = conv_build(&cv->children[i], child);
	duckdb_destroy_logical_type(&child);
	return rc;
}

static int conv_build(struct conv *cv, duckdb_logical_type lt)
{
	memset(cv, 0, sizeof *cv);
	cv->id = duckdb_get_type_id(lt);
	int rc = 0;
	switch (cv->id) {
	case DUCKDB_TYPE_VARCHAR: {
		char *alias = duckdb_logical_type_get_alias(lt);
		if (alias) {
			cv->is_json = strcmp(alias, "JSON") == 0;
			duckdb_free(alias);
		}
		break;
	}
	case DUCKDB_TYPE_DECIMAL:
		cv->internal = duckdb_decimal_internal_type(lt);
		cv->scale = duckdb_decimal_scale(lt);
		break;
	case DUCKDB_TYPE_ENUM:
		cv->internal = duckdb_enum_internal_type(lt);
		cv->nlabels = duckdb_enum_dictionary_size(lt);
		if ((cv->labels = mx_calloc(cv->nlabels ? cv->nlabels : 1, sizeof *cv->labels)) == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < cv->nlabels; i++)
			cv->labels[i] = duckdb_enum_dictionary_value(lt, i);
		break;
	case DUCKDB_TYPE_LIST:
		if ((rc = conv_children(cv, 1, 0)) == 0)
			rc = conv_child(cv, 0, duckdb_list_type_child_type(lt));
		break;
	case DUCKDB_TYPE_ARRAY:
		cv->array_size = duckdb_array_type_array_size(lt);
		if ((rc = conv_children(cv, 1, 0)) == 0)
			rc = conv_child(cv, 0, duckdb_array_type_child_type(lt));
		break;
	case DUCKDB_TYPE_MAP:
		if ((rc = conv_children(cv, 2, 0)) == 0)
			rc = conv_child(cv, 0, duckdb_map_type_key_type(lt));
		if (rc == 0)
			rc = conv_child(cv, 1, duckdb_map_type_value_type(lt));
		break;
	case DUCKDB_TYPE_STRUCT: {
		size_t n = duckdb_struct_type_child_count(lt);
		if ((rc = conv_children(cv, n, 1)) != 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			cv->names[i] = duckdb_struct_type_child_name(lt, i);
			rc = conv_child(cv, i, duckdb_struct_type_child_type(lt, i));
		}
		break;
	}
	case DUCKDB_TYPE_UNION: {
		size_t n = duckdb_union_type_member_count(lt);
		if ((rc = conv_children(cv, n, 1)) != 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			cv->names[i] = duckdb_union_type_member_name(lt, i);
			rc = conv_child(cv, i, duckdb_union_type_member_type(lt, i));
		}
		break;
	}
	default: break;
	}
	return rc;
}

static json_t *string_json(struct conv_ctx *cx, const struct conv *cv, duckdb_string_t *s)
{
	uint32_t len = duckdb_string_t_length(*s);
	const char *p = duckdb_string_t_data(s);
	cx->bytes += len;
	switch (cv->id) {
	case DUCKDB_TYPE_BLOB: cx->bytes += len / 3 + 4; return mx_base64_json(p, len);
	case DUCKDB_TYPE_BIT: cx->bytes += len * 7; return bit_json((const unsigned char *)p, len);
	case DUCKDB_TYPE_BIGNUM: return bignum_json((const unsigned char *)p, len);
	default: break;
	}
	if (cv->is_json) {
		json_t *j = json_loadb(p, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (j != NULL)
			return j;
	}
	return json_stringn(p, len);
}

static int conv_value(struct conv_ctx *cx, const struct conv *cv, duckdb_vector vec, idx_t row, json_t **out);

static int conv_error(struct conv_ctx *cx, const char *what)
{
	return mx_err_set(cx->err, MX_EDB, "Cannot convert column '%s': %s", cx->column, what);
}

static int conv_nested(struct conv_ctx *cx, const struct conv *cv, duckdb_vector vec, idx_t row, json_t **out)
{
	int rc = 0;
	switch (cv->id) {
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY: {
		idx_t off, len;
		duckdb_vector child;
		if (cv->id == DUCKDB_TYPE_LIST) {
			duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
			off = e.offset;
			len = e.length;
			child = duckdb_list_vector_get_child(vec);
		} else {
			off = row * cv->array_size;
			len = cv->array_size;
			child = duckdb_array_vector_get_child(vec);
		}
		json_t *arr = json_array();
		if (arr == NULL)
			return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		for (idx_t i = 0; i < len && rc == 0; i++) {
			json_t *item;
			if ((rc = conv_value(cx, &cv->children[0], child, off + i, &item)) == 0 &&
			    json_array_append_new(arr, item) != 0)
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		}
		*out = arr;
		break;
	}
	case DUCKDB_TYPE_STRUCT: {
		json_t *obj = json_object();
		if (obj == NULL)
			return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		for (size_t i = 0; i < cv->nchildren && rc == 0; i++) {
			json_t *item;
			duckdb_vector child = duckdb_struct_vector_get_child(vec, i);
			if ((rc = conv_value(cx, &cv->children[i], child, row, &item)) == 0 &&
			    json_object_set_new(obj, cv->names[i] ? cv->names[i] : "", item) != 0)
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		}
		*out = obj;
		break;
	}
	case DUCKDB_TYPE_MAP: {
		duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
		duckdb_vector entries = duckdb_list_vector_get_child(vec);
		duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
		duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
		json_t *obj = json_object();
		if (obj == NULL)
			return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		for (idx_t i = 0; i < e.length && rc == 0; i++) {
			json_t *k = NULL, *v = NULL;
			if ((rc = conv_value(cx, &cv->children[0], keys, e.offset + i, &k)) == 0)
				rc = conv_value(cx, &cv->children[1], vals, e.offset + i, &v);
			char *ktext = rc == 0 ? json_text(k) : NULL;
			if (rc != 0)
				json_decref(v);
			else if (ktext == NULL) {
				json_decref(v);
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
			} else if (json_object_set_new(obj, ktext, v) != 0)
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
			mx_free(ktext);
			json_decref(k);
		}
		*out = obj;
		break;
	}
	case DUCKDB_TYPE_UNION: {
		duckdb_vector tags = duckdb_struct_vector_get_child(vec, 0);
		uint8_t tag = ((uint8_t *)duckdb_vector_get_data(tags))[row];
		if (tag >= cv->nchildren)
			return conv_error(cx, "bad UNION tag");
		duckdb_vector member = duckdb_struct_vector_get_child(vec, (idx_t)tag + 1);
		return conv_value(cx, &cv->children[tag], member, row, out);
	}
	default: return conv_error(cx, "unexpected nested type");
	}
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int conv_value(struct conv_ctx *cx, const struct conv *cv, duckdb_vector vec, idx_t row, json_t **out)
{
	*out = NULL;
	uint64_t *validity = duckdb_vector_get_validity(vec);
	cx->bytes += 8;
	if (!duckdb_validity_row_is_valid(validity, row) || cv->id == DUCKDB_TYPE_SQLNULL) {
		*out = json_null();
		return 0;
	}
	void *data = duckdb_vector_get_data(vec);
	json_t *j = NULL;
	switch (cv->id) {
	case DUCKDB_TYPE_BOOLEAN: j = json_boolean(((bool *)data)[row]); break;
	case DUCKDB_TYPE_TINYINT: j = json_integer(((int8_t *)data)[row]); break;
	case DUCKDB_TYPE_SMALLINT: j = json_integer(((int16_t *)data)[row]); break;
	case DUCKDB_TYPE_INTEGER: j = json_integer(((int32_t *)data)[row]); break;
	case DUCKDB_TYPE_BIGINT: j = json_integer(((int64_t *)data)[row]); break;
	case DUCKDB_TYPE_UTINYINT: j = json_integer(((uint8_t *)data)[row]); break;
	case DUCKDB_TYPE_USMALLINT: j = json_integer(((uint16_t *)data)[row]); break;
	case DUCKDB_TYPE_UINTEGER: j = json_integer(((uint32_t *)data)[row]); break;
	case DUCKDB_TYPE_UBIGINT: j = u128_json(((uint64_t *)data)[row], 0); break;
	case DUCKDB_TYPE_HUGEINT: j = i128_json(hugeint_value(((duckdb_hugeint *)data)[row])); break;
	case DUCKDB_TYPE_UHUGEINT: {
		duckdb_uhugeint u = ((duckdb_uhugeint *)data)[row];
		j = u128_json(((mx_u128)u.upper << 64) | u.lower, 0);
		break;
	}
	case DUCKDB_TYPE_FLOAT: j = float_json(((float *)data)[row]); break;
	case DUCKDB_TYPE_DOUBLE: j = double_json(((double *)data)[row]); break;
	case DUCKDB_TYPE_DECIMAL: {
		mx_i128 v;
		switch (cv->internal) {
		case DUCKDB_TYPE_SMALLINT: v = ((int16_t *)data)[row]; break;
		case DUCKDB_TYPE_INTEGER: v = ((int32_t *)data)[row]; break;
		case DUCKDB_TYPE_BIGINT: v = ((int64_t *)data)[row]; break;
		case DUCKDB_TYPE_HUGEINT: v = hugeint_value(((duckdb_hugeint *)data)[row]); break;
		default: return conv_error(cx, "unsupported DECIMAL storage");
		}
		j = decimal_json(v, cv->scale);
		break;
	}
	case DUCKDB_TYPE_VARCHAR:
	case DUCKDB_TYPE_BLOB:
	case DUCKDB_TYPE_BIT:
	case DUCKDB_TYPE_BIGNUM:
		j = string_json(cx, cv, &((duckdb_string_t *)data)[row]);
		if (j == NULL)
			return conv_error(cx, "text is not valid UTF-8");
		break;
	case DUCKDB_TYPE_DATE: {
		duckdb_date d = ((duckdb_date *)data)[row];
		if (!duckdb_is_finite_date(d)) {
			j = json_string(d.days > 0 ? "infinity" : "-infinity");
		} else {
			char buf[32];
			fmt_date(buf, sizeof buf, d.days);
			j = json_string(buf);
		}
		break;
	}
	case DUCKDB_TYPE_TIME: j = time_json(((duckdb_time *)data)[row].micros, 6); break;
	case DUCKDB_TYPE_TIME_NS: j = time_json(((duckdb_time_ns *)data)[row].nanos, 9); break;
	case DUCKDB_TYPE_TIME_TZ: j = time_tz_json(((duckdb_time_tz *)data)[row]); break;
	case DUCKDB_TYPE_TIMESTAMP: j = timestamp_json(((duckdb_timestamp *)data)[row].micros, 6, 0); break;
	case DUCKDB_TYPE_TIMESTAMP_TZ:
		j = timestamp_json(((duckdb_timestamp *)data)[row].micros, 6, 1);
		break;
	case DUCKDB_TYPE_TIMESTAMP_S:
		j = timestamp_json(((duckdb_timestamp_s *)data)[row].seconds, 0, 0);
		break;
	case DUCKDB_TYPE_TIMESTAMP_MS:
		j = timestamp_json(((duckdb_timestamp_ms *)data)[row].millis, 3, 0);
		break;
	case DUCKDB_TYPE_TIMESTAMP_NS:
		j = timestamp_json(((duckdb_timestamp_ns *)data)[row].nanos, 9, 0);
		break;
	case DUCKDB_TYPE_INTERVAL: j = interval_json(((duckdb_interval *)data)[row]); break;
	case DUCKDB_TYPE_UUID: j = uuid_json(((duckdb_hugeint *)data)[row]); break;
	case DUCKDB_TYPE_ENUM: {
		uint64_t idx;
		switch (cv->internal) {
		case DUCKDB_TYPE_UTINYINT: idx = ((uint8_t *)data)[row]; break;
		case DUCKDB_TYPE_USMALLINT: idx = ((uint16_t *)data)[row]; break;
		case DUCKDB_TYPE_UINTEGER: idx = ((uint32_t *)data)[row]; break;
		default: return conv_error(cx, "unsupported ENUM storage");
		}
		if (idx >= cv->nlabels || cv->labels[idx] == NULL)
			return conv_error(cx, "ENUM index out of range");
		cx->bytes += strlen(cv->labels[idx]);
		j = json_string(cv->labels[idx]);
		break;
	}
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY:
	case DUCKDB_TYPE_STRUCT:
	case DUCKDB_TYPE_MAP:
	case DUCKDB_TYPE_UNION: return conv_nested(cx, cv, vec, row, out);
	default: {
		/* DuckDB's C API reports types it does not describe (TIME_NS,
		 * VARIANT in 1.4) as INVALID. */
		char what[128];
		snprintf(what, sizeof what,
		         "DuckDB type %d is not supported; cast it in SQL (e.g. ::VARCHAR)", (int)cv->id);
		return conv_error(cx, what);
	}
	}
	if (j == NULL)
		return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
	*out = j;
	return 0;
}

/* Read every chunk of res into a JSON array of row objects. */
static int result_rows(struct mx_dbconn *c, duckdb_result *res, json_t **rows, struct mx_err *err)
{
	idx_t ncols = duckdb_column_count(res);
	struct conv *convs = mx_calloc(ncols ? ncols : 1, sizeof *convs);
	json_t **keys = mx_calloc(ncols ? ncols : 1, sizeof *keys);
	json_t *arr = json_array();
	int rc = 0;
	if (convs == NULL || keys == NULL || arr == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	for (idx_t i = 0; i < ncols && rc == 0; i++) {
		duckdb_logical_type lt = duckdb_column_logical_type(res, i);
		if (lt == NULL || conv_build(&convs[i], lt) != 0)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		if (lt)
			duckdb_destroy_logical_type(&lt);
		const char *name = duckdb_column_name(res, i);
		if (rc == 0 && (keys[i] = json_string(name ? name : "")) == NULL)
			rc = mx_err_set(err, MX_EDB, "Column name is not valid UTF-8");
	}
	struct conv_ctx cx = {.err = err};
	size_t nrows = 0;
	duckdb_data_chunk chunk = NULL;
	while (rc == 0 && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		if (n > c->max_rows - nrows) {
			rc = mx_err_set(err, MX_ELIMIT, "Query result exceeds the limit of %zu rows",
			                c->max_rows);
			break;
		}
		nrows += n;
		for (idx_t r = 0; r < n && rc == 0; r++) {
			json_t *row = json_object();
			if (row == NULL || json_array_append_new(arr, row) != 0) {
				rc = mx_err_set(err, MX_ENOMEM, "out of memory");
				break;
			}
			for (idx_t i = 0; i < ncols && rc == 0; i++) {
				json_t *v;
				cx.column = json_string_value(keys[i]);
				rc = conv_value(&cx, &convs[i], duckdb_data_chunk_get_vector(chunk, i), r,
				                &v);
				if (rc == 0 && json_object_set_new_nocheck(row, cx.column, v) != 0)
					rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			}
			if (rc == 0 && cx.bytes > c->max_bytes)
				rc = mx_err_set(err, MX_ELIMIT, "Query result exceeds the limit of %zu bytes",
				                c->max_bytes);
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	if (chunk)
		duckdb_destroy_data_chunk(&chunk);
	for (idx_t i = 0; i < ncols; i++) {
		if (convs)
			conv_free(&convs[i]);
		if (keys)
			json_decref(keys[i]);
	}
	mx_free(convs);
	mx_free(keys);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	*rows = arr;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Parameter type hints, recycling, and the statement lookup                */
/* ------------------------------------------------------------------------ */
/*
 * DuckDB cannot type a parameter that nothing in the statement constrains
 * (`SELECT $n + 1`, `'Hello, ' || $name`): it leaves the type open at
 * prepare and binds the whole statement again — binder, planner, optimizer —
 * on every execution, which costs 2.5× the execution of the same statement
 * written `$n::BIGINT` (measured on a one-row SELECT). The endpoint has
 * declared the type, and bind_param binds exactly one DuckDB type for each
 * scalar declaration, so such a statement is prepared once more with those
 * parameters written CAST($n AS <that type>): the type DuckDB would have
 * taken from the bound value, known at prepare time. The hinted statement is
 * kept only when it prepares, leaves no parameter untyped, and yields the
 * same result columns; otherwise the original is used as before.
 */

/* The one DuckDB type bind_param binds a value of declared scalar type t
 * as (its shape, shape_from_type), or NULL. (Lists are left alone: DuckDB
 * re-binds a statement with a list parameter even when its type is given.) */
static const char *hint_type(const struct mx_type *t)
{
	if (t == NULL || t->kind == MX_T_ARRAY || t->kind == MX_T_OBJECT)
		return NULL;
	struct shape sh;
	shape_from_type(t, &sh); /* a scalar: nothing allocated */
	switch (sh.kind) {
	case SH_BOOL: return "BOOLEAN";
	case SH_INT: return "BIGINT";
	case SH_REAL: return "DOUBLE";
	case SH_TEXT: return "VARCHAR";
	case SH_DATE: return "DATE";
	case SH_TIME: return "TIME";
	case SH_TIMESTAMP: return "TIMESTAMP";
	default: return NULL;
	}
}

/* "name=TYPE;…" for every supplied parameter with a hint, in sig (cap
 * bytes); "" when there is none or they do not fit. */
static void hint_signature(const struct mx_sql_param *params, size_t nparams, char *sig, size_t cap)
{
	size_t len = 0;
	sig[0] = '\0';
	for (size_t i = 0; i < nparams; i++) {
		const char *type = hint_type(params[i].type);
		if (type == NULL || params[i].name == NULL)
			continue;
		int n = snprintf(sig + len, cap - len, "%s=%s;", params[i].name, type);
		if (n < 0 || (size_t)n >= cap - len) {
			sig[0] = '\0';
			return;
		}
		len += (size_t)n;
	}
}

static const struct mx_sql_param *find_param(const struct mx_sql_param *params, size_t nparams,
                                             const char *name)
{
	for (size_t i = 0; i < nparams; i++) {
		if (params[i].name != NULL && strcmp(params[i].name, name) == 0)
			return &params[i];
	}
	return NULL;
}

static int ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '$' || (unsigned char)ch >= 0x80;
}

/* Length of the quoted or commented span at s[i] (0 when none starts there):
 * '…' (with '' inside), E'…' (with backslash escapes), "…", $tag$…$tag$,
 * -- to end of line, nested block comments. An unterminated span runs to the
 * end (DuckDB will reject the statement anyway). */
static size_t skip_span(const char *s, size_t len, size_t i)
{
	size_t j;
	char ch = s[i];
	if (ch == '\'' || ch == '"' ||
	    ((ch == 'e' || ch == 'E') && i + 1 < len && s[i + 1] == '\'' &&
	     (i == 0 || !ident_char(s[i - 1])))) {
		int backslash = ch != '\'' && ch != '"';
		char q = backslash ? '\'' : ch;
		for (j = i + 1 + (size_t)backslash; j < len; j++) {
			if (backslash && s[j] == '\\' && j + 1 < len) {
				j++;
			} else if (s[j] == q) {
				if (j + 1 < len && s[j + 1] == q)
					j++;
				else
					return j + 1 - i;
			}
		}
		return len - i;
	}
	if (ch == '-' && i + 1 < len && s[i + 1] == '-') {
		for (j = i; j < len && s[j] != '\n'; j++)
			;
		return j - i;
	}
	if (ch == '/' && i + 1 < len && s[i + 1] == '*') {
		int depth = 0;
		for (j = i; j + 1 < len; j++) {
			if (s[j] == '/' && s[j + 1] == '*')
				depth++, j++;
			else if (s[j] == '*' && s[j + 1] == '/' && --depth == 0)
				return j + 2 - i;
			else if (s[j] == '*' && s[j + 1] == '/')
				j++;
		}
		return len - i;
	}
	if (ch == '$' && (i == 0 || !ident_char(s[i - 1]))) {
		/* $$…$$ or $tag$…$tag$; a tag does not start with a digit */
		for (j = i + 1; j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'); j++)
			;
		if (j >= len || s[j] != '$' || (j > i + 1 && isdigit((unsigned char)s[i + 1])))
			return 0;
		size_t taglen = j + 1 - i;
		for (size_t k = j + 1; k + taglen <= len; k++) {
			if (memcmp(s + k, s + i, taglen) == 0)
				return k + taglen - i;
		}
		return len - i;
	}
	return 0;
}

/* sql with each use of an untyped parameter of st written
 * CAST($name AS <hint>); NULL when one has no hint (or out of memory). */
static char *hinted_sql(const char *sql, duckdb_prepared_statement st, const struct mx_sql_param *params,
                        size_t nparams)
{
	idx_t np = duckdb_nparams(st);
	int untyped = 0;
	for (idx_t i = 1; i <= np; i++) {
		if (duckdb_param_type(st, i) != DUCKDB_TYPE_INVALID)
			continue;
		const char *name = duckdb_parameter_name(st, i);
		const struct mx_sql_param *p = name ? find_param(params, nparams, name) : NULL;
		if (name)
			duckdb_free((void *)name);
		if (p == NULL || hint_type(p->type) == NULL)
			return NULL;
		untyped = 1;
	}
	if (!untyped)
		return NULL;
	struct mx_buf out;
	mx_buf_init(&out, MX_BUF_UNBOUNDED);
	size_t len = strlen(sql), i = 0;
	int rc = 0;
	while (i < len && rc == 0) {
		size_t span = skip_span(sql, len, i);
		if (span > 0) {
			rc = mx_buf_append(&out, sql + i, span);
			i += span;
			continue;
		}
		if (sql[i] == '$' && (i == 0 || !ident_char(sql[i - 1])) && i + 1 < len &&
		    (isalpha((unsigned char)sql[i + 1]) || sql[i + 1] == '_')) {
			size_t j = i + 1;
			while (j < len && (isalnum((unsigned char)sql[j]) || sql[j] == '_'))
				j++;
			char name[128];
			const struct mx_sql_param *p = NULL;
			if (j - i - 1 < sizeof name) {
				memcpy(name, sql + i + 1, j - i - 1);
				name[j - i - 1] = '\0';
				p = find_param(params, nparams, name);
			}
			const char *type = p ? hint_type(p->type) : NULL;
			if (type != NULL)
				rc = mx_buf_printf(&out, "CAST($%s AS %s)", name, type);
			else
				rc = mx_buf_append(&out, sql + i, j - i);
			i = j;
			continue;
		}
		rc = mx_buf_putc(&out, sql[i++]);
	}
	if (rc != 0) {
		mx_buf_free(&out);
		return NULL;
	}
	return mx_buf_detach(&out);
}

/* The hinted statement for e, when it prepares with every parameter typed
 * and names the result columns as res (the original's first result) does;
 * NULL otherwise. An untyped statement cannot tell its column names before
 * it is executed, so hints are tried after the first execution. */
static duckdb_prepared_statement hinted_statement(struct mx_dbconn *c, const struct stmt_entry *e,
                                                  const struct mx_sql_param *params, size_t nparams,
                                                  duckdb_result *res, char **text)
{
	*text = NULL;
	char *hinted = hinted_sql(e->sql, e->st, params, nparams);
	if (hinted == NULL)
		return NULL;
	duckdb_prepared_statement h = NULL;
	int ok = duckdb_prepare(c->conn, hinted, &h) == DuckDBSuccess &&
	         duckdb_nparams(h) == duckdb_nparams(e->st);
	for (idx_t i = 1; ok && i <= duckdb_nparams(h); i++)
		ok = duckdb_param_type(h, i) != DUCKDB_TYPE_INVALID;
	idx_t ncols = duckdb_column_count(res);
	ok = ok && duckdb_prepared_statement_column_count(h) == ncols;
	for (idx_t i = 0; ok && i < ncols; i++) {
		const char *x = duckdb_prepared_statement_column_name(h, i);
		const char *y = duckdb_column_name(res, i);
		ok = x != NULL && y != NULL && strcmp(x, y) == 0;
		if (x)
			duckdb_free((void *)x);
	}
	if (!ok) {
		mx_free(hinted);
		duckdb_destroy_prepare(&h);
		return NULL;
	}
	*text = hinted;
	return h;
}

/* Prepare e's statement afresh (see MX_SQL_STMT_RECYCLE); on failure the
 * entry is dropped and the next call prepares it the usual way. */
static void recycle(struct mx_dbconn *c, struct stmt_entry *e)
{
	duckdb_prepared_statement st = NULL;
	if (duckdb_prepare(c->conn, e->hinted_sql ? e->hinted_sql : e->sql, &st) != DuckDBSuccess) {
		duckdb_destroy_prepare(&st);
		cache_drop(c, e->st);
		return;
	}
	duckdb_destroy_prepare(&e->st);
	e->st = st;
	e->execs = 0;
	c->stats.recycled++;
}

/* The prepared statement for sql (exactly one statement), from the cache or
 * freshly prepared and cached. params (may be NULL) give the declared types
 * for hints. The statement stays owned by the cache. */
static int get_statement(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params,
                         size_t nparams, struct stmt_entry **out, struct mx_err *err)
{
	char sig[256];
	hint_signature(params, nparams, sig, sizeof sig);
	uint64_t hash = fnv1a(sql);
	struct stmt_entry *e = cache_find(c, sql, sig, hash);
	if (e != NULL) {
		e->last_used = ++c->clock;
		c->stats.cache_hits++;
		duckdb_clear_bindings(e->st);
		*out = e;
		return 0;
	}
	duckdb_extracted_statements ex = NULL;
	idx_t n = duckdb_extract_statements(c->conn, sql, &ex);
	int rc = 0;
	if (n != 1) {
		const char *msg = n == 0 ? duckdb_extract_statements_error(ex) : NULL;
		if (msg != NULL)
			rc = mx_err_set(err, MX_EDB, "%s", msg);
		else
			rc = mx_err_set(err, MX_EINVAL,
			                "SQL must contain exactly one statement, found %" PRIu64,
			                (uint64_t)n);
		duckdb_destroy_extracted(&ex);
		return rc;
	}
	duckdb_prepared_statement st = NULL;
	if (duckdb_prepare_extracted_statement(c->conn, ex, 0, &st) != DuckDBSuccess) {
		const char *msg = duckdb_prepare_error(st);
		rc = mx_err_set(err, MX_EDB, "%s", msg ? msg : "Cannot prepare statement");
		duckdb_destroy_prepare(&st);
		duckdb_destroy_extracted(&ex);
		return rc;
	}
	duckdb_destroy_extracted(&ex);
	c->stats.prepares++;
	if ((rc = cache_put(c, sql, sig, hash, st, out, err)) != 0)
		return rc;
	(*out)->hint_pending = sig[0] != '\0';
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

/* Run st into *res. With a helper, task by task on this thread for
 * MX_SQL_HELP_AFTER_NS (no other thread woken: a small query ends here), then
 * with lent threads until done. */
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

int mx_sql_query(struct mx_dbconn *c, const char *sql, const struct mx_sql_param *params, size_t nparams,
                 json_t **rows, struct mx_err *err)
{
	*rows = NULL;
	struct stmt_entry *e = NULL;
	int rc = get_statement(c, sql, params, nparams, &e, err);
	if (rc != 0)
		return rc;
	duckdb_prepared_statement st = e->st;
	if ((rc = bind_params(st, params, nparams, err)) != 0) {
		duckdb_clear_bindings(st);
		return rc;
	}
	duckdb_result res;
	if (execute(c, st, &res) != DuckDBSuccess) {
		const char *msg = duckdb_result_error(&res);
		int code = duckdb_result_error_type(&res) == DUCKDB_ERROR_INTERRUPT ? MX_ECANCELLED : MX_EDB;
		rc = mx_err_set(err, code, "%s", msg ? msg : "query failed");
		duckdb_destroy_result(&res);
		/* A statement that failed may be stale; prepare it afresh next time. */
		cache_drop(c, st);
		return rc;
	}
	duckdb_clear_bindings(st); /* release bound values now, not at the next call */
	rc = result_rows(c, &res, rows, err);
	duckdb_prepared_statement hinted = NULL;
	char *text = NULL;
	if (rc == 0 && e->hint_pending) {
		e->hint_pending = 0;
		hinted = hinted_statement(c, e, params, nparams, &res, &text);
	}
	duckdb_destroy_result(&res);
	if (hinted != NULL) {
		duckdb_destroy_prepare(&e->st);
		e->st = hinted;
		e->hinted_sql = text;
		e->execs = 0;
		c->stats.hinted++;
	} else if (++e->execs >= MX_SQL_STMT_RECYCLE) {
		recycle(c, e);
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mx_sql_check(struct mx_dbconn *c, const char *sql, json_t **names, struct mx_err *err)
{
	*names = NULL;
	struct stmt_entry *e = NULL;
	int rc = get_statement(c, sql, NULL, 0, &e, err);
	if (rc != 0)
		return rc;
	duckdb_prepared_statement st = e->st;
	idx_t n = duckdb_nparams(st);
	char **list = mx_calloc((size_t)n + 1, sizeof *list);
	json_t *arr = json_array();
	if (list == NULL || arr == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	size_t count = 0;
	for (idx_t i = 1; i <= n && rc == 0; i++) {
		const char *name = duckdb_parameter_name(st, i);
		if (name == NULL)
			continue;
		list[count] = mx_strdup(name);
		duckdb_free((void *)name);
		if (list[count] == NULL)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		else
			count++;
	}
	if (rc == 0) {
		qsort(list, count, sizeof *list, cmp_str);
		for (size_t i = 0; i < count && rc == 0; i++) {
			if (i > 0 && strcmp(list[i], list[i - 1]) == 0)
				continue;
			if (json_array_append_new(arr, json_string(list[i])) != 0)
				rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < count; i++)
		mx_free(list[i]);
	mx_free(list);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	*names = arr;
	return 0;
}

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
	if (duckdb_prepare_extracted_statement(c->conn, ex, i, st) == DuckDBSuccess)
		return 0;
	const char *msg = duckdb_prepare_error(*st);
	return mx_err_set(err, MX_EDB, "%s", msg ? msg : "Cannot prepare statement");
}

/* Run st; with want_rows, its rows into *rows. */
static int run_prepared(struct mx_dbconn *c, duckdb_prepared_statement st, const struct mx_sql_param *params,
                        size_t nparams, int want_rows, json_t **rows, struct mx_err *err)
{
	int rc = bind_params(st, params, nparams, err);
	if (rc != 0)
		return rc;
	duckdb_result res;
	if (execute(c, st, &res) != DuckDBSuccess) {
		const char *msg = duckdb_result_error(&res);
		rc = mx_err_set(err,
		                duckdb_result_error_type(&res) == DUCKDB_ERROR_INTERRUPT ? MX_ECANCELLED
		                                                                         : MX_EDB,
		                "%s", msg ? msg : "query failed");
	} else if (want_rows) {
		rc = result_rows(c, &res, rows, err);
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
