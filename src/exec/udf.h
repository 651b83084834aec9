/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udf — MXCP's request-context SQL functions, on every connection:
 *
 *   get_username()              the caller's username
 *   get_user_email()            the caller's email
 *   get_user_provider()         "cli", "test", or the identity provider
 *   get_user_external_token()   the identity provider's token for the user
 *                               (the context's `external_token`; never for
 *                               the "cli" and "test" providers, whose
 *                               contexts MXCP builds without one)
 *   get_request_header(name)    one request header, by its name as received
 *                               (lower-case over HTTP)
 *   get_request_headers_json()  every request header as a JSON object
 *
 * Each is NULL when the call has no such value (no user context, stdio, an
 * empty field). The values are those of the call running on the connection:
 * the call path (exec/invoke.c) sets them on the connection's slot before
 * the SQL runs and clears them after.
 *
 * DuckDB keeps scalar functions in its catalog, once per database, and may
 * run them on its own threads, so neither a thread-local nor a per-connection
 * registration can carry the caller: the functions are registered once when
 * the database opens, with the database's registry as extra info; binding a
 * statement looks up the slot of the binding connection (by DuckDB's
 * connection id) and keeps it as bind data, and execution reads the slot
 * under its mutex. The functions are volatile, so a prepared statement kept
 * in a connection's cache never folds one caller's value into its plan.
 *
 * Threads: mx_udf_attach/detach/call_* run on the connection's owner thread;
 * the functions run on any DuckDB thread.
 */
#ifndef MX_EXEC_UDF_H
#define MX_EXEC_UDF_H

#include "core/err.h"
#include "exec/call_ctx.h"

#include <duckdb.h>
#include <jansson.h>

struct mx_udf_registry; /* one per database: its connections' slots */
struct mx_udf_slot; /* one per connection: the current call's context */

/* Register the functions in db (through a connection of its own) and make
 * the registry their extra info. Free the registry after duckdb_close. */
int mx_udf_register(duckdb_database db, struct mx_udf_registry **out, struct mx_err *err);
void mx_udf_registry_free(struct mx_udf_registry *r);

/* Give conn a slot (empty: every function NULL). Detach after the
 * connection and its prepared statements are gone. */
int mx_udf_attach(struct mx_udf_registry *r, duckdb_connection conn, struct mx_udf_slot **out,
                  struct mx_err *err);
void mx_udf_detach(struct mx_udf_registry *r, struct mx_udf_slot *s);

/* Make ctx the context of the call about to run on the slot's connection
 * (borrowed: it must outlive the statement), and forget it once the
 * statement has finished. A NULL slot is ignored; a NULL ctx makes every
 * function NULL. */
void mx_udf_call_begin(struct mx_udf_slot *s, struct mx_call_ctx *ctx);
void mx_udf_call_end(struct mx_udf_slot *s);

#endif
