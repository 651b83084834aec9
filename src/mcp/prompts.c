/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompts — prompts/get (on a worker, like every call) and the argument
 * completions of completion/complete (inline: no database).
 *
 * prompts/get: an unknown prompt or arguments that fail the parameter
 * types are -32602; the messages are rendered by mx_invoke (MXCP's Jinja
 * subset) and become MCP PromptMessages {role, content:{type:"text",
 * text}}: role assistant stays, everything else (user, system, none) is
 * user — MCP has no system role (shared/spec/mxcp.md §20 item 4). A
 * message of `type: resource` (MXCP's docs: its prompt is a resource URI)
 * embeds that resource of the project, read with the caller's identity:
 * content {type:"resource", resource:{uri, mimeType, text | blob}}; a URI
 * no resource matches is -32602, a failing read -32603.
 *
 * completion/complete: the argument of a prompt, or the variable of a
 * resource template, completes from the parameter's `enum`, filtered by
 * prefix; an argument without `enum` completes to nothing. An unknown
 * prompt or template is -32602, as the MCP completion spec says.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "types/types.h"

#include <string.h>

/* The content of a `type: resource` message: the resource at uri, read.
 * NULL with *fail the error reply when it cannot be. */
static json_t *embed_resource(struct mx_mcp_call *c, struct mx_dbconn *conn, const char *uri, json_t **fail)
{
	json_t *vars = NULL;
	const struct mx_endpoint *ep = mx_mcp_catalog_resource(c->cat, uri, &vars);
	if (ep == NULL) {
		*fail = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, json_pack("{s:s}", "uri", uri),
		                    "Resource not found in prompt message: %s", uri);
		return NULL;
	}
	struct mx_err err;
	mx_err_clear(&err);
	json_t *value = NULL;
	struct mx_invoke_opts iopt = {0};
	int rc = mx_invoke(c->rt, conn, ep, vars, &c->ctx, &iopt, &value, &err);
	json_decref(vars);
	if (rc) {
		*fail = mx_mcp_fail(c, rc == MX_EINVAL ? MX_RPC_INVALID_PARAMS : MX_RPC_INTERNAL_ERROR, NULL,
		                    "Error reading resource %s: %s", uri, err.msg);
		return NULL;
	}
	json_t *item = mx_mcp_resource_item(ep, uri, value);
	json_decref(value);
	json_t *content = item ? json_pack("{s:s, s:o}", "type", "resource", "resource", item) : NULL;
	if (content == NULL)
		*fail = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
	return content;
}

/* 2026-07-28, a client that can be asked (elicitation): the required
 * arguments the request left out are asked for with an input-required
 * result instead of refused. Returns the arguments to render with (a new
 * reference, or NULL: as given), or sets out when the call ends here. */
static json_t *ask_missing_arguments(struct mx_mcp_call *c, const struct mx_endpoint *ep, const json_t *args,
                                     struct mx_mcp_reply *out, int *stop)
{
	*stop = 0;
	if (c->dialect < MX_MCP_D_2026_07_28 || json_object_get(c->client_caps, "elicitation") == NULL)
		return NULL;
	json_t *schema = mx_params_input_schema(ep->params, ep->nparams);
	const json_t *props = json_object_get(schema, "properties");
	json_t *missing = json_array(), *want = json_object();
	struct mx_buf msg;
	mx_buf_init(&msg, 4096);
	mx_buf_puts(&msg, "Please provide");
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(schema, "required"), i, r) {
		const char *name = json_string_value(r);
		if (name == NULL || json_object_get(args, name) != NULL)
			continue;
		const json_t *p = json_object_get(props, name);
		const char *desc = json_string_value(json_object_get(p, "description"));
		mx_buf_printf(&msg, "%s %s", json_array_size(missing) ? ";" : "", desc ? desc : name);
		json_array_append_new(missing, json_string(name));
		json_object_set_new(want, name, p ? json_deep_copy(p) : json_pack("{s:s}", "type", "string"));
	}
	json_decref(schema);
	json_t *use = NULL;
	if (json_array_size(missing) > 0) {
		json_t *params = json_pack("{s:s%, s:{s:s, s:O, s:O}}", "message", msg.p ? msg.p : "",
		                           msg.len, "requestedSchema", "type", "object", "properties", want,
		                           "required", missing);
		json_t *answer = NULL;
		struct mx_err err;
		mx_err_clear(&err);
		int rc = params ? mx_mcp_mrtr_ask(c, "prompt_arguments", "elicitation/create", params,
		                                  "elicitation", &answer, &err)
		                : MX_ENOMEM;
		json_decref(params);
		const json_t *content = json_object_get(answer, "content");
		const char *action = json_string_value(json_object_get(answer, "action"));
		if (rc == MX_EINPUT) {
			*stop = 1; /* the input-required result (mx_mcp_mrtr_end) */
		} else if (rc != 0 || action == NULL || strcmp(action, "accept") != 0 ||
		           !json_is_object(content)) {
			*stop = 1;
			out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
			                       "Invalid params: required arguments missing and not given: %s",
			                       rc ? err.msg : "the user did not accept");
		} else {
			use = args ? json_deep_copy(args) : json_object();
			json_object_update(use, (json_t *)content);
		}
		json_decref(answer);
	}
	mx_buf_free(&msg);
	json_decref(missing);
	json_decref(want);
	return use;
}

