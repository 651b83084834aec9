/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonrpc — JSON-RPC 2.0 reader and builders (see jsonrpc.h).
 *
 * Pure functions, any thread. The reader never trusts its input: the byte
 * bound is checked first, then the nesting depth by a scan of the raw text
 * (so jansson never recurses past our limit), then jansson parses (it
 * rejects invalid UTF-8 and trailing garbage), then each message's shape is
 * checked. Every failure becomes an MX_RPC_INVALID entry carrying the error
 * to answer with, so one bad line never stops the server.
 */
#include "mcp/jsonrpc.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_invalid(struct mx_rpc_msg *m, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_invalid(struct mx_rpc_msg *m, int code, const char *fmt, ...)
{
	m->kind = MX_RPC_INVALID;
	m->method = NULL;
	m->params = NULL;
	m->error_code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->error_message, sizeof m->error_message, fmt, ap);
	va_end(ap);
}

/* Deepest nesting of arrays/objects in text, strings skipped; stops early
 * once past limit. */
static int scan_depth(const char *text, size_t len, int limit)
{
	int depth = 0, max = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max && (max = depth) > limit)
				return max;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

static int id_ok(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

/* Classify one element; m->root already holds a reference to v. */
static void classify(struct mx_rpc_msg *m)
{
	json_t *v = m->root;
	if (!json_is_object(v)) {
		set_invalid(m, MX_RPC_INVALID_REQUEST, "Invalid Request: expected a JSON object");
		return;
	}
	json_t *id = json_object_get(v, "id");
	m->id = id_ok(id) ? id : NULL;
	json_t *ver = json_object_get(v, "jsonrpc");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
		set_invalid(m, MX_RPC_INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
		return;
	}
	if (id != NULL && !id_ok(id) && !json_is_null(id)) {
		set_invalid(m, MX_RPC_INVALID_REQUEST,
		            "Invalid Request: \"id\" must be a string or an integer");
		return;
	}
	json_t *method = json_object_get(v, "method");
	if (method != NULL) {
		if (!json_is_string(method)) {
			set_invalid(m, MX_RPC_INVALID_REQUEST,
			            "Invalid Request: \"method\" must be a string");
			return;
		}
		if (json_is_null(id)) {
			set_invalid(m, MX_RPC_INVALID_REQUEST, "Invalid Request: \"id\" must not be null");
			return;
		}
		json_t *params = json_object_get(v, "params");
		if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
			set_invalid(m, MX_RPC_INVALID_REQUEST,
			            "Invalid Request: \"params\" must be an object or an array");
			return;
		}
		if (json_object_get(v, "result") || json_object_get(v, "error")) {
			set_invalid(m, MX_RPC_INVALID_REQUEST,
			            "Invalid Request: a request cannot carry \"result\" or \"error\"");
			return;
		}
		m->method = json_string_value(method);
		m->params = params;
		m->kind = id ? MX_RPC_REQUEST : MX_RPC_NOTIFICATION;
		return;
	}
	int has_result = json_object_get(v, "result") != NULL,
	    has_error = json_object_get(v, "error") != NULL;
	if (has_result == has_error) {
		set_invalid(m, MX_RPC_INVALID_REQUEST,
		            has_result ? "Invalid Request: a response has \"result\" or \"error\", not both"
		                       : "Invalid Request: missing \"method\"");
		return;
	}
	if (id == NULL || (has_result && json_is_null(id))) {
		set_invalid(m, MX_RPC_INVALID_REQUEST, "Invalid Request: a response needs an \"id\"");
		return;
	}
	m->id = id;
	m->kind = MX_RPC_RESPONSE;
}

static int one_invalid(struct mx_rpc_msg **msgs, size_t *nmsgs, int code, const char *message)
{
	struct mx_rpc_msg *m = mx_calloc(1, sizeof *m);
	if (m == NULL)
		return MX_ENOMEM;
	set_invalid(m, code, "%s", message);
	*msgs = m;
	*nmsgs = 1;
	return 0;
}

int mx_rpc_parse(const char *text, size_t len, const struct mx_rpc_limits *lim, int allow_batch,
                 struct mx_rpc_msg **msgs, size_t *nmsgs, int *is_batch)
{
	return mx_rpc_parse_doc(text, len, NULL, lim, allow_batch, msgs, nmsgs, is_batch);
}

