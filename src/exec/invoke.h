/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invoke — THE call path of one endpoint, shared by `mxcp run`, `mxcp test`,
 * `mxcp evals` and the MCP handlers, so a call means the same thing
 * everywhere. It runs named stages, and a failure says which one failed
 * (struct mx_invoke_report.stage):
 *
 *   convert        arguments converted and validated by the parameter
 *                  types, defaults applied (a bad argument fails here)
 *   input policy   the input rules over the converted arguments and the
 *                  caller's `user` (from the call context)
 *   [cache]        a read-only call's answer from the response cache
 *                  (src/cache/), when the snapshot's profile enables it:
 *                  a hit skips execute, shape and output policy (the
 *                  cached value is the final answer after them); a miss
 *                  runs them and stores the answer
 *   execute        the endpoint's executor (exec/executor.h: SQL on the
 *                  caller's connection, a prompt rendered, a built-in tool)
 *   shape, check   rows shaped by the return type (array / object / scalar),
 *                  then the output validated against it
 *   output policy  the output rules: deny, or rewrite the result
 *
 * A denial is an MX_EPOLICY error whose message is MXCP's. Who calls and why
 * travels in a struct mx_call_ctx (exec/call_ctx.h). Observers (audit,
 * metrics) are told about served calls by the protocol core
 * (exec/observer.h).
 *
 * A struct mx_runtime holds what execution needs beyond the snapshot: the
 * open database. Each calling thread brings its own struct mx_dbconn.
 */
#ifndef MX_EXEC_INVOKE_H
#define MX_EXEC_INVOKE_H

#include "core/err.h"
#include "exec/call_ctx.h"
#include "exec/sql.h"
#include "model/project.h"

#include <jansson.h>

struct mx_cache;
struct mx_runtime;
struct mx_user_cache;

/* Open the profile's database (path, read-only flag, extensions) and
 * attach p's Python, if it has any (mx_runtime_attach). The runtime holds
 * a reference on the project. */
int mx_runtime_open(struct mx_project *p, struct mx_runtime **out, struct mx_err *err);
/* Attach the whole project p to rt: its Python endpoints and plugins
 * (exec/python.h: the interpreter loads only for a project with Python),
 * then its @on_init hooks. strict: a module that fails to import is an
 * error rather than a logged one. */
int mx_runtime_attach(struct mx_runtime *rt, struct mx_project *p, int strict, struct mx_err *err);
/* Only the database, with it in DuckDB's file sandbox (exec/sql.h) when sb
 * is set: a server whose clients run their own SQL; the server attaches
 * the project once it is loaded. */
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

/* The stages of a call, in order (see above). */
enum mx_invoke_stage {
	MX_STAGE_NONE, /* the call succeeded */
	MX_STAGE_CONVERT,
	MX_STAGE_INPUT_POLICY,
	MX_STAGE_EXECUTE,
	MX_STAGE_SHAPE, /* shaping by the return type, and output validation */
	MX_STAGE_OUTPUT_POLICY,
};

/* "convert", "input policy", "execute", "shape", "output policy" ("" for none). */
const char *mx_invoke_stage_name(enum mx_invoke_stage s);

/* What a call's stages decided, for audit records and metrics. */
struct mx_invoke_report {
	const char *policy_decision; /* "allow", "deny", "warn" (output modified) or "n/a" (no policies) */
	char reason[512]; /* the deny reason or the modifying action, "" otherwise */
	enum mx_invoke_stage stage; /* where the call failed; MX_STAGE_NONE when it did not */
	int cached; /* the answer was served from the response cache */
};

/*
 * The response cache of one call (see docs/cache.md). The key is the
 * endpoint, the arguments after conversion (canonical JSON: sorted keys),
 * and the caller's identity (the `user` object without its time-varying
 * claims) whenever the answer may depend on it: the endpoint has policies,
 * is Python, or its SQL calls a get_user…() function. The snapshot's
 * generation keeps answers of an older snapshot from being served.
 * A request header `x-mxcp-cache: bypass` (or no-cache) skips both the
 * lookup and the store.
 */
struct mx_invoke_cache {
	struct mx_cache *cache;
	const struct mx_user_cache *cfg; /* the snapshot's settings (enabled, TTLs) */
	uint64_t generation; /* the snapshot's (mx_cache_next_generation) */
	/* Stop after the lookup: the protocol core tries the cache on the
	 * thread that received the call, before handing it to a worker. On a
	 * hit (or a failed conversion or policy) the call is answered; else
	 * mx_invoke returns 0 with no result and sets deferred. */
	int lookup_only;
	int deferred; /* out */
	int looked_up; /* in/out: the lookup ran (and missed): the worker skips it */
	uint64_t token; /* the lookup's token, for the store */
};

/* May ep's answers be cached at all: a tool marked
 * annotations.readOnlyHint: true, a resource or a prompt, not a built-in
 * tool, and no SQL that reads request headers. why (may be NULL) gets the
 * reason when not. */
int mx_invoke_cacheable(const struct mx_endpoint *ep, const char **why);
/* Would a call of ep under ic be looked up in the cache (enabled, a TTL,
 * cacheable, no bypass header)? Cheap: for the protocol core's hit path. */
int mx_invoke_cache_applies(const struct mx_invoke_cache *ic, const struct mx_endpoint *ep,
                            const struct mx_call_ctx *ctx);

struct mx_invoke_opts {
	int skip_output_validation;
	/* Filled on return (success or failure) when not NULL. */
	struct mx_invoke_report *report;
	struct mx_invoke_cache *cache; /* NULL: no response cache */
};

/*
 * Run one endpoint. args is a JSON object (NULL = none); ctx the call's
 * context (NULL: an anonymous CLI call). On success *result is a new
 * reference. Error messages follow MXCP's texts
 * (`Required parameter missing: x`, `Failed to execute SQL: …`,
 * `Output validation failed: …`), SQL failures also name the endpoint and
 * its source file.
 */
int mx_invoke(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *args,
              struct mx_call_ctx *ctx, const struct mx_invoke_opts *opts, json_t **result,
              struct mx_err *err);

/* Shape raw rows by a return type (MXCP §4.8). New reference in *out. */
int mx_shape_result(const struct mx_type *ret, json_t *rows, json_t **out, struct mx_err *err);

#endif
