/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn — a worker's connection (struct mx_dbconn), its cache of prepared
 * statements, and the one-statement queries that use it (mx_sql_query,
 * mx_sql_check). The cache keeps a statement per SQL text (and type hints),
 * evicts the least recently used, prepares a statement DuckDB could not
 * type once more with the declared types (so that DuckDB need not bind it
 * again on every execution), recycles a statement after
 * MX_SQL_STMT_RECYCLE executions, and drops one whose execution failed.
 * mx_sql_query_values shares the lookup and the run with mx_sql_query; only
 * the binding (DuckDB values) and the reading of the result (chunks to a
 * callback) differ.
 *
 * A connection and its cache belong to the thread that uses it (its worker);
 * nothing here locks.
 */
#include "exec/sql/sql_int.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "exec/udf.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

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
	mx_dbconn_set_limits(c, 0, 0);
	/* DuckDB tracks query progress (mx_dbconn_progress) only with its
	 * progress bar on; the bar itself is never printed. These are
	 * per-connection settings DuckDB takes neither at open nor globally,
	 * so a connection made once the configuration is locked goes without. */
	duckdb_result res;
	const char *msg = NULL;
	int locked = atomic_load(&db->locked);
	if (!locked && run_simple(db, c->conn,
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

void mx_dbconn_parse_json(struct mx_dbconn *c, int on)
{
	c->parse_json = on;
}

struct mx_udf_slot *mx_dbconn_udf_slot(struct mx_dbconn *c)
{
	return c ? c->udf : NULL;
}

/* A result limit from the environment (a positive integer), else dflt. */
static size_t env_limit(const char *name, size_t dflt)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return dflt;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	return *end == '\0' && n > 0 && n <= SIZE_MAX ? (size_t)n : dflt;
}

void mx_dbconn_set_limits(struct mx_dbconn *c, size_t max_rows, size_t max_bytes)
{
	c->max_rows = max_rows ? max_rows : env_limit("MXCP_SQL_MAX_ROWS", MX_SQL_MAX_ROWS_DEFAULT);
	c->max_bytes = max_bytes ? max_bytes : env_limit("MXCP_SQL_MAX_BYTES", MX_SQL_MAX_BYTES_DEFAULT);
}

void mx_dbconn_get_stats(const struct mx_dbconn *c, struct mx_dbconn_stats *out)
{
	*out = c->stats;
	out->cached = c->ncache;
}

/* ------------------------------------------------------------------------ */
/* Prepared statement cache                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

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
 * as (its shape, mx_sql_shape_from_type), or NULL. (Lists are left alone: DuckDB
 * re-binds a statement with a list parameter even when its type is given.) */
static const char *hint_type(const struct mx_type *t)
{
	if (t == NULL || t->kind == MX_T_ARRAY || t->kind == MX_T_OBJECT)
		return NULL;
	struct shape sh;
	mx_sql_shape_from_type(t, &sh); /* a scalar: nothing allocated */
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
	conn_gate_enter(c);
	int ok = duckdb_prepare(c->conn, hinted, &h) == DuckDBSuccess;
	conn_gate_leave(c);
	ok = ok && duckdb_nparams(h) == duckdb_nparams(e->st);
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
	conn_gate_enter(c);
	int ok = duckdb_prepare(c->conn, e->hinted_sql ? e->hinted_sql : e->sql, &st) == DuckDBSuccess;
	conn_gate_leave(c);
	if (!ok) {
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
	conn_gate_enter(c);
	int ok = duckdb_prepare_extracted_statement(c->conn, ex, 0, &st) == DuckDBSuccess;
	conn_gate_leave(c);
	if (!ok) {
		const char *msg = duckdb_prepare_error(st);
		rc = mx_sql_db_error(err, MX_EDB, msg ? msg : "Cannot prepare statement");
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

/* Run the bound cached statement st into *res. On failure the statement
 * leaves the cache (it may be stale: the next call prepares it afresh) and
 * *res is destroyed; an interrupted query is MX_ECANCELLED. */
static int run_bound(struct mx_dbconn *c, duckdb_prepared_statement st, duckdb_result *res,
                     struct mx_err *err)
{
	if (mx_sql_execute(c, st, res) != DuckDBSuccess) {
		const char *msg = duckdb_result_error(res);
		int code = duckdb_result_error_type(res) == DUCKDB_ERROR_INTERRUPT ? MX_ECANCELLED : MX_EDB;
		int rc = mx_sql_db_error(err, code, msg ? msg : "query failed");
		duckdb_destroy_result(res);
		cache_drop(c, st);
		return rc;
	}
	duckdb_clear_bindings(st); /* release bound values now, not at the next call */
	return 0;
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
	if ((rc = mx_sql_bind_params(st, params, nparams, err)) != 0) {
		duckdb_clear_bindings(st);
		return rc;
	}
	duckdb_result res;
	if ((rc = run_bound(c, st, &res, err)) != 0)
		return rc;
	rc = mx_sql_result_rows(c, &res, rows, err);
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

int mx_sql_query_values(struct mx_dbconn *c, const char *sql, const struct mx_sql_value_param *params,
                        size_t nparams, mx_sql_chunk_fn on_chunk, void *ctx, struct mx_err *err)
{
	struct stmt_entry *e = NULL;
	int rc = get_statement(c, sql, NULL, 0, &e, err);
	if (rc != 0)
		return rc;
	duckdb_prepared_statement st = e->st;
	if ((rc = mx_sql_bind_values(st, params, nparams, err)) != 0) {
		duckdb_clear_bindings(st);
		return rc;
	}
	duckdb_result res;
	if ((rc = run_bound(c, st, &res, err)) != 0)
		return rc;
	rc = mx_sql_result_chunks(c, &res, on_chunk, ctx, err);
	duckdb_destroy_result(&res);
	if (++e->execs >= MX_SQL_STMT_RECYCLE)
		recycle(c, e);
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