void mx_mcp_handle_prompts_get(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	const char *name = json_string_value(json_object_get(c->params, "name"));
	const json_t *args = json_object_get(c->params, "arguments");
	if (name == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"name\" must be a string");
		return;
	}
	if (json_is_null(args))
		args = NULL;
	if (args != NULL && !json_is_object(args)) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"arguments\" must be an object");
		return;
	}
	const struct mx_endpoint *ep = mx_mcp_catalog_prompt(c->cat, name);
	if (ep == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL, "Unknown prompt: %s", name);
		return;
	}
	int stop = 0;
	json_t *asked = ask_missing_arguments(c, ep, args, out, &stop);
	if (stop)
		return;
	if (asked)
		args = asked;
	struct mx_err err;
	mx_err_clear(&err);
	json_t *rendered = NULL;
	c->audit_ep = ep;
	struct mx_invoke_opts iopt = {.report = &c->report, .cache = c->cache.cache ? &c->cache : NULL};
	int rc = mx_invoke(c->rt, conn, ep, args, &c->ctx, &iopt, &rendered, &err);
	json_decref(asked);
	if (rc && c->report.stage == MX_STAGE_CONVERT) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL, "%s", err.msg);
		return;
	}
	if (rc) {
		mx_mcp_call_log(c, MX_MCP_LOG_ERROR, "Error rendering prompt %s: %s", name, err.msg);
		out->msg = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "%s", err.msg);
		return;
	}
	json_t *msgs = json_array();
	size_t i;
	json_t *m;
	json_array_foreach (rendered, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		const char *text = json_string_value(json_object_get(m, "prompt"));
		const char *type = json_string_value(json_object_get(m, "type"));
		role = role && strcmp(role, "assistant") == 0 ? "assistant" : "user";
		json_t *content;
		if (type && strcmp(type, "resource") == 0) {
			if ((content = embed_resource(c, conn, text ? text : "", &out->msg)) == NULL)
				break;
		} else if (type && strcmp(type, "image") == 0) {
			/* like `resource`, the text names a resource: a binary one
			 * (blob + image MIME type) is sent as image content */
			if ((content = embed_resource(c, conn, text ? text : "", &out->msg)) == NULL)
				break;
			const json_t *item = json_object_get(content, "resource");
			const char *blob = json_string_value(json_object_get(item, "blob"));
			const char *mime = json_string_value(json_object_get(item, "mimeType"));
			if (blob == NULL || mime == NULL || strncmp(mime, "image/", 6) != 0) {
				json_decref(content);
				out->msg = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL,
				                       "Prompt message %zu: %s is not an image resource", i,
				                       text ? text : "");
				break;
			}
			json_t *img =
			        json_pack("{s:s, s:s, s:s}", "type", "image", "data", blob, "mimeType", mime);
			json_decref(content);
			content = img;
		} else {
			content = json_pack("{s:s, s:s}", "type", "text", "text", text ? text : "");
		}
		json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", role, "content", content));
	}
	json_decref(rendered);
	if (out->msg) {
		json_decref(msgs);
		return;
	}
	json_t *r = json_pack("{s:o}", "messages", msgs);
	if (r && ep->description)
		json_object_set_new(r, "description", json_string(ep->description));
	out->msg = mx_mcp_ok(c, r);
}

/* ------------------------------------------------------------- completion */

#define MAX_COMPLETIONS 100

static const struct mx_type *find_param(const struct mx_endpoint *ep, const char *name)
{
	for (size_t i = 0; ep && name && i < ep->nparams; i++)
		if (strcmp(ep->params[i]->name, name) == 0)
			return ep->params[i];
	return NULL;
}

void mx_mcp_handle_complete(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	const json_t *ref = json_object_get(c->params, "ref");
	const json_t *arg = json_object_get(c->params, "argument");
	const char *type = json_string_value(json_object_get(ref, "type"));
	const char *argname = json_string_value(json_object_get(arg, "name"));
	const char *prefix = json_string_value(json_object_get(arg, "value"));
	if (type == NULL || argname == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"ref.type\" and \"argument.name\" are required");
		return;
	}
	const struct mx_endpoint *ep = NULL;
	const char *ref_name = json_string_value(json_object_get(ref, "name"));
	const char *ref_uri = json_string_value(json_object_get(ref, "uri"));
	if (strcmp(type, "ref/prompt") == 0 && ref_name)
		ep = mx_mcp_catalog_prompt(c->cat, ref_name);
	else if (strcmp(type, "ref/resource") == 0 && ref_uri)
		ep = mx_mcp_catalog_resource_def(c->cat, ref_uri);
	if (ep == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL, "Invalid params: unknown %s '%s'",
		                       strcmp(type, "ref/resource") == 0 ? "resource template" : "prompt",
		                       ref_name  ? ref_name
		                       : ref_uri ? ref_uri
		                                 : "");
		return;
	}
	const struct mx_type *t = find_param(ep, argname);
	json_t *values = json_array();
	size_t total = 0, plen = prefix ? strlen(prefix) : 0;
	size_t i;
	json_t *v;
	json_array_foreach (t ? t->enum_values : NULL, i, v) {
		char *text = json_is_string(v) ? mx_strdup(json_string_value(v))
		                               : mx_json_dumps(v, MX_JSON_COMPACT);
		if (text && strncmp(text, prefix ? prefix : "", plen) == 0) {
			total++;
			if (json_array_size(values) < MAX_COMPLETIONS)
				json_array_append_new(values, json_string(text));
		}
		mx_free(text);
	}
	json_t *r = json_pack("{s:{s:o, s:I, s:b}}", "completion", "values", values, "total",
	                      (json_int_t)total, "hasMore", total > MAX_COMPLETIONS);
	out->msg = mx_mcp_ok(c, r);
}
