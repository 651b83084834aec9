/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resources — resources/read, on a worker.
 *
 * The URI is matched against the static resources first, then the RFC 6570
 * templates in catalog order; a template's variables become the call's
 * arguments and go through the parameter types like any argument. Not
 * found is -32002 in the 2025 revisions and -32602 in 2026-07-28; a bad
 * variable is -32602; a failed execution is -32603 with MXCP's message.
 * Strings are returned as they are, anything else as JSON text. MCP
 * content (tools.c) becomes the resource's contents: an embedded resource
 * its text or blob (a Python resource's `bytes` arrive as a blob without
 * uri or mimeType), an image or audio block a blob, a text block text;
 * the URI read and the resource's mime_type fill in what the block lacks.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/json.h"

#include <string.h>

/* The contents item of a content block, or NULL when the block has no
 * resource form (a resource link): then the value goes out as JSON text. */
static json_t *block_contents(const json_t *block, const char *uri, const struct mx_endpoint *ep)
{
	const char *type = json_string_value(json_object_get(block, "type"));
	json_t *item = NULL;
	const char *mime = NULL;
	if (strcmp(type, "resource") == 0 && json_is_object(json_object_get(block, "resource"))) {
		item = json_deep_copy(json_object_get(block, "resource"));
		mime = json_object_get(item, "blob") ? "application/octet-stream" : "text/plain";
	} else if ((strcmp(type, "image") == 0 || strcmp(type, "audio") == 0) &&
	           json_is_string(json_object_get(block, "data"))) {
		item = json_pack("{s:O}", "blob", json_object_get(block, "data"));
		if (item && json_is_string(json_object_get(block, "mimeType")))
			json_object_set(item, "mimeType", json_object_get(block, "mimeType"));
	} else if (strcmp(type, "text") == 0 && json_is_string(json_object_get(block, "text"))) {
		item = json_pack("{s:O}", "text", json_object_get(block, "text"));
		mime = "text/plain";
	}
	if (item == NULL)
		return NULL;
	if (!json_is_string(json_object_get(item, "uri")))
		json_object_set_new(item, "uri", json_string(uri));
	if (!json_is_string(json_object_get(item, "mimeType")))
		json_object_set_new(item, "mimeType", json_string(ep->mime_type ? ep->mime_type : mime));
	return item;
}

json_t *mx_mcp_resource_item(const struct mx_endpoint *ep, const char *uri, const json_t *value)
{
	const json_t *block = mx_mcp_content_block(value);
	json_t *item = block ? block_contents(block, uri, ep) : NULL;
	if (item)
		return item;
	const char *mime = ep->mime_type           ? ep->mime_type
	                   : json_is_string(value) ? "text/plain"
	                                           : "application/json";
	char *text = json_is_string(value) ? NULL : mx_json_dumps(value, MX_JSON_COMPACT);
	if (json_is_string(value) || text)
		item = json_pack("{s:s, s:s, s:s}", "uri", uri, "mimeType", mime, "text",
		                 text ? text : json_string_value(value));
	mx_free(text);
	return item;
}

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
	struct mx_invoke_opts iopt = {.report = &c->report, .cache = c->cache.cache ? &c->cache : NULL};
	int rc = mx_invoke(c->rt, conn, ep, vars, &c->ctx, &iopt, &value, &err);
	if (rc == 0 && c->cache.deferred)
		return; /* a cache miss on the hit path: off to a worker */
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
	json_t *item = mx_mcp_resource_item(ep, uri, value);
	json_t *r = item ? json_pack("{s:[o]}", "contents", item) : NULL;
	json_decref(value);
	if (r && c->dialect >= MX_MCP_D_2026_07_28) {
		/* Data comes from the database and may depend on the caller. */
		json_object_set_new(r, "ttlMs", json_integer(0));
		json_object_set_new(r, "cacheScope", json_string("private"));
	}
	out->msg = mx_mcp_ok(c, r);
}
