/* SPDX-License-Identifier: Apache-2.0 */
/*
 * call_ctx — who calls and why: the one carrier of a call's context from the
 * transport (or `mxcp run`/`test`/`evals`) down to every stage of the call
 * path. Policies read `user` from it, the request-context SQL functions read
 * the identity and the headers, observers (audit, metrics, later telemetry)
 * read the caller, session, request and trace id, and cancellation is asked of it.
 * Nothing that concerns "who and why" travels as a positional parameter.
 *
 * A call context is a small value built on the caller's stack (or in the
 * protocol core's call record) and borrowed by everything below; it owns
 * only the `user` object it builds on first use (mx_call_ctx_user), freed by
 * mx_call_ctx_clear. The JSON values and strings it points to are borrowed
 * for the call's duration.
 *
 * Threads: one call, one thread at a time (its worker); the SQL functions
 * read it from DuckDB's threads while the call's statement runs, after the
 * call path has built `user` (exec/invoke.c does before the SQL starts).
 */
#ifndef MX_EXEC_CALL_CTX_H
#define MX_EXEC_CALL_CTX_H

#include "core/err.h"

#include <jansson.h>
#include <stdatomic.h>

/* How a running call talks to its client (MCP notifications/message and
 * notifications/progress on the call's own stream, and requests to the
 * client); set by the protocol core. Each may be called from any thread
 * while the call runs (not after its executor has returned). */
struct mx_call_notifier {
	/* level: an MCP log level name ("debug" … "emergency"). */
	void (*log)(void *arg, const char *level, const char *logger, const char *message);
	/* total < 0: none; message NULL: none. */
	void (*progress)(void *arg, double progress, double total, const char *message);
	/* Send the client a request (sampling/createMessage, elicitation/create)
	 * on the call's stream and block the calling thread until its answer.
	 * params is borrowed; timeout_s < 0: the default. See
	 * mx_call_ctx_request for the results. NULL: no requests. */
	int (*request)(void *arg, const char *method, const json_t *params, double timeout_s, json_t **result,
	               struct mx_err *err);
	void *arg;
};

/* Who started the call: the audit record's `caller`, the metrics' label. */
enum mx_caller { MX_CALLER_CLI, MX_CALLER_TEST, MX_CALLER_EVALS, MX_CALLER_STDIO, MX_CALLER_HTTP };

struct mx_call_ctx {
	enum mx_caller caller;
	/* Identity: the caller's user context (auth/identity.h), NULL for the
	 * anonymous user, and its provider ("cli", "test", an OAuth provider;
	 * NULL: the context's own `provider`). */
	const json_t *user_context;
	const char *user_provider;
	/* The request's headers, a JSON object of name → value (lower-case
	 * names over HTTP); NULL when there are none (stdio, the CLI). */
	const json_t *request_headers;
	const char *session_id; /* Mcp-Session-Id; NULL on stdio and stateless HTTP */
	const json_t *request_id; /* the JSON-RPC id; NULL outside MCP */
	/* W3C trace context of the request ("" when none came). */
	char traceparent[56];
	/* The trace the call path recorded the call in (32 hex digits; "" when
	 * tracing is off): set by mx_invoke, read by the audit record. */
	char trace_id[33];
	double deadline; /* mx_mono_s() by which the call should end; 0: none */
	const atomic_int *cancelled; /* non-zero once the call is cancelled; NULL: never */
	json_t *user; /* built on first use: see mx_call_ctx_user */
	/* NULL: no client listens (the CLI); messages go to the log. */
	const struct mx_call_notifier *notifier;
};

/* A context for `caller` with nothing else set (the anonymous user). */
struct mx_call_ctx mx_call_ctx_make(enum mx_caller caller);

/* The call's `user` object (mx_identity_user of the identity above), built
 * once and kept until mx_call_ctx_clear. Borrowed; NULL on out of memory.
 * A NULL ctx is the anonymous user of a CLI call. */
const json_t *mx_call_ctx_user(struct mx_call_ctx *ctx);

/* Has the call been cancelled? */
int mx_call_ctx_cancelled(const struct mx_call_ctx *ctx);

/* Tell the client (or, without one, the log) a message at an MCP log
 * level, or the call's progress (total < 0: unknown). */
void mx_call_ctx_log(const struct mx_call_ctx *ctx, const char *level, const char *logger,
                     const char *message);
void mx_call_ctx_progress(const struct mx_call_ctx *ctx, double progress, double total, const char *message);

/* Ask the client (see struct mx_call_notifier.request). Returns 0 with
 * *result the JSON-RPC result (a new reference); MX_ENOTFOUND when the
 * client cannot be asked (no client, the capability not declared in
 * initialize, a revision without the request); MX_EINVAL when the client
 * answered with an error (*result: its error object, a new reference);
 * MX_ELIMIT when no answer came in time; MX_ECANCELLED when the call was
 * cancelled or ended meanwhile. err says why in words. */
int mx_call_ctx_request(const struct mx_call_ctx *ctx, const char *method, const json_t *params,
                        double timeout_s, json_t **result, struct mx_err *err);

/* "cli", "test", "evals", "stdio", "http". */
const char *mx_caller_name(enum mx_caller c);

/* Release what the context built (the `user` object). */
void mx_call_ctx_clear(struct mx_call_ctx *ctx);

#endif
