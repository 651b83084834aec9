/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools — tools/call, on a worker with that worker's DuckDB connection.
 *
 * Protocol problems (no name, arguments not an object, unknown tool) are
 * JSON-RPC errors (-32602); everything the call itself reports — a bad
 * argument, a SQL error, output validation — is a tool result with
 * isError:true and MXCP's text "Error executing tool <name>: <message>",
 * so the model can read it. A cancelled call produces nothing (the caller
 * drops the reply).
 *
 * MCP content (a Python endpoint's mxcp.content objects: image, audio,
 * embedded resource, resource link, text) comes inside the result as the
 * marker object {"__mxcp_content__": block} (internal.h): a marker is its
 * block, a list's markers are blocks among the text blocks of the other
 * items, and a result with content has no structuredContent.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/json.h"

#include <stdio.h>

static json_t *text_content(const char *text)
{
	return json_pack("[{s:s, s:s}]", "type", "text", "text", text);
}

const json_t *mx_mcp_content_block(const json_t *v)
{
	if (!json_is_object(v) || json_object_size(v) != 1)
		return NULL;
	const json_t *b = json_object_get(v, MX_MCP_CONTENT_KEY);
	return json_is_object(b) && json_is_string(json_object_get(b, "type")) ? b : NULL;
}

json_t *mx_mcp_content_unmark(json_t *v)
{
	const json_t *block = mx_mcp_content_block(v);
	if (block) {
		json_t *b = json_incref((json_t *)block);
		json_decref(v);
		return b;
	}
	if (!json_is_array(v))
		return v;
	size_t i;
	json_t *item;
	json_array_foreach (v, i, item) {
		block = mx_mcp_content_block(item);
		if (block && json_array_set(v, i, (json_t *)block)) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

/* One block: content as itself, a string as text (the value itself,
 * shared), anything else as compact JSON text. type_text is the string
 * "text", shared by every block of the answer: a result of a million rows
 * is a million blocks, so each costs two allocations here, not five. */
static int add_text_block(json_t *content, const json_t *v, json_t *type_text)
{
	const json_t *block = mx_mcp_content_block(v);
	if (block)
		return json_array_append(content, (json_t *)block) ? MX_ENOMEM : 0;
	json_t *text;
	if (json_is_string(v)) {
		text = json_incref((json_t *)v);
	} else {
		char *dumped = mx_json_dumps(v, MX_JSON_COMPACT);
		/* the dump of a valid tree is valid UTF-8 */
		text = dumped ? json_string_nocheck(dumped) : NULL;
		mx_free(dumped);
	}
	json_t *b = json_object();
	if (text == NULL || b == NULL || json_object_set_nocheck(b, "type", type_text)) {
		json_decref(text);
		json_decref(b);
		return MX_ENOMEM;
	}
	/* _new takes text either way */
	if (json_object_set_new_nocheck(b, "text", text)) {
		json_decref(b);
		return MX_ENOMEM;
	}
	return json_array_append_new(content, b) ? MX_ENOMEM : 0;
}

/* The tool result for a value: text content as MXCP (FastMCP) makes it —
 * an array becomes one block per item — plus structuredContent when the
 * tool declares a return type (its outputSchema) and the revision has it. */
static json_t *success(struct mx_mcp_call *c, const struct mx_endpoint *ep, json_t *value)
{
	json_t *content = json_array();
	json_t *type_text = json_string("text");
	int rc = content && type_text ? 0 : MX_ENOMEM;
	int has_content = mx_mcp_content_block(value) != NULL;
	if (json_is_array(value)) {
		size_t i;
		json_t *item;
		json_array_foreach (value, i, item) {
			has_content |= mx_mcp_content_block(item) != NULL;
			if (rc == 0)
				rc = add_text_block(content, item, type_text);
		}
	} else if (rc == 0 && !json_is_null(value)) {
		/* a NULL scalar is no content at all, as MXCP (FastMCP) answers */
		rc = add_text_block(content, value, type_text);
	}
	json_decref(type_text);
	if (rc) {
		json_decref(content);
		return NULL;
	}
	json_t *r = json_pack("{s:o, s:b}", "content", content, "isError", 0);
	if (r && ep->ret && !has_content && c->dialect >= MX_MCP_D_2025_06_18) {
		json_t *sc = ep->ret->kind == MX_T_OBJECT && json_is_object(value)
		                     ? json_incref(value)
		                     : json_pack("{s:O}", "result", value);
		json_object_set_new(r, "structuredContent", sc);
	}
	return r;
}

void mx_mcp_handle_tools_call(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	const char *name = json_string_value(json_object_get(c->params, "name"));
	const json_t *args = json_object_get(c->params, "arguments");
	if (name == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"name\" must be a string");
		return;
	}
	if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"arguments\" must be an object");
		return;
	}
	if (json_is_null(args))
		args = NULL;
	const struct mx_endpoint *ep = mx_mcp_catalog_tool(c->cat, name);
	if (ep == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL, "Unknown tool: %s", name);
		return;
	}
	json_t *value = NULL;
	struct mx_err err;
	mx_err_clear(&err);
	int rc;
	c->audit_ep = ep;
	struct mx_invoke_opts iopt = {.report = &c->report, .cache = c->cache.cache ? &c->cache : NULL};
	rc = mx_invoke(c->rt, conn, ep, args, &c->ctx, &iopt, &value, &err);
	if (rc == MX_ECANCELLED || (rc == 0 && c->cache.deferred))
		return; /* cancelled; or a cache miss on the hit path: off to a worker */
	json_t *r;
	if (rc) {
		mx_mcp_call_log(c, MX_MCP_LOG_ERROR, "Error executing tool %s: %s", name, err.msg);
		char text[MX_ERR_MSG_MAX + 256];
		snprintf(text, sizeof text, "Error executing tool %s: %s", name, err.msg);
		r = json_pack("{s:o, s:b}", "content", text_content(text), "isError", 1);
	} else {
		r = success(c, ep, value);
	}
	json_decref(value);
	out->msg = mx_mcp_ok(c, r);
}
