/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_hook — the one place where the MCP core meets the audit trail
 * (src/audit/writer.h): every tools/call, resources/read and prompts/get that
 * reaches a worker produces exactly one record, built here from the call and
 * the reply it is about to send.
 *
 * Runs on the worker that ran the call, after the handler and before the
 * reply is delivered, so a record the writer refuses (queue full with
 * on_full: fail, disk failing) turns the reply into a JSON-RPC error: a call
 * is never answered without being recorded.
 *
 * What the handlers leave on the call (internal.h): the endpoint they
 * resolved (its parameter types drive redaction; a resource's URI template
 * is the record's name, so values inside the URI never reach the file), the
 * resource's URI variables (its input), the invoke report (policy decision
 * and reason) and the start time. Status and error text come from the reply
 * itself: a JSON-RPC error, or a tool result with isError.
 *
 * With `fsync: always` the worker waits until the record is synced before the
 * reply goes out, so every call a client saw answered is on disk even after
 * a kill -9.
 */
#include "mcp/internal.h"
#include "ops/metrics.h"

#include "audit/writer.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* How long an answer waits for its record to be synced (fsync: always)
 * before the call fails instead. */
#define FLUSH_TIMEOUT_MS 10000

double mx_mcp_audit_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *record_type(const char *method)
{
	if (strcmp(method, "tools/call") == 0)
		return "tool";
	if (strcmp(method, "resources/read") == 0)
		return "resource";
	if (strcmp(method, "prompts/get") == 0)
		return "prompt";
	return NULL;
}

/* The error a reply carries, or NULL when it is a success. */
static const char *reply_error(const json_t *msg, const char *tool_name)
{
	if (msg == NULL)
		return "Internal error: no reply";
	const json_t *e = json_object_get(msg, "error");
	if (e)
		return json_string_value(json_object_get(e, "message"));
	const json_t *res = json_object_get(msg, "result");
	if (!json_is_true(json_object_get(res, "isError")))
		return NULL;
	const char *text = json_string_value(
	        json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
	if (text == NULL)
		return "error";
	/* tools.c says "Error executing tool <name>: <message>" to the model;
	 * the record keeps the message. */
	static const char prefix[] = "Error executing tool ";
	size_t pn = sizeof prefix - 1, nn = tool_name ? strlen(tool_name) : 0;
	if (tool_name && strncmp(text, prefix, pn) == 0 && strncmp(text + pn, tool_name, nn) == 0 &&
	    strncmp(text + pn + nn, ": ", 2) == 0)
		return text + pn + nn + 2;
	return text;
}

/* A call that never reached its handler (overloaded, cancelled early) or
 * failed before resolving the endpoint: look it up, so its input is redacted
 * by the same parameter types. */
static void find_endpoint(struct mx_mcp_call *c, int is_resource)
{
	const char *key = json_string_value(json_object_get(c->params, is_resource ? "uri" : "name"));
	if (key == NULL)
		return;
	if (strcmp(c->method, "tools/call") == 0) {
		c->audit_ep = mx_mcp_catalog_tool(c->cat, key);
	} else if (strcmp(c->method, "prompts/get") == 0) {
		c->audit_ep = mx_mcp_catalog_prompt(c->cat, key);
	} else if (is_resource) {
		json_t *vars = NULL;
		c->audit_ep = mx_mcp_catalog_resource(c->cat, key, &vars);
		if (c->audit_input == NULL)
			c->audit_input = vars;
		else
			json_decref(vars);
	}
}

int mx_mcp_audit_call(struct mx_mcp_call *c, const struct mx_mcp_audit_ctx *ctx, int cancelled,
                      struct mx_mcp_reply *r)
{
	const char *type = record_type(c->method);
	if (type != NULL && c->report.policy_decision && strcmp(c->report.policy_decision, "deny") == 0)
		mx_metrics_policy_denial(c->audit_ep ? c->audit_ep->name : "");
	if (ctx->audit == NULL || type == NULL)
		return 0;
	int is_resource = strcmp(c->method, "resources/read") == 0;
	if (c->audit_ep == NULL)
		find_endpoint(c, is_resource);
	const char *name = NULL;
	if (c->audit_ep && c->audit_ep->kind == MX_EP_RESOURCE)
		name = c->audit_ep->uri ? c->audit_ep->uri : c->audit_ep->name;
	else
		name = json_string_value(json_object_get(c->params, is_resource ? "uri" : "name"));
	const json_t *input = c->audit_input;
	if (input == NULL && !is_resource)
		input = json_object_get(c->params, "arguments");
	if (!json_is_object(input))
		input = NULL;

	char request_id[64];
	const char *rid = NULL;
	if (json_is_string(c->id)) {
		rid = json_string_value(c->id);
	} else if (json_is_integer(c->id)) {
		snprintf(request_id, sizeof request_id, "%" JSON_INTEGER_FORMAT, json_integer_value(c->id));
		rid = request_id;
	}
	const char *error = cancelled ? "Request cancelled" : reply_error(r->msg, name);
	const char *decision = c->report.policy_decision;
	struct mx_audit_record rec = {
	        .caller = ctx->caller ? ctx->caller : "stdio",
	        .type = type,
	        .name = name ? name : "",
	        .input = input,
	        .params = c->audit_ep ? c->audit_ep->params : NULL,
	        .nparams = c->audit_ep ? c->audit_ep->nparams : 0,
	        .duration_ms = c->started_ms > 0 ? mx_mcp_audit_clock_ms() - c->started_ms : 0,
	        .policy_decision = decision && strcmp(decision, "n/a") != 0 ? decision : NULL,
	        .reason = c->report.reason[0] ? c->report.reason : NULL,
	        .status = error ? "error" : "success",
	        .error = error,
	        .user_id = NULL, /* until auth (issue: auth) */
	        .session_id = ctx->session_id,
	        .request_id = rid,
	};
	int rc = mx_audit_log(ctx->audit, &rec);
	/* fsync: always means an answered call is on disk: wait for it (the
	 * writer syncs concurrent calls' records together). */
	int synced = 1;
	if (rc == 0 && mx_audit_fsync_always(ctx->audit) && mx_audit_flush(ctx->audit, FLUSH_TIMEOUT_MS))
		rc = MX_EIO, synced = 0;
	if (rc == 0 || cancelled)
		return rc;
	const char *why = !synced           ? "the audit log is not reaching the disk"
	                  : rc == MX_ELIMIT ? "the audit queue is full"
	                  : rc == MX_EIO    ? "the audit log cannot be written"
	                                    : mx_strerror(rc);
	mx_error("audit: %s %s not recorded (%s); failing the call", type, rec.name, why);
	json_decref(r->msg);
	r->page = NULL;
	r->msg = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL,
	                     "Audit log unavailable: the call could not be recorded (%s), so its result "
	                     "is withheld; retry later",
	                     why);
	return rc;
}
