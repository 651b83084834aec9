/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store — where issuer mode keeps its OAuth state: a few tables of
 * key → JSON record with an expiry, behind a struct of function pointers
 * (SQLite by default, PostgreSQL for several instances sharing one).
 *
 * Tables (fixed names, MX_OAUTH_T_*):
 *   states          one-time authorize state, keyed by the state value
 *   auth_codes      one-time codes, keyed by SHA-256 of the code
 *   sessions        keyed by SHA-256 of the access token
 *   refresh_tokens  keyed by SHA-256 of the refresh token
 *   oauth_clients   registered, configured and fetched (CIMD) clients
 * Tokens never reach a store in clear: the caller hashes them, and
 * encrypts the provider's secrets inside the record (auth/oauth/fernet.h).
 *
 * A row whose expires_at (Unix seconds; 0 = never) has passed is never
 * returned; sweep deletes them. take is get-and-delete in one statement,
 * so of two instances or threads taking a one-time code only one gets
 * it. Every function may be called from any thread: a store serialises
 * its own connection.
 */
#ifndef MX_AUTH_OAUTH_STORE_H
#define MX_AUTH_OAUTH_STORE_H

#include "core/err.h"

#include <jansson.h>

#define MX_OAUTH_T_STATES "states"
#define MX_OAUTH_T_CODES "auth_codes"
#define MX_OAUTH_T_SESSIONS "sessions"
#define MX_OAUTH_T_REFRESH "refresh_tokens"
#define MX_OAUTH_T_CLIENTS "oauth_clients"

struct mx_oauth_store {
	const char *name; /* "sqlite", "postgres" */
	/* Insert or replace. */
	int (*put)(struct mx_oauth_store *s, const char *table, const char *key, const json_t *data,
	           double expires_at);
	/* 0 with a new reference in *data; MX_ENOTFOUND (absent or expired);
	 * MX_EIO when the database failed. */
	int (*get)(struct mx_oauth_store *s, const char *table, const char *key, double now, json_t **data);
	/* As get, and the row is deleted by the same statement. */
	int (*take)(struct mx_oauth_store *s, const char *table, const char *key, double now, json_t **data);
	int (*del)(struct mx_oauth_store *s, const char *table, const char *key);
	/* Delete every expired row. */
	int (*sweep)(struct mx_oauth_store *s, double now);
	void (*close)(struct mx_oauth_store *s);
};

/* SQLite at path (its folder created, mode 0700; WAL). */
int mx_oauth_store_sqlite_open(const char *path, struct mx_oauth_store **out, struct mx_err *err);
/* PostgreSQL at a libpq connection string or URI. */
int mx_oauth_store_pg_open(const char *dsn, struct mx_oauth_store **out, struct mx_err *err);

/* The backends are the module mxcp_oauth_store.so (store_sqlite.c,
 * store_pg.c; core/module.h), so only a server whose auth keeps OAuth
 * state maps SQLite or libpq: the two functions above load it and open
 * through the backend its entry (mxcp_oauth_store_sqlite,
 * mxcp_oauth_store_pg) returns. */
#define MX_OAUTH_STORE_ABI 1
struct mx_oauth_store_backend {
	int abi;
	int (*open)(const char *where, struct mx_oauth_store **out, struct mx_err *err);
};

/* Whether table is one of the names above (the stores build SQL with it). */
int mx_oauth_store_table_ok(const char *table);

#endif
