/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite — the issuer's store in one SQLite file (MXCP's
 * ~/.mxcp/oauth.db by default): WAL journal, one connection serialised by
 * a mutex, every table (key TEXT PRIMARY KEY, data TEXT, expires_at REAL).
 * The file and its folder are private to the user (0600 / 0700).
 */
#include "auth/oauth/store.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/fs.h"
#include "core/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

struct sqlite_store {
	struct mx_oauth_store base;
	sqlite3 *db;
	pthread_mutex_t lock;
};

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		mx_warn("oauth store (sqlite): %s", msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return MX_EIO;
	}
	return 0;
}

static int sq_put(struct mx_oauth_store *b, const char *table, const char *key, const json_t *data,
                  double expires_at)
{
	struct sqlite_store *s = (struct sqlite_store *)b;
	if (!mx_oauth_store_table_ok(table))
		return MX_EINVAL;
	char *text = mx_json_dumps(data, MX_JSON_COMPACT);
	if (text == NULL)
		return MX_ENOMEM;
	char sql[160];
	snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(key, data, expires_at) VALUES (?1, ?2, ?3)",
	         table);
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, expires_at);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		mx_warn("oauth store (sqlite): %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	mx_free(text);
	return rc == SQLITE_DONE ? 0 : MX_EIO;
}

static int sq_fetch(struct mx_oauth_store *b, const char *table, const char *key, double now, json_t **data,
                    int take)
{
	struct sqlite_store *s = (struct sqlite_store *)b;
	*data = NULL;
	if (!mx_oauth_store_table_ok(table))
		return MX_EINVAL;
	char sql[200];
	if (take)
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE key = ?1 RETURNING data, expires_at", table);
	else
		snprintf(sql, sizeof sql, "SELECT data, expires_at FROM %s WHERE key = ?1", table);
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	int out = MX_ENOTFOUND;
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			double exp = sqlite3_column_double(st, 1);
			const char *text = (const char *)sqlite3_column_text(st, 0);
			if ((exp <= 0 || exp > now) && text != NULL) {
				*data = json_loads(text, 0, NULL);
				out = *data != NULL ? 0 : MX_EIO;
			}
			rc = sqlite3_step(st);
		}
	}
	if (rc != SQLITE_DONE) {
		mx_warn("oauth store (sqlite): %s", sqlite3_errmsg(s->db));
		json_decref(*data);
		*data = NULL;
		out = MX_EIO;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return out;
}

static int sq_get(struct mx_oauth_store *b, const char *table, const char *key, double now, json_t **data)
{
	return sq_fetch(b, table, key, now, data, 0);
}

static int sq_take(struct mx_oauth_store *b, const char *table, const char *key, double now, json_t **data)
{
	return sq_fetch(b, table, key, now, data, 1);
}

static int sq_del(struct mx_oauth_store *b, const char *table, const char *key)
{
	struct sqlite_store *s = (struct sqlite_store *)b;
	if (!mx_oauth_store_table_ok(table))
		return MX_EINVAL;
	char sql[120];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE key = ?1", table);
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : MX_EIO;
}

static int sq_sweep(struct mx_oauth_store *b, double now)
{
	struct sqlite_store *s = (struct sqlite_store *)b;
	static const char *const TABLES[] = {MX_OAUTH_T_STATES, MX_OAUTH_T_CODES, MX_OAUTH_T_SESSIONS,
	                                     MX_OAUTH_T_REFRESH, MX_OAUTH_T_CLIENTS};
	int out = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++) {
		char sql[120];
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE expires_at > 0 AND expires_at <= ?1",
		         TABLES[i]);
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_double(st, 1, now);
			rc = sqlite3_step(st);
		}
		if (rc != SQLITE_DONE)
			out = MX_EIO;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);
	return out;
}

static void sq_close(struct mx_oauth_store *b)
{
	struct sqlite_store *s = (struct sqlite_store *)b;
	if (s == NULL)
		return;
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->lock);
	mx_free(s);
}

static int sqlite_open(const char *path, struct mx_oauth_store **out, struct mx_err *err)
{
	*out = NULL;
	char failed[512];
	if (mx_fs_mkdir_parent(path, 0700, failed, sizeof failed) != 0)
		return mx_err_set(err, MX_EIO, "cannot create the folder of the OAuth store %s", failed);
	struct sqlite_store *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return MX_ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->base = (struct mx_oauth_store){"sqlite", sq_put, sq_get, sq_take, sq_del, sq_sweep, sq_close};
	int rc = sqlite3_open_v2(path, &s->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		mx_err_set(err, MX_EIO, "cannot open the OAuth store %s: %s", path,
		           s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sq_close(&s->base);
		return MX_EIO;
	}
	chmod(path, 0600);
	sqlite3_busy_timeout(s->db, 5000);
	static const char *const DDL = "PRAGMA journal_mode=WAL;"
	                               "PRAGMA synchronous=NORMAL;"
	                               "CREATE TABLE IF NOT EXISTS states(key TEXT PRIMARY KEY, data TEXT "
	                               "NOT NULL, expires_at REAL);"
	                               "CREATE TABLE IF NOT EXISTS auth_codes(key TEXT PRIMARY KEY, data "
	                               "TEXT NOT NULL, expires_at REAL);"
	                               "CREATE TABLE IF NOT EXISTS sessions(key TEXT PRIMARY KEY, data TEXT "
	                               "NOT NULL, expires_at REAL);"
	                               "CREATE TABLE IF NOT EXISTS refresh_tokens(key TEXT PRIMARY KEY, data "
	                               "TEXT NOT NULL, expires_at REAL);"
	                               "CREATE TABLE IF NOT EXISTS oauth_clients(key TEXT PRIMARY KEY, data "
	                               "TEXT NOT NULL, expires_at REAL);";
	if (exec_sql(s->db, DDL) != 0) {
		mx_err_set(err, MX_EIO, "cannot create the tables of the OAuth store %s: %s", path,
		           sqlite3_errmsg(s->db));
		sq_close(&s->base);
		return MX_EIO;
	}
	*out = &s->base;
	return 0;
}

static const struct mx_oauth_store_backend backend = {.abi = MX_OAUTH_STORE_ABI, .open = sqlite_open};

__attribute__((visibility("default"))) const struct mx_oauth_store_backend *mxcp_oauth_store_sqlite(void)
{
	return &backend;
}
