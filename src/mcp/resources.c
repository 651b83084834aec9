/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resources — resources/read, on a worker.
 *
 * The URI is matched against the static resources first, then the RFC 6570
 * templates in catalog order; a template's variables become the call's
 * arguments and go through the parameter types like any argument. Not
 * found is -32002 in the 2025 revisions and -32602 in 2026-07-28; a bad
 * variable is -32602; a failed execution is -32603 with MXCP's message.
 * Strings are returned as they are, anything else as JSON text.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/json.h"

void mx_mcp_handle_resources_read(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	const char *uri = json_string_value(json_object_get(c->params, "uri"));
	if (uri == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"uri\" must be a string");
		return;
	}
	json_t *vars = NULL;
	const struct mx_endpoint *ep = mx_mcp_catalog_resource(c->cat, uri, &vars);
	if (ep == NULL) {
		int code =
		        c->dialect >= MX_MCP_D_2026_07_28 ? MX_RPC_INVALID_PARAMS : MX_RPC_RESOURCE_NOT_FOUND;
		out->msg =
		        mx_mcp_fail(c, code, json_pack("{s:s}", "uri", uri), "Resource not found: %s", uri);
		return;
	}
	struct mx_err err;
	mx_err_clear(&err);
	json_t *value = NULL;
	c->audit_ep = ep;
	c->audit_input = vars;
	struct mx_invoke_opts iopt = {.report = &c->report};
	int rc = mx_invoke(c->rt, conn, ep, vars, &c->ctx, &iopt, &value, &err);
	if (rc && c->report.stage == MX_STAGE_CONVERT) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL, "%s", err.msg);
		return;
	}
	if (rc == MX_ECANCELLED)
		return;
	if (rc) {
		mx_mcp_call_log(c, MX_MCP_LOG_ERROR, "Error reading resource %s: %s", uri, err.msg);
		out->msg = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "%s", err.msg);
		return;
	}
	const char *mime = ep->mime_type           ? ep->mime_type
	                   : json_is_string(value) ? "text/plain"
	                                           : "application/json";
	char *text = json_is_string(value) ? NULL : mx_json_dumps(value, MX_JSON_COMPACT);
	json_t *r = NULL;
	if (json_is_string(value) || text)
		r = json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType", mime, "text",
		              text ? text : json_string_value(value));
	mx_free(text);
	json_decref(value);
	if (r && c->dialect >= MX_MCP_D_2026_07_28) {
		/* Data comes from the database and may depend on the caller. */
		json_object_set_new(r, "ttlMs", json_integer(0));
		json_object_set_new(r, "cacheScope", json_string("private"));
	}
	out->msg = mx_mcp_ok(c, r);
}