int mx_rpc_parse_doc(const char *text, size_t len, const json_t *doc, const struct mx_rpc_limits *lim,
                     int allow_batch, struct mx_rpc_msg **msgs, size_t *nmsgs, int *is_batch)
{
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : MX_RPC_MAX_BYTES_DEFAULT;
	int max_depth = lim && lim->max_depth > 0 ? lim->max_depth : MX_RPC_MAX_DEPTH_DEFAULT;
	char msg[sizeof((struct mx_rpc_msg *)0)->error_message];
	*msgs = NULL;
	*nmsgs = 0;
	*is_batch = 0;
	if (len > max_bytes) {
		snprintf(msg, sizeof msg,
		         "Invalid Request: message of %zu bytes exceeds the limit of %zu bytes", len,
		         max_bytes);
		return one_invalid(msgs, nmsgs, MX_RPC_INVALID_REQUEST, msg);
	}
	if (scan_depth(text, len, max_depth) > max_depth) {
		snprintf(msg, sizeof msg, "Invalid Request: JSON nesting deeper than %d levels", max_depth);
		return one_invalid(msgs, nmsgs, MX_RPC_INVALID_REQUEST, msg);
	}
	json_error_t jerr;
	json_t *root = doc ? json_incref((json_t *)doc)
	                   : json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return MX_ENOMEM;
		snprintf(msg, sizeof msg, "Parse error: %s", jerr.text);
		return one_invalid(msgs, nmsgs, MX_RPC_PARSE_ERROR, msg);
	}
	if (!json_is_array(root)) {
		struct mx_rpc_msg *m = mx_calloc(1, sizeof *m);
		if (m == NULL) {
			json_decref(root);
			return MX_ENOMEM;
		}
		m->root = root;
		classify(m);
		*msgs = m;
		*nmsgs = 1;
		return 0;
	}
	size_t n = json_array_size(root);
	if (!allow_batch || n == 0) {
		json_decref(root);
		return one_invalid(
		        msgs, nmsgs, MX_RPC_INVALID_REQUEST,
		        n == 0 ? "Invalid Request: empty batch"
		               : "Invalid Request: batches are not supported by this protocol revision");
	}
	struct mx_rpc_msg *m = mx_calloc(n, sizeof *m);
	if (m == NULL) {
		json_decref(root);
		return MX_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		m[i].root = json_incref(json_array_get(root, i));
		classify(&m[i]);
	}
	json_decref(root);
	*msgs = m;
	*nmsgs = n;
	*is_batch = 1;
	return 0;
}

void mx_rpc_msg_clear(struct mx_rpc_msg *m)
{
	if (m == NULL)
		return;
	json_decref(m->root);
	memset(m, 0, sizeof *m);
}

void mx_rpc_msgs_free(struct mx_rpc_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mx_rpc_msg_clear(&msgs[i]);
	mx_free(msgs);
}

/* ------------------------------------------------------------ builders */

json_t *mx_rpc_result(json_t *id, json_t *result)
{
	if (result == NULL)
		return NULL;
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result", result);
}

json_t *mx_rpc_error(json_t *id, int code, const char *message, json_t *data)
{
	json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message ? message : "");
	if (e == NULL) {
		json_decref(data);
		return NULL;
	}
	if (data != NULL && json_object_set_new(e, "data", data) != 0) {
		json_decref(e);
		return NULL;
	}
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", e);
}

json_t *mx_rpc_notification(const char *method, json_t *params)
{
	if (params == NULL)
		return json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	return json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", method, "params", params);
}

int mx_rpc_dump_raw_result(struct mx_buf *b, const json_t *id, const char *raw_result, size_t raw_len)
{
	int rc = mx_buf_puts(b, "{\"jsonrpc\":\"2.0\",\"id\":");
	if (rc == 0)
		rc = id ? mx_json_dump(b, id, MX_JSON_COMPACT) : mx_buf_puts(b, "null");
	if (rc == 0)
		rc = mx_buf_puts(b, ",\"result\":");
	if (rc == 0)
		rc = mx_buf_append(b, raw_result, raw_len);
	if (rc == 0)
		rc = mx_buf_putc(b, '}');
	return rc;
}
