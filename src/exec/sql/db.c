/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db — the database of the process (struct mx_db): opening it (the file and
 * its folder, read-only, DuckDB's threads), the extensions it LOADs, the
 * user config's secrets as DuckDB secrets, DuckDB's file sandbox, and the
 * configuration lock.
 *
 * Runs on the thread that opens or reloads the server (startup, SIGHUP);
 * mx_db_lock_config may also come from an HTTP thread (/ready). Each step
 * takes a connection of its own for its statements and closes it.
 */
#include "exec/sql/sql_int.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/log.h"
#include "exec/udf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

int mx_db_offline(void)
{
	const char *v = getenv("MXCP_OFFLINE");
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0);
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
	/* As MXCP's DuckDB: known extensions install and load when a statement
	 * needs them, unless mxcp runs offline or in the SQL tools' sandbox. */
	const char *autoext = mx_db_offline() || sandboxed ? "false" : "true";
	const char *opts[][2] = {
	        {"autoinstall_known_extensions", autoext},
	        {"autoload_known_extensions", autoext},
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
	if (st != DuckDBSuccess && derr &&
	    (strstr(derr, "Could not set lock") || strstr(derr, "Conflicting lock"))) {
		/* DuckDB's text speaks of its own shell's -readonly; say what to
		 * do with mxcp. DuckDB's own words come last, minus that advice. */
		char *cut = strstr(derr, "However, you would be able");
		if (cut == NULL && (cut = strstr(derr, "-readonly")) != NULL)
			while (cut > derr && !(cut[-1] == ' ' && cut > derr + 1 && cut[-2] == '.'))
				cut--;
		if (cut) {
			while (cut > derr && cut[-1] == ' ')
				cut--;
			*cut = '\0';
		}
		int rc = mx_err_set(
		        err, MX_EDB,
		        "Cannot open DuckDB database '%s': another process holds it (a running `mxcp "
		        "serve`?). Stop it, or share the file read-only: start the server with "
		        "`mxcp serve --readonly` and run this command with --readonly (or "
		        "MXCP_READONLY=1); both must be read-only for both to open it. (DuckDB: %s)",
		        path, derr);
		duckdb_free(derr);
		return rc;
	}
	if (st != DuckDBSuccess) {
		int rc = mx_err_set(err, MX_EDB, "Cannot open DuckDB database '%s': %s", path,
		                    derr ? derr : "unknown error");
		if (derr)
			duckdb_free(derr);
		return rc;
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
	int rc = run_simple(db, conn, sql, &msg, &res) != 0
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
		char sql[200];
		snprintf(sql, sizeof sql, "LOAD %s", name);
		duckdb_result res;
		const char *msg = NULL;
		int loaded = run_simple(db, conn, sql, &msg, &res) == 0;
		if (!loaded && !db->sandboxed && !mx_db_offline()) {
			/* MXCP: INSTALL name [FROM repo]; LOAD name */
			duckdb_destroy_result(&res);
			snprintf(sql, sizeof sql, "INSTALL %s%s%s", name, ext[i].repo ? " FROM " : "",
			         ext[i].repo ? ext[i].repo : "");
			if (run_simple(db, conn, sql, &msg, &res) == 0) {
				duckdb_destroy_result(&res);
				snprintf(sql, sizeof sql, "LOAD %s", name);
				loaded = run_simple(db, conn, sql, &msg, &res) == 0;
			}
		}
		if (!loaded) {
			const char *file = ext[i].file ? ext[i].file : "";
			if (db->sandboxed)
				rc = mx_err_at(
				        err, MX_EDB, file, ext[i].line, ext[i].col,
				        "Extension '%s' cannot be loaded while the database runs in the "
				        "SQL tools' file sandbox (DuckDB loads no extension from disk once "
				        "external access is off); restart the server to load it",
				        name);
			else if (mx_db_offline())
				rc = mx_err_at(
				        err, MX_EDB, file, ext[i].line, ext[i].col,
				        "extensions: '%s' is not installed, and MXCP_OFFLINE keeps mxcp "
				        "from installing it; install it where the network is reachable "
				        "(mxcp query \"INSTALL %s\") or copy it into ~/.duckdb/extensions "
				        "(DuckDB: %s)",
				        name, name, msg ? msg : "unknown error");
			else
				rc = mx_err_at(err, MX_EDB, file, ext[i].line, ext[i].col,
				               "extensions: '%s' could not be installed and loaded: %s (set "
				               "MXCP_OFFLINE=1 on a server without network access, with the "
				               "extension installed beforehand)",
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
		if (rc == 0 && run_simple(db, conn, mx_buf_str(&b), &msg, &res) != 0)
			mx_debug("Could not drop secret '%s' in DuckDB: %s", db->secret_names[i],
			         msg ? msg : "");
		if (rc == 0)
			duckdb_destroy_result(&res);
		mx_buf_free(&b);
	}
	for (size_t i = 0; i < count && rc == 0; i++) {
		duckdb_result res;
		const char *msg = NULL;
		if (run_simple(db, conn, sql[i], &msg, &res) != 0)
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
	if (run_simple(db, conn, mx_buf_str(&b), &msg, &res) != 0)
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
	pthread_rwlock_init(&db->gate, NULL);
	db->readonly = readonly;
	db->readonly_requested = opt->readonly != 0;
	if ((rc = open_raw(path, readonly, opt->sandbox != NULL, &db->db, err)) != 0) {
		pthread_rwlock_destroy(&db->gate);
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
	pthread_rwlock_destroy(&db->gate);
	mx_free(db->path);
	mx_free(db);
}

int mx_db_config_locked(struct mx_db *db)
{
	return atomic_load(&db->locked);
}

int mx_db_gate_try_close(struct mx_db *db)
{
	return pthread_rwlock_trywrlock(&db->gate) == 0;
}

void mx_db_gate_open(struct mx_db *db)
{
	pthread_rwlock_unlock(&db->gate);
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
	if (run_simple(db, conn, "SET lock_configuration = true", &msg, &res) != 0)
		rc = mx_err_set(err, MX_EDB, "Cannot lock DuckDB's configuration: %s", msg ? msg : "");
	else
		atomic_store(&db->locked, 1);
	duckdb_destroy_result(&res);
	duckdb_disconnect(&conn);
	return rc;
}
