/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg — the issuer's store in PostgreSQL, for several mxcp instances
 * (`--stateless` behind a load balancer) sharing one: a state made on one
 * instance is consumed on another. One connection serialised by a mutex
 * and re-established once when it is found broken. Tables as the SQLite
 * store (key TEXT PRIMARY KEY, data TEXT, expires_at DOUBLE PRECISION);
 * take is DELETE … RETURNING, atomic across instances.
 */
#include "auth/oauth/store.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct pg_store {
	struct mx_oauth_store base;
	PGconn *conn;
	pthread_mutex_t lock;
};

/* Run sql with params; a broken connection is reset and the statement
 * tried once more. The caller holds the lock. */
static PGresult *run(struct pg_store *s, const char *sql, int n, const char *const *params)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *r = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			return r;
		mx_warn("oauth store (postgres): %s", PQerrorMessage(s->conn));
		PQclear(r);
		if (PQstatus(s->conn) == CONNECTION_OK)
			return NULL;
		PQreset(s->conn);
	}
	return NULL;
}

static int pg_put(struct mx_oauth_store *b, const char *table, const char *key, const json_t *data,
                  double expires_at)
{
	struct pg_store *s = (struct pg_store *)b;
	if (!mx_oauth_store_table_ok(table))
		return MX_EINVAL;
	char *text = mx_json_dumps(data, MX_JSON_COMPACT);
	if (text == NULL)
		return MX_ENOMEM;
	char sql[200], exp[40];
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s(key, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET "
	         "data = EXCLUDED.data, expires_at = EXCLUDED.expires_at",
	         table);
	snprintf(exp, sizeof exp, "%.6f", expires_at);
	const char *params[] = {key, text, exp};
	pthread_mutex_lock(&s->lock);
	PGresult *r = run(s, sql, 3, params);
	pthread_mutex_unlock(&s->lock);
	mx_free(text);
	PQclear(r);
	return r != NULL ? 0 : MX_EIO;
}

static int pg_fetch(struct mx_oauth_store *b, const char *table, const char *key, double now, json_t **data,
                    int take)
{
	struct pg_store *s = (struct pg_store *)b;
	*data = NULL;
	if (!mx_oauth_store_table_ok(table))
		return MX_EINVAL;
	char sql[200];
	if (take)
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE key = $1 RETURNING data, expires_at", table);
	else
		snprintf(sql, sizeof sql, "SELECT data, expires_at FROM %s WHERE key = $1", table);
	const char *params[] = {key};
	pthread_mutex_lock(&s->lock);
	PGresult *r = run(s, sql, 1, params);
	pthread_mutex_unlock(&s->lock);
	if (r == NULL)
		return MX_EIO;
	int out = MX_ENOTFOUND;
	if (PQntuples(r) == 1) {
		double exp = PQgetisnull(r, 0, 1) ? 0 : strtod(PQgetvalue(r, 0, 1), NULL);
		if (exp <= 0 || exp > now) {
			*data = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
			out = *data != NULL ? 0 : MX_EIO;
		}
	}
	PQclear(r);
	return out;
}

static int pg_get(struct mx_oauth_store *b, const char *table, const char *key, double now, json_t **data)
{
	return pg_fetch(b, table, key, now, data, 0);
}

static int pg_take(struct mx_oauth_store *b, const char *table, const char *key, double now, json_t **data)
{
	return pg_fetch(b, table, key, now, data, 1);
}

static int pg_del(struct mx_oauth_store *b, const char *table, const char *key)
{
	struct pg_store *s = (struct pg_store *)b;
	if (!mx_oauth_store_table_ok(table))
		return MX_EINVAL;
	char sql[120];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE key = $1", table);
	const char *params[] = {key};
	pthread_mutex_lock(&s->lock);
	PGresult *r = run(s, sql, 1, params);
	pthread_mutex_unlock(&s->lock);
	PQclear(r);
	return r != NULL ? 0 : MX_EIO;
}

static int pg_sweep(struct mx_oauth_store *b, double now)
{
	struct pg_store *s = (struct pg_store *)b;
	static const char *const TABLES[] = {MX_OAUTH_T_STATES, MX_OAUTH_T_CODES, MX_OAUTH_T_SESSIONS,
	                                     MX_OAUTH_T_REFRESH, MX_OAUTH_T_CLIENTS};
	char when[40];
	snprintf(when, sizeof when, "%.6f", now);
	const char *params[] = {when};
	int out = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++) {
		char sql[120];
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE expires_at > 0 AND expires_at <= $1",
		         TABLES[i]);
		PGresult *r = run(s, sql, 1, params);
		if (r == NULL)
			out = MX_EIO;
		PQclear(r);
	}
	pthread_mutex_unlock(&s->lock);
	return out;
}

static void pg_close(struct mx_oauth_store *b)
{
	struct pg_store *s = (struct pg_store *)b;
	if (s == NULL)
		return;
	PQfinish(s->conn);
	pthread_mutex_destroy(&s->lock);
	mx_free(s);
}

static int pg_open(const char *dsn, struct mx_oauth_store **out, struct mx_err *err)
{
	*out = NULL;
	struct pg_store *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return MX_ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->base = (struct mx_oauth_store){"postgres", pg_put, pg_get, pg_take, pg_del, pg_sweep, pg_close};
	s->conn = PQconnectdb(dsn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		/* libpq's message names the host, never the password. */
		mx_err_set(err, MX_EIO, "cannot connect to the OAuth store (postgres): %s",
		           PQerrorMessage(s->conn));
		pg_close(&s->base);
		return MX_EIO;
	}
	static const char *const DDL = "SET client_min_messages = warning;"
	                               "CREATE TABLE IF NOT EXISTS states(key TEXT PRIMARY KEY, data TEXT "
	                               "NOT NULL, expires_at DOUBLE PRECISION);"
	                               "CREATE TABLE IF NOT EXISTS auth_codes(key TEXT PRIMARY KEY, data "
	                               "TEXT NOT NULL, expires_at DOUBLE "
	                               "PRECISION);"
	                               "CREATE TABLE IF NOT EXISTS sessions(key TEXT PRIMARY KEY, data TEXT "
	                               "NOT NULL, expires_at DOUBLE "
	                               "PRECISION);"
	                               "CREATE TABLE IF NOT EXISTS refresh_tokens(key TEXT PRIMARY KEY, data "
	                               "TEXT NOT NULL, expires_at DOUBLE "
	                               "PRECISION);"
	                               "CREATE TABLE IF NOT EXISTS oauth_clients(key TEXT PRIMARY KEY, data "
	                               "TEXT NOT NULL, expires_at DOUBLE "
	                               "PRECISION);";
	/* Several instances may start together: serialise the DDL. */
	PGresult *r = PQexec(s->conn, "SELECT pg_advisory_lock(7245001)");
	PQclear(r);
	r = PQexec(s->conn, DDL);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		mx_err_set(err, MX_EIO, "cannot create the tables of the OAuth store (postgres): %s",
		           PQerrorMessage(s->conn));
	PQclear(r);
	r = PQexec(s->conn, "SELECT pg_advisory_unlock(7245001)");
	PQclear(r);
	if (!ok) {
		pg_close(&s->base);
		return MX_EIO;
	}
	*out = &s->base;
	return 0;
}

static const struct mx_oauth_store_backend backend = {.abi = MX_OAUTH_STORE_ABI, .open = pg_open};

__attribute__((visibility("default"))) const struct mx_oauth_store_backend *mxcp_oauth_store_pg(void)
{
	return &backend;
}
