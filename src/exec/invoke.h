/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invoke — the call path of one endpoint, shared by `mxcp run`, `mxcp test`
 * and the MCP handlers, so a call means the same thing everywhere:
 *   arguments converted and validated by the parameter types (defaults
 *   applied)
 *   → input policies (policy/policy.h: over the converted arguments and the
 *   caller's `user`) → execution (SQL on the caller's connection; prompt
 *   messages rendered) → result shaped by the return type (array / object /
 *   scalar) → output validated → output policies (deny, or rewrite the
 *   result). A denial is an MX_EPOLICY error whose message is MXCP's.
 *
 * A struct mx_runtime holds what execution needs beyond the snapshot: the
 * open database. Each calling thread brings its own struct mx_dbconn.
 */
#ifndef MX_EXEC_INVOKE_H
#define MX_EXEC_INVOKE_H

#include "core/err.h"
#include "exec/sql.h"
#include "model/project.h"

#include <jansson.h>

struct mx_runtime;

/* Open the profile's database (path, read-only flag, extensions). The
 * runtime holds a reference on the project. */
int mx_runtime_open(struct mx_project *p, struct mx_runtime **out, struct mx_err *err);
/* The same with the database in DuckDB's file sandbox (exec/sql.h): a
 * server whose clients run their own SQL. */
int mx_runtime_open_sandboxed(struct mx_project *p, const struct mx_db_sandbox *sb, struct mx_runtime **out,
                              struct mx_err *err);
void mx_runtime_close(struct mx_runtime *rt);
/* For a reload (SIGHUP): LOAD the extensions p's site config lists, and
 * make p's user-config secrets DuckDB's (mx_db_set_secrets). The database
 * itself (path, read-only) stays the one opened. */
int mx_runtime_load_extensions(struct mx_runtime *rt, const struct mx_project *p, struct mx_err *err);
int mx_runtime_set_secrets(struct mx_runtime *rt, const struct mx_project *p, struct mx_err *err);
struct mx_db *mx_runtime_db(struct mx_runtime *rt);
struct mx_project *mx_runtime_project(struct mx_runtime *rt);

/* What a call's policies decided, for audit records and metrics. */
struct mx_invoke_report {
	const char *policy_decision; /* "allow", "deny", "warn" (output modified) or "n/a" (no policies) */
	char reason[512]; /* the deny reason or the modifying action, "" otherwise */
};

struct mx_invoke_opts {
	int skip_output_validation;
	/* The caller's user context as MXCP builds it (shared/spec/mxcp.md §6):
	 * an object with user_id, username, email, name, provider, and the raw
	 * profile/claims (role, permissions, …). NULL: the anonymous user. */
	const json_t *user_context;
	const char *user_provider; /* "cli", "test", an OAuth provider…; NULL when unknown */
	/* The request's headers, a JSON object of name → value (names as
	 * received: lower-case over HTTP); NULL when there are none (stdio).
	 * With the user fields above they are what the SQL functions
	 * get_username(), get_request_header(name), … return (exec/udf.h). */
	const json_t *request_headers;
	/* Filled on return (success or failure) when not NULL. */
	struct mx_invoke_report *report;
};

/*
 * Run one endpoint. args is a JSON object (NULL = none). On success *result
 * is a new reference. Error messages follow MXCP's texts
 * (`Required parameter missing: x`, `Failed to execute SQL: …`,
 * `Output validation failed: …`), SQL failures also name the endpoint and
 * its source file.
 */
int mx_invoke(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *args,
              const struct mx_invoke_opts *opts, json_t **result, struct mx_err *err);

/* Shape raw rows by a return type (MXCP §4.8). New reference in *out. */
int mx_shape_result(const struct mx_type *ret, json_t *rows, json_t **out, struct mx_err *err);

#endif
