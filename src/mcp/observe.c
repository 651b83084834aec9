/* SPDX-License-Identifier: Apache-2.0 */
/*
 * observe — where the MCP core tells the server's observers (exec/observer.h:
 * the audit trail, metrics, later telemetry) about each tools/call,
 * resources/read and prompts/get that reached a worker: exactly one event
 * per call, built here from the call and the reply it is about to send.
 *
 * Runs on the worker that ran the call, after the handler and before the
 * reply is delivered, so an observer that refuses the call (the audit trail
 * cannot record it) turns the reply into a JSON-RPC error: a call is never
 * answered without being recorded.
 *
 * What the handlers leave on the call (internal.h): the endpoint they
 * resolved (its parameter types drive redaction; a resource's URI template
 * is the event's name, so values inside the URI never reach a record), the
 * resource's URI variables (its input), the invoke report (policy decision
 * and reason) and the start time. The error text comes from the reply
 * itself: a JSON-RPC error, or a tool result with isError.
 */
#include "mcp/internal.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

double mx_mcp_clock_ms(void)
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

int mx_mcp_observe_call(struct mx_mcp_call *c, const struct mx_call_observer *obs, size_t nobs, int cancelled,
                        struct mx_mcp_reply *r)
{
	const char *type = record_type(c->method);
	if (nobs == 0 || type == NULL)
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
	struct mx_call_event ev = {
	        .ctx = &c->ctx,
	        .type = type,
	        .name = name ? name : "",
	        .ep = c->audit_ep,
	        .input = input,
	        .duration_ms = c->started_ms > 0 ? mx_mcp_clock_ms() - c->started_ms : 0,
	        .cancelled = cancelled,
	        .error = cancelled ? "Request cancelled" : reply_error(r->msg, name),
	        .report = &c->report,
	};
	int rc = 0;
	struct mx_err err;
	mx_err_clear(&err);
	for (size_t i = 0; i < nobs && rc == 0; i++)
		rc = obs[i].on_call(obs[i].arg, &ev, &err);
	if (rc == 0 || cancelled)
		return rc;
	json_decref(r->msg);
	r->page = NULL;
	r->msg = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "%s", err.msg);
	return rc;
}
