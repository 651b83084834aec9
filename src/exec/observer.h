/* SPDX-License-Identifier: Apache-2.0 */
/*
 * observer — what the call path tells the rest of the server about each call
 * it ran: one event per tools/call, resources/read and prompts/get that
 * reached a worker, answered or cancelled. The audit trail, the metrics and
 * (later) telemetry are observers; the composition root (src/server/)
 * installs them, and the protocol core (mcp/) fires them on the worker,
 * after the call and before its answer goes out.
 *
 * An observer may refuse a call's answer: the audit trail does when it
 * cannot record the call (queue full, disk failing), so a call is never
 * answered without its record. It returns non-zero and says why in err; the
 * caller then answers with that error instead of the result (a cancelled
 * call has no answer to withhold).
 */
#ifndef MX_EXEC_OBSERVER_H
#define MX_EXEC_OBSERVER_H

#include "core/err.h"
#include "exec/call_ctx.h"
#include "exec/invoke.h"
#include "model/endpoint.h"

#include <jansson.h>

struct mx_call_event {
	const struct mx_call_ctx *ctx; /* caller, session, request id, identity */
	const char *type; /* "tool", "resource", "prompt" */
	const char *name; /* tool or prompt name; a resource's URI template */
	const struct mx_endpoint *ep; /* NULL when the name resolved to none */
	const json_t *input; /* the arguments (a resource's URI variables); NULL: none */
	double duration_ms;
	int cancelled;
	const char *error; /* NULL on success */
	const struct mx_invoke_report *report; /* the policies' decision */
};

struct mx_call_observer {
	int (*on_call)(void *arg, const struct mx_call_event *ev, struct mx_err *err);
	void *arg;
};

#endif
