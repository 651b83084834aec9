/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonrpc — JSON-RPC 2.0 framing for MCP: parse one incoming message (or a
 * batch), classify it, and build responses and errors.
 *
 * Untrusted input: the reader enforces a byte limit, a nesting-depth limit,
 * valid UTF-8 (jansson) and the JSON-RPC shape rules, and reports each
 * problem as the JSON-RPC error the spec prescribes (-32700 parse error,
 * -32600 invalid request) so the caller can answer and keep serving.
 * Pure functions, no state: safe from any thread.
 */
#ifndef MX_MCP_JSONRPC_H
#define MX_MCP_JSONRPC_H

#include "core/buf.h"

#include <jansson.h>
#include <stddef.h>

/* Standard codes, plus MCP's. */
#define MX_RPC_PARSE_ERROR -32700
#define MX_RPC_INVALID_REQUEST -32600
#define MX_RPC_METHOD_NOT_FOUND -32601
#define MX_RPC_INVALID_PARAMS -32602
#define MX_RPC_INTERNAL_ERROR -32603
#define MX_RPC_RESOURCE_NOT_FOUND -32002 /* 2025 revisions; 2026-07-28 uses -32602 */

#define MX_RPC_MAX_BYTES_DEFAULT (4u << 20)
#define MX_RPC_MAX_DEPTH_DEFAULT 64

enum mx_rpc_kind {
	MX_RPC_REQUEST, /* has method and id */
	MX_RPC_NOTIFICATION, /* has method, no id */
	MX_RPC_RESPONSE, /* has result or error, and id */
	MX_RPC_INVALID, /* answer with `error` (id may be null) */
};

struct mx_rpc_msg {
	enum mx_rpc_kind kind;
	json_t *root; /* the whole message object (owned) */
	json_t *id; /* borrowed from root; NULL for notifications */
	const char *method; /* borrowed; NULL for responses */
	json_t *params; /* borrowed; NULL when absent */
	/* MX_RPC_INVALID: */
	int error_code;
	char error_message[256];
};

struct mx_rpc_limits {
	size_t max_bytes;
	int max_depth;
};

/*
 * Parse one transport message. On return *msgs holds *nmsgs messages (one,
 * or several for a batch when allow_batch); each must be released with
 * mx_rpc_msg_clear, then mx_free(*msgs). A message that cannot even be parsed
 * yields a single MX_RPC_INVALID entry with id null. Returns 0, or MX_ENOMEM.
 * *is_batch tells the caller to answer with an array.
 */
int mx_rpc_parse(const char *text, size_t len, const struct mx_rpc_limits *lim, int allow_batch,
                 struct mx_rpc_msg **msgs, size_t *nmsgs, int *is_batch);
/* The same for a message the transport has parsed already: doc (borrowed)
 * is text parsed, so it is not parsed again; the limits still apply to the
 * text. */
int mx_rpc_parse_doc(const char *text, size_t len, const json_t *doc, const struct mx_rpc_limits *lim,
                     int allow_batch, struct mx_rpc_msg **msgs, size_t *nmsgs, int *is_batch);
void mx_rpc_msg_clear(struct mx_rpc_msg *m);
/* Clear n messages and free the array (the usual end of mx_rpc_parse). */
void mx_rpc_msgs_free(struct mx_rpc_msg *msgs, size_t n);

/* Response builders: new JSON objects {"jsonrpc":"2.0","id":…,"result":…}.
 * `result` and `data` references are stolen; id is borrowed (null when NULL). */
json_t *mx_rpc_result(json_t *id, json_t *result);
json_t *mx_rpc_error(json_t *id, int code, const char *message, json_t *data);
json_t *mx_rpc_notification(const char *method, json_t *params);
/* Append {"jsonrpc":"2.0","id":…,"result":<raw_result>} to b, splicing in a
 * result that was serialised earlier (the per-snapshot list pages). */
int mx_rpc_dump_raw_result(struct mx_buf *b, const json_t *id, const char *raw_result, size_t raw_len);

#endif
